"""Benchmark: training speed of the two LSTM cells (train.py's --cell), in one process.

Both cells train the chapter's model (64 units, 1 layer, batches of 50 x 50 characters, Adam
at 0.002, gradients clipped at 5) on the same batches: the first ones of data/bach/input.txt,
or random characters if it is missing. First each trains --loss_steps steps (100) from the
same initial weights, and its loss then is printed: the fused cell must learn what the basic
one learns. Then timed rounds alternate between the cells, their order swapped every round;
graph building and one warm-up step are left out. Medians of the rounds' characters per
second are printed, the ratio block/basic last. On a machine others load, the wall clock
swings from round to round; --threads 1 --clock cpu counts this process' CPU time instead.

    python bach/bench_train.py
    python bach/bench_train.py --rounds 7 --steps 40
    python bach/bench_train.py --threads 1 --clock cpu
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from utils import OneLineParser, TextLoader, UserError, user_errors_exit  # noqa: E402

CELLS = ("basic", "block")  # lstm_cells.CELLS; not imported here: it loads TensorFlow


def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--data_dir", default=os.path.join("data", "bach"),
                   help="folder with input.txt; random characters if it has none "
                        "(default %(default)s)")
    p.add_argument("--rnn_size", type=int, default=64, help="LSTM units (default %(default)s)")
    p.add_argument("--num_layers", type=int, default=1, help="LSTM layers (default %(default)s)")
    p.add_argument("--batch_size", type=int, default=50,
                   help="sequences per batch (default %(default)s)")
    p.add_argument("--seq_length", type=int, default=50,
                   help="characters per sequence (default %(default)s)")
    p.add_argument("--loss_steps", type=int, default=100,
                   help="steps trained before the losses are compared (default %(default)s)")
    p.add_argument("--rounds", type=int, default=5,
                   help="timed rounds per cell (default %(default)s)")
    p.add_argument("--steps", type=int, default=30,
                   help="steps per timed round (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    p.add_argument("--threads", type=int, default=0,
                   help="TensorFlow's intra- and inter-op threads; 0 (default) is its own "
                        "choice, as train.py runs")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="time the rounds by the wall clock (default) or by this process' CPU "
                        "time, which other programs' load disturbs less (use with --threads 1)")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    return p


def load_batches(data_dir, batch_size, seq_length, count, seed):
    """`count` training batches (x, y), the vocabulary size, and where they come from."""
    if os.path.isfile(os.path.join(data_dir, "input.txt")):
        loader = TextLoader(data_dir, batch_size, seq_length, verbose=False)
        if loader.num_batches < count:
            raise UserError("%s has %d batches, fewer than the %d wanted; lower --loss_steps"
                            % (os.path.join(data_dir, "input.txt"), loader.num_batches, count))
        return (list(zip(loader.x_batches, loader.y_batches))[:count], loader.vocab_size,
                os.path.join(data_dir, "input.txt"))
    vocab_size = 60  # about the corpus' vocabulary
    rng = np.random.RandomState(seed)
    text = rng.randint(vocab_size, size=count * batch_size * seq_length + 1).astype(np.int32)
    rows = text[:-1].reshape(batch_size, -1), text[1:].reshape(batch_size, -1)
    pairs = zip(np.split(rows[0], count, 1), np.split(rows[1], count, 1))
    return ([(np.ascontiguousarray(x), np.ascontiguousarray(y)) for x, y in pairs], vocab_size,
            "random characters (no input.txt in %s)" % data_dir)


class Trainer(object):
    """train.py's model with one cell kind, in a graph and session of its own."""

    def __init__(self, tf, args, cell, seed, threads=0):
        from model import Model
        self.cell = cell
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.set_random_seed(seed)
            self.model = Model(argparse.Namespace(cell=cell, **vars(args)))
            self.variables = tf.global_variables()
            self.session = tf.Session(graph=self.graph, config=tf.ConfigProto(
                intra_op_parallelism_threads=threads, inter_op_parallelism_threads=threads))
            self.session.run(tf.global_variables_initializer())
            self.session.run(tf.assign(self.model.lr, args.learning_rate))
        self.graph.finalize()  # nothing may add ops between timed steps
        self.state = None

    def values(self):
        return {v.op.name: value for v, value in
                zip(self.variables, self.session.run(self.variables))}

    def load(self, values):
        """Set every variable (weights, Adam's slots, the step) to `values` by name."""
        for v in self.variables:
            v.load(values[v.op.name], self.session)
        self.state = None

    def step(self, x, y):
        """One training step, the state carried from the previous one, as train.py does."""
        model = self.model
        if self.state is None:
            self.state = model.zero_state_value(x.shape[0])
        feed = {model.input_data: x, model.targets: y}
        feed.update(model.state_feed(self.state))
        loss, self.state, _ = self.session.run([model.cost, model.final_state, model.train_op],
                                               feed)
        return float(loss)


