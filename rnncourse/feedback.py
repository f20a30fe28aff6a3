"""Feedback students may see: graded notebooks without the hidden tests.

An autograded notebook holds each test cell's full source, hidden tests included, and the
tracebacks of failing tests show their code; nbgrader's own feedback renders both (open
upstream issues). Everything released to students goes through this module:

- :func:`feedback_notebook` is what ``autograder/grade.py`` renders for each student;
- :class:`HideHiddenTests` is registered for plain ``nbgrader generate_feedback`` in
  ``autograder/nbgrader_config.py``, so that command is safe too.
"""

import copy
import re

import nbformat
from nbconvert.preprocessors import Preprocessor

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests ran here)"
TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt"}


def sanitize(text):
    """Remove anything that would point at the hidden references, and terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"\S*autograder/\S*|\S*references\S*|\S+\.npz\b", "[hidden]", text)


def visible_source(source):
    """A test cell's source as the student version shows it: everything before the hidden tests."""
    if HIDDEN_BEGIN not in source:
        return source
    return (source.split(HIDDEN_BEGIN)[0].rstrip() + "\n" + HIDDEN_NOTE).lstrip("\n")


def failure_message(cell):
    """What a failing test cell says, in one line, without a traceback (it would show hidden code)."""
    outputs = cell.get("outputs", [])
    if {o.get("ename") for o in outputs if o.output_type == "error"} & TIMEOUT_ERRORS:
        return ("timeout: the test was stopped at the time limit for a cell (a correct answer takes "
                "milliseconds): is there a loop that never ends?")
    for output in outputs:
        if output.output_type == "error":
            return sanitize(f"{output.ename}: {output.evalue}" if output.evalue else output.ename)
        if output.output_type == "stream" and output.name == "stderr":
            return sanitize("the test printed to stderr: " + output.text.strip().splitlines()[-1])
    return "failed"


def _hide(cell):
    """Strip hidden tests from a cell's source and tracebacks from its errors, in place."""
    cell.source = visible_source(cell.source)
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            output.traceback = [failure_message({"outputs": [output]})]


def feedback_notebook(graded, scores):
    """A copy of an autograded notebook for the student: hidden tests removed, each test's score
    and (if it failed) its one-line message printed under it. ``scores``: grade_id -> (earned, possible).
    """
    nb = copy.deepcopy(graded)
    earned = sum(e for e, _ in scores.values())
    possible = sum(p for _, p in scores.values())
    rows = "\n".join(f"| `{gid}` | {e:g} / {p:g} | {'passed' if e == p else 'failed: see below'} |"
                     for gid, (e, p) in scores.items())
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"# Feedback\n\n**Your score: {earned:g} / {possible:g}**\n\n| test | points | |\n|---|---|---|\n{rows}\n\n"
        "Below is your notebook as it was graded. Under each test: its score and, if it failed, what "
        "was wrong. Hidden tests ran where a test cell says so; their code is not shown."))
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in scores and cell.cell_type == "code":
            earned, possible = scores[grade_id]
            message = failure_message(cell) if earned < possible else None
            cell.outputs = [o for o in cell.outputs if o.output_type != "error"
                            and not (o.output_type == "stream" and o.name == "stderr")]
            if message:
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=f"FAILED: {message}\n"))
            cell.outputs.append(nbformat.v4.new_output(
                "stream", name="stdout", text=f"Score for {grade_id}: {earned:g} / {possible:g}\n"))
        _hide(cell)
    return nb


class HideHiddenTests(Preprocessor):
    """nbgrader ``generate_feedback`` preprocessor: no hidden test code, no tracebacks."""

    enabled = True  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        _hide(cell)
        return cell, resources
