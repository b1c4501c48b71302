"""data/fetch.py: mirror copies, downloads, checksums, atomic writes, one-line errors."""
import hashlib
import os
import urllib.error

import pytest

from conftest import ROOT, load_script

fetch = load_script("data/fetch.py")
SHARED_MIRROR = os.path.join(os.path.dirname(ROOT), "shared", "data")


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A mirror with small files and data sets whose checksums match them."""
    monkeypatch.delenv("DATA_MIRROR", raising=False)  # CI sets it; these tests choose
    mirror = tmp_path / "mirror"
    (mirror / "energy").mkdir(parents=True)
    (mirror / "bach").mkdir()
    csv = b"Load\n1.0\n2.0\n3.0\n"
    abc = b"X:1\nT:t\nV:1\nV:2\nK:C\n[V:1]CDEF|]\n[V:2]C,4 D,4 E,4 F,4|]\n"
    many = b"X:1\nT:t\nV:1\nV:2\nV:3\nK:C\n[V:1]CDEF|\n[V:2]z4|\n[V:3]C,4|\n"
    (mirror / "energy" / "elec_load.csv").write_bytes(csv)
    (mirror / "bach" / "goldberg_staves.abc").write_bytes(abc)
    (mirror / "bach" / "goldberg.abc").write_bytes(many)
    source = tmp_path / "source.csv"
    source.write_bytes(csv)
    energy = dict(fetch.ENERGY, sha256=sha(csv), url=source.as_uri())
    bach = dict(fetch.BACH, sha256=sha(abc))
    monkeypatch.setitem(fetch.DATASETS, "energy", energy)
    monkeypatch.setitem(fetch.DATASETS, "bach", bach)
    monkeypatch.setattr(fetch, "BACH_MANY_VOICE", dict(fetch.BACH_MANY_VOICE, sha256=sha(many)))
    data = tmp_path / "data"
    return {"mirror": str(mirror), "data": str(data), "csv": csv, "abc": abc, "many": many}


def original(fake):
    with open(os.path.join(fake["data"], "bach", "original.txt"), "rb") as f:
        return f.read()


def leftovers(folder):
    return [n for _, _, names in os.walk(folder) for n in names if n.endswith(".tmp")]


def test_mirror_copies_both_data_sets(fake):
    assert fetch.main(["--mirror", fake["mirror"], "--data_dir", fake["data"]]) == 0
    with open(os.path.join(fake["data"], "elec_load.csv"), "rb") as f:
        assert f.read() == fake["csv"]
    assert original(fake) == fake["abc"]  # the two-staff corpus is the default


def test_many_voice_corpus_on_request_and_back(fake, capsys):
    args = ["bach", "--mirror", fake["mirror"], "--data_dir", fake["data"]]
    assert fetch.main(args + ["--corpus", "many-voice"]) == 0
    assert original(fake) == fake["many"]
    assert "bach (many-voice)" in capsys.readouterr().out
    assert fetch.main(args) == 0
    assert original(fake) == fake["abc"]
    assert "has another checksum" in capsys.readouterr().out


def test_unknown_corpus_is_a_user_error(tmp_path, script):
    done = script("data/fetch.py", "bach", "--corpus", "six-voice", "--data_dir", tmp_path)
    assert done.returncode == 2 and "invalid choice: 'six-voice'" in done.stderr


def test_help_names_the_corpora_and_the_tools(script):
    done = script("data/fetch.py", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())  # argparse wraps lines
    assert "two-staff" in text and "many-voice" in text
    assert "apt-get install lilypond abcm2ps abcmidi" in text


def test_mirror_from_environment(fake, monkeypatch):
    monkeypatch.setenv("DATA_MIRROR", fake["mirror"])
    assert fetch.main(["energy", "--data_dir", fake["data"]]) == 0
    assert os.path.isfile(os.path.join(fake["data"], "elec_load.csv"))
    assert not os.path.exists(os.path.join(fake["data"], "bach", "original.txt"))


def test_present_file_with_right_checksum_is_kept(fake, capsys):
    fetch.main(["energy", "--mirror", fake["mirror"], "--data_dir", fake["data"]])
    dest = os.path.join(fake["data"], "elec_load.csv")
    os.utime(dest, (1, 1))
    # No mirror, no network needed: the intact file is kept as it is.
    assert fetch.main(["energy", "--data_dir", fake["data"]]) == 0
    assert os.stat(dest).st_mtime == 1
    assert "already present" in capsys.readouterr().out


def test_file_with_wrong_checksum_is_replaced(fake):
    dest = os.path.join(fake["data"], "elec_load.csv")
    os.makedirs(fake["data"])
    with open(dest, "wb") as f:
        f.write(b"Load\n999\n")
    assert fetch.main(["energy", "--mirror", fake["mirror"], "--data_dir", fake["data"]]) == 0
    with open(dest, "rb") as f:
        assert f.read() == fake["csv"]


def test_corrupt_mirror_file_is_refused_and_leaves_nothing(fake, capsys):
    with open(os.path.join(fake["mirror"], "energy", "elec_load.csv"), "ab") as f:
        f.write(b"4.0\n")
    assert fetch.main(["energy", "--mirror", fake["mirror"], "--data_dir", fake["data"]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "sha256" in err and len(err.strip().splitlines()) == 1
    assert not os.path.exists(os.path.join(fake["data"], "elec_load.csv"))
    assert leftovers(fake["data"]) == []


def test_download_with_progress_and_checksum(fake, capsys):
    assert fetch.main(["energy", "--data_dir", fake["data"]]) == 0
    with open(os.path.join(fake["data"], "elec_load.csv"), "rb") as f:
        assert f.read() == fake["csv"]
    assert "100.0%" in capsys.readouterr().err


def test_download_with_bad_checksum_leaves_nothing(fake, monkeypatch, capsys):
    monkeypatch.setitem(fetch.DATASETS["energy"], "sha256", "0" * 64)
    assert fetch.main(["energy", "--data_dir", fake["data"]]) == 2
    assert "expected " + "0" * 64 in capsys.readouterr().err
    assert not os.path.exists(os.path.join(fake["data"], "elec_load.csv"))
    assert leftovers(fake["data"]) == []


def test_interrupted_download_leaves_no_half_file(fake, monkeypatch):
    class Broken(object):
        headers = {"Content-Length": "100"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            raise OSError("connection reset")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", lambda *a, **k: Broken())
    assert fetch.main(["energy", "--data_dir", fake["data"]]) == 2
    assert not os.path.exists(os.path.join(fake["data"], "elec_load.csv"))
    assert leftovers(fake["data"]) == []


def test_offline_without_mirror_names_both_ways(fake, monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", offline)
    monkeypatch.delenv("DATA_MIRROR", raising=False)
    assert fetch.main(["energy", "--data_dir", fake["data"]]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "python data/fetch.py" in err and "--mirror DIR" in err and "DATA_MIRROR" in err


def test_missing_mirror_folder_is_a_user_error(tmp_path, script):
    done = script("data/fetch.py", "--mirror", tmp_path / "nowhere", "--data_dir", tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: mirror folder") and "Traceback" not in done.stderr


def test_unknown_data_set_is_a_user_error(tmp_path, script):
    done = script("data/fetch.py", "weather", "--data_dir", tmp_path)
    assert done.returncode == 2 and "unknown data set 'weather'" in done.stderr


@pytest.mark.skipif(not os.path.isdir(SHARED_MIRROR), reason="no local mirror at ../shared/data")
def test_real_mirror_checksums(tmp_path, script):
    done = script("data/fetch.py", "--mirror", SHARED_MIRROR, "--data_dir", tmp_path)
    assert done.returncode == 0, done.stderr
    assert fetch.is_intact(str(tmp_path / "elec_load.csv"), fetch.ENERGY["sha256"])
    assert fetch.is_intact(str(tmp_path / "bach" / "original.txt"), fetch.BACH["sha256"])
    done = script("data/fetch.py", "bach", "--corpus", "many-voice", "--mirror", SHARED_MIRROR,
                  "--data_dir", tmp_path)
    assert done.returncode == 0, done.stderr
    assert fetch.is_intact(str(tmp_path / "bach" / "original.txt"),
                           fetch.BACH_MANY_VOICE["sha256"])


def stub_builder(tmp_path, writes, built, missing=(), problem=None):
    """A stand-in for build_goldberg.py: one source to download, a build that writes `writes`."""
    source = tmp_path / "piece.ly"
    source.write_bytes(b"\\score { c'4 }\n")

    class Builder(object):
        class BuildError(Exception):
            pass

        MUTOPIA_FILES = [("piece.ly", sha(b"\\score { c'4 }\n"),
                          (tmp_path / "gone.ly").as_uri(), source.as_uri())]

        @staticmethod
        def missing_tools(corpus):
            return list(missing)

        @staticmethod
        def build_corpus(ly_dir, out_path, progress=None, corpus="two-staff"):
            built.append((sorted(os.listdir(ly_dir)), corpus))
            if problem:
                raise Builder.BuildError(problem)
            with open(out_path, "wb") as f:
                f.write(writes)
            figures = {"tunes": 1, "bars": 1, "rest_bars": 0, "notes": 8, "lilypond_notes": 5,
                       "mismatches": 0}
            return sha(writes), figures

    return Builder


def test_goldberg_route_downloads_sources_then_builds(fake, monkeypatch, tmp_path, capsys):
    """Without a mirror, bach is rebuilt from the Mutopia sources (builder stubbed here)."""
    built = []
    builder = stub_builder(tmp_path, fake["abc"], built)
    monkeypatch.setattr(fetch, "load_goldberg_builder", lambda: builder)
    assert fetch.main(["bach", "--data_dir", fake["data"]]) == 0
    assert built == [(["piece.ly"], "two-staff")]  # the first URL failed, the fallback was used
    assert original(fake) == fake["abc"] and "(sha256 ok)" in capsys.readouterr().out


def test_built_corpus_with_other_bytes_is_accepted_on_its_checks(fake, monkeypatch, tmp_path,
                                                                   capsys):
    """Other tool versions may write other bytes: the build's checks decide, once."""
    built = []
    other = fake["abc"].replace(b"T:t", b"T:other")
    monkeypatch.setattr(fetch, "load_goldberg_builder",
                        lambda: stub_builder(tmp_path, other, built))
    assert fetch.main(["bach", "--data_dir", fake["data"]]) == 0
    out = capsys.readouterr().out
    assert original(fake) == other
    assert "bytes differ from the reference" in out and "accepted on its checks" in out
    assert ("checks passed: 1 tunes, 1 bars a staff in step (0 rest-only), 8 notes as played "
            "(5 in LilyPond's MIDI) compared with LilyPond's MIDI, 0 mismatches") in out
    assert fetch.main(["bach", "--data_dir", fake["data"]]) == 0  # kept, not rebuilt
    assert len(built) == 1 and "already present" in capsys.readouterr().out
    assert fetch.main(["bach", "--corpus", "many-voice", "--data_dir", fake["data"],
                       "--mirror", fake["mirror"]]) == 0  # the record is for two-staff only
    assert original(fake) == fake["many"]


