"""Build the Goldberg Variations corpus in ABC from the Mutopia Project's LilyPond files.

    python data/bach/build_goldberg.py --ly-dir DIR --out FILE            # two staves
    python data/bach/build_goldberg.py --ly-dir DIR --out FILE --corpus many-voice

DIR holds the 31 files named in MUTOPIA_FILES (checked against their sha256 first).

two-staff (default): goldberg_staves.abc, one ABC voice per printed staff, built as
  ../shared/data/bach/STAVES.md says step by step: LilyPond (with Scheme engravers that log
  bars, repeats, clefs and spellings, and without grace notes) makes MIDI; the MIDI and the
  log become ABC (goldberg_staves.py); abcm2ps picks 4 or 2 bars a line; then every tune is
  checked: V:1 and V:2 in step line by line, and abc2midi's MIDI of it equal note for note
  to LilyPond's. Needs lilypond, convert-ly, abcm2ps, abc2midi:
  apt-get install lilypond abcm2ps abcmidi.
many-voice: goldberg.abc, the older corpus with one ABC voice per LilyPond voice, made by
  midi2abc as SOURCE.md says (goldberg_many_voice.py). Needs lilypond, convert-ly, midi2abc.

The reference files were built with Debian 12's lilypond 2.24.1, abcm2ps 8.14.14 and abcmidi
20230208; other versions may give other bytes (build_corpus returns the sha256).
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldberg_many_voice  # noqa: E402  (siblings: data/ is not a package)
import goldberg_staves  # noqa: E402

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

CORPORA = ("two-staff", "many-voice")
REQUIRED_TOOLS = {"two-staff": ("lilypond", "convert-ly", "abcm2ps", "abc2midi"),
                  "many-voice": ("lilypond", "convert-ly", "midi2abc")}
INSTALL_HINT = "apt-get install lilypond abcm2ps abcmidi"


class BuildError(Exception):
    """A problem the user can fix (missing tool, wrong file); printed as one line."""


def missing_tools(corpus="two-staff"):
    """The external programs the build of `corpus` needs that are not on PATH."""
    return [tool for tool in REQUIRED_TOOLS[corpus] if shutil.which(tool) is None]


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


# ---- text edits on the converted LilyPond source (SOURCE.md 2-4, STAVES.md 1) ----

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


# Step 1 of STAVES.md: Scheme engravers that log what the MIDI does not say (bar starts,
# meters, repeats, voltas, clefs, spellings) to the tab-separated file named by $CORPUS_LOG.
LOGGER_LY = r"""
% corpus logger: one tab-separated row per event, moments in whole notes.
% Score: repeat and volta events. Staff: the timing at every time step (bar position,
% measure length, time signature, typed bar line, clef). Voice: each note as spelled.
#(define corpus-log-port #f)
#(define (corpus-log . fields)
  (if (not corpus-log-port)
      (set! corpus-log-port (open-file (or (getenv "CORPUS_LOG") "corpus.log") "w")))
  (display (string-join (map (lambda (x) (if (string? x) x (format #f "~a" x))) fields) "\t")
           corpus-log-port)
  (newline corpus-log-port)
  (force-output corpus-log-port))
#(define (corpus-now context) (ly:moment-main (ly:context-current-moment context)))
#(define (corpus-grace? context)
  (not (zero? (ly:moment-grace (ly:context-current-moment context)))))
#(define (corpus-score-logger context)
  (make-engraver
   (listeners
    ((volta-repeat-start-event engraver event)
     (corpus-log "repeat-start" (corpus-now context) (ly:event-property event 'repeat-count 0)))
    ((volta-repeat-end-event engraver event)
     (corpus-log "repeat-end" (corpus-now context) (ly:event-property event 'repeat-count 0)))
    ((volta-span-event engraver event)
     (if (eqv? (ly:event-property event 'span-direction) START)
         (corpus-log "volta" (corpus-now context)
                     (ly:event-property event 'volta-numbers '())))))))
#(define (corpus-staff-logger context)
  (make-engraver
   ((process-music engraver)
    (corpus-log "timing" (corpus-now context) (ly:context-id context)
                (ly:moment-main (ly:context-property context 'measurePosition (ly:make-moment 0)))
                (ly:moment-main (ly:context-property context 'measureLength (ly:make-moment 0)))
                (ly:context-property context 'timeSignatureFraction '())
                (ly:context-property context 'whichBar "")
                (ly:context-property context 'clefGlyph "")))))
#(define (corpus-voice-logger context)
  (make-engraver
   (listeners
    ((note-event engraver event)
     (let ((pitch (ly:event-property event 'pitch))
           (staff (ly:context-find context 'Staff)))
       (if (and (ly:pitch? pitch) (not (corpus-grace? context)))
           (corpus-log "note" (corpus-now context)
                       (if staff (ly:context-id staff) "")
                       (+ 60 (ly:pitch-semitones pitch))
                       (ly:pitch-notename pitch) (ly:pitch-alteration pitch)
                       (ly:pitch-octave pitch))))))))
\layout {
  \context { \Score \consists #corpus-score-logger }
  \context { \Staff \consists #corpus-staff-logger }
  \context { \Voice \consists #corpus-voice-logger }
}
% Grace notes become empty music. Applied to the finished score expression, so the
% octaves \relative gave the following notes stay as they are.
removeGraces = #(define-music-function (music) (ly:music?)
  (music-map (lambda (m)
               (if (eq? (ly:music-property m 'name) 'GraceMusic)
                   (make-music 'SequentialMusic 'elements '())
                   m))
             music))
"""


def insert_logger(text):
    """Put the logger right after the \\version line (at the top if there is none)."""
    match = re.search(r"(?m)^\\version.*\n", text)
    at = match.end() if match else 0
    return text[:at] + LOGGER_LY + text[at:]


def insert_remove_graces(text):
    """Apply removeGraces to the whole score: right after the first `\\score {`."""
    match = re.search(r"\\score\s*\{", text)
    if not match:
        raise BuildError("no \\score block found in the LilyPond source")
    return text[:match.end()] + " \\removeGraces " + text[match.end():]


def prepare_staves_source(text, piece):
    """Step 1 after convert-ly: the edits of SOURCE.md 2-3, the logger and removeGraces."""
    text = remove_rejected_helpers(remove_paper_blocks(text), piece)
    return insert_remove_graces(insert_logger(text))


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


# ---- running the tools ----

def _run(command, cwd, env=None):
    try:
        done = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, env=env)
    except OSError as exc:
        raise BuildError("cannot run %s (%s); %s" % (command[0], exc, INSTALL_HINT))
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BuildError("%s failed on %s: %s" % (command[0], command[-1], last))
    return done.stdout


def engrave_staves(ly_path, work_dir):
    """Steps 1-2 for one source: (MIDI bytes, log text) from LilyPond with the logger."""
    piece = os.path.splitext(os.path.basename(ly_path))[0]
    work_ly = os.path.join(work_dir, piece + ".ly")
    shutil.copyfile(ly_path, work_ly)
    _run(["convert-ly", "-e", piece + ".ly"], work_dir)
    with open(work_ly, encoding="utf-8") as f:
        text = prepare_staves_source(f.read(), piece)
    with open(work_ly, "w", encoding="utf-8") as f:
        f.write(text)
    log_path = os.path.abspath(os.path.join(work_dir, piece + ".log"))
    if os.path.exists(log_path):
        os.remove(log_path)
    env = dict(os.environ, CORPUS_LOG=log_path)
    _run(["lilypond", "-dno-print-pages", "-o", piece, piece + ".ly"], work_dir, env=env)
    midi = [os.path.join(work_dir, piece + ext) for ext in (".midi", ".mid")]
    midi = [path for path in midi if os.path.exists(path)]
    if not midi or not os.path.exists(log_path):
        raise BuildError("lilypond wrote no MIDI file or no log for %s" % piece)
    with open(midi[0], "rb") as f:
        midi_bytes = f.read()
    with open(log_path, encoding="utf-8") as f:
        return midi_bytes, f.read()


def ly_to_midi2abc(ly_path, work_dir):
    """SOURCE.md steps 1-6 for one source: return midi2abc's text (many-voice corpus)."""
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
    per_line = str(goldberg_many_voice.bars_per_line(piece))
    return _run(["midi2abc", "-f", midi[0], "-aul", "16", "-bpl", per_line, "-bps", "4",
                 "-noly"], work_dir)


def abcm2ps_accepts(tune_text):
    """abcm2ps engraves the tune without an error (STAVES.md step 8's layout test)."""
    done = subprocess.run(["abcm2ps", "-q", "-", "-O", os.devnull], input=tune_text,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    return done.returncode == 0 and "error" not in done.stdout.lower()


def two_staff_tune(piece, number):
    """Step 8's layout: 4 bars a line, or 2 when abcm2ps reports an error for 4."""
    tune = piece.tune(number, 4)
    if not abcm2ps_accepts(tune):
        tune = piece.tune(number, 2)
    return tune


def _in_parallel(function, items, jobs):
    """function(item) for each item, `jobs` at a time, results in order."""
    if jobs <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(function, items))


def build_two_staff(ly_dir, work_dir, files, progress=None, jobs=2):
    """STAVES.md steps 1-9 and its checks; return (text, figures). Raises BuildError."""
    def engrave(numbered):
        number, entry = numbered
        piece_dir = os.path.join(work_dir, "%02d" % number)
        os.makedirs(piece_dir, exist_ok=True)
        result = engrave_staves(os.path.join(ly_dir, entry[0]), piece_dir)
        if progress:
            progress("%2d/%d %s engraved" % (number, len(files), entry[0]))
        return result

    engraved = _in_parallel(engrave, list(enumerate(files, 1)), jobs)
    try:
        pieces = [goldberg_staves.Piece(midi, log) for midi, log in engraved]
        tunes = [two_staff_tune(piece, number) for number, piece in enumerate(pieces, 1)]
        text = goldberg_staves.join_tunes(tunes)
        problems, figures = goldberg_staves.check_corpus(text, pieces, work_dir)
    except goldberg_staves.ConversionError as exc:
        raise BuildError("converting LilyPond's MIDI to ABC failed: %s" % exc)
    except UnicodeEncodeError:
        raise BuildError("the ABC corpus is not pure ASCII")
    if problems:
        raise BuildError("the built corpus fails %d checks, first: %s"
                         % (len(problems), problems[0]))
    figures["fallback_spellings"] = sum(piece.speller.fallbacks for piece in pieces)
    return text, figures


def build_many_voice(ly_dir, work_dir, files, progress=None):
    """SOURCE.md steps 1-7: the older corpus, one ABC voice per LilyPond voice."""
    tunes = []
    for number, entry in enumerate(files, 1):
        if progress:
            progress("%2d/%d %s" % (number, len(files), entry[0]))
        piece_dir = os.path.join(work_dir, "%02d" % number)
        os.makedirs(piece_dir, exist_ok=True)
        abc = ly_to_midi2abc(os.path.join(ly_dir, entry[0]), piece_dir)
        try:
            tunes.append(goldberg_many_voice.rewrite_tune(abc, number))
        except goldberg_many_voice.RewriteError as exc:
            raise BuildError(str(exc))
    return goldberg_many_voice.join_tunes(tunes), {"tunes": len(tunes)}


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


def build_corpus(ly_dir, out_path, work_dir=None, files=None, progress=None,
                 corpus="two-staff", jobs=2):
    """Build `corpus` from the sources in ly_dir; write it to out_path.

    Returns (sha256, figures); figures of the two-staff corpus are its checks (tunes, bars,
    rest_bars, notes compared, mismatches). `files` (default MUTOPIA_FILES, in tune order)
    and `progress` (a print-like callable) exist for tests and the CLI. out_path is written
    only when the build and its checks succeed.
    """
    files = files or MUTOPIA_FILES
    missing = missing_tools(corpus)
    if missing:
        raise BuildError("building the Goldberg corpus needs %s (%s)"
                         % (", ".join(missing), INSTALL_HINT))
    verify_sources(ly_dir, files)
    own_dir = work_dir is None
    work_dir = tempfile.mkdtemp(prefix="goldberg-") if own_dir else work_dir
    os.makedirs(work_dir, exist_ok=True)
    try:
        if corpus == "two-staff":
            text, figures = build_two_staff(ly_dir, work_dir, files, progress, jobs)
        else:
            text, figures = build_many_voice(ly_dir, work_dir, files, progress)
    finally:
        if own_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    write_atomically(text, out_path)
    return hashlib.sha256(text.encode("ascii")).hexdigest(), figures


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Needs: %s. The two-staff build takes about 4 CPU minutes (2 on 2 idle cores)."
        % INSTALL_HINT)
    parser.add_argument("--ly-dir", required=True, help="folder with the 31 Mutopia .ly files")
    parser.add_argument("--out", required=True, help="where to write the ABC corpus")
    parser.add_argument("--corpus", choices=CORPORA, default="two-staff",
                        help="two-staff (goldberg_staves.abc, the default) or many-voice "
                             "(goldberg.abc, the older corpus)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="LilyPond runs at a time (default 2)")
    parser.add_argument("--work-dir", default=None,
                        help="keep the intermediate files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.ly_dir):
        print("error: %s is not a folder; pass the folder holding the Mutopia .ly files"
              % args.ly_dir, file=sys.stderr)
        return 2
    try:
        digest, figures = build_corpus(args.ly_dir, args.out, args.work_dir, progress=print,
                                       corpus=args.corpus, jobs=args.jobs)
    except BuildError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; %s was not changed" % args.out, file=sys.stderr)
        return 2
    print("checks: " + ", ".join("%s %s" % item for item in sorted(figures.items())))
    print("wrote %s (sha256 %s)" % (args.out, digest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
