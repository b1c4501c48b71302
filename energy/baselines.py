"""The baselines printed beside the LSTM, forecasting exactly its test targets.

They train on the chapter's own windows (5 inputs) and normalisation whatever the LSTM's
settings, so they are the same numbers for every run on a split, and ridge's alpha means the
same in every run.
"""

import numpy as np

from series import (
    METRIC_SCALE,
    NORM_MEAN,
    SLOTS_PER_DAY,
    SLOTS_PER_WEEK,
    first_target,
    split_targets,
)

CHAPTER_TIMESTEPS = 5
RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)
CHUNK = 8192  # rows of a lag matrix at a time: a 100000 x 672 one need not exist


def lag_matrix(series, targets, horizon, width):
    return series[np.asarray(targets)[:, None] - horizon - width + 1 + np.arange(width)]


def ridge_statistics(series, train_targets, horizon, width):
    """The centred normal equations of a regression on the last `width` values, summed in
    chunks: (gram, cross, mean of the inputs, mean of the targets). They do not depend on
    alpha, so one pass serves every alpha tried."""
    gram = np.zeros((width, width))
    cross = np.zeros(width)
    total_x = np.zeros(width)
    total_y = 0.0
    for lo in range(0, len(train_targets), CHUNK):
        chunk = train_targets[lo : lo + CHUNK]
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
    return centred_gram, centred_cross, mean_x, mean_y


def solve_ridge(statistics, alpha):
    """(weights, bias) of ridge regression; the intercept is not penalised."""
    gram, cross, mean_x, mean_y = statistics
    weights = np.linalg.solve(gram + alpha * np.eye(len(cross)), cross)
    return weights, mean_y - mean_x @ weights


def predict_linear(series, targets, horizon, width, weights, bias):
    out = np.empty(len(targets))
    for lo in range(0, len(targets), CHUNK):
        out[lo : lo + CHUNK] = (
            lag_matrix(series, targets[lo : lo + CHUNK], horizon, width) @ weights + bias
        )
    return out


def ridge_on_a_week(series, parts, horizon, alphas=RIDGE_ALPHAS):
    """Ridge on the last 672 values, alpha picked on the validation part: (test forecasts,
    alpha)."""
    train, val = parts["train"], parts["val"]
    rows = train[train - horizon - SLOTS_PER_WEEK + 1 >= 0]
    statistics = ridge_statistics(series, rows, horizon, SLOTS_PER_WEEK)
    best = None
    for alpha in alphas:
        weights, bias = solve_ridge(statistics, alpha)
        val_forecast = predict_linear(series, val, horizon, SLOTS_PER_WEEK, weights, bias)
        val_mse = np.mean((val_forecast - series[val]) ** 2)
        if best is None or val_mse < best[0]:
            best = (val_mse, alpha, weights, bias)
    _, alpha, weights, bias = best
    return predict_linear(series, parts["test"], horizon, SLOTS_PER_WEEK, weights, bias), alpha


def baseline_predictions(series, parts, horizon, ridge_alphas=RIDGE_ALPHAS):
    """Forecasts of each baseline for the test targets, in the units of `series`, and the
    ridge alpha picked on the validation part."""
    from sklearn.linear_model import LinearRegression

    test, train = parts["test"], parts["train"]
    preds = {
        "persistence": series[test - horizon],
        "training_mean": np.full(len(test), series[train].mean()),
        "day_earlier": series[test - SLOTS_PER_DAY],
        "week_earlier": series[test - SLOTS_PER_WEEK],
    }
    rows = train[train - horizon - CHAPTER_TIMESTEPS + 1 >= 0]
    least_squares = LinearRegression().fit(
        lag_matrix(series, rows, horizon, CHAPTER_TIMESTEPS), series[rows]
    )
    preds["least_squares_5"] = least_squares.predict(
        lag_matrix(series, test, horizon, CHAPTER_TIMESTEPS)
    )
    preds["ridge_672"], alpha = ridge_on_a_week(series, parts, horizon, ridge_alphas)
    return preds, alpha


def baseline_forecasts_kw(raw, split, horizon):
    """({name: test forecasts in kW}, ridge alpha), on the chapter's windows and
    normalisation."""
    parts = split_targets(len(raw), split, first_target(CHAPTER_TIMESTEPS, horizon, ["load"]))
    chapter_series = (raw - NORM_MEAN) / METRIC_SCALE
    preds, alpha = baseline_predictions(chapter_series, parts, horizon)
    return {name: pred * METRIC_SCALE + NORM_MEAN for name, pred in preds.items()}, alpha
