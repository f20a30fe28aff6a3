"""Chapter 04 · Long sequences: what the exercise grades, and how its reference outputs are made.

Sliding windows and the reconstruction of a text from overlapping windows are the lecture's own
code (its loop over ``range(len - seq_len)`` and its print loop, written out below).

``sample_sequence`` is the sampling loop of the chapter's page, made exact: the test gives a step
function (numpy source: a character model that reads one index and returns the next logits and
its new state), a start index, a length, a temperature and a seed. The reference run below
follows the documented recipe with ``keras.ops.softmax`` in float64 and one
``rng.choice(V, p=p)`` per step from ``np.random.default_rng(seed)``. The step functions of the
character-model cases are a SimpleRNN cell and a Dense layer written in numpy; the reference
maker checks their logits against Keras's ``SimpleRNNCell`` + ``Dense`` with the same weights
along every generated path. A correct answer draws exactly the same indices (compared exactly):
its probabilities differ from the reference's by rounding only (~1e-16 in float64, ~1e-7 in
float32), and a draw changes only if a uniform number falls within that distance of a boundary
of the cumulative distribution: the reference run refuses a case where one lies within 1e-5.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.spec import Mistake, variant
from rnncourse.text import SHIP, WINDOW
from rnncourse.weights import random_rnn_weights, set_rnn_weights

GRADED = {
    "sliding_windows": Graded(inputs=("indices", "seq_len"), outputs=(Output("X", "exact"), Output("Y", "exact"))),
    "reconstruct": Graded(inputs=("pred_windows", "idx2char"), outputs=(Output("text", "exact"),)),
    "sample_sequence": Graded(inputs=("step", "state", "start", "length", "temperature", "seed"),
                              functions=("step",), outputs=(Output("indices", "exact"),)),
}


def lecture_windows(indices, seq_len):
    """The lecture's loop: window i is indices[i:i+L], its target indices[i+1:i+L+1]."""
    data_x, data_y = [], []
    for i in range(0, len(indices) - seq_len):
        data_x.append(indices[i:i + seq_len])
        data_y.append(indices[i + 1:i + seq_len + 1])
    return np.array(data_x, dtype=np.int64), np.array(data_y, dtype=np.int64)


def lecture_text(pred_windows, idx2char):
    """The lecture's print loop: the first window whole, then the last character of each later one."""
    text = ""
    for j, index in enumerate(pred_windows):
        if j == 0:
            text += "".join([idx2char[t] for t in index])
        else:
            text += idx2char[index[-1]]
    return text


def window_cases(rng):
    idx2char = sorted(set(SHIP))
    ship = np.array([idx2char.index(c) for c in SHIP], dtype=np.int64)
    given = [
        (ship, WINDOW, f"the lecture's sentence, {len(ship)} int64 indices, windows of {WINDOW}"),
        (rng.integers(0, 9, 12).tolist(), 3, "a list of 12 indices, windows of 3"),
        (rng.integers(0, 30, 30).astype(np.int32), 1, "30 int32 indices, windows of length 1"),
        (rng.integers(0, 50, 25), 24, "25 int64 indices, windows of 24 (a single window)"),
        ([4, 7], 1, "the list [4, 7], windows of length 1 (a single window)"),
        (rng.integers(0, 100, 64).astype(np.int32), 7, "64 int32 indices, windows of 7"),
        (rng.integers(0, 5, 9).astype(np.int16), 8, "9 int16 indices, windows of 8 (a single window)"),
        (rng.integers(0, 5000, 40), 5, "40 word indices up to 5000, windows of 5"),
    ]
    cases = []
    for indices, seq_len, about in given:
        X, Y = lecture_windows(indices, seq_len)
        cases.append(dict(indices=indices, seq_len=seq_len, X=X, Y=Y, description=about))
    return cases


