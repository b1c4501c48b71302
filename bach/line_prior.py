"""The line prior: how far a voice's line moves from one note to the next in the pieces
the model trained on, to weigh which pitch the structured sampler's next note gets.

Why: on unseen pieces the model spends more bits on a note's letter than a letter bigram
of the training pieces does (bach/heldout_bits.py), and its lines step in a quarter of
their intervals where Bach's step in more than half. The prior multiplies the model's
probabilities of the note letters by (q(m | m') r(n)) ** strength, q the training pieces'
share of line moves of m letters (signed: -8 to 8, an octave or more at the ends) after a
move of m', r their share of the voice's line notes at pitch n (a walk by steps drifts out
of its staff without it), and renormalises among the letters only: whether a note comes at
all, and its length, stay the model's. The move before tells a scale that goes on from a
neighbour note that turns back. An octave mark is weighed the same way against the note
staying where it is. The line is voice 1's highest note and every other voice's lowest, as
abc_mask.StructureMask.line_pitch keeps it: in a chord of voice 2 its first note is
weighed, in voice 1 each later note against closing the chord with the highest so far.
Voice 2, written under a voice 1 already there, also weighs each note by v(d) **
(VERTICAL_WEIGHT * strength): v the training pieces' share of the interval d, in letters
modulo the octave, from voice 2's note up to the lowest note voice 1 sounds as it starts
(thirds and sixths most, seconds and sevenths least), and by CLASH_WEIGHT ** strength
for each note of voice 1 a semitone (or a major seventh) from it, among those sounding
where it starts and those struck over it while it lasts as long as voice 2's note before
(the letters cannot tell a minor second from a major one). And a chord's `[` weighs
CHORD_WEIGHT ** strength against a single note: the model alone writes chords more often
than Bach does, and the mask and prior more often still. A voice's first note weighs each
letter by o(g), o the training pieces' share of that voice's first line note at scale degree
g, and a rest as its first event weighs (r + 1) / (n + 1) against a note, r and n the pieces
whose voice opens so: Bach's bass opens on the tonic at once, the model's rarely did.
Later rests weigh REST_WEIGHT ** strength, and the first character of a length
LENGTH_WEIGHT ** strength: the model rests twice as often as Bach and writes eighths where
he writes sixteenths.
"""
import numpy as np

import abc_grammar
from abc_mask import ACCIDENTAL_STARTS, HIGHEST, LOWEST, pitch_number, semitone

EVENT_STARTS = frozenset("z[(" + abc_grammar.NOTE_LETTERS + ACCIDENTAL_STARTS)
MOVE_LIMIT = 8  # signed moves from -8 to 8 letters, further ones counted at the ends
MARKS = {True: "'", False: ","}  # the octave mark a lower-case / upper-case letter takes
VOICES = ("1", "2")
# The interval to voice 1 counts twice in voice 2's weights: the bass goes under a line
# already written, and once was too weak to bring its dissonances near the corpus' share
# (chosen on seeds 101-112, bach/EXPERIMENTS.md, "Spelling and harmony").
VERTICAL_WEIGHT = 2.0
# What a chord's `[` weighs against a single note, per voice: the structured sampler wrote
# chords for 0.41-0.44 of voice 1's and voice 2's events, the training pieces for 0.25 and
# 0.18 (counted by a script outside the repo; chosen on seeds 101-112 to bring them near,
# bach/EXPERIMENTS.md).
CHORD_WEIGHT = {"1": 0.5, "2": 0.3}
# What a rest weighs against the model's own share after a voice's first event: the
# structured sampler rested in 0.10 and 0.088 of voice 1's and voice 2's events, the corpus
# in 0.056 and 0.049 (music_metrics' rest_share, seeds 101-130, bach/EXPERIMENTS.md).
REST_WEIGHT = {"1": 0.5, "2": 0.5}
# What the first character of a note's or chord's length weighs (L:1/16: "2" an eighth,
# "/" a thirty-second, "4" a quarter; none, the sixteenth, keeps the model's): the
# structured sampler wrote 0.36 eighths, 0.20 thirty-seconds and 0.25 sixteenths among its
# notes, the corpus 0.22, 0.12 and 0.47 (music_metrics' note-length histogram, seeds
# 101-130; the quarter's weight keeps the eighths from turning into quarters,
# bach/EXPERIMENTS.md).
LENGTH_WEIGHT = {"2": 0.45, "/": 0.6, "4": 0.4}
# What a note of voice 2 weighs that makes parallel fifths or octaves with voice 1's top
# (both move, to the same perfect interval, in letters): the corpus has 0.4 in 100 such
# moves (music_metrics); 0.02 chosen on seeds 101-112 over 0.1 (bach/EXPERIMENTS.md).
PARALLEL_WEIGHT = 0.02
# What a note of voice 2 weighs for each note of voice 1 a semitone from it (or a major
# seventh, modulo the octave), sounding where it starts or struck over it while it lasts:
# the letters cannot tell F from F sharp, nor a major second from a minor one.
CLASH_WEIGHT = 0.15


