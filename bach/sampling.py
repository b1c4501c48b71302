"""The samplers: how characters are drawn from a trained Model (`sample.py --sampler`).

- loop: the chapter's Model.sample, one session.run per character.
- graph: the same draws in one session.run, a tf.while_loop over the cell (GraphSampler).
- structured: one session.run per character, the LSTM state carried from run to run; before
  each draw, the characters that cannot lead to a valid two-staff tune (abc_mask.py) are
  masked out and the model's distribution renormalised over what is left. Every character
  drawn is kept: nothing is drawn twice, nothing edited.
Each picks characters by the chapter's sampling type (`--sample`: 0 the most likely, 1
drawn, 2 and 3 drawn only after some characters, model.DRAW_AFTER) at a temperature.
The model knows nothing of these policies; it only gives the next distribution and state.
"""
import numpy as np

from model import DRAW_AFTER, TIE, tf

SAMPLERS = ("loop", "graph", "structured")
# A step where the characters the mask allows hold under this share of the model's
# probability: the draw there goes against the model (bench_sample.py counts them).
WEAK_MASS = 0.1
GRAPH_UNROLL = 8  # characters per tf.while_loop iteration in the in-graph sampler
# An accidental under this share of the allowed characters' probability is drawn as the
# model gives it, unweighed by the notes it leads to: a step ahead costs a step.
LOOKAHEAD_SHARE = 0.005
TINY = 1e-30  # a probability that float32 rounded to 0 counts as this much


def draws_next(sampling_type, char, before):
    """True if the character after `char` (itself after `before`) is drawn, False if the
    most likely is taken: the chapter's sampling types."""
    if sampling_type == 0:
        return False
    if sampling_type in DRAW_AFTER:
        return char in DRAW_AFTER[sampling_type] and not (sampling_type == 3 and before == TIE)
    return True


def sample(model, sess, chars, num, prime, sampling_type=1, temperature=1.0, seed=0,
           sampler="graph", graph_sampler=None, line_prior=None):
    """(text, stats) from one of SAMPLERS; stats are the structured sampler's, else None.
    line_prior: (line statistics, strength) for the structured sampler (line_prior.py), or
    None."""
    vocab = {c: i for i, c in enumerate(chars)}
    if sampler == "loop":
        return model.sample(sess, chars, vocab, num, prime, sampling_type, temperature,
                            rng=np.random.RandomState(seed)), None
    if sampler == "structured":
        return StructuredSampler(model, sess, chars, line_prior).sample(
            num, prime, sampling_type, temperature, seed)
    return graph_sampler.sample(sess, num, prime, sampling_type, temperature, seed), None


# ---------------------------------------------------------------- structured

