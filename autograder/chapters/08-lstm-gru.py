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
from rnncourse.spec import Mistake, variant
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


# ------------------------------------------------------------------ known mistakes (issue #17)
# Plausible wrong answers, each as a student would write it; the fixtures take their code from here.
# The correct answers the mistakes below change: each mistake is variant(correct, old, new),
# the correct answer with the one place it gets wrong.
CORRECT_LSTM_CELL = '''
def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    c = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c), c
'''

CORRECT_LSTM = '''
def lstm_forward(x, h0, c0, kernel, recurrent_kernel, bias):
    h, c, states = h0, c0, []
    for t in range(x.shape[1]):
        h, c = lstm_cell_forward(x[:, t], h, c, kernel, recurrent_kernel, bias)
        states.append(h)
    return np.stack(states, axis=1), h, c
'''

CORRECT_GRU_CELL = '''
def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
    return z * h_prev + (1 - z) * np.tanh(x_h + r * h_h)
'''

CORRECT_GRU = '''
def gru_forward(x, h0, kernel, recurrent_kernel, bias):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = gru_cell_forward(x[:, t], h, kernel, recurrent_kernel, bias)
        states.append(h)
    return np.stack(states, axis=1), h
'''

CORRECT_LSTM_CELL_BACKWARD = '''
def lstm_cell_backward(dh, dc, x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_c), sigmoid(z_o)
    c = f * c_prev + i * g
    dc_total = dc + dh * o * (1 - np.tanh(c) ** 2)
    di, df, dg, do = dc_total * g, dc_total * c_prev, dc_total * i, dh * np.tanh(c)
    dz = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)])
    return {"dx_t": dz @ kernel.T, "dh_prev": dz @ recurrent_kernel.T, "dc_prev": dc_total * f,
            "dkernel": x_t.T @ dz, "drecurrent_kernel": h_prev.T @ dz, "dbias": dz.sum(axis=0)}
'''

CORRECT_LSTM_BACKWARD = '''
def lstm_backward(x, h0, c0, kernel, recurrent_kernel, bias, dh_seq):
    hs, cs = [h0], [c0]
    for t in range(x.shape[1]):
        z_i, z_f, z_c, z_o = np.split(x[:, t] @ kernel + hs[-1] @ recurrent_kernel + bias, 4, axis=-1)
        cs.append(sigmoid(z_f) * cs[-1] + sigmoid(z_i) * np.tanh(z_c))
        hs.append(sigmoid(z_o) * np.tanh(cs[-1]))
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    dx = [None] * x.shape[1]
    totals = {"dkernel": 0, "drecurrent_kernel": 0, "dbias": 0}
    for t in reversed(range(x.shape[1])):
        step = lstm_cell_backward(dh_seq[:, t] + dh_next, dc_next, x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)
        dx[t], dh_next, dc_next = step["dx_t"], step["dh_prev"], step["dc_prev"]
        for name in totals:
            totals[name] = totals[name] + step[name]
    return {"dx": np.stack(dx, axis=1), "dh0": dh_next, "dc0": dc_next, **totals}
'''


