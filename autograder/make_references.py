"""Make the reference outputs that the hidden tests compare students' functions with.

    python autograder/make_references.py                 # write autograder/references/*.npz
    python autograder/make_references.py --check         # regenerate in memory, fail if anything drifted
    python autograder/make_references.py 01-rnn-cell     # one chapter only

Each chapter module ``autograder/chapters/NN-slug.py`` computes its cases with Keras / TensorFlow
itself (``references(tf, keras, rng)``), seeded with the chapter number; the file format is
:mod:`rnncourse.references`. The files stay under ``autograder/``: anything in
``solutions/<assignment>/`` would be copied to the students.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from rnncourse import course, references
from rnncourse.framework import setup
from rnncourse.paths import REFERENCES

SUMS = REFERENCES / "SHA256SUMS"  # the grader verifies the files against it
# TF's CPU kernels may round differently on another processor: far below the grading tolerance.
DRIFT_RTOL = 1e-6
DRIFT_ATOL = 1e-7


def make(assignment):
    """``{function: (Graded, cases)}`` of one assignment, computed by Keras."""
    tf, keras = setup(seed=course.seed(assignment))
    module = course.chapter(assignment)
    cases = module.references(tf, keras, np.random.default_rng(course.seed(assignment)))
    if set(cases) != set(module.GRADED):
        raise ValueError(f"{assignment}: references for {sorted(cases)}, but GRADED is {sorted(module.GRADED)}")
    return {function: (module.GRADED[function], cases[function]) for function in cases}


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
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return np.allclose(a, b, rtol=DRIFT_RTOL, atol=DRIFT_ATOL) if a.dtype.kind == "f" else np.array_equal(a, b)
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
            references.write(fresh_path, make(assignment))
            fresh = references.read(fresh_path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(fresh_path.read_bytes())
                print(f"{assignment}: wrote {path.relative_to(path.parents[2])}")
                continue
        problems = drift(references.read(path), fresh) if path.exists() else [f"{path.name} is missing"]
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
