"""bach/abc_bars.py: bar lengths, ties and the tune checker of the checked sampler.
Pure Python; the agreement test with abc2abc needs the ABC tools."""
import shutil
import subprocess
from fractions import Fraction

import pytest

from conftest import load_script

abc_bars = load_script("bach/abc_bars.py")

HEADER = "X:1\nT:Test\nM:3/4\nL:1/8\nV:1\nV:2 clef=bass\nK:G\n"
TUNE = HEADER + ("[V:1]G2 B2 d2|c2 A2 F2-|F2 G2 d2-|\n"
                 "[V:2]G,4 B,2|A,4 D2-|D2 G,2 G,2|\n"
                 "[V:1]d>c B2 (3ABc|[Bd]3 c/2B/2 A2|G6|\n"
                 "[V:2]B,4 G,2|C4 D2|G,6|\n")


def feed(text, checker=None):
    """The verdicts of a fresh (or given) checker on each character of `text`."""
    checker = checker or abc_bars.TuneChecker()
    return [checker.feed(c) for c in text], checker


def rejections(text):
    verdicts, _ = feed(text)
    return [(i, str(v)) for i, v in enumerate(verdicts) if isinstance(v, abc_bars.Rejected)]


def test_durations_of_notes_chords_broken_rhythm_and_tuplets():
    def d(text):
        return abc_bars.duration(abc_bars.parse_bar(text))
    assert d("G2 B2 d2") == 6
    assert d("c/2B/2 A/ G// z3/2") == Fraction(1, 2) * 3 + Fraction(1, 4) + Fraction(3, 2)
    assert d("[Bd]3 [ce]") == 4  # a chord lasts as its first note, times its own length
    assert d("d>c B<A") == 4 and abc_bars.parse_bar("d>c")[0].duration == Fraction(3, 2)
    assert d("(3ABc") == 2 and d("(3A2B2c2 d") == 5
    assert d("^f2 _B,, =c'") == 4


def test_bar_faults_are_named():
    check = abc_bars.check_bar
    assert check("G2 B2 d2", 6) == (None, frozenset())
    assert check("G2 B2 d2 e", 6)[0] == "bar is 7 units, not 6"
    assert check("G2 B2 d2", 6, last=True)[0] is None and check("G2 B2", 6, last=True)[0] is None
    d_tied = frozenset([(8, "")])  # d (C=0, c=7), no accidental
    assert check("G2 B2 d2-", 6)[1] == d_tied
    assert check("c2 B2 A2", 6, tied_in=d_tied)[0] == "tie to a different pitch"
    assert check("d2 B2 A2", 6, tied_in=d_tied)[0] is None
    # As abc2midi: inside a bar G4- _G2 is no tie, ^c- c is (the sharp carries on); across
    # a bar line the accidental may change.
    assert check("G4- _G2", 6)[0] == "tie to a different pitch"
    assert check("^c4- c2", 6)[0] is None and check("^c4- ^c2", 6)[0] is None
    assert check("B2 A2 ^c2-", 6)[1] == frozenset([(7, "^")])
    assert check("c4 d2", 6, tied_in=frozenset([(7, "^")]))[0] is None
    assert check("_c4 d2", 6, tied_in=frozenset([(7, "^")]))[0] is None
    assert check("[g-d]4 g2", 6)[0] is None
    assert check("[g-d]4 d2", 6)[0] == "tie to a different pitch"
    for bad, why in (("A'2 B4", "after A"), ("c,2 B4", "after c"),
                     ("=^G2 B4", "accidental without a note"), ("^^^G6", "accidental"),
                     ("d2>c4", "different lengths"), ("G2 V B2", "unexpected 'V'"),
                     ("-G2 B4", "tie after no note"), ("", "empty bar"),
                     ("c/0 B4", "not a power of 2"), ("c0 B6", "zero length"),
                     ("c/22 B4", "not a power of 2"), ("B4 (3ab", "tuplet not finished"),
                     ("(3B2c (3dcd", "a tuplet inside a tuplet")):
        assert why in check(bad, 6)[0], bad


