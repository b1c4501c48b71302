"""bach/check_abc.py: tunes, structure rules and novelty in pure Python; validity as a
musician means it, bar lengths and rendering with the ABC tools (skipped, saying why, when
they are missing)."""
import json
import random

import pytest

from conftest import load_script

check_abc = load_script("bach/check_abc.py")

TOOLS_MISSING = check_abc.missing_tools()
needs_tools = pytest.mark.skipif(
    bool(TOOLS_MISSING), reason="ABC tools missing (%s): apt-get install abcmidi abcm2ps"
    % ", ".join(TOOLS_MISSING))
needs_png = pytest.mark.skipif(
    bool(check_abc.missing_tools(png=True)),
    reason="ABC tools or rsvg-convert missing: apt-get install abcmidi abcm2ps librsvg2-bin")

# Two voices, 3/4, four bars each: 8 bars, all the right length.
MINUET = """X:1
T:Test minuet
M:3/4
L:1/8
V:1
V:2 clef=bass
K:G
[V:1]G2 B2 d2|c2 A2 F2|G2 B2 d2|g6|]
[V:2]G,6|D,6|B,,6|G,,6|]
"""
# The same tune with each voice's second bar a quarter too long (4/4 in 3/4).
MINUET_LONG_BAR = MINUET.replace("c2 A2 F2|", "c2 A2 F2 A2|").replace("D,6|", "D,8|")
GARBAGE = """X:7
T:Garbage
M:3/4
L:1/8
K:G
[V:1]abc d]]e(((f|g2 &&& $$ ## ]]] zz9/0|
"""


# ---------------------------------------------------------------- splitting tunes

def test_split_tunes_on_x_lines_and_truncated_last_tune():
    text = MINUET + "\n" + MINUET.replace("X:1", "X:2") + "X:3\nT:cut\nM:3/4\n[V:1]ab"
    tunes = check_abc.split_tunes(text)
    assert [t["truncated"] for t in tunes] == [False, False, True]
    assert [t["index"] for t in tunes] == [1, 2, 3]
    assert tunes[0]["text"] == MINUET


@pytest.mark.parametrize("ending, truncated", [
    ("[V:2]G,6|D,6|B,,6|G,,6|\n", False),      # last line complete, ends with a bar line
    ("[V:2]G,6|D,6|B,,6|G,,6|]\n", False),
    ("[V:2]G,6|D,6|B,,6|G,,6|", True),          # no newline: cut inside the line
    ("[V:2]G,6|D,6|B,,6|G,\n", True),           # the line does not end with a bar line
    ("[V:2]G,6|D,6|B,,6|G,\n\n", False),        # a blank line ends a tune
    ("[V:2]G,6|D,6|B,,6|G,\n\nsome text", False),
])
def test_last_tune_rule(ending, truncated):
    text = MINUET.replace("[V:2]G,6|D,6|B,,6|G,,6|]\n", ending)
    assert check_abc.split_tunes(text)[-1]["truncated"] is truncated


def test_list_of_samples_is_split_sample_by_sample():
    cut = MINUET.replace("X:1", "X:2")[:60]
    tunes = check_abc.split_tunes([MINUET + cut, "ab|\n" + MINUET])
    assert [(t["index"], t["sample"], t["truncated"]) for t in tunes] == [
        (1, 0, False), (2, 0, True), (3, 1, False)]
    report = check_abc.check_abc_text([MINUET + cut, "ab|\n" + MINUET])
    assert report["tunes"] == 2 and report["truncated"] == 1 and report["leading_chars"] == 4


def test_header_only_at_the_end_is_truncated_and_leading_text_is_no_tune():
    tunes = check_abc.split_tunes("abc|\n" + MINUET + "X:2\nT:Next\n")
    assert len(tunes) == 2 and tunes[1]["truncated"]
    report = check_abc.check_abc_text("abc|\n" + MINUET + "X:2\nT:Next\n")
    assert report["leading_chars"] == 5
    assert report["tunes"] == 1 and report["truncated"] == 1
    assert "valid" not in report["per_tune"][1]     # a truncated tune is not checked
    assert check_abc.split_tunes("no tune here\n") == []


# ---------------------------------------------------------------- headers and bars

