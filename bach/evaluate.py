"""Judge a trained model's music: N sampled tunes checked with the ABC tools.

Samples --tunes tunes (50), each with the prime `X:` and its own seed (--first_seed, the
next, ...), with the model's stored --sample, --sampler and --temperature (train.py's)
unless the same flags here say otherwise. Keeps the first complete tune of each sample (a
sample without one counts as an invalid tune; the structured sampler writes exactly one),
checks them with bach/check_abc.py against the corpus, and prints: valid tunes and the rules
broken, bars of the wrong length, bars of rests only beside the corpus' share, novel voice
lines (not verbatim in the corpus), the longest copy, and the model's bits per character on
the pieces training never saw (train.py's --val_pieces). The report goes to --report
(SAVE_DIR/evaluation.json).

Then the music metrics (bach/music_metrics.py, unless --no_metrics), computed the same way
for the complete sampled tunes ("model"), the corpus and its held-out pieces (the corpus
tunes whose X: lines train.py's --val_pieces kept out of training): MusPy's metrics, time
with two or more pitches sounding, rest-only bars, the tonic in the bass at the end,
music21's key estimate, Yang & Lerch histogram overlaps with the corpus beside the corpus
halves' ceiling, tune lengths, novel voice lines and the longest copy in consecutive bars
of a voice line (the held-out pieces: against the corpus's other pieces). They go into the
report (`metrics`), a Markdown table (metrics.md) and a figure of the three histograms
(metrics.png) beside it. The corpus's records are cached next to it, keyed by its sha256
(metrics_cache_<sha>.json). They need abc2midi, muspy and music21; without them one line
says so and the rest runs.

    python bach/evaluate.py --save_dir save_best
    python bach/evaluate.py --save_dir save_best --tunes 10 --render samples/best
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import argparse  # noqa: E402
import collections  # noqa: E402
import hashlib  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

import abc_grammar  # noqa: E402
import music_metrics  # noqa: E402
from sample import add_sampling_flags, line_prior_of, sampling_settings  # noqa: E402
from utils import (OneLineParser, UserError, heldout_loader, load_save_dir,  # noqa: E402
                   user_errors_exit, write_json_atomically, write_text_atomically)

DEFAULT_CORPUS = os.path.join("data", "bach", "original.txt")


def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--save_dir", default="save", help="model folder (default %(default)s)")
    p.add_argument("--checkpoint", default=None,
                   help="a checkpoint of the folder other than the newest (its path prefix)")
    p.add_argument("--tunes", type=int, default=50, help="samples, one tune kept from each "
                   "(default %(default)s)")
    p.add_argument("-n", type=int, default=4000,
                   help="characters per sample of the graph and loop samplers; a tune is "
                        "~2000, at most ~3800 (default %(default)s)")
    p.add_argument("--prime", default="X:", help="start of every sample (default %(default)s)")
    p.add_argument("--first_seed", type=int, default=1, help="seed of the first sample; the "
                   "others count up (default %(default)s)")
    add_sampling_flags(p)
    p.add_argument("--corpus", default=DEFAULT_CORPUS,
                   help="ABC corpus for novelty (default %(default)s)")
    p.add_argument("--report", default=None, help="JSON report (default SAVE_DIR/evaluation.json)")
    p.add_argument("--render", metavar="DIR", default=None,
                   help="also write the tunes' sample.abc, MIDI, SVG and PNG scores to DIR")
    p.add_argument("--no_metrics", action="store_true",
                   help="skip the music metrics (MusPy, music21, histogram overlaps)")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    return p


def heldout_bpc(tf, config, ckpt, held):
    """(bits per character on the pieces the model never trained on, what they are, their
    X: lines); `held`: utils.heldout_loader(config). The bits are None when it was trained
    without --val_pieces (or its input.txt is gone)."""
    from model import Model
    loader, why_not = held
    if loader is None:
        return None, why_not, []
    names = list(loader.val_piece_names)
    if not loader.val_num_batches:
        return None, "held-out pieces hold no text", names
    graph = tf.Graph()
    with graph.as_default():
        model = Model(argparse.Namespace(**config))
        saver = tf.train.Saver(model.model_variables)
        with tf.Session(graph=graph) as sess:
            saver.restore(sess, ckpt)
            nats = model.mean_loss(sess, loader.val_batches)
    return nats / math.log(2), ", ".join(names), names


def structured_heldout_bpc(tf, config, chars, ckpt, line_prior, held):
    """{bpc, plain_bpc, characters}: bits per character that the structured sampler's
    distribution (its mask with the corpus' own grammar, abc_mask.CORPUS_GRAMMAR, and the
    line prior) and the plain model spend on the same characters of the held-out pieces
    (`held`: utils.heldout_loader(config)); None without held-out pieces."""
    from abc_mask import CORPUS_GRAMMAR
    from sample import load_model
    from sampling import StructuredSampler
    loader, _ = held
    if loader is None or not loader.val_streams:
        return None
    pieces = [loader.decode(stream) for stream in loader.val_streams]
    model, sess, _ = load_model(tf, config, chars, ckpt, "structured")
    with sess:
        bits, plain, count = StructuredSampler(model, sess, chars, line_prior).score(
            pieces, CORPUS_GRAMMAR)
    if not count:
        return None
    return {"bpc": bits / count, "plain_bpc": plain / count, "characters": count}


def sample_tunes(tf, config, chars, ckpt, count, num, prime, first_seed, temperature,
                 sampling_type, sampler="graph", line_prior=None):
    """(samples, tunes, stats): each sample's text, its first complete tune (None if none)
    and the structured sampler's figures (None for the others)."""
    from sample import generate, load_model
    loaded = load_model(tf, config, chars, ckpt, sampler)
    if sampler == "structured":
        num = 1  # one whole tune
    samples, stats = [], []
    with loaded[1]:
        for seed in range(first_seed, first_seed + count):
            text, structured = generate(loaded, chars, num, prime, sampling_type,
                                        temperature, seed, sampler, line_prior)
            samples.append(text)
            stats.append(structured)
    return samples, [abc_grammar.first_complete_tune(s) for s in samples], stats


