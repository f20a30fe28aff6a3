"""The gradebook written in bulk holds what nbgrader itself would write: the same rows, read back
through nbgrader's own API (what formgrader and ``nbgrader export`` read), and nothing twice."""

import json
from dataclasses import asdict

import pytest

from rnncourse.grading import engine, gradebook, store

ASSIGNMENT = "01-rnn-cell"


@pytest.fixture(scope="module")
def points():
    return engine.load_assignment(ASSIGNMENT).points


def result(student, name, points, failed=()):
    tests = {test: 0.0 if test in failed else value for test, value in points.items()}
    return store.Result(student, name, f"{student}.ipynb", score=sum(tests.values()), tests=tests)


def rows(url):
    """Every submission of the assignment as nbgrader's API reads it: natural keys, no ids."""
    api = gradebook.nbgrader_api()
    out = {}
    with api.Gradebook(url) as db:
        for submission in db.assignment_submissions(ASSIGNMENT):
            cells = []
            for notebook in submission.notebooks:
                cells += [("grade", g.cell.name, g.cell.type, g.auto_score, g.manual_score, g.extra_credit,
                           g.needs_manual_grade) for g in notebook.grades]
                cells += [("comment", c.cell.name, c.cell.type, c.auto_comment, c.manual_comment) for c in notebook.comments]
                cells.append(("notebook", notebook.name, notebook.flagged, notebook.late_submission_penalty))
            out[submission.student.id] = (submission.student.first_name, submission.score, submission.timestamp,
                                          sorted(cells, key=repr))
    return out


def as_nbgrader_writes(url, results):
    """The same results through nbgrader's own API: ``add_submission``, then each grade cell's score as
    ``nbgrader autograde`` sets it (SaveAutoGrades: needs a manual grade only without an auto score)."""
    api = gradebook.nbgrader_api()
    with api.Gradebook(url) as db:
        for r in results:
            db.update_or_create_student(r.student_id, first_name=r.name)
            if r.student_id in {s.student.id for s in db.assignment_submissions(ASSIGNMENT)}:
                db.remove_submission(ASSIGNMENT, r.student_id)
            db.add_submission(ASSIGNMENT, r.student_id)
            for test, score in r.tests.items():
                grade = db.find_grade(test, gradebook.NOTEBOOK, ASSIGNMENT, r.student_id)
                grade.auto_score, grade.needs_manual_grade = score, grade.manual_score is not None
            db.db.commit()


def test_bulk_rows_are_the_rows_nbgrader_makes(tmp_path, points):
    first = [result("alice", "Alice", points), result("bob", "Bob", points, failed=list(points)[:1]),
             result("carol", "Carol", points, failed=list(points))]
    again = [result("bob", "Robert", points), result("dave", "Dave", points, failed=list(points)[1:])]
    urls = {}
    for way in ("bulk", "nbgrader"):
        course = tmp_path / way
        course.mkdir()
        book = gradebook.Gradebook(course, ASSIGNMENT, points)  # nbgrader's SaveCells makes the cells either way
        if way == "bulk":
            for r in first:
                book.record(r)
            book.flush()
            for r in again:  # bob regraded (and renamed), dave new: a second batch
                book.record(r)
        book.close()
        if way == "nbgrader":
            as_nbgrader_writes(book.url, first + again)
        urls[way] = book.url
    bulk, reference = rows(urls["bulk"]), rows(urls["nbgrader"])
    assert sorted(bulk) == ["alice", "bob", "carol", "dave"], "bob once, his new grade only"
    assert bulk == reference
    assert bulk["bob"][:2] == ("Robert", sum(points.values()))
    assert any(cell[0] == "grade" and cell[-1] is False for cell in bulk["alice"][3]), "auto-graded: no manual grade"


def test_a_student_of_another_assignment_keeps_their_row_and_other_work(tmp_path, points):
    book = gradebook.Gradebook(tmp_path, ASSIGNMENT, points)
    book.record(result("alice", "Alice", points))
    book.close()
    other = engine.load_assignment("02-sequence-shapes").points
    book = gradebook.Gradebook(tmp_path, "02-sequence-shapes", other)
    book.record(store.Result("alice", "Alice Smith", "alice.ipynb", score=0.0, tests={t: 0.0 for t in other}))
    book.close()
    assert rows(book.url)["alice"][:2] == ("Alice Smith", sum(points.values())), "01 kept, the new name taken"


def test_opening_records_again_what_a_killed_run_had_not_written(tmp_path, points):
    """The JSON records are the truth: a student missing from the gradebook, or with another score
    there (regraded, then killed before the write), is recorded again when the gradebook opens."""
    book = gradebook.Gradebook(tmp_path, ASSIGNMENT, points)
    book.record(result("bob", "Bob", points))
    book.close()
    folder = tmp_path / "grades" / ASSIGNMENT
    for r in (result("alice", "Alice", points), result("bob", "Bob", points, failed=list(points))):
        (folder / f"{r.student_id}.json").write_text(json.dumps(asdict(r)))
    store.open_gradebook(tmp_path, ASSIGNMENT, points).close()
    scores = {student: row[1] for student, row in rows(book.url).items()}
    assert scores == {"alice": sum(points.values()), "bob": 0.0}


def test_a_failed_write_loses_no_grade_and_is_said(tmp_path, points):
    """A write that fails (here: a table gone) is remembered, not raised: the run goes on, says which
    students the gradebook lacks, and a later run (the JSON records being the truth) records them."""
    import io

    book = gradebook.Gradebook(tmp_path, ASSIGNMENT, points)
    with book.engine.begin() as db:
        db.exec_driver_sql("ALTER TABLE comment RENAME TO comment_away")
    book.record(result("alice", "Alice", points))
    out = io.StringIO()
    store.close_gradebook(book, out)
    assert book.unrecorded == {"alice"} and "comment" in book.error
    assert "1 student(s) not written to the gradebook" in out.getvalue() and "next run" in out.getvalue()