def test_parse_tune_fields_and_bars():
    parsed = check_abc.parse_tune(MINUET)
    assert parsed["fields"] == ["X", "T", "M", "L", "K"] and parsed["missing_fields"] == []
    assert parsed["bars"] == 8 and len(parsed["voice_lines"]) == 2 and parsed["rest_bars"] == 0
    assert parsed["structure"] == []
    assert check_abc.parse_tune(MINUET.replace("D,6|", "z6|"))["rest_bars"] == 1
    assert [r for r, _ in check_abc.parse_tune(MINUET.replace("B,,6|", ""))["structure"]] == [
        "voices_in_step"]
    no_key = check_abc.parse_tune("X:1\nT:t\nM:3/4\nabc|\n")
    assert no_key["missing_fields"] == ["L", "K"]


# ---------------------------------------------------------------- novelty

def test_longest_copy_small_examples():
    assert check_abc.longest_copy("xxabcdyy", "zzabcdzzab") == "abcd"
    assert check_abc.longest_copy("qqq", "abc") == ""
    assert check_abc.longest_copy("abcabc", "cab") == "cab"


def test_longest_copy_matches_brute_force():
    rng = random.Random(0)
    for _ in range(50):
        corpus = "".join(rng.choice("ab|") for _ in range(rng.randint(1, 40)))
        text = "".join(rng.choice("ab|c") for _ in range(rng.randint(1, 40)))
        brute = max((j - i for i in range(len(text)) for j in range(i, len(text) + 1)
                     if text[i:j] in corpus), default=0)
        assert len(check_abc.longest_copy(text, corpus)) == brute


def test_novel_lines_and_longest_copy_in_report():
    corpus = "X:1\nT:c\nM:3/4\nL:1/8\nK:G\n[V:1]abc def|\n[V:2]A,6|\n"
    sample = "X:1\nT:s\nM:3/4\nL:1/8\nK:G\n[V:1]abc def|\n[V:2]B,6|\n"
    report = check_abc.check_abc_text(sample, corpus)
    assert report["voice_lines"] == 2 and report["novel_voice_lines"] == 1
    assert report["novel_lines"] == 0.5
    # "\nM:3/4\nL:1/8\nK:G\n[V:1]abc def|\n[V:2]": 1 + 6 + 6 + 4 + 14 + 5 characters.
    assert report["longest_copy"] == 36
    assert report["longest_body_copy"] == len("[V:1]abc def|\n[V:2]")
    assert check_abc.check_abc_text(sample)["novel_lines"] is None


# ---------------------------------------------------------------- without the tools

def test_the_tools_messages_that_break_a_rule_are_named(monkeypatch):
    """Any abcm2ps error counts, a crowded line's too (the corpus is laid out to avoid it);
    abc2midi's track lengths and voices out of sequence say the voices are out of step."""
    out = ("abcm2ps-8.14.14 (2022-12-19)\nFile tune.abc\n"
           "tune.abc:17:19: error: Line too much shrunk (700/816pt of 682pt)\n"
           "tune.abc:20:1: warning: Line overfull (654pt of 652pt)\n")
    monkeypatch.setattr(check_abc, "_run", lambda args, cwd: (1, out))
    messages = check_abc._abcm2ps("unused")
    assert [m["kind"] for m in messages] == ["error", "warning"]
    assert check_abc.tool_rules(messages) == ["abcm2ps_errors"]
    midi = [check_abc._message("abc2midi", "warning", "Track 2 is 60 quarter notes long not 72"),
            check_abc._message("abc2midi", "warning", "V:8 out of sequence"),
            check_abc._message("abc2midi", "warning", "Different length notes in tuple")]
    assert check_abc.tool_rules(midi) == ["track_lengths", "voice_sequence"]
    assert check_abc.tool_rules(midi[2:]) == []


