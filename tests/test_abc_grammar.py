"""bach/abc_grammar.py: where tunes begin and end, headers, bars, rests and the structure
rules of a valid two-staff tune. Pure Python; the agreement test with abc2abc needs the
ABC tools."""
import shutil
import subprocess
from fractions import Fraction

import pytest

from conftest import load_script

grammar = load_script("bach/abc_grammar.py")

HEADER = "X:1\nT:Test\nM:3/4\nL:1/8\nV:1\nV:2 clef=bass\nK:G\n"
TUNE = HEADER + ("[V:1]|:G2 B2 d2|c2 A2 F2-|F2 G2 d2-|\n"
                 "[V:2]|:G,4 B,2|A,4 D2-|D2 G,2 G,2|\n"
                 "[V:1]d>c B2 (3ABc|[Bd]3 c/2B/2 A2|G6:|\n"
                 "[V:2]B,4 G,2|z6|G,6:|\n")


def rules(text):
    return [rule for rule, _ in grammar.structure_problems(text)]


def test_a_tune_ends_at_a_blank_line_the_next_x_line_or_a_closing_bar_line():
    text = "%comment\nX:1\nK:G\n[V:1]G|\n\nnot music\nX:2\nK:G\n[V:1]A|\nX:3\nK:G\n[V:1]B"
    spans = grammar.tune_spans(text)
    assert [text[s:e] for s, e, _ in spans] == [
        "X:1\nK:G\n[V:1]G|\n", "X:2\nK:G\n[V:1]A|\n", "X:3\nK:G\n[V:1]B"]
    assert [complete for _, _, complete in spans] == [True, True, False]
    assert grammar.split_tunes("X:1\nK:G\nG|]\n")[0]["truncated"] is False
    assert grammar.split_tunes("X:1\nK:G\nG|]")[0]["truncated"] is True
    assert grammar.first_complete_tune("X:1\nK:G\nG|\n\nX:2\nK:") == "X:1\nK:G\nG|\n"
    assert grammar.first_complete_tune("X:1\nK:G\nG") is None
    assert grammar.complete_tunes(text) == ["X:1\nK:G\n[V:1]G|\n", "X:2\nK:G\n[V:1]A|\n"]


def test_header_bars_and_rest_bars():
    fields, body = grammar.split_header(TUNE)
    assert [letter for letter, _ in fields] == list("XTMLVVK")
    assert grammar.declared_voices(fields) == ["1", "2"]
    assert grammar.bar_units(dict(fields)) == (6, Fraction(3, 4))
    assert [grammar.line_voice(line) for line in body] == ["1", "2", "1", "2"]
    assert grammar.line_bars(body[3]) == [("B,4 G,2", "|"), ("z6", "|"), ("G,6", ":|")]
    assert grammar.line_bars("[V:1][1 G6:|[2 A6|]") == [("G6", ":|"), ("A6", "|]")]
    assert [grammar.count_bars(line) for line in body] == [3, 3, 3, 3]
    assert [grammar.count_bars(line, rests_only=True) for line in body] == [0, 0, 0, 1]
    assert grammar.count_bars("[V:1]G6|A3") == 2  # the last bar goes on in the next line


def test_durations_of_notes_chords_broken_rhythm_and_tuplets():
    def d(text):
        return grammar.duration(grammar.parse_bar(text))
    assert d("G2 B2 d2") == 6
    assert d("c/2B/2 A/ G// z3/2") == Fraction(1, 2) * 3 + Fraction(1, 4) + Fraction(3, 2)
    assert d("[Bd]3 [ce]") == 4  # a chord lasts as its first note, times its own length
    assert d("d>c B<A") == 4 and grammar.parse_bar("d>c")[0].duration == Fraction(3, 2)
    assert d("(3ABc") == 2 and d("(3A2B2c2 d") == 5 and d("(3:2:4A/B/c/d/") == Fraction(4, 3)
    assert d("^f2 _B,, =c'") == 4
    assert grammar.bar_duration("G2 (3AB") is None  # a tuplet not finished in its bar
    for bad in ("A'2", "c,2", "G2 c/3", "[G", "(3(3ABc"):
        assert grammar.bar_duration(bad) is None, bad


def test_the_structure_rules_pass_a_good_tune_and_name_each_broken_one():
    assert rules(TUNE) == []
    assert rules(TUNE.replace("K:G\n", "")) == ["header_order"]  # the header must end at K:
    assert rules(TUNE.replace("M:3/4", "M:3/5")) == ["header_values"]
    assert rules(TUNE.replace("[V:2]B,4", "B,4")) == ["voice_lines"]
    assert rules(TUNE.replace("V:2 clef=bass\n", "")) == ["voices_declared", "voices_in_step"]
    # voice 2's second line one bar short, then a bar of the wrong length
    assert rules(TUNE.replace("|z6|G,6:|", "|G,6:|")) == ["voices_in_step"]
    assert rules(TUNE.replace("|z6|", "|z4|")) == ["voices_in_step"]
    assert rules(TUNE.replace("6:|", "6|")) == ["closing_bar_line"]
    two_first = TUNE.replace("[V:2]|:G,4", "[V:1]|:G,4")
    assert "voices_in_step" in rules(two_first)


