"""Grade a class's submissions of one assignment: the instructor's one command.

    python autograder/grade.py ASSIGNMENT SUBMISSIONS [--course-dir DIR] [--jobs N] [--regrade]

SUBMISSIONS is a folder or a .zip (an LMS download): one ``STUDENT.ipynb`` per student, or one
folder (or zip) per student holding the notebook, in section folders or not (the rules:
:mod:`rnncourse.grading.intake`). Every entry is graded or listed as ignored with its reason.

Each student's code runs in a sandbox (:mod:`.sandbox`) and is judged outside it (:mod:`.engine`).
The command writes, in the course directory (the repository root by default):

- ``gradebook.db``: every score, as nbgrader's own (formgrader and ``nbgrader export`` agree);
- ``submitted/STUDENT/ASSIGNMENT/``: a copy of each notebook, as nbgrader keeps them;
- ``grades/ASSIGNMENT.csv``: per student the name, id, score, status, reason, review and points
  per test (every student graded so far, all batches), with ``grades/ASSIGNMENT/STUDENT.json``;
- ``feedback/STUDENT/ASSIGNMENT/exercise.html``: the score, each test's own message, no hidden test.

A student already graded is kept as is unless ``--regrade``. Exit 2 is for the instructor's
mistakes (unknown assignment, a bad path or zip, an ambiguous layout, no sandbox), with one
message; one student's notebook never stops the others; Ctrl-C stops and keeps what was graded.
"""

import argparse
import csv
import json
import os
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .. import references
from ..course import assignments
from ..feedback import feedback_page
from ..paths import ASSIGNMENT_NOTEBOOK, REFERENCES, ROOT, SOLUTIONS
from . import engine, intake, sandbox


class InstructorError(Exception):
    """A mistake in the command line or its input: one message, exit code 2."""


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


def nbgrader_env():
    """This environment, with its scripts first on PATH: nbgrader shells out to `alembic` and
    `jupyter`, which must be this environment's, however the grader was started."""
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}


def sandbox_site():
    """The numpy-only environment student code imports from (scripts/setup.sh makes it)."""
    return Path(sys.prefix) / "sandbox"


def verify_references(assignment):
    """Refuse references that are not the ones the reference maker wrote (SHA256SUMS beside them)."""
    sums = dict(line.split()[::-1] for line in (REFERENCES / "SHA256SUMS").read_text().splitlines() if line)
    path = references.path_of(assignment)
    if not path.is_file() or sums.get(path.name) != references.checksum(path):
        raise InstructorError(f"{path} is missing or is not what make_references.py wrote (checksum); "
                              "run `python autograder/make_references.py` and review the change")


def read_submission(path):
    """The notebook, or ValueError with a reason a student understands."""
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # JSON, encoding or schema errors
        detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ValueError(f"the file is not a valid notebook ({engine.clean(detail)})") from None
    return nb


class Gradebook:
    """nbgrader's gradebook of the course directory: the assignment's cells, then each score."""

    def __init__(self, course, assignment):
        from nbgrader.api import Gradebook as NbgraderGradebook
        from nbgrader.preprocessors import SaveCells

        os.environ.update(PATH=nbgrader_env()["PATH"])  # nbgrader runs `alembic` to set up the database
        self.assignment, self.url = assignment, f"sqlite:///{course / 'gradebook.db'}"
        try:
            warnings.simplefilter("ignore")  # nbgrader's own deprecation warnings
            self.db = NbgraderGradebook(self.url)
            self.db.update_or_create_assignment(assignment)
            source = nbformat.read(SOLUTIONS / assignment / ASSIGNMENT_NOTEBOOK, as_version=4)
            resources = {"nbgrader": {"db_url": self.url, "assignment": assignment,
                                      "notebook": Path(ASSIGNMENT_NOTEBOOK).stem}}
            SaveCells().preprocess(source, resources)
        except Exception as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise InstructorError(f"nbgrader's gradebook {course / 'gradebook.db'} cannot be used: "
                                  f"{type(error).__name__}: {detail}") from None

    def graded(self, student_id):
        from nbgrader.api import MissingEntry

        try:
            self.db.find_submission(self.assignment, student_id)
            return True
        except MissingEntry:
            return False

    def record(self, result):
        if self.graded(result.student_id):
            self.db.remove_submission(self.assignment, result.student_id)
        self.db.update_or_create_student(result.student_id, first_name=result.name)
        self.db.add_submission(self.assignment, result.student_id)
        for grade_id, points in result.tests.items():
            grade = self.db.find_grade(grade_id, Path(ASSIGNMENT_NOTEBOOK).stem, self.assignment, result.student_id)
            grade.auto_score = points
        self.db.db.commit()

    def close(self):
        self.db.close()


