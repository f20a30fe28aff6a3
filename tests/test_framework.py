"""rnncourse.framework.print_prediction: the callback chapters 03 and 04 train with."""

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
