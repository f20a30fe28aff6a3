"""Shared by the test modules: one clean build of the book per test session (slow)."""

import subprocess

import pytest

from rnncourse.paths import ROOT

BUILD_TIMEOUT = 1800  # seconds; a clean build of every chapter takes a few minutes on 2 cores


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """``bash scripts/build-book.sh --path-output <tmp>``: every notebook executed, warnings are errors.
    Both tests/test_book.py (the files) and tests/test_browser.py (the pages in Chromium) inspect it."""
    out = tmp_path_factory.mktemp("book")
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-book.sh"), "--path-output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
    )
    return {"returncode": proc.returncode, "log": proc.stdout + proc.stderr, "site": out / "_build" / "html"}
