"""bach/lstm_cells.py: the fused 'block' LSTM cell is the chapter's BasicLSTMCell, run faster.

Same outputs, states and gradients on the same weights; the same variables, so a checkpoint
trained with one cell samples with the other, on this TensorFlow line and (when
BACH_OTHER_PYTHON names the other line's interpreter, as .ci/run sets it) across lines.
Tiny tunes written here, tiny sizes, one epoch.
"""
import argparse
import json
import os
import re
import shutil

import numpy as np
import pytest

from conftest import OTHER_PYTHON, run_other, ROOT, load_script, call_main as call

TUNES = """X:1
T:Little Minuet
M:3/4
L:1/8
K:G
G2 B2 d2|c2 A2 F2|G4 B2|A6|d2 c2 B2|A2 G2 F2|G2 D2 B,2|G,6|

X:2
T:Short Gigue
M:6/8
L:1/8
K:D
d2f a2f|e2c A3|d2f a2g|f3 d3|B2d g2e|c2e a2f|d2c B2A|d6|
"""
TINY = ["--rnn_size", "16", "--batch_size", "4", "--seq_length", "10", "--save_every", "1000",
        "--learning_rate", "0.01", "--num_epochs", "1"]

generate_dataset = load_script("bach/generate_dataset.py")
tf = load_script("bach/tfcompat.py").tf_v1()
lstm_cells = load_script("bach/lstm_cells.py")


