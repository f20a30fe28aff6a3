"""Grade a class's submissions of one assignment: the instructor's one command.

    python autograder/grade.py ASSIGNMENT SUBMISSIONS [--course-dir DIR]

SUBMISSIONS is a folder or a .zip holding, for each student, either a folder named after the
student with the notebook inside (``alice/exercise.ipynb``, or nbgrader's own
``alice/ASSIGNMENT/exercise.ipynb``) or a single notebook named after the student
(``alice.ipynb``). The command

1. copies every readable notebook to ``submitted/<student>/<ASSIGNMENT>/`` of the course
   directory (the repository root by default, so that formgrader sees the results);
2. runs plain ``nbgrader autograde`` on all of them, in ``--jobs`` processes side by side (hidden
   tests against the Keras references; the gradebook records every score);
3. keeps every student: a notebook that is not valid JSON, or whose kernel died (``os._exit``,
   a segfault), scores 0 with the reason, and never stops the others;
4. writes ``grades/<ASSIGNMENT>.csv`` (one row per student: score, status, reason and the
   points of every test) and ``feedback/<student>/<ASSIGNMENT>/<notebook>.html``: the graded
   notebook with the visible tests and each failing test's message, but **no hidden test code
   and no reference file names** (nbgrader's own feedback shows the hidden tests);
5. prints a summary.

It exits with 2 only for the instructor's mistakes (an unknown assignment, a missing path, a
broken zip, no submission found) and 1 if nbgrader itself could not run; never because a
student's notebook is broken.
"""

import argparse
import csv
import functools
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rnncourse.feedback import failure_message, feedback_notebook, sanitize  # noqa: E402
from rnncourse.paths import SOLUTIONS, assignments  # noqa: E402

IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


class InstructorError(Exception):
    """A mistake in the command line: reported in one line, exit code 2."""


@dataclass
class Submission:
    student: str
    source: Path | None  # the student's notebook, None if there is none
    status: str = "graded"
    reason: str = ""
    score: float = 0.0
    tests: dict = field(default_factory=dict)  # grade_id -> points earned
    review: str = ""  # why an instructor should look at the code (the score is not changed)


# Student code runs in the same kernel as the hidden tests and could patch them. Such code is not
# stopped (nothing in one Python process could stop it), but it is flagged for the instructor.
SUSPICIOUS = {
    r"\brnncourse\b|load_references|check_array|check_cases|check_equal": "touches the grader's checking code",
    r"autograder|references/|\.npz\b|gradebook": "looks for the grader's files",
    r"sys\.modules|__builtins__|\bbuiltins\b|importlib": "changes Python's modules or builtins",
    r"\b(np|numpy)\.(\w+\.)*\w+\s*=[^=]|setattr\(\s*(np|numpy)\b": "replaces numpy functions",
}


def review_notes(nb):
    """Why the student's own cells deserve a look, or ''."""
    from nbgrader.utils import is_grade, is_locked

    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not is_grade(c) and not is_locked(c))
    return "; ".join(why for pattern, why in SUSPICIOUS.items() if re.search(pattern, code))


def student_id(name):
    """nbgrader student ids become folder names: keep letters, digits, '.', '_', '-'."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned or "unnamed"


def discover(folder, assignment, notebook):
    """The students in a submissions folder, each with their notebook (or a reason why not)."""
    def entries(path):
        return sorted(p for p in path.iterdir() if p.name not in IGNORED_PARTS and not p.name.startswith("."))

    top = entries(folder)
    # A zip often wraps the class in one folder: look inside it, unless it is itself one
    # student's folder (holding the assignment's notebook, or nbgrader's STUDENT/ASSIGNMENT/).
    while (len(top) == 1 and top[0].is_dir() and not (top[0] / notebook).is_file()
           and not (top[0] / assignment).is_dir()):
        top = entries(top[0])
    found = {}

    def new_id(name):  # two names that clean up alike ("a b", "a_b") must not overwrite each other
        sid, n = student_id(name), 1
        while sid in found:
            n += 1
            sid = f"{student_id(name)}-{n}"
        return sid

    for entry in top:
        if entry.is_file() and entry.suffix == ".ipynb":
            sid = new_id(entry.stem)
            found[sid] = Submission(sid, entry)
        elif entry.is_dir():
            sid = new_id(entry.name)
            candidates = [p for p in entry.rglob("*.ipynb") if not IGNORED_PARTS & set(p.parts)]
            exact = [p for p in candidates if p.name == notebook]
            if exact:
                found[sid] = Submission(sid, min(exact, key=lambda p: len(p.parts)))
            elif len(candidates) == 1:
                found[sid] = Submission(sid, candidates[0])
            elif not candidates:
                found[sid] = Submission(sid, None, "missing", f"no notebook in the submission (expected {notebook})")
            else:
                names = ", ".join(sorted(p.name for p in candidates))
                found[sid] = Submission(sid, None, "missing", f"several notebooks and none named {notebook}: {names}")
    return [found[k] for k in sorted(found)]


def read_notebook(path):
    """The notebook, or raise ValueError with a reason a student understands."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # JSON errors, wrong encodings, not a notebook at all
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"the file is not a valid notebook (it cannot be read: {detail[:200]})") from None
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        raise ValueError(f"the file is not a valid notebook ({error.message[:200]})") from None
    return nb


