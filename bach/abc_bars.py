"""Bar lengths, ties and headers of ABC music, in pure Python, for the checked sampler.

The checked sampler (checked_sampler.py, `sample.py --sampler checked`) feeds what the
model writes to TuneChecker a character at a time. It refuses what made most sampled tunes
invalid or full of bad bars (bach/EXPERIMENTS.md): a header the tools cannot read, a bar
whose length is not the meter's, a tie to a different pitch, a note abc2midi rejects.
It reads the subset of ABC 2.1 the Goldberg corpus uses (midi2abc's output): notes with
accidentals, octave marks and lengths, rests, chords, ties, broken rhythm (`<`, `>`),
tuplets `(p:q:r` and slurs; anything else in a bar is refused. bach/check_abc.py and the
ABC tools stay the judges of every figure; tests check that bar lengths agree with abc2abc.
"""
import re
from fractions import Fraction

NOTE_LETTERS = "ABCDEFGabcdefg"
REST_LETTERS = "zx"
ACCIDENTALS = "^_="
# Tuplet (p: p notes in the time of q) when q is not written: ABC 2.1, section 4.13.
TUPLET_Q = {2: 3, 3: 2, 4: 3, 6: 2, 8: 3}
BROKEN = {">": (Fraction(3, 2), Fraction(1, 2)), "<": (Fraction(1, 2), Fraction(3, 2))}

_LENGTH = re.compile(r"(\d*)(/*)(\d*)")
_TUPLET = re.compile(r"\((\d+)(?::(\d*))?(?::(\d*))?")
_FIELD = re.compile(r"^([A-Za-z]):(.*)$")


class AbcSyntaxError(ValueError):
    """Text the checked sampler does not accept as part of a bar; `unfinished` when more
    characters could still make it right (an accidental or a chord at the end)."""

    def __init__(self, message, unfinished=False):
        ValueError.__init__(self, message)
        self.unfinished = unfinished


class Event(object):
    """A note, chord or rest: its duration in units of L:, the pitches it sounds (empty for
    a rest) with the accidental written on each ('' if none), and the (pitch, accidental)
    pairs tied to the next event."""
    __slots__ = ("duration", "accidentals", "tied")

    def __init__(self, duration, accidentals, tied=frozenset()):
        self.duration, self.accidentals, self.tied = duration, accidentals, tied



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


def header_fields(header_text):
    """The first value of each field (X, T, M, L, K ...) of a tune header."""
    fields = {}
    for line in header_text.split("\n"):
        m = _FIELD.match(line)
        if m:
            fields.setdefault(m.group(1), m.group(2).strip())
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


def _length(text, i):
    """(multiplier, next index) of the length after a note: 2, /2, 3/2, /, //."""
    m = _LENGTH.match(text, i)
    num, slashes, den = m.group(1), m.group(2), m.group(3)
    at_end = m.end() >= len(text)  # "c/0" may still become "c/05", "c/25" "c/256"
    if den and not power_of_two(int(den)):
        raise AbcSyntaxError("length %r: the divisor is not a power of 2" % m.group(0),
                             unfinished=at_end)
    value = Fraction(int(num) if num else 1)
    if slashes:
        value /= int(den) if den else 2 ** len(slashes)
        if den and len(slashes) > 1:
            raise AbcSyntaxError("bad length %r" % m.group(0))
    if value == 0:
        raise AbcSyntaxError("zero length %r" % m.group(0), unfinished=at_end)
    return value, m.end()


def _pitch(text, i):
    """(pitch number, accidental, next index) of a note: its letter and octave marks make
    the number (C=0, c=7, c'=14), its accidental ('', ^, ^^, _, __ or =) stays apart."""
    start = i
    if i < len(text) and text[i] in "^_":  # ^ ^^ _ __ =, not =^ or ^^^
        i += 2 if text[i + 1:i + 2] == text[i] else 1
    elif i < len(text) and text[i] == "=":
        i += 1
    accidental = text[start:i]
    if i >= len(text) or text[i] not in NOTE_LETTERS:
        raise AbcSyntaxError("accidental without a note", unfinished=i >= len(text))
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


