"""The structured sampler's mask: which characters may come next so that the tune stays valid.

StructureMask follows a tune as it is written, a character at a time, and says at every
point which characters can still lead to a valid two-staff tune (abc_grammar's structure
rules, and what the ABC tools accept):
- the header: `X:` first, then T:, C:, M:, L:, Q:, V:1, V:2 and `K:` last, in that order,
  with values the tools can read (K: one of the keys the model was trained in: `keys`);
- the body: lines alternate `[V:1]` and `[V:2]`; voice 1's line chooses its bars (1 or 2,
  as dense lines must be to engrave) and bar lines, voice 2's line then holds the same bars
  with the same bar lines;
- every bar is exactly as long as the meter: a note's length can only be one that still
  fits, and what is left can still be filled; tuplets `(3` close inside their bar;
- a chord's notes go up, as in every chord of the corpus, at most 4 of them, none tied
  (chord_ties; the corpus ties up to 2);
- a voice's line leaps at most an octave (max_leap), voice 2 never starts a note above
  voice 1 (no_crossing; a tuplet's notes are checked where it starts, and the tune's last
  note is free of both), L: is the corpus' 1/16 and lengths are those the corpus writes;
- a tie goes to the same pitch: the next note is that pitch, spelled the same;
- (key_spelling) notes are spelled as the corpus spells them: an accidental changes what
  its letter sounds (none restates the key or the bar) and ends at most a semitone from
  the key signature (no F flat in G major), on a degree the training pieces alter so
  (altered_degrees); letters_after tells a sampler which letters an accidental may lead
  to before it is written;
- the tune ends with a closing bar line after 16 to 48 bars, with no tie left open, never
  right after a first ending, and (end_on_tonic) on a cadence, as every tune of the corpus
  ends: voice 2's last note or chord has the key's tonic lowest, below middle C, and voice
  1 ends at or above middle C; in the binary form (halves) the tune's two halves are
  repeated and as long as each other, and voice 2 ends the first on the dominant.
The rules past validity that the corpus itself breaks (chord ties, leaps, crossing,
cadence, spelling: 0.4% of its notes restate an accidental) are arguments, so the tests
can check the corpus' own grammar too; the others (chords going up, the lengths, no double
accidentals) are constants the corpus keeps; why each was chosen: bach/EXPERIMENTS.md.
The grammar is a generator: it yields the set of allowed characters and is sent the one
chosen. It never needs to take a character back, so the sampler never edits what it drew.
"""
import functools
from fractions import Fraction

from abc_grammar import (ACCIDENTAL_OF, ALTERATIONS, NOTE_LETTERS, TUPLET_Q, dominant,
                         key_mode, key_signature, scale_degree)

MIN_BARS, MAX_BARS = 16, 48  # the corpus' tunes hold 18 to 51 bars
# The corpus' form: |: A :|: B :|, the halves of one length; the first repeat closes after
# bar 16 in 26 of its 31 pieces, 8 in 3, 9 and 17 in one each. StructureMask(halves=...)
# writes tunes so.
FORM_HALVES = (8, 16)
# Bars in a line: the corpus writes 4, or 2 where 4 are too wide for abcm2ps ("Line too much
# shrunk"); sampled lines are as dense as the densest, so 1 or 2.
LINE_BARS = (1, 2)
# Notes, rests and chords in one voice's line, so that it engraves: the corpus' bars hold 8
# (median) to 27, its 4-bar lines up to about 56 short notes; chords, accidentals and ties
# widen a line: at 32, 7 of 50 sampled tunes still had a line abcm2ps could not fit.
LINE_NOTES = 24
# ... and in a line of two bars: two staves of 24 still overflowed in 3 of 50 tunes.
MORE_BARS_NOTES = 18
MAX_TEXT = 40                # characters of a T: or C: value
TEXT_MARKS = " .,'-"         # and letters and digits: no music in a title
DIGITS = "0123456789"
HEADER = (  # (field, required, values: "number", "text", "keys" or the values allowed)
    ("X", True, "number"), ("T", False, "text"), ("C", False, "text"),
    ("M", True, ("2/2", "3/2", "2/4", "3/4", "4/4", "3/8", "6/8", "9/8", "12/8", "12/16")),
    ("L", True, ("1/8", "1/16")),
    ("Q", False, tuple("1/4=%d" % n for n in range(30, 200))),
    ("V", True, ("1", "1 clef=bass")), ("V", True, ("2", "2 clef=bass")),
    ("K", True, "keys"))
# The keys K: may take; StructureMask(keys=...) keeps those a model was trained in.
HEADER_KEYS = ("C", "G", "D", "A", "E", "B", "F#", "F", "Bb", "Eb", "Ab",
               "Am", "Em", "Bm", "F#m", "C#m", "Dm", "Gm", "Cm", "Fm", "Bbm", "Ebm")
# L: as in every tune of the corpus: the model counts bars in sixteenths (with L:1/8 it
# filled them twice over, and the mask had to cut every bar short).
UNIT_LENGTHS = ("1/16",)
# Note lengths, in units of L:, that the two-staff corpus writes, and 24 (a bar of 12/8).
# Not 3/8, 3/4, 7/4, 7/2 (data/bach/STAVES.md lists them): with them the sampler filled
# bar ends with a dotted 64th and a 64th (316 times in 50 tunes), which no corpus bar has.
LENGTHS = {"": Fraction(1), "/": Fraction(1, 2), "//": Fraction(1, 4), "3/2": Fraction(3, 2)}
LENGTHS.update((str(n), Fraction(n)) for n in (2, 3, 4, 6, 7, 8, 12, 14, 16, 24))
TUPLET_LONGEST = 8       # the longest note in a corpus tuplet (`(3` x2x8x2); not a bar's
TUPLET = 3               # `(3`: three notes in the time of two
TUPLET_COUNTS = (2, 4, 5, 6)  # `(3:2:n`: n notes in that time
TUPLET_RATIO = Fraction(TUPLET_Q[TUPLET], TUPLET)
# Pitch numbers (C=0, c=7): the corpus spans G,,, to f' (-17 to 17); train.py --keys moves
# pieces up to three letters up or down.
LOWEST, HIGHEST = -20, 20
CHORD_NOTES = 4          # the most notes in a chord, as in the corpus
# Tied notes in a chord: the corpus ties 1 in 56% of its chords, 2 in 1.5%. The sampler
# allows none: the model loses track of which pitch a chord tied (it must sound again in
# the next chord), and with ties 16% of its steps left it under a tenth of the model's
# probability and chords grew to 4 tied notes; without, 7% (bach/EXPERIMENTS.md; the count:
# bench_sample.py).
CHORD_TIES = 0
# A voice's line (its top note in voice 1, its bottom note in voice 2) moves by at most an
# octave (7 letters) from one note or chord to the next, but for the last of a bar with a
# cadence (the tune's, the first half's): the corpus leaps further in 3% of its
# intervals; the model, which often writes the right letter in the wrong octave, in 11%.
MAX_LEAP = 7
# The corpus' own grammar: StructureMask(alphabet, **CORPUS_GRAMMAR) reads 26 of its 31
# tunes (tests/test_abc_mask.py says which not, and why), the held-out pieces among them.
CORPUS_GRAMMAR = dict(min_bars=1, max_bars=100, line_bars=(1, 4), line_notes=200,
                      more_bars_notes=None, end_on_tonic=False, unit_lengths=("1/8", "1/16"),
                      chord_ties=2, max_leap=None, no_crossing=False, key_spelling=False,
                      on_beat=False, keys=None, header_counts=None, chord_seconds=True,
                      halves=None)
