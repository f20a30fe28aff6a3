"""The book's pages and the environment its notebooks run in: the one place that knows them.

* ``toc_pages()`` / ``chapter_pages()``: the pages of ``_toc.yml`` in order (the only toc walker;
  ``_toc.yml`` is the only list of pages).
* ``page_source(page)`` / ``read_page(page)``: a page's file (``.md`` or ``.ipynb``) and its cells.
  Chapters are MyST Markdown text notebooks (``file_format: mystnb`` front matter, ``{code-cell}``
  blocks), read with myst-nb's own reader, exactly as the build reads them.
* ``KERNEL_ENV`` / ``kernel_env()``: the environment that runs the book's notebooks.
  ``scripts/build-book.sh`` takes it from here::

      eval "$(.venv/bin/python -m rnncourse.book env)"   # prints `export ...` / `unset ...` lines

* As a Sphinx extension (``sphinx.extra_extensions`` in ``_config.yml``) it offers each chapter
  page's executed notebook as an ``.ipynb`` download in the page's download menu, headed by how to
  run it anywhere, and serves this package as a wheel with the site (``python/WHEEL``): one
  ``pip install "WHEEL[book]"`` sets up a fresh environment for every chapter (the ``book`` extra
  is ``requirements-book.txt``, the versions the book was executed with). The download shows what
  the page shows: each cell's printed lines once, in one block (:func:`merge_streams_on_copies`).

Imports nothing heavy (no numpy, no TensorFlow); myst-nb and nbformat only when a page is read.
"""

import copy
import html
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import yaml

from rnncourse.paths import ROOT, TOC

CONFIG = ROOT / "_config.yml"
VENV = ROOT / ".venv"
PAGE_SUFFIXES = (".md", ".ipynb")

# ------------------------------------------------------------------------------------------ pages


def toc_pages(toc=TOC):
    """The ``file:`` entries of a jb-book / jb-article ``_toc.yml``, in order, root first.

    Entries are paths without extension relative to the repository root, e.g.
    ``"book/01-rnn-cell/rnn-cell"``. Parts, chapters and (nested) sections are all walked.
    """
    data = yaml.safe_load(Path(toc).read_text(encoding="utf-8")) or {}
    pages = [data["root"]] if data.get("root") else []

    def walk(node):
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key) or [])

    walk({key: value for key, value in data.items() if key != "root"})
    return pages


def chapter_pages(toc=TOC):
    """Every page of the toc but the root (the intro)."""
    return toc_pages(toc)[1:]


def page_source(page):
    """The file of a toc page: ``ROOT/<page>.md`` or ``ROOT/<page>.ipynb`` (exactly one must exist)."""
    found = [ROOT / f"{page}{suffix}" for suffix in PAGE_SUFFIXES if (ROOT / f"{page}{suffix}").is_file()]
    if not found:
        raise FileNotFoundError(f"page {page!r}: neither {page}.md nor {page}.ipynb exists")
    if len(found) > 1:
        raise ValueError(f"page {page!r}: both {page}.md and {page}.ipynb exist; keep one")
    return found[0]


def is_text_notebook(path):
    """True for a MyST Markdown notebook (front matter ``file_format: mystnb`` or jupytext myst)."""
    from myst_nb.core.read import is_myst_markdown_notebook

    return Path(path).suffix == ".md" and is_myst_markdown_notebook(Path(path).read_text(encoding="utf-8"))


def read_page(page_or_path):
    """A page as an ``nbformat.NotebookNode``: a toc entry (``"book/01-rnn-cell/rnn-cell"``) or a path.

    An ``.md`` file is read with myst-nb's reader (``read_myst_markdown_notebook``, with the MyST
    extensions of ``_config.yml``), as the build reads it: a text notebook gives its code cells
    (source and options such as ``tags``) and markdown cells; a plain Markdown page gives markdown
    cells only. An ``.ipynb`` is read with nbformat.
    """
    path = Path(page_or_path)
    if path.suffix not in PAGE_SUFFIXES:
        path = page_source(page_or_path)
    elif not path.is_absolute():
        path = ROOT / path
    if path.suffix == ".ipynb":
        import nbformat

        return nbformat.read(path, as_version=4)
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8")) or {}
    extensions = (config.get("parse") or {}).get("myst_enable_extensions") or []
    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"),
                                       config=MdParserConfig(enable_extensions=set(extensions)), path=path)


