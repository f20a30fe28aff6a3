"""What the grading command prints: the progress of a run, and the summaries at its end (a class of
any size stays a screenful: beyond, students are counted and only those to look at are listed)."""

import sys
import time
from collections import Counter
from pathlib import Path

from . import engine, export, report


class Progress:
    """A bar with count and ETA on a terminal; one line per submission otherwise."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.stream, self.start = total, 0, stream, time.monotonic()
        self.tty = stream.isatty()

    def step(self, result, max_score, workers=0):
        self.done += 1
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        if self.tty:
            bar = "#" * (30 * self.done // self.total)
            self.stream.write(f"\r[{bar:<30}] {self.done}/{self.total}  {self.done / max(elapsed, 1e-9):5.1f}/s  "
                              f"ETA {eta:4.0f} s  {workers} worker(s) ")
            if self.done == self.total:
                self.stream.write("\n")
        else:  # a log: one line each, with the rate, the ETA and the workers now and then
            every = max(1, self.total // 20)
            now = (f"  [{self.done / max(elapsed, 1e-9):.1f}/s, ETA {eta:.0f} s, {workers} worker(s)]"
                   if self.done % every == 0 or self.done == self.total else "")
            self.stream.write(f"[{self.done}/{self.total}] {result.student_id}: {result.score:g} / {max_score:g} "
                              f"({result.status}, {result.seconds:.2f} s){now}\n")
        self.stream.flush()


def shorten(text, width=200):
    """``text`` for one terminal line: whole, or cut at a word with an ellipsis (the CSV has it all)."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[:width - 1].rsplit(" ", 1)[0] if " " in text[:width - 1] else text[:width - 1]
    return cut.rstrip(" ;,:") + "… (in full in the CSV)"


SCREENFUL = 40  # lines of a summary that lists students; beyond, it counts them (the CSV lists every one)


def capped(lines, out, more="see the CSV"):
    """Print at most SCREENFUL of ``lines``, then how many more there are."""
    for line in lines[:SCREENFUL]:
        print(line, file=out)
    if len(lines) > SCREENFUL:
        print(f"  ... and {len(lines) - SCREENFUL} more: {more}", file=out)


def print_aggregate(results, ignored, kept, max_score, out=sys.stdout):
    """A class beyond a screenful: scores and statuses counted, then the students to look at (capped)."""
    scores = Counter(r.score for r in results)
    print("  scores:   " + "; ".join(f"{score:g} / {max_score:g}: {n}" for score, n in sorted(scores.items(), reverse=True)),
          file=out)
    print("  statuses: " + "; ".join(f"{status} {n}" for status, n in Counter(r.status for r in results).most_common())
          + (f"; already graded, kept (--regrade to grade again) {len(kept)}" if kept else "")
          + (f"; ignored entries {len(ignored)}" if ignored else ""), file=out)
    look = [f"  {r.student_id}: {r.score:g} / {max_score:g}  {r.status}: {shorten(r.reason, 150)}" + (
        f"  REVIEW: {r.review}" if r.review else "") for r in results if r.status != "graded" or r.review]
    capped(look + [f"  ignored {i.entry}: {i.reason}" for i in ignored], out)


