"""Benchmarks of the course repository: print how long things take on this machine.

    .venv/bin/python bench/run.py                        # everything (about 7 minutes on 2 cores)
    .venv/bin/python bench/run.py --only book,notebooks  # some sections only
    .venv/bin/python bench/run.py --only grading --students 40 --assignments 01-rnn-cell
    .venv/bin/python bench/run.py --json /tmp/bench.json # also save the figures as JSON

Sections (``--only``, comma-separated; default all four, in this order):

book       ``scripts/setup.sh`` first (build-book.sh runs it too; it pip-installs requirements.txt
           into .venv only if that changed), so the cold build figure does not include pip.
           Cold book build: ``bash scripts/build-book.sh --path-output TMP`` into an empty temp
           folder (clean _build, every notebook executed, -W -n --keep-going); then two rebuilds
           with ``.venv/bin/jupyter-book build . --path-output TMP`` (TF_CPP_MIN_LOG_LEVEL=3):
           "cached" = a second build into the same output (Sphinx finds nothing out of date), and
           "from execution cache" = the same after deleting html/, .doctrees/ and jupyter_execute/
           but keeping .jupyter_cache/ (every page re-rendered, no notebook re-executed).
notebooks  each book notebook listed in _toc.yml executed with nbclient (kernel python3, a fresh
           kernel per notebook, in a temp copy of the chapter folder); wall-clock seconds
           including kernel start, and the slowest cell. Design goal: <= 60 s on 2 cores.
validate   ``nbgrader validate exercises/NN/exercise.ipynb`` run from the repository root, for the
           untouched student version and for the instructor solution, wall-clock including process
           start (median of --repeat runs). Goal: <= 3 s. Two figures put it in context: the
           start-up of an nbgrader process that does nothing (``nbgrader --version``) and
           ``python -c "import nbformat"``, which every nbgrader / grade.py / jupyter-book pays.
grading    per assignment, --students submissions named student01..studentNN (every 4th one the
           untouched student version, the others copies of the solution notebook):
           * ours:  ``python autograder/grade.py ASSIGNMENT SUBS --course-dir TMP`` (whole command:
             generate_assignment, autograde, feedback HTML, CSV), with a time breakdown;
           * plain: ``nbgrader autograde ASSIGNMENT --force`` in a separate fresh course dir, after
             an untimed generate_assignment into a scratch release dir and a copy of each notebook
             to submitted/<student>/<ASSIGNMENT>/exercise.ipynb (only autograde is timed).
           Both print seconds per submission; the ratio is ours / plain. Each command runs
           --grading-repeat times (default 2, alternating which goes first, fresh course dirs
           each time); the figures are medians. Scores of all runs are compared.
           ``--grade-args='--jobs 1'`` passes extra arguments to grade.py.

Nothing is asserted: the script prints figures (and whether each is within the design's goal)
and exits 0 unless a command could not be run at all. Everything it writes goes to temp folders
(``--keep`` keeps them and prints where); the repository is only read (setup.sh may update .venv,
as every build-book.sh run does). nbgrader commands run with
cwd = the repository root (its nbgrader_config.py), pointed at temp course directories with
``--CourseDirectory.root`` and ``--CourseDirectory.source_directory=<repo>/solutions``.
Other processes on the machine distort the figures: the load average is printed per section.
"""

import argparse
import csv
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
SECTIONS = ("book", "notebooks", "validate", "grading")
GOALS = {"notebook": 60.0, "validate": 3.0}  # seconds: the course design's goals (issue 2)
UNTOUCHED_EVERY = 4  # every 4th student submits the untouched student version

# The venv's python must run this (nbclient, nbformat, nbgrader): re-exec with it if needed.
if VENV.exists() and Path(sys.prefix).resolve() != VENV.resolve() and not os.environ.get("BENCH_NO_REEXEC"):
    os.environ["BENCH_NO_REEXEC"] = "1"
    os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), *sys.argv])

sys.path.insert(0, str(ROOT))
from rnncourse.paths import EXERCISES, SOLUTIONS, assignments  # noqa: E402

RESULTS = []  # rows of the final table: (section, item, seconds or None, goal or None, note)


# ----------------------------------------------------------------------------------------- helpers

