"""Chapter 08 · LSTM and GRU gates: what the exercise grades, and how Keras makes its reference outputs.

Each case loads random weights into Keras's own ``LSTMCell`` / ``LSTM`` / ``GRUCell`` / ``GRU``
(the GRU with Keras's default ``reset_after=True``, so its bias has shape ``(2, 3*units)``) and
runs it on inputs students never see, from non-zero initial states. Features and units differ in
most cases, so a transposed or misplaced matrix shows as a wrong shape.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.references import sizes
from rnncourse.weights import random_rnn_weights, set_rnn_weights

WEIGHTS = ("kernel", "recurrent_kernel", "bias")
STATE = ("batch", "unit")
SEQUENCE = ("batch", "time", "unit")
GRADED = {
    "lstm_cell_forward": Graded(inputs=("x_t", "h_prev", "c_prev", *WEIGHTS),
                                outputs=(Output("h", axes=STATE), Output("c", axes=STATE))),
    "lstm_forward": Graded(inputs=("x", "h0", "c0", *WEIGHTS),
                           outputs=(Output("h_seq", axes=SEQUENCE), Output("h_last", axes=STATE),
                                    Output("c_last", axes=STATE))),
    "gru_cell_forward": Graded(inputs=("x_t", "h_prev", *WEIGHTS), outputs=(Output("h", axes=STATE),)),
    "gru_forward": Graded(inputs=("x", "h0", *WEIGHTS),
                          outputs=(Output("h_seq", axes=SEQUENCE), Output("h_last", axes=STATE))),
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


def references(tf, keras, rng):
    lstm_cells, lstm_sequences = lstm_references(keras, rng)
    gru_cells, gru_sequences = gru_references(keras, rng)
    return {"lstm_cell_forward": lstm_cells, "lstm_forward": lstm_sequences,
            "gru_cell_forward": gru_cells, "gru_forward": gru_sequences}
