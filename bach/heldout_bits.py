"""Where a model spends its bits on the held-out pieces: bits per character by kind of
character (note letters, octave marks, lengths, ...), beside what a letter bigram of the
training pieces spends on the held-out note letters.

    python bach/heldout_bits.py --save_dir save_best
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import argparse  # noqa: E402
import collections  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402

import numpy as np  # noqa: E402

import abc_grammar  # noqa: E402
from utils import (OneLineParser, UserError, heldout_loader, load_save_dir,  # noqa: E402
                   user_errors_exit)

KINDS = (("note letter", abc_grammar.NOTE_LETTERS), ("octave mark", ",'"),
         ("accidental", "^_="), ("length", "0123456789/"), ("tie", "-"),
         ("chord or voice bracket", "[]"), ("bar line or repeat", "|:"), ("rest", "z"),
         ("space or newline", " \n"))


def kind_of(char):
    return next((name for name, chars in KINDS if char in chars), "other")


def bits_by_kind(sess, model, loader):
    """{kind: [bits, characters]} over the held-out characters (TextLoader.val_batches)."""
    totals = collections.defaultdict(lambda: [0.0, 0])
    for losses, y, weights in model.batch_losses(sess, loader.val_batches):
        for nats, target, weight in zip(losses, y.ravel(), weights.ravel()):
            if weight:
                total = totals[kind_of(loader.chars[target])]
                total[0] += nats / math.log(2)
                total[1] += 1
    return totals


def letter_lines(tune):
    """The note letters of each voice line of a tune, in order (chords and all)."""
    body = abc_grammar.music_lines(abc_grammar.split_header(tune)[1])
    return [[c for c in re.sub(r"\[V:\w+\]", "", line) if c in abc_grammar.NOTE_LETTERS]
            for line in body]


def bigram_bits(train_tunes, test_tunes):
    """Bits per note letter that a letter bigram of `train_tunes` (add-one smoothed, the
    line's first letter from the unigram) spends on the letters of `test_tunes`."""
    letters = abc_grammar.NOTE_LETTERS
    unigram, bigram = np.ones(len(letters)), np.ones((len(letters), len(letters)))
    for tune in train_tunes:
        for line in letter_lines(tune):
            ids = [letters.index(c) for c in line]
            np.add.at(unigram, ids, 1)
            np.add.at(bigram, (ids[:-1], ids[1:]), 1)
    unigram /= unigram.sum()
    bigram /= bigram.sum(axis=1, keepdims=True)
    bits, count = 0.0, 0
    for tune in test_tunes:
        for line in letter_lines(tune):
            ids = [letters.index(c) for c in line]
            probs = [unigram[i] for i in ids[:1]] + [bigram[a, b] for a, b in zip(ids, ids[1:])]
            bits -= float(np.sum(np.log2(probs)))
            count += len(ids)
    return bits / max(count, 1)


def table(totals, bigram):
    all_bits = sum(b for b, _ in totals.values())
    all_chars = sum(n for _, n in totals.values())
    lines = ["| characters | share of characters | bits per character | share of the bits |",
             "|---|---|---|---|"]
    for name, (bits, count) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        lines.append("| %s | %.1f%% | %.2f | %.1f%% |" % (
            name, 100.0 * count / all_chars, bits / count, 100.0 * bits / all_bits))
    lines.append("| all | 100%% | %.3f | 100%% |" % (all_bits / all_chars))
    lines.append("a letter bigram of the training pieces: %.2f bits per held-out note letter"
                 % bigram)
    return lines


def main(argv=None):
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--save_dir", default="save", help="model folder (default %(default)s)")
    args = p.parse_args(argv)
    with user_errors_exit():
        from model import Model
        from tfcompat import tf_v1
        config, _, ckpt = load_save_dir(args.save_dir)
        loader, why_not = heldout_loader(config)
        if loader is None or not loader.val_batches:
            raise UserError("%s: %s; train with --val_pieces N" % (args.save_dir, why_not))
        tf = tf_v1()
        with tf.Graph().as_default():
            model = Model(argparse.Namespace(**config))
            saver = tf.train.Saver(model.model_variables)
            with tf.Session() as sess:
                saver.restore(sess, ckpt)
                totals = bits_by_kind(sess, model, loader)
        held = [loader.decode(stream) for stream in loader.val_streams]
        train = sorted({t["text"] for t in abc_grammar.split_tunes(loader.decode(loader.tensor))})
        print("held-out pieces %s, %s" % (", ".join(loader.val_piece_names), ckpt))
        print("\n".join(table(totals, bigram_bits(train, held))))


if __name__ == "__main__":
    main()
