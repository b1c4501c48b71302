"""Chapter 7, example 2, step 3: compose ABC music with the trained char-RNN.

As in the chapter: 1000 characters from the newest checkpoint in save/, primed with a tune
header. The chapter's prime `x:1\\n` is no ABC header (ABC wants `X:`), so the default is
`X:1\\n`; escapes such as \\n in --prime are understood.

    python bach/sample.py
    python bach/sample.py -n 3000 --prime 'X:1\\nT:' --seed 7 --output samples/sample.abc
    python bach/sample.py --sampler loop           # the chapter's one-run-per-character loop
    python bach/sample.py --sampler checked        # bars of the wrong length drawn again
    python bach/sample.py --render samples         # ABC check, MIDI and scores (bach/check_abc.py)
"""
import argparse
import os
import re
import sys

from utils import SAMPLERS, OneLineParser, UserError, load_save_dir

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def unescape(text):
    r"""Turn \n, \t, \r and \\ into the characters they name; other backslashes stay."""
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text)


def check_prime(prime, chars, save_dir):
    """A UserError naming the prime's characters that the model never saw."""
    if not prime:
        raise UserError("--prime is empty; give at least one character, e.g. 'X:'")
    unknown = sorted(set(prime) - set(chars))
    if unknown:
        raise UserError("--prime has characters not in the vocabulary of %s: %s; use characters "
                        "of the training text" % (save_dir, " ".join(repr(c) for c in unknown)))


def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--save_dir", default="save", help="checkpoint folder (default %(default)s)")
    p.add_argument("-n", type=int, default=1000, help="characters to sample (default %(default)s)")
    p.add_argument("--prime", default="X:1\\n", help="start text, escapes understood (default %(default)s)")
    p.add_argument("--sample", type=int, default=None, choices=(0, 1, 2, 3),
                   help="0: most likely character; 1: draw every character (the chapter); "
                        "2: draw only after a space or newline; 3: only after a bar line (default: the model's stored "
                        "one, train.py --sample_type; 1 if none)")
    p.add_argument("--temperature", type=float, default=None,
                   help="divides the logits: below 1 is more conservative (default: the "
                        "model's stored one, train.py --sample_temperature; 1.0 if none)")
    p.add_argument("--seed", type=int, default=None, help="makes the sample reproducible")
    p.add_argument("--sampler", choices=SAMPLERS, default=None,
                   help="graph: all characters in one session.run (tf.while_loop); loop: the "
                        "chapter's session.run per character; checked: graph, drawing again "
                        "any bar of the wrong length or broken tie (default: the model's "
                        "stored one, train.py --sample_sampler; graph if none)")
    p.add_argument("--output", default=None, help="also write the sample to this file")
    p.add_argument("--render", metavar="DIR", default=None,
                   help="check the ABC and write DIR/sample.abc, MIDI, scores and report.json")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    return p


def load_model(tf, config, chars, ckpt, sampler):
    """An inference Model in a fresh graph and a session with the checkpoint restored."""
    from model import Model
    graph = tf.Graph()
    with graph.as_default():
        model = Model(argparse.Namespace(**config), infer=True)
        if sampler in ("graph", "checked"):
            model.build_sampler(chars, with_states=sampler == "checked")
        saver = tf.train.Saver(model.model_variables)
        sess = tf.Session(graph=graph)
        try:
            saver.restore(sess, ckpt)
        except (tf.errors.OpError, ValueError) as e:
            sess.close()
            raise UserError("cannot restore %s (%s); the save folder is corrupt or from another "
                            "model: train again" % (ckpt, str(e).strip().splitlines()[0][:200]))
    return model, sess


