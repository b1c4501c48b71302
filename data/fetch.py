"""Fetch the chapter's two data sets into data/.

    python data/fetch.py                          # both, from their public sources
    python data/fetch.py --mirror ../shared/data  # both, copied from a local mirror
    DATA_MIRROR=../shared/data python data/fetch.py energy
    python data/fetch.py bach --corpus many-voice # the older Goldberg corpus instead

energy -> data/elec_load.csv     (UCI ElectricityLoadDiagrams20112014, one client, CC BY 4.0)
bach   -> data/bach/original.txt (Goldberg Variations in ABC, built from the Mutopia
                                  Project's engravings, CC BY-SA 3.0): by default the
                                  two-staff corpus (goldberg_staves.abc, one voice per staff,
                                  as the chapter's), or with --corpus many-voice the older
                                  goldberg.abc (one voice per LilyPond voice)

A file already present with the right sha256 is kept. Downloads and copies are written
to a temporary name, checked, then renamed, so a half file never sits under the final name.
A mirror is a folder laid out like this project's shared data: energy/elec_load.csv,
bach/goldberg_staves.abc, bach/goldberg.abc (and optionally bach/mutopia/*.ly).
Without a mirror the Goldberg corpus is built from the 31 Mutopia LilyPond files by
bach/build_goldberg.py (apt-get install lilypond abcm2ps abcmidi). A two-staff corpus built
with other tool versions may differ in bytes from the reference; it is accepted when it
passes the corpus's checks (every tune's two staves in step, and note for note equal to
LilyPond's MIDI), and its sha256 is then recorded in bach/original.checks.json.
"""
import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

ENERGY = {
    "name": "energy",
    "dest": "elec_load.csv",
    "sha256": "61bec0ef983046e0bb44babee1ddb97f843975ba06dd3cf8c38014b9ab10ba45",
    "size": 2361660,
    "url": ("https://raw.githubusercontent.com/PacktPublishing/"
            "Building-Machine-Learning-Projects-with-TensorFlow/master/7/Code/data/elec_load.csv"),
    "mirror": "energy/elec_load.csv",
}
BACH = {
    "name": "bach",
    "corpus": "two-staff",
    "dest": "bach/original.txt",
    "sha256": "4009586d69d48f196981a126472f63fdad1eb88a61aa41760dba320e86dfe936",
    "size": 58182,
    "url": None,  # no single file online: rebuilt from the Mutopia sources (build_goldberg.py)
    "mirror": "bach/goldberg_staves.abc",
}
BACH_MANY_VOICE = dict(BACH, corpus="many-voice", mirror="bach/goldberg.abc", size=61068,
                       sha256="2d354f5c05d1bb0bdbf7fc2b438f497c0f7a12b41f854ded0a247658e3239ac3")
DATASETS = {"energy": ENERGY, "bach": BACH}
CORPORA = ("two-staff", "many-voice")
ACCEPTED_BUILD = "bach/original.checks.json"  # a two-staff build accepted on its checks
INSTALL_HINT = "apt-get install lilypond abcm2ps abcmidi"
GET_DATA_HINT = ("connect to the internet and run 'python data/fetch.py' again, or copy the "
                 "data from a local mirror with 'python data/fetch.py --mirror DIR' "
                 "(or DATA_MIRROR=DIR)")


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_intact(path, sha256):
    return os.path.isfile(path) and sha256_of(path) == sha256


def _progress(label, done, total, stream):
    if total:
        bar = "#" * int(30 * done / total)
        stream.write("\r  %-22s [%-30s] %5.1f%% %.1f/%.1f MB" % (
            label, bar, 100.0 * done / total, done / 1e6, total / 1e6))
    else:
        stream.write("\r  %-22s %.1f MB" % (label, done / 1e6))
    stream.flush()


