"""Check sampled ABC music with the ABC ecosystem's own tools, and render it.

    python bach/check_abc.py FILE [--corpus FILE] [--render DIR] [--json]

A tune is valid as a musician means it when it breaks none of these rules, each named in
the report (`failed_rules`):
- abc_grammar.STRUCTURE_RULES, read in pure Python: header_order (X: first, K: last),
  header_values, voice_lines, voices_declared, voices_in_step (the voices take turns line
  by line, each line holding the same bars as the matching line of every other voice),
  closing_bar_line;
- abc2midi_errors and abcm2ps_errors: any error either tool reports (abc2midi exits 0 even
  on errors, so its output is read, not its exit code; an abcm2ps error such as "Output
  buffer overflow" leaves a tune without its score);
- track_lengths: abc2midi's "Track N is X quarter notes long not Y" (voices out of step);
- voice_sequence: abc2midi's "V:N out of sequence" (a voice the header did not declare).
Bars of the wrong length for the meter come from abc2abc ("Bar 1 is 1/4 not 3/4"), as a
figure beside validity. Each tool runs once per tune, on a file that holds only that tune,
so every message belongs to one tune. Needs no TensorFlow.

Tunes begin and end as abc_grammar.tune_spans says; a last tune cut off by the end of the
text is reported as truncated and left out of every figure. Text before the first `X:` is
not a tune.
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import concurrent.futures  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import abc_grammar  # noqa: E402
from utils import (OneLineParser, UserError, read_text, user_errors_exit,  # noqa: E402
                   write_json_atomically)

REQUIRED_TOOLS = ("abc2midi", "abc2abc", "abcm2ps")
PNG_TOOL = "rsvg-convert"
INSTALL_HINT = "sudo apt-get install abcmidi abcm2ps"
PNG_HINT = "sudo apt-get install librsvg2-bin"
HEADER_FIELDS = ("X", "T", "M", "L", "K")
# Rules that abc2midi's warnings break (see the module docstring).
WARNING_RULES = (("track_lengths", re.compile(r"^Track \d+ is .* quarter notes long not")),
                 ("voice_sequence", re.compile(r"out of sequence")))
TOOL_TIMEOUT_S = 60
MAX_MESSAGES = 25  # per kind and tune in the report
SUMMARY_INVALID = 10  # invalid tunes named in the printed summary

_MIDI_MESSAGE = re.compile(r"^(Error|Warning)\b(?: in line-char (\d+)-(\d+))?\s*:\s*(.*)$")
_PS_MESSAGE = re.compile(r"^(?:[^:\n]*:(\d+):(\d+): )?(error|warning): (.*)$", re.I)
_PS_ECHO = re.compile(r"^\s*(\d+ |\^)")  # abcm2ps echoes the bad source line and a caret
_PS_INFO = re.compile(r"^(abcm2ps-|File |Output written on )")
_BAD_BAR = re.compile(r"^%Error : (Bar \d+ is \S+ not \S+)\s*$")
_ABC2ABC_MESSAGE = re.compile(r"^%(Error|Warning) : (.*)$")
_RENDERED_FILE = re.compile(r"^tune_\d+\.(mid|svg|png)$")


# ---------------------------------------------------------------- pure Python parts

def split_tunes(text):
    """The tunes of `text` (abc_grammar.split_tunes: index, text, truncated). A list of
    texts (say one sample per seed) is split text by text, so each text's cut-off end is
    judged on its own; then each tune also has `sample`, its text's 0-based index."""
    if not isinstance(text, (list, tuple)):
        return abc_grammar.split_tunes(text)
    tunes = []
    for k, one in enumerate(text):
        for tune in abc_grammar.split_tunes(one):
            tune.update(index=len(tunes) + 1, sample=k)
            tunes.append(tune)
    return tunes


def _leading_chars(text):
    """Characters before the first tune (not part of any)."""
    if isinstance(text, (list, tuple)):
        return sum(_leading_chars(one) for one in text)
    spans = abc_grammar.tune_spans(text)
    return spans[0][0] if spans else len(text)


