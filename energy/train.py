"""Chapter 7, example 1: forecast one client's electricity load with stacked LSTMs.

A port of the chapter's script (a contrib.learn Estimator, removed from TensorFlow) to plain
`tf.compat.v1` graphs that run unchanged on TensorFlow 1.15 and 2.x: windows of 5 normalised
values, `BasicLSTMCell`s in a `MultiRNNCell` unrolled with `static_rnn`, a linear regression
head, Adagrad, validation every 100 steps with early stopping, then `MSE: ...` on the test
part, beside simple baselines on the same targets.

    python energy/train.py                      # the chapter (--preset chapter)
    python energy/train.py --preset best        # the tuned LSTM (energy/EXPERIMENTS.md)
    python energy/train.py --split year         # train 2011-2013, test all of 2014
    python energy/train.py --restore ops_logs   # forecast from the newest checkpoint

The pieces: series.py (the CSV, calendar, splits, windows), lstm_model.py (the graph and the
training loop), baselines.py, settings.py (presets and flags), outputs.py (checkpoints,
plots, metrics.json), runtime.py (Python check, errors, TensorFlow set-up).
"""

import os
import sys
import time

from runtime import UserError, exit_unless_supported_python, setup_tensorflow

exit_unless_supported_python()  # before numpy: an unserved Python has none installed

import numpy as np  # noqa: E402

from baselines import (  # noqa: E402
    baseline_forecasts_kw,
    cached_boosting_forecasts,
    ridge_for_target_base,
)
from forecast import forecast_after, run_next_values  # noqa: E402
from lstm_model import build_graph, predict, train_loop  # noqa: E402
from outputs import (  # noqa: E402
    mse_in_chapter_units,
    newest_checkpoint,
    results_table,
    save_checkpoint,
    save_plots,
    write_json,
)
from series import (  # noqa: E402
    METRIC_SCALE,
    NORM_MEAN,
    NORM_SCALE,
    first_target,
    load_series,
    normalisation,
    resolve_data_path,
    split_targets,
    time_of_value,
    windows_and_bases,
)
from settings import build_parser, check_horizon, check_start, resolve_settings  # noqa: E402


def load(path):
    """The chapter's read_csv and describe(): (the loads as float64, malformed lines skipped)."""
    frame, raw, skipped = load_series(path)
    if skipped:
        print("skipped %d malformed lines of %s" % (skipped, path))
    print(frame.describe())
    return raw, skipped


def tensorboard_logger(tf, logdir, graph, loss_units):
    """(on_eval callback writing both losses in the chapter's units, the writer)."""
    run_id = time.strftime("%Y%m%d-%H%M%S") + "-%d" % os.getpid()
    writer = tf.summary.FileWriter(os.path.join(logdir, "tensorboard", run_id), graph)

    def on_eval(step, train_loss, val_loss):
        values = [tf.Summary.Value(tag="loss/training", simple_value=train_loss * loss_units),
                  tf.Summary.Value(tag="loss/validation", simple_value=val_loss * loss_units)]
        writer.add_summary(tf.Summary(value=values), step)

    return on_eval, writer, run_id


def fit(args, settings, data, loss_units):
    """Build the graph, train it, forecast the test part (normalised) and save the best
    weights. Returns (history, test forecasts, checkpoint path, seconds, TF version)."""
    tf = setup_tensorflow(args.verbose)
    g = build_graph(tf, settings, seed=args.seed)
    on_eval, writer, run_id = tensorboard_logger(tf, args.logdir, g.graph, loss_units)
    config = tf.ConfigProto(inter_op_parallelism_threads=2, intra_op_parallelism_threads=2)
    start = time.time()
    with tf.Session(graph=g.graph, config=config) as session:
        session.run(g.init)
        history = train_loop(session, g, data, settings, args.seed, args.eval_every,
                             settings["early_stopping"], on_eval=on_eval, loss_units=loss_units)
        seconds = time.time() - start
        writer.close()
        forecast = predict(session, g, data["test"][0])[:, 0]
        saved = save_checkpoint(session, g, args.logdir, run_id, history["best_step"],
                                dict(settings, split=args.split, tensorflow_version=tf.__version__))
    return history, forecast, saved, seconds, tf.__version__


def make_logdir(logdir):
    try:
        os.makedirs(logdir, exist_ok=True)
    except OSError as error:
        raise UserError(
            "cannot create the log dir %s (%s); pass --logdir DIR" % (logdir, error.strerror)
        )


