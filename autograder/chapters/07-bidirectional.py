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
from rnncourse.spec import Mistake, variant
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


# ------------------------------------------------------------------ known mistakes (issue #17)
# Plausible wrong answers, each as a student would write it; the fixtures take their code from here.
# The correct answer every mistake below changes in one place (tests/fixtures/07-bidirectional.py grades it too).
CORRECT = '''
def one_direction(x, mask, kernel, recurrent_kernel, bias):
    h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        real = mask[:, t, None]
        h_new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        h = np.where(real, h_new, h)
        outputs.append(np.where(real, h_new, 0.0))
    return np.stack(outputs, axis=1)

def merge(forward, backward, merge_mode):
    if merge_mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "mul":
        return forward * backward
    return (forward + backward) / 2

def bidirectional_forward(x, forward_params, backward_params, merge_mode="concat", mask=None):
    mask = np.ones(x.shape[:2], dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    forward = one_direction(x, mask, *forward_params)
    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)[:, ::-1]
    return merge(forward, backward, merge_mode)
'''


MISTAKES = (
    Mistake('bidirectional_forward', 'not_flipped_back',
            "The backward layer's outputs come out in reversed reading order; put them back in the original time order before merging.",
            variant(CORRECT,
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)[:, ::-1]\n',
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)\n')),
    Mistake('bidirectional_forward', 'mask_not_reversed',
            'You reverse the inputs for the backward layer; does its mask follow the same reversal?',
            variant(CORRECT,
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)[:, ::-1]\n',
                    '    backward = one_direction(x[:, ::-1], mask, *backward_params)[:, ::-1]\n')),
    Mistake('bidirectional_forward', 'backward_reads_padding',
            'The backward layer should read the real steps of each sequence in reverse; a masked step must not change its state either.',
            variant(CORRECT,
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)[:, ::-1]\n',
                    '    backward = one_direction(x[:, ::-1], np.ones_like(mask), *backward_params)[:, ::-1] * mask[:, :, None]\n')),
    Mistake('bidirectional_forward', 'reverses_first_length',
            'Reversing the first `length` steps of a row is right only when the padding is at the end; look at what happens with pre-padding or holes in the mask.',
            variant(CORRECT,
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)[:, ::-1]\n',
                    '    lengths = mask.sum(axis=1)\n    x_rev = x.copy()\n    for b, n in enumerate(lengths):\n        x_rev[b, :n] = x[b, :n][::-1]\n    backward = one_direction(x_rev, mask, *backward_params)\n    for b, n in enumerate(lengths):\n        backward[b, :n] = backward[b, :n][::-1]\n')),
    Mistake('bidirectional_forward', 'flips_batch_axis',
            'Check which axis you reverse for the backward layer: the backward direction runs over time, not over the examples.',
            variant(CORRECT,
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)[:, ::-1]\n',
                    '    backward = one_direction(x[::-1], mask[::-1], *backward_params)[::-1]\n')),
    Mistake('bidirectional_forward', 'same_weights',
            'Check which weights the backward layer uses: each direction has its own.',
            variant(CORRECT,
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *backward_params)[:, ::-1]\n',
                    '    backward = one_direction(x[:, ::-1], mask[:, ::-1], *forward_params)[:, ::-1]\n')),
    Mistake('bidirectional_forward', 'mask_resets_state',
            "Look at what your state becomes at a masked step: a masked step should leave each direction's state unchanged.",
            variant(CORRECT,
                    '        h = np.where(real, h_new, h)\n',
                    '        h = np.where(real, h_new, 0.0)\n')),
    Mistake('bidirectional_forward', 'repeats_output',
            'Look at your outputs at masked steps: inside Bidirectional, what does each direction output at a masked step?',
            variant(CORRECT,
                    '        outputs.append(np.where(real, h_new, 0.0))\n',
                    '        outputs.append(h)\n')),
    Mistake('bidirectional_forward', 'ignores_mask',
            'Your outputs change at masked steps as if every step were real: is the mask used at all?',
            variant(CORRECT,
                    '        h = np.where(real, h_new, h)\n        outputs.append(np.where(real, h_new, 0.0))\n',
                    '        h = h_new\n        outputs.append(h)\n')),
    Mistake('bidirectional_forward', 'first_row_mask',
            'Every example should follow its own row of the mask; check which row of the mask you read at each step.',
            variant(CORRECT,
                    '        real = mask[:, t, None]\n',
                    '        real = mask[0, t]\n')),
    Mistake('bidirectional_forward', 'default_sum',
            "Check your default merge_mode: what does Keras's Bidirectional do with the two directions when you give no option?",
            variant(CORRECT,
                    'def bidirectional_forward(x, forward_params, backward_params, merge_mode="concat", mask=None):\n',
                    'def bidirectional_forward(x, forward_params, backward_params, merge_mode="sum", mask=None):\n')),
    Mistake('bidirectional_forward', 'ave_as_sum',
            "Check your 'ave' merge: it should be the average of the two directions.",
            variant(CORRECT,
                    '    return (forward + backward) / 2\n',
                    '    return forward + backward\n')),
    Mistake('bidirectional_forward', 'backward_first',
            "Check the order of the two halves in 'concat': which direction comes first in Keras?",
            variant(CORRECT,
                    '        return np.concatenate([forward, backward], axis=-1)\n',
                    '        return np.concatenate([backward, forward], axis=-1)\n')),
    Mistake('bidirectional_forward', 'transposes_recurrent',
            'Check how the recurrent kernel multiplies the previous state: with one unit you cannot tell, with several the orientation matters.',
            variant(CORRECT,
                    '        h_new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)\n',
                    '        h_new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel.T + bias)\n')),
)
