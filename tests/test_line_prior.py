"""bach/line_prior.py: how far the training pieces' lines move, and how the structured
sampler weighs the next note's letter by it."""
import numpy as np

from conftest import load_script

line_prior = load_script("bach/line_prior.py")
mask_module = load_script("bach/abc_mask.py")

HEAD = "X:1\nM:3/4\nL:1/8\nV:1\nV:2 clef=bass\nK:G\n"
TUNE = ("X:1\nM:3/4\nL:1/8\nV:1\nV:2 clef=bass\nK:G\n"
        "[V:1]G2 A2 B2|[Bd]2 c2 e2-|e2 z2 G2|\n"
        "[V:2]G,,4 B,,2|[G,,D,]4 D,2|C,6|\n")


def test_the_statistics_are_moves_and_where_each_voice_sits_and_are_checked():
    statistics = line_prior.line_statistics(TUNE + "\n" + TUNE)  # one distinct tune
    assert statistics["moves"] == line_prior.move_counts([TUNE])
    voice_2 = statistics["registers"]["2"]
    assert len(voice_2) == SPAN and sum(voice_2) == 5
    assert voice_2[-10 - mask_module.LOWEST] == 2  # G,, twice
    assert line_prior.checked_statistics(statistics) is statistics
    assert line_prior.checked_statistics({"leaps": [1] * 9}) is None
    assert line_prior.checked_statistics(None) is None


def test_a_line_is_voice_1s_top_and_voice_2s_bottom_without_rests():
    lines = line_prior.line_pitches(TUNE)
    assert [p for p, _ in lines["1"]] == [4, 5, 6, 8, 7, 9, 9, 4]
    assert [p for p, _ in lines["2"]] == [-10, -8, -10, -6, -7]


def test_moves_count_each_move_after_the_one_before_and_skip_what_a_tie_makes():
    # voice 1: G A B d c e (tie) e G: +1 +1 +2 -1 +2, the tie, -5; voice 2: +2 -2 +4 -1
    counts = line_prior.move_counts([TUNE])
    pairs = {(r - 8, c - 8): n for r, row in enumerate(counts) for c, n in enumerate(row) if n}
    assert pairs == {(1, 1): 1, (1, 2): 1, (2, -1): 1, (-1, 2): 1,  # not (2, 0) nor (0, -5)
                     (2, -2): 1, (-2, 4): 1, (4, -1): 1}
    assert [line_prior.move_bin(m) for m in (-12, -8, 0, 8, 12)] == [0, 0, 8, 16, 16]


SPAN = mask_module.HIGHEST - mask_module.LOWEST + 1


ALPHABET = "\n '(,-./0123456789:=ABCDEFGJKLMQSTVX[]^_abcdefghilmnorstz|"


def prior(strength=1.0, registers=None, moves=None, alphabet=ALPHABET, verticals=None,
          openings=None):
    # a corpus whose lines mostly step, up or down alike, whatever the move before, anywhere
    # (or as `moves` and `registers` say); with `verticals`, its voices' intervals
    by_leap = [0, 100, 10, 5, 2, 0, 0, 0, 0]
    statistics = {"moves": moves or [[by_leap[min(abs(c - 8), 8)] for c in range(17)]] * 17,
                  "registers": registers or {"1": [0] * SPAN, "2": [0] * SPAN}}
    if verticals:
        statistics["verticals"] = verticals
    if openings:
        statistics["openings"] = openings
    return line_prior.LinePrior(statistics, strength, list(alphabet)), list(alphabet)


def allowed_ones(mask, chars):
    return np.array([1.0 if c in mask.allowed() else 0.0 for c in chars])


def fed(text, no_crossing=False, unit_lengths=("1/8",), **kwargs):
    """A StructureMask and a LinePrior that have both read `text`."""
    weigh, chars = prior(**kwargs)
    mask = mask_module.StructureMask(chars, halves=None, max_leap=None, no_crossing=no_crossing,
                                     unit_lengths=unit_lengths)
    for char in text:
        mask.feed(char)
        weigh.feed(char, mask)
    return mask, weigh, chars


