"""Forecasts from a saved model (`train.py --restore DIR`): the value `horizon` steps after the
last one, or the next N values (`--horizon N`) and their error by steps ahead on the test part.

A model trained for horizon h forecasts value v from the window that ends h steps before v.
For the next N values it goes step by step: value o + k (o: the last known value) comes from
the window ending at o + k - h, whose values after o are the model's own earlier forecasts.
Lag inputs (the load 1-7 days earlier) and the calendar never reach past o for N <= 96."""

import os

import numpy as np

from baselines import baselines_by_horizon, chapter_baseline_series
from lstm_model import build_graph, predict
from outputs import save_forecast_plot, save_horizon_plot, write_json
from runtime import UserError, setup_tensorflow
from series import (
    METRIC_SCALE,
    SLOTS_PER_WEEK,
    first_target,
    load_offsets,
    make_windows,
    n_features,
    origins_within,
    split_targets,
    target_base,
    time_of_value,
)


def restored_session(path, settings, verbose=False):
    """(session, graph) with the checkpoint's weights; the caller closes the session."""
    tf = setup_tensorflow(verbose)
    g = build_graph(tf, settings)
    session = tf.Session(graph=g.graph)
    g.saver.restore(session, path)
    return session, g


def forecast_after(raw, path, settings, start, verbose=False):
    """The saved model's forecast `horizon` steps after the last value of `raw`: (kW,
    normalised, the index of the value it forecasts)."""
    horizon = settings["horizon"]
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    target = len(raw) - 1 + horizon
    padded = np.concatenate([series, np.zeros(horizon)])  # the unknown future
    inputs, _ = make_windows(padded, [target], settings["timesteps"], horizon,
                             settings["features"], start)
    session, g = restored_session(path, settings, verbose)
    with session:
        value = float(predict(session, g, inputs)[0, 0])
    value += float(target_base(padded, [target], horizon, settings["target"],
                               settings.get("ridge"))[0])
    return value * settings["norm_scale"] + settings["norm_mean"], value, target


def step_inputs(series, origins, k, forecasts, settings, start):
    """Inputs and --target bases for values origins + k: the windows of the real series with
    every load value after its origin (in the window or its lags) replaced by the forecast
    made for it."""
    horizon, timesteps = settings["horizon"], settings["timesteps"]
    targets = origins + k
    inputs, _ = make_windows(series, targets, timesteps, horizon, settings["features"], start)
    steps = (targets - horizon - timesteps + 1)[:, None] + np.arange(timesteps)
    column = 0
    for name in settings["features"]:
        offsets = load_offsets(name, horizon)
        for c, offset in enumerate(offsets):
            ahead = steps + offset - origins[:, None]  # > 0: after the origin, a forecast
            rows, at = np.nonzero(ahead > 0)
            inputs[rows, at, column + c] = forecasts[rows, ahead[rows, at] - 1]
        column += n_features([name])
    bases = target_base(series, targets, horizon, settings["target"])
    base_ahead = targets - horizon - origins if settings["target"] == "residual_last" else None
    if base_ahead is not None and (base_ahead > 0).any():
        later = base_ahead > 0
        bases[later] = forecasts[np.flatnonzero(later), base_ahead[later] - 1]
    return inputs, bases


def forecasts_ahead(session, g, series, origins, steps, settings, start):
    """[len(origins), steps]: the forecasts of values o + 1 ... o + steps for each origin o,
    normalised as `series`. `series` must reach origins + steps (pad the unknown future)."""
    origins = np.asarray(origins)
    forecasts = np.zeros((len(origins), steps))
    for k in range(1, steps + 1):
        inputs, bases = step_inputs(series, origins, k, forecasts, settings, start)
        forecasts[:, k - 1] = predict(session, g, inputs)[:, 0] + bases
    return forecasts


def next_values(raw, session, g, settings, steps, start):
    """The next `steps` values after the last of `raw`, in kW."""
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    padded = np.concatenate([series, np.zeros(steps)])  # the unknown future
    ahead = forecasts_ahead(session, g, padded, [len(raw) - 1], steps, settings, start)[0]
    return ahead * settings["norm_scale"] + settings["norm_mean"]


