#!/usr/bin/env bash
# Set up a fresh machine: a virtual environment in .venv with the exact pins of requirements.txt
# (which also installs this repository's `rnncourse` package in editable mode), a local copy
# of MathJax 3 (from the npm registry), so that the book renders math with no CDN, and what the
# grader's sandbox needs (numpy alone in .venv/sandbox; Debian's bubblewrap, when run as root), and
# what the browser tests need (axe-core from npm; Debian's chromium, when run as root).
# Safe to run again: it only installs what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt requirements-book.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing requirements.txt into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  echo "$want" > "$stamp"
fi

# MathJax 3, served with the book (see html_extra_path / mathjax_path in _config.yml).
MATHJAX_VERSION=3.2.2
mj=_static_extra/mathjax
if [ ! -f "$mj/.version-$MATHJAX_VERSION" ]; then
  echo "setup: fetching mathjax@$MATHJAX_VERSION from the npm registry"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "mathjax@$MATHJAX_VERSION" >/dev/null && tar xzf mathjax-*.tgz)
  rm -rf "$mj" && mkdir -p "$mj/output/chtml"
  cp "$tmp/package/es5/tex-mml-chtml.js" "$mj/"
  cp -r "$tmp/package/es5/output/chtml/fonts" "$mj/output/chtml/"
  touch "$mj/.version-$MATHJAX_VERSION"
  rm -rf "$tmp"
fi

# The only Python packages student code may import when the grader runs it: numpy, and matplotlib
# for students who plot in their notebook (with their dependencies), at the versions pinned in
# requirements.txt, in a folder of their own (no TensorFlow, no Keras, no nbgrader).
sandbox_pins=$(cat requirements.txt requirements-book.txt | grep -iE '^(numpy|matplotlib|contourpy|cycler|fonttools|kiwisolver|packaging|pillow|pyparsing|python-dateutil|six)==' | sort)
if [ "$(cat .venv/sandbox/.pins 2>/dev/null)" != "$sandbox_pins" ]; then
  echo "setup: installing numpy and matplotlib into .venv/sandbox (for graded student code)"
  rm -rf .venv/sandbox
  # shellcheck disable=SC2086  # one pin per word
  .venv/bin/python -m pip install --quiet --no-deps --target .venv/sandbox $sandbox_pins
  echo "$sandbox_pins" > .venv/sandbox/.pins
fi

# axe-core (npm), the accessibility rules the browser tests run on every page (tests/test_browser.py).
AXE_VERSION=4.14.1
axe=.venv/share/axe-core
if [ ! -f "$axe/.version-$AXE_VERSION" ]; then
  echo "setup: fetching axe-core@$AXE_VERSION from the npm registry"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null && tar xzf axe-core-*.tgz)
  rm -rf "$axe" && mkdir -p "$axe"
  cp "$tmp/package/axe.min.js" "$axe/"
  touch "$axe/.version-$AXE_VERSION"
  rm -rf "$tmp"
fi

# Debian packages: bubblewrap, the sandbox in which the grader runs student code
# (rnncourse/grading/sandbox.py), and chromium, the browser of tests/test_browser.py (driven by pip's
# playwright; never `playwright install`, which downloads a browser). Installed when run as root.
# And postgresql, the server tests/test_postgres.py starts for itself (the gradebook on --db postgresql://).
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not found: ${missing[*]} (e.g. sudo apt-get install ${missing[*]}): bubblewrap is the grader's" \
         "sandbox, chromium runs the browser tests and postgresql the gradebook tests (skipped without them)"
  fi
fi
