"""ABC notation's lexical rules for this project, in one place and in pure Python.

Everything in bach/ that reads ABC calls this module: the loader and generate_dataset.py
(where tunes begin and end), check_abc.py (headers, voices, bars, rests and the structure
rules of a valid tune), the structured sampler's mask (abc_mask.py) and evaluate.py.

It reads the subset of ABC 2.1 the Goldberg corpus uses: a header of fields (`X:` first,
`K:` last), then body lines that each start with a voice, `[V:1]` or `[V:2]`, holding bars
of notes with accidentals, octave marks and lengths, rests, chords, ties, tuplets `(p:q:r`
and broken rhythm (`<`, `>`), closed by bar lines (`|`, `|]`, `|:`, `:|`, `::`).
The ABC tools (abc2midi, abcm2ps, abc2abc) stay the judges of every figure; tests check that
bar lengths agree with abc2abc.
"""
import collections
import re
from fractions import Fraction

NOTE_LETTERS = "ABCDEFGabcdefg"
REST_LETTERS = "zx"
ACCIDENTALS = "^_="
# Tuplet (p: p notes in the time of q) when q is not written: ABC 2.1, section 4.13.
TUPLET_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}
BROKEN = {">": (Fraction(3, 2), Fraction(1, 2)), "<": (Fraction(1, 2), Fraction(3, 2))}
# Bar lines that may close a tune.
CLOSING_BAR_LINES = ("|]", "||", ":|")

_LENGTH = re.compile(r"(\d*)(/*)(\d*)")
_TUPLET = re.compile(r"\((\d+)(?::(\d*))?(?::(\d*))?")
_FIELD = re.compile(r"^([A-Za-z]):(.*)$")
_X_LINE = re.compile(r"^X:", re.M)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_VOICE_LINE = re.compile(r"^\[V:(\w+)\]")
# What hides bar lines or notes inside a music line: comments, "chord symbols",
# !decorations!, +decorations+ and inline fields such as [V:1] or [M:3/8].
_NON_MUSIC = re.compile(r'%.*$|"[^"]*"|![^!]*!|\+[^+\s]*\+|\[[A-Za-z]:[^\]]*\]')
_BAR_LINE = re.compile(r"\[\||:*\|+\]?:*|::")
_VOLTA = re.compile(r"^\s*\[?\d+\s*")
_NOTE_OR_REST = re.compile(r"[A-Ga-gzxZX]")
_NOTE = re.compile(r"[A-Ga-g]")


class AbcSyntaxError(ValueError):
    """Text that is not a bar of the subset this module reads."""


# ---------------------------------------------------------------- tunes

def tune_spans(text):
    """(start, end, complete) of every tune in `text`.

    A tune starts at a line beginning with `X:` and ends at the first blank line after
    its first line (ABC 2.1, section 2.2), at the next `X:` line, or at the end of the
    text. `end` is just past its last line's newline. It is complete unless the text
    ends inside it: the last tune is complete only when a blank line ends it, or when the
    text ends with a newline right after a line that ends with a bar line.
    """
    starts = [m.start() for m in _X_LINE.finditer(text)]
    spans = []
    for i, start in enumerate(starts):
        limit = starts[i + 1] if i + 1 < len(starts) else len(text)
        first_line_end = text.find("\n", start, limit)
        blank = _BLANK_LINE.search(text, first_line_end, limit) if first_line_end >= 0 else None
        if blank:
            spans.append((start, blank.start() + 1, True))
        elif i + 1 < len(starts):
            spans.append((start, limit, True))
        else:
            chunk = text[start:limit]
            lines = chunk.split("\n")
            complete = chunk.endswith("\n") and len(lines) > 2 and bool(
                re.search(r"\|\]?\s*$", lines[-2]))
            spans.append((start, limit, complete))
    return spans