def checked_inputs(args):
    """(config, chars, checkpoint, corpus text or None) once the flags, the save folder,
    the corpus and the ABC tools are found good; a UserError otherwise."""
    import check_abc
    config, chars, ckpt = load_save_dir(args.save_dir)
    if args.checkpoint:
        if not os.path.isfile(args.checkpoint + ".index"):
            raise UserError("--checkpoint %s not found (give the path without .index)"
                            % args.checkpoint)
        ckpt = args.checkpoint
    unknown = sorted(set(args.prime) - set(chars))
    if unknown:
        raise UserError("--prime has characters not in the model's vocabulary: %s"
                        % " ".join(repr(c) for c in unknown))
    corpus = check_abc.read_abc_file(args.corpus, "corpus") if args.corpus else None
    missing = check_abc.missing_tools()
    if missing:
        raise UserError(check_abc.missing_tools_message(missing))
    return config, chars, ckpt, corpus


def evaluate(args):
    import check_abc
    config, chars, ckpt, corpus = checked_inputs(args)
    metrics_missing = [] if args.no_metrics else music_metrics.missing_dependencies()
    sampling_settings(args, config)
    temperature, sampling_type, sampler = args.temperature, args.sample, args.sampler
    if sampler == "loop":  # the same draws as graph, only slower
        sampler = "graph"

    from tfcompat import tf_v1
    tf = tf_v1(args.verbose)
    start = time.time()
    samples, tunes, stats = sample_tunes(tf, config, chars, ckpt, args.tunes, args.n,
                                         args.prime, args.first_seed, temperature,
                                         sampling_type, sampler, line_prior_of(args))
    sample_s = time.time() - start
    held = heldout_loader(config)  # one loader: with --keys it transposes input.txt
    bpc, heldout, heldout_names = heldout_bpc(tf, config, ckpt, held)
    structured_bpc = (structured_heldout_bpc(tf, config, chars, ckpt, line_prior_of(args),
                                             held) if sampler == "structured" else None)
    complete = [t + "\n" for t in tunes if t is not None]  # + blank line: judged complete
    seeds = [args.first_seed + k for k, t in enumerate(tunes) if t is not None]
    if args.render:
        report = check_abc.render(complete, args.render, corpus) if complete else None
    else:
        report = check_abc.check_abc_text(complete, corpus) if complete else None
    valid = report["valid_tunes"] if report else 0
    if report:
        for details in report["per_tune"]:
            details["seed"] = seeds[details["sample"]]
    result = {
        "save_dir": args.save_dir, "checkpoint": ckpt, "prime": args.prime,
        "seeds": [args.first_seed, args.first_seed + args.tunes - 1], "chars_per_sample": args.n,
        "temperature": temperature, "sample_type": sampling_type, "sampler": sampler,
        "line_prior": args.line_prior if line_prior_of(args) else 0.0,
        "structured_sampler": structured_totals(stats),
        "samples": args.tunes, "complete_tunes": len(complete),
        "valid_tunes": valid, "valid_fraction": valid / float(args.tunes),
        "bars": report["bars"] if report else 0,
        "bad_bars": report["bad_bars"] if report else 0,
        "bad_bar_fraction": report["bad_bar_fraction"] if report else None,
        "rest_bars": report["rest_bars"] if report else 0,
        "rest_bar_fraction": report["rest_bar_fraction"] if report else None,
        "corpus_rest_bar_fraction": rest_bar_fraction(corpus),
        "voice_lines": report["voice_lines"] if report else 0,
        "novel_lines": report["novel_lines"] if report else None,
        "longest_copy": report["longest_copy"] if report else None,
        "longest_body_copy": report["longest_body_copy"] if report else None,
        "heldout_bpc": bpc, "heldout": heldout, "sampling_seconds": round(sample_s, 2),
        "heldout_structured": structured_bpc,
        "check": report,
    }
    result["metrics"] = (
        {"skipped": "--no_metrics"} if args.no_metrics else
        {"skipped": music_metrics.dependencies_message(metrics_missing)} if metrics_missing
        else music_report(complete, corpus, args.corpus, heldout_names))
    return result