def test_hopeless_only_when_no_continuation_can_help():
    # The last two notes may still change ("e2 f" could become "e2>f"), the ones before not.
    assert abc_bars.hopeless("G2 B2 d2 e2 f g", 6) == "bar longer than 6 units"
    for unfinished in ("G2 ^", "G2 [Bd", "d2>", "d2<c", "G2 B2 d2 e2 f", "c/2 d/0", "c/25",
                       "B4 (3ab"):
        assert abc_bars.hopeless(unfinished, 6) is None, unfinished
    assert abc_bars.hopeless("G2 V", 6) == "unexpected 'V'"


def test_meter_from_header():
    fields = abc_bars.header_fields(HEADER)
    assert abc_bars.bar_units(fields) == (6, Fraction(3, 4))
    assert abc_bars.bar_units({"M": "C", "L": "1/16"}) == (16, 1)
    assert abc_bars.bar_units({"M": "2/4"}) == (8, Fraction(1, 2))  # no L: 1/16 below 3/4
    with pytest.raises(abc_bars.AbcSyntaxError):
        abc_bars.bar_units({"L": "1/8"})
    for meter, unit in (("3/14", "1/8"), ("3/4", "1/12"), ("3/4", "1/0")):
        with pytest.raises(abc_bars.AbcSyntaxError, match="power of 2"):
            abc_bars.bar_units({"M": meter, "L": unit})


def test_checker_accepts_a_good_tune_bar_by_bar():
    verdicts, checker = feed(TUNE + "\n")
    assert not [v for v in verdicts if isinstance(v, abc_bars.Rejected)]
    assert verdicts[1] == abc_bars.TUNE_START
    accepted = [i for i, v in enumerate(verdicts) if v == abc_bars.ACCEPT]
    assert TUNE[accepted[0]] == "\n" and TUNE[:accepted[0] + 1].endswith("K:G\n")
    bars = TUNE.count("|")
    assert len(accepted) == 1 + bars + 4 + 1  # header, bars, line ends, tune end
    assert checker.mode == "outside"


def test_checker_rejects_what_the_tools_reject():
    # A bar too long, seen as soon as no continuation can save it.
    text = HEADER + "[V:1]G2 B2 d2 c2 A2 B"
    (i, why), = rejections(text)
    assert why == "bar longer than 6 units" and i == len(text) - 1
    # A tie to another pitch across a voice's lines (abc2midi: "Could not find note to be tied").
    bad_tie = TUNE.replace("[V:1]d>c", "[V:1]c>c")
    assert rejections(bad_tie)[0][1] == "tie to a different pitch"
    # No meter in the header.
    assert rejections(HEADER.replace("M:3/4\n", ""))[0][1] == "header: no M: field"
    assert rejections("X:1\nT:x\nG2 B2|\n")[0][1].startswith("header line 'G2 B2|'")
    # Header values abc2midi or abcm2ps refuse ("Unknown mode", "Invalid tempo", no X: number).
    for field, bad in (("K", "Glef"), ("Q", "1/4=6o"), ("Q", "1/14=94"), ("X", "1a"),
                       ("V", "2 clef=bas")):
        text = "X:%s\n" % bad if field == "X" else "X:1\nT:t\n%s:%s\n" % (field, bad)
        assert rejections(text)[0][1] == "header field %s: has a bad value" % field, field
    assert rejections("X:1\nW:words\n")[0][1].startswith("header field W: is not one of")
    assert rejections(HEADER + "V:1 G2|")[0][1] == "a body line starts with 'V', not [V:n]"


def test_a_tune_ending_with_a_tie_open_goes_back_to_the_bar_that_opened_it():
    text = HEADER + "[V:1]G2 B2 d2|c2 A2 F2-|\n[V:2]G,4 B,2|A,4 D2|\n\n"
    verdicts, _ = feed(text)
    rejected = [v for v in verdicts if isinstance(v, abc_bars.Rejected)]
    assert [str(v) for v in rejected] == ["the tune ends with a tie open"]
    assert text[rejected[0].back_to:].startswith("c2 A2 F2-|")


