"""The course's chapters, found by their files: no central list to keep up to date.

An assignment is a folder ``solutions/NN-slug/``; its chapter module ``autograder/chapters/NN-slug.py``
says what the exercise grades (``GRADED``: function name -> :class:`~rnncourse.checks.Graded`) and
how Keras makes the references (``references(tf, keras, rng)``).
"""

import importlib.util
import re
from functools import cache

from .paths import CHAPTERS, SOLUTIONS

SLUG = re.compile(r"(0[1-9]|[1-9][0-9])-[a-z0-9]+(-[a-z0-9]+)*")


def assignments():
    """The course's assignments: the ``NN-slug`` folders of ``solutions/``, in chapter order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and SLUG.fullmatch(p.name))


def load_module(path):
    """Import a Python file whose name is not an identifier (``01-rnn-cell.py``)."""
    spec = importlib.util.spec_from_file_location(f"chapter_{path.stem.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def chapter(assignment):
    """The chapter module of an assignment (``GRADED``, ``references``)."""
    path = CHAPTERS / f"{assignment}.py"
    if not path.is_file():
        raise LookupError(f"{assignment} has no chapter module {path.relative_to(CHAPTERS.parent.parent)}")
    return load_module(path)


def seed(assignment):
    """The reference maker's seed: the chapter number, so it never collides between chapters and
    does not change when a slug or the prose changes."""
    return int(assignment[:2])


def graded_functions():
    """Every graded function name of the course."""
    return {name for assignment in assignments() for name in chapter(assignment).GRADED}
