"""What a chapter module declares besides its graded functions: its catalogue of known mistakes.

A :class:`Mistake` is a plausible wrong answer to one graded function, written as a student would
write it: ``code`` is the source of the whole wrong function (and any helper it needs), run in a
notebook where the solution's other functions are defined. The reference maker runs every mistake on
the hidden inputs and stores its outputs with the references; when a student's output fails a check
and matches a mistake's on that check's cases, the feedback adds the ``hint``: one or two sentences in
the student's terms that point at the cause without giving the answer away. Fixtures that show a
mistake take its code from the catalogue (one home per mistake). A chapter writes its correct answer
once and each mistake as :func:`variant` of it, the one place it changes.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    function: str  # the graded function it answers wrongly
    name: str  # a short identifier, unique in its chapter: "transposed_recurrent_kernel"
    hint: str  # what the student should look at, never the expected values
    code: str  # the wrong function's source


def variant(correct, old, new):
    """``correct`` with ``old`` replaced by ``new``: a mistake written as the one change it makes to the
    correct answer. ``old`` must occur exactly once in ``correct``, so the change lands where it is meant to."""
    found = correct.count(old)
    if found != 1:
        raise ValueError(f"{old!r} occurs {found} times in the correct answer, not once")
    return correct.replace(old, new)
