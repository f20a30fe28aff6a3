"""Feedback students may see: graded notebooks without the hidden tests.

An autograded notebook holds each test cell's full source, hidden tests included, and the
tracebacks of failing tests show their code; nbgrader's own feedback renders both (open
upstream issues). Everything released to students goes through this module:

- :func:`feedback_page` is the page ``autograder/grade.py`` writes for each student;
- :class:`HideHiddenTests` is registered for plain ``nbgrader generate_feedback`` in
  ``autograder/nbgrader_config.py``, so that command is safe too.

The page looks like the book (:data:`STYLE`: the book theme's fonts and colours) and renders the
exercise's own text, math included, with the MathJax the book serves: :func:`install_mathjax`
copies the bundle ``scripts/setup.sh`` fetched (``_static_extra/mathjax/``) once into
``feedback/_static/mathjax/``, and every page, at ``feedback/STUDENT/ASSIGNMENT/exercise.html``,
loads it as ``../../_static/mathjax/tex-mml-chtml.js`` (no network). MathJax typesets only the
instructor's text (class ``tex2jax_process``); nothing a student wrote or caused is ever typeset.
"""

import hashlib
import html
import json
import re
import shutil
from functools import cache
from pathlib import Path

import nbformat

from .paths import ASSIGNMENT_NOTEBOOK, EXERCISES, ROOT

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_NOTE = "# (hidden tests ran here)"
TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt"}
MATHJAX_SOURCE = ROOT / "_static_extra" / "mathjax"  # what scripts/setup.sh fetches for the book
MATHJAX_FOLDER = Path("_static") / "mathjax"  # under feedback/: not a student id (ids start with a letter or digit)
MATHJAX_URL = "../../_static/mathjax/tex-mml-chtml.js"  # from feedback/STUDENT/ASSIGNMENT/exercise.html


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
# The book's look (sphinx-book-theme's light palette, system fonts), small enough to inline in every page;
# the class report (rnncourse.grading.report) uses it too.
STYLE = """:root{--primary:#0a7d91;--text:#222832;--muted:#5d6673;--surface:#f3f4f5;--border:#d1d5da;
--ok:#00843f;--bad:#c0223b;--code:#912583}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:1rem;
line-height:1.65;color:var(--text);background:#fff;max-width:56rem;margin:0 auto;padding:2rem 1.25rem 4rem}
h1,h2,h3{line-height:1.25;font-weight:600;margin:2rem 0 .8rem}h1{font-size:1.9rem;margin-top:.5rem}
h2{font-size:1.45rem;padding-bottom:.3rem;border-bottom:1px solid var(--border)}h3{font-size:1.2rem}
a{color:var(--primary)}a:hover{color:#085d6c}
code,pre{font-family:SFMono-Regular,Menlo,Consolas,"Liberation Mono","Lucida Console",monospace;font-size:.875em}
:not(pre)>code{color:var(--code);background:var(--surface);padding:.1em .25em;border-radius:.2rem}
pre{background:var(--surface);border:1px solid var(--border);border-radius:.3rem;padding:.7rem 1rem;
overflow-x:auto;line-height:1.45}pre code{color:inherit;background:none;padding:0}
table{border-collapse:collapse;margin:1rem 0 1.5rem}caption{text-align:left;color:var(--muted);padding:.3rem 0}
th,td{padding:.35rem .8rem;text-align:left;vertical-align:top;border-bottom:1px solid var(--border)}
th{border-bottom:2px solid var(--text);font-weight:600}
.passed{color:var(--ok)}.failed{color:var(--bad)}.result{font-weight:600;margin:.2rem 0 1.4rem}
.score{font-size:1.15rem}.instructions{border-left:3px solid var(--primary);padding:.1rem 0 .1rem 1rem;margin:1.5rem 0}
.instructions h3{font-size:1.3rem}.instructions h4{font-size:1.1rem}.muted{color:var(--muted)}
.hint{color:var(--text);font-weight:400}"""
# MathJax typesets only elements of class tex2jax_process (the exercise's own text): the body is tex2jax_ignore.
MATHJAX_CONFIG = ("window.MathJax={tex:{inlineMath:[['$','$'],['\\\\(','\\\\)']],displayMath:[['$$','$$'],"
                  "['\\\\[','\\\\]']],processEscapes:true},options:{ignoreHtmlClass:'tex2jax_ignore',"
                  "processHtmlClass:'tex2jax_process'}};")