def _joined(text):
    """A list of texts as one ABC text, each ending in a newline."""
    if isinstance(text, (list, tuple)):
        return "".join(one if one.endswith("\n") else one + "\n" for one in text)
    return text


def parse_tune(tune_text):
    """Header fields, body lines, bar counts and broken structure rules of one tune,
    without any tool."""
    fields, body = abc_grammar.split_header(tune_text)
    header = {}
    for letter, value in fields:
        header.setdefault(letter, value)
    music = abc_grammar.music_lines(body)
    return {
        "fields": [f for f in HEADER_FIELDS if f in header],
        "missing_fields": [f for f in HEADER_FIELDS if f not in header],
        "x": header.get("X"),
        "title": header.get("T"),
        "body": "\n".join(body),
        "voice_lines": [ln.rstrip() for ln in music if abc_grammar.line_voice(ln)],
        "bars": sum(abc_grammar.count_bars(ln) for ln in music),
        "rest_bars": sum(abc_grammar.count_bars(ln, rests_only=True) for ln in music),
        "structure": abc_grammar.structure_problems(tune_text),
    }


class _SuffixAutomaton(object):
    """All substrings of a text, so the longest copied run of another text is found in
    time linear in that text's length."""

    def __init__(self, text):
        self.next, self.link, self.length = [{}], [-1], [0]
        last = 0
        for ch in text:
            cur = len(self.length)
            self.next.append({})
            self.link.append(0)
            self.length.append(self.length[last] + 1)
            p = last
            while p != -1 and ch not in self.next[p]:
                self.next[p][ch] = cur
                p = self.link[p]
            if p != -1:
                q = self.next[p][ch]
                if self.length[p] + 1 == self.length[q]:
                    self.link[cur] = q
                else:
                    clone = len(self.length)
                    self.next.append(dict(self.next[q]))
                    self.link.append(self.link[q])
                    self.length.append(self.length[p] + 1)
                    while p != -1 and self.next[p].get(ch) == q:
                        self.next[p][ch] = clone
                        p = self.link[p]
                    self.link[q] = clone
                    self.link[cur] = clone
            last = cur

    def longest_match(self, text):
        """(length, end) of the longest substring of `text` that occurs in the corpus."""
        state, run, best, best_end = 0, 0, 0, 0
        for i, ch in enumerate(text):
            while state and ch not in self.next[state]:
                state = self.link[state]
                run = self.length[state]
            if ch in self.next[state]:
                state = self.next[state][ch]
                run += 1
            else:
                state, run = 0, 0
            if run > best:
                best, best_end = run, i + 1
        return best, best_end


@functools.lru_cache(maxsize=2)
def _automaton(corpus_text):
    return _SuffixAutomaton(corpus_text)


def longest_copy(text, corpus_text):
    """The longest run of characters of `text` that occurs verbatim in `corpus_text`."""
    length, end = _automaton(corpus_text).longest_match(text)
    return text[end - length:end]


def corpus_voice_lines(corpus_text):
    return {ln.rstrip() for ln in corpus_text.split("\n") if ln.startswith("[V:")}


# ---------------------------------------------------------------- the tools

def missing_tools(png=False):
    """Executables the checker needs that are not on PATH (with png: also the PNG one)."""
    tools = REQUIRED_TOOLS + ((PNG_TOOL,) if png else ())
    return [t for t in tools if shutil.which(t) is None]


def missing_tools_message(missing):
    return "ABC tools not found (%s); install them: %s" % (", ".join(missing), INSTALL_HINT)


def _run(args, cwd):
    """(exit code, stdout + stderr) of one tool; a hung tool counts as exit code None."""
    try:
        done = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % TOOL_TIMEOUT_S
    return done.returncode, done.stdout.decode("utf-8", "replace")


def tool_versions():
    versions = {}
    for tool, flag in (("abc2midi", "-ver"), ("abc2abc", "-ver"), ("abcm2ps", "-V"),
                       (PNG_TOOL, "--version")):
        if shutil.which(tool) is None:
            versions[tool] = None
            continue
        _, out = _run([tool, flag], None)
        first = out.strip().split("\n")[0]
        # "4.84 January 20 2023 abc2midi", "abcm2ps-8.14.14 (...)", "rsvg-convert version 2.54.7"
        for noise in (tool + "-", tool + " version", tool):
            first = first.replace(noise, "")
        versions[tool] = first.strip()
    return versions


