"""energy/ on a small series made here: a daily curve with noise, 96 values a day.

Tests marked slow train a model (a few hundred steps at most); `make test-fast` leaves them out.
"""

import ast
import datetime
import glob
import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, load_module, load_script, run_script

train = load_script("energy/train.py")
baselines = load_module("energy", "baselines")
forecast = load_module("energy", "forecast")
lstm_model = load_module("energy", "lstm_model")
outputs = load_module("energy", "outputs")
runtime = load_module("energy", "runtime")
series_mod = load_module("energy", "series")
settings_mod = load_module("energy", "settings")

N_VALUES = 14200  # the chapter split needs 14006


def daily_load(n=N_VALUES, seed=0):
    rng = np.random.RandomState(seed)
    slots = np.arange(n)
    return (
        150
        + 60 * np.sin(2 * np.pi * slots / 96.0)
        + 20 * np.sin(2 * np.pi * slots / 672.0)
        + 5 * rng.randn(n)
    )


def write_csv(path, values, header="Load"):
    with open(str(path), "w") as handle:
        handle.write(header + "\n")
        handle.write("\n".join("%.6f" % v for v in values) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("energy") / "load.csv", daily_load())


def chapter_loop(array):
    """The chapter's own window loop, verbatim in substance."""
    list_x, list_y = [], []
    for i in range(0, len(array) - 6):
        list_x.append(array[i : i + 5].reshape([5, 1]))
        list_y.append(array[i + 6])
    return np.array(list_x), np.array(list_y)


def run_main(argv, capsys):
    """energy/train.py's main in this process: (exit code, stdout, stderr)."""
    code = 0
    try:
        train.main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ windows, splits, data


def test_windows_match_the_chapters_loop_element_by_element():
    array = (daily_load(800) - 147.0) / 339.0
    want_x, want_y = chapter_loop(array)
    got_x, got_y = series_mod.make_windows(array, np.arange(6, len(array)), 5, 2, ["load"])
    assert got_x.shape == want_x.shape == (len(array) - 6, 5, 1)
    assert got_y.shape == (len(array) - 6, 1)
    np.testing.assert_array_equal(got_x, want_x.astype(np.float32))
    np.testing.assert_array_equal(got_y[:, 0], want_y.astype(np.float32))


def test_horizon_moves_the_target_and_lag_features_point_before_it():
    array = np.arange(2000, dtype=np.float64)
    x, y = series_mod.make_windows(array, [1000], 4, 1, ["load", "tod", "day", "week"])
    assert y[0, 0] == 1000
    assert list(x[0, :, 0]) == [996, 997, 998, 999]
    assert list(x[0, :, 3]) == [v + 1 - 96 for v in [996, 997, 998, 999]]
    assert list(x[0, :, 4]) == [v + 1 - 672 for v in [996, 997, 998, 999]]
    x_days, _ = series_mod.make_windows(array, [1000], 4, 2, ["days"])
    assert x_days.shape == (1, 4, 7)
    assert list(x_days[0, -1]) == [1000 - k * 96 for k in range(1, 8)]
    assert series_mod.first_target(4, 2, ["load", "days"]) == 3 + 672
    angle = 2 * np.pi * series_mod.slot_of_day([999]) / 96.0
    np.testing.assert_allclose(x[0, -1, 1:3], [np.sin(angle[0]), np.cos(angle[0])], atol=1e-6)


def test_later_inputs_are_the_loads_just_after_the_targets_time_a_day_and_a_week_earlier():
    array = np.arange(2000, dtype=np.float64)
    x, _ = series_mod.make_windows(array, [1000], 4, 2, ["load", "later"])
    assert x.shape == (1, 4, 1 + 8)
    assert x[0, -1, 1:].tolist() == [1000 - 96 + j for j in (1, 2, 4, 8)] + [
        1000 - 672 + j for j in (1, 2, 4, 8)]
    # each step s reads s + horizon + j one day / one week earlier, all before the origin 998
    assert x[0, 0, 1] == 995 + 2 + 1 - 96 and x[0].max() == 998
    assert series_mod.first_target(4, 2, ["load", "later"]) == 3 + 672


def test_the_calendar_starts_at_the_sources_first_quarter_hour_or_at_start():
    # Value 0 is at 00:15 (slot 1): value 95 is midnight, slot 0.
    assert series_mod.slot_of_day([0, 94, 95]).tolist() == [1, 95, 0]
    # 2011-01-01 was a Saturday (5); value 95 ends at midnight, still Saturday; 96 is Sunday.
    assert series_mod.day_of_week([0, 95, 96, 96 * 2, 96 * 7]).tolist() == [5, 5, 6, 0, 5]
    array = np.arange(2000, dtype=np.float64)
    monday = "2024-01-01 00:15"
    x_dow, _ = series_mod.make_windows(array, [200], 1, 1, ["dow"], start=monday)
    assert x_dow[0, 0].tolist() == [0, 0, 1, 0, 0, 0, 0]  # value 199 ends on day 2, Wednesday
    assert series_mod.time_of_value(96, monday) == datetime.datetime(2024, 1, 2, 0, 15)


