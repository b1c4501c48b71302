"""Build goldberg.abc (Bach, Goldberg Variations in ABC) from the Mutopia Project's LilyPond files.

Usage: python data/bach/build_goldberg.py --ly-dir DIR --out FILE

DIR holds the 31 files named in MUTOPIA_FILES (checked against their sha256 first).
Needs LilyPond (lilypond, convert-ly) and abcMIDI (midi2abc): apt-get install lilypond abcmidi.
The reference corpus was built with Debian 12's lilypond 2.24.1 and abcmidi 20230208; other
versions may give a slightly different file (build_corpus returns its sha256).

Steps (as in the corpus's SOURCE.md):
1. convert-ly -e on each source (written for LilyPond 2.16-2.18).
2. Remove every \\paper { ... } block (layout only; 2.24 rejects some of their settings).
3. v06: delete each `\\extendLaissezVibrer #N ` call; v16: `liftTie = {}` (cosmetic helpers
   2.24 rejects and that would drop notes).
4. One MIDI track per voice: move Staff_performer from Staff to Voice in the \\midi block.
5. lilypond -dno-print-pages -s -o OUT FILE.ly
6. midi2abc -f FILE.midi -aul 16 -bpl 4 -bps 4 -noly (2 bars a line for 11, 20, 24, 25).
7. Rewrite each result as one tune (rewrite_tune below) and join the tunes with a blank line.
   The clef rule that reproduces the reference file exactly: a voice gets clef=bass when
   midi2abc wrote `%%clef bass` for it, or when the median of its notes written without an
   accidental sign is below G3 (SOURCE.md says only "median pitch below G3").
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

_GITHUB = ("https://raw.githubusercontent.com/MutopiaProject/MutopiaProject/"
           "2144afd6f52d56c5b6995b8b589ef1268b3139f0/ftp/BachJS/BWV988/")
_MUTOPIA = "https://www.mutopiaproject.org/ftp/BachJS/BWV988/"

_SHA256 = [
    ("bwv-988-aria", "f86adfb84573bc7775fe48750f7ee9b6df2adf2fcc5e32fb52c09e589c9e12af"),
    ("bwv-988-v01", "24fcef149fc4ac2b562020f7db2c38084bee0c47c73adec9cea7134d1aa18b5c"),
    ("bwv-988-v02", "bfe6f97f5a04443d198503b763cbe281db97980b4c2931094c2ccf06c1dae411"),
    ("bwv-988-v03", "ff0d2b05ad82e6941ade222cba2818667cde157fb9e8918d7d51a985a93a815d"),
    ("bwv-988-v04", "fd38ccd26679e13280fd0cf8cfb0caa3a7ec3b2c5eba45667bd24124609c8d42"),
    ("bwv-988-v05", "645f0ca7a4a738f9e03b3d02f6ea292cd32a016e15c809f60452e57c034c9cab"),
    ("bwv-988-v06", "f4f8c9fa39952435412fca97f89dffb7144b75cdaf140c2432b27f5b090c2659"),
    ("bwv-988-v07", "60c7843daa113ee3a6926295d213e2f6cc52362d288b8b420e9864d787b6f7f9"),
    ("bwv-988-v08", "fd21593f098606c5b2726c1db42649355a6011ec3081130a49e5c221ae62c33a"),
    ("bwv-988-v09", "0cbc879fddc7fcde8d2229cc7dd4b467f35f7f8e1ae3998124953621be111e73"),
    ("bwv-988-v10", "452223b03d1fa81dbb70d5aa5e946ee23883b4b8d6586f5e2c7e7c4d2f060283"),
    ("bwv-988-v11", "2a18b6cfe66a8976dc05601274b7f75c04e6969410e28f185c0d0ce7002bb758"),
    ("bwv-988-v12", "9dbdd58703a3d4fcc9e9f8278eba210ef0256de6bf24de711e92403055d20528"),
    ("bwv-988-v13", "99be952302124d2a8a9bb7416df769961857466e1c8fcf046bdc2c56bec3512b"),
    ("bwv-988-v14", "0ba6de9c3f5cd1cbe70539106cc1d087d7a8e69dcd1479b6dfde5c47fa7c5276"),
    ("bwv-988-v15", "8cd35a7871ae08ffdecf4553357e9da2104077e369d42fea9aa9887eb04e298d"),
    ("bwv-988-v16", "11a165225bcbff86a6c556d3075af6a85aa307a75691b5c9cc49c2c3291efb25"),
    ("bwv-988-v17", "8ed946fa097f724e3457f79ab567b65d7031a2fab45c8649a784f9e47e45c5e9"),
    ("bwv-988-v18", "c3fc64fe340230196d1f6aaa7ddbfed319f2cfa03292925652979989f26dfd6a"),
    ("bwv-988-v19", "fc3fd21b649e6b41657a08274787ec0cf8e77eac153ff04fd10a84c2fb91d8c9"),
    ("bwv-988-v20", "8c2d0c189d4dd4e9ed8f51c576e1707d95449b4c6c7e9fa621f71f8e949c1780"),
    ("bwv-988-v21", "2a778159d348b6e39abd9d834d329237f0263e091a8020460b95b1a9e4cf782e"),
    ("bwv-988-v22", "d328cd81bbfba3e5881332c3546bd832caccf1259f6756e71e66a662d708a0fb"),
    ("bwv-988-v23", "55cf9b809fea0f189662663e6aacc7a81f8eecca012984b1c482d85c95b9b3b5"),
    ("bwv-988-v24", "caf26a86367bc453dd1b6751b75dba2cbbe2d9d55179a89ccb9cb547be77ec12"),
    ("bwv-988-v25", "82546e6b2d03e5f0e23b2e596a74ae074e9c1aa690e24560795124beee8b2811"),
    ("bwv-988-v26", "57e2bdcf64fe0248ba5645100dd8df6f217ffc7d466bd2b26a9136cd45c14906"),
    ("bwv-988-v27", "d2465d8f5e25e5d5640e9699c9f1dba6c23c9bd8d12fa74d1c3bf41438d8331e"),
    ("bwv-988-v28", "6dfaadcd938448639e4aa19861504330ec73adaf9733e95507b1ba4d82f652c6"),
    ("bwv-988-v29", "4f8abd7fadb2eb798e79f5085ecee0e780bfca66edb35829ce36fee630776b8d"),
    ("bwv-988-v30", "2a3191ca67c54cf73b20f0d2d58e4093e8bd0e0f58b0c1f224d9cdb29562b9f3"),
]

# (filename, sha256, url, fallback url): the GitHub URL pins the commit the reference copies
# come from (2024-11-07); mutopiaproject.org serves the current version of the same file.
MUTOPIA_FILES = [(name + ".ly", sha, _GITHUB + "%s/%s.ly" % (name, name),
                  _MUTOPIA + "%s/%s.ly" % (name, name)) for name, sha in _SHA256]

REQUIRED_TOOLS = ("lilypond", "convert-ly", "midi2abc")
INSTALL_HINT = "apt-get install lilypond abcmidi"
TWO_BARS_A_LINE = (11, 20, 24, 25)  # variations whose 4-bar systems abcm2ps cannot engrave
BASS_CLEF_BELOW = 55  # MIDI number of G3 (ABC `G,`)
# midi2abc names a key signature by its major key; the corpus names the ones it uses by the
# key the music is in (1 sharp: G major; 2 flats: G minor).
KEY_NAMES = {"G": "G", "Bb": "Gm"}


class BuildError(Exception):
    """A problem the user can fix (missing tool, wrong file); printed as one line."""


def missing_tools():
    """The external programs the build needs that are not on PATH."""
    return [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_sources(ly_dir, files=None):
    """Raise BuildError unless every source is in ly_dir with its pinned sha256."""
    for entry in files or MUTOPIA_FILES:
        filename, expected = entry[0], entry[1]
        path = os.path.join(ly_dir, filename)
        if not os.path.isfile(path):
            raise BuildError("%s not found in %s; download it from %s"
                             % (filename, ly_dir, entry[2]))
        got = sha256_of(path)
        if got != expected:
            raise BuildError("%s has sha256 %s, expected %s; download it again from %s"
                             % (path, got, expected, entry[2]))


# ---- steps 2-4: text edits on the converted LilyPond source ----

def _skip_comment_or_string(text, i):
    """If a comment or string starts at i, return the index just past it; else i."""
    if text.startswith("%{", i):
        end = text.find("%}", i + 2)
        return len(text) if end < 0 else end + 2
    if text[i] == "%":
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    if text[i] == '"':
        j = i + 1
        while j < len(text) and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return j + 1
    return i


def _find_blocks(text, keyword):
    """(start, open_brace, close_brace) of each `\\keyword { ... }` outside comments and strings."""
    blocks, i = [], 0
    pattern = re.compile(r"\\%s\s*\{" % re.escape(keyword))
    while i < len(text):
        j = _skip_comment_or_string(text, i)
        if j != i:
            i = j
            continue
        match = pattern.match(text, i)
        if not match:
            i += 1
            continue
        open_brace = match.end() - 1
        depth, k = 0, open_brace
        while k < len(text):
            j = _skip_comment_or_string(text, k)
            if j != k:
                k = j
                continue
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        blocks.append((i, open_brace, k))
        i = k + 1
    return blocks


def remove_paper_blocks(text):
    """Step 2: drop every \\paper { ... } block."""
    for start, _, close in reversed(_find_blocks(text, "paper")):
        text = text[:start] + text[close + 1:]
    return text


def remove_rejected_helpers(text, piece):
    """Step 3: the two cosmetic helpers LilyPond 2.24 rejects (v06, v16)."""
    if piece == "bwv-988-v06":
        text = re.sub(r"\\extendLaissezVibrer #\d+ ", "", text)
    if piece == "bwv-988-v16":
        text = re.sub(r"(?m)^liftTie = \\shape .*$", "liftTie = {}", text)
    return text


MIDI_PER_VOICE = (' \\context { \\Staff \\remove "Staff_performer" }'
                  ' \\context { \\Voice \\consists "Staff_performer" }')


def midi_track_per_voice(text):
    """Step 4: insert the per-voice performer contexts at the start of each \\midi block."""
    blocks = _find_blocks(text, "midi")
    if not blocks:
        raise BuildError("no \\midi block found: the source does not make MIDI output")
    for _, open_brace, _ in reversed(blocks):
        text = text[:open_brace + 1] + MIDI_PER_VOICE + text[open_brace + 1:]
    return text


# ---- step 7: rewrite midi2abc's output (pure text functions) ----

_NOTE = re.compile(r"(\^\^|\^|__|_|=)?([A-Ga-g])([',]*)")
_SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def _strip_decorations(line):
    """The line without chord symbols/annotations ("...") and inline fields ([K:...])."""
    line = re.sub(r'"[^"]*"', "", line)
    return re.sub(r"\[[A-Za-z]:[^\]]*\]", "", line)


def plain_note_pitches(lines):
    """MIDI numbers of the notes written without an accidental sign (C = 60, c = 72).

    The reference corpus's clef rule counts only these notes: a note with ^, _ or = is
    left out of the median, and a key signature is not applied (it never moves a
    natural note across G3 here).
    """
    pitches = []
    for line in lines:
        for accidental, letter, octave in _NOTE.findall(_strip_decorations(line)):
            if accidental:
                continue
            pitch = 60 + _SEMITONES[letter.upper()] + (12 if letter.islower() else 0)
            pitches.append(pitch + 12 * octave.count("'") - 12 * octave.count(","))
    return pitches


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


class Voice(object):
    """One V: section of midi2abc's output: its body lines and midi2abc's clef choice."""

    def __init__(self, lines=None, bass_clef=False):
        self.lines = lines if lines is not None else []
        self.bass_clef = bass_clef

    def is_rest_only(self):
        """True when the voice holds no note, only rests, bars and durations."""
        return not any(_NOTE.search(_strip_decorations(line)) for line in self.lines)

    def wants_bass_clef(self):
        """midi2abc chose %%clef bass, or the median pitch is below G3."""
        pitches = plain_note_pitches(self.lines)
        return self.bass_clef or bool(pitches) and median(pitches) < BASS_CLEF_BELOW


def parse_midi2abc(text):
    """Split midi2abc output into (fields, voices).

    fields: header letter -> value (first occurrence, stripped of its % comment);
    voices: one Voice per V: section, body lines stripped, without comment or %% lines.
    """
    fields, voices, current = {}, [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("%"):
            if current is not None and line.split() == ["%%clef", "bass"]:
                current.bass_clef = True
            continue
        field = re.match(r"^([A-Za-z]):\s*(.*)$", line)
        if field and field.group(1) == "V":
            current = Voice()
            voices.append(current)
            continue
        if field and current is None:
            fields.setdefault(field.group(1), field.group(2).split("%")[0].strip())
            continue
        if current is None:  # body without V: lines (a single voice)
            current = Voice()
            voices.append(current)
        # midi2abc ends a line that continues the same staff with " \\"
        body = line.split("%")[0].strip().rstrip("\\").rstrip()
        if body:
            current.lines.append(body)
    return fields, voices


def tune_title(number):
    """Tune 1 is the Aria, tune k+1 is Variation no. k."""
    return "Aria" if number == 1 else "Variation no. %d" % (number - 1)


def rewrite_tune(midi2abc_text, number, title=None, composer="J.S.Bach"):
    """Step 7: one tune from midi2abc's output, voices interleaved line by line."""
    fields, voices = parse_midi2abc(midi2abc_text)
    key = fields["K"].split()[0] if fields.get("K") else "C"
    voices = [voice for voice in voices if not voice.is_rest_only()]
    if not voices:
        raise BuildError("tune %d has no notes" % number)
    header = ["X:%d" % number, "T:%s" % (title or tune_title(number)), "C:%s" % composer]
    if "M" in fields:
        header.append("M:%s" % fields["M"])
    header.append("L:1/16")
    if "Q" in fields:
        header.append("Q:%s" % fields["Q"])
    for index, voice in enumerate(voices, 1):
        header.append("V:%d%s" % (index, " clef=bass" if voice.wants_bass_clef() else ""))
    header.append("K:%s" % KEY_NAMES.get(key, key))
    body = []
    for row in range(max(len(voice.lines) for voice in voices)):
        for index, voice in enumerate(voices, 1):
            if row < len(voice.lines):
                body.append("[V:%d]%s" % (index, voice.lines[row]))
    return "\n".join(header + body) + "\n"