def split_tunes(text):
    """The tunes of `text` as dicts: index (1-based), text (ending in one newline) and
    truncated (True for a last tune cut off by the end of the text)."""
    return [{"index": k + 1, "text": text[start:end].rstrip() + "\n", "truncated": not complete}
            for k, (start, end, complete) in enumerate(tune_spans(text))]


def complete_tunes(text):
    """The texts of the complete tunes of `text`, each ending in one newline."""
    return [t["text"] for t in split_tunes(text) if not t["truncated"]]


def first_complete_tune(text):
    """The first tune of `text` if the text holds all of it, else None."""
    tunes = split_tunes(text)
    return tunes[0]["text"] if tunes and not tunes[0]["truncated"] else None


# ---------------------------------------------------------------- header

def parse_fraction(text, what):
    """'3/4' -> Fraction(3, 4); `C` and `C|` are the common and cut time of M:."""
    text = text.strip()
    special = {"C": Fraction(4, 4), "C|": Fraction(2, 2)}
    if text in special:
        return special[text]
    m = re.match(r"^(\d+)/(\d+)$", text)
    if not m or int(m.group(1)) == 0:
        raise AbcSyntaxError("%s %r is not a fraction like 3/4" % (what, text))
    denominator = int(m.group(2))
    if not power_of_two(denominator):  # abc2midi: "14 b is not a power of 2"
        raise AbcSyntaxError("%s %r: the denominator is not a power of 2" % (what, text))
    return Fraction(int(m.group(1)), denominator)


def power_of_two(number):
    """The denominators abc2midi accepts, in M:, L:, Q: and note lengths."""
    return number > 0 and not number & (number - 1)


def split_header(tune_text):
    """([(field letter, value), ...] of the header in order, [body lines]).

    The header runs to its `K:` line, or to the first line that is no field."""
    lines = tune_text.rstrip("\n").split("\n")
    fields = []
    for i, line in enumerate(lines):
        m = _FIELD.match(line)
        if not m or (i == 0 and m.group(1) != "X"):
            return fields, lines[i:]
        fields.append((m.group(1), m.group(2).strip()))
        if m.group(1) == "K":
            return fields, lines[i + 1:]
    return fields, []


def header_fields(header_text):
    """The first value of each field (X, T, M, L, K ...) of a tune or its header."""
    fields = {}
    for letter, value in split_header(header_text)[0]:
        fields.setdefault(letter, value)
    return fields


def bar_units(fields):
    """(bar length in units of L:, meter) of a header's fields; AbcSyntaxError if its M:
    or L: can't be read. No L: means 1/8, or 1/16 below a meter of 3/4 (ABC 2.1, 3.1.7)."""
    if "M" not in fields:
        raise AbcSyntaxError("no M: field")
    meter = parse_fraction(fields["M"], "M:")
    if "L" in fields:
        unit = parse_fraction(fields["L"], "L:")
    else:
        unit = Fraction(1, 16) if meter < Fraction(3, 4) else Fraction(1, 8)
    return meter / unit, meter


def declared_voices(fields):
    """The voice ids of a header's `V:` lines, in order."""
    return [value.split()[0] for letter, value in fields if letter == "V" and value.split()]


# ---------------------------------------------------------------- body lines and bars

def line_voice(line):
    """The voice of a body line (`[V:2]...` -> '2'), or None."""
    m = _VOICE_LINE.match(line)
    return m.group(1) if m else None


def line_bars(line):
    """[(music, closing bar line), ...] of a body line, without its voice, inline fields and
    comments. A last stretch with music but no bar line is a bar closed by None (it goes
    on in the next line); a volta number (`[1 `) is not part of the music."""
    text = _NON_MUSIC.sub(" ", line)
    bars, at = [], 0
    for m in _BAR_LINE.finditer(text):
        music = _VOLTA.sub("", text[at:m.start()], count=1)
        if _NOTE_OR_REST.search(music):
            bars.append((music.strip(), m.group(0)))
        at = m.end()
    rest = _VOLTA.sub("", text[at:], count=1)
    if _NOTE_OR_REST.search(rest):
        bars.append((rest.strip(), None))
    return bars


