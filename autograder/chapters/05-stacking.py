"""Chapter 05 · Stacking: what the exercise grades, and how Keras makes its reference outputs.

``stacked_rnn_forward`` is compared with a ``keras.Sequential`` of ``SimpleRNN(return_sequences=True)``
layers (every layer from a zero state) with the same weights loaded; ``stacked_rnn_step`` (one step
of the whole stack from given states, what generating text with a stacked model needs) with
``keras.layers.StackedRNNCells`` of ``SimpleRNNCell`` s called on one step and a list of states. The
``layers`` argument is a list of ``(kernel, recurrent_kernel, bias)`` tuples, first layer first.
"""

import numpy as np

from rnncourse.checks import Graded, Output
from rnncourse.spec import Mistake, variant
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


# ---------------------------------------------------------------- known mistakes (the feedback's hints)
# The correct answers the mistakes below change: each mistake is variant(correct, old, new),
# the correct answer with the one place it gets wrong.
CORRECT_FORWARD = '''
def stacked_rnn_forward(x, layers):
    h_seq = x
    for kernel, recurrent_kernel, bias in layers:
        h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))
        states = []
        for t in range(x.shape[1]):
            h = np.tanh(h_seq[:, t] @ kernel + h @ recurrent_kernel + bias)
            states.append(h)
        h_seq = np.stack(states, axis=1)
    return h_seq
'''

CORRECT_STEP = '''
def stacked_rnn_step(x_t, states, layers):
    below, new_states = x_t, []
    for (kernel, recurrent_kernel, bias), h in zip(layers, states):
        below = np.tanh(below @ kernel + h @ recurrent_kernel + bias)
        new_states.append(below)
    return below, new_states
'''


