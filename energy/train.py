"""Chapter 7, example 1: forecast one client's electricity load with stacked LSTMs.

A port of the chapter's `CH7_time_series.py` (contrib.learn Estimator, removed from
TensorFlow) to plain `tf.compat.v1` graphs that run unchanged on TensorFlow 1.15 and 2.x:
windows of 5 normalised values, `BasicLSTMCell`s in a `MultiRNNCell` unrolled with
`static_rnn`, a linear regression head, Adagrad, validation every 100 steps with early
stopping, then `MSE: ...` on the test part, beside simple baselines on the same targets.

    python energy/train.py                      # the chapter (--preset chapter)
    python energy/train.py --preset best        # the tuned LSTM (energy/EXPERIMENTS.md)
    python energy/train.py --split year         # train 2011-2013, test all of 2014
    python energy/train.py --restore ops_logs   # forecast from the newest checkpoint
"""

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The chapter's names and defaults.
LOG_DIR = "ops_logs"
TIMESTEPS = 5
RNN_LAYERS = [{"steps": TIMESTEPS}]
DENSE_LAYERS = None
TRAINING_STEPS = 10000
BATCH_SIZE = 100
PRINT_STEPS = TRAINING_STEPS // 100
EARLY_STOPPING_ROUNDS = 1000
LEARNING_RATE = 0.03
NORM_MEAN, NORM_SCALE = 147.0, 339.0

DEFAULT_DATA = os.path.join("data", "elec_load.csv")
# The source: one value every 15 minutes from 2011-01-01 00:15 to 2015-01-01 00:00.
SLOTS_PER_DAY = 96
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
START = "2011-01-01 00:15"  # a Saturday
DAYS_BEFORE_2014 = 365 + 366 + 365  # 2011, 2012 (leap year), 2013
YEAR_VALIDATION_DAYS = 56  # --split year validates on the last 8 weeks of 2013
FEATURES = ("load", "tod", "dow", "day", "week", "days")
FEATURE_COLUMNS = {"tod": 2, "dow": 7, "days": 7}  # the others are one column
# --target: the model learns the target minus the value this many steps before it
# (None: the horizon, i.e. the last input), and that value is added back to its output.
TARGET_LAGS = {"value": 0, "residual_last": None, "residual_day": SLOTS_PER_DAY,
               "residual_week": SLOTS_PER_WEEK}

PRESETS = {
    # Chapter: RNN_LAYERS [{'steps': 5}], no dense layers, Adagrad 0.03, batch 100, 10000 steps.
    "chapter": dict(
        timesteps=TIMESTEPS,
        rnn_layers=[layer["steps"] for layer in RNN_LAYERS],  # units of each BasicLSTMCell
        dense_layers=DENSE_LAYERS or [],
        features=["load"],
        keep_prob=1.0,
        optimizer="adagrad",
        learning_rate=LEARNING_RATE,
        batch_size=BATCH_SIZE,
        steps=TRAINING_STEPS,
        norm="chapter",
        target="value",
        lr_decay=1.0,
    ),
    # Found with the validation part only; energy/EXPERIMENTS.md has the runs.
    "best": dict(
        timesteps=16,
        rnn_layers=[32],
        dense_layers=[],
        features=["load", "tod", "days"],
        keep_prob=1.0,
        optimizer="adam",
        learning_rate=0.001,
        batch_size=BATCH_SIZE,
        steps=TRAINING_STEPS,
        norm="train",
        target="value",
        lr_decay=1.0,
    ),
}
# Every MSE printed or saved is in the chapter's units, ((forecast - true) / 339) ** 2,
# whatever --norm the model trains with, so figures stay comparable.
METRIC_SCALE = NORM_SCALE


class UserError(Exception):
    """A problem the user can fix; main() prints it as one line and exits with code 2."""


class PresetHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Flags a preset fills in say so instead of "(default: None)"."""

    def _get_help_string(self, action):
        if action.default is None and action.dest in PRESETS["chapter"]:
            return (action.help or "") + " (default: from --preset)"
        return super()._get_help_string(action)


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, "%s: error: %s\n" % (self.prog, message))


# ---------------------------------------------------------------------------------- data


def resolve_data_path(path):
    """A relative path is looked up from the current directory, then from the repo root."""
    if os.path.isabs(path) or os.path.exists(path):
        return path
    from_root = os.path.join(ROOT, path)
    return from_root if os.path.exists(from_root) else path


def load_series(path):
    """Returns (frame, loads as float64, count of malformed lines skipped)."""
    import pandas as pd

    if not os.path.isfile(path):
        raise UserError(
            "%s not found; run 'python data/fetch.py' (or 'python data/fetch.py "
            "--mirror DIR') first, or pass --data FILE" % path
        )
    try:
        # The chapter's error_bad_lines=False; pandas 1.3+ spells it on_bad_lines='skip'.
        frame = pd.read_csv(path, on_bad_lines="skip", skip_blank_lines=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise UserError(
            "%s is not a readable CSV (%s); expected a header 'Load' and one "
            "value a line" % (path, str(error).splitlines()[0])
        )
    with open(path, "rb") as handle:
        data_lines = sum(1 for line in handle if line.strip()) - 1
    skipped = max(0, data_lines - len(frame))
    if "Load" not in frame.columns:
        raise UserError(
            "%s has no 'Load' column (columns: %s); expected a CSV with header "
            "'Load'" % (path, ", ".join(map(str, frame.columns)) or "none")
        )
    column = pd.to_numeric(frame["Load"], errors="coerce")
    bad = column.isna() & frame["Load"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.values)[0])
        raise UserError(
            "%s: column 'Load' is not numeric (value %r in data row %d); fix or "
            "remove that row" % (path, frame["Load"].iloc[row], row + 1)
        )
    if column.isna().any():
        rows = np.flatnonzero(column.isna().values)
        raise UserError(
            "%s: column 'Load' has %d missing values (first in data row %d); "
            "fill or remove them" % (path, len(rows), rows[0] + 1)
        )
    if len(column) == 0:
        raise UserError("%s has no values under 'Load'" % path)
    return frame, column.values.astype(np.float64), skipped


def first_target(timesteps, horizon, features, target="value"):
    """Index of the first value that has a full window (and the lags it needs) before it."""
    base_lag = target_lag(target, horizon) - horizon
    lag = (
        SLOTS_PER_WEEK
        if "week" in features or "days" in features
        else SLOTS_PER_DAY
        if "day" in features
        else 0
    )
    return timesteps - 1 + max(horizon, lag, horizon + base_lag)


def target_lag(target, horizon):
    lag = TARGET_LAGS[target]
    return horizon if lag is None else lag


def target_base(series, targets, horizon, target):
    """What --target subtracts from each target (and adds back to the forecast): 0 for
    'value', else the value target_lag steps before the target."""
    targets = np.asarray(targets)
    if target == "value":
        return np.zeros(len(targets))
    return series[targets - target_lag(target, horizon)]


def split_targets(n_values, split, first):
    """Target indices of each part. The chapter's split is by window i (target i + 6):
    train windows 0-12000, test 12000-13000, validation 13000-14000; kept on the same targets
    whatever the window length. The year split uses the day of each value (index // 96:
    value k is the 15 minutes from 2011-01-01 00:00 + 15 k minutes)."""
    if split == "chapter":
        offset = TIMESTEPS - 1 + 2
        bounds = {"train": (0, 12000), "test": (12000, 13000), "val": (13000, 14000)}
        need = 14000 + offset
        if n_values < need:
            raise UserError(
                "the series has %d values; the chapter split needs at least %d "
                "(targets up to window 14000)" % (n_values, need)
            )
        parts = {name: np.arange(lo + offset, hi + offset) for name, (lo, hi) in bounds.items()}
    else:
        test_start = DAYS_BEFORE_2014 * SLOTS_PER_DAY
        val_start = test_start - YEAR_VALIDATION_DAYS * SLOTS_PER_DAY
        need = test_start + SLOTS_PER_WEEK
        if n_values < need:
            raise UserError(
                "the series has %d values; --split year needs the source's 4 years "
                "(at least %d values from 2011-01-01 00:15)" % (n_values, need)
            )
        parts = {
            "train": np.arange(0, val_start),
            "val": np.arange(val_start, test_start),
            "test": np.arange(test_start, n_values),
        }
    parts = {name: targets[targets >= first] for name, targets in parts.items()}
    if min(len(targets) for targets in parts.values()) == 0:
        raise UserError(
            "the windows are too long for this split (the first target is value "
            "%d); use a shorter --timesteps or fewer lag features" % first
        )
    return parts


def parse_start(text):
    """'YYYY-MM-DD HH:MM' on a quarter hour -> datetime (ValueError otherwise)."""
    start = datetime.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    if start.minute % 15:
        raise ValueError(text)
    return start


def slot_of_day(indices, start=START):
    """Quarter hour of the day (0-95) each value ends, value 0 ending at `start`."""
    first = parse_start(start)
    return (np.asarray(indices) + first.hour * 4 + first.minute // 15) % SLOTS_PER_DAY


def day_of_week(indices, start=START):
    """Monday 0 ... Sunday 6 of the quarter hour each value ends (midnight: the day before)."""
    first = parse_start(start)
    slots = np.asarray(indices) + first.hour * 4 + first.minute // 15 - 1
    return (first.weekday() + slots // SLOTS_PER_DAY) % 7


def make_windows(series, targets, timesteps, horizon, features, start=START):
    """Inputs [len(targets), timesteps, n_features] and targets [len(targets), 1].

    Step s of the window for target t holds value s (s = t - horizon - timesteps + 1 ...
    t - horizon), and optionally: the time of day of s (sin, cos), its day of the week
    (one-hot), the values one day and one week before s + horizon (at the last step: one day /
    one week before t), and the values 1, 2, ..., 7 days before s + horizon ("days").
    With the defaults this is the chapter's loop: inputs a[i:i+5], target a[i+6]."""
    targets = np.asarray(targets)
    steps = targets[:, None] - horizon - timesteps + 1 + np.arange(timesteps)[None, :]
    columns = []
    for name in features:
        if name == "load":
            columns.append(series[steps])
        elif name == "tod":
            angle = 2 * np.pi * slot_of_day(steps, start) / SLOTS_PER_DAY
            columns += [np.sin(angle), np.cos(angle)]
        elif name == "dow":
            weekday = day_of_week(steps, start)
            columns += [(weekday == d).astype(np.float64) for d in range(7)]
        elif name == "day":
            columns.append(series[steps + horizon - SLOTS_PER_DAY])
        elif name == "week":
            columns.append(series[steps + horizon - SLOTS_PER_WEEK])
        elif name == "days":
            columns += [series[steps + horizon - k * SLOTS_PER_DAY] for k in range(1, 8)]
    inputs = np.stack(columns, axis=-1).astype(np.float32)
    return inputs, series[targets].reshape(-1, 1).astype(np.float32)


