"""nbgrader's gradebook (``gradebook.db``, or any SQLAlchemy URL), written as nbgrader writes it, in bulk.

formgrader and ``nbgrader export`` read the same numbers as the CSV: each student gets the rows
nbgrader's ``Gradebook.add_submission`` makes (a submission, its notebook, a grade per grade and
task cell, a comment per solution and task cell), with each grade's ``auto_score`` and
``needs_manual_grade`` set as ``nbgrader autograde`` sets them. What is not nbgrader's is how:

- the rows are written with SQLAlchemy Core, many students per statement (``executemany``), one
  transaction at most every :data:`FLUSH_SECONDS` (nbgrader's ORM took 40 ms a student; a class of
  50,000 would take half an hour);
- nbgrader's own code (``nbgrader.api``, which costs half a second to import, and its ``SaveCells``)
  runs only to make what the rows point at: the schema, the assignment and its cells, when the
  gradebook lacks them or the source notebook changed since they were saved (:func:`stamp`).
  Otherwise the tables are read from the database itself (reflection).
"""

import hashlib
import importlib.util
import os
import sys
import time
import types
import uuid
import warnings
from functools import cache
from pathlib import Path

from ..paths import ASSIGNMENT_NOTEBOOK, SOLUTIONS

NOTEBOOK = Path(ASSIGNMENT_NOTEBOOK).stem
TABLES = ("assignment", "notebook", "base_cell", "student", "submitted_assignment", "submitted_notebook",
          "grade", "comment")
FLUSH_SECONDS = 1.0  # a killed client loses at most this much of the gradebook (its JSON records re-record it)
CHUNK = 500  # ids per IN (...) list


def nbgrader_env():
    """This environment, with its scripts first on PATH: nbgrader shells out to `alembic` and
    `jupyter`, which must be this environment's, however the grader was started."""
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([scripts, os.environ.get("PATH", "")])}


def default_url(course):
    """The SQLite gradebook of today: ``gradebook.db`` in the course directory."""
    return f"sqlite:///{Path(course) / 'gradebook.db'}"


def shown(url):
    """The URL as a message may show it: the password masked, a SQLite URL as its file."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 (not a URL at all: say so, show nothing of it that may be secret)
        return "(an unreadable database URL)"
    if parsed.drivername.startswith("sqlite") and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


@cache
def alembic_head():
    """The alembic revision nbgrader's schema is at (what ``alembic heads`` prints for it)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def _unavailable(*args, **kwargs):
    raise RuntimeError("nbgrader's archive helpers are not loaded in the grading command")


def nbgrader_api():
    """``nbgrader.api``, loaded without running ``nbgrader/__init__.py`` when nbgrader is not imported yet,
    and without setuptools (``nbgrader.utils`` imports its archive helpers, for unzipping, which the
    grading command never asks nbgrader to do). A new database is stamped with the schema's alembic
    revision, which nbgrader finds by running ``alembic heads`` in a subprocess: read here instead."""
    if "nbgrader" not in sys.modules:
        spec = importlib.util.find_spec("nbgrader")
        sys.modules["nbgrader"] = importlib.util.module_from_spec(spec)  # the package, its __init__ not run
    stub = "setuptools" not in sys.modules and "nbgrader.utils" not in sys.modules
    if stub:
        helpers = types.ModuleType("setuptools.archive_util")
        helpers.unpack_archive = helpers.unpack_tarfile = helpers.unpack_zipfile = _unavailable
        sys.modules["setuptools.archive_util"] = helpers
    try:
        import nbgrader.api
    finally:
        if stub:  # a real `import setuptools` later in this process gets the real module
            sys.modules.pop("setuptools.archive_util", None)

    nbgrader.api.get_alembic_version = alembic_head
    return nbgrader.api


def stamp(assignment):
    """What the assignment's cells in the gradebook were saved from and by: the source notebook's SHA-256
    and nbgrader's version (a new nbgrader opens the gradebook itself once, for its schema)."""
    source = hashlib.sha256((SOLUTIONS / assignment / ASSIGNMENT_NOTEBOOK).read_bytes()).hexdigest()
    nbgrader = Path(importlib.util.find_spec("nbgrader").origin).parent / "_version.py"  # no import: it is slow
    return f"{source} nbgrader {hashlib.sha256(nbgrader.read_bytes()).hexdigest()[:16]}"


