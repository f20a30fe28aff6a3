"""Chapter 08 · LSTM and GRU gates: what the exercise grades, and how Keras makes its reference outputs.

Each case loads random weights into Keras's own ``LSTMCell`` / ``LSTM`` / ``GRUCell`` / ``GRU``
(the GRU with Keras's default ``reset_after=True``, so its bias has shape ``(2, 3*units)``) and
runs it on inputs students never see, from non-zero initial states. Features and units differ in
most cases, so a transposed or misplaced matrix shows as a wrong shape.

The LSTM's backward passes are compared with ``tf.GradientTape``'s gradients, computed in float64
through Keras's own ``LSTMCell`` / ``LSTM`` (built with ``dtype="float64"``, the case's weights
loaded into it) for the loss ``sum(h * dh) + sum(c * dc)`` (the cell) or ``sum(h_seq * dh_seq)``
(the layer with ``return_sequences=True``): its gradients with respect to the outputs are exactly
the upstream gradients. Inputs are stored as float32 values, so the float32 and the float64 hidden
tests compare with the same exact gradients.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.framework import tape_gradients
from rnncourse.references import sizes
from rnncourse.weights import random_rnn_weights, set_rnn_weights

WEIGHTS = ("kernel", "recurrent_kernel", "bias")
STATE = ("batch", "unit")
SEQUENCE = ("batch", "time", "unit")
# The columns of an LSTM's weights are the four gates side by side: column = gate * units + unit.
WEIGHT_GRADS = (Output("dkernel", axes=("feature", "column")), Output("drecurrent_kernel", axes=("unit", "column")),
                Output("dbias", axes=("column",)))
# The gradients use the default tolerance (checks.RTOL, checks.ATOL). Measured on these cases (the worst
# error over a function's cases, as a multiple of the tolerance): the correct answers of
# tests/fixtures/08-lstm-gru.py stay within 0.01 of it with float32 inputs (computing in float32 or
# float64) and within 1e-10 with float64 inputs; each plausible mistake there is off by more than 17,000.
GRADED = {
    "lstm_cell_forward": Graded(inputs=("x_t", "h_prev", "c_prev", *WEIGHTS),
                                outputs=(Output("h", axes=STATE), Output("c", axes=STATE))),
    "lstm_forward": Graded(inputs=("x", "h0", "c0", *WEIGHTS),
                           outputs=(Output("h_seq", axes=SEQUENCE), Output("h_last", axes=STATE),
                                    Output("c_last", axes=STATE))),
    "gru_cell_forward": Graded(inputs=("x_t", "h_prev", *WEIGHTS), outputs=(Output("h", axes=STATE),)),
    "gru_forward": Graded(inputs=("x", "h0", *WEIGHTS),
                          outputs=(Output("h_seq", axes=SEQUENCE), Output("h_last", axes=STATE))),
    "lstm_cell_backward": Graded(
        inputs=("dh", "dc", "x_t", "h_prev", "c_prev", *WEIGHTS), returns="dict",
        outputs=(Output("dx_t", axes=("batch", "feature")), Output("dh_prev", axes=STATE),
                 Output("dc_prev", axes=STATE), *WEIGHT_GRADS)),
    "lstm_backward": Graded(
        inputs=("x", "h0", "c0", *WEIGHTS, "dh_seq"), returns="dict",
        outputs=(Output("dx", axes=("batch", "time", "feature")), Output("dh0", axes=STATE),
                 Output("dc0", axes=STATE), *WEIGHT_GRADS)),
}

CELL_SIZES = [(1, 1, 1), (3, 4, 5), (2, 7, 3), (5, 2, 8), (8, 10, 16)]  # batch, features, units
SEQUENCE_SIZES = [(1, 1, 1, 1), (2, 5, 3, 4), (3, 12, 2, 6), (1, 20, 4, 3), (4, 8, 6, 2), (6, 30, 5, 16)]  # batch, steps, ...


def built(layer, input_shape, weights):
    layer.build(input_shape)
    set_rnn_weights(layer, weights)
    return layer


def lstm_weights(rng, features, units):
    return random_rnn_weights(rng, features, units, gates=4)


def gru_weights(rng, features, units):
    return random_rnn_weights(rng, features, units, gates=3, bias_shape=(2, 3 * units))


def state(rng, batch, units, scale=1.0):
    return rng.uniform(-scale, scale, size=(batch, units)).astype(np.float32)


def lstm_references(keras, rng):
    cells, sequences = [], []
    for batch, features, units in CELL_SIZES:
        w = lstm_weights(rng, features, units)
        cell = built(keras.layers.LSTMCell(units), (None, features), w)
        x_t = rng.normal(size=(batch, features)).astype(np.float32)
        h_prev, c_prev = state(rng, batch, units), state(rng, batch, units, scale=2.0)  # c is not bounded by 1
        h, (_, c) = cell(x_t, [h_prev, c_prev])
        cells.append(dict(x_t=x_t, h_prev=h_prev, c_prev=c_prev, **w, h=np.asarray(h), c=np.asarray(c),
                          description=sizes(batch=batch, features=features, units=units)))
    for batch, steps, features, units in SEQUENCE_SIZES:
        w = lstm_weights(rng, features, units)
        layer = built(keras.layers.LSTM(units, return_sequences=True, return_state=True), (None, steps, features), w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0, c0 = state(rng, batch, units), state(rng, batch, units, scale=2.0)
        h_seq, h_last, c_last = layer(x, initial_state=[h0, c0])
        sequences.append(dict(x=x, h0=h0, c0=c0, **w, h_seq=np.asarray(h_seq), h_last=np.asarray(h_last),
                              c_last=np.asarray(c_last),
                              description=sizes(batch=batch, steps=steps, features=features, units=units)))
    return cells, sequences


def gru_references(keras, rng):
    cells, sequences = [], []
    for batch, features, units in CELL_SIZES:
        w = gru_weights(rng, features, units)
        cell = built(keras.layers.GRUCell(units, reset_after=True), (None, features), w)
        x_t = rng.normal(size=(batch, features)).astype(np.float32)
        h_prev = state(rng, batch, units)
        h, _ = cell(x_t, h_prev)
        cells.append(dict(x_t=x_t, h_prev=h_prev, **w, h=np.asarray(h),
                          description=sizes(batch=batch, features=features, units=units)))
    for batch, steps, features, units in SEQUENCE_SIZES:
        w = gru_weights(rng, features, units)
        layer = keras.layers.GRU(units, reset_after=True, return_sequences=True, return_state=True)
        layer = built(layer, (None, steps, features), w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0 = state(rng, batch, units)
        h_seq, h_last = layer(x, initial_state=h0)
        sequences.append(dict(x=x, h0=h0, **w, h_seq=np.asarray(h_seq), h_last=np.asarray(h_last),
                              description=sizes(batch=batch, steps=steps, features=features, units=units)))
    return cells, sequences


def float64_lstm(keras, kind, input_shape, weights):
    """Keras's ``LSTMCell`` (kind "cell") or ``LSTM(return_sequences=True)``, in float64, with ``weights``."""
    units = weights["bias"].shape[0] // 4
    layer = keras.layers.LSTMCell(units, dtype="float64") if kind == "cell" else keras.layers.LSTM(
        units, return_sequences=True, dtype="float64")
    return built(layer, input_shape, weights)


