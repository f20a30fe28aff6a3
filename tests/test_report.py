"""The class report, the Canvas export, feedback pages with math, and grading every assignment at once.

A fixture class (tests/fixtures: a few submissions of 01-rnn-cell and 03-hihello, with their exact
scores, plus a student whose name is an HTML injection) is graded once by the real command,
``grade.py --all CLASS``, from a class folder holding 01-rnn-cell/ (a folder), 03-hihello.zip (a zip
of one wrapping folder), an unknown folder and a stray file. The report's tables are read back with
an HTML parser and compared with what the fixtures' scores imply; the plots are the same numbers.
The quick tests at the end check the parts on records made up in the test (no grading).
"""

import csv
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from html.parser import HTMLParser

import pytest

from rnncourse.course import chapter
from rnncourse.feedback import MATHJAX_SOURCE
from rnncourse.grading import export, report
from rnncourse.paths import ROOT
from tests.fixtures import build, load

GRADE = [sys.executable, str(ROOT / "autograder" / "grade.py")]
INJECTED = "<script>alert(1)"  # a student's name (their file's name): must never reach a page as HTML
CLASS = {  # assignment -> {student: fixture}
    "01-rnn-cell": ["solution", "untouched", "forgets_h0", "sigmoid", "no_bias", "kernel_crash", "invalid_json",
                    "time_major", "leaks_in_its_error", (INJECTED, "forgets_h0")],
    "03-hihello": ["solution", "untouched", "plausible_mistakes", "unsorted_vocab", (INJECTED, "solution")],
}
# Per test: how many of the graded notebooks pass it (each fixture's score fixes which tests it passes).
PASSING = {
    "01-rnn-cell": {"test_rnn_cell_forward": 6, "test_rnn_forward": 1, "test_float64": 1},
    "03-hihello": {"test_build_vocab": 3, "test_encode": 3, "test_decode": 4, "test_one_hot": 3, "test_shift_pair": 3,
                   "test_hihello_forward": 4, "test_hihello_loss": 4},
}
POINTS = {"01-rnn-cell": {"test_rnn_cell_forward": 2, "test_rnn_forward": 3, "test_float64": 2},
          "03-hihello": {"test_build_vocab": 1, "test_encode": 1, "test_decode": 1, "test_one_hot": 1,
                         "test_shift_pair": 1, "test_hihello_forward": 4, "test_hihello_loss": 3}}
slow = pytest.mark.slow


def members(assignment):
    """student name -> Fixture, for the class of ``assignment``."""
    fixtures = load(assignment)
    return {(m if isinstance(m, str) else m[0]): fixtures[m if isinstance(m, str) else m[1]]
            for m in CLASS[assignment]}


