"""The chapter's char-RNN: embedding -> stacked BasicLSTMCells -> softmax over characters.

Runs on tf.compat.v1 graphs under TensorFlow 1.15 and 2.x. Variable names do not depend on
the TensorFlow line, so checkpoints move between them:
rnnlm/embedding, rnnlm/softmax_w, rnnlm/softmax_b,
rnnlm/multi_rnn_cell/cell_<i>/basic_lstm_cell/{kernel,bias}.
"""
import numpy as np

from lstm_cells import fused_groups, make_lstm_cell, run_fused
from tfcompat import tf_v1

tf = tf_v1()

# Sampling types that draw only after these characters and take the most likely otherwise:
# 2 after a space or newline (char-rnn-tensorflow's), 3 after a bar line or newline, so
# bars tend to come whole from the model and the choices fall between them.
# Type 3 also keeps a tie ("A4-|") whole: no draw after a bar line that follows "-".
DRAW_AFTER = {2: " \n", 3: "|\n"}
TIE = "-"


def rnn_decoder(decoder_inputs, initial_state, cell, scope=None):
    """tf.contrib.legacy_seq2seq.rnn_decoder (contrib is gone from TensorFlow): run `cell`
    over the inputs. (The chapter's loop_function, for sampling, never ran: sampling feeds
    one character at a time.)"""
    with tf.variable_scope(scope or "rnn_decoder"):
        state, outputs = initial_state, []
        for i, inp in enumerate(decoder_inputs):
            if i > 0:
                tf.get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
    return outputs, state


def time_major(args):
    """Whether the model takes its characters step by step, not row by row: the block cell's
    fused op does, and the ids, logits and losses follow it, so that only the int ids and
    the losses are transposed, not the float sequence (and its gradient) in and out."""
    return getattr(args, "cell", "basic") == "block"


def run_cells(args, embedded, inputs, initial_state, cell, infer):
    """The cells over the sequence: (outputs, one a character in `embedded`'s order, final
    state). `inputs` are the basic cell's steps of `embedded`; the fused op takes it whole."""
    if time_major(args):  # one fused op a layer, not a step
        groups = 1 if infer else min(fused_groups(), args.batch_size)  # batches to train on
        outputs, last_state = run_fused(embedded, initial_state, cell, "rnnlm", groups)
        return outputs, last_state
    outputs, last_state = rnn_decoder(inputs, initial_state, cell, scope="rnnlm")
    return tf.concat(outputs, 1), last_state  # was concat(1, outputs)


def sequence_loss_by_example(logits, targets, weights):
    """tf.contrib.legacy_seq2seq.sequence_loss_by_example: the weighted cross-entropy of each
    example, averaged over the time steps."""
    crossent = [w * tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t, logits=lg)
                for lg, t, w in zip(logits, targets, weights)]
    return tf.add_n(crossent) / (tf.add_n(weights) + 1e-12)


def row_by_row(values, steps):
    """Time-major `values`, one per character, in row by row order."""
    return tf.reshape(tf.transpose(tf.reshape(values, [steps, -1])), [-1])


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

        # One cell object per layer: the chapter's [cell] * num_layers shares a single cell,
        # which TF 1.x rejects and TF 2.x with tf-keras turns into tied weights.
        # Either cell kind holds the same variables (lstm_cells.py); checkpoints move freely.
        cells = [make_lstm_cell(getattr(args, "cell", "basic"), args.rnn_size)
                 for _ in range(args.num_layers)]
        by_step = time_major(args)
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
                ids = tf.transpose(self.input_data) if by_step else self.input_data
                embedded = tf.nn.embedding_lookup(embedding, ids)
                # Before the cells' variables in either graph: TF 2.x seeds them by how many
                # random ops came before.
                if not infer:
                    embedded = tf.nn.dropout(embedded, rate=1.0 - self.keep_prob)
                # The chapter's tf.split(1, n, x) + squeeze: that argument order is gone.
                inputs = None if by_step else tf.unstack(embedded, axis=1)
        self.embedding, self.softmax_w, self.softmax_b = embedding, softmax_w, softmax_b

        outputs, last_state = run_cells(args, embedded, inputs, self.initial_state, cell, infer)
        output = tf.reshape(outputs, [-1, args.rnn_size])
        if not infer:
            output = tf.nn.dropout(output, rate=1.0 - self.keep_prob)
        self.logits = tf.matmul(output, softmax_w) + softmax_b
        self.probs = tf.nn.softmax(self.logits / self.temperature)
        targets = tf.transpose(self.targets) if by_step else self.targets
        loss = sequence_loss_by_example([self.logits],
                                        [tf.reshape(targets, [-1])],
                                        [tf.ones([rows * seq_length])])
        # nats, one per character of the batch, row by row
        self.char_losses = row_by_row(loss, seq_length) if by_step else loss
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

    def batch_losses(self, sess, batches):
        """For each of `batches` [(x, y, weights)] (TextLoader.val_batches), run in turn from
        the zero state with the state carried on: (nats of each character, row by row, y,
        weights)."""
        state = self.zero_state_value(batches[0][0].shape[0])
        for x, y, weights in batches:
            feed = {self.input_data: x, self.targets: y}
            feed.update(self.state_feed(state))
            losses, state = sess.run([self.char_losses, self.final_state], feed)
            yield losses, y, weights

    def mean_loss(self, sess, batches):
        """Nats per character over `batches` (batch_losses); weights count characters."""
        total = count = 0.0
        for losses, _, weights in self.batch_losses(sess, batches):
            total += float(np.dot(losses, weights.ravel()))
            count += float(weights.sum())
        return total / count

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
