"""How many wrong fixtures get a hint, per chapter (issue #17's figure: at least 80 % in every chapter).

    .venv/bin/python bench/hints.py                      # every chapter (about 40 s each on 2 cores)
    .venv/bin/python bench/hints.py 01-rnn-cell 03-hihello

Builds each chapter's fixture submissions (tests/fixtures/NN-slug.py), grades them with the real
command (`autograder/grade.py`, sandboxed) into a temp course folder, and counts from its CSV with
`tests.fixtures.hint_coverage` (what a wrong fixture is: graded below full marks, not an attack, and
with a failure a hint can add to). Prints one row per chapter and the fixtures left without a hint;
asserts nothing (tests/test_grading.py holds the 80 % line).
"""

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnncourse.course import assignments, chapter  # noqa: E402
from tests.fixtures import build, hint_coverage, load  # noqa: E402


def grade(assignment, folder):
    """student -> CSV row of the chapter's fixtures, graded by the real command."""
    submissions = folder / "submissions"
    submissions.mkdir()
    for student, fixture in load(assignment).items():
        build(assignment, student, fixture, submissions)
    done = subprocess.run([sys.executable, str(ROOT / "autograder" / "grade.py"), assignment, str(submissions),
                           "--course-dir", str(folder / "course")], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{assignment}: grading failed\n{done.stderr[-2000:]}")
    with open(folder / "course" / "grades" / f"{assignment}.csv", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment")
    chosen = parser.parse_args(argv).assignments or assignments()
    print(f"{'chapter':<22} {'mistakes':>8} {'wrong':>6} {'hinted':>6} {'share':>6}  without a hint")
    for assignment in chosen:
        catalogue = getattr(chapter(assignment), "MISTAKES", ())
        with tempfile.TemporaryDirectory() as scratch:
            hinted, wrong, missed = hint_coverage(assignment, grade(assignment, Path(scratch)))
        share = f"{100 * hinted / wrong:.0f}%" if wrong else "–"
        print(f"{assignment:<22} {len(catalogue):>8} {wrong:>6} {hinted:>6} {share:>6}  {', '.join(missed)}",
              flush=True)


if __name__ == "__main__":
    main()
