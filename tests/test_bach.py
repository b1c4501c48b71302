"""bach/: the chapter's char-RNN on tiny ABC tunes written here, tiny sizes.

In-process tests share one TensorFlow import and one tiny trained model (module fixture);
command-line tests run in subprocesses, and bad-input runs stop before TensorFlow loads.
The cross-line checkpoint test runs only when BACH_OTHER_PYTHON names the other TensorFlow
line's interpreter (.ci/run sets it).
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import OTHER_PYTHON, run_other, ROOT, load_script, run_script, call_main as call

TUNES = """X:1
T:Little Minuet
M:3/4
L:1/8
V:1
V:2 clef=bass
K:G
[V:1]G2 B2 d2|c2 A2 F2|G4 B2|A6|
[V:2]G,4 B,2|A,4 D2-|D2 G,2 G,2|D,6|
[V:1]d2 c2 B2|A2 G2 ^F2|(3GAB D2 B,2|G,6|]
[V:2]B,4 G,2|C4 D2|B,2 C2 z2|G,6|]

X:2
T:Short Gigue
M:6/8
L:1/8
V:1
V:2 clef=bass
K:D
[V:1]d2f a2f|e2c A3|d2f a2g|f3 d3|
[V:2]D,3 F,3|A,3 A,,3|D,3 F,3|D,3 D,3|
[V:1]B2d g2e|c2e a2f|d2=c B2A|d6|]
[V:2]G,3 E,3|A,3 C3|D3 _B,3|D,6|]

X:3
T:Plain Air
M:4/4
L:1/4
V:1
V:2 clef=bass
K:C
[V:1]c d e f|g2 e2|f e d c'|c4|]
[V:2]C, E, G, C|E,2 C,2|D, G, G,, C,|C,4|]

