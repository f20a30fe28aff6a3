"""Grade a class's submissions of one assignment, or of every assignment: the instructor's one command.

    python autograder/grade.py ASSIGNMENT SUBMISSIONS [--course-dir DIR] [--jobs N] [--regrade]
    python autograder/grade.py --all CLASS_FOLDER [--course-dir DIR] [--jobs N] [--regrade]

SUBMISSIONS is a folder or a .zip (an LMS download): one ``STUDENT.ipynb`` per student, or one
folder (or zip) per student holding the notebook, in section folders or not (the rules:
:mod:`rnncourse.grading.intake`). Every entry is graded or listed as ignored with its reason.
CLASS_FOLDER holds one such folder (or .zip) per assignment, named like the assignment
(``01-rnn-cell/``, ``03-hihello.zip``): each is graded in course order, anything else is listed
as skipped, and one summary ends the run.

Each student's code runs in a sandbox (:mod:`.sandbox`) and is judged outside it (:mod:`.engine`).
The command writes, in the course directory (the repository root by default):

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
import json
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .. import feedback, references
from ..course import assignments
from ..feedback import feedback_page
from ..paths import ASSIGNMENT_NOTEBOOK, REFERENCES, ROOT
from . import engine, export, fit, gradebook, intake, report, runner, sandbox, store, tables, timing


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
    messages: dict = field(default_factory=dict)  # test -> why it failed (the class report groups them)
    lms: str = ""  # the LMS whose download named the submission (canvas, moodle, blackboard), else ""
    lms_id: str = ""  # that LMS's own id of the student: the CSV and the Canvas export carry it
    cell_errors: dict = field(default_factory=dict)  # a cell (not a test) that raised when graded -> its error
    mistakes: dict = field(default_factory=dict)  # test -> the known mistakes its failure matched (names)
    hints: dict = field(default_factory=dict)  # each of those mistakes -> its hint


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


def open_gradebook(course, assignment, points, url=None):
    """nbgrader's gradebook of the course directory (:mod:`.gradebook`), or InstructorError. It mirrors the
    students' records: one a killed run wrote before its gradebook was written is recorded again here."""
    os.environ.update(PATH=nbgrader_env()["PATH"])  # nbgrader's commands shell out to this environment's scripts
    try:
        book = gradebook.Gradebook(course, assignment, points, url)
        recorded = book.recorded()
        for record in report.load_records(course, assignment):
            if record.get("status") != runner.NOT_GRADED and abs(recorded.get(record["student_id"], -1) - record["score"]) > 1e-9:
                book.record(Result(**{k: v for k, v in record.items() if k in Result.__dataclass_fields__}))
        book.flush()
        return book
    except Exception as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise InstructorError(f"nbgrader's gradebook {store.shown(url or store.default_url(course))} cannot be used: "
                              f"{type(error).__name__}: {detail}") from None


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


