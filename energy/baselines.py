"""The baselines printed beside the LSTM, forecasting exactly its test targets.

They train on the chapter's own windows (5 inputs) and normalisation whatever the LSTM's
settings, so they are the same numbers for every run on a split, and ridge's alpha means the
same in every run.
"""

import hashlib

import numpy as np

from outputs import cached_json
from series import (
    METRIC_SCALE,
    NORM_MEAN,
    SLOTS_PER_DAY,
    SLOTS_PER_WEEK,
    START,
    day_of_week,
    first_target,
    origins_within,
    slot_of_day,
    split_targets,
)

CHAPTER_TIMESTEPS = 5
RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)
BOOSTING_LAGS = 16
# Tried in turn, each up to max_iter trees; the setting and tree count best on validation win.
# The trees learn the value or its change from the last input, whichever does better on
# validation (the change did on the year split: 0.000624 against 0.000672).
BOOSTING_TARGETS = ("value", "residual_last")
# 200 trees were too few for the year split (its best count was 195 of 200).
BOOSTING_GRID = (
    dict(learning_rate=0.1, max_leaf_nodes=31, min_samples_leaf=20, max_iter=300),
    dict(learning_rate=0.1, max_leaf_nodes=63, min_samples_leaf=50, max_iter=800),
)
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


def fit_ridge_on_a_week(series, parts, horizon, alphas=RIDGE_ALPHAS):
    """Ridge on the 672 values before the horizon, fitted on the training part, alpha picked
    on the validation part: (alpha, weights, bias, validation forecasts)."""
    train, val = parts["train"], parts["val"]
    rows = train[train - horizon - SLOTS_PER_WEEK + 1 >= 0]
    statistics = ridge_statistics(series, rows, horizon, SLOTS_PER_WEEK)
    best = None
    for alpha in alphas:
        weights, bias = solve_ridge(statistics, alpha)
        val_forecast = predict_linear(series, val, horizon, SLOTS_PER_WEEK, weights, bias)
        val_mse = np.mean((val_forecast - series[val]) ** 2)
        if best is None or val_mse < best[0]:
            best = (val_mse, alpha, weights, bias, val_forecast)
    return best[1:]


def ridge_on_a_week(series, parts, horizon, alphas=RIDGE_ALPHAS):
    """The ridge baseline: ({part: forecasts} for 'val' and 'test', alpha)."""
    alpha, weights, bias, val_forecast = fit_ridge_on_a_week(series, parts, horizon, alphas)
    test_forecast = predict_linear(series, parts["test"], horizon, SLOTS_PER_WEEK, weights, bias)
    return {"val": val_forecast, "test": test_forecast}, alpha


def ridge_for_target_base(series, parts, horizon, alphas=RIDGE_ALPHAS):
    """The same ridge, for --target residual_ridge: {'weights': [...], 'bias', 'alpha'}."""
    alpha, weights, bias, _ = fit_ridge_on_a_week(series, parts, horizon, alphas)
    return {"weights": weights.tolist(), "bias": float(bias), "alpha": alpha}


def least_squares_on_5(series, parts, horizon):
    """Least squares with an intercept on the chapter's 5 inputs: {part: forecasts}."""
    from sklearn.linear_model import LinearRegression

    train = parts["train"]
    rows = train[train - horizon - CHAPTER_TIMESTEPS + 1 >= 0]
    model = LinearRegression().fit(
        lag_matrix(series, rows, horizon, CHAPTER_TIMESTEPS), series[rows]
    )
    return {
        part: model.predict(lag_matrix(series, parts[part], horizon, CHAPTER_TIMESTEPS))
        for part in ("val", "test")
    }


def boosting_inputs(series, targets, horizon, start):
    """What a forecaster gives gradient-boosted trees for target t: the last 16 values
    before the horizon, the load at the same time 1-7 days earlier, the quarter hour of the
    day and the day of the week of t."""
    targets = np.asarray(targets)
    days_earlier = [series[targets - k * SLOTS_PER_DAY] for k in range(1, 8)]
    calendar = [slot_of_day(targets, start), day_of_week(targets, start)]
    return np.column_stack(
        [lag_matrix(series, targets, horizon, BOOSTING_LAGS)] + days_earlier + calendar
    )