def train_here(base, cell, save_dir=None, extra=()):
    """A tiny model trained for one epoch in this process with --cell `cell`: its save dir
    and what train.py printed."""
    data_dir, save_dir = os.path.join(base, "data"), save_dir or os.path.join(base, "save_" + cell)
    if not os.path.isdir(data_dir):
        os.makedirs(data_dir)
        with open(os.path.join(data_dir, "input.txt"), "w", encoding="utf-8") as f:
            f.write(generate_dataset.generate(TUNES, count=12, seed=0))
    stdout, code = call(load_script("bach/train.py").main, [
        "--data_dir", data_dir, "--save_dir", save_dir, "--log_dir", os.path.join(base, "logs"),
        "--cell", cell, "--seed", "0"] + TINY + list(extra))
    assert code == 0, stdout
    return save_dir, stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny model trained with each cell, on the same data: {cell: (save dir, stdout)}."""
    base = str(tmp_path_factory.mktemp("cells"))
    return {cell: train_here(base, cell) for cell in lstm_cells.CELLS}


def with_cell(save_dir, cell, folder):
    """A copy of save_dir whose config.json asks for `cell`: what train.py --cell writes."""
    shutil.copytree(save_dir, folder)
    path = os.path.join(folder, "config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    config["cell"] = cell
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    return folder


def sample_here(save_dir, sampler="loop"):
    """The most likely 80 characters (--sample 0) by sample.py in this process."""
    stdout, code = call(load_script("bach/sample.py").main, [
        "--save_dir", save_dir, "-n", "80", "--sample", "0", "--sampler", sampler])
    assert code == 0, stdout
    return stdout


def step_by_step(cell, x, steps, state, scope):
    """(outputs, final state) of `cell` called once a step, as rnn_decoder does."""
    outputs = []
    with tf.variable_scope(scope) as scope:
        for step in range(steps):
            if step:
                scope.reuse_variables()
            output, state = cell(x[step], state)
            outputs.append(output)
    return outputs, state


def run_cells(kinds, steps, inputs, states):
    """Each kind's two-layer MultiRNNCell run over `steps` inputs in one graph, the block
    cells set to the basic cells' weights: {kind: (outputs, final state, gradients)}. Kind
    'fused' is the block cells run as the model runs them, one op a layer (run_fused);
    'fused2' the same with the rows split into two groups, one op each."""
    results = {}
    with tf.Graph().as_default():
        x = tf.constant(inputs)
        start = tuple(tf.nn.rnn_cell.LSTMStateTuple(tf.constant(c), tf.constant(h))
                      for c, h in states)
        fetches, weights = {}, {}
        for kind in kinds:
            cell = tf.nn.rnn_cell.MultiRNNCell([lstm_cells.make_lstm_cell(
                "basic" if kind == "basic" else "block", 8) for _ in range(2)])
            if kind.startswith("fused"):
                outputs, state = lstm_cells.run_fused(x, start, cell, scope=kind,
                                                      groups=int(kind[5:] or 1))
                outputs = tf.unstack(outputs)
            else:
                outputs, state = step_by_step(cell, x, steps, start, scope=kind)
            weights[kind] = sorted(tf.global_variables(kind), key=lambda v: v.op.name)
            # A loss that weighs every output and the final cell states differently.
            loss = sum(tf.reduce_sum(o * (k + 1.0)) for k, o in enumerate(outputs))
            loss += sum(tf.reduce_sum(tf.square(c)) for c, _ in state)
            fetches[kind] = (outputs, state, tf.gradients(loss, weights[kind] + [x]))
        with tf.Session() as sess:
            # Weights from a seeded generator alone (the initializer has no seed): large, so
            # the cell states leave the fused op's default clip range (3), biases not zero.
            rng = np.random.RandomState(1)
            values = [rng.randn(*v.shape.as_list()) * 0.6 for v in weights[kinds[0]]]
            for kind in kinds:
                for variable, value in zip(weights[kind], values):
                    variable.load(value, sess)
                results[kind] = sess.run(fetches[kind])
    return results


# ------------------------------------------------------------------ the cells themselves


@pytest.mark.slow
def test_block_cell_gives_the_basic_cells_outputs_states_and_gradients():
    rng = np.random.RandomState(0)
    steps, rows = 6, 3
    inputs = rng.randn(steps, rows, 5).astype(np.float32) * 2
    states = [(rng.randn(rows, 8).astype(np.float32) * 4, rng.randn(rows, 8).astype(np.float32))
              for _ in range(2)]
    results = run_cells(["basic", "block", "fused", "fused2"], steps, inputs, states)
    basic_out, basic_state, basic_grads = results["basic"]
    # The states left the op's default clip range (3): the block cell clips nothing either.
    assert max(np.abs(c).max() for c, _ in basic_state) > 3
    for kind in ("block", "fused", "fused2"):  # fused2: rows 2 + 1
        block_out, block_state, block_grads = results[kind]
        np.testing.assert_allclose(block_out, basic_out, atol=1e-5, rtol=1e-5)
        for (bc, bh), (c, h) in zip(block_state, basic_state):
            np.testing.assert_allclose(bc, c, atol=1e-5, rtol=1e-5)
            np.testing.assert_allclose(bh, h, atol=1e-5, rtol=1e-5)
        for block_grad, basic_grad in zip(block_grads, basic_grads):
            np.testing.assert_allclose(block_grad, basic_grad, atol=1e-4, rtol=1e-5)


@pytest.mark.slow
def test_both_cells_hold_the_same_variables_under_the_same_names():
    model = load_script("bach/model.py")
    shapes = {}
    for cell in lstm_cells.CELLS:
        args = argparse.Namespace(rnn_size=8, num_layers=2, vocab_size=5, seq_length=3,
                                  batch_size=2,
                                  grad_clip=5.0, cell=cell)
        with tf.Graph().as_default():
            model.Model(args)
            shapes[cell] = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    assert shapes["block"] == shapes["basic"]
    layer = "rnnlm/multi_rnn_cell/cell_1/basic_lstm_cell/"
    assert shapes["block"][layer + "kernel"] == [16, 32]
    assert shapes["block"][layer + "bias"] == [32]


@pytest.mark.slow
def test_the_block_model_gives_each_characters_loss_in_the_basic_models_order():
    # the block cell runs time-major; char_losses stays row by row, as the basic cell's
    model = load_script("bach/model.py")
    rng = np.random.RandomState(3)
    x, y = rng.randint(5, size=(3, 4)), rng.randint(5, size=(3, 4))
    losses, values = {}, None
    for cell in lstm_cells.CELLS:
        args = argparse.Namespace(rnn_size=8, num_layers=2, vocab_size=5, seq_length=4,
                                  batch_size=3, grad_clip=5.0, cell=cell)
        with tf.Graph().as_default():
            m = model.Model(args)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                if values is None:
                    values = {v.op.name: sess.run(v) for v in m.model_variables}
                for v in m.model_variables:
                    v.load(values[v.op.name], sess)
                losses[cell] = sess.run(m.char_losses, {m.input_data: x, m.targets: y})
    np.testing.assert_allclose(losses["block"], losses["basic"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(losses["basic"], losses["basic"].reshape(3, 4).T.ravel())


@pytest.mark.slow
def test_an_unknown_cell_kind_is_refused():
    with pytest.raises(ValueError, match="basic, block"):
        lstm_cells.make_lstm_cell("fused", 8)


# ------------------------------------------------------------- train.py --cell, checkpoints


@pytest.mark.slow
def test_train_learns_with_either_cell_and_stores_which(trained):
    for cell, (save_dir, stdout) in trained.items():
        losses = [float(x) for x in re.findall(r"train_loss = ([0-9.]+)", stdout)]
        assert len(losses) > 20 and np.mean(losses[-5:]) < np.mean(losses[:5]) - 0.3, (cell, losses)
        with open(os.path.join(save_dir, "config.json"), encoding="utf-8") as f:
            assert json.load(f)["cell"] == cell


@pytest.mark.slow
def test_a_checkpoint_trained_with_one_cell_samples_with_the_other(trained, tmp_path):
    """The chapter's loop sampler runs the cell; the in-graph sampler runs neither cell but
    reads the same variables by name: all of them take the same most likely path."""
    for trained_with, (save_dir, _) in trained.items():
        graph = sample_here(save_dir, sampler="graph")
        for cell in lstm_cells.CELLS:
            copy = with_cell(save_dir, cell, str(tmp_path / (trained_with + "_as_" + cell)))
            assert sample_here(copy) == graph, (trained_with, cell)


@pytest.mark.slow
def test_init_from_may_change_the_cell(trained, tmp_path):
    basic_dir = trained["basic"][0]
    resumed, stdout = train_here(os.path.dirname(basic_dir), "block", str(tmp_path / "resumed"),
                                 ["--init_from", basic_dir])
    assert "resuming from" in stdout
    with open(os.path.join(resumed, "config.json"), encoding="utf-8") as f:
        assert json.load(f)["cell"] == "block"


# ------------------------------------------------ checkpoints across TensorFlow lines


def sample_there(save_dir, sampler="loop"):
    proc = run_other(os.path.join(ROOT, "bach", "sample.py"), "--save_dir", save_dir,
                     "-n", "80", "--sample", "0", "--sampler", sampler)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(not OTHER_PYTHON, reason="set BACH_OTHER_PYTHON to the other TensorFlow "
                                             "line's python to test checkpoint portability")
@pytest.mark.slow
def test_checkpoints_cross_cells_and_tensorflow_lines(trained, tmp_path):
    """Trained here with the block cell, sampled there with each cell; trained there with
    the block cell, sampled here with each: the same most likely path everywhere."""
    block_here = trained["block"][0]
    expected = sample_here(block_here)
    for cell in lstm_cells.CELLS:
        copy = with_cell(block_here, cell, str(tmp_path / ("here_as_" + cell)))
        assert sample_there(copy) == expected, cell
    data_dir = os.path.join(os.path.dirname(block_here), "data")
    block_there = str(tmp_path / "save_there")
    proc = run_other(os.path.join(ROOT, "bach", "train.py"), "--data_dir", data_dir,
                     "--save_dir", block_there, "--log_dir", str(tmp_path / "logs"),
                     "--cell", "block", "--seed", "0", *TINY)
    assert proc.returncode == 0, proc.stderr[-2000:]
    expected = sample_there(block_there)
    for cell in lstm_cells.CELLS:
        copy = with_cell(block_there, cell, str(tmp_path / ("there_as_" + cell)))
        assert sample_here(copy) == expected, cell