def test_chapter_split_is_windows_0_12000_13000_14000():
    parts = series_mod.split_targets(N_VALUES, "chapter", 6)
    # window i has target i + 6
    assert (parts["train"][0], parts["train"][-1]) == (6, 12005)
    assert (parts["test"][0], parts["test"][-1], len(parts["test"])) == (12006, 13005, 1000)
    assert (parts["val"][0], parts["val"][-1], len(parts["val"])) == (13006, 14005, 1000)
    # longer windows drop the first training targets, never move the test ones
    first = series_mod.first_target(24, 2, ["load", "week"])
    longer = series_mod.split_targets(N_VALUES, "chapter", first)
    assert longer["train"][0] == 23 + 672
    np.testing.assert_array_equal(longer["test"], parts["test"])


def test_year_split_follows_the_sources_dates():
    parts = series_mod.split_targets(140256, "year", 6)

    def when(k):  # end of the quarter hour of value k
        return datetime.datetime(2011, 1, 1, 0, 15) + datetime.timedelta(minutes=15 * int(k))

    assert when(parts["test"][0]) == datetime.datetime(2014, 1, 1, 0, 15)
    assert when(parts["test"][-1]) == datetime.datetime(2015, 1, 1, 0, 0)
    assert len(parts["test"]) == 365 * 96
    assert when(parts["val"][0]) == datetime.datetime(2013, 11, 6, 0, 15)
    assert when(parts["val"][-1]) == datetime.datetime(2014, 1, 1, 0, 0)
    assert parts["train"][-1] + 1 == parts["val"][0]


def test_malformed_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "load.csv"
    path.write_text("Load\n1.5\n2.5\n3,4,5\n4.5\n")
    frame, values, skipped = series_mod.load_series(str(path))
    assert values.tolist() == [1.5, 2.5, 4.5]
    assert skipped == 1


def test_residual_target_learns_the_change_and_adds_the_base_back():
    array = np.arange(2000, dtype=np.float64)
    np.testing.assert_array_equal(
        series_mod.target_base(array, [1000, 1500], 2, "residual_last"), [998, 1498]
    )
    assert series_mod.target_base(array, [1000], 2, "residual_day")[0] == 1000 - 96
    assert series_mod.target_base(array, [1000], 2, "residual_week")[0] == 1000 - 672
    assert series_mod.target_base(array, [1000], 2, "value")[0] == 0
    assert series_mod.first_target(5, 2, ["load"], "residual_week") == 4 + 672
    assert series_mod.first_target(5, 2, ["load"], "residual_last") == 6


def test_residual_ridge_subtracts_the_ridge_forecast_fitted_on_the_training_part():
    series = (daily_load(3000) - 147.0) / 339.0
    parts = {"train": np.arange(700, 2000), "val": np.arange(2000, 2500),
             "test": np.arange(2500, 3000)}
    fitted = baselines.ridge_for_target_base(series, parts, 2)
    base = series_mod.target_base(series, parts["test"], 2, "residual_ridge",
                                  (fitted["weights"], fitted["bias"]))
    ridge, alpha = baselines.ridge_on_a_week(series, parts, 2)
    np.testing.assert_allclose(base, ridge["test"], atol=1e-12)
    assert fitted["alpha"] == alpha
    # the ridge reads 672 values ending 2 steps before the target
    assert series_mod.first_target(5, 2, ["load"], "residual_ridge") >= 2 + 671


# -------------------------------------------------------------------------------- baselines


def test_baselines_match_hand_computed_numpy():
    series = (daily_load(3000) - 147.0) / 339.0
    parts = {"train": np.arange(6, 2000), "val": np.arange(2000, 2500),
             "test": np.arange(2500, 3000)}
    preds, choices = baselines.baseline_predictions(series, parts, 2)
    preds = {name: forecast["test"] for name, forecast in preds.items()}
    alpha = choices["ridge_alpha"]
    test, tr = parts["test"], parts["train"]
    np.testing.assert_allclose(preds["persistence"], series[test - 2])
    np.testing.assert_allclose(preds["training_mean"], np.mean(series[6:2000]))
    np.testing.assert_allclose(preds["day_earlier"], series[test - 96])
    np.testing.assert_allclose(preds["week_earlier"], series[test - 672])
    # least squares with an intercept on the chapter's 5 inputs
    design = np.stack([series[tr - 6 + k] for k in range(5)] + [np.ones(len(tr))], axis=1)
    coef = np.linalg.lstsq(design, series[tr], rcond=None)[0]
    test_design = np.stack([series[test - 6 + k] for k in range(5)] + [np.ones(len(test))], axis=1)
    np.testing.assert_allclose(preds["least_squares_5"], test_design @ coef, atol=1e-9)
    # ridge on one week: closed form on centred data, the alpha picked on validation
    rows = tr[tr - 2 - 671 >= 0]
    x = series[rows[:, None] - 2 - 671 + np.arange(672)]
    mean_x, mean_y = x.mean(axis=0), series[rows].mean()
    w = np.linalg.solve(
        (x - mean_x).T @ (x - mean_x) + alpha * np.eye(672),
        (x - mean_x).T @ (series[rows] - mean_y),
    )
    test_x = series[test[:, None] - 2 - 671 + np.arange(672)]
    np.testing.assert_allclose(preds["ridge_672"], test_x @ w + mean_y - mean_x @ w, atol=1e-8)
    assert alpha in (0.01, 0.1, 1.0, 10.0, 100.0)


