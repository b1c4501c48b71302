"""Forecasts from a saved model (`train.py --restore DIR`), after the last values of a series."""

import numpy as np

from lstm_model import build_graph, predict
from runtime import setup_tensorflow
from series import make_windows, target_base


def forecast_after(raw, path, settings, start, verbose=False):
    """The saved model's forecast `horizon` steps after the last value of `raw`: (kW,
    normalised, the index of the value it forecasts)."""
    horizon = settings["horizon"]
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    target = len(raw) - 1 + horizon
    padded = np.concatenate([series, np.zeros(horizon)])  # the unknown future
    inputs, _ = make_windows(padded, [target], settings["timesteps"], horizon,
                             settings["features"], start)
    tf = setup_tensorflow(verbose)
    g = build_graph(tf, settings)
    with tf.Session(graph=g.graph) as session:
        g.saver.restore(session, path)
        value = float(predict(session, g, inputs)[0, 0])
    value += float(target_base(padded, [target], horizon, settings["target"])[0])
    return value * settings["norm_scale"] + settings["norm_mean"], value, target