def install_mathjax(feedback_dir):
    """Copy the book's MathJax into ``feedback_dir/_static/mathjax`` (once per version); False if the
    bundle is not there (``scripts/setup.sh`` fetches it): the pages then show the math as TeX."""
    if not (MATHJAX_SOURCE / "tex-mml-chtml.js").is_file():
        return False
    target = Path(feedback_dir) / MATHJAX_FOLDER
    versions = sorted(p.name for p in MATHJAX_SOURCE.glob(".version-*"))
    if (target / "tex-mml-chtml.js").is_file() and versions and all((target / v).exists() for v in versions):
        return True
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(MATHJAX_SOURCE, target)
    return True


def instructions(assignment_name, cache=None):
    """The text of the exercise students received (``exercises/``), as HTML: a tuple of
    (grade_id of the code cell that follows, or None, HTML of the markdown cells before it).

    ``cache``: a JSON file keeping it for the same notebook (its SHA-256), so that a later run
    need not import nbconvert's Markdown renderer (about a second) to make the same HTML again."""
    try:
        data = (EXERCISES / assignment_name / ASSIGNMENT_NOTEBOOK).read_bytes()
    except OSError:
        return ()
    key = hashlib.sha256(data).hexdigest()
    try:
        saved = json.loads(cache.read_text(encoding="utf-8")) if cache else {}
        if saved.get("key") == key:
            return tuple((anchor, text) for anchor, text in saved["notes"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    notes = _rendered(key, data)
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"key": key, "notes": notes}), encoding="utf-8")
    return notes


@cache
def _rendered(key, data):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except ValueError:
        return ()
    notes, pending = [], []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            text = re.sub(r"<a class=\"anchor-link\"[^>]*>.*?</a>", "", markdown2html_mistune(cell.source))
            # under the page's h1 and h2: the exercise's own headings start at h3
            pending.append(re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m[1]}h{min(6, int(m[2]) + 2)}", text))
        elif cell.cell_type == "code" and pending:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            notes.append((grade_id if isinstance(grade_id, str) else None, "".join(pending)))
            pending = []
    if pending:
        notes.append((None, "".join(pending)))
    return tuple(notes)


def _instruction_blocks(notes):
    return [f"<div class='instructions tex2jax_process'>{text}</div>" for _, text in notes]