def join_tunes(tunes):
    """Tunes separated by one blank line."""
    return "\n".join(tunes)


# ---- the whole build ----

def _run(command, cwd):
    try:
        done = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
    except OSError as exc:
        raise BuildError("cannot run %s (%s); %s" % (command[0], exc, INSTALL_HINT))
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BuildError("%s failed on %s: %s" % (command[0], command[-1], last))
    return done.stdout


def bars_per_line(piece):
    match = re.search(r"-v(\d+)$", piece)
    return 2 if match and int(match.group(1)) in TWO_BARS_A_LINE else 4


def ly_to_midi2abc(ly_path, work_dir):
    """Steps 1-6 for one source: return midi2abc's text."""
    piece = os.path.splitext(os.path.basename(ly_path))[0]
    work_ly = os.path.join(work_dir, piece + ".ly")
    shutil.copyfile(ly_path, work_ly)
    _run(["convert-ly", "-e", piece + ".ly"], work_dir)
    with open(work_ly, encoding="utf-8") as f:
        text = f.read()
    text = midi_track_per_voice(remove_rejected_helpers(remove_paper_blocks(text), piece))
    with open(work_ly, "w", encoding="utf-8") as f:
        f.write(text)
    _run(["lilypond", "-dno-print-pages", "-s", "-o", piece, piece + ".ly"], work_dir)
    midi = [name for name in (piece + ".midi", piece + ".mid")
            if os.path.exists(os.path.join(work_dir, name))]
    if not midi:
        raise BuildError("lilypond wrote no MIDI file for %s" % piece)
    per_line = str(bars_per_line(piece))
    return _run(["midi2abc", "-f", midi[0], "-aul", "16", "-bpl", per_line, "-bps", "4",
                 "-noly"], work_dir)