def is_rest_bar(music):
    """True for a bar that holds rests and no note."""
    return bool(_NOTE_OR_REST.search(music)) and not _NOTE.search(music)


def count_bars(line, rests_only=False):
    """Bars in one body line (rests_only: only those that hold no note)."""
    return sum(1 for music, _ in line_bars(line) if not rests_only or is_rest_bar(music))


def music_lines(body_lines):
    """The body lines that hold music: no comments, fields or blank lines."""
    return [line for line in body_lines if line.strip() and not _FIELD.match(line)
            and not line.lstrip().startswith("%")]


# ---------------------------------------------------------------- events in a bar

class Event(object):
    """A note, chord or rest: its duration in units of L:, the pitches it sounds (empty for
    a rest) with the accidental written on each ('' if none), and the (pitch, accidental)
    pairs tied to the next event."""
    __slots__ = ("duration", "accidentals", "tied")

    def __init__(self, duration, accidentals, tied=frozenset()):
        self.duration, self.accidentals, self.tied = duration, accidentals, tied


def parse_length(text, i):
    """(multiplier, next index) of the length after a note: 2, /2, 3/2, /, //."""
    m = _LENGTH.match(text, i)
    num, slashes, den = m.group(1), m.group(2), m.group(3)
    if den and not power_of_two(int(den)):
        raise AbcSyntaxError("length %r: the divisor is not a power of 2" % m.group(0))
    value = Fraction(int(num) if num else 1)
    if slashes:
        if den and len(slashes) > 1:
            raise AbcSyntaxError("bad length %r" % m.group(0))
        value /= int(den) if den else 2 ** len(slashes)
    if value == 0:
        raise AbcSyntaxError("zero length %r" % m.group(0))
    return value, m.end()


def parse_pitch(text, i):
    """(pitch number, accidental, next index) of a note: its letter and octave marks make
    the number (C=0, c=7, c'=14), its accidental ('', ^, ^^, _, __ or =) stays apart."""
    start = i
    if i < len(text) and text[i] in "^_":  # ^ ^^ _ __ =, not =^ or ^^^
        i += 2 if text[i + 1:i + 2] == text[i] else 1
    elif i < len(text) and text[i] == "=":
        i += 1
    accidental = text[start:i]
    if i >= len(text) or text[i] not in NOTE_LETTERS:
        raise AbcSyntaxError("accidental without a note")
    letter = text[i]
    number = "CDEFGAB".index(letter.upper()) + (7 if letter.islower() else 0)
    i += 1
    # abc2midi refuses A' and c, (it wants a and C,): octave marks only outward.
    mark = "'" if letter.islower() else ","
    while i < len(text) and text[i] in "',":
        if text[i] != mark:
            raise AbcSyntaxError("%r after %s" % (text[i], letter))
        number += 7 if text[i] == "'" else -7
        i += 1
    return number, accidental, i


