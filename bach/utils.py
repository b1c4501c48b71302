"""The chapter's TextLoader: characters -> ids by frequency, cached, cut into batches.

No TensorFlow here, so scripts can check their data before the slow TensorFlow import.
"""
import argparse
import hashlib
import json
import os

import numpy as np

PIECE_HEADER = "X:"
# Settings that shape the variables: a checkpoint only loads into the same ones.
MODEL_SETTINGS = ("rnn_size", "num_layers")
# sample.py's --sampler: graph (all characters in one session.run), loop (the chapter's
# session.run per character), checked (graph in chunks, bars checked: model.sample_checked).
SAMPLERS = ("graph", "loop", "checked")


class UserError(Exception):
    """A problem the user can fix; the scripts print it as one line and exit with code 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage block), exit code 2."""

    def error(self, message):
        self.exit(2, "%s: error: %s\n" % (self.prog, message))


def read_text(path, encoding="utf-8"):
    """The file's text and its sha256; missing, empty or undecodable files are UserErrors."""
    if not os.path.isfile(path):
        raise UserError("%s not found; run 'python bach/generate_dataset.py' first" % path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise UserError("%s is not %s text (byte %d); convert it or regenerate it"
                        % (path, encoding.upper(), e.start))
    if not text:
        raise UserError("%s is empty; run 'python bach/generate_dataset.py' again" % path)
    return text, hashlib.sha256(raw).hexdigest()


def build_vocab(text):
    """Characters ordered by falling frequency (ties by code point, so the order is stable),
    and the text as an int32 array of their indices."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    uniq, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    order = sorted(range(len(uniq)), key=lambda i: (-counts[i], uniq[i]))
    rank = np.empty(len(uniq), dtype=np.int32)
    rank[order] = np.arange(len(uniq), dtype=np.int32)
    chars = tuple(chr(int(uniq[i])) for i in order)
    return chars, rank[inverse.ravel()]


def piece_spans(text):
    """(start, end) of every piece: each 'X:' header to the next (text before the first is
    its own span)."""
    starts, at = [], text.find(PIECE_HEADER)
    while at >= 0:
        starts.append(at)
        at = text.find(PIECE_HEADER, at + 1)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return list(zip(starts, starts[1:] + [len(text)]))


def write_json_atomically(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


class TextLoader():
    """input.txt in data_dir as batches of ids, as in the chapter.

    Beyond the chapter: the cache (data.npy + vocab.json, no pickle) is rebuilt when
    input.txt changes; part of the text can be held out for validation, either the last
    `val_frac` of it or `val_pieces` whole pieces that the training part never contains.
    """

    def __init__(self, data_dir, batch_size, seq_length, encoding="utf-8",
                 val_frac=0.0, val_pieces=0, verbose=True, align_pieces=False):
        self.data_dir = data_dir
        self.align_pieces = align_pieces
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.encoding = encoding
        self.verbose = verbose

        input_file = os.path.join(data_dir, "input.txt")
        vocab_file = os.path.join(data_dir, "vocab.json")
        tensor_file = os.path.join(data_dir, "data.npy")

        text, sha256 = read_text(input_file, encoding)
        if not self.load_preprocessed(vocab_file, tensor_file, sha256, len(text)):
            self._say("reading text file")
            self.preprocess(text, sha256, vocab_file, tensor_file)
        else:
            self._say("loading preprocessed files")
        self.split_validation(text, val_frac, val_pieces)
        self.create_batches()
        self.reset_batch_pointer()

    def _say(self, line):
        if self.verbose:
            print(line)

    def preprocess(self, text, sha256, vocab_file, tensor_file):
        self.chars, self.tensor = build_vocab(text)
        self.vocab_size = len(self.chars)
        self.vocab = dict(zip(self.chars, range(len(self.chars))))
        try:
            tmp = tensor_file + ".tmp.npy"
            np.save(tmp, self.tensor, allow_pickle=False)
            os.replace(tmp, tensor_file)
            write_json_atomically(vocab_file, {"chars": list(self.chars), "input_sha256": sha256})
        except OSError as e:  # a read-only data folder only costs the cache
            self._say("could not write the cache (%s); continuing without it" % e)

    def load_preprocessed(self, vocab_file, tensor_file, sha256, length):
        """Use the cache if it belongs to this very input.txt; False otherwise."""
        try:
            with open(vocab_file, encoding="utf-8") as f:
                cached = json.load(f)
            if cached.get("input_sha256") != sha256:
                return False
            tensor = np.load(tensor_file, allow_pickle=False)
            chars = tuple(cached["chars"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False
        if tensor.shape != (length,) or tensor.size == 0 or tensor.max() >= len(chars):
            return False
        self.chars, self.tensor = chars, tensor.astype(np.int32)
        self.vocab_size = len(self.chars)
        self.vocab = dict(zip(self.chars, range(len(self.chars))))
        return True

    def split_validation(self, text, val_frac, val_pieces):
        """Keep the training part in self.tensor and the held-out part in self.val_tensor."""
        self.val_tensor = self.tensor[:0]
        self.val_piece_count = 0
        self.val_piece_names = []
        if val_pieces > 0:
            spans = piece_spans(text)
            distinct = []
            first = {}
            for start, end in spans:
                piece = text[start:end]
                if piece.startswith(PIECE_HEADER) and piece not in first:
                    first[piece] = (start, end)
                    distinct.append(piece)
            if val_pieces >= len(distinct):
                raise UserError("--val_pieces %d leaves nothing to train on: input.txt has %d "
                                "distinct pieces" % (val_pieces, len(distinct)))
            held = set(distinct[-val_pieces:])  # the last ones to appear: a random choice
            keep = np.ones(len(text), dtype=bool)
            for start, end in spans:
                if text[start:end] in held:
                    keep[start:end] = False
            self.val_tensor = np.concatenate([self.tensor[slice(*first[p])] for p in distinct[-val_pieces:]])
            self.tensor = self.tensor[keep]
            self.val_piece_count = val_pieces
            self.val_piece_names = [p.split("\n", 1)[0].strip() for p in distinct[-val_pieces:]]
        elif val_frac > 0:
            cut = len(self.tensor) - int(len(self.tensor) * val_frac)
            self.tensor, self.val_tensor = self.tensor[:cut], self.tensor[cut:]

    def piece_starts(self):
        """Indices in self.tensor where an 'X:' line begins a piece."""
        t = self.tensor
        x, colon, newline = self.vocab.get("X"), self.vocab.get(":"), self.vocab.get("\n")
        if x is None or colon is None:
            return np.zeros(0, dtype=np.int64)
        at = np.flatnonzero((t[:-1] == x) & (t[1:] == colon))
        return at[(at == 0) | (t[np.maximum(at - 1, 0)] == newline)]

    def create_aligned_batches(self):
        """Each piece starts a sequence, padded at its end with newlines to whole sequences,
        so training can start every piece from the zero state, as sampling does. Pieces go
        to the rows in turn (the shortest row first); rows are cut to the shortest one.
        self.resets[b] marks the rows whose sequence in batch b starts a piece."""
        starts = list(self.piece_starts())
        if not starts or starts[0] != 0:
            starts.insert(0, 0)
        pad = self.vocab.get("\n", 0)
        rows = [[] for _ in range(self.batch_size)]
        row_windows = [0] * self.batch_size
        for start, end in zip(starts, starts[1:] + [self.tensor.size]):
            piece = self.tensor[start:end]
            windows = -(-piece.size // self.seq_length)
            padded = np.full(windows * self.seq_length, pad, dtype=np.int32)
            padded[:piece.size] = piece
            r = int(np.argmin(row_windows))
            rows[r].append(padded)
            row_windows[r] += windows
        self.num_batches = min(row_windows)
        if self.num_batches == 0:
            raise UserError("%s has too few pieces for --batch_size %d with --align_pieces; use a "
                            "smaller batch or more pieces"
                            % (os.path.join(self.data_dir, "input.txt"), self.batch_size))
        n = self.num_batches * self.seq_length
        streams = [np.concatenate(r + [np.full(1, pad, dtype=np.int32)]) for r in rows]
        xdata = np.stack([s[:n] for s in streams])
        ydata = np.stack([s[1:n + 1] for s in streams])
        first = np.zeros((self.batch_size, self.num_batches), dtype=bool)
        for r, pieces in enumerate(rows):
            at = np.cumsum([0] + [p.size // self.seq_length for p in pieces[:-1]])
            first[r, at[at < self.num_batches]] = True
        self.resets = [first[:, b] for b in range(self.num_batches)]
        self.x_batches = [np.ascontiguousarray(b) for b in np.split(xdata, self.num_batches, 1)]
        self.y_batches = [np.ascontiguousarray(b) for b in np.split(ydata, self.num_batches, 1)]
        self.create_val_batches()

    def create_batches(self):
        self.resets = None
        if self.align_pieces:
            return self.create_aligned_batches()
        self.num_batches = int(self.tensor.size / (self.batch_size * self.seq_length))
        if self.num_batches == 0:
            raise UserError(
                "%s has %d characters to train on, fewer than one batch of --batch_size %d x "
                "--seq_length %d; use smaller values or more text"
                % (os.path.join(self.data_dir, "input.txt"), self.tensor.size,
                   self.batch_size, self.seq_length))
        self.tensor = self.tensor[:self.num_batches * self.batch_size * self.seq_length]
        xdata = self.tensor
        ydata = np.copy(self.tensor)
        ydata[:-1] = xdata[1:]
        ydata[-1] = xdata[0]  # the chapter's wrap-around: the last target is the first char
        self.x_batches = [np.ascontiguousarray(b) for b in
                          np.split(xdata.reshape(self.batch_size, -1), self.num_batches, 1)]
        self.y_batches = [np.ascontiguousarray(b) for b in
                          np.split(ydata.reshape(self.batch_size, -1), self.num_batches, 1)]
        self.create_val_batches()

    def create_val_batches(self):
        """Validation batches: rows of seq_length with their true next characters (no
        wrap-around), as many rows as fit up to batch_size; none if too short."""
        usable = self.val_tensor.size - 1
        rows = min(self.batch_size, usable // self.seq_length) if usable > 0 else 0
        self.val_x_batches, self.val_y_batches = [], []
        if rows == 0:
            self.val_num_batches = 0
            return
        self.val_num_batches = usable // (rows * self.seq_length)
        n = self.val_num_batches * rows * self.seq_length
        xdata = self.val_tensor[:n].reshape(rows, -1)
        ydata = self.val_tensor[1:n + 1].reshape(rows, -1)
        self.val_x_batches = [np.ascontiguousarray(b) for b in np.split(xdata, self.val_num_batches, 1)]
        self.val_y_batches = [np.ascontiguousarray(b) for b in np.split(ydata, self.val_num_batches, 1)]

    def next_batch(self):
        x, y = self.x_batches[self.pointer], self.y_batches[self.pointer]
        self.pointer += 1
        return x, y

    def reset_batch_pointer(self):
        self.pointer = 0


# ------------------------------------------------------------- save folders (no TensorFlow)


def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError:
        raise UserError("%s not found; %s" % (path, what))
    except ValueError:
        raise UserError("%s is not valid JSON (corrupt save folder?); %s" % (path, what))


def newest_checkpoint(save_dir):
    """The newest checkpoint's path prefix from save_dir/checkpoint, read without TensorFlow;
    None if there is none. A path saved elsewhere (absolute) is looked for in save_dir."""
    try:
        with open(os.path.join(save_dir, "checkpoint"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "model_checkpoint_path":
            name = value.strip().strip('"')
            for path in (os.path.join(save_dir, name), os.path.join(save_dir, os.path.basename(name))):
                if os.path.isfile(path + ".index"):
                    return path
    return None


def load_save_dir(save_dir):
    """(config, chars, checkpoint path) of a save folder; anything missing is a UserError."""
    hint = "train a model first with 'python bach/train.py --save_dir %s'" % save_dir
    if not os.path.isdir(save_dir):
        raise UserError("save folder %s not found; %s" % (save_dir, hint))
    config = read_json(os.path.join(save_dir, "config.json"), hint)
    vocab = read_json(os.path.join(save_dir, "vocab.json"), hint)
    try:
        chars = list(vocab["chars"])
        assert all(isinstance(c, str) and len(c) == 1 for c in chars) and chars
        for name in MODEL_SETTINGS + ("vocab_size",):
            assert int(config[name]) >= 1
        assert int(config["vocab_size"]) == len(chars)
    except (KeyError, TypeError, ValueError, AssertionError):
        raise UserError("%s holds an incomplete config.json or vocab.json; %s" % (save_dir, hint))
    ckpt = newest_checkpoint(save_dir)
    if ckpt is None:
        raise UserError("no checkpoint in %s; %s" % (save_dir, hint))
    return config, chars, ckpt