MISTAKES = (
    Mistake('stacked_rnn_forward', 'every_layer_reads_x', code=variant(
                variant(CORRECT_FORWARD,
                        '    h_seq = x\n',
                        ''),
                '            h = np.tanh(h_seq[:, t] @ kernel + h @ recurrent_kernel + bias)\n',
                '            h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)  # every layer reads x\n'),
            hint="Every layer of your stack reads the input x: a layer above the first reads the sequence of the "
                 "layer below it."),
    Mistake('stacked_rnn_forward', 'returns_first_layer', code='''
def stacked_rnn_forward(x, layers):
    outputs, seq = [], x
    for kernel, recurrent_kernel, bias in layers:
        h, states = np.zeros((x.shape[0], recurrent_kernel.shape[0])), []
        for t in range(x.shape[1]):
            h = np.tanh(seq[:, t] @ kernel + h @ recurrent_kernel + bias)
            states.append(h)
        seq = np.stack(states, axis=1)
        outputs.append(seq)
    return outputs[0]  # the first layer's sequence, not the last one's
''',
            hint="Your function returns the first layer's sequence: does your loop over the layers run to the end, "
                 "and is it the top layer's sequence that you return?"),
    Mistake('stacked_rnn_forward', 'state_carried_between_layers', code=variant(
                variant(CORRECT_FORWARD,
                        '    for kernel, recurrent_kernel, bias in layers:\n'
                        '        h = np.zeros((x.shape[0], recurrent_kernel.shape[0]))\n',
                        '    h = np.zeros((x.shape[0], layers[0][1].shape[0]))  # one state for the whole stack\n'
                        '    for kernel, recurrent_kernel, bias in layers:\n'),
                '        h_seq = np.stack(states, axis=1)\n',
                "        h_seq = np.stack(states, axis=1)  # the next layer starts from this layer's last state\n"),
            hint="Each of your layers starts from the state the layer below ended with: every layer starts from "
                 "its own zero state."),
    Mistake('stacked_rnn_forward', 'last_state_only', code=variant(
                CORRECT_FORWARD,
                '    return h_seq\n',
                '    return h  # the last step only, like return_sequences=False\n'),
            hint="Your function returns the top layer's last state only: the stack returns its whole sequence "
                 "(return_sequences=True)."),
    Mistake('stacked_rnn_forward', 'first_weights_everywhere', code=variant(
                CORRECT_FORWARD,
                '    h_seq = x\n'
                '    for kernel, recurrent_kernel, bias in layers:\n',
                '    kernel, recurrent_kernel, bias = layers[0]\n'
                '    h_seq = x\n'
                "    for _ in layers:  # the first layer's weights in every layer\n"),
            hint="Every layer of your stack uses the first layer's weights: each layer has its own (kernel, "
                 "recurrent_kernel, bias)."),
    Mistake('stacked_rnn_step', 'step_reads_old_state_below', code='''
def stacked_rnn_step(x_t, states, layers):
    new_states = []
    for l, (kernel, recurrent_kernel, bias) in enumerate(layers):
        below = x_t if l == 0 else states[l - 1]  # the layer below's state BEFORE this step
        new_states.append(np.tanh(below @ kernel + states[l] @ recurrent_kernel + bias))
    return new_states[-1], new_states
''',
            hint="A layer of your step reads the state the layer below had before this step: it reads the new "
                 "state the layer below has just computed."),
    Mistake('stacked_rnn_step', 'step_every_layer_reads_x', code='''
def stacked_rnn_step(x_t, states, layers):
    new_states = [np.tanh(x_t @ k + h @ r + b) for (k, r, b), h in zip(layers, states)]
    return new_states[-1], new_states
''',
            hint="Every layer of your step reads x_t: a layer above the first reads the output of the layer "
                 "below."),
    Mistake('stacked_rnn_step', 'step_first_state_everywhere', code=variant(
                CORRECT_STEP,
                '    for (kernel, recurrent_kernel, bias), h in zip(layers, states):\n'
                '        below = np.tanh(below @ kernel + h @ recurrent_kernel + bias)\n',
                '    for kernel, recurrent_kernel, bias in layers:\n'
                "        below = np.tanh(below @ kernel + states[0] @ recurrent_kernel + bias)  # the first layer's state\n"),
            hint="Every layer of your step uses the first layer's state: each layer has its own state in the "
                 "list."),
    Mistake('stacked_rnn_step', 'step_states_reversed', code=variant(
                CORRECT_STEP,
                '        new_states.append(below)\n',
                '        new_states.insert(0, below)  # last layer first\n'),
            hint="Your new states are right but in the wrong order: the list goes from the first layer to the "
                 "last, as the states you were given."),
    Mistake('stacked_rnn_step', 'step_ignores_states', code=variant(
                CORRECT_STEP,
                '    for (kernel, recurrent_kernel, bias), h in zip(layers, states):\n'
                '        below = np.tanh(below @ kernel + h @ recurrent_kernel + bias)\n',
                '    for kernel, recurrent_kernel, bias in layers:\n'
                "        below = np.tanh(below @ kernel + bias)  # as in stacked_rnn_forward's first step, from zeros\n"),
            hint="Your step ignores the states it is given: every layer computes as if its previous state were "
                 "zero."),
    Mistake('stacked_rnn_forward', 'empties_the_layers_list', code=variant(
                CORRECT_FORWARD,
                '    for kernel, recurrent_kernel, bias in layers:\n',
                '    while layers:\n'
                "        kernel, recurrent_kernel, bias = layers.pop(0)  # empties the caller's list\n"),
            hint="Your loop takes the layers out of the caller's list (pop): read the list without changing it."),
    Mistake('stacked_rnn_step', 'step_writes_into_states', code='''
def stacked_rnn_step(x_t, states, layers):
    below = x_t
    for l, (kernel, recurrent_kernel, bias) in enumerate(layers):
        states[l] = np.tanh(below @ kernel + states[l] @ recurrent_kernel + bias)  # the caller's list
        below = states[l]
    return below, states
''',
            hint="Your step writes the new states into the caller's list states: build a new list for them."),
)