MISTAKES = (
    Mistake('lstm_cell_forward', 'tf1_gate_order',
            "Check the order in which you split the four gates: yours takes Keras's blocks of columns in "
            "another order (TensorFlow 1's, say); the chapter shows which block is which gate.",
            variant(CORRECT_LSTM_CELL,
                    '    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)\n',
                    '    z_i, z_c, z_f, z_o = np.split(z, 4, axis=-1)\n')),
    Mistake('lstm_cell_forward', 'onnx_gate_order',
            "Check the order in which you split the four gates: yours takes Keras's blocks of columns in "
            "another order (another framework's, say); the chapter shows which block is which gate.",
            variant(CORRECT_LSTM_CELL,
                    '    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)\n',
                    '    z_i, z_o, z_f, z_c = np.split(z, 4, axis=-1)\n')),
    Mistake('lstm_cell_forward', 'tanh_output_gate',
            'Look at the activation of the output gate: it is a gate, so its values should stay between 0 and'
            ' 1.',
            variant(CORRECT_LSTM_CELL,
                    '    return sigmoid(z_o) * np.tanh(c), c\n',
                    '    return np.tanh(z_o) * np.tanh(c), c\n')),
    Mistake('lstm_cell_forward', 'no_tanh_on_c',
            'Look at how h is made from the cell state: is the cell state squashed before the output gate '
            'scales it?',
            variant(CORRECT_LSTM_CELL,
                    '    return sigmoid(z_o) * np.tanh(c), c\n',
                    '    return sigmoid(z_o) * c, c\n')),
    Mistake('lstm_cell_forward', 'sigmoid_candidate',
            'Look at the activation of the candidate: unlike the three gates, the candidate can be negative.',
            variant(CORRECT_LSTM_CELL,
                    '    c = sigmoid(z_f) * c_prev + sigmoid(z_i) * np.tanh(z_c)\n',
                    '    c = sigmoid(z_f) * c_prev + sigmoid(z_i) * sigmoid(z_c)\n')),
    Mistake('lstm_cell_forward', 'hard_sigmoid_gates',
            "Check the gates' activation: Keras 3's LSTM uses the ordinary sigmoid, not an approximation of "
            'it.',
            '''
def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    hard_sigmoid = lambda z: np.clip(0.2 * z + 0.5, 0.0, 1.0)
    z_i, z_f, z_c, z_o = np.split(x_t @ kernel + h_prev @ recurrent_kernel + bias, 4, axis=-1)
    c = hard_sigmoid(z_f) * c_prev + hard_sigmoid(z_i) * np.tanh(z_c)
    return hard_sigmoid(z_o) * np.tanh(c), c
'''),
    Mistake('lstm_cell_forward', 'interleaved_gates',
            "Check how you split the pre-activations into gates: Keras keeps each gate's units in one "
            'contiguous block of columns.',
            '''
def lstm_cell_forward(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = (x_t @ kernel + h_prev @ recurrent_kernel + bias).reshape(x_t.shape[0], -1, 4)
    i, f, g, o = sigmoid(z[..., 0]), sigmoid(z[..., 1]), np.tanh(z[..., 2]), sigmoid(z[..., 3])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
'''),
    Mistake('lstm_forward', 'cell_state_not_carried',
            'From the second step on your sequence goes wrong: is the cell state carried from one step to the'
            ' next?',
            variant(CORRECT_LSTM,
                    '    h, c, states = h0, c0, []\n'
                    '    for t in range(x.shape[1]):\n'
                    '        h, c = lstm_cell_forward(x[:, t], h, c, kernel, recurrent_kernel, bias)\n',
                    '    h, states = h0, []\n'
                    '    for t in range(x.shape[1]):\n'
                    '        h, c = lstm_cell_forward(x[:, t], h, c0, kernel, recurrent_kernel, bias)\n')),
    Mistake('lstm_forward', 'forgets_c0',
            'Check where your cell state starts: the initial cell state you are given should be used.',
            variant(CORRECT_LSTM,
                    '    h, c, states = h0, c0, []\n',
                    '    h, c, states = h0, np.zeros_like(c0), []\n')),
    Mistake('lstm_forward', 'returns_h_for_c',
            'Check what you return as the last cell state: it is not the same thing as the last hidden state.',
            variant(CORRECT_LSTM,
                    '    return np.stack(states, axis=1), h, c\n',
                    '    return np.stack(states, axis=1), h, h\n')),
    Mistake('gru_cell_forward', 'gru_reset_before',
            "Check where the reset gate acts in the candidate: Keras's default GRU (reset_after=True) is not "
            "the original paper's formula there.",
            '''
def gru_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    units = h_prev.shape[1]
    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)
    h_z, h_r = np.split(h_prev @ recurrent_kernel[:, :2 * units] + bias[1, :2 * units], 2, axis=-1)
    z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
    hh = np.tanh(x_h + (r * h_prev) @ recurrent_kernel[:, 2 * units:] + bias[1, 2 * units:])
    return z * h_prev + (1 - z) * hh
'''),
    Mistake('gru_cell_forward', 'gru_other_convention',
            'Check which of h_prev and the candidate the update gate z weights: conventions differ between '
            "papers, follow Keras's.",
            variant(CORRECT_GRU_CELL,
                    '    return z * h_prev + (1 - z) * np.tanh(x_h + r * h_h)\n',
                    '    return (1 - z) * h_prev + z * np.tanh(x_h + r * h_h)\n')),
    Mistake('gru_cell_forward', 'gru_input_bias_only',
            "Check the bias: Keras's GRU has two bias rows, one for the input part and one for the recurrent "
            'part.',
            variant(CORRECT_GRU_CELL,
                    '    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)\n',
                    '    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel, 3, axis=-1)\n')),
    Mistake('gru_cell_forward', 'gru_summed_bias',
            "Check the recurrent bias of the candidate: in Keras's GRU it sits inside the part the reset gate"
            ' multiplies.',
            variant(CORRECT_GRU_CELL,
                    '    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)\n'
                    '    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)\n',
                    '    x_z, x_r, x_h = np.split(x_t @ kernel + bias.sum(axis=0), 3, axis=-1)\n'
                    '    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel, 3, axis=-1)\n')),
    Mistake('gru_cell_forward', 'gru_torch_order',
            "Check the order in which you split the three gates: yours takes Keras's blocks of columns in "
            "another order (PyTorch's, say); the chapter shows which block is which gate.",
            variant(CORRECT_GRU_CELL,
                    '    x_z, x_r, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)\n'
                    '    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)\n',
                    '    x_r, x_z, x_h = np.split(x_t @ kernel + bias[0], 3, axis=-1)\n'
                    '    h_r, h_z, h_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)\n')),
    Mistake('gru_forward', 'gru_forgets_h0',
            'Check where your state starts: the initial state you are given should be used.',
            variant(CORRECT_GRU,
                    '    h, states = h0, []\n',
                    '    h, states = np.zeros_like(h0), []\n')),
    Mistake('gru_forward', 'gru_time_major',
            'Check the axes of h_seq: the course returns (batch, time, units).',
            variant(CORRECT_GRU,
                    '    return np.stack(states, axis=1), h\n',
                    '    return np.stack(states, axis=0), h\n')),
    Mistake('lstm_cell_backward', 'no_tanh_c_path',
            'The gradient of the cell state has two sources; the path through h = o * tanh(c) is missing.',
            variant(CORRECT_LSTM_CELL_BACKWARD,
                    '    dc_total = dc + dh * o * (1 - np.tanh(c) ** 2)\n',
                    '    dc_total = dc\n')),
    Mistake('lstm_cell_backward', 'ignores_dc',
            "The cell state's gradient has two sources: this step's h = o * tanh(c), and the gradient dc "
            "coming back from the next step's cell state; the second one is lost.",
            variant(CORRECT_LSTM_CELL_BACKWARD,
                    '    dc_total = dc + dh * o * (1 - np.tanh(c) ** 2)\n',
                    '    dc_total = dh * o * (1 - np.tanh(c) ** 2)\n')),
    Mistake('lstm_cell_backward', 'tanh_derivative_at_c_prev',
            'Check where you take the derivative of tanh in h = o * tanh(c): at which cell state was the tanh'
            ' computed?',
            variant(CORRECT_LSTM_CELL_BACKWARD,
                    '    dc_total = dc + dh * o * (1 - np.tanh(c) ** 2)\n',
                    '    dc_total = dc + dh * o * (1 - np.tanh(c_prev) ** 2)\n')),
    Mistake('lstm_cell_backward', 'dc_prev_without_f',
            'Check dc_prev: how does the previous cell state enter the new one?',
            variant(CORRECT_LSTM_CELL_BACKWARD,
                    '    return {"dx_t": dz @ kernel.T, "dh_prev": dz @ recurrent_kernel.T, "dc_prev": dc_total * f,\n',
                    '    return {"dx_t": dz @ kernel.T, "dh_prev": dz @ recurrent_kernel.T, "dc_prev": dc_total,\n')),
    Mistake('lstm_cell_backward', 'backward_gate_order',
            'Check the order of the gate gradients you stack: it must match the order of the gates in the '
            "kernel's columns.",
            variant(CORRECT_LSTM_CELL_BACKWARD,
                    '    dz = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)])\n',
                    '    dz = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)])\n')),
    Mistake('lstm_cell_backward', 'tanh_derivative_for_gates',
            "Check the derivatives of the gates' activations: a sigmoid's slope is not a tanh's.",
            variant(CORRECT_LSTM_CELL_BACKWARD,
                    '    dz = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)])\n',
                    '    dz = np.hstack([di * (1 - i ** 2), df * (1 - f ** 2), dg * (1 - g ** 2), do * (1 - o ** 2)])\n')),
    Mistake('lstm_cell_backward', 'backward_interleaved',
            "Check how you arrange the gate gradients: each gate's units form one contiguous block of "
            'columns, as in the forward pass.',
            variant(CORRECT_LSTM_CELL_BACKWARD,
                    '    dz = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)])\n',
                    '    dz = np.stack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=-1).reshape(len(x_t), -1)\n')),
    Mistake('lstm_backward', 'forgets_dh_from_next_step',
            "Each step's hidden-state gradient has two parts: the output's own gradient and the one coming "
            'back from the next step.',
            variant(CORRECT_LSTM_BACKWARD,
                    '        step = lstm_cell_backward(dh_seq[:, t] + dh_next, dc_next, x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)\n',
                    '        step = lstm_cell_backward(dh_seq[:, t], dc_next, x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)\n')),
    Mistake('lstm_backward', 'backward_forward_in_time',
            'Check the direction of your loop: gradients flow from the last step back to the first.',
            variant(CORRECT_LSTM_BACKWARD,
                    '    for t in reversed(range(x.shape[1])):\n',
                    '    for t in range(x.shape[1]):\n')),
    Mistake('lstm_backward', 'states_one_step_late',
            'Check which states you differentiate each step at: step t started from the states before it, not'
            ' after it.',
            variant(CORRECT_LSTM_BACKWARD,
                    '        step = lstm_cell_backward(dh_seq[:, t] + dh_next, dc_next, x[:, t], hs[t], cs[t], kernel, recurrent_kernel, bias)\n',
                    '        step = lstm_cell_backward(dh_seq[:, t] + dh_next, dc_next, x[:, t], hs[t + 1], cs[t + 1], kernel, recurrent_kernel, bias)\n')),
)
