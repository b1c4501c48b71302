"""bach/music_metrics.py: ABC parsing, histograms and overlaps in pure Python; the metrics
through abc2midi, muspy and music21 on two tiny two-voice tunes whose answers are known by
hand (skipped, saying why, without abc2midi, or without muspy and music21, which install on
the TensorFlow 2.x line only)."""
import collections
import json
import os

import types

import pytest

from conftest import ROOT, load_script

mm = load_script("bach/music_metrics.py")

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "two_voice_tunes.abc")
MISSING = mm.missing_dependencies()
needs_tools = pytest.mark.skipif(bool(MISSING), reason=mm.dependencies_message(MISSING)
                                 if MISSING else "")


def fixture_tunes():
    with open(FIXTURE, encoding="utf-8") as f:
        return mm.tune_texts(f.read())


_RECORDS = {}


def records(key_method=None):
    """analyse_tunes of the fixture, once per key method for the whole module."""
    if key_method not in _RECORDS:
        _RECORDS[key_method] = mm.analyse_tunes(fixture_tunes(), workers=2,
                                                key_method=key_method)
    return _RECORDS[key_method]


# ---------------------------------------------------------------- pure Python

@pytest.mark.parametrize("field, key", [
    ("G", (7, "major")), ("Gm", (7, "minor")), ("G minor", (7, "minor")),
    ("F#m", (6, "minor")), ("Bb", (10, "major")), ("D dorian", (2, "dor")),
    ("A mix", (9, "mix")), ("E aeolian", (4, "minor")), ("Gm clef=bass", (7, "minor")),
    ("none", None), ("HP", None), ("", None),
])
def test_key_field_gives_tonic_pitch_class_and_mode(field, key):
    assert mm.parse_key(field) == key


def test_tunes_split_on_x_lines_and_their_keys_are_read():
    tunes = fixture_tunes()
    assert len(tunes) == 2
    assert [mm.tune_key(t) for t in tunes] == [(7, "major"), (7, "minor")]


def test_bars_and_rest_only_bars_are_counted_per_voice():
    assert mm.voice_bars(fixture_tunes()[1]) == {"1": [3, 1], "2": [3, 2]}
    # A "chord symbol", a !decoration!, an inline field and a bar carried to the next line,
    # under a V: line: 4 bars, of which z4 and z2|z2 hold only rests.
    tune = "X:1\nK:G\nV:1\n\"G\"!trill!G2 [K:D]z2|z4|G2 % a comment\nz2|z2|\n"
    assert mm.voice_bars(tune) == {"1": [4, 2]}
    assert mm.voice_bars("X:1\nK:G\n[V:1]z2\n[V:1]z2|G2|\n") == {"1": [2, 1]}
    assert mm.voice_bars("X:1\nK:G\n[V:1]z2\n[V:1]G2|G2|\n") == {"1": [2, 0]}


def test_longest_copy_counts_consecutive_bars_of_one_voice_line_found_in_the_reference():
    corpus = ["X:1\nK:G\n[V:1]A2|B2|c2|d2|\n[V:2]G,2|G,2|D,2|G,2|]\n"]
    runs = mm.bar_runs(corpus)
    assert ("B2", "c2", "d2") in runs and ("d2", "G,2") not in runs  # not across lines
    # Voice 1 copies B2 c2 (2 bars), voice 2 G,2 D,2 G,2 (3); d2 G,2 would span two lines.
    tune = "X:2\nK:G\n[V:1]e2|B2|c2|e2|\n[V:2]d2|G,2|D,2|G,2|]\n"
    assert mm.longest_copied_bars(tune, runs) == 3  # G,2 D,2 G,2 of voice 2
    assert mm.longest_copied_bars(corpus[0], runs) == 4
    assert mm.longest_copied_bars("X:3\nK:G\n[V:1]e2|f2|\n", runs) == 0
    figures = mm.copy_figures([tune, corpus[0]], corpus)
    assert figures["longest_copied_bars_per_tune"] == [3, 4]
    assert figures["longest_copied_bars"] == 4
    assert figures["voice_lines"] == 4 and figures["novel_voice_lines"] == 0.5


