"""Grade a class's submissions of one assignment, or of every assignment of a class folder.

    python autograder/grade.py ASSIGNMENT SUBMISSIONS [--course-dir DIR] [--jobs N]
    python autograder/grade.py --all CLASS_FOLDER [--course-dir DIR] [--jobs N]

The grading logic is the package's (:mod:`rnncourse.grading`); ``--help`` tells the rest.
"""

import sys

from rnncourse.grading.command import main

if __name__ == "__main__":
    sys.exit(main())
