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
import types
import warnings
from functools import cache
from pathlib import Path

from ..paths import ASSIGNMENT_NOTEBOOK, SOLUTIONS

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

    def __init__(self, course, assignment, points):
        api = nbgrader_api()
        self.assignment, self.path = assignment, Path(course) / "gradebook.db"
        self.url, self.mark = f"sqlite:///{self.path}", Path(course) / "grades" / assignment / ".cells"
        warnings.simplefilter("ignore")  # nbgrader's deprecation and SQLAlchemy's session warnings, all run long
        self.db = api.Gradebook(self.url)
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

    def record(self, result):
        if self.graded(result.student_id):
            self.db.remove_submission(self.assignment, result.student_id)
        self.db.update_or_create_student(result.student_id, first_name=result.name)
        self.db.add_submission(self.assignment, result.student_id)
        for grade_id, points in result.tests.items():
            grade = self.db.find_grade(grade_id, NOTEBOOK, self.assignment, result.student_id)
            grade.auto_score = points
        self.db.db.commit()

    def close(self):
        self.db.close()