def run_grade(*args):
    """As an instructor may start it: the environment's python, the environment NOT on PATH; this
    tree's package first (the environment's editable install may point at another checkout)."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = "/usr/bin:/bin"
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([*GRADE, *map(str, args)], capture_output=True, text=True, cwd=ROOT, env=env)


class Tables(HTMLParser):
    """Every <table> of a page: caption -> (header cells, rows of cell texts); and the <img> alts."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.images, self._table, self._cell, self._where = {}, [], None, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = {"caption": "", "header": [], "rows": []}
        elif tag == "caption":
            self._where = "caption"
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "caption":
            self._where = None
        elif tag in ("td", "th") and self._cell is not None:
            self._table["rows"][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            table, self._table = self._table, None
            table["header"], table["rows"] = table["rows"][0], table["rows"][1:]
            self.tables[table["caption"]] = table

    def handle_data(self, data):
        if self._where == "caption":
            self._table["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)

    def find(self, words):
        """The table whose caption holds ``words``."""
        found = [t for c, t in self.tables.items() if words in c]
        assert len(found) == 1, f"{len(found)} tables have {words!r} in their caption: {list(self.tables)}"
        return found[0]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class folder graded with ``grade.py --all``: (the process, the course dir, the class folder)."""
    tmp = tmp_path_factory.mktemp("class")
    folder = tmp / "class"
    (folder / "01-rnn-cell").mkdir(parents=True)
    for name, fixture in members("01-rnn-cell").items():
        build("01-rnn-cell", name, fixture, folder / "01-rnn-cell")
    staging = tmp / "staging" / "hihello-download"
    staging.mkdir(parents=True)
    for name, fixture in members("03-hihello").items():
        build("03-hihello", name, fixture, staging)
    with zipfile.ZipFile(folder / "03-hihello.zip", "w") as archive:  # an LMS download: one wrapping folder
        for path in staging.iterdir():
            archive.write(path, f"hihello-download/{path.name}")
    (folder / "99-nothing").mkdir()
    build("01-rnn-cell", "stray", load("01-rnn-cell")["solution"], folder / "99-nothing")
    (folder / "notes.txt").write_text("grade by friday")
    course = tmp / "course"
    done = run_grade("--all", folder, "--course-dir", course, "--jobs", "2")
    return done, course, folder


def page(course, assignment):
    return (course / "grades" / f"{assignment}.html").read_text(encoding="utf-8")


@slow
def test_grade_all_grades_each_assignment_folder_and_sums_up(graded):
    done, course, _ = graded
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for assignment in CLASS:
        fixtures = members(assignment)
        scores = [f.score for f in fixtures.values()]
        mean, full = sum(scores) / len(scores), sum(POINTS[assignment].values())
        row = (rf"{assignment}\s+{len(fixtures)}\s+0\s+0\s+{len(fixtures)}\s+{mean:.2f} / {full:g}\s+{scores.count(full)}\s+"
               rf"{sum(f.status != 'graded' for f in fixtures.values())}\s+{sum(bool(f.review) for f in fixtures.values())}")
        assert re.search(row, out), f"no summary row like {row!r} in:\n{out}"
        with open(course / "grades" / f"{assignment}.csv", encoding="utf-8") as f:
            assert {r["name"]: float(r["score"]) for r in csv.DictReader(f)} == {
                n: f.score for n, f in fixtures.items()}
    assert out.count("grading on a local Dask cluster of 2 worker processes") == 1, "one cluster for all"
    assert "skipped 99-nothing: this folder is not named like an assignment of the course" in out
    assert "skipped notes.txt: this file is not named like an assignment" in out
    assert "01-rnn-cell: kernel_crash: REVIEW: uses os" in out
    assert "01-rnn-cell: invalid_json: invalid notebook" in out
    assert not (course / "grades" / "99-nothing.csv").exists() and not (course / "feedback" / "stray").exists()
    for line in ("report:   " + str(course / "grades" / "01-rnn-cell.html"), "canvas:   " + str(course / "grades" / "canvas.csv")):
        assert line in out


@slow
@pytest.mark.parametrize("assignment", list(CLASS))
def test_report_histogram_and_pass_rates_are_exact(graded, assignment):
    _, course, _ = graded
    fixtures = members(assignment)
    tables = Tables(page(course, assignment))
    counts = Counter(f.score for f in fixtures.values())
    histogram = {float(score): int(n) for score, n, _ in tables.find("Students per score")["rows"]}
    assert histogram == {s: counts.get(s, 0) for s in report.achievable(POINTS[assignment])}
    ran = sum(f.status == "graded" for f in fixtures.values())
    rates = tables.find(f"Tests, over the {ran} notebooks")
    assert rates["header"] == ["test", "points", "passed", "failed", "pass rate"]
    assert {r[0]: (float(r[1]), int(r[2]), int(r[3])) for r in rates["rows"]} == {
        t: (POINTS[assignment][t], n, ran - n) for t, n in PASSING[assignment].items()}
    summary = page(course, assignment)
    assert f"<dt>students</dt><dd>{len(fixtures)}</dd>" in summary
    full = sum(POINTS[assignment].values())
    assert f"<dt>full marks</dt><dd>{sum(f.score == full for f in fixtures.values())}</dd>" in summary


@slow
def test_report_groups_the_same_failure_on_different_cases(graded):
    _, course, _ = graded
    tables = Tables(page(course, "01-rnn-cell"))
    failures = tables.find("most frequent")
    assert failures["header"] == ["test", "failure", "students", "example", "who"]
    groups = {(r[0], r[1]): (int(r[2]), r[4]) for r in failures["rows"]}
    # sigmoid and no_bias return different wrong values; forgets_h0, sigmoid and the injected student
    # different wrong sequences: one row each, with every student in it
    count, who = groups[("test_rnn_cell_forward", "AssertionError: wrong values for the … case")]
    assert count == 2 and all(s in who for s in ("sigmoid", "no_bias"))
    count, who = groups[("test_rnn_forward", "AssertionError: wrong h_seq for the … case")]
    assert count == 3 and all(s in who for s in ("forgets_h0", "sigmoid", "script_alert_1-"))
    assert groups[("test_rnn_forward", "NotImplementedError")][0] == 1
    ran = sum(f.status == "graded" for f in members("01-rnn-cell").values())
    assert len(failures["rows"]) < report.TOP_FAILURES, "all groups shown: their counts add up to the failures"
    for test, passing in PASSING["01-rnn-cell"].items():
        assert sum(n for (t, _), (n, _) in groups.items() if t == test) == ran - passing, test
    counts = [int(r[2]) for r in failures["rows"]]
    assert counts == sorted(counts, reverse=True), "most frequent first"


@slow
@pytest.mark.parametrize("assignment", list(CLASS))
def test_report_counts_the_known_mistakes_above_the_failures(graded, assignment):
    _, course, _ = graded
    text = page(course, assignment)
    table = Tables(text).find("made in this class")
    assert table["header"] == ["mistake", "students", "hint the students saw", "who"]
    expected = Counter(name for fixture in members(assignment).values() for name in fixture.mistakes)
    assert {r[0]: int(r[1]) for r in table["rows"]} == expected and len(expected) >= 3
    hints = {m.name: m.hint for m in chapter(assignment).MISTAKES}
    assert all(r[2] == hints[r[0]] for r in table["rows"])
    assert text.index("id='mistakes'") < text.index("id='failures'")


@slow
def test_report_lists_students_to_review_and_grading_times(graded):
    _, course, _ = graded
    text = page(course, "01-rnn-cell")
    tables = Tables(text)
    flagged = {r[0]: r[4] for r in tables.find("to look at")["rows"]}
    assert set(flagged) == {"kernel_crash", "invalid_json"}
    assert "uses os" in flagged["kernel_crash"] and flagged["invalid_json"].startswith("invalid notebook: ")
    ran = sum(f.status == "graded" for f in members("01-rnn-cell").values())
    assert re.search(rf"<p>{ran} submissions: total [\d.]+ s, median [\d.]+ s, 90th percentile [\d.]+ s, "
                     r"slowest [\d.]+ s\.</p>", text)
    slowest = tables.find("slowest")["rows"]
    assert len(slowest) == 5 and [float(r[1]) for r in slowest] == sorted((float(r[1]) for r in slowest), reverse=True)
    everyone = tables.find(f"{len(members('01-rnn-cell'))} students, by id")["rows"]
    assert len(everyone) == len(members("01-rnn-cell"))


@slow
@pytest.mark.parametrize("assignment", list(CLASS))
def test_report_is_one_accessible_file_and_escapes_student_text(graded, assignment):
    _, course, _ = graded
    text = page(course, assignment)
    tables = Tables(text)
    assert "<script" not in text and "&lt;script&gt;alert(1)" in text
    assert not re.search(r"(src|href)=['\"](?!data:image/svg\+xml;base64,)", text), "one file: nothing loaded from elsewhere"
    assert len(tables.images) == 4 and all(len(img.get("alt", "")) > 40 for img in tables.images)
    assert text.count("<thead><tr><th scope='col'") == len(tables.tables) >= 6, "every table has column headers"
    if assignment == "01-rnn-cell":  # leaks_in_its_error's message holds "<function main.<locals>.<lambda> ...>"
        assert "&lt;lambda&gt;" in text and "<lambda>" not in text


@slow
def test_canvas_export_has_every_assignment_and_student(graded):
    _, course, _ = graded
    with open(course / "grades" / "canvas.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01-rnn-cell", "03-hihello"]
    assert rows[1] == ["Points Possible", "", "", "", "", "7", "12"]
    expected = {}
    for column, assignment in enumerate(CLASS):
        for name, fixture in members(assignment).items():
            expected.setdefault(name, ["", ""])[column] = f"{fixture.score:g}"
    assert {r[0]: r[5:] for r in rows[2:]} == expected
    ids = {r[0]: r[3] for r in rows[2:]}
    assert ids["forgets_h0"] == "forgets_h0" and re.fullmatch(r"script_alert_1-[0-9a-f]{8}", ids[INJECTED])
    assert all(r[1] == r[2] == r[4] == "" for r in rows[2:]), "no roster: no Canvas ids, no sections"
    assert [r[0] for r in rows[2:]] == sorted((r[0] for r in rows[2:]), key=str.casefold)


@slow
def test_feedback_renders_math_with_the_books_mathjax(graded):
    _, course, _ = graded
    feedback = course / "feedback" / "forgets_h0" / "01-rnn-cell" / "exercise.html"
    text = feedback.read_text(encoding="utf-8")
    script = re.search(r"<script defer src='([^']+)'>", text)
    assert script and script[1] == "../../_static/mathjax/tex-mml-chtml.js"
    if (MATHJAX_SOURCE / "tex-mml-chtml.js").is_file():
        loaded = (feedback.parent / script[1]).resolve()
        assert loaded.read_bytes() == (MATHJAX_SOURCE / "tex-mml-chtml.js").read_bytes()
        assert (loaded.parent / "output" / "chtml" / "fonts").is_dir()
    assert "<body class='tex2jax_ignore'>" in text, "MathJax typesets only the exercise's own text"
    assert re.search(r"<div class='instructions tex2jax_process'>(?:(?!</div>).)*\$h_\{t-1\}\$", text, re.S)
    assert text.index("Your score: 2 / 7") < text.index("<table") < text.index("<div class='instructions")
    assert text.index("1. One step of the cell") < text.index("def rnn_cell_forward") < text.index(
        "2. The whole sequence") < text.index("def rnn_forward")
    injected = next((course / "feedback").glob("script_alert_1-*/01-rnn-cell/exercise.html")).read_text()
    assert "feedback for &lt;script&gt;alert(1)</title>" in injected


@slow
def test_a_later_batch_updates_the_report_and_the_export(graded, tmp_path):
    _, course, _ = graded
    course = shutil.copytree(course, tmp_path / "course")
    (tmp_path / "batch").mkdir()
    build("03-hihello", "latecomer", load("03-hihello")["written_differently"], tmp_path / "batch")
    done = run_grade("03-hihello", tmp_path / "batch", "--course-dir", course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"report:   {course / 'grades' / '03-hihello.html'}" in done.stdout
    tables = Tables(page(course, "03-hihello"))
    histogram = {float(s): int(n) for s, n, _ in tables.find("Students per score")["rows"]}
    assert histogram[12] == 3 and sum(histogram.values()) == len(CLASS["03-hihello"]) + 1, "both batches"
    with open(course / "grades" / "canvas.csv", newline="", encoding="utf-8") as f:
        rows = {r[0]: r[5:] for r in csv.reader(f)}
    assert rows["latecomer"] == ["", "12"] and rows["forgets_h0"] == ["2", ""]


@slow
def test_grade_all_mistakes_are_one_message(tmp_path):
    done = run_grade("--all", tmp_path / "nowhere", "--course-dir", tmp_path / "course")
    assert done.returncode == 2 and done.stderr.strip() == f"grade: no such class folder: {tmp_path / 'nowhere'}"
    (tmp_path / "class" / "homework").mkdir(parents=True)
    done = run_grade("--all", tmp_path / "class", "--course-dir", tmp_path / "course")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "no assignment in the class folder" in done.stderr
    done = run_grade("--all", tmp_path / "class", "01-rnn-cell", "--course-dir", tmp_path / "course")
    assert done.returncode == 2 and "not both" in done.stderr


# ------------------------------------------------------------------ quick: no grading, made-up records

@pytest.mark.parametrize("message, key", [
    ("AssertionError: wrong values for the small case: [[ 0.53 -0.09  0.09]]",
     "AssertionError: wrong values for the … case"),
    ("StudentCodeError: rnn_forward: h_seq does not match Keras (2 batch, 5 steps, 3 features, 4 units, float64 "
     "inputs): 3 of 40 values are off, the largest error is 0.0182 (at batch 0, time 0, unit 0); the first wrong "
     "time step is 0. Allowed: 1e-05 + 0.0001*|expected|.", "StudentCodeError: rnn_forward: h_seq does not match Keras"),
    ("NotImplementedError (at line 12 of cell 4)", "NotImplementedError"),
    ("NameError: name 'rnn_forward' is not defined (at line 3 of test_rnn_forward)",
     "NameError: name 'rnn_forward' is not defined"),
    ("AssertionError: one_hot of a (2, 2) array with depth 4 should have shape (2, 2, 4), got (2, 4)",
     "AssertionError: one_hot of a (…) array with depth # should have shape (…), got (…)"),
    ("AssertionError: shift_pair('hihello') should be ('hihell', 'ihello'), got ('ihello', 'hihell')",
     "AssertionError: shift_pair(…) should be (…), got (…)"),
    ("StudentCodeError: encode: indices has dtype float64, expected an integer dtype (indices are integers; note "
     "that np.array([]) is float64 unless you give a dtype) (a text of 0 characters)",
     "StudentCodeError: encode: indices has dtype float64, expected an integer dtype"),
    ("timeout: the test did not finish within 10 s (a correct answer takes milliseconds): is there a loop that "
     "never ends?", "timeout: the test did not finish within # s: is there a loop that never ends?"),
])
def test_normalise_keeps_the_mistake_and_drops_the_case(message, key):
    assert report.normalise(message) == key


def test_the_same_mistake_on_other_cases_is_one_key():
    one = "StudentCodeError: rnn_forward: h_seq has shape (5, 2, 4), expected (2, 5, 4) = (batch, time, unit) " \
          "(2 batch, 5 steps, 3 features, 4 units, float64 inputs) (the right sizes in the wrong order: is an axis " \
          "swapped or a matrix transposed?)"
    other = "StudentCodeError: rnn_forward: h_seq has shape (1, 1, 1), expected (1, 1, 1) = (batch, time, unit) " \
            "(1 batch, 1 step, 1 feature, 1 unit)"
    assert report.normalise(one) == report.normalise(other)


def record(student, score, tests, status="graded", review="", messages=None, name=None, seconds=0.5):
    return {"student_id": student, "name": name or student, "entry": f"{student}.ipynb", "score": score,
            "status": status, "reason": "; ".join(f"{t}: {m}" for t, m in (messages or {}).items()) or "all tests passed",
            "review": review, "tests": tests, "seconds": seconds, "messages": messages or {}}


def test_render_escapes_everything_a_student_controls():
    points = {"test_a": 1.0, "test_b": 2.0}
    evil = "<img src=x onerror=alert(1)>"
    records = [record("s1", 1.0, {"test_a": 1.0, "test_b": 0.0}, name=evil, review=f"uses {evil}",
                      messages={"test_b": f"AssertionError: <script>alert('{evil}')</script>"}),
               record("s2", 0.0, {"test_a": 0.0, "test_b": 0.0}, status="invalid notebook", seconds=0.0,
                      messages={}, name="</td></table><script>x</script>")]
    text = report.render("01-x", records, points, generated="now")
    assert "<script" not in text and "<img src=x" not in text and "</td></table><script>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;/td&gt;&lt;/table&gt;" in text
    tables = Tables(text)
    assert {r[0]: int(r[1]) for r in tables.find("Students per score")["rows"]} == {"0": 1, "1": 1, "2": 0, "3": 0}
    assert [r[:4] for r in tables.find("Tests, over the 1 notebooks")["rows"]] == [["test_a", "1", "1", "0"],
                                                                                ["test_b", "2", "0", "1"]]


def test_a_mistake_counts_once_per_student_and_only_graded_notebooks_count():
    hinted = {"mistakes": {"test_a": ["no_bias"], "test_b": ["no_bias", "forgets_h0"]},
              "hints": {"no_bias": "is every weight used?", "forgets_h0": "which state?"}}
    records = [{**record("s1", 0.0, {}), **hinted}, {**record("s2", 0.0, {}), "mistakes": {"test_b": ["no_bias"]},
                                                     "hints": hinted["hints"]},
               {**record("s3", 0.0, {}, status="invalid notebook"), **hinted}, record("s4", 3.0, {})]
    assert report.mistakes_of(records[0]) == ["no_bias", "forgets_h0"] and report.mistakes_of(records[3]) == []
    assert report.class_mistakes(records) == [("no_bias", "is every weight used?", ["s1", "s2"]),
                                              ("forgets_h0", "which state?", ["s1"])]
    text = report.render("01-x", records, {"test_a": 1.0, "test_b": 2.0}, generated="now")
    assert [r[:3] for r in Tables(text).find("made in this class")["rows"]] == [
        ["no_bias", "2", "is every weight used?"], ["forgets_h0", "1", "which state?"]]


def test_old_records_without_messages_are_read_from_the_reason():
    old = {"status": "graded", "reason": "test_a: AssertionError: x; y; test_b: NameError: z"}
    assert report.messages_of(old, ["test_a", "test_b"]) == {"test_a": "AssertionError: x; y",
                                                              "test_b": "NameError: z"}


def test_histogram_has_one_bar_per_achievable_score():
    assert report.achievable({"a": 2, "b": 3, "c": 2}) == [0, 2, 3, 4, 5, 7]
    many = {f"t{i}": 1.0 + i / 7 for i in range(8)}  # 256 sums: ten ranges
    bars = report.histogram([{"score": 0.0}, {"score": sum(many.values())}], many)
    assert len(bars) == 10 and sum(b[3] for b in bars) == 2


def write_grades(course, assignment, rows, top=7):
    (course / "grades").mkdir(parents=True, exist_ok=True)
    with open(course / "grades" / f"{assignment}.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "name", "score", "max_score", "status", "reason", "review", "entry"])
        for student, name, score in rows:
            writer.writerow([student, name, score, top, "graded", "", "", ""])


def test_canvas_export_takes_ids_and_sections_from_a_roster(tmp_path):
    write_grades(tmp_path, "01-rnn-cell", [("jdoe", "jdoe", 7), ("Zoe_Muller-d6e575a6", "Zoë Müller", 2),
                                           ("ghost", "ghost", 0), ("hyper-1a2b3c4d", "=HYPERLINK(1)", 1)])
    write_grades(tmp_path, "03-hihello", [("jdoe", "jdoe", 5)])
    with open(tmp_path / "roster.csv", "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows([
            ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01-rnn-cell (901)", "Current Score"],
            ["    Points Possible", "", "", "", "", "7", "(read only)"],
            ["Doe, Jane", "1001", "S1", "jdoe@uni.edu", "Section A", "", ""],
            ["Müller, Zoë", "1002", "S2", "zm@uni.edu", "Section B", "", ""]])
    done = export.write_canvas(tmp_path)
    with open(done.path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01-rnn-cell (901)", "03-hihello"]
    assert rows[1] == ["Points Possible", "", "", "", "", "7", "7"]
    assert rows[2:] == [["'=HYPERLINK(1)", "", "", "hyper-1a2b3c4d", "", "1", ""],
                        ["Doe, Jane", "1001", "S1", "jdoe@uni.edu", "Section A", "7", "5"],
                        ["ghost", "", "", "ghost", "", "0", ""],
                        ["Müller, Zoë", "1002", "S2", "zm@uni.edu", "Section B", "2", ""]]
    assert done.unmatched == [("ghost", "not in the roster"), ("hyper-1a2b3c4d", "not in the roster")]


def test_canvas_export_carries_the_lms_ids_and_matches_the_roster_on_them(tmp_path):
    """A Canvas download's user id is the row's ID (Canvas matches it first) and finds the roster row by ID;
    a Blackboard username is the SIS Login ID."""
    (tmp_path / "grades").mkdir()
    with open(tmp_path / "grades" / "01-rnn-cell.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([
            ["student", "name", "score", "max_score", "status", "reason", "review", "entry", "lms", "lms_id"],
            ["smithalice_101", "smithalice", "7", "7", "graded", "", "", "x", "canvas", "101"],
            ["jonesbob_102", "jonesbob", "2", "7", "graded", "", "", "x", "canvas", "102"],
            ["asmith", "asmith", "5", "7", "graded", "", "", "x", "blackboard", "asmith"]])
    done = export.write_canvas(tmp_path)
    with open(done.path, newline="", encoding="utf-8") as f:
        assert list(csv.reader(f))[2:] == [["asmith", "", "", "asmith", "", "5"], ["jonesbob", "102", "", "", "", "2"],
                                           ["smithalice", "101", "", "", "", "7"]]
    with open(tmp_path / "roster.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
                                 ["Smith, Alice", "101", "S1", "alice@uni.edu", "A"],
                                 ["Jones, Robert", "102", "S2", "rj@uni.edu", "B"]])
    done = export.write_canvas(tmp_path)
    with open(done.path, newline="", encoding="utf-8") as f:
        assert list(csv.reader(f))[2:] == [["asmith", "", "", "asmith", "", "5"],
                                           ["Jones, Robert", "102", "S2", "rj@uni.edu", "B", "2"],
                                           ["Smith, Alice", "101", "S1", "alice@uni.edu", "A", "7"]]
    assert done.unmatched == [("asmith", "not in the roster")]


def test_report_shows_the_errors_students_cells_raised():
    """#21: a cell that raised when graded (an import the grader lacks) is in the class report, grouped."""
    points = {"test_a": 1.0}
    error = ("ModuleNotFoundError: No module named 'scipy' when this exercise is graded: only numpy, matplotlib "
             "and Python's standard library are there (at line {} of cell 4)")
    records = [record(f"s{i}", 0.0, {"test_a": 0.0}, messages={"test_a": "f is missing because cell 4 raised"})
               for i in range(3)]
    for i, r in enumerate(records[:2]):
        r["cell_errors"] = {"cell 4": error.format(i + 1)}
    table = Tables(report.render("01-x", records, points, generated="now")).find("kind of error in students' cells")
    assert len(table["rows"]) == 1 and table["rows"][0][1] == "2", "the same error on other lines is one kind"
    assert table["rows"][0][0].startswith("ModuleNotFoundError: No module named 'scipy' when this exercise is graded")
    assert table["rows"][0][2] == "cell 4: " + error.format(1)
