"""Benchmark the samplers in one process: the chapter's loop against the in-graph sampler,
then the structured sampler's cost per tune.

The loop and graph samplers draw n characters (default 1000) from the same model: the newest
checkpoint in --save_dir if there is one, else an untrained model of the chapter's size (64
units, 1 layer, the corpus' 58 characters), since speed does not depend on the weights.
Graph building and one warm-up run are left out of the timings; the speed ratio is printed.
Then the structured sampler writes --tunes whole tunes (seeds 1, 2, ...): characters drawn
per character kept, bars, and seconds per tune scaled to 32 bars (its target is 3 s on 2
cores; measure it on a trained model: an untrained one writes tunes no musician would).

    python bach/bench_sample.py
    python bach/bench_sample.py --save_dir save -n 1000 --repeats 5 --tunes 10
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from utils import OneLineParser, UserError, load_save_dir, user_errors_exit  # noqa: E402


def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--save_dir", default="save", help="model to sample from, if it exists")
    p.add_argument("-n", type=int, default=1000, help="characters per sample (default %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each, best kept")
    p.add_argument("--sample", type=int, default=1, choices=(0, 1, 2, 3), help="sampling type")
    p.add_argument("--tunes", type=int, default=5, help="tunes for the structured sampler")
    p.add_argument("--cell", choices=("basic", "block"), default=None,
                   help="LSTM cell the model runs (train.py's --cell; default: the model's own, "
                        "basic for the untrained one)")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    return p


# The characters of the two-staff corpus (data/bach/original.txt).
CORPUS_CHARS = "\n '(,-./0123456789:=ABCDEFGJKLMQSTVX[]^_abcdefghilmnorstz|"


def untrained(tf, rnn_size=64, num_layers=1, cell="basic"):
    from model import Model
    from sampling import GraphSampler
    chars = list(CORPUS_CHARS)
    args = argparse.Namespace(rnn_size=rnn_size, num_layers=num_layers, vocab_size=len(chars),
                              batch_size=1, seq_length=1, grad_clip=5.0, cell=cell)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        model = Model(args, infer=True)
        graph_sampler = GraphSampler(model, chars)
        sess = tf.Session(graph=graph)
        sess.run(tf.global_variables_initializer())
    return (model, sess, graph_sampler), chars


def best_time(fn, repeats):
    fn()  # warm-up: first-run allocations and graph optimisation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def structured_figures(loaded, chars, tunes, sampling_type, line_prior=None):
    """[(seconds, cpu seconds, bars, drawn, kept)] of `tunes` tunes from the structured
    sampler (with `line_prior`: sampling.sample's); CPU seconds are this process's, which
    a busy machine does not inflate."""
    import abc_grammar
    from sampling import StructuredSampler
    model, sess, _ = loaded
    sampler = StructuredSampler(model, sess, chars, line_prior)
    sampler.sample(1, "X:", sampling_type, 1.0, 0)  # warm-up
    figures = []
    for seed in range(1, tunes + 1):
        start, cpu = time.perf_counter(), time.process_time()
        text, stats = sampler.sample(1, "X:", sampling_type, 1.0, seed)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        _, body = abc_grammar.split_header(text)
        bars = sum(abc_grammar.count_bars(line) for line in body if line.startswith("[V:1]"))
        figures.append((seconds, cpu, bars, stats["drawn"], stats["kept"], stats["weak_steps"]))
    return figures


def stored_line_prior(config):
    """The model's stored line prior, as sampling.sample takes it, or None (sample.py's
    reading of the stored settings, for the structured sampler)."""
    import sample as sample_script
    settings = argparse.Namespace(sample=None, sampler="structured", temperature=None,
                                  line_prior=None)
    sample_script.sampling_settings(settings, config)
    return sample_script.line_prior_of(settings)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.n < 1 or args.repeats < 1 or args.tunes < 1:
        sys.stderr.write("error: -n, --repeats and --tunes must be at least 1\n")
        sys.exit(2)
    from tfcompat import tf_v1
    tf = tf_v1(args.verbose)
    import sample as sample_script
    import sampling

    try:
        config, chars, ckpt = load_save_dir(args.save_dir)
    except UserError:
        ckpt = None
    line_prior = None
    if ckpt:
        if args.cell:
            config["cell"] = args.cell
        with user_errors_exit():
            line_prior = stored_line_prior(config)
            loaded = sample_script.load_model(tf, config, chars, ckpt, "graph")
        print("model: %s (rnn_size %s, num_layers %s, %d characters, %s cell)"
              % (ckpt, config["rnn_size"], config["num_layers"], len(chars),
                 config.get("cell", "basic")))
    else:
        loaded, chars = untrained(tf, cell=args.cell or "basic")
        print("model: untrained, rnn_size 64, num_layers 1, %d characters, %s cell (no "
              "checkpoint in %s)" % (len(chars), args.cell or "basic", args.save_dir))
    model, sess, graph_sampler = loaded
    vocab = {c: i for i, c in enumerate(chars)}
    prime = chars[0]
    import numpy as np
    rng = np.random.RandomState(0)
    with sess:
        loop = best_time(lambda: model.sample(sess, chars, vocab, args.n, prime, args.sample,
                                              rng=rng), args.repeats)
        graph = best_time(lambda: graph_sampler.sample(sess, args.n, prime, args.sample,
                                                       seed=1), args.repeats)
        structured = structured_figures(loaded, chars, args.tunes, args.sample, line_prior)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else -1
    print("TensorFlow %s, %d cores, load average %.2f" % (tf.__version__, os.cpu_count() or 0,
                                                          load))
    print("loop sampler (--sampler loop):   %d characters in %.3f s, %.0f characters/s"
          % (args.n, loop, args.n / loop))
    print("graph sampler (--sampler graph): %d characters in %.3f s, %.0f characters/s"
          % (args.n, graph, args.n / graph))
    print("speed ratio graph/loop: %.1fx" % (loop / graph))
    print("structured sampler: line prior %s" % (
        "strength %g (the model's)" % line_prior[1] if line_prior else "off"))
    for k, (seconds, cpu, bars, drawn, kept, _) in enumerate(structured):
        print("structured sampler, seed %d: %d bars, %d characters in %.2f s, %.2f s of CPU "
              "(%.2f s per 32 bars)" % (k + 1, bars, kept, seconds, cpu,
                                        seconds * 32 / max(bars, 1)))
    drawn = sum(f[3] for f in structured)
    kept = sum(f[4] for f in structured)
    per32 = [f[0] * 32 / max(f[2], 1) for f in structured]
    cpu32 = [f[1] * 32 / max(f[2], 1) for f in structured]
    print("structured sampler: %.2f characters drawn per character kept; per 32-bar tune "
          "%.2f s (mean), %.2f s (slowest); CPU %.2f s (mean), %.2f s (slowest)"
          % (drawn / float(kept), sum(per32) / len(per32), max(per32),
             sum(cpu32) / len(cpu32), max(cpu32)))
    weak = sum(f[5] for f in structured)
    print("structured sampler: %d of %d steps (%.1f%%) left the allowed characters under %g of "
          "the model's probability" % (weak, kept, 100.0 * weak / max(kept, 1),
                                       sampling.WEAK_MASS))


if __name__ == "__main__":
    main()