ACCIDENTAL_STARTS = "^_="
SCALE_SEMITONES = (0, 2, 4, 5, 7, 9, 11)  # C D E F G A B above C
NOTE_STARTS = frozenset(ACCIDENTAL_STARTS + NOTE_LETTERS)
ACCIDENTALS = ("", "^", "_", "=")  # no double sharp or flat: the corpus writes none
SPELLINGS = tuple(a + letter for a in ACCIDENTALS for letter in NOTE_LETTERS)
_SPELLINGS_OF = {letter: tuple(a + letter for a in ACCIDENTALS) for letter in NOTE_LETTERS}
# Characters a model must be able to write for the mask to build any tune it allows: the
# header's letters, bar lines, voices, accidentals (a tie's note may need one written),
# octave marks, the digits of the lengths, rests, ties and tuplets.
REQUIRED = frozenset("XMLVK:\n[]|/ z-(,'^_=1234678")


class NotAllowed(ValueError):
    """A character the mask does not allow at this point."""


def _trie(strings):
    """{prefix: frozenset of the characters that continue it} for a set of strings."""
    nexts = {}
    for s in strings:
        for i in range(len(s)):
            nexts.setdefault(s[:i], set()).add(s[i])
    return {prefix: frozenset(chars) for prefix, chars in nexts.items()}


_LENGTH_NEXT = _trie(LENGTHS)
_LENGTH_SUBTREE = {p: [v for s, v in LENGTHS.items() if s.startswith(p)]
                   for p in set(_LENGTH_NEXT) | set(LENGTHS)}
_EIGHTH = Fraction(1, 8)


def _fewest_notes_table(limit=512):
    """fewest[k]: the fewest LENGTHS that add up to k eighths of a unit (None: none do)."""
    steps = [int(v / _EIGHTH) for v in LENGTHS.values()]
    table = [0] + [None] * limit
    for k in range(1, limit + 1):
        counts = [table[k - s] for s in steps if s <= k and table[k - s] is not None]
        table[k] = min(counts) + 1 if counts else None
    return table


_FEWEST = _fewest_notes_table()


@functools.lru_cache(maxsize=None)
def fewest_notes(amount):
    """The fewest notes of LENGTHS that fill `amount` units (0 for 0), or None."""
    eighths = amount / _EIGHTH
    if amount < 0 or eighths.denominator != 1 or eighths >= len(_FEWEST):
        return None
    return _FEWEST[int(eighths)]


def beat_of(meter):
    """The beat of a meter such as '12/16', in whole notes: a dotted one in 6/8, 9/8, 12/8
    and 12/16, else the meter's note (3/4: a quarter)."""
    count, note = (int(n) for n in meter.split("/"))
    return Fraction(3 if count in (6, 9, 12) and note >= 8 else 1, note)


def fewest_on_beat(start, amount, beat):
    """At least how many notes of LENGTHS fill `amount` units from `start` (units into
    the bar) with none that starts off a beat of `beat` units and sounds over the next beat
    (a lower bound: after the first beat the notes are counted as if free); None if they
    cannot."""
    to_beat = min(amount, -start % beat)
    first, rest = fewest_notes(to_beat), fewest_notes(amount - to_beat)
    return None if first is None or rest is None else first + rest


def _sounding_at(spans, at):
    """The pitches of `spans` [(start, end, pitch or None)] sounding at `at`."""
    return [pitch for start, end, pitch in spans if start <= at < end and pitch is not None]


def fillable(amount, notes=10 ** 6):
    """True if `amount` units can be filled with at most `notes` notes of LENGTHS."""
    fewest = fewest_notes(amount)
    return fewest is not None and fewest <= notes


def _sums(count):
    """The sums of `count` LENGTHS a tuplet may hold."""
    sums = {Fraction(0)}
    for _ in range(count):
        sums = {s + v for s in sums for v in LENGTHS.values()
                if v <= TUPLET_LONGEST and s + v <= 64}
    return sums


_TUPLET_SUMS = {}


@functools.lru_cache(maxsize=None)
def tuplet_feasible(written, left, remaining, notes=10 ** 6):
    """Can a tuplet whose notes so far add up to `written`, with `left` notes still to come,
    close inside the `remaining` units of its bar and leave a rest of the bar that the
    `notes` the bar may still hold (the tuplet's among them) can fill?"""
    if notes < left:
        return False
    if left not in _TUPLET_SUMS:
        _TUPLET_SUMS[left] = sorted(_sums(left))
    for more in _TUPLET_SUMS[left]:
        total = (written + more) * TUPLET_RATIO
        if total <= remaining and fillable(remaining - total, notes - left):
            return True
    return False


