"""The setup cell every exercise starts with (rnncourse.setup_cell): one source in every notebook, and an
import guard that makes an import grading does not have fail where the student checks their work."""

import json
import os
import subprocess
import sys

import nbformat
import pytest

from rnncourse import setup_cell
from rnncourse.course import assignments
from rnncourse.grading.gradebook import nbgrader_env
from rnncourse.paths import ASSIGNMENT_NOTEBOOK, EXERCISES, ROOT, SOLUTIONS


@pytest.mark.parametrize("folder", [SOLUTIONS, EXERCISES], ids=["solutions", "exercises"])
def test_every_exercise_starts_with_the_template(folder):
    """If this fails: python autograder/write_setup_cells.py, then nbgrader generate_assignment NN-slug --force."""
    stale = [a for a in assignments() if not setup_cell.source_of(setup_cell.setup_cell(
        json.loads((folder / a / ASSIGNMENT_NOTEBOOK).read_text(encoding="utf-8")))).startswith(setup_cell.TEMPLATE)]
    assert not stale, f"setup cells not written from the template: {stale}"


def test_writing_is_idempotent_and_keeps_the_exercises_own_lines(tmp_path):
    path = tmp_path / ASSIGNMENT_NOTEBOOK
    nb = nbformat.read(SOLUTIONS / "08-lstm-gru" / ASSIGNMENT_NOTEBOOK, as_version=4)
    own = setup_cell.source_of(setup_cell.setup_cell(nb)).split(setup_cell.END)[1]
    setup_cell.setup_cell(nb)["source"] = "import numpy as np\n" + own.split("import numpy as np\n", 1)[1]
    nbformat.write(nb, path)
    assert setup_cell.write(path) and not setup_cell.write(path)
    source = setup_cell.source_of(setup_cell.setup_cell(json.loads(path.read_text())))
    assert source == setup_cell.TEMPLATE + own.lstrip("\n") and "def sigmoid" in source


GUARDED = """
import builtins, json, sys
namespace = {"__name__": "__main__"}
exec(compile(TEMPLATE, "<setup>", "exec"), namespace)
exec(compile(TEMPLATE, "<setup>", "exec"), namespace)  # run twice: one guard, not two
assert builtins.__import__.__wrapped__.__name__ == "__import__" and "guarded" not in repr(builtins.__import__.__wrapped__)
results = {}
for code in CELLS:
    try:
        exec(code, namespace)
        results[code] = "ok"
    except ModuleNotFoundError as error:
        results[code] = f"{error.name}: {error}"
exec("import scipy.special", {"__name__": "a_library"})  # a library's own import passes
print(json.dumps(results))
"""


def test_the_guard_refuses_in_cells_only_what_grading_lacks():
    cells = ["import numpy as np, json, os.path, matplotlib.pyplot as plt\nfrom rnncourse.checks import check",
             "from scipy.special import expit",
             "import tensorflow as tf", "from pandas import DataFrame", "from rnncourse.framework import x"]
    code = f"TEMPLATE = {setup_cell.TEMPLATE!r}\nCELLS = {cells!r}\n" + GUARDED
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results[cells[0]] == "ok"
    for cell, module in zip(cells[1:], ("scipy", "tensorflow", "pandas", "rnncourse")):
        assert results[cell] == (f"{module}: No module named '{module}' when this exercise is graded: only numpy, "
                                 "matplotlib and Python's standard library are there")


@pytest.mark.slow
def test_nbgrader_validate_fails_as_grading_does(tmp_path):
    """The issue's notebook: a correct exercise 08 with scipy's expit passed `nbgrader validate` and lost half
    its points when graded; now validate fails on it, at the import, in a real kernel."""
    from tests.fixtures import build, load

    path = build("08-lstm-gru", "exercise", load("08-lstm-gru")["imports_scipy"], tmp_path)
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", str(path)], capture_output=True, text=True,
                          cwd=ROOT, env=nbgrader_env())
    out = done.stdout + done.stderr
    assert "VALIDATION FAILED" in out and "Success" not in out, out
    assert "NameError: no 'scipy' when graded (its import failed), so name 'lstm_" in out, out


def template_assert_close():
    """The template's ``assert_close``, defined alone (running the whole template would guard this process's imports)."""
    source = "def assert_close" + setup_cell.TEMPLATE.split("def assert_close", 1)[1].split(setup_cell.END)[0]
    namespace = {}
    exec(source, namespace)
    return namespace["assert_close"]


def test_visible_tests_compare_with_the_hidden_checks_tolerance():
    """assert_close's tolerance is rnncourse.checks' (rendered into the template), on both sides of its edge."""
    import inspect

    import numpy as np

    from rnncourse import checks

    assert_close = template_assert_close()
    defaults = inspect.signature(assert_close).parameters
    assert (defaults["rtol"].default, defaults["atol"].default) == (checks.RTOL, checks.ATOL)
    edge = checks.ATOL + checks.RTOL * 2.0  # allowed around the expected value 2.0
    assert_close(2.0 + 0.99 * edge, 2.0, "inside")
    with pytest.raises(AssertionError, match="^outside$"):
        assert_close(2.0 + 1.01 * edge, 2.0, "outside")
    # the case: a correct float32 softmax of [1000, 1000, 0] is within the course's tolerance
    z = np.array([1000.0, 1000.0, 0.0], dtype=np.float32)
    lse = np.log(np.sum(np.exp(z - z.max()))) + z.max()
    assert_close(np.exp(z - lse), [0.5, 0.5, 0.0], "float32 log-sum-exp softmax")
    assert_close(np.array([0.5, 0.25], dtype=object), [0.5, 0.25], "an array of Python numbers is numbers")
    for wrong in (np.array([np.nan, 0.25]), "0.5", [[0.5], [0.25, 1.0]]):  # NaN, not numbers, ragged
        with pytest.raises(AssertionError, match="^no$"):
            assert_close(wrong, [0.5, 0.25], "no")


def visible_code(assignment):
    """The visible part of each test cell of a solution notebook: {grade_id: source}."""
    nb = json.loads((SOLUTIONS / assignment / ASSIGNMENT_NOTEBOOK).read_text(encoding="utf-8"))
    return {c["metadata"]["nbgrader"]["grade_id"]: setup_cell.source_of(c).split("### BEGIN HIDDEN TESTS")[0]
            for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


@pytest.mark.parametrize("assignment", assignments())
def test_visible_tests_are_not_stricter_than_the_hidden_checks(assignment):
    """Numbers are compared with assert_close only (no np.allclose / np.isclose with their own tolerance), with
    the course's tolerance or one a hidden check of this chapter uses; values are not required to be numpy arrays."""
    import ast

    from rnncourse.course import chapter

    hidden = {(o.rtol, o.atol) for graded in chapter(assignment).GRADED.values() for o in graded.outputs}
    for grade_id, code in visible_code(assignment).items():
        tree = ast.parse(code)
        constants = {t.id: ast.literal_eval(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Dict)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            assert name not in ("np.allclose", "np.isclose", "math.isclose"), f"{assignment} {grade_id}: {name} (use assert_close)"
            if name == "isinstance":
                assert "np.ndarray" not in ast.unparse(node), f"{assignment} {grade_id}: any array-like will do"
            if name == "assert_close":
                given = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
                for k in node.keywords:
                    if k.arg is None:
                        given |= constants[ast.unparse(k.value)]
                if given:
                    assert (given["rtol"], given["atol"]) in hidden, f"{assignment} {grade_id}: a tolerance no hidden check uses"
