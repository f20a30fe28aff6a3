"""The reference file format: one place that writes and reads ``autograder/references/NN-slug.npz``.

A reference file holds, for every graded function of one chapter, how it is checked (its
:class:`~rnncourse.checks.Graded` spec) and its cases: the inputs a student never sees and the
outputs Keras / TensorFlow produced for them. A case may also hold, under ``"mistakes"``, what each
catalogued mistake (:class:`~rnncourse.spec.Mistake`) gave on it: ``{name: {output: value}}``, or
``{name: {"raised": "ValueError"}}`` when it raised; the hint of each of those mistakes, and the
function it answers wrongly, sit with the function (:func:`hints`). It is a plain ``.npz`` (a zip of ``.npy`` members,
read with ``allow_pickle=False``): numpy arrays are members of their own, every other value
(texts, lists, dicts, numbers) and the specs sit in one JSON member, ``manifest.npy``.

Files are written deterministically (fixed timestamps, sorted members), so unchanged references
stay byte-identical and git shows no churn; :func:`checksum` is what the grader verifies.
"""

import hashlib
import io
import json
import zipfile
from functools import cache

import numpy as np

from .checks import Graded
from .paths import REFERENCES

MANIFEST = "manifest"


def count(n, word, plural=None):
    """'1 step', '5 steps', '3 classes': sizes in a case's description (what failure messages show)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def sizes(**sizes):
    """'2 batch, 1 step, 3 features': a case's description from its sizes."""
    return ", ".join(f"{v} batch" if k == "batch" else count(v, k.rstrip("s"), k) for k, v in sizes.items())


def path_of(assignment):
    return REFERENCES / f"{assignment}.npz"


def _nested(value):
    """Whether a dict's value needs members or numbers of its own (not plain JSON)."""
    return isinstance(value, (np.ndarray, np.generic, dict)) or (
        isinstance(value, (list, tuple)) and any(isinstance(v, (np.ndarray, list, tuple)) for v in value))


def _encode(value, key, arrays):
    if isinstance(value, np.ndarray) and value.dtype.kind not in "U":
        arrays[key] = value
        return {"array": key}
    if isinstance(value, (list, tuple)) and any(isinstance(v, (np.ndarray, list, tuple)) for v in value):
        # a list of arrays (gradients), a list of (kernel, recurrent_kernel, bias) tuples, ragged rows
        return {"list" if isinstance(value, list) else "tuple":
                [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, dict) and any(_nested(v) for v in value.values()):
        return {"dict": {str(k): _encode(v, f"{key}/{k}", arrays) for k, v in sorted(value.items())}}
    if isinstance(value, np.ndarray):  # texts as str, vocabularies as lists of str
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    return {"value": value}


def _decode(encoded, data):
    if "array" in encoded:
        return data[encoded["array"]]
    if "list" in encoded:
        return [_decode(v, data) for v in encoded["list"]]
    if "tuple" in encoded:
        return tuple(_decode(v, data) for v in encoded["tuple"])
    if "dict" in encoded:
        return {k: _decode(v, data) for k, v in encoded["dict"].items()}
    return encoded["value"]


def write(path, functions, hints=None):
    """Save ``{function: (Graded, [case dict, ...])}``; every case needs a ``description``. ``hints``:
    ``{function: {mistake name: {"hint": text, "of": function it answers wrongly}}}`` of the mistakes
    whose outputs the cases hold."""
    arrays, manifest = {}, {}
    for function, (graded, cases) in sorted(functions.items()):
        encoded = []
        for i, case in enumerate(cases):
            missing = {"description", *graded.fields} - set(case)
            if missing:
                raise ValueError(f"{function} case {i} lacks {sorted(missing)}")
            encoded.append({field: _encode(value, f"{function}/{i}/{field}", arrays)
                            for field, value in case.items()})
        manifest[function] = {"graded": graded.to_json(), "cases": encoded}
        if (hints or {}).get(function):
            manifest[function]["hints"] = dict(sorted(hints[function].items()))
    arrays[MANIFEST] = np.array(json.dumps(manifest, sort_keys=True, ensure_ascii=False))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(arrays[key]), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue(),
                             compress_type=zipfile.ZIP_DEFLATED)


def read(path):
    """``{function: (Graded, [case dict, ...])}`` as :func:`write` was given it (arrays as arrays)."""
    with np.load(path, allow_pickle=False) as data:
        manifest = json.loads(str(data[MANIFEST]))
        return {function: (Graded.from_json(entry["graded"]),
                           [{field: _decode(v, data) for field, v in case.items()}
                            for case in entry["cases"]])
                for function, entry in manifest.items()}


def hints(path):
    """``{function: {mistake name: {"hint": text, "of": function}}}``: the mistakes stored with each
    function's cases (``of``: the graded function the mistake answers wrongly; its error may show
    through in other functions that call it)."""
    with np.load(path, allow_pickle=False) as data:
        manifest = json.loads(str(data[MANIFEST]))
    return {function: entry.get("hints", {}) for function, entry in manifest.items()}


def checksum(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def _index():
    """function name -> assignment, over every reference file (function names are unique in the course)."""
    index = {}
    for path in sorted(REFERENCES.glob("*.npz")):
        with np.load(path, allow_pickle=False) as data:
            for function in json.loads(str(data[MANIFEST])):
                index[function] = path.stem
    return index


def of_function(function):
    """(Graded, cases) of one graded function, wherever its chapter is."""
    assignment = _index().get(function)
    if assignment is None:
        raise LookupError(f"no reference outputs for {function!r}: run `python autograder/make_references.py`")
    return read(path_of(assignment))[function]