def text_cases(rng):
    idx2char = sorted(set(SHIP))
    ship = np.array([idx2char.index(c) for c in SHIP], dtype=np.int64)
    _, targets = lecture_windows(ship, WINDOW)
    letters = list("abcdefghij ,.'")
    given = [
        (targets, idx2char, "the 170 target windows of the lecture's sentence"),
        (rng.integers(0, len(letters), (20, 5)), letters, "20 windows of 5 predicted at random (they disagree)"),
        (rng.integers(0, len(letters), (1, 8)).astype(np.int32), letters, "a single int32 window of 8"),
        (rng.integers(0, len(letters), (6, 1)), letters, "6 windows of length 1"),
        (rng.integers(0, 3, (40, 12)).astype(np.int32), ["x", "y", " "], "40 int32 windows of 12, vocabulary of 3"),
    ]
    return [dict(pred_windows=windows, idx2char=chars, text=lecture_text(windows, chars), description=about)
            for windows, chars, about in given]



# Measured on these cases: every uniform number lies at least 2.6e-5 from a boundary of its cumulative
# distribution, so probabilities off by float32 rounding (~1e-7) draw the same indices.
MARGIN = 1e-5


def literal(array):
    """A numpy array as source text that only needs ``np`` (Python's float repr is exact)."""
    return f"np.array({np.asarray(array, dtype=np.float64).tolist()!r})"


def rnn_step_source(kernel, recurrent_kernel, bias, W, b, logits_dtype=None):
    """A character model's step as numpy source: ``step(index, h) -> (logits, h_new)``, a SimpleRNN cell
    reading the one-hot vector of ``index`` (row ``index`` of its kernel), then a Dense layer."""
    logits = "h @ W + c" if logits_dtype is None else f"(h @ W + c).astype(np.{logits_dtype})"
    weights = ", ".join(literal(a) for a in (kernel, recurrent_kernel, bias, W, b))
    return (f"(lambda K, R, b, W, c: lambda index, state: (lambda h: ({logits}, h))"
            f"(np.tanh(K[index] + state @ R + b)))({weights})")


def table_step_source(table):
    """A step whose logits are row ``(index + state) % rows`` of ``table``; its state counts the steps."""
    return f"(lambda T: lambda index, state: (T[(index + state) % len(T)], state + 1))({literal(table)})"


def reference_run(keras, step, state, start, length, temperature, seed):
    """The documented recipe: p = softmax(logits / T) in float64, one rng.choice(V, p=p) per step.

    Raises if a uniform number of the generator (``choice`` draws one per call, ``rng.random()``)
    falls within MARGIN of a boundary of the cumulative distribution: then a correct float32
    softmax (off by ~1e-7) could draw another index, and the case needs another seed."""
    rng, shadow = np.random.default_rng(seed), np.random.default_rng(seed)
    index, drawn = start, []
    for _ in range(length):
        logits, state = step(index, state)
        p = keras.ops.convert_to_numpy(keras.ops.softmax(np.asarray(logits, dtype=np.float64) / temperature))
        index = int(rng.choice(len(p), p=p))
        if np.min(np.abs(np.cumsum(p) - shadow.random())) < MARGIN:
            raise AssertionError(f"seed {seed}: a draw lies within {MARGIN:g} of a boundary")
        drawn.append(index)
    return np.array(drawn, dtype=np.int64)


def keras_agrees(keras, weights, W, b, start, indices):
    """Raise unless Keras's SimpleRNNCell + Dense give the step source's logits along the generated path."""
    from rnncourse.grading.worker import Function

    units, vocab = weights["recurrent_kernel"].shape[0], W.shape[1]
    cell, dense = keras.layers.SimpleRNNCell(units), keras.layers.Dense(vocab)
    cell.build((None, vocab))
    dense.build((None, units))
    set_rnn_weights(cell, weights)
    dense.set_weights([W, b])
    step = Function(rnn_step_source(weights["kernel"], weights["recurrent_kernel"], weights["bias"], W, b))
    h, state = np.zeros((1, units), np.float32), np.zeros(units)
    for index in [start, *indices[:-1]]:
        out, h = cell(np.eye(vocab, dtype=np.float32)[[index]], h)
        ours, state = step(index, state)
        error = np.max(np.abs(np.asarray(dense(out))[0] - ours))
        if error > 1e-5:
            raise AssertionError(f"the step source's logits are {error:.2g} from Keras's")


