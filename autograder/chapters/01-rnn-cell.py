"""Chapter 01 · The RNN cell: what the exercise grades, and how Keras makes its reference outputs.

Each graded function's spec says which case fields are its arguments and how each output is
compared; :func:`references` computes the cases with Keras's own ``SimpleRNNCell`` /
``SimpleRNN`` (the same weights loaded into the layer), on inputs students never see.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.references import sizes
from rnncourse.spec import Mistake
from rnncourse.weights import random_rnn_weights, set_rnn_weights

WEIGHTS = ("kernel", "recurrent_kernel", "bias")
GRADED = {
    "rnn_cell_forward": Graded(inputs=("x_t", "h_prev", *WEIGHTS), outputs=(Output("h", axes=("batch", "unit")),)),
    "rnn_forward": Graded(inputs=("x", "h0", *WEIGHTS),
                          outputs=(Output("h_seq", axes=("batch", "time", "unit")),
                                   Output("h_last", axes=("batch", "unit")))),
}


def references(tf, keras, rng):
    cells = []
    for batch, features, units in [(1, 1, 1), (3, 4, 5), (2, 7, 3), (5, 2, 8)]:
        w = random_rnn_weights(rng, features, units)
        cell = keras.layers.SimpleRNNCell(units)
        cell.build((None, features))
        set_rnn_weights(cell, w)
        x_t = rng.normal(size=(batch, features)).astype(np.float32)
        h_prev = rng.uniform(-1, 1, size=(batch, units)).astype(np.float32)
        h, _ = cell(x_t, [h_prev])
        cells.append(dict(x_t=x_t, h_prev=h_prev, **w, h=np.asarray(h),
                          description=sizes(batch=batch, features=features, units=units)))
    sequences = []
    for batch, steps, features, units in [(1, 1, 1, 1), (2, 5, 3, 4), (3, 12, 2, 6), (1, 20, 4, 3), (4, 8, 6, 2)]:
        w = random_rnn_weights(rng, features, units)
        layer = keras.layers.SimpleRNN(units, return_sequences=True, return_state=True)
        layer.build((None, steps, features))
        set_rnn_weights(layer, w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0 = rng.uniform(-1, 1, size=(batch, units)).astype(np.float32)
        h_seq, h_last = layer(x, initial_state=h0)
        sequences.append(dict(x=x, h0=h0, **w, h_seq=np.asarray(h_seq), h_last=np.asarray(h_last),
                              description=sizes(batch=batch, steps=steps, features=features, units=units)))
    return {"rnn_cell_forward": cells, "rnn_forward": sequences}


# ---------------------------------------------------------------- known mistakes (the feedback's hints)
MISTAKES = (
    Mistake("rnn_forward", "forgets_h0", code='''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h = np.zeros_like(h0)  # forgets the initial state
    states = []
    for t in range(x.shape[1]):
        h = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)
        states.append(h)
    return np.stack(states, axis=1), h
''', hint="Already the first step is off: which state does your loop start from? The caller gives one."),
    Mistake("rnn_cell_forward", "sigmoid", code='''
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return 1 / (1 + np.exp(-(x_t @ kernel + h_prev @ recurrent_kernel + bias)))
''', hint="Your values all lie between 0 and 1: which activation does a SimpleRNN use by default?"),
    Mistake("rnn_cell_forward", "no_bias", code='''
def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)
''', hint="Your cell gives what Keras gives when every bias is zero: is each of the cell's weights used?"),
    Mistake("rnn_forward", "time_major", code='''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)
        states.append(h)
    return np.array(states), h  # (time, batch, units)
''', hint="Your states are right but stacked along the first axis: h_seq is (batch, time, units), "
          "and np.array of a list of states puts the list's axis first."),
    Mistake('rnn_forward', 'modifies_h0', code='''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h[:] = rnn_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)  # overwrites h0
        states.append(h.copy())
    return np.stack(states, axis=1), h.copy()
''',
            hint="Your loop writes each new state into the array h0 the caller gave you (h[:] = ... when h is "
                 "h0): h = h0 does not copy an array."),
)
