"""data/bach/build_goldberg.py: the Goldberg corpus rebuilt from the Mutopia LilyPond sources.

The text rewriting (step 7) and the checksum checks run everywhere; the end-to-end build
of one small score needs lilypond and midi2abc and is skipped without them.
"""
import hashlib
import os
import re

import pytest

from conftest import load_script, run_script

builder = load_script("data/bach/build_goldberg.py")

# What midi2abc -f FILE -aul 16 -bpl 4 -bps 4 -noly prints, in miniature: a treble voice
# whose staff continues with " \", a rest-only voice, a low voice, and a voice in the
# middle register that midi2abc itself puts in the bass clef.
MIDI2ABC_TEXT = """X: 1
T: from tiny.midi
M: 3/4
L: 1/16
Q:1/4=60
K:G % 1 sharps
V:1
%%MIDI program 6
g4 g4 a3b|a2 f2 d8|G4 G6 FG|A/2G/2F G/2F/2E/2E/2 D8| \\
d4 d4 e3=f|e2 c2 A6 f2|
% a comment line
B4 B4 ^c3d|
V:2
%%MIDI program 6
z12|z12|z12|z12|
z12|z12|
z12|
V:3
%%MIDI program 6
G,12|F,12|E,12|D,8- D,2 C,2|
B,,12|C,8- C,2 D,2|
V:4
%%clef bass
%%MIDI program 6
z4 B8|z4 A8|z4 G8|z4 F8|
"""

EXPECTED_TUNE = """X:3
T:Variation no. 2
C:J.S.Bach
M:3/4
L:1/16
Q:1/4=60
V:1
V:2 clef=bass
V:3 clef=bass
K:G
[V:1]g4 g4 a3b|a2 f2 d8|G4 G6 FG|A/2G/2F G/2F/2E/2E/2 D8|
[V:2]G,12|F,12|E,12|D,8- D,2 C,2|
[V:3]z4 B8|z4 A8|z4 G8|z4 F8|
[V:1]d4 d4 e3=f|e2 c2 A6 f2|
[V:2]B,,12|C,8- C,2 D,2|
[V:1]B4 B4 ^c3d|
"""


def test_rewrite_tune_header_voices_and_interleaving():
    assert builder.rewrite_tune(MIDI2ABC_TEXT, 3) == EXPECTED_TUNE


def test_rewrite_tune_aria_title_and_minor_key():
    text = MIDI2ABC_TEXT.replace("K:G % 1 sharps", "K:Bb % 2 flats")
    tune = builder.rewrite_tune(text, 1)
    assert tune.splitlines()[1] == "T:Aria"
    assert "\nK:Gm\n" in tune


def test_clef_follows_median_of_plain_notes():
    low = builder.Voice(["G,4 A,4 F,4|E,4"])  # median between F,(53) and G,(55): below G3
    at_g3 = builder.Voice(["G,4 A,4 G,4|"])
    assert builder.plain_note_pitches(["c C, ^G, G,"]) == [72, 48, 55]
    assert low.wants_bass_clef()
    assert not at_g3.wants_bass_clef()
    assert builder.Voice(["c4 d4"], bass_clef=True).wants_bass_clef()


def test_rest_only_voice_and_empty_tune():
    assert builder.Voice(["z12|z4 z8|"]).is_rest_only()
    assert not builder.Voice(["z4 C8|"]).is_rest_only()
    with pytest.raises(builder.BuildError):
        builder.rewrite_tune("X: 1\nM: 3/4\nK:G\nV:1\nz12|\n", 1)


def test_join_tunes_leaves_one_blank_line():
    assert builder.join_tunes(["X:1\na|\n", "X:2\nb|\n"]) == "X:1\na|\n\nX:2\nb|\n"


def test_lilypond_edits_of_steps_2_to_4():
    source = ('%\\paper { ragged-bottom = ##f\n'
              '\\paper {\n  line-width = 18.0\\cm % { not a brace\n  x = #"}" }\n'
              'music = { c4 }\n'
              '\\score { \\music \\layout { } \\midi{ } }\n')
    text = builder.midi_track_per_voice(builder.remove_paper_blocks(source))
    assert "line-width" not in text and "%\\paper {" in text
    assert "music = { c4 }" in text
    assert re.search(r'\\midi\{ \\context \{ \\Staff \\remove "Staff_performer" \} '
                     r'\\context \{ \\Voice \\consists "Staff_performer" \} \}', text)
    v06 = "\\staffUpper \\extendLaissezVibrer #9 g''4._\\laissezVibrer}"
    assert (builder.remove_rejected_helpers(v06, "bwv-988-v06")
            == "\\staffUpper g''4._\\laissezVibrer}")
    v16 = "liftTie = \\shape Tie #'((0 . 1.8) (0 . 2.2))\n\\liftTie a4."
    assert builder.remove_rejected_helpers(v16, "bwv-988-v16") == "liftTie = {}\n\\liftTie a4."
    with pytest.raises(builder.BuildError):
        builder.midi_track_per_voice("\\score { c4 \\layout { } }")


