"""Chapter 05 · Stacking: what the exercise grades, and how Keras makes its reference outputs.

``stacked_rnn_forward`` is compared with a ``keras.Sequential`` of ``SimpleRNN(return_sequences=True)``
layers (every layer from a zero state) with the same weights loaded; ``time_distributed_dense`` with
``keras.layers.TimeDistributed(keras.layers.Dense(V))`` (no activation: the logits). The ``layers``
argument is a list of ``(kernel, recurrent_kernel, bias)`` tuples, first layer first.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.references import count
from rnncourse.weights import random_rnn_weights, set_rnn_weights

GRADED = {
    "stacked_rnn_forward": Graded(inputs=("x", "layers"),
                                  outputs=(Output("h_seq", axes=("batch", "time", "unit")),)),
    "time_distributed_dense": Graded(inputs=("h_seq", "W", "b"),
                                     outputs=(Output("logits", axes=("batch", "time", "class")),)),
}

# (batch, steps, features, units of each layer): one layer first (the simplest check fails first),
# features equal to every width once (a stack that feeds each layer the original input, or carries a
# layer's last state into the next, then gives wrong values instead of a shape error), 1 to 3 layers.
STACKS = [(1, 1, 1, (1,)), (2, 5, 3, (4,)), (2, 6, 4, (4, 4)), (3, 7, 4, (6, 3)),
          (2, 9, 5, (3, 8, 2)), (4, 12, 2, (5, 5, 5)), (1, 20, 6, (4, 7))]
# (batch, steps, units, classes): batch and time both > 1 and different, so a reshape that mixes
# them shows; one step; one class; a vocabulary as large as chapter 04's sentence.
DENSES = [(1, 1, 1, 1), (2, 5, 3, 4), (3, 4, 6, 2), (4, 1, 5, 3), (2, 10, 8, 25), (5, 3, 4, 1)]


def stack_description(batch, steps, features, units):
    widths = str(units[-1]) if len(units) == 1 else f"{', '.join(map(str, units[:-1]))} and {units[-1]}"
    return (f"{batch} batch, {count(steps, 'step')}, {count(features, 'feature')}, {count(len(units), 'layer')} "
            f"of {widths} unit{'s' * (units != (1,))}")


def stacked_case(keras, rng, batch, steps, features, units):
    model = keras.Sequential([keras.Input(shape=(steps, features))] +
                             [keras.layers.SimpleRNN(u, return_sequences=True) for u in units])
    layers, width = [], features
    for layer, u in zip(model.layers, units):
        w = random_rnn_weights(rng, width, u)
        set_rnn_weights(layer, w)
        layers.append((w["kernel"], w["recurrent_kernel"], w["bias"]))
        width = u
    x = rng.normal(size=(batch, steps, features)).astype(np.float32)
    return dict(x=x, layers=layers, h_seq=np.asarray(model(x)),
                description=stack_description(batch, steps, features, units))


def dense_case(keras, rng, batch, steps, units, classes):
    layer = keras.layers.TimeDistributed(keras.layers.Dense(classes))
    layer.build((None, steps, units))
    W = rng.uniform(-1, 1, size=(units, classes)).astype(np.float32)
    b = rng.uniform(-1, 1, size=(classes,)).astype(np.float32)
    layer.layer.kernel.assign(W)
    layer.layer.bias.assign(b)
    h_seq = rng.uniform(-1, 1, size=(batch, steps, units)).astype(np.float32)  # tanh outputs lie in (-1, 1)
    return dict(h_seq=h_seq, W=W, b=b, logits=np.asarray(layer(h_seq)),
                description=f"{batch} batch, {count(steps, 'step')}, {count(units, 'unit')}, {count(classes, 'class', 'classes')}")


def references(tf, keras, rng):
    return {"stacked_rnn_forward": [stacked_case(keras, rng, *sizes) for sizes in STACKS],
            "time_distributed_dense": [dense_case(keras, rng, *sizes) for sizes in DENSES]}
