"""data/bach/build_goldberg.py: the Goldberg corpora rebuilt from the Mutopia LilyPond sources.

The two-staff conversion (goldberg_staves.py) is tested on hand-made MIDI bytes and logs;
the many-voice rewrite (goldberg_many_voice.py) on a miniature of midi2abc's output. The
end-to-end builds of a small hand-written score need lilypond (and abcm2ps, abc2midi or
midi2abc) and are skipped without them.
"""
import hashlib
import os
import re
import shutil
import struct
from fractions import Fraction

import pytest

from conftest import ROOT, load_script, run_script

builder = load_script("data/bach/build_goldberg.py")
many_voice = builder.goldberg_many_voice  # the modules the builder itself uses
staves = builder.goldberg_staves
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SHARED_BACH = os.path.join(os.path.dirname(ROOT), "shared", "data", "bach")

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
    assert many_voice.rewrite_tune(MIDI2ABC_TEXT, 3) == EXPECTED_TUNE


def test_rewrite_tune_aria_title_and_minor_key():
    text = MIDI2ABC_TEXT.replace("K:G % 1 sharps", "K:Bb % 2 flats")
    tune = many_voice.rewrite_tune(text, 1)
    assert tune.splitlines()[1] == "T:Aria"
    assert "\nK:Gm\n" in tune


def test_clef_follows_median_of_plain_notes():
    low = many_voice.Voice(["G,4 A,4 F,4|E,4"])  # median between F,(53) and G,(55): below G3
    at_g3 = many_voice.Voice(["G,4 A,4 G,4|"])
    assert many_voice.plain_note_pitches(["c C, ^G, G,"]) == [72, 48, 55]
    assert low.wants_bass_clef()
    assert not at_g3.wants_bass_clef()
    assert many_voice.Voice(["c4 d4"], bass_clef=True).wants_bass_clef()


def test_rest_only_voice_and_empty_tune():
    assert many_voice.Voice(["z12|z4 z8|"]).is_rest_only()
    assert not many_voice.Voice(["z4 C8|"]).is_rest_only()
    with pytest.raises(many_voice.RewriteError):
        many_voice.rewrite_tune("X: 1\nM: 3/4\nK:G\nV:1\nz12|\n", 1)


def test_join_tunes_leaves_one_blank_line():
    assert many_voice.join_tunes(["X:1\na|\n", "X:2\nb|\n"]) == "X:1\na|\n\nX:2\nb|\n"


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
    assert [many_voice.bars_per_line(f[0][:-3]) for f in files].count(2) == 4


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
    assert done.stderr.count("\n") == 1
    assert "apt-get install lilypond abcm2ps abcmidi" in done.stderr
    assert "lilypond" in done.stderr and "abc2midi" in done.stderr
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


@pytest.mark.slow  # runs LilyPond
@pytest.mark.skipif(bool(builder.missing_tools("many-voice")),
                    reason="needs lilypond and midi2abc")
def test_many_voice_build_end_to_end_on_a_tiny_score(tmp_path):
    ly_dir = tmp_path / "ly"
    ly_dir.mkdir()
    (ly_dir / "tiny.ly").write_text(TINY_LY)
    files = [("tiny.ly", hashlib.sha256(TINY_LY.encode()).hexdigest(), "https://example.org")]
    out = tmp_path / "out" / "tiny.abc"
    digest, _ = builder.build_corpus(str(ly_dir), str(out), str(tmp_path / "work"), files=files,
                                     corpus="many-voice")
    text = out.read_text()
    assert digest == hashlib.sha256(text.encode()).hexdigest()
    assert text.splitlines()[:6] == ["X:1", "T:Aria", "C:J.S.Bach", "M:3/4", "L:1/16",
                                     "Q:1/4=60"]
    assert "\nV:1\nV:2 clef=bass\nK:G\n" in text
    assert text.splitlines()[9:] == ["[V:1]G4 A4 B4|c12|d4 c4 B4|A4 F4 G4|",
                                     "[V:2]G,,12|E,,12|D,,12|G,,12|"]
    assert not [name for name in os.listdir(str(out.parent)) if name != "tiny.abc"]


