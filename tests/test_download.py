"""A chapter downloaded from the built site runs anywhere (slow).

A reader downloads a chapter's executed notebook and the course's wheel from the site, and runs
the one install command the notebook's first cell gives, ``pip install "WHEEL[book]"``, in a
fresh virtual environment outside the repository. Every chapter must then run there, start to
end, with nothing from the repository on the path. (``ipykernel`` and ``nbclient`` stand in for
the reader's own Jupyter.)
"""

import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from rnncourse import book
from rnncourse.book import chapter_pages

pytestmark = pytest.mark.slow

RUN = """
import sys, nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    print("ran", path, flush=True)
"""


def test_downloads_carry_the_one_install_command(build):
    for page in chapter_pages():
        nb = nbformat.read(build["site"] / "_sources" / f"{page}.ipynb", as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "markdown" and f'pip install "{book.WHEEL}[book]"' in first.source, page
    assert (build["site"] / "python" / book.WHEEL).is_file(), "the wheel is not served with the site"


def test_every_downloaded_chapter_runs_in_a_fresh_environment(build, tmp_path):
    site = build["site"]
    reader = tmp_path / "downloads"
    reader.mkdir()
    shutil.copy2(site / "python" / book.WHEEL, reader)
    notebooks = []
    for page in chapter_pages():
        notebooks.append(reader / f"{page.replace('/', '-')}.ipynb")
        shutil.copy2(site / "_sources" / f"{page}.ipynb", notebooks[-1])

    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", env_dir], check=True)
    python = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items()
             if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTEST_CURRENT_TEST") and not k.startswith("JUPYTER")}
    clean["PATH"] = f"{env_dir / 'bin'}:/usr/bin:/bin"
    clean["HOME"] = str(tmp_path)
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", f"{book.WHEEL}[book]", "ipykernel", "nbclient"],
        cwd=reader, env=clean, capture_output=True, text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    run = subprocess.run([python, "-c", RUN, *map(str, notebooks)], cwd=reader, env=clean,
                         capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, f"{run.stdout[-2000:]}\n{run.stderr[-4000:]}"
    assert run.stdout.count("ran ") == len(notebooks)