class Progress:
    """A bar with count and ETA on a terminal; one line per submission otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream, self.start = total, 0, stream, time.monotonic()
        self.tty = stream.isatty()

    def step(self, result, max_score, workers=0):
        self.done += 1
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        if self.tty:
            bar = "#" * (30 * self.done // self.total)
            self.stream.write(f"\r[{bar:<30}] {self.done}/{self.total}  {self.done / max(elapsed, 1e-9):5.1f}/s  "
                              f"ETA {eta:4.0f} s  {workers} worker(s) ")
            if self.done == self.total:
                self.stream.write("\n")
        else:  # a log: one line each, with the rate, the ETA and the workers now and then
            every = max(1, self.total // 20)
            now = (f"  [{self.done / max(elapsed, 1e-9):.1f}/s, ETA {eta:.0f} s, {workers} worker(s)]"
                   if self.done % every == 0 or self.done == self.total else "")
            self.stream.write(f"[{self.done}/{self.total}] {result.student_id}: {result.score:g} / {max_score:g} "
                              f"({result.status}, {result.seconds:.2f} s){now}\n")
        self.stream.flush()


def check_sandbox(unprotected):
    """Refuse to grade where student code cannot be sandboxed (unless told); return what is missing."""
    missing = sandbox.missing_protections()
    if missing and not unprotected:
        raise InstructorError(f"student code cannot be sandboxed here ({', '.join(missing)} missing): "
                              f"{sandbox.HOW}; or pass --unprotected to grade without these protections")
    if not sandbox_site().is_dir():
        raise InstructorError(f"{sandbox_site()} is missing: run `bash scripts/setup.sh`")
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
    options = engine.Options(unprotected=unprotected, python_paths=(str(sandbox_site()),))
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
        # nbgrader's gradebook opens (imports, schema, cells: half a second) while the sandboxes grade
        opener = ThreadPoolExecutor(1)
        opening = opener.submit(timed, "gradebook: open", open_gradebook, course, assignment, trusted.points, db)
        opener.shutdown(wait=False)  # the one task still runs; its thread ends with it
        kept = [s for s in found if not regrade and graded_before(course, assignment, s.student_id)]
        work = [(s, nb) for s, nb in zip(found, notebooks) if s not in kept]
        for s, _ in work:
            keep_copy(s, course, assignment)
        tasks = [runner.Task(assignment, sub.student_id, sub.name, sub.entry, sub.notebook.read_bytes(), options,
                             lms=sub.lms, lms_id=sub.lms_id) for sub, nb in work if not isinstance(nb, str)]
    results, progress = [], Progress(len(work))
    local = [(sub, nb) for sub, nb in work if isinstance(nb, str)]  # missing or invalid: nothing to run
    started = time.perf_counter()
    try:
        graded = ((None, grade_one(trusted, sub, nb, options)) for sub, nb in local)
        with nullcontext(cluster) if cluster else runner.Runner(jobs, scheduler, len(tasks), out) as cluster:
            for task, record in itertools.chain(graded, cluster.grade(tasks)):
                result, outcome, cell_ids = record if not isinstance(record, str) else (not_graded(task, record, trusted),
                                                                                       None, {})
                with timing.phase("save: record, gradebook, feedback page"):
                    save(course, assignment, trusted, result, outcome, opening.result(), cell_ids)
                results.append(result)
                progress.step(result, sum(trusted.points.values()), cluster.workers)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(results)} of {len(work)} graded and kept; run again for the rest", file=out)
        engine.stop_all()
        raise
    finally:
        timing.SPENT["grading (sandboxed), save included"] = time.perf_counter() - started
        if opening.exception() is None:  # waits for it: a gradebook that could not open was said above
            close_gradebook(opening.result(), out)
        with timing.phase("class CSV"):
            write_csv(course, assignment, trusted.points)
        write_reports(course, assignment, trusted.points, out)
    if opening.exception() is not None:  # nobody to grade, and the gradebook cannot be used: still say so
        raise opening.exception()
    return sorted(results, key=lambda r: r.student_id), ignored, kept, course / "grades" / f"{assignment}.csv"


def close_gradebook(book, out):
    """Write what is pending; say which students a write failed for (their grades are safe elsewhere)."""
    book.close()
    if book.unrecorded:
        print(f"warning: {len(book.unrecorded)} student(s) not written to the gradebook {store.shown(book.url)} "
              f"({book.error}); their grades are in the CSV, and the next run of this command records them",
              file=out)


def timed(name, function, *args):
    with timing.phase(name):
        return function(*args)


def graded_before(course, assignment, student_id):
    """Whether a student was graded in an earlier run: their record (the gradebook mirrors it), unless
    their task failed on every try then (not graded: this run grades them)."""
    path = course / "grades" / assignment / f"{student_id}.json"
    return path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("status") != runner.NOT_GRADED


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


def read_notebook(sub):
    """The submission's notebook node, or the reason it has none (nothing is written)."""
    if sub.notebook is None:
        return sub.problem or "no notebook"
    try:
        return read_submission(sub.notebook)
    except ValueError as error:
        return str(error)


def keep_copy(sub, course, assignment):
    """A copy of the notebook in submitted/STUDENT/ASSIGNMENT/, as nbgrader keeps them."""
    if sub.notebook is not None:
        target = course / "submitted" / sub.student_id / assignment
        target.mkdir(parents=True, exist_ok=True)
        (target / ASSIGNMENT_NOTEBOOK).write_bytes(sub.notebook.read_bytes())


def cell_grade_ids(nb):
    """The feedback's step label of each of the submission's cells ("cell N") -> its nbgrader grade_id."""
    ids = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if isinstance(grade_id, str):
            ids[f"cell {index + 1}"] = grade_id
    return ids