def test_corpus_records_are_computed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    calls = []

    def analyse(tunes, workers, key_method):
        calls.append(len(tunes))
        return [{"title": "tune %d" % k, "voice_bars": {"1": [4, 1]}} for k in range(len(tunes))]

    monkeypatch.setattr(mm, "analyse_tunes", analyse)
    tunes = fixture_tunes()
    path = mm.cache_path_for(str(tmp_path / "corpus.abc"), "ab" * 32)
    assert path == str(tmp_path / ("metrics_cache_%s.json" % ("ab" * 8)))
    first, reused = mm.cached_records(tunes, "ab" * 32, path, key_method=None)
    assert not reused and calls == [2]
    again, reused = mm.cached_records(tunes, "ab" * 32, path, key_method=None)
    assert reused and calls == [2] and again == first
    # Another text, or another key method, is measured again.
    assert not mm.cached_records(tunes, "cd" * 32, path, key_method=None)[1]
    assert not mm.cached_records(tunes, "cd" * 32, path, key_method="key")[1]
    assert calls == [2, 2, 2]


def test_overlap_of_a_histogram_with_itself_is_one_and_with_a_disjoint_one_zero():
    counts = [3, 0, 1, 0, 1, 1, 0, 2, 0, 0, 0, 0]
    assert mm.overlap(counts, counts) == pytest.approx(1.0)
    assert mm.overlap(counts, [2 * c for c in counts]) == pytest.approx(1.0)
    assert mm.overlap([1, 0], [0, 1]) == 0.0
    assert mm.overlap([1, 1], [1, 0]) == pytest.approx(0.5)
    assert mm.overlap([0, 0], [1, 0]) is None


def test_note_lengths_fall_in_the_nearest_class():
    labels = [name for _, name in mm.NOTE_LENGTHS]
    assert labels[mm.note_length_class(1.0)] == "1/4"
    assert labels[mm.note_length_class(0.125)] == "1/32"
    assert labels[mm.note_length_class(1 / 6.0)] == "1/16t"
    assert labels[mm.note_length_class(1.1)] == "1/4"
    assert labels[mm.note_length_class(1.25)] == "1/2t"  # 5/16: nearer 4/3 than 1 (log)
    assert labels[mm.note_length_class(24.0)] == "2"


def test_split_half_ceiling_of_identical_tunes_is_one():
    record = {"histograms": {"pitch_class": [1] * 12, "note_length": [2] + [0] * 15,
                             "pitch_interval": [0, 5] + [0] * 12,
                             "vertical_interval": [0, 0, 0, 4] + [0] * 8}}
    ceiling = mm.split_half_ceiling([record] * 6, splits=3, seed=1)
    assert [ceiling[name] for name in mm.HISTOGRAMS] == [pytest.approx(1.0)] * 4
    assert ceiling["splits"] == 3 and ceiling["tunes"] == 6


def test_intervals_above_the_bass_count_the_upper_notes_sounding_at_each_bass_onset():
    note = types.SimpleNamespace
    notes = [(1, note(time=0, duration=8, pitch=72)),   # c' over the bass's first two
             (1, note(time=8, duration=4, pitch=71)),   # b, over its third
             (2, note(time=0, duration=4, pitch=48)),   # C: an octave (12 = 0)
             (2, note(time=4, duration=4, pitch=53)),   # F: a fifth below c'
             (2, note(time=8, duration=4, pitch=55)),   # G: a major third below b
             (2, note(time=8, duration=4, pitch=67))]   # g in the same chord: not the bass
    counts = mm.vertical_intervals(notes)
    assert counts[0] == 1 and counts[7] == 1 and counts[4] == 1 and sum(counts) == 3
    assert mm.vertical_intervals(notes[:2]) == [0] * 12  # one voice: nothing above a bass