def test_missing_tools_still_writes_sample_and_report(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert check_abc.missing_tools() == ["abc2midi", "abc2abc", "abcm2ps"]
    report = check_abc.render(MINUET, str(tmp_path / "out"))
    assert (tmp_path / "out" / "sample.abc").read_text() == MINUET
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "apt-get install abcmidi abcm2ps" in saved["message"]
    assert saved["valid_tunes"] is None and report["tunes"] == 1 and report["bars"] == 8


def test_cli_missing_tools_says_what_to_install(tmp_path, script):
    sample = tmp_path / "s.abc"
    sample.write_text(MINUET)
    done = script("bach/check_abc.py", sample, env={"PATH": str(tmp_path / "empty")})
    assert done.returncode == 2
    assert "apt-get install abcmidi abcm2ps" in done.stderr
    assert len(done.stderr.strip().split("\n")) == 1


@pytest.mark.parametrize("content, expected", [
    (None, "not found"),
    (b"\xff\xfe X:1\n", "not UTF-8"),
    (b"just text\n", "no tune"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, script, content, expected):
    path = tmp_path / "in.abc"
    if content is not None:
        path.write_bytes(content)
    done = script("bach/check_abc.py", path)
    assert done.returncode == 2
    assert expected in done.stderr and len(done.stderr.strip().split("\n")) == 1
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- with the tools

@needs_tools
def test_valid_tune_has_no_bad_bars():
    report = check_abc.check_abc_text(MINUET)
    tune = report["per_tune"][0]
    assert report["tunes"] == 1 and report["valid_tunes"] == 1 and report["valid_fraction"] == 1.0
    assert tune["valid"] and tune["errors"] == [] and tune["bad_bars"] == 0
    assert report["bars"] == 8 and report["bad_bars"] == 0
    assert report["tools"]["abc2midi"] and report["tools"]["abcm2ps"]


@needs_tools
def test_one_bar_too_long_is_one_bad_bar():
    report = check_abc.check_abc_text(MINUET_LONG_BAR)
    tune = report["per_tune"][0]
    assert report["bad_bars"] == 2 and report["bad_bar_fraction"] == 2 / 8.0
    assert tune["bad_bar_messages"][0]["message"].endswith("is 1/1 not 3/4")
    assert tune["valid"]       # a wrong bar length, the same in every voice, is a figure


@needs_tools
def test_voices_out_of_step_make_a_tune_invalid_with_each_rule_named():
    """The many-voice layout the older corpus had: a voice that stops early, and one the
    header never declared."""
    out_of_step = MINUET.replace("B,,6|G,,6|]", "B,,6|]") + "[V:5]G,,6|]\n"
    report = check_abc.check_abc_text(out_of_step)
    tune = report["per_tune"][0]
    assert not tune["valid"]
    assert tune["failed_rules"] == ["voices_declared", "voices_in_step", "track_lengths",
                                    "voice_sequence"]
    assert report["failed_rules"] == {rule: 1 for rule in tune["failed_rules"]}
    summary = "\n".join(check_abc.summary_lines(report))
    assert "rules broken: track_lengths in 1 tune, voice_sequence in 1 tune" in summary


@needs_tools
def test_garbage_is_invalid_with_the_tools_message():
    report = check_abc.check_abc_text(MINUET + "\n" + GARBAGE)
    good, bad = report["per_tune"]
    assert good["valid"] and not bad["valid"]
    assert report["valid_tunes"] == 1 and report["valid_fraction"] == 0.5
    messages = [(e["tool"], e["message"]) for e in bad["errors"]]
    assert ("abcm2ps", "Bad character") in messages
    assert any(tool == "abc2midi" for tool, _ in messages)   # abc2midi exits 0 but says so


@needs_tools
def test_missing_key_field_is_invalid():
    report = check_abc.check_abc_text("X:1\nT:No key\nM:3/4\nL:1/8\n[V:1]abc def|\n\n")
    tune = report["per_tune"][0]
    assert tune["missing_fields"] == ["K"] and not tune["valid"]


@needs_png
def test_render_writes_the_promised_files(tmp_path):
    out = tmp_path / "render"
    out.mkdir()
    (out / "tune_02.png").write_bytes(b"an earlier render's score")
    (out / "notes.txt").write_text("kept")
    text = MINUET + "\n" + GARBAGE
    report = check_abc.render(text, str(out))
    assert (out / "sample.abc").read_text() == text
    saved = json.loads((out / "report.json").read_text())
    assert saved["valid_tunes"] == 1 and saved["tunes"] == 2
    files = saved["per_tune"][0]["files"]
    assert files == {"midi": "tune_01.mid", "svg": "tune_01.svg", "png": "tune_01.png"}
    assert (out / "tune_01.mid").read_bytes()[:4] == b"MThd"
    assert b"<svg" in (out / "tune_01.svg").read_bytes()
    assert (out / "tune_01.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "files" not in saved["per_tune"][1] and not list(out.glob("tune_02*"))
    assert (out / "notes.txt").exists()
    assert report["per_tune"][0]["files"] == files


@needs_tools
def test_cli_summary_and_json(tmp_path, script):
    sample = tmp_path / "s.abc"
    sample.write_text(MINUET_LONG_BAR)
    done = script("bach/check_abc.py", sample, "--corpus", sample)
    assert done.returncode == 0, done.stderr
    assert "valid: 1 of 1 (100.0%)" in done.stdout
    assert "wrong length: 2 (25.0%)" in done.stdout
    assert "novel lines: 0.0% of 2 voice lines" in done.stdout
    done = script("bach/check_abc.py", sample, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["bad_bars"] == 2