# ------------------------------------------------------------ error by steps ahead, outputs

MAX_ORIGINS = 2000  # test origins evaluated at most (every stride-th); 1000 test targets: all
SHOWN_STEPS = (1, 2, 4, 8, 16, 32, 48, 64, 96)


def errors_by_horizon(raw, session, g, settings, split, steps, start):
    """({'LSTM': MSE at 1 ... steps ahead, baseline: ...}, origins, stride) over the test
    part's origins, in the chapter's units."""
    first = first_target(settings["timesteps"], settings["horizon"], settings["features"],
                         settings["target"])
    test = split_targets(len(raw), split, first)["test"]
    stride = max(1, len(test) // MAX_ORIGINS)
    origins = origins_within(test, steps, stride)
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    ahead = forecasts_ahead(session, g, series, origins, steps, settings, start)
    ahead_kw = ahead * settings["norm_scale"] + settings["norm_mean"]
    truth_kw = raw[origins[:, None] + np.arange(1, steps + 1)]
    errors = {"LSTM": np.mean(((ahead_kw - truth_kw) / METRIC_SCALE) ** 2, axis=0)}
    parts, chapter_series = chapter_baseline_series(raw, split, 1)
    errors.update(baselines_by_horizon(chapter_series, parts, steps, stride))
    return errors, origins, stride


def error_table(errors, steps):
    shown = [k for k in SHOWN_STEPS if k <= steps] or [steps]
    lines = ["%-18s" % "steps ahead" + "".join("%10d" % k for k in shown)]
    for name, mse in sorted(errors.items(), key=lambda kv: (kv[0] != "LSTM", kv[1][-1])):
        lines.append("%-18s" % name + "".join("%10.6f" % mse[k - 1] for k in shown))
    return "\n".join(lines)


def run_next_values(args, path, settings, raw, start):
    """--restore DIR --horizon N: the next N values after --data's last, their plot after the
    last week, and (when --data holds the model's split) the error by steps ahead on the
    test part beside the baselines. Outputs go to DIR."""
    steps, directory = args.horizon, args.restore
    if settings["target"] == "residual_ridge":
        raise UserError("--horizon does not support models trained with --target "
                        "residual_ridge yet; use --restore without --horizon")
    session, g = restored_session(path, settings, args.verbose)
    with session:
        kw = next_values(raw, session, g, settings, steps, start)
        split = settings.get("split", args.split)
        try:
            errors, origins, stride = errors_by_horizon(raw, session, g, settings, split, steps,
                                                        start)
        except UserError as error:  # --data is not the series the model was tested on
            errors, why = None, str(error)
    times = [time_of_value(len(raw) + k, start).strftime("%Y-%m-%d %H:%M") for k in range(steps)]
    write_json(os.path.join(directory, "forecast.json"),
               dict(checkpoint=path, data=args.data, start=start, times=times,
                    forecast_kw=kw.tolist()))
    week = raw[-SLOTS_PER_WEEK:]
    save_forecast_plot(os.path.join(directory, "forecast.png"), week, kw,
                       "Forecast of the next %d values after %s" % (steps, args.data))
    print("forecast of the next %d values of %s, %s to %s: %.1f to %.1f kW (mean %.1f); "
          "forecast.json and forecast.png in %s"
          % (steps, args.data, times[0], times[-1], kw.min(), kw.max(), kw.mean(), directory))
    if errors is None:
        print("no error by steps ahead: %s" % why)
        return kw, None
    write_json(os.path.join(directory, "horizon_error.json"),
               dict(split=split, origins=len(origins), stride=int(stride), steps=steps,
                    units="MSE of ((forecast - true) / 339)",
                    mse={name: mse.tolist() for name, mse in errors.items()}))
    save_horizon_plot(os.path.join(directory, "horizon_error.png"), errors,
                      "Test part (%s split): MSE by steps ahead" % split)
    print("\ntest part, MSE by steps ahead (%s split, %d origins, one every %d values; "
          "horizon_error.json and horizon_error.png in %s)\n%s"
          % (split, len(origins), stride, directory, error_table(errors, steps)))
    return kw, errors
