"""A translation task generated on the spot (chapter 10): numbers written in English words, to digits.

``"three hundred and twelve thousand and five"`` -> ``"312005"``. The input and the output have
variable lengths (1 to 17 words, 1 to 9 digits) and a real alignment: each digit is said by a
few words, "thousand" and "million" mark where a group of three digits ends, and a group that is
not said at all ("one million and five") becomes zeros. Two styles are mixed, with and without the
British "and" ("one hundred and five" / "one hundred five"), so that one number has several
spellings.

* :func:`number_words`: one number in words;
* :func:`number_pairs`: a sample of ``(words, digits)`` pairs, as many with each number of digits;
* :func:`encode_words` / :func:`encode_digits`: the integer arrays a Keras model reads and predicts,
  with the token ids of :data:`WORDS` and :data:`DIGIT_TOKENS`; :func:`decode_digits` goes back.

Imports numpy only.
"""

import numpy as np

__all__ = ["WORDS", "DIGIT_TOKENS", "PAD", "START", "END", "number_words", "number_pairs", "encode_words",
           "encode_digits", "decode_digits"]

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# The input vocabulary: id 0 is padding (a masked step), then every word the numbers use.
WORDS = ("<pad>", *ONES, *TENS[2:], "hundred", "thousand", "million", "and")
# The output vocabulary: padding, the decoder's start token, the end token, then the ten digits.
PAD, START, END = 0, 1, 2
DIGIT_TOKENS = ("<pad>", "<start>", "<end>", *"0123456789")


def _below_thousand(n, british):
    """The words of 1 <= n <= 999."""
    words = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
        if n and british:
            words.append("and")
    if n >= 20:
        words.append(TENS[n // 10])
        n %= 10
    if n:
        words.append(ONES[n])
    return words


def number_words(n, british=True):
    """``n`` (0 <= n < 10**9) in English words, a list of strings.

    ``british=True`` says "and" after "hundred" when more follows ("one hundred and five") and
    before a last group below one hundred ("two thousand and seven"); ``british=False`` never does.
    """
    if not 0 <= n < 10**9:
        raise ValueError(f"{n} is outside 0 .. 999,999,999")
    if n == 0:
        return ["zero"]
    words = []
    for size, name in ((10**6, "million"), (10**3, "thousand"), (1, None)):
        group = n // size % 1000
        if not group:
            continue
        if name is None and british and words and group < 100:
            words.append("and")
        words += _below_thousand(group, british) + ([name] if name else [])
    return words


def number_pairs(n, seed=0, max_digits=9):
    """``n`` random ``(words, digits)`` pairs: a list of word lists and a list of digit strings.

    Recipe: the number of digits is uniform in 1 .. ``max_digits``, the number uniform among the
    numbers with that many digits (0 counts as one digit), the style British or not with probability
    1/2 each. The same arguments always give the same pairs.
    """
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_digits + 1, size=n)
    low = np.where(lengths == 1, 0, 10 ** (lengths - 1))
    numbers = rng.integers(low, 10**lengths)
    british = rng.random(n) < 0.5
    return [number_words(int(m), bool(b)) for m, b in zip(numbers, british)], [str(m) for m in numbers]


def encode_words(sentences, length=None, reverse=False):
    """Word lists as an int32 array ``(len(sentences), length)`` of :data:`WORDS` ids, padded with 0
    at the end (``length``: the longest sentence if not given). ``reverse=True`` stores each
    sentence's words last word first (still padded at the end)."""
    index = {w: i for i, w in enumerate(WORDS)}
    length = length or max(map(len, sentences))
    out = np.zeros((len(sentences), length), np.int32)
    for row, words in zip(out, sentences):
        row[:len(words)] = [index[w] for w in (words[::-1] if reverse else words)]
    return out


def encode_digits(numbers, length):
    """Digit strings as the decoder's arrays, each ``(len(numbers), length + 1)`` int32:
    ``(decoder_input, decoder_target)``. The target is the digits then ``END``, the input is the
    same sequence one step later, after ``START`` (teacher forcing); both padded with ``PAD``."""
    target = np.full((len(numbers), length + 1), PAD, np.int32)
    for row, digits in zip(target, numbers):
        row[:len(digits) + 1] = [DIGIT_TOKENS.index(d) for d in digits] + [END]
    decoder_input = np.concatenate([np.full((len(numbers), 1), START, np.int32), target[:, :-1]], axis=1)
    return decoder_input, target


def decode_digits(tokens):
    """One row of output token ids back to a digit string: the digits before the first ``END``
    (or ``PAD``), ``START`` tokens skipped."""
    digits = []
    for t in np.asarray(tokens).tolist():
        if t in (END, PAD):
            break
        if t != START:
            digits.append(DIGIT_TOKENS[t])
    return "".join(digits)
