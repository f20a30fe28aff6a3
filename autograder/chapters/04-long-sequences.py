"""Chapter 04 · Long sequences: what the exercise grades, and how its reference outputs are made.

Sliding windows and the reconstruction of a text from overlapping windows are the lecture's own
code (its loop over ``range(len - seq_len)`` and its print loop, written out below);
``temperature_softmax`` is ``keras.ops.softmax(logits / temperature)``.

Large-logit cases use temperatures that are powers of two, so that ``logits / temperature`` is
exact in float32 as well and the only difference between a correct float32 answer and Keras is
the rounding of ``exp``: far inside the tolerance even for logits in the thousands.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.text import SHIP, WINDOW

GRADED = {
    "sliding_windows": Graded(inputs=("indices", "seq_len"), outputs=(Output("X", "exact"), Output("Y", "exact"))),
    "reconstruct": Graded(inputs=("pred_windows", "idx2char"), outputs=(Output("text", "exact"),)),
    "temperature_softmax": Graded(inputs=("logits", "temperature"), outputs=(Output("probs"),)),
}


def lecture_windows(indices, seq_len):
    """The lecture's loop: window i is indices[i:i+L], its target indices[i+1:i+L+1]."""
    data_x, data_y = [], []
    for i in range(0, len(indices) - seq_len):
        data_x.append(indices[i:i + seq_len])
        data_y.append(indices[i + 1:i + seq_len + 1])
    return np.array(data_x, dtype=np.int64), np.array(data_y, dtype=np.int64)


def lecture_text(pred_windows, idx2char):
    """The lecture's print loop: the first window whole, then the last character of each later one."""
    text = ""
    for j, index in enumerate(pred_windows):
        if j == 0:
            text += "".join([idx2char[t] for t in index])
        else:
            text += idx2char[index[-1]]
    return text


def window_cases(rng):
    idx2char = sorted(set(SHIP))
    ship = np.array([idx2char.index(c) for c in SHIP], dtype=np.int64)
    given = [
        (ship, WINDOW, f"the lecture's sentence, {len(ship)} int64 indices, windows of {WINDOW}"),
        (rng.integers(0, 9, 12).tolist(), 3, "a list of 12 indices, windows of 3"),
        (rng.integers(0, 30, 30).astype(np.int32), 1, "30 int32 indices, windows of length 1"),
        (rng.integers(0, 50, 25), 24, "25 int64 indices, windows of 24 (a single window)"),
        ([4, 7], 1, "the list [4, 7], windows of length 1 (a single window)"),
        (rng.integers(0, 100, 64).astype(np.int32), 7, "64 int32 indices, windows of 7"),
        (rng.integers(0, 5, 9).astype(np.int16), 8, "9 int16 indices, windows of 8 (a single window)"),
        (rng.integers(0, 5000, 40), 5, "40 word indices up to 5000, windows of 5"),
    ]
    cases = []
    for indices, seq_len, about in given:
        X, Y = lecture_windows(indices, seq_len)
        cases.append(dict(indices=indices, seq_len=seq_len, X=X, Y=Y, description=about))
    return cases


def text_cases(rng):
    idx2char = sorted(set(SHIP))
    ship = np.array([idx2char.index(c) for c in SHIP], dtype=np.int64)
    _, targets = lecture_windows(ship, WINDOW)
    letters = list("abcdefghij ,.'")
    given = [
        (targets, idx2char, "the 170 target windows of the lecture's sentence"),
        (rng.integers(0, len(letters), (20, 5)), letters, "20 windows of 5 predicted at random (they disagree)"),
        (rng.integers(0, len(letters), (1, 8)).astype(np.int32), letters, "a single int32 window of 8"),
        (rng.integers(0, len(letters), (6, 1)), letters, "6 windows of length 1"),
        (rng.integers(0, 3, (40, 12)).astype(np.int32), ["x", "y", " "], "40 int32 windows of 12, vocabulary of 3"),
    ]
    return [dict(pred_windows=windows, idx2char=chars, text=lecture_text(windows, chars), description=about)
            for windows, chars, about in given]


def softmax_cases(keras, rng):
    def logits(shape, scale=2.0, offset=0.0):
        return (offset + scale * rng.normal(size=shape)).astype(np.float32)

    levels = logits((3, 8), scale=5.0) + np.array([[400.0], [-400.0], [0.0]], dtype=np.float32)
    given = [
        (logits((25,)), 1.0, "1-D logits (25,), temperature 1 (the plain softmax)"),
        (logits((7,)), 0.5, "1-D logits (7,), temperature 0.5"),
        (logits((4, 10)), 2.0, "2-D logits (4, 10), temperature 2"),
        (logits((5, 3)), 0.3, "2-D logits (5, 3), temperature 0.3"),
        (logits((2, 6, 25)), 1.7, "3-D logits (2, 6, 25), temperature 1.7"),
        (logits((3, 4, 5), scale=1.0), 0.1, "3-D logits (3, 4, 5), temperature 0.1"),
        (logits((10,), scale=3.0, offset=95.0), 0.25, "1-D logits near 95, temperature 0.25 (exp overflows float32)"),
        (levels, 0.5, "2-D logits (3, 8) whose rows lie near +400, -400 and 0, temperature 0.5"),
        (logits((2, 2, 6), scale=3000.0), 4.0, "3-D logits (2, 2, 6) of size up to thousands, temperature 4"),
    ]
    cases = []
    for z, temperature, about in given:
        probs = keras.ops.convert_to_numpy(keras.ops.softmax(z.astype(np.float64) / temperature))
        cases.append(dict(logits=z, temperature=temperature, probs=probs, description=about))
    return cases


def references(tf, keras, rng):
    return {"sliding_windows": window_cases(rng), "reconstruct": text_cases(rng),
            "temperature_softmax": softmax_cases(keras, rng)}