def install_atomically(fill, dest, sha256, what):
    """Write dest through `fill(file)` into a temporary file, check sha256, then rename.

    A failed or interrupted transfer leaves at most a *.tmp file, never a bad `dest`.
    """
    folder = os.path.dirname(dest) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(dest) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        got = sha256_of(tmp)
        if sha256 is not None and got != sha256:
            raise UserError("%s has sha256 %s, expected %s; the source is corrupt or has "
                            "changed, so it was not installed" % (what, got, sha256))
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def download(url, dest, sha256, label=None, stream=None):
    """Download url to dest with a progress bar, verified and written atomically."""
    label = label or os.path.basename(dest)
    stream = stream or sys.stderr

    def fill(f):
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                total = int(response.headers.get("Content-Length") or 0)
                done = 0
                for block in iter(lambda: response.read(1 << 16), b""):
                    f.write(block)
                    done += len(block)
                    _progress(label, done, total, stream)
                stream.write("\n")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise UserError("could not download %s (%s); %s" % (url, reason, GET_DATA_HINT))

    install_atomically(fill, dest, sha256, url)


def copy_from_mirror(mirror, dataset, dest):
    source = os.path.join(mirror, dataset["mirror"])
    if not os.path.isfile(source):
        raise UserError("mirror %s has no %s; point --mirror (or DATA_MIRROR) at a folder laid "
                        "out like energy/elec_load.csv and %s"
                        % (mirror, dataset["mirror"], dataset["mirror"]))

    def fill(f):
        with open(source, "rb") as src:
            shutil.copyfileobj(src, f)

    install_atomically(fill, dest, dataset["sha256"], source)