def test_the_next_letter_leans_to_a_step_and_the_letters_keep_their_share():
    mask, weigh, chars = fed(HEAD + "[V:1]d2 ")
    p = np.zeros(len(chars))
    allowed = sorted(mask.allowed())
    for c in allowed:
        p[chars.index(c)] = 1.0
    letters = [chars.index(c) for c in allowed if c in "ABCDEFGabcdefg"]
    others = [chars.index(c) for c in allowed if c not in "ABCDEFGabcdefg"]
    before = p.copy()
    weigh.reweigh(p, mask)
    assert np.isclose(p[letters].sum(), before[letters].sum())  # a note comes as often
    chord = chars.index("[")
    assert p[chord] == before[chord] * line_prior.CHORD_WEIGHT["1"]  # a chord: less often
    others.remove(chord)
    rest = chars.index("z")
    assert p[rest] == before[rest] * line_prior.REST_WEIGHT["1"]  # a rest: less often
    others.remove(rest)
    assert (p[others] == before[others]).all()  # bar lines, spaces: the model's
    assert p[chars.index("e")] > 10 * p[chars.index("a")]  # a step over a fifth
    assert np.isclose(p[chars.index("e")], p[chars.index("c")])


def test_an_octave_mark_is_weighed_against_the_note_staying():
    # after G, c is 3 letters up; with a mark, c' is 10 up: the mark loses
    mask, weigh, chars = fed(HEAD + "[V:1]G2 c")
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    assert p[chars.index("'")] < p[chars.index("2")]
    # after c, B is a step down; with a comma, B, is 8 down: the mark loses
    mask, weigh, chars = fed(HEAD + "[V:1]c2 B")
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    assert p[chars.index(",")] < p[chars.index("2")]


def test_strength_zero_changes_nothing():
    mask, weigh, chars = fed(HEAD + "[V:1]d2 ", strength=0.0)
    p = allowed_ones(mask, chars)
    assert np.allclose(weigh.reweigh(p.copy(), mask), p)


def test_in_a_chord_the_line_note_is_weighed():
    # voice 1: its first chord note is free; then closing on it is weighed against a note
    # above it: after d, closing [Gc] (c, a step) beats adding a (4 up)
    mask, weigh, chars = fed(HEAD + "[V:1]d2 [")
    p = allowed_ones(mask, chars)
    assert (weigh.reweigh(p.copy(), mask) == p).all()
    mask, weigh, chars = fed(HEAD + "[V:1]d2 [Gc")
    p = weigh.reweigh(allowed_ones(mask, chars), mask)
    assert p[chars.index("]")] > 10 * p[chars.index("a")]
    # voice 2: the chord's first note is the line's (its lowest): a step from G, wins
    mask, weigh, chars = fed(HEAD + "[V:1]d6|\n[V:2]G,2 [")
    p = weigh.reweigh(allowed_ones(mask, chars), mask)
    assert p[chars.index("A")] > 10 * p[chars.index("C")]  # A, a step; C, a fifth


def test_the_register_pulls_a_line_back_to_where_its_voice_sits():
    # voice 1 of the corpus sits at e (9) and above: from d (8), e and c (7) are both
    # steps, but e is where the voice sits
    register = [0] * SPAN
    for pitch in range(9, 15):
        register[pitch - mask_module.LOWEST] = 1000
    mask, weigh, chars = fed(HEAD + "[V:1]d2 ", registers={"1": register, "2": [0] * SPAN})
    p = weigh.reweigh(allowed_ones(mask, chars), mask)
    assert p[chars.index("e")] > p[chars.index("c")]