X:4
T:Longer Notes
M:4/4
L:1/8
V:1
V:2 clef=bass
K:G
[V:1]G7 A|B8|d/c/B/A/ G6|G8|]
[V:2]G,8|G,,8|D,8|G,,8|]
"""
TINY = ["--rnn_size", "16", "--batch_size", "4", "--seq_length", "10", "--save_every", "100",
        "--learning_rate", "0.01"]

generate_dataset = load_script("bach/generate_dataset.py")
utils = load_script("bach/utils.py")


def make_data(folder, count=40, seed=0):
    """original.txt (the tunes above) and input.txt as generate_dataset.py writes it."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "original.txt"), "w", encoding="utf-8") as f:
        f.write(TUNES)
    text = generate_dataset.generate(TUNES, count=count, seed=seed)
    with open(os.path.join(folder, "input.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return text


def train_losses(stdout):
    return [float(x) for x in re.findall(r"train_loss = ([0-9.]+)", stdout)]


def tree_digest(folder):
    digest = hashlib.sha256()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                digest.update(name.encode() + f.read())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny model trained for one epoch in this process."""
    base = tmp_path_factory.mktemp("bach")
    data_dir, save_dir = str(base / "data"), str(base / "save")
    make_data(data_dir)
    train = load_script("bach/train.py")
    stdout, code = call(train.main, ["--data_dir", data_dir, "--save_dir", save_dir,
                                     "--log_dir", str(base / "logs"), "--num_epochs", "1"] + TINY)
    assert code == 0, stdout
    return {"base": base, "data_dir": data_dir, "save_dir": save_dir, "stdout": stdout}


# ------------------------------------------------------------------ data, no TensorFlow


def test_generate_dataset_draws_every_piece_reproducibly():
    text = generate_dataset.generate(TUNES, count=200, seed=3)
    pieces = text.split("X:")[1:]
    assert len(pieces) == 200
    assert {p.splitlines()[0] for p in pieces} == {"1", "2", "3", "4"}  # all, not the first 30
    assert text == generate_dataset.generate(TUNES, count=200, seed=3)
    assert text != generate_dataset.generate(TUNES, count=200, seed=4)


def test_batching_matches_the_chapter(tmp_path):
    text = make_data(str(tmp_path))
    loader = utils.TextLoader(str(tmp_path), 4, 10, verbose=False)
    n = len(text)
    assert loader.num_batches == int(n / (4 * 10))
    ids = np.array([loader.vocab[c] for c in text[:loader.num_batches * 40]])
    x = np.concatenate(loader.x_batches, axis=1)
    y = np.concatenate(loader.y_batches, axis=1)
    assert (x.ravel() == ids).all()
    assert (y.ravel()[:-1] == ids[1:]).all() and y.ravel()[-1] == ids[0]
    assert loader.x_batches[0].shape == (4, 10)
    # Vocabulary by falling frequency.
    counts = [text.count(c) for c in loader.chars]
    assert counts == sorted(counts, reverse=True)
    loader.next_batch()
    loader.reset_batch_pointer()
    assert loader.pointer == 0


def test_cache_is_json_and_npy_and_follows_input_txt(tmp_path):
    make_data(str(tmp_path))
    first = utils.TextLoader(str(tmp_path), 4, 10, verbose=False)
    with open(tmp_path / "vocab.json", encoding="utf-8") as f:
        assert json.load(f)["chars"] == list(first.chars)
    np.load(str(tmp_path / "data.npy"), allow_pickle=False)
    again = utils.TextLoader(str(tmp_path), 4, 10, verbose=True)
    assert again.chars == first.chars
    # A changed input.txt (a new character, same size) must not reuse the stale cache.
    text = (tmp_path / "input.txt").read_text(encoding="utf-8")
    (tmp_path / "input.txt").write_text("#" + text[1:], encoding="utf-8")
    changed = utils.TextLoader(str(tmp_path), 4, 10, verbose=False)
    assert "#" in changed.chars and "#" not in first.chars


def test_validation_splits(tmp_path):
    text = make_data(str(tmp_path), count=60)
    by_frac = utils.TextLoader(str(tmp_path), 4, 10, val_frac=0.1, verbose=False)
    assert by_frac.val_tensor.size == int(len(text) * 0.1) and by_frac.val_num_batches > 0
    by_piece = utils.TextLoader(str(tmp_path), 4, 10, val_pieces=1, verbose=False)
    decode = lambda ids: "".join(by_piece.chars[i] for i in ids)  # noqa: E731
    held, training = decode(by_piece.val_tensor), decode(by_piece.tensor)
    assert held.startswith("X:") and held.count("X:") == 1
    assert held.split("\n")[1] not in training  # its title: no copy left in training
    x, y, weights = (np.concatenate(a, axis=1) for a in zip(*by_piece.val_batches))
    assert x.shape[0] == 1 and x[0, 0] == by_piece.vocab["X"]  # a row from the piece's start
    scored = int(weights.sum())
    assert scored == by_piece.val_tensor.size - 1  # every character but the last, once
    assert (x[0, 1:scored] == y[0, :scored - 1]).all()  # true next characters, no wrap-around
    assert not weights[0, scored:].any()  # padding counts for nothing


def test_validation_on_the_last_fraction_scores_every_character_in_long_rows(tmp_path):
    make_data(str(tmp_path), count=60)
    loader = utils.TextLoader(str(tmp_path), 4, 10, val_frac=0.5, verbose=False)
    x, y, weights = (np.concatenate(a, axis=1) for a in zip(*loader.val_batches))
    assert int(weights.sum()) == loader.val_tensor.size - 1
    assert 1 < x.shape[0] <= 4  # rows of at least VAL_ROW_SEQUENCES sequences, batch at most
    assert weights[:, 0].all() and (weights.sum(axis=1) >= utils.VAL_ROW_SEQUENCES * 10).all()


def test_prime_escapes():
    sample = load_script("bach/sample.py")
    assert sample.unescape("X:1\\n") == "X:1\n"
    assert sample.unescape("a\\\\n\\tb\\q") == "a\\n\tb\\q"


# ------------------------------------------------------------- the model, in this process


def test_variable_names_are_the_portable_ones():
    from tfcompat import tf_v1
    tf = tf_v1()
    model_module = load_script("bach/model.py")
    import argparse
    args = argparse.Namespace(rnn_size=8, num_layers=2, vocab_size=5, batch_size=2,
                              seq_length=3, grad_clip=5.0)
    with tf.Graph().as_default():
        model_module.Model(args)
        names = sorted(v.op.name for v in tf.global_variables() if "Adam" not in v.op.name)
    layer = "rnnlm/multi_rnn_cell/cell_%d/basic_lstm_cell/%s"
    assert names == sorted(["beta1_power", "beta2_power", "global_step", "learning_rate",
                            "rnnlm/embedding", "rnnlm/softmax_b", "rnnlm/softmax_w",
                            layer % (0, "bias"), layer % (0, "kernel"),
                            layer % (1, "bias"), layer % (1, "kernel")])


@pytest.mark.slow
def test_one_epoch_lowers_the_loss(trained):
    losses = train_losses(trained["stdout"])
    assert len(losses) > 100
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.5
    assert re.search(r"epoch 0: \d+ characters in [0-9.]+ s, \d+ characters/s", trained["stdout"])
    assert re.search(r"epoch 0: val_loss = [0-9.]+, val_bpc = [0-9.]+", trained["stdout"])
    save = trained["save_dir"]
    for name in ("config.json", "vocab.json", "checkpoint", "best/best.json"):
        assert os.path.isfile(os.path.join(save, name)), name
    assert not [n for n in os.listdir(save) if n.endswith(".pkl")]


@pytest.mark.slow
def test_sample_is_reproducible_and_starts_with_the_prime(trained, capsys):
    sample = load_script("bach/sample.py")
    texts = {}
    for sampler in ("graph", "loop"):
        runs = []
        for _ in range(2):
            sample.main(["--save_dir", trained["save_dir"], "-n", "60", "--seed", "5",
                         "--prime", "X:1\\nT:", "--sampler", sampler])
            runs.append(capsys.readouterr().out)
        assert runs[0] == runs[1]
        assert runs[0].startswith("X:1\nT:") and len(runs[0]) == len("X:1\nT:") + 60 + 1
        texts[sampler] = runs[0]
    out = trained["base"] / "out.abc"
    sample.main(["--save_dir", trained["save_dir"], "-n", "30", "--seed", "5",
                 "--prime", "X:1\\nT:", "--output", str(out)])
    # Same seed, fewer characters: the same beginning.
    assert out.read_text(encoding="utf-8") == texts["graph"][:len("X:1\nT:") + 30]
    assert capsys.readouterr().out.startswith(out.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_init_from_continues_from_the_saved_step(trained):
    train = load_script("bach/train.py")
    save = trained["save_dir"]
    before = train_losses(trained["stdout"])
    steps = len(before)
    stdout, code = call(train.main, ["--data_dir", trained["data_dir"], "--save_dir", save,
                                     "--log_dir", str(trained["base"] / "logs"),
                                     "--init_from", save, "--num_epochs", "1"] + TINY)
    assert code == 0
    assert "at step %d (epoch 1)" % steps in stdout
    first = re.search(r"^(\d+)/(\d+) \(epoch (\d+)\)", stdout, re.M)
    assert first.groups() == (str(steps), str(2 * steps), "1")
    # Resumed, not restarted: it starts near where the first run ended.
    assert train_losses(stdout)[0] < np.mean(before[:10]) - 0.5
    assert utils.newest_checkpoint(save).endswith("model.ckpt-%d" % (2 * steps))


def open_model(save_dir, sampler):
    """(sample.py as a module, the restored inference model, its session, the vocabulary)."""
    from tfcompat import tf_v1
    sample = load_script("bach/sample.py")
    config, chars, ckpt = utils.load_save_dir(save_dir)
    loaded = sample.load_model(tf_v1(), config, chars, ckpt, sampler)
    return sample, loaded, chars


def sampler_draws(loaded, chars, sampler, prime, count, length, sampling_type, temperature):
    model, sess, graph_sampler = loaded
    vocab = {c: i for i, c in enumerate(chars)}
    rng = np.random.RandomState(0)
    out = []
    for k in range(count):
        if sampler == "loop":
            text = model.sample(sess, chars, vocab, length, prime, sampling_type, temperature, rng)
        else:
            text = graph_sampler.sample(sess, length, prime, sampling_type, temperature, seed=k)
        out.append(text[len(prime):])
    return out


def homogeneity_p(a, b):
    """p-value of the chi-square test that two samples come from one distribution; rare
    outcomes (expected count under 5) are pooled so the chi-square approximation holds."""
    from scipy.stats import chi2_contingency
    keys = sorted(set(a) | set(b))
    table = np.array([[a.count(k) for k in keys], [b.count(k) for k in keys]], dtype=float)
    expected = table.sum(axis=0) * table.sum(axis=1)[:, None] / table.sum()
    rare = (expected < 5).any(axis=0)
    pooled = np.concatenate([table[:, ~rare], table[:, rare].sum(axis=1, keepdims=True)], axis=1)
    pooled = pooled[:, pooled.sum(axis=0) > 0]
    if pooled.shape[1] < 2:
        return 1.0  # one outcome only, on both sides
    return chi2_contingency(pooled)[1]


@pytest.mark.slow
def test_graph_sampler_matches_the_loop_sampler(trained):
    """Same argmax path for type 0; for types 1 to 3 the same distribution of the first
    characters, by a chi-square test on many independent draws. The seeds are fixed, but
    the tiny model trained for it differs between machines, so each of the 9 tests uses
    p < 0.001 / 9 (Bonferroni): a correct sampler fails one of them with probability 0.001,
    where a real difference gives p far below (one failed at p = 0.00077 against 0.001
    on a new machine, TF 1.15.5)."""
    sample, loaded, chars = open_model(trained["save_dir"], "graph")
    with loaded[1]:
        kwargs = dict(prime="X:1\n", count=1, length=40, sampling_type=0, temperature=1.0)
        assert (sampler_draws(loaded, chars, "graph", **kwargs)
                == sampler_draws(loaded, chars, "loop", **kwargs))
        for sampling_type, temperature, prime in ((1, 0.8, "[V:1]"), (2, 1.5, "[V:1]d2 "),
                                                  (3, 1.5, "[V:1]d2|")):
            kwargs = dict(prime=prime, count=1200, length=3, sampling_type=sampling_type,
                          temperature=temperature)
            graph = sampler_draws(loaded, chars, "graph", **kwargs)
            loop = sampler_draws(loaded, chars, "loop", **kwargs)
            assert len(set(g[0] for g in graph)) > 3  # really drawn
            for position in range(3):
                p = homogeneity_p([g[position] for g in graph], [lp[position] for lp in loop])
                assert p > 0.001 / 9, (sampling_type, position, p)
            if sampling_type in (2, 3):
                # Drawn after the space (bar line) only; then the most likely follows.
                for text in graph[:20]:
                    if text[0] not in (" \n" if sampling_type == 2 else "|\n"):
                        best, _ = sample.generate(loaded, chars, 1, prime + text[0], 0,
                                                  1.0, 0, "graph")
                        assert text[1] == best[-1], text


@pytest.mark.slow
def test_bar_line_sampling_keeps_ties(trained):
    """Type 3 draws after a bar line, but not after a tied one ("d2-|"): both samplers then
    take the most likely character, every time."""
    sample, loaded, chars = open_model(trained["save_dir"], "graph")
    with loaded[1]:
        kwargs = dict(prime="[V:1]d2-|", count=30, length=1, sampling_type=3, temperature=3.0)
        best = sample.generate(loaded, chars, 1, "[V:1]d2-|", 0, 1.0, 0, "graph")[0][-1]
        for sampler in ("graph", "loop"):
            assert set(sampler_draws(loaded, chars, sampler, **kwargs)) == {best}
        kwargs["prime"] = "[V:1]d2|"
        assert len(set(sampler_draws(loaded, chars, "graph", **kwargs))) > 1


@pytest.mark.slow
def test_structured_sampler_writes_valid_tunes_and_keeps_every_character(trained):
    """Whatever the (barely trained) model prefers, each tune keeps the two-staff structure
    (abc_grammar's rules), and every character drawn is kept; the seed reproduces it."""
    grammar = load_script("bach/abc_grammar.py")
    sample, loaded, chars = open_model(trained["save_dir"], "structured")
    with loaded[1]:
        runs = [sample.generate(loaded, chars, 1, "X:", 1, 1.0, 5, "structured")
                for _ in range(2)]
        text, stats = runs[0]
        assert runs[1] == runs[0]
        tunes = grammar.split_tunes(text)
        assert len(tunes) == stats["tunes"] == 1 and not tunes[0]["truncated"]
        assert grammar.structure_problems(tunes[0]["text"]) == []
        assert stats["drawn"] == stats["kept"] == len(text) - 2
        two, stats = sample.generate(loaded, chars, len(text), "X:", 1, 1.0, 5, "structured")
        assert two.startswith(text) and stats["tunes"] == 2 and all(  # it finishes the tune
            # that passes -n
            grammar.structure_problems(t) == [] for t in grammar.complete_tunes(two))


@pytest.mark.slow
def test_the_line_prior_keeps_tunes_whole_and_needs_the_models_statistics(trained, tmp_path):
    """train.py stores the training pieces' line statistics; the structured sampler with a line
    prior still writes a whole valid tune; a model saved without them is a one-line error."""
    grammar = load_script("bach/abc_grammar.py")
    with open(os.path.join(trained["save_dir"], "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    statistics = config["line_statistics"]
    assert len(statistics["moves"]) == 17 and sum(statistics["moves"][9]) > 0  # after a step up
    assert sum(statistics["registers"]["1"]) > 0 and sum(statistics["registers"]["2"]) > 0
    assert [len(v) for v in statistics["verticals"]] == [7, 7]
    assert sum(statistics["verticals"][1]) > 0
    text = open(os.path.join(trained["data_dir"], "input.txt"), encoding="utf-8").read()
    assert config["trained_keys"] == grammar.key_values(text)  # the training text's keys
    assert set(config["altered_degrees"]) <= {"major", "minor"} and any(
        config["altered_degrees"].values())  # the fixture's pieces alter some degree
    flags = ["-n", "1", "--seed", "2", "--prime", "X:", "--sampler", "structured",
             "--line_prior", "3"]
    proc = run_script("bach/sample.py", "--save_dir", trained["save_dir"], *flags)
    assert proc.returncode == 0, proc.stderr
    tunes = grammar.complete_tunes(proc.stdout)
    assert len(tunes) == 1 and grammar.structure_problems(tunes[0]) == []
    assert grammar.header_fields(tunes[0])["K"] in config["trained_keys"]
    old = str(tmp_path / "old")
    shutil.copytree(trained["save_dir"], old)
    del config["line_statistics"]
    with open(os.path.join(old, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f)
    proc = run_script("bach/sample.py", "--save_dir", old, *flags)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "line_statistics" in proc.stderr and "--line_prior 0" in proc.stderr


@pytest.mark.slow
@pytest.mark.needs_abc_tools
def test_sample_and_evaluate_with_the_structured_sampler(trained_options, tmp_path):
    save = trained_options["save_dir"]
    proc = run_script("bach/sample.py", "--save_dir", save, "-n", "1", "--seed", "2",
                      "--prime", "X:", "--sampler", "structured")
    assert proc.returncode == 0 and proc.stdout.startswith("X:"), proc.stderr
    assert "structured sampler: 1 tune, " in proc.stderr
    report_path = tmp_path / "eval.json"
    corpus = os.path.join(trained_options["data_dir"], "original.txt")
    proc = run_script("bach/evaluate.py", "--save_dir", save, "--tunes", "2",
                      "--corpus", corpus, "--report", str(report_path), "--sampler", "structured")
    assert proc.returncode == 0, proc.stderr
    with open(str(report_path), encoding="utf-8") as f:
        report = json.load(f)
    assert report["sampler"] == "structured" and report["complete_tunes"] == 2
    assert report["structured_sampler"]["drawn"] == report["structured_sampler"]["kept"]
    if report["check"]["valid_tunes"] is not None:  # with the ABC tools
        assert report["valid_tunes"] == 2, report["check"]["failed_rules"]
    one_line_error(run_script("bach/sample.py", "--save_dir", save, "--sampler", "structured",
                              "--prime", "K:G"), "--sampler structured", "prime breaks")


@pytest.mark.slow
def test_render_writes_sample_abc(trained, tmp_path, capsys):
    """A whole tune from the structured sampler, checked and rendered (valid, with its MIDI
    and score, where the ABC tools are installed)."""
    sample = load_script("bach/sample.py")
    render = tmp_path / "render"
    sample.main(["--save_dir", trained["save_dir"], "-n", "1", "--seed", "1", "--prime", "X:",
                 "--sampler", "structured", "--render", str(render)])
    captured = capsys.readouterr()
    assert captured.out == (render / "sample.abc").read_text(encoding="utf-8") + "\n"
    with open(str(render / "report.json"), encoding="utf-8") as f:
        report = json.load(f)
    assert report["tunes"] == 1 and report["bars"] >= 2 * 16
    assert "rendered to %s" % render in captured.err
    if not report.get("missing_tools"):
        # The corpus (original.txt beside input.txt) was passed on: novelty is measured.
        assert report["novel_lines"] is not None
        assert report["valid_tunes"] == 1, report["per_tune"][0]["failed_rules"]
        files = report["per_tune"][0]["files"]
        assert (render / files["midi"]).is_file() and (render / files["png"]).is_file()


# ------------------------------------------------------ command lines and bad input


# TensorFlow 2.21's C++ start-up lines (absl), printed whatever TF_CPP_MIN_LOG_LEVEL says.
TF_NOISE = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} \d\d:\d\d:)")


def one_line_error(proc, *words):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if not TF_NOISE.match(ln)]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_bad_corpus_files_fail_in_one_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    train = lambda *a: run_script("bach/train.py", "--data_dir", str(data), "--save_dir",  # noqa: E731
                                  str(tmp_path / "save"), *(TINY + list(a)))
    one_line_error(train(), "input.txt not found", "generate_dataset.py")
    (data / "input.txt").write_text("", encoding="utf-8")
    one_line_error(train(), "is empty")
    (data / "input.txt").write_bytes(b"X:1\nT:caf\xe9\n" * 20)
    one_line_error(train(), "not UTF-8")
    (data / "input.txt").write_text("X:1\nK:C\nabc|\n", encoding="utf-8")
    one_line_error(train(), "fewer than one batch", "--batch_size")
    one_line_error(run_script("bach/generate_dataset.py", "--input", str(data / "none.txt")),
                   "not found", "fetch.py")
    assert not (tmp_path / "save").exists() or not os.listdir(str(tmp_path / "save"))


@pytest.mark.slow
def test_bad_save_folders_and_arguments_fail_in_one_line(trained, tmp_path):
    save = trained["save_dir"]
    sample = lambda *a: run_script("bach/sample.py", *a)  # noqa: E731
    one_line_error(sample("--save_dir", save, "-n", "0"), "-n must be at least 1")
    one_line_error(sample("--save_dir", save, "--prime", "x:1\\n\u00e9"), "'x'", "'\u00e9'",
                   "not in the vocabulary")
    one_line_error(sample("--save_dir", str(tmp_path / "none")), "not found", "train.py")
    broken = tmp_path / "broken"
    broken.mkdir()
    one_line_error(sample("--save_dir", str(broken)), "config.json not found")
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    one_line_error(sample("--save_dir", str(broken)), "not valid JSON")
    with open(os.path.join(save, "config.json"), encoding="utf-8") as f:
        (broken / "config.json").write_text(f.read(), encoding="utf-8")
    with open(os.path.join(save, "vocab.json"), encoding="utf-8") as f:
        (broken / "vocab.json").write_text(f.read(), encoding="utf-8")
    one_line_error(sample("--save_dir", str(broken)), "no checkpoint")


@pytest.mark.slow
def test_init_from_mismatch_fails_and_keeps_the_checkpoint(trained):
    save = trained["save_dir"]
    before = tree_digest(save)
    args = ["--data_dir", trained["data_dir"], "--save_dir", save, "--init_from", save]
    tiny = list(TINY)
    tiny[tiny.index("--rnn_size") + 1] = "32"
    proc = run_script("bach/train.py", *(args + tiny))
    one_line_error(proc, "rnn_size is 16 there but 32 here", "--rnn_size 16")
    other_data = trained["base"] / "other_data"
    other_data.mkdir(exist_ok=True)
    (other_data / "input.txt").write_text(TUNES.replace("G", "Q") * 3, encoding="utf-8")
    args[1] = str(other_data)
    one_line_error(run_script("bach/train.py", *(args + TINY)), "vocabulary")
    assert tree_digest(save) == before


@pytest.mark.slow
def test_corrupt_checkpoint_fails_in_one_line(trained, tmp_path):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(trained["save_dir"], str(copy))
    for name in os.listdir(str(copy)):
        if name.endswith(".data-00000-of-00001"):
            (copy / name).write_bytes(b"garbage")
    one_line_error(run_script("bach/sample.py", "--save_dir", str(copy)), "cannot restore")


@pytest.mark.slow
def test_ctrl_c_saves_before_exiting(trained, tmp_path):
    save = tmp_path / "save"
    env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "bach", "train.py"), "--data_dir", trained["data_dir"],
         "--save_dir", str(save), "--log_dir", str(tmp_path / "logs"),
         "--num_epochs", "100000"] + TINY,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env)
    lines = []
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if not line or line.startswith("20/"):
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)  # generous: CI machines may be loaded
    assert proc.returncode == 130, err
    assert "interrupted at step" in out and "model saved to" in out
    step = int(re.search(r"interrupted at step (\d+)", out).group(1))
    assert step > 20 and utils.newest_checkpoint(str(save)).endswith("model.ckpt-%d" % step)


