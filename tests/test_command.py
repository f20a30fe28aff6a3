"""The grading command as an instructor types it: options anywhere, the wrong assignment caught before
anything is written, the class's numbers after a resume, whole words in the terminal, and CSV files
that no spreadsheet runs as formulas (OWASP's CSV-injection advice) whatever the students named."""

import csv
import json
import os
import subprocess
import sys
import zipfile

import pytest

from rnncourse.grading import command, tables, terminal
from rnncourse.paths import ROOT
from tests.fixtures import build, load

GRADE = [sys.executable, str(ROOT / "autograder" / "grade.py")]
FORMULAS = ['=HYPERLINK("http-evil","x")', "+cmd", "@SUM(A1)", "-2+3"]


def run_grade(*args):
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"], env["PYTHONPATH"] = "/usr/bin:/bin", str(ROOT)
    return subprocess.run([*GRADE, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env)


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_options_may_come_anywhere(tmp_path, capsys):
    """`grade.py 01-rnn-cell --course-dir D SUBS`: SUBS is read as the submissions (here missing: one message)."""
    code = command.main(["01-rnn-cell", "--course-dir", str(tmp_path / "course"), str(tmp_path / "nowhere")])
    assert code == 2 and "no such file or folder" in capsys.readouterr().err


def test_the_wrong_assignment_stops_before_anything_is_written(tmp_path, capsys):
    """Chapter 01 notebooks graded as 06: exit 2, the message names 01, no gradebook, CSV or feedback."""
    fixtures = load("01-rnn-cell")
    (tmp_path / "class").mkdir()
    for name in ("alice", "bob", "carol"):
        build("01-rnn-cell", name, fixtures["solution" if name != "bob" else "untouched"], tmp_path / "class")
    course = tmp_path / "course"
    code = command.main(["06-padding-masking", str(tmp_path / "class"), "--course-dir", str(course)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "3 of the 3 notebooks do not look like 06-padding-masking" in err and "look like 01-rnn-cell (3 of 3)" in err
    assert not course.exists()


@pytest.mark.parametrize("spoil, reason", [
    (lambda nb: nb["cells"][0].pop("source"), "'source' is a required property"),  # JSON, not a notebook
    (lambda nb: nb.update(nbformat="four"), "the file is not a valid notebook"),
])
def test_a_notebook_its_schema_refuses_is_invalid_with_the_reason(tmp_path, spoil, reason):
    """Read (and validated) once: schema errors make the notebook invalid, with nbformat's reason."""
    nb = json.loads((ROOT / "solutions" / "01-rnn-cell" / "exercise.ipynb").read_text())
    spoil(nb)
    (tmp_path / "alice.ipynb").write_text(json.dumps(nb))
    with pytest.raises(ValueError, match="the file is not a valid notebook") as error:
        command.read_submission(tmp_path / "alice.ipynb")
    assert reason in str(error.value)


def test_terminal_reasons_are_cut_at_a_word():
    reason = "test_rnn_forward: " + " ".join(["rnn_forward returned values that differ"] * 12)
    short = terminal.shorten(reason)
    kept, tail = short.split("…")
    assert len(kept) <= 200 and tail == " (in full in the CSV)"
    assert reason.startswith(kept) and reason[len(kept)] == " ", "cut between words, not inside one"
    assert terminal.shorten("all tests passed") == "all tests passed"


def test_every_cell_is_written_safe_and_read_back_as_given(tmp_path):
    path = tables.write(tmp_path / "x.csv", [["name", "score"], *([f, "7"] for f in FORMULAS), ["'plain", "0"]])
    rows = rows_of(path)
    assert [r[0] for r in rows[1:]] == ["'" + f for f in FORMULAS] + ["'plain"]
    assert [tables.unsafe(r[0]) for r in rows[1:]] == FORMULAS + ["'plain"]


@pytest.mark.slow
def test_csv_files_are_safe_and_a_resume_sums_up_the_class(tmp_path):
    """Students named like formulas, in two batches: every cell of every CSV the command writes is safe
    (the class CSV and the Canvas export), and the second summary counts the whole class."""
    fixtures = load("01-rnn-cell")
    course = tmp_path / "course"
    for batch, students in enumerate([FORMULAS[:2] + ["alice"], FORMULAS[2:]]):
        folder = tmp_path / f"batch{batch}"
        folder.mkdir()
        for name in students:
            build("01-rnn-cell", name, fixtures["solution" if name != "alice" else "forgets_h0"], folder)
        done = run_grade("01-rnn-cell", folder, "--course-dir", course, "--jobs", "2")
        assert done.returncode == 0, done.stdout + done.stderr
    # 4 students at 7 and alice at 2: the class's mean, not this run's (7.00)
    assert "class so far: 5 students, mean 6.00 / 7; full marks 4;" in done.stdout, done.stdout
    assert "(this run: 2 graded, 0 kept)" in done.stdout
    written = [course / "grades" / "01-rnn-cell.csv", course / "grades" / "canvas.csv"]
    for path in written:
        for row in rows_of(path):
            assert not [c for c in row if c.startswith(tables.FORMULA)], (path.name, row)
    names = {r[1] for r in rows_of(written[0])[1:]}
    assert names == {"'" + f for f in FORMULAS} | {"alice"}
    assert {r[0] for r in rows_of(written[1])[2:]} == names


@pytest.mark.slow
def test_a_canvas_download_is_graded_by_canvas_id(tmp_path):
    """A Canvas zip with a resubmission: one row per student (the latest attempt graded, the earlier one
    listed as superseded), the Canvas user id in the CSV and as the export's ID, the roster matched on it."""
    fixtures = load("01-rnn-cell")
    staging = tmp_path / "staging"
    staging.mkdir()
    files = {"smithalice_LATE_101_5101_exercise": "forgets_h0", "smithalice_LATE_101_5190_exercise-1": "solution",
             "jonesbob_102_5102_exercise": "solution"}
    for name, fixture in files.items():
        build("01-rnn-cell", name, fixtures[fixture], staging)
    download = tmp_path / "course-01-rnn-cell submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for path in staging.iterdir():
            archive.write(path, path.name)
    course = tmp_path / "course"
    course.mkdir()
    with open(course / "roster.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
                                 ["Smith, Alice", "101", "S1", "alice@uni.edu", "A"],
                                 ["Jones, Bob", "102", "S2", "bob@uni.edu", "B"]])
    done = run_grade("01-rnn-cell", download, "--course-dir", course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("ignored smithalice_LATE_101_5101_exercise.ipynb: superseded: an earlier attempt (canvas id 101); "
            "graded: smithalice_LATE_101_5190_exercise-1.ipynb") in done.stdout
    grades = {r[0]: r for r in rows_of(course / "grades" / "01-rnn-cell.csv")}
    assert {s: (r[1], r[2], r[8], r[9]) for s, r in grades.items() if s != "student"} == {
        "jonesbob_102": ("jonesbob", "7", "canvas", "102"), "smithalice_101": ("smithalice", "7", "canvas", "101")}
    assert rows_of(course / "grades" / "canvas.csv")[2:] == [["Jones, Bob", "102", "S2", "bob@uni.edu", "B", "7"],
                                                              ["Smith, Alice", "101", "S1", "alice@uni.edu", "A", "7"]]
    assert "not matched" not in done.stdout
