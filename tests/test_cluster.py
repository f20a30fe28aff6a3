"""The grading command on Dask: a real LocalCluster of two worker processes with one worker killed
mid-run, a real scheduler that goes away, refused workers, and a task that fails on every try.

Every server these tests start (the command's LocalCluster, a `dask scheduler`, a `dask worker`)
listens on 127.0.0.1 only and is stopped by the test, whatever happens.
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import psutil
import pytest

from rnncourse.grading import command, runner
from rnncourse.paths import ROOT
from tests.fixtures import build, load

GRADE = [sys.executable, str(ROOT / "autograder" / "grade.py")]
ASSIGNMENT = "01-rnn-cell"
pytestmark = pytest.mark.slow


def env():
    """The command's environment: this repository first on the path (the workers import it too)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def quick_fixtures():
    """The chapter's fixtures but those that wait for a timeout (tens of seconds each)."""
    return {s: f for s, f in load(ASSIGNMENT).items() if not any("timeout" in r for r in f.reasons)}


def rows_of(course):
    with open(course / "grades" / f"{ASSIGNMENT}.csv", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def stop(process):
    """Kill a process started by a test and everything it started, and reap it."""
    if process.poll() is None:
        for child in psutil.Process(process.pid).children(recursive=True):
            child.kill()
        process.kill()
    process.wait(timeout=30)


def busy_worker(grader):
    """A Dask worker process of the command's LocalCluster that is running a student's code now."""
    for child in psutil.Process(grader.pid).children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()) and any(
                    "bwrap" in c.name() or "python" in c.name() for c in child.children()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def test_a_worker_killed_mid_run_costs_nothing_and_nobody_is_counted_twice(tmp_path):
    fixtures = quick_fixtures()
    (tmp_path / "class").mkdir()
    for student, fixture in fixtures.items():
        build(ASSIGNMENT, student, fixture, tmp_path / "class")
    course = tmp_path / "course"
    grader = subprocess.Popen([*GRADE, ASSIGNMENT, tmp_path / "class", "--course-dir", course, "--jobs", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env())
    killed = None
    try:
        deadline = time.monotonic() + 300
        while killed is None:  # after a few results, a worker that is busy with a submission
            assert grader.poll() is None and time.monotonic() < deadline, "the run ended before a worker was killed"
            if len(list((course / "grades" / ASSIGNMENT).glob("*.json"))) >= 3 if course.exists() else False:
                killed = busy_worker(grader)
            if killed is not None:
                killed.send_signal(signal.SIGKILL)
            time.sleep(0.05)
        out, err = grader.communicate(timeout=300)
    finally:
        stop(grader)
    assert grader.returncode == 0, out + err
    assert "local Dask cluster of 2 worker processes: 2 worker(s)" in out
    rows = rows_of(course)
    assert set(rows) == set(fixtures), "every student has a row"
    wrong = {s: (rows[s]["score"], rows[s]["status"]) for s, f in fixtures.items()
             if (float(rows[s]["score"]), rows[s]["status"]) != (f.score, f.status)}
    assert not wrong, f"scores differ from the fixtures' after a killed worker: {wrong}"
    progress = Counter(line.split("] ")[1].split(":")[0] for line in err.splitlines() if line.startswith("["))
    assert progress == Counter(list(fixtures)), "each student is graded and counted exactly once"
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert sorted(s.student.id for s in gradebook.assignment_submissions(ASSIGNMENT)) == sorted(fixtures)
    assert not psutil.pid_exists(killed.pid) or killed.status() == psutil.STATUS_ZOMBIE


def test_a_task_failing_on_every_try_leaves_that_student_not_graded(tmp_path, monkeypatch):
    """bob's task raises on every try: bob is listed as not graded with the reason, kept out of the
    gradebook (the next run grades him), and alice is graded as usual."""
    fixtures = load(ASSIGNMENT)
    (tmp_path / "class").mkdir()
    for student in ("alice", "bob"):
        build(ASSIGNMENT, student, fixtures["solution"], tmp_path / "class")
    tries = tmp_path / "tries"  # a file: Dask copies the task's function, and with it any counter in it
    real = runner.grade_task

    def flaky(task):
        with open(tries, "a") as f:
            f.write(task.student_id + "\n")
        if task.student_id == "bob":
            raise RuntimeError("the worker's disk is full")
        return real(task)

    monkeypatch.setattr(runner, "grade_task", flaky)  # --jobs 1: the worker is a thread of this process
    results, *_ = command.grade_class(ASSIGNMENT, tmp_path / "class", tmp_path / "course", jobs=1)
    assert Counter(tries.read_text().split()) == {"alice": 1, "bob": 1 + runner.RETRIES}
    status = {r.student_id: (r.score, r.status, r.reason) for r in results}
    assert status["alice"] == (7, "graded", "all tests passed")
    assert status["bob"] == (0, "not graded", "grader error: RuntimeError: the worker's disk is full")
    assert rows_of(tmp_path / "course")["bob"]["status"] == "not graded"
    assert not (tmp_path / "course" / "feedback" / "bob").exists()
    monkeypatch.setattr(runner, "grade_task", real)
    results, _, kept, _ = command.grade_class(ASSIGNMENT, tmp_path / "class", tmp_path / "course", jobs=1)
    assert [(r.student_id, r.score) for r in results] == [("bob", 7)] and [s.student_id for s in kept] == ["alice"]


def test_a_worker_that_differs_or_has_no_sandbox_is_refused_by_name(monkeypatch):
    course = runner.fingerprint()
    assert runner.check_worker(course, False) == ""
    tampered = tuple((name, "0" * 64 if name == "solutions/" else digest) for name, digest in course)
    assert runner.check_worker(tampered, False) == "its solutions/ differ from the client's"
    with runner.Runner(jobs=1) as cluster:  # a real (in-process) Dask worker
        with pytest.raises(runner.ClusterError, match=r"worker inproc://\S+ is refused: its solutions/ differ"):
            cluster.refuse_differing_workers(tampered, False)
        monkeypatch.setattr(runner.sandbox, "missing_protections", lambda: ["no network"])
        with pytest.raises(runner.ClusterError, match=r"is refused: it cannot sandbox student code \(no network"):
            cluster.refuse_differing_workers(course, False)
        cluster.refuse_differing_workers(course, True)  # --unprotected: the instructor said so


def test_a_worker_refused_mid_run_is_retired_and_the_others_grade_everyone(tmp_path, monkeypatch):
    """Two real (in-process) Dask workers; worker 1 passes the check at the start, then differs (as a
    worker that joined later would): its task is refused, the worker retired by name, the task graded
    by worker 0, every student once."""
    from distributed import LocalCluster

    fixtures = load(ASSIGNMENT)
    (tmp_path / "class").mkdir()
    for i in range(6):
        build(ASSIGNMENT, f"student{i}", fixtures["solution"], tmp_path / "class")
    calls = Counter()

    def differs_later(course, unprotected, dask_worker=None):
        calls[dask_worker.name] += 1
        return "its solutions/ differ from the client's" if dask_worker.name == 1 and calls[1] > 1 else ""

    monkeypatch.setattr(runner, "check_worker", differs_later)
    out = io.StringIO()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        results, *_ = command.grade_class(ASSIGNMENT, tmp_path / "class", tmp_path / "course", out=out,
                                          scheduler=cluster.scheduler_address)
        left = list(cluster.scheduler.workers)
    assert sorted((r.student_id, r.score) for r in results) == [(f"student{i}", 7) for i in range(6)], out.getvalue()
    refused = [line for line in out.getvalue().splitlines() if "is refused" in line]
    assert len(refused) == 1 and "(1) is refused: its solutions/ differ from the client's; it is retired" in refused[0]
    assert len(left) == 1


def test_a_cluster_without_workers_is_given_time_then_refused_with_one_message(monkeypatch):
    from distributed import LocalCluster

    monkeypatch.setattr(runner, "WORKER_WAIT", 0.5)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(runner.ClusterError) as error:
            with runner.Runner(scheduler=cluster.scheduler_address, out=io.StringIO()):
                pass
    assert f"no worker joined the cluster at {cluster.scheduler_address} within 0.5 s" in str(error.value)
    assert f"start `dask worker {cluster.scheduler_address}`" in str(error.value)


def test_a_scheduler_that_goes_away_ends_the_run_with_one_message_and_keeps_what_was_graded(tmp_path):
    """The worker joins only once the command waits for one; the scheduler is killed after two grades."""
    fixtures = load(ASSIGNMENT)
    (tmp_path / "class").mkdir()
    for i in range(12):
        build(ASSIGNMENT, f"student{i:02d}", fixtures["solution"], tmp_path / "class")
    dask = str(ROOT / ".venv" / "bin" / "dask") if (ROOT / ".venv" / "bin" / "dask").exists() else "dask"
    scheduler_file = tmp_path / "scheduler.json"
    servers = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                 "--scheduler-file", scheduler_file], cwd=tmp_path, env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    grader, said = None, []
    try:
        deadline = time.monotonic() + 120
        while not scheduler_file.exists():
            assert time.monotonic() < deadline and servers[0].poll() is None, "the scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        course = tmp_path / "course"
        grader = subprocess.Popen([*GRADE, ASSIGNMENT, tmp_path / "class", "--course-dir", course,
                                   "--scheduler", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, cwd=ROOT, env=env())
        while not said or not said[-1].startswith("waiting up to"):
            said.append(grader.stdout.readline())
            assert said[-1], f"the command ended before it waited for a worker: {said}{grader.communicate()}"
        servers.append(subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                         "--no-dashboard", "--no-nanny"], cwd=tmp_path, env=env(),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        while len(list((course / "grades" / ASSIGNMENT).glob("*.json"))) < 2:
            if grader.poll() is not None or time.monotonic() > deadline + 120:
                stop(grader)
                raise AssertionError(f"nothing was graded: {said}{grader.communicate()}")
            time.sleep(0.05)
        servers[0].kill()
        out, err = grader.communicate(timeout=180)
    finally:
        for process in [*servers, *([grader] if grader else [])]:
            stop(process)
    out = "".join(said) + out
    assert grader.returncode == 2, out + err
    assert f"grading on the cluster at {address}: 1 worker(s)\n" in out  # no dashboard: none is named
    message = [line for line in err.splitlines() if not line.startswith("[")]
    assert len(message) == 1 and "went away" in message[0] and "everything graded so far is kept" in message[0], err
    graded = rows_of(course)
    assert 2 <= len(graded) < 12 and all(row["score"] == "7" for row in graded.values())
