"""The book: its configuration, its chapter notebooks and (slow) a full clean build.

The slow tests build the whole book ONCE, from scratch, with ``bash scripts/build-book.sh
--path-output <tmp>`` (every notebook executed, Sphinx warnings are errors) and then inspect the
generated site. _toc.yml is the only list of pages: the tests read it (through
``rnncourse.book.toc_pages``), so adding a chapter there is all it takes for it to be checked too.
"""

import ast
import hashlib
import math
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from rnncourse import book, course
from rnncourse.book import chapter_pages, kernel_env, page_source, read_page, toc_pages
from rnncourse.course import graded_functions
from rnncourse.paths import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

# Never shipped with the site: instructor-only folders and what would give answers away.
PRIVATE_DIRS = ["solutions", "autograder"]
FORBIDDEN_TEXT = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "references/", ".npz"]
TEXT_SUFFIXES = {".html", ".js", ".ipynb", ".md", ".txt", ".py", ".json", ".csv", ".yml", ".yaml"}
NOTEBOOK_TIMEOUT = 600  # seconds for a whole chapter notebook run with nbclient (goal: <= 60 s)

PAGES = toc_pages()                # e.g. "book/01-rnn-cell/rnn-cell" (no extension), root first
ROOT_PAGE = PAGES[0]
CHAPTERS = chapter_pages()


def _exercise_of(page):
    """exercises/NN-slug/exercise.ipynb for the chapter page book/NN-slug/<name>."""
    return ROOT / "exercises" / Path(page).parent.name / "exercise.ipynb"


def _code_cells(page):
    return [c for c in read_page(page).cells if c.cell_type == "code"]


# ------------------------------------------------------------------ fast checks (no build)

def test_toc_lists_existing_pages_once():
    assert PAGES, "_toc.yml lists no pages"
    assert len(PAGES) == len(set(PAGES)), f"a page is listed twice in _toc.yml: {PAGES}"
    for page in PAGES:
        page_source(page)  # exactly one of page.md / page.ipynb
    assert ROOT_PAGE == "book/intro"
    assert CHAPTERS == PAGES[1:]


