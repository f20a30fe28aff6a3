"""Where things live in the repository (the package is installed in editable mode)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
AUTOGRADER = ROOT / "autograder"
REFERENCES = AUTOGRADER / "references"
BOOK = ROOT / "book"
# Each assignment folder holds exactly one notebook, named the same in every chapter.
ASSIGNMENT_NOTEBOOK = "exercise.ipynb"


def assignments():
    """The course's assignments: one folder per chapter under ``solutions/`` (``NN-slug``)."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and p.name[:2].isdigit())
