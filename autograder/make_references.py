"""Make the reference outputs that the hidden tests compare students' functions with.

    python autograder/make_references.py                 # write autograder/references/*.npz
    python autograder/make_references.py --check         # regenerate in memory, fail if anything drifted
    python autograder/make_references.py 01-rnn-cell     # one chapter only

Each chapter module ``autograder/chapters/NN-slug.py`` computes its cases with Keras / TensorFlow
itself (``references(tf, keras, rng)``), seeded with the chapter number; the file format is
:mod:`rnncourse.references`.

Then it runs every mistake of the chapter's catalogue (``MISTAKES``) on the same hidden inputs: the
solution notebook's set-up and solution cells run in a namespace with numpy, then the mistake's
code, and each graded function is called as the grader calls it, on the stored inputs as they are
(float32 mostly: the hidden tests that pass float64 compare with the check's tolerance, which
absorbs that difference as it does for a correct answer). What a mistake gives is stored with every
case of each function it gets wrong (:mod:`rnncourse.mistakes`); a case on which it raised stores
the exception type (or that it modified its input), and matches only a student whose function did
the same there. A mistake that agrees with Keras everywhere, returns the wrong form of result, or
that no check can tell apart from another mistake stops the reference maker with a message naming
it. The files stay under ``autograder/``: anything in
``solutions/<assignment>/`` would be copied to the students.
"""

import argparse
import builtins
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np

from rnncourse import course, mistakes, references
from rnncourse.checks import StudentCodeError, arguments, call, judge
from rnncourse.framework import setup
from rnncourse.grading.worker import strip_magics
from rnncourse.paths import ASSIGNMENT_NOTEBOOK, REFERENCES, SOLUTIONS

SUMS = REFERENCES / "SHA256SUMS"  # the grader verifies the files against it
# TF's CPU kernels may round differently on another processor: far below the grading tolerance.
DRIFT_RTOL = 1e-6
DRIFT_ATOL = 1e-7


class CatalogueError(ValueError):
    """A chapter's MISTAKES cannot give a hint: the message names the mistake and why."""


def make(assignment):
    """``({function: (Graded, cases)}, hints)`` of one assignment: the cases computed by Keras, each
    with what the chapter's mistakes give on it; ``hints``: see :func:`rnncourse.references.hints`."""
    tf, keras = setup(seed=course.seed(assignment))
    module = course.chapter(assignment)
    cases = module.references(tf, keras, np.random.default_rng(course.seed(assignment)))
    if set(cases) != set(module.GRADED):
        raise ValueError(f"{assignment}: references for {sorted(cases)}, but GRADED is {sorted(module.GRADED)}")
    functions = {function: (module.GRADED[function], cases[function]) for function in cases}
    return functions, add_mistakes(assignment, functions, getattr(module, "MISTAKES", ()))


def solution_namespace(assignment):
    """The solution notebook's set-up and solution cells, run in a fresh namespace with numpy."""
    nb = nbformat.read(SOLUTIONS / assignment / ASSIGNMENT_NOTEBOOK, as_version=4)
    namespace = {"__name__": "__main__", "np": np}
    guard = builtins.__import__  # the set-up cell guards imports: not in this (trusted) process
    try:
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and (meta.get("solution") or (meta.get("locked") and not meta.get("grade"))):
                exec(compile(strip_magics(cell.source), f"<{meta.get('grade_id')}>", "exec"), namespace)
    finally:
        builtins.__import__ = guard
    return namespace


def run_mistake(mistake, functions, assignment):
    """``{function: [outcome per case]}`` of the functions this mistake gets wrong somewhere."""
    namespace = solution_namespace(assignment)
    exec(compile(mistake.code, f"<mistake {mistake.name}>", "exec"), namespace)
    wrong = {}
    for function, (graded, cases) in functions.items():
        outcomes, failed = [], False
        for i, case in enumerate(cases):
            args, keywords = arguments(graded, case)
            try:
                result, raised = call(namespace[function], *args, name=function, keywords=keywords), None
            except StudentCodeError as error:
                result, raised = None, mistakes.raised_type(function, str(error))
                if raised is None:
                    raise CatalogueError(f"{assignment}: mistake {mistake.name} gives no result to match in "
                                         f"{function} case {i}: {error}") from None
            found = mistakes.outcome(graded, function, result, raised)
            if found is None:
                raise CatalogueError(f"{assignment}: mistake {mistake.name} returns the wrong form in {function} "
                                     f"case {i}: its message already says so")
            outcomes.append(found)
            try:
                if raised:
                    raise StudentCodeError(raised)
                judge(function, graded, case, result)
            except StudentCodeError:
                failed = True
        if failed:
            wrong[function] = outcomes
    if not wrong:
        raise CatalogueError(f"{assignment}: mistake {mistake.name} agrees with Keras on every hidden case")
    return wrong


def as_result(graded, stored):
    """A stored outcome as the student's function would have returned it: (result, raised)."""
    if mistakes.RAISED in stored:
        return None, stored[mistakes.RAISED]
    values = [stored[o.name] for o in graded.outputs]
    if graded.returns == "dict":
        return dict(zip((o.name for o in graded.outputs), values)), None
    return (values[0] if len(values) == 1 else tuple(values)), None


def fails(function, graded, case, stored):
    """Whether a stored outcome fails the check of its case."""
    result, raised = as_result(graded, stored)
    try:
        judge(function, graded, case, result)
    except StudentCodeError:
        return True
    return bool(raised)


