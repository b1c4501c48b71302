"""Symbolic-music metrics for ABC tunes, as papers on music generation report them.

    python bach/music_metrics.py FILE.abc [FILE2.abc ...] [--corpus data/bach/original.txt]
        [--json OUT.json] [--markdown OUT.md] [--figure OUT.png]

Each tune goes through abc2midi (guitar chords ignored: -NGUI) and is read back with muspy;
onsets and ends are rounded to 1/48 of a quarter note, which removes abc2midi's one-tick
articulation gaps. abc2midi plays the repeats, so every figure taken from the MIDI weighs a
repeated section twice, as a listener hears it; bars are counted in the ABC text, as written.

Per tune, then per set of tunes (a sampled set, the corpus, held-out pieces):
- MusPy's pitch_range, n_pitch_classes_used, polyphony, pitch_in_scale_rate (the scale of
  the tune's own `K:` field; a church mode as its relative major), scale_consistency,
  pitch_class_entropy, empty_beat_rate, groove_consistency (one measure of the first meter):
  means over the tunes;
- the share of time with two or more distinct pitches sounding (pooled: time over the
  set's total time; a tune lasts from 0 to its last note's end or, if later, the end of
  its MIDI tracks, so rests at the end count as time);
- bars holding only rests, per voice and over all voices, as a share of bars (ABC text);
- whether the last sonority (the notes sounding at the last onset) has the `K:` tonic
  as its lowest note; music21's key estimate (`converter.parse` of the MIDI, then
  `.analyze('key')`: music21's default, the Aarden-Essen key profiles) against the `K:`
  field: same tonic and mode, and, more loosely, the same key signature (relative keys);
- Yang & Lerch (2018) overlap areas, here of POOLED histograms: the set's notes counted
  together, each histogram normalised to sum 1, overlap = sum of bin-wise minima (1 for
  identical histograms, 0 for disjoint ones). The histograms: pitch classes counted from
  the tune's tonic (degree 0 = tonic, so sets in different keys compare), note lengths in
  16 classes (the nearest on a log scale of 1/32 ... double whole, with dots and
  triplets), and absolute melodic intervals 0-12 semitones plus one bin for larger leaps,
  taken along each voice (the top note of each onset in the first voice, the lowest in
  the others). Beside them, the corpus-against-itself ceiling: the mean overlap of the two
  halves of the corpus over seeded random splits;
- tune length in bars (the voice with most bars): min, max, share within 16-50;
- against a reference set (copy_figures, pure Python): the share of novel voice lines and
  the longest run of consecutive bars of a voice line found verbatim in a reference one.

ABC's lexical rules (tunes, header fields, voices, bars, rest-only bars) are abc_grammar's.

Needs abc2midi (apt-get install abcmidi), muspy and music21 (requirements.txt: muspy 0.5
and music21 7.x on Python 3.7, music21 9-10 on 3.10+). They are imported when used.

API, for bach/evaluate.py:
    records, reused = cached_records(corpus_tunes, sha256, cache_path_for(path, sha256))
    report = report_from_records({"corpus": records, "model": analyse_tunes(tunes)}, "corpus")
    report["sets"]["model"]["copies"] = copy_figures(tunes, corpus_tunes)
    print(markdown_table(report["sets"], report["ceiling"]))
    plot_histograms(report["sets"], "hist.png")
(compare() does the first two lines without a cache.)
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import collections  # noqa: E402
import concurrent.futures  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import abc_grammar  # noqa: E402
from utils import (OneLineParser, UserError, user_errors_exit, write_json_atomically,  # noqa: E402
                   write_text_atomically)

TOOL = "abc2midi"
# abc2midi's default staggers a chord's notes by 10 ticks each, one grid step (below):
# voice lines and sounding pitches read notated chords as arpeggios without this line.
CHORD_ATTACK = "%%MIDI chordattack 0"
INSTALL_HINT = "sudo apt-get install abcmidi"
LENGTH_RANGE = (16, 50)  # bars: the corpus's range, the target
TOOL_TIMEOUT_S = 60
GRID_PER_QUARTER = 48  # onsets and ends are rounded to 1/48 of a quarter note
MAX_ERRORS = 5  # abc2midi messages kept per tune
# Bump when a tune's record changes, so cached corpus records are computed again.
RECORD_VERSION = 9  # 2: chords sound together (CHORD_ATTACK); 3: vertical intervals;
# 4: spelling; 5: parallels; 6: meter, chords, the first sonority; 7: the half's close;
# 8: semitone clashes between the hands; 9: rests
MUSPY_METRICS = ("pitch_range", "n_pitch_classes_used", "polyphony", "pitch_in_scale_rate",
                 "scale_consistency", "pitch_class_entropy", "empty_beat_rate",
                 "groove_consistency")
HISTOGRAMS = ("pitch_class", "note_length", "pitch_interval", "vertical_interval")
# Note-length classes in quarter notes, with their labels.
NOTE_LENGTHS = ((0.125, "1/32"), (1 / 6.0, "1/16t"), (0.25, "1/16"), (1 / 3.0, "1/8t"),
                (0.375, "1/16."), (0.5, "1/8"), (2 / 3.0, "1/4t"), (0.75, "1/8."),
                (1.0, "1/4"), (4 / 3.0, "1/2t"), (1.5, "1/4."), (2.0, "1/2"),
                (3.0, "1/2."), (4.0, "1"), (6.0, "1."), (8.0, "2"))
DEGREES = ("1", "b2", "2", "b3", "3", "4", "#4", "5", "b6", "6", "b7", "7")
LARGEST_INTERVAL = 12  # semitones; larger leaps share one bin
INTERVAL_LABELS = tuple(str(i) for i in range(LARGEST_INTERVAL + 1)) + (">12",)
KEY_METHODS = ("key", "key.krumhanslschmuckler", "key.aardenessen", "key.temperleykostkapayne",
               "key.bellmanbudge", "none")
# Intervals above the bass, in semitones modulo the octave.
VERTICAL_LABELS = ("1/8", "m2", "M2", "m3", "M3", "4", "tt", "5", "m6", "M6", "m7", "M7")
# Dissonant above the bass in two-voice counterpoint: seconds, the fourth, the tritone,
# sevenths.
DISSONANT = (1, 2, 5, 6, 10, 11)
BIN_LABELS = {"pitch_class": DEGREES, "note_length": tuple(n for _, n in NOTE_LENGTHS),
              "pitch_interval": INTERVAL_LABELS, "vertical_interval": VERTICAL_LABELS}
NOTE_NAMES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
# Church modes: semitones from the relative major's tonic up to the mode's tonic.
MODE_OFFSETS = {"major": 0, "ion": 0, "dor": 2, "phr": 4, "lyd": 5, "mix": 7, "minor": 9,
                "aeo": 9, "loc": 11}

_KEY = re.compile(r"^\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)")
_MIDI_ERROR = re.compile(r"^Error\b.*$", re.M)


# ---------------------------------------------------------------- ABC text, no tools

def tune_texts(text):
    """The texts of all tunes of an ABC text (abc_grammar.split_tunes), a last one cut off
    by the end of the text included."""
    return [tune["text"] for tune in abc_grammar.split_tunes(text)]


def parse_key(field):
    """(tonic pitch class 0-11, mode) of a `K:` value such as "G", "Gm", "F#m", "Bb",
    "D dorian" or "Gm clef=bass"; mode is "major", "minor" or a church mode's first three
    letters ("dor", "mix", ...). None when there is no tonic ("none", "HP", empty)."""
    match = _KEY.match(field or "")
    if not match:
        return None
    letter, accidental, word = match.groups()
    tonic = (NOTE_NAMES[letter.lower()] + {"#": 1, "b": -1, "": 0}[accidental]) % 12
    word = word.lower()
    if word in ("m", "min", "minor") or word[:3] == "min":
        mode = "minor"
    elif word[:3] in MODE_OFFSETS and word[:3] not in ("maj", "ion"):
        mode = "minor" if word[:3] == "aeo" else word[:3]
    else:
        mode = "major"
    return tonic, mode


def tune_key(tune):
    """parse_key of the tune's `K:` header line (None without a usable one)."""
    return parse_key(abc_grammar.header_fields(tune).get("K"))