def _message(tool, kind, text, line=None, col=None):
    return {"tool": tool, "kind": kind, "line": int(line) if line else None,
            "col": int(col) if col else None, "message": text.strip()}


def _abc2midi(workdir):
    rc, out = _run(["abc2midi", "tune.abc", "-o", "tune.mid"], workdir)
    messages = []
    for raw in out.split("\n"):
        m = _MIDI_MESSAGE.match(raw.strip())
        if m:
            messages.append(_message("abc2midi", m.group(1).lower(), m.group(4),
                                     m.group(2), m.group(3)))
    if not any(m["kind"] == "error" for m in messages):
        if rc is None:
            messages.append(_message("abc2midi", "error", out))
        elif rc != 0:  # it exits 0 after reporting errors, so this is a crash
            messages.append(_message("abc2midi", "error", "exit code %d" % rc))
        elif not os.path.exists(os.path.join(workdir, "tune.mid")):
            messages.append(_message("abc2midi", "error", "no MIDI file written"))
    return messages


def _abcm2ps(workdir):
    """abcm2ps into one SVG per page (tune001.svg, ...); its errors and warnings. An error
    about the layout ("Line too much shrunk") counts too: the corpus is laid out to avoid
    it (data/bach/STAVES.md, step 8)."""
    rc, out = _run(["abcm2ps", "tune.abc", "-v", "-O", "tune.svg"], workdir)
    messages = []
    for raw in out.split("\n"):
        line = raw.rstrip()
        if not line.strip() or _PS_INFO.match(line) or _PS_ECHO.match(line):
            continue
        m = _PS_MESSAGE.match(line)
        if m:
            kind, text = m.group(3).lower(), m.group(4)
            messages.append(_message("abcm2ps", kind, text, m.group(1), m.group(2)))
        else:  # e.g. "Line 5: Unexpected EOF in header definition" before a failure
            messages.append(_message("abcm2ps", "error" if rc else "warning", line))
    if rc != 0 and not any(m["kind"] == "error" for m in messages):
        messages.append(_message("abcm2ps", "error", "exit code %s: %s" % (rc, out.strip()[-200:])))
    return messages


def _abc2abc(workdir):
    """Bars of the wrong length (with the partial line before each) and other messages."""
    rc, out = _run(["abc2abc", "tune.abc"], workdir)
    bad_bars, messages, previous = [], [], ""
    for raw in out.split("\n"):
        line = raw.rstrip()
        bad = _BAD_BAR.match(line)
        other = _ABC2ABC_MESSAGE.match(line)
        if bad:
            bad_bars.append({"message": bad.group(1), "context": previous[-80:]})
        elif other:
            messages.append(_message("abc2abc", other.group(1).lower(), other.group(2)))
        else:
            previous = line
    if rc is None:
        messages.append(_message("abc2abc", "error", out))
    return bad_bars, messages


def tool_rules(messages):
    """The rules (module docstring) that the tools' messages say a tune breaks."""
    rules = []
    for tool in ("abc2midi", "abcm2ps"):
        if any(m["tool"] == tool and m["kind"] == "error" for m in messages):
            rules.append(tool + "_errors")
    for rule, pattern in WARNING_RULES:
        if any(m["tool"] == "abc2midi" and pattern.search(m["message"]) for m in messages):
            rules.append(rule)
    return rules


