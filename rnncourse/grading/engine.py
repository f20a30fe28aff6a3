"""Grade one submission: the student's code runs in a sandboxed worker, the judging happens here.

The expected values never leave this (trusted) process. From the instructor's source notebook it
takes the locked cells (set-up and tests: their visible code, and the hidden checks, parsed from
``check("function", dtype=...)`` lines) and from the submission only the student's own cells, so a
test cannot be skipped or rewritten. The worker (:mod:`.worker`) runs the cells in notebook order
and calls the student's functions on the hidden inputs; :func:`rnncourse.checks.judge` compares
the values it returns, rebuilt here from bytes, with the references.

When a test fails, :func:`known_mistakes` calls its functions again on the hidden inputs and
names the known mistake (:mod:`rnncourse.mistakes`) whose stored outputs they match, for the hint
on the feedback line; the score is decided before and never changes.

A cell or call that hangs or kills its process costs only its own test: the worker is stopped,
a new one replays the cells that had finished, and grading goes on. A submission's total time is
bounded by ``Options.budget``.
"""

import ast
import io
import os
import re
import select
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat

from .. import mistakes, references
from ..checks import StudentCodeError, arguments, in_group, judge
from ..paths import ASSIGNMENT_NOTEBOOK, SOLUTIONS
from . import sandbox, worker

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n?", re.S)
RISKY = {"os", "sys", "subprocess", "ctypes", "signal", "socket", "inspect", "gc", "builtins", "importlib",
         "threading", "multiprocessing", "__import__", "exec", "eval", "open", "get_ipython", "__builtins__",
         "rnncourse", "nbgrader"}
MESSAGE_LIMIT = 300  # characters of any message a student sees


@dataclass(frozen=True)
class Options:
    cell_timeout: float = 30.0  # a cell that runs longer is stopped (nbgrader's default)
    call_timeout: float = 10.0  # one call of a student's function on one hidden input
    budget: float = 120.0  # a whole submission
    limits: sandbox.Limits = sandbox.Limits()
    unprotected: bool = False  # run without the sandbox (the instructor said so explicitly)
    python_paths: tuple = ()  # the numpy-only environment the worker imports from


@dataclass(frozen=True)
class Step:
    label: str  # a test's grade_id, or "cell N" of the submission
    source: str  # what runs (for a test: its visible code only)
    test: bool = False
    checks: tuple = ()  # (function, dtype, group) a test judges against the references


@dataclass
class Assignment:
    """What the instructor's source says: locked cells by grade_id, points, references."""

    name: str
    locked: dict  # grade_id -> Step, in notebook order
    points: dict  # test grade_id -> points
    references: dict  # function -> (Graded, cases)
    mistakes: dict = field(default_factory=dict)  # function -> {name: {"hint", "of"}} (references.hints)

    def hint(self, name):
        """The hint of a known mistake of this assignment."""
        return next(known[name]["hint"] for known in self.mistakes.values() if name in known)


@dataclass
class Outcome:
    scores: dict = field(default_factory=dict)  # test grade_id -> points earned
    messages: dict = field(default_factory=dict)  # test grade_id -> why it failed
    review: list = field(default_factory=list)  # why an instructor should look at the code
    seconds: float = 0.0
    steps: list = field(default_factory=list)  # what ran, in order (the feedback shows it)
    cell_errors: dict = field(default_factory=dict)  # a cell (not a test) that raised -> its error
    mistakes: dict = field(default_factory=dict)  # test grade_id -> the known mistakes its failure matches


