"""The exercises: generated student versions up to date, references up to date, layout, nbgrader from the root."""

import filecmp
import re
import subprocess
import sys

import nbformat
import pytest

from rnncourse.course import assignments, chapter
from rnncourse.grading.gradebook import nbgrader_env
from rnncourse.paths import ASSIGNMENT_NOTEBOOK, EXERCISES, ROOT, SOLUTIONS

GRADED = {assignment: sorted(chapter(assignment).GRADED) for assignment in assignments()}
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def nbgrader(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=nbgrader_env())


def cells(path):
    return nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_notebooks_carry_no_outputs(folder):
    for path in sorted((ROOT / folder).rglob("*.ipynb")):
        for cell in cells(path):
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path} has outputs"


@pytest.mark.parametrize("assignment", sorted(GRADED))
def test_solution_defines_and_tests_every_graded_function(assignment):
    nb = cells(SOLUTIONS / assignment / ASSIGNMENT_NOTEBOOK)
    solutions = "\n".join(c.source for c in nb if c.metadata.get("nbgrader", {}).get("solution"))
    tests = [c for c in nb if c.metadata.get("nbgrader", {}).get("grade")]
    hidden = "\n".join(m for c in tests for m in HIDDEN.findall(c.source))
    for function in GRADED[assignment]:
        assert f"def {function}(" in solutions, f"no solution cell defines {function}"
        assert f'check("{function}"' in hidden, f"no hidden test checks {function} against its references"
    for cell in tests:
        meta = cell.metadata.nbgrader
        assert meta["locked"] and meta["points"] > 0, f"{meta['grade_id']} should be locked and worth points"
        assert HIDDEN.search(cell.source), f"{meta['grade_id']} has no hidden Keras comparison"


@pytest.mark.parametrize("assignment", sorted(GRADED))
def test_student_version_gives_nothing_away(assignment):
    text = (EXERCISES / assignment / ASSIGNMENT_NOTEBOOK).read_text()
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "rnncourse", "check(", ".npz", "tensorflow"):
        assert secret not in text, f"the student version contains {secret!r}"
    stubs = [c for c in cells(EXERCISES / assignment / ASSIGNMENT_NOTEBOOK)
             if c.metadata.get("nbgrader", {}).get("solution")]
    assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)


@pytest.mark.slow
def test_exercises_are_what_nbgrader_generates_today(tmp_path):
    """exercises/ is generated: plain `nbgrader generate_assignment` from the root reproduces it."""
    release = tmp_path / "release"
    for assignment in assignments():
        done = nbgrader("generate_assignment", assignment, "--force",
                        f"--CourseDirectory.root={tmp_path}", f"--CourseDirectory.source_directory={SOLUTIONS}",
                        f"--CourseDirectory.release_directory={release}")
        assert done.returncode == 0, done.stdout + done.stderr
        fresh, committed = release / assignment, EXERCISES / assignment
        diff = filecmp.dircmp(fresh, committed)
        assert not (diff.left_only or diff.right_only), f"{assignment}: files differ {diff.left_only} {diff.right_only}"
        for name in diff.common_files:
            assert (fresh / name).read_bytes() == (committed / name).read_bytes(), (
                f"exercises/{assignment}/{name} is out of date: run "
                f"`nbgrader generate_assignment {assignment} --force` from the repository root")


@pytest.mark.slow
def test_references_are_reproduced_by_the_reference_maker():
    done = subprocess.run([sys.executable, str(ROOT / "autograder" / "make_references.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("up to date") == len(assignments()), done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(GRADED))
def test_plain_nbgrader_validate_from_the_root(assignment):
    """Students' command: the solution passes, the untouched student version fails every test."""
    solved = nbgrader("validate", f"solutions/{assignment}/{ASSIGNMENT_NOTEBOOK}")
    assert "Success! Your notebook passes all the tests." in solved.stdout, solved.stdout + solved.stderr
    untouched = nbgrader("validate", f"exercises/{assignment}/{ASSIGNMENT_NOTEBOOK}")
    assert "VALIDATION FAILED" in untouched.stdout
    failing = untouched.stdout.count("The following cell failed:")
    # every test cell with visible checks fails on the stubs (hidden-only cells show just a docstring)
    visible = [c for c in cells(EXERCISES / assignment / ASSIGNMENT_NOTEBOOK)
               if c.metadata.get("nbgrader", {}).get("grade") and c.source.strip().count("\n") > 0]
    assert failing == len(visible) > 0, untouched.stdout
