"""Recurrent-layer weights in Keras layout, as numpy arrays.

Keras stores a recurrent layer's parameters as ``kernel (D, G*U)``, ``recurrent_kernel
(U, G*U)`` and ``bias (G*U,)`` (``(2, 3*U)`` for a GRU with ``reset_after=True``), where
``G`` is the number of gates (1 SimpleRNN, 4 LSTM in order i, f, c, o, 3 GRU in order z, r, h).
The exercises take weights in exactly this layout, so the book, the reference maker and
the tests move weights between numpy and Keras with these helpers only.
"""

import numpy as np


def random_rnn_weights(rng, input_dim, units, gates=1, scale=0.5, bias_shape=None, dtype=np.float32):
    """Random weights for a recurrent layer in Keras layout: ``{"kernel", "recurrent_kernel", "bias"}``.

    ``rng`` is a ``numpy.random.Generator``. Entries are uniform in ``[-scale, scale]`` so that
    activations stay away from saturation and the outputs are informative for grading.
    """
    width = gates * units
    if bias_shape is None:
        bias_shape = (width,)

    def draw(*shape):
        return rng.uniform(-scale, scale, size=shape).astype(dtype)

    return {
        "kernel": draw(input_dim, width),
        "recurrent_kernel": draw(units, width),
        "bias": draw(*bias_shape),
    }


def get_rnn_weights(layer):
    """The ``{"kernel", "recurrent_kernel", "bias"}`` of a built Keras recurrent layer or cell."""
    cell = getattr(layer, "cell", layer)
    return {
        "kernel": np.asarray(cell.kernel),
        "recurrent_kernel": np.asarray(cell.recurrent_kernel),
        "bias": np.asarray(cell.bias),
    }


def set_rnn_weights(layer, weights):
    """Load ``{"kernel", "recurrent_kernel", "bias"}`` into a built Keras recurrent layer or cell."""
    cell = getattr(layer, "cell", layer)
    cell.kernel.assign(weights["kernel"])
    cell.recurrent_kernel.assign(weights["recurrent_kernel"])
    cell.bias.assign(weights["bias"])