def write_atomically(text, out_path):
    folder = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".goldberg-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def build_corpus(ly_dir, out_path, work_dir=None, files=None, progress=None):
    """Steps 1-7 on the sources in ly_dir; write the ABC to out_path; return its sha256.

    `files` (default MUTOPIA_FILES, in tune order) and `progress` (a print-like callable)
    exist for tests and the CLI.
    """
    files = files or MUTOPIA_FILES
    missing = missing_tools()
    if missing:
        raise BuildError("building the Goldberg corpus needs %s (%s)"
                         % (", ".join(missing), INSTALL_HINT))
    verify_sources(ly_dir, files)
    own_dir = work_dir is None
    work_dir = tempfile.mkdtemp(prefix="goldberg-") if own_dir else work_dir
    os.makedirs(work_dir, exist_ok=True)
    try:
        tunes = []
        for number, entry in enumerate(files, 1):
            if progress:
                progress("%2d/%d %s" % (number, len(files), entry[0]))
            abc = ly_to_midi2abc(os.path.join(ly_dir, entry[0]), work_dir)
            tunes.append(rewrite_tune(abc, number))
    finally:
        if own_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    text = join_tunes(tunes)
    write_atomically(text, out_path)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ly-dir", required=True, help="folder with the 31 Mutopia .ly files")
    parser.add_argument("--out", required=True, help="where to write the ABC corpus")
    parser.add_argument("--work-dir", default=None,
                        help="keep the intermediate files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.ly_dir):
        print("error: %s is not a folder; pass the folder holding the Mutopia .ly files"
              % args.ly_dir, file=sys.stderr)
        return 2
    try:
        digest = build_corpus(args.ly_dir, args.out, args.work_dir, progress=print)
    except BuildError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; %s was not changed" % args.out, file=sys.stderr)
        return 2
    print("wrote %s (sha256 %s)" % (args.out, digest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
