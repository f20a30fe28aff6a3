"""The book: its configuration, its chapter notebooks and (slow) a full clean build.

The slow tests build the whole book ONCE, from scratch, with ``bash scripts/build-book.sh
--path-output <tmp>`` (every notebook executed, Sphinx warnings are errors) and then inspect the
generated site. _toc.yml is the only list of pages: the tests read it, so adding a chapter there
is all it takes for it to be checked too.
"""

import ast
import hashlib
import posixpath
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from tests.course_interface import GRADED_NAMES

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())

# Never shipped with the site: instructor-only folders and what would give answers away.
PRIVATE_DIRS = ["solutions", "autograder"]
FORBIDDEN_TEXT = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "references/", ".npz"]
TEXT_SUFFIXES = {".html", ".js", ".ipynb", ".md", ".txt", ".py", ".json", ".csv", ".yml", ".yaml"}
BUILD_TIMEOUT = 1800  # seconds; a clean build takes well under a minute on 2 cores


def _toc_files(node):
    """Every ``file:`` of a jb-book/jb-article toc, in order (root first)."""
    files = []
    if isinstance(node, dict):
        if "root" in node:
            files.append(node["root"])
        if "file" in node:
            files.append(node["file"])
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []) or []:
                files.extend(_toc_files(child))
    return files


PAGES = _toc_files(TOC)            # e.g. "book/01-rnn-cell/rnn-cell" (no extension)
ROOT_PAGE = TOC["root"]
CHAPTERS = [page for page in PAGES if page != ROOT_PAGE]


def _source(page):
    matches = [p for p in (ROOT / f"{page}.ipynb", ROOT / f"{page}.md") if p.exists()]
    assert matches, f"_toc.yml lists {page!r} but neither {page}.ipynb nor {page}.md exists"
    return matches[0]


def _exercise_of(page):
    """exercises/NN-slug/exercise.ipynb for the chapter page book/NN-slug/<name>."""
    return ROOT / "exercises" / Path(page).parent.name / "exercise.ipynb"


def _code_cells(path):
    import nbformat

    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


# ------------------------------------------------------------------ fast checks (no build)

def test_toc_lists_existing_pages_once():
    assert PAGES, "_toc.yml lists no pages"
    assert len(PAGES) == len(set(PAGES)), f"a page is listed twice in _toc.yml: {PAGES}"
    for page in PAGES:
        _source(page)
    assert ROOT_PAGE == "book/intro"