def load_goldberg_builder():
    """Import data/bach/build_goldberg.py by path (data/ is not a package)."""
    path = os.path.join(HERE, "bach", "build_goldberg.py")
    spec = importlib.util.spec_from_file_location("build_goldberg", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def download_mutopia_sources(builder, ly_dir):
    """The 31 pinned LilyPond files into ly_dir (kept when already there and intact)."""
    for entry in builder.MUTOPIA_FILES:
        filename, sha256, urls = entry[0], entry[1], entry[2:]
        target = os.path.join(ly_dir, filename)
        if is_intact(target, sha256):
            continue
        errors = []
        for url in _flatten(urls):
            try:
                download(url, target, sha256, label=filename)
                break
            except UserError as exc:
                errors.append(str(exc))
        else:
            raise UserError(errors[-1])


def build_goldberg_from_internet(dataset, dest, data_root):
    """The documented route: download the 31 Mutopia LilyPond files, engrave, convert.

    Returns how the result was accepted: by its sha256, or (two-staff corpus built with
    other tool versions) by the corpus's checks, recorded next to it.
    """
    builder = load_goldberg_builder()
    corpus = dataset["corpus"]
    missing = builder.missing_tools(corpus)
    if missing:
        raise UserError("building the Goldberg corpus needs %s (%s); or copy it from a local "
                        "mirror ('python data/fetch.py --mirror DIR' or DATA_MIRROR=DIR)"
                        % (", ".join(missing), INSTALL_HINT))
    ly_dir = os.path.join(data_root, "bach", "mutopia")
    download_mutopia_sources(builder, ly_dir)
    print("bach: building the %s ABC corpus with lilypond (about 2 minutes on 2 idle cores)"
          % corpus)
    try:
        got, figures = builder.build_corpus(ly_dir, dest, progress=print, corpus=corpus)
    except builder.BuildError as exc:
        raise UserError(str(exc))
    if corpus == "two-staff":
        print("bach: checks passed: %s" % describe_checks(figures))
    if got == dataset["sha256"]:
        return "sha256 ok"
    if corpus != "two-staff":
        print("warning: the rebuilt corpus differs from the reference (sha256 %s, expected "
              "%s), most likely other lilypond/abcmidi versions; results may differ slightly"
              % (got, dataset["sha256"]))
        return "sha256 differs"
    record_accepted_build(data_root, got, figures)
    return ("bytes differ from the reference (sha256 %s, expected %s), accepted on its checks"
            % (got, dataset["sha256"]))


def describe_checks(figures):
    return ("%d tunes, %d bars a staff in step (%d rest-only), %d notes as played (%d in "
            "LilyPond's MIDI) compared with LilyPond's MIDI, %d mismatches"
            % tuple(figures.get(key, 0) for key in ("tunes", "bars", "rest_bars", "notes",
                                                    "lilypond_notes", "mismatches")))


def record_accepted_build(data_root, sha256, figures):
    """Remember that original.txt with this sha256 passed the checks (no rebuild next time)."""
    path = os.path.join(data_root, ACCEPTED_BUILD)
    text = json.dumps({"sha256": sha256, "corpus": "two-staff", "checks": figures},
                      indent=1, sort_keys=True) + "\n"
    install_atomically(lambda f: f.write(text.encode("ascii")), path, None, path)


def accepted_build_sha256(data_root):
    """The sha256 of a two-staff build accepted on its checks, or None."""
    try:
        with open(os.path.join(data_root, ACCEPTED_BUILD), encoding="ascii") as f:
            return json.load(f).get("sha256")
    except (OSError, ValueError):
        return None


def _flatten(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            for sub in item:
                yield sub
        else:
            yield item


def dataset_for(name, corpus="two-staff"):
    """The data set `name`; for bach, the two-staff (default) or the many-voice corpus."""
    if name == "bach" and corpus == "many-voice":
        return BACH_MANY_VOICE
    return DATASETS[name]


def is_present(dataset, dest, data_root):
    """dest holds this data set: its reference sha256, or an accepted two-staff build."""
    if not os.path.isfile(dest):
        return False
    got = sha256_of(dest)
    if got == dataset["sha256"]:
        return True
    return dataset.get("corpus") == "two-staff" and got == accepted_build_sha256(data_root)


def fetch(name, data_root=HERE, mirror=None, corpus="two-staff"):
    """Make sure data set `name` is present and intact; return its path."""
    dataset = dataset_for(name, corpus)
    label = name if name != "bach" else "bach (%s)" % dataset["corpus"]
    dest = os.path.join(data_root, dataset["dest"])
    if is_present(dataset, dest, data_root):
        print("%s: %s already present (sha256 ok)" % (label, dest))
        return dest
    if os.path.exists(dest):
        print("%s: %s has another checksum (an older or other corpus); fetching it again"
              % (label, dest))
    result = "sha256 ok"
    if mirror:
        copy_from_mirror(mirror, dataset, dest)
        how = "copied from %s" % os.path.join(mirror, dataset["mirror"])
    elif dataset["url"]:
        download(dataset["url"], dest, dataset["sha256"])
        how = "downloaded from %s" % dataset["url"]
    else:
        result = build_goldberg_from_internet(dataset, dest, data_root)
        how = "built from the Mutopia Project sources"
    print("%s: %s %s (%s)" % (label, dest, how, result))
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Files: energy -> data/elec_load.csv; bach -> data/bach/original.txt. Without a "
               "mirror, bach is built from the Mutopia sources with LilyPond (%s). A "
               "failure you can fix (offline, no tools, bad mirror, a build that fails its "
               "checks) prints one line and exits with code 2." % INSTALL_HINT)
    parser.add_argument("datasets", nargs="*", default=[], metavar="DATASET",
                        help="energy and/or bach (default: both)")
    parser.add_argument("--corpus", choices=CORPORA, default="two-staff",
                        help="which Goldberg corpus becomes bach/original.txt: two-staff "
                             "(default; one voice per staff, as the chapter trained on) or "
                             "many-voice (the older goldberg.abc, for earlier figures)")
    parser.add_argument("--mirror", default=os.environ.get("DATA_MIRROR") or None,
                        help="copy from this local folder instead of the internet "
                             "(default: $DATA_MIRROR)")
    parser.add_argument("--data_dir", default=HERE,
                        help="where to put the files (default: this data/ folder)")
    args = parser.parse_args(argv)
    names = args.datasets or sorted(DATASETS)
    for name in names:
        if name not in DATASETS:
            parser.error("unknown data set %r; choose from %s" % (name, ", ".join(DATASETS)))
    if args.mirror and not os.path.isdir(args.mirror):
        print("error: mirror folder %s does not exist; %s" % (args.mirror, GET_DATA_HINT),
              file=sys.stderr)
        return 2
    try:
        for name in names:
            fetch(name, data_root=args.data_dir, mirror=args.mirror, corpus=args.corpus)
    except UserError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing half-written was kept, run the command again",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
