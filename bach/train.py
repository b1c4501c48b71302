"""Chapter 7, example 2, step 2: train the char-RNN on data/bach/input.txt.

The chapter's defaults (64 units, 1 layer, batches of 50 x 50 characters, 5 epochs, Adam at
0.002 decayed by 0.97 an epoch, gradients clipped at 5) and its line per batch. Beyond the
chapter: validation after every epoch (loss and bits per character, the best checkpoint kept
in SAVE_DIR/best), characters per second, TensorBoard summaries, --init_from to resume,
Ctrl-C saves before exiting. Settings and vocabulary are saved as JSON, never pickled.

    python bach/train.py
    python bach/train.py --val_pieces 3            # validate on 3 pieces never trained on
    python bach/train.py --init_from save --num_epochs 2
    python bach/train.py --preset best --save_dir save_best   # bach/EXPERIMENTS.md's choice
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from abc_grammar import altered_degrees, header_counts, key_values  # noqa: E402
from line_prior import line_statistics  # noqa: E402
from utils import (MODEL_SETTINGS, SAMPLERS, SAMPLER_HELP, SAMPLING_HELP,  # noqa: E402
                   SAMPLING_TYPES, TRANSPOSITIONS, OneLineParser, TextLoader, UserError,
                   load_save_dir, user_errors_exit, write_json_atomically)


# Configurations chosen in bach/EXPERIMENTS.md; the defaults above stay the chapter's.
PRESETS = {
    # Chosen on held-out pieces (bach/EXPERIMENTS.md): a bigger model that sees every piece
    # in 5 keys, with dropout, its best epoch on 3 unseen pieces kept; sampled by the
    # structured sampler, whose tunes keep the two-staff structure by construction, with
    # the line prior at the strength chosen on tuning seeds 101-112 (1: the product of the
    # model and the prior, which also predicts the held-out pieces best).
    "best": {"val_pieces": 3, "seed": 1, "rnn_size": 128, "num_layers": 2, "keep_prob": 0.8,
             "keys": 5, "num_epochs": 2, "restore_best": True,
             "sampler": "structured", "temperature": 1.0, "sample": 1, "line_prior": 1.0},
}


def build_parser():
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--data_dir", default=os.path.join("data", "bach"),
                   help="folder with input.txt (default %(default)s)")
    p.add_argument("--save_dir", default="save", help="checkpoint folder (default %(default)s)")
    p.add_argument("--log_dir", default="logs", help="TensorBoard summaries (default %(default)s)")
    p.add_argument("--rnn_size", type=int, default=64, help="LSTM units (default %(default)s)")
    p.add_argument("--num_layers", type=int, default=1, help="LSTM layers (default %(default)s)")
    p.add_argument("--cell", choices=("basic", "block"), default="basic",
                   help="LSTM cell: 'basic' is the chapter's BasicLSTMCell, 'block' the same "
                        "cell as one fused op a step; both hold the same variables, so "
                        "checkpoints move between them (default %(default)s)")
    p.add_argument("--batch_size", type=int, default=50,
                   help="sequences per batch (default %(default)s)")
    p.add_argument("--seq_length", type=int, default=50,
                   help="characters per sequence (default %(default)s)")
    p.add_argument("--num_epochs", type=int, default=5, help="epochs (default %(default)s)")
    p.add_argument("--save_every", type=int, default=1000,
                   help="save every N steps (default %(default)s)")
    p.add_argument("--grad_clip", type=float, default=5., help="clip gradients to this global norm")
    p.add_argument("--learning_rate", type=float, default=0.002,
                   help="Adam's (default %(default)s)")
    p.add_argument("--decay_rate", type=float, default=0.97, help="learning rate factor per epoch")
    p.add_argument("--val_frac", type=float, default=0.05,
                   help="hold out the last fraction of the text for validation "
                        "(default %(default)s)")
    p.add_argument("--val_pieces", type=int, default=0,
                   help="instead hold out N whole distinct pieces, all their copies removed from "
                        "training (input.txt repeats the corpus' pieces, so --val_frac text has "
                        "mostly been seen)")
    p.add_argument("--init_from", default=None,
                   help="resume from the newest checkpoint in this folder (same settings and "
                        "vocabulary); --num_epochs more epochs from its step")
    p.add_argument("--max_to_keep", type=int, default=5,
                   help="checkpoints kept (default %(default)s)")
    p.add_argument("--keys", type=int, default=1, choices=range(1, len(TRANSPOSITIONS) + 1),
                   help="train on each piece of input.txt moved to one of this many keys: 1 "
                        "its own (the chapter's), 2-5 adding a tone up, a tone down, a minor "
                        "third up and down, 6-10 a fourth up and down, a semitone down, a "
                        "major third up and down; the K: line follows (default %(default)s)")
    p.add_argument("--restore_best", action="store_true",
                   help="at the end, make the checkpoint with the best validation loss (kept "
                        "in SAVE_DIR/best) the newest, the one sample.py uses")
    p.add_argument("--keep_prob", type=float, default=1.0,
                   help="dropout: keep this fraction of the cells' inputs and outputs while "
                        "training; 1 is the chapter's no dropout (default %(default)s)")
    p.add_argument("--align_pieces", action="store_true",
                   help="start every piece on a sequence of its own from the zero state, as "
                        "sampling with an 'X:' prime does (the chapter carries the state "
                        "from piece to piece, so a model never sees a piece start from zero)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed TensorFlow's and NumPy's random numbers (default: unseeded, as "
                        "the chapter)")
    add_stored_sampling_flags(p)
    p.add_argument("--preset", choices=sorted(PRESETS), default=None,
                   help="a tested configuration (flags given beside it win): 'best' is the one "
                        "bach/EXPERIMENTS.md chose, see bach/README.md")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines")
    return p


def add_stored_sampling_flags(p):
    """--sample, --sampler and --temperature: stored with the model as the defaults of
    sample.py and evaluate.py, which take the same flags."""
    p.add_argument("--sample", type=int, default=1, choices=SAMPLING_TYPES,
                   help="stored for sample.py and evaluate.py, their default --sample: %s "
                        "(default %%(default)s, the chapter's)" % SAMPLING_HELP)
    p.add_argument("--sampler", default="graph", choices=SAMPLERS,
                   help="stored as their default --sampler: %s (default %%(default)s)"
                        % SAMPLER_HELP)
    p.add_argument("--temperature", type=float, default=1.0,
                   help="stored as their default --temperature (default %(default)s, the "
                        "chapter's)")
    p.add_argument("--line_prior", type=float, default=0.0, metavar="STRENGTH",
                   help="stored as their default --line_prior: the structured sampler's "
                        "weight on how far the lines of the training pieces move (default "
                        "%(default)s: none)")


def check_args(parser, args):
    for name in ("rnn_size", "num_layers", "batch_size", "seq_length", "num_epochs",
                 "save_every", "max_to_keep"):
        if getattr(args, name) < 1:
            parser.error("--%s must be at least 1" % name)
    if not 0 < args.keep_prob <= 1:
        parser.error("--keep_prob must be in (0, 1]")
    if not args.temperature > 0:
        parser.error("--temperature must be positive")
    if not args.line_prior >= 0:
        parser.error("--line_prior must be 0 or more")
    if not 0 <= args.val_frac < 1:
        parser.error("--val_frac must be in [0, 1)")
    if args.val_pieces < 0:
        parser.error("--val_pieces must be 0 or more")
    for name in ("grad_clip", "learning_rate", "decay_rate"):
        if not getattr(args, name) > 0:
            parser.error("--%s must be positive" % name)


def check_init_from(args, chars):
    """The checkpoint to resume from, after checking that settings and vocabulary match."""
    config, saved_chars, ckpt = load_save_dir(args.init_from)
    for name in MODEL_SETTINGS:
        if int(config[name]) != getattr(args, name):
            raise UserError("--init_from %s: %s is %s there but %s here; pass --%s %s or train "
                            "from scratch" % (args.init_from, name, config[name],
                                              getattr(args, name), name, config[name]))
    if list(saved_chars) != list(chars):
        raise UserError("--init_from %s: its vocabulary (%d characters) differs from %s's (%d); "
                        "resume on the same input.txt or train from scratch"
                        % (args.init_from, len(saved_chars),
                           os.path.join(args.data_dir, "input.txt"), len(chars)))
    return ckpt


def write_save_files(folder, args, chars):
    os.makedirs(folder, exist_ok=True)
    config = {k: v for k, v in vars(args).items() if k not in ("verbose",)}
    config.update(model="lstm", vocab_size=len(chars), data_dir=os.path.abspath(args.data_dir))
    write_json_atomically(os.path.join(folder, "config.json"), config)
    write_json_atomically(os.path.join(folder, "vocab.json"), {"chars": list(chars)})


def evaluate(sess, model, data_loader):
    """Mean validation loss (nats per character; TextLoader.val_batches says how)."""
    if not data_loader.val_num_batches:
        return None
    return model.mean_loss(sess, data_loader.val_batches)


def train(args):
    data_loader = TextLoader(args.data_dir, args.batch_size, args.seq_length,
                             val_frac=args.val_frac, val_pieces=args.val_pieces,
                             align_pieces=args.align_pieces, keys=args.keys)
    args.vocab_size = data_loader.vocab_size
    training_text = data_loader.decode(data_loader.tensor)
    args.line_statistics = line_statistics(training_text)
    # what the structured sampler's mask keeps: the keys, the scale degrees altered, and
    # how many tunes are in each meter and key
    args.trained_keys = key_values(training_text)
    args.altered_degrees = altered_degrees(training_text)
    args.header_counts = header_counts(training_text)
    ckpt = check_init_from(args, data_loader.chars) if args.init_from else None
    if data_loader.val_piece_names:
        print("validation: pieces %s held out, %d characters"
              % (", ".join(data_loader.val_piece_names), data_loader.val_tensor.size))
    if data_loader.val_tensor.size and not data_loader.val_num_batches:
        print("validation text (%d character) is too short to predict; no validation"
              % data_loader.val_tensor.size)
    try:
        os.makedirs(args.save_dir, exist_ok=True)
    except OSError as e:
        raise UserError("cannot create --save_dir %s (%s)" % (args.save_dir, e.strerror))

    from tfcompat import tf_v1
    tf = tf_v1(args.verbose)
    with tf.Graph().as_default():  # a graph of its own, so tests can train twice
        run_training(tf, args, data_loader, ckpt)


def run_training(tf, args, data_loader, ckpt):
    """Train in a session of its own; Ctrl-C saves and exits 130."""
    if args.seed is not None:
        tf.set_random_seed(args.seed)
        np.random.seed(args.seed)
    trainer = Trainer(tf, args, data_loader)
    with tf.Session() as sess:
        trainer.start(sess, ckpt)
        try:
            with StopOnCtrlC() as ctrl_c:
                for epoch in range(trainer.start_epoch, trainer.end_epoch):
                    trainer.train_epoch(epoch, ctrl_c)
                    trainer.validate(epoch)
        except KeyboardInterrupt:
            trainer.save_if_new()
            trainer.writer.close()
            print("interrupted at step {}; resume with --init_from {}".format(
                trainer.step, args.save_dir))
            sys.exit(130)
        trainer.save_if_new()
        if args.restore_best and os.path.isfile(trainer.best_file):
            trainer.restore_best()
    trainer.writer.close()


class Trainer(object):
    """The chapter's training loop in pieces: the graph, savers and summaries; one epoch;
    validation that keeps the best checkpoint in SAVE_DIR/best."""

    def __init__(self, tf, args, data_loader):
        from model import Model
        self.tf, self.args, self.loader = tf, args, data_loader
        self.model = Model(args)
        self.lr_value = tf.placeholder(tf.float32, [])
        self.set_lr = tf.assign(self.model.lr, self.lr_value)
        self.best_dir = os.path.join(args.save_dir, "best")
        self.best_file = os.path.join(self.best_dir, "best.json")
        self.val_spec = {"val_frac": args.val_frac, "val_pieces": args.val_pieces}
        self.checkpoint_path = os.path.join(args.save_dir, "model.ckpt")
        self.writer = tf.summary.FileWriter(args.log_dir)
        self.saved_step = None

    def best_loss_so_far(self, ckpt):
        """The best validation loss of the run this one resumes, with the same validation."""
        if not ckpt or os.path.realpath(self.args.init_from) != os.path.realpath(
                self.args.save_dir):
            return float("inf")
        try:
            with open(self.best_file, encoding="utf-8") as f:
                best = json.load(f)
            if best.get("validation") == self.val_spec:
                return float(best["val_loss"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return float("inf")

    def start(self, sess, ckpt):
        tf, args = self.tf, self.args
        self.sess = sess
        self.best_loss = self.best_loss_so_far(ckpt)
        sess.run(tf.global_variables_initializer())  # initialize_all_variables is gone
        self.saver = tf.train.Saver(tf.global_variables(), max_to_keep=args.max_to_keep,
                                    save_relative_paths=True)
        self.best_saver = tf.train.Saver(tf.global_variables(), max_to_keep=1,
                                         save_relative_paths=True)
        if ckpt:
            try:
                self.saver.restore(sess, ckpt)
            except (tf.errors.OpError, ValueError) as e:
                raise UserError("cannot restore %s (%s); train from scratch"
                                % (ckpt, str(e).splitlines()[0]))
        self.step = int(sess.run(self.model.global_step))
        self.start_epoch, self.start_batch = divmod(self.step, self.loader.num_batches)
        self.end_epoch = self.start_epoch + args.num_epochs
        if ckpt:
            print("resuming from %s at step %d (epoch %d)" % (ckpt, self.step, self.start_epoch))

    def log(self, **values):
        tf = self.tf
        self.writer.add_summary(tf.Summary(value=[
            tf.Summary.Value(tag=k, simple_value=float(v)) for k, v in values.items()]),
            self.step)

    def save(self):
        write_save_files(self.args.save_dir, self.args, self.loader.chars)
        self.saver.save(self.sess, self.checkpoint_path, global_step=self.step,
                        write_meta_graph=False)
        print("model saved to {}".format(self.checkpoint_path))
        self.saved_step = self.step

    def save_if_new(self):
        if self.saved_step != self.step:
            self.save()

    def train_epoch(self, e, ctrl_c):
        args, loader, model, sess = self.args, self.loader, self.model, self.sess
        nb = loader.num_batches
        lr = args.learning_rate * (args.decay_rate ** e)
        sess.run(self.set_lr, {self.lr_value: lr})
        self.log(learning_rate=lr)
        loader.reset_batch_pointer()
        loader.pointer = self.start_batch if e == self.start_epoch else 0
        state = model.zero_state_value(args.batch_size)
        epoch_start, epoch_chars = time.time(), 0
        for b in range(loader.pointer, nb):
            start = time.time()
            x, y = loader.next_batch()
            if loader.resets is not None:  # --align_pieces: zero at piece starts
                keep = (~loader.resets[b])[:, None].astype(np.float32)
                state = tuple(self.tf.nn.rnn_cell.LSTMStateTuple(c * keep, h * keep)
                              for c, h in state)
            feed = {model.input_data: x, model.targets: y, model.keep_prob: args.keep_prob}
            feed.update(model.state_feed(state))
            train_loss, state, _ = sess.run([model.cost, model.final_state, model.train_op],
                                            feed)
            self.step = e * nb + b + 1  # batches trained, as global_step counts them
            print("{}/{} (epoch {}), train_loss = {:.3f}, time/batch = {:.3f}".format(
                e * nb + b, self.end_epoch * nb, e, train_loss, time.time() - start))
            epoch_chars += x.size
            self.log(train_loss=train_loss)
            # The chapter set save_every but saved only at the very end.
            if self.step % args.save_every == 0 or self.step == self.end_epoch * nb:
                self.save()
            if ctrl_c.pressed:  # stop between two steps, never inside one
                raise KeyboardInterrupt
        seconds = time.time() - epoch_start
        print("epoch {}: {} characters in {:.1f} s, {:.0f} characters/s".format(
            e, epoch_chars, seconds, epoch_chars / max(seconds, 1e-9)))

    def validate(self, e):
        """Validation loss after epoch `e`; the best so far is saved in SAVE_DIR/best."""
        args = self.args
        val_loss = evaluate(self.sess, self.model, self.loader)
        if val_loss is not None:
            bpc = val_loss / math.log(2)
            what = ("%d held-out pieces" % args.val_pieces if args.val_pieces
                    else "last %g of the text" % args.val_frac)
            print("epoch {}: val_loss = {:.3f}, val_bpc = {:.3f} ({})".format(
                e, val_loss, bpc, what))
            self.log(val_loss=val_loss, val_bpc=bpc)
            if val_loss < self.best_loss:
                self.best_loss = val_loss
                write_save_files(self.best_dir, args, self.loader.chars)
                self.best_saver.save(self.sess, os.path.join(self.best_dir, "model.ckpt"),
                                     global_step=self.step, write_meta_graph=False)
                write_json_atomically(self.best_file, {
                    "val_loss": val_loss, "val_bpc": bpc, "step": self.step,
                    "validation": self.val_spec})
                print("best validation loss so far: saved to {}".format(self.best_dir))
        self.writer.flush()

    def restore_best(self):
        """Make the held-out best checkpoint (SAVE_DIR/best) the newest in SAVE_DIR, which
        is the one sample.py and evaluate.py use: early stopping, judged on unseen pieces."""
        with open(self.best_file, encoding="utf-8") as f:
            best = json.load(f)
        self.best_saver.restore(self.sess, os.path.join(self.best_dir,
                                                        "model.ckpt-%d" % best["step"]))
        self.step = best["step"]
        self.saver.save(self.sess, self.checkpoint_path, global_step=best["step"],
                        write_meta_graph=False)
        print("the newest checkpoint is now the best on held-out pieces: step {}, "
              "val_bpc = {:.3f}".format(best["step"], best["val_bpc"]))


class StopOnCtrlC(object):
    """While active, the first Ctrl-C only sets `pressed`; the loop stops after its current
    step. A KeyboardInterrupt raised inside TensorFlow (say while the summary writer holds
    its queue's lock) could leave the writer unable to close; a second Ctrl-C still does."""

    def __enter__(self):
        self.pressed = False
        try:
            self.previous = signal.signal(signal.SIGINT, self._press)
        except ValueError:  # not the main thread: Ctrl-C stays as it is
            self.previous = None
        return self

    def _press(self, signum, frame):
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


def parse_args(parser, argv=None):
    """The flags, a --preset's values taking the place of the defaults."""
    args = parser.parse_args(argv)
    if args.preset:
        parser.set_defaults(**PRESETS[args.preset])
        args = parser.parse_args(argv)
    return args


def main(argv=None):
    parser = build_parser()
    args = parse_args(parser, argv)
    check_args(parser, args)
    with user_errors_exit():
        train(args)


if __name__ == "__main__":
    main()
