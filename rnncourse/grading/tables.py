"""The CSV files the grading command writes, safe to open in a spreadsheet.

Every cell of every CSV the command writes goes through :func:`safe` (OWASP's advice against CSV
injection): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
``'`` first, so that no spreadsheet runs it as a formula. A student controls names (their file's
name), ids, entries and the messages their code raises; the grader's own numbers never start with
those characters, so only what a student could have written is ever changed. :func:`unsafe` undoes
it for a cell read back (``export.read_grades`` reads ``grades/ASSIGNMENT.csv``).
"""

import csv
from pathlib import Path

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe(cell):
    """``cell`` as a spreadsheet shows it as text (a string; numbers are written as they are)."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA) else text


def unsafe(text):
    """The cell :func:`safe` was given (the quote it added taken off)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA) else text


def write(path, rows):
    """Write ``rows`` (lists of cells) to ``path`` atomically, every cell made :func:`safe`."""
    path = Path(path)
    temporary = path.with_suffix(path.suffix + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([[safe(c) for c in row] for row in rows])
    temporary.replace(path)
    return path