# ------------------------------------------------ checkpoints across TensorFlow lines


@pytest.mark.skipif(not OTHER_PYTHON, reason="set BACH_OTHER_PYTHON to the other TensorFlow "
                                             "line's python to test checkpoint portability")
@pytest.mark.slow
def test_checkpoints_cross_tensorflow_lines(trained, tmp_path, capsys):
    """Trained here, sampled there; trained there, sampled here: the most likely path
    (--sample 0) is the same on both lines, so the weights arrived intact."""
    sample = load_script("bach/sample.py")

    def here(save_dir):
        sample.main(["--save_dir", save_dir, "-n", "80", "--sample", "0"])
        return capsys.readouterr().out

    def there(save_dir):
        proc = run_other(os.path.join(ROOT, "bach", "sample.py"), "--save_dir", save_dir,
                         "-n", "80", "--sample", "0")
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    assert there(trained["save_dir"]) == here(trained["save_dir"])
    other_save = str(tmp_path / "other_save")
    proc = run_other(os.path.join(ROOT, "bach", "train.py"), "--data_dir", trained["data_dir"],
                     "--save_dir", other_save, "--log_dir", str(tmp_path / "logs"),
                     "--num_epochs", "1", *TINY)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert here(other_save) == there(other_save)


# ------------------------------------------------- issue 5: quality on the real corpus


