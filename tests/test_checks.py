"""rnncourse.checks: the messages students get, the time limit, and the tolerance measured against Keras."""

import warnings

import numpy as np
import pytest

from rnncourse import checks
from rnncourse.checks import StudentCodeError
from rnncourse.weights import random_rnn_weights, set_rnn_weights


def numpy_rnn(x, h0, kernel, recurrent_kernel, bias, dtype):
    """An independent numpy SimpleRNN, to measure how far a correct answer is from Keras."""
    h = h0.astype(dtype)
    out = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t].astype(dtype) @ kernel.astype(dtype) + h @ recurrent_kernel.astype(dtype)
                    + bias.astype(dtype))
        out.append(h)
    return np.stack(out, axis=1)


@pytest.fixture(scope="module")
def keras_cases():
    from rnncourse.framework import setup

    tf, keras = setup(seed=1)
    rng = np.random.default_rng(1)
    cases = []
    for batch, steps, features, units in [(1, 1, 1, 1), (4, 10, 3, 5), (2, 50, 8, 16), (8, 30, 2, 4)]:
        w = random_rnn_weights(rng, features, units)
        layer = keras.layers.SimpleRNN(units, return_sequences=True)
        layer.build((None, steps, features))
        set_rnn_weights(layer, w)
        x = rng.normal(size=(batch, steps, features)).astype(np.float32)
        h0 = rng.uniform(-1, 1, size=(batch, units)).astype(np.float32)
        cases.append((x, h0, w, np.asarray(layer(x, initial_state=h0))))
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_correct_numpy_answers_are_well_inside_the_tolerance(keras_cases, dtype):
    for x, h0, w, expected in keras_cases:
        got = numpy_rnn(x, h0, w["kernel"], w["recurrent_kernel"], w["bias"], dtype)
        error = np.max(np.abs(got - expected))
        assert error < checks.ATOL / 5, f"a correct {dtype.__name__} answer is {error:.2g} from Keras"
        checks.check_array("rnn", got, expected)


WRONG = {
    "no bias": lambda x, h0, w: numpy_rnn(x, h0, w["kernel"], w["recurrent_kernel"], 0 * w["bias"], np.float64),
    "zero initial state": lambda x, h0, w: numpy_rnn(x, 0 * h0, w["kernel"], w["recurrent_kernel"], w["bias"], np.float64),
    "transposed recurrent kernel": lambda x, h0, w: numpy_rnn(x, h0, w["kernel"], w["recurrent_kernel"].T, w["bias"], np.float64),
    "no recurrence": lambda x, h0, w: numpy_rnn(x, h0, w["kernel"], 0 * w["recurrent_kernel"], w["bias"], np.float64),
}


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_plausible_mistakes_are_far_outside_the_tolerance(keras_cases, mistake):
    for x, h0, w, expected in keras_cases[1:]:  # the 1-unit, 1-step case cannot show a transposition
        got = WRONG[mistake](x, h0, w)
        assert np.max(np.abs(got - expected)) > 100 * checks.ATOL
        with pytest.raises(StudentCodeError, match="does not match Keras"):
            checks.check_array("rnn_forward", got, expected)


def test_shape_message_names_the_axes_and_spots_a_swap():
    with pytest.raises(StudentCodeError) as error:
        checks.check_array("rnn_forward", np.zeros((5, 2, 3)), np.zeros((2, 5, 3)), what="h_seq",
                           case="2 batch, 5 steps", axes=("batch", "time", "unit"))
    message = str(error.value)
    assert "h_seq has shape (5, 2, 3), expected (2, 5, 3) = (batch, time, unit)" in message
    assert "wrong order" in message and "2 batch, 5 steps" in message


def test_value_message_says_where_and_how_much_without_the_answer():
    expected = np.linspace(-1, 1, 24).reshape(2, 4, 3)
    got = expected.copy()
    got[1, 2:, 0] += 0.5
    with pytest.raises(StudentCodeError) as error:
        checks.check_array("rnn_forward", got, expected, what="h_seq", axes=("batch", "time", "unit"))
    message = str(error.value)
    assert "2 of 24 values are off" in message
    assert "largest error is 0.5 (at batch 1, time 2, unit 0)" in message
    assert "first wrong time step is 2" in message
    assert str(expected[1, 2, 0]) not in message


def test_nan_and_non_arrays_are_named():
    with pytest.raises(StudentCodeError, match="NaN"):
        checks.check_array("f", np.array([np.nan]), np.array([0.0]))
    with pytest.raises(StudentCodeError, match="should be a numpy array, but it is a NoneType"):
        checks.check_array("f", None, np.array([0.0]))