def timed_rounds(trainers, batches, rounds, steps, clock=time.perf_counter):
    """Characters per second of each trainer in each round; the order flips every round."""
    speeds = {t.cell: [] for t in trainers}
    chars = steps * batches[0][0].size
    for t in trainers:
        t.step(*batches[0])  # warm-up: first-run allocations and graph optimisation
    for r in range(rounds):
        for t in (trainers if r % 2 == 0 else trainers[::-1]):
            start = clock()
            for k in range(steps):
                t.step(*batches[(r * steps + k) % len(batches)])
            speeds[t.cell].append(chars / (clock() - start))
    return speeds


def run(args):
    batches, vocab_size, source = load_batches(args.data_dir, args.batch_size, args.seq_length,
                                               max(args.loss_steps, 1), args.seed)
    from tfcompat import tf_v1
    tf = tf_v1(args.verbose)
    settings = argparse.Namespace(
        rnn_size=args.rnn_size, num_layers=args.num_layers, seq_length=args.seq_length,
        batch_size=args.batch_size,
        vocab_size=vocab_size, grad_clip=5.0, learning_rate=0.002)
    trainers = [Trainer(tf, settings, cell, args.seed, args.threads) for cell in CELLS]
    start = trainers[0].values()
    same_start = all(np.array_equal(start[name], value)
                     for name, value in trainers[1].values().items())
    print("TensorFlow %s, Python %d.%d, %d cores, load average %.2f" % (
        tf.__version__, sys.version_info[0], sys.version_info[1], os.cpu_count() or 0,
        os.getloadavg()[0]))
    print("data: %s; %d units, %d layer(s), batches of %d x %d" % (
        source, args.rnn_size, args.num_layers, args.batch_size, args.seq_length))
    print("initial weights from seed %d: %s" % (args.seed, "the same in both graphs" if same_start
                                                else "the basic graph's, copied to the block one"))
    losses = {}
    for t in trainers:
        t.load(start)
        for x, y in batches[:args.loss_steps]:
            losses[t.cell] = t.step(x, y)
    for cell in CELLS:
        print("loss after %d steps, %s cell: %.4f" % (args.loss_steps, cell, losses[cell]))
    print("loss difference block - basic: %+.4f" % (losses["block"] - losses["basic"]))
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    speeds = timed_rounds(trainers, batches, args.rounds, args.steps, clock)
    for cell in CELLS:
        print("%s cell: median %.0f characters/s (%s clock) over %d rounds of %d steps (rounds: %s)"
              % (cell, statistics.median(speeds[cell]), args.clock, args.rounds, args.steps,
            " ".join("%.0f" % s for s in speeds[cell])))
    ratio = statistics.median(speeds["block"]) / statistics.median(speeds["basic"])
    print("speed ratio block/basic: %.2fx" % ratio)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("rnn_size", "num_layers", "batch_size", "seq_length", "loss_steps", "rounds",
                 "steps"):
        if getattr(args, name) < 1:
            parser.error("--%s must be at least 1" % name)
    with user_errors_exit():
        run(args)


if __name__ == "__main__":
    main()