def music_report(tunes, corpus_text, corpus_path, heldout_names, workers=2):
    """music_metrics' report of the sampled tunes ("model") beside the corpus and its
    held-out pieces, with copy figures; the corpus's records come from its cache."""
    corpus_tunes = music_metrics.tune_texts(corpus_text or "")
    if not corpus_tunes:
        return {"skipped": "no corpus to compare with (--corpus)"}
    sha256 = hashlib.sha256(corpus_text.encode("utf-8")).hexdigest()
    cache = music_metrics.cache_path_for(corpus_path, sha256)
    corpus_records, reused = music_metrics.cached_records(corpus_tunes, sha256, cache,
                                                          workers)
    held = set(name.strip() for name in heldout_names)
    is_held = [t.split("\n", 1)[0].strip() in held for t in corpus_tunes]
    named = collections.OrderedDict([("corpus", corpus_records)])
    if any(is_held):
        named["held-out"] = [r for r, h in zip(corpus_records, is_held) if h]
    named["model"] = music_metrics.analyse_tunes(tunes, workers)
    report = music_metrics.report_from_records(named, "corpus")
    report["sets"]["model"]["copies"] = music_metrics.copy_figures(tunes, corpus_tunes)
    if any(is_held):
        pieces = [[t for t, h in zip(corpus_tunes, is_held) if h == side]
                  for side in (True, False)]
        report["sets"]["held-out"]["copies"] = music_metrics.copy_figures(*pieces)
    report["per_tune"] = {"model": named["model"]}  # the corpus's are in the cache
    report["corpus_cache"] = {"path": cache, "reused": reused}
    report["heldout_pieces"] = [t.split("\n", 1)[0].strip()
                                for t, h in zip(corpus_tunes, is_held) if h]
    return report


def write_metrics(metrics, folder):
    """metrics.md (the table) and metrics.png (the histograms) in `folder`; their paths."""
    table_path = os.path.join(folder, "metrics.md")
    figure_path = os.path.join(folder, "metrics.png")
    try:
        write_text_atomically(table_path, music_metrics.markdown_table(metrics["sets"],
                                                                       metrics["ceiling"]))
        music_metrics.plot_histograms(metrics["sets"], figure_path)
    except OSError as e:
        raise UserError("cannot write %s (%s)" % (folder, e.strerror or e))
    return table_path, figure_path


def rest_bar_fraction(abc_text):
    """The share of bars holding only rests in an ABC text (None without one)."""
    if not abc_text:
        return None
    import check_abc
    parsed = [check_abc.parse_tune(t["text"]) for t in check_abc.split_tunes(abc_text)]
    bars = sum(p["bars"] for p in parsed)
    return sum(p["rest_bars"] for p in parsed) / float(bars) if bars else None


def structured_totals(stats):
    """The structured sampler's figures summed over the samples, or None for another."""
    stats = [st for st in stats if st]
    if not stats:
        return None
    return {key: sum(st[key] for st in stats) for key in ("drawn", "kept", "tunes")}


