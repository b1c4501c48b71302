"""bach/evaluate.py's music metrics: the model's tunes beside the corpus and its held-out
pieces, the corpus's records cached, the table, the figure and the report's keys. The model
is stood in for by fixed tunes (no TensorFlow here: test_bach.py samples real models); the
metrics need abc2midi, muspy and music21 and are skipped, saying why, without them."""
import json
import os
import shutil
import sys
import types

import pytest

from conftest import ROOT, load_script

evaluate = load_script("bach/evaluate.py")
mm = evaluate.music_metrics

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "two_voice_tunes.abc")
MISSING = mm.missing_dependencies()
needs_tools = pytest.mark.skipif(bool(MISSING), reason=mm.dependencies_message(MISSING)
                                 if MISSING else "")


def corpus_copy(folder):
    """The two-tune fixture as a corpus in `folder` (its cache goes there too)."""
    path = str(folder / "original.txt")
    shutil.copy(FIXTURE, path)
    with open(path, encoding="utf-8") as f:
        return path, f.read()


def test_a_skipped_metrics_run_prints_one_line():
    assert evaluate.metrics_lines({"skipped": "--no_metrics"}) == [
        "music metrics: skipped (--no_metrics)"]


@needs_tools
def test_model_tunes_are_measured_beside_the_corpus_and_its_heldout_piece(tmp_path):
    path, text = corpus_copy(tmp_path)
    model_tunes = mm.tune_texts(text)[:1]  # a verbatim copy of corpus piece X:1
    report = evaluate.music_report(model_tunes, text, path, ["X:2"], workers=1)
    assert list(report["sets"]) == ["corpus", "held-out", "model"]
    assert report["heldout_pieces"] == ["X:2"]
    assert report["sets"]["held-out"]["tunes"] == report["sets"]["model"]["tunes"] == 1
    assert report["sets"]["model"]["copies"]["longest_copied_bars"] == 3
    assert report["sets"]["model"]["copies"]["novel_voice_lines"] == 0.0
    # X:2 against X:1, the corpus's other piece: only the bar D,4 in common.
    assert report["sets"]["held-out"]["copies"]["longest_copied_bars"] == 1
    assert report["sets"]["held-out"]["copies"]["novel_voice_lines"] == 1.0
    assert not report["corpus_cache"]["reused"]
    assert os.path.isfile(report["corpus_cache"]["path"])
    again = evaluate.music_report(model_tunes, text, path, [], workers=1)
    assert again["corpus_cache"]["reused"] and list(again["sets"]) == ["corpus", "model"]
    assert again["sets"]["corpus"] == report["sets"]["corpus"]


def fake_model(monkeypatch, tunes, heldout):
    """evaluate.py without TensorFlow: a save folder whose samples are `tunes` and whose
    held-out figure is `heldout` (bits per character, names line, names)."""
    monkeypatch.setitem(sys.modules, "tfcompat", types.SimpleNamespace(tf_v1=lambda v: None))
    monkeypatch.setattr(evaluate, "load_save_dir", lambda d: ({}, list("X:1\n"), "ckpt"))
    monkeypatch.setattr(evaluate, "sample_tunes", lambda tf, config, chars, ckpt, count, *a: (
        tunes[:count], tunes[:count], [None] * count))
    monkeypatch.setattr(evaluate, "heldout_bpc", lambda tf, config, ckpt, held: heldout)
    monkeypatch.setattr(evaluate, "structured_heldout_bpc", lambda *a: None)


@needs_tools
def test_evaluate_writes_the_metrics_into_its_report_with_table_and_figure(
        tmp_path, monkeypatch, capsys):
    path, text = corpus_copy(tmp_path)
    fake_model(monkeypatch, mm.tune_texts(text), (2.5, "X:2", ["X:2"]))
    out = tmp_path / "out"
    evaluate.main(["--save_dir", str(tmp_path), "--tunes", "2", "--corpus", path,
                   "--report", str(out / "eval.json")])
    printed = capsys.readouterr().out
    assert "| metric | corpus | held-out | model |" in printed
    assert "ceiling: the mean overlap of the corpus's halves" in printed
    with open(str(out / "eval.json"), encoding="utf-8") as f:
        metrics = json.load(f)["metrics"]
    for key in ("sets", "ceiling", "per_tune", "corpus_cache", "heldout_pieces", "outputs"):
        assert key in metrics
    model = metrics["sets"]["model"]
    for key in ("two_or_more_share", "muspy", "overlap", "tonic_in_bass_count",
                "rest_bar_share_all", "bars", "copies"):
        assert key in model
    assert model["copies"]["longest_copied_bars"] == 3
    assert sorted(os.listdir(str(out))) == ["eval.json", "metrics.md", "metrics.png"]
    with open(str(out / "metrics.md"), encoding="utf-8") as f:
        assert f.readline() == "| metric | corpus | held-out | model |\n"


@needs_tools
def test_no_metrics_flag_skips_them(tmp_path, monkeypatch):
    path, text = corpus_copy(tmp_path)
    fake_model(monkeypatch, mm.tune_texts(text), (None, "none", []))
    report = tmp_path / "eval.json"
    evaluate.main(["--save_dir", str(tmp_path), "--tunes", "1", "--corpus", path,
                   "--report", str(report), "--no_metrics"])
    with open(str(report), encoding="utf-8") as f:
        assert json.load(f)["metrics"] == {"skipped": "--no_metrics"}
    assert not os.path.exists(str(tmp_path / "metrics.md"))
