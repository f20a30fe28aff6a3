"""Known mistakes (issue #17): what the reference maker stores for each catalogued mistake is what
the grader matches a wrong answer with, each mistake can be told apart, and a correct answer matches
none. Reads the stored references (no TensorFlow); the grading of the fixtures themselves (the hint on
the feedback page, the CSV's `mistakes` column) is in tests/test_grading.py."""

import numpy as np
import pytest

from rnncourse import course, mistakes, references
from rnncourse.checks import StudentCodeError, arguments, call
from rnncourse.course import load_module
from rnncourse.paths import AUTOGRADER
from rnncourse.spec import Mistake, variant

MAKER = load_module(AUTOGRADER / "make_references.py")
WITH_MISTAKES = [a for a in course.assignments() if getattr(course.chapter(a), "MISTAKES", ())]


def stored(assignment):
    path = references.path_of(assignment)
    return references.read(path), references.hints(path)


def without_mistakes(functions):
    """The stored cases as Keras made them, before the reference maker added the mistakes' outcomes."""
    return {f: (graded, [{k: v for k, v in case.items() if k != "mistakes"} for case in cases])
            for f, (graded, cases) in functions.items()}


@pytest.mark.parametrize("assignment", WITH_MISTAKES)
def test_every_mistake_is_stored_with_its_hint(assignment):
    functions, hints = stored(assignment)
    for mistake in course.chapter(assignment).MISTAKES:
        where = [f for f in hints if mistake.name in hints[f]]
        assert where, f"{mistake.name} is not stored with any function's cases"
        assert all(hints[f][mistake.name] == {"hint": mistake.hint, "of": mistake.function} for f in where)
        assert all(mistake.name in case["mistakes"] for f in where for case in functions[f][1])


@pytest.mark.parametrize("assignment", WITH_MISTAKES)
def test_a_mistakes_own_outputs_name_it_and_some_check_names_it_alone(assignment):
    """Alone: given that the student passed the checks of the functions this mistake leaves right."""
    functions, hints = stored(assignment)
    alone = set()
    for function, names in hints.items():
        graded, cases = functions[function]
        for name in names:
            passed = {f for f in functions if name not in hints.get(f, {})}
            outcomes = [MAKER.as_result(graded, case["mistakes"][name]) for case in cases]
            assert name in mistakes.matching(function, graded, cases, outcomes), f"{function}: {name}"
            if mistakes.identify(function, graded, cases, outcomes, hints[function], passed) == name:
                alone.add(name)
    assert alone == {m.name for m in course.chapter(assignment).MISTAKES}


@pytest.mark.parametrize("assignment", WITH_MISTAKES)
def test_keras_outputs_match_no_mistake(assignment):
    functions, _ = stored(assignment)
    for function, (graded, cases) in functions.items():
        outcomes = [MAKER.as_result(graded, {o.name: case[o.name] for o in graded.outputs}) for case in cases]
        assert mistakes.matching(function, graded, cases, outcomes) == [], function


@pytest.mark.parametrize("assignment", WITH_MISTAKES)
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_the_solution_matches_no_mistake(assignment, dtype):
    functions, _ = stored(assignment)
    namespace = MAKER.solution_namespace(assignment)
    for function, (graded, cases) in functions.items():
        outcomes = []
        for case in cases:
            args, keywords = arguments(graded, case, dtype)
            outcomes.append((call(namespace[function], *args, name=function, keywords=keywords), None))
        assert mistakes.matching(function, graded, cases, outcomes) == [], function


CELL = "def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):\n    return {}\n"


