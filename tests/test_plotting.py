"""rnncourse.plotting: the helpers draw what the book relies on and reject wrong shapes clearly."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from rnncourse import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plotting_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, rnncourse.plotting; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- plot_hidden_states

def test_hidden_states_one_line_per_unit():
    h = np.tanh(np.random.default_rng(0).normal(size=(12, 3)))
    ax = plotting.plot_hidden_states(h, title="trajectories")
    data_lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 12]
    assert len(data_lines) == 3
    for j, line in enumerate(data_lines):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 13))
        np.testing.assert_allclose(line.get_ydata(), h[:, j])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["unit 0", "unit 1", "unit 2"]
    assert ax.get_title() == "trajectories"
    assert "time step" in ax.get_xlabel()


def test_hidden_states_draws_on_given_axes_and_accepts_labels():
    fig, (ax1, ax2) = plt.subplots(2)
    out = plotting.plot_hidden_states(np.zeros((4, 2)), ax=ax2, unit_labels=["a", "b"], title=None)
    assert out is ax2
    assert len(ax1.get_lines()) == 0
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["a", "b"]
    assert ax2.get_title() == ""


@pytest.mark.parametrize("shape", [(5,), (2, 5, 3), (0, 3), (4, 0)])
def test_hidden_states_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="h_seq"):
        plotting.plot_hidden_states(np.zeros(shape))


def test_hidden_states_batch_message_says_what_to_do():
    with pytest.raises(ValueError, match=r"h_seq\[0\]"):
        plotting.plot_hidden_states(np.zeros((1, 5, 3)))


def test_hidden_states_rejects_wrong_number_of_labels():
    with pytest.raises(ValueError, match="unit_labels"):
        plotting.plot_hidden_states(np.zeros((5, 3)), unit_labels=["a", "b"])


# ---------------------------------------------------------------- plot_losses

def test_losses_plots_one_point_per_epoch():
    losses = [1.5, 1.0, 0.6, 0.3]
    ax = plotting.plot_losses(losses)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(line.get_ydata(), losses)
    assert ax.get_xlabel() == "epoch"
    assert ax.get_yscale() == "linear"


def test_losses_log_scale():
    ax = plotting.plot_losses(np.array([1.0, 0.1, 0.01]), logy=True)
    assert ax.get_yscale() == "log"


@pytest.mark.parametrize("bad", [[], [[1.0, 2.0]], 3.0])
def test_losses_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match="losses"):
        plotting.plot_losses(bad)


# ---------------------------------------------------------------- plot_char_probabilities

def _probs(steps=6, vocab=5, seed=0):
    z = np.random.default_rng(seed).normal(size=(steps, vocab))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_char_probabilities_heatmap_is_chars_by_time():
    p = _probs()
    idx2char = list("ehilo")
    ax = plotting.plot_char_probabilities(p, idx2char, step_labels=list("hihell"))
    images = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    assert len(images) == 1
    np.testing.assert_allclose(images[0].get_array(), p.T)  # rows = characters, columns = time
    assert [t.get_text() for t in ax.get_yticklabels()] == idx2char
    assert [t.get_text() for t in ax.get_xticklabels()] == list("hihell")
    # one annotation per cell and one outline per time step, around the most probable character
    assert len(ax.texts) == p.size
    outlines = [patch for patch in ax.patches if isinstance(patch, Rectangle)]
    assert len(outlines) == p.shape[0]
    for t, patch in enumerate(outlines):
        assert patch.get_xy() == (t - 0.5, p[t].argmax() - 0.5)
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar


def test_char_probabilities_without_annotations_or_step_labels():
    ax = plotting.plot_char_probabilities(_probs(3, 4), list("abcd"), annotate=False)
    assert len(ax.texts) == 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]


def test_char_probabilities_shows_whitespace_characters_readably():
    ax = plotting.plot_char_probabilities(_probs(2, 3), [" ", "a", "\n"], annotate=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == [" ", "a", "\\n"]


@pytest.mark.parametrize("shape", [(6,), (1, 6, 5), (0, 5)])
def test_char_probabilities_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="probs"):
        plotting.plot_char_probabilities(np.zeros(shape), list("ehilo"))


def test_char_probabilities_rejects_vocab_mismatch():
    with pytest.raises(ValueError, match="idx2char"):
        plotting.plot_char_probabilities(_probs(6, 5), list("ehil"))


def test_char_probabilities_rejects_wrong_number_of_step_labels():
    with pytest.raises(ValueError, match="step_labels"):
        plotting.plot_char_probabilities(_probs(6, 5), list("ehilo"), step_labels="hih")
