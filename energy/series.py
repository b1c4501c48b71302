"""The load series: reading the CSV, its calendar, the splits, normalisation, the windows.

The CSV has no timestamps. Its source has one value every 15 minutes from 2011-01-01 00:15
to 2015-01-01 00:00, so value k is the quarter hour ending at START + 15 k minutes.
"""

import datetime
import os

import numpy as np

from runtime import UserError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join("data", "elec_load.csv")

# The chapter's normalisation, (x - 147) / 339. Every MSE printed or saved is in these units,
# ((forecast - true) / 339) ** 2, whatever --norm the model trains with.
NORM_MEAN, NORM_SCALE = 147.0, 339.0
METRIC_SCALE = NORM_SCALE

SLOTS_PER_DAY = 96
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
START = "2011-01-01 00:15"  # a Saturday
DAYS_BEFORE_2014 = 365 + 366 + 365  # 2011, 2012 (leap year), 2013
YEAR_VALIDATION_DAYS = 56  # --split year validates on the last 8 weeks of 2013
# The chapter's window i has inputs a[i:i+5] and target a[i+6].
CHAPTER_TARGET_OFFSET = 6
CHAPTER_WINDOWS = {"train": (0, 12000), "test": (12000, 13000), "val": (13000, 14000)}

FEATURES = ("load", "tod", "dow", "day", "week", "days", "later")
# "later": the values one day and one week before s + horizon + j for these j (after the
# target's own time yesterday and last week); all before the window's last value while
# horizon + max(LATER_STEPS) <= 96.
LATER_STEPS = (1, 2, 4, 8)
FEATURE_COLUMNS = {"tod": 2, "dow": 7, "days": 7, "later": 2 * len(LATER_STEPS)}
# --target: the model learns the target minus the value this many steps before it
# (None: the horizon, i.e. the last input), and that value is added back to its output.
# residual_ridge: the target minus the forecast of a ridge regression on the week (672 values)
# before the horizon, fitted on the training part (its oldest input: horizon + 671 back).
TARGET_LAGS = {"value": 0, "residual_last": None, "residual_day": SLOTS_PER_DAY,
               "residual_week": SLOTS_PER_WEEK, "residual_ridge": "ridge"}
RIDGE_WIDTH = SLOTS_PER_WEEK


# ------------------------------------------------------------------------------ reading


def resolve_data_path(path):
    """A relative path is looked up from the current directory, then from the repo root."""
    if os.path.isabs(path) or os.path.exists(path):
        return path
    from_root = os.path.join(ROOT, path)
    return from_root if os.path.exists(from_root) else path


