"""Feedback students may see: graded notebooks without the hidden tests.

An autograded notebook holds each test cell's full source, hidden tests included, and the
tracebacks of failing tests show their code; nbgrader's own feedback renders both (open
upstream issues). Everything released to students goes through this module:

- :func:`feedback_page` is the page ``autograder/grade.py`` writes for each student;
- :class:`HideHiddenTests` is registered for plain ``nbgrader generate_feedback`` in
  ``autograder/nbgrader_config.py``, so that command is safe too.
"""

import html
import re

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


CELL_LIMIT = 20_000  # characters of one cell shown back to the student
PAGE_LIMIT = 200_000  # characters of code on one page: past it, cells are listed by name only
STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;border-left:3px solid #ccc}
.passed{color:#176117}.failed{color:#a40e26}.result{font-weight:600;margin:.2rem 0 1.2rem}"""


def feedback_page(title, assignment, steps, result, outcome):
    """The student's feedback as one self-contained HTML page: the score table first, then their
    notebook's code as graded, each test with its visible code, its score and the grader's own message.

    Nothing the student's code printed or raised reaches the page except through those messages
    (already cleaned and capped by the engine); no hidden test code, no reference file names.
    """
    esc = html.escape
    rows = "".join(
        f"<tr><td><code>{esc(g)}</code></td><td>{result.tests.get(g, 0):g} / {p:g}</td>"
        f"<td class={'passed' if result.tests.get(g, 0) == p else 'failed'}>"
        f"{'passed' if result.tests.get(g, 0) == p else esc(outcome.messages.get(g, 'failed') if outcome else result.reason)}"
        f"</td></tr>" for g, p in assignment.points.items())
    body = [f"<h1>{esc(title)}</h1>", f"<p><strong>Your score: {result.score:g} / {sum(assignment.points.values()):g}</strong></p>",
            f"<table><tr><th>test</th><th>points</th><th></th></tr>{rows}</table>"]
    if outcome is None:
        body.append(f"<p>Score: 0 / {sum(assignment.points.values()):g}. Your submission could not be graded: "
                    f"{esc(result.reason)}.</p>")
    else:
        body.append("<h2>Your notebook as it was graded</h2><p>Hidden tests ran where a test cell says so; "
                    "their code is not shown.</p>")
        shown = 0
        for step in steps:
            source = step.source if len(step.source) <= CELL_LIMIT else step.source[:CELL_LIMIT] + "\n# [cut]"
            shown += len(source)
            if shown > PAGE_LIMIT and not step.test:
                source = f"# ({step.label}: not shown, the page is long enough)"
            if step.checks:
                source = source.rstrip() + "\n" + HIDDEN_NOTE
            body.append(f"<pre><code>{esc(source)}</code></pre>")
            if step.test:
                earned, possible = result.tests.get(step.label, 0), assignment.points[step.label]
                message = "" if earned == possible else f"FAILED: {esc(outcome.messages.get(step.label, 'failed'))}<br>"
                body.append(f"<p class='result {'passed' if earned == possible else 'failed'}'>{message}"
                            f"Score for {esc(step.label)}: {earned:g} / {possible:g}</p>")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


class HideHiddenTests(Preprocessor):
    """nbgrader ``generate_feedback`` preprocessor: no hidden test code, no tracebacks."""

    enabled = True  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        _hide(cell)
        return cell, resources