# ---- the two-staff corpus (STAVES.md) on a hand-made piece ----
# Five bars of 3/4 in G: |: bar 0, bar 1 :| with a 1st ending (bar 2) and a 2nd (bar 3),
# then bar 4. Times in whole notes; a MIDI quarter is 384 ticks, a whole note 1536.

F = Fraction
UPPER = [(0, F(1, 4), 67), (F(1, 4), F(1, 2), 69), (F(1, 2), F(3, 4), 71),  # G A B
         (1, F(7, 4), 72),  # c tied over into the 1st ending
         (F(7, 4), F(9, 4), 71), (F(7, 4), F(9, 4), 74),  # chord B d
         (F(27, 12), F(28, 12), 74), (F(28, 12), F(29, 12), 72),  # triplet d c B
         (F(29, 12), F(5, 2), 71), (F(5, 2), 3, 67),
         (3, F(13, 4), 77), (F(13, 4), F(7, 2), 66), (F(7, 2), F(15, 4), 66)]  # f F# F#
LOWER = [(0, F(3, 4), 43), (F(3, 4), 1, 40), (1, F(5, 4), 41), (F(5, 4), F(3, 2), 40),
         (F(3, 2), F(9, 4), 38), (F(9, 4), F(5, 2), 38), (F(11, 4), 3, 50), (3, F(15, 4), 43)]
# LilyPond's spelling of each pitch here: (note name index C=0, alteration, octave)
SPELLING = {67: (4, "0", 0), 69: (5, "0", 0), 71: (6, "0", 0), 72: (0, "0", 1),
            74: (1, "0", 1), 77: (3, "0", 1), 66: (3, "1/2", 0), 43: (4, "0", -2),
            40: (2, "0", -2), 41: (3, "0", -2), 38: (1, "0", -2), 50: (1, "0", -1)}

EXPECTED_STAVES_TUNE = """X:1
T:Aria
C:J.S.Bach
M:3/4
L:1/16
Q:1/4=72
V:1
V:2 clef=bass
K:G
[V:1]|:G4 A4 B4|z4 c8-|[1 c4 [Bd]8:|[2 (3d2c2B2 G8|
[V:2]|:G,,12|E,,4 =F,,4 E,,4|[1 D,,12:|[2 D,,4 z4 D,4|
[V:1]=f4 ^F4 F4|]
[V:2]G,,12|]
"""


def _varlen(value):
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.insert(0, 0x80 | (value & 0x7F))
        value >>= 7
    return bytes(out)


def midi_file(tracks, tempo=833333, key=(1, 0), division=384):
    """A format-1 MIDI file: tracks = [(name, [(onset, offset, pitch)])] in whole notes.

    Note offs are note-ons with velocity 0, sent with running status, as LilyPond may.
    """
    chunks = []
    for k, (name, notes) in enumerate(tracks):
        events = [(0, 0, b"\xff\x03" + _varlen(len(name)) + name.encode())]
        if k == 0:
            events.append((0, 0, b"\xff\x51\x03" + tempo.to_bytes(3, "big")))
            events.append((0, 0, b"\xff\x59\x02" + struct.pack("bB", *key)))
        for onset, offset, pitch in notes:
            events.append((int(onset * 4 * division), 2, bytes([0x90, pitch, 90])))
            events.append((int(offset * 4 * division), 1, bytes([0x90, pitch, 0])))
        events.sort(key=lambda event: event[:2])
        body, last_tick, status = b"", 0, None
        for tick, _, data in events:
            body += _varlen(tick - last_tick)
            last_tick = tick
            if data[0] == status:
                data = data[1:]  # running status
            else:
                status = data[0] if data[0] < 0xF0 else None
            body += data
        body += b"\x00\xff\x2f\x00"
        chunks.append(b"MTrk" + struct.pack(">I", len(body)) + body)
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), division)
    return header + b"".join(chunks)


