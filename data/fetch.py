"""Fetch the chapter's two data sets into data/.

    python data/fetch.py                          # both, from their public sources
    python data/fetch.py --mirror ../shared/data  # both, copied from a local mirror
    DATA_MIRROR=../shared/data python data/fetch.py energy

energy -> data/elec_load.csv     (UCI ElectricityLoadDiagrams20112014, one client, CC BY 4.0)
bach   -> data/bach/original.txt (Goldberg Variations in ABC, built from the Mutopia
                                  Project's engravings, CC BY-SA 3.0)

A file already present with the right sha256 is kept. Downloads and copies are written
to a temporary name, checked, then renamed, so a half file never sits under the final name.
A mirror is a folder laid out like this project's shared data: energy/elec_load.csv,
bach/goldberg.abc (and optionally bach/mutopia/*.ly).
"""
import argparse
import hashlib
import importlib.util
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
    "dest": "bach/original.txt",
    "sha256": "2d354f5c05d1bb0bdbf7fc2b438f497c0f7a12b41f854ded0a247658e3239ac3",
    "size": 61068,
    "url": None,  # no single file online: rebuilt from the Mutopia sources (build_goldberg.py)
    "mirror": "bach/goldberg.abc",
}
DATASETS = {"energy": ENERGY, "bach": BACH}
GET_DATA_HINT = ("connect to the internet and run 'python data/fetch.py' again, or copy the data "
                 "from a local mirror with 'python data/fetch.py --mirror DIR' (or DATA_MIRROR=DIR)")


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
                        "out like energy/elec_load.csv and bach/goldberg.abc"
                        % (mirror, dataset["mirror"]))

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


def build_goldberg_from_internet(dest, data_root):
    """The documented route: download the 31 Mutopia LilyPond files, engrave MIDI, convert."""
    builder = load_goldberg_builder()
    missing = builder.missing_tools()
    if missing:
        raise UserError("building the Goldberg corpus needs %s (apt-get install lilypond "
                        "abcmidi); or copy it from a local mirror ('python data/fetch.py "
                        "--mirror DIR' or DATA_MIRROR=DIR)" % ", ".join(missing))
    ly_dir = os.path.join(data_root, "bach", "mutopia")
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
    print("bach: building the ABC corpus with lilypond and midi2abc (about 1.5 minutes)")
    try:
        got = builder.build_corpus(ly_dir, dest, progress=print)
    except builder.BuildError as exc:
        raise UserError(str(exc))
    if got != BACH["sha256"]:
        print("warning: the rebuilt corpus differs from the reference (sha256 %s, expected %s), "
              "most likely other lilypond/abcmidi versions; results may differ slightly"
              % (got, BACH["sha256"]))


def _flatten(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            for sub in item:
                yield sub
        else:
            yield item


def fetch(name, data_root=HERE, mirror=None):
    """Make sure data set `name` is present and intact; return its path."""
    dataset = DATASETS[name]
    dest = os.path.join(data_root, dataset["dest"])
    if is_intact(dest, dataset["sha256"]):
        print("%s: %s already present (sha256 ok)" % (name, dest))
        return dest
    if os.path.exists(dest):
        print("%s: %s has the wrong checksum; fetching it again" % (name, dest))
    if mirror:
        copy_from_mirror(mirror, dataset, dest)
        how = "copied from %s" % os.path.join(mirror, dataset["mirror"])
    elif dataset["url"]:
        download(dataset["url"], dest, dataset["sha256"])
        how = "downloaded from %s" % dataset["url"]
    else:
        build_goldberg_from_internet(dest, data_root)
        how = "built from the Mutopia Project sources"
    print("%s: %s %s (sha256 ok)" % (name, dest, how))
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", default=[], metavar="DATASET", help="energy and/or bach (default: both)")
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
            fetch(name, data_root=args.data_dir, mirror=args.mirror)
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