def grade_one(trusted, sub, nb, options):
    """Grade one submission: (Result, Outcome or None, the grade_ids of its cells)."""
    result = Result(sub.student_id, sub.name, sub.entry, tests={g: 0.0 for g in trusted.points}, lms=sub.lms,
                    lms_id=sub.lms_id)
    if isinstance(nb, str):
        result.status = "missing" if sub.notebook is None else "invalid notebook"
        result.reason = nb
        return result, None, {}
    try:
        outcome = engine.grade(trusted, nb, options)
    except Exception as error:  # the grader's own fault: this student is kept, the others go on
        result.status, result.review = "error", f"the grader failed on this notebook ({type(error).__name__}: {error})"
        result.reason = "your notebook could not be graded; your instructor has been told why"
        return result, None, {}
    result.tests, result.seconds = outcome.scores, outcome.seconds
    result.score = sum(outcome.scores.values())
    result.messages = dict(outcome.messages)
    result.cell_errors = dict(outcome.cell_errors)
    result.mistakes = dict(outcome.mistakes)
    result.hints = {name: trusted.hint(name) for names in outcome.mistakes.values() for name in names}
    result.reason = "; ".join(f"{g}: {m}" for g, m in outcome.messages.items()) or "all tests passed"
    result.review = "; ".join(outcome.review)
    return result, outcome, cell_grade_ids(nb)


def not_graded(task, reason, trusted):
    """The Result of a student whose task failed on every try: listed, not in the gradebook (a later
    run grades it again), no feedback page."""
    return Result(task.student_id, task.name, task.entry, status=runner.NOT_GRADED, tests={g: 0.0 for g in trusted.points},
                  reason=f"grader error: {reason}", review="not graded: run the command again for this student")


def save(course, assignment, trusted, result, outcome, gradebook, cell_ids=None):
    """The student's JSON record, gradebook entry and feedback page."""
    folder = course / "grades" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    if result.status == runner.NOT_GRADED:
        (folder / f"{result.student_id}.json").write_text(json.dumps(asdict(result), ensure_ascii=False, indent=1))
        return
    gradebook.record(result)  # written with others a moment later (a failure is said at the end of the run)
    (folder / f"{result.student_id}.json").write_text(json.dumps(asdict(result), ensure_ascii=False, indent=1))
    page = course / "feedback" / result.student_id / assignment / Path(ASSIGNMENT_NOTEBOOK).with_suffix(".html").name
    page.parent.mkdir(parents=True, exist_ok=True)
    steps = outcome.steps if outcome else []
    page.write_text(feedback_page(f"{assignment} feedback for {result.name}", trusted, steps, result, outcome,
                                  cell_ids=cell_ids, text_cache=folder / ".exercise-text.cache"), encoding="utf-8")