def read_csv(path):
    """(frame, count of malformed lines skipped); the chapter's error_bad_lines=False."""
    import pandas as pd

    if not os.path.isfile(path):
        raise UserError(
            "%s not found; run 'python data/fetch.py' (or 'python data/fetch.py "
            "--mirror DIR') first, or pass --data FILE" % path
        )
    try:
        # pandas 1.3+ spells the chapter's error_bad_lines=False as on_bad_lines='skip'.
        frame = pd.read_csv(path, on_bad_lines="skip", skip_blank_lines=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise UserError(
            "%s is not a readable CSV (%s); expected a header 'Load' and one "
            "value a line" % (path, str(error).splitlines()[0])
        )
    with open(path, "rb") as handle:
        data_lines = sum(1 for line in handle if line.strip()) - 1
    return frame, max(0, data_lines - len(frame))


def load_series(path):
    """Returns (frame, loads as float64, count of malformed lines skipped)."""
    import pandas as pd

    frame, skipped = read_csv(path)
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


# ------------------------------------------------------------------------------ calendar


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


def time_of_value(index, start=START):
    """When value `index` ends."""
    return parse_start(start) + datetime.timedelta(minutes=15 * int(index))


# ------------------------------------------------------------------------------- splits


def target_lag(target, horizon):
    """How far before the target the oldest value its --target base reads lies."""
    lag = TARGET_LAGS[target]
    if lag == "ridge":
        return horizon + RIDGE_WIDTH - 1
    return horizon if lag is None else lag


def first_target(timesteps, horizon, features, target="value"):
    """Index of the first value that has a full window (and the lags it needs) before it."""
    base_lag = target_lag(target, horizon) - horizon
    if "week" in features or "days" in features or "later" in features:
        feature_lag = SLOTS_PER_WEEK
    elif "day" in features:
        feature_lag = SLOTS_PER_DAY
    else:
        feature_lag = 0
    return timesteps - 1 + max(horizon, feature_lag, horizon + base_lag)


def chapter_parts(n_values):
    """The chapter's split is by window i (target i + 6): train windows 0-12000, test
    12000-13000, validation 13000-14000; the same targets whatever the window length."""
    need = CHAPTER_WINDOWS["val"][1] + CHAPTER_TARGET_OFFSET
    if n_values < need:
        raise UserError(
            "the series has %d values; the chapter split needs at least %d "
            "(targets up to window 14000)" % (n_values, need)
        )
    return {
        name: np.arange(lo + CHAPTER_TARGET_OFFSET, hi + CHAPTER_TARGET_OFFSET)
        for name, (lo, hi) in CHAPTER_WINDOWS.items()
    }


def year_parts(n_values):
    """Train 2011 to early November 2013, validate the last 8 weeks of 2013, test 2014, by
    the day of each value (index // 96)."""
    test_start = DAYS_BEFORE_2014 * SLOTS_PER_DAY
    val_start = test_start - YEAR_VALIDATION_DAYS * SLOTS_PER_DAY
    need = test_start + SLOTS_PER_WEEK
    if n_values < need:
        raise UserError(
            "the series has %d values; --split year needs the source's 4 years "
            "(at least %d values from 2011-01-01 00:15)" % (n_values, need)
        )
    return {
        "train": np.arange(0, val_start),
        "val": np.arange(val_start, test_start),
        "test": np.arange(test_start, n_values),
    }


def split_targets(n_values, split, first):
    """Target indices of each part ('train', 'val', 'test'), none before `first`."""
    parts = chapter_parts(n_values) if split == "chapter" else year_parts(n_values)
    parts = {name: targets[targets >= first] for name, targets in parts.items()}
    if min(len(targets) for targets in parts.values()) == 0:
        raise UserError(
            "the windows are too long for this split (the first target is value "
            "%d); use a shorter --timesteps or fewer lag features" % first
        )
    return parts


def origins_within(targets, steps, stride=1):
    """Every `stride`-th origin o whose next `steps` values o+1 ... o+steps are all targets
    of one part (`targets`: consecutive indices)."""
    return np.arange(targets[0] - 1, targets[-1] - steps + 1, stride)


def normalisation(norm, raw, parts, mean=NORM_MEAN, scale=NORM_SCALE):
    """(mean, scale): the given ones ('chapter'), or the training part's ('train')."""
    if norm == "train":
        history = raw[: parts["train"][-1] + 1]
        return float(history.mean()), float(history.std() or 1.0)
    return mean, scale


# ------------------------------------------------------------------------------ windows


def n_features(features):
    return sum(FEATURE_COLUMNS.get(name, 1) for name in features)


def target_base(series, targets, horizon, target, ridge=None):
    """What --target subtracts from each target (and adds back to the forecast): 0 for
    'value', the ridge's forecast for 'residual_ridge' (`ridge`: its weights and bias), else
    the value target_lag steps before the target."""
    targets = np.asarray(targets)
    if target == "value":
        return np.zeros(len(targets))
    if target == "residual_ridge":
        weights, bias = np.asarray(ridge[0]), ridge[1]
        steps = np.arange(RIDGE_WIDTH) - horizon - RIDGE_WIDTH + 1
        return np.concatenate([series[targets[lo : lo + 8192, None] + steps] @ weights + bias
                               for lo in range(0, len(targets), 8192)] or [np.zeros(0)])
    return series[targets - target_lag(target, horizon)]


def load_offsets(name, horizon):
    """The columns of a feature that read the load: value s + d for each offset d (window
    step s); none for the calendar features."""
    if name == "load":
        return [0]
    if name == "later":
        return [horizon + j - k * SLOTS_PER_DAY for k in (1, 7) for j in LATER_STEPS]
    days = {"day": [1], "week": [7], "days": range(1, 8)}.get(name, [])
    return [horizon - k * SLOTS_PER_DAY for k in days]


def feature_columns(name, series, steps, horizon, start):
    """The input columns of one feature for window steps `steps` (value indices)."""
    if name == "tod":
        angle = 2 * np.pi * slot_of_day(steps, start) / SLOTS_PER_DAY
        return [np.sin(angle), np.cos(angle)]
    if name == "dow":
        weekday = day_of_week(steps, start)
        return [(weekday == d).astype(np.float64) for d in range(7)]
    return [series[steps + offset] for offset in load_offsets(name, horizon)]


def make_windows(series, targets, timesteps, horizon, features, start=START):
    """Inputs [len(targets), timesteps, n_features] and targets [len(targets), 1].

    Step s of the window for target t holds value s (s = t - horizon - timesteps + 1 ...
    t - horizon), and optionally: the time of day of s (sin, cos), its day of the week
    (one-hot), the values one day and one week before s + horizon (at the last step: one day /
    one week before t), the values 1, 2, ..., 7 days before s + horizon ("days"), and the
    values one day and one week before s + horizon + j, j in LATER_STEPS ("later").
    With the defaults this is the chapter's loop: inputs a[i:i+5], target a[i+6]."""
    targets = np.asarray(targets)
    steps = targets[:, None] - horizon - timesteps + 1 + np.arange(timesteps)[None, :]
    columns = []
    for name in features:
        columns += feature_columns(name, series, steps, horizon, start)
    inputs = np.stack(columns, axis=-1).astype(np.float32)
    return inputs, series[targets].reshape(-1, 1).astype(np.float32)


def windows_and_bases(series, parts, settings):
    """({part: (inputs, targets)}, {part: bases}): the windows of each part, with the --target
    base taken off the targets (the loss is unchanged by subtracting a known value)."""
    data, bases = {}, {}
    for name, targets in parts.items():
        x, y = make_windows(series, targets, settings["timesteps"], settings["horizon"],
                            settings["features"], settings["start"])
        bases[name] = target_base(series, targets, settings["horizon"], settings["target"],
                                  settings.get("ridge"))
        data[name] = (x, y - bases[name][:, None].astype(np.float32))
    return data, bases
