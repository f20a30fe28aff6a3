"""The gradebook on a real PostgreSQL server: `--db URL` writes the scores there, `nbgrader export`
reads the same scores from it as the CSV shows, and no SQLite file is made.

The test starts a throwaway server of its own (Debian's `postgresql` package: initdb and pg_ctl)
in a temporary folder, as an unprivileged user (the server refuses root), on 127.0.0.1 only, and
stops and removes it whatever happens. Without PostgreSQL the tests skip, unless
RNNCOURSE_POSTGRES=required (CI, where scripts/setup.sh installs it) makes them fail.
"""

import csv
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rnncourse.grading import store
from rnncourse.paths import ROOT
from tests.fixtures import build, load

ASSIGNMENT = "01-rnn-cell"
pytestmark = pytest.mark.slow


def postgres_tool(name):
    """initdb or pg_ctl: on PATH, or where Debian puts them (/usr/lib/postgresql/VERSION/bin)."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]
    return found if isinstance(found, str) else (found[0] if found else None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """postgresql://grader@127.0.0.1:PORT/gradebook on a server started here, removed afterwards."""
    initdb, pg_ctl = postgres_tool("initdb"), postgres_tool("pg_ctl")
    if not (initdb and pg_ctl):
        message = "PostgreSQL not found: install Debian's postgresql (sudo apt-get install postgresql)"
        if os.environ.get("RNNCOURSE_POSTGRES") == "required":
            pytest.fail(message + " (RNNCOURSE_POSTGRES=required)")
        pytest.skip(message)
    as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []  # the server refuses root
    folder = Path(tempfile.mkdtemp(prefix="rnncourse-pg-"))
    if os.geteuid() == 0:
        os.chown(folder, 65534, 65534)
    data, port = folder / "data", free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", data, "-U", "grader", "--auth=trust", "--no-sync"],
                       check=True, capture_output=True, cwd=folder)
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -k {folder} -c fsync=off"
        subprocess.run([*as_user, pg_ctl, "-D", data, "-o", options, "-l", folder / "log", "-w", "start"],
                       check=True, capture_output=True, cwd=folder)
        from sqlalchemy import create_engine, text

        admin = create_engine(f"postgresql://grader@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE gradebook"))
        admin.dispose()
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True,
                           cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)


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
    (tmp_path / "class").mkdir()
    build(ASSIGNMENT, "solution", load(ASSIGNMENT)["solution"], tmp_path / "class")
    done = subprocess.run([sys.executable, ROOT / "autograder" / "grade.py", ASSIGNMENT, tmp_path / "class",
                           "--course-dir", tmp_path / "course", "--db", postgres_url, "--jobs", "1"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "already graded: kept" in done.stdout, done.stdout + done.stderr


def test_messages_never_show_the_databases_password(tmp_path):
    assert store.shown("postgresql://grader:s3cret@db.example:5432/course") == "postgresql://grader:***@db.example:5432/course"
    assert store.shown(store.default_url(tmp_path)) == str(tmp_path / "gradebook.db")
    (tmp_path / "class").mkdir()
    build(ASSIGNMENT, "alice", load(ASSIGNMENT)["solution"], tmp_path / "class")
    done = subprocess.run([sys.executable, ROOT / "autograder" / "grade.py", ASSIGNMENT, tmp_path / "class",
                           "--course-dir", tmp_path / "course", "--db", "postgresql://grader:s3cret@127.0.0.1:1/none"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "grader:***@127.0.0.1:1/none cannot be used" in done.stderr, done.stderr
    assert "s3cret" not in done.stdout + done.stderr
