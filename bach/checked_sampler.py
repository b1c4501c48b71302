"""The checked sampler (`sample.py --sampler checked`): the in-graph sampler run in chunks,
every character judged by abc_bars.TuneChecker as it comes, and whatever fails (a header
without a meter, a bar of the wrong length, a tie to another pitch, ...) drawn again from
the last point that passed.

The model still writes every character; the checker only refuses some and asks again,
which is drawing from the model's distribution conditioned on passing (rejection
sampling). A point that fails TRIES times in a row is itself taken back, so the bar before
it is drawn again, up to the tune's start; a tune that has cost TUNE_BUDGET draws starts
again from its `X:` line (most often its header promised a meter the model cannot fill). The one character not drawn is the blank line
that ends a tune once it is as long as the corpus' pieces (abc_bars.MAX_TUNE_CHARS).
"""
import collections

import numpy as np

import abc_bars

CHUNK = (8, 64)  # characters drawn per session.run: fewest after a rejection, doubled after
TRIES = 10       # failures from one accepted point before it is taken back too
TUNE_BUDGET = 60000  # draws for one tune (about twice the mean) before it starts again
BUDGET = 50      # characters drawn per character asked for, before the rest goes unchecked

# A point to go on from: text length, last and previous character ids, the state that goes
# with the last character as the next input (None: run the prime), the checker's state.
Point = collections.namedtuple("Point", "length last before state checker")


class CheckedSampler(object):
    def __init__(self, model, sess, chars, vocab, sampling_type, temperature, seed):
        self.model, self.sess, self.chars, self.vocab = model, sess, chars, vocab
        self.sampling_type, self.temperature = sampling_type, temperature
        self.rng = np.random.RandomState(seed)

    def run(self, prime, num):
        """(prime + num characters, stats)."""
        self.checker = checker = abc_bars.TuneChecker()
        for char in prime:
            checker.feed(char)
        self.prime_ids = ids = [self.vocab[c] for c in prime]
        self.text = list(prime)
        self.target = len(prime) + num
        current = Point(len(prime), ids[-1], ids[-2] if len(ids) > 1 else ids[-1], None,
                        checker.snapshot())
        self.accepted, self.failures = [current], [0]  # points that passed, newest last
        self.checking, self.checked_chars = True, None
        self.stats = {"drawn": 0, "forced": 0, "backtracks": 0, "restarts": 0, "reasons": {}}
        self.tune_drawn = 0  # draws when the current tune began (or began again)
        chunk = CHUNK[1]
        while len(self.text) < self.target:
            forced = checker.forced() if self.checking else None
            if forced and current.state is not None:
                current = self._force(current, forced)
                continue
            current, rejected = self._take(current, chunk)
            chunk = CHUNK[0] if rejected else min(2 * chunk, CHUNK[1])
        stats = dict(self.stats, kept=len(self.text) - len(prime), checked=self.checking,
                     rejected=sum(self.stats["reasons"].values()),
                     checked_chars=(len(self.text) - len(prime) if self.checking
                                    else self.checked_chars - len(prime)))
        return "".join(self.text), stats

    def _take(self, current, chunk):
        """Draw `chunk` characters from `current` and keep them up to the first the checker
        refuses. Returns (the point to go on from, whether one was refused)."""
        model = self.model
        feed = {model.sampler_num: chunk, model.sampler_type: self.sampling_type,
                model.temperature: self.temperature,
                model.sampler_seed: self.rng.randint(2 ** 31 - 1)}
        if current.state is None:
            feed[model.sampler_prime] = self.prime_ids
        else:
            feed.update({model.sampler_prime: [current.last],
                         model.sampler_before: [current.before],
                         model.sampler_state: current.state})
        ids, states = self.sess.run([model.sampler_output, model.sampler_states], feed)
        for j, new in enumerate(ids):
            char = self.chars[new]
            self.text.append(char)
            self.stats["drawn"] += 1
            point = Point(len(self.text), int(new), current.last, states[j:j + 1], None)
            verdict = self.checker.feed(char) if self.checking else abc_bars.GO_ON
            current, rejected = self._judge(verdict, point)
            if rejected:
                return current, True
            if len(self.text) >= self.target or (self.checking and self.checker.forced()):
                break
        return current, False

    def _force(self, current, char):
        """Write `char` without a draw, the cell run over it."""
        verdict = self.checker.feed(char)
        if isinstance(verdict, abc_bars.Rejected):  # e.g. a tie still open: go back
            return self._go_back(verdict)
        self.text.append(char)
        self.stats["forced"] += 1
        state = self.model.step_state(self.sess, current.last, current.state)
        point = Point(len(self.text), self.vocab[char], current.last, state, None)
        return self._judge(verdict, point)[0]

    def _judge(self, verdict, point):
        if isinstance(verdict, abc_bars.Rejected):
            return self._go_back(verdict), True
        if verdict == abc_bars.ACCEPT:
            self.accepted.append(point._replace(checker=self.checker.snapshot()))
            self.failures.append(0)
        elif verdict == abc_bars.TUNE_START:  # a new tune: no going back before it
            del self.accepted[:-1], self.failures[:-1]
            self.tune_drawn = self.stats["drawn"]
        return point, False

    def _go_back(self, verdict):
        """The last accepted point, taking back those that failed TRIES times."""
        reasons = self.stats["reasons"]
        reason = str(verdict).split(",")[0]
        reasons[reason] = reasons.get(reason, 0) + 1
        accepted, failures = self.accepted, self.failures
        while verdict.back_to is not None and accepted[-1].length > verdict.back_to:
            accepted.pop()
            failures.pop()
        failures[-1] += 1
        if self.stats["drawn"] - self.tune_drawn > TUNE_BUDGET and len(accepted) > 1:
            del accepted[1:], failures[1:]
            failures[0] = 0
            self.tune_drawn = self.stats["drawn"]
            self.stats["restarts"] += 1
        while failures[-1] > TRIES and len(accepted) > 1:
            accepted.pop()
            failures.pop()
            failures[-1] += 1
            self.stats["backtracks"] += 1
        point = accepted[-1]
        del self.text[point.length:]
        self.checker.restore(point.checker)
        if self.stats["drawn"] > BUDGET * (self.target - len(self.prime_ids)):
            self.checking, self.checked_chars = False, point.length
        return point