def feedback_page(title, assignment, steps, result, outcome, *, cell_ids=None, mathjax=MATHJAX_URL, text_cache=None):
    """The student's feedback as one HTML page: the score table first, then their notebook's code as
    graded, each test with its visible code, its score and the grader's own message, and between
    the cells the exercise's own text (from ``exercises/``, with its math) where it stands there.

    ``cell_ids`` maps a step label of the student's own cells ("cell N") to the nbgrader grade_id
    that cell had in the submission, to place the text; ``mathjax`` is the script's URL (None: none);
    ``text_cache`` keeps the exercise's text as HTML between runs (:func:`instructions`).
    Nothing the student's code printed or raised reaches the page except through those messages
    (already cleaned and capped by the engine); no hidden test code, no reference file names.
    """
    esc = html.escape
    total = sum(assignment.points.values())

    def hints(test):  # the known mistakes this test's failure matched (never on a passed test)
        names = (outcome.mistakes.get(test, ()) if outcome and result.tests.get(test, 0) != assignment.points[test]
                 else ())
        return "".join(f"<br><span class='hint'>Hint ({esc(n)}): {esc(assignment.hint(n))}</span>" for n in names)

    rows = "".join(
        f"<tr><td><code>{esc(g)}</code></td><td>{result.tests.get(g, 0):g} / {p:g}</td>"
        f"<td class={'passed' if result.tests.get(g, 0) == p else 'failed'}>"
        f"{'passed' if result.tests.get(g, 0) == p else esc(outcome.messages.get(g, 'failed') if outcome else result.reason)}"
        f"{hints(g)}</td></tr>" for g, p in assignment.points.items())
    body = [f"<h1>{esc(title)}</h1>", f"<p class='score'><strong>Your score: {result.score:g} / {total:g}</strong></p>",
            f"<table><thead><tr><th scope='col'>test</th><th scope='col'>points</th><th scope='col'>result</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"]
    if outcome is None:
        body.append(f"<p>Score: 0 / {total:g}. Your submission could not be graded: {esc(result.reason)}.</p>")
    else:
        body.append("<h2>Your notebook as it was graded</h2><p>Hidden tests ran where a test cell says so; "
                    "their code is not shown. The exercise's text is shown where it stands in the exercise.</p>")
        notes = list(instructions(assignment.name, text_cache))
        shown_notes = 0
        cell_ids = cell_ids or {}
        shown = 0
        for step in steps:
            grade_id = step.label if step.label in assignment.locked else cell_ids.get(step.label)
            place = next((i for i, (anchor, _) in enumerate(notes) if anchor == grade_id and grade_id), -1)
            if place >= shown_notes:  # this cell's text, and any text before it not shown yet
                body.extend(_instruction_blocks(notes[shown_notes:place + 1]))
                shown_notes = place + 1
            source = step.source if len(step.source) <= CELL_LIMIT else step.source[:CELL_LIMIT] + "\n# [cut]"
            shown += len(source)
            if shown > PAGE_LIMIT and not step.test:
                source = f"# ({step.label}: not shown, the page is long enough)"
            if step.checks:
                source = source.rstrip() + "\n" + HIDDEN_NOTE
            body.append(f"<pre><code>{esc(source)}</code></pre>")
            if step.label in outcome.cell_errors:
                body.append(f"<p class='result failed'>This cell raised an error when graded, so nothing after the "
                            f"error in it was defined: {esc(outcome.cell_errors[step.label])}</p>")
            if step.test:
                earned, possible = result.tests.get(step.label, 0), assignment.points[step.label]
                message = "" if earned == possible else (
                    f"FAILED: {esc(outcome.messages.get(step.label, 'failed'))}{hints(step.label)}<br>")
                body.append(f"<p class='result {'passed' if earned == possible else 'failed'}'>{message}"
                            f"Score for {esc(step.label)}: {earned:g} / {possible:g}</p>")
        body.extend(_instruction_blocks(notes[shown_notes:]))
    script = (f"<script>{MATHJAX_CONFIG}</script><script defer src='{esc(mathjax)}'></script>" if mathjax else "")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{STYLE}</style>{script}</head><body class='tex2jax_ignore'><main>{''.join(body)}</main></body></html>\n")


@cache
def _hide_hidden_tests():
    """The nbgrader ``generate_feedback`` preprocessor, made on first use: nbconvert is imported only
    when nbgrader asks for it (the grading command never does; it costs a second to import)."""
    from nbconvert.preprocessors import Preprocessor

    class HideHiddenTests(Preprocessor):
        """nbgrader ``generate_feedback`` preprocessor: no hidden test code, no tracebacks."""

        enabled = True  # nbconvert's preprocessors are off unless enabled

        def preprocess_cell(self, cell, resources, index):
            _hide(cell)
            return cell, resources

    HideHiddenTests.__module__ = __name__
    return HideHiddenTests


def __getattr__(name):  # rnncourse.feedback.HideHiddenTests, as autograder/nbgrader_config.py names it
    if name == "HideHiddenTests":
        return _hide_hidden_tests()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
