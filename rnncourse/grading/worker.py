"""The program that runs a student's code, inside the sandbox: stdlib and numpy only.

It never sees an expected value. The trusted grader (:mod:`rnncourse.grading.engine`) sends it
commands on stdin and reads replies on stdout, one framed message each way (:func:`send`):

- ``{"op": "run", "cell": label, "source": code}``: run a cell (student code, or a visible test
  taken from the instructor's source) in the notebook's namespace; reply ``{"ok": true}`` or
  ``{"ok": false, "error": ...}``;
- ``{"op": "call", "function": name, "args": [...]}``: call a student function on one hidden input;
  reply ``{"ok": true, "result": ...}`` or an error (raised, not defined, modified its input).

Everything the student's code prints goes to /dev/null; warnings are silenced (nbgrader would
score a warning 0). Values cross as JSON plus raw array bytes (:func:`pack`), never pickles.
"""

import copy
import json
import os
import re
import struct
import sys
import traceback
import warnings

import numpy as np

MAX_MESSAGE = 64 << 20  # bytes in one message, either way
ARRAY_KINDS = "biufcU"  # dtypes that cross: no objects, no structured types


class Function:
    """A numpy function that a hidden test hands to the student's code (``numerical_gradient``'s
    ``f``), given by its source: ``Function("lambda x: np.sum(np.sin(x))")`` is called like the lambda."""

    def __init__(self, source):
        self.source = source
        self.fn = None

    def __call__(self, *args, **kwargs):
        if self.fn is None:
            self.fn = eval(compile(self.source, "<the test's function>", "eval"), {"np": np})
        return self.fn(*args, **kwargs)

    def __eq__(self, other):
        return isinstance(other, Function) and other.source == self.source

    __hash__ = None

    def __repr__(self):
        return "<the test's function>"


def pack(value, blobs):
    """A JSON-able tree for ``value``; array bytes are appended to ``blobs``."""
    if isinstance(value, Function):
        return {"function": value.source}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value if not isinstance(value, str) else str(value)
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.array(value, copy=True, subok=False)
        if array.dtype.kind == "O":  # Python objects: numbers cross as the numbers they are
            array = numbers(array)
            if array is None:
                return {"unsupported": OBJECTS}
        if array.dtype.kind not in ARRAY_KINDS:
            return {"unsupported": f"an array of dtype {array.dtype}"}
        blobs.append(np.ascontiguousarray(array).tobytes())
        return {"array": len(blobs) - 1, "dtype": array.dtype.str, "shape": list(array.shape),
                "scalar": isinstance(value, np.generic)}
    if isinstance(value, (list, tuple)):
        return {"list" if isinstance(value, list) else "tuple": [pack(v, blobs) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[pack(k, blobs), pack(v, blobs)] for k, v in value.items()]}
    return {"unsupported": f"a {type(value).__name__}"}


def unpack(tree, blobs, functions=False):
    """The value :func:`pack` described; arrays are rebuilt from bytes with a checked dtype. A
    :class:`Function` is rebuilt only where ``functions`` allows it (the worker reading the grader's
    arguments), never from what a student's code sent back."""
    if not isinstance(tree, dict):
        return tree
    if "function" in tree:
        return Function(str(tree["function"])) if functions else Unsupported("a function")
    if "array" in tree:
        dtype = np.dtype(tree["dtype"])
        if dtype.kind not in ARRAY_KINDS:
            raise ValueError(f"refused dtype {dtype}")
        array = np.frombuffer(blobs[tree["array"]], dtype=dtype).reshape(tree["shape"]).copy()
        return array[()] if tree.get("scalar") else array
    if "list" in tree:
        return [unpack(v, blobs, functions) for v in tree["list"]]
    if "tuple" in tree:
        return tuple(unpack(v, blobs, functions) for v in tree["tuple"])
    if "dict" in tree:
        return {unpack(k, blobs): unpack(v, blobs, functions) for k, v in tree["dict"]}
    return Unsupported(tree.get("unsupported", "something"))


OBJECTS = ("a numpy array of Python objects (dtype object), not of numbers: build it from numbers of one "
           "shape, e.g. np.asarray(values, dtype=float)")


def numbers(array):
    """An array of Python objects (dtype object) that are numbers of one shape, as a numeric array; else None.
    Such an array holds the right numbers as surely as a list of them does (and lists are taken)."""
    try:
        converted = np.array(array.tolist())
    except Exception:  # noqa: BLE001  (ragged, or objects numpy cannot hold)
        return None
    return converted if converted.dtype.kind in "biuf" and converted.shape[:array.ndim] == array.shape else None


def what_it_is(value):
    """What a student's value is, in words: "a generator", "a numpy array of Python objects ..." """
    return value.what if isinstance(value, Unsupported) else f"a {type(value).__name__}"


