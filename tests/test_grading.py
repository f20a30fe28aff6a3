"""The grading command on fixture submissions: each gets exactly its expected score and reason.

One grading run per assignment (module-scoped) over every fixture in tests/fixtures/NN-slug.py,
given as a zip wrapped in one folder, as an LMS download is (the first assignment), or as a folder.
The attacks among the fixtures run in the real sandbox; the tests below also check that nothing
they tried reached the instructor's side (references, gradebook, other students, processes).
"""

import csv
import html
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from rnncourse.course import assignments, chapter
from rnncourse.grading import command
from rnncourse.grading.gradebook import nbgrader_env
from rnncourse.paths import ROOT, SOLUTIONS
from tests.fixtures import build, hint_coverage, load

GRADE = [sys.executable, str(ROOT / "autograder" / "grade.py")]
pytestmark = pytest.mark.slow


def run_grade(*args):
    """As an instructor may start it: the environment's python, the environment NOT on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = "/usr/bin:/bin"
    return subprocess.run([*GRADE, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env)


@pytest.fixture(scope="module", params=assignments())
def graded(request, tmp_path_factory):
    assignment = request.param
    tmp = tmp_path_factory.mktemp(assignment)
    folder = tmp / "submissions"
    folder.mkdir()
    for student, fixture in load(assignment).items():
        build(assignment, student, fixture, folder)
    if assignment == assignments()[0]:  # as a zip of one wrapping folder, like an LMS download
        target = tmp / "class.zip"
        with zipfile.ZipFile(target, "w") as archive:
            for path in folder.iterdir():
                archive.write(path, f"class-download/{path.name}")
    else:
        target = folder
    course = tmp / "course"
    done = run_grade(assignment, target, "--course-dir", course)
    rows = {}
    csv_path = course / "grades" / f"{assignment}.csv"
    if csv_path.exists():
        with open(csv_path) as f:
            rows = {row["student"]: row for row in csv.DictReader(f)}
    return assignment, done, course, rows


def test_grading_command_succeeds(graded):
    assignment, done, course, rows = graded
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(rows) == set(load(assignment)), "every submission has a row, none is lost"
    assert f"{len(rows)} submissions" in done.stdout


def test_every_fixture_gets_its_exact_score_and_reason(graded):
    assignment, done, course, rows = graded
    problems = []
    declared = any(fixture.mistakes for fixture in load(assignment).values())
    for student, fixture in load(assignment).items():
        row = rows[student]
        if float(row["score"]) != fixture.score or row["status"] != fixture.status:
            problems.append(f"{student}: got {row['score']} ({row['status']}), expected {fixture.score:g} "
                            f"({fixture.status}); reason: {row['reason']}")
        expected_reasons = fixture.reasons or ("all tests passed",)
        for reason in expected_reasons:
            if reason not in row["reason"]:
                problems.append(f"{student}: reason {row['reason']!r} lacks {reason!r}")
        if row["review"] != fixture.review and not (fixture.review and fixture.review in row["review"]):
            problems.append(f"{student}: review {row['review']!r}, expected {fixture.review!r}")
        # the known mistakes named: exactly those a chapter's fixtures declare; none for a correct answer
        if (declared or fixture.score == float(row["max_score"])) and row["mistakes"] != ";".join(fixture.mistakes):
            problems.append(f"{student}: mistakes {row['mistakes']!r}, expected {';'.join(fixture.mistakes)!r}")
        if sum(float(row[c]) for c in row if c.startswith("test_")) != float(row["score"]):
            problems.append(f"{student}: the per-test points do not add up to the score")
    assert not problems, "\n".join(problems)


def test_feedback_for_everyone_without_hidden_tests(graded):
    assignment, done, course, rows = graded
    for student, fixture in load(assignment).items():
        page = course / "feedback" / student / assignment / "exercise.html"
        assert page.exists(), f"no feedback for {student}"
        text = page.read_text()
        own_code = "\n".join([*fixture.code.values(), *(code for *_, code in fixture.extra)])
        for secret in ("BEGIN HIDDEN TESTS", "check(", "references/", ".npz", "autograder", "rnncourse",
                       "Traceback (most recent call last)"):
            assert secret in own_code or secret not in text, f"{student}'s feedback shows {secret!r}"
        score = f"Score: 0 / {rows[student]['max_score']}" if fixture.status != "graded" else (
            f"Your score: {rows[student]['score']} / {rows[student]['max_score']}")
        assert score in text, f"{student}'s feedback does not say {score!r}"


def test_feedback_tells_what_failed(graded):
    assignment, done, course, rows = graded
    for student, fixture in load(assignment).items():
        text = (course / "feedback" / student / assignment / "exercise.html").read_text()
        for snippet in fixture.feedback:
            assert snippet in text, f"{student}'s feedback lacks {snippet!r}"
        hints = {mistake.name: mistake.hint for mistake in getattr(chapter(assignment), "MISTAKES", ())}
        named = [name for name in rows[student]["mistakes"].split(";") if name]  # as the fixture says (above)
        for name in named:  # each known mistake named, with its hint
            assert f"Hint ({name}): {html.escape(hints[name])}" in text, f"{student}'s feedback lacks the hint of {name}"
        assert named or "Hint (" not in text, f"{student}'s feedback has a hint the CSV does not name"


def test_most_wrong_fixtures_get_a_hint(graded):
    """Issue #17's figure: at least 80 % of a chapter's wrong fixtures (plausible mistakes) get a specific
    hint; `bench/hints.py` prints the figure of every chapter."""
    assignment, done, course, rows = graded
    if not getattr(chapter(assignment), "MISTAKES", ()):
        pytest.skip(f"{assignment} has no catalogue of mistakes yet")
    hinted, wrong, missed = hint_coverage(assignment, rows)
    assert hinted >= 0.8 * wrong, f"{hinted} of {wrong} wrong fixtures get a hint; none for {missed}"


def test_gradebook_has_the_same_scores_as_the_csv(graded):
    """formgrader and `nbgrader export` read the gradebook: they must show what the CSV shows."""
    from nbgrader.api import Gradebook

    assignment, done, course, rows = graded
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, row in rows.items():
            assert gradebook.find_submission(assignment, student).score == float(row["score"]), student
    assert not (ROOT / "exercises" / assignment / "gradebook.db").exists()


def test_nothing_a_student_tried_reached_the_instructors_side(graded):
    assignment, done, course, rows = graded
    time.sleep(1.5)  # the detached child of `detached_child` would write its file after 1 s
    assert not Path("/tmp/rnncourse-escaped").exists(), "a student's process wrote outside its sandbox"
    assert command.verify_references(assignment) is None  # checksums still match
    left = subprocess.run(["pgrep", "-f", "rnncourse-escaped"], capture_output=True, text=True)
    assert not left.stdout.strip(), "a student's process outlived grading"
    for page in (course / "feedback").rglob("*.html"):
        assert page.stat().st_size < 100_000, f"{page} is too large: student output must be capped"


def test_progress_is_one_line_per_submission_when_not_a_terminal(graded):
    assignment, done, course, rows = graded
    lines = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == len(rows) and lines[-1].startswith(f"[{len(rows)}/{len(rows)}]"), done.stderr[-2000:]
    assert "/s, ETA 0 s, 2 worker(s)]" in lines[-1], "the rate, the ETA and the workers, as the bar shows them"


@pytest.mark.parametrize("args, message", [
    (["99-nothing", "."], "unknown assignment '99-nothing'"),
    (["01-rnn-cell", "/no/such/folder"], "no such file or folder: /no/such/folder"),
    (["01-rnn-cell", __file__], "is neither a folder nor a zip file"),
])
def test_instructor_mistakes_exit_2_with_one_line(args, message, tmp_path):
    done = run_grade(*args, "--course-dir", tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_course_dir_inside_the_submissions_is_an_instructor_mistake(tmp_path):
    done = run_grade("01-rnn-cell", tmp_path, "--course-dir", tmp_path / "course")
    assert done.returncode == 2 and "is inside the submissions folder" in done.stderr


def test_empty_submissions_folder_is_an_instructor_mistake(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run_grade("01-rnn-cell", tmp_path / "empty", "--course-dir", tmp_path / "course")
    assert done.returncode == 2 and "no submissions in" in done.stderr


def test_a_failing_gradebook_says_why_in_one_message(tmp_path):
    course = tmp_path / "course"
    (course / "gradebook.db").mkdir(parents=True)  # sqlite cannot open a folder
    (tmp_path / "class").mkdir()
    build("01-rnn-cell", "alice", load("01-rnn-cell")["solution"], tmp_path / "class")
    done = run_grade("01-rnn-cell", tmp_path / "class", "--course-dir", course)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "gradebook" in done.stderr and "Error" in done.stderr, done.stderr


def test_a_later_batch_adds_and_regrading_is_explicit(tmp_path):
    fixtures = load("01-rnn-cell")
    course = tmp_path / "course"
    for batch, students in enumerate([("alice", "bob"), ("bob", "carol")]):
        folder = tmp_path / f"batch{batch}"
        folder.mkdir()
        for name, fixture in zip(students, (fixtures["solution"], fixtures["forgets_h0"])):
            build("01-rnn-cell", name, fixture, folder)
        done = run_grade("01-rnn-cell", folder, "--course-dir", course)
        assert done.returncode == 0, done.stderr
    assert re.search(r"bob +already graded: kept \(--regrade to grade again\)", done.stdout), done.stdout
    with open(course / "grades" / "01-rnn-cell.csv") as f:
        scores = {row["student"]: row["score"] for row in csv.DictReader(f)}
    assert scores == {"alice": "7", "bob": "2", "carol": "2"}, "bob's first grade is kept, alice is not lost"
    done = run_grade("01-rnn-cell", tmp_path / "batch1", "--course-dir", course, "--regrade")
    with open(course / "grades" / "01-rnn-cell.csv") as f:
        scores = {row["student"]: row["score"] for row in csv.DictReader(f)}
    assert scores == {"alice": "7", "bob": "7", "carol": "2"}


def test_no_sandbox_means_no_grading_unless_asked(tmp_path, monkeypatch):
    from rnncourse.grading import sandbox

    (tmp_path / "class").mkdir()
    build("01-rnn-cell", "alice", load("01-rnn-cell")["solution"], tmp_path / "class")
    monkeypatch.setattr(sandbox, "missing_protections", lambda: ["no network"])
    with pytest.raises(command.InstructorError, match="no network.*--unprotected"):
        command.grade_class("01-rnn-cell", tmp_path / "class", tmp_path / "course")
    results, *_ = command.grade_class("01-rnn-cell", tmp_path / "class", tmp_path / "course", unprotected=True)
    assert [(r.student_id, r.score) for r in results] == [("alice", 7)]


def test_a_messy_class_zip_loses_nobody_and_says_what_it_ignored(tmp_path):
    """Sections, a stray file, a non-Latin name, an upper-case suffix, and a symlink to the solution."""
    fixtures = load("01-rnn-cell")
    folder = tmp_path / "download"
    for name in ("section-a/张伟", "section-a/Zoë Müller", "section-b/bob", "section-b/carol"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        build("01-rnn-cell", name.split("/")[1], fixtures["solution"], folder / name.split("/")[0])
    (folder / "section-b" / "bob.ipynb").rename(folder / "section-b" / "bob.IPYNB")
    (folder / "README.txt").write_text("grades are due friday")
    (folder / "section-b" / "mallory.ipynb").symlink_to(SOLUTIONS / "01-rnn-cell" / "exercise.ipynb")
    done = run_grade("01-rnn-cell", folder, "--course-dir", tmp_path / "course")
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "course" / "grades" / "01-rnn-cell.csv", encoding="utf-8") as f:
        rows = {row["name"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == ["Zoë Müller", "bob", "carol", "mallory", "张伟"]
    assert all(rows[n]["score"] == "7" for n in ("Zoë Müller", "bob", "carol", "张伟"))
    assert rows["mallory"]["score"] == "0" and "symbolic link" in rows["mallory"]["reason"]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", rows["张伟"]["student"]) and rows["张伟"]["student"] != rows["Zoë Müller"]["student"]
    assert "ignored README.txt: not a notebook" in done.stdout


def test_ctrl_c_stops_cleanly_and_keeps_what_was_graded(tmp_path):
    fixtures = load("01-rnn-cell")
    (tmp_path / "class").mkdir()
    for i in range(3):
        build("01-rnn-cell", f"quick{i}", fixtures["solution"], tmp_path / "class")
    build("01-rnn-cell", "zz_loops", fixtures["infinite_loop"], tmp_path / "class")
    grader = subprocess.Popen([*GRADE, "01-rnn-cell", tmp_path / "class", "--course-dir", tmp_path / "course",
                               "--jobs", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not (tmp_path / "course" / "grades" / "01-rnn-cell" / "quick2.json").exists():
        assert time.monotonic() < deadline, "nothing was graded"
        time.sleep(0.1)
    grader.send_signal(signal.SIGINT)
    out, err = grader.communicate(timeout=30)
    assert grader.returncode == 130, out + err
    assert "interrupted:" in out and "of 4 graded and kept" in out
    with open(tmp_path / "course" / "grades" / "01-rnn-cell.csv") as f:
        assert sorted(row["student"] for row in csv.DictReader(f)) == ["quick0", "quick1", "quick2"]


def test_broken_zip_is_an_instructor_mistake(tmp_path):
    broken = tmp_path / "class.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("alice.ipynb", "{}")
    broken.write_bytes(broken.read_bytes()[:30])
    done = run_grade("01-rnn-cell", broken, "--course-dir", tmp_path / "course")
    assert done.returncode == 2


def test_plain_nbgrader_autograde_and_feedback_still_work(tmp_path):
    """Instructors who know nbgrader may grade with it (hidden tests in the kernel, no sandbox):
    the scores agree with ours, and the course's config strips the hidden tests from its feedback."""
    from nbgrader.api import Gradebook

    fixtures = load("01-rnn-cell")
    for student in ("solution", "forgets_h0"):
        folder = tmp_path / "submitted" / student / "01-rnn-cell"
        folder.mkdir(parents=True)
        build("01-rnn-cell", "exercise", fixtures[student], folder)

    def nbgrader(*args):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force", f"--CourseDirectory.root={tmp_path}",
                               f"--CourseDirectory.source_directory={SOLUTIONS}",
                               f"--CourseDirectory.release_directory={tmp_path / 'release'}"],
                              capture_output=True, text=True, cwd=ROOT, env=nbgrader_env())
        assert done.returncode == 0, done.stdout + done.stderr

    for step in ("generate_assignment", "autograde", "generate_feedback"):
        nbgrader(step, "01-rnn-cell")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        assert [gradebook.find_submission("01-rnn-cell", s).score for s in ("solution", "forgets_h0")] == [7, 2]
    for page in (tmp_path / "feedback").glob("*/01-rnn-cell/exercise.html"):
        for secret in ("BEGIN HIDDEN TESTS", "check(", ".npz"):
            assert secret not in page.read_text(), f"{page} shows {secret!r}"
