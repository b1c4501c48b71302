"""bach/sampling.py's structured sampler: how it weighs an accidental before writing it."""
import types

import numpy as np

from conftest import load_script

sampling = load_script("bach/sampling.py")
mask_module = load_script("bach/abc_mask.py")

ALPHABET = "\n '(,-./0123456789:=ABCDEFGJKLMQSTVX[]^_abcdefghilmnorstz|"
HEADER = "X:1\nM:3/4\nL:1/8\nV:1\nV:2 clef=bass\nK:G\n"


def sampler_after(next_letters):
    """A StructuredSampler whose model, after an accidental, writes the letters
    `next_letters[accidental]` ({letter: probability}) and nothing else."""
    chars = list(ALPHABET)
    sampler = sampling.StructuredSampler.__new__(sampling.StructuredSampler)
    sampler.abc_mask, sampler.prior = mask_module, None
    sampler._index(chars)

    def step(char_id, state, temperature):
        probs = np.zeros(len(chars))
        for letter, p in next_letters[chars[int(char_id[0])]].items():
            probs[chars.index(letter)] = p
        return probs, state
    sampler.step = step
    return sampler, chars


def test_an_accidental_weighs_what_the_model_would_write_after_it_that_the_mask_allows():
    # in G major the model, after ^, means F (which the mask refuses: it is sharp already)
    # nine times in ten; after _ it writes B (B flat) and after = it writes F (F natural)
    sampler, chars = sampler_after({"^": {"F": 0.9, "c": 0.1}, "_": {"B": 1.0},
                                    "=": {"F": 1.0}})
    mask = mask_module.StructureMask(chars, unit_lengths=("1/8",), halves=None)
    for char in HEADER + "[V:1]":
        mask.feed(char)
    p = np.array([1.0 if c in mask.allowed() else 0.0 for c in chars])
    before = p.copy()
    sampler._weigh(p, mask, None, 1.0)
    assert np.isclose(p[chars.index("^")], 0.1)  # only its C sharp is left
    assert np.isclose(p[chars.index("_")], 1.0) and np.isclose(p[chars.index("=")], 1.0)
    letters = [chars.index(c) for c in "ABCDEFGabcdefg"]
    assert (p[letters] == before[letters]).all()  # a letter needs no step ahead


def test_an_accidental_the_model_hardly_gives_is_left_as_it_is():
    sampler, chars = sampler_after({"^": {"F": 1.0}, "_": {"B": 1.0}, "=": {"F": 1.0}})
    mask = mask_module.StructureMask(chars, unit_lengths=("1/8",), halves=None)
    for char in HEADER + "[V:1]":
        mask.feed(char)
    p = np.array([1.0 if c in mask.allowed() else 0.0 for c in chars])
    p[chars.index("^")] = 1e-6  # under LOOKAHEAD_SHARE of the allowed characters' mass
    sampler._weigh(p, mask, None, 1.0)
    assert p[chars.index("^")] == 1e-6


def test_when_the_step_ahead_leaves_nothing_any_allowed_character_may_come():
    # only ^ is allowed and the model, after it, writes F, which the mask refuses there
    sampler, chars = sampler_after({"^": {"F": 1.0}})
    mask = types.SimpleNamespace(allowed=lambda: frozenset("^"),
                                 letters_after=lambda accidental: frozenset("c"),
                                 header_shares=lambda: None)
    p = np.zeros(len(chars))
    p[chars.index("^")] = 1.0
    sampler._weigh(p, mask, None, 1.0)
    assert p[chars.index("^")] == 1.0 and p.sum() == 1.0


def test_a_counted_header_value_is_drawn_as_often_as_the_training_tunes_write_it():
    # the model (wrongly) writes 1 after M: nearly always; the training tunes, 3/4 or 3/8
    # eight times in nine
    sampler, chars = sampler_after({})
    mask = mask_module.StructureMask(chars, header_counts={"M": {"3/4": 6, "3/8": 2,
                                                                 "12/8": 1}})
    for char in "X:1\nM:":
        mask.feed(char)
    p = np.array([1.0 if c in mask.allowed() else 0.0 for c in chars])
    p[chars.index("1")] = 100.0
    sampler._weigh(p, mask, None, 1.0)
    assert np.isclose(p[chars.index("3")] / p.sum(), 8 / 9.0)
    assert np.isclose(p[chars.index("1")] / p.sum(), 1 / 9.0)