# ------------------------------------------------------------------------------ baselines


def lag_matrix(series, targets, horizon, width):
    return series[np.asarray(targets)[:, None] - horizon - width + 1 + np.arange(width)]


def fit_ridge(series, train_targets, horizon, width, alpha):
    """Ridge regression on the last `width` values, from chunked normal equations (a
    100000 x 672 design matrix would not need to exist); intercept not penalised."""
    gram = np.zeros((width, width))
    cross = np.zeros(width)
    total_x = np.zeros(width)
    total_y = 0.0
    for lo in range(0, len(train_targets), 8192):
        chunk = train_targets[lo : lo + 8192]
        x = lag_matrix(series, chunk, horizon, width)
        y = series[chunk]
        gram += x.T @ x
        cross += x.T @ y
        total_x += x.sum(axis=0)
        total_y += y.sum()
    count = len(train_targets)
    mean_x, mean_y = total_x / count, total_y / count
    centred_gram = gram - count * np.outer(mean_x, mean_x)
    centred_cross = cross - count * mean_x * mean_y
    weights = np.linalg.solve(centred_gram + alpha * np.eye(width), centred_cross)
    return weights, mean_y - mean_x @ weights


def predict_linear(series, targets, horizon, width, weights, bias):
    out = np.empty(len(targets))
    for lo in range(0, len(targets), 8192):
        out[lo : lo + 8192] = (
            lag_matrix(series, targets[lo : lo + 8192], horizon, width) @ weights + bias
        )
    return out


def baseline_predictions(series, parts, horizon, ridge_alphas=(0.01, 0.1, 1.0, 10.0, 100.0)):
    """Forecasts of each baseline for the test targets, in the units of `series`, and the
    ridge alpha picked on the validation part."""
    from sklearn.linear_model import LinearRegression

    test, val = parts["test"], parts["val"]
    train = parts["train"]
    preds = {
        "persistence": series[test - horizon],
        "training_mean": np.full(len(test), series[train].mean()),
        "day_earlier": series[test - SLOTS_PER_DAY],
        "week_earlier": series[test - SLOTS_PER_WEEK],
    }
    rows = train[train - horizon - 4 >= 0]
    least_squares = LinearRegression().fit(lag_matrix(series, rows, horizon, 5), series[rows])
    preds["least_squares_5"] = least_squares.predict(lag_matrix(series, test, horizon, 5))
    rows = train[train - horizon - SLOTS_PER_WEEK + 1 >= 0]
    best = None
    for alpha in ridge_alphas:
        weights, bias = fit_ridge(series, rows, horizon, SLOTS_PER_WEEK, alpha)
        val_mse = np.mean(
            (predict_linear(series, val, horizon, SLOTS_PER_WEEK, weights, bias) - series[val]) ** 2
        )
        if best is None or val_mse < best[0]:
            best = (val_mse, alpha, weights, bias)
    preds["ridge_672"] = predict_linear(series, test, horizon, SLOTS_PER_WEEK, best[2], best[3])
    return preds, best[1]


# ------------------------------------------------------------------------------------ graph