def line_pitches(tune):
    """{voice: [(pitch number, tied on) of each note or chord of its line, in order]} of a
    tune (C=0, c=7; voice "1" its highest note, the others their lowest; rests left out;
    tied on: the event holds a tie into the next)."""
    lines = {}
    for line in abc_grammar.music_lines(abc_grammar.split_header(tune)[1]):
        voice = abc_grammar.line_voice(line) or "1"
        pick = max if voice == "1" else min
        for music, _ in abc_grammar.line_bars(line):
            lines.setdefault(voice, []).extend(
                (pick(e.accidentals), bool(e.tied))
                for e in abc_grammar.bar_events(music) if e.accidentals)
    return lines


def opening_counts(tunes):
    """{"1": [count] * 8, "2": [count] * 8}: the scale degree (0 the tonic, by letters) of
    each voice's first line note, then (the eighth) how many of those came after a rest,
    over the tunes in a key the module reads."""
    counts = {voice: [0] * 8 for voice in VOICES}
    for tune in tunes:
        key = abc_grammar.header_fields(tune).get("K", "")
        if not key or key[0].upper() not in "CDEFGAB":
            continue
        for voice, line in line_pitches(tune).items():
            if voice in counts and line:
                letter = "CDEFGAB"[line[0][0] % 7]
                counts[voice][abc_grammar.scale_degree(letter, key[0].upper()) - 1] += 1
                counts[voice][7] += _opens_with_rest(tune, voice)
    return counts


def _opens_with_rest(tune, voice):
    """Does the voice's first event in `tune` rest?"""
    for line in abc_grammar.music_lines(abc_grammar.split_header(tune)[1]):
        if (abc_grammar.line_voice(line) or "1") == voice:
            for music, _ in abc_grammar.line_bars(line):
                events = abc_grammar.bar_events(music)
                if events:
                    return not events[0].accidentals
    return False


def move_bin(move):
    """A signed move's row or column in the move table: -8 (an octave down or more) to 8."""
    return min(max(move, -MOVE_LIMIT), MOVE_LIMIT) + MOVE_LIMIT


def move_counts(tunes):
    """[[count]]: how often a line's move (signed, in letters) follows the move before it,
    row the earlier move's move_bin, column the later's; a move from a note tied on is no
    choice (the tie holds the pitch): neither it nor the move after it counts."""
    size = 2 * MOVE_LIMIT + 1
    counts = [[0] * size for _ in range(size)]
    for tune in tunes:
        for line in line_pitches(tune).values():
            for (a, tied_a), (b, tied_b), (c, _) in zip(line, line[1:], line[2:]):
                if not (tied_a or tied_b):
                    counts[move_bin(b - a)][move_bin(c - b)] += 1
    return counts


