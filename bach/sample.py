"""Chapter 7, example 2, step 3: compose ABC music with the trained char-RNN.

As in the chapter: 1000 characters from the newest checkpoint in save/, primed with a tune
header. The chapter's prime `x:1\\n` is no ABC header (ABC wants `X:`), so the default is
`X:1\\n`; escapes such as \\n in --prime are understood.

    python bach/sample.py
    python bach/sample.py -n 3000 --prime 'X:1\\nT:' --seed 7 --output samples/sample.abc
    python bach/sample.py --sampler loop           # the chapter's one-run-per-character loop
    python bach/sample.py --sampler structured     # whole tunes that keep the two-staff structure
    python bach/sample.py --render samples         # ABC check, MIDI and scores (bach/check_abc.py)

Two flags say how: --sample is the chapter's sampling type (how each character is picked),
--sampler what runs the model (sampling.py). Both default to what train.py stored with the
model (its --sample and --sampler), else the chapter's: --sample 1, --sampler graph.
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402

from utils import (SAMPLERS, SAMPLER_HELP, SAMPLING_HELP, SAMPLING_TYPES,  # noqa: E402
                   OneLineParser, UserError, load_save_dir, read_text, stored_sampling,
                   user_errors_exit, write_text_atomically)

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
    p.add_argument("-n", type=int, default=1000,
                   help="characters to sample; the structured sampler finishes the tune it "
                        "is in (default %(default)s)")
    p.add_argument("--prime", default="X:1\\n",
                   help="start text, escapes understood (default %(default)s)")
    add_sampling_flags(p)
    p.add_argument("--seed", type=int, default=None, help="makes the sample reproducible")
    p.add_argument("--output", default=None, help="also write the sample to this file")
    p.add_argument("--render", metavar="DIR", default=None,
                   help="check the ABC and write DIR/sample.abc, MIDI, scores and report.json")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    return p


def add_sampling_flags(p):
    """--sample, --sampler and --temperature, as sample.py and evaluate.py take them."""
    p.add_argument("--sample", type=int, default=None, choices=SAMPLING_TYPES,
                   help="the chapter's sampling type: %s (default: the model's stored one, "
                        "else 1)" % SAMPLING_HELP)
    p.add_argument("--sampler", choices=SAMPLERS, default=None,
                   help="%s (default: the model's stored one, else graph)" % SAMPLER_HELP)
    p.add_argument("--temperature", type=float, default=None,
                   help="divides the logits: below 1 is more conservative (default: the "
                        "model's stored one, else 1.0)")
    p.add_argument("--line_prior", type=float, default=None, metavar="STRENGTH",
                   help="the structured sampler weighs the next note's letter by how often "
                        "the training pieces' lines move that far, to this power; 0 leaves "
                        "the model's choice (default: the model's stored one, else 0)")


def sampling_settings(args, config):
    """Fill --sample, --sampler, --temperature and --line_prior from the model's stored
    ones; args.line_statistics: the model's, where the prior is on."""
    if args.temperature is not None and not args.temperature > 0:
        raise UserError("--temperature must be positive")
    if args.line_prior is not None and not args.line_prior >= 0:
        raise UserError("--line_prior must be 0 or more")
    stored = stored_sampling(config)
    for k, name in enumerate(("sample", "sampler", "temperature", "line_prior")):
        if getattr(args, name) is None:
            setattr(args, name, stored[k])
    args.line_statistics = None
    if args.line_prior > 0 and args.sampler == "structured":
        args.line_statistics = line_statistics(config)


def line_statistics(config):
    """The line statistics train.py stored with the model; a UserError if it stored none."""
    from line_prior import checked_statistics
    statistics = checked_statistics(config.get("line_statistics"))
    if statistics is None:
        raise UserError("the model was trained before the line prior (its config.json has no "
                        "line_statistics); pass --line_prior 0 or train it again")
    return statistics


def line_prior_of(args):
    """What sampling.sample takes as line_prior: (statistics, strength) or None."""
    if args.sampler != "structured" or not args.line_statistics:
        return None
    return args.line_statistics, args.line_prior


def load_model(tf, config, chars, ckpt, sampler):
    """(inference Model, session with the checkpoint restored, GraphSampler or None)."""
    from model import Model
    graph = tf.Graph()
    with graph.as_default():
        model = Model(argparse.Namespace(**config), infer=True)
        graph_sampler = None
        if sampler == "graph":
            from sampling import GraphSampler
            graph_sampler = GraphSampler(model, chars)
        saver = tf.train.Saver(model.model_variables)
        # One character at a time: a second thread costs more than it saves (2.5x per step).
        sess = tf.Session(graph=graph, config=tf.ConfigProto(
            intra_op_parallelism_threads=1, inter_op_parallelism_threads=1))
        try:
            saver.restore(sess, ckpt)
        except (tf.errors.OpError, ValueError) as e:
            sess.close()
            raise UserError("cannot restore %s (%s); the save folder is corrupt or from another "
                            "model: train again" % (ckpt, str(e).strip().splitlines()[0][:200]))
    return model, sess, graph_sampler


def generate(loaded, chars, num, prime, sampling_type, temperature, seed, sampler,
             line_prior=None):
    """(text, stats) from a load_model() result; stats are the structured sampler's."""
    import sampling
    model, sess, graph_sampler = loaded
    try:
        return sampling.sample(model, sess, chars, num, prime, sampling_type, temperature,
                               seed, sampler, graph_sampler, line_prior)
    except ValueError as e:  # the structured sampler's: vocabulary or prime
        raise UserError("--sampler structured: %s" % e)


def structured_summary(stats):
    """One line on the structured sampler's work."""
    return ("structured sampler: %d tune%s, %d characters drawn, %d kept"
            % (stats["tunes"], "s"[stats["tunes"] == 1:], stats["drawn"], stats["kept"]))


def corpus_text(config):
    """The training corpus (original.txt beside input.txt), if it is still there."""
    try:
        return read_text(os.path.join(str(config.get("data_dir", "")), "original.txt"))[0]
    except UserError:
        return None


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
        out_dir, "" if missing else
        ", MIDI and score of %d valid tune%s" % (valid, "s"[valid == 1:])))
    return report


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("-n must be at least 1")
    with user_errors_exit():
        prime = unescape(args.prime)
        config, chars, ckpt = load_save_dir(args.save_dir)
        check_prime(prime, chars, args.save_dir)
        sampling_settings(args, config)
        seed = args.seed
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little") >> 1
        from tfcompat import tf_v1
        tf = tf_v1(args.verbose)
        loaded = load_model(tf, config, chars, ckpt, args.sampler)
        with loaded[1]:
            text, stats = generate(loaded, chars, args.n, prime, args.sample,
                                   args.temperature, seed, args.sampler, line_prior_of(args))
        print(text)
        if stats:
            sys.stderr.write(structured_summary(stats) + "\n")
        if args.output:
            write_text_atomically(args.output, text)
        if args.render:
            render(text, args.render, config)


if __name__ == "__main__":
    main()