def small_parts():
    return {"train": np.arange(700, 2000), "val": np.arange(2000, 2500),
            "test": np.arange(2500, 3000)}


def test_gradient_boosting_is_tuned_on_validation_and_forecasts_the_test_targets():
    series = (daily_load(3000) - 147.0) / 339.0
    parts = small_parts()
    grid = (dict(learning_rate=0.2, max_leaf_nodes=7, min_samples_leaf=20, max_iter=15),
            dict(learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=20, max_iter=25))
    forecasts, choice = baselines.gradient_boosting(series, parts, 2, grid=grid)
    assert forecasts["test"].shape == (500,) and forecasts["val"].shape == (500,)
    # the choice is the setting and tree count best on validation, among every one tried
    rows = parts["train"][parts["train"] >= 672]
    x_train = baselines.boosting_inputs(series, rows, 2, series_mod.START)
    x_val = baselines.boosting_inputs(series, parts["val"], 2, series_mod.START)
    last = {name: series[targets - 2] for name, targets in
            [("train", rows), ("val", parts["val"]), ("test", parts["test"])]}
    tried = []
    for base in (0.0, 1.0):  # the value, then its change from the last input
        for params in grid:
            with baselines.one_thread():  # as gradient_boosting fits (OpenMP spins otherwise)
                model = baselines.histogram_boosting(**params).fit(
                    x_train, series[rows] - base * last["train"])
            tried += [np.mean((f + base * last["val"] - series[parts["val"]]) ** 2)
                      for f in model.staged_predict(x_val)]
    chosen_val = np.mean((forecasts["val"] - series[parts["val"]]) ** 2)
    assert chosen_val == pytest.approx(min(tried), rel=1e-12)
    # refitting with the chosen target and tree count gives the same test forecasts
    base = 1.0 if choice.pop("target") == "residual_last" else 0.0
    with baselines.one_thread():
        model = baselines.histogram_boosting(**choice).fit(x_train,
                                                           series[rows] - base * last["train"])
    x_test = baselines.boosting_inputs(series, parts["test"], 2, series_mod.START)
    np.testing.assert_allclose(forecasts["test"], model.predict(x_test) + base * last["test"],
                               atol=1e-12)
    # and trees on this daily curve beat the training mean by far
    mean_mse = np.mean((series[rows].mean() - series[parts["test"]]) ** 2)
    assert np.mean((forecasts["test"] - series[parts["test"]]) ** 2) < 0.2 * mean_mse


def test_boosting_inputs_are_lags_days_earlier_and_the_calendar_of_the_target():
    array = np.arange(2000, dtype=np.float64)
    row = baselines.boosting_inputs(array, [1000], 2, series_mod.START)[0]
    assert row.tolist() == (list(range(983, 999)) + [1000 - 96 * k for k in range(1, 8)]
                            + [series_mod.slot_of_day([1000])[0],
                               series_mod.day_of_week([1000])[0]])


def test_the_average_of_the_two_best_baselines_is_picked_on_validation():
    series = np.zeros(3000)
    parts = small_parts()
    # b and c are best on validation; a is best on the test part and must not be picked
    preds = {"a": {"val": np.full(500, 0.3), "test": np.zeros(500)},
             "b": {"val": np.full(500, 0.1), "test": np.full(500, 0.2)},
             "c": {"val": np.full(500, -0.2), "test": np.full(500, 0.4)}}
    average, names = baselines.average_of_two_best(preds, series, parts)
    assert names == ["b", "c"]
    np.testing.assert_allclose(average["test"], 0.3)
    np.testing.assert_allclose(average["val"], -0.05)


# ------------------------------------------------------------------------- graph (in process)


def small_data(settings):
    series = (daily_load() - 147.0) / 339.0
    first = series_mod.first_target(
        settings["timesteps"], settings["horizon"], settings["features"]
    )
    parts = series_mod.split_targets(len(series), "chapter", first)
    return {
        name: series_mod.make_windows(
            series, t, settings["timesteps"], settings["horizon"], settings["features"]
        )
        for name, t in parts.items()
    }


def chapter_settings(**changes):
    settings = dict(settings_mod.PRESETS["chapter"], horizon=2, start="2011-01-01 00:15")
    settings.update(changes)
    settings["n_features"] = series_mod.n_features(settings["features"])
    return settings


@pytest.mark.slow
def test_a_few_hundred_steps_lower_the_loss_and_keep_the_best_weights():
    tf = runtime.setup_tensorflow(False)
    settings = chapter_settings(steps=400, optimizer="adam", learning_rate=0.01)
    data = small_data(settings)
    g = lstm_model.build_graph(tf, settings, seed=0)
    with tf.Session(graph=g.graph) as session:
        session.run(g.init)
        before = lstm_model.mean_loss(session, g, *data["val"])
        history = lstm_model.train_loop(
            session, g, data, settings, seed=0, eval_every=50, log=lambda *a: None
        )
        after = lstm_model.mean_loss(session, g, *data["val"])
    assert history["steps"] == 400 and len(history["val_loss"]) == 8
    assert after < 0.5 * before
    # the weights left in the session are the best evaluation's
    assert after == pytest.approx(min(history["val_loss"]), rel=1e-4)
    assert history["best_step"] == history["step"][int(np.argmin(history["val_loss"]))]


