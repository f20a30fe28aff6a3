"""The class report of one assignment: ``grades/ASSIGNMENT.html``, one self-contained page.

Written by the grading command after every run, from the per-student records the CSV is written
from (``grades/ASSIGNMENT/STUDENT.json``), so it covers every batch graded so far. It shows

- a summary (students, mean, median, full marks, not gradable, to review);
- the score histogram (one bar per score the tests can add up to), as a plot and a table;
- the pass rate of each test, over the notebooks that could be graded;
- the known mistakes in this class (:func:`class_mistakes`): how many students' failures matched each
  mistake of the chapter's catalogue, with its hint, as a plot and a table;
- the most frequent failure messages per test, grouped by :func:`normalise`, with their counts,
  one example as a student saw it and who got it;
- the errors the students' own cells raised when graded (an import the grader does not have),
  grouped the same way;
- the students to look at, and why (the grader's ``review`` note, or why the notebook could not
  be graded);
- the grading time per submission (distribution, median, 90th percentile, the slowest);
- every student's score and tests.

Plots are drawn as SVG by hand (bars, ticks and labels: no plotting library to import, which cost a
second on every run) and inlined as base64 with alt text that says what they show; the tables
beside them hold the same numbers. Every text from a submission (names, ids, messages, entries) is HTML-escaped.
"""

import base64
import html
import json
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path

from ..feedback import STYLE

TOP_FAILURES = 20  # rows of the failure table
SLOWEST = 5  # rows of the slowest submissions
MAX_BARS = 40  # past this many possible scores, the histogram uses ranges
LISTED = 500  # rows of a list of students (to look at, all students): the page stays small for any class
NAMES = 100  # students named per failure; the CSV has every one
PASSED = "all tests passed"

REPORT_STYLE = STYLE + """
body{max-width:72rem}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}figcaption{color:var(--muted);font-size:.9rem}
details summary{cursor:pointer;color:var(--primary)}.key{font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2rem 1.2rem}dl.summary dt{font-weight:600}
dl.summary dd{margin:0}.example{color:var(--muted);font-size:.85em;word-break:break-word}
.scroll{overflow-x:auto}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"""


# ------------------------------------------------------------------------------------------ records

def load_records(course, assignment):
    """Every student's record of the assignment (all batches), sorted by student id."""
    folder = Path(course) / "grades" / assignment
    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return sorted(records, key=lambda r: r["student_id"])


def messages_of(record, tests):
    """test -> the message its failure gave: the record's own ``messages``, or (records written
    before they were kept) parsed from its ``reason``, "test: message; test: message"."""
    if isinstance(record.get("messages"), dict):
        return record["messages"]
    if record.get("status") != "graded" or record.get("reason") in ("", PASSED) or not tests:
        return {}
    parts = re.split(r"(?:^|; )(" + "|".join(map(re.escape, tests)) + r"): ", record["reason"])
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def graded(records):
    """The records whose notebook ran (the others could not be graded: status says why)."""
    return [r for r in records if r["status"] == "graded"]


def passed(record, test, points):
    return record["tests"].get(test, 0) >= points[test]


# ----------------------------------------------------------------------------------- normalising

def _balanced(text, start):
    """The index just past the bracket closing the one at ``start`` (or len(text))."""
    pairs, depth = {"(": ")", "[": "]", "{": "}"}, []
    for i in range(start, len(text)):
        if text[i] in pairs:
            depth.append(pairs[text[i]])
        elif depth and text[i] == depth[-1]:
            depth.pop()
            if not depth:
                return i + 1
    return len(text)


def _replace_groups(text, opening, keep):
    """Replace each top-level group that opens with ``opening`` by ``keep(group)``."""
    out, i = [], 0
    while i < len(text):
        if text[i] == opening:
            end = _balanced(text, i)
            out.append(keep(text[i:end], text[:i]))
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _top_level_cut(text):
    """``text`` up to its first "; " or sentence end (". " before a capital) outside brackets."""
    depth = 0
    for i, c in enumerate(text):
        depth += c in "([{"
        depth -= c in ")]}" and depth > 0
        if depth == 0 and (text.startswith("; ", i) or (c == "." and re.match(r"\. [A-Z]", text[i:i + 3]))
                           or re.match(r": (#|\[…\]|\(…\)|\{…\}|'…')", text[i:i + 5])):
            return text[:i]
    return text


NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?(?![\w])", re.I)
TUPLE = re.compile(r"\((?:\s*(?:[-+]?[\d.]+(?:e[-+]?\d+)?|'…'|#)\s*,?)+\s*\)", re.I)


def normalise(message):
    """The failure a message is about, without the details of the case it happened on, so that the
    same mistake on different inputs, shapes or values counts once per test:

    1. locations go: "(at line 8 of cell 4)";
    2. arrays, lists and dicts become ``[…]`` and ``{…}``, quoted strings ``'…'`` (but ``name 'f'``
       and the like keep the name: a NameError is about that name), tuples of numbers ``(…)``;
    3. asides in parentheses after a space go: they describe the case or give a hint ("(2 batch,
       5 steps, 3 features, 4 units, float64 inputs)", "(argument 2)", "(a correct answer takes
       milliseconds)"); calls such as ``shift_pair(…)`` stay;
    4. "the small case", "the one-unit case" become "the … case"; the remaining numbers ``#``;
    5. only the first clause is kept: up to the first "; ", the end of the first sentence, or a ": "
       followed by values (``: #``, ``: […]``), outside brackets; what follows is detail (which
       values, where the largest error is, the tolerance);
    6. spaces are tidied and the result is capped at 120 characters.
    """
    text = re.sub(r"\s*\(at line \d+ of [^()]*\)", "", str(message))
    text = re.sub(r"\b(name|attribute|module|named|function|key) '([\w.]+)'", "\\1 «\\2»", text)
    text = _replace_groups(text, "[", lambda group, before: "[…]")
    text = _replace_groups(text, "{", lambda group, before: "{…}")
    text = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "'…'", text)
    text = text.replace("«", "'").replace("»", "'")
    text = TUPLE.sub("(…)", text)
    text = _replace_groups(text, "(", lambda group, before: "" if (before[-1:].isspace() or not before)
                           and group != "(…)" else group)
    text = re.sub(r"\bthe [\w-]+ case\b", "the … case", text)
    text = NUMBER.sub("#", text)
    text = _top_level_cut(text)
    text = re.sub(r"\s+([:,;.)])", r"\1", re.sub(r"\s+", " ", text)).strip().rstrip(".:;,= ")
    return text if len(text) <= 120 else text[:119] + "…"


# ------------------------------------------------------------------------------------- statistics

def achievable(points):
    """Every score the tests can add up to, sorted."""
    sums = {0.0}
    for p in points.values():
        sums |= {round(s + p, 6) for s in sums}
    return sorted(sums)


def histogram(records, points):
    """[(label, low, high, count)]: one bar per score the tests can add up to (and any other score a
    record has, say from an earlier version of the tests), or ten equal ranges if there are many."""
    scores = [round(float(r["score"]), 6) for r in records]
    values = sorted(set(achievable(points)) | set(scores))
    if len(values) <= MAX_BARS:
        return [(f"{v:g}", v, v, sum(s == v for s in scores)) for v in values]
    top, n = max(values), 10
    edges = [top * i / n for i in range(n + 1)]
    return [(f"{lo:g}–{hi:g}", lo, hi, sum(lo <= s < hi or (i == n - 1 and s == hi) for s in scores))
            for i, (lo, hi) in enumerate(zip(edges, edges[1:]))]


def pass_rates(records, points):
    """[(test, points, passed, failed)] over the notebooks that could be graded."""
    ran = graded(records)
    return [(t, p, sum(passed(r, t, points) for r in ran), sum(not passed(r, t, points) for r in ran))
            for t, p in points.items()]


def failures(records, points):
    """[(test, normalised message, [(student_id, message), ...])], most frequent first (then in
    test order, then by message); every failed test of every graded notebook counts once."""
    groups = defaultdict(list)
    order = {t: i for i, t in enumerate(points)}
    for r in graded(records):
        messages = messages_of(r, list(points))
        for t in points:
            if not passed(r, t, points):
                message = messages.get(t, "failed")
                groups[(t, normalise(message))].append((r["student_id"], message))
    return sorted(((t, key, who) for (t, key), who in groups.items()),
                  key=lambda g: (-len(g[2]), order[g[0]], g[1]))


def mistakes_of(record):
    """The known mistakes a student's failures matched, each once, in test order (the CSV's column)."""
    names = []
    for found in (record.get("mistakes") or {}).values():
        names += [n for n in found if n not in names]
    return names


