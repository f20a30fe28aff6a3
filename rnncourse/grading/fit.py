"""Do the submissions belong to the assignment being graded? Caught before anything is written.

A notebook *looks like* an assignment when it holds one of that assignment's own nbgrader grade
ids or defines one of its graded functions (the names its hidden tests ``check``); "own": no other
assignment has them (``setup`` and ``test_float64`` say nothing). When most of the notebooks that could be read look unlike
the assignment being graded, :func:`mismatch` says so and which assignment they look like, so that
an instructor who typed the wrong assignment gets one message instead of a class of zeros.
"""

import ast
import json
import re
from collections import Counter
from functools import cache

from ..course import assignments
from ..paths import ASSIGNMENT_NOTEBOOK, SOLUTIONS

CHECKED = re.compile(r"""\bcheck\(\s*["'](\w+)["']""")


@cache
def marks():
    """assignment -> (its own grade ids, its own graded functions), from the sources in solutions/ (read as
    plain JSON: they are the course's own, and validating ten notebooks would cost a late submission 25 ms)."""
    found = {}
    for name in assignments():
        cells = json.loads((SOLUTIONS / name / ASSIGNMENT_NOTEBOOK).read_text(encoding="utf-8"))["cells"]
        ids = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells} - {None}
        functions = {f for c in cells for f in CHECKED.findall("".join(c["source"]))}
        found[name] = (ids, functions)
    count = Counter(x for ids, functions in found.values() for x in ids | functions)
    return {name: ({i for i in ids if count[i] == 1}, {f for f in functions if count[f] == 1})
            for name, (ids, functions) in found.items()}


def grade_ids(nb):
    ids = set()
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            ids.add(meta["grade_id"])
    return ids


def defined(nb):
    """The grade ids and the names of the functions a submission's cells define."""
    ids, names = grade_ids(nb), set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            source = str(cell.get("source", ""))
            try:
                names |= {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
            except SyntaxError:
                names |= set(re.findall(r"^\s*def\s+(\w+)", source, re.M))
    return ids, names


def looks_like(nb):
    """The assignments a notebook looks like (see the module's docstring)."""
    ids, names = defined(nb)
    return {a for a, (own, functions) in marks().items() if ids & own or names & functions}


def mismatch(assignment, notebooks):
    """Why these notebooks are not ``assignment``'s (a message), or "" when most of them look like it."""
    notebooks = list(notebooks)
    own = marks()[assignment][0]  # a grade id of its own says enough, without parsing the code (the usual case)
    likes = [{assignment} if grade_ids(nb) & own else looks_like(nb) for nb in notebooks]
    unlike = sum(assignment not in like for like in likes)
    if not notebooks or 2 * unlike <= len(notebooks):
        return ""
    votes = Counter(a for like in likes if assignment not in like for a in like)
    guess = (f"they look like {votes.most_common(1)[0][0]} ({votes.most_common(1)[0][1]} of {len(notebooks)})"
             if votes else "they look like no assignment of the course")
    return (f"{unlike} of the {len(notebooks)} notebooks do not look like {assignment} (none of its graded "
            f"functions or grade ids); {guess}: check the assignment and the submissions; nothing was written")
