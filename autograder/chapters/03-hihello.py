"""Chapter 03 · hihello: what the exercise grades, and how its reference outputs are made.

Vocabulary, encoding and shifting are the lectures' own code (written out below, with the
vocabulary sorted so that it is deterministic); one-hot vectors come from ``tf.one_hot``.
"""

import numpy as np

from rnncourse.checks import Graded, Output

GRADED = {
    "build_vocab": Graded(inputs=("text",), outputs=(Output("idx2char", "exact"), Output("char2idx", "exact"))),
    "encode": Graded(inputs=("text", "char2idx"), outputs=(Output("indices", "exact"),)),
    "decode": Graded(inputs=("indices", "idx2char"), outputs=(Output("text", "exact"),)),
    "one_hot": Graded(inputs=("indices", "depth"), outputs=(Output("one_hot", rtol=0, atol=0),)),
    "shift_pair": Graded(inputs=("text",), outputs=(Output("x_text", "exact"), Output("y_text", "exact"))),
}


def random_text(rng, length, alphabet):
    return "".join(rng.choice(list(alphabet), size=length))


def references(tf, keras, rng):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCZ ,.!?'éßü0123"
    texts = ["", "aaaa", "hello, world", "if you want you"] + [
        random_text(rng, n, alphabet[: rng.integers(3, len(alphabet))]) for n in (7, 40, 120)
    ]
    cases = {name: [] for name in GRADED}
    for text in texts:
        idx2char = sorted(set(text))  # the lecture's list(set(...)), sorted so it is deterministic
        char2idx = {c: i for i, c in enumerate(idx2char)}
        about = f"a text of {len(text)} characters"
        indices = np.array([char2idx[c] for c in text], dtype=np.int64)
        cases["build_vocab"].append(dict(text=text, idx2char=idx2char, char2idx=char2idx, description=about))
        cases["encode"].append(dict(text=text, char2idx=char2idx, indices=indices, description=about))
        for given, form in ((indices.astype(np.int32), "an int32 array"), (indices.tolist(), "a list")):
            cases["decode"].append(dict(indices=given, idx2char=idx2char, text=text,
                                        description=f"{len(text)} indices as {form}"))
        cases["shift_pair"].append(dict(text=text, x_text=text[:-1], y_text=text[1:], description=about))
    for shape, depth in [((6,), 5), ((2, 7), 4), ((3, 1), 1), ((0,), 3), ((2, 3, 4), 9)]:
        indices = rng.integers(0, depth, size=shape).astype(np.int32)
        cases["one_hot"].append(dict(indices=indices, depth=depth, one_hot=tf.one_hot(indices, depth).numpy(),
                                     description=f"indices of shape {shape}, depth {depth}"))
    return cases