def score_log(bar_starts=(0, F(3, 4), F(3, 2), F(9, 4), 3), length=F(3, 4), signature="(3 . 4)"):
    """What the Scheme engravers would write for the hand-made piece."""
    rows = ["repeat-start\t0\t2", "volta\t3/2\t(1)", "repeat-end\t9/4\t0", "volta\t9/4\t(2)"]
    for start in bar_starts:
        for staff, clef in (("upper", "clefs.G"), ("lower", "clefs.F")):
            rows.append("timing\t%s\t%s\t0\t%s\t%s\t\t%s" % (start, staff, length, signature,
                                                             clef))
    for staff, notes in (("upper", UPPER), ("lower", LOWER)):
        for onset, _, pitch in notes:
            name, alteration, octave = SPELLING[pitch]
            rows.append("note\t%s\t%s\t%d\t%d\t%s\t%d" % (F(onset), staff, pitch, name,
                                                        alteration, octave))
    return "\n".join(rows) + "\n"


def hand_made_piece():
    return staves.Piece(midi_file([("Tiny", []), ("upper:", UPPER), ("lower:1", LOWER)]),
                        score_log())


def test_read_midi_pairs_notes_first_in_first_out_with_running_status():
    unison = [(0, F(1, 2), 60), (F(1, 8), F(1, 4), 60)]  # two voices on one pitch
    midi = staves.read_midi(midi_file([("upper:", unison), ("lower:1", [(0, 1, 48)])],
                                      tempo=500000, key=(-2, 1)))
    assert [name for name, _ in midi["tracks"]] == ["upper", "lower"]
    # the first note off ends the first note on of that pitch
    assert midi["tracks"][0][1] == [staves.Note(0, F(1, 4), 60), staves.Note(F(1, 8), F(1, 2), 60)]
    assert midi["tempo"] == 500000 and midi["key"] == (-2, 1) and midi["end"] == 1
    with pytest.raises(staves.ConversionError):
        staves.read_midi(b"RIFF....")


def test_score_log_keeps_repeats_voltas_timing_and_spellings():
    log = staves.ScoreLog.parse(score_log())
    assert log.repeat_starts == [(0, 2)] and log.repeat_ends == [(F(9, 4), 0)]
    assert log.voltas == [(F(3, 2), [1]), (F(9, 4), [2])]
    assert log.spelling[(F(13, 4), 66)] == (3, F(1), 0)  # F sharp: alteration in semitones
    row = log.row_at("lower", F(5, 4))
    assert row.moment == F(3, 4) and row.signature == (3, 4) and row.clef == "clefs.F"


def test_bars_are_cut_at_bar_starts_and_repeat_events_and_gaps_filled():
    log = staves.ScoreLog.parse(score_log(bar_starts=(0, F(3, 2))))  # rows only at 0, 3/2
    bars = staves.find_bars(log, F(15, 4))
    assert [(b.start, b.end) for b in bars] == [(0, F(3, 4)), (F(3, 4), F(3, 2)),
                                                (F(3, 2), F(9, 4)), (F(9, 4), 3), (3, F(15, 4))]
    log = staves.ScoreLog.parse(score_log())
    log.repeat_ends.append((F(3, 8), 0))  # a repeat mid-bar splits it (v30's pick-ups)
    assert [b.end for b in staves.find_bars(log, F(3, 2))] == [F(3, 8), F(3, 4), F(3, 2)]


def test_meter_is_the_time_signature_when_it_matches_else_the_measure_length():
    cut_time = staves.ScoreLog.parse(score_log(length=1, signature="(2 . 2)"))
    assert staves.find_bars(cut_time, 1)[0].meter == "2/2"
    triplets = staves.ScoreLog.parse(score_log(signature="(18 . 16)"))  # v26: 18/16 as 3/4
    assert staves.find_bars(triplets, F(3, 4))[0].meter == "3/4"