# ------------------------------------------------------------------------------ kernel environment

# What the book's notebooks run with, on top of the caller's environment (PREPENDED names go in
# front of the caller's value, the others replace it; UNSET names are removed):
KERNEL_ENV = {
    # The kernelspec "python3" must resolve to .venv's python (TensorFlow, Keras, rnncourse) ...
    "PATH": str(VENV / "bin"),
    "VIRTUAL_ENV": str(VENV),
    # ... and Jupyter must find .venv's kernelspec first.
    "JUPYTER_PATH": str(VENV / "share" / "jupyter"),
    # No TensorFlow C++ log below FATAL. rnncourse.framework.setup() also silences TF's start-up
    # notices at their source, whatever this says. (PYTHONWARNINGS is left alone: a warning in a
    # notebook shows as a stderr block in the page, which the tests reject.)
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # Silences a debugger notice some ipykernels print on stderr.
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
PREPENDED = ("PATH", "JUPYTER_PATH")
UNSET = (
    "PYTHONHOME",  # would point the kernel's python at another installation
    # Set by pytest for its subprocesses; ipykernel then leaves the kernel's fd 1 and 2 alone, so
    # output written there by C++ (TensorFlow's logs) would go to the build log instead of the
    # cells: a build run by the tests would not show what a reader's build shows.
    "PYTEST_CURRENT_TEST",
)


def kernel_env(base=None):
    """``base`` (default ``os.environ``) with ``KERNEL_ENV`` applied: a new dict, ``base`` untouched."""
    env = dict(os.environ if base is None else base)
    for name, value in KERNEL_ENV.items():
        if name in PREPENDED:
            rest = [p for p in env.get(name, "").split(os.pathsep) if p and p != value]
            value = os.pathsep.join([value, *rest])
        env[name] = value
    for name in UNSET:
        env.pop(name, None)
    return env


def shell_exports(base=None):
    """POSIX shell lines that turn ``base`` (default ``os.environ``) into ``kernel_env(base)``."""
    base = dict(os.environ if base is None else base)
    env = kernel_env(base)
    lines = [f"export {name}={shlex.quote(value)}" for name, value in env.items() if base.get(name) != value]
    # UNSET names always (harmless when unset): the caller may have removed them to run python.
    lines += [f"unset {name}" for name in sorted(set(base) - set(env) | set(UNSET))]
    return "\n".join(lines)


# ------------------- Sphinx: downloads that run anywhere, graded tests, launch buttons, accessibility


WHEEL = f"rnncourse-{version('rnncourse')}-py3-none-any.whl"  # served at <site>/python/WHEEL


def how_to_run(repository=""):
    """The note that heads every downloaded chapter notebook: the one install command it needs."""
    source = f'`pip install "rnncourse[book] @ git+{repository}"`, or ' if repository else ""
    return (
        "**Running this notebook outside the course's repository.** It imports the course's small "
        "package `rnncourse` and was executed with the TensorFlow and Keras versions the course pins. "
        f"One command sets up a fresh environment: {source}download `{WHEEL}` from the book "
        f"(`python/{WHEEL}` on its site, linked from the first page) and run "
        f'`pip install "{WHEEL}[book]"` where you saved it. '
        f"(Where TensorFlow is already installed, as on Colab, `pip install {WHEEL}` is enough.)"
    )


def merge_streams_on_copies():
    """Make myst-nb's ``nb_merge_streams`` leave the executed notebook as it was executed.

    myst-nb 1.4 merges a cell's stream outputs for the page with ``coalesce_streams``, which
    appends every later chunk's text to the cell's *own* first stream output and returns a new
    list: the notebook it then writes to ``jupyter_execute/`` (the one offered for download) keeps
    the merged first chunk *and* all the later chunks, so every line printed in a separate chunk
    (a training log, one line per epoch) appears twice. It also strips each chunk's end before
    adding a newline, which breaks a line that the kernel happened to send in two chunks
    ("kernel" / " (6, 3)"). Here the merge works on copies of the outputs whose chunks are first
    joined exactly as printed (:func:`join_streams`), for the page and the download alike. Idempotent.
    """
    from myst_nb.core import render

    if getattr(render.coalesce_streams, "on_copies", False):
        return
    render.coalesce_streams = coalesce_exactly


def join_streams(outputs):
    """Copies of ``outputs`` with each stream's chunks joined into its first chunk, text unchanged."""
    joined, first = [], {}
    for output in copy.deepcopy(outputs):
        if output.get("output_type") == "stream" and output["name"] in first:
            first[output["name"]]["text"] += output["text"]
            continue
        if output.get("output_type") == "stream":
            first[output["name"]] = output
        joined.append(output)
    return joined


def coalesce_exactly(outputs):
    """myst-nb's merge of a cell's streams, on :func:`join_streams`'s copies."""
    from myst_nb.core.utils import coalesce_streams

    return coalesce_streams(join_streams(outputs))


coalesce_exactly.on_copies = True


def _offer_executed_notebook(app, pagename, templatename, context, doctree):
    """Put a text-notebook page's executed notebook in ``_sources/`` and in the download menu.

    sphinx-book-theme does this only when its own launch buttons are configured (the book uses its
    own, :func:`launch_buttons`); the menu reads ``context["ipynb_source"]`` (priority 501, so run
    before). The copy starts with :func:`how_to_run`.
    """
    import nbformat

    if not str(app.env.doc2path(pagename)).endswith(".md") or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(executed, as_version=4)
    repository = app.config.html_theme_options.get("repository_url", "")
    if app.config.nb_merge_streams:  # one stream output per cell and name, as on the page
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = coalesce_exactly(cell.outputs)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(how_to_run(repository), id="how-to-run"))
    nbformat.write(nb, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _serve_the_package(app, exception):
    """Build this package's wheel into ``<site>/python/`` (from a copy: nothing is written in the repository)."""
    if exception is not None or app.builder.format != "html":
        return
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("pyproject.toml", "requirements-book.txt"):
            shutil.copy2(ROOT / name, scratch)
        shutil.copytree(ROOT / "rnncourse", Path(scratch) / "rnncourse", ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--wheel-dir", str(Path(app.outdir) / "python"), scratch],
                       check=True, capture_output=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    # what Binder installs when it builds the published site (the launch buttons open it there)
    (Path(app.outdir) / "requirements.txt").write_text(f"./python/{WHEEL}[book]\n")


# The site's front door. sphinx-external-toc would write a bare <meta> redirect (no title, no icon:
# the browser then asks for /favicon.ico, a 404 it may log as a console error); it writes its own
# only when none exists, and this runs before it.
FRONT_DOOR = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="_static/{favicon}">
<meta http-equiv="Refresh" content="0; url={first_page}">
</head>
<body><p><a href="{first_page}">{title}</a></p></body>
</html>
"""


def _write_front_door(app, exception):
    """``<site>/index.html``: a redirect to the first page that names the book and its icon."""
    if exception is not None or app.builder.name != "html":
        return
    favicon = Path(app.config.html_favicon or "").name
    (Path(app.outdir) / "index.html").write_text(FRONT_DOOR.format(
        title=html.escape(app.config.html_title or app.config.project), favicon=favicon,
        first_page=app.builder.get_target_uri(app.config.root_doc)))


def graded_tests(assignment):
    """The exercise's tests as the grader counts them: ``[(test, functions it checks, points)]``,
    read from the nbgrader source (names and points only: nothing of a solution or a hidden value)."""
    from rnncourse.grading.engine import load_assignment

    trusted = load_assignment(assignment)
    rows = []
    for test, points in trusted.points.items():
        dtypes = {}  # (function, group) -> the input precisions it is called with
        for function, dtype, group in trusted.locked[test].checks:
            dtypes.setdefault((function, group), []).append(dtype)
        what = "; ".join(f"`{function}`" + (f" ({group})" if group else "") + PRECISION[tuple(sorted(d or "" for d in ds))]
                         for (function, group), ds in dtypes.items())
        rows.append((test, what, points))
    return rows


PRECISION = {("",): "", ("float64",): " with float64 inputs", ("", "float64"): " as given and in float64"}


def _graded_tests_directive():
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class GradedTests(SphinxDirective):
        """``{graded-tests}`` in a chapter's Exercise section: a table of its tests and their points."""

        def run(self):
            from docutils import nodes

            assignment = Path(self.env.docname).parent.name  # book/NN-slug/page -> NN-slug
            self.env.note_dependency(str(ROOT / "solutions" / assignment / "exercise.ipynb"))
            rows = graded_tests(assignment)
            table = ["| test | checks | points |", "|---|---|---:|"]
            table += [f"| `{test}` | {what or 'the visible checks'} | {points:g} |" for test, what, points in rows]
            table.append(f"| **total** | | **{sum(points for *_, points in rows):g}** |")
            container = nodes.container(classes=["graded-tests"])
            self.state.nested_parse(StringList(table), self.content_offset, container)
            return [container]

    return GradedTests


# The branch a Jupyter Book site is published to (`ghp-import -n -p -f _build/html`, as its docs say).
PAGES_BRANCH = "gh-pages"


def launch_buttons(repository, notebook):
    """Binder and Colab links for a chapter's executed notebook (``_sources/...ipynb`` in the site),
    when ``repository`` (``repository.url`` in ``_config.yml``) is a GitHub repository; else none.

    Both open the notebook as published on the ``gh-pages`` branch: Colab reads it from there, and
    Binder builds that branch's ``requirements.txt``, which the site carries (the wheel with its
    ``book`` extra; :func:`_serve_the_package`). The notebook's first cell installs the package
    from the repository, for Colab."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", repository or "")
    if not match:
        return []
    org, repo = match.groups()
    path = f"_sources/{notebook}"
    return [
        {"type": "link", "text": "Binder", "tooltip": "Launch on Binder", "icon": "_static/images/logo_binder.svg",
         "url": f"https://mybinder.org/v2/gh/{org}/{repo}/{PAGES_BRANCH}?urlpath=lab/tree/{path}"},
        {"type": "link", "text": "Colab", "tooltip": "Launch on Colab", "icon": "_static/images/logo_colab.png",
         "url": f"https://colab.research.google.com/github/{org}/{repo}/blob/{PAGES_BRANCH}/{path}"},
    ]


def _add_launch_buttons(app, pagename, templatename, context, doctree):
    notebook = context.get("ipynb_source")
    buttons = launch_buttons(app.config.html_theme_options.get("repository_url", ""), notebook) if notebook else []
    if buttons:
        context["header_buttons"].append({"type": "group", "tooltip": "Launch interactive content",
                                          "icon": "fas fa-rocket", "buttons": buttons, "label": "launch-buttons"})


# Three controls carry a name that hides their visible text (axe-core: "label-content-name-mismatch",
# serious): pydata-sphinx-theme 0.17's search field ("Search" over "Search Ctrl+K") and colour-mode
# switch (icons titled "Light", "Dark"... in a button named "Color mode"), and myst-nb's folded
# code cells ("Toggle hidden content" over "Show code cell source"). Their own text names them.
ACCESSIBLE_BUTTONS = """function rnncourseAccessibleButtons() {
  document.querySelectorAll(".search-button-field[aria-label], summary[aria-label]").forEach(b => b.removeAttribute("aria-label"));
  // the icons are decoration; Font Awesome may already have turned each <i title> into <svg><title>
  document.querySelectorAll(".theme-switch-button i, .theme-switch-button svg").forEach(icon => {
    icon.querySelectorAll("title").forEach(t => t.remove());
    ["title", "role", "aria-labelledby"].forEach(a => icon.removeAttribute(a));
    icon.setAttribute("aria-hidden", "true");
  });
}
document.addEventListener("DOMContentLoaded", rnncourseAccessibleButtons);
window.addEventListener("load", rnncourseAccessibleButtons);"""


def setup(app):
    """Sphinx extension entry point (``sphinx: extra_extensions: [rnncourse.book]``)."""
    merge_streams_on_copies()
    app.connect("html-page-context", _offer_executed_notebook, priority=500)
    app.connect("html-page-context", _add_launch_buttons, priority=502)  # after the theme's header buttons
    app.add_js_file(None, body=ACCESSIBLE_BUTTONS)
    app.add_directive("graded-tests", _graded_tests_directive())
    app.connect("build-finished", _serve_the_package)
    app.connect("build-finished", _write_front_door, priority=400)  # before sphinx-external-toc's
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ----------------------------------------------------------------------------------- command line


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["env"]:
        print(shell_exports())
        return 0
    if argv == ["pages"]:
        print("\n".join(toc_pages()))
        return 0
    print("usage: python -m rnncourse.book env    # export lines of the book's kernel environment\n"
          "       python -m rnncourse.book pages  # the pages of _toc.yml, root first", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
