"""rnncourse.weights moves weights between numpy and real Keras layers, in Keras's layout."""

import numpy as np
import pytest

from rnncourse.weights import get_rnn_weights, random_rnn_weights, set_rnn_weights


@pytest.mark.parametrize("kind, gates, bias_rows", [("SimpleRNN", 1, None), ("LSTM", 4, None), ("GRU", 3, 2)])
def test_round_trip_through_keras_layers(kind, gates, bias_rows):
    from rnncourse.framework import setup

    tf, keras = setup(seed=0)
    units, features = 3, 2
    layer = getattr(keras.layers, kind)(units)
    layer.build((None, 4, features))
    shape = (bias_rows, gates * units) if bias_rows else None
    w = random_rnn_weights(np.random.default_rng(0), features, units, gates=gates, bias_shape=shape)
    assert w["kernel"].shape == (features, gates * units)
    assert w["recurrent_kernel"].shape == (units, gates * units)
    assert w["bias"].shape == tuple(np.shape(layer.cell.bias))
    set_rnn_weights(layer, w)
    back = get_rnn_weights(layer)
    for name in w:
        np.testing.assert_array_equal(back[name], w[name])


def test_random_weights_are_seeded_and_bounded():
    a = random_rnn_weights(np.random.default_rng(7), 4, 5, scale=0.3)
    b = random_rnn_weights(np.random.default_rng(7), 4, 5, scale=0.3)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        assert a[name].dtype == np.float32 and np.abs(a[name]).max() <= 0.3
