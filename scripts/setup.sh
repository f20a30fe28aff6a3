#!/usr/bin/env bash
# Set up a fresh machine: a virtual environment in .venv with the exact pins of requirements.txt
# (which also installs this repository's `rnncourse` package in editable mode) and a local copy
# of MathJax 3 (from the npm registry), so that the book renders math with no CDN.
# Safe to run again: it only installs what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
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