def test_config_fences_off_everything_but_the_toc():
    assert CONFIG["only_build_toc_files"] is True
    patterns = set(CONFIG["exclude_patterns"])
    for folder in ["solutions", "exercises", "autograder", "tests", "bench", "scripts", "submitted",
                   "autograded", "feedback", "source", "release", "solution", "grading", ".venv"]:
        assert folder in patterns and f"{folder}/**" in patterns, f"exclude_patterns must fence off {folder}/"
    assert "_build" in patterns
    assert "README.md" in patterns
    execute = CONFIG["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["allow_errors"] is False
    assert execute["timeout"] >= 60
    sphinx = CONFIG["sphinx"]["config"]
    assert sphinx["nb_merge_streams"] is True
    assert sphinx["html_extra_path"] == ["_static_extra"]
    assert sphinx["mathjax_path"].endswith("mathjax/tex-mml-chtml.js")
    assert "://" not in sphinx["mathjax_path"]
    assert not (ROOT / "_static").exists(), "a _static/ folder would add every .js in it to every page"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_notebook_is_stored_without_outputs(page):
    source = _source(page)
    assert source.suffix == ".ipynb", f"chapter {page} should be an executed notebook"
    for cell in _code_cells(source):
        assert not cell.get("outputs"), f"{source.name}: commit notebooks output-free (the build executes them)"
        assert cell.get("execution_count") is None, f"{source.name}: clear execution counts"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_notebook_starts_with_setup(page):
    first = _code_cells(_source(page))[0].source
    assert "from rnncourse.framework import setup" in first and "setup(seed=" in first, (
        f"{page}: the first code cell must be `from rnncourse.framework import setup; tf, keras = setup(seed=...)`"
    )


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_notebook_does_not_define_graded_functions(page):
    defined = set()
    for cell in _code_cells(_source(page)):
        tree = ast.parse(cell.source)
        defined |= {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        defined |= {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
                    for t in node.targets if isinstance(t, ast.Name)}
    leaked = defined & GRADED_NAMES
    assert not leaked, f"{page} defines graded exercise functions: {sorted(leaked)}"


# ------------------------------------------------------------------ the build (slow)

@pytest.fixture(scope="module")
def build(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-book.sh"), "--path-output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )
    return {"returncode": proc.returncode, "log": proc.stdout + proc.stderr, "site": out / "_build" / "html"}


def _page_html(build, page):
    path = build["site"] / f"{page}.html"
    assert path.exists(), f"no HTML for {page} (expected {path})"
    return path, BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _site_files(build):
    return [p for p in build["site"].rglob("*") if p.is_file()]


def _is_asset(build, path):
    rel = path.relative_to(build["site"]).parts
    return rel[0] in ("_static", "mathjax")  # third-party theme and MathJax files


@pytest.mark.slow
def test_build_succeeds_without_warnings(build):
    assert build["returncode"] == 0, "book build failed:\n" + build["log"][-6000:]
    assert "build succeeded" in build["log"]
    assert not re.search(r"\bWARNING: ", build["log"]), "Sphinx warnings in the build:\n" + build["log"][-6000:]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_every_toc_page_is_rendered(build, page):
    path, soup = _page_html(build, page)
    assert soup.find("h1") is not None, f"{path.name} has no title"


@pytest.mark.slow
@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_pages_show_executed_outputs_and_plots(build, page):
    path, soup = _page_html(build, page)
    outputs = soup.select("div.cell_output")
    assert outputs, f"{page}: no executed cell outputs in the page"
    images = [img for out in outputs for img in out.find_all("img") if img.get("src", "").endswith(".png")]
    assert images, f"{page}: no PNG plot among the outputs"
    for img in images:
        target = (path.parent / img["src"]).resolve()
        assert target.is_file() and target.stat().st_size > 1000, f"{page}: image {img['src']} missing or empty"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_no_stderr_or_error_outputs(build, page):
    _, soup = _page_html(build, page)
    stderr = soup.select(".output.stderr, .stderr")
    assert not stderr, f"{page}: stderr output in the page: {stderr[0].get_text()[:500]!r}"
    errors = soup.select(".output.traceback, .traceback")
    assert not errors, f"{page}: error traceback in the page: {errors[0].get_text()[:500]!r}"


@pytest.mark.slow
def test_hihello_prints_ihello(build):
    pages = [page for page in CHAPTERS if "hihello" in page]
    assert pages, "_toc.yml has no hihello chapter"
    _, soup = _page_html(build, pages[0])
    outputs = [out.get_text() for out in soup.select("div.cell_output")]
    assert any("ihello" in text for text in outputs), "the hihello page does not show the prediction 'ihello'"
    last_text = [text for text in outputs if text.strip()][-1]
    assert last_text.strip().splitlines()[-1].strip() == "ihello", (
        f"the hihello page's final output should be the prediction 'ihello', got {last_text[-200:]!r}"
    )


@pytest.mark.slow
def test_no_private_files_in_site(build):
    site_files = _site_files(build)
    for path in site_files:
        parts = path.relative_to(build["site"]).parts
        for private in PRIVATE_DIRS:
            assert private not in parts, f"site contains a path under {private}/: {path}"
    # No file of solutions/ or autograder/ is shipped under another name either (content
    # check), unless it is byte-identical to a file nbgrader released into exercises/.
    def digest(p):
        return hashlib.sha256(p.read_bytes()).hexdigest()

    released = {digest(p) for p in (ROOT / "exercises").rglob("*") if p.is_file()}
    private = {}
    for folder in PRIVATE_DIRS:
        for p in (ROOT / folder).rglob("*"):
            if p.is_file() and "__pycache__" not in p.parts:
                private.setdefault(digest(p), p)
    shipped = {digest(p): p for p in site_files}
    leaked = {h: (private[h], shipped[h]) for h in set(private) & set(shipped) if h not in released}
    assert not leaked, "private files shipped in the site: " + ", ".join(f"{a} as {b}" for a, b in leaked.values())


@pytest.mark.slow
def test_no_solution_or_reference_text_in_pages_or_downloads(build):
    offenders = []
    for path in _site_files(build):
        if path.suffix not in TEXT_SUFFIXES or _is_asset(build, path):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(build['site'])}: {marker!r}" for marker in FORBIDDEN_TEXT if marker in text]
    assert not offenders, "forbidden text in the site:\n" + "\n".join(offenders)


@pytest.mark.slow
@pytest.mark.parametrize("page", CHAPTERS)
def test_exercise_is_downloadable(build, page):
    path, soup = _page_html(build, page)
    links = [a["href"] for a in soup.select("a.download") if a.get("href", "").endswith("exercise.ipynb")]
    assert links, f"{page}: no download link to its exercise notebook"
    exercise = _exercise_of(page)
    assert exercise.is_file(), f"{page}: {exercise.relative_to(ROOT)} does not exist"
    for href in links:
        target = (path.parent / href).resolve()
        assert target.is_file(), f"{page}: download {href} missing from the site"
        assert target.relative_to(build["site"].resolve()).parts[0] == "_downloads"
        assert target.read_bytes() == exercise.read_bytes(), (
            f"{page}: the downloadable exercise is not {exercise.relative_to(ROOT)}"
        )


@pytest.mark.slow
def test_math_is_served_locally(build):
    site = build["site"]
    mathjax = site / "mathjax" / "tex-mml-chtml.js"
    assert mathjax.is_file() and mathjax.stat().st_size > 100_000, "MathJax is not in the site"
    fonts = site / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert fonts.is_dir() and any(fonts.glob("*.woff")), "MathJax fonts are not in the site"
    pages_with_math = 0
    for page in PAGES:
        path, soup = _page_html(build, page)
        html = path.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in html, f"{page} loads something from a CDN"
        scripts = [s["src"] for s in soup.find_all("script", src=True) if "mathjax" in s["src"].lower()]
        if not soup.select(".math"):
            continue
        pages_with_math += 1
        assert scripts, f"{page} has math but loads no MathJax"
        for src in scripts:
            assert "://" not in src, f"{page} loads MathJax from {src}"
            resolved = posixpath.normpath(posixpath.join(path.parent.relative_to(site).as_posix(), src.split("?")[0]))
            assert (site / resolved).resolve() == mathjax.resolve(), f"{page}: MathJax src {src} -> {resolved}"
    assert pages_with_math >= 1, "no page has math: is dollarmath enabled?"