def run_training(args, settings):
    """The chapter's script: load, split, normalise, window, build and fit, MSE, baselines,
    outputs."""
    raw, skipped = load(args.data)
    first = first_target(settings["timesteps"], settings["horizon"], settings["features"],
                         settings["target"])
    parts = split_targets(len(raw), args.split, first)
    settings["norm_mean"], settings["norm_scale"] = normalisation(
        settings["norm"], raw, parts, args.norm_mean, args.norm_scale)
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    if settings["target"] == "residual_ridge":  # saved with the model: --restore needs it
        fitted = ridge_for_target_base(series, parts, settings["horizon"])
        settings["ridge"] = (fitted["weights"], fitted["bias"])
    data, bases = windows_and_bases(series, parts, settings)
    make_logdir(args.logdir)
    loss_units = (settings["norm_scale"] / METRIC_SCALE) ** 2  # losses in the chapter's units
    history, forecast, saved, seconds, tf_version = fit(args, settings, data, loss_units)

    predicted_kw = (forecast + bases["test"]) * settings["norm_scale"] + settings["norm_mean"]
    actual_kw = raw[parts["test"]]
    test_mse = mse_in_chapter_units(predicted_kw, actual_kw)
    print("MSE: %f" % test_mse)

    boosting = None
    if (args.boosting or ("off" if args.preset == "chapter" else "on")) == "on":
        boosting = cached_boosting_forecasts(raw, args.split, settings["horizon"],
                                             settings["start"], args.logdir)
    baseline_kw, choices = baseline_forecasts_kw(raw, args.split, settings["horizon"], boosting)
    baselines = {name: mse_in_chapter_units(kw, actual_kw) for name, kw in baseline_kw.items()}
    print(results_table("LSTM (%s preset)" % args.preset, test_mse, baselines, len(actual_kw),
                        args.split, settings["horizon"]))

    val_mse = history["best_val_loss"] * loss_units
    metrics = dict(
        test_mse=test_mse,
        test_rmse_kw=float(np.sqrt(np.mean((predicted_kw - actual_kw) ** 2))),
        test_mae_kw=float(np.mean(np.abs(predicted_kw - actual_kw))),
        baselines=baselines,
        baselines_units="MSE of ((forecast - true) / 339) over the same test targets",
        ridge_alpha=choices["ridge_alpha"], baseline_choices=choices,
        steps=history["steps"], best_step=history["best_step"],
        best_val_mse=val_mse, seconds=round(seconds, 2), tensorflow_version=tf_version,
        preset=args.preset, split=args.split, seed=args.seed, test_targets=len(actual_kw),
        skipped_lines=skipped, checkpoint=saved, settings=settings,
    )
    write_json(os.path.join(args.logdir, "metrics.json"), metrics)
    if not args.no_plots:
        save_plots(args.logdir, raw, (raw - NORM_MEAN) / NORM_SCALE, history, loss_units,
                   predicted_kw, actual_kw,
                   "Test part: LSTM MSE %.6f (%s preset)" % (test_mse, args.preset))
    print("trained %d steps in %.1f s; best validation MSE %.6f at step %d; checkpoint %s; "
          "plots and metrics.json in %s"
          % (history["steps"], seconds, val_mse, history["best_step"], saved, args.logdir))
    return metrics


def run_restore(args):
    """No training: the forecast after the last values of --data, from the newest checkpoint.
    The calendar is the one the model was trained with, unless --start says otherwise."""
    path, settings = newest_checkpoint(args.restore)
    raw = load_series(args.data)[1]
    need = first_target(settings["timesteps"], settings["horizon"], settings["features"],
                        settings["target"]) - settings["horizon"] + 1
    if len(raw) < need:
        raise UserError(
            "%s has %d values; this model needs the last %d" % (args.data, len(raw), need)
        )
    start = args.start or settings["start"]
    if args.horizon:
        return run_next_values(args, path, settings, raw, start)
    kw, value, target = forecast_after(raw, path, settings, start, args.verbose)
    print("forecast for value %d (%d steps after the last of %d values of %s; %s if the first "
          "ends %s): %.3f kW (normalised %.6f), from %s"
          % (target, settings["horizon"], len(raw), args.data,
             time_of_value(target, start).strftime("%Y-%m-%d %H:%M"), start, kw, value,
             path))
    return kw


def main(argv=None):
    parser = build_parser(__doc__.split("\n\n")[0])
    args = parser.parse_args(argv)
    args.data = resolve_data_path(args.data)
    try:
        if args.restore:
            check_start(args, parser)
            if args.horizon is not None:
                check_horizon(args.horizon, parser)
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
