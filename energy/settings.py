"""The chapter's constants, the presets, and the command-line flags that override them."""

import argparse
import math

from series import (
    DEFAULT_DATA,
    FEATURES,
    LATER_STEPS,
    NORM_MEAN,
    NORM_SCALE,
    SLOTS_PER_DAY,
    START,
    TARGET_LAGS,
    n_features,
    parse_start,
)

# The chapter's names and values.
LOG_DIR = "ops_logs"
TIMESTEPS = 5
RNN_LAYERS = [{"steps": TIMESTEPS}]
DENSE_LAYERS = None
TRAINING_STEPS = 10000
BATCH_SIZE = 100
PRINT_STEPS = TRAINING_STEPS // 100
EARLY_STOPPING_ROUNDS = 1000
LEARNING_RATE = 0.03
DEFAULT_HORIZON = 2  # the chapter's target a[i+6] comes 2 steps after its last input a[i+4]

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
        early_stopping=EARLY_STOPPING_ROUNDS,
        norm="chapter",
        target="value",
        lr_decay=1.0,
        ensemble=1,
    ),
    # Found with the validation part only; energy/EXPERIMENTS.md has the runs.
    "best": dict(
        timesteps=16,
        rnn_layers=[32],
        dense_layers=[],
        features=["load", "tod", "days", "later"],
        keep_prob=1.0,
        optimizer="adam",
        learning_rate=0.001,
        batch_size=BATCH_SIZE,
        steps=30000,
        early_stopping=3000,
        norm="train",
        target="value",
        lr_decay=1.0,
        ensemble=1,
    ),
}


class OneLineParser(argparse.ArgumentParser):
    """A usage error is one line and exit code 2, not the usage text."""

    def error(self, message):
        self.exit(2, "%s: error: %s\n" % (self.prog, message))


class PresetHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Flags a preset fills in say so instead of "(default: None)"; flags whose help tells
    their default get no "(default: None)" either."""

    def _get_help_string(self, action):
        if action.default is None and action.dest in PRESETS["chapter"]:
            return (action.help or "") + " (default: from --preset)"
        if action.default is None and "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


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


def parse_features(text):
    names = [part for part in text.replace(" ", "").split(",") if part]
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            "--features takes a comma list of %s; got %r" % (", ".join(FEATURES), text)
        )
    return [name for name in FEATURES if name in names]


# ---------------------------------------------------------------------------------- flags


def add_run_flags(p):
    p.add_argument("--data", default=DEFAULT_DATA, help="CSV with a 'Load' column")
    p.add_argument("--logdir", default=LOG_DIR, help="checkpoints, summaries, plots, metrics.json")
    p.add_argument("--preset", choices=sorted(PRESETS), default="chapter",
                   help="defaults for the flags below that are not given")
    p.add_argument("--split", choices=["chapter", "year"], default="chapter",
                   help="chapter: windows 0-12000 / 12000-13000 / 13000-14000; "
                   "year: train 2011-2013, validate the last 8 weeks of 2013, test 2014")
    p.add_argument("--seed", type=int, default=0, help="weights and minibatch order")
    p.add_argument("--no_plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--boosting", choices=["on", "off"],
                   help="fit the gradient-boosting baseline too (seconds on the chapter split, "
                   "about a minute on the year split); default: on for --preset best, off "
                   "for the chapter")
    p.add_argument("--restore", metavar="DIR",
                   help="no training: load the newest checkpoint in DIR and forecast the value "
                   "after the last inputs of --data")
    p.add_argument("--start",
                   help="'YYYY-MM-DD HH:MM' when the first value of --data ends (training: "
                   "default %s, the source's; --restore: default the start saved with the "
                   "model); only the tod and dow inputs use it" % START)
    p.add_argument("--verbose", action="store_true", help="TensorFlow's own log lines")


def add_model_flags(p):
    p.add_argument("--timesteps", type=int, help="values per input window (chapter: 5)")
    p.add_argument("--horizon", type=int,
                   help="training: forecast the value this many steps after the last input "
                   "(default 2, the chapter's target a[i+6] after inputs a[i:i+5]); with "
                   "--restore: forecast the next N values (96: a day) and their error by "
                   "steps ahead on the test part")
    p.add_argument("--rnn_layers", help="LSTM units per stacked layer, e.g. 5 or 5,5 (chapter: 5)")
    p.add_argument("--dense_layers", help="ReLU layer sizes before the head, e.g. 16 ('' = none)")
    p.add_argument("--features",
                   help="comma list of per-step inputs: load, tod (time of day), dow (day of "
                   "week), day and week (load one day / one week before), days (1..7 days "
                   "before), later (load 1, 2, 4, 8 steps after the target's time one day and "
                   "one week before)")
    p.add_argument("--keep_prob", type=float,
                   help="dropout on each LSTM layer's output while training (the chapter's "
                   "keep_prob; 1: none)")
    p.add_argument("--norm", choices=["chapter", "train"],
                   help="chapter: (x - norm_mean) / norm_scale; train: mean and std of the "
                   "training part")
    p.add_argument("--norm_mean", type=float, default=NORM_MEAN, help="for --norm chapter")
    p.add_argument("--norm_scale", type=float, default=NORM_SCALE, help="for --norm chapter")
    p.add_argument("--target", choices=sorted(TARGET_LAGS),
                   help="learn the value, or its change from the last input / one day / one "
                   "week before")


def add_training_flags(p):
    p.add_argument("--optimizer", choices=["adagrad", "adam", "rmsprop", "sgd"],
                   help="chapter: adagrad")
    p.add_argument("--learning_rate", type=float, help="chapter: 0.03")
    p.add_argument("--lr_decay", type=float,
                   help="learning rate times this every 1000 steps (1: constant)")
    p.add_argument("--ensemble", type=int,
                   help="train K networks at once (initial weights from --seed) and forecast "
                   "their mean (1: one network)")
    p.add_argument("--batch_size", type=int, help="chapter: 100")
    p.add_argument("--steps", type=int, help="training steps (chapter: 10000)")
    p.add_argument("--eval_every", type=int, default=PRINT_STEPS, help="validate every N steps")
    p.add_argument("--early_stopping", type=int,
                   help="stop after N steps without a better validation loss (0: never; "
                   "chapter: %d)" % EARLY_STOPPING_ROUNDS)


def build_parser(description):
    p = OneLineParser(description=description, formatter_class=PresetHelp)
    add_run_flags(p)
    add_model_flags(p)
    add_training_flags(p)
    return p


# ------------------------------------------------------------------------------- settings


def check_horizon(horizon, parser):
    if not 1 <= horizon <= SLOTS_PER_DAY:
        parser.error("--horizon must be between 1 and %d steps; got %d" % (SLOTS_PER_DAY, horizon))


def check_start(args, parser):
    if args.start is None:
        return
    try:
        parse_start(args.start)
    except ValueError:
        parser.error(
            "--start must be 'YYYY-MM-DD HH:MM' on a quarter hour, e.g. '%s'; got %r"
            % (START, args.start)
        )


def check_settings(settings, args, parser):
    """Every check of the flags that needs no data; a failure is parser.error (exit 2)."""
    for name in ("timesteps", "batch_size", "steps", "eval_every", "ensemble"):
        value = settings.get(name, getattr(args, name, None))
        if value is None or value <= 0:
            parser.error("--%s must be a positive integer; got %s" % (name, value))
    check_horizon(settings["horizon"], parser)
    if "later" in settings["features"] and settings["horizon"] + max(LATER_STEPS) > SLOTS_PER_DAY:
        parser.error("--features later reads %d values past the target's time a day earlier: "
                     "it needs --horizon <= %d; got %d" % (max(LATER_STEPS), SLOTS_PER_DAY
                     - max(LATER_STEPS), settings["horizon"]))
    if settings["early_stopping"] < 0:
        parser.error(
            "--early_stopping must be 0 (off) or a positive number of steps; got %d"
            % settings["early_stopping"]
        )
    if not 0 < settings["keep_prob"] <= 1:
        parser.error("--keep_prob must be in (0, 1]; got %s" % settings["keep_prob"])
    if not 0 < settings["lr_decay"] <= 1:
        parser.error("--lr_decay must be in (0, 1]; got %s" % settings["lr_decay"])
    if not settings["learning_rate"] > 0:
        parser.error("--learning_rate must be positive; got %s" % settings["learning_rate"])
    if args.norm_scale == 0 or not math.isfinite(args.norm_scale):
        parser.error("--norm_scale must be a non-zero number; got %s" % args.norm_scale)
    check_start(args, parser)


def resolve_settings(args, parser):
    """The preset's values under the flags given, checked; what the model is built from."""
    preset = PRESETS[args.preset]

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
        horizon=DEFAULT_HORIZON if args.horizon is None else args.horizon,
        rnn_layers=pick("rnn_layers", lambda t: parse_int_list(t, "--rnn_layers", False)),
        dense_layers=pick("dense_layers", lambda t: parse_int_list(t, "--dense_layers", True)),
        features=pick("features", parse_features),
        optimizer=pick("optimizer"),
        keep_prob=pick("keep_prob"),
        learning_rate=pick("learning_rate"),
        lr_decay=pick("lr_decay"),
        batch_size=pick("batch_size"),
        steps=pick("steps"),
        early_stopping=pick("early_stopping"),
        norm=pick("norm"),
        target=pick("target"),
        ensemble=pick("ensemble"),
        start=args.start or START,
    )
    check_settings(settings, args, parser)
    settings["n_features"] = n_features(settings["features"])
    return settings
