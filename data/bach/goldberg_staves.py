"""The two-staff Goldberg corpus: LilyPond's MIDI and timing log to ABC, and its checks.

Standard library only (Python 3.7+): steps 3-9 of ../shared/data/bach/STAVES.md as pure
functions, and the corpus's checks (which run abc2midi). The LilyPond runs (steps 1-2) and
the command line are in build_goldberg.py. All times are exact fractions of a whole note.
"""
import os
import re
import struct
import subprocess
from collections import defaultdict, namedtuple
from fractions import Fraction

Note = namedtuple("Note", "onset offset pitch")
Timing = namedtuple("Timing", "moment position length signature which_bar clef")
Bar = namedtuple("Bar", "start end meter")

DRAWABLE = [Fraction(x) for x in ("28", "24", "16", "14", "12", "8", "7", "6", "4", "7/2",
                                  "3", "2", "7/4", "3/2", "1", "3/4", "1/2", "3/8", "1/4")]
UNIT = Fraction(1, 16)  # L:1/16
LETTERS = "CDEFGAB"
ACCIDENTALS = {Fraction(1): "^", Fraction(-1): "_", Fraction(0): "=",
               Fraction(2): "^^", Fraction(-2): "__"}
# MIDI key signature (sharps, minor flag) -> (K: value, alteration in semitones per letter)
KEYS = {1: ("G", {"F": Fraction(1)}), -2: ("Gm", {"B": Fraction(-1), "E": Fraction(-1)})}
# Spelling when the log has none for a note: (letter index, semitone alteration) per pitch class
FALLBACK_SPELLING = {0: (0, 0), 1: (0, 1), 2: (1, 0), 3: (2, -1), 4: (2, 0), 5: (3, 0),
                     6: (3, 1), 7: (4, 0), 8: (4, 1), 9: (5, 0), 10: (6, -1), 11: (6, 0)}


class ConversionError(Exception):
    """The MIDI or log does not hold what the conversion needs."""


# ---- step 3: read the MIDI and the log ----