def parse_bar(text):
    """The events of the music between two bar lines (no bar line, no inline field)."""
    events, i, n = [], 0, len(text)
    tuplet_left, tuplet_ratio, broken_before, broken_next = 0, Fraction(1), None, None

    def add(event, at_end):
        nonlocal tuplet_left, broken_next
        if tuplet_left:
            event.duration *= tuplet_ratio
            tuplet_left -= 1
        if broken_next is not None:
            # abc2midi: "Cannot apply broken rhythm. Notes not equal durations".
            if event.duration != events[-1].duration / broken_before:
                raise AbcSyntaxError("broken rhythm between notes of different lengths",
                                     unfinished=at_end)  # its length may not be written yet
            event.duration *= broken_next
            broken_next = None
        events.append(event)

    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
        elif c == "(":
            m = _TUPLET.match(text, i)
            if m:
                if tuplet_left:  # abc2midi: "nested tuples"
                    raise AbcSyntaxError("a tuplet inside a tuplet")
                p = int(m.group(1))
                if p < 2 or p > 9:
                    raise AbcSyntaxError("tuplet (%d" % p)
                q = int(m.group(2)) if m.group(2) else TUPLET_Q.get(p, 2)
                tuplet_left = int(m.group(3)) if m.group(3) else p
                tuplet_ratio = Fraction(q, p)
                i = m.end()
            else:
                i += 1  # a slur
        elif c == ")":
            i += 1
        elif c == "-":
            if not events or events[-1].tied or not events[-1].accidentals:
                raise AbcSyntaxError("tie after no note")
            events[-1].tied = frozenset(events[-1].accidentals.items())
            i += 1
        elif c in BROKEN:
            run = len(re.match(r"%s+" % re.escape(c), text[i:]).group(0))
            if run > 1 or not events or broken_next is not None:
                raise AbcSyntaxError("broken rhythm %r without a note before it" % c)
            broken_before, broken_next = BROKEN[c]
            events[-1].duration *= broken_before
            i += 1
        elif c == "[":
            accidentals, lengths, tied = {}, [], []
            i += 1
            while i < n and text[i] != "]":
                if text[i] in " \t":
                    i += 1
                    continue
                number, accidental, i = _pitch(text, i)
                length, i = _length(text, i)
                accidentals[number] = accidental
                lengths.append(length)
                if i < n and text[i] == "-":  # [g-d]: this note alone is tied
                    tied.append((number, accidental))
                    i += 1
            if i >= n or not accidentals:
                raise AbcSyntaxError("chord not closed" if i >= n else "empty chord",
                                     unfinished=i >= n)
            multiplier, i = _length(text, i + 1)
            add(Event(lengths[0] * multiplier, accidentals, frozenset(tied)), i >= n)
        elif c in NOTE_LETTERS or c in ACCIDENTALS:
            number, accidental, i = _pitch(text, i)
            length, i = _length(text, i)
            add(Event(length, {number: accidental}), i >= n)
        elif c in REST_LETTERS:
            length, i = _length(text, i + 1)
            add(Event(length, {}), i >= n)
        else:
            raise AbcSyntaxError("unexpected %r" % c)
    if broken_next is not None:
        raise AbcSyntaxError("broken rhythm at the end of a bar", unfinished=True)
    if tuplet_left:  # abcm2ps: "End of line found inside a tuplet"
        raise AbcSyntaxError("a tuplet not finished in its bar", unfinished=True)
    return events


def duration(events):
    return sum((e.duration for e in events), Fraction(0))


def check_bar(text, units, tied_in=frozenset(), last=False):
    """(None, notes tied out of the bar) if `text` is one whole bar of `units` whose ties
    each land on a note of the same pitch (`tied_in`: the (pitch, accidental) pairs tied
    into it from the voice's previous bar); otherwise (what is wrong, None). The `last` bar
    of a tune may be short, as in the corpus (abc2abc judges no bar that no bar line closes)."""
    try:
        events = parse_bar(text)
    except AbcSyntaxError as e:
        return str(e), None
    if not events:
        return "empty bar", None
    length = duration(events)
    if length != units and not (last and length < units):
        return "bar is %s units, not %s" % (length, units), None
    pending, across = tied_in, True
    for event in events:
        for number, accidental in pending:
            written = event.accidentals.get(number)
            # abc2midi: inside a bar, G4- _G2 is no tie (^c2- c2 is: the sharp carries
            # on); across a bar line only the letter and octave must match.
            if written is None or (not across and written not in ("", accidental)):
                return "tie to a different pitch", None
        pending, across = event.tied, False
    return None, pending


