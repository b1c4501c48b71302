"""Chapter 7, example 2, step 1: the training text for the char-RNN.

As in the chapter: split the Goldberg Variations corpus into its tunes and write 1000 pieces
drawn at random (with repetition) to data/bach/input.txt, one blank line after each.
(train.py --keys K trains on them in K keys.)

    python bach/generate_dataset.py                         # 1000 pieces, seed 0
    python bach/generate_dataset.py --count 2000 --seed 7
"""

from supported import exit_unless_supported_python

exit_unless_supported_python()
import os  # noqa: E402
import random  # noqa: E402

import abc_grammar  # noqa: E402
from utils import (OneLineParser, UserError, read_text, user_errors_exit,  # noqa: E402
                   write_text_atomically)

DEFAULT_INPUT = os.path.join("data", "bach", "original.txt")
DEFAULT_OUTPUT = os.path.join("data", "bach", "input.txt")


def read_corpus(path):
    """The corpus as text; a missing, empty or non-UTF-8 file is a UserError."""
    return read_text(path, "run 'python data/fetch.py bach'")[0]


def split_pieces(text):
    """The tunes of an ABC corpus (abc_grammar's rule: each from its `X:` line)."""
    pieces = [t["text"] for t in abc_grammar.split_tunes(text)]
    if not pieces:
        raise UserError("no 'X:' tune header in the corpus; it must be ABC notation")
    return pieces


def generate(text, count=1000, seed=0):
    """`count` pieces drawn with repetition, each followed by a blank line.

    The chapter drew random.randint(1, 30), which never picks a piece past the 30th;
    here every piece of the corpus can be drawn.
    """
    pieces = split_pieces(text)
    rng = random.Random(seed)
    return "".join(pieces[rng.randrange(len(pieces))] + "\n" for _ in range(count))


def main(argv=None):
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", default=DEFAULT_INPUT, help="ABC corpus (default %(default)s)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="training text (default %(default)s)")
    parser.add_argument("--count", type=int, default=1000,
                        help="pieces to draw (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed, so the data set is reproducible (default %(default)s)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    with user_errors_exit():
        text = read_corpus(args.input)
        out = generate(text, args.count, args.seed)
        write_text_atomically(args.output, out)
    print("wrote %d pieces (%d distinct in the corpus), %d characters, to %s"
          % (args.count, len(split_pieces(text)), len(out), args.output))


if __name__ == "__main__":
    main()