def shorten(text, width=200):
    """``text`` for one terminal line: whole, or cut at a word with an ellipsis (the CSV has it all)."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[:width - 1].rsplit(" ", 1)[0] if " " in text[:width - 1] else text[:width - 1]
    return cut.rstrip(" ;,:") + "… (in full in the CSV)"


SCREENFUL = 40  # lines of a summary that lists students; beyond, it counts them (the CSV lists every one)


def capped(lines, out, more="see the CSV"):
    """Print at most SCREENFUL of ``lines``, then how many more there are."""
    for line in lines[:SCREENFUL]:
        print(line, file=out)
    if len(lines) > SCREENFUL:
        print(f"  ... and {len(lines) - SCREENFUL} more: {more}", file=out)


def print_aggregate(results, ignored, kept, max_score, out=sys.stdout):
    """A class beyond a screenful: scores and statuses counted, then the students to look at (capped)."""
    scores = Counter(r.score for r in results)
    print("  scores:   " + "; ".join(f"{score:g} / {max_score:g}: {n}" for score, n in sorted(scores.items(), reverse=True)),
          file=out)
    print("  statuses: " + "; ".join(f"{status} {n}" for status, n in Counter(r.status for r in results).most_common())
          + (f"; already graded, kept (--regrade to grade again) {len(kept)}" if kept else "")
          + (f"; ignored entries {len(ignored)}" if ignored else ""), file=out)
    look = [f"  {r.student_id}: {r.score:g} / {max_score:g}  {r.status}: {shorten(r.reason, 150)}" + (
        f"  REVIEW: {r.review}" if r.review else "") for r in results if r.status != "graded" or r.review]
    capped(look + [f"  ignored {i.entry}: {i.reason}" for i in ignored], out)


def print_summary(assignment, results, ignored, kept, max_score, csv_path, course, out=sys.stdout):
    print(f"{assignment}: {len(results)} submissions graded, max score {max_score:g}", file=out)
    width = max([len(r.student_id) for r in results] + [8])
    listed = len(results) + len(kept) + len(ignored) <= SCREENFUL  # else counted (the CSV lists every student)
    if not listed:
        print_aggregate(results, ignored, kept, max_score, out)
    for r in results if listed else []:
        note = "" if r.reason == "all tests passed" else f"  {r.status}: {shorten(r.reason)}"
        print(f"  {r.student_id:<{width}}  {r.score:>5g} / {max_score:g}{note}", file=out)
        if r.review:
            print(f"  {'':<{width}}  REVIEW: {r.review}", file=out)
    for s in kept if listed else []:
        print(f"  {s.student_id:<{width}}  already graded: kept (--regrade to grade again)", file=out)
    for i in ignored if listed else []:
        print(f"  ignored {i.entry}: {i.reason}", file=out)
    records = report.load_records(course, assignment)
    if records:  # the class so far (every batch), not only this run
        numbers = report.summary(records, {"all": max_score})
        print(f"class so far: {numbers['students']} students, mean {numbers['mean']:.2f} / {max_score:g}; "
              f"full marks {numbers['full marks']}; not gradable {numbers['not gradable']}; "
              f"to review {numbers['to review']} (this run: {len(results)} graded, {len(kept)} kept)", file=out)
    print(f"grades:   {csv_path}", file=out)
    if (course / "grades" / f"{assignment}.html").is_file():
        print(f"report:   {course / 'grades' / f'{assignment}.html'} (every student graded so far)", file=out)
    if (course / "grades" / export.FILENAME).is_file():
        print(f"canvas:   {course / 'grades' / export.FILENAME} (every assignment; Canvas's gradebook import)", file=out)
    print(f"feedback: {course / 'feedback'}/<student>/{assignment}/ (no hidden tests inside)", file=out)


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
            except InstructorError as error:
                run.error = str(error)
                print(f"{assignment}: not graded: {error}", file=out)
            runs.append(run)
    return runs, skipped


def print_class_summary(runs, skipped, course, out=sys.stdout):
    """One table for the whole run: per assignment what this run did and where the class stands."""
    course = Path(course).resolve()
    print(f"\nclass summary ({course}): 'graded', 'kept' and 'ignored' are this run's; the rest counts every "
          "student graded so far", file=out)
    header = ["assignment", "graded", "kept", "ignored", "students", "mean", "full marks", "not gradable", "to review"]
    rows = []
    for run in runs:
        if run.error:
            rows.append([run.assignment, "-", "-", "-", "-", "NOT GRADED", "-", "-", "-"])
            continue
        numbers = report.summary(report.load_records(course, run.assignment),
                                 engine.load_assignment(run.assignment).points)
        rows.append([run.assignment, len(run.results), len(run.kept), len(run.ignored), numbers["students"],
                     f"{numbers['mean']:.2f} / {numbers['max']:g}", numbers["full marks"], numbers["not gradable"],
                     numbers["to review"]])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))),
              file=out)
    for run in runs:
        if run.error:
            print(f"{run.assignment}: not graded: {run.error}", file=out)
        capped([f"{run.assignment}: ignored {i.entry}: {i.reason}" for i in run.ignored]
               + [f"{run.assignment}: {r.student_id}: {r.status}: {shorten(r.reason)}" for r in run.results
                  if r.status != "graded"]
               + [f"{run.assignment}: {r.student_id}: REVIEW: {r.review}" for r in run.results if r.review], out,
               f"see {course / 'grades' / run.assignment}.csv")
    for entry, why in skipped:
        print(f"skipped {entry}: {why}", file=out)
    graded_now = [run for run in runs if not run.error]
    for run in graded_now:
        print(f"report:   {course / 'grades' / f'{run.assignment}.html'}", file=out)
    if (course / "grades" / export.FILENAME).is_file():
        print(f"canvas:   {course / 'grades' / export.FILENAME} (every assignment; Canvas's gradebook import)", file=out)
    print(f"grades:   {course / 'grades'}/<assignment>.csv\nfeedback: {course / 'feedback'}/<student>/<assignment>/ "
          "(no hidden tests inside)", file=out)


def print_export_notes(course, out=sys.stdout):
    """What the Canvas export could not match in the roster, if there is one."""
    try:
        _, done = export.canvas_table(course)
    except Exception:  # noqa: BLE001 (already reported by write_reports)
        return
    if done and done.roster and done.unmatched:
        print(f"canvas:   {len(done.unmatched)} student(s) not matched in {done.roster} (Canvas will ask you to pick "
              "them on import): " + ", ".join(f"{s} ({why})" for s, why in done.unmatched), file=out)


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
            print_class_summary(runs, skipped, course)
            print_export_notes(course)
            return 2 if any(run.error for run in runs) else 0
        results, ignored, kept, csv_path = grade_class(args.assignment, args.submissions, args.course_dir,
                                                       args.jobs, args.regrade, args.unprotected,
                                                       scheduler=args.scheduler, db=args.db)
    except (InstructorError, runner.ClusterError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    max_score = sum(engine.load_assignment(args.assignment).points.values())
    print_summary(args.assignment, results, ignored, kept, max_score, csv_path, course)
    print_export_notes(course)
    timing.write()
    return 0