def test_a_letter_is_weighed_by_the_octaves_the_mask_can_still_give_it():
    # voice 1, chord [Bf...] after d: its notes go up, so e can only be e' (8 letters from
    # d), not e (a step); g (3 up) and closing on f (2 up) beat it
    mask, weigh, chars = fed(HEAD + "[V:1]d2 [Bf")
    p = weigh.reweigh(allowed_ones(mask, chars), mask)
    assert p[chars.index("g")] > 5 * p[chars.index("e")]
    assert p[chars.index("]")] > 10 * p[chars.index("e")]


def test_the_move_before_tells_a_scale_going_on_from_a_note_turning_back():
    # after c d (a step up), e goes on and c turns back: a corpus of scales prefers e, a
    # corpus of neighbour notes c
    for then, favoured, other in ((1, "e", "c"), (-1, "c", "e")):
        moves = [[0] * 17 for _ in range(17)]
        moves[line_prior.move_bin(1)][line_prior.move_bin(then)] = 100
        moves[line_prior.move_bin(1)][line_prior.move_bin(-then)] = 10
        mask, weigh, chars = fed(HEAD + "[V:1]c2 d2 ", moves=moves)
        p = weigh.reweigh(allowed_ones(mask, chars), mask)
        assert p[chars.index(favoured)] > 5 * p[chars.index(other)]


def test_verticals_count_voice_2s_notes_against_voice_1s_lowest_as_each_starts():
    # TUNE's voice 2, each note struck with one of voice 1's: G,, under G (two octaves:
    # 0), B,, under B (0), [G,,D,] under [Bd] (G,, to B: a third, 2), D, under e (a
    # ninth: 1), C, under e (a third, 2; written again after the tie, as the mask reads it)
    assert line_prior.vertical_counts([TUNE]) == [[0] * 7, [2, 1, 2, 0, 0, 0, 0]]
    assert line_prior.line_statistics(TUNE)["verticals"][1] == [2, 1, 2, 0, 0, 0, 0]
    # under a c voice 1 holds: D (a seventh below, 6) and E (a sixth, 5) pass
    held = HEAD + "[V:1]c6|\n[V:2]C2 D2 E2|\n"
    assert line_prior.vertical_counts([held]) == [[0, 0, 0, 0, 0, 1, 1], [1, 0, 0, 0, 0, 0, 0]]
    statistics = line_prior.line_statistics(TUNE)
    assert line_prior.checked_statistics(dict(statistics, verticals=[1, 2])) is None
    del statistics["verticals"]  # a model trained before: its prior has no vertical term
    assert line_prior.checked_statistics(statistics) is statistics


def test_voice_2_leans_to_a_consonance_under_voice_1():
    # a corpus of thirds and sixths, few fourths, under a note voice 1 holds: under its f,
    # voice 2 after B, takes A, (a sixth below f) over C (a fourth below), where the moves
    # alone tie them
    verticals = [[10, 0, 50, 5, 10, 50, 0], [1] * 7]
    text = HEAD + "[V:1]f6|\n[V:2]B,2 "
    for kind, ratio in ((None, 1.0), (verticals, 20.0)):
        mask, weigh, chars = fed(text, verticals=kind, no_crossing=True)
        assert mask.upper_lowest() == (10, False)  # f, struck before voice 2's next note
        p = allowed_ones(mask, chars)
        weigh.reweigh(p, mask)
        a, c = p[chars.index("A")], p[chars.index("C")]
        assert (a > ratio * c) if kind else np.isclose(a, c)


def test_a_notes_length_leans_to_a_sixteenth_as_in_the_corpus():
    # L:1/16 in the corpus: "2" starts an eighth, "/" a thirty-second, "4" a quarter; the
    # sixteenth (no length written) keeps the model's weight
    head = HEAD.replace("L:1/8", "L:1/16")
    for text in (head + "[V:1]d", head + "[V:1][Bd]"):
        mask, weigh, chars = fed(text, unit_lengths=("1/16",))
        p = allowed_ones(mask, chars)
        before = p.copy()
        weigh.reweigh(p, mask)
        for c, weight in line_prior.LENGTH_WEIGHT.items():
            assert before[chars.index(c)] == 1 and p[chars.index(c)] == weight, (text, c)
        assert p[chars.index(" ")] == 1.0
    # once a length has begun ("3", maybe "3/2"), its next character is the model's
    mask, weigh, chars = fed(head + "[V:1]d3", unit_lengths=("1/16",))
    p = allowed_ones(mask, chars)
    assert p[chars.index("/")] == 1
    weigh.reweigh(p, mask)
    assert p[chars.index("/")] == 1