@contextlib.contextmanager
def muted_stderr():
    """File descriptor 2 goes to /dev/null (C++ logging does not pass through sys.stderr)."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def setup_tensorflow(verbose):
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TF 2.16+: BasicLSTMCell needs tf-keras
    if verbose or "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import tensorflow.compat.v1 as tf
    else:
        # TF 2.x prints oneDNN/CUDA notices at import whatever the log level, then a cuInit
        # error per session at level 2: stderr is muted for the import, level 3 after it.
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        with muted_stderr():
            import tensorflow.compat.v1 as tf

    tf.logging.set_verbosity(tf.logging.INFO if verbose else tf.logging.ERROR)
    tf.disable_v2_behavior()
    return tf


class Graph(object):
    """The tensors and ops of one model; built once, fed numpy batches."""


def build_graph(tf, settings, seed=None):
    """The chapter's lstm_model: stacked BasicLSTMCells unrolled over the window (its
    tf.unstack + static_rnn), optional ReLU dense layers, a linear regression head, MSE."""
    g = Graph()
    g.graph = tf.Graph()
    with g.graph.as_default():
        if seed is not None:
            tf.set_random_seed(seed)
        n_features = settings["n_features"]
        # float32, not the chapter's float64: ample for a 5-unit LSTM, and faster on CPU.
        g.inputs = tf.placeholder(tf.float32, [None, settings["timesteps"], n_features], "inputs")
        g.targets = tf.placeholder(tf.float32, [None, 1], "targets")
        # TF 2.x warns that BasicLSTMCell and tf.layers are deprecated: known, and the point.
        with tf.variable_scope("lstm_model"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cells = [tf.nn.rnn_cell.BasicLSTMCell(units) for units in settings["rnn_layers"]]
            # The chapter's optional DropoutWrapper (its layer['keep_prob']), here off
            # outside training: the chapter's model_fn kept it on when predicting too.
            g.keep_prob = tf.placeholder_with_default(1.0, [], "keep_prob")
            if settings.get("keep_prob", 1.0) < 1.0:
                cells = [
                    tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=g.keep_prob)
                    for cell in cells
                ]
            stacked_lstm = tf.nn.rnn_cell.MultiRNNCell(cells)
            steps = tf.unstack(g.inputs, num=settings["timesteps"], axis=1)
            outputs, _ = tf.nn.static_rnn(stacked_lstm, steps, dtype=tf.float32)
            hidden = outputs[-1]
            for units in settings["dense_layers"]:
                hidden = tf.layers.dense(hidden, units, activation=tf.nn.relu)
            weights = tf.get_variable("weights", [hidden.shape[1], 1])
            bias = tf.get_variable("bias", [1], initializer=tf.zeros_initializer())
            g.prediction = tf.add(tf.matmul(hidden, weights), bias, name="prediction")
        g.loss = tf.reduce_mean(tf.square(g.prediction - g.targets), name="loss")
        g.global_step = tf.train.get_or_create_global_step()
        optimizers = {
            "adagrad": tf.train.AdagradOptimizer,
            "adam": tf.train.AdamOptimizer,
            "rmsprop": tf.train.RMSPropOptimizer,
            "sgd": tf.train.GradientDescentOptimizer,
        }
        learning_rate = settings["learning_rate"]
        if settings.get("lr_decay", 1.0) != 1.0:
            learning_rate = tf.train.exponential_decay(
                learning_rate, g.global_step, 1000, settings["lr_decay"]
            )
        optimizer = optimizers[settings["optimizer"]](learning_rate)
        g.train_op = optimizer.minimize(g.loss, global_step=g.global_step)
        g.model_vars = tf.trainable_variables()
        # Keeping the best weights in memory: assign ops fed from numpy copies.
        g.assign_feeds = [tf.placeholder(v.dtype.base_dtype, v.shape) for v in g.model_vars]
        g.assign_op = tf.group(*[v.assign(p) for v, p in zip(g.model_vars, g.assign_feeds)])
        g.init = tf.global_variables_initializer()
        g.saver = tf.train.Saver(
            g.model_vars + [g.global_step], max_to_keep=None, save_relative_paths=True
        )
    return g


def predict(session, g, inputs, batch=8192):
    return np.concatenate(
        [
            session.run(g.prediction, {g.inputs: inputs[lo : lo + batch]})
            for lo in range(0, len(inputs), batch)
        ]
        or [np.zeros((0, 1))]
    )


def mean_loss(session, g, inputs, targets):
    return float(np.mean((predict(session, g, inputs) - targets) ** 2))


def train_loop(
    session,
    g,
    data,
    settings,
    seed,
    eval_every=PRINT_STEPS,
    early_stopping=EARLY_STOPPING_ROUNDS,
    log=print,
    on_eval=None,
    loss_units=1.0,
):
    """The chapter's fit with its ValidationMonitor: minibatches drawn like contrib.learn's
    DataFeeder (a fresh random order of the training windows each epoch), validation every
    `eval_every` steps, stop after `early_stopping` steps without a better validation loss,
    then the best weights are put back. Returns the history of evaluations."""
    rng = np.random.RandomState(seed)
    x_train, y_train = data["train"]
    x_val, y_val = data["val"]
    batch = settings["batch_size"]
    keep_prob = settings.get("keep_prob", 1.0)
    order, cursor = rng.permutation(len(x_train)), 0
    history = {"step": [], "train_loss": [], "val_loss": []}
    best_loss, best_step, best_weights = np.inf, 0, None
    losses = []
    step = 0
    for step in range(1, settings["steps"] + 1):
        if cursor + batch > len(order):
            order, cursor = rng.permutation(len(x_train)), 0
        idx = order[cursor : cursor + batch]
        cursor += batch
        _, loss = session.run(
            [g.train_op, g.loss],
            {g.inputs: x_train[idx], g.targets: y_train[idx], g.keep_prob: keep_prob},
        )
        losses.append(loss)
        if eval_every and step % eval_every == 0:
            val_loss = mean_loss(session, g, x_val, y_val)
            history["step"].append(step)
            history["train_loss"].append(float(np.mean(losses)))
            history["val_loss"].append(val_loss)
            losses = []
            improved = val_loss < best_loss
            if improved:
                best_loss, best_step = val_loss, step
                best_weights = session.run(g.model_vars)
            if on_eval:
                on_eval(step, history["train_loss"][-1], val_loss)
            if step % (10 * eval_every) == 0:
                log(
                    "step %d/%d: training loss %.6f, validation loss %.6f (best %.6f at step %d)"
                    % (
                        step,
                        settings["steps"],
                        history["train_loss"][-1] * loss_units,
                        val_loss * loss_units,
                        best_loss * loss_units,
                        best_step,
                    )
                )
            if early_stopping and step - best_step >= early_stopping and step < settings["steps"]:
                log(
                    "early stopping at step %d: no better validation loss for %d steps"
                    % (step, early_stopping)
                )
                break
    if best_weights is not None:
        session.run(g.assign_op, dict(zip(g.assign_feeds, best_weights)))
    history.update(steps=step, best_step=best_step or step, best_val_loss=float(best_loss))
    return history


# ------------------------------------------------------------------------------ outputs


def atomic_write(path, text):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def save_checkpoint(session, g, logdir, run_id, step, settings):
    """Settings JSON first, then Saver's files under a name unique to this run; Saver updates
    the 'checkpoint' index (atomically) last, so an earlier checkpoint stays usable."""
    prefix = os.path.join(logdir, "model-%s" % run_id)
    path = "%s-%d" % (prefix, step)
    atomic_write(path + ".json", json.dumps(settings, indent=2, sort_keys=True) + "\n")
    session.run(g.global_step.assign(step))
    return g.saver.save(session, prefix, global_step=step)


def save_plots(logdir, raw, normalised, history, loss_units, predicted, actual, title):
    """The chapter's plots and two more; loss_units turns the losses into the chapter's units."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    paths = []

    def one(name, curves, xlabel, ylabel, plot_title):
        fig, ax = plt.subplots(figsize=(10, 4))
        for x, y, label in curves:
            ax.plot(x, y, label=label, linewidth=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(plot_title)
        ax.legend()
        fig.tight_layout()
        path = os.path.join(logdir, name)
        fig.savefig(path + ".tmp.png", dpi=100)
        plt.close(fig)
        os.replace(path + ".tmp.png", path)
        paths.append(path)

    first = np.arange(min(1500, len(raw)))
    one("load_raw.png", [(first, raw[first], "Load")], "value (15 min)", "kW", "First 1500 values")
    one(
        "load_normalised.png",
        [(first, normalised[first], "Normalized Load")],
        "value (15 min)",
        "normalised",
        "First 1500 values, normalised",
    )
    one(
        "loss.png",
        [
            (history["step"], np.multiply(history["train_loss"], loss_units), "training"),
            (history["step"], np.multiply(history["val_loss"], loss_units), "validation"),
        ],
        "step",
        "MSE (chapter's units)",
        "Loss per evaluation",
    )
    shown = np.arange(min(len(actual), 2000))
    one(
        "test_prediction.png",
        [(shown, actual[shown], "test"), (shown, predicted[shown], "predicted")],
        "test target (first %d of %d)" % (len(shown), len(actual)),
        "kW",
        title,
    )
    return paths


# --------------------------------------------------------------------------------- main


def parse_int_list(text, name, allow_empty):
    try:
        values = [int(part) for part in text.replace(" ", "").split(",") if part != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "%s must be comma-separated integers, e.g. 5,5; got %r" % (name, text)
        )
    if not values and not allow_empty:
        raise argparse.ArgumentTypeError("%s must name at least one layer, e.g. 5 or 5,5" % name)
    if any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError("%s sizes must be positive; got %r" % (name, text))
    return values


def build_parser():
    p = OneLineParser(description=__doc__.split("\n\n")[0], formatter_class=PresetHelp)
    p.add_argument("--data", default=DEFAULT_DATA, help="CSV with a 'Load' column")
    p.add_argument("--logdir", default=LOG_DIR, help="checkpoints, summaries, plots, metrics.json")
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="chapter",
        help="defaults for the flags below that are not given",
    )
    p.add_argument(
        "--split",
        choices=["chapter", "year"],
        default="chapter",
        help="chapter: windows 0-12000 / 12000-13000 / 13000-14000; "
        "year: train 2011-2013, validate the last 8 weeks of 2013, test 2014",
    )
    p.add_argument("--timesteps", type=int, help="values per input window (chapter: 5)")
    p.add_argument(
        "--horizon",
        type=int,
        default=2,
        help="forecast the value this many steps after the last input (chapter: 2, "
        "its target a[i+6] after inputs a[i:i+5])",
    )
    p.add_argument("--rnn_layers", help="LSTM units per stacked layer, e.g. 5 or 5,5 (chapter: 5)")
    p.add_argument("--dense_layers", help="ReLU layer sizes before the head, e.g. 16 ('' = none)")
    p.add_argument(
        "--features",
        help="comma list of per-step inputs: load, tod (time of day), dow (day of week), "
        "day and week (load one day / one week before), days (1..7 days before)",
    )
    p.add_argument(
        "--keep_prob",
        type=float,
        help="dropout on each LSTM layer's output while "
        "training (the chapter's keep_prob; 1: none)",
    )
    p.add_argument(
        "--optimizer", choices=["adagrad", "adam", "rmsprop", "sgd"], help="chapter: adagrad"
    )
    p.add_argument("--learning_rate", type=float, help="chapter: 0.03")
    p.add_argument(
        "--lr_decay", type=float, help="learning rate times this every 1000 steps (1: constant)"
    )
    p.add_argument("--batch_size", type=int, help="chapter: 100")
    p.add_argument("--steps", type=int, help="training steps (chapter: 10000)")
    p.add_argument("--eval_every", type=int, default=PRINT_STEPS, help="validate every N steps")
    p.add_argument(
        "--early_stopping",
        type=int,
        default=EARLY_STOPPING_ROUNDS,
        help="stop after N steps without a better validation loss (0: never)",
    )
    p.add_argument(
        "--norm",
        choices=["chapter", "train"],
        help="chapter: (x - norm_mean) / norm_scale; train: mean and std of the training part",
    )
    p.add_argument("--norm_mean", type=float, default=NORM_MEAN, help="for --norm chapter")
    p.add_argument("--norm_scale", type=float, default=NORM_SCALE, help="for --norm chapter")
    p.add_argument(
        "--target",
        choices=sorted(TARGET_LAGS),
        help="learn the value, or its change from the last input / one day / one week before",
    )
    p.add_argument("--seed", type=int, default=0, help="weights and minibatch order")
    p.add_argument("--no_plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--restore",
        metavar="DIR",
        help="no training: load the newest checkpoint in DIR and forecast the value "
        "after the last inputs of --data",
    )
    p.add_argument(
        "--start",
        default=START,
        help="'YYYY-MM-DD HH:MM' when the first value of --data ends (the source's: "
        "2011-01-01 00:15); only the tod and dow inputs use it",
    )
    p.add_argument("--verbose", action="store_true", help="TensorFlow's own log lines")
    return p


