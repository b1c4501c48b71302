"""bach/heldout_bits.py: where a model spends its bits on the held-out pieces."""
from conftest import load_script

heldout_bits = load_script("bach/heldout_bits.py")

TUNE = "X:1\nM:3/4\nL:1/8\nK:G\n[V:1]GABc d2|\n[V:2]G,A,B,C D2|\n"


def test_every_character_of_a_tune_has_a_kind():
    kinds = {heldout_bits.kind_of(c) for c in "[V:1]G,A^c'2-|z \n"}
    assert kinds == {"chord or voice bracket", "other", "bar line or repeat", "note letter",
                     "octave mark", "accidental", "length", "tie", "rest", "space or newline"}


def test_the_letter_bigram_is_sure_of_a_line_it_has_seen_and_unsure_of_a_new_one():
    seen = heldout_bits.bigram_bits([TUNE] * 20, [TUNE])
    new = heldout_bits.bigram_bits([TUNE] * 20, [TUNE.replace("GABc d2", "dcBA G2")])
    assert heldout_bits.letter_lines(TUNE) == [list("GABcd"), list("GABCD")]
    assert seen + 1 < new
