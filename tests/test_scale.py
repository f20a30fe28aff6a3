"""Bookkeeping for a large class: the terminal summary and the class report stay the same size
however many students there are (their lists are capped; the CSV lists every student)."""

import io
from dataclasses import asdict
from pathlib import Path

import pytest

from rnncourse.grading import report, store, terminal
from rnncourse.grading.intake import Ignored

POINTS = {"test_a": 3.0, "test_b": 4.0}


def results(n):
    """n students: most at full marks, every 7th failing test_b, every 50th not gradable, every 3rd flagged."""
    out = []
    for i in range(n):
        r = store.Result(f"s{i:06d}", f"Student {i}", f"s{i:06d}.ipynb", tests=dict(POINTS), reason="all tests passed")
        if i % 7 == 0:
            r.tests["test_b"], r.messages = 0.0, {"test_b": f"AssertionError: wrong values for case {i % 5}"}
            r.reason = f"test_b: {r.messages['test_b']}"
        if i % 50 == 0:
            r.tests, r.status, r.reason, r.messages = {t: 0.0 for t in POINTS}, "invalid notebook", "not JSON", {}
        r.review = "uses os" if i % 3 == 0 else ""
        r.score = sum(r.tests.values())
        out.append(r)
    return out


def test_the_summary_of_a_large_class_counts_and_lists_only_whom_to_look_at():
    small, large = io.StringIO(), io.StringIO()
    for out, n in ((small, 20), (large, 20_000)):
        terminal.print_summary("01-rnn-cell", results(n), [Ignored("notes.txt", "not a notebook")], [], 7.0,
                              "grades.csv", Path("/nonexistent"), out)
    assert "s000019" in small.getvalue() and "scores:" not in small.getvalue(), "a small class: every student"
    lines = large.getvalue().splitlines()
    assert len(lines) < terminal.SCREENFUL + 12, "a large class: a screenful"
    assert "  scores:   7 / 7: 16800; 3 / 7: 2800; 0 / 7: 400" in lines
    assert "  statuses: graded 19600; invalid notebook 400; ignored entries 1" in lines
    assert any(line.startswith("  ... and ") and line.endswith("more: see the CSV") for line in lines)


@pytest.mark.slow  # two reports with their plots: seconds
def test_the_class_report_does_not_grow_with_the_class():
    def size(n):
        records = [asdict(r) for r in results(n)]
        return len(report.render("01-rnn-cell", records, POINTS, generated="now"))

    small, large = size(1_500), size(6_000)  # both beyond the caps
    assert large < small * 1.1, f"{small} bytes for 1,500 students, {large} for 6,000"
