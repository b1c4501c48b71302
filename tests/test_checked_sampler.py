"""bach/checked_sampler.py's bookkeeping, with a scripted stand-in for the model: what the
checker refuses is drawn again from the last accepted point, and a tune past the corpus'
longest ends. No TensorFlow (tests/test_bach.py runs the sampler on a trained model)."""
from conftest import load_script

checked_sampler = load_script("bach/checked_sampler.py")


class ScriptedModel(object):
    """Stands in for model.Model in CheckedSampler: each session.run returns the next text
    of a script, whatever it is fed, so the test decides what the "model" writes."""

    def __init__(self, script, chars):
        import numpy as np
        self.np, self.script, self.chars, self.runs = np, list(script), chars, []
        for name in ("sampler_num", "sampler_type", "temperature", "sampler_seed",
                     "sampler_prime", "sampler_before", "sampler_state", "sampler_output",
                     "sampler_states"):
            setattr(self, name, name)

    def run(self, fetches, feed):
        self.runs.append(feed)
        text = self.script.pop(0)
        ids = self.np.array([self.chars.index(c) for c in text])
        return ids, self.np.zeros((len(text), 1), dtype=self.np.float32)

    def step_state(self, sess, char_id, state):
        return state


def test_checked_sampler_redraws_refused_bars_and_ends_long_tunes(monkeypatch):
    monkeypatch.setattr(checked_sampler.abc_bars, "MAX_TUNE_CHARS", 50)
    head = "1\nT:t\nM:3/4\nL:1/8\nK:G\n"
    script = [head + "[V:1]G2 B2 d2|c2 A2 F2 G2|",   # second bar too long: refused
              "c2 A2 F2|\n",                       # drawn again, from after the first bar
              "[V:1]G6|G6|\n",                     # past 50 characters: the tune must end
              "X:2\n"]
    chars = sorted(set("".join(script) + "X:\n"))
    model = ScriptedModel(script, chars)
    vocab = {c: i for i, c in enumerate(chars)}
    sampler = checked_sampler.CheckedSampler(model, model, chars, vocab, 1, 1.0, seed=0)
    text, stats = sampler.run("X:", 63)
    assert text == "X:" + head + "[V:1]G2 B2 d2|c2 A2 F2|\n[V:1]G6|G6|\n" + "\n" + "X:2\n"
    assert stats["reasons"] == {"bar is 8 units": 1}
    assert stats["forced"] == 1 and stats["checked"]
    assert model.runs[1]["sampler_prime"] == [chars.index("|")]  # went on after "d2|"


def test_a_tune_that_costs_too_many_draws_starts_again(monkeypatch):
    bad_header = "1\nT:t\nM:3/4\nL:1/8\nK:G\n[V:1]G2 B2 d2|"
    # After the 10th refusal of "A8|" (35 + 10 x 3 draws), before backtracking would start.
    monkeypatch.setattr(checked_sampler, "TUNE_BUDGET", len(bad_header) + 9 * 3 + 2)
    good = "2\nT:u\nM:2/4\nL:1/8\nK:D\n[V:1]d4|d4|d4|d4|\n\n"
    script = [bad_header] + ["A8|"] * 10 + [good]  # A8 never fits 3/4: refused each time
    chars = sorted(set("".join(script) + "X:\n"))
    model = ScriptedModel(script, chars)
    vocab = {c: i for i, c in enumerate(chars)}
    sampler = checked_sampler.CheckedSampler(model, model, chars, vocab, 1, 1.0, seed=0)
    text, stats = sampler.run("X:", len(good))
    assert text == "X:" + good
    assert stats["restarts"] == 1 and stats["checked"]
    assert stats["reasons"] == {"bar is 8 units": 10}
    assert model.runs[-1]["sampler_prime"] == [vocab["X"], vocab[":"]]  # from the prime again