def generate(model, sess, chars, num, prime, sampling_type, temperature, seed, sampler):
    """(text, stats): stats are the checked sampler's (model.sample_checked), else None."""
    import numpy as np
    vocab = {c: i for i, c in enumerate(chars)}
    if sampler == "loop":
        return model.sample(sess, chars, vocab, num, prime, sampling_type, temperature,
                            rng=np.random.RandomState(seed)), None
    if sampler == "checked":
        return model.sample_checked(sess, chars, vocab, num, prime, sampling_type, temperature,
                                    seed)
    return model.sample_fast(sess, chars, vocab, num, prime, sampling_type, temperature,
                             seed), None


def checked_summary(stats):
    """One line on what the checked sampler drew again."""
    line = ("checked sampler: %d characters drawn for %d kept, %d bars or lines drawn again, "
            "%d backtracks, %d tunes started again"
            % (stats["drawn"], stats["kept"], stats["rejected"], stats["backtracks"],
               stats["restarts"]))
    if not stats["checked"]:
        line += "; gave up: the end of the sample is unchecked"
    return line


def stored_sampler(config):
    """The sampler train.py stored for the model (--sample_sampler), else graph."""
    sampler = config.get("sample_sampler", "graph")
    return sampler if sampler in SAMPLERS else "graph"


def check_sampler(sampler, sampling_type):
    """The checked sampler draws a refused bar again: with the most likely character every
    time (--sample 0) it would get the same bar back until it gives up."""
    if sampler == "checked" and sampling_type == 0:
        raise UserError("--sampler checked needs draws; --sample 0 takes the most likely "
                        "character every time: use --sample 1, 2 or 3")


def corpus_text(config):
    """The training corpus (original.txt beside input.txt), if it is still there."""
    path = os.path.join(str(config.get("data_dir", "")), "original.txt")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def write_text(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def render(text, out_dir, config):
    """bach/check_abc.py's check and render; its summary goes to stderr, the music to stdout."""
    import check_abc
    try:
        report = check_abc.render(text, out_dir, corpus_text=corpus_text(config))
    except OSError as e:
        raise UserError("cannot write to --render %s (%s)" % (out_dir, e.strerror or e))
    missing = check_abc.missing_tools()
    if missing:
        sys.stderr.write("note: ABC tools not found (%s), so no check, MIDI or score; "
                         "apt-get install abcmidi abcm2ps\n" % ", ".join(missing))
    for line in check_abc.summary_lines(report):
        sys.stderr.write(line + "\n")
    valid = report.get("valid_tunes") or 0
    sys.stderr.write("rendered to %s: sample.abc, report.json%s\n" % (
        out_dir, "" if missing else ", MIDI and score of %d valid tune%s" % (valid, "s"[valid == 1:])))
    return report


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    if args.temperature is not None and not args.temperature > 0:
        parser.error("--temperature must be positive")
    try:
        prime = unescape(args.prime)
        config, chars, ckpt = load_save_dir(args.save_dir)
        check_prime(prime, chars, args.save_dir)
        # Settings chosen for this model at training time; the chapter's 1.0 and 1 otherwise.
        if args.temperature is None:
            args.temperature = float(config.get("sample_temperature", 1.0))
        if args.sample is None:
            args.sample = int(config.get("sample_type", 1))
        if args.sampler is None:
            args.sampler = stored_sampler(config)
        check_sampler(args.sampler, args.sample)
        if args.render:
            try:
                import check_abc  # noqa: F401
            except ImportError:
                raise UserError("--render needs bach/check_abc.py, which is missing")
        seed = args.seed
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little") >> 1
        from tfcompat import tf_v1
        tf = tf_v1(args.verbose)
        model, sess = load_model(tf, config, chars, ckpt, args.sampler)
        with sess:
            text, stats = generate(model, sess, chars, args.n, prime, args.sample,
                                   args.temperature, seed, args.sampler)
        print(text)
        if stats:
            sys.stderr.write(checked_summary(stats) + "\n")
        if args.output:
            write_text(args.output, text)
        if args.render:
            render(text, args.render, config)
    except UserError as e:
        sys.stderr.write("error: %s\n" % e)
        sys.exit(2)


if __name__ == "__main__":
    main()
