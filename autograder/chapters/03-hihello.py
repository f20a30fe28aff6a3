"""Chapter 03 · hihello: what the exercise grades, and how its reference outputs are made.

Vocabulary, encoding and shifting are the lectures' own code (written out below, with the
vocabulary sorted so that it is deterministic); one-hot vectors come from ``tf.one_hot``.

The model itself is graded around a recurrent cell the test gives (chapter 03 comes before the
LSTM's gates, chapter 08): ``cell(x_t, states) -> (output, new_states)``, Keras's cell contract,
as numpy source holding a Keras layer's weights. ``hihello_forward`` is compared with that Keras
layer (``LSTM`` or ``SimpleRNN``, ``return_sequences=True``, the case's initial states) followed by
``Dense(V, activation="softmax")`` with the same weights; ``hihello_loss`` with
``keras.losses.SparseCategoricalCrossentropy()`` applied to that model's output (the loss
``compile(loss="sparse_categorical_crossentropy")`` trains with). Keras computes it from the
Dense layer's logits, which its softmax output carries (``_keras_logits``): finite where a
probability underflows to 0, as the case with Dense weights up to 1000 shows (its biases near
600 also put logits beyond the range of ``exp``: a softmax must subtract the maximum). The reference
maker checks each cell's source against the Keras cell it stands for.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.spec import Mistake, variant
from rnncourse.weights import random_rnn_weights, set_rnn_weights

GRADED = {
    "build_vocab": Graded(inputs=("text",), outputs=(Output("idx2char", "exact"), Output("char2idx", "exact"))),
    "encode": Graded(inputs=("text", "char2idx"), outputs=(Output("indices", "exact"),)),
    "decode": Graded(inputs=("indices", "idx2char"), outputs=(Output("text", "exact"),)),
    "one_hot": Graded(inputs=("indices", "depth"), outputs=(Output("one_hot", rtol=0, atol=0),)),
    "shift_pair": Graded(inputs=("text",), outputs=(Output("x_text", "exact"), Output("y_text", "exact"))),
    "hihello_forward": Graded(inputs=("x", "initial_states", "cell", "W", "b"), functions=("cell",),
                              outputs=(Output("probs", axes=("batch", "time", "class")),)),
    "hihello_loss": Graded(inputs=("x", "y", "initial_states", "cell", "W", "b"), functions=("cell",),
                           outputs=(Output("loss"),)),
}

MODEL_FUNCTIONS = ("hihello_forward", "hihello_loss")


def random_text(rng, length, alphabet):
    return "".join(rng.choice(list(alphabet), size=length))


def literal(array):
    """A numpy array as source text that only needs ``np`` (Python's float repr is exact)."""
    return f"np.array({np.asarray(array, dtype=np.float64).tolist()!r})"


SIGMOID = "lambda v: 1 / (1 + np.exp(-v))"


def lstm_cell_source(kernel, recurrent_kernel, bias):
    """Keras's LSTMCell (gates i, f, c, o; sigmoid and tanh) as numpy source: states [h, c]."""
    u = recurrent_kernel.shape[0]
    gates = "(lambda z: (lambda c: (lambda h: (h, [h, c]))(s(z[:, {3}:]) * np.tanh(c)))" \
            "(s(z[:, {1}:{2}]) * states[1] + s(z[:, :{1}]) * np.tanh(z[:, {2}:{3}])))" \
            "(x_t @ K + states[0] @ R + b)".format(0, u, 2 * u, 3 * u)
    weights = ", ".join(literal(a) for a in (kernel, recurrent_kernel, bias))
    return f"(lambda K, R, b, s: lambda x_t, states: {gates})({weights}, {SIGMOID})"


def simple_cell_source(kernel, recurrent_kernel, bias):
    """Keras's SimpleRNNCell (tanh) as numpy source: states [h]."""
    weights = ", ".join(literal(a) for a in (kernel, recurrent_kernel, bias))
    return (f"(lambda K, R, b: lambda x_t, states: (lambda h: (h, [h]))(np.tanh(x_t @ K + states[0] @ R + b)))"
            f"({weights})")


def same_cell(keras, layer, source, x, states):
    """Raise unless the cell source steps like the Keras layer's cell, one step of ``x`` from ``states``."""
    from rnncourse.grading.worker import Function

    ours, our_states = Function(source)(x[:, 0].astype(np.float64), [s.astype(np.float64) for s in states])
    theirs, their_states = layer.cell(x[:, 0], list(states))
    for a, b in zip([ours, *our_states], [theirs, *their_states]):
        if np.max(np.abs(np.asarray(a) - np.asarray(b))) > 1e-5:
            raise AssertionError("the cell source does not step like the Keras cell")


# (kind, batch, steps, vocabulary, units, initial states, Dense weight scale, inputs, about)
MODELS = [
    ("lstm", 1, 6, 5, 8, "zero", 1.0, "one-hot", "the chapter's model: 6 one-hot steps of 5 characters, LSTM(8), zero states"),
    ("lstm", 3, 8, 7, 4, "random", 1.0, "one-hot", "an LSTM(4) from non-zero states [h0, c0], 3 batch, 8 steps, 7 characters"),
    ("lstm", 2, 1, 4, 3, "random", 1.0, "one-hot", "an LSTM(3), a single step, 4 characters"),
    ("simple", 2, 5, 4, 6, "random", 1.0, "one-hot", "a SimpleRNN(6) cell (states [h0]), 2 batch, 5 steps, 4 characters"),
    ("lstm", 2, 4, 6, 5, "random", 1.0, "real", "an LSTM(5) on inputs that are not one-hot, 6 classes"),
    ("lstm", 2, 5, 5, 5, "random", 1000.0, "one-hot",
     "an LSTM(5) under a Dense layer with weights up to 1000 and biases near 600 (probabilities of 0, even in float64)"),
]


def model_cases(tf, keras, rng):
    """Cases of hihello_forward and hihello_loss: Keras's recurrent layer + Dense softmax with the case's weights."""
    forward, loss = [], []
    for kind, batch, steps, vocab, units, states, scale, inputs, about in MODELS:
        gates = 4 if kind == "lstm" else 1
        w = random_rnn_weights(rng, vocab, units, gates=gates)
        layer = (keras.layers.LSTM if kind == "lstm" else keras.layers.SimpleRNN)(units, return_sequences=True)
        layer.build((None, steps, vocab))
        set_rnn_weights(layer, w)
        dense = keras.layers.Dense(vocab, activation="softmax")
        dense.build((None, steps, units))
        W = (scale * rng.uniform(-1, 1, size=(units, vocab))).astype(np.float32)
        b = (rng.uniform(-0.5, 0.5, size=vocab) + 600 * (scale > 1)).astype(np.float32)  # logits above exp's range
        dense.set_weights([W, b])
        if inputs == "one-hot":
            x = np.eye(vocab, dtype=np.float32)[rng.integers(0, vocab, size=(batch, steps))]
        else:
            x = rng.normal(size=(batch, steps, vocab)).astype(np.float32)
        initial = [(rng.uniform(-1, 1, size=(batch, units)) * (states == "random")).astype(np.float32)
                   for _ in range(2 if kind == "lstm" else 1)]
        y = rng.integers(0, vocab, size=(batch, steps)).astype(np.int64 if len(forward) % 2 else np.int32)
        source = (lstm_cell_source if kind == "lstm" else simple_cell_source)(*w.values())
        same_cell(keras, layer, source, x, initial)
        h_seq = layer(x, initial_state=initial)
        if scale > 1:  # the labels the model finds least likely: a probability of 0 even in float64
            y = np.argmin(np.asarray(h_seq) @ W + b, axis=-1).astype(y.dtype)
        probs = dense(h_seq)
        value = keras.losses.SparseCategoricalCrossentropy()(y, probs)  # from the logits probs carries
        common = dict(x=x, initial_states=initial, cell=source, W=W, b=b, description=about)
        forward.append(dict(common, probs=np.asarray(probs)))
        loss.append(dict(common, y=y, loss=np.asarray(value), description=f"{about}, {y.dtype.name} labels"))
    return {"hihello_forward": forward, "hihello_loss": loss}


def references(tf, keras, rng):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCZ ,.!?'éßü0123"
    texts = ["", "aaaa", "hello, world", "if you want you"] + [
        random_text(rng, n, alphabet[: rng.integers(3, len(alphabet))]) for n in (7, 40, 120)
    ]
    cases = {name: [] for name in GRADED if name not in MODEL_FUNCTIONS}
    for text in texts:
        idx2char = sorted(set(text))  # the lecture's list(set(...)), sorted so it is deterministic
        char2idx = {c: i for i, c in enumerate(idx2char)}
        about = f"a text of {len(text)} characters"
        indices = np.array([char2idx[c] for c in text], dtype=np.int64)
        cases["build_vocab"].append(dict(text=text, idx2char=idx2char, char2idx=char2idx, description=about))
        cases["encode"].append(dict(text=text, char2idx=char2idx, indices=indices, description=about))
        for given, form in ((indices.astype(np.int32), "an int32 array"), (indices.tolist(), "a list")):
            cases["decode"].append(dict(indices=given, idx2char=idx2char, text=text,
                                        description=f"{len(text)} indices as {form}"))
        cases["shift_pair"].append(dict(text=text, x_text=text[:-1], y_text=text[1:], description=about))
    for shape, depth in [((6,), 5), ((2, 7), 4), ((3, 1), 1), ((0,), 3), ((2, 3, 4), 9)]:
        indices = rng.integers(0, depth, size=shape).astype(np.int32)
        cases["one_hot"].append(dict(indices=indices, depth=depth, one_hot=tf.one_hot(indices, depth).numpy(),
                                     description=f"indices of shape {shape}, depth {depth}"))
    return {**cases, **model_cases(tf, keras, rng)}


# ---------------------------------------------------------------- known mistakes (the feedback's hints)
# The correct answers the mistakes below change: each mistake is variant(correct, old, new),
# the correct answer with the one place it gets wrong.
CORRECT_FORWARD = '''
def hihello_forward(x, initial_states, cell, W, b):
    states, outputs = list(initial_states), []
    for t in range(x.shape[1]):
        output, states = cell(x[:, t], states)
        outputs.append(output)
    z = np.stack(outputs, axis=1) @ W + b
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
'''

CORRECT_LOSS = '''
def hihello_loss(x, y, initial_states, cell, W, b):
    states, outputs = list(initial_states), []
    for t in range(x.shape[1]):
        output, states = cell(x[:, t], states)
        outputs.append(output)
    z = np.stack(outputs, axis=1) @ W + b
    shifted = z - np.max(z, axis=-1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return float(-np.mean(np.take_along_axis(log_p, np.asarray(y)[..., None], axis=-1)))
'''


MISTAKES = (
    Mistake('encode', 'encode_float_when_empty', code='''
def encode(text, char2idx):
    return np.array([char2idx[c] for c in text])  # float64 when the text is empty

def decode(indices, idx2char):
    return "".join(idx2char[i] for i in indices)
''',
            hint="For an empty text your indices come out as floats: np.array of an empty list is float64 unless "
                 "you say which dtype you want."),
    Mistake('one_hot', 'one_hot_1d_only', code='''
def one_hot(indices, depth):
    out = np.zeros((len(indices), depth))
    out[np.arange(len(indices)), indices] = 1
    return out
''',
            hint="Your one_hot works for a 1-D array of indices only: the indices may have any shape, and the "
                 "one-hot axis is added at the end."),
    Mistake('shift_pair', 'shift_swapped', code='''
def shift_pair(text):
    return text[1:], text[:-1]
''',
            hint="Your input and target texts are swapped: the model reads a character and predicts the one after"
                 " it."),
    Mistake('hihello_forward', 'states_not_carried', code=variant(
                CORRECT_FORWARD,
                '        output, states = cell(x[:, t], states)\n',
                '        output, _ = cell(x[:, t], states)\n'),
            hint="Your loop gives the cell the initial states at every step: the cell returns new states, which "
                 "the next step reads."),
    Mistake('hihello_forward', 'logits_returned', code=variant(
                CORRECT_FORWARD,
                '    e = np.exp(z - np.max(z, axis=-1, keepdims=True))\n'
                '    return e / np.sum(e, axis=-1, keepdims=True)\n',
                '    return z  # the logits: the softmax is left out\n'),
            hint="Your model returns the Dense layer's logits: the model ends in a softmax, so it returns "
                 "probabilities."),
    Mistake('hihello_forward', 'softmax_over_time', code=variant(
                CORRECT_FORWARD,
                '    e = np.exp(z - np.max(z, axis=-1, keepdims=True))\n'
                '    return e / np.sum(e, axis=-1, keepdims=True)\n',
                '    e = np.exp(z - np.max(z, axis=1, keepdims=True))\n'
                '    return e / np.sum(e, axis=1, keepdims=True)\n'),
            hint="Your probabilities sum to one over the time axis: the softmax is over the characters of the "
                 "vocabulary, the last axis."),
    Mistake('hihello_forward', 'naive_exp', code=variant(
                CORRECT_FORWARD,
                '    e = np.exp(z - np.max(z, axis=-1, keepdims=True))\n',
                '    e = np.exp(z)\n'),
            hint="Your probabilities become NaN where the logits are large: exp overflows. Subtracting the same "
                 "number from every logit of a position does not change its softmax."),
    Mistake('hihello_loss', 'log_of_probabilities', code='''
def hihello_loss(x, y, initial_states, cell, W, b):
    probs = hihello_forward(x, initial_states, cell, W, b)
    return float(-np.mean(np.log(np.take_along_axis(probs, np.asarray(y)[..., None], axis=-1))))
''',
            hint="Your loss is infinite where a target's probability rounds to 0: the log of a probability loses "
                 "what the logits know. Compute log-probabilities from the logits."),
    Mistake('hihello_loss', 'clipped_probabilities', code='''
def hihello_loss(x, y, initial_states, cell, W, b):
    probs = np.clip(hihello_forward(x, initial_states, cell, W, b), 1e-7, 1 - 1e-7)  # like Keras's epsilon
    return float(-np.mean(np.log(np.take_along_axis(probs, np.asarray(y)[..., None], axis=-1))))
''',
            hint="Your loss is capped near 16 where Keras's is far larger: clipping the probabilities before the "
                 "log caps the loss. Compute log-probabilities from the logits."),
    Mistake('hihello_loss', 'loss_summed', code=variant(
                CORRECT_LOSS,
                '    return float(-np.mean(np.take_along_axis(log_p, np.asarray(y)[..., None], axis=-1)))\n',
                '    return float(-np.sum(np.take_along_axis(log_p, np.asarray(y)[..., None], axis=-1)))\n'),
            hint="Your loss grows with the batch and the sequence length: Keras's loss is a mean over the batch "
                 "and time, not a sum."),
    Mistake('hihello_loss', 'loss_per_sequence', code=variant(
                CORRECT_LOSS,
                '    return float(-np.mean(np.take_along_axis(log_p, np.asarray(y)[..., None], axis=-1)))\n',
                '    return -np.mean(np.take_along_axis(log_p, np.asarray(y)[..., None], axis=-1)[..., 0], axis=1)\n'),
            hint="Your loss is one number per sequence: Keras's is one number, the mean over every position of "
                 "every sequence."),
    Mistake('hihello_loss', 'loss_mixed_order', code=variant(
                CORRECT_LOSS,
                '    return float(-np.mean(np.take_along_axis(log_p, np.asarray(y)[..., None], axis=-1)))\n',
                '    rows = log_p.transpose(1, 0, 2).reshape(-1, log_p.shape[-1])   # (time, batch) order...\n'
                '    return float(-np.mean(rows[np.arange(len(rows)), np.ravel(y)]))      # ...against (batch, time) targets\n'),
            hint="Your loss pairs the predictions with the wrong targets when the batch has several sequences: "
                 "check that the order of (batch, time) is the same on both sides when you flatten."),
)