def test_spelling_counts_notes_off_the_key_and_accidentals_that_restate_it():
    tune = "X:1\nM:3/4\nL:1/8\nK:G\n[V:1]|^F2 ^c2 c2|\n[V:2]|=F2 G2 ^G2|\n"
    assert mm.spelling_counts(tune) == [6, 4, 1]  # c# twice, F natural, G#; ^F restates
    summary = mm.summarise([{"spelling": [6, 4, 1], "voice_bars": {}, "abc2midi_errors": []},
                            {"spelling": [4, 0, 0], "voice_bars": {}, "abc2midi_errors": []}])
    assert summary["off_key_per_100"] == pytest.approx(40.0)
    assert summary["restated_per_100"] == pytest.approx(10.0)


def test_parallel_fifths_and_octaves_are_counted_where_both_outer_voices_move():
    note = types.SimpleNamespace
    notes = [(1, note(time=0, duration=4, pitch=67)), (1, note(time=4, duration=4, pitch=69)),
             (1, note(time=8, duration=8, pitch=72)),
             (2, note(time=0, duration=4, pitch=60)),   # G over C: a fifth
             (2, note(time=4, duration=4, pitch=62)),   # A over D: a fifth again: parallel
             (2, note(time=8, duration=4, pitch=64)),   # c over E: a sixth
             (2, note(time=12, duration=4, pitch=62))]  # c held over D: voice 1 stays
    assert mm.outer_voice_parallels(notes) == [1, 2]


def test_semitone_clashes_between_the_hands_are_counted_by_who_strikes():
    note = types.SimpleNamespace
    notes = [(1, note(time=0, duration=4, pitch=72)),   # c over C: no clash, together
             (1, note(time=4, duration=4, pitch=71)),   # B over a held C: clash, upper
             (1, note(time=8, duration=8, pitch=66)),   # F sharp over G: clash, together
             (2, note(time=0, duration=8, pitch=48)),
             (2, note(time=8, duration=4, pitch=55)),
             (2, note(time=12, duration=4, pitch=50))]  # D under a held F sharp: lower
    clashes = mm.hand_clashes(notes)
    assert clashes == {"together": [1, 2], "upper": [1, 1], "lower": [0, 1]}
    assert mm.hand_clashes(notes[:3]) == {"together": [0, 0], "upper": [0, 0],
                                          "lower": [0, 0]}  # one hand: nothing to clash


def test_the_dissonant_intervals_are_seconds_the_fourth_the_tritone_and_sevenths():
    assert [mm.VERTICAL_LABELS[i] for i in mm.DISSONANT] == ["m2", "M2", "4", "tt", "m7",
                                                            "M7"]


# ---------------------------------------------------------------- through the tools

@needs_tools
def test_two_voices_sounding_throughout_have_polyphony_two_and_always_two_pitches():
    cadence = records()[0]
    assert cadence["abc2midi_errors"] == []
    assert cadence["muspy"]["polyphony"] == pytest.approx(2.0)
    assert cadence["time_two_or_more"] == cadence["time_total"] > 0
    assert cadence["muspy"]["pitch_range"] == 79 - 50  # g down to D,
    assert cadence["muspy"]["n_pitch_classes_used"] == 5  # G A B C D
    assert cadence["muspy"]["pitch_in_scale_rate"] == pytest.approx(1.0)
    assert cadence["muspy"]["empty_beat_rate"] == 0.0


@needs_tools
def test_rests_only_bars_leave_a_third_of_the_time_with_two_pitches():
    rests = records()[1]
    assert rests["time_two_or_more"] * 3 == rests["time_total"]
    assert rests["muspy"]["polyphony"] == pytest.approx(1.5)  # 1 pitch, then 2, as long
    assert rests["muspy"]["empty_beat_rate"] > 0
    # K:Gm: its B is B flat, in G minor's scale.
    assert rests["muspy"]["pitch_in_scale_rate"] == pytest.approx(1.0)


@needs_tools
def test_silence_counts_as_time_and_abc2midi_errors_are_kept():
    tunes = ["X:1\nT:rests at the end\nM:4/4\nL:1/4\nK:G\n[V:1]G4|z4|]\n",
             "X:2\nT:only rests\nM:4/4\nL:1/4\nK:G\n[V:1]z4|]\n",
             "X:3\nT:garbage\nM:4/4\nL:1/4\nK:G\n[V:1]G4|&&& ]]]|\n"]
    ending, silent, garbage = mm.analyse_tunes(tunes, workers=1, key_method=None)
    # Two bars and one bar of 4/4, at 48 grid steps a quarter note.
    assert (ending["time_total"], silent["time_total"]) == (2 * 4 * 48, 4 * 48)
    assert silent["muspy"]["polyphony"] is None and silent["tonic_in_bass"] is None
    assert garbage["abc2midi_errors"] and garbage["abc2midi_errors"][0].startswith("Error")


