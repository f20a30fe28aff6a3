#!/usr/bin/env bash
# Run every test (what CI runs): the shared package against Keras, the exercises (generated student
# versions and references up to date, plain nbgrader from the root), the grading command on the
# fixture submissions, and a clean build of the book with warnings as errors.
# Sets up .venv first if needed (scripts/setup.sh). Extra arguments go to pytest, e.g. -m "not slow".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$(pwd)/.venv/bin:$PATH"
exec .venv/bin/python -m pytest "$@"
