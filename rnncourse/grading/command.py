"""Grade a class's submissions of one assignment, or of every assignment: the instructor's one command.

    python autograder/grade.py ASSIGNMENT SUBMISSIONS [--course-dir DIR] [--jobs N] [--regrade]
    python autograder/grade.py --all CLASS_FOLDER [--course-dir DIR] [--jobs N] [--regrade]

SUBMISSIONS is a folder or a .zip (an LMS download): one ``STUDENT.ipynb`` per student, or one
folder (or zip) per student holding the notebook, in section folders or not (the rules:
:mod:`rnncourse.grading.intake`). Every entry is graded or listed as ignored with its reason.
CLASS_FOLDER holds one such folder (or .zip) per assignment, named like the assignment
(``01-rnn-cell/``, ``03-hihello.zip``): each is graded in course order, anything else is listed
as skipped, and one summary ends the run.

Each student's code runs in a sandbox (:mod:`.sandbox`) and is judged outside it (:mod:`.engine`), on
Dask workers or in this process (:mod:`.runner`); :mod:`.store`, the only writer, keeps each result as it
arrives, and :mod:`.terminal` says what happened. In the course directory (the repository root by default):

- ``gradebook.db``: every score, as nbgrader's own (formgrader and ``nbgrader export`` agree);
- ``submitted/STUDENT/ASSIGNMENT/``: a copy of each notebook, as nbgrader keeps them;
- ``grades/ASSIGNMENT.csv``: per student the name, id, score, status, reason, review and points
  per test (every student graded so far, all batches), with ``grades/ASSIGNMENT/STUDENT.json``;
- ``grades/ASSIGNMENT.html``: the class report (:mod:`.report`), rewritten after every run;
- ``grades/canvas.csv``: every assignment's scores in Canvas's gradebook import format (:mod:`.export`);
- ``feedback/STUDENT/ASSIGNMENT/exercise.html``: the score, each test's own message, no hidden test;
  it loads the book's MathJax from ``feedback/_static/mathjax/`` (copied there).

A student already graded is kept as is unless ``--regrade``. Exit 2 is for the instructor's
mistakes (unknown assignment, a bad path or zip, an ambiguous layout, no sandbox), with one
message (with --all: a missing class folder or no sandbox stops at once; an assignment folder
that cannot be graded is reported and the others are graded, then the exit code is 2); one
student's notebook never stops the others; Ctrl-C stops and keeps what was graded.
"""

import argparse
import difflib
import itertools
import os
import sys
import tempfile
import time
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import feedback, references
from ..course import assignments
from ..paths import ASSIGNMENT_NOTEBOOK, REFERENCES, ROOT
from . import engine, fit, intake, runner, sandbox, store, terminal, timing


class InstructorError(Exception):
    """A mistake in the command line or its input: one message, exit code 2."""


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
        invalid = {}  # nbformat.reads validates (once): its error, if any, lands here
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4, capture_validation_error=invalid)
        if invalid:
            raise invalid["ValidationError"]
    except Exception as error:  # JSON, encoding or schema errors
        detail = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ValueError(f"the file is not a valid notebook ({engine.clean(detail)})") from None
    return nb


def read_notebook(sub):
    """The submission's notebook node, or the reason it has none (nothing is written)."""
    if sub.notebook is None:
        return sub.problem or "no notebook"
    try:
        return read_submission(sub.notebook)
    except ValueError as error:
        return str(error)


def check_sandbox(unprotected):
    """Refuse to grade where student code cannot be sandboxed (unless told); return what is missing."""
    missing = sandbox.missing_protections()
    if missing and not unprotected:
        raise InstructorError(f"student code cannot be sandboxed here ({', '.join(missing)} missing): "
                              f"{sandbox.HOW}; or pass --unprotected to grade without these protections")
    if not sandbox.sandbox_site().is_dir():
        raise InstructorError(f"{sandbox.sandbox_site()} is missing: run `bash scripts/setup.sh`")
    return missing