@pytest.mark.skipif(shutil.which("abc2abc") is None, reason="abc2abc not installed (abcmidi)")
def test_bar_lengths_agree_with_abc2abc(tmp_path):
    """The bars whose length is not the meter's are the ones abc2abc reports."""
    bars = ["G2 B2 d2", "c2 A2 F2 G", "F2 G4", "d>c B2 (3ABc", "[Bd]3 c/2B/2 A", "G6",
            "G2 G2", "d/2c/2B/2A/2 G4"]
    body = "[V:1]" + "|".join(bars) + "|\n"
    (tmp_path / "t.abc").write_text(HEADER + body, encoding="utf-8")
    out = subprocess.run(["abc2abc", "t.abc"], cwd=str(tmp_path), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode()
    reported = sorted(int(line.split()[3]) for line in out.splitlines()
                      if line.startswith("%Error : Bar"))
    ours = [n for n, bar in enumerate(bars) if grammar.bar_duration(bar) != 6]
    assert reported == ours == [1, 4, 6]


@pytest.mark.parametrize("line, bars", [
    ("[V:1]G2 B2 d2|c2 A2 F2|", 2),
    ('|: "Am"abc !trill!d2 :|', 1),
    ("[V:1]abc|de", 2),                  # the unclosed bar goes on in the next line
    ("abc||def|]", 2),
    ("[V:1][K:D]|", 0),
    ("ab % c|d|e|", 1),
])
def test_count_bars(line, bars):
    assert grammar.count_bars(line) == bars


def test_count_rest_bars():
    assert grammar.count_bars("[V:1]z6|G2 z4|z2 x4|Z|", rests_only=True) == 3


def test_keys_and_their_signatures():
    assert grammar.key_signature("G") == dict(zip("CDEFGAB", (0, 0, 0, 1, 0, 0, 0)))
    assert grammar.key_signature("Gm") == dict(zip("CDEFGAB", (0, 0, -1, 0, 0, 0, -1)))
    assert grammar.key_signature("F#m") == dict(zip("CDEFGAB", (1, 0, 0, 1, 1, 0, 0)))
    assert [grammar.transposed_key("G", s, t) for s, t in ((1, 2), (-1, -2), (2, 3), (-2, -3))] \
        == ["A", "F", "Bb", "E"]
    assert grammar.transposed_key("Gm", 2, 3) == "Bbm"


def test_a_transposed_tune_sounds_a_tone_higher_and_comes_back_the_same():
    tune = TUNE.replace("d>c B2 (3ABc", "^d>c B2 (3ABc")
    up = grammar.transpose_tune(tune, 1, 2)
    assert "K:A\n" in up and "[V:1]|:A2 c2 e2|d2 B2 G2-|G2 A2 e2-|" in up
    assert "[V:2]|:A,4 C2|B,4 E2-|E2 A,2 A,2|" in up  # B, a tone up is C (C sharp in A)
    assert "^e>d c2 (3Bcd" in up  # d sharp -> e sharp, which A major does not imply
    assert grammar.transpose_tune(up, -1, -2) == tune
    assert grammar.structure_problems(up) == []


def test_bach_scripts_refuse_an_unserved_python_in_one_line():
    supported = load_script("bach/supported.py")
    assert supported.unsupported_python_message((3, 11, 7)) is None
    assert supported.unsupported_python_message((3, 7, 16)) is None
    message = supported.unsupported_python_message((3, 9, 18))
    assert message.startswith("error: Python 3.9 is not supported") and "\n" not in message


def test_altered_degrees_are_those_the_pieces_alter_often_enough_in_each_mode():
    major = ("X:1\nM:3/4\nL:1/8\nK:G\n|G2 ^c2 c2|=F2 d2 c2|d2 B2 G2|G2 A2 B2|\n\n"
             "X:2\nM:3/4\nL:1/8\nK:D\n|D2 ^G2 A2|d6|\n\n")
    minor = "X:3\nM:3/4\nL:1/8\nK:Gm\n|G2 ^F2 G2|=B2 c2 d2|\n"
    # G major: C sharp twice (the second carried in its bar) and F natural; D major: G sharp.
    # All are degree 4 raised but F natural (7 lowered); 18 major notes, 6 minor ones
    degrees = grammar.altered_degrees(major + "\n" + minor, least_share=0.0)
    assert degrees == {"major": [[4, 1], [7, -1]], "minor": [[3, 1], [7, 1]]}
    assert grammar.altered_degrees(major, least_share=2 / 18.0) == {"major": [[4, 1]]}
    assert grammar.scale_degree("f", "G") == 7 and grammar.scale_degree("B", "Gm") == 3


def test_each_note_says_how_far_it_sounds_from_the_key_and_whether_it_restates_it():
    tune = "X:1\nM:3/4\nL:1/8\nK:G\n|^F2 ^c2 c2|=F2 _B2 =c2|\n"
    assert list(grammar.spelled_notes(tune)) == [
        ("major", 7, 0, True), ("major", 4, 1, False), ("major", 4, 1, False),
        ("major", 7, -1, False), ("major", 3, -1, False), ("major", 4, 0, True)]
    assert list(grammar.spelled_notes("X:1\nK:H\n|C2|\n")) == []  # a key it cannot read