def _varlen(data, i):
    value = 0
    while True:
        byte = data[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i


def _track_events(chunk):
    """(tick, status, data bytes) of each event of one MTrk chunk, running status resolved."""
    i, tick, status = 0, 0, None
    while i < len(chunk):
        delta, i = _varlen(chunk, i)
        tick += delta
        if chunk[i] & 0x80:
            status = chunk[i]
            i += 1
        if status == 0xFF:
            kind = chunk[i]
            length, i = _varlen(chunk, i + 1)
            yield tick, 0xFF, bytes([kind]) + chunk[i:i + length]
            i += length
        elif status in (0xF0, 0xF7):
            length, i = _varlen(chunk, i)
            i += length
        else:
            size = 1 if status & 0xF0 in (0xC0, 0xD0) else 2
            yield tick, status, chunk[i:i + size]
            i += size


def read_midi(data):
    """Parse a standard MIDI file: dict with `tracks` [(name, [Note])], `tempo`, `key`, `end`.

    Note on/off are paired first-in first-out per pitch; tempo is the first tempo event
    (microseconds per quarter), key the first key signature (sharps, minor), end the time
    of the last event of any track (its end of track).
    """
    if data[:4] != b"MThd":
        raise ConversionError("not a MIDI file")
    division = struct.unpack(">H", data[12:14])[0]
    whole = 4 * division
    result = {"tracks": [], "tempo": None, "key": None, "end": Fraction(0)}
    i = 8 + struct.unpack(">I", data[4:8])[0]
    while i + 8 <= len(data):
        length = struct.unpack(">I", data[i + 4:i + 8])[0]
        if data[i:i + 4] == b"MTrk":
            result["tracks"].append(_read_track(data[i + 8:i + 8 + length], whole, result))
        i += 8 + length
    return result


def _read_track(chunk, whole, result):
    name, notes, sounding = "", [], defaultdict(list)
    for tick, status, body in _track_events(chunk):
        result["end"] = max(result["end"], Fraction(tick, whole))
        if status == 0xFF:
            if body[0] == 0x03 and not name:
                name = body[1:].decode("latin-1")
            elif body[0] == 0x51 and result["tempo"] is None:
                result["tempo"] = int.from_bytes(body[1:4], "big")
            elif body[0] == 0x59 and result["key"] is None:
                result["key"] = (struct.unpack("b", body[1:2])[0], body[2])
            continue
        kind, pitch = status & 0xF0, body[0] if body else None
        if kind == 0x90 and body[1] > 0:
            sounding[pitch].append(tick)
        elif kind in (0x80, 0x90) and sounding[pitch]:
            onset = sounding[pitch].pop(0)
            notes.append(Note(Fraction(onset, whole), Fraction(tick, whole), pitch))
    notes.sort()
    return name.split(":")[0], notes  # LilyPond names a track "staff:" or "staff:n"


def _signature(text):
    """A Scheme pair "(3 . 4)" as (3, 4); None when empty."""
    parts = text.strip("() ").split(".")
    return (int(parts[0]), int(parts[1])) if len(parts) == 2 else None


class ScoreLog(object):
    """What the Scheme engravers wrote: repeats, voltas, timing rows, note spellings."""

    def __init__(self):
        self.repeat_starts, self.repeat_ends, self.voltas = [], [], []
        self.timing = defaultdict(list)
        self.spelling = {}

    @classmethod
    def parse(cls, text):
        log = cls()
        for line in text.splitlines():
            fields = line.split("\t")
            kind, moment = fields[0], Fraction(fields[1])
            if kind == "repeat-start":
                log.repeat_starts.append((moment, int(fields[2])))
            elif kind == "repeat-end":
                log.repeat_ends.append((moment, int(fields[2])))
            elif kind == "volta":
                log.voltas.append((moment, [int(n) for n in fields[2].strip("()").split()]))
            elif kind == "timing":
                log.timing[fields[2]].append(Timing(
                    moment, Fraction(fields[3]), Fraction(fields[4]),
                    _signature(fields[5]), fields[6], fields[7]))
            elif kind == "note":
                pitch = int(fields[3])
                spelling = (int(fields[4]), Fraction(fields[5]) * 2, int(fields[6]))
                log.spelling.setdefault((moment, pitch), spelling)
        return log

    def row_at(self, staff, moment):
        """The last timing row of `staff` at or before `moment` (the first row if none)."""
        rows = self.timing[staff]
        found = rows[0]
        for row in rows:
            if row.moment > moment:
                break
            found = row
        return found


# ---- step 4: bars ----

def _meter(row):
    """The bar's meter: the time signature when it matches the measure length, else the length."""
    if row.signature and Fraction(*row.signature) == row.length:
        return "%d/%d" % row.signature
    return "%d/%d" % (row.length.numerator, row.length.denominator)


def repeat_times(log):
    """Every time where a repeat or volta event happens."""
    return ({t for t, _ in log.repeat_starts} | {t for t, _ in log.repeat_ends}
            | {t for t, _ in log.voltas})


def find_bars(log, end, staff="upper"):
    """Step 4: the bars from the timing rows, split at repeat events, gaps filled."""
    rows = log.timing[staff]
    if not rows:
        raise ConversionError("the log has no timing rows for staff %r" % staff)
    cuts = {row.moment - row.position for row in rows} | repeat_times(log) | {0, end}
    cuts = sorted(c for c in cuts if 0 <= c <= end)
    filled = [cuts[0]]
    for cut in cuts[1:]:
        length = log.row_at(staff, filled[-1]).length
        while cut - filled[-1] > length:
            filled.append(filled[-1] + length)
        filled.append(cut)
    return [Bar(a, b, _meter(log.row_at(staff, a))) for a, b in zip(filled, filled[1:])]


def full_bar(bar, log, staff="upper"):
    """The bar is as long as its measure (not a pick-up or a bar cut by a repeat)."""
    return bar.end - bar.start == log.row_at(staff, bar.start).length


# ---- step 5: repeat marks ----

Repeats = namedtuple("Repeats", "starts ends voltas")


def _hand_bar_lines(log, staff="upper"):
    """(moment, glyph) of each bar line typed in the source (\\bar ":..:" and the like)."""
    return [(row.moment, row.which_bar) for row in log.timing[staff] if row.which_bar]


def find_repeats(log, bars, staff="upper"):
    """Step 5: sets of bar indexes that open / close a repeat, and {bar index: volta label}."""
    start_index = {bar.start: i for i, bar in enumerate(bars)}
    end_index = {bar.end: i for i, bar in enumerate(bars)}
    start_times = {t for t, count in log.repeat_starts if count >= 2}
    end_times = {t for t, count in log.repeat_ends if count != 1}
    for moment, glyph in _hand_bar_lines(log, staff):
        if glyph.startswith(":") and glyph.endswith(":") and len(glyph) > 1:
            start_times.add(moment)
        if glyph.startswith(":"):
            end_times.add(moment)
    starts = {start_index[t] for t in start_times if t in start_index}
    ends = {end_index[t] for t in end_times if t in end_index}
    if ends and (not starts or min(ends) < min(starts)):
        starts.add(0)
    voltas = {}
    for moment, numbers in log.voltas:
        if moment in start_index and numbers:
            voltas[start_index[moment]] = ",".join(str(n) for n in numbers)
    return Repeats(starts, ends, voltas)


def play_order(bar_count, repeats):
    """Bar indexes in the order a player (and abc2midi) plays them, repeats unfolded."""
    order, i, section_start, second_time = [], 0, 0, False
    while i < bar_count:
        if i in repeats.starts and not second_time:
            section_start = i
        label = repeats.voltas.get(i)
        if label is not None and second_time and "1" in label.split(","):
            i = _after_first_ending(i, bar_count, repeats)
            second_time = False
            continue
        order.append(i)
        if i in repeats.ends and not second_time:
            second_time, i = True, section_start
            continue
        if i in repeats.ends:
            second_time = False
        i += 1
    return order


def _after_first_ending(i, bar_count, repeats):
    """The bar after the first ending that starts at bar i (the one closed by a repeat end)."""
    while i < bar_count and i not in repeats.ends:
        i += 1
    return i + 1


# ---- step 6: each staff, each bar: slices ----

Slice = namedtuple("Slice", "start end pitches")  # pitches: [(pitch, onset, tied)] ascending


def bar_slices(notes, bar):
    """Step 6: cut the bar at every onset and offset; what sounds in each piece, and ties."""
    inside = [n for n in notes if n.onset < bar.end and n.offset > bar.start]
    cuts = {bar.start, bar.end}
    for note in inside:
        cuts.update(t for t in (note.onset, note.offset) if bar.start < t < bar.end)
    cuts = sorted(cuts)
    slices = []
    for start, end in zip(cuts, cuts[1:]):
        sounding = {}
        for note in inside:
            if note.onset <= start and note.offset >= end:
                sounding.setdefault(note.pitch, note.onset)
        entries = [(pitch, sounding[pitch], _is_tied(pitch, end, inside))
                   for pitch in sorted(sounding)]
        slices.append(Slice(start, end, entries))
    return slices


def _is_tied(pitch, end, notes):
    """The pitch still sounds after `end` and no note of that pitch starts at `end`."""
    same = [n for n in notes if n.pitch == pitch]
    if any(n.onset == end for n in same):
        return False
    return any(n.onset < end < n.offset for n in same)


def is_binary(moment):
    """On the binary grid: a whole number of 1/2^k whole notes."""
    denominator = moment.denominator
    return denominator & (denominator - 1) == 0


def split_length(units):
    """A length in 1/16 units as drawable values, greedily (e.g. 10 -> 8, 2)."""
    parts = []
    while units > 0:
        for value in DRAWABLE:
            if value <= units:
                parts.append(value)
                units -= value
                break
        else:
            raise ConversionError("length %s cannot be written in 1/16 units" % units)
    return parts


def length_text(units):
    """ABC length for L:1/16: 1 -> '', 1/2 -> '/', 1/4 -> '//', n/d otherwise."""
    units = Fraction(units)
    if units == 1:
        return ""
    if units.numerator == 1 and units.denominator in (2, 4):
        return "/" * (units.denominator // 2)
    if units.denominator == 1:
        return str(units.numerator)
    return "%d/%d" % (units.numerator, units.denominator)


def beat_of(meter):
    """Where spaces go: every 1/4 for x/4 and x/2, 3/8 for x/8, 3/16 for x/16."""
    denominator = int(meter.split("/")[1])
    if denominator <= 4:
        return Fraction(1, 4)
    return Fraction(3, denominator)


# ---- step 7: spelling and accidentals ----

class Speller(object):
    """Writes notes with LilyPond's spelling and the accidentals a bar needs."""

    def __init__(self, spelling, key_alterations):
        self.spelling = spelling
        self.key = key_alterations
        self.fallbacks = 0
        self.new_bar()

    def new_bar(self):
        self.by_octave, self.by_letter = {}, {}

    def spell(self, pitch, onset):
        found = self.spelling.get((onset, pitch))
        if found is None:
            self.fallbacks += 1
            index, alteration = FALLBACK_SPELLING[pitch % 12]
            octave = (pitch - alteration - [0, 2, 4, 5, 7, 9, 11][index]) // 12 - 5
            found = (index, Fraction(alteration), octave)
        return found

    def note(self, pitch, onset):
        """The ABC text of one note (accidental, letter, octave marks)."""
        index, alteration, octave = self.spell(pitch, onset)
        letter = LETTERS[index]
        in_key = self.key.get(letter, Fraction(0))
        implied = (self.by_octave.get((letter, octave), in_key), self.by_letter.get(letter, in_key))
        sign = ""
        if any(value != alteration for value in implied):
            sign = ACCIDENTALS[alteration]
            self.by_octave[(letter, octave)] = alteration
            self.by_letter[letter] = alteration
        if octave >= 1:
            return sign + letter.lower() + "'" * (octave - 1)
        return sign + letter + "," * (-octave)


def element_text(pitches, units, speller, tie_all=False):
    """One note, chord or rest with its length; `-` marks the pitches tied onwards."""
    if not pitches:
        return "z" + length_text(units)
    names = [(speller.note(pitch, onset), tied or tie_all) for pitch, onset, tied in pitches]
    if len(names) == 1:
        return names[0][0] + length_text(units) + ("-" if names[0][1] else "")
    return "[%s]%s" % ("".join(n + ("-" if t else "") for n, t in names), length_text(units))


def slice_elements(piece, speller, scale=1):
    """A slice's length (times `scale`) split into drawable values, tied together."""
    parts = split_length((piece.end - piece.start) / UNIT * scale)
    return [element_text(piece.pitches, units, speller, tie_all=k < len(parts) - 1)
            for k, units in enumerate(parts)]


def slice_text(piece, speller):
    """A slice on the binary grid."""
    return "".join(slice_elements(piece, speller))


def triplet_text(group, speller):
    """Slices off the binary grid, written x 3/2 under one tuplet sign."""
    elements = [text for piece in group
                for text in slice_elements(piece, speller, Fraction(3, 2))]
    sign = "(3" if len(elements) == 3 else "(3:2:%d" % len(elements)
    return sign + "".join(elements)


def staff_bar_text(notes, bar, speller):
    """Steps 6-7 for one staff in one bar: the bar's notes as ABC, spaces on beats."""
    slices = bar_slices(notes, bar)
    speller.new_bar()
    beat = beat_of(bar.meter)
    out, i = [], 0
    while i < len(slices):
        first = slices[i]
        if first.start != bar.start and (first.start - bar.start) % beat == 0:
            out.append(" ")
        if is_binary(first.end) and is_binary(first.start):
            out.append(slice_text(first, speller))
            i += 1
            continue
        j = i
        while j < len(slices) - 1 and not is_binary(slices[j].end):
            j += 1
        out.append(triplet_text(slices[i:j + 1], speller))
        i = j + 1
    return "".join(out)


# ---- step 8: the tune ----

STAVES = ("upper", "lower")


def tune_title(number):
    """Tune 1 is the Aria, tune k+1 is Variation no. k."""
    return "Aria" if number == 1 else "Variation no. %d" % (number - 1)


def staff_notes(midi):
    """{staff name: [Note]} from LilyPond's MIDI (one track per Staff)."""
    found = {name: notes for name, notes in midi["tracks"] if name in STAVES}
    missing = [name for name in STAVES if name not in found]
    if missing:
        raise ConversionError("the MIDI has no track for staff %s" % ", ".join(missing))
    return found


def wants_bass_clef(notes, log, staff):
    """More than half of the staff's notes are printed under an F clef."""
    under_f = sum(1 for n in notes if log.row_at(staff, n.onset).clef.startswith("clefs.F"))
    return 2 * under_f > len(notes)


def key_of(midi):
    sharps = midi["key"][0] if midi["key"] else 1
    if sharps not in KEYS:
        raise ConversionError("key signature with %d sharps is not G or Gm" % sharps)
    return KEYS[sharps]


class Piece(object):
    """One LilyPond score read for conversion: its bars, repeats and staves."""

    def __init__(self, midi_bytes, log_text):
        self.midi = read_midi(midi_bytes)
        self.log = ScoreLog.parse(log_text)
        self.notes = staff_notes(self.midi)
        self.bars = find_bars(self.log, self.midi["end"])
        self.repeats = find_repeats(self.log, self.bars)
        self.key_name, key_alterations = key_of(self.midi)
        self.speller = Speller(self.log.spelling, key_alterations)

    def header(self, number):
        full = [b for b in self.bars if full_bar(b, self.log)]
        tempo = self.midi["tempo"] or 1000000
        lines = ["X:%d" % number, "T:%s" % tune_title(number), "C:J.S.Bach",
                 "M:%s" % (full[0] if full else self.bars[0]).meter, "L:1/16",
                 "Q:1/4=%d" % round(Fraction(60000000, tempo))]
        for voice, staff in enumerate(STAVES, 1):
            bass = wants_bass_clef(self.notes[staff], self.log, staff)
            lines.append("V:%d%s" % (voice, " clef=bass" if bass else ""))
        lines.append("K:%s" % self.key_name)
        return lines

    def bar_texts(self, staff):
        """Each bar's text for one staff, with [M:] at a meter change."""
        texts, meter = [], None
        for bar in self.bars:
            text = staff_bar_text(self.notes[staff], bar, self.speller)
            if full_bar(bar, self.log):
                if meter is not None and bar.meter != meter:
                    text = "[M:%s]%s" % (bar.meter, text)
                meter = bar.meter
            texts.append(text)
        return texts

    def tune(self, number, bars_per_line):
        """Step 8: header, then [V:1]/[V:2] line pairs of `bars_per_line` bars."""
        texts = [self.bar_texts(staff) for staff in STAVES]
        body = []
        for first in range(0, len(self.bars), bars_per_line):
            last = min(first + bars_per_line, len(self.bars))
            for voice, staff_texts in enumerate(texts, 1):
                body.append("[V:%d]%s" % (voice, self.line_text(staff_texts, first, last)))
        return "\n".join(self.header(number) + body) + "\n"

    def line_text(self, texts, first, last):
        """Bars first..last-1 with their bar lines, repeat signs and volta labels."""
        starts, ends, voltas = self.repeats
        out = ["|:" if first in starts else ""]
        for i in range(first, last):
            if i in voltas:
                out.append("[%s " % voltas[i])
            out.append(texts[i])
            out.append(self.bar_line(i, i + 1 < last))
        return "".join(out)

    def bar_line(self, i, inside_line):
        """The bar line after bar i; a repeat start on a line break opens the next line."""
        starts, ends = self.repeats.starts, self.repeats.ends
        closing = ":|" if i in ends else "|"
        if i + 1 == len(self.bars):
            return closing if i in ends else "|]"
        if i + 1 in starts and inside_line:
            return ":||:" if i in ends else "|:"
        return closing


# ---- step 9: the corpus ----

def join_tunes(tunes):
    """Tunes separated by one blank line; the text must be ASCII."""
    text = "\n".join(tunes)
    text.encode("ascii")
    return text


# ---- checks (STAVES.md): the layout, and note for note against LilyPond's MIDI ----

_BAR_LINE = re.compile(r":?\|\|?:?\]?")
_INLINE_FIELD = re.compile(r"\[[A-Za-z]:[^\]]*\]")
_NOTE_LETTER = re.compile(r"[A-Ga-g]")


def split_tunes(text):
    """The corpus's tunes (separated by blank lines), each as a list of lines."""
    return [block.strip("\n").split("\n") for block in re.split(r"\n\s*\n", text)
            if block.strip()]


def line_bars(body):
    """The bars of one voice line's body (after [V:n]): their texts, bar lines removed."""
    body = body[2:] if body.startswith("|:") else body
    return [bar for bar in _BAR_LINE.split(body)][:-1]


def check_layout(lines):
    """Problems with one tune's two-staff layout (empty list when it is right).

    Exactly V:1 and V:2 declared; body lines alternate [V:1]/[V:2]; each pair holds the
    same number of bars; every line ends with a bar line.
    """
    problems = []
    declared = [line.split()[0] for line in lines if line.startswith("V:")]
    if declared != ["V:1", "V:2"]:
        problems.append("voices declared %s, not V:1 and V:2" % " ".join(declared))
    body = [line for line in lines if line.startswith("[V:")]
    for k, line in enumerate(body):
        want = "[V:%d]" % (k % 2 + 1)
        if not line.startswith(want):
            problems.append("body line %d does not start with %s" % (k + 1, want))
        elif not _BAR_LINE.search(line[-4:]) or not line.endswith(("|", "]", ":")):
            problems.append("body line %d does not end with a bar line" % (k + 1))
    if len(body) % 2:
        problems.append("the last [V:1] line has no [V:2] line")
    for k in range(0, len(body) - 1, 2):
        upper, lower = len(line_bars(body[k][5:])), len(line_bars(body[k + 1][5:]))
        if upper != lower:
            problems.append("line pair %d: %d bars in V:1, %d in V:2" % (k // 2 + 1, upper, lower))
    return problems


def count_bars(lines):
    """(bars per voice, rest-only bars) of one tune."""
    bars, rests = [0, 0], 0
    for line in lines:
        if line.startswith("[V:"):
            texts = line_bars(line[5:])
            bars[int(line[3]) - 1] += len(texts)
            rests += sum(1 for t in texts if not _NOTE_LETTER.search(_INLINE_FIELD.sub("", t)))
    return bars, rests


def unfolded_notes(notes, bars, order):
    """A staff's notes as played with repeats unfolded (bar order `order`).

    As abc2midi plays ties and repeats: a note tied past its bar goes on into the next bar
    played when that bar starts with its pitch; a tie's second note is never struck on its
    own (so not when a repeat jumps to it); and when a repeat jumps from a tied note to a
    2nd ending that starts with a new note of that pitch, the tied note goes on and the
    new one is struck as well.
    """
    played, open_notes, clock = [], {}, Fraction(0)
    for index in order:
        bar = bars[index]
        for note in notes:
            if note.offset <= bar.start or note.onset >= bar.end:
                continue
            onset = clock + max(note.onset, bar.start) - bar.start
            offset = clock + min(note.offset, bar.end) - bar.start
            at = open_notes.pop((note.pitch, onset), None)
            if at is not None:
                played[at] = Note(played[at].onset, offset, note.pitch)
            if note.onset >= bar.start:
                played.append(Note(onset, offset, note.pitch))
                at = len(played) - 1
            if note.offset > bar.end and at is not None:
                open_notes[(note.pitch, offset)] = at
        clock += bar.end - bar.start
    return sorted(played)


def compare_notes(expected, got, tolerance=Fraction(1, 96)):
    """Notes that differ in pitch, onset or duration by `tolerance` or more.

    Returns (count, first missing, first extra); notes are paired in onset order per pitch.
    """
    missing, extra = [], []
    by_pitch = defaultdict(lambda: ([], []))
    for note in sorted(expected):
        by_pitch[note.pitch][0].append(note)
    for note in sorted(got):
        by_pitch[note.pitch][1].append(note)
    for want, have in by_pitch.values():
        i = j = 0
        while i < len(want) and j < len(have):
            a, b = want[i], have[j]
            if (abs(a.onset - b.onset) < tolerance
                    and abs((a.offset - a.onset) - (b.offset - b.onset)) < tolerance):
                i, j = i + 1, j + 1
            elif a.onset <= b.onset:
                missing.append(a)
                i += 1
            else:
                extra.append(b)
                j += 1
        missing.extend(want[i:])
        extra.extend(have[j:])
    return len(missing) + len(extra), _show(missing), _show(extra)


def _show(notes):
    """The first notes as (pitch, onset, duration) in 1/96 whole notes, for messages."""
    return [(n.pitch, float(n.onset * 96), float((n.offset - n.onset) * 96)) for n in notes[:3]]


def abc2midi_notes(tune_text, work_dir, name="check"):
    """abc2midi's notes of one tune, one list per voice (chords not staggered)."""
    lines = tune_text.rstrip("\n").split("\n")
    # For the comparison only; abc2midi applies it to every voice only when it comes
    # before the V: lines of the header.
    lines.insert(1, "%%MIDI chordattack 0")
    abc_path = os.path.join(work_dir, name + ".abc")
    midi_path = os.path.join(work_dir, name + ".mid")
    with open(abc_path, "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")
    if os.path.exists(midi_path):
        os.remove(midi_path)
    subprocess.run(["abc2midi", abc_path, "-o", midi_path], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, check=False)
    if not os.path.exists(midi_path):
        raise ConversionError("abc2midi wrote no MIDI for %s" % name)
    with open(midi_path, "rb") as f:
        tracks = read_midi(f.read())["tracks"]
    return [notes for _, notes in tracks if notes]


def check_tune(tune_text, piece, work_dir, name="check"):
    """STAVES.md's checks of one tune: (problems, figures)."""
    lines = tune_text.rstrip("\n").split("\n")
    problems = check_layout(lines)
    bars, rests = count_bars(lines)
    if bars[0] != bars[1]:
        problems.append("V:1 has %d bars, V:2 has %d" % tuple(bars))
    # notes: as played (repeats unfolded), compared; lilypond_notes: in LilyPond's MIDI
    figures = {"bars": bars[0], "rest_bars": rests, "notes": 0, "lilypond_notes": 0,
               "mismatches": 0}
    if piece is None:
        return problems, figures
    played = abc2midi_notes(tune_text, work_dir, name)
    order = play_order(len(piece.bars), piece.repeats)
    if len(played) != len(STAVES):
        problems.append("abc2midi made %d voices, not %d" % (len(played), len(STAVES)))
        return problems, figures
    for staff, got in zip(STAVES, played):
        want = unfolded_notes(piece.notes[staff], piece.bars, order)
        count, missing, extra = compare_notes(want, got)
        figures["notes"] += len(want)
        figures["lilypond_notes"] += len(piece.notes[staff])
        figures["mismatches"] += count
        if count:
            problems.append("%s staff: %d notes differ from LilyPond's MIDI (missing %s, "
                            "extra %s)" % (staff, count, missing, extra))
    return problems, figures


def check_corpus(text, pieces, work_dir):
    """Check every tune (pieces: one Piece per tune, in order, or None to skip the MIDI
    comparison); return (problems as 'X:n: ...' lines, summed figures)."""
    tunes = split_tunes(text)
    problems, totals = [], {"tunes": len(tunes), "bars": 0, "rest_bars": 0, "notes": 0,
                            "lilypond_notes": 0, "mismatches": 0}
    if pieces is not None and len(pieces) != len(tunes):
        problems.append("%d tunes for %d LilyPond scores" % (len(tunes), len(pieces)))
        pieces = None
    for k, lines in enumerate(tunes):
        piece = pieces[k] if pieces is not None else None
        found, figures = check_tune("\n".join(lines), piece, work_dir, "tune%02d" % (k + 1))
        problems.extend("X:%d: %s" % (k + 1, problem) for problem in found)
        for key, value in figures.items():
            totals[key] += value
    return problems, totals