def voice_bars(tune):
    """OrderedDict voice id -> [bars, rest-only bars], abc_grammar's bars of each music
    line. A line belongs to its `[V:n]` voice, else to the voice of the last `V:` line above
    it, else to voice "1". A bar that a line leaves open (no bar line at its end) and the
    voice's next line closes counts once, as a rest bar only if both parts hold only rests."""
    counts, open_rest, current = collections.OrderedDict(), {}, "1"
    for line in abc_grammar.split_header(tune)[1]:
        if line.startswith("V:"):
            current = (line[2:].split() or [current])[0]
        if not abc_grammar.music_lines([line]):
            continue
        voice = abc_grammar.line_voice(line) or current
        count = counts.setdefault(voice, [0, 0])
        for music, closing in abc_grammar.line_bars(line):
            rest = abc_grammar.is_rest_bar(music)
            if voice in open_rest:  # the rest of the bar the voice's last line left open
                was_rest = open_rest.pop(voice)
                count[1] -= 1 if was_rest and not rest else 0
                rest = was_rest and rest
            else:
                count[0] += 1
                count[1] += 1 if rest else 0
            if closing is None:
                open_rest[voice] = rest
    return counts


def chord_counts(tune):
    """{voice: [chords, notes and chords, chords holding a second, rests]} of a tune's
    music lines (a line without `[V:n]` is voice "1"; bars that cannot be read are left
    out)."""
    counts = collections.OrderedDict()
    for line in abc_grammar.music_lines(abc_grammar.split_header(tune)[1]):
        count = counts.setdefault(abc_grammar.line_voice(line) or "1", [0, 0, 0, 0])
        for music, _ in abc_grammar.line_bars(line):
            every = abc_grammar.bar_events(music)
            events = [e for e in every if e.accidentals]
            chords = [sorted(e.accidentals) for e in events if len(e.accidentals) > 1]
            count[0] += len(chords)
            count[1] += len(events)
            count[2] += sum(1 for c in chords if any(b - a < 2 for a, b in zip(c, c[1:])))
            count[3] += len(every) - len(events)
    return counts


def half_ends_on_dominant(tune):
    """Does voice 2's last note or chord before the first repeat's close have the key's
    dominant (by letter) lowest, as a binary form's first half ends? None without a `K:`
    the module reads, a voice 2 or such a close."""
    key = abc_grammar.header_fields(tune).get("K", "")
    if not key or key[0].upper() not in "CDEFGAB":
        return None
    wanted = abc_grammar.dominant(key[0])
    last = None
    for line in abc_grammar.music_lines(abc_grammar.split_header(tune)[1]):
        if abc_grammar.line_voice(line) != "2":
            continue
        for music, close in abc_grammar.line_bars(line):
            try:
                events = [e for e in abc_grammar.parse_bar(music) if e.accidentals]
                last = events[-1] if events else last
            except abc_grammar.AbcSyntaxError:
                last = None  # not known: a bar that cannot be read
            if close in (":|", ":||:"):
                return None if last is None else "CDEFGAB"[min(last.accidentals) % 7] == wanted
    return None


def spelling_counts(tune):
    """[notes, notes off the key signature, accidentals that restate the key or the bar]
    of a tune's text (abc_grammar.spelled_notes)."""
    counts = [0, 0, 0]
    for _, _, alteration, restated in abc_grammar.spelled_notes(tune):
        counts[0] += 1
        counts[1] += alteration != 0
        counts[2] += restated
    return counts


def voice_line_bars(tune):
    """[(line text, [bar music, ...]), ...] of each `[V:n]` line of a tune, in order."""
    body = abc_grammar.music_lines(abc_grammar.split_header(tune)[1])
    return [(line.rstrip(), [music for music, _ in abc_grammar.line_bars(line)])
            for line in body if abc_grammar.line_voice(line)]


def bar_runs(tunes):
    """Every run of consecutive bars (a tuple of bar texts) within a voice line of `tunes`."""
    runs = set()
    for tune in tunes:
        for _, bars in voice_line_bars(tune):
            runs.update(tuple(bars[i:j]) for i in range(len(bars))
                        for j in range(i + 1, len(bars) + 1))
    return runs


def longest_copied_bars(tune, runs):
    """The longest run of consecutive bars of one of the tune's voice lines that is, bar
    for bar, a run of some reference voice line (`runs`: bar_runs of the reference)."""
    best = 0
    for _, bars in voice_line_bars(tune):
        for i in range(len(bars)):
            j = i + best + 1  # only a longer run matters
            while j <= len(bars) and tuple(bars[i:j]) in runs:
                best, j = j - i, j + 1
    return best