def grade_class(assignment, submissions, course, jobs=2, regrade=False, unprotected=False, out=sys.stdout,
                scheduler=None, db=None, cluster=None):
    """Grade every submission found in ``submissions``; return (results, ignored, kept, csv path).
    ``cluster``: a running :class:`runner.Runner` to grade on (else one is started for this run)."""
    if assignment not in assignments():
        raise InstructorError(f"unknown assignment {assignment!r}; the course has: {', '.join(assignments())}")
    verify_references(assignment)
    missing = check_sandbox(unprotected)
    course = Path(course).resolve()
    if Path(submissions).is_dir() and course.is_relative_to(Path(submissions).resolve()):
        raise InstructorError(f"the course directory {course} is inside the submissions folder {submissions}: "
                              "choose another --course-dir")
    options = engine.Options(unprotected=unprotected, python_paths=(str(sandbox.sandbox_site()),))
    trusted = engine.load_assignment(assignment)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            with timing.phase("intake: find and read the notebooks"):
                found, ignored = intake.collect(Path(submissions), notebook=ASSIGNMENT_NOTEBOOK,
                                                assignment=assignment, scratch=Path(scratch))
                notebooks = [read_notebook(s) for s in found]
        except intake.IntakeError as error:
            raise InstructorError(str(error)) from None
        with timing.phase("intake: find and read the notebooks"):
            wrong = fit.mismatch(assignment, [nb for nb in notebooks if not isinstance(nb, str)])
        if wrong:  # before anything is written
            raise InstructorError(wrong)
        (course / "grades").mkdir(parents=True, exist_ok=True)
        try:
            feedback.install_mathjax(course / "feedback")
        except OSError as error:  # the pages still work, with the math as TeX
            print(f"warning: MathJax not copied for the feedback pages ({error})", file=out)
        print(f"protections: {', '.join(k for k, v in sandbox.protections().items() if v and not unprotected) or 'NONE'}"
              + (f"; missing: {', '.join(missing)}" if missing else ""), file=out)
        kept = [s for s in found if not regrade and store.graded_before(course, assignment, s.student_id)]
        work = [(s, nb) for s, nb in zip(found, notebooks) if s not in kept]
        copied = [store.keep_copy(sub, course, assignment) for sub, _ in work]  # read once, for the task too
        tasks = [runner.Task(assignment, sub.student_id, sub.name, sub.entry, data, options, lms=sub.lms,
                             lms_id=sub.lms_id) for (sub, nb), data in zip(work, copied) if not isinstance(nb, str)]
    results, progress = [], terminal.Progress(len(work))
    local = [(sub, nb) for sub, nb in work if isinstance(nb, str)]  # missing or invalid: nothing to run
    started, opening = time.perf_counter(), None
    try:
        graded = ((None, runner.grade_one(trusted, sub, nb, options)) for sub, nb in local)
        with nullcontext(cluster) if cluster else runner.Runner(jobs, scheduler, len(tasks), out) as cluster:
            opening = gradebook_in_background(course, assignment, trusted.points, db)
            for task, record in itertools.chain(graded, cluster.grade(tasks)):
                result, outcome, cell_ids = record if not isinstance(record, str) else (runner.not_graded(task, record, trusted),
                                                                                       None, {})
                with timing.phase("save: record, gradebook, feedback page"):
                    store.save(course, assignment, trusted, result, outcome, opening.result(), cell_ids)
                results.append(result)
                progress.step(result, sum(trusted.points.values()), cluster.workers)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(results)} of {len(work)} graded and kept; run again for the rest", file=out)
        engine.stop_all()
        raise
    finally:
        timing.SPENT["grading (sandboxed), save included"] = time.perf_counter() - started
        if opening and opening.exception() is None:  # waits for it: a gradebook that could not open was said
            store.close_gradebook(opening.result(), out)
        with timing.phase("class CSV"):
            store.write_csv(course, assignment, trusted.points)
        store.write_reports(course, assignment, trusted.points, out)
    if opening.exception() is not None:  # nobody to grade, and the gradebook cannot be used: still say so
        raise opening.exception()
    return sorted(results, key=lambda r: r.student_id), ignored, kept, course / "grades" / f"{assignment}.csv"


def gradebook_in_background(course, assignment, points, db):
    """A future of nbgrader's gradebook, opened (SQLAlchemy's import: a third of a second) while the
    sandboxes grade. Started once Dask is imported and its cluster up: two threads importing at once
    can each meet a module the other is still initialising (a Python import race)."""
    opener = ThreadPoolExecutor(1)
    opening = opener.submit(timed, "gradebook: open", store.open_gradebook, course, assignment, points, db)
    opener.shutdown(wait=False)  # the one task still runs; its thread ends with it
    return opening


def timed(name, function, *args):
    with timing.phase(name):
        return function(*args)


@dataclass
class AssignmentRun:
    """One assignment of a grade-all run: its results, or why it could not be graded."""

    assignment: str
    source: Path
    results: list = field(default_factory=list)
    ignored: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    error: str = ""


def find_assignments(class_folder):
    """({assignment: its folder or zip}, [(entry, why it is skipped)]) of a class folder."""
    folder = Path(class_folder)
    if not folder.exists():
        raise InstructorError(f"no such class folder: {folder}")
    if not folder.is_dir():
        raise InstructorError(f"{folder} is not a folder: --all takes a folder holding one folder (or zip) "
                              "of submissions per assignment")
    known = assignments()
    found, skipped, clash = {}, [], set()
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        is_zip = entry.suffix.lower() == ".zip" and entry.is_file() and not entry.is_symlink()
        name = entry.name[:-4] if is_zip else entry.name
        if entry.is_symlink():
            skipped.append((entry.name, "a symbolic link (not followed)"))
        elif name in known and (is_zip or entry.is_dir()):
            if name in found:
                clash.add(name)
            found[name] = entry
        else:
            near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]}?" if near else f" (the course has: {', '.join(known)})"
            what = "folder" if entry.is_dir() else "file"
            skipped.append((entry.name, f"this {what} is not named like an assignment of the course{hint}"))
    for name in sorted(clash):
        del found[name]
        skipped.append((name, f"both a folder and a zip are named {name}: keep one"))
    return found, skipped


