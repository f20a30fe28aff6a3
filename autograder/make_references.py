"""Make the reference outputs that the hidden tests compare students' functions with.

    python autograder/make_references.py            # write autograder/references/*.npz
    python autograder/make_references.py --check    # regenerate in memory, fail if anything drifted

Every numeric reference is computed by Keras / TensorFlow itself (the same weights loaded into
the Keras layer), on inputs drawn with fixed seeds that students never see. Pure-data functions
are checked against a TF utility where one exists (``tf.one_hot``), else against the lectures'
own code, written out below. One ``.npz`` per assignment, keys ``function/case/field``; every
case has a ``description`` that the test messages quote. The files stay under ``autograder/``:
anything in ``solutions/<assignment>/`` would be copied to the students.
"""

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rnncourse.framework import setup  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL before TF loads)
from rnncourse.paths import REFERENCES  # noqa: E402
from rnncourse.weights import random_rnn_weights, set_rnn_weights  # noqa: E402

# Numbers are compared with this tolerance when checking for drift: TF's CPU kernels can
# round differently on another processor, far below the grading tolerance in rnncourse.checks.
DRIFT_RTOL = 1e-6
DRIFT_ATOL = 1e-7


def _sizes(**sizes):
    """'2 batch, 1 step, 3 features' for the test messages."""
    return ", ".join(f"{v} {k if v != 1 or k == 'batch' else k.rstrip('s')}" for k, v in sizes.items())