def run_nbgrader(course, log, *commands):
    """Run nbgrader commands (lists of arguments) side by side for the course directory.

    Returns [(exit code, output)] in order; every output is also appended to ``log``.
    """
    running = []
    for args in commands:
        command = [sys.executable, "-m", "nbgrader", *args,
                   f"--CourseDirectory.root={course}", f"--CourseDirectory.source_directory={SOLUTIONS}"]
        output = tempfile.TemporaryFile("w+")
        running.append((command, output, subprocess.Popen(command, cwd=ROOT, stdout=output,
                                                          stderr=subprocess.STDOUT, text=True)))
    results = []
    with open(log, "a") as out:
        for command, output, process in running:
            process.wait()
            output.seek(0)
            text = output.read()
            output.close()
            out.write(f"$ {' '.join(command)}\n{text}")
            results.append((process.returncode, text))
    return results


def crash_reason(output):
    """Why nbgrader produced no graded notebook, from the log of a run on that submission alone."""
    if "DeadKernelError" in output or "Kernel died" in output:
        return ("the kernel running your notebook died (for example os._exit(), a segmentation fault or "
                "running out of memory), so no test could run")
    if "UnresponsiveKernelError" in output or "became unresponsive" in output:
        return "your notebook's code could not be interrupted after the time limit, so no test could run"
    errors = [line.strip() for line in output.splitlines() if re.match(r"\s*\w+(Error|Exception):", line)]
    detail = f" ({sanitize(errors[-1])[:200]})" if errors else ""
    return f"nbgrader could not grade your notebook{detail}; your instructor has the log"


def grade_cells(nb):
    """(grade_id -> (earned, possible)) for the auto-graded test cells of a graded notebook."""
    from nbgrader.utils import determine_grade, is_grade, is_solution

    scores = {}
    for cell in nb.cells:
        if is_grade(cell) and not is_solution(cell) and cell.cell_type == "code":
            earned, possible = determine_grade(cell)
            scores[cell.metadata.nbgrader["grade_id"]] = (earned or 0.0, possible)
    return scores


def write_feedback(path, title, body_nb=None, message=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    if body_nb is None:
        path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>\n")
        return
    body, _ = html_exporter().from_notebook_node(body_nb, resources={"metadata": {"name": title}})
    path.write_text(body)


@functools.cache
def html_exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="classic")


