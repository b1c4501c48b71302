"""The chapter's TextLoader: characters -> ids by frequency, cached, cut into batches.

No TensorFlow here, so scripts can check their data before the slow TensorFlow import.
"""
import argparse
import contextlib
import hashlib
import json
import os
import random
import sys

import numpy as np

import abc_grammar

# Settings that shape the variables: a checkpoint only loads into the same ones.
MODEL_SETTINGS = ("rnn_size", "num_layers")
# Two ideas, two flags, the same in train.py (stored with the model) and sample.py:
# --sample, the chapter's sampling type: how each character is picked (SAMPLING_TYPES);
# --sampler, what runs the model (sampling.py): loop (the chapter's session.run per
# character), graph (all characters in one session.run), structured (one run per character,
# only characters that keep the tune valid).
SAMPLING_TYPES = (0, 1, 2, 3)
SAMPLING_HELP = ("0: the most likely character; 1: draw every character (the chapter); 2: draw "
                 "only after a space or newline; 3: only after a bar line or newline")
SAMPLERS = ("loop", "graph", "structured")
SAMPLER_HELP = ("loop: the chapter's session.run per character; graph: all characters in one "
                "session.run (tf.while_loop); structured: whole tunes, each character drawn "
                "only among those that keep the tune valid (constrained decoding)")


class UserError(Exception):
    """A problem the user can fix; the scripts print it as one line and exit with code 2."""


@contextlib.contextmanager
def user_errors_exit():
    """A UserError raised inside becomes one line on stderr and exit code 2, no traceback."""
    try:
        yield
    except UserError as e:
        sys.stderr.write("error: %s\n" % e)
        sys.exit(2)


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line (no usage block), exit code 2."""

    def error(self, message):
        self.exit(2, "%s: error: %s\n" % (self.prog, message))


def read_text(path, remedy="run 'python bach/generate_dataset.py'", encoding="utf-8"):
    """The file's text and its sha256. A missing, empty or undecodable file is a UserError
    that names the file and the `remedy`."""
    if not os.path.isfile(path):
        raise UserError("%s not found; %s first" % (path, remedy))
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise UserError("%s is not %s text (byte %d); convert it, or %s"
                        % (path, encoding.upper(), e.start, remedy))
    if not text.strip():
        raise UserError("%s is empty; %s again" % (path, remedy))
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


# (letters, semitones) of the keys train.py --keys K draws each piece in: the first K.
# From G (and Gm): G A F Bb E, then C D F# B Eb; not Ab or Db, whose minor keys have
# 7 or 8 flats.
TRANSPOSITIONS = ((0, 0), (1, 2), (-1, -2), (2, 3), (-2, -3),
                  (3, 5), (-3, -5), (-1, -1), (2, 4), (-2, -4))


def in_keys(text, keys, seed=0):
    """`text` with each tune moved to one of the first `keys` TRANSPOSITIONS, drawn with a
    generator seeded with `seed` (a tune that cannot move there stays as it is)."""
    rng = random.Random(seed)
    out, at = [], 0
    for start, end, _ in abc_grammar.tune_spans(text):
        steps, semitones = TRANSPOSITIONS[rng.randrange(keys)]
        tune = text[start:end]
        if steps:
            try:
                tune = abc_grammar.transpose_tune(tune, steps, semitones)
            except abc_grammar.AbcSyntaxError:
                pass
        out += [text[at:start], tune]
        at = end
    return "".join(out + [text[at:]])


def _x_number(x_line):
    """'X:12' -> 12, for sorting pieces in the corpus' order."""
    digits = x_line[2:].strip()
    return (0, int(digits)) if digits.isdigit() else (1, digits)