def venv_env(**extra):
    """The environment build-book.sh gives jupyter-book: the venv first on PATH, quiet TensorFlow."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.pop("PYTHONHOME", None)
    env.update(extra)
    return env


def timed(command, log=None, cwd=ROOT, env=None):
    """Run a command, return (seconds, exit code); its output goes to ``log`` (appended) or nowhere."""
    out = open(log, "a") if log else subprocess.DEVNULL
    try:
        if log:
            out.write(f"$ {' '.join(map(str, command))}\n")
            out.flush()
        start = time.perf_counter()
        code = subprocess.run([str(c) for c in command], cwd=cwd, env=env or venv_env(),
                              stdout=out, stderr=subprocess.STDOUT).returncode
        return time.perf_counter() - start, code
    finally:
        if log:
            out.close()


def tool(name):
    path = VENV / "bin" / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def load():
    return "load avg {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def heading(title):
    print(f"\n== {title}  ({load()})", flush=True)


def record(section, item, seconds, goal=None, note=""):
    RESULTS.append((section, item, seconds, goal, note))


def verdict(seconds, goal):
    if goal is None or seconds is None:
        return ""
    return "within goal" if seconds <= goal else f"over goal by {seconds - goal:.1f} s"


def version(dist):
    for name in ([dist] if isinstance(dist, str) else dist):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return "not installed"


def tail(log, lines=15):
    text = Path(log).read_text(errors="replace").splitlines()
    return "\n".join("      | " + line for line in text[-lines:])


# -------------------------------------------------------------------------------------------- book

def book_pages():
    """The notebooks listed in _toc.yml (root, chapters, sections, parts), in order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    if toc.get("root"):
        files.append(toc["root"])
    walk({k: v for k, v in toc.items() if k != "root"})
    pages = []
    for name in files:
        path = ROOT / name
        if path.suffix != ".ipynb":
            path = path.with_suffix(".ipynb")
        if path.exists():
            pages.append(path)
    return pages


def bench_book(tmp):
    """Cold build with scripts/build-book.sh, then two rebuilds into the same output folder."""
    heading("book build")
    out = tmp / "book"
    out.mkdir()
    log = tmp / "book-build.log"

    # build-book.sh starts with scripts/setup.sh, which runs pip when requirements.txt changed since
    # the last install: run it first (as build-book.sh would anyway) so the build figure is the build.
    seconds, code = timed(["bash", ROOT / "scripts" / "setup.sh"], log)
    installed = "setup: installing" in log_text(log)
    note = f"exit {code}; " + ("pip installed requirements.txt" if installed else "nothing to install")
    print(f"   scripts/setup.sh first (untimed in the build): {seconds:7.1f} s  ({note})")
    record("book", "scripts/setup.sh (before the cold build)", seconds, note=note)
    mark = log.stat().st_size
    seconds, code = timed(["bash", ROOT / "scripts" / "build-book.sh", "--path-output", out], log)
    executed = count_executed(log, mark)
    note = f"exit {code}; {executed} notebook(s) executed"
    runs = executed_seconds(log, mark)
    if runs:
        note += " (myst-nb: " + ", ".join(f"{name} {s:.1f} s" for name, s in runs) + ")"
    print(f"   cold build (build-book.sh, clean output): {seconds:7.1f} s  ({note})")
    if code:
        print(tail(log))
    record("book", "cold build (build-book.sh)", seconds, note=note)

    jb = [tool("jupyter-book"), "build", ".", "--path-output", out]
    env = venv_env(TF_CPP_MIN_LOG_LEVEL="3", PYDEVD_DISABLE_FILE_VALIDATION="1")
    mark = log.stat().st_size
    seconds, code = timed(jb, log, env=env)
    executed = count_executed(log, mark)
    note = f"exit {code}; {executed} notebook(s) executed"
    print(f"   cached rebuild (same output, nothing changed): {seconds:7.1f} s  ({note})")
    record("book", "cached rebuild (same path-output)", seconds, note=note)

    for name in ("html", ".doctrees", "jupyter_execute"):
        shutil.rmtree(out / "_build" / name, ignore_errors=True)
    mark = log.stat().st_size
    seconds, code = timed(jb, log, env=env)
    executed = count_executed(log, mark)
    note = f"exit {code}; {executed} notebook(s) executed"
    print(f"   rebuild from execution cache only (html/doctrees deleted): {seconds:7.1f} s  ({note})")
    record("book", "rebuild from .jupyter_cache only", seconds, note=note)
    print(f"   log: {log}")


def log_text(log, start=0):
    with open(log, errors="replace") as f:
        f.seek(start)
        return f.read()