def one_thread():
    """OpenMP on one thread: on CPUs shared with other jobs, two spinning threads made the
    fit 14 times slower (88 s against 6 s on the chapter split)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def histogram_boosting(**params):
    try:
        from sklearn.ensemble import HistGradientBoostingRegressor
    except ImportError:  # scikit-learn 0.24 (the TF 1.15 line): still experimental there
        from sklearn.experimental import enable_hist_gradient_boosting  # noqa: F401
        from sklearn.ensemble import HistGradientBoostingRegressor
    return HistGradientBoostingRegressor(early_stopping=False, random_state=0, **params)


def boosting_base(series, targets, horizon, target):
    """What the trees' target is relative to: nothing ('value') or the last input
    ('residual_last', which lets trees follow a level they never saw in training)."""
    return series[targets - horizon] if target == "residual_last" else np.zeros(len(targets))


def gradient_boosting(series, parts, horizon, start=START, grid=BOOSTING_GRID,
                      targets=BOOSTING_TARGETS):
    """scikit-learn's HistGradientBoostingRegressor, direct `horizon`-step forecasts; the
    target, the settings and the number of trees picked on the validation part.
    ({part: forecasts}, the choice)."""
    train, val = parts["train"], parts["val"]
    rows = train[train - max(horizon + BOOSTING_LAGS - 1, SLOTS_PER_WEEK) >= 0]
    x_train = boosting_inputs(series, rows, horizon, start)
    x_val = boosting_inputs(series, val, horizon, start)
    best = None
    for target in targets:
        base = boosting_base(series, rows, horizon, target)
        val_base = boosting_base(series, val, horizon, target)
        for params in grid:
            with one_thread():
                model = histogram_boosting(**params).fit(x_train, series[rows] - base)
            for trees, forecast in enumerate(model.staged_predict(x_val), 1):
                val_mse = float(np.mean((forecast + val_base - series[val]) ** 2))
                if best is None or val_mse < best[0]:
                    choice = dict(params, max_iter=trees, target=target)
                    best = (val_mse, choice, model, forecast + val_base)
    _, choice, model, val_forecast = best
    x_test = boosting_inputs(series, parts["test"], horizon, start)
    for trees, test_forecast in enumerate(model.staged_predict(x_test), 1):
        if trees == choice["max_iter"]:
            break
    test_base = boosting_base(series, parts["test"], horizon, choice["target"])
    return {"val": val_forecast, "test": test_forecast + test_base}, choice


def average_of_two_best(preds, series, parts):
    """The equal-weight average of the two baselines best on the validation part."""
    val_mse = {name: np.mean((p["val"] - series[parts["val"]]) ** 2) for name, p in preds.items()}
    first, second = sorted(val_mse, key=val_mse.get)[:2]
    average = {part: (preds[first][part] + preds[second][part]) / 2 for part in ("val", "test")}
    return average, [first, second]


def baseline_predictions(series, parts, horizon, ridge_alphas=RIDGE_ALPHAS, boosting=None):
    """Forecasts of each baseline, {name: {'val': ..., 'test': ...}} in the units of
    `series`, and what was picked on the validation part (ridge's alpha, the boosting
    settings, the two baselines averaged). `boosting`: boosting_forecasts()'s result, or None
    to leave gradient boosting out."""
    train = parts["train"]
    preds = {}
    for part in ("val", "test"):
        targets = parts[part]
        simple = {
            "persistence": series[targets - horizon],
            "training_mean": np.full(len(targets), series[train].mean()),
            "day_earlier": series[targets - SLOTS_PER_DAY],
            "week_earlier": series[targets - SLOTS_PER_WEEK],
        }
        for name, forecast in simple.items():
            preds.setdefault(name, {})[part] = forecast
    preds["least_squares_5"] = least_squares_on_5(series, parts, horizon)
    preds["ridge_672"], alpha = ridge_on_a_week(series, parts, horizon, ridge_alphas)
    choices = {"ridge_alpha": alpha}
    if boosting:
        preds["gradient_boosting"] = {part: np.asarray(boosting[part]) for part in ("val", "test")}
        choices["boosting"] = boosting["choice"]
    preds["average_of_2_best"], choices["average_of"] = average_of_two_best(preds, series, parts)
    return preds, choices


def chapter_baseline_series(raw, split, horizon):
    """(parts, series): the chapter's windows and normalisation, which every baseline uses."""
    parts = split_targets(len(raw), split, first_target(CHAPTER_TIMESTEPS, horizon, ["load"]))
    return parts, (raw - NORM_MEAN) / METRIC_SCALE


def boosting_forecasts(raw, split, horizon, start=START):
    """Gradient boosting's validation and test forecasts and its choice, as JSON values (the
    slowest baseline: train.py keeps the result in a cache keyed by the data's checksum)."""
    parts, series = chapter_baseline_series(raw, split, horizon)
    forecasts, choice = gradient_boosting(series, parts, horizon, start)
    return {"val": forecasts["val"].tolist(), "test": forecasts["test"].tolist(),
            "choice": choice}