def copy_figures(tunes, reference_tunes):
    """How much of `tunes` is copied from `reference_tunes`: voice_lines, novel_voice_lines
    (the share of voice lines, as text, that no reference voice line equals),
    longest_copied_bars (the max over the tunes of longest_copied_bars) and its per_tune
    list."""
    known = {line for tune in reference_tunes for line, _ in voice_line_bars(tune)}
    lines = [line for tune in tunes for line, _ in voice_line_bars(tune)]
    runs = bar_runs(reference_tunes)
    per_tune = [longest_copied_bars(tune, runs) for tune in tunes]
    return {"voice_lines": len(lines),
            "novel_voice_lines": (sum(1 for line in lines if line not in known)
                                  / float(len(lines)) if lines else None),
            "longest_copied_bars": max(per_tune) if per_tune else None,
            "longest_copied_bars_per_tune": per_tune}


# ---------------------------------------------------------------- histograms, overlap

def normalised(counts):
    """counts / their sum (all zeros stay zeros)."""
    total = float(sum(counts))
    return [c / total if total else 0.0 for c in counts]


def overlap(counts_a, counts_b):
    """Overlap area of two histograms (bin counts or shares): the sum of the bin-wise
    minima of the two normalised histograms; 1 for the same shape, 0 for disjoint ones.
    None when either histogram is empty."""
    if not sum(counts_a) or not sum(counts_b):
        return None
    return float(sum(min(a, b) for a, b in zip(normalised(counts_a), normalised(counts_b))))


def note_length_class(quarters):
    """Index in NOTE_LENGTHS of the class nearest to a duration (in quarter notes), on a
    log scale."""
    quarters = max(quarters, 1e-6)
    return min(range(len(NOTE_LENGTHS)),
               key=lambda i: abs(math.log(quarters / NOTE_LENGTHS[i][0])))


def interval_bin(semitones):
    return min(abs(semitones), LARGEST_INTERVAL + 1)


def pooled_counts(records, name):
    """A histogram's counts summed over the tunes that have it."""
    size = len(BIN_LABELS[name])
    total = [0] * size
    for record in records:
        counts = record.get("histograms", {}).get(name)
        if counts:
            total = [t + c for t, c in zip(total, counts)]
    return total


def split_half_ceiling(records, splits=10, seed=0):
    """The corpus against itself: for `splits` seeded random splits of the tunes into two
    halves, the overlap of the halves' pooled histograms; the mean (and min, max) per
    histogram."""
    usable = [r for r in records if r.get("histograms")]
    if len(usable) < 2 or splits < 1:
        return None
    rng = random.Random(seed)
    values = {name: [] for name in HISTOGRAMS}
    for _ in range(splits):
        order = list(range(len(usable)))
        rng.shuffle(order)
        half = len(order) // 2
        first = [usable[i] for i in order[:half]]
        second = [usable[i] for i in order[half:]]
        for name in HISTOGRAMS:
            value = overlap(pooled_counts(first, name), pooled_counts(second, name))
            if value is not None:
                values[name].append(value)
    ceiling = {"splits": splits, "seed": seed, "tunes": len(usable)}
    for name, found in values.items():
        ceiling[name] = sum(found) / len(found) if found else None
        ceiling[name + "_range"] = [min(found), max(found)] if found else None
    return ceiling


# ---------------------------------------------------------------- tools and readers

def missing_dependencies():
    """What the metrics need and lack: a list of one-line hints (empty when all is there)."""
    missing = []
    if shutil.which(TOOL) is None:
        missing.append("%s (%s)" % (TOOL, INSTALL_HINT))
    # Found, not imported: importing them takes seconds.
    missing += [m for m in ("muspy", "music21") if importlib.util.find_spec(m) is None]
    return missing


def dependencies_message(missing):
    return ("music metrics need %s; install the Python packages with 'pip install -r "
            "requirements.txt' (both TensorFlow lines)" % ", ".join(missing))


