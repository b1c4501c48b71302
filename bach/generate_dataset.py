"""Chapter 7, example 2, step 1: the training text for the char-RNN.

As in the chapter: split the Goldberg Variations corpus on `X:` and write 1000 pieces drawn
at random (with repetition), each starting with `X:` again, to data/bach/input.txt.

    python bach/generate_dataset.py                         # 1000 pieces, seed 0
    python bach/generate_dataset.py --count 2000 --seed 7
"""
import os
import random
import sys

from utils import OneLineParser, UserError

DEFAULT_INPUT = os.path.join("data", "bach", "original.txt")
DEFAULT_OUTPUT = os.path.join("data", "bach", "input.txt")


def read_corpus(path):
    """The corpus as text; a missing, empty or non-UTF-8 file is a UserError."""
    if not os.path.isfile(path):
        raise UserError("%s not found; run 'python data/fetch.py bach' first" % path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UserError("%s is not UTF-8 text (byte %d); convert it to UTF-8" % (path, e.start))
    if not text.strip():
        raise UserError("%s is empty; run 'python data/fetch.py bach' again" % path)
    return text


def split_pieces(text):
    """The pieces of an ABC corpus, each without its leading 'X:' (as the chapter splits)."""
    pieces = [p for p in text.split("X:")[1:] if p.strip()]
    if not pieces:
        raise UserError("no 'X:' tune header in the corpus; it must be ABC notation")
    return pieces


def generate(text, count=1000, seed=0):
    """`count` pieces drawn with repetition, each prefixed with 'X:' again.

    The chapter drew random.randint(1, 30), which never picks a piece past the 30th;
    here every piece of the corpus can be drawn.
    """
    pieces = split_pieces(text)
    rng = random.Random(seed)
    return "".join("X:" + pieces[rng.randrange(len(pieces))] for _ in range(count))


def write_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", default=DEFAULT_INPUT, help="ABC corpus (default %(default)s)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="training text (default %(default)s)")
    parser.add_argument("--count", type=int, default=1000, help="pieces to draw (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed, so the data set is reproducible (default %(default)s)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    try:
        text = read_corpus(args.input)
        out = generate(text, args.count, args.seed)
        write_atomically(args.output, out)
    except UserError as e:
        sys.stderr.write("error: %s\n" % e)
        sys.exit(2)
    print("wrote %d pieces (%d distinct in the corpus), %d characters, to %s"
          % (args.count, len(split_pieces(text)), len(out), args.output))


if __name__ == "__main__":
    main()
