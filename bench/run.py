"""Print how long the course's everyday operations take on this machine: figures only, no asserts.

    .venv/bin/python bench/run.py [--only book,notebooks,validate,grading,late] [--students 40] [--json FILE]

Exits 1 only if a command could not run (or exited non-zero); writes only to a temp folder. See README.md.
"""

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rnncourse.book import kernel_env
from rnncourse.course import assignments
from rnncourse.grading.gradebook import nbgrader_env
from rnncourse.paths import EXERCISES, ROOT, SOLUTIONS

SECTIONS = ("book", "notebooks", "validate", "grading", "late")
ROWS = []  # the summary table: dicts with section, figure, value, unit, goal, note
FAILED = []  # commands that could not run


def line(r):
    return f"  {r['section']:<9} {r['figure']:<46} {r['value']:8.2f} {r['unit']:<5} {r['goal']:<6} {r['note']}"


def record(section, figure, value, unit="s", goal="", note=""):
    ROWS.append(dict(section=section, figure=figure, value=value, unit=unit, goal=goal, note=note))
    print(line(ROWS[-1]), flush=True)


def run(cmd, log, env=None):
    """Run ``cmd`` (output appended to ``log``); return (wall-clock seconds, exit code)."""
    with open(log, "a") as out:
        print(f"\n$ {' '.join(map(str, cmd))}", file=out, flush=True)
        start = time.perf_counter()
        try:
            code = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env, stdout=out, stderr=out).returncode
        except OSError as error:  # the command cannot run at all
            print(error, file=out)
            code = 127
    seconds = time.perf_counter() - start
    if code:
        FAILED.append(f"{' '.join(map(str, cmd[:4]))} ... exited {code} (log {log})")
    return seconds, code


def bench_book(tmp, args):
    out, log = tmp / "book", tmp / "book.log"
    for figure, cmd, env in (("cold build (scripts/build-book.sh)", ["bash", "scripts/build-book.sh"], None),
                             ("cached rebuild (jupyter-book build)", [ROOT / ".venv/bin/jupyter-book", "build", "."],
                              kernel_env())):
        mark = log.stat().st_size if log.exists() else 0
        seconds, code = run([*cmd, "--path-output", out], log, env)
        executed = log.read_text(errors="replace")[mark:].count("Executing notebook")
        record("book", figure, seconds, note=f"exit {code}; {executed} notebook(s) executed")


def bench_notebooks(tmp, args):
    from nbclient import NotebookClient
    from rnncourse.book import chapter_pages, read_page

    for page in chapter_pages():
        workdir = tmp / "notebooks" / Path(page).parent.name
        shutil.copytree(ROOT / Path(page).parent, workdir)
        client = NotebookClient(read_page(page), kernel_name="python3", timeout=600,
                                resources={"metadata": {"path": str(workdir)}})  # the kernel's cwd
        start, note = time.perf_counter(), "ok"
        try:
            with open(tmp / "kernels.log", "a") as kernel_log:
                client.execute(env=kernel_env(), stderr=kernel_log)
        except Exception as error:  # a cell failed, the kernel died, a timeout
            note = f"{type(error).__name__}: {(str(error).strip().splitlines() or ['?'])[-1][:80]}"
            FAILED.append(f"notebook {page}: {note}")
        record("notebooks", page, time.perf_counter() - start, goal="<= 60", note=note)


def bench_validate(tmp, args):
    for name in args.assignments:
        for folder in (EXERCISES, SOLUTIONS):
            notebook = (folder / name / "exercise.ipynb").relative_to(ROOT)
            log = tmp / f"validate-{name}-{folder.name}.log"
            times = [run([sys.executable, "-m", "nbgrader", "validate", notebook], log, nbgrader_env())[0]
                     for _ in range(args.repeat)]
            verdict = "passes" if "Success! Your notebook passes" in log.read_text(errors="replace") else "tests fail"
            record("validate", f"validate {notebook}", statistics.median(times), goal="<= 3",
                   note=f"median of {len(times)}; {verdict}")


def make_submissions(name, folder, students):
    """studentNN.ipynb: every 4th the untouched student version, the others the instructor solution."""
    folder.mkdir(parents=True)
    for i in range(1, students + 1):
        source = EXERCISES if i % 4 == 0 else SOLUTIONS
        shutil.copy(source / name / "exercise.ipynb", folder / f"student{i:02d}.ipynb")
    return [f"student{i:02d}" for i in range(1, students + 1)]


def plain_scores(course, name, students):
    """student -> total score (None: not graded), from plain nbgrader's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for student in students:
            try:
                scores[student] = round(gb.find_submission(name, student).score, 4)
            except MissingEntry:
                scores[student] = None
    return scores


def our_scores(path):
    """student -> total score, from grade.py's CSV."""
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        return {row["student"]: round(float(row["score"]), 4) for row in csv.DictReader(f)}