def abc_to_midi(tune, folder, stem):
    """Write the tune to folder/stem.abc, run abc2midi, return (MIDI path or None, errors).
    abc2midi exits 0 even on errors, so its printed `Error` lines are the errors. Its chords
    sound together (CHORD_ATTACK): by default it starts each note of a chord a few ticks
    after the one before, which the grid would read as an arpeggio."""
    abc_path = os.path.join(folder, stem + ".abc")
    midi_path = os.path.join(folder, stem + ".mid")
    head, newline, rest = tune.partition("\n")
    with open(abc_path, "w", encoding="utf-8") as f:
        f.write(head + "\n" + CHORD_ATTACK + ("\n" + rest if newline else ""))
        f.write("" if tune.endswith("\n") else "\n")
    try:
        done = subprocess.run([TOOL, abc_path, "-NGUI", "-o", midi_path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=TOOL_TIMEOUT_S)
        output = done.stdout
    except subprocess.TimeoutExpired:
        return None, ["abc2midi ran over %d s" % TOOL_TIMEOUT_S]
    errors = _MIDI_ERROR.findall(output)[:MAX_ERRORS]
    if not os.path.isfile(midi_path) or not os.path.getsize(midi_path):
        return None, errors or ["abc2midi wrote no MIDI file"]
    return midi_path, errors


def read_notes(midi_path):
    """(music, step, length): the MIDI file as a muspy Music whose note times are rounded
    to the grid (notes that round to nothing last one step), the grid step in ticks, and
    the tune's length in ticks: the end of its last note or, when later, of its tracks
    (rests at the end count), rounded to a sixteenth note, as abc2midi pads a track's end
    by a few ticks."""
    import mido
    import muspy
    music = muspy.read_midi(midi_path)
    step = max(1, int(round(music.resolution / float(GRID_PER_QUARTER))))
    for track in music.tracks:
        for note in track.notes:
            start = int(round(note.time / float(step))) * step
            end = int(round((note.time + note.duration) / float(step))) * step
            note.time, note.duration = start, max(end - start, step)
        track.notes.sort(key=lambda n: (n.time, n.pitch))
    sixteenth = music.resolution / 4.0
    tracks_end = max([sum(message.time for message in track)
                      for track in mido.MidiFile(midi_path).tracks] or [0])
    length = max([int(round(tracks_end / sixteenth) * sixteenth)]
                 + [n.time + n.duration for track in music.tracks for n in track.notes])
    return music, step, length


def estimate_key(midi_path, method="key"):
    """music21's key estimate of a MIDI file as (tonic pitch class, "major"/"minor"), or
    None when music21 cannot read it. method: one of KEY_METHODS, music21's names."""
    import music21
    try:
        estimate = music21.converter.parse(midi_path).analyze(method)
    except Exception:  # music21 raises many kinds on odd files; no estimate then
        return None
    return int(estimate.tonic.pitchClass), str(estimate.mode)


# ---------------------------------------------------------------- one tune

def muspy_metrics(music, key):
    """MusPy's eight metrics of one tune (None where MusPy gives NaN, say without notes).
    pitch_in_scale_rate uses the `K:` key; a church mode counts as its relative major."""
    import muspy
    if not any(track.notes for track in music.tracks):
        return {name: None for name in MUSPY_METRICS}
    values = {
        "pitch_range": muspy.pitch_range(music),
        "n_pitch_classes_used": muspy.n_pitch_classes_used(music),
        "polyphony": muspy.polyphony(music),
        "scale_consistency": muspy.scale_consistency(music),
        "pitch_class_entropy": muspy.pitch_class_entropy(music),
        "empty_beat_rate": muspy.empty_beat_rate(music),
        "groove_consistency": muspy.groove_consistency(music, measure_ticks(music)),
        "pitch_in_scale_rate": None,
    }
    if key is not None:
        tonic, mode = key
        if mode in ("major", "minor"):
            values["pitch_in_scale_rate"] = muspy.pitch_in_scale_rate(music, tonic, mode)
        else:
            relative_major = (tonic - MODE_OFFSETS[mode]) % 12
            values["pitch_in_scale_rate"] = muspy.pitch_in_scale_rate(
                music, relative_major, "major")
    return {name: _finite(value) for name, value in values.items()}


def measure_ticks(music):
    """Ticks in one measure of the tune's first meter (4/4 without one)."""
    numerator, denominator = 4, 4
    if music.time_signatures:
        first = music.time_signatures[0]
        numerator, denominator = first.numerator, first.denominator
    return max(1, int(round(music.resolution * 4.0 * numerator / denominator)))


def _finite(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def all_notes(music):
    """(track index, note) of every note, drums left out (MusPy's metrics skip them)."""
    return [(k, note) for k, track in enumerate(music.tracks) if not track.is_drum
            for note in track.notes]


def sounding_time(notes, step, length):
    """(grid steps with two or more distinct pitches sounding, grid steps in all) over the
    tune's length in ticks."""
    end = max([length] + [n.time + n.duration for _, n in notes]) // step
    sounding = [set() for _ in range(end)]
    for _, note in notes:
        for t in range(note.time // step, (note.time + note.duration) // step):
            sounding[t].add(note.pitch)
    return sum(1 for pitches in sounding if len(pitches) >= 2), end


def sonority_bass(notes, at="last"):
    """The lowest pitch sounding at the last onset (`at` "first": the first; None without
    notes)."""
    if not notes:
        return None
    at = (min if at == "first" else max)(n.time for _, n in notes)
    return min(n.pitch for _, n in notes if n.time <= at < n.time + n.duration)


def voice_lines(notes):
    """Each voice's melodic line, a list of pitches: its highest note at each onset in the
    first voice (the top line), its lowest in every other voice (down to the bass)."""
    onsets = collections.defaultdict(dict)
    for track, note in notes:
        onsets[track].setdefault(note.time, []).append(note.pitch)
    first = min(onsets) if onsets else None
    return [[(max if track == first else min)(onsets[track][t]) for t in sorted(onsets[track])]
            for track in sorted(onsets)]


def bass_sonorities(notes):
    """[(time, bass, [pitches of the other voices sounding then])] at each onset of the
    bass (the last voice's lowest note there), in time order; [] with fewer than two
    voices."""
    tracks = sorted({track for track, _ in notes})
    if len(tracks) < 2:
        return []
    bass = {}
    for track, note in notes:
        if track == tracks[-1]:
            bass[note.time] = min(note.pitch, bass.get(note.time, note.pitch))
    upper = [n for track, n in notes if track != tracks[-1]]
    return [(time, bass[time], [n.pitch for n in upper
                                if n.time <= time < n.time + n.duration])
            for time in sorted(bass)]


def vertical_intervals(notes):
    """Counts of the intervals (semitones, modulo 12) from the bass (the last voice's lowest
    note at each of its onsets) up to every note of the other voices sounding then."""
    counts = [0] * 12
    for _, low, upper in bass_sonorities(notes):
        for pitch in upper:
            counts[(pitch - low) % 12] += 1
    return counts


def outer_voice_parallels(notes):
    """[parallel fifths and octaves, moves] between the outer voices: from one onset of the
    bass (the last voice's lowest note) to the next, where the bass and the top voice (the
    highest note of the others sounding then) both move and make the same perfect
    interval (0 or 7 semitones, modulo 12) at both."""
    pairs = [(low, max(upper)) if upper else None for _, low, upper in bass_sonorities(notes)]
    moves = parallels = 0
    for a, b in zip(pairs, pairs[1:]):
        if a is None or b is None or a[0] == b[0] or a[1] == b[1]:
            continue
        moves += 1
        interval = (a[1] - a[0]) % 12
        parallels += interval in (0, 7) and (b[1] - b[0]) % 12 == interval
    return [parallels, moves]


def hand_clashes(notes):
    """{kind: [onsets with a semitone clash, onsets]} at every onset of the first or the last
    voice where both sound: a clash is a note of one a semitone from one of the other's
    (or a major seventh, modulo the octave). kind: "together" where both strike, "upper"
    where the first strikes over the last's held note, "lower" the other way round."""
    tracks = sorted({track for track, _ in notes})
    counts = {"together": [0, 0], "upper": [0, 0], "lower": [0, 0]}
    if len(tracks) < 2:
        return counts
    hands = [[n for track, n in notes if track == tracks[k]] for k in (0, -1)]
    for time in sorted({n.time for hand in hands for n in hand}):
        sounding = [[n for n in hand if n.time <= time < n.time + n.duration] for hand in hands]
        if not all(sounding):
            continue
        struck = [any(n.time == time for n in hand) for hand in sounding]
        kind = "together" if all(struck) else ("upper" if struck[0] else "lower")
        counts[kind][1] += 1
        counts[kind][0] += any((a.pitch - b.pitch) % 12 in (1, 11)
                               for a in sounding[0] for b in sounding[1])
    return counts


def histograms(notes, tonic, resolution):
    """Counts of the three histograms (pitch classes from the tonic; None without a key)."""
    lengths = [0] * len(NOTE_LENGTHS)
    for _, note in notes:
        lengths[note_length_class(note.duration / float(resolution))] += 1
    intervals = [0] * len(INTERVAL_LABELS)
    for line in voice_lines(notes):
        for a, b in zip(line, line[1:]):
            intervals[interval_bin(b - a)] += 1
    classes = None
    if tonic is not None:
        classes = [0] * 12
        for _, note in notes:
            classes[(note.pitch - tonic) % 12] += 1
    return {"pitch_class": classes, "note_length": lengths, "pitch_interval": intervals,
            "vertical_interval": vertical_intervals(notes)}


def tune_record(tune, midi_path, errors, key_method="key"):
    """Everything the set figures need from one tune, JSON-ready (see analyse_tunes)."""
    key = tune_key(tune)
    fields = abc_grammar.header_fields(tune)
    record = {"title": fields.get("T"), "key": fields.get("K"), "meter": fields.get("M"),
              "voice_bars": voice_bars(tune), "spelling": spelling_counts(tune),
              "chords": chord_counts(tune), "half_on_dominant": half_ends_on_dominant(tune),
              "abc2midi_errors": errors, "midi": False}
    if midi_path is None:
        return record
    try:
        music, step, length = read_notes(midi_path)
    except Exception as e:  # a MIDI file muspy cannot read counts as no MIDI; say why
        record["abc2midi_errors"] = errors + ["muspy cannot read the MIDI: %s" % e]
        return record
    notes = all_notes(music)
    two_or_more, total = sounding_time(notes, step, length)
    bass, first_bass = sonority_bass(notes), sonority_bass(notes, at="first")
    record.update(midi=True, notes=len(notes), muspy=muspy_metrics(music, key),
                  parallels=outer_voice_parallels(notes), hand_clashes=hand_clashes(notes),
                  time_two_or_more=two_or_more, time_total=total,
                  histograms=histograms(notes, key[0] if key else None, music.resolution),
                  tonic_in_bass=None if key is None or bass is None
                  else bass % 12 == key[0],
                  tonic_in_bass_at_start=None if key is None or first_bass is None
                  else first_bass % 12 == key[0])
    if key_method:
        record.update(key_agreement(key, estimate_key(midi_path, key_method)))
    return record


def key_agreement(key, estimate):
    """music21's estimate against the `K:` key: the same tonic and mode, the same key
    signature (relative major and minor agree)."""
    if estimate is None:
        return {"key_estimate": None, "key_agrees": None, "key_signature_agrees": None}
    name = "%s %s" % (DEGREE_NAMES[estimate[0]], estimate[1])
    if key is None:
        return {"key_estimate": name, "key_agrees": None, "key_signature_agrees": None}
    signature = (key[0] - MODE_OFFSETS[key[1]]) % 12
    estimated_signature = (estimate[0] - MODE_OFFSETS[estimate[1]]) % 12
    return {"key_estimate": name, "key_agrees": tuple(key) == tuple(estimate),
            "key_signature_agrees": signature == estimated_signature}


DEGREE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def analyse_tunes(tunes, workers=4, key_method="key"):
    """One record per ABC tune text, in order. abc2midi runs in a thread pool inside a
    temporary folder; muspy and music21 read the MIDI files one by one. A record holds:
    title, key (the `K:` value), voice_bars ({voice: [bars, rest-only bars]}),
    abc2midi_errors (its `Error` lines), midi (False: no MIDI came out, nothing else
    follows), notes, muspy ({metric: value}), time_two_or_more and time_total (grid steps),
    histograms ({pitch_class, note_length, pitch_interval: counts}), tonic_in_bass,
    key_estimate, key_agrees, key_signature_agrees (None where unknown; absent with
    key_method None, which saves music21's parse, about a second a tune)."""
    if shutil.which(TOOL) is None:
        raise UserError("%s not found: %s" % (TOOL, INSTALL_HINT))
    folder = tempfile.mkdtemp(prefix="music_metrics_")
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
            converted = list(pool.map(lambda k: abc_to_midi(tunes[k], folder, "tune_%d" % k),
                                      range(len(tunes))))
        return [tune_record(tune, path, errors, key_method)
                for tune, (path, errors) in zip(tunes, converted)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cache_path_for(abc_path, sha256):
    """Where the records of the ABC file `abc_path` (sha256: of its bytes) are cached: next to
    it, metrics_cache_<first 16 hex digits>.json."""
    return os.path.join(os.path.dirname(os.path.abspath(abc_path)),
                        "metrics_cache_%s.json" % sha256[:16])


def cached_records(tunes, sha256, cache_path, workers=4, key_method="key"):
    """(analyse_tunes of `tunes`, True if they came from the cache). The JSON file
    cache_path keeps them under the text's sha256 and the settings that shape a record, so
    the next call with the same text reads them instead of running the tools again; a
    cache that cannot be written costs only the cache."""
    key = {"sha256": sha256, "tunes": len(tunes), "record_version": RECORD_VERSION,
           "grid_per_quarter": GRID_PER_QUARTER, "key_method": key_method}
    try:
        with open(cache_path, encoding="utf-8") as f:
            cached = json.load(f)
        if cached.get("key") == key and len(cached.get("records", ())) == len(tunes):
            return cached["records"], True
    except (OSError, ValueError, AttributeError):
        pass
    records = analyse_tunes(tunes, workers, key_method)
    try:
        write_json_atomically(cache_path, {"key": key, "records": records})
    except OSError:
        pass
    return records, False


# ---------------------------------------------------------------- one set of tunes

def _share(flags):
    """(share of True, True count, known count) of a list of True/False/None."""
    known = [f for f in flags if f is not None]
    return (sum(known) / float(len(known)) if known else None), sum(known), len(known)


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / float(len(values)) if values else None


def summarise(records, reference=None, length_range=LENGTH_RANGE):
    """The set's figures from analyse_tunes records (JSON-ready). With `reference` (another
    set's summary, the corpus's) it adds `overlap`: {histogram: overlap area with it}.

    Keys: tunes, midi_tunes, tunes_with_abc2midi_errors, muspy ({metric: mean over tunes}),
    two_or_more_share, rest_bar_share ({voice: share}), rest_bar_share_all, tonic_in_bass
    (+ _count: [yes, known]), key_agreement, key_signature_agreement (+ _count), histograms
    ({name: shares}), histogram_counts ({name: counts}), intervals (repeated, steps,
    over_octave: shares of the melodic intervals), hand_clashes ({kind: share}), bars (min,
    max, mean, within_range, range), overlap (None without a reference)."""
    played = [r for r in records if r.get("midi")]
    summary = {"tunes": len(records), "midi_tunes": len(played),
               "tunes_with_abc2midi_errors": sum(1 for r in records if r["abc2midi_errors"])}
    summary["muspy"] = {name: _mean([r["muspy"][name] for r in played])
                        for name in MUSPY_METRICS}
    total = sum(r["time_total"] for r in played)
    summary["two_or_more_share"] = (sum(r["time_two_or_more"] for r in played) / float(total)
                                    if total else None)
    summary.update(rest_bar_shares(records))
    share, yes, known = _share([r.get("half_on_dominant") for r in records])
    summary["half_on_dominant"], summary["half_on_dominant_count"] = share, [yes, known]
    for key, field in (("tonic_in_bass", "tonic_in_bass"),
                       ("tonic_in_bass_at_start", "tonic_in_bass_at_start"),
                       ("key_agreement", "key_agrees"),
                       ("key_signature_agreement", "key_signature_agrees")):
        share, yes, known = _share([r.get(field) for r in played])
        summary[key], summary[key + "_count"] = share, [yes, known]
    counts = {name: pooled_counts(played, name) for name in HISTOGRAMS}
    summary["histogram_counts"] = counts
    summary["histograms"] = {name: normalised(c) for name, c in counts.items()}
    intervals = summary["histograms"]["pitch_interval"]
    summary["intervals"] = {"repeated": intervals[0], "steps": intervals[1] + intervals[2],
                            "over_octave": intervals[-1]}
    spelled = [sum(r.get("spelling", [0, 0, 0])[k] for r in records) for k in range(3)]
    summary["off_key_per_100"], summary["restated_per_100"] = (
        [100.0 * n / spelled[0] for n in spelled[1:]] if spelled[0] else [None, None])
    summary["hand_clashes"] = {}  # {kind: share of its onsets}, "all" the three together
    for kind in ("together", "upper", "lower", "all"):
        pair = [sum(r["hand_clashes"][k][i] for r in played for k in r.get("hand_clashes", {})
                    if kind in ("all", k)) for i in range(2)]
        summary["hand_clashes"][kind] = pair[0] / float(pair[1]) if pair[1] else None
    parallels = [sum(r.get("parallels", [0, 0])[k] for r in played) for k in range(2)]
    summary["parallels_per_100"] = 100.0 * parallels[0] / parallels[1] if parallels[1] else None
    vertical = summary["histograms"]["vertical_interval"]
    summary["dissonant_share"] = (sum(vertical[i] for i in DISSONANT)
                                  if sum(counts["vertical_interval"]) else None)
    summary.update(chord_and_meter_shares(records))
    lengths = [max(b for b, _ in r["voice_bars"].values()) for r in records if r["voice_bars"]]
    low, high = length_range
    summary["bars"] = {
        "min": min(lengths) if lengths else None, "max": max(lengths) if lengths else None,
        "mean": _mean(lengths), "range": [low, high],
        "within_range": (sum(1 for n in lengths if low <= n <= high) / float(len(lengths))
                         if lengths else None)}
    summary["overlap"] = None if reference is None else {
        name: overlap(counts[name], reference["histogram_counts"][name]) for name in HISTOGRAMS}
    summary["meter_overlap"] = None
    if reference is not None:
        meters = sorted(set(summary["meters"]) | set(reference["meters"]))
        summary["meter_overlap"] = overlap([summary["meters"].get(m, 0) for m in meters],
                                           [reference["meters"].get(m, 0) for m in meters])
    return summary


def chord_and_meter_shares(records):
    """{chord_share: {voice: chords as a share of its notes and chords},
    chord_second_share: the share of all chords holding a second, rest_share: {voice: rests
    as a share of its notes, chords and rests}, meters: {M: value: tunes}} of a set's
    records."""
    chords, meters = collections.OrderedDict(), collections.Counter()
    for record in records:
        for voice, counts in record.get("chords", {}).items():
            chords[voice] = [a + b for a, b in zip(chords.get(voice, [0, 0, 0, 0]), counts)]
        if record.get("meter"):
            meters[record["meter"]] += 1
    total = [sum(c[k] for c in chords.values()) for k in range(3)]
    return {"chord_share": collections.OrderedDict(
        (v, c / float(n) if n else None) for v, (c, n, _, _) in chords.items()),
        "chord_second_share": total[2] / float(total[0]) if total[0] else None,
        "rest_share": collections.OrderedDict(
            (v, c[3] / float(c[1] + c[3]) if c[1] + c[3] else None) for v, c in chords.items()),
        "meters": dict(meters)}


def rest_bar_shares(records):
    """Rest-only bars as a share of bars, per voice (by voice id) and over all voices."""
    bars, rests = collections.OrderedDict(), collections.OrderedDict()
    for record in records:
        for voice, (count, rest_count) in record["voice_bars"].items():
            bars[voice] = bars.get(voice, 0) + count
            rests[voice] = rests.get(voice, 0) + rest_count
    per_voice = collections.OrderedDict(
        (voice, rests[voice] / float(bars[voice]) if bars[voice] else None) for voice in bars)
    all_bars = sum(bars.values())
    return {"rest_bar_share": per_voice,
            "rest_bar_share_all": sum(rests.values()) / float(all_bars) if all_bars else None}


def report_from_records(named_records, reference="corpus", splits=10, seed=0,
                        key_method="key"):
    """The report of several named sets' records: {reference, ceiling, sets: {name:
    summary}, per_tune: {name: records}}. The reference set (when present) gives the
    overlaps' other side and, split in halves, the ceiling."""
    ref_records = named_records.get(reference)
    ref_summary = summarise(ref_records) if ref_records is not None else None
    sets = collections.OrderedDict()
    for name, records in named_records.items():
        sets[name] = ref_summary if name == reference else summarise(records, ref_summary)
    return {
        "reference": reference if ref_records is not None else None,
        "ceiling": split_half_ceiling(ref_records, splits, seed) if ref_records else None,
        "sets": sets, "per_tune": collections.OrderedDict(named_records),
        "settings": {"grid_per_quarter": GRID_PER_QUARTER, "length_range": list(LENGTH_RANGE),
                     "histograms": "pooled, Yang & Lerch overlap area",
                     "key_estimate": "music21 analyze(%r)" % key_method if key_method
                     else None,
                     "bins": {name: list(labels) for name, labels in BIN_LABELS.items()}},
    }


def compare(named_tunes, reference="corpus", splits=10, seed=0, workers=4, key_method="key"):
    """Measure several named sets of ABC tune texts (an ordered mapping name -> list of
    tunes) against the `reference` set: report_from_records of their analyse_tunes."""
    named_records = collections.OrderedDict(
        (name, analyse_tunes(list(tunes), workers, key_method))
        for name, tunes in named_tunes.items())
    return report_from_records(named_records, reference, splits, seed, key_method)


# ---------------------------------------------------------------- outputs

def _fmt(value, digits=2):
    return "-" if value is None else "%.*f" % (digits, value)


def _count(summary, key):
    yes, known = summary[key + "_count"]
    return "-" if not known else "%d/%d" % (yes, known)


def _ceiling_label(ceiling, name):
    value = ceiling.get(name) if ceiling else None
    return "" if value is None else "; corpus halves %.2f" % value


def table_rows(sets, ceiling=None):
    """(label, [cell per set]) rows of the Markdown table."""
    values = list(sets.values())
    rows = [("tunes (read from MIDI)", ["%d (%d)" % (s["tunes"], s["midi_tunes"])
                                        for s in values]),
            ("share of time with 2 or more pitches sounding",
             [_fmt(s["two_or_more_share"]) for s in values])]
    muspy_rows = (("polyphony (MusPy)", "polyphony", 2),
                  ("pitch_in_scale_rate (MusPy, own key)", "pitch_in_scale_rate", 3),
                  ("scale_consistency (MusPy)", "scale_consistency", 3),
                  ("pitch_range (MusPy, semitones)", "pitch_range", 1),
                  ("n_pitch_classes_used (MusPy)", "n_pitch_classes_used", 1),
                  ("pitch_class_entropy (MusPy, bits)", "pitch_class_entropy", 2),
                  ("empty_beat_rate (MusPy)", "empty_beat_rate", 3),
                  ("groove_consistency (MusPy)", "groove_consistency", 3))
    rows += [(label, [_fmt(s["muspy"][key], digits) for s in values])
             for label, key, digits in muspy_rows]
    voices = []
    for s in values:
        voices += [v for v in s["rest_bar_share"] if v not in voices]
    rows += [("rest-only bars, voice %s" % v, [_fmt(s["rest_bar_share"].get(v), 3)
                                               for s in values]) for v in voices]
    rows.append(("rest-only bars, all voices", [_fmt(s["rest_bar_share_all"], 3)
                                                for s in values]))
    rows += [("chords, share of voice %s's notes and chords" % v,
              [_fmt(s.get("chord_share", {}).get(v)) for s in values]) for v in voices]
    rows += [("rests, share of voice %s's notes, chords and rests" % v,
              [_fmt(s.get("rest_share", {}).get(v), 3) for s in values]) for v in voices]
    rows.append(("chords holding a second (or a unison), share of chords",
                 [_fmt(s.get("chord_second_share")) for s in values]))
    rows += [("first sonority has the tonic in the bass",
              [_count(s, "tonic_in_bass_at_start") for s in values]),
             ("last sonority has the tonic in the bass",
              [_count(s, "tonic_in_bass") for s in values]),
             ("first half ends with the dominant lowest in voice 2",
              [_count(s, "half_on_dominant") for s in values]),
             ("meters: overlap of the tunes' shares with the corpus's",
              [_fmt(s.get("meter_overlap")) for s in values]),
             ("music21 key estimate = K: field", [_count(s, "key_agreement") for s in values]),
             ("music21 key estimate, same key signature",
              [_count(s, "key_signature_agreement") for s in values])]
    for name, label in (("pitch_class", "pitch-class"), ("pitch_interval", "pitch-interval"),
                        ("note_length", "note-length"),
                        ("vertical_interval", "interval-above-the-bass")):
        rows.append(("%s histogram overlap (Yang & Lerch 2018%s)"
                     % (label, _ceiling_label(ceiling, name)),
                     [_fmt(s["overlap"][name]) if s["overlap"] else "-" for s in values]))
    rows += [("intervals: repeated notes", [_fmt(s["intervals"]["repeated"]) for s in values]),
             ("intervals: steps (1-2 semitones)", [_fmt(s["intervals"]["steps"])
                                                   for s in values]),
             ("intervals: leaps over an octave", [_fmt(s["intervals"]["over_octave"])
                                                  for s in values]),
             ("dissonant above the bass (2nds, 4th, tritone, 7ths), share of intervals",
              [_fmt(s.get("dissonant_share")) for s in values]),
             ("semitone clashes between the hands, share of onsets where both sound",
              [_fmt(s.get("hand_clashes", {}).get("all"), 3) for s in values]),
             ("... where both strike", [_fmt(s.get("hand_clashes", {}).get("together"), 3)
                                        for s in values]),
             ("... where voice 1 strikes over a held note",
              [_fmt(s.get("hand_clashes", {}).get("upper"), 3) for s in values]),
             ("... where voice 2 strikes under a held note",
              [_fmt(s.get("hand_clashes", {}).get("lower"), 3) for s in values]),
             ("parallel fifths and octaves, outer voices, per 100 moves of both",
              [_fmt(s.get("parallels_per_100"), 1) for s in values]),
             ("notes off the key signature, per 100 notes",
              [_fmt(s.get("off_key_per_100"), 1) for s in values]),
             ("accidentals that restate the key or the bar, per 100 notes",
              [_fmt(s.get("restated_per_100"), 1) for s in values]),
             ("tune length in bars (min-max)",
              ["-" if s["bars"]["min"] is None else "%d-%d" % (s["bars"]["min"], s["bars"]["max"])
               for s in values]),
             ("tunes of %d to %d bars" % tuple(LENGTH_RANGE),
              [_fmt(s["bars"]["within_range"]) for s in values])]
    return rows + copy_rows(values)


def copy_rows(summaries):
    """The rows of the copy_figures that some summaries hold (as `copies`)."""
    if not any(s.get("copies") for s in summaries):
        return []
    cells = lambda key, fmt: [fmt(s["copies"][key]) if s.get("copies") else "-"  # noqa: E731
                              for s in summaries]
    return [("novel voice lines (held-out: against the other pieces)",
             cells("novel_voice_lines", _fmt)),
            ("longest verbatim copy, consecutive bars of a voice line",
             cells("longest_copied_bars", lambda n: "-" if n is None else "%d" % n))]


def markdown_table(sets, ceiling=None):
    """A Markdown table, `metric | <name> | <name> ...`, of an ordered mapping name ->
    summary (summarise's dict), with the corpus-halves ceiling (split_half_ceiling's dict)
    in the overlap rows' labels."""
    names = list(sets)
    lines = ["| metric | %s |" % " | ".join(names), "|---|%s" % ("---|" * len(names))]
    lines += ["| %s | %s |" % (label, " | ".join(cells))
              for label, cells in table_rows(sets, ceiling)]
    return "\n".join(lines) + "\n"


def plot_histograms(sets, path, title=None):
    """One PNG: the pitch-class, note-length, pitch-interval and interval-above-the-bass
    histograms (shares) of each named set (an ordered mapping name -> summary), overlaid."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    captions = {"pitch_class": "pitch class, from the tonic (Yang & Lerch PCH)",
                "note_length": "note length (NLH)", "pitch_interval":
                "melodic interval along each voice, semitones", "vertical_interval":
                "interval above the bass at its onsets, modulo the octave"}
    figure, axes = plt.subplots(len(HISTOGRAMS), 1, figsize=(9, 13))
    for axis, name in zip(axes, HISTOGRAMS):
        labels = BIN_LABELS[name]
        x = list(range(len(labels)))
        edges = [i - 0.5 for i in range(len(labels) + 1)]
        for k, (set_name, summary) in enumerate(sets.items()):
            shares = summary["histograms"][name]
            color = "C%d" % k
            axis.stairs(shares, edges, color=color, alpha=0.15, fill=True)
            axis.stairs(shares, edges, color=color, label=set_name, linewidth=1.6)
        axis.set_xlim(edges[0], edges[-1])
        axis.set_xticks(x)
        axis.set_xticklabels(labels)
        axis.set_ylabel("share of notes" if name in ("pitch_class", "note_length")
                        else "share of intervals")
        axis.set_title(captions[name], fontsize=10)
        axis.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = "%s.%d.tmp.png" % (path, os.getpid())  # an earlier figure stays whole if this fails
    try:
        figure.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(figure)
        if os.path.exists(tmp):
            os.remove(tmp)


# ---------------------------------------------------------------- command line

def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+", metavar="FILE.abc", help="ABC tunes, one set a file")
    p.add_argument("--name", action="append", default=None,
                   help="a column name per FILE, in order (default: the file names)")
    p.add_argument("--corpus", default=os.path.join("data", "bach", "original.txt"),
                   help="the reference set (default %(default)s)")
    p.add_argument("--json", default=None, help="write the report here")
    p.add_argument("--markdown", default=None, help="write the table here")
    p.add_argument("--figure", default=None, help="write the histograms here (PNG)")
    p.add_argument("--splits", type=int, default=10,
                   help="random corpus halvings for the ceiling (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="of the halvings (default %(default)s)")
    p.add_argument("--workers", type=int, default=4, help="abc2midi threads (default %(default)s)")
    p.add_argument("--key_method", default="key", choices=KEY_METHODS,
                   help="music21's key estimate: 'key' is its default (Aarden-Essen); "
                   "none skips it, which saves ~1 s a tune (default %(default)s)")
    return p


def read_tunes(path, what):
    """The tunes of an ABC file; a missing, unreadable or tuneless file is a UserError."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError("cannot read %s %s (%s); give an ABC file" % (what, path, e))
    tunes = tune_texts(text)
    if not tunes:
        raise UserError("%s %s holds no tune (no line starts with X:)" % (what, path))
    return tunes


def column_names(files, names):
    if names and len(names) != len(files):
        raise UserError("give one --name per FILE (%d files, %d names)"
                        % (len(files), len(names)))
    names = list(names or [os.path.splitext(os.path.basename(f))[0] for f in files])
    for k, name in enumerate(names):
        if name == "corpus" or name in names[:k]:
            names[k] = "%s (%d)" % (name, k + 1)
    return names


def run(args):
    names = column_names(args.files, args.name)
    key_method = None if args.key_method == "none" else args.key_method
    named_tunes = collections.OrderedDict([("corpus", read_tunes(args.corpus, "--corpus"))])
    for name, path in zip(names, args.files):
        named_tunes[name] = read_tunes(path, "FILE")
    missing = missing_dependencies()
    if missing:
        raise UserError(dependencies_message(missing))
    # A file that is the corpus itself is analysed once.
    same = [n for n, p in zip(names, args.files)
            if os.path.realpath(p) == os.path.realpath(args.corpus)]
    todo = collections.OrderedDict((n, t) for n, t in named_tunes.items() if n not in same)
    records = collections.OrderedDict(
        (name, analyse_tunes(tunes, args.workers, key_method))
        for name, tunes in todo.items())
    for name in named_tunes:
        records[name] = records[name] if name in records else records["corpus"]
    records = collections.OrderedDict((n, records[n]) for n in named_tunes)
    report = report_from_records(records, "corpus", args.splits, args.seed, key_method)
    table = markdown_table(report["sets"], report["ceiling"])
    outputs = ((args.json, lambda p: write_json_atomically(p, report)),
               (args.markdown, lambda p: write_text_atomically(p, table)),
               (args.figure, lambda p: plot_histograms(report["sets"], p)))
    for path, write in outputs:
        if path:
            try:
                write(path)
            except OSError as e:
                raise UserError("cannot write %s (%s)" % (path, e.strerror or e))
    return report, table


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.splits < 1:
        parser.error("--splits must be at least 1")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    with user_errors_exit():
        report, table = run(args)
    sys.stdout.write(table)
    ceiling = report["ceiling"]
    if ceiling:
        print("ceiling: %d random halvings of the corpus's %d tunes (seed %d)"
              % (ceiling["splits"], ceiling["tunes"], ceiling["seed"]))
    for path in (args.json, args.markdown, args.figure):
        if path:
            print("wrote %s" % path)


if __name__ == "__main__":
    main()
