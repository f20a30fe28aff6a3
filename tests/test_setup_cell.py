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
from rnncourse.grading.command import nbgrader_env
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