def test_call_stops_an_endless_loop():
    def rnn_forward():
        while True:
            pass

    with pytest.raises(StudentCodeError, match="did not return within 0.2 s"):
        checks.call(rnn_forward, timeout=0.2)


def test_call_reports_in_place_modification_exactly():
    def sneaky(x):
        x[0, 0] += 1e-12
        return x

    with pytest.raises(StudentCodeError, match=r"modified its input \(argument 1\) in place"):
        checks.call(sneaky, np.zeros((2, 2)))


def test_call_silences_warnings_and_reports_errors_with_the_students_line(recwarn):
    def noisy(x):
        np.log(np.zeros(1))
        warnings.warn("note")
        return x

    assert checks.call(noisy, 3) == 3
    assert len(recwarn) == 0

    def broken(x):
        return x @ np.ones((5, 5))

    with pytest.raises(StudentCodeError, match=r"broken raised ValueError.*matmul"):
        checks.call(broken, np.ones((2, 3)))

    def todo():
        raise NotImplementedError()

    with pytest.raises(StudentCodeError, match="todo is not implemented yet"):
        checks.call(todo)


def test_check_equal_on_indices_texts_and_dicts():
    checks.check_equal("encode", np.array([1, 2], dtype=np.int8), np.array([1, 2]))
    checks.check_equal("encode", [1, 2], np.array([1, 2]))  # a list of the right integers is as good (#21)
    with pytest.raises(StudentCodeError, match="should be a numpy array .or lists of numbers of one shape"):
        checks.check_equal("encode", [[1, 2], [3]], np.array([[1, 2], [3, 4]]))
    with pytest.raises(StudentCodeError, match="but it is a list that is not"):
        checks.check_equal("encode", ["a", "b"], np.array([1, 2]))
    with pytest.raises(StudentCodeError, match="dtype float64, expected an integer dtype"):
        checks.check_equal("encode", np.array([]), np.array([], dtype=np.int64))
    with pytest.raises(StudentCodeError, match="first wrong position is"):
        checks.check_equal("encode", np.array([1, 3]), np.array([1, 2]))
    with pytest.raises(StudentCodeError, match="has 2 characters, expected 3"):
        checks.check_equal("decode", "ab", "abc")
    with pytest.raises(StudentCodeError, match="should be a str, but it is a list"):
        checks.check_equal("decode", ["a"], "a")
    with pytest.raises(StudentCodeError, match="wrong keys"):
        checks.check_equal("build_vocab", {"a": 0}, {"b": 0})


def test_unpack_explains_the_expected_tuple():
    with pytest.raises(StudentCodeError, match=r"should return a tuple \(h_seq, h_last\), but it returned a ndarray"):
        checks.unpack("rnn_forward", np.zeros(3), ("h_seq", "h_last"))
    assert checks.unpack("f", [1, 2], ("a", "b")) == (1, 2)


def test_references_round_trip_with_their_spec_and_a_missing_one_says_how_to_make_it(tmp_path):
    from rnncourse import references
    from rnncourse.checks import Graded, Output

    graded = Graded(inputs=("x", "vocab", "n"), outputs=(Output("y", axes=("batch",)), Output("text", "exact")))
    case = dict(x=np.arange(3, dtype=np.float32), vocab={"a": 0, "é": 1}, n=4, y=np.ones(3), text="hé",
                description="a case")
    references.write(tmp_path / "r.npz", {"f": (graded, [case])})
    [(back_graded, [back])] = references.read(tmp_path / "r.npz").values()
    assert back_graded == graded
    assert back.keys() == case.keys() and back["vocab"] == case["vocab"] and back["text"] == "hé"
    assert back["x"].dtype == np.float32 and np.array_equal(back["x"], case["x"])
    first = (tmp_path / "r.npz").read_bytes()
    references.write(tmp_path / "r.npz", {"f": (graded, [case])})
    assert (tmp_path / "r.npz").read_bytes() == first, "unchanged references must stay byte-identical"
    assert {"rnn_cell_forward", "rnn_forward"} <= set(references._index())
    with pytest.raises(LookupError, match="make_references.py"):
        references.of_function("no_such_function")


def test_check_judges_the_calling_notebooks_function_on_every_case():
    """The one-line hidden test, as plain nbgrader runs it in the kernel: a right and a wrong answer."""
    def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
        return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)

    checks.check("rnn_cell_forward", dtype="float64")

    def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):  # noqa: F811  (no bias)
        return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)

    with pytest.raises(StudentCodeError, match="rnn_cell_forward: h does not match Keras"):
        checks.check("rnn_cell_forward")