def register_counts(tunes):
    """{"1": [...], "2": [...]}: how often each voice's line is at each pitch number, from
    LOWEST to HIGHEST (those beyond count at the ends)."""
    counts = {voice: [0] * (HIGHEST - LOWEST + 1) for voice in VOICES}
    for tune in tunes:
        for voice, line in line_pitches(tune).items():
            for pitch, _ in line if voice in counts else ():
                counts[voice][min(max(pitch, LOWEST), HIGHEST) - LOWEST] += 1
    return counts


def bar_onsets(music):
    """[(start, end, lowest pitch or None for a rest)] of a bar's events, in units of L:
    (tuplets as written, each note at its place), or [] if the bar cannot be read."""
    onsets, at = [], 0
    for e in abc_grammar.bar_events(music):
        onsets.append((at, at + e.duration, min(e.accidentals) if e.accidentals else None))
        at += e.duration
    return onsets


def _bar_pairs(tunes):
    """(voice 1's onsets, voice 2's onsets) of each bar the two voices share, bar_onsets'."""
    for tune in tunes:
        upper = []  # voice 1's bars waiting for voice 2's
        for line in abc_grammar.music_lines(abc_grammar.split_header(tune)[1]):
            bars = [bar_onsets(music) for music, _ in abc_grammar.line_bars(line)]
            if abc_grammar.line_voice(line) in (None, "1"):
                upper = bars
                continue
            for pair in zip(upper, bars):
                yield pair


def vertical_counts(tunes):
    """[[count] * 7, [count] * 7]: the 7 diatonic intervals (0 unison or octave, 1 a
    second, ... 6 a seventh, modulo the octave) from voice 2's line note at each of its
    onsets up to the lowest note voice 1 sounds then, as the mask's upper_lowest sees it;
    the first list where voice 1 holds a note struck before, the second where it strikes
    one with voice 2 (a passing note moves under a held one). A tuplet's notes count
    where each falls (the mask reads a tuplet of voice 1 as one span, struck at its
    start)."""
    counts = [[0] * 7, [0] * 7]
    for above, below in _bar_pairs(tunes):
        for start, _, low in below:
            sounding = [(p, a == start) for a, b, p in above
                        if a <= start < b and p is not None]
            if low is not None and sounding:
                lowest, together = min(sounding)
                counts[together][(lowest - low) % 7] += 1
    return counts


def line_statistics(text):
    """What the prior needs, from the distinct tunes of a training text: {"moves":
    move_counts, "registers": register_counts, "verticals": vertical_counts, "openings":
    opening_counts}. train.py stores it with the model."""
    tunes = sorted({t["text"] for t in abc_grammar.split_tunes(text)})
    return {"moves": move_counts(tunes), "registers": register_counts(tunes),
            "verticals": vertical_counts(tunes), "openings": opening_counts(tunes)}


def checked_statistics(stored):
    """`stored` if it is what line_statistics makes, else None."""
    def counts(values, size):
        return isinstance(values, list) and len(values) == size and all(
            isinstance(n, int) and n >= 0 for n in values)
    size = 2 * MOVE_LIMIT + 1
    moves = stored.get("moves") if isinstance(stored, dict) else None
    if not isinstance(moves, list) or len(moves) != size or not all(
            counts(row, size) for row in moves):
        return None
    registers = stored.get("registers")
    if not isinstance(registers, dict) or not all(
            counts(registers.get(v), HIGHEST - LOWEST + 1) for v in VOICES):
        return None
    verticals = stored.get("verticals", [[0] * 7] * 2)  # models trained before: none
    if not (isinstance(verticals, list) and len(verticals) == 2
            and all(counts(v, 7) for v in verticals)):
        return None
    openings = stored.get("openings", {v: [0] * 8 for v in VOICES})  # before: none
    if not isinstance(openings, dict) or not all(
            counts(openings.get(v), 8) and openings[v][7] <= sum(openings[v][:7])
            for v in VOICES):  # the rests before a first note: some of those notes
        return None
    return stored


def _reach(letter):
    """The pitch numbers `letter` reaches with 0, 1, 2, ... octave marks, within range."""
    mark = MARKS[letter.islower()]
    numbers = [pitch_number(letter, mark * k) for k in range(4)]
    return tuple(n for n in numbers if LOWEST <= n <= HIGHEST)