def count_executed(log, start=0):
    """How many notebooks myst-nb executed, from the build log (after byte offset ``start``)."""
    return len(re.findall(r"Executing notebook", log_text(log, start)))


def executed_seconds(log, start=0):
    """[(notebook name, seconds)] from myst-nb's "Executed notebook in X seconds" lines."""
    return [(Path(path).stem, float(s)) for path, s in
            re.findall(r"(\S+\.ipynb): Executed notebook in ([0-9.]+) seconds", log_text(log, start))]


def bench_notebooks(tmp):
    """Execute each book notebook with nbclient in a fresh python3 kernel, timing the whole run."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    heading("book notebooks (nbclient, fresh kernel each)")
    env = venv_env(TF_CPP_MIN_LOG_LEVEL="3", PYDEVD_DISABLE_FILE_VALIDATION="1")
    for path in book_pages():
        rel = path.relative_to(ROOT)
        # A temp copy of the chapter folder: same relative files, nothing written into the repo.
        workdir = tmp / "notebooks" / path.parent.name
        shutil.copytree(path.parent, workdir)
        nb = nbformat.read(workdir / path.name, as_version=4)
        client = NotebookClient(nb, kernel_name="python3", timeout=600, record_timing=True,
                                resources={"metadata": {"path": str(workdir)}})
        status = "ok"
        start = time.perf_counter()
        try:
            with open(tmp / f"kernel-{path.stem}.log", "w") as kernel_log:  # the kernel's own stderr
                client.execute(env=env, stderr=kernel_log)
        except CellExecutionError as error:
            status = "error: " + (str(error).strip().splitlines() or ["?"])[-1][:100]
        except Exception as error:  # kernel died, timeout, ...
            status = f"{type(error).__name__}: {str(error)[:100]}"
        seconds = time.perf_counter() - start
        slowest, slowest_index = cell_times(nb)
        stderr = sum(1 for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("name") == "stderr")
        note = f"{status}; slowest cell #{slowest_index} {slowest:.1f} s"
        if stderr:
            note += f"; {stderr} stderr output(s)"
        print(f"   {str(rel):<45} {seconds:7.1f} s  {verdict(seconds, GOALS['notebook']):<22} {note}",
              flush=True)
        record("notebooks", str(rel), seconds, GOALS["notebook"], note)


def cell_times(nb):
    """(seconds, index) of the slowest code cell, from nbclient's recorded execution timestamps."""
    best, index = 0.0, -1
    for i, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        a, b = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if a and b:
            seconds = (datetime.fromisoformat(b.replace("Z", "+00:00"))
                       - datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds()
            if seconds > best:
                best, index = seconds, i
    return best, index


# ---------------------------------------------------------------------------------------- validate

def bench_validate(tmp, names, repeat):
    """``nbgrader validate`` from the repository root, student version and solution, wall-clock."""
    heading(f"nbgrader validate (median of {repeat}, from the repository root)")
    nbgrader = tool("nbgrader")
    # The fixed cost in every figure below: an nbgrader process that only starts and exits.
    runs = [timed([nbgrader, "--version"]) for _ in range(repeat)]
    seconds = statistics.median(s for s, _ in runs)
    print(f"   {'nbgrader --version (process start-up only)':<56} {seconds:6.2f} s", flush=True)
    record("validate", "nbgrader --version (start-up only)", seconds, note="fixed cost of every nbgrader command")
    # Most of that start-up is `import nbformat` (jsonschema builds the rfc3987-syntax Lark grammar
    # at import when that optional package is installed); grade.py and jupyter-book pay it too.
    python = str(VENV / "bin" / "python") if VENV.exists() else sys.executable
    runs = [timed([python, "-c", "import nbformat"]) for _ in range(repeat)]
    seconds = statistics.median(s for s, _ in runs)
    label = "python -c 'import nbformat' (part of that start-up)"
    print(f"   {label:<56} {seconds:6.2f} s", flush=True)
    record("validate", "python -c 'import nbformat'", seconds, note="paid by every nbgrader/grade.py/jupyter-book process")
    for name in names:
        for kind, folder in (("student version", EXERCISES), ("solution", SOLUTIONS)):
            notebook = folder / name / "exercise.ipynb"
            if not notebook.exists():
                print(f"   {name} {kind}: {notebook.relative_to(ROOT)} missing, skipped")
                continue
            log = tmp / f"validate-{name}-{kind.replace(' ', '-')}.log"
            runs = [timed([nbgrader, "validate", notebook.relative_to(ROOT)], log) for _ in range(repeat)]
            seconds = statistics.median(s for s, _ in runs)
            outcome = validate_outcome(log)
            note = f"min {min(s for s, _ in runs):.2f} / max {max(s for s, _ in runs):.2f}; {outcome}"
            item = f"{notebook.relative_to(ROOT)} ({kind})"
            print(f"   {item:<56} {seconds:6.2f} s  {verdict(seconds, GOALS['validate']):<22} {note}",
                  flush=True)
            record("validate", item, seconds, GOALS["validate"], note)


def validate_outcome(log):
    text = Path(log).read_text(errors="replace")
    last = text.split("$ ")[-1]
    if "Success!" in last:
        return "passes"
    failed = len(re.findall(r"^The following cell failed", last, re.M))
    if failed:
        return f"{failed} cell(s) fail"
    if "VALIDATION FAILED" in last or "failed" in last.lower():
        return "fails"
    return "no verdict printed"


# ----------------------------------------------------------------------------------------- grading

# Runs autograder/grade.py's main() exactly as `python autograder/grade.py ...` would, with timers
# around its nbgrader calls and the feedback writer; the figures go to a JSON file (last argument).
GRADE_WRAPPER = r"""
import importlib.util, json, sys, time
t0 = time.perf_counter()
root, out, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
spec = importlib.util.spec_from_file_location("grade", f"{root}/autograder/grade.py")
grade = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grade)
parts = {"import grade.py (nbformat, rnncourse)": time.perf_counter() - t0}
calls = {}
def timer(label_of, fn):
    def wrapped(*args, **kwargs):
        label = label_of(args)
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            parts[label] = parts.get(label, 0.0) + time.perf_counter() - start
            calls[label] = calls.get(label, 0) + 1
    return wrapped
def nbgrader_label(args):
    cmds = args[2:]  # run_nbgrader(course, log, *commands)
    cmd = cmds[0]
    if cmd[0] == "autograde" and any(a.startswith("--student=") for a in cmd):
        return "nbgrader autograde, single-student re-runs"
    return f"nbgrader {cmd[0]}" + (f" x{len(cmds)} side by side" if len(cmds) > 1 else "")
grade.run_nbgrader = timer(nbgrader_label, grade.run_nbgrader)
grade.write_feedback = timer(lambda a: "feedback HTML (nbconvert)", grade.write_feedback)
start = time.perf_counter()
code = grade.main(argv)
parts["main() total"] = time.perf_counter() - start
json.dump({"parts": parts, "calls": calls, "code": code}, open(out, "w"))
sys.exit(code)
"""


def make_submissions(name, folder, students):
    """student01..studentNN.ipynb: every UNTOUCHED_EVERY-th the student version, the rest the solution."""
    folder.mkdir(parents=True)
    width = max(2, len(str(students)))
    kinds = {}
    for i in range(1, students + 1):
        student = f"student{i:0{width}d}"
        untouched = i % UNTOUCHED_EVERY == 0
        source = (EXERCISES if untouched else SOLUTIONS) / name / "exercise.ipynb"
        shutil.copy(source, folder / f"{student}.ipynb")
        kinds[student] = "untouched" if untouched else "solution"
    return kinds


def run_plain(name, work, subs, kinds, extra=()):
    """Baseline: untimed generate_assignment + copies, then timed plain ``nbgrader autograde``."""
    nbgrader = tool("nbgrader")
    course = work / "course"
    course.mkdir(parents=True)
    log = work / "nbgrader.log"
    opts = [f"--CourseDirectory.root={course}", f"--CourseDirectory.source_directory={SOLUTIONS}"]
    gen_s, code = timed([nbgrader, "generate_assignment", name, "--force", *opts,
                         f"--CourseDirectory.release_directory={work / 'release'}"], log)
    if code:
        print(f"   plain: generate_assignment failed (exit {code})\n{tail(log)}")
        return None
    for student in kinds:
        target = course / "submitted" / student / name
        target.mkdir(parents=True)
        shutil.copy(subs / f"{student}.ipynb", target / "exercise.ipynb")
    seconds, code = timed([nbgrader, "autograde", name, "--force", *opts], log)
    if code:
        print(tail(log))
    return {"seconds": seconds, "generate": gen_s, "code": code, "scores": gradebook_scores(course, name, kinds)}


def run_ours(name, work, subs, kinds, extra=()):
    """The instructors' command, whole, in a fresh course dir, with GRADE_WRAPPER's breakdown."""
    python = str(VENV / "bin" / "python") if VENV.exists() else sys.executable
    work.mkdir(parents=True)
    course, log, profile = work / "course", work / "grade.log", work / "profile.json"
    seconds, code = timed([python, "-c", GRADE_WRAPPER, ROOT, profile, name, subs, "--course-dir", course,
                           *extra], log)
    if code:
        print(tail(log))
    result = {"seconds": seconds, "code": code, "scores": csv_scores(course / "grades" / f"{name}.csv"),
              "parts": {}, "calls": {}}
    if profile.exists():
        data = json.loads(profile.read_text())
        inside = data["parts"].pop("main() total")
        imports = data["parts"].get(IMPORT_LABEL, 0.0)
        parts = dict(data["parts"])
        parts["python start-up (outside main)"] = seconds - inside - imports
        parts["rest of main (copying, reading graded notebooks, CSV)"] = inside - sum(
            v for k, v in data["parts"].items() if k != IMPORT_LABEL)
        result["parts"], result["calls"] = parts, data["calls"]
    return result


IMPORT_LABEL = "import grade.py (nbformat, rnncourse)"


def bench_grading(tmp, names, students, repeat, grade_args=()):
    """Our grade.py vs plain nbgrader autograde, same submissions, fresh course dirs every run.

    With --grading-repeat R the two commands alternate (plain first on odd runs, ours first on
    even ones) so that neither always runs on a warmer machine; medians are reported.
    """
    heading(f"grading, {students} submissions per assignment, {repeat} run(s) of each command")
    print(f"   ours = python autograder/grade.py ASSIGNMENT SUBS --course-dir TMP {' '.join(grade_args)}".rstrip())
    for name in names:
        work = tmp / f"grading-{name}"
        subs = work / "submissions"
        kinds = make_submissions(name, subs, students)
        n_untouched = sum(k == "untouched" for k in kinds.values())
        print(f"   {name}: {students - n_untouched} solution copies + {n_untouched} untouched student versions")
        plains, ourses = [], []
        for r in range(1, repeat + 1):
            order = [("plain", run_plain, plains), ("ours", run_ours, ourses)]
            for label, run, results in (order if r % 2 else order[::-1]):
                result = run(name, work / f"run{r}-{label}", subs, kinds, grade_args if label == "ours" else ())
                if result is None:
                    continue
                results.append(result)
                what = "plain nbgrader autograde" if label == "plain" else "ours (grade.py, whole command)"
                extra = f"; untimed generate_assignment {result['generate']:.1f} s" if label == "plain" else ""
                print(f"   run {r} {what:<31} {result['seconds']:6.1f} s = "
                      f"{result['seconds'] / students:5.2f} s/submission  (exit {result['code']}; "
                      f"{score_summary(result['scores'], kinds)}{extra})", flush=True)
        if not plains or not ourses:
            continue
        for result in plains[1:] + ourses:
            if result["scores"] != plains[0]["scores"]:
                differ = sorted(s for s in kinds if result["scores"].get(s) != plains[0]["scores"].get(s))
                print(f"   NOTE: scores differ between runs for {', '.join(differ)}")
        plain_s = statistics.median(r["seconds"] for r in plains)
        ours_s = statistics.median(r["seconds"] for r in ourses)
        gen_s = statistics.median(r["generate"] for r in plains)
        ratio = ours_s / plain_s
        like = ours_s / (plain_s + gen_s)
        print(f"   median: plain {plain_s / students:.2f} s/submission, ours {ours_s / students:.2f} s/submission; "
              f"ratio ours / plain {ratio:.2f}  (ours / (plain generate_assignment + autograde) {like:.2f})")
        record("grading", f"{name}: plain nbgrader autograde, per submission", plain_s / students,
               note=f"total {plain_s:.1f} s (median of {len(plains)}); "
                    f"{score_summary(plains[0]['scores'], kinds)}")
        record("grading", f"{name}: ours (grade.py), per submission", ours_s / students,
               note=f"total {ours_s:.1f} s (median of {len(ourses)}); ratio ours/plain {ratio:.2f}; "
                    f"{score_summary(ourses[0]['scores'], kinds)}")
        parts = {k: statistics.mean(r["parts"].get(k, 0.0) for r in ourses)
                 for r0 in ourses for k in r0["parts"]}
        calls = ourses[0]["calls"]
        if parts:
            print(f"   where ours spends its time (mean of {len(ourses)} run(s)):")
            for label, value in sorted(parts.items(), key=lambda kv: -kv[1]):
                n = calls.get(label)
                print(f"      {value:7.2f} s  {label}" + (f"  ({n} call{'s' if n != 1 else ''})" if n else ""))
            for label, short in (("nbgrader autograde", "nbgrader autograde"),
                                 *((k, k.replace("nbgrader ", "")) for k in parts if "side by side" in k),
                                 ("nbgrader generate_assignment", "generate_assignment (fresh gradebook)"),
                                 ("feedback HTML (nbconvert)", "feedback HTML"),
                                 ("nbgrader autograde, single-student re-runs", "single-student re-runs")):
                if label in parts:
                    record("grading", f"{name}: ours, of which {short}", parts[label], note="total, inside grade.py")
        record("grading", f"{name}: plain generate_assignment (untimed above)", gen_s,
               note="fresh gradebook; set-up of the baseline")


def gradebook_scores(course, name, kinds):
    """student -> score from an nbgrader gradebook (None if the student has no submission there)."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in kinds:
            try:
                scores[student] = round(gb.find_submission(name, student).score, 6)
            except MissingEntry:
                scores[student] = None
    return scores


def csv_scores(path):
    if not path.exists():
        return {}
    with open(path, newline="") as f:
        return {row["student"]: round(float(row["score"]), 6) for row in csv.DictReader(f)}


def score_summary(scores, kinds):
    if not scores:
        return "no scores"
    by_kind = {}
    for student, kind in kinds.items():
        by_kind.setdefault(kind, []).append(scores.get(student))
    return "; ".join(f"{kind}: scores {sorted(set('-' if s is None else f'{s:g}' for s in values))}"
                     for kind, values in sorted(by_kind.items()))


# ---------------------------------------------------------------------------------------- summary

def machine():
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "tensorflow": version(["tensorflow-cpu", "tensorflow"]),
        "keras": version("keras"),
        "nbgrader": version("nbgrader"),
        "jupyter-book": version("jupyter-book"),
        "nbclient": version("nbclient"),
        "load": load(),
    }


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def print_table(info):
    print("\n== summary")
    print("   " + ", ".join(f"{k} {v}" for k, v in info.items()))
    width = max((len(r[1]) for r in RESULTS), default=10)
    print(f"   {'section':<10} {'item':<{width}} {'seconds':>8}  {'goal':>6}  note")
    for section, item, seconds, goal, note in RESULTS:
        s = "-" if seconds is None else f"{seconds:8.2f}"
        g = "" if goal is None else f"<={goal:g}"
        v = verdict(seconds, goal)
        print(f"   {section:<10} {item:<{width}} {s:>8}  {g:>6}  {v + ('; ' if v and note else '')}{note}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default: {','.join(SECTIONS)})")
    parser.add_argument("--students", type=int, default=20, help="submissions per assignment (default 20)")
    parser.add_argument("--assignments", default="",
                        help="comma-separated assignments for validate/grading (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per nbgrader validate figure (default 3)")
    parser.add_argument("--grading-repeat", type=int, default=2,
                        help="runs of each grading command per assignment, alternating order (default 2)")
    parser.add_argument("--grade-args", default="",
                        help="extra arguments for grade.py, e.g. --grade-args='--jobs 1' (default: none)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, builds, course dirs)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    names = [a.strip() for a in args.assignments.split(",") if a.strip()] or assignments()
    missing = [a for a in names if a not in assignments()]
    if missing:
        parser.error(f"unknown assignment(s) {', '.join(missing)}; the course has {', '.join(assignments())}")
    if args.repeat < 1 or args.grading_repeat < 1:
        parser.error("--repeat and --grading-repeat must be at least 1")
    if args.students < 1:
        parser.error("--students must be at least 1")

    info = machine()
    print("bench: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="rnn-bench-"))
    try:
        if "book" in only:
            bench_book(tmp)
        if "notebooks" in only:
            bench_notebooks(tmp)
        if "validate" in only:
            bench_validate(tmp, names, args.repeat)
        if "grading" in only:
            bench_grading(tmp, names, args.students, args.grading_repeat, shlex.split(args.grade_args))
    finally:
        info["load"] = load()
        print_table(info)
        if args.json:
            Path(args.json).write_text(json.dumps(
                {"machine": info, "results": [dict(zip(("section", "item", "seconds", "goal", "note"), r))
                                              for r in RESULTS]}, indent=1))
        if args.keep:
            print(f"\nkept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