def class_mistakes(records):
    """[(mistake, its hint, [student_id, ...])] over the graded notebooks, most frequent first."""
    who, hints = defaultdict(list), {}
    for r in graded(records):
        for name in mistakes_of(r):
            who[name].append(r["student_id"])
            hints[name] = (r.get("hints") or {}).get(name, "")
    return sorted(((name, hints[name], students) for name, students in who.items()), key=lambda m: (-len(m[2]), m[0]))


def cell_failures(records):
    """[(normalised error, [(student_id, "cell N: error"), ...])] of the cells that raised, most frequent first."""
    groups = defaultdict(list)
    for r in graded(records):
        for cell, error in (r.get("cell_errors") or {}).items():
            groups[normalise(error)].append((r["student_id"], f"{cell}: {error}"))
    return sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))


def flagged(records):
    """[(record, why)] of the students an instructor should look at: a review note, or no grade."""
    out = []
    for r in records:
        why = []
        if r["status"] != "graded":
            why.append(f"{r['status']}: {r['reason']}")
        if r.get("review"):
            why.append(r["review"])
        if why:
            out.append((r, "; ".join(why)))
    return out


def percentile(values, q):
    """The q-th percentile (0–100) by linear interpolation between the sorted values."""
    values = sorted(values)
    if not values:
        return 0.0
    k = (len(values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timings(records):
    """The grading seconds of the notebooks that ran (a notebook that could not be read took none)."""
    return [(r, float(r.get("seconds", 0.0))) for r in graded(records)]


def summary(records, points):
    """The numbers at the top of the report (also the grade-all command's summary)."""
    top = sum(points.values())
    scores = [float(r["score"]) for r in records]
    return {"students": len(records), "graded": len(graded(records)),
            "not gradable": sum(r["status"] != "graded" for r in records),
            "to review": sum(bool(r.get("review")) for r in records),
            "mean": statistics.fmean(scores) if scores else 0.0,
            "median": statistics.median(scores) if scores else 0.0,
            "full marks": sum(s >= top for s in scores), "zero": sum(s == 0 for s in scores), "max": top}


# ------------------------------------------------------------------------------------------ plots

PRIMARY, OK, BAD, MUTED = "#0a7d91", "#00843f", "#c0223b", "#5d6673"
WIDTH, FONT = 640, "font-family='system-ui,-apple-system,Segoe UI,Roboto,Arial,sans-serif' font-size='11'"


def _svg(height, parts):
    """A self-contained SVG image (drawn by hand: no plotting library to import), base64 for a data URI."""
    text = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
            f"viewBox='0 0 {WIDTH} {height}' {FONT}><rect width='100%' height='100%' fill='#fff'/>"
            + "".join(parts) + "</svg>")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _text(x, y, text, anchor="middle", colour="#222832", extra=""):
    return f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' fill='{colour}' {extra}>{html.escape(str(text))}</text>"


def _columns(labels, counts, colours, xlabel, ylabel, marker=None):
    """A column chart: one bar per label, its count above it, integer ticks on the left; ``marker``
    (x position in bar units, its label) draws a dashed vertical line."""
    height, left, right, top, bottom = 280, 56, 12, 16, 52
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = max(counts + [1])
    step = max(1, -(-peak // 5))
    scale = plot_h / (step * -(-peak // step) * 1.1)
    slot = plot_w / max(len(counts), 1)
    every = max(1, -(-len(labels) // 20))  # at most 20 labels under the axis
    parts = [f"<line x1='{left}' y1='{top + plot_h}' x2='{WIDTH - right}' y2='{top + plot_h}' stroke='{MUTED}'/>"]
    for tick in range(0, peak + step, step):
        y = top + plot_h - tick * scale
        parts += [f"<line x1='{left}' y1='{y:.1f}' x2='{WIDTH - right}' y2='{y:.1f}' stroke='#e6e8ea'/>",
                  _text(left - 6, y + 4, tick, "end", MUTED)]
    for i, (label, count, colour) in enumerate(zip(labels, counts, colours)):
        x, h = left + i * slot, count * scale
        parts.append(f"<rect x='{x + slot * 0.1:.1f}' y='{top + plot_h - h:.1f}' width='{slot * 0.8:.1f}' "
                     f"height='{h:.1f}' fill='{colour}'/>")
        if count:
            parts.append(_text(x + slot / 2, top + plot_h - h - 4, count))
        if i % every == 0:
            parts.append(_text(x + slot / 2, top + plot_h + 16, label))
    if marker is not None:
        x = left + marker[0] * slot
        parts += [f"<line x1='{x:.1f}' y1='{top}' x2='{x:.1f}' y2='{top + plot_h}' stroke='{MUTED}' "
                  "stroke-dasharray='4 3'/>", _text(x + 4, top + 10, marker[1], "start", MUTED)]
    parts += [_text(left + plot_w / 2, height - 10, xlabel),
              _text(14, top + plot_h / 2, ylabel, extra=f"transform='rotate(-90 14 {top + plot_h / 2:.1f})'")]
    return _svg(height, parts)


def plot_histogram(bars, top):
    return _columns([b[0] for b in bars], [b[3] for b in bars], [OK if b[2] >= top else PRIMARY for b in bars],
                    f"score (out of {top:g})", "students")


def plot_pass_rates(rates):
    row, left, right = 26, 210, 70
    height = row * len(rates) + 44
    parts = []
    for i, (test, _, ok, ko) in enumerate(rates):
        share = ok / (ok + ko) if ok + ko else 0
        y, w = 8 + i * row, share * (WIDTH - left - right)
        parts += [_text(left - 8, y + 15, test, "end"),
                  f"<rect x='{left}' y='{y + 3}' width='{w:.1f}' height='{row - 8}' fill='{OK if share == 1 else PRIMARY}'/>",
                  _text(left + w + 6, y + 15, f"{ok}/{ok + ko}", "start")]
    parts += [f"<line x1='{left}' y1='4' x2='{left}' y2='{height - 32}' stroke='{MUTED}'/>",
              _text(left + (WIDTH - left - right) / 2, height - 10, "passed (% of the notebooks graded; full bar = 100%)")]
    return _svg(height, parts)


def plot_mistakes(found):
    """Horizontal bars: students per known mistake."""
    row, left, right = 26, 250, 50
    height = row * len(found) + 44
    peak = max(len(who) for _, _, who in found)
    parts = []
    for i, (name, _, who) in enumerate(found):
        y, w = 8 + i * row, len(who) / peak * (WIDTH - left - right)
        parts += [_text(left - 8, y + 15, name, "end"),
                  f"<rect x='{left}' y='{y + 3}' width='{w:.1f}' height='{row - 8}' fill='{PRIMARY}'/>",
                  _text(left + w + 6, y + 15, len(who), "start")]
    parts += [f"<line x1='{left}' y1='4' x2='{left}' y2='{height - 32}' stroke='{MUTED}'/>",
              _text(left + (WIDTH - left - right) / 2, height - 10, "students whose failures matched the mistake")]
    return _svg(height, parts)


def plot_times(seconds):
    bins = min(30, max(5, len(seconds) // 2))
    low, high = min(seconds), max(seconds)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for s in seconds:
        counts[min(int((s - low) / width), bins - 1)] += 1
    median = statistics.median(seconds)
    labels = [f"{low + i * width:.2f}" for i in range(bins)]
    return _columns(labels, counts, [PRIMARY] * bins, "seconds to grade one submission (bins start at the value shown)",
                    "submissions", marker=((median - low) / width, f"median {median:.2f} s"))


# ------------------------------------------------------------------------------------------- page

def _figure_html(png, alt, caption):
    return (f"<figure><img src='data:image/svg+xml;base64,{png}' alt='{html.escape(alt, quote=True)}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _table(caption, header, rows, numeric=()):
    """A table: ``rows`` are lists of cells already escaped; columns in ``numeric`` align right."""
    head = "".join(f"<th scope='col'{' class=num' if i in numeric else ''}>{h}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    label = html.escape(re.sub(r"<[^>]+>", "", html.unescape(caption)), quote=True)
    return (f"<div class='scroll' role='region' tabindex='0' aria-label='{label}'><table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body or '<tr><td colspan=' + str(len(header)) + '>none</td></tr>'}</tbody></table></div>")


def render(assignment, records, points, generated=None):
    """The report's HTML (a string)."""
    esc = html.escape
    top = sum(points.values())
    numbers = summary(records, points)
    generated = generated or time.strftime("%Y-%m-%d %H:%M")
    parts = [f"<h1>{esc(assignment)}: class report</h1>",
             f"<p class='muted'>Every student graded so far (all batches), from <code>{esc(assignment)}.csv</code> "
             f"and <code>{esc(assignment)}/*.json</code> beside this page; written {esc(generated)}. "
             f"Scores are out of {top:g}.</p>"]
    if not records:
        parts.append("<p>No student has been graded yet.</p>")
        return _page(assignment, parts)

    parts.append("<h2 id='summary'>Summary</h2><dl class='summary'>" + "".join(
        f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in [
            ("students", numbers["students"]), ("graded", numbers["graded"]),
            ("not gradable", numbers["not gradable"]), ("to review", numbers["to review"]),
            ("mean", f"{numbers['mean']:.2f} / {top:g}"), ("median", f"{numbers['median']:g} / {top:g}"),
            ("full marks", numbers["full marks"]), ("zero", numbers["zero"])]) + "</dl>")

    bars = histogram(records, points)
    alt = (f"Bar chart of the scores of {len(records)} students: "
           + "; ".join(f"{label} points: {count}" for label, _, _, count in bars) + ".")
    parts += ["<h2 id='scores'>Scores</h2>",
              _figure_html(plot_histogram(bars, top), alt, "Students per score, every student in the CSV "
                           "(a notebook that could not be graded counts as 0); full marks in green."),
              _table("Students per score", ["score", "students", "share"],
                     [[esc(label), count, f"{100 * count / len(records):.0f}%"] for label, _, _, count in bars],
                     numeric=(1, 2))]

    rates = pass_rates(records, points)
    ran = numbers["graded"]
    parts.append("<h2 id='tests'>Pass rate per test</h2>")
    if ran:
        alt = ("Horizontal bar chart of the share of graded notebooks passing each test: "
               + "; ".join(f"{t}: {ok} of {ok + ko}" for t, _, ok, ko in rates) + ".")
        parts.append(_figure_html(plot_pass_rates(rates), alt, f"Over the {ran} notebooks that could be graded."))
    parts.append(_table(f"Tests, over the {ran} notebooks that could be graded", ["test", "points", "passed", "failed",
                                                                              "pass rate"],
                        [[f"<code>{esc(t)}</code>", f"{p:g}", ok, ko, f"{100 * ok / ran:.0f}%" if ran else "–"]
                         for t, p, ok, ko in rates], numeric=(1, 2, 3, 4)))

    found = class_mistakes(records)
    parts += ["<h2 id='mistakes'>Mistakes in this class</h2>",
              "<p>A failed test whose outputs on the hidden inputs are exactly those of a known mistake of this "
              "chapter (its catalogue, run by the reference maker), within the test's tolerance; the student's "
              "feedback shows its hint beside the failure. A hint never changes a score.</p>"]
    if found:
        alt = ("Horizontal bar chart of the students per known mistake: "
               + "; ".join(f"{name}: {len(who)}" for name, _, who in found) + ".")
        parts.append(_figure_html(plot_mistakes(found), alt, "Students whose failures matched each known mistake."))
    parts.append(_table(f"{len(found)} known mistake{'s' if len(found) != 1 else ''} made in this class",
                        ["mistake", "students", "hint the students saw", "who"],
                        [[f"<code>{esc(name)}</code>", len(who), esc(hint),
                          f"<details><summary>{len(who)} student{'s' if len(who) > 1 else ''}</summary>"
                          + ", ".join(esc(s) for s in who) + "</details>"] for name, hint, who in found],
                        numeric=(1,)))

    groups = failures(records, points)
    parts += ["<h2 id='failures'>Most frequent failures</h2>",
              "<p>Each failed test of each graded notebook, grouped by its message with the details of the case "
              "taken out (values, shapes, sizes, line numbers and the case's description become <code>…</code> or "
              "<code>#</code>; only the first clause is kept), so that one mistake counts once however it showed. "
              "The example is one student's message in full.</p>",
              _table(f"The {min(TOP_FAILURES, len(groups))} most frequent of {len(groups)} kinds of failure",
                     ["test", "failure", "students", "example", "who"],
                     [[f"<code>{esc(t)}</code>", f"<span class='key'>{esc(key)}</span>", len(who),
                       f"<span class='example'>{esc(who[0][1])}</span>",
                       f"<details><summary>{len(who)} student{'s' if len(who) > 1 else ''}</summary>"
                       + ", ".join(esc(s) for s, _ in who[:NAMES])
                       + (f" and {len(who) - NAMES} more (see the CSV)" if len(who) > NAMES else "") + "</details>"]
                      for t, key, who in groups[:TOP_FAILURES]], numeric=(2,))]

    flags = flagged(records)
    parts += ["<h2 id='review'>Students to look at</h2>",
              "<p>The grader's review notes (code that uses risky modules, hung or ended its process; they never "
              "change a score) and the notebooks that could not be graded.</p>",
              _table(f"{len(flags)} student{'s' if len(flags) != 1 else ''} to look at"
                     + (f" (the first {LISTED}; the CSV has every one)" if len(flags) > LISTED else ""),
                     ["student", "name", "score", "status", "why"],
                     [[f"<code>{esc(r['student_id'])}</code>", esc(r["name"]), f"{float(r['score']):g}",
                       esc(r["status"]), esc(why)] for r, why in flags[:LISTED]], numeric=(2,))]

    raised = cell_failures(records)
    parts += ["<h2 id='cells'>Cells that raised when graded</h2>",
              "<p>A cell of the student's own that raised (an import the grader does not have, a typo): every "
              "function after the error in it is missing, and the tests that use them fail. Grouped like the "
              "failures above.</p>",
              _table(f"{len(raised)} kind{'s' if len(raised) != 1 else ''} of error in students' cells",
                     ["error", "students", "example", "who"],
                     [[f"<span class='key'>{esc(key)}</span>", len(who),
                       f"<span class='example'>{esc(who[0][1])}</span>",
                       f"<details><summary>{len(who)} student{'s' if len(who) > 1 else ''}</summary>"
                       + ", ".join(esc(s) for s, _ in who) + "</details>"] for key, who in raised[:TOP_FAILURES]],
                     numeric=(1,))]

    times = timings(records)
    seconds = [s for _, s in times]
    parts.append("<h2 id='time'>Grading time per submission</h2>")
    if seconds:
        p90 = percentile(seconds, 90)
        slowest = sorted(times, key=lambda t: -t[1])[:SLOWEST]
        alt = (f"Histogram of the time taken to grade each of {len(seconds)} submissions: median "
               f"{statistics.median(seconds):.2f} s, 90th percentile {p90:.2f} s, slowest {max(seconds):.2f} s.")
        parts += [_figure_html(plot_times(seconds), alt, "Seconds per submission, from the start of its sandbox "
                               "to its last test (includes any time limit a test ran into)."),
                  f"<p>{len(seconds)} submissions: total {sum(seconds):.1f} s, median {statistics.median(seconds):.2f} s, "
                  f"90th percentile {p90:.2f} s, slowest {max(seconds):.2f} s.</p>",
                  _table(f"The {len(slowest)} slowest", ["student", "seconds", "score", "review"],
                         [[f"<code>{esc(r['student_id'])}</code>", f"{s:.2f}", f"{float(r['score']):g}",
                           esc(r.get("review", ""))] for r, s in slowest], numeric=(1, 2))]
    else:
        parts.append("<p>No notebook could be graded.</p>")

    marks = {True: "<span class='passed'><span aria-hidden='true'>✓</span><span class='sr'>passed</span></span>",
             False: "<span class='failed'><span aria-hidden='true'>✗</span><span class='sr'>failed</span></span>"}
    parts += ["<h2 id='students'>All students</h2>",
              _table(f"{len(records)} students, by id" + (f" (the first {LISTED}; the CSV has every one)"
                                                          if len(records) > LISTED else ""), ["student", "name", "score", "status",
                                                         *(f"<code>{esc(t)}</code>" for t in points)],
                     [[f"<code>{esc(r['student_id'])}</code>", esc(r["name"]), f"{float(r['score']):g}",
                       esc(r["status"]), *(marks[passed(r, t, points)] if r["status"] == "graded" else "–"
                                           for t in points)] for r in records[:LISTED]], numeric=(2,))]
    return _page(assignment, parts)


def _page(assignment, parts):
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(assignment)}: class report</title><style>{REPORT_STYLE}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")


def write_report(course, assignment, points):
    """Write ``grades/ASSIGNMENT.html`` from the records so far; return its path."""
    records = load_records(course, assignment)
    path = Path(course) / "grades" / f"{assignment}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".html.tmp")
    temporary.write_text(render(assignment, records, points), encoding="utf-8")
    temporary.replace(path)
    return path