def test_an_ensemble_forecasts_the_mean_of_its_networks_which_start_apart():
    tf = runtime.setup_tensorflow(False)
    settings = chapter_settings(ensemble=3)
    inputs = small_data(settings)["val"][0][:50]
    g = lstm_model.build_graph(tf, settings, seed=0)
    members = [g.graph.get_tensor_by_name("lstm_model_%d/prediction:0" % i) for i in range(3)]
    with tf.Session(graph=g.graph) as session:
        session.run(g.init)
        mean, each = session.run([g.prediction, members], {g.inputs: inputs})
    np.testing.assert_allclose(mean, np.mean(each, axis=0), rtol=1e-5, atol=1e-7)
    assert not np.allclose(each[0], each[1])


@pytest.mark.slow
def test_an_ensemble_with_later_inputs_trains_saves_and_forecasts_the_next_day(series_csv,
                                                                              tmp_path, capsys):
    logdir = str(tmp_path)
    code, out, err = run_main(["--data", series_csv, "--logdir", logdir, "--no_plots",
                               "--steps", 60, "--eval_every", 20, "--ensemble", 2,
                               "--features", "load,later"], capsys)
    assert code == 0, err
    with open(os.path.join(logdir, "metrics.json")) as handle:
        metrics = json.load(handle)
    code, out, err = run_main(["--restore", logdir, "--data", series_csv, "--horizon", 96],
                              capsys)
    assert code == 0, err
    assert metrics["settings"]["ensemble"] == 2
    with open(os.path.join(logdir, "horizon_error.json")) as handle:
        lstm = json.load(handle)["mse"]["LSTM"]
    assert lstm[1] == pytest.approx(metrics["test_mse"], rel=0.15)


@pytest.mark.slow
def test_save_then_restore_gives_the_same_predictions(tmp_path):
    tf = runtime.setup_tensorflow(False)
    settings = chapter_settings(
        steps=100, rnn_layers=[4, 3], dense_layers=[6], features=["load", "tod", "day"]
    )
    data = small_data(settings)
    g = lstm_model.build_graph(tf, settings, seed=1)
    with tf.Session(graph=g.graph) as session:
        session.run(g.init)
        lstm_model.train_loop(session, g, data, settings, seed=1, eval_every=50,
                              log=lambda *a: None)
        before = lstm_model.predict(session, g, data["test"][0])
        saved = outputs.save_checkpoint(session, g, str(tmp_path), "run", 100, settings)
    path, restored_settings = outputs.newest_checkpoint(str(tmp_path))
    assert path == saved and restored_settings == settings
    g2 = lstm_model.build_graph(tf, restored_settings)
    with tf.Session(graph=g2.graph) as session:
        g2.saver.restore(session, path)
        after = lstm_model.predict(session, g2, data["test"][0])
    np.testing.assert_array_equal(before, after)


# ---------------------------------------------------------------------------- the script


@pytest.fixture(scope="module")
def trained(series_csv, tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("ops_logs"))
    proc = run_script(
        "energy/train.py", "--data", series_csv, "--logdir", logdir,
        "--steps", 300, "--eval_every", 50, "--seed", 3,
    )
    return proc, logdir


@pytest.mark.slow
def test_training_run_prints_mse_and_baselines_and_writes_outputs(trained):
    proc, logdir = trained
    assert proc.returncode == 0, proc.stderr
    mse_lines = [line for line in proc.stdout.splitlines() if line.startswith("MSE: ")]
    assert len(mse_lines) == 1 and len(mse_lines[0].split()[1].split(".")[1]) == 6
    assert "Load" in proc.stdout and "count" in proc.stdout  # describe()
    with open(os.path.join(logdir, "metrics.json")) as handle:
        metrics = json.load(handle)
    assert float(mse_lines[0].split()[1]) == pytest.approx(metrics["test_mse"], abs=1e-6)
    # the three errors describe the same forecasts: RMSE in kW is 339 * sqrt(MSE), MAE <= RMSE
    assert metrics["test_rmse_kw"] == pytest.approx(339 * np.sqrt(metrics["test_mse"]), rel=1e-6)
    assert 0 < metrics["test_mae_kw"] <= metrics["test_rmse_kw"]
    # 300 steps, evaluated every 50: the best step is one of the evaluations
    assert metrics["steps"] == 300 and metrics["best_step"] in range(50, 301, 50)
    assert 0 < metrics["best_val_mse"] and 0 < metrics["seconds"] < 600
    assert metrics["tensorflow_version"] == runtime.setup_tensorflow(False).__version__
    assert metrics["test_targets"] == 1000 and metrics["skipped_lines"] == 0
    assert metrics["settings"]["steps"] == 300 and metrics["seed"] == 3
    assert sorted(metrics["baselines"]) == sorted(
        ["persistence", "training_mean", "day_earlier", "week_earlier", "least_squares_5",
         "ridge_672", "average_of_2_best"]
    )
    assert len(metrics["baseline_choices"]["average_of"]) == 2
    for name, value in metrics["baselines"].items():
        assert re.search(r"^%s +%.6f " % (name, value), proc.stdout, re.M), name
    for png in ("load_raw.png", "load_normalised.png", "loss.png", "test_prediction.png"):
        assert os.path.getsize(os.path.join(logdir, png)) > 1000
    assert os.listdir(os.path.join(logdir, "tensorboard"))