def test_repeat_marks_and_the_order_they_are_played_in():
    piece = hand_made_piece()
    assert piece.repeats == staves.Repeats({0}, {2}, {2: "1", 3: "2"})
    assert staves.play_order(5, piece.repeats) == [0, 1, 2, 0, 1, 3, 4]
    # an end before any start repeats from the first bar; `:||:` repeats twice
    assert staves.play_order(4, staves.Repeats({2}, {1, 3}, {})) == [0, 1, 0, 1, 2, 3, 2, 3]
    log = staves.ScoreLog.parse(score_log())
    log.repeat_starts, log.repeat_ends, log.voltas = [(0, 1)], [], []
    log.timing["upper"].append(staves.Timing(F(3, 2), 0, F(3, 4), (3, 4), ":..:", "clefs.G"))
    repeats = staves.find_repeats(log, piece.bars)  # v26: count 1 and a hand-typed bar line
    assert repeats.starts == {0, 2} and repeats.ends == {1}  # and a start put at bar 1


def test_slices_hold_the_pitches_sounding_and_their_ties():
    notes = [staves.Note(*n) for n in [(0, F(1, 2), 60), (0, F(1, 4), 60), (F(1, 4), 1, 64)]]
    bar = staves.Bar(0, F(3, 4), "3/4")
    slices = staves.bar_slices(notes, bar)
    assert [(s.start, s.end) for s in slices] == [(0, F(1, 4)), (F(1, 4), F(1, 2)),
                                                  (F(1, 2), F(3, 4))]
    assert slices[0].pitches == [(60, 0, True)]  # a unison is one note, still sounding
    assert slices[1].pitches == [(60, 0, False), (64, F(1, 4), True)]
    assert slices[2].pitches == [(64, F(1, 4), True)]  # tied over the bar line


def test_lengths_split_greedily_into_drawable_values():
    assert staves.split_length(F(10)) == [8, 2]
    assert staves.split_length(F(15, 4)) == [F(7, 2), F(1, 4)]
    assert staves.split_length(F(31, 4)) == [7, F(3, 4)]
    assert staves.split_length(F(20)) == [16, 4]
    with pytest.raises(staves.ConversionError):
        staves.split_length(F(1, 8))
    assert [staves.length_text(u) for u in (1, F(1, 2), F(1, 4), F(3, 2), 12, F(3, 8))] == [
        "", "/", "//", "3/2", "12", "3/8"]
    speller = staves.Speller({}, {})
    piece = staves.Slice(0, F(5, 8), [(60, 0, False)])
    assert staves.slice_text(piece, speller) == "C8-C2"
    assert staves.slice_text(staves.Slice(0, F(5, 8), []), speller) == "z8z2"


def test_beats_set_the_spaces():
    assert [staves.beat_of(m) for m in ("3/4", "2/2", "6/8", "12/16")] == [
        F(1, 4), F(1, 4), F(3, 8), F(3, 16)]
    eighths = [staves.Note(F(k, 8), F(k + 1, 8), 72) for k in range(6)]
    bar = staves.Bar(0, F(3, 4), "6/8")
    assert staves.staff_bar_text(eighths, bar, staves.Speller({}, {})) == "c2c2c2 c2c2c2"


def test_triplets_are_written_three_halves_long_under_one_sign():
    sixths = [staves.Note(F(k, 12), F(k + 1, 12), 60 + k) for k in range(3)]
    five = [staves.Note(0, F(1, 6), 60), staves.Note(F(1, 6), F(1, 4), 62)]
    bar = staves.Bar(0, F(1, 4), "1/4")
    assert staves.staff_bar_text(sixths, bar, staves.Speller({}, {})) == "(3C2^C2D2"
    assert staves.staff_bar_text(five, bar, staves.Speller({}, {})) == "(3:2:2C4D2"
    # lengths inside the group are split too (a rest of 5 is z4z), and counted
    with_rest = [staves.Note(0, F(1, 24), 60)]
    assert staves.staff_bar_text(with_rest, bar, staves.Speller({}, {})) == "(3Cz4z"