def test_a_short_last_bar_only_ends_a_tune():
    ending = HEADER + "[V:1]G2 B2 d2|c2 A2\n"
    assert rejections(ending + "\n") == []
    assert (rejections(ending + "[V:2]G,6|\n")[0][1]
            == "a bar without a bar line ends a line, not the tune")


def test_snapshot_and_restore_go_back_exactly():
    checker = abc_bars.TuneChecker()
    feed(HEADER + "[V:1]G2 B2 d2|c2 A2 F2-|", checker)
    saved = checker.snapshot()
    assert isinstance(feed("c4 A2|", checker)[0][-1], abc_bars.Rejected)  # tied F goes to c
    checker.restore(saved)
    assert feed("F4 A2|\n", checker)[0][-2:] == [abc_bars.ACCEPT, abc_bars.ACCEPT]


def test_the_corpus_style_tunes_of_the_bach_tests_pass():
    tunes = load_script("tests/test_bach.py").TUNES
    assert rejections(tunes + "\n") == []


@pytest.mark.skipif(shutil.which("abc2abc") is None, reason="abc2abc not installed (abcmidi)")
def test_bar_lengths_agree_with_abc2abc(tmp_path):
    """The bars check_bar calls the wrong length are the ones abc2abc reports."""
    bars = ["G2 B2 d2", "c2 A2 F2 G", "F2 G4", "d>c B2 (3ABc", "[Bd]3 c/2B/2 A", "G6",
            "G2 G2", "d/2c/2B/2A/2 G4"]
    body = "[V:1]" + "|".join(bars) + "|\n"
    (tmp_path / "t.abc").write_text(HEADER + body, encoding="utf-8")
    out = subprocess.run(["abc2abc", "t.abc"], cwd=str(tmp_path), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode()
    reported = sorted(int(line.split()[3]) for line in out.splitlines()
                      if line.startswith("%Error : Bar"))
    ours = [n for n, bar in enumerate(bars) if abc_bars.check_bar(bar, 6)[0]]  # from 0, as it
    assert reported == ours == [1, 4, 6]


def test_lines_and_tunes_no_longer_than_the_corpus_ones():
    line = "[V:1]" + "G6|" * (abc_bars.MAX_LINE_CHARS // 3 - 2)
    assert rejections(HEADER + line + "\n") == []
    assert rejections(HEADER + line + "G6|G")[0][1] == "a line over 400 characters"
    line = "[V:1]G6|G6|G6|G6|\n"
    long_tune = HEADER + line * ((abc_bars.MAX_TUNE_CHARS - len(HEADER)) // len(line) + 1)
    assert len(long_tune) > abc_bars.MAX_TUNE_CHARS
    assert rejections(long_tune + "\n") == []
    assert rejections(long_tune + "[")[0][1].startswith("the tune is over")


def test_checker_never_fails_on_random_text():
    """Whatever a model writes, the checker answers (a crash would end a long evaluation):
    random characters of the corpus' alphabet, going back at each refusal as the sampler does."""
    import random
    alphabet = " 2,|/GBAzFDE4\nd:C3cV[]1e^gfa-6=(8_b<'.inos5JKLMQSTXhrt0l79m>"
    rng = random.Random(0)
    verdicts = set()
    for _ in range(500):
        checker = abc_bars.TuneChecker()
        feed(HEADER + "[V:1]", checker)
        saved = checker.snapshot()
        for _ in range(100):
            verdict = checker.feed(rng.choice(alphabet))
            verdicts.add(type(verdict))
            if isinstance(verdict, abc_bars.Rejected):
                checker.restore(saved)
            elif verdict == abc_bars.ACCEPT:
                saved = checker.snapshot()
    assert abc_bars.Rejected in verdicts and str in verdicts
