"""Chapter 09 · Training by backpropagation through time: what the exercise grades, and how
TensorFlow makes its reference outputs.

Every expected gradient is ``tf.GradientTape``'s, computed in float64 through Keras's own
``SimpleRNNCell`` / ``SimpleRNN`` (built with ``dtype="float64"``, the case's weights loaded into
it) for the loss ``sum(h * dh)``: its gradient with respect to the outputs is exactly the
upstream gradient ``dh``. Inputs are stored as float32 values, so the float32 and the float64
hidden tests compare with the same exact gradients. ``clip_by_global_norm`` is compared with
``tf.clip_by_global_norm`` and ``numerical_gradient`` with the analytic gradient (the tape's) of
the same function written in TensorFlow.

``train_sgd`` is compared with the same training run in TensorFlow, from the same start: Keras's
``SimpleRNN`` (from ``initial_state=h0``, its last state) and ``Dense`` in float64, the mean squared
error (``keras.losses.MeanSquaredError``), ``tf.GradientTape``, ``tf.clip_by_global_norm`` over the
five gradients together and ``keras.optimizers.SGD`` (no momentum). The learning rates are powers of
two, so Keras's float32 learning-rate variable holds them exactly.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.spec import Mistake, variant
from rnncourse.framework import tape_gradients
from rnncourse.references import sizes
from rnncourse.weights import random_rnn_weights, set_rnn_weights

WEIGHTS = ("kernel", "recurrent_kernel", "bias")
WEIGHT_GRADS = (Output("dkernel", axes=("feature", "unit")), Output("drecurrent_kernel", axes=("unit", "unit")),
                Output("dbias", axes=("unit",)))

# The gradients use the default tolerance (checks.RTOL, checks.ATOL). Measured on these cases: correct
# float32 answers stay within 1/25 of it (float64 within 1e-9 of it); the plausible mistakes of
# tests/fixtures/09-bptt.py that pass the visible tests are off by more than 1.
# numerical_gradient is compared with the exact gradient, in float64. Measured on these cases: correct
# central differences (error ~ eps**2, plus rounding ~ 1e-16 * |f| / eps) stay within 1/400 of this
# tolerance (1/8000 with the default eps); forward differences (error ~ eps * f'' / 2) are off by 2.5 to
# 1,750 times it, and the default step of 1e-5 where a case passes eps=1e-7 is off by 15 times it.
NUMGRAD_RTOL = 1e-6
NUMGRAD_ATOL = 1e-7

# train_sgd uses the default tolerance too. Measured on these cases (the worst error over the cases, as a
# multiple of the tolerance): the correct answers of tests/fixtures/09-bptt.py stay within 0.003 of it when
# they compute in float32 and within 1e-10 in float64; each plausible mistake there is off by more than 7,000.
TRAINED = (Output("new_kernel", axes=("feature", "unit")), Output("new_recurrent_kernel", axes=("unit", "unit")),
           Output("new_bias", axes=("unit",)), Output("new_W_out", axes=("unit", "output")),
           Output("new_b_out", axes=("output",)), Output("losses", axes=("step",)))

GRADED = {
    "rnn_cell_backward": Graded(
        inputs=("dh", "x_t", "h_prev", *WEIGHTS), returns="dict",
        outputs=(Output("dx_t", axes=("batch", "feature")), Output("dh_prev", axes=("batch", "unit")),
                 *WEIGHT_GRADS)),
    "rnn_backward": Graded(
        inputs=("x", "h0", *WEIGHTS, "dh_seq"), returns="dict",
        outputs=(Output("dx", axes=("batch", "time", "feature")), Output("dh0", axes=("batch", "unit")),
                 *WEIGHT_GRADS)),
    "clip_by_global_norm": Graded(inputs=("grads", "max_norm"),
                                  outputs=(Output("clipped"), Output("global_norm"))),
    "numerical_gradient": Graded(inputs=("f", "x"), options=("eps",), functions=("f",),
                                 outputs=(Output("dx", rtol=NUMGRAD_RTOL, atol=NUMGRAD_ATOL),)),
    "train_sgd": Graded(inputs=("x", "h0", "y", *WEIGHTS, "W_out", "b_out", "lr", "steps", "max_norm"),
                        outputs=TRAINED),
}


def cell_cases(tf, keras, rng):
    cases = []
    for batch, features, units, scale, about in [(1, 1, 1, 0.5, ""), (3, 4, 5, 0.5, ""), (2, 7, 3, 0.5, ""),
                                                  (5, 2, 8, 0.5, ""), (4, 3, 3, 0.5, " (as many features as units)"),
                                                  (3, 2, 4, 2.0, " (large weights: some units near +-1)")]:
        w = random_rnn_weights(rng, features, units, scale=scale)
        cell = keras.layers.SimpleRNNCell(units, dtype="float64")
        cell.build((None, features))
        set_rnn_weights(cell, w)
        x_t = rng.normal(size=(batch, features)).astype(np.float32)
        h_prev = rng.uniform(-1, 1, size=(batch, units)).astype(np.float32)
        dh = rng.normal(size=(batch, units)).astype(np.float32)
        grads = tape_gradients(tf, cell, [x_t, h_prev], lambda x, h: cell(x, [h])[0], dh)
        cases.append(dict(dh=dh, x_t=x_t, h_prev=h_prev, **w,
                          **dict(zip(("dx_t", "dh_prev", "dkernel", "drecurrent_kernel", "dbias"), grads)),
                          description=sizes(batch=batch, features=features, units=units) + about))
    return cases


def sequence_cases(tf, keras, rng):
    cases = []
    for batch, steps, features, units, upstream, about in [
        (1, 1, 1, 1, "all", ""), (2, 5, 3, 4, "all", ""), (3, 12, 2, 6, "all", ""), (1, 20, 4, 3, "all", ""),
        (4, 8, 5, 5, "all", " (as many features as units)"), (3, 10, 3, 4, "last", " (a loss on the last step only)"),
        (2, 6, 2, 3, "zero h0", " (h0 = 0)"),
    ]:
        w = random_rnn_weights(rng, features, units)
        layer = keras.layers.SimpleRNN(units, return_sequences=True, dtype="float64")
        layer.build((None, steps, features))
        set_rnn_weights(layer, w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0 = rng.uniform(-1, 1, size=(batch, units)).astype(np.float32)
        if upstream == "zero h0":
            h0 = np.zeros_like(h0)
        dh_seq = rng.normal(size=(batch, steps, units)).astype(np.float32)
        if upstream == "last":
            dh_seq[:, :-1] = 0
        grads = tape_gradients(tf, layer, [x, h0], lambda x, h0: layer(x, initial_state=h0), dh_seq)
        cases.append(dict(x=x, h0=h0, **w, dh_seq=dh_seq,
                          **dict(zip(("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias"), grads)),
                          description=sizes(batch=batch, steps=steps, features=features, units=units) + about))
    return cases


def clip_cases(tf, rng):
    shapes = [(3, 4), (4, 4), (4,)]  # a SimpleRNN's kernel, recurrent_kernel, bias
    lists = [
        ([rng.normal(size=s) for s in shapes], 1.0, "3 arrays, global norm above max_norm"),
        ([0.01 * rng.normal(size=s) for s in shapes], 5.0, "3 arrays, global norm below max_norm"),
        ([rng.normal(size=(2, 3, 5))], 2.0, "one 3-D array"),
        ([1e3 * rng.normal(size=s) for s in [(6, 2), (2, 2), (2,), (2, 1), (1,)]], 0.5,
         "5 arrays of an exploding gradient"),
        ([np.zeros(s) for s in shapes], 1.0, "3 arrays of zeros"),
    ]
    cases = []
    for grads, max_norm, about in lists:
        grads = [g.astype(np.float32) for g in grads]
        clipped, norm = tf.clip_by_global_norm([tf.constant(g, tf.float64) for g in grads], max_norm)
        cases.append(dict(grads=grads, max_norm=max_norm, clipped=[np.asarray(c) for c in clipped],
                          global_norm=np.asarray(norm), description=f"{about}, max_norm={max_norm:g}"))
    return cases


def literal(array):
    """A numpy array as source text that only needs ``np`` (Python's float repr is exact)."""
    return f"np.array({np.asarray(array, dtype=np.float64).tolist()!r})"


def function_cases(tf, rng):
    """(numpy source, the same function in TensorFlow, x, eps or None, description)."""
    w = rng.uniform(-3, 3, size=5)
    a, b = rng.uniform(-1, 1, size=(4, 2)), rng.uniform(-2, 2, size=2)
    return [
        (f"lambda x: np.sum(np.tanh(x) * {literal(w)})", lambda x: tf.reduce_sum(tf.tanh(x) * w),
         rng.uniform(-2, 2, size=5), None, "tanh of a 1-D x, weighted"),
        ("lambda x: np.sum(np.sin(x) * x)", lambda x: tf.reduce_sum(tf.sin(x) * x),
         rng.uniform(-3, 3, size=(3, 4)), None, "sin(x) * x on a 2-D x"),
        (f"lambda x: np.sum(np.tanh(x @ {literal(a)} + 0.5) * {literal(b)})",
         lambda x: tf.reduce_sum(tf.tanh(x @ a + 0.5) * b),
         rng.normal(size=(2, 3, 4)), None, "a tanh layer on a 3-D x"),
        ("lambda x: np.log(np.sum(np.exp(x)))", lambda x: tf.math.reduce_logsumexp(x),
         rng.normal(size=6), None, "log-sum-exp of a 1-D x (its gradient is the softmax)"),
        ("lambda x: np.sum(x ** 2) / 2", lambda x: tf.reduce_sum(x ** 2) / 2,
         rng.normal(size=(2, 2)), 1e-3, "a quadratic with eps=1e-3"),
        ("lambda x: np.sum(np.sin(1000 * x)) / 1000", lambda x: tf.reduce_sum(tf.sin(1000 * x)) / 1000,
         rng.uniform(-1, 1, size=4), 1e-7, "a fast oscillation with eps=1e-7"),
    ]


def numgrad_cases(tf, rng):
    cases = []
    for source, tf_f, x, eps, about in function_cases(tf, rng):
        variable = tf.Variable(x, dtype=tf.float64)
        with tf.GradientTape() as tape:
            value = tf_f(variable)
        case = dict(f=source, x=x, dx=np.asarray(tape.gradient(value, variable)),
                    description=f"{about}, x of shape {x.shape}")
        if eps is not None:
            case["eps"] = eps
        cases.append(case)
    return cases


def train_in_tensorflow(tf, keras, case):
    """The weights after ``case["steps"]`` clipped SGD steps, and the loss before each step (float64)."""
    units, outputs = case["W_out"].shape
    rnn = keras.layers.SimpleRNN(units, dtype="float64")
    rnn.build((None, *case["x"].shape[1:]))
    set_rnn_weights(rnn, case)
    dense = keras.layers.Dense(outputs, dtype="float64")
    dense.build((None, units))
    dense.kernel.assign(case["W_out"])
    dense.bias.assign(case["b_out"])
    variables = [rnn.cell.kernel, rnn.cell.recurrent_kernel, rnn.cell.bias, dense.kernel, dense.bias]
    mse = keras.losses.MeanSquaredError(dtype="float64")
    optimizer = keras.optimizers.SGD(learning_rate=case["lr"])
    x, h0, y = (tf.constant(case[k], tf.float64) for k in ("x", "h0", "y"))
    losses = []
    for _ in range(case["steps"]):
        with tf.GradientTape() as tape:
            loss = mse(y, dense(rnn(x, initial_state=h0)))
        clipped, _ = tf.clip_by_global_norm(tape.gradient(loss, variables), case["max_norm"])
        optimizer.apply_gradients(zip(clipped, variables))
        losses.append(float(loss))
    return [np.asarray(v, dtype=np.float64) for v in variables] + [np.array(losses)]


def train_cases(tf, keras, rng):
    cases = []
    for batch, time, features, units, outputs, lr, steps, max_norm, about in [
        (1, 1, 1, 1, 1, 0.25, 1, 1.0, "one update on one sequence of length 1"),
        (4, 5, 3, 4, 2, 0.125, 5, 1.5, "clipped in the first updates only"),
        (3, 8, 2, 5, 3, 0.0625, 10, 0.5, "clipped at every update"),
        (2, 6, 3, 3, 1, 0.25, 4, 100.0, "never clipped"),
        (2, 10, 2, 4, 2, 0.125, 5, 0.1, "large recurrent weights, clipped at every update"),
        (5, 1, 4, 3, 2, 0.25, 6, 1.5, "sequences of length 1"),
        (3, 4, 2, 3, 2, 0.5, 3, 1.0, "h0 = 0"),
    ]:
        w = random_rnn_weights(rng, features, units, scale=1.5 if about.startswith("large") else 0.5)
        case = dict(x=rng.normal(size=(batch, time, features)).astype(np.float32),
                    h0=rng.uniform(-1, 1, size=(batch, units)).astype(np.float32),
                    y=rng.normal(size=(batch, outputs)).astype(np.float32), **w,
                    W_out=rng.uniform(-1, 1, size=(units, outputs)).astype(np.float32),
                    b_out=rng.uniform(-0.5, 0.5, size=outputs).astype(np.float32), lr=lr, steps=steps, max_norm=max_norm)
        if about == "h0 = 0":
            case["h0"] = np.zeros_like(case["h0"])
        case.update(zip((o.name for o in TRAINED), train_in_tensorflow(tf, keras, case)))
        case["description"] = (sizes(batch=batch, steps=time, features=features, units=units, outputs=outputs)
                               + f"; {steps} {'update' if steps == 1 else 'updates'}, lr={lr:g}, "
                               f"max_norm={max_norm:g}: {about}")
        cases.append(case)
    return cases


def references(tf, keras, rng):
    return {"rnn_cell_backward": cell_cases(tf, keras, rng), "rnn_backward": sequence_cases(tf, keras, rng),
            "clip_by_global_norm": clip_cases(tf, rng), "numerical_gradient": numgrad_cases(tf, rng),
            "train_sgd": train_cases(tf, keras, rng)}


# ------------------------------------------------------------------ known mistakes (issue #17)
# Plausible wrong answers, each as a student would write it; the fixtures take their code from here.
# The correct answers the mistakes below change: each mistake is variant(correct, old, new),
# the correct answer with the one place it gets wrong.
CORRECT_NUMERICAL_GRADIENT = '''
def numerical_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad
'''

CORRECT_CELL_BACKWARD = '''
def rnn_cell_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    da = dh * (1 - h ** 2)
    return {"dx_t": da @ kernel.T, "dh_prev": da @ recurrent_kernel.T, "dkernel": x_t.T @ da,
            "drecurrent_kernel": h_prev.T @ da, "dbias": da.sum(axis=0)}
'''

CORRECT_BACKWARD = '''
def rnn_backward(x, h0, kernel, recurrent_kernel, bias, dh_seq):
    states = [h0]
    for t in range(x.shape[1]):
        states.append(np.tanh(x[:, t] @ kernel + states[-1] @ recurrent_kernel + bias))
    dh_next = np.zeros_like(h0)
    dx = [None] * x.shape[1]
    totals = {"dkernel": 0, "drecurrent_kernel": 0, "dbias": 0}
    for t in reversed(range(x.shape[1])):
        step = rnn_cell_backward(dh_seq[:, t] + dh_next, x[:, t], states[t], kernel, recurrent_kernel, bias)
        dx[t] = step["dx_t"]
        dh_next = step["dh_prev"]
        for name in totals:
            totals[name] = totals[name] + step[name]
    return {"dx": np.stack(dx, axis=1), "dh0": dh_next, **totals}
'''

CORRECT_CLIP = '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    if norm <= max_norm:
        return [np.array(g) for g in grads], norm
    return [g * (max_norm / norm) for g in grads], norm
'''

CORRECT_TRAIN = '''
def train_sgd(x, h0, y, kernel, recurrent_kernel, bias, W_out, b_out, lr, steps, max_norm):
    W, U, b, V, c = (np.array(a, dtype=float) for a in (kernel, recurrent_kernel, bias, W_out, b_out))
    losses = np.zeros(steps)
    for step in range(steps):
        hs = [h0]
        for t in range(x.shape[1]):
            hs.append(np.tanh(x[:, t] @ W + hs[-1] @ U + b))
        p = hs[-1] @ V + c
        losses[step] = np.mean((p - y) ** 2)
        dp = 2 * (p - y) / y.size
        dV, dc = hs[-1].T @ dp, dp.sum(axis=0)
        dh = dp @ V.T
        dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
        for t in reversed(range(x.shape[1])):
            da = dh * (1 - hs[t + 1] ** 2)
            dW += x[:, t].T @ da
            dU += hs[t].T @ da
            db += da.sum(axis=0)
            dh = da @ U.T
        grads = [dW, dU, db, dV, dc]
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
        W, U, b, V, c = (w - lr * scale * g for w, g in zip((W, U, b, V, c), grads))
    return W, U, b, V, c, losses
'''


MISTAKES = (
    Mistake('numerical_gradient', 'forward_differences',
            'Your gradient is less accurate than it should be: compare a one-sided difference with one that '
            'looks both ways.',
            '''
def numerical_gradient(f, x, eps=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (f(x) - f0) / eps
        x[i] = old
    return grad
'''),
    Mistake('numerical_gradient', 'ignores_eps',
            'Is the eps you are given actually used?',
            variant(CORRECT_NUMERICAL_GRADIENT,
                    'def numerical_gradient(f, x, eps=1e-5):\n',
                    'def numerical_gradient(f, x, eps=1e-5):\n'
                    '    eps = 1e-5\n')),
    Mistake('numerical_gradient', 'flat_gradient',
            'Check the shape of your gradient: it should have the shape of x.',
            '''
def numerical_gradient(f, x, eps=1e-5):
    flat = x.astype(np.float64).ravel()
    grad = np.empty_like(flat)
    for i in range(flat.size):
        step = np.zeros_like(flat)
        step[i] = eps
        grad[i] = (f((flat + step).reshape(x.shape)) - f((flat - step).reshape(x.shape))) / (2 * eps)
    return grad
'''),
    Mistake('numerical_gradient', 'divides_by_eps',
            'Check what you divide the difference by: how far apart are the two points you evaluate f at?',
            variant(CORRECT_NUMERICAL_GRADIENT,
                    '        grad[i] = (up - down) / (2 * eps)\n',
                    '        grad[i] = (up - down) / eps\n')),
    Mistake('numerical_gradient', 'two_dims_only',
            'Check how you index x: with more than two dimensions, does each step nudge a single entry?',
            '''
def numerical_gradient(f, x, eps=1e-5):
    x2 = np.atleast_2d(np.array(x, dtype=float))
    grad = np.zeros_like(x2)
    for i in range(x2.shape[0]):
        for j in range(x2.shape[1]):
            old = x2[i, j].copy()
            x2[i, j] = old + eps
            up = f(x2.reshape(x.shape))
            x2[i, j] = old - eps
            down = f(x2.reshape(x.shape))
            x2[i, j] = old
            grad[i, j] = (up - down) / (2 * eps)
    return grad.reshape(x.shape)
'''),
    Mistake('rnn_cell_backward', 'no_tanh_derivative',
            'The gradient goes through the tanh before reaching the weights; is its derivative applied?',
            variant(CORRECT_CELL_BACKWARD,
                    '    da = dh * (1 - h ** 2)\n',
                    '    da = dh\n')),
    Mistake('rnn_cell_backward', 'derivative_at_h_prev',
            "Check where you take tanh's derivative: at the output of this step's tanh.",
            variant(CORRECT_CELL_BACKWARD,
                    '    da = dh * (1 - h ** 2)\n',
                    '    da = dh * (1 - h_prev ** 2)\n')),
    Mistake('rnn_cell_backward', 'bias_not_summed',
            'Check the shape of dbias: the bias is shared by every example of the batch.',
            variant(CORRECT_CELL_BACKWARD,
                    '            "drecurrent_kernel": h_prev.T @ da, "dbias": da.sum(axis=0)}\n',
                    '            "drecurrent_kernel": h_prev.T @ da, "dbias": da}\n')),
    Mistake('rnn_cell_backward', 'bias_mean',
            'Check how dbias combines the examples of the batch: the loss adds up their contributions.',
            variant(CORRECT_CELL_BACKWARD,
                    '            "drecurrent_kernel": h_prev.T @ da, "dbias": da.sum(axis=0)}\n',
                    '            "drecurrent_kernel": h_prev.T @ da, "dbias": da.mean(axis=0)}\n')),
    Mistake('rnn_cell_backward', 'transposed_dkernel',
            "Check the shape and orientation of dkernel: it must have the kernel's shape.",
            variant(CORRECT_CELL_BACKWARD,
                    '    return {"dx_t": da @ kernel.T, "dh_prev": da @ recurrent_kernel.T, "dkernel": x_t.T @ da,\n',
                    '    return {"dx_t": da @ kernel.T, "dh_prev": da @ recurrent_kernel.T, "dkernel": da.T @ x_t,\n')),
    Mistake('rnn_cell_backward', 'recurrent_not_transposed',
            'Check how dh_prev goes back through the recurrent kernel: the backward pass multiplies by the '
            'transpose of what the forward pass used.',
            variant(CORRECT_CELL_BACKWARD,
                    '    return {"dx_t": da @ kernel.T, "dh_prev": da @ recurrent_kernel.T, "dkernel": x_t.T @ da,\n',
                    '    return {"dx_t": da @ kernel.T, "dh_prev": da @ recurrent_kernel, "dkernel": x_t.T @ da,\n')),
    Mistake('rnn_cell_backward', 'drecurrent_from_h',
            'Check which state drecurrent_kernel uses: the recurrent kernel multiplied the previous state, '
            'not the new one.',
            variant(CORRECT_CELL_BACKWARD,
                    '            "drecurrent_kernel": h_prev.T @ da, "dbias": da.sum(axis=0)}\n',
                    '            "drecurrent_kernel": h.T @ da, "dbias": da.sum(axis=0)}\n')),
    Mistake('rnn_backward', 'no_carry',
            "Each step's gradient has two parts: the output's own gradient and the one coming back from the "
            'next step.',
            variant(CORRECT_BACKWARD,
                    '        step = rnn_cell_backward(dh_seq[:, t] + dh_next, x[:, t], states[t], kernel, recurrent_kernel, bias)\n',
                    '        step = rnn_cell_backward(dh_seq[:, t], x[:, t], states[t], kernel, recurrent_kernel, bias)\n')),
    Mistake('rnn_backward', 'last_step_only',
            "Only the last output's gradient enters your loop; every step's output may have a gradient of its"
            ' own.',
            variant(CORRECT_BACKWARD,
                    '        step = rnn_cell_backward(dh_seq[:, t] + dh_next, x[:, t], states[t], kernel, recurrent_kernel, bias)\n',
                    '        step = rnn_cell_backward((dh_seq[:, t] if t == x.shape[1] - 1 else dh_next), x[:, t], states[t], kernel, recurrent_kernel, bias)\n')),
    Mistake('rnn_backward', 'zero_first_state',
            'Check the state the first step started from: the initial state is given, it is not zero.',
            variant(CORRECT_BACKWARD,
                    '        step = rnn_cell_backward(dh_seq[:, t] + dh_next, x[:, t], states[t], kernel, recurrent_kernel, bias)\n',
                    '        step = rnn_cell_backward(dh_seq[:, t] + dh_next, x[:, t], states[t] if t > 0 else np.zeros_like(h0), kernel, recurrent_kernel, bias)\n')),
    Mistake('rnn_backward', 'adds_in_place',
            "An augmented assignment such as dh_seq[:, t] += ... changes the caller's dh_seq: your numbers can be "
            'right while the array you were given is not the same afterwards. Add into a new array instead.',
            variant(CORRECT_BACKWARD,
                    '        step = rnn_cell_backward(dh_seq[:, t] + dh_next,',
                    '        dh_seq[:, t] += dh_next\n        step = rnn_cell_backward(dh_seq[:, t],')),
    Mistake('rnn_backward', 'time_major_dx',
            'Check the axes of dx: it should have the shape of x, (batch, time, features).',
            variant(CORRECT_BACKWARD,
                    '    return {"dx": np.stack(dx, axis=1), "dh0": dh_next, **totals}\n',
                    '    return {"dx": np.stack(dx), "dh0": dh_next, **totals}\n')),
    Mistake('clip_by_global_norm', 'per_tensor_clip',
            'Clipping by the global norm scales every array by the same factor, computed from all of them '
            'together.',
            '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads], norm
'''),
    Mistake('clip_by_global_norm', 'clips_below_max',
            'Clipping should change nothing when the global norm is already below max_norm.',
            '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [g * max_norm / norm for g in grads], norm
'''),
    Mistake('clip_by_global_norm', 'returns_clipped_norm',
            'Check which norm you return: the global norm before clipping.',
            variant(CORRECT_CLIP,
                    '    return [g * (max_norm / norm) for g in grads], norm\n',
                    '    return [g * (max_norm / norm) for g in grads], max_norm\n')),
    Mistake('clip_by_global_norm', 'norm_without_sqrt',
            'Check your global norm: a norm is the square root of the sum of squares.',
            variant(CORRECT_CLIP,
                    '    norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))\n',
                    '    norm = float(sum(np.sum(np.square(g)) for g in grads))\n')),
    Mistake('clip_by_global_norm', 'zero_gradients_nan',
            'When every gradient is zero the global norm is 0: check what your code divides by then (nothing '
            'should change).',
            '''
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [g * min(1.0, max_norm / norm) for g in grads], norm
'''),
    Mistake('train_sgd', 'train_no_clipping',
            'Check that each step clips the gradients by their global norm before the update.',
            variant(CORRECT_TRAIN,
                    '        scale = min(1.0, max_norm / norm) if norm > 0 else 1.0\n',
                    '        scale = 1.0\n')),
    Mistake('train_sgd', 'train_updates_head_first',
            'Compute every gradient of a step from the same weights before updating any of them.',
            variant(variant(variant(CORRECT_TRAIN,
                                    '        dV, dc = hs[-1].T @ dp, dp.sum(axis=0)\n',
                                    '        V, c = V - lr * hs[-1].T @ dp, c - lr * dp.sum(axis=0)\n'),
                            '        grads = [dW, dU, db, dV, dc]\n',
                            '        grads = [dW, dU, db]\n'),
                    '        W, U, b, V, c = (w - lr * scale * g for w, g in zip((W, U, b, V, c), grads))\n',
                    '        W, U, b = (w - lr * scale * g for w, g in zip((W, U, b), grads))\n')),
    Mistake('train_sgd', 'train_sum_not_mean',
            'Check the loss: it is the mean squared error, not the sum.',
            variant(CORRECT_TRAIN,
                    '        losses[step] = np.mean((p - y) ** 2)\n'
                    '        dp = 2 * (p - y) / y.size\n',
                    '        losses[step] = np.sum((p - y) ** 2)\n'
                    '        dp = 2 * (p - y)\n')),
    Mistake('train_sgd', 'train_mean_over_batch_only',
            'Check the loss: the mean runs over every value of the target, not over the examples only.',
            variant(CORRECT_TRAIN,
                    '        losses[step] = np.mean((p - y) ** 2)\n'
                    '        dp = 2 * (p - y) / y.size\n',
                    '        losses[step] = np.sum((p - y) ** 2) / len(y)\n'
                    '        dp = 2 * (p - y) / len(y)\n')),
    Mistake('train_sgd', 'train_no_factor_2',
            'Check the derivative of the squared error: what does the square bring down?',
            variant(CORRECT_TRAIN,
                    '        dp = 2 * (p - y) / y.size\n',
                    '        dp = (p - y) / y.size\n')),
    Mistake('train_sgd', 'train_forward_once',
            'Each step needs a fresh forward pass with the weights updated by the step before.',
            variant(CORRECT_TRAIN,
                    '    for step in range(steps):\n'
                    '        hs = [h0]\n'
                    '        for t in range(x.shape[1]):\n'
                    '            hs.append(np.tanh(x[:, t] @ W + hs[-1] @ U + b))\n'
                    '        p = hs[-1] @ V + c\n',
                    '    hs = [h0]\n'
                    '    for t in range(x.shape[1]):\n'
                    '        hs.append(np.tanh(x[:, t] @ W + hs[-1] @ U + b))\n'
                    '    p = hs[-1] @ V + c\n'
                    '    for step in range(steps):\n')),
    Mistake('train_sgd', 'train_dh_every_step',
            'Check which states the dense layer reads: the gradient of the loss enters only where the output '
            'is taken.',
            '''
def train_sgd(x, h0, y, kernel, recurrent_kernel, bias, W_out, b_out, lr, steps, max_norm):
    params = [kernel, recurrent_kernel, bias, W_out, b_out]
    losses = []
    for _ in range(steps):
        kernel, recurrent_kernel, bias, W_out, b_out = params
        h = h0
        for t in range(x.shape[1]):
            h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        p = h @ W_out + b_out
        losses.append(np.mean((p - y) ** 2))
        dp = 2 * (p - y) / p.size
        dh_seq = np.repeat((dp @ W_out.T)[:, None, :], x.shape[1], axis=1)
        g = rnn_backward(x, h0, kernel, recurrent_kernel, bias, dh_seq)
        grads, _ = clip_by_global_norm([g["dkernel"], g["drecurrent_kernel"], g["dbias"], h.T @ dp, dp.sum(axis=0)],
                                       max_norm)
        params = [w - lr * d for w, d in zip(params, grads)]
    return (*params, np.array(losses))
'''),
)
