"""Grades for an LMS: ``grades/canvas.csv``, in Canvas's gradebook import format.

One row per student graded in any assignment of the course directory, one column per assignment
(every ``grades/ASSIGNMENT.csv`` of the course, in course order), as Canvas's own gradebook
importer reads it (``GradebookImporter`` in instructure/canvas-lms, ``app/models/gradebook_importer.rb``):

- a header ``Student, ID, SIS User ID, SIS Login ID, Section``, then the assignment columns; Canvas
  finds an assignment by its id in ``Title (id)`` (the form of its own export), else by its exact
  title, else it creates the assignment;
- a row whose first cell is ``Points Possible``, with each assignment's maximum score (used when
  Canvas creates the assignment);
- a row per student: Canvas matches it by ``ID`` (its user id), else ``SIS User ID``, else
  ``SIS Login ID``, else by the ``Student`` name, and lets the instructor pick the student for any
  row it cannot match. A blank score changes nothing (a student not graded in that assignment).

Which id goes where. Without a roster: ``Student`` is the name as given (the submission's file or
folder name, or the name an LMS download gave); every cell is written through :func:`.tables.safe`,
so that no spreadsheet runs one as a formula. A submission from a Canvas download carries its
Canvas user id (the ``lms_id`` column of the course's CSV) as ``ID``, which Canvas matches first;
a Blackboard download's username goes to ``SIS Login ID``; any other submission has the grader's
student id there (the ``student`` column: the name itself when it is plain ASCII, so submissions
named by Canvas login match exactly). ``SIS User ID`` and ``Section`` are blank. With a roster (Canvas's
own gradebook export, saved as ``roster.csv`` in the course directory) each student is looked up
in it by the LMS's own id (a Canvas download's user id equal to the roster's ID; a Moodle or
Blackboard id as below), else by the grader's id (equal, ignoring case, to the SIS Login ID or its
part before "@", the SIS User ID or the Canvas ID), else by name (ignoring case, accents and punctuation; "Last, First" or "First
Last"); a matched row carries Canvas's own Student, ID, SIS User ID, SIS Login ID and Section, and
an assignment column takes the roster's header of the same title (``01-rnn-cell (12345)``), so
Canvas uses that assignment. Students the roster does not match, or matches twice, keep the
defaults and are listed in :attr:`Export.unmatched` (the grading command prints them).
"""

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..course import assignments
from . import tables

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
FILENAME = "canvas.csv"
ROSTER = "roster.csv"


@dataclass
class Export:
    path: Path
    assignments: list
    students: int
    roster: Path | None = None
    unmatched: list = field(default_factory=list)  # (student id, why)


def read_grades(course):
    """assignment -> (max score, {student id: (name, score, lms, lms id)}) for every graded assignment, in
    course order."""
    grades = {}
    for assignment in assignments():
        path = Path(course) / "grades" / f"{assignment}.csv"
        if not path.is_file():
            continue
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        if rows:
            grades[assignment] = (float(rows[0]["max_score"]),
                                  {tables.unsafe(r["student"]): (tables.unsafe(r["name"]), float(r["score"]),
                                                                 r.get("lms") or "", tables.unsafe(r.get("lms_id") or ""))
                                   for r in rows})
    return grades


def _plain(text):
    """A name as compared: no accents, case or punctuation."""
    text = unicodedata.normalize("NFKD", text)
    return re.sub(r"[\W_]+", "", "".join(c for c in text if not unicodedata.combining(c))).casefold()


def read_roster(path):
    """The students of a Canvas gradebook export: [dict with the HEADER keys] and its header row."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    if not rows or not {"Student", "ID"} <= set(rows[0]):
        raise ValueError(f"{path} is not a Canvas gradebook export (its header has no Student and ID columns)")
    header = rows[0]
    students = []
    for row in rows[1:]:
        entry = {k: (row[header.index(k)].strip() if k in header and header.index(k) < len(row) else "")
                 for k in HEADER}
        if POINTS_POSSIBLE in entry["Student"] or not entry["ID"]:  # the points row, muted/posting rows
            continue
        students.append(entry)
    return students, header


def _ids(entry):
    login = entry["SIS Login ID"].casefold()
    return {login, login.split("@")[0], entry["SIS User ID"].casefold(), entry["ID"].casefold()} - {""}


def match(student_id, name, roster, lms="", lms_id=""):
    """The roster entry of a student, or (None, why): by the LMS's own id (Canvas's user id is the
    roster's ID), else by the grader's id, else by name."""
    for key in ([lms_id.casefold()] if lms_id else []) + [student_id.casefold()]:
        by_id = [e for e in roster if (key == e["ID"].casefold() if lms == "canvas" else key in _ids(e))]
        if len(by_id) == 1:
            return by_id[0], ""
        if len(by_id) > 1:
            return None, f"{len(by_id)} roster rows have this id"
    plain = _plain(name)
    by_name = [e for e in roster if plain and plain in {
        _plain(e["Student"]), _plain(" ".join(reversed(e["Student"].split(",", 1))))}]
    if len(by_name) == 1:
        return by_name[0], ""
    return None, f"{len(by_name)} roster rows have this name" if by_name else "not in the roster"


def canvas_table(course):
    """(the rows of ``grades/canvas.csv``, an :class:`Export` saying what they hold), or (None, None)
    when no assignment has been graded. Nothing is written."""
    course = Path(course)
    grades = read_grades(course)
    if not grades:
        return None, None
    roster_path = course / ROSTER
    roster, roster_header = read_roster(roster_path) if roster_path.is_file() else (None, [])
    titles = {a: next((h for h in roster_header if re.sub(r"\s*\(\d+\)$", "", h) == a), a) for a in grades}
    students = {}
    for _, scores in grades.values():
        for student_id, (name, _, lms, lms_id) in scores.items():
            students[student_id] = (name, lms, lms_id)
    unmatched, rows = [], []
    for student_id, (name, lms, lms_id) in students.items():
        canvas_id = lms_id if lms == "canvas" and lms_id.isdigit() else ""
        login = lms_id if lms == "blackboard" else "" if canvas_id else student_id
        cells = {"Student": name, "ID": canvas_id, "SIS User ID": "", "SIS Login ID": login, "Section": ""}
        if roster is not None:
            entry, why = match(student_id, name, roster, lms, lms_id)
            if entry:
                cells = entry
            else:
                unmatched.append((student_id, why))
        rows.append([cells[k] for k in HEADER] + [
            f"{grades[a][1][student_id][1]:g}" if student_id in grades[a][1] else "" for a in grades])
    rows.sort(key=lambda row: (row[0].casefold(), row[3]))
    table = [HEADER + [titles[a] for a in grades],
             [POINTS_POSSIBLE, "", "", "", ""] + [f"{top:g}" for top, _ in grades.values()], *rows]
    return table, Export(course / "grades" / FILENAME, list(grades), len(rows),
                         roster_path if roster is not None else None, sorted(unmatched))


def write_canvas(course):
    """Write ``grades/canvas.csv`` from every ``grades/ASSIGNMENT.csv``; return its :class:`Export`
    (None when no assignment has been graded)."""
    table, done = canvas_table(course)
    if table is None:
        return None
    tables.write(done.path, table)
    return done