def output_on_last_window(logdir):
    """(the saved model's output on the last 5 values of daily_load(), that series
    normalised, the saved settings): a forecast worked out by hand, without --restore."""
    path, settings = outputs.newest_checkpoint(logdir)
    tf = runtime.setup_tensorflow(False)
    g = lstm_model.build_graph(tf, settings)
    series = (daily_load() - settings["norm_mean"]) / settings["norm_scale"]
    window = series[-5:].reshape(1, 5, 1).astype(np.float32)
    with tf.Session(graph=g.graph) as session:
        g.saver.restore(session, path)
        return float(session.run(g.prediction, {g.inputs: window})[0, 0]), series, settings


def forecast_kw(stdout):
    return float(stdout.split("): ")[1].split(" kW")[0])


@pytest.mark.slow
def test_restore_forecasts_the_same_value_as_the_saved_model(trained, series_csv, script):
    _, logdir = trained
    proc = script("energy/train.py", "--restore", logdir, "--data", series_csv)
    assert proc.returncode == 0, proc.stderr
    # the same forecast by hand from the checkpoint
    output, series, settings = output_on_last_window(logdir)
    want = output * settings["norm_scale"] + settings["norm_mean"]
    assert forecast_kw(proc.stdout) == pytest.approx(want, abs=1e-3)


@pytest.mark.slow
def test_restore_uses_the_start_saved_with_the_model_unless_start_is_given(
    series_csv, tmp_path, capsys
):
    monday = "2024-01-01 00:15"
    logdir = str(tmp_path)
    code, _, err = run_main(
        ["--data", series_csv, "--logdir", logdir, "--no_plots", "--features", "load,dow",
         "--start", monday, "--steps", 20, "--eval_every", 10], capsys)
    assert code == 0, err
    path, settings = outputs.newest_checkpoint(logdir)
    assert settings["start"] == monday
    code, out, err = run_main(["--restore", logdir, "--data", series_csv], capsys)
    assert code == 0, err
    assert "if the first ends %s" % monday in out
    kw, _, target = forecast.forecast_after(daily_load(), path, settings, monday)
    assert forecast_kw(out) == pytest.approx(kw, abs=1e-3)
    when = datetime.datetime(2024, 1, 1, 0, 15) + datetime.timedelta(minutes=15 * target)
    assert when.strftime("%Y-%m-%d %H:%M") in out
    # --start given with --restore still wins (another CSV may start elsewhere)
    code, out, err = run_main(
        ["--restore", logdir, "--data", series_csv, "--start", "2011-01-01 00:15"], capsys)
    assert code == 0 and "if the first ends 2011-01-01 00:15" in out, err


@pytest.mark.slow
def test_residual_target_forecasts_in_the_chapters_units(series_csv, tmp_path, capsys):
    logdir = str(tmp_path)
    code, _, err = run_main(
        ["--data", series_csv, "--logdir", logdir, "--no_plots", "--target", "residual_last",
         "--steps", 200, "--eval_every", 50], capsys)
    assert code == 0, err
    with open(os.path.join(logdir, "metrics.json")) as handle:
        metrics = json.load(handle)
    # Forgetting to add the last input back (or adding it in other units) would leave the
    # forecasts near 0 or off by the mean: far worse than the training mean.
    assert metrics["test_mse"] < 0.2 * metrics["baselines"]["training_mean"]
    assert metrics["test_rmse_kw"] == pytest.approx(np.sqrt(metrics["test_mse"]) * 339, rel=1e-3)
    # --restore adds it back too: the model's change plus the last value, in kW
    code, out, err = run_main(["--restore", logdir, "--data", series_csv], capsys)
    assert code == 0, err
    change, series, settings = output_on_last_window(logdir)
    assert settings["target"] == "residual_last"
    want = (change + series[-1]) * settings["norm_scale"] + settings["norm_mean"]
    assert forecast_kw(out) == pytest.approx(want, abs=1e-3)


# Runs the script in sys.argv[1] with Ctrl-C as in a terminal, even where pytest runs in a
# background job, whose children inherit SIGINT ignored.
WITH_CTRL_C = ("import os, runpy, signal, sys; "
               "signal.signal(signal.SIGINT, signal.default_int_handler); "
               "sys.argv = sys.argv[1:]; sys.path.insert(0, os.path.dirname(sys.argv[0])); "
               "runpy.run_path(sys.argv[0], run_name='__main__')")


