"""Chapter 07 · Bidirectional RNNs: what the exercise grades, and how Keras makes its reference outputs.

``bidirectional_forward`` is compared with ``keras.layers.Bidirectional(SimpleRNN(units,
return_sequences=True), merge_mode=...)`` called with ``mask=``, its forward and backward layers
loaded with the case's weights. Cases cover every merge mode, the default one (no ``merge_mode``
passed) and no mask at all, masks of pre-padding, post-padding and holes, a row with no real step,
one step and one example, float inputs with random values at the masked steps (Keras ignores them).

Each case has a ``group``, so that a mistake costs only the test it belongs to: the cases called without
a mask are ``"merge modes"`` (test_merge_modes), the cases called with one are ``"mask"`` (test_mask),
including the mask with every step real (it checks that passing a mask is handled, not merging). The
masked cases use every merge mode too, so a merge mistake can also fail test_mask; a masking mistake
cannot fail test_merge_modes. test_float64 runs every case.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.references import count
from rnncourse.weights import random_rnn_weights, set_rnn_weights

WEIGHTS = ("kernel", "recurrent_kernel", "bias")
GRADED = {
    "bidirectional_forward": Graded(
        inputs=("x", "forward_params", "backward_params"),
        options=("merge_mode", "mask"),
        outputs=(Output("merged", axes=("batch", "time", "unit")),)),
}

# (batch, steps, features, units, merge_mode or None for the default, mask kind or None for no mask)
CASES = [
    (1, 1, 1, 1, None, None),
    (2, 5, 3, 4, "sum", None),
    (3, 7, 2, 3, "mul", None),
    (2, 6, 4, 5, "ave", None),
    (3, 4, 2, 2, "concat", None),
    (4, 8, 3, 2, None, "pre"),
    (3, 9, 2, 6, "concat", "post"),
    (3, 10, 5, 4, "sum", "holes"),
    (2, 6, 3, 3, "mul", "pre+holes"),
    (4, 12, 2, 5, "ave", "holes, one row empty"),
    (1, 1, 2, 3, "sum", "all real"),
    (5, 20, 4, 8, None, "pre+holes"),
]


def make_mask(rng, kind, batch, steps):
    """A bool (batch, steps) mask: True for the real steps."""
    lengths = rng.integers(1, steps + 1, size=batch)
    lengths[0] = steps  # one row always full length
    if kind == "all real":
        return np.ones((batch, steps), bool)
    if kind in ("pre", "pre+holes"):
        mask = np.arange(steps)[None, :] >= (steps - lengths)[:, None]
        if kind == "pre+holes":
            mask &= rng.random((batch, steps)) < 0.75
        return mask
    if kind == "post":
        return np.arange(steps)[None, :] < lengths[:, None]
    mask = rng.random((batch, steps)) < 0.6  # holes anywhere
    if kind == "holes, one row empty":
        mask[-1] = False
    return mask


def describe(batch, steps, features, units, merge_mode, kind):
    about = f"batch {batch}, {count(steps, 'step')}, {count(features, 'feature')}, {count(units, 'unit')}"
    about += f", merge_mode {merge_mode!r}" if merge_mode else ", default merge_mode"
    return about + (f", mask: {kind}" if kind else ", no mask")


def references(tf, keras, rng):
    cases = []
    for batch, steps, features, units, merge_mode, kind in CASES:
        layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(units, return_sequences=True),
                                           **({"merge_mode": merge_mode} if merge_mode else {}))
        layer.build((None, steps, features))
        forward, backward = random_rnn_weights(rng, features, units), random_rnn_weights(rng, features, units)
        set_rnn_weights(layer.forward_layer, forward)
        set_rnn_weights(layer.backward_layer, backward)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        case = dict(x=x, forward_params=tuple(forward[w] for w in WEIGHTS),
                    backward_params=tuple(backward[w] for w in WEIGHTS),
                    description=describe(batch, steps, features, units, merge_mode, kind),
                    group="mask" if kind else "merge modes")
        mask = None
        if kind:
            mask = case["mask"] = make_mask(rng, kind, batch, steps)
        if merge_mode:
            case["merge_mode"] = merge_mode
        case["merged"] = np.asarray(layer(x, mask=mask))
        cases.append(case)
    return {"bidirectional_forward": cases}