def sample_cases(keras, rng):
    from rnncourse.grading.worker import Function

    vocab = len(sorted(set(SHIP)))
    model = random_rnn_weights(rng, vocab, 16, scale=0.8)
    W = rng.uniform(-1, 1, size=(16, vocab)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, size=vocab).astype(np.float32)
    small = random_rnn_weights(rng, 3, 2, scale=1.0)
    W3, b3 = rng.uniform(-2, 2, size=(2, 3)).astype(np.float32), rng.uniform(-1, 1, size=3).astype(np.float32)
    ties = np.array([[2.0, 2.0, 0.0, 2.0], [1.0, -1.0, 1.0, -1.0], [0.5, 0.5, 0.5, 0.5], [9.0, 0.0, 0.0, 0.0]])
    char = "a character model (25 characters, 16 units)"
    zeros16 = np.zeros(16, np.float32)
    given = [  # (step source, the weights Keras checks or None, state, start, length, T, about)
        (rnn_step_source(*model.values(), W, b), (model, W, b), zeros16, 19, 40, 1.0, f"{char}, T = 1"),
        (rnn_step_source(*model.values(), W, b), (model, W, b), zeros16, 8, 60, 0.5, f"{char}, T = 0.5"),
        (rnn_step_source(*model.values(), W, b, "float32"), (model, W, b), zeros16, 0, 30, 2.0,
         f"{char} with float32 logits, T = 2"),
        (rnn_step_source(*model.values(), W, b), (model, W, b), rng.uniform(-1, 1, 16).astype(np.float32), 3, 30,
         0.002, f"{char} from a non-zero state, T = 0.002 (logits / T far beyond exp's range)"),
        (rnn_step_source(*model.values(), W, b), (model, W, b), zeros16, 22, 25, 50.0, f"{char}, T = 50 (near uniform)"),
        (rnn_step_source(*model.values(), W, b), (model, W, b), zeros16, 5, 1, 0.8, f"{char}, length 1, T = 0.8"),
        (table_step_source(ties), None, 0, 1, 20, 1.0, "a step whose logits have ties (and one all but certain index) and depend on its state, T = 1"),
        (table_step_source(ties), None, 2, 3, 20, 0.01, "a step whose logits have ties (and one all but certain index) and depend on its state, T = 0.01"),
        (rnn_step_source(*small.values(), W3, b3, "float32"), (small, W3, b3), np.zeros(2, np.float32), 2, 50, 1.0,
         "a model of 3 characters and 2 units with float32 logits, T = 1"),
    ]
    cases = []
    for source, checked, state, start, length, temperature, about in given:
        seed = int(rng.integers(0, 2**31))
        indices = reference_run(keras, Function(source), state, start, length, temperature, seed)
        if checked is not None:
            keras_agrees(keras, *checked, start, indices)
        cases.append(dict(step=source, state=state, start=start, length=length, temperature=temperature, seed=seed,
                          indices=indices, description=about))
    return cases


def references(tf, keras, rng):
    return {"sliding_windows": window_cases(rng), "reconstruct": text_cases(rng),
            "sample_sequence": sample_cases(keras, rng)}


# ---------------------------------------------------------------- known mistakes (the feedback's hints)
# The correct answers the mistakes below change: each mistake is variant(correct, old, new),
# the correct answer with the one place it gets wrong.
CORRECT_WINDOWS = '''
def sliding_windows(indices, seq_len):
    a = np.asarray(indices)
    X = np.array([a[i:i + seq_len] for i in range(len(a) - seq_len)])
    Y = np.array([a[i + 1:i + seq_len + 1] for i in range(len(a) - seq_len)])
    return X, Y
'''

CORRECT_SAMPLE = '''
def sample_sequence(step, state, start, length, temperature, seed):
    rng = np.random.default_rng(seed)
    index, drawn = start, []
    for _ in range(length):
        logits, state = step(index, state)
        z = np.asarray(logits, dtype=np.float64) / temperature
        p = np.exp(z - np.max(z))
        p /= np.sum(p)
        index = rng.choice(len(p), p=p)
        drawn.append(index)
    return np.array(drawn, dtype=np.int64)
'''