def test_align_pieces_starts_every_piece_on_a_sequence_of_its_own(tmp_path):
    make_data(str(tmp_path), count=40)
    loader = utils.TextLoader(str(tmp_path), 4, 10, verbose=False, align_pieces=True)
    x, y = np.concatenate(loader.x_batches, 1), np.concatenate(loader.y_batches, 1)
    assert (x[:, 1:] == y[:, :-1]).all()  # targets: the next character within a row
    starts = 0
    for b, resets in enumerate(loader.resets):
        assert resets.shape == (4,)
        for row in range(4):
            begins = "".join(loader.chars[i] for i in loader.x_batches[b][row][:2]) == "X:"
            assert bool(resets[row]) == begins
            starts += begins
    assert starts >= 4 * 3  # every row starts several pieces
    assert utils.TextLoader(str(tmp_path), 4, 10, verbose=False).resets is None  # the chapter's


def test_preset_fills_defaults_and_given_flags_win():
    train = load_script("bach/train.py")
    parser = train.build_parser()
    chapter = train.parse_args(parser, [])
    assert (chapter.rnn_size, chapter.num_layers, chapter.keep_prob, chapter.temperature,
            chapter.sample, chapter.align_pieces, chapter.sampler) == (
        64, 1, 1.0, 1.0, 1, False, "graph")
    parser = train.build_parser()
    best = train.parse_args(parser, ["--preset", "best"])
    for name, value in train.PRESETS["best"].items():
        assert getattr(best, name) == value, name
    parser = train.build_parser()
    assert train.parse_args(parser, ["--preset", "best", "--num_epochs", "1"]).num_epochs == 1


