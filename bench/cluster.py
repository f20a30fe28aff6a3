"""Grading at scale, figures side by side: the grading command on Dask vs the engine before it, and a
synthetic class of 50,000 students through the real bookkeeping code. No asserts: figures only.

    .venv/bin/python bench/cluster.py [--only grading,bookkeeping] [--submissions 400] [--students 50000]

Exits 1 only if a command could not run; writes only to a temp folder. See README.md.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

from run import FAILED, ROWS, load, make_submissions, print_summary, record, run  # noqa: E402 (bench/run.py's helpers)

from rnncourse.grading.gradebook import nbgrader_env  # noqa: E402
from rnncourse.paths import ROOT  # noqa: E402

BASELINE = "ea705db"  # the last commit with the thread pool (before the engine became Dask)
ASSIGNMENT = "01-rnn-cell"


def baseline_tree(tmp, commit):
    """The grader as it was at ``commit`` (its package, autograder/ and solutions/), in ``tmp``."""
    tree = tmp / f"baseline-{commit}"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", ROOT, "archive", commit, "rnncourse", "autograder", "solutions",
                              "nbgrader_config.py"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
    return tree


def grade(tmp, label, subs, n, *options, tree=ROOT):
    """Time the whole grading command (wall clock) on ``subs``; record s/submission."""
    env = {**nbgrader_env(), "PYTHONPATH": str(tree)}
    course = tmp / f"course-{len(ROWS)}"
    seconds, code = run([sys.executable, tree / "autograder" / "grade.py", ASSIGNMENT, subs, "--course-dir", course,
                         *options], tmp / f"{label.split()[0]}.log", env)
    record("grading", label, seconds / n, "s/sub", note=f"{seconds:.1f} s for {n}; exit {code}")
    return seconds


def machine_speedup(rounds=3):
    """How much faster two CPU-bound processes finish their work than one does twice (median of rounds):
    the ceiling of any 2-vs-1 figure here (a VM's second core is not always a whole one)."""
    loop = [sys.executable, "-c", "x = 0\nfor i in range(20_000_000): x += i"]
    ratios = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(loop, check=True)
        one = time.perf_counter() - start
        start = time.perf_counter()
        for process in [subprocess.Popen(loop) for _ in range(2)]:
            process.wait()
        ratios.append(2 * one / (time.perf_counter() - start))
    return statistics.median(ratios)


def bench_grading(tmp, args):
    from distributed import LocalCluster

    n = args.submissions
    subs, one = tmp / "submissions", tmp / "one"
    make_submissions(ASSIGNMENT, subs, n)
    make_submissions(ASSIGNMENT, one, 1)
    tree = baseline_tree(tmp, args.baseline)
    cores = str(os.cpu_count())
    before = grade(tmp, f"before ({args.baseline}: threads, --jobs {cores})", subs, n, "--jobs", cores, tree=tree)
    grade(tmp, "dask --jobs 1 (in-process worker thread)", subs, n, "--jobs", "1")
    ours = grade(tmp, f"dask --jobs {cores} (LocalCluster, {cores} processes)", subs, n, "--jobs", cores)
    record("grading", f"dask --jobs {cores} vs before, per submission", ours / before, "x", goal="<= 1.1")
    per_worker = {}
    for workers in (1, 2):  # the same tasks on a cluster already running: no start-up in the figure
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
            per_worker[workers] = grade(tmp, f"dask --scheduler: a LocalCluster of {workers} worker(s)", subs, n,
                                        "--scheduler", cluster.scheduler_address)
    record("grading", "2 workers vs 1 worker (speed-up)", per_worker[1] / per_worker[2], "x", goal=">= 1.8")
    record("grading", "  this machine's own: 2 CPU loops vs 1", machine_speedup(), "x",
           note="the same pure-Python loop, once, then twice at once: what 2 cores give with no overhead at all")
    grade(tmp, f"one submission: before ({args.baseline})", one, 1, tree=tree)
    grade(tmp, "one submission: now (graded by the command itself)", one, 1)


def bookkeeping_child(students, url, course):
    """In a process of its own (for its peak memory): ``students`` synthetic outcomes through the
    client's real per-result writing (``store.save``: JSON record, gradebook, feedback page), then
    the CSV, the class report and the Canvas export; prints the seconds of each and the peak RSS as JSON."""
    import nbformat

    from rnncourse.grading import engine, runner, sandbox, store
    from rnncourse.paths import SOLUTIONS

    course = Path(course)
    (course / "grades").mkdir(parents=True, exist_ok=True)
    trusted = engine.load_assignment(ASSIGNMENT)
    nb = nbformat.read(SOLUTIONS / ASSIGNMENT / "exercise.ipynb", as_version=4)
    outcome = engine.grade(trusted, nb, engine.Options(python_paths=(str(sandbox.sandbox_site()),)))
    cell_ids, tests = runner.cell_grade_ids(nb), list(trusted.points)
    times, start = {}, time.perf_counter()
    gradebook = store.open_gradebook(course, ASSIGNMENT, trusted.points, url)
    times["gradebook set-up"] = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(students):
        failed = tests[: i % (len(tests) + 1)]  # a spread of scores and failure messages
        result = store.Result(f"s{i:06d}", f"Student {i}", f"s{i:06d}.ipynb",
                                tests={t: 0.0 if t in failed else trusted.points[t] for t in tests},
                                messages={t: f"AssertionError: wrong values for case {i % 7}" for t in failed})
        result.score = sum(result.tests.values())
        result.reason = "; ".join(f"{t}: {m}" for t, m in result.messages.items()) or "all tests passed"
        result.seconds = outcome.seconds
        store.save(course, ASSIGNMENT, trusted, result, outcome, gradebook, cell_ids)
    times["JSON + feedback + gradebook, as results arrive"] = time.perf_counter() - start
    start = time.perf_counter()
    store.close_gradebook(gradebook, sys.stderr)
    times["gradebook: the last write"] = time.perf_counter() - start
    for name, write in (("CSV", lambda: store.write_csv(course, ASSIGNMENT, trusted.points)),
                        ("class report + Canvas export", lambda: store.write_reports(course, ASSIGNMENT, trusted.points))):
        start = time.perf_counter()
        write()
        times[name] = time.perf_counter() - start
    start = time.perf_counter()
    again = store.open_gradebook(course, ASSIGNMENT, trusted.points, url)  # as a resumed run opens it
    times["gradebook: opened again (every record checked)"] = time.perf_counter() - start
    report = course / "grades" / f"{ASSIGNMENT}.html"
    print(json.dumps({"times": times, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "report_kb": report.stat().st_size / 1024 if report.exists() else 0,
                      "in_gradebook": len(again.recorded()), "unrecorded": len(gradebook.unrecorded)}))


def bench_bookkeeping(tmp, args):
    from tests import postgres_server

    def one(label, url):
        course = tmp / f"bookkeeping-{label}"
        cmd = [sys.executable, __file__, "--child", str(args.students), url or "", course]
        start = time.perf_counter()
        done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=ROOT,
                              env={**nbgrader_env(), "PYTHONPATH": str(ROOT)})
        total = time.perf_counter() - start
        if done.returncode:
            FAILED.append(f"bookkeeping {label}: exit {done.returncode} ({done.stderr.strip()[-300:]})")
            return
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        note = ", ".join(f"{k} {v:.1f} s" for k, v in figures["times"].items())
        record("bookkeeping", f"{args.students} students, gradebook in {label}", total, goal="<= 120",
               note=f"{note}; {figures['in_gradebook']} in the gradebook, {figures['unrecorded']} not")
        record("bookkeeping", f"  peak memory ({label})", figures["peak_mb"], "MB", goal="<= 1024",
               note=f"class report {figures['report_kb']:.0f} kB")

    one("SQLite", None)
    if postgres_server.available():
        with postgres_server.server() as url:
            one("PostgreSQL", url)
    else:
        FAILED.append(f"bookkeeping PostgreSQL: {postgres_server.INSTALL}")


def main(argv=None):
    if argv is None and sys.argv[1:2] == ["--child"]:
        students, url, course = sys.argv[2:5]
        return bookkeeping_child(int(students), url or None, course)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="grading,bookkeeping", help="comma-separated sections (default: both)")
    parser.add_argument("--submissions", type=int, default=400, help="submissions graded (default 400)")
    parser.add_argument("--students", type=int, default=50_000, help="the synthetic class (default 50,000)")
    parser.add_argument("--baseline", default=BASELINE, help=f"the commit graded as 'before' (default {BASELINE})")
    args = parser.parse_args(argv)
    info = f"{os.cpu_count()} cores, {load()}"
    print(f"machine: {info}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="rnn-bench-cluster-"))
    try:
        for section, bench in (("grading", bench_grading), ("bookkeeping", bench_bookkeeping)):
            if section in args.only.split(","):
                print(f"\n== {section}", flush=True)
                bench(tmp, args)
    finally:
        print_summary(info)
        print(f"logs in {tmp}")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