def test_a_chord_weighs_less_against_a_note_in_voice_2_than_in_voice_1():
    # the training pieces write chords for a quarter of voice 1's events, a fifth of voice 2's
    assert line_prior.CHORD_WEIGHT["2"] < line_prior.CHORD_WEIGHT["1"] < 1
    mask, weigh, chars = fed(HEAD + "[V:1]d6|\n[V:2]")
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    assert p[chars.index("[")] == line_prior.CHORD_WEIGHT["2"]
    mask, weigh, chars = fed(HEAD + "[V:1]d6|\n[V:2]", strength=0.0)
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    assert p[chars.index("[")] == 1.0  # strength 0: the model's own


def test_voice_2_shuns_parallel_octaves_and_fifths_with_voice_1():
    # C under c is an octave; voice 1 moves to d: D under it would be a parallel octave,
    # B, (a third below d) is not; both are a step from C
    text = HEAD + "[V:1]c2 d2 e2|\n[V:2]C2 "
    flat = [[1] * 7, [1] * 7]  # no interval preferred, so only the parallel counts
    mask, weigh, chars = fed(text, verticals=flat, no_crossing=True)
    assert mask.upper_lowest() == (8, True)
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    d, b = p[chars.index("D")], p[chars.index("B")]
    assert np.isclose(d, line_prior.PARALLEL_WEIGHT * b)
    # voice 1 holding e over the next note: no parallel (nor a semitone), C to D as C to B
    mask, weigh, chars = fed(HEAD + "[V:1]e6|\n[V:2]C2 ", verticals=flat, no_crossing=True)
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    assert np.isclose(p[chars.index("D")], p[chars.index("B")])


def test_voice_2_shuns_a_semitone_against_voice_1_where_it_starts():
    # K:G: voice 1 holds f sharp; from A, G is a semitone under it (a major seventh), B is
    # not: a step down weighs CLASH_WEIGHT times a step up, no interval preferred otherwise
    flat = [[1] * 7, [1] * 7]
    mask, weigh, chars = fed(HEAD + "[V:1]f6|\n[V:2]A2 ", verticals=flat, no_crossing=True)
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    g, b = p[chars.index("G")], p[chars.index("B")]
    assert np.isclose(g, line_prior.CLASH_WEIGHT * b)
    # after =F in voice 2's bar, an F is a semitone under voice 1's f sharp too; E is not
    mask, weigh, chars = fed(HEAD + "[V:1]f6|\n[V:2]=F2 A2 ", verticals=flat, no_crossing=True)
    assert mask.alteration("F") == 0 and mask.alteration("F", "^") == 1
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    assert p[chars.index("F")] < p[chars.index("E")]


def test_voice_2_shuns_a_semitone_that_voice_1_strikes_over_it_at_its_pace():
    # voice 2 moves in quarters (C2 then A2 at 2): its next note, at 4, lasts to 6, where
    # voice 1 strikes g: F sharp (K:G) would clash with it, E would not
    flat = [[1] * 7, [1] * 7]
    text = HEAD + "[V:1]e2 e2 e g|\n[V:2]C2 G,2 "
    mask, weigh, chars = fed(text, verticals=flat, no_crossing=True)
    assert mask.upper_sounds(2) == (frozenset([16]), frozenset([19]))
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)
    assert np.isclose(p[chars.index("F")], line_prior.CLASH_WEIGHT * p[chars.index("A")])