class _BarReader(object):
    """The events of one bar, read left to right (parse_bar)."""

    def __init__(self, text):
        self.text, self.i, self.events = text, 0, []
        self.tuplet_left, self.tuplet_ratio = 0, Fraction(1)
        self.broken_before = self.broken_next = None

    def add(self, event):
        if self.tuplet_left:
            event.duration *= self.tuplet_ratio
            self.tuplet_left -= 1
        if self.broken_next is not None:
            # abc2midi: "Cannot apply broken rhythm. Notes not equal durations".
            if event.duration != self.events[-1].duration / self.broken_before:
                raise AbcSyntaxError("broken rhythm between notes of different lengths")
            event.duration *= self.broken_next
            self.broken_next = None
        self.events.append(event)

    def tuplet(self):
        m = _TUPLET.match(self.text, self.i)
        if not m:
            raise AbcSyntaxError("'(' is no tuplet")
        if self.tuplet_left:  # abc2midi: "nested tuples"
            raise AbcSyntaxError("a tuplet inside a tuplet")
        p = int(m.group(1))
        if p < 2 or p > 9:
            raise AbcSyntaxError("tuplet (%d" % p)
        q = int(m.group(2)) if m.group(2) else TUPLET_Q.get(p, 2)
        self.tuplet_left = int(m.group(3)) if m.group(3) else p
        self.tuplet_ratio = Fraction(q, p)
        self.i = m.end()

    def chord(self):
        text, accidentals, lengths, tied = self.text, {}, [], []
        self.i += 1
        while self.i < len(text) and text[self.i] != "]":
            if text[self.i] in " \t":
                self.i += 1
                continue
            number, accidental, self.i = parse_pitch(text, self.i)
            length, self.i = parse_length(text, self.i)
            accidentals[number] = accidental
            lengths.append(length)
            if text[self.i:self.i + 1] == "-":  # [g-d]: this note alone is tied
                tied.append((number, accidental))
                self.i += 1
        if self.i >= len(text) or not accidentals:
            raise AbcSyntaxError("chord not closed" if self.i >= len(text) else "empty chord")
        multiplier, self.i = parse_length(text, self.i + 1)
        self.add(Event(lengths[0] * multiplier, accidentals, frozenset(tied)))

    def tie(self):
        last = self.events[-1] if self.events else None
        if last is None or last.tied or not last.accidentals:
            raise AbcSyntaxError("tie after no note")
        last.tied = frozenset(last.accidentals.items())
        self.i += 1

    def broken(self, c):
        if self.text[self.i + 1:self.i + 2] == c or not self.events or self.broken_next:
            raise AbcSyntaxError("broken rhythm %r without a note before it" % c)
        self.broken_before, self.broken_next = BROKEN[c]
        self.events[-1].duration *= self.broken_before
        self.i += 1

    def read(self):
        text = self.text
        while self.i < len(text):
            c = text[self.i]
            if c in " \t":
                self.i += 1
            elif c == "(":
                self.tuplet()
            elif c == "-":
                self.tie()
            elif c in BROKEN:
                self.broken(c)
            elif c == "[":
                self.chord()
            elif c in NOTE_LETTERS or c in ACCIDENTALS:
                number, accidental, self.i = parse_pitch(text, self.i)
                length, self.i = parse_length(text, self.i)
                self.add(Event(length, {number: accidental}))
            elif c in REST_LETTERS:
                length, self.i = parse_length(text, self.i + 1)
                self.add(Event(length, {}))
            else:
                raise AbcSyntaxError("unexpected %r" % c)
        if self.broken_next is not None:
            raise AbcSyntaxError("broken rhythm at the end of a bar")
        if self.tuplet_left:  # abcm2ps: "End of line found inside a tuplet"
            raise AbcSyntaxError("a tuplet not finished in its bar")
        return self.events


def parse_bar(text):
    """The events of the music between two bar lines (no bar line, no inline field)."""
    return _BarReader(text).read()


def bar_events(music):
    """parse_bar's events of a bar, or [] if it cannot be read."""
    try:
        return parse_bar(music)
    except AbcSyntaxError:
        return []


def duration(events):
    return sum((e.duration for e in events), Fraction(0))


def bar_duration(music):
    """The length of a bar's music in units of L:, or None if it cannot be read."""
    try:
        return duration(parse_bar(music))
    except AbcSyntaxError:
        return None


# ---------------------------------------------------------------- a valid tune's structure

# The rules structure_problems() checks, as check_abc.py names them.
STRUCTURE_RULES = {
    "header_order": "the header starts with X: and ends with K:",
    "header_values": "M: and L: give a meter the tools can read",
    "voice_lines": "every body line starts with a voice, [V:n]",
    "voices_declared": "every voice used is declared by a V: line, and every declared one used",
    "voices_in_step": "the voices take turns line by line, each line holding the same bars "
                      "(count and lengths) as the matching line of every other voice",
    "closing_bar_line": "every voice ends with a closing bar line (|], || or :|)",
}


