"""The grading command on fixture submissions: each gets exactly its expected score and reason.

One grading run per assignment (module-scoped) over every fixture in tests/fixtures/submissions.py;
03's fixtures are given as a zip, 01's as a folder, as instructors do both.
"""

import csv
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.submissions import SUBMISSIONS, build

ROOT = Path(__file__).resolve().parent.parent
GRADE = [sys.executable, str(ROOT / "autograder" / "grade.py")]
pytestmark = pytest.mark.slow


def run_grade(*args):
    return subprocess.run([*GRADE, *map(str, args)], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module", params=sorted(SUBMISSIONS))
def graded(request, tmp_path_factory):
    assignment = request.param
    tmp = tmp_path_factory.mktemp(assignment)
    folder = tmp / "submissions"
    folder.mkdir()
    for student, fixture in SUBMISSIONS[assignment].items():
        build(assignment, student, fixture, folder)
    if assignment == "03-hihello":  # as a zip of one wrapping folder, like an LMS download
        target = tmp / "class.zip"
        with zipfile.ZipFile(target, "w") as archive:
            for path in folder.iterdir():
                archive.write(path, f"class-download/{path.name}")
    else:
        target = folder
    course = tmp / "course"
    done = run_grade(assignment, target, "--course-dir", course)
    rows = {}
    csv_path = course / "grades" / f"{assignment}.csv"
    if csv_path.exists():
        with open(csv_path) as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
    return assignment, done, course, rows


def test_grading_command_succeeds(graded):
    assignment, done, course, rows = graded
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(rows) == set(SUBMISSIONS[assignment]), "every submission has a row, none is lost"
    assert f"{len(rows)} submissions" in done.stdout


def test_every_fixture_gets_its_exact_score_and_reason(graded):
    assignment, done, course, rows = graded
    problems = []
    for student, fixture in SUBMISSIONS[assignment].items():
        row = rows[student]
        if float(row["score"]) != fixture.score or row["status"] != fixture.status:
            problems.append(f"{student}: got {row['score']} ({row['status']}), expected {fixture.score:g} "
                            f"({fixture.status}); reason: {row['reason']}")
        expected_reasons = fixture.reasons or ("all tests passed",)
        for reason in expected_reasons:
            if reason not in row["reason"]:
                problems.append(f"{student}: reason {row['reason']!r} lacks {reason!r}")
        if row["review"] != fixture.review and not (fixture.review and fixture.review in row["review"]):
            problems.append(f"{student}: review {row['review']!r}, expected {fixture.review!r}")
        if sum(float(row[c]) for c in row if c.startswith("test_")) != float(row["score"]):
            problems.append(f"{student}: the per-test points do not add up to the score")
    assert not problems, "\n".join(problems)


def test_feedback_for_everyone_without_hidden_tests(graded):
    assignment, done, course, rows = graded
    for student, fixture in SUBMISSIONS[assignment].items():
        page = course / "feedback" / student / assignment / "exercise.html"
        assert page.exists(), f"no feedback for {student}"
        text = page.read_text()
        secrets = ["BEGIN HIDDEN TESTS", "load_references", "check_cases", "references/", ".npz",
                   "autograder", "Traceback (most recent call last)"]
        if not fixture.review:  # (a tampering student's own code names the package)
            secrets.append("rnncourse")
        for secret in secrets:
            assert secret not in text, f"{student}'s feedback shows {secret!r}"
        score = f"Score: 0 / {rows[student]['max_score']}" if fixture.status != "graded" else (
            f"Your score: {rows[student]['score']} / {rows[student]['max_score']}")
        assert score in text, f"{student}'s feedback does not say {score!r}"


FEEDBACK_SAYS = {
    "01-rnn-cell": {
        "forgets_h0": ["wrong h_seq for the one-unit case", "Score for test_rnn_forward: 0 / 3",
                       "Score for test_rnn_cell_forward: 2 / 2", "hidden tests ran here"],
        "kernel_crash": ["Score: 0 / 7", "kernel running your notebook died"],
        "invalid_json": ["Score: 0 / 7", "not a valid notebook"],
    },
    "03-hihello": {
        "plausible_mistakes": ["one_hot of a (2, 2) array with depth 4", "Score for test_one_hot: 0 / 2",
                               "Score for test_build_vocab: 2 / 2"],
    },
}


def test_feedback_tells_what_failed(graded):
    assignment, done, course, rows = graded
    for student, snippets in FEEDBACK_SAYS[assignment].items():
        text = (course / "feedback" / student / assignment / "exercise.html").read_text()
        for snippet in snippets:
            assert snippet in text, f"{student}'s feedback lacks {snippet!r}"


def test_gradebook_and_autograded_stay_instructor_side(graded):
    assignment, done, course, rows = graded
    assert (course / "gradebook.db").exists()
    assert (course / "autograded" / "solution" / assignment / "exercise.ipynb").exists()
    assert not (ROOT / "exercises" / assignment / "gradebook.db").exists()


@pytest.mark.parametrize("args, message", [
    (["99-nothing", "."], "unknown assignment '99-nothing'"),
    (["01-rnn-cell", "/no/such/folder"], "no such file or folder: /no/such/folder"),
    (["01-rnn-cell", __file__], "is neither a folder nor a zip file"),
])
def test_instructor_mistakes_exit_2_with_one_line(args, message, tmp_path):
    done = run_grade(*args, "--course-dir", tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_empty_submissions_folder_is_an_instructor_mistake(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_grade("01-rnn-cell", tmp_path / "empty", "--course-dir", tmp_path / "course")
    assert done.returncode == 2 and "no submissions in" in done.stderr


def test_broken_zip_is_an_instructor_mistake(tmp_path):
    broken = tmp_path / "class.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("alice.ipynb", "{}")
    broken.write_bytes(broken.read_bytes()[:30])
    done = run_grade("01-rnn-cell", broken, "--course-dir", tmp_path / "course")
    assert done.returncode == 2


def test_plain_nbgrader_generate_feedback_hides_the_hidden_tests_too(graded):
    """Instructors who know nbgrader may run its own feedback command: our config makes it safe."""
    assignment, done, course, rows = graded
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", assignment, "--force",
                          f"--CourseDirectory.root={course}",
                          f"--CourseDirectory.source_directory={ROOT / 'solutions'}"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    pages = sorted((course / "feedback").glob(f"*/{assignment}/exercise.html"))
    assert len(pages) >= len([f for f in SUBMISSIONS[assignment].values() if f.status == "graded"])
    for page in pages:
        text = page.read_text()
        for secret in ("BEGIN HIDDEN TESTS", "load_references", "check_cases", ".npz"):
            assert secret not in text, f"{page} shows {secret!r}"


def test_discover_finds_every_student_and_loses_none(tmp_path):
    """Folder layouts instructors get from an LMS or from nbgrader; no student is dropped or merged."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("grade", ROOT / "autograder" / "grade.py")
    grade = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grade)
    for name in ("a b.ipynb", "a_b.ipynb", "carol/01-rnn-cell/exercise.ipynb", "dave/my answers.ipynb",
                 "frank/exercise.ipynb", "frank/old/exercise.ipynb", "gina/x.ipynb", "gina/y.ipynb",
                 ".ipynb_checkpoints/a b-checkpoint.ipynb", "__MACOSX/._a b.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    (tmp_path / "erin").mkdir()
    found = {s.student: s for s in grade.discover(tmp_path, "01-rnn-cell", "exercise.ipynb")}
    assert sorted(found) == ["a_b", "a_b-2", "carol", "dave", "erin", "frank", "gina"]
    assert found["carol"].source.name == "exercise.ipynb"
    assert found["dave"].source.name == "my answers.ipynb"
    assert found["frank"].source == tmp_path / "frank" / "exercise.ipynb"
    assert found["erin"].status == "missing" and "no notebook" in found["erin"].reason
    assert found["gina"].status == "missing" and "x.ipynb, y.ipynb" in found["gina"].reason
