"""rnncourse.framework: the callback chapters 03 and 04 train with, and the reference maker's tape."""

import numpy as np


def test_print_prediction_prints_the_decoded_argmax_and_stops_at_the_target(capsys):
    from rnncourse.framework import print_prediction, setup

    tf, keras = setup(seed=0)
    model = keras.Sequential([keras.Input(shape=(3, 2)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="sparse_categorical_crossentropy")
    x, y = np.eye(2, dtype=np.float32)[[[0, 1, 0]]], np.array([[1, 0, 1]])  # learn to swap a and b
    history = model.fit(x, y, epochs=200, verbose=0, callbacks=[print_prediction(x, ["a", "b"], "bab")])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(history.history["loss"]) < 200, "training goes on after the target is read"
    assert lines[-1].endswith("-> 'bab'") and lines[0].startswith("epoch   1  loss ")


def test_tape_gradients_are_the_backward_pass_of_the_upstream_gradients():
    """The reference maker's tape (chapters 08, 09): on a SimpleRNNCell, h = tanh(a), its gradients of
    sum(h * dh) are dh * (1 - h**2) pushed through a = x W + h_prev U + b; several outputs add up."""
    from rnncourse.framework import setup, tape_gradients
    from rnncourse.weights import random_rnn_weights, set_rnn_weights

    tf, keras = setup(seed=0)
    rng = np.random.default_rng(0)
    w = random_rnn_weights(rng, 3, 2, dtype=np.float64)
    cell = keras.layers.SimpleRNNCell(2, dtype="float64")
    cell.build((None, 3))
    set_rnn_weights(cell, w)
    x, h_prev, dh = rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    dx, dh_prev, dkernel, drecurrent, dbias = tape_gradients(tf, cell, [x, h_prev], lambda x, h: cell(x, [h])[0], dh)
    da = dh * (1 - np.tanh(x @ w["kernel"] + h_prev @ w["recurrent_kernel"] + w["bias"]) ** 2)
    for got, expected in [(dx, da @ w["kernel"].T), (dh_prev, da @ w["recurrent_kernel"].T), (dkernel, x.T @ da),
                          (drecurrent, h_prev.T @ da), (dbias, da.sum(axis=0))]:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    twice = tape_gradients(tf, cell, [x, h_prev], lambda x, h: (cell(x, [h])[0], cell(x, [h])[0]), [dh, 2 * dh])
    np.testing.assert_allclose(twice[-1], 3 * dbias, rtol=1e-12)