@pytest.fixture(scope="module")
def trained_options(tmp_path_factory):
    """A tiny model with the training options issue 5 added: held-out pieces, aligned
    pieces, dropout, a seed and stored sampling settings."""
    base = tmp_path_factory.mktemp("bach_options")
    data_dir, save_dir = str(base / "data"), str(base / "save")
    make_data(data_dir)
    train = load_script("bach/train.py")
    stdout, code = call(train.main, [
        "--data_dir", data_dir, "--save_dir", save_dir, "--log_dir", str(base / "logs"),
        "--num_epochs", "1", "--val_pieces", "1", "--align_pieces", "--keep_prob", "0.8",
        "--seed", "3", "--temperature", "0.5", "--sample", "2"] + TINY)
    assert code == 0, stdout
    return {"base": base, "data_dir": data_dir, "save_dir": save_dir, "stdout": stdout}


@pytest.mark.slow
def test_options_train_and_sampling_settings_are_stored(trained_options, capsys):
    losses = train_losses(trained_options["stdout"])
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.5
    with open(os.path.join(trained_options["save_dir"], "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert (config["temperature"], config["sample"], config["keep_prob"]) == (0.5, 2, 0.8)
    sample = load_script("bach/sample.py")
    outs = []
    for extra in ([], ["--temperature", "0.5", "--sample", "2"], ["--temperature", "3"]):
        sample.main(["--save_dir", trained_options["save_dir"], "-n", "80", "--seed", "4"] + extra)
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] != outs[2]  # the stored settings are the defaults


@pytest.mark.slow
@pytest.mark.needs_abc_tools
def test_evaluate_samples_checks_and_reports(trained_options, tmp_path):
    evaluate = load_script("bach/evaluate.py")
    save = trained_options["save_dir"]
    report_path = tmp_path / "eval.json"
    corpus = os.path.join(trained_options["data_dir"], "original.txt")
    stdout, code = call(evaluate.main, ["--save_dir", save, "--tunes", "3", "-n", "300",
                                        "--corpus", corpus, "--report", str(report_path)])
    assert code in (0, None), stdout
    with open(str(report_path), encoding="utf-8") as f:
        report = json.load(f)
    assert report["samples"] == 3 and report["seeds"] == [1, 3]
    assert (report["temperature"], report["sample_type"]) == (0.5, 2)  # the stored ones
    assert 0 <= report["valid_tunes"] <= report["complete_tunes"] <= 3
    assert report["heldout_bpc"] > 0 and report["heldout"].startswith("X:")
    for tune in (report["check"] or {}).get("per_tune", []):
        assert 1 <= tune["seed"] <= 3
    for word in ("valid:", "bad bars:", "bars of rests only:", "novel lines:",
                 "held-out bits per character:"):
        assert word in stdout


@pytest.mark.slow
def test_evaluate_bad_input_fails_in_one_line(trained_options, tmp_path):
    save = trained_options["save_dir"]
    one_line_error(run_script("bach/evaluate.py", "--save_dir", save, "--tunes", "0"),
                   "--tunes must be at least 1")
    one_line_error(run_script("bach/evaluate.py", "--save_dir", str(tmp_path / "none")),
                   "not found", "train.py")
    one_line_error(run_script("bach/evaluate.py", "--save_dir", save, "--corpus",
                              str(tmp_path / "none.abc")), "corpus", "not found")