def bench_grading(tmp, args):
    env, n, nbgrader = nbgrader_env(), args.students, [sys.executable, "-m", "nbgrader"]
    for name in args.assignments:
        work = tmp / f"grading-{name}"
        subs, ours_dir, plain_dir = work / "submissions", work / "ours", work / "plain"
        students = make_submissions(name, subs, n)
        # ours: the instructors' whole command, wall clock
        ours_s, _ = run([sys.executable, ROOT / "autograder/grade.py", name, subs, "--course-dir", ours_dir],
                        work / "ours.log", env)
        # plain nbgrader: untimed copies into submitted/ and generate_assignment, then timed autograde
        for student in students:
            (plain_dir / "submitted" / student / name).mkdir(parents=True)
            shutil.copy(subs / f"{student}.ipynb", plain_dir / "submitted" / student / name / "exercise.ipynb")
        opts = [f"--CourseDirectory.root={plain_dir}", f"--CourseDirectory.source_directory={SOLUTIONS}"]
        run([*nbgrader, "generate_assignment", name, "--force", *opts,
             f"--CourseDirectory.release_directory={plain_dir / 'release'}"], work / "plain.log", env)
        plain_s, _ = run([*nbgrader, "autograde", name, "--force", *opts], work / "plain.log", env)
        ours, plain = our_scores(ours_dir / "grades" / f"{name}.csv"), plain_scores(plain_dir, name, students)
        differ = [s for s in students if ours.get(s) != plain.get(s)]
        totals = ", ".join(f"{list(plain.values()).count(s)} at {s:g}" for s in sorted(set(plain.values()) - {None}))
        agree = f"same scores ({totals})" if not differ else f"scores DIFFER: {', '.join(differ[:5])}"
        record("grading", f"{name}: plain nbgrader autograde", plain_s / n, "s/sub", note=f"{plain_s:.1f} s for {n}")
        record("grading", f"{name}: ours (autograder/grade.py)", ours_s / n, "s/sub", note=f"{ours_s:.1f} s for {n}")
        record("grading", f"{name}: speed-up plain / ours", plain_s / ours_s, "x", goal=">= 5", note=agree)


def cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_late(tmp, args):
    """One late submission graded into a course where the class is graded already (the first assignment):
    the whole command's wall clock and CPU, then how it splits (python's start, imports, and the phases
    the command times itself with RNNCOURSE_TIMINGS; grading and opening the gradebook overlap)."""
    env, name, grade = nbgrader_env(), args.assignments[0], [sys.executable, ROOT / "autograder/grade.py"]
    work = tmp / f"late-{name}"
    make_submissions(name, work / "class", args.students)
    run([*grade, name, work / "class", "--course-dir", work / "course"], work / "late.log", env)
    walls, cpus, phases = [], [], []
    for i in range(args.repeat):
        one = work / f"late{i}"
        one.mkdir()
        shutil.copy(SOLUTIONS / name / "exercise.ipynb", one / f"late{i:02d}.ipynb")
        timings, cpu = work / f"phases{i}.json", cpu_of_children()
        walls.append(run([*grade, name, one, "--course-dir", work / "course"], work / "late.log",
                         {**env, "RNNCOURSE_TIMINGS": str(timings)})[0])
        cpus.append(cpu_of_children() - cpu)
        phases.append(json.loads(timings.read_text()) if timings.is_file() else {})
    start = statistics.median(run([sys.executable, "-c", "pass"], work / "late.log", env)[0] for _ in range(3))
    imports = statistics.median(run([sys.executable, "-c", "import rnncourse.grading.command"], work / "late.log",
                                    env)[0] for _ in range(3)) - start
    record("late", f"{name}: one late submission, whole command", statistics.median(walls), goal="<= 1",
           note=f"median of {len(walls)}; CPU {statistics.median(cpus):.2f} s; a class of {args.students} graded")
    record("late", "  python start", start)
    record("late", "  imports (rnncourse.grading.command)", imports)
    for phase in phases[0]:
        record("late", f"  {phase}", statistics.median(p.get(phase, 0.0) for p in phases),
               note="in a thread, beside the grading" if phase == "gradebook: open" else "")


def load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_summary(info):
    """The figures side by side: one table for the whole run, then what could not run."""
    print(f"\n== summary ({info} at the start, {load()} at the end)")
    print(f"  {'section':<9} {'figure':<46} {'value':>8} {'unit':<5} {'goal':<6} note")
    print("\n".join(map(line, ROWS)))
    for failure in FAILED:
        print(f"  could not run: {failure}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections (default: all)")
    parser.add_argument("--students", type=int, default=40, help="submissions per assignment (default 40)")
    parser.add_argument("--assignments", default="", help="comma-separated (default: every assignment)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per validate figure, median shown (default 3)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, course dirs)")
    args = parser.parse_args(argv)
    only = [s for s in args.only.split(",") if s]
    if set(only) - set(SECTIONS):
        parser.error(f"sections are {', '.join(SECTIONS)}")
    args.assignments = [a for a in args.assignments.split(",") if a] or assignments()
    if set(args.assignments) - set(assignments()):
        parser.error(f"assignments are {', '.join(assignments())}")

    info = f"{os.cpu_count()} cores, Python {platform.python_version()}, {load()}"
    print(f"machine: {info}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="rnn-bench-"))  # every command's log; kept with --keep or on a failure
    try:
        benches = dict(book=bench_book, notebooks=bench_notebooks, validate=bench_validate, grading=bench_grading,
                       late=bench_late)
        for section in (s for s in SECTIONS if s in only):
            print(f"\n== {section}", flush=True)
            benches[section](tmp, args)
    finally:
        print_summary(info)
        if args.json:
            data = {"machine": info, "at_end": load(), "figures": ROWS, "failed": FAILED}
            Path(args.json).write_text(json.dumps(data, indent=1))
        if args.keep or FAILED:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