# ------------------------------------------------ the forms later chapters need: keywords, functions, dicts, lists

SPECIAL = checks.Graded(inputs=("f", "x"), outputs=(checks.Output("dx"), checks.Output("parts")),
                        options=("eps",), functions=("f",), returns="dict")
SPECIAL_CASE = dict(f="lambda x: np.sum(x ** 3)", x=np.array([1.0, -2.0]), eps=1e-3,
                    dx=np.array([3.0, 12.0]), parts=[np.ones(2), np.zeros((1, 3))], description="a case")


def special(f, x, eps=1e-5):
    """A correct answer to SPECIAL: central differences by name, and a list of arrays."""
    dx = np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(len(x))])
    return {"dx": dx, "parts": [np.ones(2), np.zeros((1, 3))], "extra": "ignored"}


def test_keyword_options_are_passed_by_name_only_when_the_case_holds_them():
    args, keywords = checks.arguments(SPECIAL, SPECIAL_CASE, dtype="float32")
    assert keywords == {"eps": 1e-3} and args[1].dtype == np.float32
    assert checks.arguments(SPECIAL, {k: v for k, v in SPECIAL_CASE.items() if k != "eps"})[1] == {}
    defaults_only = checks.Graded(inputs=("x",), outputs=(checks.Output("y"),), options=("axis",))
    with pytest.raises(StudentCodeError, match="unexpected keyword argument 'axis'"):
        checks.call(lambda x: x, np.zeros(1), name="f", keywords={"axis": 0})
    assert checks.arguments(defaults_only, {"x": np.zeros(1)})[1] == {}


def test_a_function_input_reaches_the_student_as_a_callable_and_results_may_be_dicts_of_lists():
    args, keywords = checks.arguments(SPECIAL, SPECIAL_CASE)
    result = checks.call(special, *args, name="special", keywords=keywords)
    checks.judge("special", SPECIAL, SPECIAL_CASE, result)
    with pytest.raises(StudentCodeError, match="should return a dict with keys dx, parts; missing: parts"):
        checks.judge("special", SPECIAL, SPECIAL_CASE, {"dx": result["dx"]})
    with pytest.raises(StudentCodeError, match=r"parts\[1\] has shape \(3,\), expected \(1, 3\)"):
        checks.judge("special", SPECIAL, SPECIAL_CASE, {**result, "parts": [np.ones(2), np.zeros(3)]})
    with pytest.raises(StudentCodeError, match="parts should be a list of 2 arrays, but it is 1 items"):
        checks.judge("special", SPECIAL, SPECIAL_CASE, {**result, "parts": [np.ones(2)]})
    forward = {**result, "dx": np.array([(args[0](args[1] + 1e-3 * e) - args[0](args[1])) / 1e-3
                                         for e in np.eye(2)])}
    with pytest.raises(StudentCodeError, match="dx does not match"):
        checks.judge("special", SPECIAL, SPECIAL_CASE, forward)


def test_scalar_results_may_be_python_numbers():
    checks.check_array("norm", 2.0, np.float32(2.0))
    with pytest.raises(StudentCodeError, match="should be a numpy array, but it is a str"):
        checks.check_array("norm", "2", np.float32(2.0))


def test_functions_cross_to_the_worker_but_never_back():
    from rnncourse.grading import worker

    blobs = []
    tree = worker.pack(checks.arguments(SPECIAL, SPECIAL_CASE), blobs)
    args, keywords = worker.unpack(tree, blobs, functions=True)
    assert args[0](np.array([2.0])) == 8.0 and keywords == {"eps": 1e-3}
    assert isinstance(worker.unpack(tree, blobs)[0][0], worker.Unsupported), "a reply cannot carry code"
    packed_args, packed_keywords = tree["tuple"]
    reply, out = worker.call({"special": special}, {"function": "special", "args": packed_args,
                                                    "keywords": packed_keywords}, blobs)
    assert reply["ok"] and np.allclose(worker.unpack(reply["result"], out)["dx"], [3.0, 12.0])