def check_tune(tune_text, workdir):
    """Run the three tools on one tune inside `workdir` (left holding tune.abc, tune.mid
    and tune001.svg...). Returns the tools' part of the tune's details; `valid` and
    `failed_rules` there judge the tools' messages only (see _check for the rest)."""
    with open(os.path.join(workdir, "tune.abc"), "w", encoding="utf-8") as f:
        f.write(tune_text)
    midi = _abc2midi(workdir)
    ps = _abcm2ps(workdir)
    bad_bars, abc2abc_messages = _abc2abc(workdir)
    messages = midi + ps
    details = {"bad_bars": len(bad_bars)}
    # Counts are complete; the lists keep the first few, so garbage keeps report.json small.
    for key, kind_messages in (
            ("errors", [m for m in messages if m["kind"] == "error"]),
            ("warnings", [m for m in messages if m["kind"] == "warning"]),
            ("bad_bar_messages", bad_bars), ("abc2abc_messages", abc2abc_messages)):
        details[key] = kind_messages[:MAX_MESSAGES]
        details[key + "_count"] = len(kind_messages)
    details["failed_rules"] = tool_rules(messages)
    details["valid"] = not details["failed_rules"]
    return details


# ---------------------------------------------------------------- the report

def _fraction(part, whole):
    return None if part is None or not whole else part / float(whole)


def _tune_details(tune):
    """(parsed tune, its details without the tools)."""
    parsed = parse_tune(tune["text"])
    details = {"index": tune["index"], "sample": tune.get("sample"),
               "x": parsed["x"], "title": parsed["title"],
               "truncated": tune["truncated"], "chars": len(tune["text"]),
               "fields": parsed["fields"], "missing_fields": parsed["missing_fields"],
               "bars": parsed["bars"], "rest_bars": parsed["rest_bars"],
               "voice_lines": len(parsed["voice_lines"]),
               "structure_problems": ["%s: %s" % p for p in parsed["structure"]]}
    return parsed, details