def structure_problems(tune_text):
    """[(rule, what is wrong), ...] for a tune's structure (STRUCTURE_RULES); [] if none."""
    fields, body = split_header(tune_text)
    problems = []
    letters = [letter for letter, _ in fields]
    if not letters or letters[0] != "X" or letters[-1] != "K" or letters.count("K") != 1:
        problems.append(("header_order", "header fields %s" % "".join(letters)))
    try:
        bar_units(dict(fields))
    except AbcSyntaxError as e:
        problems.append(("header_values", str(e)))
    lines = music_lines(body)
    voices = [line_voice(line) for line in lines]
    if None in voices:
        problems.append(("voice_lines", "line %d has no [V:n]" % (voices.index(None) + 1)))
        return problems
    declared = declared_voices(fields)
    if set(voices) != set(declared):
        problems.append(("voices_declared", "declared %s, used %s"
                         % (",".join(declared) or "none", ",".join(sorted(set(voices))))))
    problems += _step_problems(lines, voices, declared)
    open_ended = [voice for voice in sorted(set(voices)) if not [
        line for line, v in zip(lines, voices) if v == voice][-1].rstrip().endswith(
            CLOSING_BAR_LINES)]
    if open_ended or not lines:
        problems.append(("closing_bar_line", "voice %s ends without one"
                         % ",".join(open_ended) if lines else "no music"))
    return problems


def _step_problems(lines, voices, declared):
    """voices_in_step: lines go round the declared voices in order; each round's lines hold
    the same bars (count, bar lines and lengths)."""
    order = declared or sorted(set(voices), key=voices.index)
    if not order or len(lines) % len(order) or any(
            v != order[k % len(order)] for k, v in enumerate(voices)):
        return [("voices_in_step", "lines do not go round the voices %s in turn"
                 % ",".join(order))]
    for start in range(0, len(lines), len(order)):
        shapes = [_line_shape(line) for line in lines[start:start + len(order)]]
        for voice, shape in zip(order[1:], shapes[1:]):
            if shape != shapes[0]:
                return [("voices_in_step", "line %d of voice %s holds %d bars (%s), voice %s's "
                         "%d (%s)" % (start // len(order) + 1, voice, len(shape),
                                      _shape_text(shape), order[0], len(shapes[0]),
                                      _shape_text(shapes[0])))]
    return []


def _line_shape(line):
    return [(close, bar_duration(music)) for music, close in line_bars(line)]


def _shape_text(shape):
    return " ".join("%s%s" % (length, close or "") for close, length in shape)


# ---------------------------------------------------------------- transposition

_LETTERS = "CDEFGAB"
_NATURAL = (0, 2, 4, 5, 7, 9, 11)  # semitones of C D E F G A B above C
_SHARPS = "FCGDAEB"  # the order sharps come in; flats come in the reverse order
_KEY = re.compile(r"^([A-G])([#b]?)(m?)$")
_NOTE_TEXT = re.compile(r"(\^\^|__|\^|_|=)?([A-Ga-g])([,']*)")
_K_LINE = re.compile(r"^K:[ \t]*(\S+)[ \t]*$", re.M)
_INLINE_FIELD = re.compile(r"\[[A-Za-z]:[^\]]*\]")
ALTERATIONS = {"__": -2, "_": -1, "=": 0, "^": 1, "^^": 2}
ACCIDENTAL_OF = {v: k for k, v in ALTERATIONS.items()}


def key_values(text):
    """The distinct values of the K: lines in `text`, sorted: the keys its tunes are in."""
    return sorted(set(_K_LINE.findall(text)))


# The header fields whose values the structured sampler draws in the training pieces'
# proportions (abc_mask.StructureMask header_counts): the model mixes M: up with L:.
COUNTED_FIELDS = ("M", "K")