def spell(number, accidental=""):
    """A pitch number (abc_grammar.parse_pitch's: C=0, c=7) written as ABC."""
    if number >= 7:
        return accidental + "cdefgab"[number % 7] + "'" * ((number - 7) // 7)
    return accidental + "CDEFGAB"[number % 7] + "," * ((6 - number) // 7)


def _further(letter, number):
    """The pitch numbers the letter reaches with more octave marks than `number` has."""
    octaves = _OCTAVES[letter]
    return octaves[octaves.index(number) + 1:]


@functools.lru_cache(maxsize=None)
def _spellings_within(low, high):
    """SPELLINGS whose letter has an octave from `low` to `high`."""
    return tuple(t for t in SPELLINGS if any(low <= n <= high for n in _OCTAVES[t[-1]]))


def _in_range(letter, marks):
    return LOWEST <= pitch_number(letter, marks) <= HIGHEST


def semitone(number, alteration):
    """A pitch number (C=0, c=7) sounding with `alteration` (-1, 0, 1) in semitones (C=0)."""
    return 12 * (number // 7) + SCALE_SEMITONES[number % 7] + alteration


def pitch_number(letter, marks):
    number = "CDEFGAB".index(letter.upper()) + (7 if letter.islower() else 0)
    return number + 7 * marks.count("'") - 7 * marks.count(",")


# The pitch numbers each letter reaches with octave marks, within the range, nearest first.
_OCTAVES = {letter: tuple(pitch_number(letter, ("'" if letter.islower() else ",") * k)
                          for k in range(4)
                          if _in_range(letter, ("'" if letter.islower() else ",") * k))
            for letter in NOTE_LETTERS}


class _Bar(object):
    """What the mask knows inside one bar of one voice."""

    def __init__(self, units, ties, final, close):
        self.remaining = units
        self.voice = None     # "1" or "2"
        self.ties = ties      # {pitch number: alteration} the next note must sound, tied in
        self.final = final    # the tune's last bar: no tie out of it
        self.close = close    # voice 2: the bar line voice 1 wrote; voice 1: None (its choice)
        self.letters = {}     # letter -> alteration its last accidental in the bar gave it
        self.notes_left = 10 ** 6  # notes, rests and chords it may still hold (set by line)
        self.tuplet_left = 0  # notes of an open tuplet still to come
        self.tuplet_written = Fraction(0)
        self.after_space = True  # no space at the start of a bar or after another
        # how the bar's last note or chord must end, in the tune's last bar: voice 2's
        # "must" (the tonic lowest, below middle C), voice 1's "treble" (no note below
        # middle C, unless a tie holds one there)
        self.cadence = None
        self.goal = None      # "must": the letter the lowest note is (the key's tonic, or
        # its dominant where the first half of the binary form ends)
        self.ends_on_goal = False
        self.last_lowest = None  # the lowest pitch of the bar's last note or chord
        self.onsets = []      # voice 1: (start, end, lowest pitch or None) of its notes
        self.tuplet_low = None
        self.tops = []        # voice 1: (start, end, highest pitch or None) of its notes
        self.tuplet_high = None
        self.sounds = []      # voice 1: (start, end, frozenset of its semitones) of its notes
        self.tuplet_sounds = frozenset()
        self.above_tops = None  # voice 2: voice 1's tops in the same bar
        self.above_sounds = None  # voice 2: voice 1's sounds in the same bar
        self.above = None     # voice 2: voice 1's onsets in the same bar


class StructureMask(object):
    """allowed() -> the characters that may come next; feed(char) writes one."""

    def __init__(self, alphabet, min_bars=MIN_BARS, max_bars=MAX_BARS, line_bars=LINE_BARS,
                 line_notes=LINE_NOTES, more_bars_notes=MORE_BARS_NOTES, end_on_tonic=True,
                 unit_lengths=UNIT_LENGTHS, chord_ties=CHORD_TIES, max_leap=MAX_LEAP,
                 no_crossing=True, keys=None, key_spelling=True, altered_degrees=None,
                 on_beat=True, header_counts=None, chord_seconds=False, halves=FORM_HALVES):
        self.alphabet = frozenset(alphabet)
        self.text_chars = frozenset(c for c in self.alphabet if c.isalnum() or c in TEXT_MARKS)
        self.min_bars, self.max_bars, self.line_bars = min_bars, max_bars, line_bars
        # the lengths a half may take (None: any form), and the one the tune took
        self.halves = tuple(sorted(h for h in halves or () if min_bars <= 2 * h <= max_bars))
        self.half = None
        self.line_notes, self.end_on_tonic = line_notes, end_on_tonic
        self.unit_lengths, self.chord_ties = unit_lengths, chord_ties
        self.max_leap, self.no_crossing = max_leap, no_crossing
        self.keys = tuple(k for k in HEADER_KEYS if not keys or k in keys) or HEADER_KEYS
        # {field: {value: training tunes}}: those fields take only the values counted, drawn
        # by header_shares (abc_grammar.header_counts; train.py stores them)
        self.header_counts = header_counts or {}
        self.choosing = None  # (field, its value so far) while a header value is written
        self.key_spelling = key_spelling
        # letters from a chord's note to the next above it, at least: without chord_seconds
        # a third, so a chord needs that much room
        self.chord_span = 1 if chord_seconds else 2
        self.on_beat = on_beat
        self.beat = None  # in units of L:, once M: and L: are read
        self.altered_degrees = altered_degrees  # {mode: [[degree, alteration], ...]} or None
        self.altered = None  # this tune's mode's, as a set
        self._offered = []  # the note spellings whose first characters are allowed now
        self._spellings_cache = {}  # (window, the bar's accidentals): _note_spellings
        self.bar = None  # the bar being written
        self._pending = None  # the length of the note being written, if it may end now
        # what a second bar in the line costs: the line's notes drop to more_bars_notes
        self.more_bars_cost = max(0, line_notes - (more_bars_notes or line_notes))
        self.finished = False
        self._grammar = self._tune()
        self.last_v1_lowest = None
        self._allowed = self._visible(next(self._grammar))

    def allowed(self):
        return self._allowed

    def feed(self, char):
        if char not in self._allowed:
            raise NotAllowed("%r where the tune allows %s" % (char, "".join(sorted(self._allowed))))
        self._offered, self._pending = [], None
        try:
            self._allowed = self._visible(self._grammar.send(char))
        except StopIteration:
            self.finished, self._allowed = True, frozenset()

    def letters_after(self, accidental):
        """The note letters allowed right after `accidental` (one of ^ _ =) if it were
        written now: what a sampler needs to weigh an accidental by the notes it leads to.
        None where `accidental` starts no note here (an "=" in Q:1/4=60)."""
        letters = set()
        for text in self._offered:  # accidental, letter, and a tied note's octave marks
            k = len(text) - len(text.lstrip(ACCIDENTAL_STARTS))
            if text[:k] == accidental:
                letters.add(text[k])
        return frozenset(letters) & self.alphabet if letters else None

    def upper_lowest(self):
        """In voice 2's bars: (the lowest pitch voice 1 sounds where voice 2's next note
        starts, whether voice 1 strikes it there too); None in a rest of voice 1's, and
        elsewhere."""
        bar = self.bar
        if bar is None or bar.voice != "2" or not bar.above:
            return None
        at = self._next_onset(bar)
        lows = _sounding_at(bar.above, at)
        return (min(lows), any(start == at for start, _, _ in bar.above)) if lows else None

    def upper_sounds(self, length):
        """In voice 2's bars: (the semitones voice 1 sounds where voice 2's next note starts,
        those it strikes after that and less than `length` units later, in this bar): what
        sounds over that note if it lasts `length`; None elsewhere."""
        bar = self.bar
        if bar is None or bar.voice != "2" or not bar.above_sounds:
            return None
        at = self._next_onset(bar)
        now = [p for start, end, pitches in bar.above_sounds if start <= at < end
               for p in pitches]
        ahead = [p for start, _, pitches in bar.above_sounds if at < start < at + length
                 for p in pitches]
        return frozenset(now), frozenset(ahead)

    def alteration(self, letter, accidental=""):
        """The alteration (-1, 0, 1) `letter` would sound with after `accidental` in the
        current bar: the accidental's, else the bar's last for the letter, else the key's."""
        if accidental:
            return ALTERATIONS[accidental]
        letters = self.bar.letters if self.bar is not None else {}
        return letters.get(letter.upper(), self.key_sig[letter.upper()])

    def position(self):
        """Where the current bar stands, in units of L: from its start: the start of the note
        being written (None between bars)."""
        return None if self.bar is None else self.units - self.bar.remaining

    def may_open_ending(self):
        """May a `[` open an ending `[1`/`[2` here, between bars (else it opens a chord or
        a voice)?"""
        return self.bar is not None and not self.bar.remaining and bool(self._volta_digits())

    def _next_onset(self, bar):
        """Where the bar's next note starts, in units: after the note being written, if
        its length may end here (a letter next means it has), else where the bar is."""
        return self.units - bar.remaining + (self._pending or 0)

    def upper_highest(self, next_note=True):
        """In voice 2's bars: the highest pitch voice 1 sounds where voice 2's next note
        starts (None in a rest of voice 1's, and elsewhere): the top of the outer voices.
        next_note=False: where the note being written started."""
        bar = self.bar
        if bar is None or bar.voice != "2" or not bar.above_tops:
            return None
        at = self._next_onset(bar) if next_note else self.units - bar.remaining
        highs = _sounding_at(bar.above_tops, at)
        return max(highs) if highs else None

    def _offer(self, spellings):
        """The first characters of `spellings`, noted for letters_after."""
        self._offered.extend(spellings)
        return frozenset(t[0] for t in spellings)

    def _spelled_as_corpus(self, text, letters):
        """May the note `text` (accidental + letter) be written so in a bar whose earlier
        accidentals gave `letters`? With key_spelling, as the corpus writes: an accidental
        changes what the letter sounds (none restates it) and ends at most a semitone from
        the key signature (no F flat in G major); with altered_degrees, on a scale degree
        the training pieces of the key's mode alter that way (C sharp in G major, not B
        sharp)."""
        accidental, letter = text[:-1], text[-1].upper()
        if not accidental or not self.key_spelling:
            return True
        alteration, signature = ALTERATIONS[accidental], self.key_sig[letter]
        if alteration == letters.get(letter, signature) or abs(alteration - signature) > 1:
            return False
        return self.altered is None or alteration == signature or (
            scale_degree(letter, self.key), alteration - signature) in self.altered

    def _note_spellings(self, window, letters):
        """The ways to write a note from window[0] to window[1], spelled as the corpus does."""
        key = (window, tuple(sorted(letters.items())))
        spellings = self._spellings_cache.get(key)
        if spellings is None:
            spellings = self._spellings_cache[key] = tuple(
                t for t in _spellings_within(*window) if self._spelled_as_corpus(t, letters))
        return spellings

    def _visible(self, allowed):
        if not allowed:
            raise NotAllowed("no character can continue the tune here: a dead end in the mask")
        allowed = frozenset(allowed) & self.alphabet
        if not allowed:
            raise NotAllowed("the vocabulary has none of the characters the tune needs here")
        return allowed

    # ------------------------------------------------------------ header

    def _tune(self):
        yield from self._header()
        yield from self._body()

    def _header(self):
        self.units = None
        header = [(f, r, {"L": self.unit_lengths, "K": self.keys}.get(f, v))
                  for f, r, v in HEADER]
        at = 0
        while at < len(header):
            letters = {}
            for k in range(at, len(header)):
                letters.setdefault(header[k][0], k)
                if header[k][1]:
                    break
            letter = yield frozenset(letters)
            at = letters[letter]
            yield ":"
            field, _, values = header[at]
            if values == "number":
                value = yield from self._number()
            elif values == "text":
                value = yield from self._text()
            else:
                value = yield from self._choose(field, values)
            self.header_value(field, value)
            at += 1

    def header_value(self, field, value):
        if field == "M":
            self.meter, self.beat_whole = Fraction(value), beat_of(value)
        elif field == "L":
            self.units = self.meter / Fraction(value)
            self.beat = self.beat_whole / Fraction(value)
        elif field == "K":
            self.key_sig, self.tonic, self.key = key_signature(value), value[0], value
            if self.altered_degrees is not None:
                self.altered = {tuple(d) for d in self.altered_degrees.get(key_mode(value), ())}

    def _number(self):
        text = yield frozenset("123456789")
        while True:
            char = yield frozenset(DIGITS + "\n") if len(text) < 3 else "\n"
            if char == "\n":
                return text
            text += char

    def _text(self):
        text = ""
        while True:
            chars = self.text_chars - {" "} if len(text) in (0, MAX_TEXT - 1) else self.text_chars
            char = yield (chars if len(text) < MAX_TEXT else frozenset()) | (
                {"\n"} if text and not text.endswith(" ") else frozenset())
            if char == "\n":
                return text
            text += char

    def _choose(self, field, values):
        """One of `values` (those counted, where header_counts counts `field`), then a
        newline; self.choosing says how far it is written."""
        counted = self.header_counts.get(field)
        strings = tuple(v + "\n" for v in values if not counted or v in counted) or tuple(
            v + "\n" for v in values)
        nexts, text = _trie_cached(strings), ""
        while text not in strings:
            self.choosing = (field, text)
            text += yield nexts[text]
        self.choosing = None
        return text[:-1]

    def header_shares(self):
        """{character: training tunes} while a counted header field is written: how many
        tunes' values go on with each character allowed; else None."""
        if self.choosing is None or self.choosing[0] not in self.header_counts:
            return None
        field, text = self.choosing
        shares = {}
        for value, count in self.header_counts[field].items():
            value += "\n"
            if value.startswith(text) and len(value) > len(text) and \
                    value[len(text)] in self._allowed:
                shares[value[len(text)]] = shares.get(value[len(text)], 0) + count
        return shares or None

    def _one_of(self, strings, text=""):
        """One of `strings` (`text`: its start, already read)."""
        nexts = _trie_cached(strings)
        while text not in strings:
            text += yield nexts[text]
        return text

    def _literal(self, text):
        for char in text:
            yield char

    # ------------------------------------------------------------ body

    def _body(self):
        self.bars, self.ties, self.last_close = 0, {"1": {}, "2": {}}, "|"
        self.line_pitch = {"1": None, "2": None}  # each voice's last line note
        self.repeat_open, self.ending = False, 0
        opening = "[V:1]"
        while True:
            yield from self._literal(opening)
            shape = yield from self._leader_line()
            yield from self._literal("[V:2]")
            cadence = yield from self._follower_line(shape)
            last = shape[-1][2]
            may_end = last in ("|]", ":|") and self.bars >= self.min_bars and not any(
                self.ties.values()) and not self.repeat_open and cadence and (
                self.last_v1_lowest is None or self.last_v1_lowest >= 0 or not self.end_on_tonic
                or self.bars >= self.max_bars) \
                and not (last == ":|" and self.ending == 1) \
                and (self.half is not None or not self.halves)  # not after the first half
            must_end = last == "|]" or self.bars >= self.max_bars
            char = yield frozenset(("\n" if may_end else "") + ("" if must_end else "["))
            if char == "\n":
                return
            opening = "V:1]"

    def _leader_line(self):
        """Voice 1's line: [(opening, volta, closing bar line), ...] of its bars; it chooses
        them, within the bar counts and repeat rules."""
        shape, opening, self.v1_onsets, self.v1_tops, self.v1_sounds = [], "", [], [], []
        # A repeat may open the line unless one is open or a tie goes into the line; in the
        # binary form each half opens with one.
        free = not any(self.ties.values()) and not self.repeat_open
        opens = free and self.halves and self.bars in (0, self.half)
        char = yield (frozenset("|") if free else frozenset()) | (
            frozenset() if opens else self._bar_starts(self.ties["1"]))
        if char == "|":
            yield ":"
            opening, char = "|:", (yield self._bar_starts({}))
            self.repeat_open, self.ending = True, 0
        notes_left = self.line_notes
        while True:
            volta, digits = "", self._volta_digits() if not opening or shape else ""
            if self.ties["1"] or (not shape and self.ties["2"]):
                digits = ""  # no tie into an ending
            if self.last_close == ":|" and digits != "2":
                self.ending = 0  # no second ending: the repeat is over
            bar = self.bar = _Bar(self.units, self.ties["1"], self.bars + 1 >= self.max_bars or (
                self.repeat_open and self._first_ending_closes_here()) or self._half_ends(), None)
            bar.notes_left, bar.voice = notes_left, "1"
            if self.bars + 1 >= self.max_bars and self.end_on_tonic:
                bar.cadence = "treble"
            if char == "[":
                char = yield frozenset(digits) | self._in_chord(bar, {}, note=False)
                if char in "12":
                    yield " "
                    self.ending = int(char)
                    # a first ending closes in time for a bar after it: the repeat plays
                    # it once, and a tune that ended with it would end before it
                    bar.final = bar.final or self._first_ending_closes_here()
                    volta, char = "[%s " % char, (yield self._bar_starts(self.ties["1"],
                                                                         notes_left))
                else:
                    char = ("[", char)
            close, char = yield from self._bar(bar, char, len(shape) + 1)
            self.v1_onsets.append(bar.onsets)
            self.v1_tops.append(bar.tops)
            self.v1_sounds.append(bar.sounds)
            self.ties["1"], notes_left = bar.out_ties, self._next_bar_notes(bar, len(shape) + 1)
            self.last_v1_lowest = bar.last_lowest
            self.bars += 1
            if self.halves and self.half is None and close in (":|", ":||:"):
                self.half = self.bars  # the second half as long: the tune ends then
                self.min_bars = self.max_bars = 2 * self.bars
            shape.append((opening if not shape else "", volta, close))
            self.last_close = close
            if close.endswith("|:"):
                self.repeat_open, self.ending = True, 0
            elif close == ":|":
                self.repeat_open = False
            if char == "\n":
                return shape

    def _half_ends(self):
        """The binary form's first half ends with the next bar, its longest: no tie out."""
        return bool(self.halves) and self.half is None and self.bars + 1 >= self.halves[-1]

    def _volta_digits(self):
        """The ending a bar may open: a first inside a repeat (with a bar left after it),
        the second right after the repeat that closed a first ending (no ending in the
        binary form: the corpus has none)."""
        if self.halves:
            return ""
        if self.last_close == ":|" and self.ending == 1:
            return "2"
        room = self.bars + 2 <= self.max_bars
        return "1" if self.repeat_open and self.ending == 0 and room else ""

    def _first_ending_closes_here(self):
        """Inside a first ending, the bar before the tune's last: the repeat closes here."""
        return self.ending == 1 and self.bars + 2 >= self.max_bars

    def _follower_line(self, shape):
        """Voice 2's line: the same bars with the same bar lines as voice 1's; with
        end_on_tonic its last bar of the tune ends on the tonic, and the first half of the
        binary form on the dominant (Bach's do in 26 of 31 pieces)."""
        notes_left = self.line_notes - (self.more_bars_cost if len(shape) > 1 else 0)
        final_line = shape[-1][2] == "|]" or self.bars >= self.max_bars
        half = self.half and self.half - (self.bars - len(shape)) - 1  # its bar in the line
        goals = {len(shape) - 1: self.tonic} if final_line else {}
        if self.halves and half is not None and 0 <= half < len(shape):
            goals[half] = dominant(self.tonic)
        for k, (opening, volta, close) in enumerate(shape):
            yield from self._literal(opening + volta)
            last_in_line = k == len(shape) - 1
            no_tie_out = (close == "|]" or self.bars >= self.max_bars) if last_in_line else \
                bool(shape[k + 1][1])  # the next bar opens an ending
            bar = _Bar(self.units, self.ties["2"], no_tie_out, close)
            bar.voice = "2"
            bar.above, bar.above_tops = self.v1_onsets[k], self.v1_tops[k]
            bar.above_sounds = self.v1_sounds[k]
            self.bar = bar
            if k in goals and self.end_on_tonic:
                bar.cadence, bar.goal = "must", goals[k]
            # each later bar needs room for a few notes; the tune's last or the half's, one
            # more (a tie may come into it, and its last note must be free to be the goal)
            later_bars = len(shape) - k - 1
            reserve = later_bars * fewest_notes(self.units) + (
                (later_bars and final_line) or any(j > k for j in goals))
            bar.notes_left = notes_left - reserve
            char = yield self._bar_starts(self.ties["2"], bar.notes_left,
                                          rests=bar.cadence != "must", window=self._window(bar))
            yield from self._bar(bar, char, None)
            self.ties["2"] = bar.out_ties
            notes_left = bar.notes_left + reserve
        yield "\n"
        return bar.ends_on_goal or not self.end_on_tonic

    # ------------------------------------------------------------ bars

    def _bar_starts(self, ties, notes_left=10 ** 6, rests=True, window=None):
        """The first characters of a bar's music (ties: pitches tied into it; a tuplet only
        if the bar's notes still leave room for one; window: its notes' pitches, by default
        voice 1's)."""
        window = window or self._voice_window("1")
        starts = frozenset("[" if window[1] - window[0] >= self.chord_span else "") | (
            self._tied_starts({}, ties) if ties else self._note_starts(window, {}) | (
                {"z"} if rests else set()))
        if tuplet_feasible(Fraction(0), TUPLET, self.units, notes_left):
            starts |= {"("}
        return starts

    def _tied_starts(self, letters, ties):
        """A note that takes over the tie (a single pitch), or a chord that holds them."""
        if len(ties) > 1:
            return frozenset("[")
        (number, alteration), = ties.items()
        return frozenset("[") | self._offer(self._tied_spellings(letters, number, alteration))

    def _tied_spellings(self, letters, number, alteration):
        """The ways to write the note a tie goes to: the same letter and octave sounding the
        same, with its accidental written, or with none where the bar's earlier accidentals
        on that letter, in any octave (abc2midi's rule), or the key already give it."""
        letter = spell(number)[0].upper()
        options = [ACCIDENTAL_OF[alteration] + spell(number)]
        if letters.get(letter, self.key_sig[letter]) == alteration:
            options = options[:not self.key_spelling] + [spell(number)]  # no restated one
        return tuple(options)

    def _sounding(self, letters, letter, accidental):
        """The alteration a note sounds with; an accidental holds for its letter in every
        octave to the end of the bar."""
        if accidental:
            letters[letter.upper()] = ALTERATIONS[accidental]
        return letters.get(letter.upper(), self.key_sig[letter.upper()])

    def _bar(self, bar, char, bars_in_line):
        """The music of a bar from its first character, then its bar line. Returns (the bar
        line, the character after it: voice 1's newline or next bar; None for voice 2)."""
        bar.out_ties = {}
        while True:
            if isinstance(char, tuple):  # voice 1's `[` and the character after it
                char = yield from self._chord(bar, char[1])
            elif char == " ":
                bar.after_space = True
                char = yield self._follow(bar, bar.ties)
            elif char == "(":
                char = yield from self._tuplet(bar)
            elif char == "[":
                char = yield from self._chord(bar, None)
            elif char == "z":
                char = yield from self._length(bar)
            elif char in NOTE_STARTS:
                char = yield from self._note(bar, char)
            else:
                return (yield from self._bar_end(bar, char, bars_in_line))

    def _tuplet(self, bar):
        """`(3` (three notes in the time of two) or `(3:2:n` (n notes in that time); returns
        the character after it."""
        yield str(TUPLET)
        bar.tuplet_left, bar.tuplet_written = TUPLET, Fraction(0)
        counts = [n for n in TUPLET_COUNTS
                  if tuplet_feasible(Fraction(0), n, bar.remaining, bar.notes_left)]
        char = yield self._follow(bar, bar.ties) | (frozenset(":") if counts else frozenset())
        if char != ":":
            return char
        yield str(TUPLET_Q[TUPLET])
        yield ":"
        bar.tuplet_left = int((yield frozenset(str(n) for n in counts)))
        return (yield self._follow(bar, bar.ties))

    def _tied_note(self, bar, char, number, alteration):
        """The note a tie goes to, from its first character; returns its accidental."""
        text = yield from self._one_of(self._tied_spellings(bar.letters, number, alteration),
                                       char)
        accidental = text[:len(text) - len(spell(number))]
        self._sounding(bar.letters, text[-1] if text[-1].isalpha() else spell(number)[0],
                       accidental)
        return accidental

    def _note(self, bar, char):
        if bar.ties:  # tied into: the same pitch, sounding the same
            (number, alteration), = bar.ties.items()
            yield from self._tied_note(bar, char, number, alteration)
            return (yield from self._length(bar, pitches={number: alteration}, tied=True))
        last, (low, high) = self._forced_last(bar), self._window(bar)
        text = yield from self._one_of(
            self._goal_spellings(bar) if last == "must" else
            self._note_spellings((low, high), bar.letters), char)
        accidental, letter = text[:-1], text[-1]
        alteration = self._sounding(bar.letters, letter, accidental)
        marks, mark = "", "'" if letter.islower() else ","
        while True:
            current = pitch_number(letter, marks)
            # the treble's last note stays at or above middle C: no comma
            more = _in_range(letter, marks + mark) and not (last == "treble" and mark == ",") \
                and any(low <= n <= high for n in _further(letter, current))
            if not low <= current <= high:  # too far from the line's last note: a mark
                nxt = yield frozenset(mark)
            else:
                nxt = yield from self._length(bar, also=mark if more else "",
                                              pitches={current: alteration})
            if nxt != mark or not more:
                return nxt
            marks += mark

    def _chord(self, bar, char):
        """A chord after its `[` (char: its next character, if already read): up to
        CHORD_NOTES notes, each pitch once, every pitch tied into it among them sounding as
        before, ties inside the brackets, `]`, the length. Returns the character after it."""
        pitches, ties = {}, {}
        if char is None:
            char = yield self._in_chord(bar, pitches, note=False)
        while char != "]":
            ok = self._chord_note_ok(bar, pitches)
            text = yield from self._one_of(self._chord_spellings(bar, ok), char)
            accidental, letter = text[:-1], text[-1]
            alteration = self._sounding(bar.letters, letter, accidental)
            marks, mark = "", "'" if letter.islower() else ","
            while True:
                current = pitch_number(letter, marks)
                further = _further(letter, current)
                more = mark if any(ok(n, alteration) for n in further) else ""
                if ok(current, alteration):
                    char = yield self._in_chord(bar, set(pitches) | {current}, mark=more,
                                                tie=len(ties) < self.chord_ties)
                else:  # not this octave: another mark
                    char = yield frozenset(more)
                if not more or char != mark:
                    break
                marks += mark
            pitches[current] = alteration
            if char == "-":
                ties[current] = alteration
                char = yield self._in_chord(bar, pitches, note=False)
        return (yield from self._length(bar, pitches=pitches, chord_ties=ties,
                                        tied=bool(bar.ties)))

    def _chord_note_ok(self, bar, pitches):
        """ok(pitch, alteration): may the chord's next note be that? Notes go up, as every
        chord of the corpus writes them, and none passes a pitch tied into the chord that
        it still lacks (that pitch must sound as before); once the chord has room only for
        the tied-in pitches still missing, only those; a first note leaves a pitch above it.
        Without chord_seconds, a note not tied in is a third or more above the one below:
        the model packs seconds into one hand (23% of its chords, the corpus' 5%)."""
        held = set(pitches)
        missing = {n: a for n, a in bar.ties.items() if n not in held}
        room_left = len(held) + len(missing) < CHORD_NOTES
        low = max(held) if held else LOWEST - 1
        high = min(missing) if missing else HIGHEST
        gap = self.chord_span
        if not held and len(missing) < 2:
            high = min(high, HIGHEST - gap)
        # the last chord of a bar that ends on a cadence: its goal lowest, below middle C,
        # in voice 2; nothing below middle C in voice 1 at the tune's end
        last = self._forced_last(bar) if not held else None
        goal = bar.goal if last == "must" else ""
        if last == "must":
            high = min(high, -1)
        elif last == "treble" and not missing:
            low = max(low, -1)
        if not bar.ties:  # no note further than a leap from the line's last note
            window_low, window_high = self._window(bar)
            low, high = max(low, window_low - 1), min(high, window_high - (not held) * gap)
        free_low = low + (gap - 1 if held else 0)  # the lowest a note not tied in may take, - 1

        def ok(number, alteration):
            if not low < number <= high:
                return False
            if goal and ("CDEFGAB"[number % 7] != goal or alteration != self.key_sig[goal]):
                return False
            if number in missing:
                return missing[number] == alteration
            return room_left and number > free_low
        ok.key = (tuple(sorted(missing.items())), room_left, low, high, goal, free_low)
        return ok

    def _chord_spellings(self, bar, ok):
        """Accidental + letter of the notes `ok` allows in some octave. Worked out a letter
        at a time from what `ok` was made from: the sounding alteration matters only for
        the tied-in pitches still missing."""
        missing, room_left, low, high, goal, free_low = ok.key
        if goal:
            return tuple(t for t in self._goal_spellings(bar)
                         if any(low < n <= high for n in _OCTAVES[t[-1]]))
        missing = dict(missing)
        options = []
        well_spelled = functools.partial(self._spelled_as_corpus, letters=bar.letters)
        for letter in NOTE_LETTERS:
            free = [n for n in _OCTAVES[letter] if low < n <= high]
            if room_left and any(n not in missing and n > free_low for n in free):
                options.extend(filter(well_spelled, _SPELLINGS_OF[letter]))
                continue
            wanted = {missing[n] for n in free if n in missing}
            for accidental in ACCIDENTALS if wanted else ():
                sounding = ALTERATIONS[accidental] if accidental else bar.letters.get(
                    letter.upper(), self.key_sig[letter.upper()])
                if sounding in wanted and well_spelled(accidental + letter):
                    options.append(accidental + letter)
        return tuple(options)

    def _in_chord(self, bar, pitches, note=True, mark="", tie=True):
        """What may follow inside a chord holding `pitches`: an octave mark, a tie (right
        after a note), a next note, or `]` once it holds two notes and every tied-in pitch."""
        held = set(pitches)
        allowed = set(mark)
        if note and tie and self._tie_possible(bar):
            allowed.add("-")
        allowed |= self._offer(self._chord_spellings(bar, self._chord_note_ok(bar, held)))
        if len(held) >= 2 and held >= set(bar.ties):
            allowed.add("]")
        return frozenset(allowed)

    def _goal_lowest(self, bar, pitches):
        """The lowest of `pitches` ({pitch number: alteration}) is the bar's goal (the key's
        tonic or dominant, as the key signature has it), below middle C."""
        if not pitches or not bar.goal:
            return False
        lowest = min(pitches)
        letter = "CDEFGAB"[lowest % 7]
        return letter == bar.goal and pitches[lowest] == self.key_sig[letter] and lowest < 0

    def _can_end(self, bar, pitches, tied):
        """May this note, chord (`pitches`) or rest (None) end the bar?"""
        if bar.cadence == "must":
            return self._goal_lowest(bar, pitches)
        if bar.cadence == "treble":
            return tied or not pitches or min(pitches) >= 0
        return True

    def _window(self, bar):
        """(lowest, highest) pitch the voice's next note may have: within max_leap of its
        line's last note and, in voice 2, not above voice 1's lowest note sounding then
        (that wins over the leap); anything for the last note or chord of a cadence."""
        if self._forced_last(bar):
            return LOWEST, HIGHEST
        low, high = self._voice_window(bar.voice)
        ceiling = self._ceiling(bar) if self.no_crossing else None
        if ceiling is not None:
            high = min(high, ceiling)
            if high - low < self.chord_span:  # room for a chord: below voice 1 wins
                low = LOWEST
        return low, high

    def _ceiling(self, bar):
        """Voice 2: the lowest pitch voice 1 sounds where its next note starts, or None."""
        if not bar.above:
            return None
        lows = _sounding_at(bar.above, self.units - bar.remaining)
        return min(lows) if lows else None

    def _record_onset(self, bar, before, in_tuplet, pitches):
        """Voice 1: where its note, chord or rest sounded in the bar, and how low (a tuplet
        as a whole, once it closes)."""
        if bar.voice != "1":
            return
        low, high = (min(pitches), max(pitches)) if pitches else (None, None)
        sounds = frozenset(semitone(n, a) for n, a in (pitches or {}).items())
        if in_tuplet:
            lows = [x for x in (bar.tuplet_low, low) if x is not None]
            highs = [x for x in (bar.tuplet_high, high) if x is not None]
            bar.tuplet_low = min(lows) if lows else None
            bar.tuplet_high = max(highs) if highs else None
            bar.tuplet_sounds |= sounds
            if bar.tuplet_left:
                return
            low, high, bar.tuplet_low, bar.tuplet_high = (bar.tuplet_low, bar.tuplet_high,
                                                          None, None)
            sounds, bar.tuplet_sounds = bar.tuplet_sounds, frozenset()
        span = (self.units - before, self.units - bar.remaining)
        bar.onsets.append(span + (low,))
        bar.tops.append(span + (high,))
        bar.sounds.append(span + (sounds,))

    def _voice_window(self, voice):
        last = self.line_pitch.get(voice)
        if self.max_leap is None or last is None:
            return LOWEST, HIGHEST
        return max(LOWEST, last - self.max_leap), min(HIGHEST, last + self.max_leap)

    def _forced_last(self, bar):
        """The bar's cadence rule ("must" or "treble") if its next note or chord must end
        it, else None."""
        if bar.cadence in ("must", "treble") and self._must_end_bar(bar):
            return bar.cadence
        return None

    def _tie_possible(self, bar):
        """Some length still lets a chord that holds a tie tie over."""
        conts, done = self._length_options(bar, "", True)
        return bool(conts) or done

    def _length(self, bar, also="", pitches=None, chord_ties=None, tied=False):
        """A length, then (for a note: `pitches` given, not a chord) a tie, then the next
        character, which is returned. `also`: a character that may come instead of the
        length (an octave mark), returned as it is."""
        prefix, on_goal = "", self._goal_lowest(bar, pitches)
        not_last = not self._can_end(bar, pitches, tied)
        if pitches:  # the line's note now: what may follow leaps from it
            self.line_pitch[bar.voice] = (max if bar.voice == "1" else min)(pitches)
        while True:
            conts, done = self._length_options(bar, prefix, bool(chord_ties), not_last)
            allowed = set(conts) | (set(also) if not prefix else set())
            if done:
                after = self._after(bar, LENGTHS[prefix])
                allowed |= self._follow(after, chord_ties or {})
                if pitches and chord_ties is None and self._may_tie(after):
                    allowed.add("-")
            # outside a tuplet, a next note may start where this one ends
            self._pending = LENGTHS[prefix] if done and not bar.tuplet_left else None
            char = yield frozenset(allowed)
            if char in conts:
                prefix += char
                continue
            if not prefix and char in also:
                return char
            before, in_tuplet = bar.remaining, bool(bar.tuplet_left)
            self._advance(bar, LENGTHS[prefix])
            self._record_onset(bar, before, in_tuplet, pitches)
            ties = dict(pitches if char == "-" else chord_ties or {})
            if bar.remaining:
                bar.ties = ties
            else:
                bar.out_ties, bar.ends_on_goal = ties, on_goal
                bar.last_lowest = min(pitches) if pitches else None
            if char == "-":
                char = yield self._follow(bar, ties)
            return char


    def _length_options(self, bar, prefix, must_tie, not_last=False):
        """(characters that continue a length `prefix` towards one that fits, whether the
        prefix is itself such a length); must_tie: the length must let a tie go over;
        not_last: it must not end the bar."""
        key = (prefix, must_tie, not_last, bar.remaining, bar.tuplet_left, bar.tuplet_written,
               bar.final, bar.close, bar.notes_left, bar.cadence, self.units,
               self.on_beat and self.beat)
        options = _LENGTH_OPTIONS.get(key)
        if options is None:
            def usable(value, beats):
                after = self._after(bar, value)
                return self._length_fits(bar, value) and (
                    not must_tie or self._may_tie(after)) and not (
                    not_last and not after.remaining and not after.tuplet_left) and (
                    not beats or self._keeps_beat(bar, value))
            # on the beat if the bar can still be finished so, else as it can
            for beats in ((True, False) if self.on_beat and self.beat else (False,)):
                conts = frozenset(c for c in _LENGTH_NEXT.get(prefix, ())
                                  if any(usable(v, beats) for v in _LENGTH_SUBTREE[prefix + c]))
                options = conts, prefix in LENGTHS and usable(LENGTHS[prefix], beats)
                if any(options):
                    break
            _LENGTH_OPTIONS[key] = options
        return options

    def _keeps_beat(self, bar, value):
        """(on_beat) A note of `value` outside a tuplet starts on a beat or ends by the next
        one, and the bar's notes left can still fill it so: no syncopation over a beat
        (a tie across it still can; the corpus writes so in 0.2% to 2% of its notes)."""
        if bar.tuplet_left:
            return True
        start = self.units - bar.remaining
        if start % self.beat and value > -start % self.beat:
            return False
        fewest = fewest_on_beat(start + value, bar.remaining - value, self.beat)
        return fewest is not None and fewest <= bar.notes_left - 1

    def _after(self, bar, value):
        """A copy of the bar's counters after a note of `value`."""
        after = _Bar(bar.remaining, {}, bar.final, bar.close)
        after.cadence, after.goal = bar.cadence, bar.goal
        after.voice, after.above = bar.voice, bar.above
        after.tuplet_left, after.tuplet_written = bar.tuplet_left, bar.tuplet_written
        after.letters, after.notes_left = bar.letters, bar.notes_left
        self._advance(after, value)
        return after

    def _advance(self, bar, value):
        bar.after_space, bar.ties = False, {}
        bar.notes_left -= 1
        if bar.tuplet_left:
            bar.tuplet_written += value
            bar.tuplet_left -= 1
            if not bar.tuplet_left:
                bar.remaining -= bar.tuplet_written * TUPLET_RATIO
        else:
            bar.remaining -= value

    def _length_fits(self, bar, value):
        """A note of `value` fits: what is left of the bar (and of its tuplet) can still be
        filled with the notes the bar may still hold."""
        if bar.tuplet_left:
            return value <= TUPLET_LONGEST and tuplet_feasible(
                bar.tuplet_written + value, bar.tuplet_left - 1, bar.remaining,
                bar.notes_left - 1)
        return value <= bar.remaining and fillable(bar.remaining - value, bar.notes_left - 1)

    def _may_tie(self, after):
        """A tie needs a next note of the same voice: later in the bar, or after a plain
        bar line into a bar that is not the tune's last and opens no repeat or ending
        (abc2midi holds such a tie past the end of the track). None in a bar that ends on
        a cadence: its last note is free to be the goal."""
        if after.cadence == "must":
            return False
        if after.tuplet_left or after.remaining:
            return True
        return not after.final and after.close in (None, "|")

    def _follow(self, bar, ties):
        """What may come after a note, rest, chord, space or tuplet mark (ties: pitches
        the next note must hold)."""
        if bar.tuplet_left:
            return self._tied_starts(bar.letters, ties) if ties else self._event_starts(bar)
        if bar.remaining:
            allowed = (self._tied_starts(bar.letters, ties) if ties
                       else self._event_starts(bar))
            if not bar.after_space:
                allowed |= {" "}
            if tuplet_feasible(Fraction(0), TUPLET, bar.remaining, bar.notes_left):
                allowed |= {"("}
            return allowed
        if bar.close is not None:  # voice 2: voice 1's bar line
            return frozenset(bar.close[0])
        return frozenset(c[0] for c in self._closings(bar, ties))

    def _event_starts(self, bar):
        """A note, a chord, or (but in a bar that ends on a cadence) a rest; only the goal
        or a chord when the bar has room for one note more."""
        low, high = self._window(bar)
        if bar.cadence == "must" and self._must_end_bar(bar):
            return self._offer(self._goal_spellings(bar)) | {"["}
        notes = self._note_starts((low, high), bar.letters) | frozenset(
            "[" if high - low >= self.chord_span else "")
        return notes | {"z"} if bar.cadence != "must" else notes

    def _note_starts(self, window, letters):
        """The first characters of the notes from window[0] to window[1]."""
        return self._offer(self._note_spellings(window, letters))

    def _must_end_bar(self, bar):
        """No length leaves room for another note: the next note or chord ends the bar."""
        for value in LENGTHS.values():
            after = self._after(bar, value)
            if self._length_fits(bar, value) and (after.remaining or after.tuplet_left):
                return False
        return True

    def _goal_spellings(self, bar):
        """The ways to write the bar's goal (as the key signature has it) in this bar."""
        wanted = self.key_sig[bar.goal]
        return tuple(a + bar.goal for a in ACCIDENTALS
                     if (ALTERATIONS[a] if a else bar.letters.get(bar.goal, wanted)) == wanted
                     and self._spelled_as_corpus(a + bar.goal, bar.letters))

    def _bar_end(self, bar, char, bars_in_line):
        """The bar line from its first character, and for voice 1 the character after it
        (newline or next bar), returned with it."""
        if bar.close is not None:  # voice 2: voice 1's bar line
            yield from self._literal(bar.close[1:])
            return bar.close, None
        options = self._closings(bar, bar.out_ties)
        if bars_in_line >= self.line_bars[1] or \
                self._next_bar_notes(bar, bars_in_line) < fewest_notes(self.units):
            # no room for another bar: a repeat that opens here opens the next line
            options = tuple(o for o in options if not o.endswith("|:"))
        nexts, text = _trie_cached(options), char
        while True:
            conts = nexts.get(text, frozenset())
            allowed = set(conts)
            if text in options:
                allowed |= self._after_close(bar, text, bars_in_line)
            char = yield frozenset(allowed)
            if char not in conts:
                return text, char
            text += char

    def _closings(self, bar, ties):
        """Voice 1's bar lines for this bar: a repeat opens only when none is open, and
        closes only when one is; a tie goes over a plain bar line only. In the binary form
        a half closes only after one of its lengths, the tune with the second."""
        if bar.final:
            return (":|",) if self.repeat_open else ("|]",)
        if ties:
            return ("|",)
        if self.halves:
            return ("|", ":|", ":||:") if self.half is None and \
                self.bars + 1 in self.halves else ("|",)
        if self.repeat_open:
            return ("|", ":|", ":||:")
        above = bar.last_lowest is None or bar.last_lowest >= 0 or not self.end_on_tonic
        return ("|", "|:") + (("|]",) if self.bars + 1 >= self.min_bars and above else ())

    def _after_close(self, bar, text, bars_in_line):
        """After voice 1's bar line `text`: the line's newline, the next bar, or both (in the
        binary form, the second half's `|:` opens a line)."""
        if text == "|]" or bar.final or (self.halves and text == ":|"):
            return frozenset("\n")
        allowed = set()
        if text not in ("|:", ":||:") and bars_in_line >= self.line_bars[0]:
            allowed.add("\n")
        notes_left = self._next_bar_notes(bar, bars_in_line)
        if bars_in_line < self.line_bars[1] and notes_left >= fewest_notes(self.units):
            allowed |= self._bar_starts(bar.out_ties, notes_left)
        return frozenset(allowed)

    def _next_bar_notes(self, bar, bars_in_line):
        """The notes left to the line's next bar after the `bars_in_line`-th."""
        return bar.notes_left - (self.more_bars_cost if bars_in_line == 1 else 0)


_TRIES = {}
_LENGTH_OPTIONS = {}


def _trie_cached(strings):
    if strings not in _TRIES:
        _TRIES[strings] = _trie(strings)
    return _TRIES[strings]
