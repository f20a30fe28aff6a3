"""nbgrader's gradebook of a course directory (``gradebook.db``), written as nbgrader writes it, quickly.

The scores go through nbgrader's own :class:`nbgrader.api.Gradebook`, so formgrader and ``nbgrader
export`` read the same numbers as the CSV. What made opening it cost seconds is avoided, not what
it stores:

- ``nbgrader/__init__.py`` imports its server extensions and exchange (nbconvert, setuptools, ...):
  :func:`nbgrader_api` loads ``nbgrader.api`` without it (and without setuptools);
- a new database is stamped with the schema's alembic revision, which nbgrader finds by running
  ``alembic heads`` in a subprocess: the same head is read in this process (:func:`alembic_head`);
- the assignment's cells (nbgrader's ``SaveCells``, which imports nbconvert and nbclient) are
  saved only when the gradebook lacks them or the source notebook changed since (:func:`stamp`).
"""

import hashlib
import importlib.util
import sys
import time
import types
import warnings
from functools import cache
from pathlib import Path

from ..paths import ASSIGNMENT_NOTEBOOK, SOLUTIONS
from . import store

NOTEBOOK = Path(ASSIGNMENT_NOTEBOOK).stem


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
    grading command never asks nbgrader to do)."""
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
    """What the assignment's cells in the gradebook were saved from: the source notebook's SHA-256."""
    return hashlib.sha256((SOLUTIONS / assignment / ASSIGNMENT_NOTEBOOK).read_bytes()).hexdigest()


class Gradebook:
    """The course directory's ``gradebook.db``: the assignment's cells, then each student's scores."""

    def __init__(self, course, assignment, points, url=None):
        api = nbgrader_api()
        self.assignment, self.url = assignment, url or store.default_url(course)
        self.mark = Path(course) / "grades" / assignment / f".cells-{hashlib.sha256(self.url.encode()).hexdigest()[:12]}"
        warnings.simplefilter("ignore")  # nbgrader's deprecation and SQLAlchemy's session warnings, all run long
        self.db, self.committed = api.Gradebook(self.url), 0.0
        self.db.update_or_create_assignment(assignment)
        if not self.saved(api, points):
            self.save_cells()

    def saved(self, api, points):
        """Whether the gradebook holds the cells of the source notebook as it is now."""
        try:
            notebook = self.db.find_notebook(NOTEBOOK, self.assignment)
        except api.MissingEntry:
            return False
        return ({c.name for c in notebook.grade_cells} == set(points) and self.mark.is_file()
                and self.mark.read_text() == stamp(self.assignment))

    def save_cells(self):
        import nbformat
        from nbgrader.preprocessors import SaveCells

        source = nbformat.read(SOLUTIONS / self.assignment / ASSIGNMENT_NOTEBOOK, as_version=4)
        resources = {"nbgrader": {"db_url": self.url, "assignment": self.assignment, "notebook": NOTEBOOK}}
        SaveCells().preprocess(source, resources)
        self.mark.parent.mkdir(parents=True, exist_ok=True)
        self.mark.write_text(stamp(self.assignment))

    def graded(self, student_id):
        try:
            self.db.find_submission(self.assignment, student_id)
            return True
        except nbgrader_api().MissingEntry:
            return False

    def recorded(self):
        """The ids of the students who have a submission of the assignment in the gradebook (one query)."""
        api = nbgrader_api()
        query = self.db.db.query(api.SubmittedAssignment.student_id).join(api.Assignment)
        return {student for (student,) in query.filter(api.Assignment.name == self.assignment)}

    def record(self, result):
        """The student's submission with its scores: the rows nbgrader's ``add_submission`` makes, with the
        scores set as they are made, committed at most a second later (:meth:`commit`; a client killed
        before that grades those students again on the next run, their JSON record being written)."""
        api = nbgrader_api()
        if self.graded(result.student_id):
            self.db.remove_submission(self.assignment, result.student_id)
        student = self.db.db.get(api.Student, result.student_id) or api.Student(id=result.student_id)
        student.first_name = result.name
        assignment = self.db.find_assignment(self.assignment)
        submission = api.SubmittedAssignment(assignment=assignment, student=student)
        for notebook in assignment.notebooks:
            submitted = api.SubmittedNotebook(notebook=notebook, assignment=submission)
            for cell in notebook.grade_cells:
                api.Grade(cell_id=cell.id, notebook=submitted, auto_score=result.tests.get(cell.name))
            for cell in [*notebook.solution_cells, *notebook.task_cells]:
                api.Comment(cell_id=cell.id, notebook=submitted)
            for cell in notebook.task_cells:
                api.Grade(cell_id=cell.id, notebook=submitted)
        self.db.db.add(submission)
        self.commit(at_most_every=1.0)

    def commit(self, at_most_every=0.0):
        """Commit what :meth:`record` wrote (one transaction a second, not one a student)."""
        if time.monotonic() - self.committed >= at_most_every:
            self.db.db.commit()
            self.committed = time.monotonic()

    def close(self):
        self.commit()
        self.db.close()

