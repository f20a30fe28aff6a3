"""The built book as readers see it: every page of the site in headless Chromium (slow).

Chromium is Debian's ``chromium`` package, driven by pip's ``playwright`` with ``executable_path``
(``playwright install`` would download a browser); the accessibility rules are axe-core from npm.
``scripts/setup.sh`` installs all three (Chromium only when run as root, as in CI). Without
Chromium these tests are skipped, unless ``RNNCOURSE_BROWSER=required`` (set by ``.ci/run``).

Each page is visited once (:func:`visit`), over HTTP from a local server, and the tests below
read what the visit recorded. Screenshots of every page go to ``_build/screenshots/`` for a
person to look at. ``test_a_broken_page_fails_every_check`` breaks a copy of a real page on
purpose and shows that each check catches its fault.
"""

import functools
import http.server
import os
import re
import shutil
import threading
from urllib.parse import unquote, urlsplit

import pytest

from rnncourse.book import chapter_pages, read_page
from rnncourse.paths import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = ROOT / ".venv" / "share" / "axe-core" / "axe.min.js"  # scripts/setup.sh fetches it from npm
SCREENSHOTS = ROOT / "_build" / "screenshots"

# Console messages every page of a Jupyter Book 1.0.4 site logs, and why they are harmless.
KNOWN_BENIGN = {
    "Identifier 'THEBE_JS_URL' has already been declared":
        "sphinx-thebe's loader is emitted twice by Jupyter Book 1.0.4; the second copy is ignored",
}
# Outputs that must never reach a reader: stderr streams, tracebacks, log records.
NOISE = ".output.stderr, .output.traceback, .output.error, .stderr, .traceback, .logging"

VISIT = """async () => {
  const math = Array.from(document.querySelectorAll(".math"));
  if (math.length) {
    for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
      await new Promise(r => setTimeout(r, 50));
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  }
  return {
    math: math.length,
    untypeset: math.filter(m => !m.querySelector("mjx-container") || m.querySelector("mjx-merror"))
                   .map(m => m.textContent.slice(0, 60)),
    broken_images: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)
                        .map(i => i.getAttribute("src")),
    noise: Array.from(document.querySelectorAll(arguments_noise)).map(n => n.textContent.slice(0, 120)),
    links: Array.from(document.querySelectorAll("a[href]")).map(a => a.href),
    ids: Array.from(document.querySelectorAll("[id]")).map(e => e.id),
  };
}"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x, e.g. ${v.nodes[0].html.slice(0, 120)})`);
}"""


def browser_or_skip():
    if CHROMIUM and AXE.is_file():
        return
    missing = "Debian's chromium" if not CHROMIUM else f"axe-core ({AXE.relative_to(ROOT)})"
    if os.environ.get("RNNCOURSE_BROWSER") == "required":
        pytest.fail(f"{missing} is missing: scripts/setup.sh installs it (Chromium when run as root)")
    pytest.skip(f"{missing} is missing: run scripts/setup.sh as root, or `apt-get install chromium`")


class Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves the site silently, but keeps every request it answered with a 4xx or 5xx in ``failed``
    (a browser's own requests, such as /favicon.ico, fire no page event and may log nothing)."""
    failed = None  # set per server by serve()

    def log_message(self, *args):
        pass

    def send_response(self, code, message=None):
        if code >= 400:
            self.failed.append(f"HTTP {code}: /{self.path.lstrip('/')}")
        super().send_response(code, message)


@pytest.fixture(scope="module")
def served(build):
    """(site folder, base URL) of the clean build, served over HTTP."""
    assert build["returncode"] == 0, "the book did not build (see tests/test_book.py)"
    return serve(build["site"])


def serve(site):
    handler = type("Served", (Quiet,), {"failed": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SERVED_FAILURES[server.server_port] = handler.failed
    return site, f"http://127.0.0.1:{server.server_port}/"


SERVED_FAILURES = {}  # port -> the failed requests its server answered (see Quiet)


@pytest.fixture(scope="module")
def chromium():
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def visit(browser, base, path, screenshot=None):
    """Load one page and record what the checks need: console errors and failed requests, math, images,
    outputs, links, axe."""
    page = browser.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    failed = SERVED_FAILURES[urlsplit(base).port]
    failed.clear()
    page.goto(base + path, wait_until="networkidle")
    seen = page.evaluate(VISIT.replace("arguments_noise", repr(NOISE)))
    page.add_script_tag(path=str(AXE))
    seen["axe"] = page.evaluate(AXE_RUN)
    if screenshot:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    errors += failed
    seen["errors"] = [e for e in errors if not any(known in e for known in KNOWN_BENIGN)]
    return seen


def site_pages(site):
    """Every HTML page of the site (the theme's and MathJax's own files excepted)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if p.relative_to(site).parts[0] not in ("_static", "mathjax", "_sources"))


@pytest.fixture(scope="module")
def visits(served, chromium):
    site, base = served
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    return {path: visit(chromium, base, path, SCREENSHOTS / path.replace(".html", ".png"))
            for path in site_pages(site)}


def report(visits, key):
    return "\n".join(f"{path}: {item}" for path, seen in visits.items() for item in seen[key])


def broken_links(visits, site, base):
    """Links within the site to a file that does not exist or to an anchor its page lacks."""
    broken = []
    for path, seen in visits.items():
        for href in seen["links"]:
            parts = urlsplit(href)
            if not href.startswith(base):
                continue
            target = unquote(parts.path[len(urlsplit(base).path):]) or "index.html"
            if not (site / target).is_file():
                broken.append(f"{path}: {href} (no such file)")
            elif parts.fragment and target in visits and unquote(parts.fragment) not in visits[target]["ids"]:
                broken.append(f"{path}: {href} (no such anchor)")
    return broken


# ------------------------------------------------------------------------------------- the checks


def test_every_page_was_visited_and_photographed(visits):
    assert {"book/intro.html", "search.html"} <= set(visits)
    assert all((SCREENSHOTS / p.replace(".html", ".png")).is_file() for p in visits)


def test_no_console_errors(visits):
    assert not report(visits, "errors"), "console errors (known-benign ones excepted):\n" + report(visits, "errors")


def test_all_math_is_typeset(visits):
    assert sum(seen["math"] for seen in visits.values()) > 0, "no math found at all: is the check blind?"
    assert not report(visits, "untypeset"), "math left raw or in error:\n" + report(visits, "untypeset")


def test_every_image_loads(visits):
    assert not report(visits, "broken_images"), "images that did not load:\n" + report(visits, "broken_images")


def test_no_stderr_or_log_block_in_any_output(visits):
    assert not report(visits, "noise"), "stderr, traceback or log outputs:\n" + report(visits, "noise")


def test_internal_links_resolve(visits, served):
    site, base = served
    broken = broken_links(visits, site, base)
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_no_serious_or_critical_accessibility_violation(visits):
    assert not report(visits, "axe"), "axe-core found:\n" + report(visits, "axe")


@pytest.mark.parametrize("page", chapter_pages())
def test_search_finds_each_chapter_by_a_word_from_it(chromium, served, page):
    _, base = served
    word = search_word(page)
    tab = chromium.new_page()
    tab.goto(f"{base}search.html?q={word}", wait_until="networkidle")
    tab.wait_for_function("() => /Search finished/.test(document.body.innerText)", timeout=20_000)
    found = tab.eval_on_selector_all("#search-results a", "links => links.map(a => a.href)")
    tab.close()
    assert any(f"{page}.html" in href for href in found), f"searching {word!r} did not find {page}: {found}"


def search_word(page):
    """The longest word of the chapter's title: a reader's first guess when looking for it."""
    title = next(line for line in read_page(page).cells[0].source.splitlines() if line.startswith("# "))
    return max(re.findall(r"[A-Za-z]{4,}", title), key=len).lower()


# ------------------------------------------------------------------ the checks can fail: a broken page


def test_a_broken_page_fails_every_check(chromium, served, tmp_path):
    """A real chapter page with one fault per check, in a copy of the site."""
    site, _ = served
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page = copy / f"{chapter_pages()[0]}.html"
    html = page.read_text(encoding="utf-8")
    faults = ('<script>console.error("broken on purpose")</script>'
              '<img src="no-such-plot.png">'  # fails to load, and has no alt text (axe: critical)
              '<a href="no-such-page.html">a dead link</a>'
              '<div class="cell_output"><div class="output stderr"><pre>W0000 a TF log line</pre></div></div>'
              r'<span class="math notranslate nohighlight">\(\frac{x}\)</span>')  # a missing argument
    page.write_text(html.replace("</main>", faults + "</main>", 1), encoding="utf-8")
    _, base = serve(copy)
    path = page.relative_to(copy).as_posix()
    seen = visit(chromium, base, path)
    assert any("broken on purpose" in e for e in seen["errors"])
    assert any("no-such-plot.png" in e for e in seen["errors"]), "the 404 is a console error too"
    assert "no-such-plot.png" in seen["broken_images"]
    assert any("TF log line" in n for n in seen["noise"])
    assert seen["untypeset"], "the page had no math error before; now it has one"
    assert any("image-alt" in v for v in seen["axe"])
    assert any("no-such-page.html" in b for b in broken_links({path: seen}, copy, base))
    # a page that names no icon: the browser's own request for /favicon.ico fails (no page event)
    (copy / "index.html").write_text("<!DOCTYPE html><title>no icon</title><p>no icon</p>")
    assert "HTTP 404: /favicon.ico" in visit(chromium, base, "index.html")["errors"]
