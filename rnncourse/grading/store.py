"""The one writer of grades: each student's JSON record (the truth), nbgrader's gradebook (any
SQLAlchemy URL nbgrader accepts, :mod:`.gradebook`), the feedback page, the notebook's copy in
``submitted/``; then, from the records, the class CSV, the class report and the Canvas export.

The default gradebook is the SQLite file of the course directory (``sqlite:///COURSE/gradebook.db``);
``--db postgresql://USER:PASSWORD@HOST:PORT/DB`` keeps it on a PostgreSQL server instead (the
``psycopg`` driver is in requirements.txt), so that formgrader and ``nbgrader export``
(``--CourseDirectory.db_url=URL``) read the same scores as the CSV. Messages never show a password.
"""

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..feedback import feedback_page
from ..paths import ASSIGNMENT_NOTEBOOK
from . import export, gradebook, report, tables, timing

NOT_GRADED = "not graded"  # the status of a student whose task failed on every try


class GradebookError(Exception):
    """The gradebook cannot be used (one message; the command exits 2)."""


@dataclass
class Result:
    """One student's grade, as the CSV and the summary show it."""

    student_id: str
    name: str
    entry: str
    score: float = 0.0
    status: str = "graded"  # graded, invalid notebook, missing, error (the grader's fault: see review)
    reason: str = ""
    review: str = ""
    tests: dict = field(default_factory=dict)
    seconds: float = 0.0
    messages: dict = field(default_factory=dict)  # test -> why it failed (the class report groups them)
    lms: str = ""  # the LMS whose download named the submission (canvas, moodle, blackboard), else ""
    lms_id: str = ""  # that LMS's own id of the student: the CSV and the Canvas export carry it
    cell_errors: dict = field(default_factory=dict)  # a cell (not a test) that raised when graded -> its error
    mistakes: dict = field(default_factory=dict)  # test -> the known mistakes its failure matched (names)
    hints: dict = field(default_factory=dict)  # each of those mistakes -> its hint


def graded_before(course, assignment, student_id):
    """Whether a student was graded in an earlier run: their record (the gradebook mirrors it), unless
    their task failed on every try then (not graded: this run grades them)."""
    path = course / "grades" / assignment / f"{student_id}.json"
    return path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("status") != NOT_GRADED


def keep_copy(sub, course, assignment):
    """A copy of the notebook in submitted/STUDENT/ASSIGNMENT/, as nbgrader keeps them; its bytes (None
    without a notebook), which are also what a task carries to its worker."""
    if sub.notebook is None:
        return None
    target = course / "submitted" / sub.student_id / assignment
    target.mkdir(parents=True, exist_ok=True)
    data = sub.notebook.read_bytes()
    (target / ASSIGNMENT_NOTEBOOK).write_bytes(data)
    return data


def save(course, assignment, trusted, result, outcome, book, cell_ids=None):
    """The student's JSON record, gradebook entry and feedback page."""
    folder = course / "grades" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    if result.status == NOT_GRADED:
        (folder / f"{result.student_id}.json").write_text(json.dumps(asdict(result), ensure_ascii=False, indent=1))
        return
    book.record(result)  # into the gradebook with others a moment later (a failure is said at the end of the run)
    (folder / f"{result.student_id}.json").write_text(json.dumps(asdict(result), ensure_ascii=False, indent=1))
    page = course / "feedback" / result.student_id / assignment / Path(ASSIGNMENT_NOTEBOOK).with_suffix(".html").name
    page.parent.mkdir(parents=True, exist_ok=True)
    steps = outcome.steps if outcome else []
    page.write_text(feedback_page(f"{assignment} feedback for {result.name}", trusted, steps, result, outcome,
                                  cell_ids=cell_ids, text_cache=folder / ".exercise-text.cache"), encoding="utf-8")


def open_gradebook(course, assignment, points, url=None):
    """nbgrader's gradebook of the course directory (:mod:`.gradebook`), or GradebookError. It mirrors the
    students' records: one a killed run wrote before its gradebook was written is recorded again here."""
    os.environ.update(PATH=gradebook.nbgrader_env()["PATH"])  # nbgrader's commands shell out to this environment's scripts
    try:
        book = gradebook.Gradebook(course, assignment, points, url)
        recorded = book.recorded()
        for record in report.load_records(course, assignment):
            if record.get("status") != NOT_GRADED and abs(recorded.get(record["student_id"], -1) - record["score"]) > 1e-9:
                book.record(Result(**{k: v for k, v in record.items() if k in Result.__dataclass_fields__}))
        book.flush()
        return book
    except Exception as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise GradebookError(f"nbgrader's gradebook {gradebook.shown(url or gradebook.default_url(course))} cannot be used: "
                              f"{type(error).__name__}: {detail}") from None


def close_gradebook(book, out):
    """Write what is pending; say which students a write failed for (their grades are safe elsewhere)."""
    book.close()
    if book.unrecorded:
        print(f"warning: {len(book.unrecorded)} student(s) not written to the gradebook {gradebook.shown(book.url)} "
              f"({book.error}); their grades are in the CSV, and the next run of this command records them",
              file=out)


def write_csv(course, assignment, points):
    """grades/ASSIGNMENT.csv from every student's JSON record (all batches so far)."""
    records = report.load_records(course, assignment)
    rows = [["student", "name", "score", "max_score", "status", "reason", "review", "entry", "lms", "lms_id",
             "mistakes", *points]]
    for r in records:
        rows.append([r["student_id"], r["name"], f"{r['score']:g}", f"{sum(points.values()):g}", r["status"],
                     r["reason"], r["review"], r["entry"], r.get("lms", ""), r.get("lms_id", ""),
                     ";".join(report.mistakes_of(r)), *(f"{r['tests'].get(g, 0):g}" for g in points)])
    return tables.write(course / "grades" / f"{assignment}.csv", rows)


def write_reports(course, assignment, points, out=sys.stdout):
    """The class report and the Canvas export, from every record so far. A failure here is said
    and does not stop the grading: the CSV, the gradebook and the feedback are already written."""
    for what, write in (("class report", lambda: report.write_report(course, assignment, points)),
                        ("Canvas export", lambda: export.write_canvas(course))):
        try:
            with timing.phase(what):
                write()
        except Exception as error:  # noqa: BLE001 (reported, and the grades are safe)
            print(f"warning: the {what} could not be written ({type(error).__name__}: {error})", file=out)