def _percent(value):
    return "n/a" if value is None else "%.1f%%" % (100.0 * value)


def summary_lines(r):
    lines = [
        "model: %s (%s sampler, temperature %g, line prior %g, sampling type %d, prime %r, "
        "seeds %d-%d, %d characters each)"
        % (r["checkpoint"], r["sampler"], r["temperature"], r.get("line_prior", 0.0),
           r["sample_type"], r["prime"], r["seeds"][0], r["seeds"][1], r["chars_per_sample"]),
        "tunes: %d samples, %d with a complete tune" % (r["samples"], r["complete_tunes"]),
        "valid: %d of %d (%s)" % (r["valid_tunes"], r["samples"], _percent(r["valid_fraction"])),
        "bad bars: %s of %s (%s)" % (r["bad_bars"], r["bars"], _percent(r["bad_bar_fraction"])),
        "bars of rests only: %s (%s; the corpus: %s)"
        % (r["rest_bars"], _percent(r["rest_bar_fraction"]),
           _percent(r["corpus_rest_bar_fraction"])),
        "novel lines: %s of %d voice lines" % (_percent(r["novel_lines"]), r["voice_lines"]),
        "longest copy: %s characters (%s within a tune body)"
        % (r["longest_copy"], r["longest_body_copy"]),
        "held-out bits per character: %s (%s)"
        % ("n/a" if r["heldout_bpc"] is None else "%.3f" % r["heldout_bpc"], r["heldout"]),
    ]
    if r.get("check") and r["check"].get("failed_rules"):
        import check_abc
        lines.insert(3, check_abc.rules_line(r["check"]["failed_rules"]))
    scored = r.get("heldout_structured")
    if scored:
        lines.append("held-out bits per character through the structured sampler's mask (the "
                     "corpus' grammar) and line prior: %.3f, the model alone %.3f, on the same "
                     "%d characters" % (scored["bpc"], scored["plain_bpc"], scored["characters"]))
    structured = r.get("structured_sampler")
    if structured:
        lines.append("structured sampler: %d characters drawn for %d kept (%.2f per kept)"
                     % (structured["drawn"], structured["kept"],
                        structured["drawn"] / float(max(structured["kept"], 1))))
    return lines


def metrics_lines(metrics):
    """The music metrics as printed: one line when skipped, else the Markdown table (metric
    | corpus | held-out | model), the ceiling's origin and where the outputs went."""
    if "sets" not in metrics:
        why = metrics["skipped"]
        return [why if why.startswith("music metrics") else "music metrics: skipped (%s)" % why]
    lines = ["", "music metrics (held-out pieces: %s):"
             % (", ".join(metrics["heldout_pieces"]) or "none")]
    lines += music_metrics.markdown_table(metrics["sets"], metrics["ceiling"]).splitlines()
    ceiling, cache = metrics["ceiling"], metrics["corpus_cache"]
    if ceiling:
        lines.append("ceiling: the mean overlap of the corpus's halves over %d random splits "
                     "of its %d tunes (seed %d)"
                     % (ceiling["splits"], ceiling["tunes"], ceiling["seed"]))
    lines.append("corpus records: %s %s" % ("read from" if cache["reused"] else "cached in",
                                            cache["path"]))
    if metrics.get("outputs"):
        lines.append("metrics: %s, %s" % tuple(metrics["outputs"]))
    return lines


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.tunes < 1:
        parser.error("--tunes must be at least 1")
    if args.n < 1:
        parser.error("-n must be at least 1")
    if not args.prime:
        parser.error("--prime is empty")
    with user_errors_exit():
        if args.render and os.path.exists(args.render) and not os.path.isdir(args.render):
            raise UserError("--render %s is a file, not a folder" % args.render)
        result = evaluate(args)
        report_path = args.report or os.path.join(args.save_dir, "evaluation.json")
        if "sets" in result["metrics"]:
            result["metrics"]["outputs"] = write_metrics(
                result["metrics"], os.path.dirname(os.path.abspath(report_path)))
        try:
            write_json_atomically(report_path, result)
        except OSError as e:
            raise UserError("cannot write --report %s (%s)" % (report_path, e.strerror or e))
    for line in summary_lines(result) + metrics_lines(result["metrics"]):
        print(line)
    print("report: %s" % report_path)
    if args.render:
        print("rendered to %s" % args.render)


if __name__ == "__main__":
    main()