def test_an_accidental_is_written_when_either_reading_would_differ():
    speller = staves.Speller({}, {"F": F(1)})  # key of G
    assert speller.note(78, 0) == "f"  # no spelling logged: F sharp, as the key has it
    speller.new_bar()
    spelled = staves.Speller({(0, 77): (3, F(0), 1), (1, 66): (3, F(1), 0),
                              (2, 66): (3, F(1), 0), (3, 54): (3, F(1), -1)}, {"F": F(1)})
    # =f, then F sharp an octave lower: the key says sharp, but "=" might hold for all F
    assert [spelled.note(p, t) for t, p in ((0, 77), (1, 66), (2, 66), (3, 54))] == [
        "=f", "^F", "F", "F,"]
    spelled.new_bar()
    assert spelled.note(66, 1) == "F"  # each bar starts from the key signature
    assert speller.fallbacks == 1 and spelled.fallbacks == 0


def test_hand_made_piece_becomes_the_expected_two_staff_tune():
    piece = hand_made_piece()
    assert piece.tune(1, 4) == EXPECTED_STAVES_TUNE
    assert piece.speller.fallbacks == 0


def test_two_bars_a_line_and_a_repeat_start_on_a_line_break():
    piece = hand_made_piece()
    piece.repeats = staves.Repeats({0, 2}, {1, 3}, {})
    lines = piece.tune(1, 2).splitlines()[9:]
    assert lines[0] == "[V:1]|:G4 A4 B4|z4 c8-:|"  # the |: of bar 2 opens the next line
    assert lines[2] == "[V:1]|:c4 [Bd]8|(3d2c2B2 G8:|"
    assert lines[4:] == ["[V:1]=f4 ^F4 F4|]", "[V:2]G,,12|]"]
    one_line = piece.tune(1, 8).splitlines()[9]
    assert one_line.startswith("[V:1]|:G4 A4 B4|z4 c8-:||:c4 [Bd]8|")


def test_a_meter_change_is_written_in_the_first_full_bar_of_the_new_meter():
    piece = hand_made_piece()
    piece.log.timing["upper"].append(staves.Timing(3, 0, F(3, 8), (3, 8), "", "clefs.G"))
    piece.bars[4] = staves.Bar(3, F(15, 4), "3/8")  # longer than 3/8: not a full bar
    piece.bars.append(staves.Bar(F(15, 4), F(33, 8), "3/8"))
    texts = piece.bar_texts("upper")
    assert texts[4] == "=f4^F4F4"  # not full: no [M:], but 3/8 beats (no spaces)
    assert texts[5] == "[M:3/8]z6" and not any("[M:" in text for text in texts[:5])


def test_layout_check_wants_two_voices_in_step_line_by_line():
    good = EXPECTED_STAVES_TUNE.splitlines()
    assert staves.check_layout(good) == []
    assert staves.count_bars(good) == ([5, 5], 0)
    short = good[:-1] + ["[V:2]G,,12|G,,12|]"]
    assert staves.check_layout(short) == ["line pair 2: 1 bars in V:1, 2 in V:2"]
    three = good[:8] + ["V:3"] + good[8:]
    assert staves.check_layout(three) == ["voices declared V:1 V:2 V:3, not V:1 and V:2"]
    swapped = good[:9] + [good[10], good[9]] + good[11:]
    assert "body line 1 does not start with [V:1]" in staves.check_layout(swapped)
    assert staves.check_layout(good[:-1]) == ["the last [V:1] line has no [V:2] line"]
    assert staves.count_bars(["[V:1]z12|G12|]", "[V:2]z12|[M:3/8]z6|]"]) == ([2, 2], 3)


def test_notes_unfold_as_abc2midi_plays_the_repeats():
    piece = hand_made_piece()
    order = staves.play_order(len(piece.bars), piece.repeats)
    played = staves.unfolded_notes(piece.notes["upper"], piece.bars, order)
    c_notes = [(n.onset, n.offset) for n in played if n.pitch == 72]
    # played bars 0 1 2 0 1 3 4 start at 0, 3/4, 3/2, 9/4, 3, 15/4, 9/2. 1st time: c tied
    # into the 1st ending; 2nd time the tie leads to the 2nd ending, which has no c: the c
    # stops at the bar line; then the triplet's c.
    assert c_notes == [(1, F(7, 4)), (F(13, 4), F(15, 4)), (F(15, 4) + F(1, 12), F(47, 12))]
    assert len(played) == len(UPPER) + 4  # bars 0-1 twice


