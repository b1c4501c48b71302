"""Training steps per second: this port's tf.compat.v1 graph against Keras 3 `model.fit`.

Both sides train the chapter's network (one LSTM of 5 units over 5 steps, a linear head,
MSE, Adagrad 0.03, batch 100) on the same 12000 windows of a synthetic daily load curve
(speed does not depend on the values), on this machine, in one run. The graph side runs
lstm_model.py's own training loop in this process; the Keras side runs in a subprocess,
because Keras 3 and the tf-keras that TF_USE_LEGACY_KERAS=1 selects cannot share one.
Both skip their first steps (graph building, tracing), then time --repeats windows of --steps
steps; the fastest window of each side counts (the CPUs are shared). The ratio comes last.

    python energy/bench.py               # 3 x 3000 timed steps each side
"""

import argparse
import json
import os
import subprocess
import sys
import time

from runtime import exit_unless_supported_python, setup_tensorflow

exit_unless_supported_python()  # before numpy: an unserved Python has none installed

import numpy as np  # noqa: E402

from lstm_model import build_graph, train_loop  # noqa: E402
from settings import PRESETS, OneLineParser  # noqa: E402

TRAIN_WINDOWS = 12000


def synthetic_windows(seed=0):
    """The chapter's windows (5 inputs, target 2 steps on) over a noisy daily curve."""
    rng = np.random.RandomState(seed)
    n = TRAIN_WINDOWS + 6
    series = 0.3 * np.sin(2 * np.pi * np.arange(n) / 96.0) + 0.02 * rng.randn(n)
    inputs = np.stack([series[i : i + 5] for i in range(TRAIN_WINDOWS)])[:, :, None]
    targets = series[6 : 6 + TRAIN_WINDOWS, None]
    return inputs.astype(np.float32), targets.astype(np.float32)


def time_graph(steps, warmup, repeats, verbose=False):
    """Steps per second of lstm_model.py's training loop (validation off) on the chapter's
    graph, in each of `repeats` timed windows."""
    tf = setup_tensorflow(verbose)
    settings = dict(PRESETS["chapter"], horizon=2, n_features=1)
    inputs, targets = synthetic_windows()
    data = {"train": (inputs, targets), "val": (inputs[:100], targets[:100])}
    g = build_graph(tf, settings, seed=0)
    config = tf.ConfigProto(inter_op_parallelism_threads=2, intra_op_parallelism_threads=2)
    with tf.Session(graph=g.graph, config=config) as session:
        session.run(g.init)
        train_loop(
            session, g, data, dict(settings, steps=warmup), 0, eval_every=0, log=lambda *a: None
        )
        rates = []
        for repeat in range(repeats):
            start = time.time()
            train_loop(
                session,
                g,
                data,
                dict(settings, steps=steps),
                repeat,
                eval_every=0,
                log=lambda *a: None,
            )
            rates.append(steps / (time.time() - start))
    return rates, tf.__version__


def keras_worker(steps, warmup, repeats):
    """Runs in the subprocess: the same network in Keras 3, timed inside model.fit."""
    import keras

    if not keras.__version__.startswith("3"):
        print(json.dumps({"skip": "keras %s is not Keras 3" % keras.__version__}))
        return
    keras.utils.set_random_seed(0)
    inputs, targets = synthetic_windows()
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.LSTM(5), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.03), loss="mse")
    marks = []

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = 0

        def on_train_batch_end(self, batch, logs=None):
            self.seen += 1
            if self.seen >= warmup and (self.seen - warmup) % steps == 0:
                marks.append(time.time())
                if len(marks) == repeats + 1:
                    self.model.stop_training = True

    per_epoch = TRAIN_WINDOWS // 100
    epochs = -(-(warmup + repeats * steps) // per_epoch)
    model.fit(
        inputs, targets, batch_size=100, epochs=epochs, shuffle=True, verbose=0, callbacks=[Clock()]
    )
    print(
        json.dumps(
            {
                "rates": [steps / (b - a) for a, b in zip(marks, marks[1:])],
                "keras": keras.__version__,
                "backend": keras.backend.backend(),
            }
        )
    )


def time_keras(steps, warmup, repeats):
    env = dict(os.environ)
    env.pop("TF_USE_LEGACY_KERAS", None)  # Keras 3, not tf-keras
    env["KERAS_BACKEND"] = "tensorflow"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    proc = subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            "--keras_worker",
            "--steps",
            str(steps),
            "--warmup",
            str(warmup),
            "--repeats",
            str(repeats),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        env=env,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skip": "the Keras 3 side failed (%s)" % tail}
    return json.loads(lines[-1])


def main(argv=None):
    parser = OneLineParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3000, help="timed steps on each side")
    parser.add_argument("--warmup", type=int, default=200, help="untimed steps first")
    parser.add_argument(
        "--repeats", type=int, default=3, help="timed windows each side; the fastest counts"
    )
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--keras_worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps <= 0 or args.warmup <= 0 or args.repeats <= 0:
        parser.error("--steps, --warmup and --repeats must be positive")
    if args.keras_worker:
        keras_worker(args.steps, args.warmup, args.repeats)
        return

    graph_rates, tf_version = time_graph(args.steps, args.warmup, args.repeats, args.verbose)
    graph_rate = max(graph_rates)
    print(
        "tf.compat.v1 graph (energy/lstm_model.py loop), TensorFlow %s: %.0f steps/s (windows: %s)"
        % (tf_version, graph_rate, ", ".join("%.0f" % r for r in graph_rates))
    )
    if int(tf_version.split(".")[0]) < 2:
        print(
            "Keras 3 model.fit: skipped, the comparison needs TensorFlow 2.x (this is %s)"
            % tf_version
        )
        return
    keras_result = time_keras(args.steps, args.warmup, args.repeats)
    if "skip" in keras_result:
        print("Keras 3 model.fit: skipped, %s" % keras_result["skip"])
        return
    keras_rate = max(keras_result["rates"])
    print(
        "Keras %s model.fit (%s backend): %.0f steps/s (windows: %s)"
        % (
            keras_result["keras"],
            keras_result["backend"],
            keras_rate,
            ", ".join("%.0f" % r for r in keras_result["rates"]),
        )
    )
    print("ratio graph / Keras 3: %.2f" % (graph_rate / keras_rate))


if __name__ == "__main__":
    main()
