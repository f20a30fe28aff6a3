"""rnncourse.data: the loaders read data that ships inside pip packages (no network), and the
generated flight requests follow their recipe."""

import socket

import numpy as np
import pytest

from rnncourse.data import CITIES, FROM_PHRASES, MONTHS, TAGS, TO_PHRASES, digit_rows, flight_requests, sunspots


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a data loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_digit_rows_are_sequences_of_rows_in_a_fixed_stratified_split(no_network):
    (x_train, y_train), (x_test, y_test) = digit_rows(test_fraction=0.25, seed=0)
    assert x_train.shape[1:] == x_test.shape[1:] == (8, 8)
    assert len(x_train) + len(x_test) == 1797 and len(x_test) == 450
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    shares = np.bincount(y_test, minlength=10) / np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert np.all(np.abs(shares - 0.25) < 0.02), shares  # stratified: every digit keeps its share
    (again, _), _ = digit_rows(test_fraction=0.25, seed=0)
    np.testing.assert_array_equal(again, x_train)
    (other, _), _ = digit_rows(test_fraction=0.25, seed=1)
    assert not np.array_equal(other, x_train)
    with pytest.raises(ValueError, match="test_fraction"):
        digit_rows(test_fraction=1.5)


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