def resolve_settings(args, parser):
    """Preset defaults under the flags given; every check that needs no data."""
    preset = dict(PRESETS[args.preset])

    def pick(name, convert=None):
        value = getattr(args, name)
        if value is None:
            return preset[name]
        try:
            return convert(value) if convert else value
        except argparse.ArgumentTypeError as error:
            parser.error(str(error))

    settings = dict(
        timesteps=pick("timesteps"),
        horizon=args.horizon,
        rnn_layers=pick("rnn_layers", lambda t: parse_int_list(t, "--rnn_layers", False)),
        dense_layers=pick("dense_layers", lambda t: parse_int_list(t, "--dense_layers", True)),
        features=pick("features", parse_features),
        optimizer=pick("optimizer"),
        keep_prob=pick("keep_prob"),
        learning_rate=pick("learning_rate"),
        lr_decay=pick("lr_decay"),
        batch_size=pick("batch_size"),
        steps=pick("steps"),
        norm=pick("norm"),
        target=pick("target"),
        start=args.start,
    )
    for name in ("timesteps", "batch_size", "steps", "eval_every"):
        value = settings.get(name, getattr(args, name, None))
        if value is None or value <= 0:
            parser.error("--%s must be a positive integer; got %s" % (name, value))
    if not 1 <= args.horizon <= SLOTS_PER_DAY:
        parser.error(
            "--horizon must be between 1 and %d steps; got %d" % (SLOTS_PER_DAY, args.horizon)
        )
    if args.early_stopping < 0:
        parser.error(
            "--early_stopping must be 0 (off) or a positive number of steps; got %d"
            % args.early_stopping
        )
    if not 0 < settings["keep_prob"] <= 1:
        parser.error("--keep_prob must be in (0, 1]; got %s" % settings["keep_prob"])
    if not 0 < settings["lr_decay"] <= 1:
        parser.error("--lr_decay must be in (0, 1]; got %s" % settings["lr_decay"])
    if not settings["learning_rate"] > 0:
        parser.error("--learning_rate must be positive; got %s" % settings["learning_rate"])
    if args.norm_scale == 0 or not np.isfinite(args.norm_scale):
        parser.error("--norm_scale must be a non-zero number; got %s" % args.norm_scale)
    try:
        parse_start(args.start)
    except ValueError:
        parser.error(
            "--start must be 'YYYY-MM-DD HH:MM' on a quarter hour, e.g. '%s'; got %r"
            % (START, args.start)
        )
    settings["n_features"] = n_features(settings["features"])
    return settings


