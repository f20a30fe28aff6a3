"""The locked ``setup`` cell every exercise starts with: one source, written into every notebook.

What a student checks must fail the way grading does. Graded code runs with numpy, matplotlib and
Python's standard library only (the sandbox's environment, :mod:`rnncourse.grading.sandbox`), but a
student's own Jupyter may have scipy or TensorFlow: an import that works there fails when graded,
and every function of that cell is then missing. So the setup cell of every exercise says what is
available when graded, and puts a small guard on ``builtins.__import__``: an ``import`` written in a
notebook cell (its globals are the notebook's, ``__name__ == "__main__"``) of any top-level module
beyond numpy, matplotlib and the standard library raises ``ModuleNotFoundError`` saying it is not
available when graded. Imports made by libraries (numpy's own, IPython's lazy ones) pass. It runs in
Jupyter, in ``nbgrader validate`` and in the grader's sandbox alike, on any operating system, and
needs nothing but Python. (Plain nbgrader's hidden tests, ``from rnncourse.checks import check``,
pass too; the template does not name the package, so the student version gives nothing away.)

What a student checks must also pass where grading does. The visible tests compare numbers with one
helper defined here, ``assert_close(got, expected, message)``, whose tolerance is the hidden checks'
(:data:`rnncourse.checks.RTOL`, :data:`~rnncourse.checks.ATOL`, written into the template when it is
rendered): a visible test is never stricter than the hidden test of the same function. (A function
whose hidden check has its own tolerance, 09's ``numerical_gradient``, passes that tolerance.)

:data:`TEMPLATE` is the head of every ``solutions/NN-slug/exercise.ipynb``'s setup cell, up to and
including :data:`END`; what follows is the exercise's own set-up (``import numpy as np``, helpers).
``python autograder/write_setup_cells.py`` writes it into every solution notebook (idempotent);
then regenerate the student versions (``nbgrader generate_assignment NN-slug --force``).
"""

import json

from .checks import ATOL, RTOL
from .course import assignments
from .paths import ASSIGNMENT_NOTEBOOK, SOLUTIONS

END = "# ---- end of the course's set-up; this exercise's own follows ----"
ALLOWED = ("numpy", "matplotlib", "mpl_toolkits")
TEMPLATE = f'''# When this exercise is graded, your code runs with numpy, matplotlib and Python's standard library
# only: no scipy, TensorFlow, Keras, pandas or other packages, no files, no network. The lines below
# make importing anything else in this notebook fail here too, as it would when graded, so that the
# tests (and `nbgrader validate`) tell you before your instructor's grader does. Run this cell first.
def _guard_imports():
    import builtins
    import sys

    original = getattr(builtins.__import__, "__wrapped__", builtins.__import__)
    allowed, refused = {{*{ALLOWED!r}, *sys.stdlib_module_names}}, []

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.partition(".")[0]
        hidden_test = name.partition(".")[2] == "checks" and tuple(fromlist or ()) == ("check",)  # plain nbgrader's
        if level == 0 and top not in allowed and not hidden_test and (globals or {{}}).get("__name__") == "__main__":
            refused.append(top)
            raise ModuleNotFoundError(f"No module named {{top!r}} when this exercise is graded: only numpy, "
                                      "matplotlib and Python's standard library are there", name=top)
        return original(name, globals, locals, fromlist, level)

    def explain(shell, kind, error, traceback, tb_offset=None):  # a name missing after such an import says why
        if refused:
            error.args = (f"no {{refused[-1]!r}} when graded (its import failed), so {{error}}",)
        shell.showtraceback((kind, error, traceback), tb_offset=tb_offset)

    guarded.__wrapped__ = original
    builtins.__import__ = guarded
    if hasattr(builtins, "get_ipython"):  # in Jupyter and `nbgrader validate`
        builtins.get_ipython().set_custom_exc((NameError,), explain)


_guard_imports()


def assert_close(got, expected, message, rtol={RTOL!r}, atol={ATOL!r}):
    """The visible tests' one comparison of numbers, with the tolerance the hidden tests allow: every entry
    within atol + rtol * |expected| of `expected` (numpy broadcasting); else AssertionError(message)."""
    import numpy as np

    try:
        close = np.allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)
    except (TypeError, ValueError):  # not numbers, or not of a shape that fits `expected`
        close = False
    assert close, message


{END}
'''


def compose(source):
    """A setup cell's source with the template as its head and the exercise's own lines kept."""
    own = source.split(END, 1)[1] if END in source else source
    return TEMPLATE + own.lstrip("\n")


def setup_cell(nb):
    """The notebook's (JSON dict) locked cell with grade_id "setup"."""
    found = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup"]
    if len(found) != 1:
        raise LookupError(f"{len(found)} cells have grade_id 'setup' (one is needed)")
    return found[0]


def source_of(cell):
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def write(path):
    """Put the template into one notebook's setup cell; True if the file changed."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    cell = setup_cell(nb)
    new = compose(source_of(cell))
    if new == source_of(cell):
        return False
    cell["source"] = new.splitlines(keepends=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return True


def main(argv=None):
    """Write the template into every ``solutions/NN-slug/exercise.ipynb``; say which changed."""
    changed = [a for a in assignments() if write(SOLUTIONS / a / ASSIGNMENT_NOTEBOOK)]
    for a in changed:
        print(f"{a}: setup cell updated; now run: nbgrader generate_assignment {a} --force")
    if not changed:
        print("every setup cell is up to date")
    return 0