def new_states(cell):
    """``(x_t, h_prev, c_prev) -> (h, c)``: one step of a Keras LSTMCell."""
    def run(x_t, h_prev, c_prev):
        h, (_, c) = cell(x_t, [h_prev, c_prev])
        return h, c
    return run


def cell_backward_cases(tf, keras, rng):
    cases = []
    for batch, features, units, scale, upstream, about in [
        (1, 1, 1, 0.5, "both", ""), (3, 4, 5, 0.5, "both", ""), (2, 7, 3, 0.5, "both", ""),
        (5, 2, 8, 0.5, "both", ""), (4, 3, 3, 0.5, "both", " (as many features as units)"),
        (3, 2, 4, 2.0, "both", " (large weights: some gates near 0 or 1)"),
        (3, 3, 2, 0.5, "h only", " (dc = 0: a loss on h only)"), (2, 4, 3, 0.5, "c only", " (dh = 0: a loss on c only)"),
    ]:
        w = lstm_weights(rng, features, units) if scale == 0.5 else random_rnn_weights(rng, features, units, 4, scale)
        cell = float64_lstm(keras, "cell", (None, features), w)
        x_t = rng.normal(size=(batch, features)).astype(np.float32)
        h_prev, c_prev = state(rng, batch, units), state(rng, batch, units, scale=2.0)
        dh, dc = (rng.normal(size=(batch, units)).astype(np.float32) for _ in range(2))
        if upstream == "h only":
            dc[:] = 0
        if upstream == "c only":
            dh[:] = 0
        grads = tape_gradients(tf, cell, [x_t, h_prev, c_prev], new_states(cell), [dh, dc])
        names = ("dx_t", "dh_prev", "dc_prev", "dkernel", "drecurrent_kernel", "dbias")
        cases.append(dict(dh=dh, dc=dc, x_t=x_t, h_prev=h_prev, c_prev=c_prev, **w, **dict(zip(names, grads)),
                          description=sizes(batch=batch, features=features, units=units) + about))
    return cases


def sequence_backward_cases(tf, keras, rng):
    cases = []
    for batch, steps, features, units, upstream, about in [
        (1, 1, 1, 1, "all", ""), (2, 5, 3, 4, "all", ""), (3, 12, 2, 6, "all", ""), (1, 20, 4, 3, "all", ""),
        (4, 8, 5, 5, "all", " (as many features as units)"), (3, 10, 3, 4, "last", " (a loss on the last step only)"),
        (2, 6, 2, 3, "zero states", " (h0 = c0 = 0)"),
    ]:
        w = lstm_weights(rng, features, units)
        layer = float64_lstm(keras, "layer", (None, steps, features), w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0, c0 = state(rng, batch, units), state(rng, batch, units, scale=2.0)
        if upstream == "zero states":
            h0, c0 = np.zeros_like(h0), np.zeros_like(c0)
        dh_seq = rng.normal(size=(batch, steps, units)).astype(np.float32)
        if upstream == "last":
            dh_seq[:, :-1] = 0
        grads = tape_gradients(tf, layer, [x, h0, c0], lambda x, h0, c0: layer(x, initial_state=[h0, c0]), dh_seq)
        cases.append(dict(x=x, h0=h0, c0=c0, **w, dh_seq=dh_seq,
                          **dict(zip(("dx", "dh0", "dc0", "dkernel", "drecurrent_kernel", "dbias"), grads)),
                          description=sizes(batch=batch, steps=steps, features=features, units=units) + about))
    return cases


def references(tf, keras, rng):
    lstm_cells, lstm_sequences = lstm_references(keras, rng)
    gru_cells, gru_sequences = gru_references(keras, rng)
    return {"lstm_cell_forward": lstm_cells, "lstm_forward": lstm_sequences,
            "gru_cell_forward": gru_cells, "gru_forward": gru_sequences,
            "lstm_cell_backward": cell_backward_cases(tf, keras, rng),
            "lstm_backward": sequence_backward_cases(tf, keras, rng)}
