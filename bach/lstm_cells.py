"""The model's LSTM cells: the chapter's BasicLSTMCell, or the same cell run as one fused op.

Both hold the same variables under the same names and shapes,
.../basic_lstm_cell/kernel [input + units, 4 units] and .../basic_lstm_cell/bias [4 units],
with the gates in the same order (input, candidate, forget, output) and the forget bias
(1.0) added at run time, so a checkpoint trained with one cell loads into the other.

The fused cell runs TensorFlow's BlockLSTM op: it is in core TensorFlow on both lines (1.15
and 2.x) and, unlike LSTMBlockCell, has its gradient registered there, so the tf.compat.v1
graph trains with tf.gradients on both. The model runs it over the whole sequence, one op a
layer (run_fused), in training and sampling alike; BlockLSTMCell builds the variables, and
its one-op step serves code that calls the cell itself (tests, a MultiRNNCell step).
run_fused reads the cells' private _cells, _kernel, _bias and _forget_bias (the same on both
TensorFlow lines; tests/test_lstm_cells.py fails if they move).
"""
import warnings

from tfcompat import tf_v1

tf = tf_v1()

CELLS = ("basic", "block")


class BlockLSTMCell(tf.nn.rnn_cell.BasicLSTMCell):
    """BasicLSTMCell's variables (its build), one BlockLSTM op per step instead of a dozen."""

    def __init__(self, num_units):
        # The name fixes the variable scope to BasicLSTMCell's default one.
        super(BlockLSTMCell, self).__init__(num_units, forget_bias=1.0, state_is_tuple=True,
                                            name="basic_lstm_cell")

    def call(self, inputs, state):
        c, h = state
        no_peephole = tf.zeros([self._num_units], dtype=inputs.dtype)
        fused = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.constant(1, dtype=tf.int64), x=tf.expand_dims(inputs, 0),
            cs_prev=c, h_prev=h, w=self._kernel, wci=no_peephole, wcf=no_peephole,
            wco=no_peephole, b=self._bias, forget_bias=self._forget_bias,
            cell_clip=-1.0,  # the op clips the cell state at 3 unless told not to
            use_peephole=False)
        new_c, new_h = tf.squeeze(fused.cs, [0]), tf.squeeze(fused.h, [0])
        return new_h, tf.nn.rnn_cell.LSTMStateTuple(new_c, new_h)


def run_fused(sequence, initial_state, multi_cell, scope):
    """The block cells' layers over a whole batch-major `sequence` [rows, steps, input], one
    BlockLSTM op a layer (not one a step): (outputs [rows, steps, units], final state), what
    rnn_decoder gives for a MultiRNNCell of BlockLSTMCells.

    The cells are first called once on the first step, in `scope`, as rnn_decoder does: that
    builds their variables under the same names, in the same order, with the same initial
    values as the basic cell's (that step's ops are never run)."""
    with tf.variable_scope(scope):
        multi_cell(sequence[:, 0], initial_state)
    x, state = tf.transpose(sequence, [1, 0, 2]), []  # the op is time-major
    steps = tf.cast(tf.shape(x)[0], tf.int64)
    for cell, (c, h) in zip(multi_cell._cells, initial_state):
        no_peephole = tf.zeros([cell._num_units], dtype=x.dtype)
        fused = tf.raw_ops.BlockLSTM(
            seq_len_max=steps, x=x, cs_prev=c, h_prev=h, w=cell._kernel, wci=no_peephole,
            wcf=no_peephole, wco=no_peephole, b=cell._bias, forget_bias=cell._forget_bias,
            cell_clip=-1.0, use_peephole=False)
        x = fused.h
        state.append(tf.nn.rnn_cell.LSTMStateTuple(fused.cs[-1], fused.h[-1]))
    return tf.transpose(x, [1, 0, 2]), tuple(state)


def make_lstm_cell(kind, num_units):
    """An LSTM cell of `num_units`: kind 'basic' (the chapter's) or 'block' (fused)."""
    if kind not in CELLS:
        raise ValueError("unknown cell %r: choose one of %s" % (kind, ", ".join(CELLS)))
    with warnings.catch_warnings():  # TF 2.x: "BasicLSTMCell is deprecated": known
        warnings.simplefilter("ignore")
        if kind == "block":
            return BlockLSTMCell(num_units)
        return tf.nn.rnn_cell.BasicLSTMCell(num_units, state_is_tuple=True)