def indistinct(functions, catalogue):
    """Pairs of mistakes that no check can tell apart: on every group of cases (of every function)
    that one of them fails, the other fails too and gives the same outputs."""
    checks = [(function, group, [i for i, case in enumerate(cases) if case.get("group") == group])
              for function, (graded, cases) in functions.items()
              for group in sorted({case.get("group") for case in cases}, key=str)]

    def failing(name, function, chosen):
        stored = catalogue[name].get(function)
        graded, cases = functions[function]
        return stored is not None and any(fails(function, graded, cases[i], stored[i]) for i in chosen)

    def told_apart(a, b, function, chosen):
        graded = functions[function][0]
        return not all(mistakes.agrees(function, graded, catalogue[a][function][i],
                                       *as_result(graded, catalogue[b][function][i])) for i in chosen)

    pairs, names = [], list(catalogue)
    for a_index, a in enumerate(names):
        for b in names[a_index + 1:]:
            apart = False
            for function, group, chosen in checks:
                fail_a, fail_b = failing(a, function, chosen), failing(b, function, chosen)
                if fail_a != fail_b or (fail_a and told_apart(a, b, function, chosen)):
                    apart = True
                    break
            if not apart:
                pairs.append(f"{a} and {b}")
    return pairs


def add_mistakes(assignment, functions, catalogue):
    """Store each mistake's outcomes in the cases (``case["mistakes"][name]``); return the hints."""
    names = [m.name for m in catalogue]
    if len(set(names)) != len(names):
        raise CatalogueError(f"{assignment}: two mistakes share a name in {sorted(names)}")
    unknown = [m.name for m in catalogue if m.function not in functions]
    if unknown:
        raise CatalogueError(f"{assignment}: mistakes {unknown} name a function that is not graded")
    outcomes = {m.name: run_mistake(m, functions, assignment) for m in catalogue}
    same = indistinct(functions, outcomes)
    if same:
        raise CatalogueError(f"{assignment}: these mistakes give the same outputs on the hidden inputs, "
                             "so no hint could tell them apart: " + "; ".join(same))
    hints = {}
    for mistake in catalogue:
        for function, per_case in outcomes[mistake.name].items():
            hints.setdefault(function, {})[mistake.name] = {"hint": mistake.hint, "of": mistake.function}
            for case, found in zip(functions[function][1], per_case):
                case.setdefault("mistakes", {})[mistake.name] = found
    return hints


def drift(stored, fresh):
    """What differs between two reference files' contents, as readable lines (empty if none)."""
    problems = [f"{f}: only in the stored file" for f in sorted(stored.keys() - fresh.keys())]
    problems += [f"{f}: new" for f in sorted(fresh.keys() - stored.keys())]
    for function in sorted(stored.keys() & fresh.keys()):
        (spec_a, cases_a), (spec_b, cases_b) = stored[function], fresh[function]
        if spec_a != spec_b or len(cases_a) != len(cases_b):
            problems.append(f"{function}: the spec or the number of cases changed")
            continue
        for i, (a, b) in enumerate(zip(cases_a, cases_b)):
            for field in sorted(a.keys() | b.keys()):
                if not same(a.get(field), b.get(field)):
                    problems.append(f"{function}/{i}/{field}: differs")
    return problems


def same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):  # layers, gradients, ragged rows
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):  # the mistakes' outcomes
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return (np.allclose(a, b, rtol=DRIFT_RTOL, atol=DRIFT_ATOL, equal_nan=True) if a.dtype.kind == "f"
                else np.array_equal(a, b))  # a mistake's outputs may be NaN
    return type(a) is type(b) and a == b


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the stored references drifted")
    parser.add_argument("assignments", nargs="*", help="default: every assignment")
    args = parser.parse_args(argv)
    known = course.assignments()
    unknown = sorted(set(args.assignments) - set(known))
    if unknown:
        parser.error(f"unknown assignment {', '.join(unknown)}; the course has: {', '.join(known)}")
    failed = False
    for assignment in args.assignments or known:
        path = references.path_of(assignment)
        with tempfile.TemporaryDirectory() as scratch:  # written and read back: the check covers the format too
            fresh_path = Path(scratch) / path.name
            try:
                made = make(assignment)
            except CatalogueError as error:
                print(f"{assignment}: MISTAKES cannot give hints: {error}")
                failed = True
                continue
            references.write(fresh_path, *made)
            fresh = references.read(fresh_path)
            fresh_hints = references.hints(fresh_path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(fresh_path.read_bytes())
                print(f"{assignment}: wrote {path.relative_to(path.parents[2])}")
                continue
        problems = drift(references.read(path), fresh) if path.exists() else [f"{path.name} is missing"]
        if path.exists() and references.hints(path) != fresh_hints:
            problems.append("the hints of the mistakes changed")
        print(f"{assignment}: " + ("up to date" if not problems else "DRIFTED\n  " + "\n  ".join(problems)))
        failed |= bool(problems)
    sums = "".join(f"{references.checksum(p)}  {p.name}\n" for p in sorted(REFERENCES.glob("*.npz")))
    if args.check:
        if SUMS.read_text() != sums:
            print(f"{SUMS.name} does not match the reference files: run make_references.py")
            failed = True
    else:
        SUMS.write_text(sums)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