def grade_all(class_folder, course, jobs=2, regrade=False, unprotected=False, out=sys.stdout, scheduler=None, db=None):
    """Grade every assignment found in ``class_folder``; return ([AssignmentRun], skipped entries)."""
    found, skipped = find_assignments(class_folder)
    course = Path(course).resolve()
    if course.is_relative_to(Path(class_folder).resolve()):
        raise InstructorError(f"the course directory {course} is inside the class folder {class_folder}: "
                              "choose another --course-dir")
    if not found:
        raise InstructorError(f"no assignment in the class folder {class_folder}: name each folder (or zip) "
                              f"of submissions like its assignment ({', '.join(assignments())})")
    check_sandbox(unprotected)
    runs = []
    with runner.Runner(jobs, scheduler, None, out) as cluster:  # one cluster for every assignment
        for assignment in (a for a in assignments() if a in found):
            print(f"\n== {assignment}: {found[assignment]}", file=out)
            run = AssignmentRun(assignment, found[assignment])
            try:
                run.results, run.ignored, run.kept, _ = grade_class(assignment, found[assignment], course, jobs, regrade,
                                                                    unprotected, out, scheduler, db, cluster)
            except (InstructorError, store.GradebookError) as error:
                run.error = str(error)
                print(f"{assignment}: not graded: {error}", file=out)
            runs.append(run)
    return runs, skipped


def main(argv=None):
    """The command line of ``autograder/grade.py``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[2:]))
    parser.add_argument("assignment", nargs="?", help="e.g. 01-rnn-cell (a folder of solutions/)")
    parser.add_argument("submissions", nargs="?", help="a folder or a .zip of the class's notebooks")
    parser.add_argument("--all", metavar="CLASS_FOLDER", dest="class_folder",
                        help="grade every assignment of CLASS_FOLDER: one folder or .zip of submissions per "
                             "assignment, named like it (e.g. 01-rnn-cell/)")
    parser.add_argument("--course-dir", default=str(ROOT), help="where gradebook.db, submitted/, grades/ and "
                                                                "feedback/ go (default: the repository root)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="submissions graded side by side: the local Dask cluster's worker processes")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=os.environ.get(runner.SCHEDULER_ENV),
                        help=f"grade on an existing Dask cluster, e.g. tcp://HOST:8786 (default: ${runner.SCHEDULER_ENV}; "
                             "unset: a local cluster of --jobs workers)")
    parser.add_argument("--db", metavar="URL", help="nbgrader's gradebook, any SQLAlchemy URL nbgrader accepts, e.g. "
                                                    "postgresql://USER@HOST/DB (default: sqlite:///COURSE_DIR/gradebook.db)")
    parser.add_argument("--regrade", action="store_true", help="grade again students already graded")
    parser.add_argument("--unprotected", action="store_true",
                        help="grade even where student code cannot be sandboxed (trust every student)")
    args = parser.parse_intermixed_args(argv)  # options anywhere, as instructors type them
    if args.class_folder is not None and (args.assignment or args.submissions):
        parser.error("give either ASSIGNMENT SUBMISSIONS or --all CLASS_FOLDER, not both")
    if args.class_folder is None and not (args.assignment and args.submissions):
        parser.error("give ASSIGNMENT SUBMISSIONS (one assignment) or --all CLASS_FOLDER (every assignment)")
    course = Path(args.course_dir).resolve()
    try:
        if args.class_folder is not None:
            runs, skipped = grade_all(args.class_folder, args.course_dir, args.jobs, args.regrade, args.unprotected,
                                      scheduler=args.scheduler, db=args.db)
            terminal.print_class_summary(runs, skipped, course)
            terminal.print_export_notes(course)
            return 2 if any(run.error for run in runs) else 0
        results, ignored, kept, csv_path = grade_class(args.assignment, args.submissions, args.course_dir,
                                                       args.jobs, args.regrade, args.unprotected,
                                                       scheduler=args.scheduler, db=args.db)
    except (InstructorError, store.GradebookError, runner.ClusterError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    max_score = sum(engine.load_assignment(args.assignment).points.values())
    terminal.print_summary(args.assignment, results, ignored, kept, max_score, csv_path, course)
    terminal.print_export_notes(course)
    timing.write()
    return 0