def grade(assignment, submissions, course, jobs=1):
    if assignment not in assignments():
        raise InstructorError(f"unknown assignment {assignment!r}; the course has: {', '.join(assignments())}")
    submissions = Path(submissions)
    if not submissions.exists():
        raise InstructorError(f"no such file or folder: {submissions}")
    notebooks = sorted(p.name for p in (SOLUTIONS / assignment).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise InstructorError(f"solutions/{assignment} should hold exactly one notebook, found {len(notebooks)}")
    notebook = notebooks[0]
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as scratch:
        if submissions.is_file():
            if not zipfile.is_zipfile(submissions):
                raise InstructorError(f"{submissions} is neither a folder nor a zip file")
            try:
                with zipfile.ZipFile(submissions) as archive:
                    archive.extractall(scratch)
            except (zipfile.BadZipFile, OSError) as error:
                raise InstructorError(f"cannot unpack {submissions}: {error}") from None
            folder = Path(scratch)
        else:
            folder = submissions
        subs = discover(folder, assignment, notebook)
        if not subs:
            raise InstructorError(f"no submissions in {submissions}: expected one folder per student "
                                  f"holding {notebook}, or one STUDENT.ipynb per student")
        for sub in subs:
            target = course / "submitted" / sub.student / assignment
            if target.exists():
                shutil.rmtree(target)
            if sub.source is None:
                continue
            try:
                sub.review = review_notes(read_notebook(sub.source))
            except ValueError as error:
                sub.status, sub.reason = "invalid notebook", str(error)
                continue
            target.mkdir(parents=True)
            shutil.copy(sub.source, target / notebook)

    return autograde(assignment, notebook, subs, course, jobs)


def autograde(assignment, notebook, subs, course, jobs):
    log = course / "grades" / f"{assignment}-nbgrader.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    # The gradebook needs the assignment's cells (with the hidden tests): generate it into a
    # scratch release folder, so the committed exercises/ is never touched.
    with tempfile.TemporaryDirectory() as release:
        [(status, _)] = run_nbgrader(course, log, ["generate_assignment", assignment, "--force", "--quiet",
                                                   f"--CourseDirectory.release_directory={release}"])
        if status:
            raise RuntimeError(f"nbgrader generate_assignment failed; see {log}")
    runnable = [s for s in subs if s.status == "graded"]
    for sub in runnable:
        shutil.rmtree(course / "autograded" / sub.student / assignment, ignore_errors=True)
    if runnable:
        # Split this run's students between `jobs` nbgrader processes (the machine's cores), each told to
        # leave everyone else alone (other workers' students and earlier runs' submissions).
        everyone = sorted(p.name for p in (course / "submitted").iterdir())
        groups = [runnable[i::jobs] for i in range(min(jobs, len(runnable)))]
        run_nbgrader(course, log, *(
            ["autograde", assignment, "--force",
             "--CourseDirectory.student_id_exclude=" + ",".join(sorted(set(everyone) - {s.student for s in group}))]
            for group in groups))
        # nbgrader drops a submission whose kernel died, and a few errors stop its whole run (or,
        # rarely, a busy gradebook): give each submission without a graded notebook a run of its own.
        for sub in runnable:
            if not (course / "autograded" / sub.student / assignment / notebook).exists():
                [(_, output)] = run_nbgrader(course, log, ["autograde", assignment, "--force",
                                                           f"--student={sub.student}"])
                if not (course / "autograded" / sub.student / assignment / notebook).exists():
                    sub.status, sub.reason = "crashed", crash_reason(output)

    source_nb = nbformat.read(SOLUTIONS / assignment / notebook, 4)
    possible = {gid: p for gid, (_, p) in grade_cells(source_nb).items()}
    max_score = sum(possible.values())
    html_name = Path(notebook).with_suffix(".html").name
    for sub in subs:
        feedback = course / "feedback" / sub.student / assignment / html_name
        graded_path = course / "autograded" / sub.student / assignment / notebook
        title = f"{assignment} feedback for {sub.student}"
        if sub.status != "graded":
            sub.tests = {gid: 0.0 for gid in possible}
            write_feedback(feedback, title, message=f"Score: 0 / {max_score:g}. Your submission could not be "
                                                    f"graded: {sub.reason}.")
            continue
        graded = nbformat.read(graded_path, 4)
        sub_scores = grade_cells(graded)
        scores = {gid: sub_scores.get(gid, (0.0, p)) for gid, p in possible.items()}
        sub.tests = {gid: e for gid, (e, _) in scores.items()}
        sub.score = sum(sub.tests.values())
        cells = {c.metadata.nbgrader["grade_id"]: c for c in graded.cells if "nbgrader" in c.metadata}
        failures = [f"{gid}: {failure_message(cells[gid])}" for gid, (e, p) in scores.items()
                    if e < p and gid in sub_scores]
        missing = [f"{gid}: the test cell is missing" for gid in possible if gid not in sub_scores]
        sub.reason = "; ".join(failures + missing) or "all tests passed"
        write_feedback(feedback, title, feedback_notebook(graded, scores))

    csv_path = course / "grades" / f"{assignment}.csv"
    with open(csv_path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["student", "score", "max_score", "status", "reason", "review", *possible])
        for sub in subs:
            writer.writerow([sub.student, f"{sub.score:g}", f"{max_score:g}", sub.status, sub.reason, sub.review,
                             *(f"{sub.tests.get(gid, 0):g}" for gid in possible)])
    return subs, max_score, csv_path


def print_summary(assignment, subs, max_score, csv_path, course):
    width = max(len(s.student) for s in subs)
    print(f"{assignment}: {len(subs)} submissions, max score {max_score:g}")
    for sub in subs:
        note = "" if sub.reason == "all tests passed" else f"  {sub.status}: {sub.reason[:150]}"
        print(f"  {sub.student:<{width}}  {sub.score:>5g} / {max_score:g}{note}")
        if sub.review:
            print(f"  {'':<{width}}  REVIEW: the student's code {sub.review}")
    graded = [s for s in subs if s.status == "graded"]
    mean = sum(s.score for s in subs) / len(subs)
    print(f"mean {mean:.2f} / {max_score:g}; full marks {sum(s.score == max_score for s in subs)}; "
          f"not gradable {len(subs) - len(graded)}; to review {sum(bool(s.review) for s in subs)}")
    print(f"grades:   {csv_path}")
    print(f"feedback: {course / 'feedback'}/<student>/{assignment}/ (no hidden tests inside)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[2:]))
    parser.add_argument("assignment", help="e.g. 01-rnn-cell (a folder of solutions/)")
    parser.add_argument("submissions", help="a folder or a .zip of the class's notebooks")
    parser.add_argument("--course-dir", default=str(ROOT),
                        help="where submitted/, autograded/, feedback/, grades/ and gradebook.db go "
                             "(default: the repository root)")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="nbgrader processes grading side by side (default: the cores, at most 4)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        subs, max_score, csv_path = grade(args.assignment, args.submissions, args.course_dir, args.jobs)
    except InstructorError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 1
    print_summary(args.assignment, subs, max_score, csv_path, Path(args.course_dir).resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
