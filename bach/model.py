"""The chapter's char-RNN: embedding -> stacked BasicLSTMCells -> softmax over characters.

Runs on tf.compat.v1 graphs under TensorFlow 1.15 and 2.x. Variable names do not depend on
the TensorFlow line, so checkpoints move between them:
rnnlm/embedding, rnnlm/softmax_w, rnnlm/softmax_b,
rnnlm/multi_rnn_cell/cell_<i>/basic_lstm_cell/{kernel,bias}.
"""
import numpy as np

from lstm_cells import make_lstm_cell
from tfcompat import tf_v1

tf = tf_v1()

# Sampling types that draw only after these characters and take the most likely otherwise:
# 2 after a space or newline (char-rnn-tensorflow's), 3 after a bar line or newline, so
# bars tend to come whole from the model and the choices fall between them.
# Type 3 also keeps a tie ("A4-|") whole: no draw after a bar line that follows "-".
DRAW_AFTER = {2: " \n", 3: "|\n"}
TIE = "-"
SAMPLER_UNROLL = 8  # characters per tf.while_loop iteration in the in-graph sampler


def rnn_decoder(decoder_inputs, initial_state, cell, loop_function=None, scope=None):
    """tf.contrib.legacy_seq2seq.rnn_decoder (contrib is gone from TensorFlow): run `cell`
    over the inputs; with `loop_function`, each input after the first is computed from the
    previous output instead."""
    with tf.variable_scope(scope or "rnn_decoder"):
        state, outputs, prev = initial_state, [], None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with tf.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                tf.get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


def sequence_loss_by_example(logits, targets, weights):
    """tf.contrib.legacy_seq2seq.sequence_loss_by_example: the weighted cross-entropy of each
    example, averaged over the time steps."""
    crossent = [w * tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t, logits=l)
                for l, t, w in zip(logits, targets, weights)]
    return tf.add_n(crossent) / (tf.add_n(weights) + 1e-12)


def weighted_pick(weights, rng=np.random):
    """The chapter's draw: an index with probability proportional to its weight."""
    t = np.cumsum(weights)
    s = np.sum(weights)
    return int(np.searchsorted(t, rng.rand() * s))  # rand(1): NumPy 2 refuses int() of an array