def write_csv(course, assignment, points):
    """grades/ASSIGNMENT.csv from every student's JSON record (all batches so far)."""
    records = [json.loads(p.read_text()) for p in sorted((course / "grades" / assignment).glob("*.json"))]
    path = course / "grades" / f"{assignment}.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["student", "name", "score", "max_score", "status", "reason", "review", "entry", *points])
        for r in records:
            writer.writerow([r["student_id"], r["name"], f"{r['score']:g}", f"{sum(points.values()):g}", r["status"],
                             r["reason"], r["review"], r["entry"], *(f"{r['tests'].get(g, 0):g}" for g in points)])
    return path


class Progress:
    """A bar with count and ETA on a terminal; one line per submission otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream, self.start = total, 0, stream, time.monotonic()
        self.tty = stream.isatty()

    def step(self, result, max_score):
        self.done += 1
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        if self.tty:
            bar = "#" * (30 * self.done // self.total)
            self.stream.write(f"\r[{bar:<30}] {self.done}/{self.total}  ETA {eta:4.0f} s ")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {result.student_id}: {result.score:g} / {max_score:g} "
                              f"({result.status}, {result.seconds:.2f} s)\n")
        self.stream.flush()


def grade_class(assignment, submissions, course, jobs=2, regrade=False, unprotected=False, out=sys.stdout):
    """Grade every submission found in ``submissions``; return (results, ignored, kept, csv path)."""
    if assignment not in assignments():
        raise InstructorError(f"unknown assignment {assignment!r}; the course has: {', '.join(assignments())}")
    verify_references(assignment)
    missing = sandbox.missing_protections()
    if missing and not unprotected:
        raise InstructorError(f"student code cannot be sandboxed here ({', '.join(missing)} missing): "
                              f"{sandbox.HOW}; or pass --unprotected to grade without these protections")
    if not sandbox_site().is_dir():
        raise InstructorError(f"{sandbox_site()} is missing: run `bash scripts/setup.sh`")
    course = Path(course).resolve()
    if Path(submissions).is_dir() and course.is_relative_to(Path(submissions).resolve()):
        raise InstructorError(f"the course directory {course} is inside the submissions folder {submissions}: "
                              "choose another --course-dir")
    course.mkdir(parents=True, exist_ok=True)
    print(f"protections: {', '.join(k for k, v in sandbox.protections().items() if v and not unprotected) or 'NONE'}"
          + (f"; missing: {', '.join(missing)}" if missing else ""), file=out)
    options = engine.Options(unprotected=unprotected, python_paths=(str(sandbox_site()),))
    trusted = engine.load_assignment(assignment)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            found, ignored = intake.collect(Path(submissions), notebook=ASSIGNMENT_NOTEBOOK, assignment=assignment,
                                            scratch=Path(scratch))
        except intake.IntakeError as error:
            raise InstructorError(str(error)) from None
        gradebook = Gradebook(course, assignment)
        kept = [s for s in found if not regrade and gradebook.graded(s.student_id)]
        todo = [s for s in found if s not in kept]
        work = [(s, prepare(s, course, assignment)) for s in todo]
    results, progress = [], Progress(len(work))
    pool = ThreadPoolExecutor(max(1, jobs))
    try:
        futures = [pool.submit(grade_one, trusted, sub, nb, options) for sub, nb in work]
        for future in as_completed(futures):
            result, outcome = future.result()
            save(course, assignment, trusted, result, outcome, gradebook)
            results.append(result)
            progress.step(result, sum(trusted.points.values()))
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(results)} of {len(work)} graded and kept; run again for the rest", file=out)
        pool.shutdown(wait=False, cancel_futures=True)
        engine.stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gradebook.close()
        write_csv(course, assignment, trusted.points)
    return sorted(results, key=lambda r: r.student_id), ignored, kept, course / "grades" / f"{assignment}.csv"


def prepare(sub, course, assignment):
    """Keep a copy of the notebook in submitted/ and read it: the node, or the reason it has none."""
    if sub.notebook is None:
        return sub.problem or "no notebook"
    target = course / "submitted" / sub.student_id / assignment
    target.mkdir(parents=True, exist_ok=True)
    data = sub.notebook.read_bytes()
    (target / ASSIGNMENT_NOTEBOOK).write_bytes(data)
    try:
        return read_submission(target / ASSIGNMENT_NOTEBOOK)
    except ValueError as error:
        return str(error)


def grade_one(trusted, sub, nb, options):
    result = Result(sub.student_id, sub.name, sub.entry, tests={g: 0.0 for g in trusted.points})
    if isinstance(nb, str):
        result.status = "missing" if sub.notebook is None else "invalid notebook"
        result.reason = nb
        return result, None
    try:
        outcome = engine.grade(trusted, nb, options)
    except Exception as error:  # the grader's own fault: this student is kept, the others go on
        result.status, result.review = "error", f"the grader failed on this notebook ({type(error).__name__}: {error})"
        result.reason = "your notebook could not be graded; your instructor has been told why"
        return result, None
    result.tests, result.seconds = outcome.scores, outcome.seconds
    result.score = sum(outcome.scores.values())
    result.reason = "; ".join(f"{g}: {m}" for g, m in outcome.messages.items()) or "all tests passed"
    result.review = "; ".join(outcome.review)
    return result, outcome


def save(course, assignment, trusted, result, outcome, gradebook):
    """The student's JSON record, gradebook entry and feedback page."""
    folder = course / "grades" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    try:
        gradebook.record(result)
    except Exception as error:  # the CSV and feedback still have the grade
        result.review = "; ".join(filter(None, [result.review, f"not in gradebook.db ({type(error).__name__}: {error})"]))
    (folder / f"{result.student_id}.json").write_text(json.dumps(asdict(result), ensure_ascii=False, indent=1))
    page = course / "feedback" / result.student_id / assignment / Path(ASSIGNMENT_NOTEBOOK).with_suffix(".html").name
    page.parent.mkdir(parents=True, exist_ok=True)
    steps = outcome.steps if outcome else []
    page.write_text(feedback_page(f"{assignment} feedback for {result.name}", trusted, steps, result, outcome),
                    encoding="utf-8")