def n_features(features):
    return sum(FEATURE_COLUMNS.get(name, 1) for name in features)


def parse_features(text):
    names = [part for part in text.replace(" ", "").split(",") if part]
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            "--features takes a comma list of %s; got %r" % (", ".join(FEATURES), text)
        )
    return [name for name in FEATURES if name in names]


def normalisation(settings, args, raw, parts):
    if settings["norm"] == "train":
        history = raw[: parts["train"][-1] + 1]
        return float(history.mean()), float(history.std() or 1.0)
    return args.norm_mean, args.norm_scale


def run_training(args, settings):
    frame, raw, skipped = load_series(args.data)
    if skipped:
        print("skipped %d malformed lines of %s" % (skipped, args.data))
    print(frame.describe())
    first = first_target(
        settings["timesteps"], settings["horizon"], settings["features"], settings["target"]
    )
    parts = split_targets(len(raw), args.split, first)
    settings["norm_mean"], settings["norm_scale"] = normalisation(settings, args, raw, parts)
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    data = {
        name: make_windows(
            series,
            targets,
            settings["timesteps"],
            settings["horizon"],
            settings["features"],
            settings["start"],
        )
        for name, targets in parts.items()
    }
    bases = {
        name: target_base(series, targets, settings["horizon"], settings["target"])
        for name, targets in parts.items()
    }
    # The model learns target - base; the loss is unchanged by subtracting a known value.
    data = {name: (x, y - bases[name][:, None].astype(np.float32)) for name, (x, y) in data.items()}
    try:
        os.makedirs(args.logdir, exist_ok=True)
    except OSError as error:
        raise UserError(
            "cannot create the log dir %s (%s); pass --logdir DIR" % (args.logdir, error.strerror)
        )

    tf = setup_tensorflow(args.verbose)
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-%d" % os.getpid()
    g = build_graph(tf, settings, seed=args.seed)
    writer = tf.summary.FileWriter(os.path.join(args.logdir, "tensorboard", run_id), g.graph)

    loss_units = (settings["norm_scale"] / METRIC_SCALE) ** 2  # losses in the chapter's units

    def on_eval(step, train_loss, val_loss):
        train_loss, val_loss = train_loss * loss_units, val_loss * loss_units
        writer.add_summary(
            tf.Summary(
                value=[
                    tf.Summary.Value(tag="loss/training", simple_value=train_loss),
                    tf.Summary.Value(tag="loss/validation", simple_value=val_loss),
                ]
            ),
            step,
        )

    start = time.time()
    with tf.Session(
        graph=g.graph,
        config=tf.ConfigProto(inter_op_parallelism_threads=2, intra_op_parallelism_threads=2),
    ) as session:
        session.run(g.init)
        history = train_loop(
            session,
            g,
            data,
            settings,
            args.seed,
            args.eval_every,
            args.early_stopping,
            on_eval=on_eval,
            loss_units=loss_units,
        )
        seconds = time.time() - start
        writer.close()
        predicted_norm = predict(session, g, data["test"][0])[:, 0] + bases["test"]
        saved = save_checkpoint(
            session,
            g,
            args.logdir,
            run_id,
            history["best_step"],
            dict(settings, tensorflow_version=tf.__version__),
        )

    actual_kw = raw[parts["test"]]
    predicted_kw = predicted_norm * settings["norm_scale"] + settings["norm_mean"]

    def mse(pred_kw):
        return float(np.mean(((pred_kw - actual_kw) / METRIC_SCALE) ** 2))

    test_mse = mse(predicted_kw)
    val_mse = history["best_val_loss"] * loss_units
    print("MSE: %f" % test_mse)

    # Baselines train on the chapter's own windows, so they don't change with the LSTM's.
    baseline_parts = split_targets(
        len(raw), args.split, first_target(TIMESTEPS, settings["horizon"], ["load"])
    )
    # ...and on the chapter's normalisation, so ridge's alpha means the same in every run.
    chapter_series = (raw - NORM_MEAN) / METRIC_SCALE
    baseline_preds, ridge_alpha = baseline_predictions(
        chapter_series, baseline_parts, settings["horizon"]
    )
    baselines = {
        name: mse(pred * METRIC_SCALE + NORM_MEAN) for name, pred in baseline_preds.items()
    }
    print(
        "\n%-26s %12s %10s   (%d test targets, %s split, horizon %d)"
        % ("test part", "MSE", "RMSE kW", len(actual_kw), args.split, settings["horizon"])
    )
    rows = [("LSTM (%s preset)" % args.preset, test_mse)] + sorted(
        baselines.items(), key=lambda kv: -kv[1]
    )
    for name, value in rows:
        print("%-26s %12.6f %10.3f" % (name, value, np.sqrt(value) * METRIC_SCALE))
    beaten = [name for name, value in baselines.items() if value <= test_mse]
    print(
        "the LSTM beats %d of %d baselines%s"
        % (
            len(baselines) - len(beaten),
            len(baselines),
            "" if not beaten else " (not: %s)" % ", ".join(sorted(beaten)),
        )
    )

    metrics = dict(
        test_mse=test_mse,
        test_rmse_kw=float(np.sqrt(np.mean((predicted_kw - actual_kw) ** 2))),
        test_mae_kw=float(np.mean(np.abs(predicted_kw - actual_kw))),
        baselines=baselines,
        baselines_units="MSE of ((forecast - true) / 339) over the same test targets",
        ridge_alpha=ridge_alpha,
        steps=history["steps"],
        best_step=history["best_step"],
        best_val_mse=val_mse,
        seconds=round(seconds, 2),
        tensorflow_version=tf.__version__,
        preset=args.preset,
        split=args.split,
        seed=args.seed,
        test_targets=len(actual_kw),
        skipped_lines=skipped,
        checkpoint=saved,
        settings=settings,
    )
    atomic_write(
        os.path.join(args.logdir, "metrics.json"),
        json.dumps(metrics, indent=2, sort_keys=True) + "\n",
    )
    if not args.no_plots:
        save_plots(
            args.logdir,
            raw,
            (raw - NORM_MEAN) / NORM_SCALE,
            history,
            loss_units,
            predicted_kw,
            actual_kw,
            "Test part: LSTM MSE %.6f (%s preset)" % (test_mse, args.preset),
        )
    print(
        "trained %d steps in %.1f s; best validation MSE %.6f at step %d; checkpoint %s; "
        "plots and metrics.json in %s"
        % (history["steps"], seconds, val_mse, history["best_step"], saved, args.logdir)
    )
    return metrics


