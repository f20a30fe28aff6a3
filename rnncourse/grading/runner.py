"""Where submissions are graded: Dask ``distributed`` workers, on this machine or on a cluster.

A task grades one submission: a :class:`Task` (the notebook's bytes, the assignment, the options)
goes to a worker, which runs the student's code in its own sandbox and judges it against its own
copy of the course; the result comes back as plain records (``store.Result``, ``engine.Outcome``)
and the client, the only writer, saves it at once.

- By default the command starts a ``LocalCluster`` of its own on 127.0.0.1 (``jobs`` worker
  processes, one thread each) and stops it at the end. One worker (``--jobs 1``) is a worker thread
  in this process (``processes=False``): still Dask, without the seconds that starting worker
  processes costs. A single submission (a late one) is graded by this process itself, with the
  same function a worker runs (:func:`grade_here`): importing Dask alone would take half a second.
- ``scheduler`` (``--scheduler tcp://HOST:8786``, or ``RNNCOURSE_SCHEDULER``) sends the same tasks
  to an existing cluster instead; one without a worker yet is given :data:`WORKER_WAIT` seconds for
  the first to join.

Before its first task a worker proves it holds the same course as the client
(:func:`fingerprint` of ``solutions/``, the references and the ``rnncourse`` package, and the
sandbox's packages) and a working sandbox; otherwise it is refused, with one message naming it,
and retired: the others grade (none left: :class:`ClusterError`). A worker killed mid-task costs
only that task, which Dask runs again elsewhere: the client receives each result once. A task that
fails on every try leaves its student "not graded" with the reason; a scheduler that goes away ends
the run (:class:`ClusterError`).
"""

import functools
import hashlib
import logging
import os
import sys
import time
import uuid
from dataclasses import dataclass, replace

from ..paths import ROOT
from . import engine, sandbox
from .store import NOT_GRADED, Result

RETRIES = 2  # a task that raised runs again this many times (a killed worker: Dask's allowed-failures)
SCHEDULER_ENV = "RNNCOURSE_SCHEDULER"
WORKER_WAIT = 60  # seconds an existing cluster without a worker is given for its first one to join
NEEDS = " (every worker needs the client's repository, .venv with .venv/sandbox, and bubblewrap)"


class ClusterError(Exception):
    """The cluster cannot grade (no worker left that may, a lost scheduler): one message, the run ends."""


class Refused(Exception):
    """Raised on a worker that must not grade: it differs from the client, or has no sandbox."""

    def __init__(self, message, address):
        super().__init__(message, address)  # both in args: they cross back to the client

    def __str__(self):
        return self.args[0]

    @property
    def address(self):
        return self.args[1]


@dataclass(frozen=True)
class Task:
    """One submission to grade: plain values only. ``student_id``, ``name``, ``entry``, ``lms`` and
    ``lms_id`` are what :func:`grade_one` reads of a submission."""

    assignment: str
    student_id: str
    name: str
    entry: str
    notebook: bytes
    options: engine.Options
    course: tuple = ()  # the client's fingerprint, ((part, digest), ...): set by Runner.grade
    lms: str = ""  # the LMS that named the submission, and its id of the student (store.Result carries them)
    lms_id: str = ""


PARTS = {  # what a worker must share with the client: name -> (folder, file pattern)
    "solutions/": ("solutions", "*"),
    "the references (autograder/references, autograder/chapters)": ("autograder", "*"),
    "the rnncourse package": ("rnncourse", "*.py"),
    "the sandbox's packages (.venv/sandbox/.pins)": (None, None),
}
PACKAGE = "the rnncourse package"