def header_counts(text, fields=COUNTED_FIELDS):
    """{field: {value: the number of tunes of `text` whose header gives it}} for `fields`."""
    counts = {field: {} for field in fields}
    for tune in split_tunes(text):
        for field, value in header_fields(tune["text"]).items():
            if field in counts:
                counts[field][value] = counts[field].get(value, 0) + 1
    return counts


def dominant(tonic):
    """The letter a fifth above the letter `tonic` (G -> D)."""
    return "CDEFGAB"["CDEFGAB".index(tonic.upper()) - 3]


def key_mode(key):
    """'minor' for a K: value such as Gm, else 'major'."""
    return "minor" if key.strip().endswith("m") else "major"


def scale_degree(letter, key):
    """The degree (1-7) of a note `letter` in the key `key`, by letters from the tonic's."""
    return (_LETTERS.index(letter.upper()) - _LETTERS.index(key.strip()[0])) % 7 + 1


# The share of a mode's notes an altered degree needs to count as one the pieces write:
# in the two-staff corpus' major pieces that keeps #1 #2 b3 #4 #5 b7 (the secondary
# dominants' leading notes and the flat seventh) and leaves out b2 b6 #6 (1 to 5 notes).
ALTERED_SHARE = 0.001


def spelled_notes(tune):
    """(mode, scale degree, alteration, restated) of each note of a tune: the alteration it
    sounds from the key signature (-1, 0, 1; the bar's accidentals carried), and whether an
    accidental is written that the key or the bar already gives. Nothing without a K: the
    module reads."""
    key = _K_LINE.search(tune)
    try:
        signature = key_signature(key.group(1)) if key else None
    except AbcSyntaxError:
        return
    if signature is None:
        return
    mode = key_mode(key.group(1))
    for line in music_lines(split_header(tune)[1]):
        for music, _ in line_bars(line):
            letters = {}
            for accidental, letter, _ in _NOTE_TEXT.findall(music):
                upper = letter.upper()
                before = letters.get(upper, signature[upper])
                if accidental:
                    letters[upper] = ALTERATIONS[accidental]
                yield (mode, scale_degree(letter, key.group(1)),
                       letters.get(upper, signature[upper]) - signature[upper],
                       bool(accidental) and ALTERATIONS[accidental] == before)


def altered_degrees(text, least_share=ALTERED_SHARE):
    """{mode: [[degree, alteration], ...]}: the scale degrees the tunes of `text` alter from
    their key signature (what the note sounds, the bar's accidentals carried), in each mode
    ('major', 'minor'), that make at least `least_share` of that mode's notes; sorted."""
    counts, notes = collections.Counter(), collections.Counter()
    for tune in complete_tunes(text):
        for mode, degree, alteration, _ in spelled_notes(tune):
            notes[mode] += 1
            if alteration:
                counts[mode, degree, alteration] += 1
    return {mode: sorted([degree, alteration] for (m, degree, alteration), n in counts.items()
                         if m == mode and n >= least_share * notes[mode])
            for mode in sorted(notes)}


def key_signature(key):
    """{letter: alteration} of a K: value such as G, Bb or F#m; AbcSyntaxError otherwise."""
    m = _KEY.match(key.strip())
    if not m:
        raise AbcSyntaxError("key %r is not one this module transposes" % key)
    letter, sign, minor = m.groups()
    tonic = _NATURAL[_LETTERS.index(letter)] + {"#": 1, "b": -1, "": 0}[sign]
    major_tonic = (tonic + (3 if minor else 0)) % 12
    # Sharps (positive) or flats (negative) of the major key on that tonic: fifths from C.
    fifths = (major_tonic * 7) % 12
    fifths = fifths - 12 if fifths > 6 or (fifths == 6 and sign == "b") else fifths
    if fifths >= 0:
        return {c: 1 if c in _SHARPS[:fifths] else 0 for c in _LETTERS}
    return {c: -1 if c in _SHARPS[::-1][:-fifths] else 0 for c in _LETTERS}