def cached_boosting_forecasts(raw, split, horizon, start, cache_dir):
    """boosting_forecasts(), computed once per data (its checksum), split, horizon, calendar,
    grid and scikit-learn version, then read from CACHE_DIR."""
    import sklearn

    key = dict(baseline="gradient_boosting", data_sha256=hashlib.sha256(raw.tobytes()).hexdigest(),
               split=split, horizon=horizon, start=start, grid=list(BOOSTING_GRID),
               targets=list(BOOSTING_TARGETS),
               sklearn=sklearn.__version__)
    return cached_json(cache_dir, key, lambda: boosting_forecasts(raw, split, horizon, start))


def baseline_forecasts_kw(raw, split, horizon, boosting=None):
    """({name: test forecasts in kW}, the choices made on validation)."""
    parts, series = chapter_baseline_series(raw, split, horizon)
    preds, choices = baseline_predictions(series, parts, horizon, boosting=boosting)
    kw = {name: pred["test"] * METRIC_SCALE + NORM_MEAN for name, pred in preds.items()}
    return kw, choices


# ------------------------------------------------------------------ error by steps ahead


def next_values_matrix(series, origins, steps):
    return series[np.asarray(origins)[:, None] + np.arange(1, steps + 1)]


def direct_linear_by_horizon(series, parts, steps, width, alphas, stride=1):
    """One regression per step ahead on the `width` values up to the origin, solved together
    (the inputs are the same for every step); ridge's alpha picked per step on validation.
    Test forecasts [origins, steps]."""
    train = origins_within(parts["train"], steps)
    train = train[train - width + 1 >= 0]
    gram, cross, total_x, total_y = 0.0, 0.0, 0.0, 0.0
    for lo in range(0, len(train), CHUNK):
        x = lag_matrix(series, train[lo : lo + CHUNK], 0, width)
        y = next_values_matrix(series, train[lo : lo + CHUNK], steps)
        gram, cross = gram + x.T @ x, cross + x.T @ y
        total_x, total_y = total_x + x.sum(axis=0), total_y + y.sum(axis=0)
    mean_x, mean_y = total_x / len(train), total_y / len(train)
    gram = gram - len(train) * np.outer(mean_x, mean_x)
    cross = cross - len(train) * np.outer(mean_x, mean_y)
    val = origins_within(parts["val"], steps)
    x_val, y_val = lag_matrix(series, val, 0, width), next_values_matrix(series, val, steps)
    best_mse, best_weights = np.full(steps, np.inf), np.zeros((width, steps))
    for alpha in alphas:
        weights = np.linalg.solve(gram + alpha * np.eye(width), cross)
        val_mse = np.mean((x_val @ weights + mean_y - mean_x @ weights - y_val) ** 2, axis=0)
        better = val_mse < best_mse
        best_mse[better], best_weights[:, better] = val_mse[better], weights[:, better]
    test = origins_within(parts["test"], steps, stride)
    bias = mean_y - mean_x @ best_weights
    return np.concatenate([lag_matrix(series, test[lo : lo + CHUNK], 0, width) @ best_weights
                           + bias for lo in range(0, len(test), CHUNK)])


def baselines_by_horizon(series, parts, steps, stride=1):
    """{name: MSE at 1 ... `steps` steps ahead} over every `stride`-th test origin, in the
    units of `series`: the baselines of the table, fitted directly for each step ahead
    (gradient boosting left out: it would be one fit per step)."""
    test = origins_within(parts["test"], steps, stride)
    truth = next_values_matrix(series, test, steps)
    ahead = test[:, None] + np.arange(1, steps + 1)
    forecasts = {
        "persistence": np.repeat(series[test][:, None], steps, axis=1),
        "training_mean": np.full(truth.shape, series[parts["train"]].mean()),
        "day_earlier": series[ahead - SLOTS_PER_DAY],
        "week_earlier": series[ahead - SLOTS_PER_WEEK],
        "least_squares_5": direct_linear_by_horizon(series, parts, steps, CHAPTER_TIMESTEPS,
                                                    [0.0], stride),
        "ridge_672": direct_linear_by_horizon(series, parts, steps, SLOTS_PER_WEEK,
                                              RIDGE_ALPHAS, stride),
    }
    return {name: np.mean((f - truth) ** 2, axis=0) for name, f in forecasts.items()}
