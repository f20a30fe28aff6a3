"""The gradebook on a real PostgreSQL server: `--db URL` writes the scores there, `nbgrader export`
reads the same scores from it as the CSV shows, and no SQLite file is made.

The test starts a throwaway server of its own (Debian's `postgresql` package: initdb and pg_ctl)
in a temporary folder, as an unprivileged user (the server refuses root), on 127.0.0.1 only, and
stops and removes it whatever happens. Without PostgreSQL the tests skip, unless
RNNCOURSE_POSTGRES=required (CI, where scripts/setup.sh installs it) makes them fail.
"""

import csv
import os
import subprocess
import sys

import pytest

from rnncourse.grading import gradebook
from rnncourse.paths import ROOT
from tests import postgres_server
from tests.fixtures import build, load

ASSIGNMENT = "01-rnn-cell"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres_url():
    """postgresql://grader@127.0.0.1:PORT/gradebook on a server started here, removed afterwards."""
    if not postgres_server.available():
        if os.environ.get("RNNCOURSE_POSTGRES") == "required":
            pytest.fail(postgres_server.INSTALL + " (RNNCOURSE_POSTGRES=required)")
        pytest.skip(postgres_server.INSTALL)
    with postgres_server.server() as url:
        yield url


def test_the_gradebook_on_postgresql_has_the_csvs_scores_and_nbgrader_export_reads_them(postgres_url, tmp_path):
    fixtures = load(ASSIGNMENT)
    (tmp_path / "class").mkdir()
    for student in ("solution", "forgets_h0", "untouched"):
        build(ASSIGNMENT, student, fixtures[student], tmp_path / "class")
    course = tmp_path / "course"
    done = subprocess.run([sys.executable, ROOT / "autograder" / "grade.py", ASSIGNMENT, tmp_path / "class",
                           "--course-dir", course, "--db", postgres_url, "--jobs", "1"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (course / "gradebook.db").exists(), "no SQLite gradebook beside the PostgreSQL one"
    with open(course / "grades" / f"{ASSIGNMENT}.csv") as f:
        ours = {row["student"]: float(row["score"]) for row in csv.DictReader(f)}
    assert ours == {"solution": 7, "forgets_h0": 2, "untouched": 0}
    exported = tmp_path / "export.csv"
    done = subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--CourseDirectory.db_url={postgres_url}",
                           f"--to={exported}"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(exported) as f:
        theirs = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT}
    assert theirs == ours


def test_a_later_run_against_postgresql_keeps_who_is_graded(postgres_url, tmp_path):
    """The same command again on the same course: the student graded by the first run is kept, and the
    PostgreSQL gradebook holds their submission once."""
    from nbgrader.api import Gradebook

    (tmp_path / "class").mkdir()
    build(ASSIGNMENT, "carol", load(ASSIGNMENT)["solution"], tmp_path / "class")
    command = [sys.executable, ROOT / "autograder" / "grade.py", ASSIGNMENT, tmp_path / "class",
               "--course-dir", tmp_path / "course", "--db", postgres_url, "--jobs", "1"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0 and "carol" in first.stdout and "already graded: kept" not in first.stdout, first.stdout + first.stderr
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "already graded: kept" in done.stdout, done.stdout + done.stderr
    with Gradebook(postgres_url) as gradebook:
        students = [s.student.id for s in gradebook.assignment_submissions(ASSIGNMENT)]
    assert students.count("carol") == 1


def test_messages_never_show_the_databases_password(tmp_path):
    assert gradebook.shown("postgresql://grader:s3cret@db.example:5432/course") == "postgresql://grader:***@db.example:5432/course"
    assert gradebook.shown(gradebook.default_url(tmp_path)) == str(tmp_path / "gradebook.db")
    (tmp_path / "class").mkdir()
    build(ASSIGNMENT, "alice", load(ASSIGNMENT)["solution"], tmp_path / "class")
    done = subprocess.run([sys.executable, ROOT / "autograder" / "grade.py", ASSIGNMENT, tmp_path / "class",
                           "--course-dir", tmp_path / "course", "--db", "postgresql://grader:s3cret@127.0.0.1:1/none"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "grader:***@127.0.0.1:1/none cannot be used" in done.stderr, done.stderr
    assert "s3cret" not in done.stdout + done.stderr
