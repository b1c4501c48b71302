"""The many-voice Goldberg corpus (goldberg.abc): midi2abc's output rewritten as one tune.

Pure text functions for step 7 of SOURCE.md (one ABC voice per MIDI track); build_goldberg.py
edits the LilyPond sources and runs LilyPond and midi2abc around them.
The clef rule that reproduces the reference file exactly: a voice gets clef=bass when
midi2abc wrote `%%clef bass` for it, or when the median of its notes written without an
accidental sign is below G3 (SOURCE.md says only "median pitch below G3").
"""
import re

TWO_BARS_A_LINE = (11, 20, 24, 25)  # variations whose 4-bar systems abcm2ps cannot engrave
BASS_CLEF_BELOW = 55  # MIDI number of G3 (ABC `G,`)
# midi2abc names a key signature by its major key; the corpus names the ones it uses by the
# key the music is in (1 sharp: G major; 2 flats: G minor).
KEY_NAMES = {"G": "G", "Bb": "Gm"}


class RewriteError(Exception):
    """midi2abc's output cannot be made into a tune."""


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
        raise RewriteError("tune %d has no notes" % number)
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


def bars_per_line(piece):
    match = re.search(r"-v(\d+)$", piece)
    return 2 if match and int(match.group(1)) in TWO_BARS_A_LINE else 4
