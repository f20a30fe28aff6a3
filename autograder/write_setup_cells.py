"""Write the course's setup cell (what is available when graded, and the import guard) into every
solution notebook: ``python autograder/write_setup_cells.py``, then regenerate the student versions.

The template and the rules: :mod:`rnncourse.setup_cell`.
"""

import sys

from rnncourse.setup_cell import main

if __name__ == "__main__":
    sys.exit(main())
