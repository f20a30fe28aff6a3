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

# The environment the notebooks run in (the kernelspec "python3" resolves to .venv's python, quiet
# TensorFlow, ...) is defined once, in rnncourse/book.py (KERNEL_ENV); it prints `export` lines.
# (PYTHONHOME, which it unsets, is removed for that one python call too; a separate assignment so
# that set -e stops the script if the call fails.)
kernel_env=$(env -u PYTHONHOME "$root/.venv/bin/python" -m rnncourse.book env)
eval "$kernel_env"

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