def ref_01_rnn_cell(tf, keras, rng):
    """SimpleRNNCell for one step, SimpleRNN(return_sequences, return_state) with an initial state."""
    cells = []
    for batch, features, units in [(1, 1, 1), (3, 4, 5), (2, 7, 3), (5, 2, 8)]:
        w = random_rnn_weights(rng, features, units)
        cell = keras.layers.SimpleRNNCell(units)
        cell.build((None, features))
        set_rnn_weights(cell, w)
        x_t = rng.normal(size=(batch, features)).astype(np.float32)
        h_prev = rng.uniform(-1, 1, size=(batch, units)).astype(np.float32)
        h, _ = cell(x_t, [h_prev])
        cells.append(dict(x_t=x_t, h_prev=h_prev, **w, h=np.asarray(h),
                          description=_sizes(batch=batch, features=features, units=units)))
    sequences = []
    for batch, steps, features, units in [(1, 1, 1, 1), (2, 5, 3, 4), (3, 12, 2, 6), (1, 20, 4, 3), (4, 8, 6, 2)]:
        w = random_rnn_weights(rng, features, units)
        layer = keras.layers.SimpleRNN(units, return_sequences=True, return_state=True)
        layer.build((None, steps, features))
        set_rnn_weights(layer, w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0 = rng.uniform(-1, 1, size=(batch, units)).astype(np.float32)
        h_seq, h_last = layer(x, initial_state=h0)
        sequences.append(dict(x=x, h0=h0, **w, h_seq=np.asarray(h_seq), h_last=np.asarray(h_last),
                              description=_sizes(batch=batch, steps=steps, features=features, units=units)))
    return {"rnn_cell_forward": cells, "rnn_forward": sequences}


def _random_text(rng, length, alphabet):
    return "".join(rng.choice(list(alphabet), size=length))


def ref_03_hihello(tf, keras, rng):
    """Vocabulary, encoding and shifting by the lectures' code; one-hot by tf.one_hot."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCZ ,.!?'éßü0123"
    texts = ["", "aaaa", "hello, world", "if you want you"] + [
        _random_text(rng, n, alphabet[: rng.integers(3, len(alphabet))]) for n in (7, 40, 120)
    ]
    vocab, encode, decode, shift = [], [], [], []
    for text in texts:
        idx2char = sorted(set(text))  # the lecture's list(set(...)), sorted so it is deterministic
        char2idx = {c: i for i, c in enumerate(idx2char)}
        vocab.append(dict(text=np.str_(text), idx2char=np.array(idx2char, dtype="<U1"),
                          description=f"a text of {len(text)} characters"))
        encoded = np.array([char2idx[c] for c in text], dtype=np.int64)
        encode.append(dict(text=np.str_(text), idx2char=np.array(idx2char, dtype="<U1"), indices=encoded,
                           description=f"a text of {len(text)} characters"))
        decode.append(dict(indices=encoded.astype(np.int32), idx2char=np.array(idx2char, dtype="<U1"),
                           text=np.str_("".join(idx2char[i] for i in encoded)),
                           description=f"{len(encoded)} indices"))
        shift.append(dict(text=np.str_(text), x_text=np.str_(text[:-1]), y_text=np.str_(text[1:]),
                          description=f"a text of {len(text)} characters"))
    hots = []
    for shape, depth in [((6,), 5), ((2, 7), 4), ((3, 1), 1), ((0,), 3), ((2, 3, 4), 9)]:
        indices = rng.integers(0, depth, size=shape).astype(np.int32)
        hots.append(dict(indices=indices, depth=np.int64(depth), one_hot=tf.one_hot(indices, depth).numpy(),
                         description=f"indices of shape {shape}, depth {depth}"))
    return {"build_vocab": vocab, "encode": encode, "decode": decode, "one_hot": hots, "shift_pair": shift}


MAKERS = {"01-rnn-cell": ref_01_rnn_cell, "03-hihello": ref_03_hihello}


def make(assignment):
    """The reference arrays of one assignment, as ``{"function/case/field": array}``."""
    tf, keras = setup(seed=0)
    rng = np.random.default_rng(sum(map(ord, assignment)))
    arrays = {}
    for function, cases in MAKERS[assignment](tf, keras, rng).items():
        for i, case in enumerate(cases):
            for field, value in case.items():
                arrays[f"{function}/{i}/{field}"] = np.asarray(value)
    return arrays


def drift(stored, fresh):
    """What differs between two reference dicts, as a list of readable lines (empty if none)."""
    problems = [f"missing now: {k}" for k in sorted(stored.keys() - fresh.keys())]
    problems += [f"new: {k}" for k in sorted(fresh.keys() - stored.keys())]
    for key in sorted(stored.keys() & fresh.keys()):
        a, b = stored[key], fresh[key]
        if a.shape != b.shape or a.dtype != b.dtype:
            problems.append(f"{key}: {a.dtype}{a.shape} stored, {b.dtype}{b.shape} now")
        elif a.dtype.kind == "f":
            if not np.allclose(a, b, rtol=DRIFT_RTOL, atol=DRIFT_ATOL):
                problems.append(f"{key}: values drifted by up to {np.max(np.abs(a - b)):.3g}")
        elif not np.array_equal(a, b):
            problems.append(f"{key}: values differ")
    return problems


def write(path, arrays):
    """Save deterministically: a plain zip with fixed timestamps, so unchanged references stay byte-identical."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, arrays[key], allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the stored references drifted")
    parser.add_argument("assignments", nargs="*", default=sorted(MAKERS), help="default: all")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.assignments) - MAKERS.keys())
    if unknown:
        parser.error(f"no reference maker for {', '.join(unknown)}; known: {', '.join(sorted(MAKERS))}")
    failed = False
    for assignment in args.assignments:
        path = REFERENCES / f"{assignment}.npz"
        fresh = make(assignment)
        if args.check:
            if not path.exists():
                print(f"{assignment}: {path.relative_to(REFERENCES.parent.parent)} is missing")
                failed = True
                continue
            with np.load(path, allow_pickle=False) as data:
                stored = {k: data[k] for k in data.files}
            problems = drift(stored, fresh)
            print(f"{assignment}: " + ("up to date" if not problems else "DRIFTED\n  " + "\n  ".join(problems)))
            failed |= bool(problems)
        else:
            REFERENCES.mkdir(parents=True, exist_ok=True)
            write(path, fresh)
            print(f"{assignment}: wrote {len(fresh)} arrays to {path.relative_to(REFERENCES.parent.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
