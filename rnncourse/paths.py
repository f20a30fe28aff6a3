"""Where things live in the repository: the one place for paths (the package is installed editable)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
AUTOGRADER = ROOT / "autograder"
CHAPTERS = AUTOGRADER / "chapters"  # NN-slug.py: each chapter's graded functions and reference maker
REFERENCES = AUTOGRADER / "references"  # NN-slug.npz: made by autograder/make_references.py
FIXTURES = ROOT / "tests" / "fixtures"  # NN-slug.py: fixture submissions with their exact scores
BOOK = ROOT / "book"
TOC = ROOT / "_toc.yml"
# Each assignment folder holds exactly one notebook, named the same in every chapter.
ASSIGNMENT_NOTEBOOK = "exercise.ipynb"
