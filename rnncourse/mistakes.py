"""Which known mistake a wrong answer matches: the trusted side of the hints (issue #17).

The reference maker runs each catalogued mistake (:class:`~rnncourse.spec.Mistake`) on the hidden
inputs and stores, per case, what it gave (:func:`outcome`): its outputs, or the type of the
exception it raised. When a student's function fails a check, :func:`matching` compares what it gave
on that check's cases with every stored mistake, with the check's own tolerance (an output that is
NaN or infinite must be so at the same places). The hint is shown when exactly one mistake matches
on every case of the check; a student that raised matches a mistake that raised the same exception
type on that case (or, like it, modified its input in place). Only numpy is imported here.
"""

import re

import numpy as np

from .checks import StudentCodeError, check_equal, unpack

RAISED = "raised"


MODIFIED = "modified its input"


def raised_type(function, message):
    """The exception type in a failed call's message ('rnn_forward raised ValueError at line 3: ...'),
    :data:`MODIFIED` when the call changed its arguments in place, or None when there is nothing to
    match (not defined, not implemented)."""
    if re.match(rf"{re.escape(function)} {MODIFIED}", message or ""):
        return MODIFIED
    found = re.match(rf"{re.escape(function)} raised ([A-Za-z_][A-Za-z0-9_.]*)", message or "")
    return found.group(1) if found else None


def outcome(graded, function, result=None, raised=None):
    """What a mistake gave on one case, as the references store it: ``{output: value}`` or
    ``{"raised": type}``. None when its result has the wrong form (a tuple of the wrong length)."""
    if raised:
        return {RAISED: raised}
    try:
        values = unpack(function, result, tuple(o.name for o in graded.outputs), graded.returns)
    except StudentCodeError:
        return None
    stored = {}
    for output, value in zip(graded.outputs, values):
        if output.compare == "close" and isinstance(value, (list, tuple)):
            value = [np.asarray(v) for v in value]
        elif output.compare == "close" or isinstance(value, np.generic):
            value = np.asarray(value)
        stored[output.name] = value
    return stored


def _close(got, want, output):
    try:
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape or got.dtype.kind not in "biuf" or want.dtype.kind not in "biuf":
            return False
        return bool(np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=output.rtol,
                                atol=output.atol, equal_nan=True))
    except (TypeError, ValueError):
        return False


def _equal(function, got, want):
    """Exactly what the mistake gave: an array of the same shape, kind of dtype and values (a mistake's
    float indices match a student's float indices), or the same text, list or dict."""
    if isinstance(want, np.ndarray):
        if not isinstance(got, (np.ndarray, np.generic, list, tuple)):
            return False
        got = np.asarray(got)
        kind = {"u": "i"}
        return (got.shape == want.shape and kind.get(got.dtype.kind, got.dtype.kind) ==
                kind.get(want.dtype.kind, want.dtype.kind) and bool(np.array_equal(got, want)))
    try:
        check_equal(function, got, want)
    except StudentCodeError:
        return False
    return True


def agrees(function, graded, stored, result=None, raised=None):
    """Whether a student's result (or the exception type it raised) is what a mistake gave on a case."""
    if RAISED in stored or raised:
        return stored.get(RAISED) == raised
    try:
        values = unpack(function, result, tuple(o.name for o in graded.outputs), graded.returns)
    except StudentCodeError:
        return False
    for output, got in zip(graded.outputs, values):
        want = stored[output.name]
        if output.compare != "close":
            if not _equal(function, got, want):
                return False
        elif isinstance(want, list):
            if not isinstance(got, (list, tuple)) or len(got) != len(want) or not all(
                    _close(g, w, output) for g, w in zip(got, want)):
                return False
        elif not _close(got, want, output):
            return False
    return True


def matching(function, graded, cases, outcomes):
    """The names of the mistakes that agree with the student on every case of a check.

    ``outcomes``: per case, ``(result, raised)``: what the student's function returned, or the
    exception type it raised (:func:`raised_type`)."""
    if not cases or len(outcomes) != len(cases):
        return []
    names = set.intersection(*(set(case.get("mistakes", {})) for case in cases))
    return sorted(name for name in names
                  if all(agrees(function, graded, case["mistakes"][name], result, raised)
                         for case, (result, raised) in zip(cases, outcomes)))


def identify(function, graded, cases, outcomes, stored, passed=()):
    """The one known mistake a failed check's outcomes match, or None.

    When several match, the mistakes of another function whose error shows through in this one (a
    helper it calls) are left out if the student's own version of that function passed its tests: a
    sequence loss that ignores its weights and a cross-entropy reduced to one mean give the same loss,
    but a student whose cross-entropy passed has not made the second. ``stored``: the function's
    :func:`rnncourse.references.hints`; ``passed``: the functions whose tests the student passed."""
    names = matching(function, graded, cases, outcomes)
    if len(names) > 1:
        names = [n for n in names if not (stored[n]["of"] != function and stored[n]["of"] in passed)]
    return names[0] if len(names) == 1 else None


def known(cases):
    """Whether any mistake is stored with these cases (else there is nothing to match)."""
    return any(case.get("mistakes") for case in cases)