def digest_of(root, folder, pattern):
    """sha256 of the files under ``root / folder`` (names and bytes); of the sandbox's pins for None."""
    digest = hashlib.sha256()
    if folder is None:
        pins = sandbox.sandbox_site() / ".pins"
        digest.update(pins.read_bytes() if pins.is_file() else b"missing")
        return digest.hexdigest()
    base = root / folder
    for path in sorted(p for p in base.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        if folder == "autograder" and path.relative_to(base).parts[0] not in ("references", "chapters"):
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def running_package(root=ROOT):
    """The package's digest when this process first asked: the code it runs, even if the files change
    later under a long-lived worker."""
    return digest_of(root, *PARTS[PACKAGE])


def fingerprint(root=ROOT):
    """((part, sha256), ...) of the course files that decide a grade, as this process holds them."""
    return tuple((name, running_package(root) if name == PACKAGE else digest_of(root, *where))
                 for name, where in PARTS.items())


def check_worker(course, unprotected, dask_worker=None):
    """On a worker: why it must not grade (one line), or "" when it may. Checked once per worker."""
    key = (course, unprotected)
    cached = getattr(dask_worker, "rnncourse_check", None)
    if cached and cached[0] == key:
        return cached[1]
    mine = dict(fingerprint())
    differ = [name for name, digest in course if mine.get(name) != digest]
    why = f"its {', '.join(differ)} differ from the client's" if differ else ""
    if not why and not sandbox.sandbox_site().is_dir():
        why = f"it has no {sandbox.sandbox_site()} (run `bash scripts/setup.sh` there)"
    if not why and not unprotected and sandbox.missing_protections():
        why = f"it cannot sandbox student code ({', '.join(sandbox.missing_protections())} missing: {sandbox.HOW})"
    if dask_worker is not None:
        dask_worker.rnncourse_check = (key, why)
    return why


def grade_task(task):
    """On a worker: grade one submission; (Result, Outcome, cell grade_ids), as the client saves them."""
    from distributed import get_worker

    worker = get_worker()
    why = check_worker(task.course, task.options.unprotected, dask_worker=worker)
    if why:
        raise Refused(f"worker {worker.address} ({worker.name}) is refused: {why}", worker.address)
    loaded = worker.__dict__.setdefault("rnncourse_assignments", {})  # this worker's, per course version
    if (task.assignment, task.course) not in loaded:
        loaded[(task.assignment, task.course)] = engine.load_assignment.__wrapped__(task.assignment)
    return grade_here(task, loaded[(task.assignment, task.course)])


def grade_here(task, trusted):
    """Grade one task in this process with the assignment ``trusted``: what every worker runs."""
    import nbformat

    nb = nbformat.reads(task.notebook.decode("utf-8"), as_version=4)
    return grade_one(trusted, task, nb, replace(task.options, python_paths=(str(sandbox.sandbox_site()),)))


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
    return Result(task.student_id, task.name, task.entry, status=NOT_GRADED, tests={g: 0.0 for g in trusted.points},
                  reason=f"grader error: {reason}", review="not graded: run the command again for this student")


class Runner:
    """A Dask client for one run: ``with Runner(jobs, scheduler, tasks) as runner: runner.grade(...)``."""

    def __init__(self, jobs=1, scheduler=None, tasks=None, out=sys.stdout):
        self.jobs, self.out = max(1, jobs), out
        self.scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
        self.here = not self.scheduler and tasks is not None and tasks <= 1  # graded by this process: no Dask
        self.in_process = not self.scheduler and self.jobs == 1
        self.client = self.cluster = None
        self.workers, self._counted, self.retired = 0, 0.0, set()

    def __enter__(self):
        if self.here:
            self.workers = 1
            print("grading in this process (one submission)", file=self.out, flush=True)
            return self
        try:
            from distributed import Client, LocalCluster

            names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
            for name in names + ["distributed"]:  # a killed worker, a lost scheduler: handled and said
                logging.getLogger(name).setLevel(logging.CRITICAL)
            if self.scheduler:
                self.client = Client(self.scheduler, timeout="20s", set_as_default=False)
                where = f"the cluster at {self.scheduler}"
            else:
                where = {} if self.in_process else {"host": "127.0.0.1"}  # in-process: no port at all
                self.cluster = LocalCluster(n_workers=1 if self.in_process else self.jobs, threads_per_worker=1,
                                            processes=not self.in_process, dashboard_address=None,
                                            silence_logs=logging.CRITICAL, **where)
                self.client = Client(self.cluster, set_as_default=False)
                where = ("a Dask worker thread in this process" if self.in_process
                         else f"a local Dask cluster of {self.jobs} worker processes")
        except Exception as error:  # noqa: BLE001 (no scheduler there, no port free, a worker that cannot start)
            self.close()
            what = f"no Dask scheduler at {self.scheduler}" if self.scheduler else "the local Dask cluster did not start"
            raise ClusterError(f"{what}: {type(error).__name__}: {error}") from None
        if not self.count_workers(force=True) and self.scheduler:
            self.wait_for_a_worker()
            self.count_workers(force=True)
        dashboard = self.dashboard() if self.scheduler else ""  # the local cluster starts none
        print(f"grading on {where}: {self.workers} worker(s)" + (f"; dashboard {dashboard}" if dashboard else ""),
              file=self.out, flush=True)
        return self

    def wait_for_a_worker(self):
        """Wait for the cluster's first worker (one started along with this command takes seconds to join)."""
        print(f"waiting up to {WORKER_WAIT:g} s for a worker to join the cluster at {self.scheduler}", file=self.out,
              flush=True)
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT)
        except Exception as error:  # noqa: BLE001 (TimeoutError; a lost scheduler)
            self.close()
            raise ClusterError(f"no worker joined the cluster at {self.scheduler} within {WORKER_WAIT:g} s "
                               f"({type(error).__name__}): start `dask worker {self.scheduler}` on each grading machine"
                               + NEEDS) from None

    def dashboard(self):
        """The scheduler's dashboard page, or "" when it serves none (started without it, or without bokeh)."""
        import urllib.request

        try:
            link = self.client.dashboard_link
            with urllib.request.urlopen(link, timeout=2) as page:
                return link if page.status == 200 else ""
        except Exception:  # noqa: BLE001 (no dashboard: HTTP 404, no HTTP server at all)
            return ""

    def __exit__(self, kind, *rest):
        if kind is KeyboardInterrupt:  # an in-process worker is busy with a sandbox: end it first
            engine.stop_all()
        self.close()

    def close(self):
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 (a lost scheduler: nothing left to close)
                    pass
        self.client = self.cluster = None

    def count_workers(self, force=False):
        """The number of workers, asked of the scheduler at most every 2 s (the progress bar shows it)."""
        if force or time.monotonic() - self._counted > 2:
            try:
                self.workers = len(self.client.scheduler_info(n_workers=-1)["workers"])
            except Exception:  # noqa: BLE001 (asked again later)
                pass
            self._counted = time.monotonic()
        return self.workers

    def refuse_differing_workers(self, course, unprotected):
        """Ask every worker now: refuse the run, naming each worker that may not grade, and why."""
        try:
            answers = self.client.run(check_worker, course, unprotected)
        except Exception as error:  # noqa: BLE001 (a worker left meanwhile, a lost scheduler)
            raise ClusterError(f"the workers could not be checked ({type(error).__name__}: {error})") from None
        refused = {address: f"worker {address} is refused: {why}" for address, why in sorted(answers.items()) if why}
        if not answers:
            raise ClusterError(f"the cluster at {self.scheduler} has no worker")
        if len(refused) == len(answers):
            raise ClusterError("; ".join(refused.values()) + NEEDS)
        for address, why in refused.items():
            self.retire(address, why)

    def retire(self, address, why):
        """Say why a worker may not grade, and retire it; the others go on (none left: ClusterError)."""
        if address in self.retired:  # another of its tasks, refused before it was retired
            return
        self.retired.add(address)
        print(f"{why}; it is retired, the other workers go on{NEEDS}", file=self.out, flush=True)
        try:
            self.client.retire_workers([address], close_workers=True)
        except Exception:  # noqa: BLE001 (it left already)
            pass
        if not self.count_workers(force=True):
            raise ClusterError(f"{why}, and no other worker is left{NEEDS}")

    def grade(self, tasks):
        """Yield (task, record) per task as each finishes: ``record`` is what :func:`grade_task` returned,
        or the reason (a string) its task failed on every try. A refused worker is retired and its task
        goes to another; ClusterError when the cluster cannot go on (no worker left, the scheduler gone)."""
        if not tasks:
            return
        if self.here:
            yield from ((task, self.graded_here(task)) for task in tasks)
            return
        from distributed import as_completed
        from distributed.client import FutureCancelledError

        course = fingerprint()  # each worker must hold the same course as this client
        tasks = [replace(task, course=course) for task in tasks]
        self.refuse_differing_workers(tasks[0].course, tasks[0].options.unprotected)
        futures = dict(zip(self.submit(*tasks), tasks))
        try:
            done = as_completed(futures, loop=self.client.loop)
            for future in done:
                task = futures.pop(future)
                try:
                    record = future.result()
                except Refused as error:  # a worker that joined since the check: retired, the task goes again
                    self.retire(error.address, str(error))
                    (again,) = self.submit(task)
                    futures[again] = task
                    done.add(again)
                    continue
                except (FutureCancelledError, OSError) as error:
                    raise ClusterError(self.lost(error)) from None
                except Exception as error:  # noqa: BLE001 (failed on every try: this student only)
                    if self.client.status not in ("running", "connecting"):
                        raise ClusterError(self.lost(error)) from None
                    record = f"{type(error).__name__}: {engine.clean(error)}"
                self.count_workers()
                yield task, record
        finally:
            for future in futures:
                future.cancel()

    def submit(self, *tasks):
        """Futures of the tasks, sent to the scheduler in one message (one per task costs the client and
        the scheduler milliseconds each)."""
        keys = [f"grade-{task.assignment}-{task.student_id}-{uuid.uuid4().hex}" for task in tasks]
        return self.client.map(grade_task, tasks, key=keys, retries=RETRIES, pure=False)

    def graded_here(self, task):
        """The task graded by this process (the client holds the course: nothing to check); on the grader's
        own failure, the reason, as for a task that failed on every try of a cluster."""
        try:
            return grade_here(task, engine.load_assignment(task.assignment))
        except Exception as error:  # noqa: BLE001 (this student only)
            return f"{type(error).__name__}: {engine.clean(error)}"

    def lost(self, error):
        where = self.scheduler or "the local cluster"
        return (f"the Dask scheduler at {where} went away ({type(error).__name__}); everything graded so far is "
                "kept: start the scheduler again and run the same command for the rest")