def hopeless(text, units):
    """What is wrong with the start of a bar that no continuation can put right (a syntax
    error before its end, or notes that already last longer than `units`), or None.
    The last two events may still change (a length being written, broken rhythm), so only
    the ones before them count."""
    try:
        events = parse_bar(text)
    except AbcSyntaxError as e:
        return None if e.unfinished else str(e)
    if duration(events[:-2]) > units:
        return "bar longer than %s units" % units
    return None


# What TuneChecker.feed says of each character.
GO_ON = "go on"          # nothing to judge yet
ACCEPT = "accept"        # a header, bar or line just came out right: a point to come back to
TUNE_START = "tune start"  # an `X:` line began a tune: come back to the start of its line
# Header fields as ABC tools read them: their letters, and a pattern for those with a value
# the tools parse (a T: or C: line is free text).
HEADER_VALUES = {
    "X": re.compile(r"^\d+$"),
    "T": None,
    "C": None,
    "M": re.compile(r"^(\d+/\d+|C\|?)$"),
    "L": re.compile(r"^\d+/\d+$"),
    "Q": re.compile(r"^((\d+)/(\d+)=)?\d+$"),
    "V": re.compile(r"^\d+( clef=(treble|bass|alto|tenor))?$"),
    "K": re.compile(r"^[A-G][#b]?(m|maj|min|mix|dor|phr|lyd|loc)?$"),
}
_VOICE_LINE = re.compile(r"^\[V:(\d+)\]")
_VOICE_PREFIX = re.compile(r"^(X|\[(V(:\d{0,3})?)?)$")  # what may still become [V:n] or X:
MAX_HEADER_LINE = 200
# A line may not pass MAX_LINE_CHARS (the corpus' longest is 332), and a tune past
# MAX_TUNE_CHARS starts no more lines but ends (see forced()): so a sample of 4000
# characters (evaluate.py's) holds a whole tune, and a model stuck repeating a bar stops.
# 27 of the corpus' 31 pieces are shorter than that; the longest has 3,821 characters.
MAX_LINE_CHARS = 400
MAX_TUNE_CHARS = 3000


class Rejected(str):
    """What TuneChecker.feed says when a character spoiled the header, a bar or a line:
    the reason, as text. `back_to`, when set, is how many characters of the text may stay:
    a tune that ends with a tie open must go back to before the bar that opened it."""
    back_to = None