def hidden_checks(source):
    """The (function, dtype, group) of the ``check(...)`` calls in a test's hidden region."""
    found = []
    for region in HIDDEN.findall(source):
        for node in ast.walk(ast.parse(region)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
                keyword = {k.arg: k.value.value for k in node.keywords}
                found.append((node.args[0].value, keyword.get("dtype"), keyword.get("group")))
    return tuple(found)


@cache
def load_assignment(name):
    """The trusted side of an assignment, from ``solutions/`` and the verified references."""
    nb = nbformat.read(SOLUTIONS / name / ASSIGNMENT_NOTEBOOK, as_version=4)
    locked, points = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("locked"):
            continue
        grade_id = meta["grade_id"]
        test = bool(meta.get("grade"))
        locked[grade_id] = Step(grade_id, HIDDEN.sub("", cell.source), test, hidden_checks(cell.source))
        if test:
            points[grade_id] = float(meta.get("points", 0))
    cases = references.read(references.path_of(name))
    for step in locked.values():  # a group no case has is the author's mistake: say so before grading
        for function, _, group in step.checks:
            in_group(cases[function][1], group)
    return Assignment(name, locked, points, cases, references.hints(references.path_of(name)))


def program(assignment, nb):
    """The steps to run, in the submission's order: the student's own cells as they are, every locked
    cell as the source has it (restored if edited, put back if deleted, run once if duplicated)."""
    steps, seen = [], set()
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None  # any metadata may be stray
        if isinstance(grade_id, str) and grade_id in assignment.locked:
            if grade_id not in seen:
                seen.add(grade_id)
                steps.append(assignment.locked[grade_id])
        else:  # solution cells, pasted cells, helpers: whatever their metadata says
            steps.append(Step(f"cell {index + 1}", str(cell.get("source", ""))))
    missing = [step for grade_id, step in assignment.locked.items() if grade_id not in seen]
    setup = [step for step in missing if not step.test]
    return setup + steps + [step for step in missing if step.test]


def risky_names(steps, assignment):
    """Names in the student's own cells that deserve a look (parsed, so comments do not count)."""
    used = set()
    for step in steps:
        if step.label in assignment.locked:
            continue
        try:
            tree = ast.parse(worker.strip_magics(step.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.Attribute):
                used.add(node.attr)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                used |= {(node.module or "") if isinstance(node, ast.ImportFrom) else "", *(
                    a.name.split(".")[0] for a in node.names)}
    return sorted(used & RISKY)


def defined(source):
    """The names a cell's code defines at its top level (functions, classes, assignments)."""
    try:
        tree = ast.parse(worker.strip_magics(source))
    except SyntaxError:
        return set(re.findall(r"^def\s+(\w+)", source, re.M))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def because(failure, steps, cell_errors):
    """A test's failure, led by the reason when a name it misses is defined in a cell that raised."""
    for step in steps:
        if step.label in cell_errors:
            missing = sorted(n for n in defined(step.source)
                             if re.search(rf"\b{re.escape(n)}\b.{{0,8}} (is )?not defined", failure))
            if missing:
                return (f"{', '.join(missing)} is missing because {step.label} raised when graded "
                        f"({cell_errors[step.label]}); {failure}")
    return failure


def clean(text):
    """A student-influenced message as a student may see it: one line, printable, capped."""
    text = re.sub(r"[^\S ]+", " ", re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(text)))
    text = "".join(c for c in text if c.isprintable())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


class Stopped(Exception):
    """The worker hung or died: the message says which, in the student's terms."""


LIVE = set()  # sessions with a running worker, for stop_all()
STOPPING = threading.Event()  # set by stop_all(): no new worker starts


def stop_all():
    """Stop every running worker and start no new one (Ctrl-C)."""
    STOPPING.set()
    for session in list(LIVE):
        session.stop()


class Session:
    """One sandboxed worker, restarted (replaying finished cells) after a hang or a crash."""

    def __init__(self, options):
        self.options = options
        self.process = None
        self.finished = []  # run messages that returned, to replay in a new worker
        self.restarts = 0

    def start(self):
        if STOPPING.is_set():
            raise Stopped("died")
        paths = sandbox.seen_as(self.options.python_paths, self.options.unprotected)
        code = f"import sys; sys.path[:0] = {paths!r}\n" + WORKER_SOURCE
        self.process = sandbox.start([sys.executable, "-I", "-S", "-c", code],
                                     python_paths=list(self.options.python_paths), limits=self.options.limits,
                                     unprotected=self.options.unprotected, env=WORKER_ENV)
        os.set_blocking(self.process.stdin.fileno(), False)
        LIVE.add(self)
        for message in list(self.finished):
            try:
                self.exchange(message, (), self.options.cell_timeout, replay=True)
            except Stopped:  # it finished once but not now: leave it out of later replays
                self.finished.remove(message)
                raise

    def stop(self):
        process, self.process = self.process, None
        LIVE.discard(self)
        if process is not None:
            sandbox.kill(process)

    def exchange(self, message, blobs, timeout, replay=False):
        """Send one command, return (reply, blobs); raise Stopped after a hang or a crash."""
        try:
            if self.process is None:
                self.start()
            deadline = time.monotonic() + timeout
            self._write(worker.encode(message, blobs), deadline)
            reply = self._read(deadline)
        except Stopped:
            self.stop()
            self.restarts += 1
            raise
        if message["op"] == "run" and not replay:
            self.finished.append(message)
        return reply

    def _write(self, data, deadline):
        fd = self.process.stdin.fileno()
        while data:
            if not select.select([], [fd], [], max(0.0, deadline - time.monotonic()))[1]:
                raise Stopped("timeout")
            try:
                data = data[os.write(fd, data):]
            except (BrokenPipeError, OSError):
                raise Stopped("died") from None

    def _read(self, deadline):
        fd, buffer = self.process.stdout.fileno(), bytearray()
        while True:
            size = frame_size(buffer)
            if size is not None and len(buffer) >= size:
                return worker.receive(io.BytesIO(bytes(buffer[:size])))
            if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise Stopped("timeout")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise Stopped("died")
            buffer += chunk
            if len(buffer) > worker.MAX_MESSAGE + (1 << 20):
                raise Stopped("garbled")


def frame_size(buffer):
    """The total size of the frame at the start of ``buffer``, once its lengths have arrived."""
    if len(buffer) < 4:
        return None
    (n,) = struct.unpack_from("<I", buffer)
    if not 1 <= n <= 100_000:
        raise Stopped("garbled")
    if len(buffer) < 4 + 8 * n:
        return None
    return 4 + 8 * n + sum(struct.unpack_from(f"<{n}Q", buffer, 4))


STOPPED = {
    "timeout": "did not finish within {limit:g} s (a correct answer takes milliseconds): is there a loop that never ends?",
    "died": "ended the process running your code (os._exit, a crash, or running out of memory)",
    "garbled": "wrote into the grader's channel",
}


def grade(assignment, nb, options=Options()):
    """Run and judge one submission (a notebook node); return its Outcome."""
    started = time.monotonic()
    steps = program(assignment, nb)
    outcome = Outcome(scores={gid: 0.0 for gid in assignment.points}, steps=steps)
    risky = risky_names(steps, assignment)
    if risky:
        outcome.review.append(f"uses {', '.join(risky)}")
    session = Session(options)
    passed = set()  # functions whose tests passed: their known mistakes are ruled out elsewhere
    try:
        for step in steps:
            if STOPPING.is_set():
                break
            deadline = started + options.budget
            if time.monotonic() >= deadline:
                if step.test:
                    outcome.messages[step.label] = "not run: your notebook used up its time for grading"
                continue
            failure = run_step(session, assignment, step, options, deadline)
            if not step.test:
                if failure is not None:
                    outcome.cell_errors[step.label] = clean(failure)
            elif failure is None:
                outcome.scores[step.label] = assignment.points[step.label]
                passed |= {function for function, _, _ in step.checks}
            else:
                outcome.messages[step.label] = clean(because(failure, steps, outcome.cell_errors))
                if not failure.startswith(("timeout: ", "the test ")):  # a hang or a crash: nothing to match
                    found = known_mistakes(session, assignment, step, options, deadline, passed)
                    if found:
                        outcome.mistakes[step.label] = found
    finally:
        session.stop()
    if session.restarts:
        outcome.review.append(f"its code hung or ended its process {session.restarts} time(s)")
    outcome.seconds = time.monotonic() - started
    return outcome


def run_step(session, assignment, step, options, deadline):
    """Run one step; for a test, return why it failed (None if it passed)."""
    limit = options.call_timeout if step.test else options.cell_timeout  # tests call on tiny inputs
    try:
        if step.source.strip():
            reply, _ = session.exchange({"op": "run", "cell": step.label, "source": step.source}, (),
                                        min(limit, deadline - time.monotonic()))
            if not reply.get("ok"):
                return reply.get("error", "failed")
        limit = options.call_timeout
        for function, dtype, group in step.checks:
            graded, cases = assignment.references[function]
            for case in in_group(cases, group):
                blobs = []
                args, keywords = (worker.pack(part, blobs) for part in arguments(graded, case, dtype))
                reply, out = session.exchange({"op": "call", "function": function, "args": args,
                                               "keywords": keywords}, blobs,
                                              min(limit, deadline - time.monotonic()))
                if not reply.get("ok"):
                    return f"StudentCodeError: {reply.get('error', 'failed')}"
                judge(function, graded, case, worker.unpack(reply["result"], out), dtype)
    except Stopped as stop:
        what = "the test" if step.test else "your cell"
        return f"timeout: {what} {STOPPED[str(stop)].format(limit=limit)}" if str(stop) == "timeout" else (
            f"{what} {STOPPED[str(stop)]}")
    except StudentCodeError as error:
        return f"StudentCodeError: {error}"
    except Exception as error:  # a reply that is not what the protocol says: the student's doing
        return f"the grader could not read what your code returned ({type(error).__name__})"
    return None


def known_mistakes(session, assignment, step, options, deadline, passed):
    """The known mistakes a failed test's functions match (:mod:`rnncourse.mistakes`): each check is
    run again on all its cases, for the hint only (the score is decided), even when the test's visible
    code failed first; a check matching exactly one mistake names it. Never raises."""
    found = []
    for function, dtype, group in step.checks:
        graded, cases = assignment.references[function]
        cases = in_group(cases, group)
        if not mistakes.known(cases):
            continue
        outcomes, wrong = [], False
        try:
            for case in cases:
                blobs = []
                args, keywords = (worker.pack(part, blobs) for part in arguments(graded, case, dtype))
                reply, out = session.exchange({"op": "call", "function": function, "args": args,
                                               "keywords": keywords}, blobs,
                                              min(options.call_timeout, deadline - time.monotonic()))
                if not reply.get("ok"):
                    outcomes.append((None, mistakes.raised_type(function, reply.get("error"))))
                    wrong = True
                    continue
                result = worker.unpack(reply["result"], out)
                outcomes.append((result, None))
                try:
                    judge(function, graded, case, result, dtype)
                except StudentCodeError:
                    wrong = True
        except Exception:  # a hang, a crash, a reply the protocol does not allow: no hint
            return found
        if not wrong:
            continue
        name = mistakes.identify(function, graded, cases, outcomes, assignment.mistakes[function], passed)
        if name and name not in found:
            found.append(name)
    return found


WORKER_SOURCE = Path(worker.__file__).read_text()
WORKER_ENV = {"MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp/matplotlib"}  # a student's plots draw nowhere