class Unsupported:
    """A value that cannot cross (a student's own class, a generator...): judged as wrong."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return self.what


def encode(message, blobs=()):
    """One frame: the number of parts, their lengths, the JSON header, the blobs."""
    header = json.dumps(message).encode()
    sizes = [len(header), *map(len, blobs)]
    return struct.pack(f"<I{len(sizes)}Q", len(sizes), *sizes) + header + b"".join(blobs)


def send(stream, message, blobs=()):
    stream.write(encode(message, blobs))
    stream.flush()


def receive(stream):
    """The next frame as (message, blobs); None at end of stream."""
    count = stream.read(4)
    if len(count) < 4:
        return None
    (n,) = struct.unpack("<I", count)
    if not 1 <= n <= 100_000:
        raise ValueError("not a message")
    sizes = struct.unpack(f"<{n}Q", read_exactly(stream, 8 * n))
    if sum(sizes) > MAX_MESSAGE:
        raise ValueError("message too large")
    header, *blobs = [read_exactly(stream, size) for size in sizes]
    return json.loads(header), blobs


def read_exactly(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the message was cut short")
    return data


def strip_magics(source):
    """IPython-only lines (``%magic``, ``!shell``) become ``pass``: they mean nothing to grading."""
    if source.lstrip().startswith("%%"):
        return "pass"
    return re.sub(r"^(\s*)[%!].*$", r"\1pass", source, flags=re.M)


def notebook_frames(error):
    return [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<nb:")]


def describe(error):
    """'ValueError: text (at line N of cell 3)': the error and the deepest notebook line it came from,
    the student's own cell's if any (not the setup cell's import guard that raised it)."""
    text = str(error).strip()
    frames = notebook_frames(error)
    frames = [f for f in frames if f.filename.startswith("<nb:cell ")] or frames
    where = f" (at line {frames[-1].lineno} of {frames[-1].filename[4:-1]})" if frames else ""
    return type(error).__name__ + (f": {text}" if text else "") + where


def same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def run(namespace, message):
    label = message["cell"]
    try:
        exec(compile(strip_magics(message["source"]), f"<nb:{label}>", "exec"), namespace)
    except BaseException as error:  # noqa: B036  (SystemExit and KeyboardInterrupt included)
        frames = notebook_frames(error)
        own = frames and frames[-1].filename in (f"<nb:{label}>", "<nb:setup>")  # the setup cell's assert_close too
        if isinstance(error, AssertionError) and own and frames[0].filename == f"<nb:{label}>":
            return {"ok": False, "error": f"AssertionError: {error}"}  # the test's own message
        return {"ok": False, "error": describe(error)}
    return {"ok": True}


def invoke(name, fn, args, keywords=None, explain=describe, catch=BaseException):
    """Call a student's function the way every hidden test does: ``(result, None)``, or ``(None, what
    went wrong)`` in the student's terms (not a function, not implemented, raised, modified its input)."""
    if not callable(fn):
        return None, (f"{name} is not defined (keep the function's name as given)" if fn is None
                      else f"{name} should be a function, but it is a {type(fn).__name__}")
    keywords = keywords or {}
    before = copy.deepcopy((args, keywords))
    try:
        result = fn(*args, **keywords)
    except NotImplementedError:
        return None, f"{name} is not implemented yet (it raises NotImplementedError)"
    except catch as error:  # SystemExit and KeyboardInterrupt too, unless the caller needs them
        return None, f"{name} raised {explain(error)}"
    changed = [f"argument {i + 1}" for i, (old, new) in enumerate(zip(before[0], args)) if not same(old, new)]
    changed += [f"argument {k}" for k in keywords if not same(before[1][k], keywords[k])]
    if changed:
        return None, (f"{name} modified its input ({changed[0]}) in place; work on a copy instead "
                          "(e.g. `x = x.copy()` or build a new array)")
    return result, None


def call(namespace, message, blobs):
    args = unpack(message["args"], blobs, functions=True)
    keywords = unpack(message.get("keywords", {"dict": []}), blobs, functions=True)
    result, error = invoke(message["function"], namespace.get(message["function"]), args, keywords)
    if error:
        return {"ok": False, "error": error}, []
    out = []
    return {"ok": True, "result": pack(result, out)}, out


def main():
    replies = os.fdopen(os.dup(1), "wb")
    commands = os.fdopen(os.dup(0), "rb")
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(quiet, fd)
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    # a notebook's own builtins: `display` shows nothing here (nothing a student shows is graded)
    namespace = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
    while (incoming := receive(commands)) is not None:
        message, blobs = incoming
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if message["op"] == "run":
                send(replies, run(namespace, message))
            elif message["op"] == "call":
                send(replies, *call(namespace, message, blobs))
            else:
                return


if __name__ == "__main__":
    sys.exit(main())