def test_toc_pages_walks_parts_and_nested_sections(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text(yaml.safe_dump({
        "format": "jb-book", "root": "book/intro",
        "parts": [{"caption": "A", "chapters": [
            {"file": "book/01-a/a", "sections": [{"file": "book/01-a/a1", "sections": [{"file": "book/01-a/a11"}]}]},
            {"url": "https://example.org", "title": "not a page"},
        ]}, {"caption": "B", "chapters": [{"file": "book/02-b/b"}]}],
    }))
    assert toc_pages(toc) == ["book/intro", "book/01-a/a", "book/01-a/a1", "book/01-a/a11", "book/02-b/b"]
    assert chapter_pages(toc) == toc_pages(toc)[1:]


def test_page_source_wants_exactly_one_file(tmp_path, monkeypatch):
    monkeypatch.setattr(book, "ROOT", tmp_path)
    (tmp_path / "p.md").write_text("# P\n")
    assert page_source("p") == tmp_path / "p.md"
    (tmp_path / "p.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="both"):
        page_source("p")
    with pytest.raises(FileNotFoundError):
        page_source("q")


def test_intro_lists_the_chapters_from_the_toc():
    """The intro's chapter list is generated from _toc.yml ({tableofcontents}), not kept by hand."""
    text = page_source(ROOT_PAGE).read_text()
    assert re.search(r"^(```|:::)\{tableofcontents\}", text, re.M), "book/intro.md has no {tableofcontents}"
    for page in CHAPTERS:
        name = Path(page).name
        assert not re.search(rf"\]\([^)]*{re.escape(name)}(\.ipynb|\.md|\.html)?\)", text), (
            f"book/intro.md links {page} by hand: the {{tableofcontents}} lists it"
        )


def test_intro_names_the_wheel_the_site_serves():
    """The install command on the first page is the one the downloaded notebooks give (same wheel)."""
    intro = page_source(ROOT_PAGE).read_text(encoding="utf-8")
    assert f'pip install "{book.WHEEL}[book]"' in intro and f'href="../python/{book.WHEEL}"' in intro


def test_config_fences_off_everything_but_the_toc():
    assert CONFIG["only_build_toc_files"] is True
    patterns = set(CONFIG["exclude_patterns"])
    for folder in ["solutions", "exercises", "autograder", "tests", "bench", "scripts", "submitted",
                   "autograded", "feedback", "source", "release", "solution", ".venv"]:
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
    assert "rnncourse.book" in CONFIG["sphinx"]["extra_extensions"], "no .ipynb download of text notebooks"
    assert not (ROOT / "_static").exists(), "a _static/ folder would add every .js in it to every page"


def test_build_script_takes_the_kernel_environment_from_rnncourse_book():
    script = (ROOT / "scripts" / "build-book.sh").read_text()
    assert "-m rnncourse.book env" in script, "build-book.sh must eval `python -m rnncourse.book env`"
    for name in [*book.KERNEL_ENV, *book.UNSET]:
        assert not re.search(rf"^\s*(export|unset)\s+{name}\b", script, re.M), (
            f"build-book.sh sets {name} itself: rnncourse.book.KERNEL_ENV is the one definition"
        )
    # What the command prints, evaluated by a shell, gives exactly kernel_env() (odd values too).
    base = {"PATH": "/usr/bin:/bin", "PYTHONHOME": "/no/such/python",
            "JUPYTER_PATH": "/a b/it's here", "TF_CPP_MIN_LOG_LEVEL": "0", "PYTHONWARNINGS": "default"}
    expected = kernel_env(base)
    assert expected["PATH"] == f"{ROOT / '.venv' / 'bin'}{os.pathsep}/usr/bin:/bin"
    assert expected["JUPYTER_PATH"] == f"{ROOT / '.venv' / 'share' / 'jupyter'}{os.pathsep}/a b/it's here"
    assert expected["VIRTUAL_ENV"] == str(ROOT / ".venv") and "PYTHONHOME" not in expected
    assert expected["TF_CPP_MIN_LOG_LEVEL"] == "3" and expected["PYTHONWARNINGS"] == "default"
    assert kernel_env(expected) == expected, "kernel_env() must be idempotent"
    shell = subprocess.run(["bash", "-c", 'eval "$1"; env -0', "bash", book.shell_exports(base)],
                           env=base, capture_output=True, check=True).stdout.decode()
    got = dict(line.split("=", 1) for line in shell.split("\0") if line)
    for name in {*base, *book.KERNEL_ENV}:
        assert got.get(name) == expected.get(name), name
    cli = subprocess.run([sys.executable, "-m", "rnncourse.book", "env"], capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONHOME"})
    assert cli.stdout.strip() == book.shell_exports({k: v for k, v in os.environ.items() if k != "PYTHONHOME"})


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_is_a_notebook_stored_without_outputs(page):
    source = page_source(page)
    if source.suffix == ".md":
        # A MyST Markdown text notebook holds no outputs by construction; myst-nb must see it as a
        # notebook (else it is rendered as plain Markdown and its code never runs).
        assert book.is_text_notebook(source), f"{source.name}: front matter needs `file_format: mystnb`"
        assert read_page(page).metadata.get("kernelspec", {}).get("name") == "python3", (
            f"{source.name}: front matter needs `kernelspec: {{name: python3, ...}}`"
        )
        assert _code_cells(page), f"{source.name}: no {{code-cell}} blocks"
        return
    for cell in _code_cells(page):
        assert not cell.get("outputs"), f"{source.name}: commit notebooks output-free (the build executes them)"
        assert cell.get("execution_count") is None, f"{source.name}: clear execution counts"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_notebook_starts_with_setup(page):
    first = _code_cells(page)[0].source
    assert "from rnncourse.framework import setup" in first and "setup(seed=" in first, (
        f"{page}: the first code cell must be `from rnncourse.framework import setup; tf, keras = setup(seed=...)`"
    )


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_notebook_does_not_define_graded_functions(page):
    defined = set()
    for cell in _code_cells(page):
        tree = ast.parse(cell.source)
        defined |= {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        defined |= {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda)
                    for t in node.targets if isinstance(t, ast.Name)}
    leaked = defined & graded_functions()
    assert not leaked, f"{page} defines graded exercise functions: {sorted(leaked)}"


# ------------------------------------------------------------------ the build (slow)

# the `build` fixture (one clean build per test session) is in tests/conftest.py

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


def _readers_env():
    """The plain environment of a reader's kernel: this one without what the build sets for its
    kernels (rnncourse.book.KERNEL_ENV), without TF_CPP_MIN_LOG_LEVEL and PYTHONWARNINGS, and then
    TF_CPP_MIN_LOG_LEVEL=0, which makes TensorFlow print its start-up notices on any processor.
    Nor PYTEST_CURRENT_TEST: with it, ipykernel would not capture fd 2 into the cells at all."""
    venv_first = {name: book.KERNEL_ENV[name] for name in book.PREPENDED}
    env = {}
    for name, value in os.environ.items():
        if name in venv_first:
            value = os.pathsep.join(p for p in value.split(os.pathsep) if p and p != venv_first[name])
            if value:
                env[name] = value
        elif name not in book.KERNEL_ENV and name not in ("TF_CPP_MIN_LOG_LEVEL", "PYTHONWARNINGS",
                                                          "PYTEST_CURRENT_TEST"):
            env[name] = value
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"
    return env


@pytest.mark.slow
def test_chapter_notebook_prints_nothing_on_stderr_in_a_readers_kernel(tmp_path):
    """A reader runs a chapter in a kernel of their own, with none of the build's environment:
    rnncourse.framework.setup() must keep TensorFlow's C++ start-up notices (absl's "WARNING: All
    log messages before absl::InitializeLog() ...", oneDNN, CPU features) out of every cell."""
    from nbclient import NotebookClient

    page = CHAPTERS[0]
    nb = read_page(page)
    client = NotebookClient(nb, kernel_name="python3", timeout=NOTEBOOK_TIMEOUT,
                            resources={"metadata": {"path": str(page_source(page).parent)}})
    kernel_log = tmp_path / "kernel-stderr.log"  # the kernel process's own stderr, not a cell's
    with open(kernel_log, "w") as log:
        client.execute(env=_readers_env(), stderr=log)
    stderr = [(i, out.get("text", "")) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.get("output_type") == "stream" and out.get("name") == "stderr"]
    assert not stderr, (f"{page}: stderr output in cell {stderr[0][0]} in a reader's kernel "
                        f"(TF_CPP_MIN_LOG_LEVEL=0):\n{stderr[0][1][:1000]}")


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


def _printed(build, chapter):
    """Everything a chapter page printed (its cell outputs' text), e.g. chapter="04-long-sequences"."""
    pages = [page for page in CHAPTERS if Path(page).parent.name == chapter]
    assert pages, f"_toc.yml has no chapter {chapter}"
    _, soup = _page_html(build, pages[0])
    return "\n".join(out.get_text() for out in soup.select("div.cell_output"))


def _figures(text, pattern):
    """The numbers captured by ``pattern`` (a regex with groups) in its first match in ``text``."""
    match = re.search(pattern, text, re.M)
    assert match, f"no output line matches {pattern!r}"
    return [float(group) for group in match.groups()]


@pytest.mark.slow
def test_sequence_shapes_sets_the_lectures_mnist_lstm_and_the_sunspot_baselines_side_by_side(build):
    """Chapter 02 quotes the lectures' 0.8604 beside the same recipe on the 28x28 MNIST subset and a
    better recipe (the page says both are higher), shows fit and the written-out loop agree, and
    ranks the sunspot forecasts LSTM < linear autoregression < "next year = this year" (its text)."""
    text = _printed(build, "02-sequence-shapes")
    assert "0.8604" in text
    (recipe,) = _figures(text, r"the lectures' recipe here \(4,000 training images, 1,000 test images\): +([\d.]+)")
    better, noise = _figures(text, r"the better recipe: +([\d.]+) \+- ([\d.]+)")
    assert 0.8604 < recipe < better and 0 < noise < 0.03, (recipe, better, noise)
    (weight_gap,) = _figures(text, r"largest difference of the weights after 100 steps: ([-+.\de]+)")
    assert weight_gap < 1e-5
    mae = {name: _figures(text, rf"^{name} +([\d.]+) +([\d.]+)$")[0]
           for name in ("LSTM", "linear autoregression", "next year = this year")}
    assert mae["LSTM"] < mae["linear autoregression"] < mae["next year = this year"], mae


@pytest.mark.slow
def test_bidirectional_shows_the_double_softmax_floor_and_compares_lstm_and_bilstm_with_their_noise(build):
    """Chapter 07 quotes the lectures' 0.8955 beside its recipe (softmax applied twice) retrained here,
    whose loss stays above log(1 + 9/e); then LSTM vs BiLSTM trained alike, the gap larger than two
    standard errors of the paired difference, as its text says."""
    text = _printed(build, "07-bidirectional")
    assert "0.8955" in text
    last_loss, floor = _figures(text, r"loss over the last 200 steps ([\d.]+) \(never below ([\d.]+)\)")
    assert floor == pytest.approx(math.log(1 + 9 / math.e), abs=1e-3) and floor < last_loss < 1.7
    (recipe,) = _figures(text, r"the lecture's recipe here ([\d.]+)")
    lstm, bilstm = (_figures(text, rf"^{name} +[\d.]+ \+- [\d.]+ +\(two standard errors")[0] for name in ("LSTM", "BiLSTM"))
    gap, noise = _figures(text, r"BiLSTM - LSTM: ([-+][\d.]+) \+- ([\d.]+)")
    assert recipe > 0.8 and 0.8955 < lstm < bilstm and gap == pytest.approx(bilstm - lstm, abs=1e-4), (lstm, bilstm, gap)
    assert gap > noise > 0, (gap, noise)


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"no output matches {pattern!r}"
    return float(match.group(1))


@pytest.mark.slow
def test_pages_set_the_lectures_figures_beside_their_own(build):
    """Where a page reproduces a lecture's run it prints the lecture's figure next to its own, and the
    two agree: 04's one LSTM layer as logits fails alike (loss near 1.906, about 47 wrong characters),
    05's stacked model ends at the floor like the lecture's (0.2295) with only the unknowable first
    character wrong, 05's copy of 04's model (same seed) gets 04's count, and 06's Masking(-1) model
    tells the lecture's consecutive numbers from random ones."""
    ch04 = _printed(build, "04-long-sequences")
    assert re.search(r"lecture\s+1\.9058\s+47 of 179", ch04)
    loss_04, wrong_04 = re.search(r"this page\s+(\d\.\d+)\s+(\d+) of 179", ch04).groups()
    assert abs(float(loss_04) - 1.9058) < 0.1 and 179 // 5 < int(wrong_04) < 179 // 2

    ch05 = _printed(build, "05-stacking")
    assert re.search(r"lecture\s+0\.2296\s+0\.001\d\s+1 \(positions \[0\]\); first character 'm'", ch05)
    above_floor = _number(r"this page\s+0\.\d+\s+(0\.\d+)\s+[01] \(positions \[0?\]\)", ch05)
    assert above_floor < 0.002
    assert _number(r"one_lstm_as_logits: wrong characters (\d+) of 179", ch05) == int(wrong_04), (
        "chapters 04 and 05 train the same one-layer model from the same seed: the same count")

    ch06 = _printed(build, "06-padding-masking")
    assert re.search(r"lectures, the batch of step 2000:\s+loss 0\.181\s+accuracy 1\.000", ch06)
    assert _number(r"this page, 2,000 test sequences:\s+loss \d\.\d+\s+accuracy (\d\.\d+)", ch06) > 0.9
    assert len(re.findall(r"largest difference 0\.0e\+00", ch06)) >= 2, "Masking(-1): padding changed an answer"


@pytest.mark.slow
def test_rnn_cell_page_shows_the_lectures_single_weight_is_keras_two(build):
    text = _printed(build, "01-rnn-cell")
    assert "kernel (6, 3)  recurrent_kernel (3, 3)  -> W_hx (3, 9)" in text
    assert _number(r"\[h, x\] W_hx\^T\s+vs\s+x W \+ h U:\s+largest difference (\S+)", text) < 1e-5
    assert _number(r"lecture's step vs Keras's first output:\s+largest difference (\S+)", text) < 1e-5


@pytest.mark.slow
def test_hihello_trains_on_past_the_first_right_argmax(build):
    """Chapter 03 says when the argmax first reads 'ihello', then trains on to a confident model."""
    text = _printed(build, "03-hihello")
    first = _number(r"argmax first reads 'ihello' at epoch (\d+)", text)
    assert _number(r"loss below 0.05 at epoch (\d+)", text) > first
    assert re.search(rf"epoch\s+{first:.0f}\s+loss \S+\s+-> 'ihello'", text), "the log's last line is the first 'ihello'"
    confident = re.findall(r"P\(predicted\) \[([\d. ]+)\]", text)
    assert len(confident) == 2 and min(map(float, confident[1].split())) > 0.9 > max(map(float, confident[0].split()))


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
@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_page_offers_its_notebook(build, page):
    """The page's download menu has the chapter as an .ipynb: for a text notebook, the executed one
    (rnncourse.book's Sphinx hook), with the chapter's code and its outputs."""
    import nbformat

    path, soup = _page_html(build, page)
    links = [a["href"] for a in soup.select("a.btn-download-notebook-button") if a.get("href", "").endswith(".ipynb")]
    assert links, f"{page}: no .ipynb in the page's download menu"
    target = (path.parent / links[0]).resolve()
    assert target.is_file(), f"{page}: the notebook download {links[0]} is missing from the site"
    nb = nbformat.read(target, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code] == [cell.source for cell in _code_cells(page)]
    if page_source(page).suffix == ".md":
        assert any(cell.outputs for cell in code), f"{page}: the downloadable notebook has no outputs"
        assert nb.metadata.kernelspec.name == "python3"


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


@pytest.mark.slow
@pytest.mark.parametrize("url", ["", "https://github.com/acme/rnn-course"])
def test_launch_buttons_appear_exactly_when_a_repository_is_set(tmp_path, url):
    """A one-page book with the course's extension: Binder and Colab buttons on a notebook page when
    `repository.url` names a GitHub repository (the one documented line), none otherwise."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "_config.yml").write_text(
        f"title: t\nexecute:\n  execute_notebooks: force\nrepository:\n  url: '{url}'\n"
        "sphinx:\n  extra_extensions: [rnncourse.book]\n")
    (tmp_path / "page.md").write_text(
        "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n"
        "# A page\n\n```{code-cell} ipython3\nprint(1)\n```\n")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "jupyter-book"), "build", str(tmp_path)],
                          capture_output=True, text=True, env=kernel_env(), timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "page.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)[^"]*)"', html))
    if not url:
        assert not links and "launch-buttons" not in html
        return
    assert links == {"https://mybinder.org/v2/gh/acme/rnn-course/gh-pages?urlpath=lab/tree/_sources/page.ipynb",
                     "https://colab.research.google.com/github/acme/rnn-course/blob/gh-pages/_sources/page.ipynb"}
    assert (tmp_path / "_build" / "html" / "requirements.txt").read_text() == f"./python/{book.WHEEL}[book]\n"


CHUNKED_PRINTS = "import time\nfor epoch in range(1, 6):\n    print(f'epoch {epoch}', flush=True)\n    time.sleep(0.2)\n"


def test_merged_streams_leave_the_outputs_they_merge_alone():
    """myst-nb renders a cell's stream chunks merged (nb_merge_streams); the chunks themselves, which
    it then writes to jupyter_execute/ (the download), must stay as the kernel sent them."""
    import nbformat
    from myst_nb.core import render

    book.merge_streams_on_copies()
    chunks = [nbformat.v4.new_output("stream", name="stdout", text=f"epoch {i}\n") for i in range(1, 4)]
    merged = render.coalesce_streams(chunks)
    assert [out.text for out in merged] == ["epoch 1\nepoch 2\nepoch 3\n"]
    assert [out.text for out in chunks] == ["epoch 1\n", "epoch 2\n", "epoch 3\n"]


@pytest.mark.slow
def test_downloaded_notebook_prints_each_line_once(tmp_path):
    """A one-page book whose cell prints five lines in five chunks (like a training log, one line per
    epoch): its page and its download both show each line once. (myst-nb 1.4 alone wrote the
    download with the merged text AND the chunks: 9 lines for 5.)"""
    import nbformat

    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (tmp_path / "_config.yml").write_text(
        "title: t\nexecute:\n  execute_notebooks: force\n"
        "sphinx:\n  extra_extensions: [rnncourse.book]\n  config:\n    nb_merge_streams: true\n")
    (tmp_path / "page.md").write_text(
        "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n"
        f"# A page\n\n```{{code-cell}} ipython3\n{CHUNKED_PRINTS}```\n")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "jupyter-book"), "build", str(tmp_path)],
                          capture_output=True, text=True, env=kernel_env(), timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    expected = "".join(f"epoch {epoch}\n" for epoch in range(1, 6))
    site = tmp_path / "_build" / "html"
    page = BeautifulSoup((site / "page.html").read_text(encoding="utf-8"), "html.parser")
    assert page.select_one("div.cell_output").get_text().strip() == expected.strip()
    for path in (tmp_path / "_build" / "jupyter_execute" / "page.ipynb", site / "_sources" / "page.ipynb"):
        cell = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"][0]
        printed = "".join(out.text for out in cell.outputs if out.output_type == "stream")
        assert printed == expected, f"{path.relative_to(tmp_path)}: {printed!r}"
    download = [c for c in nbformat.read(site / "_sources" / "page.ipynb", as_version=4).cells if c.cell_type == "code"]
    assert len(download[0].outputs) == 1, "the download shows the cell's lines in one block, as the page does"


@pytest.mark.parametrize("page", CHAPTERS)
def test_exercise_section_lists_the_graded_tests_with_their_points(page):
    """`{graded-tests}` renders the exercise's tests from the nbgrader source: every graded function appears."""
    assert "```{graded-tests}\n```" in page_source(page).read_text(encoding="utf-8"), f"{page}: no {{graded-tests}}"
    rows = book.graded_tests(Path(page).parent.name)
    checked = " ".join(what for _, what, _ in rows)
    assert rows and all(points > 0 for *_, points in rows)
    assert {f"`{f}`" for f in course.chapter(Path(page).parent.name).GRADED} <= set(re.findall(r"`\w+`", checked))


@pytest.mark.slow
@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_page_shows_the_tests_and_points(build, page):
    _, soup = _page_html(build, page)
    table = soup.select_one(".graded-tests table")
    assert table is not None, f"{page}: no table of graded tests"
    total = sum(points for *_, points in book.graded_tests(Path(page).parent.name))
    assert table.find_all("tr")[-1].get_text(" ", strip=True) == f"total {total:g}"


# ------------------------------------------------------------------ claims the pages make about their figures


def _printed(build, slug):
    """Everything a chapter page prints (its cells' outputs, as text)."""
    pages = [page for page in CHAPTERS if Path(page).parent.name.endswith(slug)]
    assert pages, f"_toc.yml has no {slug} chapter"
    _, soup = _page_html(build, pages[0])
    return "\n".join(out.get_text() for out in soup.select("div.cell_output"))


def _number(pattern, text):
    found = re.search(pattern, text)
    assert found, f"the page no longer prints {pattern!r}"
    return [float(g) for g in found.groups()]


def check_lstm_claims(text):
    """Chapter 08 says: c1 is a straight line in c0 (to float32 rounding), its slopes are the sigmoid of
    the forget block; the trained LSTM's writing unit moves its cell state about twice as much at a
    marked step as at another one (so it drifts between the marks, it does not stay still), with a
    forget gate of about 0.94 between the marks, and its final cell state is strongly correlated with
    the target."""
    assert _number(r"largest distance from a straight line: (\S+)", text)[0] < 1e-5
    assert _number(r"largest difference to the slopes read from Keras: (\S+)", text)[0] < 1e-5
    assert _number(r"z = 1: largest \|h1 - h0\| = (\S+)", text)[0] < 1e-6
    assert _number(r"reset after vs before the product: largest difference (\S+)", text)[0] > 1e-3
    assert _number(r"the same with r = 1: largest difference (\S+)", text)[0] < 1e-5
    at_mark, elsewhere = _number(r"moves by (\S+) on average at a marked step, (\S+) at an unmarked", text)
    assert 1.5 * elsewhere < at_mark < 3 * elsewhere, "the page says: about twice as much at a marked step"
    assert 0.9 < _number(r"forget gate (\S+) between the marks", text)[0] < 0.98, "the page says: about 0.94"
    assert abs(_number(r"final cell state with the target: (\S+)", text)[0]) > 0.8


def check_bptt_claims(text):
    """Chapter 09 says: central differences agree with the tape to ~1e-10; for one unit the product of
    the factors u (1 - h^2) is the tape's gradient; untrained SimpleRNN and LSTM vanish (first/last
    below 1e-4) and 3U explodes; a larger forget-gate bias (mean f nearer 1) keeps the gradient."""
    for relative in re.findall(r"relative difference (\S+)", text):
        assert float(relative) < 1e-8
    assert _number(r"largest difference: (\S+)", text)[0] < 1e-12
    for name in ["SimpleRNN", "LSTM"]:
        assert _number(rf"(?m)^{name}\s+\S+\s+\S+\s+(\S+)$", text)[0] < 1e-4
    assert _number(r"recurrent matrix x 3\s+\S+\s+\S+\s+(\S+)", text)[0] > 1e4
    sweep = [tuple(map(float, row)) for row in
             re.findall(r"^\s*(\d+)\s+([01]\.\d+)\s+\S+\s+\S+\s+(\S+)\s*$", text, re.M)]
    assert len(sweep) >= 3, "the page no longer prints the forget-bias sweep"
    biases, forget, ratios = zip(*sweep)
    assert list(biases) == sorted(biases) and list(forget) == sorted(forget)
    assert ratios[0] < 1e-3 and ratios[-1] > 0.1, "a forget gate near 1 should pass the gradient on"


@pytest.mark.slow
def test_lstm_page_shows_what_it_says(build):
    check_lstm_claims(_printed(build, "lstm-gru"))


@pytest.mark.slow
def test_bptt_page_shows_what_it_says(build):
    check_bptt_claims(_printed(build, "bptt"))
