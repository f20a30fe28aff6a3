"""nbgrader settings for the course, loaded by the repository root's nbgrader_config.py.

Run nbgrader from the repository root. The instructor sources are `solutions/<assignment>/`,
the student versions nbgrader generates from them are `exercises/<assignment>/` (committed);
`submitted/`, `autograded/`, `feedback/` and `gradebook.db` stay on the instructor's machine.
"""

import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "rnn"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# `generate_solution` writes here; it must never be "solutions", or it would delete the sources.
c.CourseDirectory.solution_directory = "solution"

# A correct answer runs in milliseconds; the hidden tests stop a hung call after 10 s themselves
# (rnncourse.checks.CALL_TIMEOUT), and this catches a hang anywhere else, at the cost of one cell.
c.Execute.timeout = 30
# A student who deletes a test cell gets it back (and its tests run), instead of an empty grade.
c.OverwriteCells.add_missing_cells = True

# Kernels that nbgrader starts inherit this process's environment. nbgrader scores any stderr
# output of a test cell 0, so a correct answer must not print warnings or TensorFlow's start-up
# log there: silence both for every kernel started by `validate` and `autograde`.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["PYTHONWARNINGS"] = "ignore"

# nbgrader's own feedback shows the hidden tests' code; strip it, so that a plain
# `nbgrader generate_feedback` is as safe as autograder/grade.py (which uses the same code).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "rnncourse.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
