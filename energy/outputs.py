"""What a run leaves behind: checkpoints and their settings, plots, metrics.json, and the
results table it prints. Every file is written to a temporary name and renamed, so a failed
or interrupted run never leaves a half-written file or breaks an earlier checkpoint."""

import hashlib
import json
import os

import numpy as np

from runtime import UserError
from series import METRIC_SCALE


def write_atomically(path, write):
    """`write(temporary_path)` writes the file; then it replaces `path` in one step."""
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path, value):
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"

    def write(tmp):
        with open(tmp, "w") as handle:
            handle.write(text)

    write_atomically(path, write)


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def cached_json(directory, key, compute):
    """compute()'s JSON value, computed once per `key` (a JSON value naming everything the
    result depends on) and kept in DIRECTORY/cache-<sha256 of key>.json."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode("utf-8")).hexdigest()
    path = os.path.join(directory, "cache-%s.json" % digest[:16])
    try:
        cached = read_json(path)
        if cached.get("key") == key:
            return cached["value"]
    except (OSError, ValueError, AttributeError):
        pass
    value = compute()
    os.makedirs(directory, exist_ok=True)
    write_json(path, {"key": key, "value": value})
    return value


# --------------------------------------------------------------------------- checkpoints


def save_checkpoint(session, g, logdir, run_id, step, settings):
    """Settings JSON first, then Saver's files under a name unique to this run; Saver updates
    the 'checkpoint' index (atomically) last, so an earlier checkpoint stays usable."""
    prefix = os.path.join(logdir, "model-%s" % run_id)
    write_json("%s-%d.json" % (prefix, step), settings)
    session.run(g.global_step.assign(step))
    return g.saver.save(session, prefix, global_step=step)


def newest_checkpoint(directory):
    """(path prefix, saved settings) of the newest checkpoint in `directory`."""
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
        return path, read_json(path + ".json")
    except (OSError, ValueError):
        raise UserError(
            "the settings %s.json of the newest checkpoint are missing or unreadable; "
            "train again" % path
        )


# ---------------------------------------------------------------------------------- plots


def save_plot(path, curves, xlabel, ylabel, title, log_y=False):
    """One line plot of (x, y, label) curves, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    for x, y, label in curves:
        ax.plot(x, y, label=label, linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log_y:
        ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    try:
        write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    finally:
        plt.close(fig)
    return path


def save_plots(logdir, raw, normalised, history, loss_units, predicted, actual, title):
    """The chapter's plots and two more; loss_units turns the losses into the chapter's units."""
    first = np.arange(min(1500, len(raw)))
    shown = np.arange(min(len(actual), 2000))
    losses = [
        (history["step"], np.multiply(history["train_loss"], loss_units), "training"),
        (history["step"], np.multiply(history["val_loss"], loss_units), "validation"),
    ]
    plots = [
        ("load_raw.png", [(first, raw[first], "Load")], "value (15 min)", "kW",
         "First 1500 values"),
        ("load_normalised.png", [(first, normalised[first], "Normalized Load")],
         "value (15 min)", "normalised", "First 1500 values, normalised"),
        ("loss.png", losses, "step", "MSE (chapter's units)", "Loss per evaluation"),
        ("test_prediction.png",
         [(shown, actual[shown], "test"), (shown, predicted[shown], "predicted")],
         "test target (first %d of %d)" % (len(shown), len(actual)), "kW", title),
    ]
    return [save_plot(os.path.join(logdir, name), *rest) for name, *rest in plots]


def save_forecast_plot(path, last_week_kw, forecast_kw, title):
    """The last week of data, then the forecast, against hours from the last value."""
    hours_before = (np.arange(len(last_week_kw)) - len(last_week_kw) + 1) / 4.0
    hours_after = np.arange(1, len(forecast_kw) + 1) / 4.0
    curves = [(hours_before, last_week_kw, "data (last week)"),
              (hours_after, forecast_kw, "forecast")]
    return save_plot(path, curves, "hours after the last value", "kW", title)


def save_horizon_plot(path, errors, title):
    """MSE against steps ahead, one line per model, on a log scale (persistence grows 100-fold
    over a day)."""
    curves = [(np.arange(1, len(mse) + 1), mse, name) for name, mse in sorted(errors.items())]
    return save_plot(path, curves, "steps ahead (15 min each)", "MSE (chapter's units, log)",
                     title, log_y=True)


# -------------------------------------------------------------------------------- figures


def mse_in_chapter_units(predicted_kw, actual_kw):
    return float(np.mean(((predicted_kw - actual_kw) / METRIC_SCALE) ** 2))


def results_table(lstm_name, lstm_mse, baselines, n_targets, split, horizon):
    """The printed table: the LSTM, then the baselines from worst to best, and a verdict."""
    lines = [
        "\n%-26s %12s %10s   (%d test targets, %s split, horizon %d)"
        % ("test part", "MSE", "RMSE kW", n_targets, split, horizon)
    ]
    rows = [(lstm_name, lstm_mse)] + sorted(baselines.items(), key=lambda kv: -kv[1])
    for name, value in rows:
        lines.append("%-26s %12.6f %10.3f" % (name, value, np.sqrt(value) * METRIC_SCALE))
    beaten = sorted(name for name, value in baselines.items() if value <= lstm_mse)
    lines.append(
        "the LSTM beats %d of %d baselines%s"
        % (len(baselines) - len(beaten), len(baselines),
           " (not: %s)" % ", ".join(beaten) if beaten else "")
    )
    return "\n".join(lines)