@pytest.mark.parametrize("catalogue, message", [
    ((Mistake("rnn_cell_forward", "right", "", CELL.format("np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)")),),
     "mistake right agrees with Keras on every hidden case"),
    ((Mistake("rnn_cell_forward", "no_bias", "", CELL.format("np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)")),
      Mistake("rnn_cell_forward", "bias_left_out", "", CELL.format("np.tanh(h_prev @ recurrent_kernel + x_t @ kernel)"))),
     "give the same outputs on the hidden inputs, so no hint could tell them apart: no_bias and bias_left_out"),
    ((Mistake("rnn_cell_forward", "in_place", "", CELL.format("np.tanh(np.add(h_prev @ recurrent_kernel, x_t @ kernel, "
                                                              "out=h_prev) + bias)")),
      Mistake("rnn_cell_forward", "in_place_too", "", CELL.format("np.tanh(np.multiply(h_prev, 0, out=h_prev))"))),
     "no hint could tell them apart: in_place and in_place_too"),
    ((Mistake("rnn_forward", "a", "", "def rnn_forward(*args):\n    return None\n"),),
     "mistake a returns the wrong form in rnn_forward"),
])
def test_the_reference_maker_refuses_a_catalogue_that_cannot_give_hints(catalogue, message):
    functions = without_mistakes(stored("01-rnn-cell")[0])
    with pytest.raises(MAKER.CatalogueError, match=message):
        MAKER.add_mistakes("01-rnn-cell", functions, catalogue)


def test_a_mistake_that_raises_matches_only_a_student_that_raises_the_same():
    functions = without_mistakes(stored("01-rnn-cell")[0])
    hints = MAKER.add_mistakes("01-rnn-cell", functions, (
        Mistake("rnn_cell_forward", "raises", "look at the shapes", CELL.format("x_t @ recurrent_kernel")),))
    graded, cases = functions["rnn_cell_forward"]
    assert hints["rnn_cell_forward"] == {"raises": {"hint": "look at the shapes", "of": "rnn_cell_forward"}}
    raised = {mistakes.RAISED: "ValueError"}
    assert all(case["mistakes"]["raises"] == raised for case in cases[1:])  # the 1-unit case multiplies fine
    first = MAKER.as_result(graded, cases[0]["mistakes"]["raises"])
    assert mistakes.matching("rnn_cell_forward", graded, cases, [first] + [(None, "ValueError")] * 3) == ["raises"]
    assert mistakes.matching("rnn_cell_forward", graded, cases, [first] + [(None, "TypeError")] * 3) == []


def test_nan_where_the_mistake_has_nan_is_a_match_and_the_tolerance_is_the_checks():
    graded, cases = stored("02-sequence-shapes")[0]["softmax"]
    for case in cases:
        want = case["mistakes"]["softmax_overflows"]["probabilities"]
        if np.isnan(want).any():
            break
    assert mistakes.agrees("softmax", graded, {"probabilities": want}, want + 5e-6)
    assert not mistakes.agrees("softmax", graded, {"probabilities": want}, want + 2e-5 + 2e-4 * np.abs(want))
    assert not mistakes.agrees("softmax", graded, {"probabilities": want}, np.nan_to_num(want))


@pytest.mark.parametrize("message, raised", [
    ("rnn_forward raised ValueError at line 3: x: operands could not be broadcast", "ValueError"),
    ("rnn_forward raised numpy.linalg.LinAlgError: singular", "numpy.linalg.LinAlgError"),
    ("rnn_forward is not implemented yet (it raises NotImplementedError)", None),
    ("rnn_forward modified its input (argument 2) in place", "modified its input"),
    ("rnn_forward_2 raised ValueError", None),
])
def test_the_type_of_what_a_call_raised_is_read_from_its_message(message, raised):
    assert mistakes.raised_type("rnn_forward", message) == raised


def test_an_in_kernel_call_reports_raising_in_the_same_words():
    def rnn_forward(x):
        raise ValueError("no")

    with pytest.raises(StudentCodeError) as error:
        call(rnn_forward, 1)
    assert mistakes.raised_type("rnn_forward", str(error.value)) == "ValueError"


def test_a_variant_changes_the_correct_answer_in_the_one_place_named():
    correct = "def f(x):\n    y = x + 1\n    return y\n"
    assert variant(correct, "x + 1", "x - 1") == "def f(x):\n    y = x - 1\n    return y\n"
    with pytest.raises(ValueError, match="occurs 0 times"):
        variant(correct, "x * 2", "x")  # not there: the mistake would silently be the correct answer
    with pytest.raises(ValueError, match="occurs 2 times"):
        variant(correct, "y", "z")  # there twice: which one the mistake changes is ambiguous
