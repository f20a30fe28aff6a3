"""How a student's function is judged against Keras / TensorFlow.

Each chapter module (``autograder/chapters/NN-slug.py``) says, per graded function, how it is
checked: a :class:`Graded` spec (the case fields passed as arguments, the outputs and how each
is compared). The reference maker stores that spec with the cases (:mod:`rnncourse.references`),
so a hidden test is one line naming the function: ``check("rnn_forward")``, or
``check("rnn_forward", dtype="float64")`` to pass float inputs as float64.

Judging is split in two, so that the grader can keep the expected values away from student code:
:func:`arguments` + :func:`call` run the student's function, :func:`judge` compares the result
with the reference. Every failure is a :class:`StudentCodeError` (an ``AssertionError``) whose
message says what is wrong (function, case, shape, dtype, largest error and where) in words a
student can act on, without printing the expected values.

Only numpy is imported here: grading never starts TensorFlow.
"""

import copy
import signal
import sys
import threading
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .grading.worker import OBJECTS, Function, invoke, numbers, what_it_is


# Keras computes in float32; a student may compute in float32 or float64. tests/test_checks.py
# measures both sides of the tolerance on Keras's own SimpleRNN: correct float32 and float64
# answers stay within ATOL / 5 = 2e-6 of Keras, and each plausible mistake (no bias, a zero
# initial state, a transposed or missing recurrent matrix) is off by more than 100 * ATOL = 1e-3.
RTOL = 1e-4
ATOL = 1e-5

# A correct answer runs in milliseconds. A call that has not returned after this many
# seconds is stopped, so that a loop that never ends costs only its own test.
CALL_TIMEOUT = 10


class StudentCodeError(AssertionError):
    """A student's function raised, hung or misbehaved; the message says how."""


def _student_frame(tb):
    """The last traceback frame that lies in the student's notebook code, as 'line N: code'."""
    for frame in reversed(traceback.extract_tb(tb)):
        name = frame.filename
        if Path(name).resolve().is_relative_to(Path(__file__).resolve().parent):
            continue
        if "ipykernel" in name or name.startswith("<"):
            return f"line {frame.lineno}: {frame.line.strip()}" if frame.line else f"line {frame.lineno}"
    return None


class _Timeout(BaseException):
    """Raised by the alarm: a BaseException, so that the student's `except Exception` cannot keep it."""