@pytest.mark.slow
def test_an_interrupted_run_leaves_the_earlier_checkpoint_usable(trained, series_csv):
    _, logdir = trained
    with open(os.path.join(logdir, "checkpoint")) as handle:
        index = handle.read()
    env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen(
        [sys.executable, "-c", WITH_CTRL_C, os.path.join(ROOT, "energy/train.py"),
         "--data", series_csv, "--logdir", logdir, "--steps", "1000000", "--early_stopping", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env,
    )
    for line in proc.stdout:  # interrupt once training is under way
        if line.startswith("step "):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    with open(os.path.join(logdir, "checkpoint")) as handle:
        assert handle.read() == index
    path, _ = outputs.newest_checkpoint(logdir)
    assert os.path.exists(path + ".index")


def test_a_failed_write_leaves_the_earlier_file_and_no_temporary(tmp_path):
    path = str(tmp_path / "metrics.json")
    outputs.write_json(path, {"run": 1})

    def fail(tmp):
        with open(tmp, "w") as handle:
            handle.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        outputs.write_atomically(path, fail)
    assert outputs.read_json(path) == {"run": 1}
    assert os.listdir(str(tmp_path)) == ["metrics.json"]


def test_a_cached_result_is_computed_once_per_key(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"test": [0.1, 0.2], "run": len(calls)}

    key = {"baseline": "gradient_boosting", "data_sha256": "abc", "split": "year"}
    first = outputs.cached_json(str(tmp_path), key, compute)
    assert outputs.cached_json(str(tmp_path), dict(key), compute) == first and len(calls) == 1
    other = outputs.cached_json(str(tmp_path), dict(key, split="chapter"), compute)
    assert other["run"] == 2 and len(calls) == 2


# ------------------------------------------------------------------- the next day (--horizon)


def test_a_step_ahead_reads_earlier_forecasts_after_the_origin_and_data_before_it():
    array = np.arange(3000, dtype=np.float64)
    settings = chapter_settings(timesteps=4, horizon=2, target="residual_last")
    origins = np.array([1000, 2000])
    forecasts = -np.arange(1, 11)[None, :] * np.array([[1.0], [10.0]])  # o+j: -j, -10 j
    inputs, bases = forecast.step_inputs(array, origins, 5, forecasts, settings, "2011-01-01 00:15")
    # value o + 5 comes from the window ending at o + 3: o, then the forecasts of o+1 ... o+3
    assert inputs[0, :, 0].tolist() == [1000, -1, -2, -3]
    assert inputs[1, :, 0].tolist() == [2000, -10, -20, -30]
    # residual_last adds back the window's last value: a forecast too
    assert bases.tolist() == [-3, -30]
    inputs, bases = forecast.step_inputs(array, origins, 1, forecasts, settings, "2011-01-01 00:15")
    assert inputs[0, :, 0].tolist() == [996, 997, 998, 999] and bases.tolist() == [999, 1999]


def test_a_step_ahead_reads_forecasts_for_lag_inputs_after_the_origin():
    array = np.arange(3000, dtype=np.float64)
    settings = chapter_settings(timesteps=2, horizon=2, features=["load", "later"])
    origins = np.array([1000])
    forecasts = -np.arange(1, 97, dtype=np.float64)[None, :]  # the forecast of o + j: -j
    inputs, _ = forecast.step_inputs(array, origins, 96, forecasts, settings, "2011-01-01 00:15")
    # value o + 96 from the window o + 93, o + 94 (forecasts); its later inputs a day
    # earlier, o + j, are forecasts too; a week earlier they are data
    assert inputs[0, :, 0].tolist() == [-93, -94]
    assert inputs[0, -1, 1:5].tolist() == [-1, -2, -4, -8]
    assert inputs[0, -1, 5:].tolist() == [1000 + 96 - 672 + j for j in (1, 2, 4, 8)]


def test_direct_ridge_by_horizon_is_one_ridge_per_step_ahead():
    series = (daily_load(3000) - 147.0) / 339.0
    parts = small_parts()
    forecasts = baselines.direct_linear_by_horizon(series, parts, 3, 10, [1.0])
    train = series_mod.origins_within(parts["train"], 3)
    test = series_mod.origins_within(parts["test"], 3)
    for k in (1, 2, 3):
        statistics = baselines.ridge_statistics(series, train + k, k, 10)
        weights, bias = baselines.solve_ridge(statistics, 1.0)
        want = baselines.predict_linear(series, test + k, k, 10, weights, bias)
        np.testing.assert_allclose(forecasts[:, k - 1], want, atol=1e-9)
    errors = baselines.baselines_by_horizon(series, parts, 3)
    truth = series[test[:, None] + np.arange(1, 4)]
    np.testing.assert_allclose(errors["persistence"],
                               np.mean((series[test][:, None] - truth) ** 2, axis=0))


@pytest.mark.slow
def test_the_next_day_from_a_saved_model_and_its_error_by_steps_ahead(series_csv, tmp_path,
                                                                     capsys):
    logdir = str(tmp_path)
    code, _, err = run_main(["--data", series_csv, "--logdir", logdir, "--no_plots",
                             "--steps", 100, "--eval_every", 50, "--features", "load,tod"],
                            capsys)
    assert code == 0, err
    code, out, err = run_main(["--restore", logdir, "--data", series_csv], capsys)
    assert code == 0, err
    two_ahead = forecast_kw(out)
    code, out, err = run_main(["--restore", logdir, "--data", series_csv, "--horizon", 96],
                              capsys)
    assert code == 0, err
    with open(os.path.join(logdir, "forecast.json")) as handle:
        ahead = json.load(handle)
    assert len(ahead["forecast_kw"]) == 96
    # value 2 ahead comes from the last window, as --restore without --horizon forecasts it
    assert ahead["forecast_kw"][1] == pytest.approx(two_ahead, abs=1e-3)
    first = datetime.datetime(2011, 1, 1, 0, 15) + datetime.timedelta(minutes=15 * N_VALUES)
    assert ahead["times"][0] == first.strftime("%Y-%m-%d %H:%M")
    assert ahead["times"][-1] == (first + datetime.timedelta(hours=23, minutes=45)).strftime(
        "%Y-%m-%d %H:%M")
    with open(os.path.join(logdir, "horizon_error.json")) as handle:
        errors = json.load(handle)
    assert sorted(errors["mse"]) == sorted(["LSTM", "persistence", "training_mean",
                                            "day_earlier", "week_earlier", "least_squares_5",
                                            "ridge_672"])
    assert all(len(mse) == 96 for mse in errors["mse"].values())
    # 2 steps ahead the LSTM forecasts from real data only: its table's MSE on these origins
    with open(os.path.join(logdir, "metrics.json")) as handle:
        metrics = json.load(handle)
    assert errors["mse"]["LSTM"][1] == pytest.approx(metrics["test_mse"], rel=0.15)
    assert errors["mse"]["persistence"][95] > errors["mse"]["persistence"][0]
    for png in ("forecast.png", "horizon_error.png"):
        assert os.path.getsize(os.path.join(logdir, png)) > 1000
    assert re.search(r"^LSTM +[0-9.]+ +[0-9.]+", out, re.M)


@pytest.mark.slow
def test_the_ensemble_averages_its_members_forecasts(series_csv, tmp_path, capsys):
    ensemble = load_module("energy", "ensemble")
    paths = []
    for seed in (0, 1):
        logdir = str(tmp_path / ("seed%d" % seed))
        code, out, err = run_main(["--data", series_csv, "--logdir", logdir, "--no_plots",
                                   "--steps", 60, "--eval_every", 20, "--seed", seed], capsys)
        assert code == 0, err
        paths.append(outputs.newest_checkpoint(logdir)[0])
    raw = daily_load()
    figures, baselines_mse = ensemble.evaluate(raw, paths, "chapter", str(tmp_path))
    members = [ensemble.member_forecasts_kw(raw, path, "chapter")[0]["test"] for path in paths]
    want = np.mean(((np.mean(members, axis=0) - raw[12006:13006]) / 339.0) ** 2)
    assert figures["test"] == pytest.approx(want, rel=1e-9)
    assert "gradient_boosting" in baselines_mse and "average_of_2_best" in baselines_mse
    assert "LSTM, average of 2" in capsys.readouterr().out


# ------------------------------------------------------------------------------ bad input


def bad_input_cases(tmp):
    values = daily_load()
    nan_values = ["%.3f" % v for v in values]
    nan_values[7] = "nan"
    cases = {
        "missing": ([os.path.join(tmp, "nope.csv")], "not found; run 'python data/fetch.py'"),
        "no_load_column": (
            [write_csv(os.path.join(tmp, "kw.csv"), values, header="kW")],
            "no 'Load' column",
        ),
        "not_numeric": ([os.path.join(tmp, "text.csv")], "not numeric"),
        "nan": ([os.path.join(tmp, "nan.csv")], "missing values"),
        "too_short": (
            [write_csv(os.path.join(tmp, "short.csv"), values[:5000])],
            "needs at least 14006",
        ),
        "year_too_short": (
            [write_csv(os.path.join(tmp, "short2.csv"), values), "--split", "year"],
            "4 years",
        ),
    }
    with open(os.path.join(tmp, "text.csv"), "w") as handle:
        handle.write("Load\n1.0\nhello\n3.0\n")
    with open(os.path.join(tmp, "nan.csv"), "w") as handle:
        handle.write("Load\n" + "\n".join(nan_values) + "\n")
    return cases


@pytest.mark.parametrize(
    "case", ["missing", "no_load_column", "not_numeric", "nan", "too_short", "year_too_short"]
)
def test_bad_data_is_one_line_and_exit_2(case, tmp_path, capsys):
    args, message = bad_input_cases(str(tmp_path))[case]
    code, _, err = run_main(["--data"] + args + ["--logdir", tmp_path / "logs"], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err


def test_bad_data_from_the_command_line_prints_no_traceback(tmp_path, script):
    proc = script("energy/train.py", "--data", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: %s not found; run 'python data/fetch.py' (or 'python data/fetch.py --mirror "
        "DIR') first, or pass --data FILE" % (tmp_path / "nope.csv")
    ]


def test_early_stopping_comes_from_the_preset_unless_the_flag_is_given():
    parser = settings_mod.build_parser("energy")
    cases = [([], 1000), (["--preset", "best"], settings_mod.PRESETS["best"]["early_stopping"]),
             (["--preset", "best", "--early_stopping", "0"], 0)]
    for argv, want in cases:
        settings = settings_mod.resolve_settings(parser.parse_args(argv), parser)
        assert settings["early_stopping"] == want


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--steps", "-5"], "--steps must be a positive integer"),
        (["--rnn_layers", ""], "--rnn_layers must name at least one layer"),
        (["--rnn_layers", "5,x"], "comma-separated integers"),
        (["--batch_size", "0"], "--batch_size must be a positive integer"),
        (["--horizon", "0"], "--horizon must be between 1 and 96"),
        (["--learning_rate", "-1"], "--learning_rate must be positive"),
        (["--features", "load,moon"], "--features takes"),
        (["--features", "load,later", "--horizon", "90"], "--features later reads 8 values"),
        (["--ensemble", "0"], "--ensemble must be a positive integer"),
        (["--early_stopping", "-1"], "--early_stopping must be 0 (off)"),
        (["--start", "2024-01-01 00:10"], "--start must be 'YYYY-MM-DD HH:MM' on a quarter hour"),
    ],
)
def test_nonsense_flags_are_one_line_and_exit_2(flags, message, series_csv, capsys):
    code, _, err = run_main(["--data", series_csv] + flags, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err


def test_restore_without_a_checkpoint_is_one_line_and_exit_2(tmp_path, series_csv, capsys):
    code, _, err = run_main(["--restore", tmp_path, "--data", series_csv], capsys)
    assert code == 2 and "no checkpoint in" in err
    assert len(err.strip().splitlines()) == 1


def test_default_data_path_resolves_from_the_repo_root(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    assert series_mod.resolve_data_path("no/such.csv") == "no/such.csv"
    (tmp_path / "here.csv").write_text("Load\n1\n")
    assert series_mod.resolve_data_path("here.csv") == "here.csv"
    want = os.path.join(ROOT, "tests/conftest.py")
    assert series_mod.resolve_data_path("tests/conftest.py") == want


# ------------------------------------------------------------------ set-up, docs, house style


@pytest.mark.parametrize(
    "version,served", [((3, 7), True), ((3, 8), False), ((3, 9), False), ((3, 10), True),
                       ((3, 13), True), ((3, 14), False)]
)
def test_only_the_pythons_the_requirements_serve_pass_the_check(version, served):
    message = runtime.unsupported_python_message(version + (0, "final", 0))
    assert (message is None) == served
    if not served:
        assert "Python %d.%d is not supported" % version in message and "\n" not in message


def test_an_unserved_python_is_one_line_and_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        runtime.exit_unless_supported_python((3, 9, 1, "final", 0))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Python 3.9 is not supported") and err.count("\n") == 1
    runtime.exit_unless_supported_python()  # this one is served: no exit


def test_the_readme_describes_the_chapters_script_not_the_repositorys_variant():
    with open(os.path.join(ROOT, "energy", "README.md")) as handle:
        readme = handle.read()
    chapter = settings_mod.PRESETS["chapter"]
    # the chapter: Adagrad 0.03, batch 100, 10000 steps; the book repository's unmerged
    # variant (SKCompat, lstm_model's default learning rate 0.1, batches of 128) is not it
    assert "Adagrad, learning rate %s, batch %d, %d steps" % (
        chapter["learning_rate"], chapter["batch_size"], chapter["steps"]) in readme
    assert "SKCompat" not in readme
    rates = re.findall(r"(?:learning rate|Adagrad at)[^0-9|]{0,40}?([0-9]+\.[0-9]+)", readme)
    assert rates and set(rates) == {str(chapter["learning_rate"])}
    assert not re.search(r"batch(?:es)? of (?!100\b)[0-9]+", readme)


def energy_and_test_functions():
    paths = glob.glob(os.path.join(ROOT, "energy", "*.py"))
    paths += [os.path.join(ROOT, "tests", name) for name in ("test_energy.py", "conftest.py")]
    for path in paths:
        with open(path) as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield "%s:%s" % (os.path.basename(path), node.name), node


def test_no_function_in_energy_or_its_tests_is_over_60_lines():
    # end_lineno exists from Python 3.8; on 3.7 the last line of the body's last statement
    def last_line(node):
        return getattr(node, "end_lineno", None) or max(
            getattr(child, "lineno", 0) for child in ast.walk(node))

    lengths = {name: last_line(node) - node.lineno + 1 for name, node in
               energy_and_test_functions()}
    assert len(lengths) > 50
    assert {name: n for name, n in lengths.items() if n > 60} == {}


@pytest.mark.slow
def test_bench_times_both_sides_or_skips_keras_cleanly_on_tf1(script):
    proc = script("energy/bench.py", "--steps", "60", "--warmup", "20", "--repeats", "1")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "tf.compat.v1 graph" in lines[0] and "steps/s" in lines[0]
    if "TensorFlow 1." in lines[0]:
        assert lines[-1].startswith(
            "Keras 3 model.fit: skipped, the comparison needs TensorFlow 2.x"
        )
    else:
        assert lines[-1].startswith("ratio graph / Keras 3: ")
        assert float(lines[-1].split(": ")[1]) > 0
