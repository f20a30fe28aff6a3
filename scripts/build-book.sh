#!/usr/bin/env bash
# Build the course book from scratch: every notebook listed in _toc.yml is executed and any
# Sphinx warning or notebook error makes this script exit non-zero.
#
#   bash scripts/build-book.sh                      # -> _build/html/index.html
#   bash scripts/build-book.sh --path-output DIR    # -> DIR/_build/html/index.html (tests use this)
#
# Any further arguments are passed on to `jupyter-book build`.
# The build always starts from an empty _build folder: an incremental rebuild after a failed one
# can exit 0 even with -W, and the execution cache keys on code only (a TensorFlow upgrade would
# re-execute nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

out="$root"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --path-output) out="$2"; shift 2 ;;
    --path-output=*) out="${1#*=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

bash scripts/setup.sh

# The notebooks run in the kernelspec "python3"; with .venv/bin first on PATH it resolves to the
# virtual environment's python (the one that has TensorFlow, Keras and rnncourse).
export PATH="$root/.venv/bin:$PATH"
export VIRTUAL_ENV="$root/.venv"
export JUPYTER_PATH="$root/.venv/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
unset PYTHONHOME
# No TensorFlow C++ start-up log (it would land as stderr blocks in the pages).
export TF_CPP_MIN_LOG_LEVEL=3
# (PYTHONWARNINGS is left alone: a warning in a notebook shows as a stderr block, which the tests reject.)
export PYDEVD_DISABLE_FILE_VALIDATION=1   # silences a debugger notice some ipykernels print on stderr

rm -rf "$out/_build"
start=$(date +%s)
status=0
"$root/.venv/bin/jupyter-book" build "$root" --path-output "$out" -W -n --keep-going "${args[@]}" || status=$?
echo "build-book: jupyter-book exited with $status after $(( $(date +%s) - start )) s; site in $out/_build/html"
# Execution failures are reported by jupyter-book as warnings (and so fail -W), but make sure:
# a notebook whose execution failed leaves a report under _build/html/reports.
if [ "$status" -eq 0 ] && [ -d "$out/_build/html/reports" ] && [ -n "$(ls -A "$out/_build/html/reports")" ]; then
  echo "build-book: execution reports found in $out/_build/html/reports (a notebook failed)" >&2
  status=1
fi
exit "$status"
