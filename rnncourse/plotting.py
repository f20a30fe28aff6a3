"""Small matplotlib helpers shared by the book's notebooks.

Each function draws on an existing ``ax`` (or a new figure when ``ax`` is None) and returns the
``Axes``, so notebooks can combine several plots in one figure. Inputs are numpy arrays (or
anything ``numpy.asarray`` accepts, such as a TensorFlow tensor); a wrong shape raises a
``ValueError`` that says which shape was expected. This module does not import TensorFlow.
"""

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

__all__ = ["plot_hidden_states", "plot_losses", "plot_char_probabilities"]


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_hidden_states(h_seq, ax=None, title="Hidden state over time", unit_labels=None):
    """Plot each hidden unit's value over the time steps of ONE sequence.

    ``h_seq`` has shape ``(time, units)``: one line per unit, time steps on the x axis
    (``1..T``; step 0 is the initial state, not drawn). For a batch from a Keras layer with
    ``return_sequences=True`` (shape ``(batch, time, units)``) pass one sequence, ``h_seq[0]``.
    """
    h = np.asarray(h_seq)
    if h.ndim != 2:
        raise ValueError(
            f"h_seq must have shape (time, units), got shape {h.shape}; "
            "for a batch of shape (batch, time, units) pass one sequence, e.g. h_seq[0]"
        )
    steps, units = h.shape
    if steps == 0 or units == 0:
        raise ValueError(f"h_seq must have at least one time step and one unit, got shape {h.shape}")
    if unit_labels is None:
        unit_labels = [f"unit {j}" for j in range(units)]
    elif len(unit_labels) != units:
        raise ValueError(f"unit_labels has {len(unit_labels)} entries but h_seq has {units} units")
    ax = _axes(ax, (7, 3.2))
    t = np.arange(1, steps + 1)
    for j in range(units):
        ax.plot(t, h[:, j], marker="o", markersize=3, linewidth=1.5, label=unit_labels[j])
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.set_xlabel("time step $t$")
    ax.set_ylabel("$h_t$")
    ax.set_xlim(0.5, steps + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    if title:
        ax.set_title(title)
    return ax


def plot_losses(losses, ax=None, title="Training loss", ylabel="loss", logy=False):
    """Plot a training loss per epoch (``losses`` is 1-D; epochs are numbered from 1)."""
    values = np.asarray(losses, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"losses must be a non-empty 1-D sequence (one value per epoch), got shape {values.shape}")
    ax = _axes(ax, (6, 3))
    epochs = np.arange(1, values.size + 1)
    ax.plot(epochs, values, marker="o", markersize=3, linewidth=1.5)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if title:
        ax.set_title(title)
    return ax


def plot_char_probabilities(probs, idx2char, ax=None, step_labels=None, title="Predicted probability of each character",
                            annotate=True):
    """Heatmap of a model's per-step output distribution over characters.

    ``probs`` has shape ``(time, vocab)`` (one sequence of softmax outputs) and ``idx2char``
    lists the ``vocab`` characters in index order. Characters go on the y axis, time steps on
    the x axis; ``step_labels`` (one per time step, e.g. the input characters) label the x axis.
    The most probable character of each step is outlined; with ``annotate`` every cell shows
    its probability.
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 2:
        raise ValueError(
            f"probs must have shape (time, vocab), got shape {p.shape}; "
            "for a batch of shape (batch, time, vocab) pass one sequence, e.g. probs[0]"
        )
    steps, vocab = p.shape
    if steps == 0:
        raise ValueError("probs must have at least one time step")
    if len(idx2char) != vocab:
        raise ValueError(f"idx2char has {len(idx2char)} characters but probs has {vocab} columns (vocab size)")
    if step_labels is not None and len(step_labels) != steps:
        raise ValueError(f"step_labels has {len(step_labels)} entries but probs has {steps} time steps")
    ax = _axes(ax, (1.0 + 0.75 * steps, 0.8 + 0.5 * vocab))
    image = ax.imshow(p.T, aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0, origin="upper")
    ax.figure.colorbar(image, ax=ax, label="probability")
    ax.set_yticks(range(vocab), [repr(c)[1:-1] if c.isspace() else c for c in idx2char])
    ax.set_ylabel("character")
    ax.set_xticks(range(steps), step_labels if step_labels is not None else [str(t + 1) for t in range(steps)])
    ax.set_xlabel("time step (input character)" if step_labels is not None else "time step")
    best = p.argmax(axis=1)
    for t in range(steps):
        ax.add_patch(plt.Rectangle((t - 0.5, best[t] - 0.5), 1, 1, fill=False, edgecolor="crimson", linewidth=2))
        if annotate:
            for k in range(vocab):
                ax.text(t, k, f"{p[t, k]:.2f}", ha="center", va="center", fontsize="small",
                        color="white" if p[t, k] > 0.6 else "black")
    if title:
        ax.set_title(title)
    return ax