def _run_tools(per_tune, keep, workers):
    """The tools on every complete tune, in threads; a tune's failed rules are its
    structure's and the tools'."""
    def work(item):
        tune, parsed, details = item
        with tempfile.TemporaryDirectory(prefix="check_abc_") as workdir:
            details.update(check_tune(tune["text"], workdir))
            structure = [r for r, _ in parsed["structure"]]
            details["failed_rules"] = sorted(set(structure), key=structure.index) + \
                details["failed_rules"]
            details["valid"] = not details["failed_rules"]
            if keep is not None and details["valid"]:
                keep(tune, details, workdir)
    todo = [item for item in per_tune if not item[0]["truncated"]]
    workers = workers or min(8, (os.cpu_count() or 1) * 2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(work, todo):
            pass


def _check(text, corpus_text, keep, workers):
    """The report; `keep(tune, details, workdir)`, when given, is called for each valid
    tune while its tool outputs still exist."""
    tunes = split_tunes(text)
    complete = [t for t in tunes if not t["truncated"]]
    missing = missing_tools()
    per_tune = [(tune,) + _tune_details(tune) for tune in tunes]
    if not missing:
        _run_tools(per_tune, keep, workers)
    checked = [d for t, _, d in per_tune if not t["truncated"]]
    bars = sum(d["bars"] for d in checked)
    rest_bars = sum(d["rest_bars"] for d in checked)
    report = {
        "tunes": len(complete),
        "truncated": len(tunes) - len(complete),
        "leading_chars": _leading_chars(text),
        "valid_tunes": None, "valid_fraction": None,
        "bars": bars, "bad_bars": None, "bad_bar_fraction": None,
        # Bars of rests only, beside the corpus' share: a sampler that refuses wrong bars
        # would favour them (they always have the right length).
        "rest_bars": rest_bars, "rest_bar_fraction": _fraction(rest_bars, bars),
        "errors": None, "warnings": None, "failed_rules": None,
    }
    if not missing:
        valid = sum(1 for d in checked if d["valid"])
        bad = sum(d["bad_bars"] for d in checked)
        report.update({
            "valid_tunes": valid, "valid_fraction": _fraction(valid, len(complete)),
            "bad_bars": bad, "bad_bar_fraction": _fraction(bad, bars),
            "errors": sum(d["errors_count"] for d in checked),
            "warnings": sum(d["warnings_count"] for d in checked),
            "failed_rules": _rule_counts(checked),
        })
    report.update(_novelty(complete_parsed=[(t, p) for t, p, _ in per_tune if not t["truncated"]],
                           corpus_text=corpus_text))
    report["missing_tools"] = missing
    report["message"] = missing_tools_message(missing) if missing else None
    report["tools"] = tool_versions()
    report["per_tune"] = [d for _, _, d in per_tune]
    return report


def _rule_counts(checked):
    """{rule: tunes that break it}, most often broken first."""
    counts = {}
    for details in checked:
        for rule in details["failed_rules"]:
            counts[rule] = counts.get(rule, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _novelty(complete_parsed, corpus_text):
    lines = [ln for _, p in complete_parsed for ln in p["voice_lines"]]
    result = {"voice_lines": len(lines), "novel_voice_lines": None, "novel_lines": None,
              "longest_copy": None, "longest_copy_text": None, "longest_body_copy": None}
    if corpus_text is None:
        return result
    known = corpus_voice_lines(corpus_text)
    novel = sum(1 for ln in lines if ln not in known)
    best, best_body = "", ""
    for tune, parsed in complete_parsed:
        copy = longest_copy(tune["text"], corpus_text)
        if len(copy) > len(best):
            best = copy
        body_copy = longest_copy(parsed["body"], corpus_text)
        if len(body_copy) > len(best_body):
            best_body = body_copy
    result.update({"novel_voice_lines": novel, "novel_lines": _fraction(novel, len(lines)),
                   "longest_copy": len(best), "longest_copy_text": best,
                   "longest_body_copy": len(best_body)})
    return result


def check_abc_text(text, corpus_text=None, workers=None):
    """Check every complete tune of `text` (a string, or a list of them: see split_tunes);
    novelty against `corpus_text` when given.

    Returns a JSON-ready dict: tunes (complete ones), truncated, valid_tunes,
    valid_fraction, bars, bad_bars, bad_bar_fraction, errors, warnings, failed_rules,
    voice_lines, novel_lines (None without a corpus), longest_copy, per_tune, tools,
    missing_tools and message (None, or what to install). Figures the tools would give
    are None when they are missing.
    """
    return _check(text, corpus_text, None, workers)


def render(abc_text, out_dir, corpus_text=None, workers=None):
    """Write out_dir/sample.abc, for each valid tune tune_NN.mid, tune_NN.svg (the whole
    score) and tune_NN.png (its first page), and out_dir/report.json; return the report.
    tune_NN.* files of an earlier render in out_dir are removed first.
    Paths in the report's `files` are relative to out_dir. `abc_text` may be a list of
    texts (see split_tunes); sample.abc then holds them one after another, and a tune cut
    off at the end of one text reads as complete when sample.abc is checked again."""
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    # Scores of an earlier render in the same folder would pass for this sample's.
    for old in os.listdir(out_dir):
        if _RENDERED_FILE.match(old):
            os.remove(os.path.join(out_dir, old))
    with open(os.path.join(out_dir, "sample.abc"), "w", encoding="utf-8") as f:
        f.write(_joined(abc_text))
    can_png = shutil.which(PNG_TOOL) is not None

    def keep(tune, details, workdir):
        name = "tune_%02d" % tune["index"]
        files = {}
        shutil.copyfile(os.path.join(workdir, "tune.mid"), os.path.join(out_dir, name + ".mid"))
        files["midi"] = name + ".mid"
        # One SVG for the whole score: abcm2ps -g appends a number to the name it is given.
        _run(["abcm2ps", "tune.abc", "-g", "-O", "score.svg"], workdir)
        if os.path.exists(os.path.join(workdir, "score001.svg")):
            shutil.copyfile(os.path.join(workdir, "score001.svg"),
                            os.path.join(out_dir, name + ".svg"))
            files["svg"] = name + ".svg"
        if can_png and os.path.exists(os.path.join(workdir, "tune001.svg")):
            _run([PNG_TOOL, "-b", "white", "-o", os.path.join(out_dir, name + ".png"),
                  "tune001.svg"], workdir)
            if os.path.exists(os.path.join(out_dir, name + ".png")):
                files["png"] = name + ".png"
        details["files"] = files

    report = _check(abc_text, corpus_text, keep, workers)
    report["files"] = {"sample": "sample.abc", "report": "report.json"}
    if not can_png and not report["missing_tools"]:
        report["png_message"] = "no PNG previews: %s not found; install it: %s" % (
            PNG_TOOL, PNG_HINT)
    write_json_atomically(os.path.join(out_dir, "report.json"), report)
    return report


# ---------------------------------------------------------------- command line

def _percent(value):
    return "n/a" if value is None else "%.1f%%" % (100.0 * value)


def rules_line(failed_rules):
    """'rules broken: voices_in_step in 2 tunes, ...' from a report's failed_rules."""
    return "rules broken: " + ", ".join("%s in %d tune%s" % (rule, n, "s"[n == 1:])
                                        for rule, n in failed_rules.items())


def summary_lines(report):
    """A short readable summary of a report."""
    lines = ["tunes: %d complete, %d truncated (left out)" % (report["tunes"], report["truncated"])]
    if report["missing_tools"]:
        lines.append("valid: not checked, ABC tools missing (%s)"
                     % ", ".join(report["missing_tools"]))
        lines.append("bars: %d" % report["bars"])
    else:
        lines.append("valid: %d of %d (%s); errors %d, warnings %d"
                     % (report["valid_tunes"], report["tunes"], _percent(report["valid_fraction"]),
                        report["errors"], report["warnings"]))
        if report["failed_rules"]:
            lines.append(rules_line(report["failed_rules"]))
        lines.append("bars: %d, wrong length: %d (%s), rests only: %d (%s)"
                     % (report["bars"], report["bad_bars"], _percent(report["bad_bar_fraction"]),
                        report["rest_bars"], _percent(report["rest_bar_fraction"])))
    if report["novel_lines"] is not None or report["longest_copy"] is not None:
        lines.append("novel lines: %s of %d voice lines are not in the corpus"
                     % (_percent(report["novel_lines"]), report["voice_lines"]))
        lines.append("longest copy: %d characters from the corpus (%d within a tune body)"
                     % (report["longest_copy"], report["longest_body_copy"]))
    invalid = [d for d in report["per_tune"] if d.get("valid") is False]
    for d in invalid[:SUMMARY_INVALID]:
        first = (d["structure_problems"] or ["%(tool)s: %(message)s" % m for m in
                                             d["errors"] + d["warnings"]] or [""])[0]
        lines.append("  invalid tune %d (X:%s %s): %s; %s" % (
            d["index"], d["x"], d["title"] or "", ", ".join(d["failed_rules"]), first))
    if len(invalid) > SUMMARY_INVALID:
        lines.append("  ... %d more invalid tunes (all in --json)"
                     % (len(invalid) - SUMMARY_INVALID))
    tools = ", ".join("%s %s" % (k, v) for k, v in sorted(report["tools"].items()) if v)
    lines.append("tools: %s" % (tools or "none"))
    return lines


def read_abc_file(path, what):
    """The text of an ABC file (`what`: "ABC file", "corpus"); a UserError if it can't be read."""
    return read_text(path, "give the %s's path" % what)[0]


def main(argv=None):
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", help="ABC file to check (a sample or the corpus)")
    parser.add_argument("--corpus", help="training corpus, for novel lines and the longest copy")
    parser.add_argument("--render", metavar="DIR",
                        help="also write MIDI, SVG, PNG and report.json for each valid tune to DIR")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    with user_errors_exit():
        text = read_abc_file(args.file, "ABC file")
        corpus = read_abc_file(args.corpus, "corpus") if args.corpus else None
        if not split_tunes(text):
            raise UserError("%s holds no tune (no line starts with X:)" % args.file)
        if args.render and os.path.exists(args.render) and not os.path.isdir(args.render):
            raise UserError("--render %s is a file, not a folder" % args.render)
        if args.render:
            report = render(text, args.render, corpus)
        else:
            report = check_abc_text(text, corpus)
        if args.json:
            print(json.dumps(report, indent=1, sort_keys=True))
        else:
            print("\n".join(summary_lines(report)))
            if args.render:
                print("written to %s: sample.abc, report.json, MIDI/SVG/PNG of %d valid tunes"
                      % (args.render, report["valid_tunes"] or 0))
                if report.get("png_message"):
                    print(report["png_message"])
        if report["missing_tools"]:
            raise UserError(report["message"])


if __name__ == "__main__":
    main()