@needs_tools
def test_a_tune_ending_on_a_G_octave_has_the_tonic_in_the_bass_one_ending_on_D_not():
    assert [r["tonic_in_bass"] for r in records()] == [True, False]


@needs_tools
def test_the_first_sonority_is_read_as_the_last_one_rests_left_out():
    # tune 1 opens on d over G, ; tune 2 on voice 1's G alone (voice 2 rests), in G minor
    assert [r["tonic_in_bass_at_start"] for r in records()] == [True, True]
    assert [r["meter"] for r in records()] == ["4/4", "2/4"]


def test_chords_are_counted_per_voice_among_its_notes_and_chords_and_rests_apart():
    tune = ("X:1\nM:3/4\nL:1/8\nK:G\n[V:1][GB]2 z2 d2|[ce]2 [def]2 g2|\n"
            "[V:2]G,4 z2|[C,E,]6|\n")
    # [def] holds seconds; voice 1 rests once among 6 events, voice 2 once among 3
    assert mm.chord_counts(tune) == {"1": [3, 5, 1, 1], "2": [1, 2, 0, 1]}
    shares = mm.chord_and_meter_shares([{"chords": mm.chord_counts(tune), "meter": "3/4"}])
    assert shares == {"chord_share": {"1": 0.6, "2": 0.5}, "chord_second_share": 0.25,
                      "rest_share": {"1": 1 / 6.0, "2": 1 / 3.0}, "meters": {"3/4": 1}}


def test_a_half_ends_on_the_dominant_when_voice_2_closes_the_first_repeat_on_it():
    tune = ("X:1\nM:3/4\nL:1/8\nK:G\n[V:1]|:G2 B2 d2|c6:|\n[V:2]|:G,4 B,2|[D,A,]6:|\n"
            "[V:1]|:d6|G6:|\n[V:2]|:D,6|G,6:|\n")
    assert mm.half_ends_on_dominant(tune) is True
    assert mm.half_ends_on_dominant(tune.replace("[D,A,]6:|", "A,6:|")) is False
    assert mm.half_ends_on_dominant(tune.replace("K:G", "K:D")) is False  # D's dominant: A
    assert mm.half_ends_on_dominant(tune.replace(":|", "|")) is None  # no repeat closes


@needs_tools
def test_histograms_count_degrees_from_the_tonic_lengths_and_intervals_along_each_voice():
    hist = records()[0]["histograms"]
    # d B c A g over G, D, G, in G: degrees 5 3 4 2 1 and 1 5 1.
    assert hist["pitch_class"] == [3, 0, 1, 0, 1, 1, 0, 2, 0, 0, 0, 0]
    lengths = dict(zip(mm.BIN_LABELS["note_length"], hist["note_length"]))
    assert {k: v for k, v in lengths.items() if v} == {"1/2": 4, "1": 4}
    # d-B 3, B-c 1, c-A 3, A-g 10; G,-D, 5, D,-G, 5.
    intervals = dict(zip(mm.BIN_LABELS["pitch_interval"], hist["pitch_interval"]))
    assert {k: v for k, v in intervals.items() if v} == {"1": 1, "3": 2, "5": 2, "10": 1}


@needs_tools
def test_a_chord_is_one_onset_of_its_voice_line_not_an_arpeggio():
    # abc2midi staggers a chord's notes unless told not to; the line takes each chord's top
    tune = "X:1\nM:3/4\nL:1/8\nK:C\n[V:1][CEG]2 [DF]2 c2|]\n"
    record = mm.analyse_tunes([tune], workers=1, key_method=None)[0]
    intervals = dict(zip(mm.BIN_LABELS["pitch_interval"], record["histograms"]["pitch_interval"]))
    assert {k: v for k, v in intervals.items() if v} == {"2": 1, "7": 1}  # G-F, F-c
    assert record["time_two_or_more"] == 2 * 48  # the two chords (a quarter each), whole