class StructuredSampler(object):
    """Constrained decoding: the model's next-character distribution times abc_mask's
    allowed characters (and, with a line prior, its weights on the note letters),
    renormalised, one character per session.run."""

    def __init__(self, model, sess, chars, line_prior=None):
        import abc_mask
        self.abc_mask = abc_mask
        self.prior = None
        if line_prior is not None and line_prior[1] > 0:
            from line_prior import LinePrior
            self.prior = LinePrior(line_prior[0], line_prior[1], list(chars))
        self._index(chars)
        # the keys the model was trained in, the degrees its pieces alter and how often
        # they write each meter and key (train.py stores them); else any the mask knows
        self.grammar = {"keys": getattr(model.args, "trained_keys", None),
                        "altered_degrees": getattr(model.args, "altered_degrees", None),
                        "header_counts": getattr(model.args, "header_counts", None)}
        missing = sorted(abc_mask.REQUIRED - set(chars))
        if missing:
            raise ValueError("the model's vocabulary cannot write the tune structure: it has "
                             "no %s" % " ".join(repr(c) for c in missing))
        self.step = self._build_step(model, sess)
        self.zero = np.zeros((1, 2 * model.args.num_layers * model.args.rnn_size), np.float32)

    def _index(self, chars):
        """The vocabulary's lookups: chars, vocab, the ids fed to the step, the accidentals'."""
        self.chars, self.vocab = list(chars), {c: i for i, c in enumerate(chars)}
        self.ids = {c: np.array([i], np.int32) for c, i in self.vocab.items()}
        self.accidental_ids = [(c, self.vocab[c]) for c in self.abc_mask.ACCIDENTAL_STARTS
                               if c in self.vocab]
        self.masks = {}

    @staticmethod
    def _build_step(model, sess):
        """step(char id array [1], packed state, temperature) -> (probs, packed state): one
        step of the model's cell on its own variables (lstm_step), added to the restored
        graph; a callable, so each run costs little more than its arithmetic."""
        layers, size = model.args.num_layers, model.args.rnn_size
        with sess.graph.as_default(), tf.name_scope("structured_sampler"):
            char = tf.placeholder(tf.int32, [1])
            packed = tf.placeholder(tf.float32, [1, 2 * layers * size])
            temperature = tf.placeholder(tf.float32, [])
            parts = tf.split(packed, 2 * layers, axis=1)
            h, state = lstm_step(model, table=False)(char, tuple(
                (parts[2 * k], parts[2 * k + 1]) for k in range(layers)))
            logits = (tf.matmul(h, model.softmax_w) + model.softmax_b) / temperature
            probs = tf.nn.softmax(logits)[0]
            new_packed = tf.concat([t for pair in state for t in pair], 1)
        # Session.make_callable with feeds falls back to Session.run, whose Python costs
        # more than a 64-unit step; the callable behind it runs the step directly.
        from tensorflow.core.protobuf.config_pb2 import CallableOptions
        options = CallableOptions(feed=[char.name, packed.name, temperature.name],
                                  fetch=[probs.name, new_packed.name])
        return sess._make_callable_from_options(options)

    def mask_of(self, allowed):
        """1.0 for each allowed character's id, 0.0 elsewhere (cached per set)."""
        mask = self.masks.get(allowed)
        if mask is None:
            mask = np.zeros(len(self.chars), np.float64)
            mask[[self.vocab[c] for c in allowed]] = 1.0
            self.masks[allowed] = mask
        return mask

    def new_tune(self, prime, grammar=None):
        """A mask (StructureMask's settings: `grammar`, else its defaults) that has read
        `prime`; ValueError if the prime already breaks the rules."""
        mask = self.abc_mask.StructureMask(self.chars, **dict(self.grammar, **(grammar or {})))
        if self.prior:
            self.prior.new_tune()
        for k, char in enumerate(prime):
            try:
                self.feed(mask, char)
            except self.abc_mask.NotAllowed as e:
                raise ValueError("the prime breaks the tune structure at character %d (%s)"
                                 % (k + 1, e))
        return mask

    def feed(self, mask, char):
        mask.feed(char)
        if self.prior:
            self.prior.feed(char, mask)

    def sample(self, num, prime, sampling_type, temperature, seed):
        """Tunes after `prime` (the start of a tune, e.g. 'X:') until at least `num`
        characters are written and the tune is finished. Returns (text, stats)."""
        mask = self.new_tune(prime)
        rng = np.random.RandomState(seed)
        state, temperature = self.zero, np.float32(temperature)
        ids = self.ids
        for char in prime[:-1]:
            state = self.step(ids[char], state, temperature)[1]
        text, tunes, weak = list(prime), 0, 0
        while True:
            probs, state = self.step(ids[text[-1]], state, temperature)
            p = probs * self.mask_of(mask.allowed())
            mass = p.sum()
            weak += mass < WEAK_MASS
            if mass <= 0:  # the model gives every allowed character ~0: any of them
                p = self.mask_of(mask.allowed()).copy()
            self._weigh(p, mask, state, temperature)
            if draws_next(sampling_type, text[-1], text[-2] if len(text) > 1 else ""):
                choice = int(np.searchsorted(np.cumsum(p), rng.rand() * p.sum()))
            else:
                choice = int(np.argmax(p))
            text.append(self.chars[min(choice, len(self.chars) - 1)])
            self.feed(mask, text[-1])
            if mask.finished:
                tunes += 1
                if len(text) - len(prime) >= num:
                    break
                mask = self.new_tune("")
        kept = len(text) - len(prime)
        return "".join(text), {"drawn": kept, "kept": kept, "tunes": tunes,
                                "weak_steps": int(weak)}

    def _weigh(self, p, mask, state, temperature):
        """`p`, the model's masked probabilities (`state`: the state they came with), in
        place: in a counted header field (M:, K:), the training tunes' shares instead;
        each accidental that may start a note times the model's probability, one step on,
        of a letter the mask then allows (so an accidental leads only to notes written as
        the corpus writes them, in the model's proportions; those under LOOKAHEAD_SHARE as
        they are), then the line prior's weights."""
        shares = mask.header_shares()
        if shares:  # the model confuses M: with L: (and writes 12/8 for 3/4)
            p[:] = 0.0
            for char, count in shares.items():
                p[self.vocab[char]] = count
            return p
        least = LOOKAHEAD_SHARE * p.sum()
        for accidental, i in self.accidental_ids:
            letters = mask.letters_after(accidental) if p[i] > least else None
            if letters is not None:
                p[i] *= float(np.dot(self.step(self.ids[accidental], state, temperature)[0],
                                     self.mask_of(letters)))
        if self.prior:
            self.prior.reweigh(p, mask)
        if not p.sum() > 0:  # the step ahead left nothing: any allowed character
            p += self.mask_of(mask.allowed())
        return p

    def score(self, tunes, grammar):
        """(bits, plain bits, characters): what the sampler's distribution (the mask, with
        the settings `grammar`, and the line prior) and the model's own spend on the
        characters of `tunes` after their first, as far as the mask reads each; every tune
        from the zero state."""
        bits = plain = 0.0
        count = 0
        for tune in tunes:
            mask, state = self.new_tune(tune[0], grammar), self.zero
            for prev, char in zip(tune, tune[1:]):
                if mask.finished or char not in mask.allowed():
                    break
                probs, state = self.step(self.ids[prev], state, np.float32(1.0))
                p = self._weigh(probs * self.mask_of(mask.allowed()), mask, state,
                                np.float32(1.0))
                bits -= np.log2(max(p[self.vocab[char]] / p.sum(), TINY))
                plain -= np.log2(max(float(probs[self.vocab[char]]), TINY))
                count += 1
                self.feed(mask, char)
        return float(bits), float(plain), count