def test_note_comparison_tolerates_less_than_a_96th_and_counts_the_rest():
    want = [staves.Note(0, F(1, 4), 60), staves.Note(F(1, 4), F(1, 2), 62)]
    close = [staves.Note(F(1, 1920), F(1, 4), 60), staves.Note(F(1, 4), F(1, 2), 62)]
    assert staves.compare_notes(want, close)[0] == 0
    late = [staves.Note(F(1, 96), F(1, 4), 60), staves.Note(F(1, 4), F(1, 2), 62)]
    count, missing, extra = staves.compare_notes(want, late)
    assert count == 2 and missing == [(60, 0.0, 24.0)] and extra == [(60, 1.0, 23.0)]
    assert staves.compare_notes(want, want[:1])[0] == 1


def test_check_tune_compares_every_note_with_lilypond(monkeypatch, tmp_path):
    piece = hand_made_piece()
    order = staves.play_order(len(piece.bars), piece.repeats)
    played = [staves.unfolded_notes(piece.notes[s], piece.bars, order) for s in staves.STAVES]
    monkeypatch.setattr(staves, "abc2midi_notes", lambda *args: played)
    problems, figures = staves.check_tune(EXPECTED_STAVES_TUNE, piece, str(tmp_path))
    assert problems == [] and figures == {
        "bars": 5, "rest_bars": 0, "mismatches": 0, "lilypond_notes": len(UPPER) + len(LOWER),
        "notes": sum(len(notes) for notes in played)}  # as played: bars 0-1 twice
    monkeypatch.setattr(staves, "abc2midi_notes", lambda *args: [played[0], played[1][1:]])
    problems, figures = staves.check_tune(EXPECTED_STAVES_TUNE, piece, str(tmp_path))
    assert figures["mismatches"] == 1 and problems[0].startswith("lower staff: 1 notes differ")


def test_build_refuses_a_corpus_that_fails_its_checks(monkeypatch, tmp_path):
    ly_dir = tmp_path / "ly"
    ly_dir.mkdir()
    (ly_dir / "a.ly").write_bytes(b"{ c'4 }\n")
    files = [("a.ly", hashlib.sha256(b"{ c'4 }\n").hexdigest(), "https://example.org/a.ly")]
    engraved = (midi_file([("Tiny", []), ("upper:", UPPER), ("lower:", LOWER)]), score_log())
    monkeypatch.setattr(builder, "missing_tools", lambda corpus: [])
    monkeypatch.setattr(builder, "engrave_staves", lambda path, work_dir: engraved)
    monkeypatch.setattr(builder, "abcm2ps_accepts", lambda tune: True)
    monkeypatch.setattr(staves, "abc2midi_notes", lambda *args: [[], []])  # notes lost
    out = tmp_path / "corpus.abc"
    out.write_text("earlier corpus\n")
    with pytest.raises(builder.BuildError, match="fails 2 checks, first: X:1: upper staff: 17"):
        builder.build_corpus(str(ly_dir), str(out), files=files)
    assert out.read_text() == "earlier corpus\n"
    piece = hand_made_piece()
    order = staves.play_order(len(piece.bars), piece.repeats)
    played = [staves.unfolded_notes(piece.notes[s], piece.bars, order) for s in staves.STAVES]
    monkeypatch.setattr(staves, "abc2midi_notes", lambda *args: played)
    digest, figures = builder.build_corpus(str(ly_dir), str(out), files=files)
    assert out.read_text() == EXPECTED_STAVES_TUNE
    assert digest == hashlib.sha256(EXPECTED_STAVES_TUNE.encode()).hexdigest()
    assert figures["mismatches"] == 0 and figures["tunes"] == 1


