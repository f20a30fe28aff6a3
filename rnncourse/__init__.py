"""Code shared by the book's notebooks, the reference maker, the grader and the tests.

The package is deliberately light: importing it (or ``rnncourse.checks``, which the hidden
tests use) imports numpy only. TensorFlow is imported by :mod:`rnncourse.framework`, and only
the book notebooks and the reference maker import that.
"""