def stored_sampling(config):
    """(sampling type, sampler, temperature, line prior strength) that train.py stored for
    sample.py with the model; the chapter's (1, graph, 1.0) and no prior (0) where it stored
    none. Save folders of earlier versions named the first three sample_type,
    sample_sampler ('checked') and sample_temperature."""
    sampling_type = config.get("sample", config.get("sample_type", 1))
    sampler = config.get("sampler", config.get("sample_sampler", "graph"))
    sampler = {"checked": "structured"}.get(sampler, sampler)
    temperature = config.get("temperature", config.get("sample_temperature", 1.0))
    line_prior = config.get("line_prior", 0.0)
    return (int(sampling_type) if sampling_type in SAMPLING_TYPES else 1,
            sampler if sampler in SAMPLERS else "graph", float(temperature),
            float(line_prior) if isinstance(line_prior, (int, float)) and line_prior >= 0
            else 0.0)


def write_text_atomically(path, text):
    """Write `text` to a temporary file beside `path`, then rename it: a failed write never
    leaves half a file where an earlier one was. Creates the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = "%s.%d.tmp" % (path, os.getpid())  # two processes writing one path do not collide
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json_atomically(path, obj):
    write_text_atomically(path, json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True)
                          + "\n")


# A --val_frac row is at least this many sequences long, so few of its characters are
# predicted from the zero state, where no sampled character ever is (sampling runs on).
VAL_ROW_SEQUENCES = 20


def padded_batches(rows, seq_length, pad):
    """[(x, y, weights)]: rows of (input ids, target ids) padded with `pad` (weight 0) to a
    common whole number of sequences, cut into batches of seq_length steps."""
    if not rows:
        return []
    width = -(-max(x.size for x, _ in rows) // seq_length) * seq_length
    x_all = np.full((len(rows), width), pad, dtype=np.int32)
    y_all = np.full((len(rows), width), pad, dtype=np.int32)
    weights = np.zeros((len(rows), width), dtype=np.float32)
    for r, (x, y) in enumerate(rows):
        x_all[r, :x.size], y_all[r, :y.size], weights[r, :x.size] = x, y, 1.0
    return [tuple(np.ascontiguousarray(a[:, t:t + seq_length]) for a in (x_all, y_all, weights))
            for t in range(0, width, seq_length)]


class TextLoader():
    """input.txt in data_dir as batches of ids, as in the chapter.

    Beyond the chapter: the cache (data.npy + vocab.json, no pickle) is rebuilt when
    input.txt changes; part of the text can be held out for validation, either the last
    `val_frac` of it or `val_pieces` whole pieces that the training part never contains.
    """

    def __init__(self, data_dir, batch_size, seq_length, encoding="utf-8",
                 val_frac=0.0, val_pieces=0, verbose=True, align_pieces=False, keys=1):
        self.data_dir = data_dir
        self.align_pieces = align_pieces
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.encoding = encoding
        self.verbose = verbose

        input_file = os.path.join(data_dir, "input.txt")
        suffix = "" if keys == 1 else "_keys%d" % keys
        vocab_file = os.path.join(data_dir, "vocab%s.json" % suffix)
        tensor_file = os.path.join(data_dir, "data%s.npy" % suffix)

        text, sha256 = read_text(input_file, encoding=encoding)
        if keys > 1:
            text = in_keys(text, keys)
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
            tmp = "%s.%d.tmp.npy" % (tensor_file, os.getpid())
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
        """Keep the training part in self.tensor and the held-out part in self.val_tensor.

        val_pieces: every copy of that many pieces (a piece is its `X:` line, so copies in
        other keys count too) leaves the training text; the held-out text is each piece
        once, as original.txt beside input.txt writes it (else its first copy). Which
        pieces: a draw seeded with 0 from the corpus' own, so models trained on other
        data sets of the same corpus are judged on the same pieces."""
        self.val_tensor = self.tensor[:0]
        self.val_piece_names, self.val_streams = [], []
        if val_pieces > 0:
            tunes = {}
            for start, end, _ in abc_grammar.tune_spans(text):
                tunes.setdefault(text[start:text.find("\n", start)], []).append((start, end))
            originals = self._original_tunes(set(tunes))
            names = sorted(originals or tunes, key=_x_number)
            if val_pieces >= len(names):
                raise UserError("--val_pieces %d leaves nothing to train on: input.txt has %d "
                                "distinct pieces" % (val_pieces, len(names)))
            held = sorted(random.Random(0).sample(names, val_pieces), key=_x_number)
            keep = np.ones(len(text), dtype=bool)
            for name in held:
                for start, end in tunes.get(name, ()):
                    keep[start:end] = False
            self.val_streams = [self._ids(originals[name]) if originals else
                                self.tensor[slice(*tunes[name][0])] for name in held]
            self.val_tensor = np.concatenate(self.val_streams)
            self.tensor = self.tensor[keep]
            self.val_piece_names = held
        elif val_frac > 0:
            cut = len(self.tensor) - int(len(self.tensor) * val_frac)
            self.tensor, self.val_tensor = self.tensor[:cut], self.tensor[cut:]
            if self.val_tensor.size > 1:
                self.val_streams = [self.val_tensor]

    def _original_tunes(self, names):
        """{X: line: tune text} of original.txt beside input.txt, if it holds the same
        pieces in characters the vocabulary has; else {}."""
        try:
            text = read_text(os.path.join(self.data_dir, "original.txt"))[0]
        except UserError:
            return {}
        tunes = {t.split("\n", 1)[0]: t for t in abc_grammar.complete_tunes(text)}
        if set(tunes) != names or set("".join(tunes.values())) - set(self.vocab):
            return {}
        return tunes

    def decode(self, ids):
        """The text of a sequence of character ids."""
        return "".join(np.asarray(self.chars)[ids])

    def _ids(self, text):
        return np.array([self.vocab[c] for c in text], dtype=np.int32)

    def piece_starts(self):
        """Indices in self.tensor where a tune begins (abc_grammar's rule)."""
        text = self.decode(self.tensor)
        return [start for start, _, _ in abc_grammar.tune_spans(text)]

    def create_aligned_batches(self):
        """Each piece starts a sequence, padded at its end with newlines to whole sequences,
        so training can start every piece from the zero state, as sampling does. Pieces go
        to the rows in turn (the shortest row first); rows are cut to the shortest one.
        self.resets[b] marks the rows whose sequence in batch b starts a piece."""
        starts = self.piece_starts()
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
        """Validation batches (x, y, weights), [rows, seq_length] each, to run in turn with
        the state carried from the zero state. Each held-out piece is a row of its own from
        its first character, as sampling starts; the last --val_frac of the text is cut into
        rows of at least VAL_ROW_SEQUENCES sequences (at most batch_size rows). Every
        character but a row's last is scored once (weight 1); padding weighs 0."""
        rows = []
        for stream in self.val_streams:
            if stream.size < 2:
                continue
            if self.val_piece_names:
                rows.append((stream[:-1], stream[1:]))
                continue
            count = max(1, min(self.batch_size,
                               (stream.size - 1) // (VAL_ROW_SEQUENCES * self.seq_length)))
            rows += zip(np.array_split(stream[:-1], count), np.array_split(stream[1:], count))
        self.val_batches = padded_batches(rows, self.seq_length, self.vocab.get("\n", 0))
        self.val_num_batches = len(self.val_batches)

    def next_batch(self):
        x, y = self.x_batches[self.pointer], self.y_batches[self.pointer]
        self.pointer += 1
        return x, y

    def reset_batch_pointer(self):
        self.pointer = 0


# ------------------------------------------------------------- save folders (no TensorFlow)


def heldout_loader(config):
    """(TextLoader holding the pieces a model with these settings never trained on, None) or
    (None, why not): none without --val_pieces, or when its input.txt is gone."""
    val_pieces = int(config.get("val_pieces") or 0)
    if not val_pieces:
        return None, "trained without --val_pieces: no held-out pieces"
    try:
        return TextLoader(config["data_dir"], int(config["batch_size"]),
                          int(config["seq_length"]), val_pieces=val_pieces, verbose=False,
                          keys=int(config.get("keys", 1))), None
    except UserError as e:
        return None, "held-out pieces not available (%s)" % e


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
            for path in (os.path.join(save_dir, name),
                         os.path.join(save_dir, os.path.basename(name))):
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