def print_summary(assignment, results, ignored, kept, max_score, csv_path, course, out=sys.stdout):
    print(f"{assignment}: {len(results)} submissions graded, max score {max_score:g}", file=out)
    width = max([len(r.student_id) for r in results] + [8])
    for r in results:
        note = "" if r.reason == "all tests passed" else f"  {r.status}: {r.reason[:150]}"
        print(f"  {r.student_id:<{width}}  {r.score:>5g} / {max_score:g}{note}", file=out)
        if r.review:
            print(f"  {'':<{width}}  REVIEW: {r.review}", file=out)
    for s in kept:
        print(f"  {s.student_id:<{width}}  already graded: kept (--regrade to grade again)", file=out)
    for i in ignored:
        print(f"  ignored {i.entry}: {i.reason}", file=out)
    if results:
        mean = sum(r.score for r in results) / len(results)
        print(f"mean {mean:.2f} / {max_score:g}; full marks {sum(r.score == max_score for r in results)}; "
              f"not gradable {sum(r.status != 'graded' for r in results)}; to review {sum(bool(r.review) for r in results)}",
              file=out)
    print(f"grades:   {csv_path}\nfeedback: {course / 'feedback'}/<student>/{assignment}/ (no hidden tests inside)",
          file=out)


def main(argv=None):
    """The command line of ``autograder/grade.py``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[2:]))
    parser.add_argument("assignment", help="e.g. 01-rnn-cell (a folder of solutions/)")
    parser.add_argument("submissions", help="a folder or a .zip of the class's notebooks")
    parser.add_argument("--course-dir", default=str(ROOT), help="where gradebook.db, submitted/, grades/ and "
                                                                "feedback/ go (default: the repository root)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded side by side")
    parser.add_argument("--regrade", action="store_true", help="grade again students already graded")
    parser.add_argument("--unprotected", action="store_true",
                        help="grade even where student code cannot be sandboxed (trust every student)")
    args = parser.parse_args(argv)
    try:
        results, ignored, kept, csv_path = grade_class(args.assignment, args.submissions, args.course_dir,
                                                       args.jobs, args.regrade, args.unprotected)
    except InstructorError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    max_score = sum(engine.load_assignment(args.assignment).points.values())
    print_summary(args.assignment, results, ignored, kept, max_score, csv_path, Path(args.course_dir).resolve())
    return 0
