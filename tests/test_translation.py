"""rnncourse.translation: numbers in words follow English usage in both styles, the sample follows its
recipe, and the encoded arrays are the decoder's teacher-forcing arrays."""

import numpy as np
import pytest

from rnncourse.translation import (DIGIT_TOKENS, END, PAD, START, WORDS, decode_digits, encode_digits,
                                   encode_words, number_pairs, number_words)


@pytest.mark.parametrize("n, british, words", [
    (0, True, "zero"),
    (7, True, "seven"),
    (15, False, "fifteen"),
    (40, True, "forty"),
    (99, True, "ninety nine"),
    (100, True, "one hundred"),
    (105, True, "one hundred and five"),
    (105, False, "one hundred five"),
    (2007, True, "two thousand and seven"),
    (2007, False, "two thousand seven"),
    (12_345, True, "twelve thousand three hundred and forty five"),
    (1_000_005, True, "one million and five"),
    (1_000_000, True, "one million"),
    (40_000_120, False, "forty million one hundred twenty"),
    (999_999_999, True, "nine hundred and ninety nine million nine hundred and ninety nine thousand "
                        "nine hundred and ninety nine"),
])
def test_number_words(n, british, words):
    assert " ".join(number_words(n, british)) == words


def test_number_words_refuses_numbers_out_of_range():
    with pytest.raises(ValueError):
        number_words(10**9)
    with pytest.raises(ValueError):
        number_words(-1)


def test_number_pairs_are_reproducible_and_spread_over_lengths():
    words, numbers = number_pairs(3000, seed=3, max_digits=7)
    assert (words, numbers) == number_pairs(3000, seed=3, max_digits=7)
    assert number_pairs(50, seed=4)[1] != number_pairs(50, seed=3)[1]
    lengths = np.bincount([len(n) for n in numbers], minlength=8)[1:]
    assert lengths.min() > 3000 / 7 * 0.8, lengths  # about as many numbers of each length
    assert all(not n.startswith("0") or n == "0" for n in numbers)
    for w, n in zip(words, numbers):
        assert w in (number_words(int(n), True), number_words(int(n), False))
    assert {w for sentence in words for w in sentence} <= set(WORDS[1:])
    assert sum("and" in w for w in words) > 1000  # both styles occur


def test_encode_words_pads_at_the_end_and_can_reverse():
    x = encode_words([["one", "hundred"], ["seven"]])
    assert x.dtype == np.int32 and x.shape == (2, 2)
    assert [WORDS[i] for i in x[0]] == ["one", "hundred"] and [WORDS[i] for i in x[1]] == ["seven", "<pad>"]
    r = encode_words([["one", "hundred"], ["seven"]], length=3, reverse=True)
    assert [WORDS[i] for i in r[0]] == ["hundred", "one", "<pad>"] and r[1, 0] == WORDS.index("seven")


def test_encode_digits_gives_targets_and_the_same_shifted_behind_start():
    decoder_in, target = encode_digits(["305", "7"], length=4)
    assert decoder_in.shape == target.shape == (2, 5) and target.dtype == np.int32
    assert [DIGIT_TOKENS[t] for t in target[0]] == ["3", "0", "5", "<end>", "<pad>"]
    assert [DIGIT_TOKENS[t] for t in target[1]] == ["7", "<end>", "<pad>", "<pad>", "<pad>"]
    np.testing.assert_array_equal(decoder_in[:, 0], START)
    np.testing.assert_array_equal(decoder_in[:, 1:], target[:, :-1])
    assert decode_digits(target[0]) == "305" and decode_digits(decoder_in[1]) == "7"
    assert decode_digits([END, 5]) == "" and decode_digits([DIGIT_TOKENS.index("4"), PAD, 5]) == "4"