class TuneChecker(object):
    """Follows sampled ABC a character at a time: a tune's header up to its `K:` line must
    give a meter (M:, L:); every body line is `[V:n]` and bars of the header's length whose
    ties land on the same pitch; a tune ends at a blank line or the next `X:` line, with no
    tie left open. Text outside tunes is not judged. snapshot() and restore() let a sampler
    go back to the last accepted point."""

    def __init__(self):
        self.mode = "outside"  # outside a tune, in its header, or in its body
        self.line = ""         # the current line so far
        self.header = ""
        self.units = None      # bar length in units of L:
        self.voice = None      # the current body line's voice
        self.bar = ""          # the current bar so far
        self.ties = {}         # voice -> pitches tied into its next bar
        self.tie_from = {}     # voice -> where the bar that opened them began
        self.position = 0      # characters fed
        self.bar_start = 0
        self.tune_start = 0

    def snapshot(self):
        state = dict(self.__dict__)
        state["ties"], state["tie_from"] = dict(self.ties), dict(self.tie_from)
        return state

    def restore(self, state):
        self.__dict__.update(state)
        self.ties, self.tie_from = dict(state["ties"]), dict(state["tie_from"])

    def forced(self):
        """The only character that may come next, or None: a tune past MAX_TUNE_CHARS at the
        start of a line must end, so the sampler writes its blank line without a draw."""
        if (self.mode == "body" and self.line == ""
                and self.position - self.tune_start > MAX_TUNE_CHARS):
            return "\n"
        return None

    def feed(self, char):
        """GO_ON, ACCEPT, TUNE_START or a Rejected reason, for the text so far + `char`."""
        line_start = self.line == ""
        self.line += char
        self.position += 1
        if self.mode == "outside":
            return self._outside(char)
        if self.mode == "header":
            return self._header(char)
        if self.mode == "ending":  # after a short bar: only the tune's end may follow
            if char != "\n":
                return Rejected("a bar without a bar line ends a line, not the tune")
            self.mode = "body"
            return self._line_start(char)
        if line_start or not self.voice:
            return self._line_start(char)
        return self._bar(char)

    def _outside(self, char):
        if self.line == "X:":
            self.mode, self.header, self.tune_start = "header", "", self.position - 2
            return TUNE_START
        if char == "\n":
            self.line = ""
            return ACCEPT
        return GO_ON

    def _header(self, char):
        if char != "\n":
            if len(self.line) > MAX_HEADER_LINE:
                return Rejected("header line too long")
            return GO_ON
        line, self.line = self.line, ""
        self.header += line
        m = _FIELD.match(line.rstrip("\n"))
        if not m:
            return Rejected("header line %r is not a field" % line.rstrip("\n")[:20])
        if m.group(1) not in HEADER_VALUES:
            return Rejected("header field %s: is not one of %s"
                            % (m.group(1), "".join(HEADER_VALUES)))
        pattern = HEADER_VALUES[m.group(1)]
        value = pattern.match(m.group(2).strip()) if pattern else True
        if not value or (m.group(1) == "Q" and value.group(3)
                         and not power_of_two(int(value.group(3)))):
            return Rejected("header field %s: has a bad value" % m.group(1))
        if not line.startswith("K:"):
            return GO_ON
        try:
            self.units, _ = bar_units(header_fields(self.header))
        except AbcSyntaxError as e:
            return Rejected("header: %s" % e)
        self.mode, self.ties, self.voice = "body", {}, None
        return ACCEPT

    def _line_start(self, char):
        """The first characters of a body line: `[V:n]`, a blank line or `X:`."""
        if self.line in ("\n", "X:"):
            open_ties = [self.tie_from[v] for v, ties in self.ties.items() if ties]
            if open_ties:
                rejected = Rejected("the tune ends with a tie open")
                rejected.back_to = min(open_ties)
                return rejected
            self.mode = "outside"
            if self.line == "X:":
                return self._outside(char)
            self.line = ""
            return ACCEPT
        if len(self.line) == 1 and self.position - self.tune_start > MAX_TUNE_CHARS:
            return Rejected("the tune is over %d characters: it must end" % MAX_TUNE_CHARS)
        m = _VOICE_LINE.match(self.line)
        if m:
            self.voice, self.bar, self.bar_start = m.group(1), "", self.position
            return GO_ON
        if not _VOICE_PREFIX.match(self.line):
            return Rejected("a body line starts with %r, not [V:n]" % self.line)
        return GO_ON

    def _bar(self, char):
        if char not in "|\n":
            if len(self.line) > MAX_LINE_CHARS:
                return Rejected("a line over %d characters" % MAX_LINE_CHARS)
            self.bar += char
            why = hopeless(self.bar, self.units)
            return Rejected(why) if why else GO_ON
        voice = self.voice
        if char == "\n":
            had_bar_line = "|" in self.line
            self.line, self.voice = "", None
            if not self.bar.strip():
                return ACCEPT if had_bar_line else Rejected("a voice line without music")
        if char == "\n":
            # A bar that no bar line closes goes on in the next line of the tune, whatever
            # its voice, for abc2abc; so only the tune's last bar may have none, and it may
            # be short, as in the corpus.
            why, ties = check_bar(self.bar, self.units, self.ties.get(voice, frozenset()),
                                  last=True)
            if not why and not ties:
                self.mode, self.bar = "ending", ""
                return GO_ON
            return Rejected(why or "a tie at the end of the tune")
        why, ties = check_bar(self.bar, self.units, self.ties.get(voice, frozenset()))
        if why:
            return Rejected(why)
        if ties and not self.ties.get(voice):
            self.tie_from[voice] = self.bar_start
        self.ties[voice], self.bar, self.bar_start = ties, "", self.position
        return ACCEPT