def test_build_that_fails_its_checks_is_a_user_error(fake, monkeypatch, tmp_path, capsys):
    problem = "the built corpus fails 1 checks, first: X:3: V:1 has 30 bars, V:2 has 31"
    monkeypatch.setattr(fetch, "load_goldberg_builder",
                        lambda: stub_builder(tmp_path, b"", [], problem=problem))
    assert fetch.main(["bach", "--data_dir", fake["data"]]) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after the download's progress bar
    assert err == "error: %s" % problem
    assert not os.path.exists(os.path.join(fake["data"], "bach", "original.txt"))


def test_goldberg_route_without_tools_names_the_packages(fake, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(fetch, "load_goldberg_builder",
                        lambda: stub_builder(tmp_path, b"", [], missing=["lilypond"]))
    assert fetch.main(["bach", "--data_dir", fake["data"]]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "apt-get install lilypond abcm2ps abcmidi" in err and "--mirror DIR" in err


def test_goldberg_route_offline_names_both_ways(fake, monkeypatch, tmp_path, capsys):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(fetch.urllib.request, "urlopen", offline)
    monkeypatch.setattr(fetch, "load_goldberg_builder", lambda: stub_builder(tmp_path, b"", []))
    monkeypatch.setattr(fetch, "_flatten", lambda urls: ["https://example.org/piece.ly"])
    assert fetch.main(["bach", "--data_dir", fake["data"]]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "python data/fetch.py" in err and "--mirror DIR" in err and "DATA_MIRROR" in err
