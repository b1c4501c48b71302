"""Benchmark: the chapter's sampling loop against the in-graph sampler, in one process.

Both samplers draw n characters (default 1000) from the same model: the newest checkpoint in
--save_dir if there is one, else an untrained model of the chapter's size (64 units, 1 layer,
60 characters), since speed does not depend on the weights. Graph building and one warm-up
run are left out of the timings; the speed ratio is printed last.

    python bach/bench_sample.py
    python bach/bench_sample.py --save_dir save -n 1000 --repeats 5
"""
import argparse
import os
import sys
import time

from utils import OneLineParser, UserError, load_save_dir


def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--save_dir", default="save", help="model to sample from, if it exists")
    p.add_argument("-n", type=int, default=1000, help="characters per sample (default %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs of each, best kept")
    p.add_argument("--sample", type=int, default=1, choices=(0, 1, 2, 3), help="sampling type")
    p.add_argument("--cell", choices=("basic", "block"), default=None,
                   help="LSTM cell the model runs (train.py's --cell; default: the model's own, "
                        "basic for the untrained one)")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    return p


def untrained(tf, model_cls, rnn_size=64, num_layers=1, vocab_size=60, cell="basic"):
    chars = [chr(ord("!") + i) for i in range(vocab_size)]
    args = argparse.Namespace(rnn_size=rnn_size, num_layers=num_layers, vocab_size=vocab_size,
                              batch_size=1, seq_length=1, grad_clip=5.0, cell=cell)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        model = model_cls(args, infer=True)
        model.build_sampler(chars)
        sess = tf.Session(graph=graph)
        sess.run(tf.global_variables_initializer())
    return model, sess, chars


def best_time(fn, repeats):
    fn()  # warm-up: first-run allocations and graph optimisation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.n < 1 or args.repeats < 1:
        sys.stderr.write("error: -n and --repeats must be at least 1\n")
        sys.exit(2)
    from tfcompat import tf_v1
    tf = tf_v1(args.verbose)
    from model import Model
    import sample as sample_script

    try:
        config, chars, ckpt = load_save_dir(args.save_dir)
    except UserError:
        ckpt = None
    if ckpt:
        if args.cell:
            config["cell"] = args.cell
        try:
            model, sess = sample_script.load_model(tf, config, chars, ckpt, "graph")
        except UserError as e:
            sys.stderr.write("error: %s\n" % e)
            sys.exit(2)
        print("model: %s (rnn_size %s, num_layers %s, %d characters, %s cell)"
              % (ckpt, config["rnn_size"], config["num_layers"], len(chars),
                 config.get("cell", "basic")))
    else:
        model, sess, chars = untrained(tf, Model, cell=args.cell or "basic")
        print("model: untrained, rnn_size 64, num_layers 1, 60 characters, %s cell (no "
              "checkpoint in %s)" % (args.cell or "basic", args.save_dir))
    vocab = {c: i for i, c in enumerate(chars)}
    prime = chars[0]
    import numpy as np
    rng = np.random.RandomState(0)
    with sess:
        loop = best_time(lambda: model.sample(sess, chars, vocab, args.n, prime, args.sample,
                                              rng=rng), args.repeats)
        graph = best_time(lambda: model.sample_fast(sess, chars, vocab, args.n, prime,
                                                    args.sample, seed=1), args.repeats)
    print("TensorFlow %s, %d cores, load average %.2f" % (
        tf.__version__, os.cpu_count() or 0, os.getloadavg()[0] if hasattr(os, "getloadavg") else -1))
    print("loop sampler (--sampler loop):   %d characters in %.3f s, %.0f characters/s"
          % (args.n, loop, args.n / loop))
    print("graph sampler (--sampler graph): %d characters in %.3f s, %.0f characters/s"
          % (args.n, graph, args.n / graph))
    print("speed ratio graph/loop: %.1fx" % (loop / graph))


if __name__ == "__main__":
    main()