@contextmanager
def _time_limit(seconds, name):
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Timeout:
        raise StudentCodeError(
            f"{name} did not return within {seconds} s (a correct answer takes milliseconds): "
            "is there a loop that never ends?"
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call(fn, *args, timeout=CALL_TIMEOUT, name=None, keywords=None):
    """Call the student's ``fn`` the way the hidden tests do (:func:`rnncourse.grading.worker.invoke`),
    in the notebook's own kernel, and return its result.

    - warnings the call emits are silenced (nbgrader scores any stderr output 0, and a correct
      answer must not lose points for a harmless RuntimeWarning);
    - the call is stopped after ``timeout`` seconds;
    - the inputs must come back unmodified (compared exactly);
    - an exception is reported with the student's own line that raised it.
    """
    name = name or getattr(fn, "__name__", repr(fn))
    with warnings.catch_warnings(), np.errstate(all="ignore"), _time_limit(timeout, name):
        warnings.simplefilter("ignore")
        result, error = invoke(name, fn, list(args), keywords, explain=_explain, catch=Exception)
    if error:
        raise StudentCodeError(error)
    return result


def _explain(error):
    where = _student_frame(error.__traceback__)
    return f"{type(error).__name__}{f' at {where}' if where else ''}: {error}"


def _as_array(name, what, got):
    """The student's value as an array. Any numeric array-like is as good as an array (visible tests use
    np.shape and np.allclose, which take them too): a numpy array or number, a Python number, or
    (nested) lists and tuples of numbers."""
    if isinstance(got, np.ndarray) and got.dtype.kind == "O":  # Python objects: as good as a list of numbers
        if numbers(got) is None:
            raise StudentCodeError(f"{what} of {name} should be a numpy array, but it is {OBJECTS}")
        return numbers(got)
    if isinstance(got, np.ndarray):
        return got
    if isinstance(got, (int, float, np.generic)) and not isinstance(got, bool):
        return np.asarray(got)  # a scalar result (a norm, a loss) may be a Python or numpy number
    if hasattr(got, "__array__") and not isinstance(got, (str, bytes)):
        return np.asarray(got)
    if isinstance(got, (list, tuple)):
        try:
            array = np.asarray(got)
        except (ValueError, TypeError):  # ragged, or items numpy cannot hold
            array = None
        if array is not None and array.dtype.kind in "biuf":
            return array
        raise StudentCodeError(f"{what} of {name} should be a numpy array (or lists of numbers of one shape), "
                               f"but it is {what_it_is(got)} that is not")
    raise StudentCodeError(f"{what} of {name} should be a numpy array, but it is {what_it_is(got)}")


def check_array(name, got, expected, what="the result", case="", rtol=RTOL, atol=ATOL, axes=None):
    """Assert that the student's array ``got`` matches the reference ``expected``.

    ``what`` names the value in the message ("h_seq", "the result"); ``case`` describes the
    input ("batch 3, 7 steps, 4 features, 5 units"); ``axes`` names the dimensions so that
    the message can say where the largest error is ("batch", "time", "unit").
    """
    expected = np.asarray(expected)
    got = _as_array(name, what, got)
    context = f" ({case})" if case else ""
    if got.shape != expected.shape:
        hint = ""
        if sorted(got.shape) == sorted(expected.shape):
            hint = " (the right sizes in the wrong order: is an axis swapped or a matrix transposed?)"
        dims = f" = ({', '.join(axes)})" if axes and len(axes) == expected.ndim else ""
        raise StudentCodeError(
            f"{name}: {what} has shape {got.shape}, expected {expected.shape}{dims}{context}{hint}"
        )
    if got.dtype.kind not in "biuf":
        raise StudentCodeError(f"{name}: {what} has dtype {got.dtype}, expected a numeric array{context}")
    got64 = got.astype(np.float64)
    exp64 = expected.astype(np.float64)
    if not np.all(np.isfinite(got64)):
        raise StudentCodeError(f"{name}: {what} contains NaN or infinite values{context}")
    error = np.abs(got64 - exp64)
    bad = error > atol + rtol * np.abs(exp64)
    if bad.any():
        worst = np.unravel_index(np.argmax(error), error.shape)
        if axes and len(axes) == expected.ndim:
            where = ", ".join(f"{a} {i}" for a, i in zip(axes, worst))
        else:
            where = f"index {tuple(int(i) for i in worst)}"
        first = ""
        if axes and "time" in axes:
            t_axis = axes.index("time")
            first_t = int(np.argmax(np.any(bad, axis=tuple(i for i in range(bad.ndim) if i != t_axis))))
            first = f"; the first wrong time step is {first_t}"
        raise StudentCodeError(
            f"{name}: {what} does not match Keras{context}: {int(bad.sum())} of {bad.size} values are off, "
            f"the largest error is {error[worst]:.3g} (at {where}){first}. "
            f"Allowed: {atol:g} + {rtol:g}*|expected|."
        )


def check_equal(name, got, expected, what="the result", case=""):
    """Assert exact equality (strings, lists, index arrays); integer arrays must have an integer dtype."""
    context = f" ({case})" if case else ""
    if isinstance(expected, np.ndarray):
        if isinstance(got, (list, tuple)) and expected.size == 0 and np.shape(got) == expected.shape:
            got = np.zeros(expected.shape, expected.dtype)  # an empty list holds no number of a wrong type
        got = _as_array(name, what, got)
        if got.dtype.kind not in "iu":
            raise StudentCodeError(
                f"{name}: {what} has dtype {got.dtype}, expected an integer dtype (indices are integers; "
                f"note that np.array([]) is float64 unless you give a dtype){context}"
            )
        if got.shape != expected.shape:
            raise StudentCodeError(f"{name}: {what} has shape {got.shape}, expected {expected.shape}{context}")
        if not np.array_equal(got, expected):
            wrong = np.flatnonzero(got.ravel() != expected.ravel())
            raise StudentCodeError(
                f"{name}: {what} is wrong at {len(wrong)} of {expected.size} positions{context}; "
                f"the first wrong position is {tuple(int(i) for i in np.unravel_index(wrong[0], expected.shape))}"
            )
        return
    if isinstance(expected, list) and isinstance(got, (tuple, np.ndarray)) and np.ndim(got) == 1:
        got = list(got)  # a sequence of the right items is as good as a list
    if type(got) is not type(expected) and not isinstance(got, type(expected)):
        raise StudentCodeError(
            f"{name}: {what} should be a {type(expected).__name__}, but it is {what_it_is(got)}{context}"
        )
    if isinstance(expected, (list, tuple)) and len(got) != len(expected):
        raise StudentCodeError(f"{name}: {what} has {len(got)} items, expected {len(expected)}{context}")
    if isinstance(expected, str) and len(got) != len(expected):
        raise StudentCodeError(f"{name}: {what} has {len(got)} characters, expected {len(expected)}{context}")
    if isinstance(expected, dict) and set(got) != set(expected):
        raise StudentCodeError(f"{name}: {what} has the wrong keys{context}")
    same = got == expected if isinstance(expected, (dict, str)) else list(got) == list(expected)
    if not same:
        raise StudentCodeError(f"{name}: {what} has the right size but the wrong content{context}")


def unpack(name, result, outputs, returns="tuple"):
    """The student's result as a tuple of the named ``outputs``, with a clear message if it has the wrong form.

    ``returns="dict"``: the function returns a dict with the outputs as its keys (gradients by name).
    """
    if returns == "dict":
        if not isinstance(result, dict):
            raise StudentCodeError(f"{name} should return a dict with keys {', '.join(outputs)}, "
                                   f"but it returned {what_it_is(result)}")
        missing = [o for o in outputs if o not in result]
        if missing:
            raise StudentCodeError(f"{name} should return a dict with keys {', '.join(outputs)}; "
                                   f"missing: {', '.join(missing)}")
        return tuple(result[o] for o in outputs)
    if len(outputs) == 1:
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != len(outputs):
        form = what_it_is(result) if not isinstance(result, (tuple, list)) else f"{len(result)} values"
        raise StudentCodeError(f"{name} should return a tuple ({', '.join(outputs)}), but it returned {form}")
    return tuple(result)




# ------------------------------------------------------------------ specs, and the hidden test


@dataclass(frozen=True)
class Output:
    """One returned value: ``compare`` is "close" (a float array within the tolerance) or "exact" (an
    integer array, a text, list or dict, exactly). ``axes`` name the dimensions in messages."""

    name: str
    compare: str = "close"
    axes: tuple = ()
    rtol: float = RTOL
    atol: float = ATOL


@dataclass(frozen=True)
class Graded:
    """How one graded function is checked: the case fields passed as its arguments, in order, and
    its outputs (several outputs: the function returns a tuple, or a dict when ``returns="dict"``).

    ``options`` are keyword arguments with defaults: a case passes those it holds, by name, and a
    case without them tests the defaults. ``functions`` are inputs that hold the source of a numpy
    function (``"lambda x: np.sum(x ** 3)"``); the student's code receives it as a callable.
    """

    inputs: tuple
    outputs: tuple = field(default_factory=tuple)
    options: tuple = ()
    functions: tuple = ()
    returns: str = "tuple"

    @property
    def fields(self):
        return {*self.inputs, *(o.name for o in self.outputs)}

    def to_json(self):
        default = Graded(())
        return {k: v for k, v in asdict(self).items() if k in ("inputs", "outputs") or v != getattr(default, k)}

    @classmethod
    def from_json(cls, data):
        outputs = tuple(Output(**{**o, "axes": tuple(o["axes"])}) for o in data["outputs"])
        return cls(tuple(data["inputs"]), outputs, tuple(data.get("options", ())),
                   tuple(data.get("functions", ())), data.get("returns", "tuple"))


def arguments(graded, case, dtype=None):
    """``(args, keywords)`` of one case; with ``dtype`` every float array (also inside lists and
    tuples) is converted to it."""
    def convert(name, value):
        if name in graded.functions:
            return Function(value)
        if dtype and isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return value.astype(dtype)
        if isinstance(value, (list, tuple)) and any(isinstance(v, (np.ndarray, list, tuple)) for v in value):
            return type(value)(convert("", v) for v in value)
        return copy.deepcopy(value)

    keywords = {name: convert(name, case[name]) for name in graded.options if name in case}
    return [convert(name, case[name]) for name in graded.inputs], keywords


def describe(case, dtype=None):
    return case["description"] + (f", {dtype} inputs" if dtype else "")


def judge(function, graded, case, result, dtype=None):
    """Raise StudentCodeError unless ``result`` (what the student's function returned) matches the case."""
    names = tuple(o.name for o in graded.outputs)
    for output, value in zip(graded.outputs, unpack(function, result, names, graded.returns)):
        expected = case[output.name]
        if output.compare != "close":
            check_equal(function, value, expected, what=output.name, case=describe(case, dtype))
        elif isinstance(expected, list):  # a list of arrays (one per gradient): judged one by one
            if not isinstance(value, (list, tuple)) or len(value) != len(expected):
                form = f"{len(value)} items" if isinstance(value, (list, tuple)) else what_it_is(value)
                raise StudentCodeError(f"{function}: {output.name} should be a list of {len(expected)} arrays, "
                                       f"but it is {form} ({describe(case, dtype)})")
            for i, (got, want) in enumerate(zip(value, expected)):
                check_array(function, got, want, what=f"{output.name}[{i}]", case=describe(case, dtype),
                            rtol=output.rtol, atol=output.atol)
        else:
            check_array(function, value, expected, what=output.name, case=describe(case, dtype),
                        rtol=output.rtol, atol=output.atol, axes=output.axes or None)


def in_group(cases, group=None):
    """The cases of one group (a case's optional ``"group"`` field), or all of them: a chapter with one
    graded function splits its cases between tests, so that one mistake costs only its own test."""
    chosen = [case for case in cases if group is None or case.get("group") == group]
    if not chosen:
        raise LookupError(f"no reference case in group {group!r}")
    return chosen


def check(function, dtype=None, group=None):
    """The hidden test of one graded function, run inside the notebook's kernel (plain nbgrader).

    Finds ``function`` among the calling notebook's names, runs it on every reference case (of
    ``group``, if given) and judges each result. (The course's own grader does not run this: it runs student code in a
    sandbox and judges outside it; see :mod:`rnncourse.grading`.)
    """
    from .references import of_function

    caller = sys._getframe(1)  # a notebook cell: its locals are the notebook's globals
    fn = caller.f_locals.get(function, caller.f_globals.get(function))
    graded, cases = of_function(function)
    for case in in_group(cases, group):
        args, keywords = arguments(graded, case, dtype)
        judge(function, graded, case, call(fn, *args, name=function, keywords=keywords), dtype)
