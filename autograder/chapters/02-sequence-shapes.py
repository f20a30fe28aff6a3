"""Chapter 02 · Many-to-one and many-to-many: what the exercise grades, and how Keras makes its
reference outputs.

Every expected value comes from Keras: ``keras.ops.softmax``, a ``keras.layers.Dense`` layer with
the case's weights loaded, ``keras.ops.sparse_categorical_crossentropy(from_logits=True)``, and
``SparseCategoricalCrossentropy(from_logits=True, reduction="sum")`` with the weights as
``sample_weight``, divided by their sum (the lectures' ``sequence_loss``). Inputs are float32 (the
hidden float64 test converts them); labels are int32 or int64. The cases include logits of +-1000,
where a softmax without its max subtracted overflows and a cross-entropy taken as the log of a
probability is infinite.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.spec import Mistake

GRADED = {
    "softmax": Graded(inputs=("z",), outputs=(Output("probabilities"),)),
    "dense_forward": Graded(inputs=("h", "W", "b"), outputs=(Output("outputs"),)),
    "sparse_cross_entropy": Graded(inputs=("logits", "labels"), outputs=(Output("cross_entropy"),)),
    "sequence_loss": Graded(inputs=("logits", "targets", "weights"), outputs=(Output("loss"),)),
}

# Rows of +-1000 logits: a row at +1000 next to a row at -1000 (so a max over the whole array is no
# help), ties at the top, and classes 2000 below the top (a probability that is 0 in any float).
EXTREME = np.array([[1000.0, 0.0, -1000.0, 999.0],
                    [-1000.0, -1000.0, -999.0, -1000.0],
                    [1000.0, 1000.0, 1000.0, 1000.0]], dtype=np.float32)


def logits_of(rng, shape, scale=3.0):
    return (scale * rng.normal(size=shape)).astype(np.float32)


def extreme_logits(rng, shape):
    """Logits drawn from {-1000, -999, 0, 999, 1000}."""
    return rng.choice(np.array([-1000, -999, 0, 999, 1000], dtype=np.float32), size=shape)


def about(shape, what="logits"):
    return f"{what} of shape {tuple(shape)}"


def softmax_cases(keras, rng):
    cases = []
    for shape, note in [((6,), "1-D"), ((4, 5), "2-D"), ((3, 7, 10), "3-D"), ((2, 3, 4, 6), "4-D"),
                        ((5, 1), "a single class")]:
        z = logits_of(rng, shape)
        cases.append(dict(z=z, description=f"{note}, {about(shape)}"))
    cases.append(dict(z=EXTREME, description=f"{about(EXTREME.shape)} with values of +-1000"))
    z = extreme_logits(rng, (2, 3, 5))
    cases.append(dict(z=z, description=f"{about(z.shape)} with values of +-1000"))
    for case in cases:
        case["probabilities"] = np.asarray(keras.ops.softmax(case["z"], axis=-1))
    return cases


def dense_cases(keras, rng):
    cases = []
    for h_shape, units, note in [((1, 1), 1, "2-D, 1 feature, 1 unit"), ((4, 3), 5, "2-D"),
                                 ((2, 6, 4), 4, "3-D (batch, time, features), a square W"),
                                 ((3, 2, 5, 7), 2, "4-D"), ((2, 9, 3), 1, "3-D, 1 unit")]:
        h = rng.normal(size=h_shape).astype(np.float32)
        W = rng.uniform(-1, 1, size=(h_shape[-1], units)).astype(np.float32)
        b = rng.uniform(-1, 1, size=(units,)).astype(np.float32)
        layer = keras.layers.Dense(units)
        layer.build(h_shape)
        layer.set_weights([W, b])
        cases.append(dict(h=h, W=W, b=b, outputs=np.asarray(layer(h)),
                          description=f"{note}: h of shape {h_shape}, W of shape {W.shape}"))
    return cases


def cross_entropy_cases(keras, rng):
    cases = []
    specs = [((5,), np.int64, "1-D logits and a single label (a 0-d array)"), ((4, 6), np.int32, "2-D"),
             ((3, 5, 8), np.int64, "3-D"), ((2, 3, 4, 5), np.int32, "4-D"), ((6, 2), np.int64, "2 classes")]
    for shape, int_type, note in specs:
        logits = logits_of(rng, shape)
        labels = np.asarray(rng.integers(0, shape[-1], size=shape[:-1]), dtype=int_type)
        cases.append(dict(logits=logits, labels=labels,
                          description=f"{note}, {about(shape)}, {np.dtype(int_type).name} labels"))
    extreme_labels = np.array([2, 1, 3], dtype=np.int32)  # 2000, 1, and ties: ce = log 4
    cases.append(dict(logits=EXTREME, labels=extreme_labels,
                      description=f"{about(EXTREME.shape)} with values of +-1000, int32 labels"))
    logits = extreme_logits(rng, (2, 3, 4))
    labels = rng.integers(0, 4, size=(2, 3)).astype(np.int64)
    cases.append(dict(logits=logits, labels=labels,
                      description=f"{about(logits.shape)} with values of +-1000, int64 labels"))
    for case in cases:
        case["cross_entropy"] = np.asarray(keras.ops.sparse_categorical_crossentropy(
            case["labels"], case["logits"], from_logits=True))
    return cases


def padding_weights(lengths, steps):
    return (np.arange(steps)[None, :] < np.asarray(lengths)[:, None]).astype(np.float32)


def sequence_loss_cases(keras, rng):
    cases = []

    def add(logits, targets, weights, note):
        cases.append(dict(logits=logits, targets=targets, weights=weights,
                          description=f"{note}, {about(logits.shape)}, {targets.dtype.name} targets"))

    def targets_for(logits, int_type):
        return rng.integers(0, logits.shape[-1], size=logits.shape[:-1]).astype(int_type)

    logits = logits_of(rng, (1, 4, 3))
    add(logits, targets_for(logits, np.int32), np.ones((1, 4), np.float32), "all weights 1")
    logits = logits_of(rng, (3, 6, 5))
    add(logits, targets_for(logits, np.int64), padding_weights([6, 4, 2], 6),
        "0/1 weights: sequences of 6, 4 and 2 steps padded to 6")
    logits = logits_of(rng, (4, 5, 7))
    add(logits, targets_for(logits, np.int32), rng.uniform(0.1, 1.0, size=(4, 5)).astype(np.float32),
        "soft weights between 0.1 and 1")
    logits = logits_of(rng, (2, 7, 4))
    weights = rng.uniform(0.0, 2.0, size=(2, 7)).astype(np.float32)
    weights[0, 5:] = weights[1, 2] = 0.0
    add(logits, targets_for(logits, np.int64), weights, "soft weights between 0 and 2, some exactly 0")
    logits = logits_of(rng, (8, 3))
    add(logits, targets_for(logits, np.int32), rng.uniform(0.0, 1.0, size=(8,)).astype(np.float32),
        "no time axis: 8 positions, soft weights")
    logits = logits_of(rng, (2, 3, 4, 6))
    add(logits, targets_for(logits, np.int64), rng.integers(0, 2, size=(2, 3, 4)).astype(np.float32),
        "4-D logits, 0/1 weights")
    logits = extreme_logits(rng, (2, 4, 3))
    add(logits, targets_for(logits, np.int32), padding_weights([4, 3], 4), "logits of +-1000, 0/1 weights")
    summed = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    for case in cases:
        total = summed(case["targets"], case["logits"], sample_weight=case["weights"])
        case["loss"] = np.asarray(total / np.sum(case["weights"]), dtype=np.float32)
    return cases


def references(tf, keras, rng):
    return {
        "softmax": softmax_cases(keras, rng),
        "dense_forward": dense_cases(keras, rng),
        "sparse_cross_entropy": cross_entropy_cases(keras, rng),
        "sequence_loss": sequence_loss_cases(keras, rng),
    }


# ---------------------------------------------------------------- known mistakes (the feedback's hints)
MISTAKES = (
    Mistake('softmax', 'softmax_overflows', code='''
def softmax(z):
    e = np.exp(z)  # no max subtracted: exp(1000) overflows
    return e / np.sum(e, axis=-1, keepdims=True)
''',
            hint="Your probabilities become NaN where the logits are large: exp(1000) overflows. Softmax does not"
                 " change when the same number is subtracted from every logit of a row; which number keeps exp in"
                 " range?"),
    Mistake('softmax', 'softmax_global_max', code='''
def softmax(z):
    e = np.exp(z - np.max(z))  # the max of the whole array, not of each row
    return e / np.sum(e, axis=-1, keepdims=True)
''',
            hint="Subtracting a maximum is the right idea, but it is the maximum of the whole array: a row far "
                 "below it underflows to 0 / 0. Whose maximum should each row subtract?"),
    Mistake('softmax', 'softmax_wrong_axis', code='''
def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
''',
            hint="Your probabilities sum to one down the first axis. The classes are along the last axis, "
                 "whatever the number of leading axes."),
    Mistake('softmax', 'softmax_over_everything', code='''
def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)  # normalised over the whole array
''',
            hint="Your probabilities sum to one over the whole array, not within each row: the sum (and the max) "
                 "need an axis, and keepdims to broadcast back."),
    Mistake('dense_forward', 'dense_no_bias', code='''
def dense_forward(h, W, b):
    return h @ W
''',
            hint='Your outputs are what Keras gives with a zero bias: is every weight of the layer used?'),
    Mistake('dense_forward', 'dense_3d_only', code='''
def dense_forward(h, W, b):
    return np.einsum("btd,du->btu", h, W) + b  # (batch, time, features) only
''',
            hint="Your function works for (batch, time, features) inputs only: a Dense layer acts on the last "
                 "axis, whatever the number of leading axes (2-D and 4-D inputs too)."),
    Mistake('dense_forward', 'dense_transposed', code='''
def dense_forward(h, W, b):
    return h @ W.T + b if W.shape[0] == W.shape[1] else h @ W + b  # square kernels transposed
''',
            hint="Only the square kernel is off: a square W has the right shape either way round. Which axis of W"
                 " holds the inputs and which the units?"),
    Mistake('sparse_cross_entropy', 'ce_from_probabilities', code='''
def sparse_cross_entropy(logits, labels):
    p = softmax(logits)  # a probability of exp(-2000) is 0, and -log 0 is inf
    return -np.log(np.take_along_axis(p, labels[..., None], axis=-1)[..., 0])
''',
            hint="Your cross-entropy is infinite where the right class is far below the top logit: its "
                 "probability rounds to 0 and log 0 is -inf. Work with log-probabilities from the logits instead "
                 "of the log of a probability."),
    Mistake('sparse_cross_entropy', 'ce_clipped', code='''
def sparse_cross_entropy(logits, labels):
    p = np.take_along_axis(softmax(logits), labels[..., None], axis=-1)[..., 0]
    return -np.log(np.clip(p, 1e-7, 1.0))  # clipped like Keras's from-probabilities loss
''',
            hint="Your loss stops at about 16 where Keras says 2000: clipping the probability before the log caps"
                 " the loss. The cross-entropy from logits needs no clipping if computed from log-probabilities."),
    Mistake('sparse_cross_entropy', 'ce_labels_as_one_hot', code='''
def sparse_cross_entropy(logits, labels):
    log_p = np.log(softmax(logits))
    return -np.sum(labels * log_p, axis=-1)  # as if labels were one-hot vectors
''',
            hint="Your function treats the labels as one-hot vectors: here they are integer class indices, one "
                 "per position (the 'sparse' in the name)."),
    Mistake('sparse_cross_entropy', 'ce_reduced_to_a_mean', code='''
def sparse_cross_entropy(logits, labels):
    top = logits.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    return np.mean(lse - np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0])  # reduced
''',
            hint="Your function returns one number: it should return one loss per label, the same shape as "
                 "labels, without averaging."),
    Mistake('sparse_cross_entropy', 'ce_batch_of_vectors_only', code='''
def sparse_cross_entropy(logits, labels):
    top = logits.max(axis=-1, keepdims=True)
    log_p = logits - top - np.log(np.exp(logits - top).sum(axis=-1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels]  # a batch of vectors only
''',
            hint="Your indexing works for a batch of vectors only: the logits may have any number of leading axes"
                 " (or none). Pick the right class along the last axis for every position."),
    Mistake('sequence_loss', 'loss_unweighted_mean', code='''
def sequence_loss(logits, targets, weights):
    return np.mean(sparse_cross_entropy(logits, targets))
''',
            hint='Your loss ignores the weights: positions with weight 0 (padding) count as much as the others.'),
    Mistake('sequence_loss', 'loss_divided_by_count', code='''
def sequence_loss(logits, targets, weights):
    return np.sum(weights * sparse_cross_entropy(logits, targets)) / np.size(weights)
''',
            hint="Your weighted sum is divided by the number of positions, padding included: the lectures' "
                 "sequence loss divides by something else."),
    Mistake('sequence_loss', 'loss_summed', code='''
def sequence_loss(logits, targets, weights):
    return np.sum(weights * sparse_cross_entropy(logits, targets))
''',
            hint='Your loss is a weighted sum: it grows with the number of positions. The loss is an average.'),
    Mistake('sequence_loss', 'loss_weights_as_mask', code='''
def sequence_loss(logits, targets, weights):
    return np.mean(sparse_cross_entropy(logits, targets)[weights > 0])  # weights used as a mask
''',
            hint="Your loss is right for weights of 0 and 1 but uses the weights only as a mask: a weight of 0.3 "
                 "should count 0.3 times."),
    Mistake('sequence_loss', 'loss_per_sequence_mean', code='''
def sequence_loss(logits, targets, weights):
    ce = sparse_cross_entropy(logits, targets)
    per_sequence = np.sum(weights * ce, axis=-1) / np.sum(weights, axis=-1)
    return np.mean(per_sequence)  # every sequence counts the same, whatever its length
''',
            hint="Your loss averages each sequence first and then the sequences: a short sequence counts as much "
                 "as a long one. The weighted average is over all positions at once."),
    Mistake('softmax', 'softmax_in_place', code='''
def softmax(z):
    z -= np.max(z, axis=-1, keepdims=True)  # changes the caller's array
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)
''',
            hint="An augmented assignment such as z -= ... changes the caller's array: subtract into a new array "
                 "instead."),
)