class LinePrior(object):
    """Follows the characters of a tune (feed) and reweighs the structured sampler's masked
    probabilities before each draw (reweigh)."""

    def __init__(self, statistics, strength, chars):
        # how far the line moves, given its move before (the last row: not known)
        moves = np.asarray(statistics["moves"], np.float64)
        moves = np.vstack([moves, moves.sum(axis=0)]) + 1.0
        self.log_move = strength * np.log(moves / moves.sum(axis=1, keepdims=True))
        # and where each voice's line sits: a walk by steps drifts away without it
        self.log_register = {}
        for voice, counts in statistics["registers"].items():
            counts = np.asarray(counts, np.float64) + 1.0
            self.log_register[voice] = strength * np.log(counts / counts.sum())
        # and, for voice 2, the interval up to voice 1 (models trained before: none)
        verticals = np.asarray(statistics.get("verticals", [[0] * 7] * 2), np.float64) + 1.0
        self.log_vertical = VERTICAL_WEIGHT * strength * np.log(
            verticals / verticals.sum(axis=1, keepdims=True))
        self.has_verticals = "verticals" in statistics
        # and, for each voice's first note, its scale degree and whether a rest comes
        # before it (models trained before: none)
        self.log_opening, self.opening_rest = {}, {}
        for voice, counts in statistics.get("openings", {}).items():
            degrees = np.asarray(counts[:7], np.float64) + 1.0
            self.log_opening[voice] = strength * np.log(degrees / degrees.sum())
            self.opening_rest[voice] = ((counts[7] + 1.0) / (
                sum(counts[:7]) - counts[7] + 1.0)) ** strength
        letters = [(i, c) for i, c in enumerate(chars) if c in abc_grammar.NOTE_LETTERS]
        self.letter_ids = np.array([i for i, _ in letters], np.int64)
        self.letter_reach = [_reach(c) for _, c in letters]
        self.letters = [c for _, c in letters]
        self.mark_ids = {m: chars.index(m) for m in MARKS.values() if m in chars}
        self.close_id = chars.index("]") if "]" in chars else None
        self.rest_id = chars.index("z") if "z" in chars else None
        self.open_id = chars.index("[") if "[" in chars else None
        self.chord_weight = {v: w ** strength for v, w in CHORD_WEIGHT.items()}
        self.rest_weight = {v: w ** strength for v, w in REST_WEIGHT.items()}
        self.length_weights = [(chars.index(c), w ** strength)
                               for c, w in LENGTH_WEIGHT.items() if c in chars]
        self.log_clash = strength * np.log(CLASH_WEIGHT)
        self.log_parallel = strength * np.log(PARALLEL_WEIGHT)
        self.by_last = {}
        self.new_tune()

    def _log_weight(self, pitch, last, before, upper=None):
        """The prior's log weight of the line going from `last` to `pitch`, after it went
        from `before` to `last` (None: not known), under voice 1's `upper` (the mask's
        upper_lowest; None: no vertical term)."""
        row = -1 if before is None else move_bin(last - before)
        vertical = 0.0 if upper is None else self.log_vertical[int(upper[1]),
                                                                (upper[0] - pitch) % 7]
        return self.log_move[row, move_bin(pitch - last)] + \
            self.log_register[self.voice][pitch - LOWEST] + vertical

    def new_tune(self):
        self.recent, self.voice, self.chord, self.note, self.before = "", None, None, None, None
        # per voice: the line's pitch before its latest event and before the one before
        self.refs = {}
        self.pair_upper = None  # voice 1's top note over voice 2's latest (upper_highest)
        self.started = set()  # the voices that have written a note, chord or rest
        # voice 2's pace: how far its latest note started after the one before (units of
        # L:, within a bar), and where its latest note started
        self.pace, self.onset = None, None
        self.accidental = ""  # the accidental just written, before its letter
        self.length_next = False  # a note's or chord's length may start here

    def feed(self, char, mask):
        """Note `char`, just fed to `mask` (whose line_pitch then already holds a new note)."""
        self.recent = (self.recent + char)[-5:]
        self.accidental = self.accidental + char if char in ACCIDENTAL_STARTS else ""
        closes_chord = char == "]" and self.chord is not None  # not [V:n]: chord is None
        if self.recent in ("[V:1]", "[V:2]"):
            self.voice = self.recent[3]
        elif self.voice and char in EVENT_STARTS:
            self.started.add(self.voice)
        if char in "[]V":  # `[` opens a chord, unless `V` follows: a voice's line
            self.chord = [] if char == "[" else None
        letter = char in abc_grammar.NOTE_LETTERS and self.voice
        if self.voice and (char == "[" or (letter and self.chord is None)):  # an event starts
            self.refs[self.voice] = (self.refs.get(self.voice, (None, None))[1], self.before)
        if self.voice == "2" and letter and not self.chord and hasattr(mask, "upper_highest"):
            self.pair_upper = mask.upper_highest(next_note=False)  # a note's or chord's first
            start = mask.position()
            if None not in (start, self.onset) and start > self.onset:
                self.pace = start - self.onset
            self.onset = start
        if self.chord is not None:
            if letter:
                self.chord.append([char, ""])
            elif self.chord and char == MARKS[self.chord[-1][0].islower()]:
                self.chord[-1][1] += char
        elif letter:
            self.note = [char, "", self.before]
        elif self.note is not None and char == MARKS[self.note[0].islower()]:
            self.note[1] += char
        else:
            self.note = None
        self.length_next = closes_chord or (self.chord is None and self.note is not None)
        self.before = self._last(mask)

    def _last(self, mask):
        lines = getattr(mask, "line_pitch", None)
        return lines.get(self.voice) if lines and self.voice else None

    def _letter_weights(self, last, before, leap, above=LOWEST - 1, upper=None,
                        parallel=None, sounds=None):
        """Each letter's weight: the best of its octaves within `leap` letters of `last`
        (the mask's max_leap; None: any) and above `above` (a chord's notes go up), else of
        all its octaves (the mask may let the line leap further, below voice 1); `upper`:
        voice 1's lowest note above it, or None; `parallel`: (voice 1's top note, the
        perfect interval, 0 or 4 in letters modulo 7, that a note other than `last` must
        not make with it again), or None; `sounds`: (voice 1's semitones over the note,
        the alteration of each letter C ... B) for the clash term, or None."""
        key = (self.voice, last, before, leap, above, upper, parallel, sounds)
        weights = self.by_last.get(key)
        if weights is None:
            weights = []
            for reach in self.letter_reach:
                within = [n for n in reach
                          if n > above and (leap is None or abs(n - last) <= leap)]
                weights.append(max(self._log_weight(n, last, before, upper) + (
                    self.log_parallel if parallel is not None and n != last
                    and (parallel[0] - n) % 7 == parallel[1] else 0.0)
                    + self._log_clash(n, sounds) for n in within or reach))
            weights = self.by_last[key] = np.exp(weights)
        return weights

    def _log_clash(self, number, sounds):
        if not sounds:
            return 0.0
        pitch = semitone(number, sounds[1][number % 7])
        return self.log_clash * sum((u - pitch) % 12 in (1, 11) for u in sounds[0])

    def reweigh(self, p, mask):
        """`p` (the masked probabilities) with the line's next pitch weighed by the prior,
        in place: the note letters redistributed among themselves (in voice 2's chords, the
        first note, the lowest; in voice 1's, each note after the first against closing
        the chord with the highest so far), an octave mark against the note staying, and
        a chord's `[` against a note by CHORD_WEIGHT (not where it may open an ending).
        Models trained before the verticals get neither the vertical, the parallel nor the
        clash term."""
        last = self._last(mask)
        if self.length_next:
            for i, weight in self.length_weights:
                p[i] *= weight
        if self.voice in self.opening_rest and self.voice not in self.started and \
                self.rest_id is not None:
            p[self.rest_id] *= self.opening_rest[self.voice]
        elif self.voice in self.started and self.rest_id is not None:
            p[self.rest_id] *= self.rest_weight.get(self.voice, 1.0)  # a rest mid-line
        if self.chord is None and self.open_id is not None and p[self.letter_ids].sum() > 0 \
                and not getattr(mask, "may_open_ending", lambda: False)():
            p[self.open_id] *= self.chord_weight.get(self.voice, 1.0)  # a chord or a note
        if last is None and self.voice in self.log_opening and (
                self.chord is None or (self.voice != "1" and not self.chord)):
            self._redistribute(p, self.letter_ids, self._opening_weights(mask))
        if self.voice not in self.log_register or last is None:
            return p
        leap = getattr(mask, "max_leap", None)
        upper = mask.upper_lowest() if self.has_verticals and self.voice == "2" else None
        parallel = None  # voice 1's top moved from a perfect interval over voice 2's last note
        top = mask.upper_highest() if upper is not None else None
        if top is not None and self.pair_upper is not None and top != self.pair_upper:
            parallel = (self.pair_upper - last) % 7
            parallel = (top, parallel) if parallel in (0, 4) else None
        sounds = None  # voice 1's semitones over voice 2's next note, if it keeps the pace
        if self.voice == "2" and self.has_verticals and self.chord in (None, []) and \
                hasattr(mask, "upper_sounds"):
            over = mask.upper_sounds(self.pace or 0)
            if over is not None:
                sounds = (over[0] | over[1], tuple(
                    mask.alteration(c, self.accidental) for c in "CDEFGAB"))
        # the line's pitch before its latest event (the one `last` ends) and before that
        earlier, latest = self.refs.get(self.voice, (None, None))
        if self.chord is None:
            if self.note is not None and self.note[2] is not None:
                self._weigh_mark(p, self.note[0], self.note[1], latest, earlier)
            self._redistribute(p, self.letter_ids,
                               self._letter_weights(last, latest, leap, upper=upper,
                                                   parallel=parallel, sounds=sounds))
        elif self.voice != "1" and not self.chord:
            self._redistribute(p, self.letter_ids,
                               self._letter_weights(last, earlier, leap, upper=upper,
                                                   parallel=parallel, sounds=sounds))
        elif self.voice == "1" and self.chord and self.close_id is not None:
            top = pitch_number(*self.chord[-1])
            ids = np.append(self.letter_ids, self.close_id)
            weights = np.append(self._letter_weights(last, earlier, leap, above=top),
                                np.exp(self._log_weight(top, last, earlier)))
            self._redistribute(p, ids, weights)
        return p

    def _opening_weights(self, mask):
        """Each letter's weight as the voice's first line note (its lowest in voice 2,
        a chord's first): the training pieces' share of its scale degree."""
        key = ("opening", self.voice, mask.tonic)
        weights = self.by_last.get(key)
        if weights is None:
            weights = self.by_last[key] = np.exp(np.array(
                [self.log_opening[self.voice][abc_grammar.scale_degree(c, mask.tonic) - 1]
                 for c in self.letters]))
        return weights

    @staticmethod
    def _redistribute(p, ids, weights):
        """p[ids] times weights, scaled back to the mass p[ids] had."""
        part = p[ids]
        mass = part.sum()
        if mass > 0:
            weighted = part * weights
            p[ids] = weighted * (mass / weighted.sum())

    def _weigh_mark(self, p, letter, marks, ref, before):
        """The current note (`letter`, `marks`) moves the line from `ref`, which the line
        reached from `before`: an octave mark weighed against the note staying."""
        mark = MARKS[letter.islower()]
        current = pitch_number(letter, marks)
        further = [n for n in _reach(letter) if abs(n - current) > 0 and
                   (n > current) == (mark == "'")]
        if mark in self.mark_ids and further and ref is not None:
            gain = max(self._log_weight(n, ref, before) for n in further)
            p[self.mark_ids[mark]] *= np.exp(gain - self._log_weight(current, ref, before))