# ---------------------------------------------------------------- graph

class GraphSampler(object):
    """All characters in one session.run: a tf.while_loop over the cell, drawing from the
    same softmax with the same temperature and sampling types as Model.sample. Build it on
    an inference Model before the session restores the checkpoint."""

    def __init__(self, model, chars):
        self.chars = list(chars)
        self.vocab = {c: i for i, c in enumerate(chars)}
        self.prime = tf.placeholder(tf.int32, [None], name="sampler_prime")
        self.num = tf.placeholder(tf.int32, [], name="sampler_num")
        self.sampling_type = tf.placeholder(tf.int32, [], name="sampler_type")
        self.seed = tf.placeholder(tf.int32, [], name="sampler_seed")
        self.temperature = model.temperature
        with tf.name_scope("sampler"):
            self.output = self._build(model)

    def sample(self, sess, num, prime, sampling_type=1, temperature=1.0, seed=0):
        """prime + `num` characters; `seed` makes the draw reproducible."""
        ids = sess.run(self.output, {
            self.prime: [self.vocab[c] for c in prime], self.num: num,
            self.sampling_type: sampling_type, self.temperature: temperature, self.seed: seed})
        return prime + "".join(self.chars[i] for i in ids)

    def _tables(self):
        """Per-character lookups: 1 where the next character is drawn (by sampling type),
        1 where a tie mark forbids the draw (type 3 only)."""
        draw_next = tf.cast(tf.equal(self.sampling_type, 1), tf.float32) + tf.zeros(
            [len(self.chars)])
        for kind, after in sorted(DRAW_AFTER.items()):
            draw_next += tf.cast(tf.equal(self.sampling_type, kind), tf.float32) * tf.constant(
                [float(c in after) for c in self.chars])
        keep_tie = tf.cast(tf.equal(self.sampling_type, 3), tf.float32) * tf.constant(
            [float(c == TIE) for c in self.chars])
        return draw_next, keep_tie

    def _build(self, model):
        step, state = lstm_step(model), None
        prime_len = tf.shape(self.prime)[0]
        state = tuple((tf.zeros([1, model.args.rnn_size]),) * 2
                      for _ in range(model.args.num_layers))

        def prime_step(i, state):
            _, state = step(tf.reshape(self.prime[i], [1]), state)
            return i + 1, state

        _, state = tf.while_loop(lambda i, _: i < prime_len - 1, prime_step,
                                 (tf.constant(0), state), back_prop=False,
                                 parallel_iterations=1)
        softmax_w = model.softmax_w / self.temperature
        softmax_b = model.softmax_b / self.temperature
        draw_next, keep_tie = self._tables()
        vocab_size = len(self.chars)

        def body(i, prev_id, char_id, state, out):
            # GRAPH_UNROLL characters per iteration: the loop's own bookkeeping ops cost
            # as much as a character's arithmetic, so they run less often.
            # The draw is Gumbel-max: argmax(logits + Gumbel noise) is distributed as
            # softmax(logits), and noise times 0 gives the most likely character.
            uniform = tf.random.stateless_uniform(
                [GRAPH_UNROLL, vocab_size], tf.stack([self.seed, i]),
                minval=np.finfo(np.float32).tiny, maxval=1.0)
            noise = tf.unstack(-tf.log(-tf.log(uniform)))
            ids = []
            for k in range(GRAPH_UNROLL):
                h, state = step(char_id, state)
                logits = tf.matmul(h, softmax_w) + softmax_b
                draw = tf.gather(draw_next, char_id) * (1.0 - tf.gather(keep_tie, prev_id))
                logits += noise[k] * draw
                prev_id, char_id = char_id, tf.argmax(logits, 1, output_type=tf.int32)
                ids.append(char_id)
            return i + 1, prev_id, char_id, state, out.write(i, tf.concat(ids, 0))

        steps = (self.num + GRAPH_UNROLL - 1) // GRAPH_UNROLL
        out = tf.TensorArray(tf.int32, size=steps, element_shape=[GRAPH_UNROLL])
        before_last = tf.reshape(self.prime[tf.maximum(prime_len - 2, 0)], [1])
        _, _, _, _, out = tf.while_loop(
            lambda i, *_: i < steps, body,
            (tf.constant(0), before_last, tf.reshape(self.prime[-1], [1]), state, out),
            back_prop=False, parallel_iterations=1)
        return tf.reshape(out.stack(), [-1])[:self.num]