def test_nested_lists_of_arrays_round_trip_through_the_reference_file(tmp_path):
    from rnncourse import references

    graded = checks.Graded(inputs=("layers", "seqs"), outputs=(checks.Output("grads"),), options=("maxlen",))
    case = dict(layers=[(np.ones((2, 3), np.float32), np.zeros(3))], seqs=[[1, 2], [], np.arange(3)],
                grads=[np.ones(1), np.zeros((2, 2))], description="nested")
    references.write(tmp_path / "r.npz", {"f": (graded, [case])})
    [(back_graded, [back])] = references.read(tmp_path / "r.npz").values()
    assert back_graded == graded
    assert isinstance(back["layers"][0], tuple) and back["layers"][0][0].dtype == np.float32
    assert back["seqs"][:2] == [[1, 2], []] and np.array_equal(back["seqs"][2], np.arange(3))
    assert [g.shape for g in back["grads"]] == [(1,), (2, 2)]
    args, _ = checks.arguments(graded, back, dtype="float64")
    assert args[0][0][0].dtype == np.float64 and isinstance(args[0][0], tuple)


def test_a_group_selects_its_cases_and_an_unknown_group_is_the_authors_mistake():
    cases = [{"group": "mask", "n": 1}, {"group": "merge modes", "n": 2}, {"n": 3}]
    assert [c["n"] for c in checks.in_group(cases, "mask")] == [1]
    assert [c["n"] for c in checks.in_group(cases)] == [1, 2, 3]
    with pytest.raises(LookupError, match="no reference case in group 'masks'"):
        checks.in_group(cases, "masks")
    from rnncourse.grading.engine import hidden_checks

    source = ('x = 1\n### BEGIN HIDDEN TESTS\nfrom rnncourse.checks import check\ncheck("f", group="mask")\n'
              'check("f", dtype="float64")\n### END HIDDEN TESTS')
    assert hidden_checks(source) == (("f", None, "mask"), ("f", "float64", None))


def test_a_list_is_judged_as_the_array_it_holds():
    """What the visible tests accept (np.shape, np.allclose take lists), the hidden checks accept too (#21)."""
    expected = np.array([[0.5, -0.25], [0.125, 1.0]], dtype=np.float32)
    checks.check_array("rnn_cell_forward", expected.tolist(), expected)
    checks.check_array("rnn_cell_forward", tuple(map(tuple, expected.tolist())), expected)
    with pytest.raises(StudentCodeError, match="does not match Keras"):
        checks.check_array("rnn_cell_forward", (expected + 1).tolist(), expected)
    with pytest.raises(StudentCodeError, match="has shape"):
        checks.check_array("rnn_cell_forward", expected.ravel().tolist(), expected)


def test_an_array_of_python_objects_is_judged_by_the_numbers_it_holds():
    """Issue #17 §3: np.empty(..., dtype=object) filled with the right numbers gets full marks, in the notebook's
    kernel and through the sandboxed worker alike; an object array of anything else is named in plain words."""
    from rnncourse.grading import worker

    expected = np.array([[0.5, -0.25], [0.125, 1.0]], dtype=np.float32)
    objects = np.empty(expected.shape, dtype=object)
    objects[...] = expected.tolist()  # Python floats
    unfilled = np.empty(expected.shape, dtype=object)  # None everywhere
    for crossed in (False, True):
        def judged(value):
            if not crossed:
                return value
            blobs = []
            tree = worker.pack(value, blobs)
            return worker.unpack(tree, blobs)

        checks.check_array("rnn_cell_forward", judged(objects), expected)
        with pytest.raises(StudentCodeError, match="does not match Keras"):
            checks.check_array("rnn_cell_forward", judged(objects + 1), expected)
        with pytest.raises(StudentCodeError) as raised:
            checks.check_array("rnn_cell_forward", judged(unfilled), expected, what="h")
        assert str(raised.value) == ("h of rnn_cell_forward should be a numpy array, but it is a numpy array of "
                                     "Python objects (dtype object), not of numbers: build it from numbers of one "
                                     "shape, e.g. np.asarray(values, dtype=float)")
    blobs = []  # what cannot cross says what it is, not "Unsupported"
    with pytest.raises(StudentCodeError, match="should be a numpy array, but it is a generator$"):
        checks.check_array("rnn_cell_forward", worker.unpack(worker.pack((x for x in []), blobs), blobs), expected)


def test_an_empty_list_of_indices_is_as_good_as_an_empty_integer_array():
    """A list of integers is taken for indices, the empty one too; np.array([]) (float64) is still refused."""
    checks.check_equal("encode", [], np.zeros(0, dtype=np.int32))
    with pytest.raises(StudentCodeError, match="expected an integer dtype"):
        checks.check_equal("encode", np.array([]), np.zeros(0, dtype=np.int32))
    checks.check_equal("encode", [4, 2], np.array([4, 2], dtype=np.int32))