def test_a_chord_of_voice_2_shuns_parallels_too_and_voice_2_lines_may_follow_each_other():
    flat = [[1] * 7, [1] * 7]
    mask, weigh, chars = fed(HEAD + "[V:1]c2 d2 e2|\n[V:2]C2 [", verticals=flat,
                             no_crossing=True)
    p = allowed_ones(mask, chars)
    weigh.reweigh(p, mask)  # the chord's first, lowest note: D would be a parallel octave
    assert np.isclose(p[chars.index("D")], line_prior.PARALLEL_WEIGHT * p[chars.index("B")])
    two = HEAD + "[V:1]c6|\n[V:2]C6|\n[V:2]E6|\n"  # each under voice 1's c
    assert line_prior.vertical_counts([two]) == [[0] * 7, [1, 0, 0, 0, 0, 1, 0]]


def test_the_prior_weighs_every_step_of_a_tune_from_its_header_on():
    weigh, chars = prior(verticals=[[1] * 7, [1] * 7])
    mask = mask_module.StructureMask(chars, unit_lengths=("1/8",), halves=None)
    for char in HEAD + "[V:1]|:G2 B2 d2|[1 c6:|\n[V:2]|:G,6|[1 A,6:|\n":
        p = allowed_ones(mask, chars)
        weigh.reweigh(p, mask)
        assert p[chars.index(char)] > 0 and np.isfinite(p).all()
        mask.feed(char)
        weigh.feed(char, mask)


def test_openings_count_each_voices_first_line_note_by_its_scale_degree():
    # TUNE in G: both voices open on G, the tonic. The same notes under K:D, voice 1's
    # first G a rest: voice 2 opens on the fourth degree (G over D), voice 1 on the fifth
    # (A) after a rest (the eighth count)
    in_d = TUNE.replace("K:G", "K:D").replace("[V:1]G2", "[V:1]z2")
    counts = line_prior.opening_counts([TUNE, in_d])
    assert counts["2"] == [1, 0, 0, 1, 0, 0, 0, 0]
    assert counts["1"] == [1, 0, 0, 0, 1, 0, 0, 1]
    statistics = line_prior.line_statistics(TUNE)
    assert statistics["openings"] == line_prior.opening_counts([TUNE])
    assert line_prior.checked_statistics(dict(statistics, openings={"1": [1] * 8})) is None
    more_rests = {"1": [0] * 7 + [1], "2": [1] * 8}  # a rest before a first note never written
    assert line_prior.checked_statistics(dict(statistics, openings=more_rests)) is None


def test_a_voices_first_note_leans_to_the_degrees_its_first_notes_take_in_the_corpus():
    # the bass opens on the tonic, once in 100 after a rest; the treble anyhow
    openings = {"1": [1] * 7 + [0], "2": [90, 0, 0, 0, 9, 0, 0, 1]}
    weigh, chars = prior(strength=1.0, openings=openings)
    mask = mask_module.StructureMask(chars, unit_lengths=("1/8",), halves=None)
    z = chars.index("z")
    for char in HEAD.replace("K:G", "K:F") + "[V:1]":
        mask.feed(char)
        weigh.feed(char, mask)
    assert weigh.reweigh(allowed_ones(mask, chars), mask)[z] == 1.0 / 8  # 0 + 1 : 7 + 1
    for char in "G2 A2 B2|\n[V:2]":
        mask.feed(char)
        weigh.feed(char, mask)
    p = weigh.reweigh(allowed_ones(mask, chars), mask)
    f, c, g = (p[chars.index(x)] for x in "FCG")
    assert f > 5 * c > 5 * g  # F (the tonic) over C (the fifth) over G
    assert p[z] == 2.0 / 99  # a rest first: 1 + 1 : 98 + 1
    for char in "z2":  # once the voice has begun, a rest weighs REST_WEIGHT
        mask.feed(char)
        weigh.feed(char, mask)
    assert weigh.reweigh(allowed_ones(mask, chars), mask)[z] == line_prior.REST_WEIGHT["2"]