def lstm_step(model, table=True):
    """One step of the model's MultiRNNCell of BasicLSTMCells, on their own variables, with
    BasicLSTMCell's forget_bias (1.0) folded into the bias. With `table`, the input half of
    the first kernel and the first bias become a per-character table, computed once per
    session.run: worth it for a loop of many steps in one run, not for one step a run.
    Returns step(char_id, state) -> (h, state)."""
    size = model.args.rnn_size
    kernels, biases = cell_weights(model)
    forget = tf.constant([0.0] * (2 * size) + [1.0] * size + [0.0] * size)
    biases = [b + forget for b in biases]
    if table:
        first_table = tf.matmul(model.embedding, kernels[0][:size]) + biases[0]
    else:
        def first_table_rows(char_id):
            return tf.matmul(tf.gather(model.embedding, char_id), kernels[0][:size]) + biases[0]
    first_recurrent = kernels[0][size:]

    def step(char_id, state):
        x, new_state = None, []
        for layer, (c, h) in enumerate(state):
            if layer == 0:
                inputs = tf.gather(first_table, char_id) if table else first_table_rows(char_id)
                gates = inputs + tf.matmul(h, first_recurrent)
            else:
                gates = tf.matmul(tf.concat([x, h], 1), kernels[layer]) + biases[layer]
            i, _, f, o = tf.split(tf.sigmoid(gates), 4, axis=1)
            j = tf.tanh(gates[:, size:2 * size])
            c = c * f + i * j
            h = tf.tanh(c) * o
            new_state.append((c, h))
            x = h
        return x, tuple(new_state)
    return step


def cell_weights(model):
    """Each layer's kernel and bias, found by name (the same on both TensorFlow lines)."""
    by_name = {v.op.name: v for v in model.model_variables}
    kernels, biases = [], []
    for layer in range(model.args.num_layers):
        prefix = "rnnlm/multi_rnn_cell/cell_%d/basic_lstm_cell/" % layer
        kernels.append(by_name[prefix + "kernel"])
        biases.append(by_name[prefix + "bias"])
    return kernels, biases
