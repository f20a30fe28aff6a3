"""Where a grading run's time goes, phase by phase: with ``RNNCOURSE_TIMINGS=FILE`` in its environment
the grading command writes the seconds of each phase to FILE as JSON (``bench/run.py`` reads them)."""

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

SPENT = {}  # phase -> seconds, summed over the run


@contextmanager
def phase(name):
    start = time.perf_counter()
    try:
        yield
    finally:
        SPENT[name] = SPENT.get(name, 0.0) + time.perf_counter() - start


def write():
    """Write the phases to the file RNNCOURSE_TIMINGS names, if it names one."""
    if os.environ.get("RNNCOURSE_TIMINGS"):
        Path(os.environ["RNNCOURSE_TIMINGS"]).write_text(json.dumps(SPENT, indent=1))
