"""The model's LSTM cells: the chapter's BasicLSTMCell, or the same cell run as one fused op.

Both hold the same variables under the same names and shapes,
.../basic_lstm_cell/kernel [input + units, 4 units] and .../basic_lstm_cell/bias [4 units],
with the gates in the same order (input, candidate, forget, output) and the forget bias
(1.0) added at run time, so a checkpoint trained with one cell loads into the other.

The fused cell runs TensorFlow's BlockLSTM op: it is in core TensorFlow on both lines (1.15
and 2.x) and, unlike LSTMBlockCell, has its gradient registered there, so the tf.compat.v1
graph trains with tf.gradients on both. The model runs it over the whole sequence, one op a
layer and group of rows (run_fused), in training and sampling alike; BlockLSTMCell builds
the variables, and its one-op step serves code that calls the cell itself (tests, a
MultiRNNCell step).
run_fused reads the cells' private _cells, _kernel, _bias and _forget_bias (the same on both
TensorFlow lines; tests/test_lstm_cells.py fails if they move).
"""
import os
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


def fused_groups():
    """How many row groups run_fused splits a batch into: one per core this process may
    use (at most 8). One BlockLSTM op keeps about one core busy (its matmuls are too small
    to split well), and independent ops run side by side: on 2 cores, 2 groups take the
    block cell from 1.09 to 1.81 times the basic cell's speed on TF 2.21
    (bach/EXPERIMENTS.md, "The fused cell")."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return max(1, min(len(usable) if usable else os.cpu_count() or 1, 8))


def _fused_layer(x, c, h, cell):
    """One BlockLSTM op over the time-major `x`: (outputs h [steps, rows, units], final c,
    final h)."""
    no_peephole = tf.zeros([cell._num_units], dtype=x.dtype)
    fused = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(x)[0], tf.int64), x=x, cs_prev=c, h_prev=h,
        w=cell._kernel, wci=no_peephole, wcf=no_peephole, wco=no_peephole, b=cell._bias,
        forget_bias=cell._forget_bias, cell_clip=-1.0, use_peephole=False)
    return fused.h, fused.cs[-1], fused.h[-1]


def run_fused(sequence, initial_state, multi_cell, scope, groups=1):
    """The block cells' layers over a whole time-major `sequence` [steps, rows, input], one
    BlockLSTM op a layer (not one a step): (outputs [steps, rows, units], final state), what
    rnn_decoder gives for a MultiRNNCell of BlockLSTMCells, its outputs stacked. Time-major
    is the op's own order: the caller builds the sequence so, which spares transposing it
    (and its gradient) both ways. With `groups` > 1 the rows are split into that many
    groups, as even as the batch allows, one op each, which TensorFlow runs side by side:
    the rows of an LSTM never meet. A batch to train on needs at least `groups` rows: on
    both TensorFlow lines an op given no rows gets a wrong gradient (its outputs are right,
    so fewer rows are fine where nothing is trained).

    The cells are first called once on the first step, in `scope`, as rnn_decoder does: that
    builds their variables under the same names, in the same order, with the same initial
    values as the basic cell's on TF 2.x (that step's ops are never run; TF 1.15 seeds an op
    by the count of ops before it, which differs)."""
    with tf.variable_scope(scope):
        multi_cell(sequence[0], initial_state)
    x, state = sequence, []
    rows = tf.shape(x)[1]
    sizes = tf.stack([(rows + groups - 1 - k) // groups for k in range(groups)])

    def split(value, axis):
        return tf.split(value, sizes, axis=axis, num=groups) if groups > 1 else [value]
    for cell, (c, h) in zip(multi_cell._cells, initial_state):
        parts = [_fused_layer(xg, cg, hg, cell)
                 for xg, cg, hg in zip(split(x, 1), split(c, 0), split(h, 0))]
        x = tf.concat([p[0] for p in parts], 1) if groups > 1 else parts[0][0]
        final_c, final_h = ([tf.concat([p[k] for p in parts], 0) for k in (1, 2)]
                            if groups > 1 else parts[0][1:])
        state.append(tf.nn.rnn_cell.LSTMStateTuple(final_c, final_h))
    return x, tuple(state)


def make_lstm_cell(kind, num_units):
    """An LSTM cell of `num_units`: kind 'basic' (the chapter's) or 'block' (fused)."""
    if kind not in CELLS:
        raise ValueError("unknown cell %r: choose one of %s" % (kind, ", ".join(CELLS)))
    with warnings.catch_warnings():  # TF 2.x: "BasicLSTMCell is deprecated": known
        warnings.simplefilter("ignore")
        if kind == "block":
            return BlockLSTMCell(num_units)
        return tf.nn.rnn_cell.BasicLSTMCell(num_units, state_is_tuple=True)