def test_mutopia_files_are_pinned():
    files = builder.MUTOPIA_FILES
    assert len(files) == 31 and len({entry[0] for entry in files}) == 31
    assert files[0][0] == "bwv-988-aria.ly" and files[-1][0] == "bwv-988-v30.ly"
    for filename, sha256, url, fallback in files:
        assert re.match(r"^[0-9a-f]{64}$", sha256)
        assert url.startswith("https://raw.githubusercontent.com/MutopiaProject/MutopiaProject/"
                              "2144afd6f52d56c5b6995b8b589ef1268b3139f0/ftp/BachJS/BWV988/")
        assert url.endswith("/" + filename) and fallback.endswith("/" + filename)
        assert fallback.startswith("https://www.mutopiaproject.org/ftp/BachJS/BWV988/")
    assert [builder.bars_per_line(f[0][:-3]) for f in files].count(2) == 4


def test_verify_sources_rejects_tampered_and_missing_files(tmp_path):
    good = b"\\version \"2.18.2\"\n{ c'4 }\n"
    (tmp_path / "a.ly").write_bytes(good)
    files = [("a.ly", hashlib.sha256(good).hexdigest(), "https://example.org/a.ly")]
    builder.verify_sources(str(tmp_path), files)
    (tmp_path / "a.ly").write_bytes(good.replace(b"c'4", b"d'4"))
    with pytest.raises(builder.BuildError, match="a.ly has sha256"):
        builder.verify_sources(str(tmp_path), files)
    with pytest.raises(builder.BuildError, match="b.ly not found"):
        builder.verify_sources(str(tmp_path), [("b.ly", "0" * 64, "https://example.org/b.ly")])


def test_cli_reports_missing_tools_in_one_line(tmp_path):
    out = tmp_path / "corpus.abc"
    out.write_text("earlier corpus\n")
    done = run_script("data/bach/build_goldberg.py", "--ly-dir", tmp_path, "--out", out,
                      env={"PATH": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "apt-get install lilypond abcmidi" in done.stderr
    assert "lilypond" in done.stderr and "midi2abc" in done.stderr
    assert out.read_text() == "earlier corpus\n"


def test_cli_rejects_a_missing_folder(tmp_path):
    done = run_script("data/bach/build_goldberg.py", "--ly-dir", tmp_path / "nope",
                      "--out", tmp_path / "x.abc")
    assert done.returncode == 2 and done.stderr.startswith("error: ")
    assert done.stderr.count("\n") == 1


TINY_LY = r"""\version "2.18.2"
\header { title = "Tiny" }
\paper { ragged-right = ##t }
upper = \relative c'' { \clef treble \key g \major \time 3/4 g4 a b | c2. | d4 c b | a4 fis g | }
lower = \relative c { \clef bass \key g \major \time 3/4 g2. | e2. | d2. | g2. | }
\score {
  \new PianoStaff << \new Staff \upper \new Staff \lower >>
  \layout { }
  \midi { }
}
"""


@pytest.mark.skipif(bool(builder.missing_tools()), reason="needs lilypond and midi2abc")
def test_build_corpus_end_to_end_on_a_tiny_score(tmp_path):
    ly_dir = tmp_path / "ly"
    ly_dir.mkdir()
    (ly_dir / "tiny.ly").write_text(TINY_LY)
    files = [("tiny.ly", hashlib.sha256(TINY_LY.encode()).hexdigest(), "https://example.org")]
    out = tmp_path / "out" / "tiny.abc"
    digest = builder.build_corpus(str(ly_dir), str(out), str(tmp_path / "work"), files=files)
    text = out.read_text()
    assert digest == hashlib.sha256(text.encode()).hexdigest()
    assert text.splitlines()[:6] == ["X:1", "T:Aria", "C:J.S.Bach", "M:3/4", "L:1/16",
                                     "Q:1/4=60"]
    assert "\nV:1\nV:2 clef=bass\nK:G\n" in text
    assert text.splitlines()[9:] == ["[V:1]G4 A4 B4|c12|d4 c4 B4|A4 F4 G4|",
                                     "[V:2]G,,12|E,,12|D,,12|G,,12|"]
    assert not [name for name in os.listdir(str(out.parent)) if name != "tiny.abc"]