def test_layout_falls_back_to_two_bars_a_line_when_abcm2ps_reports_an_error(monkeypatch):
    piece = hand_made_piece()
    tried = []
    monkeypatch.setattr(builder, "abcm2ps_accepts", lambda tune: tried.append(tune) or False)
    assert builder.two_staff_tune(piece, 1) == piece.tune(1, 2)
    assert tried == [piece.tune(1, 4)]
    monkeypatch.setattr(builder, "abcm2ps_accepts", lambda tune: True)
    assert builder.two_staff_tune(piece, 1) == EXPECTED_STAVES_TUNE


@pytest.mark.skipif(shutil.which("abcm2ps") is None, reason="needs abcm2ps")
def test_abcm2ps_accepts_a_tune_and_catches_an_error():
    tune = "X:1\nT:t\nM:3/4\nL:1/16\nV:1\nV:2 clef=bass\nK:G\n[V:1]G4 A4 B4|]\n[V:2]G,12|]\n"
    assert builder.abcm2ps_accepts(tune)
    assert not builder.abcm2ps_accepts(tune.replace("A4 B4", "A4 !nonsense!B4"))
    # the hand-made piece ties c into the 1st ending only: abcm2ps calls that a bad tie
    assert not builder.abcm2ps_accepts(EXPECTED_STAVES_TUNE)


@pytest.mark.slow  # runs LilyPond
@pytest.mark.skipif(bool(builder.missing_tools()),
                    reason="needs lilypond, convert-ly, abcm2ps and abc2midi")
def test_two_staff_build_end_to_end_on_the_hand_written_score(tmp_path):
    """LilyPond, the logger, removeGraces, the conversion and the checks, for real."""
    with open(os.path.join(FIXTURES, "two_staves.ly"), "rb") as f:
        source = f.read()
    files = [("two_staves.ly", hashlib.sha256(source).hexdigest(), "https://example.org")]
    out = tmp_path / "out" / "tiny.abc"
    digest, figures = builder.build_corpus(FIXTURES, str(out), str(tmp_path / "work"),
                                           files=files)
    assert out.read_text() == """X:1
T:Aria
C:J.S.Bach
M:3/4
L:1/16
Q:1/4=72
V:1
V:2 clef=bass
K:G
[V:1]|:G4 G4 A2B2|(3c2B2A2 G8|[1 G12:|[2 G4- [GA]4 F4|
[V:2]|:G,,12|E,,4 =F,,4 E,,4|[1 D,,12:|[2 D,,4 z4 D,4|
[V:1][G-B-d-]12|[GBd]4 z8|]
[V:2]G,,12-|G,,4 z8|]
"""  # the grace note is gone; the crossing a' sits in the upper staff
    assert digest == hashlib.sha256(out.read_bytes()).hexdigest()
    # LilyPond's MIDI: 15 notes upper (the crossing a' included, the tied chord once) and
    # 8 lower; as played, bars 1-2 come twice: 35
    assert figures == {"tunes": 1, "bars": 6, "rest_bars": 0, "notes": 35, "lilypond_notes": 23,
                       "mismatches": 0, "fallback_spellings": 0}


@pytest.mark.slow  # runs LilyPond
@pytest.mark.skipif(bool(builder.missing_tools()) or not os.path.isdir(SHARED_BACH),
                    reason="needs lilypond, abcm2ps, abc2midi and the local mirror ../shared/data")
def test_two_staff_build_of_the_aria_gives_the_reference_bytes(tmp_path):
    """One real piece (about 10 s): the Aria is the first tune of goldberg_staves.abc."""
    files = builder.MUTOPIA_FILES[:1]
    out = tmp_path / "aria.abc"
    builder.build_corpus(os.path.join(SHARED_BACH, "mutopia"), str(out), files=files)
    with open(os.path.join(SHARED_BACH, "goldberg_staves.abc"), encoding="ascii") as f:
        reference = f.read().split("\n\n")[0] + "\n"
    assert out.read_text() == reference