def restore_settings(directory):
    index = os.path.join(directory, "checkpoint")
    if not os.path.isfile(index):
        raise UserError(
            "no checkpoint in %s; train first: python energy/train.py --logdir %s"
            % (directory, directory)
        )
    with open(index) as handle:
        line = [text for text in handle if text.startswith("model_checkpoint_path:")]
    if not line:
        raise UserError("%s is not a TensorFlow checkpoint index; train again" % index)
    name = line[0].split(":", 1)[1].strip().strip('"')
    path = name if os.path.isabs(name) else os.path.join(directory, name)
    try:
        with open(path + ".json") as handle:
            return path, json.load(handle)
    except (OSError, ValueError):
        raise UserError(
            "the settings %s.json of the newest checkpoint are missing or unreadable; "
            "train again" % path
        )


def run_restore(args):
    path, settings = restore_settings(args.restore)
    _, raw, skipped = load_series(args.data)
    target_kind = settings.get("target", "value")  # checkpoints from before --target
    need = (
        first_target(settings["timesteps"], settings["horizon"], settings["features"], target_kind)
        - settings["horizon"]
        + 1
    )
    if len(raw) < need:
        raise UserError(
            "%s has %d values; this model needs the last %d" % (args.data, len(raw), need)
        )
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    target = len(raw) - 1 + settings["horizon"]
    padded = np.concatenate([series, np.zeros(settings["horizon"])])  # the unknown future
    inputs, _ = make_windows(
        padded,
        [target],
        settings["timesteps"],
        settings["horizon"],
        settings["features"],
        args.start,
    )
    tf = setup_tensorflow(args.verbose)
    g = build_graph(tf, settings)
    with tf.Session(graph=g.graph) as session:
        g.saver.restore(session, path)
        value = float(predict(session, g, inputs)[0, 0])
    value += float(target_base(padded, [target], settings["horizon"], target_kind)[0])
    kw = value * settings["norm_scale"] + settings["norm_mean"]
    when = parse_start(args.start) + datetime.timedelta(minutes=15 * target)
    print(
        "forecast for value %d (%d steps after the last of %d values of %s; %s if the first "
        "ends %s): %.3f kW (normalised %.6f), from %s"
        % (
            target,
            settings["horizon"],
            len(raw),
            args.data,
            when.strftime("%Y-%m-%d %H:%M"),
            args.start,
            kw,
            value,
            path,
        )
    )
    return kw


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.data = resolve_data_path(args.data)
    try:
        if args.restore:
            run_restore(args)
        else:
            run_training(args, resolve_settings(args, parser))
    except UserError as error:
        sys.stderr.write("error: %s\n" % error)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write(
            "interrupted; earlier checkpoints in %s are untouched\n" % (args.restore or args.logdir)
        )
        sys.exit(130)


if __name__ == "__main__":
    main()
