"""The equal-weight average of several saved LSTMs (e.g. one preset trained with seeds 0, 1, 2),
on the split they were trained on: each member's and the average's validation and test MSE,
beside the baselines of train.py's table.

    python energy/ensemble.py CHECKPOINT CHECKPOINT ...   # the paths train.py prints
"""

import sys

from runtime import UserError, exit_unless_supported_python

exit_unless_supported_python()  # before numpy: an unserved Python has none installed

import numpy as np  # noqa: E402

from baselines import baseline_forecasts_kw, cached_boosting_forecasts  # noqa: E402
from forecast import restored_session  # noqa: E402
from lstm_model import predict  # noqa: E402
from outputs import mse_in_chapter_units, read_json, results_table  # noqa: E402
from series import (  # noqa: E402
    DEFAULT_DATA,
    first_target,
    load_series,
    resolve_data_path,
    split_targets,
    windows_and_bases,
)
from settings import OneLineParser  # noqa: E402


def member_forecasts_kw(raw, path, split, verbose=False):
    """{'val': ..., 'test': ...}: one saved model's forecasts in kW, and the settings."""
    try:
        settings = read_json(path + ".json")
    except (OSError, ValueError):
        raise UserError("%s.json is missing or unreadable; pass the checkpoint paths "
                        "train.py prints ('checkpoint ...')" % path)
    first = first_target(settings["timesteps"], settings["horizon"], settings["features"],
                         settings["target"])
    parts = split_targets(len(raw), split, first)
    series = (raw - settings["norm_mean"]) / settings["norm_scale"]
    data, bases = windows_and_bases(series, {p: parts[p] for p in ("val", "test")}, settings)
    session, g = restored_session(path, settings, verbose)
    with session:
        normalised = {p: predict(session, g, data[p][0])[:, 0] + bases[p] for p in data}
    kw = {p: f * settings["norm_scale"] + settings["norm_mean"] for p, f in normalised.items()}
    return kw, parts, settings


def evaluate(raw, paths, split, cache_dir, verbose=False):
    """Prints each member's and the average's MSE, then the table; returns the figures."""
    members, actual = [], None
    for path in paths:
        kw, parts, settings = member_forecasts_kw(raw, path, split, verbose)
        if actual is not None and settings["horizon"] != members[0][1]["horizon"]:
            raise UserError("%s forecasts %d steps ahead, the first %d; pass models of one "
                            "horizon" % (path, settings["horizon"], members[0][1]["horizon"]))
        actual = {p: raw[parts[p]] for p in ("val", "test")}
        members.append((kw, settings))
        print("member %s: validation MSE %.6f, test MSE %.6f" % (
            path, mse_in_chapter_units(kw["val"], actual["val"]),
            mse_in_chapter_units(kw["test"], actual["test"])))
    average = {p: np.mean([kw[p] for kw, _ in members], axis=0) for p in ("val", "test")}
    figures = {p: mse_in_chapter_units(average[p], actual[p]) for p in ("val", "test")}
    print("average of %d: validation MSE %.6f, test MSE %.6f" % (
        len(members), figures["val"], figures["test"]))
    horizon, start = members[0][1]["horizon"], members[0][1]["start"]
    boosting = cached_boosting_forecasts(raw, split, horizon, start, cache_dir)
    baseline_kw, _ = baseline_forecasts_kw(raw, split, horizon, boosting)
    baselines = {name: mse_in_chapter_units(kw, actual["test"]) for name, kw in baseline_kw.items()}
    print(results_table("LSTM, average of %d" % len(members), figures["test"], baselines,
                        len(actual["test"]), split, horizon))
    return figures, baselines


def main(argv=None):
    parser = OneLineParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", help="checkpoint paths (model-...-STEP)")
    parser.add_argument("--data", default=DEFAULT_DATA, help="CSV with a 'Load' column")
    parser.add_argument("--split", choices=["chapter", "year"],
                        help="default: the split saved with the first model")
    parser.add_argument("--cache_dir", default="ops_logs",
                        help="where the gradient-boosting baseline is cached")
    parser.add_argument("--verbose", action="store_true", help="TensorFlow's own log lines")
    args = parser.parse_args(argv)
    try:
        raw = load_series(resolve_data_path(args.data))[1]
        first = read_json(args.checkpoints[0] + ".json") if not args.split else {}
        evaluate(raw, args.checkpoints, args.split or first.get("split", "chapter"),
                 args.cache_dir, args.verbose)
    except (OSError, ValueError) as error:
        sys.stderr.write("error: %s; pass the checkpoint paths train.py prints\n" % error)
        sys.exit(2)
    except UserError as error:
        sys.stderr.write("error: %s\n" % error)
        sys.exit(2)


if __name__ == "__main__":
    main()
