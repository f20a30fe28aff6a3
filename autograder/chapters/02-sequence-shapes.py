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