@needs_tools
def test_music21_key_estimate_is_compared_with_the_key_field():
    estimated = records("key")
    assert [r["key_estimate"] for r in estimated] == ["G major", "G minor"]
    assert [r["key_agrees"] for r in estimated] == [True, True]
    assert mm.key_agreement((7, "major"), (4, "minor")) == {
        "key_estimate": "E minor", "key_agrees": False, "key_signature_agrees": True}


@needs_tools
def test_set_summary_pools_time_bars_and_counts():
    summary = mm.summarise(records())
    assert summary["two_or_more_share"] == pytest.approx((576 + 96) / (576 + 288.0))
    # 6 bars a voice in the two tunes: 1 of voice 1's, 2 of voice 2's hold only rests.
    assert summary["rest_bar_share"] == {"1": pytest.approx(1 / 6.0),
                                         "2": pytest.approx(2 / 6.0)}
    assert summary["rest_bar_share_all"] == pytest.approx(3 / 12.0)
    assert summary["tonic_in_bass_count"] == [1, 2]
    assert summary["bars"]["min"] == summary["bars"]["max"] == 3
    assert summary["bars"]["within_range"] == 0.0  # 3 bars is not 16-50
    assert summary["overlap"] is None


@needs_tools
def test_a_set_against_itself_overlaps_fully_and_outputs_are_written(tmp_path):
    named = collections.OrderedDict([("corpus", records()), ("model", records()),
                                     ("chapter sampler", records()[:1])])
    report = mm.report_from_records(named, "corpus", splits=2, seed=0, key_method=None)
    assert report["sets"]["model"]["overlap"] == {name: pytest.approx(1.0)
                                                  for name in mm.HISTOGRAMS}
    assert report["sets"]["chapter sampler"]["overlap"]["pitch_class"] < 1.0
    assert report["sets"]["model"]["meter_overlap"] == pytest.approx(1.0)
    assert report["sets"]["chapter sampler"]["meter_overlap"] == pytest.approx(0.5)
    assert report["ceiling"]["splits"] == 2

    json_path, md_path, png_path = (str(tmp_path / n) for n in ("r.json", "r.md", "h.png"))
    mm.write_json_atomically(json_path, report)
    with open(json_path) as f:
        assert json.load(f)["sets"]["model"]["tonic_in_bass_count"] == [1, 2]
    table = mm.markdown_table(report["sets"], report["ceiling"])
    mm.write_text_atomically(md_path, table)
    with open(md_path) as f:
        lines = f.read().splitlines()
    assert lines[0] == "| metric | corpus | model | chapter sampler |"
    assert "| last sonority has the tonic in the bass | 1/2 | 1/2 | 1/1 |" in lines
    assert "| first sonority has the tonic in the bass | 2/2 | 2/2 | 1/1 |" in lines
    assert "| chords, share of voice 1's notes and chords | 0.00 | 0.00 | 0.00 |" in lines
    mm.plot_histograms(report["sets"], png_path)
    with open(png_path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(str(tmp_path))) == ["h.png", "r.json", "r.md"]  # no temp left


@needs_tools
def test_command_line_prints_the_table_and_writes_the_files(tmp_path, capsys):
    out, figure = str(tmp_path / "report.json"), str(tmp_path / "hist.png")
    mm.main([FIXTURE, "--corpus", FIXTURE, "--name", "model", "--key_method", "none",
             "--splits", "2", "--json", out, "--figure", figure])
    printed = capsys.readouterr().out
    assert printed.startswith("| metric | corpus | model |\n")
    assert "wrote %s" % figure in printed
    with open(out) as f:
        assert list(json.load(f)["sets"]) == ["corpus", "model"]


def test_command_line_error_is_one_line_with_exit_2(script, tmp_path):
    done = script("bach/music_metrics.py", str(tmp_path / "missing.abc"), "--corpus", FIXTURE)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("error: ")