class Model():
    def __init__(self, args, infer=False):
        self.args = args
        # Sampling feeds one character at a time (the chapter overwrote args for this).
        # Training leaves the batch dimension open so validation can use fewer rows.
        batch_size = 1 if infer else None
        seq_length = 1 if infer else args.seq_length
        self.infer = infer

        # One cell object per layer: the chapter's [cell] * num_layers shares a single cell,
        # which TF 1.x rejects and TF 2.x with tf-keras turns into tied weights.
        # Either cell kind holds the same variables (lstm_cells.py); checkpoints move freely.
        cells = [make_lstm_cell(getattr(args, "cell", "basic"), args.rnn_size)
                 for _ in range(args.num_layers)]
        self.cell = cell = tf.nn.rnn_cell.MultiRNNCell(cells, state_is_tuple=True)

        self.input_data = tf.placeholder(tf.int32, [batch_size, seq_length], name="input_data")
        self.targets = tf.placeholder(tf.int32, [batch_size, seq_length], name="targets")
        rows = tf.shape(self.input_data)[0]
        self.initial_state = cell.zero_state(rows, tf.float32)
        # Sampling temperature; 1 is the chapter's plain softmax.
        self.temperature = tf.placeholder_with_default(1.0, [], name="temperature")
        # Dropout on the cells' input and output (not the recurrent state); train.py feeds
        # its --keep_prob to training steps only, so validation and sampling see all units.
        self.keep_prob = tf.placeholder_with_default(1.0, [], name="keep_prob")

        with tf.variable_scope("rnnlm"):
            softmax_w = tf.get_variable("softmax_w", [args.rnn_size, args.vocab_size])
            softmax_b = tf.get_variable("softmax_b", [args.vocab_size])
            with tf.device("/cpu:0"):
                embedding = tf.get_variable("embedding", [args.vocab_size, args.rnn_size])
                # The chapter's tf.split(1, n, x) + squeeze: that argument order is gone.
                embedded = tf.nn.embedding_lookup(embedding, self.input_data)
                if not infer:
                    embedded = tf.nn.dropout(embedded, rate=1.0 - self.keep_prob)
                inputs = tf.unstack(embedded, axis=1)
        self.embedding, self.softmax_w, self.softmax_b = embedding, softmax_w, softmax_b

        def loop(prev, _):
            prev = tf.matmul(prev, softmax_w) + softmax_b
            prev_symbol = tf.stop_gradient(tf.argmax(prev, 1))
            return tf.nn.embedding_lookup(embedding, prev_symbol)

        outputs, last_state = rnn_decoder(inputs, self.initial_state, cell,
                                          loop_function=loop if infer else None, scope="rnnlm")
        output = tf.reshape(tf.concat(outputs, 1), [-1, args.rnn_size])  # was concat(1, outputs)
        if not infer:
            output = tf.nn.dropout(output, rate=1.0 - self.keep_prob)
        self.logits = tf.matmul(output, softmax_w) + softmax_b
        self.probs = tf.nn.softmax(self.logits / self.temperature)
        loss = sequence_loss_by_example([self.logits],
                                        [tf.reshape(self.targets, [-1])],
                                        [tf.ones([rows * seq_length])])
        self.cost = tf.reduce_sum(loss) / tf.cast(rows, tf.float32) / seq_length
        self.final_state = last_state
        self.lr = tf.Variable(0.0, trainable=False, name="learning_rate")
        self.global_step = tf.Variable(0, trainable=False, name="global_step", dtype=tf.int64)
        self.model_variables = tf.trainable_variables()
        if infer:
            return
        grads, _ = tf.clip_by_global_norm(tf.gradients(self.cost, self.model_variables),
                                          args.grad_clip)
        optimizer = tf.train.AdamOptimizer(self.lr)
        self.train_op = optimizer.apply_gradients(zip(grads, self.model_variables),
                                                  global_step=self.global_step)

    def zero_state_value(self, rows):
        """The value of initial_state for a batch of `rows`: zeros, as the chapter starts."""
        zeros = np.zeros((rows, self.args.rnn_size), dtype=np.float32)
        return tuple(tf.nn.rnn_cell.LSTMStateTuple(zeros, zeros) for _ in self.initial_state)

    def state_feed(self, state):
        """The feed that sets initial_state to `state` (a value fetched from final_state)."""
        feed = {}
        for (c, h), value in zip(self.initial_state, state):
            feed[c] = value.c
            feed[h] = value.h
        return feed

    def sample(self, sess, chars, vocab, num=200, prime="X:1\n", sampling_type=1,
               temperature=1.0, rng=None):
        """The chapter's sampler: one session.run per character.

        sampling_type 0 takes the most likely character, 1 draws every character (the
        chapter), 2 draws only after a space or newline and takes the most likely otherwise.
        """
        rng = rng or np.random
        state = self.zero_state_value(1)  # the chapter ran new zero_state ops every call
        x = np.zeros((1, 1), dtype=np.int32)
        for char in prime[:-1]:
            x[0, 0] = vocab[char]
            feed = {self.input_data: x, self.initial_state: state}
            [state] = sess.run([self.final_state], feed)

        ret = prime
        char = prime[-1]
        for n in range(num):
            x[0, 0] = vocab[char]
            feed = {self.input_data: x, self.initial_state: state, self.temperature: temperature}
            [probs, state] = sess.run([self.probs, self.final_state], feed)
            p = probs[0]
            # The chapter ignored sampling_type; these are char-rnn-tensorflow's meanings.
            if sampling_type == 0 or (sampling_type in DRAW_AFTER and (
                    char not in DRAW_AFTER[sampling_type]
                    or (sampling_type == 3 and ret[-2:-1] == TIE))):
                sample = int(np.argmax(p))
            else:
                sample = weighted_pick(p, rng)
            pred = chars[sample]
            ret += pred
            char = pred
        return ret

    def build_sampler(self, chars, with_states=False):
        """The in-graph sampler: all characters in one session.run (a tf.while_loop over the
        cell), drawing from the same softmax with the same temperature and sampling types.
        Call once, on an `infer` model, before the session restores the checkpoint.
        with_states: it can also start from a given state (`sampler_state`, the cells' c
        and h side by side) and returns, for each character it drew, the state that goes
        with it as the next input (`sampler_states`): what the checked sampler needs to go
        back to any point."""
        args = self.args
        self.sampler_prime = tf.placeholder(tf.int32, [None], name="sampler_prime")
        self.sampler_num = tf.placeholder(tf.int32, [], name="sampler_num")
        self.sampler_type = tf.placeholder(tf.int32, [], name="sampler_type")
        self.sampler_seed = tf.placeholder(tf.int32, [], name="sampler_seed")
        kernels, biases = self._cell_weights()
        size = args.rnn_size

        with tf.name_scope("sampler"):
            # Everything that does not change between steps is computed once, outside the
            # loop, so each step runs as few ops as possible: BasicLSTMCell's forget_bias
            # (1.0) is folded into the bias, the input half of the first kernel and the
            # first bias into a per-character table, the temperature into the softmax weights.
            forget = tf.constant([0.0] * (2 * size) + [1.0] * size + [0.0] * size)
            biases = [b + forget for b in biases]
            first_table = tf.matmul(self.embedding, kernels[0][:size]) + biases[0]
            first_recurrent = kernels[0][size:]
            kernels = [tf.identity(k) for k in kernels]
            softmax_w = self.softmax_w / self.temperature
            softmax_b = self.softmax_b / self.temperature
            # Per character: 1 if the next one is drawn, 0 if the most likely is taken.
            draw_next = tf.cast(tf.equal(self.sampler_type, 1), tf.float32) + tf.zeros([len(chars)])
            for kind, after in sorted(DRAW_AFTER.items()):
                draw_next += tf.cast(tf.equal(self.sampler_type, kind), tf.float32) * tf.constant(
                    [float(c in after) for c in chars])
            # 1 where a tie mark forbids the draw (type 3 only), looked up by the previous id.
            keep_tie = tf.cast(tf.equal(self.sampler_type, 3), tf.float32) * tf.constant(
                [float(c == TIE) for c in chars])

            def lstm(char_id, state):
                """One step of the MultiRNNCell of BasicLSTMCells, on their own variables."""
                x, new_state = None, []
                for layer, (c, h) in enumerate(state):
                    if layer == 0:
                        gates = tf.gather(first_table, char_id) + tf.matmul(h, first_recurrent)
                    else:
                        gates = tf.matmul(tf.concat([x, h], 1), kernels[layer]) + biases[layer]
                    i, _, f, o = tf.split(tf.sigmoid(gates), 4, axis=1)
                    j = tf.tanh(gates[:, size:2 * size])
                    c = c * f + i * j
                    h = tf.tanh(c) * o
                    new_state.append((c, h))
                    x = h
                return x, tuple(new_state)

            packed_size = 2 * size * args.num_layers
            self.sampler_state = tf.placeholder_with_default(
                tf.zeros([1, packed_size]), [1, packed_size], name="sampler_state")
            parts = tf.split(self.sampler_state, 2 * args.num_layers, axis=1)
            state = tuple((parts[2 * k], parts[2 * k + 1]) for k in range(args.num_layers))
            prime_len = tf.shape(self.sampler_prime)[0]

            def prime_step(i, state):
                _, state = lstm(tf.reshape(self.sampler_prime[i], [1]), state)
                return i + 1, state

            _, state = tf.while_loop(lambda i, _: i < prime_len - 1, prime_step,
                                     (tf.constant(0), state), back_prop=False, parallel_iterations=1)

            def step(i, prev_id, char_id, state, out, states_out):
                # SAMPLER_UNROLL characters per iteration: the loop's own bookkeeping ops
                # cost as much as a character's arithmetic, so they run less often.
                # The draw is Gumbel-max: argmax(logits + Gumbel noise) is distributed as
                # softmax(logits), and noise times 0 gives the most likely character.
                uniform = tf.random.stateless_uniform(
                    [SAMPLER_UNROLL, self.args.vocab_size], tf.stack([self.sampler_seed, i]),
                    minval=np.finfo(np.float32).tiny, maxval=1.0)
                noise = tf.unstack(-tf.log(-tf.log(uniform)))
                ids, states = [], []
                for k in range(SAMPLER_UNROLL):
                    h, state = lstm(char_id, state)
                    if with_states:
                        states.append(tf.concat([t for pair in state for t in pair], 1))
                    logits = tf.matmul(h, softmax_w) + softmax_b
                    draw = tf.gather(draw_next, char_id) * (1.0 - tf.gather(keep_tie, prev_id))
                    logits += noise[k] * draw
                    prev_id, char_id = char_id, tf.argmax(logits, 1, output_type=tf.int32)
                    ids.append(char_id)
                if with_states:
                    states_out = states_out.write(i, tf.concat(states, 0))
                return i + 1, prev_id, char_id, state, out.write(i, tf.concat(ids, 0)), states_out

            steps = (self.sampler_num + SAMPLER_UNROLL - 1) // SAMPLER_UNROLL
            out = tf.TensorArray(tf.int32, size=steps, element_shape=[SAMPLER_UNROLL])
            states_out = tf.TensorArray(tf.float32, size=steps if with_states else 0,
                                        element_shape=[SAMPLER_UNROLL, packed_size])
            before_last = self.sampler_prime[tf.maximum(prime_len - 2, 0)]
            # The character before the prime's last, when the prime is one character and
            # the state is given (it decides sampling type 3's draw after a tied bar line).
            self.sampler_before = tf.placeholder_with_default(
                tf.reshape(before_last, [1]), [1], name="sampler_before")
            _, _, _, _, out, states_out = tf.while_loop(
                lambda i, *_: i < steps, step,
                (tf.constant(0), self.sampler_before,
                 tf.reshape(self.sampler_prime[-1], [1]), state, out, states_out),
                back_prop=False, parallel_iterations=1)
            self.sampler_output = tf.reshape(out.stack(), [-1])[:self.sampler_num]
            if with_states:
                self.sampler_states = tf.reshape(states_out.stack(),
                                                 [-1, packed_size])[:self.sampler_num]

    def _cell_weights(self):
        """Each layer's kernel and bias, found by name (the same on both TensorFlow lines)."""
        by_name = {v.op.name: v for v in self.model_variables}
        kernels, biases = [], []
        for layer in range(self.args.num_layers):
            prefix = "rnnlm/multi_rnn_cell/cell_%d/basic_lstm_cell/" % layer
            kernels.append(by_name[prefix + "kernel"])
            biases.append(by_name[prefix + "bias"])
        return kernels, biases

    def sample_fast(self, sess, chars, vocab, num=200, prime="X:1\n", sampling_type=1,
                    temperature=1.0, seed=0):
        """Like sample(), in one session.run; `seed` makes the draw reproducible."""
        ids = sess.run(self.sampler_output, {
            self.sampler_prime: [vocab[c] for c in prime], self.sampler_num: num,
            self.sampler_type: sampling_type, self.temperature: temperature,
            self.sampler_seed: seed})
        return prime + "".join(chars[i] for i in ids)

    def sample_checked(self, sess, chars, vocab, num=200, prime="X:1\n", sampling_type=1,
                       temperature=1.0, seed=0):
        """Like sample_fast, but each tune's header, bars and lines must pass
        abc_bars.TuneChecker; what fails is drawn again (checked_sampler.py). Needs
        build_sampler(chars, with_states=True). Returns (text, stats)."""
        from checked_sampler import CheckedSampler
        sampler = CheckedSampler(self, sess, chars, vocab, sampling_type, temperature, seed)
        return sampler.run(prime, num)

    def step_state(self, sess, char_id, packed_state):
        """The sampler's packed state (the cells' c and h side by side) after one more
        character, run through the chapter's one-step graph."""
        parts = np.split(packed_state, 2 * len(self.initial_state), axis=1)
        feed = {self.input_data: [[char_id]]}
        for k, (c, h) in enumerate(self.initial_state):
            feed[c], feed[h] = parts[2 * k], parts[2 * k + 1]
        state = sess.run(self.final_state, feed)
        return np.concatenate([t for pair in state for t in pair], axis=1)
