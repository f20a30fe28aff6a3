"""Chapter 06 · Padding and masking: what the exercise grades, and how Keras makes its references.

- ``pad_sequences``: ``keras.utils.pad_sequences`` itself, on ragged lists (numpy rows, empty
  rows), some cases with only ``seqs`` (the defaults ``"pre"``/``"pre"``/0), others passing options
  by name;
- ``lengths_to_mask``: ``tf.sequence_mask``;
- ``masked_rnn_forward``: ``SimpleRNN(return_sequences=True, return_state=True)`` with the same
  weights, called with ``mask=`` and ``initial_state=`` (pre-padding and holes with a non-zero
  initial state, an all-masked row, one step);
- ``masked_mean``: ``keras.metrics.Mean`` with the mask as sample weights.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.spec import Mistake, variant
from rnncourse.weights import random_rnn_weights, set_rnn_weights

GRADED = {
    "pad_sequences": Graded(inputs=("seqs",), outputs=(Output("padded", "exact"),),
                            options=("maxlen", "padding", "truncating", "value")),
    "lengths_to_mask": Graded(inputs=("lengths", "maxlen"),
                              outputs=(Output("mask", rtol=0, atol=0, axes=("batch", "time")),)),
    "masked_rnn_forward": Graded(inputs=("x", "mask", "h0", "kernel", "recurrent_kernel", "bias"),
                                 outputs=(Output("h_seq", axes=("batch", "time", "unit")),
                                          Output("h_last", axes=("batch", "unit")))),
    "masked_mean": Graded(inputs=("values", "mask"), outputs=(Output("mean"),)),
}


def ragged(rng, lengths, high=20):
    """Rows of random integers 1..high-1 with the given lengths (as Python lists)."""
    return [rng.integers(1, high, size=n).tolist() for n in lengths]


def pad_cases(keras, rng):
    numpy_rows = [rng.integers(1, 50, size=n) for n in (3, 0, 6)] + [np.arange(1, 5, dtype=np.int32)]
    cases = [  # (seqs, options, description)
        ([[1, 2, 3], [4, 5], [6]], {}, "3 short rows, defaults only"),
        (ragged(rng, [4, 0, 9, 1, 6, 2]), {}, "6 rows of 0 to 9 items incl. an empty one, defaults only"),
        (ragged(rng, [7, 3, 5]), {"maxlen": 4}, "maxlen 4 shorter than two rows, default padding/truncating"),
        (ragged(rng, [2, 5, 3, 1]), {"padding": "post"}, "padding='post', no maxlen"),
        (ragged(rng, [4, 3, 5, 7]), {"maxlen": 5, "padding": "post", "truncating": "post"},
         "the lectures' padding='post', truncating='post', maxlen 5"),
        (ragged(rng, [6, 2, 8]), {"maxlen": 5, "truncating": "post"}, "truncating='post', maxlen 5, default padding"),
        (ragged(rng, [3, 1, 4]), {"padding": "post", "value": -1}, "padding='post', value -1"),
        (numpy_rows, {}, "numpy rows (int64 and int32) incl. an empty one, defaults only"),
        (ragged(rng, [9, 12, 10]), {"maxlen": 3}, "every row longer than maxlen 3"),
        (ragged(rng, [2, 3]), {"maxlen": 6, "value": 99}, "maxlen 6 longer than every row, value 99"),
        ([[], [5, 6]], {"maxlen": 3, "padding": "post"}, "an empty row first, padding='post', maxlen 3"),
        (ragged(rng, [5]), {}, "a single row, defaults only"),
        (ragged(rng, [8, 2, 6]), {"maxlen": 5, "padding": "pre", "truncating": "post", "value": 7},
         "every option by name: maxlen 5, 'pre', 'post', value 7"),
    ]
    return [dict(seqs=seqs, **options, padded=keras.utils.pad_sequences(seqs, **options), description=about)
            for seqs, options, about in cases]


def mask_cases(tf, rng):
    cases = [
        ([3, 1, 4], 5, "3 rows, maxlen 5"),
        ([0, 2], 4, "a zero length, maxlen 4"),
        (np.array([6, 6, 6]), 6, "every row full, lengths as an int64 array"),
        (np.array([7, 2, 9], dtype=np.int32), 5, "lengths longer than maxlen 5, as an int32 array"),
        ([1], 1, "one row, maxlen 1"),
        (rng.integers(0, 13, size=8).tolist(), 12, "8 random lengths, maxlen 12"),
    ]
    return [dict(lengths=lengths, maxlen=maxlen, mask=tf.sequence_mask(lengths, maxlen).numpy(),
                 description=about) for lengths, maxlen, about in cases]


def post_padded(lengths, steps):
    return np.arange(steps)[None, :] < np.asarray(lengths)[:, None]


def rnn_cases(keras, rng):
    holes = rng.random((4, 9)) < 0.6
    holes[0, :2] = False  # a row that starts with masked steps
    big = rng.random((6, 15)) < 0.7
    big[2] = False  # a row masked throughout
    cases = [  # (mask, features, units, h0 non-zero, description)
        (post_padded([5, 3, 1], 5), 3, 4, False, "post-padding (lengths 5, 3, 1), zero h0"),
        (post_padded([6, 2, 4], 6), 2, 3, True, "post-padding (lengths 6, 2, 4), non-zero h0"),
        (post_padded([5, 2, 3], 5)[:, ::-1], 3, 4, True, "pre-padding (lengths 5, 2, 3), non-zero h0"),
        (holes, 2, 5, True, "holes in the mask, some rows starting masked, non-zero h0"),
        (np.array([[True, True, False, True], [False] * 4, [False, True, True, False]]), 3, 2, True,
         "an all-masked row among others, non-zero h0"),
        (np.array([[True], [False]]), 2, 3, True, "1 step, masked in the second row, non-zero h0"),
        (np.ones((2, 20), bool), 4, 3, True, "20 steps, nothing masked"),
        (post_padded([1, 4], 4)[:, ::-1], 1, 1, True, "1 feature, 1 unit, pre-padding, non-zero h0"),
        (big, 4, 5, True, "6 rows of 15 steps with holes and an all-masked row, non-zero h0"),
    ]
    out = []
    for mask, features, units, nonzero, about in cases:
        batch, steps = mask.shape
        w = random_rnn_weights(rng, features, units)
        layer = keras.layers.SimpleRNN(units, return_sequences=True, return_state=True)
        layer.build((None, steps, features))
        set_rnn_weights(layer, w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0 = (rng.uniform(-1, 1, size=(batch, units)) if nonzero else np.zeros((batch, units))).astype(np.float32)
        mask = np.ascontiguousarray(mask)
        h_seq, h_last = layer(x, mask=mask, initial_state=h0)
        out.append(dict(x=x, mask=mask, h0=h0, **w, h_seq=np.asarray(h_seq), h_last=np.asarray(h_last),
                        description=f"batch {batch}, {steps} steps, {features} features, {units} units; {about}"))
    return out


def mean_cases(keras, rng):
    def far_off_at_masked(values, mask):
        return np.where(mask, values, values + 50).astype(np.float32)  # what the mask hides is far off

    cases = []
    for shape, form, about in [((4, 6), bool, "a (4, 6) array, bool mask"),
                               ((3, 5), np.float32, "a (3, 5) array, 0/1 float mask"),
                               ((7,), bool, "a 1-D array, bool mask"),
                               ((2, 3, 4), np.float32, "a (2, 3, 4) array, 0/1 float mask"),
                               ((1, 1), bool, "a single value, unmasked"),
                               ((20, 30), bool, "a (20, 30) array, bool mask")]:
        mask = rng.random(shape) < 0.6
        mask.flat[0] = True  # never an empty selection
        values = far_off_at_masked(rng.normal(size=shape), mask)
        metric = keras.metrics.Mean()
        metric.update_state(values, sample_weight=mask.astype(np.float32))
        cases.append(dict(values=values, mask=mask.astype(form), mean=np.asarray(metric.result()),
                          description=about))
    return cases


def references(tf, keras, rng):
    return {"pad_sequences": pad_cases(keras, rng), "lengths_to_mask": mask_cases(tf, rng),
            "masked_rnn_forward": rnn_cases(keras, rng), "masked_mean": mean_cases(keras, rng)}


# ------------------------------------------------------------------ known mistakes (issue #17)
# Plausible wrong answers, each as a student would write it; the fixtures take their code from here.
# The correct answers the mistakes below change: each mistake is variant(correct, old, new),
# the correct answer with the one place it gets wrong.
CORRECT_PAD = '''
def pad_sequences(seqs, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in seqs)
    padded = np.full((len(seqs), maxlen), value, dtype=np.int32)
    for i, s in enumerate(seqs):
        s = np.asarray(s, dtype=np.int32)
        kept = s[max(len(s) - maxlen, 0):] if truncating == "pre" else s[:maxlen]
        if padding == "pre":
            padded[i, maxlen - len(kept):] = kept
        else:
            padded[i, :len(kept)] = kept
    return padded
'''

CORRECT_RNN = '''
def masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias):
    h, out, outputs = h0, np.zeros_like(h0), []
    for t in range(x.shape[1]):
        new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        real = mask[:, t, None]
        h = np.where(real, new, h)
        out = np.where(real, new, out)
        outputs.append(out)
    return np.stack(outputs, axis=1), h
'''


MISTAKES = (
    Mistake('pad_sequences', 'post_padding_default',
            'Check your default for padding: which side of a short row does Keras put the padding on when you'
            ' pass no option?',
            variant(CORRECT_PAD,
                    'def pad_sequences(seqs, maxlen=None, padding="pre", truncating="pre", value=0):\n',
                    'def pad_sequences(seqs, maxlen=None, padding="post", truncating="pre", value=0):\n')),
    Mistake('pad_sequences', 'post_truncation_default',
            'Check your default for truncating: when a row is longer than maxlen and no option is given, '
            'which end of it does Keras keep?',
            variant(CORRECT_PAD,
                    'def pad_sequences(seqs, maxlen=None, padding="pre", truncating="pre", value=0):\n',
                    'def pad_sequences(seqs, maxlen=None, padding="pre", truncating="post", value=0):\n')),
    Mistake('pad_sequences', 'empty_row_crashes',
            'An empty sequence breaks your code: look at which part of a row a slice like row[-0:] covers.',
            variant(CORRECT_PAD,
                    '        s = np.asarray(s, dtype=np.int32)\n'
                    '        kept = s[max(len(s) - maxlen, 0):] if truncating == "pre" else s[:maxlen]\n'
                    '        if padding == "pre":\n'
                    '            padded[i, maxlen - len(kept):] = kept\n',
                    '        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]\n'
                    '        if padding == "pre":\n'
                    '            padded[i, -len(kept):] = kept  # an empty row: -0 is 0, the slice is the whole row\n')),
    Mistake('pad_sequences', 'float_padding',
            'Look at the dtype of what you return: padded sequences are indices, and an array made with '
            'np.zeros (or a float value) is float64 unless you say otherwise.',
            variant(CORRECT_PAD,
                    '    padded = np.full((len(seqs), maxlen), value, dtype=np.int32)\n'
                    '    for i, s in enumerate(seqs):\n'
                    '        s = np.asarray(s, dtype=np.int32)\n',
                    '    padded = np.zeros((len(seqs), maxlen)) + value\n'
                    '    for i, s in enumerate(seqs):\n'
                    '        s = np.asarray(s, dtype=float)\n')),
    Mistake('pad_sequences', 'pads_in_place',
            'Your function changes the list it was given: the caller still needs its sequences as they were. '
            'Build the padded rows in a new array instead of assigning into seqs.',
            '''
def pad_sequences(seqs, maxlen=None, padding="pre", truncating="pre", value=0):
    if maxlen is None:
        maxlen = max(len(s) for s in seqs)
    for i in range(len(seqs)):  # truncates and pads the caller's own list
        s = list(seqs[i])
        s = s[max(len(s) - maxlen, 0):] if truncating == "pre" else s[:maxlen]
        fill = [value] * (maxlen - len(s))
        seqs[i] = fill + s if padding == "pre" else s + fill
    return np.array(seqs, dtype=np.int32)
'''),
    Mistake('lengths_to_mask', 'mask_off_by_one',
            "Count the True entries in a row of your mask and compare with that row's length: is the "
            'comparison with the length strict?',
            '''
def lengths_to_mask(lengths, maxlen):
    return np.arange(maxlen)[None, :] <= np.asarray(lengths)[:, None]
'''),
    Mistake('lengths_to_mask', 'mask_long_lengths',
            'A length can be larger than maxlen; check that your code still works then.',
            '''
def lengths_to_mask(lengths, maxlen):
    # one-hot of each length, then a running sum: 0 before the length, 1 from it on
    return np.cumsum(np.eye(maxlen + 1)[lengths], axis=1)[:, :maxlen] == 0
'''),
    Mistake('masked_rnn_forward', 'state_reset_to_zero',
            'Look at what your state becomes at a masked step: a masked step should leave the state exactly '
            'as it was.',
            variant(CORRECT_RNN,
                    '        h = np.where(real, new, h)\n',
                    '        h = np.where(real, new, 0.0)\n')),
    Mistake('masked_rnn_forward', 'state_reset_to_h0',
            'Look at what your state becomes at a masked step: after it, the next real step should continue '
            'from the state of the last real step, not start over.',
            variant(CORRECT_RNN,
                    '        h = np.where(real, new, h)\n',
                    '        h = np.where(real, new, h0)\n')),
    Mistake('masked_rnn_forward', 'zero_outputs_at_masked_steps',
            'Look at h_seq at the masked steps: SimpleRNN does not write zeros there; what does it output '
            'instead?',
            variant(CORRECT_RNN,
                    '        out = np.where(real, new, out)\n',
                    '        out = np.where(real, new, 0.0)\n')),
    Mistake('masked_rnn_forward', 'previous_output_starts_at_h0',
            'Look at h_seq at masked steps that come before any real step: the previous output and the state '
            'do not start from the same value.',
            variant(CORRECT_RNN,
                    '    h, out, outputs = h0, np.zeros_like(h0), []\n',
                    '    h, out, outputs = h0, h0, []\n')),
    Mistake('masked_rnn_forward', 'last_output_as_state',
            'h_last should be the state, not the last output; the two differ for a row where every step is '
            'masked.',
            variant(CORRECT_RNN,
                    '    return np.stack(outputs, axis=1), h\n',
                    '    return np.stack(outputs, axis=1), outputs[-1]\n')),
    Mistake('masked_rnn_forward', 'ignores_the_mask',
            'Your outputs change at masked steps as if every step were real: is the mask used at all?',
            variant(CORRECT_RNN,
                    '        real = mask[:, t, None]\n',
                    '        real = np.ones_like(mask[:, t, None])\n')),
    Mistake('masked_rnn_forward', 'packs_real_steps_first',
            'Your outputs line up with the real steps only when the padding is at the end; keep each output '
            'at the time step it belongs to, with pre-padding and holes too.',
            '''
def masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias):
    # runs each row on its real steps only, then pads the outputs after them
    batch, steps, _ = x.shape
    h_seq = np.zeros((batch, steps, kernel.shape[1]))
    h_last = np.array(h0, dtype=float)
    for b in range(batch):
        real = np.flatnonzero(mask[b])
        for i, t in enumerate(real):
            h_last[b] = np.tanh(x[b, t] @ kernel + h_last[b] @ recurrent_kernel + bias)
            h_seq[b, i] = h_last[b]
        if len(real):
            h_seq[b, len(real):] = h_last[b]
    return h_seq, h_last
'''),
    Mistake('masked_mean', 'mean_over_total_count',
            'You divide by the number of all values; a masked mean divides by how many values the mask keeps.',
            '''
def masked_mean(values, mask):
    return np.sum(values * mask) / values.size  # what sample_weight does with Keras's default reduction
'''),
    Mistake('masked_mean', 'float_mask_as_index',
            'A 0/1 float mask cannot index an array the way a boolean mask does; check what mask types your '
            'code accepts.',
            '''
def masked_mean(values, mask):
    return values[mask].mean()  # a float mask is not an index
'''),
    Mistake('masked_mean', 'mean_ignores_mask',
            'Your mean does not change when the mask changes: the masked values must not count.',
            '''
def masked_mean(values, mask):
    return np.mean(values)
'''),
)
