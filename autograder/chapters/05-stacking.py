"""Chapter 05 · Stacking: what the exercise grades, and how Keras makes its reference outputs.

``stacked_rnn_forward`` is compared with a ``keras.Sequential`` of ``SimpleRNN(return_sequences=True)``
layers (every layer from a zero state) with the same weights loaded; ``stacked_rnn_step`` (one step
of the whole stack from given states, what generating text with a stacked model needs) with
``keras.layers.StackedRNNCells`` of ``SimpleRNNCell`` s called on one step and a list of states. The
``layers`` argument is a list of ``(kernel, recurrent_kernel, bias)`` tuples, first layer first.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.references import count
from rnncourse.weights import random_rnn_weights, set_rnn_weights

GRADED = {
    "stacked_rnn_forward": Graded(inputs=("x", "layers"),
                                  outputs=(Output("h_seq", axes=("batch", "time", "unit")),)),
    "stacked_rnn_step": Graded(inputs=("x_t", "states", "layers"),
                               outputs=(Output("output", axes=("batch", "unit")), Output("new_states"))),
}

# (batch, steps, features, units of each layer): one layer first (the simplest check fails first),
# features equal to every width once (a stack that feeds each layer the original input, or carries a
# layer's last state into the next, then gives wrong values instead of a shape error), 1 to 3 layers.
STACKS = [(1, 1, 1, (1,)), (2, 5, 3, (4,)), (2, 6, 4, (4, 4)), (3, 7, 4, (6, 3)),
          (2, 9, 5, (3, 8, 2)), (4, 12, 2, (5, 5, 5)), (1, 20, 6, (4, 7))]
# (batch, features, units of each layer, states): one step; the same kinds of stacks, every layer's
# state drawn in (-1, 1) (tanh outputs), and once all zeros (the first step of a generation).
STEPS = [(1, 1, (1,), "random"), (2, 3, (4,), "random"), (3, 4, (4, 4), "random"), (2, 5, (3, 6, 2), "random"),
         (4, 2, (5, 5, 5), "random"), (1, 6, (4, 7), "zero"), (3, 3, (3, 3), "random")]


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


def step_case(keras, rng, batch, features, units, states):
    cells = keras.layers.StackedRNNCells([keras.layers.SimpleRNNCell(u) for u in units])
    cells.build((None, features))
    layers, width = [], features
    for cell, u in zip(cells.cells, units):
        w = random_rnn_weights(rng, width, u)
        set_rnn_weights(cell, w)
        layers.append((w["kernel"], w["recurrent_kernel"], w["bias"]))
        width = u
    x_t = rng.normal(size=(batch, features)).astype(np.float32)
    given = [(rng.uniform(-1, 1, size=(batch, u)) * (states == "random")).astype(np.float32) for u in units]
    output, new_states = cells(x_t, given)
    new_states = [new_states] if len(units) == 1 else new_states  # Keras unwraps a stack of one cell
    about = stack_description(batch, 1, features, units).replace(", 1 step", "")
    return dict(x_t=x_t, states=given, layers=layers, output=np.asarray(output),
                new_states=[np.asarray(h) for h in new_states],
                description=about + (", all states zero" if states == "zero" else ""))


def references(tf, keras, rng):
    return {"stacked_rnn_forward": [stacked_case(keras, rng, *sizes) for sizes in STACKS],
            "stacked_rnn_step": [step_case(keras, rng, *sizes) for sizes in STEPS]}