def print_summary(assignment, results, ignored, kept, max_score, csv_path, course, out=sys.stdout):
    print(f"{assignment}: {len(results)} submissions graded, max score {max_score:g}", file=out)
    width = max([len(r.student_id) for r in results] + [8])
    listed = len(results) + len(kept) + len(ignored) <= SCREENFUL  # else counted (the CSV lists every student)
    if not listed:
        print_aggregate(results, ignored, kept, max_score, out)
    for r in results if listed else []:
        note = "" if r.reason == "all tests passed" else f"  {r.status}: {shorten(r.reason)}"
        print(f"  {r.student_id:<{width}}  {r.score:>5g} / {max_score:g}{note}", file=out)
        if r.review:
            print(f"  {'':<{width}}  REVIEW: {r.review}", file=out)
    for s in kept if listed else []:
        print(f"  {s.student_id:<{width}}  already graded: kept (--regrade to grade again)", file=out)
    for i in ignored if listed else []:
        print(f"  ignored {i.entry}: {i.reason}", file=out)
    records = report.load_records(course, assignment)
    if records:  # the class so far (every batch), not only this run
        numbers = report.summary(records, {"all": max_score})
        print(f"class so far: {numbers['students']} students, mean {numbers['mean']:.2f} / {max_score:g}; "
              f"full marks {numbers['full marks']}; not gradable {numbers['not gradable']}; "
              f"to review {numbers['to review']} (this run: {len(results)} graded, {len(kept)} kept)", file=out)
    print(f"grades:   {csv_path}", file=out)
    if (course / "grades" / f"{assignment}.html").is_file():
        print(f"report:   {course / 'grades' / f'{assignment}.html'} (every student graded so far)", file=out)
    if (course / "grades" / export.FILENAME).is_file():
        print(f"canvas:   {course / 'grades' / export.FILENAME} (every assignment; Canvas's gradebook import)", file=out)
    print(f"feedback: {course / 'feedback'}/<student>/{assignment}/ (no hidden tests inside)", file=out)


def print_class_summary(runs, skipped, course, out=sys.stdout):
    """One table for the whole run: per assignment what this run did and where the class stands."""
    course = Path(course).resolve()
    print(f"\nclass summary ({course}): 'graded', 'kept' and 'ignored' are this run's; the rest counts every "
          "student graded so far", file=out)
    header = ["assignment", "graded", "kept", "ignored", "students", "mean", "full marks", "not gradable", "to review"]
    rows = []
    for run in runs:
        if run.error:
            rows.append([run.assignment, "-", "-", "-", "-", "NOT GRADED", "-", "-", "-"])
            continue
        numbers = report.summary(report.load_records(course, run.assignment),
                                 engine.load_assignment(run.assignment).points)
        rows.append([run.assignment, len(run.results), len(run.kept), len(run.ignored), numbers["students"],
                     f"{numbers['mean']:.2f} / {numbers['max']:g}", numbers["full marks"], numbers["not gradable"],
                     numbers["to review"]])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))),
              file=out)
    for run in runs:
        if run.error:
            print(f"{run.assignment}: not graded: {run.error}", file=out)
        capped([f"{run.assignment}: ignored {i.entry}: {i.reason}" for i in run.ignored]
               + [f"{run.assignment}: {r.student_id}: {r.status}: {shorten(r.reason)}" for r in run.results
                  if r.status != "graded"]
               + [f"{run.assignment}: {r.student_id}: REVIEW: {r.review}" for r in run.results if r.review], out,
               f"see {course / 'grades' / run.assignment}.csv")
    for entry, why in skipped:
        print(f"skipped {entry}: {why}", file=out)
    graded_now = [run for run in runs if not run.error]
    for run in graded_now:
        print(f"report:   {course / 'grades' / f'{run.assignment}.html'}", file=out)
    if (course / "grades" / export.FILENAME).is_file():
        print(f"canvas:   {course / 'grades' / export.FILENAME} (every assignment; Canvas's gradebook import)", file=out)
    print(f"grades:   {course / 'grades'}/<assignment>.csv\nfeedback: {course / 'feedback'}/<student>/<assignment>/ "
          "(no hidden tests inside)", file=out)


def print_export_notes(course, out=sys.stdout):
    """What the Canvas export could not match in the roster, if there is one."""
    try:
        _, done = export.canvas_table(course)
    except Exception:  # noqa: BLE001 (already reported by write_reports)
        return
    if done and done.roster and done.unmatched:
        print(f"canvas:   {len(done.unmatched)} student(s) not matched in {done.roster} (Canvas will ask you to pick "
              "them on import): " + ", ".join(f"{s} ({why})" for s, why in done.unmatched), file=out)