def transposed_key(key, steps, semitones):
    """The K: value `steps` letters and `semitones` semitones away (G, 1, 2 -> A)."""
    letter, sign, minor = _KEY.match(key.strip()).groups()
    index = _LETTERS.index(letter) + steps
    tonic = _NATURAL[_LETTERS.index(letter)] + {"#": 1, "b": -1, "": 0}[sign] + semitones
    new_letter = _LETTERS[index % 7]
    alteration = (tonic - _NATURAL[index % 7] + 6) % 12 - 6
    if abs(alteration) > 1:
        raise AbcSyntaxError("no key %d steps from %s" % (steps, key))
    return new_letter + {1: "#", -1: "b", 0: ""}[alteration] + minor


def transpose_tune(tune_text, steps, semitones):
    """The tune moved `steps` letters and `semitones` semitones (1, 2: a whole tone up),
    its K: line following, each note spelled for the new key, accidentals written where
    the new key and the bar's earlier notes would not imply them (under either reading of
    an accidental: for its octave only, or for its letter in all octaves)."""
    fields, body = split_header(tune_text)
    keys = [value for letter, value in fields if letter == "K"]
    if not keys:
        raise AbcSyntaxError("no K: field")
    old_key, new_key = keys[0], transposed_key(keys[0], steps, semitones)
    old_sig, new_sig = key_signature(old_key), key_signature(new_key)
    lines = tune_text.split("\n")
    head = len(lines) - len(body) - (1 if tune_text.endswith("\n") else 0)
    out = [("K:" + new_key if line.startswith("K:") else line) for line in lines[:head]]
    for line in lines[head:]:
        out.append(_transpose_line(line, steps, semitones, old_sig, new_sig))
    return "\n".join(out)


def _transpose_line(line, steps, semitones, old_sig, new_sig):
    """One body line; the accidental state starts afresh in each bar."""
    pieces, at = [], 0
    for m in _INLINE_FIELD.finditer(line):
        pieces.append((line[at:m.start()], True))
        pieces.append((m.group(0), False))
        at = m.end()
    pieces.append((line[at:], True))
    out = []
    state = {"read": {}, "written": {}, "letters": {}}
    for text, music in pieces:
        if not music:
            out.append(text)
            continue
        for bar_part in re.split(r"(\|)", text):
            if bar_part == "|":
                state = {"read": {}, "written": {}, "letters": {}}
                out.append(bar_part)
                continue
            out.append(_NOTE_TEXT.sub(lambda m: _transpose_note(
                m, steps, semitones, old_sig, new_sig, state), bar_part))
    return "".join(out)


def _transpose_note(m, steps, semitones, old_sig, new_sig, state):
    accidental, letter, marks = m.group(1) or "", m.group(2), m.group(3)
    octave = (1 if letter.islower() else 0) + marks.count("'") - marks.count(",")
    upper = letter.upper()
    if accidental:
        state["read"][(upper, octave)] = ALTERATIONS[accidental]
    alteration = state["read"].get((upper, octave), old_sig[upper])
    index = _LETTERS.index(upper) + 7 * octave + steps
    pitch = _NATURAL[_LETTERS.index(upper)] + 12 * octave + alteration + semitones
    new_upper, new_octave = _LETTERS[index % 7], index // 7
    needed = pitch - _NATURAL[index % 7] - 12 * new_octave
    if needed not in ACCIDENTAL_OF:
        raise AbcSyntaxError("%s%s%s needs more than a double accidental" % m.groups(""))
    implied = state["written"].get((new_upper, new_octave), new_sig[new_upper])
    implied_any = state["letters"].get(new_upper, new_sig[new_upper])
    written = ""
    if needed != implied or needed != implied_any:
        written = ACCIDENTAL_OF[needed]
        state["written"][(new_upper, new_octave)] = needed
        state["letters"][new_upper] = needed
    if new_octave >= 1:
        text = new_upper.lower() + "'" * (new_octave - 1)
    else:
        text = new_upper + "," * (-new_octave)
    return written + text