def chunks(items, size=CHUNK):
    items = list(items)
    return (items[i:i + size] for i in range(0, len(items), size))


class Gradebook:
    """The gradebook at ``url`` (default: the course directory's ``gradebook.db``), ready for the
    assignment's submissions: :meth:`record` each result, :meth:`close` at the end."""

    def __init__(self, course, assignment, points, url=None):
        import sqlalchemy as sa

        self.sa, self.assignment, self.url = sa, assignment, url or default_url(course)
        self.mark = Path(course) / "grades" / assignment / f".cells-{hashlib.sha256(self.url.encode()).hexdigest()[:12]}"
        self.engine = sa.create_engine(self.url)
        self.pending, self.flushed = {}, time.monotonic()
        self.unrecorded, self.error = set(), ""  # students a write failed for, and why (the next run records them)
        if not self.ready(points):  # a new gradebook, assignment or source notebook: nbgrader makes its rows
            self.save_cells()
            if not self.ready(points):
                raise RuntimeError(f"the gradebook lacks {assignment}'s cells after nbgrader saved them")

    def ready(self, points):
        """Whether the gradebook holds the assignment's cells as the source notebook has them now; if so,
        read its tables and the ids of the assignment, its notebooks and their cells."""
        sa = self.sa
        if not (self.mark.is_file() and self.mark.read_text() == stamp(self.assignment)):
            return False
        meta = sa.MetaData()
        try:
            meta.reflect(self.engine, only=TABLES)
        except sa.exc.InvalidRequestError:  # a table is missing: a new (or foreign) database
            return False
        self.t = types.SimpleNamespace(**meta.tables)
        t = self.t
        with self.engine.connect() as db:
            self.assignment_id = db.scalar(sa.select(t.assignment.c.id).where(t.assignment.c.name == self.assignment))
            cells = db.execute(sa.select(t.notebook.c.id, t.base_cell.c.id, t.base_cell.c.name, t.base_cell.c.type)
                               .join(t.base_cell, t.base_cell.c.notebook_id == t.notebook.c.id)
                               .where(t.notebook.c.assignment_id == self.assignment_id)).all()
        self.notebooks = {}  # notebook id -> [(cell id, cell name, "grade" or "comment")], as add_submission makes them
        for notebook, cell, name, kind in cells:
            rows = self.notebooks.setdefault(notebook, [])
            if kind in ("GradeCell", "TaskCell"):
                rows.append((cell, name, "grade"))
            if kind in ("SolutionCell", "TaskCell"):
                rows.append((cell, name, "comment"))
        grade_cells = {name for _, _, name, kind in cells if kind == "GradeCell"}
        return self.assignment_id is not None and grade_cells == set(points)

    def save_cells(self):
        """The schema, the assignment and its cells, made by nbgrader itself (``SaveCells``)."""
        import nbformat
        from nbgrader.preprocessors import SaveCells

        api = nbgrader_api()
        warnings.simplefilter("ignore")  # nbgrader's deprecation and SQLAlchemy's session warnings
        with api.Gradebook(self.url) as db:
            db.update_or_create_assignment(self.assignment)
        source = nbformat.read(SOLUTIONS / self.assignment / ASSIGNMENT_NOTEBOOK, as_version=4)
        resources = {"nbgrader": {"db_url": self.url, "assignment": self.assignment, "notebook": NOTEBOOK}}
        SaveCells().preprocess(source, resources)
        self.mark.parent.mkdir(parents=True, exist_ok=True)
        self.mark.write_text(stamp(self.assignment))

    def recorded(self):
        """{student id: their total auto score} of the students with a submission of the assignment."""
        sa, t = self.sa, self.t
        mine = t.submitted_assignment.c.assignment_id == self.assignment_id
        # from the grades to their notebook and submission: primary keys all the way (nbgrader's tables have
        # no index on the other direction; SQLite took minutes for 50,000 students that way)
        scores = (sa.select(t.submitted_assignment.c.student_id, sa.func.sum(t.grade.c.auto_score))
                  .select_from(t.grade)
                  .join(t.submitted_notebook, t.grade.c.notebook_id == t.submitted_notebook.c.id)
                  .join(t.submitted_assignment, t.submitted_notebook.c.assignment_id == t.submitted_assignment.c.id)
                  .where(mine).group_by(t.submitted_assignment.c.student_id))
        with self.engine.connect() as db:
            recorded = dict.fromkeys(db.scalars(sa.select(t.submitted_assignment.c.student_id).where(mine)), 0.0)
            recorded.update((student, float(score or 0)) for student, score in db.execute(scores))
        return recorded

    def record(self, result):
        """The student's submission with its scores, written with others at most :data:`FLUSH_SECONDS` later
        (a client killed before that: their JSON record is written, and the next run records them)."""
        self.pending[result.student_id] = result
        if time.monotonic() - self.flushed >= FLUSH_SECONDS:
            self.flush()

    def flush(self):
        """Write every pending student in one transaction: their old submission (if any) goes first. A write
        that fails is remembered (:attr:`unrecorded`, :attr:`error`), never raised: the grades are safe in
        the JSON records and CSV, and the next run records those students."""
        results, self.pending, self.flushed = list(self.pending.values()), {}, time.monotonic()
        if results:
            try:
                self.write(results)
            except Exception as error:  # noqa: BLE001 (said by the command at the end of the run)
                self.unrecorded |= {r.student_id for r in results}
                self.error = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"

    def write(self, results):
        sa, t = self.sa, self.t
        students = [r.student_id for r in results]
        with self.engine.begin() as db:
            self.remove(db, students)
            known = set()
            for some in chunks(students):
                known |= set(db.scalars(sa.select(t.student.c.id).where(t.student.c.id.in_(some))))
            new = [{"id": r.student_id, "first_name": r.name} for r in results if r.student_id not in known]
            old = [{"sid": r.student_id, "name": r.name} for r in results if r.student_id in known]
            if new:
                db.execute(sa.insert(t.student), new)
            if old:
                db.execute(sa.update(t.student).where(t.student.c.id == sa.bindparam("sid"))
                           .values(first_name=sa.bindparam("name")), old)
            self.insert(db, results)

    def remove(self, db, students):
        """The students' submissions of the assignment, with their notebooks, grades and comments."""
        sa, t = self.sa, self.t
        for some in chunks(students):
            submissions = list(db.scalars(sa.select(t.submitted_assignment.c.id).where(
                t.submitted_assignment.c.assignment_id == self.assignment_id,
                t.submitted_assignment.c.student_id.in_(some))))
            if not submissions:  # first graded: nothing to remove (and no table to scan)
                continue
            notebooks = list(db.scalars(sa.select(t.submitted_notebook.c.id)
                                        .where(t.submitted_notebook.c.assignment_id.in_(submissions))))
            for table in (t.grade, t.comment):
                db.execute(sa.delete(table).where(table.c.notebook_id.in_(notebooks)))
            db.execute(sa.delete(t.submitted_notebook).where(t.submitted_notebook.c.id.in_(notebooks)))
            db.execute(sa.delete(t.submitted_assignment).where(t.submitted_assignment.c.id.in_(submissions)))

    def insert(self, db, results):
        sa, t = self.sa, self.t
        rows = {"submitted_assignment": [], "submitted_notebook": [], "grade": [], "comment": []}
        for r in results:
            submission = uuid.uuid4().hex
            rows["submitted_assignment"].append({"id": submission, "assignment_id": self.assignment_id,
                                                 "student_id": r.student_id})
            for notebook, cells in self.notebooks.items():
                submitted = uuid.uuid4().hex
                rows["submitted_notebook"].append({"id": submitted, "assignment_id": submission,
                                                   "notebook_id": notebook, "flagged": False})
                for cell, name, kind in cells:
                    row = {"id": uuid.uuid4().hex, "notebook_id": submitted, "cell_id": cell}
                    if kind == "grade":
                        score = r.tests.get(name)  # None for a task cell: graded by hand, as nbgrader marks it
                        row.update(auto_score=score, needs_manual_grade=score is None)
                    rows[kind].append(row)
        for table, values in rows.items():
            if values:
                db.execute(sa.insert(getattr(t, table)), values)

    def close(self):
        self.flush()
        self.engine.dispose()