MISTAKES = (
    Mistake('sliding_windows', 'one_window_too_many', code='''
from numpy.lib.stride_tricks import sliding_window_view
def sliding_windows(indices, seq_len):
    a = np.asarray(indices)
    return sliding_window_view(a, seq_len), sliding_window_view(a[1:], seq_len)  # len - seq_len + 1 windows in X
''',
            hint='X has one window more than Y: the last window of X has no next character to predict.'),
    Mistake('sliding_windows', 'windows_not_shifted', code=variant(
                CORRECT_WINDOWS,
                '    Y = np.array([a[i + 1:i + seq_len + 1] for i in range(len(a) - seq_len)])\n'
                '    return X, Y\n',
                '    return X, X.copy()\n'),
            hint='Your Y is the same as X: each target window is its input window moved on by one character.'),
    Mistake('sliding_windows', 'windows_float', code='''
def sliding_windows(indices, seq_len):
    n = len(indices) - seq_len
    X, Y = np.zeros((n, seq_len)), np.zeros((n, seq_len))
    for i in range(n):
        X[i] = indices[i:i + seq_len]
        Y[i] = indices[i + 1:i + seq_len + 1]
    return X, Y
''',
            hint="Your windows hold the right numbers as floats: indices are integers, and np.zeros makes float64"
                 " unless told otherwise."),
    Mistake('sliding_windows', 'next_char_only', code=variant(
                CORRECT_WINDOWS,
                '    X = np.array([a[i:i + seq_len] for i in range(len(a) - seq_len)])\n'
                '    Y = np.array([a[i + 1:i + seq_len + 1] for i in range(len(a) - seq_len)])\n',
                '    n = len(a) - seq_len\n'
                '    X = np.array([a[i:i + seq_len] for i in range(n)])\n'
                '    Y = np.array([a[i + seq_len] for i in range(n)])  # only the character after the window\n'),
            hint="Your Y holds only the character after each window: this many-to-many model predicts a next "
                 "character at every position of the window."),
    Mistake('sliding_windows', 'windows_no_lists', code='''
def sliding_windows(indices, seq_len):
    n = indices.size - seq_len
    X = np.stack([indices[i:i + seq_len] for i in range(n)])
    return X, np.stack([indices[i + 1:i + seq_len + 1] for i in range(n)])
''',
            hint="Your function works for numpy arrays only: the indices may come as a Python list, which has no "
                 ".size or array slicing."),
    Mistake('sliding_windows', 'windows_squeezed', code=variant(
                CORRECT_WINDOWS,
                '    return X, Y\n',
                '    return X.squeeze(), Y.squeeze()  # "tidies" away axes of length 1\n'),
            hint="A single window or a window of length 1 loses an axis in your result: X and Y are always "
                 "(windows, seq_len); squeeze removes every axis of length 1."),
    Mistake('sliding_windows', 'windows_bytes', code='''
def sliding_windows(indices, seq_len):
    a = np.asarray(indices).astype(np.uint8)  # "a character index fits in a byte"
    n = len(a) - seq_len
    return np.array([a[i:i + seq_len] for i in range(n)]), np.array([a[i + 1:i + seq_len + 1] for i in range(n)])
''',
            hint="Large indices come out wrong: your windows are stored in a type too small for them (a word "
                 "vocabulary has thousands of entries)."),
    Mistake('reconstruct', 'text_first_chars', code='''
def reconstruct(pred_windows, idx2char):
    text = "".join(idx2char[k] for k in pred_windows[0])
    return text + "".join(idx2char[w[0]] for w in pred_windows[1:])
''',
            hint="After the first window your text takes the first character of each later window: each later "
                 "window adds the one character that is new in it."),
    Mistake('reconstruct', 'text_last_chars_only', code='''
def reconstruct(pred_windows, idx2char):
    return "".join(idx2char[w[-1]] for w in pred_windows)
''',
            hint='Your text has one character per window: the first window gives all of its characters.'),
    Mistake('reconstruct', 'text_as_list', code='''
def reconstruct(pred_windows, idx2char):
    return [idx2char[k] for k in pred_windows[0]] + [idx2char[w[-1]] for w in pred_windows[1:]]
''',
            hint='Your characters are right but returned as a list: reconstruct returns one string.'),
    Mistake('reconstruct', 'text_from_the_end', code='''
def reconstruct(pred_windows, idx2char):
    # the first character of every window, then the rest of the last window
    return "".join(idx2char[w[0]] for w in pred_windows[:-1]) + "".join(idx2char[k] for k in pred_windows[-1])
''',
            hint="Your text is read from the other end: the first window is taken whole, and each later window "
                 "adds its last character."),
    Mistake('sample_sequence', 'new_rng_each_step', code=variant(
                CORRECT_SAMPLE,
                '        logits, state = step(index, state)\n',
                '        logits, state = step(index, state)\n'
                '        rng = np.random.default_rng(seed)\n'),
            hint="Your draws repeat a pattern: a generator made anew at every step starts the same random numbers"
                 " again. Make one generator before the loop."),
    Mistake('sample_sequence', 'global_generator', code=variant(
                variant(CORRECT_SAMPLE,
                        '    rng = np.random.default_rng(seed)\n',
                        '    np.random.seed(seed)\n'),
                '        index = rng.choice(len(p), p=p)\n',
                '        index = np.random.choice(len(p), p=p)\n'),
            hint="Your draws come from numpy's legacy global generator: the recipe draws with one "
                 "np.random.default_rng(seed) generator."),
    Mistake('sample_sequence', 'multiplies_temperature', code=variant(
                CORRECT_SAMPLE,
                '        z = np.asarray(logits, dtype=np.float64) / temperature\n',
                '        z = np.asarray(logits, dtype=np.float64) * temperature\n'),
            hint="Your sampling gets more random when the temperature goes down: the logits are divided by the "
                 "temperature."),
    Mistake('sample_sequence', 'reads_start_every_step', code=variant(
                CORRECT_SAMPLE,
                '        logits, state = step(index, state)\n',
                '        logits, state = step(start, state)\n'),
            hint="Your model reads the start index at every step: each step reads the index drawn at the step "
                 "before."),
    Mistake('sample_sequence', 'drops_the_state', code=variant(
                CORRECT_SAMPLE,
                '        logits, state = step(index, state)\n',
                '        logits, _ = step(index, state)\n'),
            hint="Your loop never gives the step its new state: step returns (logits, new state), and the next "
                 "step reads that state."),
    Mistake('sample_sequence', 'greedy', code=variant(
                CORRECT_SAMPLE,
                '        index = rng.choice(len(p), p=p)\n',
                '        index = np.argmax(p)\n'),
            hint="Your function always takes the most likely index: sampling draws from the probabilities with "
                 "the generator."),
    Mistake('sample_sequence', 'includes_start', code=variant(
                CORRECT_SAMPLE,
                '    index, drawn = start, []\n',
                '    index, drawn = start, [start]\n'),
            hint='Your result begins with the start index: only the indices drawn are returned.'),
    Mistake('sample_sequence', 'naive_exp', code=variant(
                CORRECT_SAMPLE,
                '        p = np.exp(z - np.max(z))\n',
                '        p = np.exp(z)\n'),
            hint="Your probabilities become NaN at low temperatures: exp of large logits overflows. Subtracting "
                 "the same number from every logit does not change the softmax."),
    Mistake('sample_sequence', 'argmax_when_cold', code=variant(
                CORRECT_SAMPLE,
                '        index = rng.choice(len(p), p=p)\n',
                '        index = np.argmax(p) if temperature < 0.05 else rng.choice(len(p), p=p)\n'),
            hint="At very low temperatures your function takes the most likely index instead of drawing: the "
                 "recipe draws at every temperature, and a skipped draw shifts every later one."),
    Mistake('sample_sequence', 'skips_sure_draws', code=variant(
                CORRECT_SAMPLE,
                '        index = rng.choice(len(p), p=p)\n',
                '        index = np.argmax(p) if p.max() > 0.999 else rng.choice(len(p), p=p)\n'),
            hint="When one index is all but certain your function takes it without drawing: the recipe draws at "
                 "every step, and a skipped draw shifts the generator for every later step."),
)
