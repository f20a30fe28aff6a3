"""Pasting the book's code into an exercise earns nothing.

Every function defined in a chapter page (``book/NN-slug/slug.md``, its code cells), every top-level
loop of those cells, and every public function of the ``rnncourse`` package (the wheel the site
serves) is tried as the answer to every graded function of every chapter (``GRADED`` of each chapter
module, found through :mod:`rnncourse.course`, so new chapters and new graded functions are covered).
It is judged the way the grader judges: the hidden tests' ``check(...)`` lines and points as
:func:`rnncourse.grading.engine.load_assignment` reads them from ``solutions/``, each call through
:func:`rnncourse.checks.call` (the worker's ``invoke``: inputs must come back unmodified) and each
value through :func:`rnncourse.checks.judge` against the stored references. It must earn 0 points.

The glue tried is what a student adds in a few lines around pasted code:

- **arguments**: by the graded names; in the graded order (the parameters renamed, the first k of
  them for a function of k parameters); and, when the function takes as many parameters as there are
  graded values (counting its required ones or all of them), every reordering (at most
  ``MAX_ORDERS``); options the case leaves out take the exercise stub's defaults;
- **outputs**: each graded output may be any value the function returns (an item of a tuple, a
  value of a dict under any key, or the result itself): a dict unpacked into the graded outputs by
  name, whatever its names;
- **a loop over the batch**: a one-example / one-sequence function called on each row of the
  batched inputs (the row as it is, ``x[i]``, or kept 2-D, ``x[i:i+1]``), its results stacked along
  the batch (per-example values) or summed over it (weight gradients);
- **a loop over time**: a one-step function called along the time axis of the graded sequence
  input, the states it returns fed back in (every assignment of its returned values to the state
  inputs), its results stacked along time or taken at the last step;
- **a loop made a function**: a top-level ``for`` / ``while`` of a cell, its free names bound to the
  graded inputs (names it calls to function inputs, the others to value inputs, or one of them to a
  dict of the array inputs by name; at most ``MAX_BINDINGS`` ways), the lines that use names a
  student would not have dropped (a printed check, and what those lines assign), and any value it
  assigns taken as an output. The lines left must read every bound name.

What is not tried: composing two pieces of book code (chapter 07's ``run_rnn`` needs its two
directions, the merge modes and the mask put together around it), editing inside a function, and
the modules of :data:`NOT_TRIED`. A function that fails for a name its page defines outside any
function (a global the page sets in a cell) is not tried in other argument orders.

Run ``python tests/test_book_gives_nothing_away.py`` to print, per chapter, the points pasting the
book earns and with what.

Only numpy runs: TensorFlow and Keras cannot be imported while the book's code runs (the grader's
sandbox has numpy only), so cells and package functions that need them are skipped.
"""

import ast
import builtins
import contextlib
import copy
import importlib
import importlib.abc
import io
import itertools
import os
import pkgutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

from rnncourse import course  # noqa: E402
from rnncourse.book import chapter_pages, is_text_notebook, page_source, read_page  # noqa: E402
from rnncourse.checks import Graded, StudentCodeError, _time_limit, arguments, call, in_group, judge  # noqa: E402
from rnncourse.grading.engine import load_assignment  # noqa: E402
from rnncourse.paths import EXERCISES, ROOT  # noqa: E402

FRAMEWORKS = ("tensorflow", "keras", "jax", "torch")  # not in the grader's sandbox
CALL_TIMEOUT = 1.0  # seconds: a pasted answer takes milliseconds on these inputs
MAX_ORDERS = 720  # argument orders tried per function (6 inputs onto 6 parameters: 6! = 720)
MAX_BINDINGS = 120  # ways to bind a loop's free names to the graded inputs, per loop
# Not called with the hidden inputs: the grading command (intake, sandbox, engine, reports, export) and
# the book's Sphinx hooks read and write files and start processes; the data loaders read files and take
# sizes and seeds; the plotting helpers draw. None of them computes on arrays what an exercise asks.
NOT_TRIED = ("rnncourse.grading", "rnncourse.book", "rnncourse.data", "rnncourse.plotting")


@dataclass
class Candidate:
    where: str  # "book/08-lstm-gru/lstm-gru.md" or "rnncourse.checks"
    name: str  # the function's name, or "the loop at line N"
    fn: object = None  # a function
    loop: object = None  # (ast.For | ast.While, namespace) for a loop of a cell

    @property
    def label(self):
        return f"{self.name} ({self.where})"


# ------------------------------------------------------------------------------ no framework


class _NoFramework(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FRAMEWORKS:
            raise ImportError(f"{name} is not available where the exercises are graded")
        return None


@contextlib.contextmanager
def no_framework():
    """Imports of TensorFlow & co. fail inside (modules already imported stay as they are)."""
    finder = _NoFramework()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


# ------------------------------------------------------------------------------ candidates


def book_candidates(page, where=None):
    """The functions and top-level loops of one chapter page, defined in one namespace with numpy:
    every import the page makes (those needing TensorFlow fail and are left out) and every def."""
    path = Path(page) if Path(page).suffix else page_source(page)
    where = where or (str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    namespace = {"np": np, "__name__": "book_page"}
    candidates = []
    cells = [c for c in read_page(path).cells if c.cell_type == "code"]
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef)):
                try:
                    with no_framework():
                        exec(compile(ast.Module([node], []), where, "exec"), namespace)
                except Exception:
                    continue
                if isinstance(node, ast.FunctionDef):
                    candidates.append(Candidate(where, node.name, fn=namespace[node.name]))
            elif isinstance(node, (ast.For, ast.While)):
                candidates.append(Candidate(where, f"the loop at line {node.lineno} of a cell", loop=(node, namespace)))
    return candidates


def package_candidates():
    """Every public function the modules of the ``rnncourse`` package define (not those they import),
    except the instructor's machinery (:data:`NOT_TRIED`)."""
    import rnncourse

    candidates = []
    for info in pkgutil.walk_packages(rnncourse.__path__, "rnncourse."):
        if info.name.startswith(NOT_TRIED):
            continue
        try:
            with no_framework():
                module = importlib.import_module(info.name)
        except Exception:
            continue
        for name, value in vars(module).items():
            if (not name.startswith("_") and callable(value) and not isinstance(value, type)
                    and getattr(value, "__module__", None) == module.__name__):
                candidates.append(Candidate(info.name, name, fn=value))
    return candidates


@cache
def all_candidates():
    pages = [p for p in chapter_pages() if is_text_notebook(page_source(p)) or page_source(p).suffix == ".ipynb"]
    return [c for page in pages for c in book_candidates(page)] + package_candidates()


# ------------------------------------------------------------------------------ what is graded


@cache
def stub_defaults(assignment):
    """{function: {parameter: default}} from the ``def`` lines of the student's exercise notebook."""
    import nbformat

    defaults = {}
    nb = nbformat.read(EXERCISES / assignment / "exercise.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                args = node.args.args
                values = {}
                for arg, default in zip(args[len(args) - len(node.args.defaults):], node.args.defaults):
                    try:
                        values[arg.arg] = ast.literal_eval(default)
                    except ValueError:
                        pass
                defaults[node.name] = values
    return defaults


def named_values(assignment, function, graded, case, dtype):
    """{name: value} of one case as the hidden test passes it, options it leaves out at the stub's defaults."""
    args, keywords = arguments(graded, case, dtype)
    values = dict(zip(graded.inputs, args))
    for name in graded.options:
        if name in keywords:
            values[name] = keywords[name]
        elif name in stub_defaults(assignment).get(function, {}):
            values[name] = copy.deepcopy(stub_defaults(assignment)[function][name])
    return values


# ------------------------------------------------------------------------------ calling with glue


@contextlib.contextmanager
def quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), no_framework():
        yield


def parameters(fn):
    """(names of positional parameters, how many are required), or None if it cannot be told."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    names = list(code.co_varnames[: code.co_argcount])
    required = code.co_argcount - len(fn.__defaults__ or ())
    return names, required


def orders(fn, names):
    """Ways to pass the graded values ``names`` to ``fn``: a dict parameter -> graded name (by name),
    lists of graded names in the graded order (the parameters renamed), and, when ``fn`` takes as
    many parameters as there are graded values, every reordering of them."""
    found = parameters(fn)
    if found is None:
        return []
    params, required = found
    ways = []
    if params and set(params[:required]) <= set(names):
        ways.append({p: p for p in params if p in names})
    for k in range(max(required, 1), min(len(params), len(names)) + 1):
        ways.append(list(names[:k]))
    if len(names) in (required, len(params)):
        ways += [list(order) for order in itertools.islice(itertools.permutations(names), 1, MAX_ORDERS)]
    return ways


def apply(fn, way, values):
    if isinstance(way, dict):
        return fn(**{p: values[n] for p, n in way.items()})
    return fn(*(values[n] for n in way))


def pieces(result, prefix=()):
    """Every value a result holds, by key: the result, its tuple items, its dict values."""
    found = {prefix + ("result",): result}
    if isinstance(result, (tuple, list)) and len(result) <= 16:
        found.update({prefix + (i,): v for i, v in enumerate(result)})
    if isinstance(result, dict):
        found.update({prefix + (k,): v for k, v in result.items()})
    return found


def batch_rows(values, batched, i, keep):
    return {n: (v[i:i + 1] if keep else v[i]) if n in batched else v for n, v in values.items()}


def over_batch(fn, way, values, batched, keep):
    """The function on each row of the batched inputs; each returned value stacked and summed over rows."""
    size = len(values[next(iter(batched))])
    rows = [pieces(apply(fn, way, batch_rows(values, batched, i, keep))) for i in range(size)]
    combined = {}
    for key in rows[0]:
        parts = [row.get(key) for row in rows]
        try:
            arrays = [np.asarray(p, dtype=float) for p in parts]
        except (TypeError, ValueError):
            continue
        with contextlib.suppress(ValueError):
            combined[key + ("stacked",)] = np.concatenate(arrays) if keep else np.stack(arrays)
        with contextlib.suppress(ValueError):
            combined[key + ("summed",)] = np.sum(arrays, axis=0)
    return combined


def over_time(fn, way, values, sequence, states, feedback):
    """A step function along axis 1 of ``sequence``, the returned values ``feedback`` fed back as ``states``."""
    values = dict(values)
    steps = []
    for t in range(values[sequence].shape[1]):
        step_values = {**values, sequence: values[sequence][:, t]}
        found = pieces(apply(fn, way, step_values))
        steps.append(found)
        for state, key in zip(states, feedback):
            values[state] = found[key]
    combined = {}
    for key in steps[0]:
        try:
            arrays = [np.asarray(s[key], dtype=float) for s in steps]
            combined[key + ("over time",)] = np.stack(arrays, axis=1)
        except (TypeError, ValueError, KeyError):
            pass
        combined[key + ("last step",)] = steps[-1][key]
    return combined


def free_names(node):
    """(names a loop reads but does not assign, names it assigns), computed once per loop."""
    if id(node) not in FREE:
        FREE[id(node)] = _free_names(node)
    return FREE[id(node)]


FREE, BODIES = {}, {}


def _free_names(node):
    loaded, stored = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loaded if isinstance(sub.ctx, ast.Load) else stored).add(sub.id)
        elif isinstance(sub, ast.arg):
            stored.add(sub.arg)
    return sorted(loaded - stored - set(dir(builtins)) - {"np"}), stored


def without(statements, unbound):
    """The statements, less those that use an unbound name (the lines a student drops); what a
    dropped statement assigns becomes unbound in turn (``unbound`` grows)."""
    kept = []
    for statement in statements:
        compound = hasattr(statement, "body")
        header = [getattr(statement, f) for f in ("test", "iter") if hasattr(statement, f)]
        uses = {n.id for part in (header if compound else [statement])
                for n in ast.walk(part) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        if uses & unbound:
            unbound |= {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            continue
        if compound:
            statement = copy.copy(statement)
            statement.body = without(statement.body, unbound) or [ast.Pass()]
            if getattr(statement, "orelse", None):
                statement.orelse = without(statement.orelse, unbound)
        kept.append(statement)
    return kept


def loop_function(candidate, binding):
    """A function of the graded values running the loop with its free names bound as ``binding``
    (free name -> graded name, or "*" for a dict of the graded arrays by name); returns what it assigns."""
    node, namespace = candidate.loop
    free, stored = free_names(node)
    unbound = frozenset(n for n in free if n not in binding and n not in namespace)
    if (id(node), unbound) not in BODIES:
        body = without([node], set(unbound))
        used = {n.id for part in body for n in ast.walk(part) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        code = compile(ast.fix_missing_locations(ast.Module(body, [])), candidate.where, "exec") if body else None
        BODIES[(id(node), unbound)] = code, used
    code, used = BODIES[(id(node), unbound)]
    if code is None or not set(binding) <= used:
        return None  # the lines left do not read every input: they cannot compute an answer

    def run(**values):
        scope = dict(namespace)
        for name, source in binding.items():
            scope[name] = ({n: v for n, v in values.items() if isinstance(v, np.ndarray)} if source == "*"
                           else values[source])
        exec(code, scope)
        return {n: scope[n] for n in stored if n in scope and n not in binding}

    return run


def called_names(node):
    return {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def loop_bindings(candidate, first, functions):
    """Bindings of a loop's free names to the graded inputs, each input used once: a name the loop
    calls takes a function input, any other name a value input or "*" (the inputs in a dict by name)."""
    node, namespace = candidate.loop
    free, _ = free_names(node)
    called = called_names(node)
    callables = [n for n in free if n in called]
    values = [n for n in free if n not in called and not callable(namespace.get(n))]
    function_inputs = [n for n in first if n in functions]
    value_inputs = [n for n in first if n not in functions]
    spread = ["*"] + [n for n in value_inputs if not isinstance(first[n], np.ndarray)]
    if len(callables) < len(function_inputs):
        return []
    found = []
    for fns in itertools.permutations(callables, len(function_inputs)):
        for sources in (value_inputs, spread):
            if len(values) < len(sources):
                continue
            for chosen in itertools.permutations(values, len(sources)):
                found.append({**dict(zip(fns, function_inputs)), **dict(zip(chosen, sources))})
                if len(found) >= MAX_BINDINGS:
                    return found
    return found


# ------------------------------------------------------------------------------ judging


@dataclass
class Attempt:
    """One way of using a candidate: ``run(values) -> {key: value}``, described in words."""

    candidate: Candidate
    glue: str
    run: object


def attempts(candidate, graded, first):
    """Every glued form of ``candidate`` for a graded function, given its first case's values."""
    names = list(first)
    if candidate.loop is not None:
        for binding in loop_bindings(candidate, first, graded.spec.functions):
            run = loop_function(candidate, binding)
            if run is not None:
                described = ", ".join(f"{k}={'the inputs by name' if v == '*' else v}" for k, v in binding.items())
                yield Attempt(candidate, f"the loop made a function of ({described})",
                              lambda values, run=run: pieces(run(**values)))
        return
    fn = candidate.fn
    arrays = [n for n in names if isinstance(first[n], np.ndarray) and first[n].ndim >= 1]
    for way in orders(fn, names):
        shown = way if isinstance(way, list) else [f"{p}={n}" for p, n in way.items()]
        args = f"({', '.join(shown)})"
        yield Attempt(candidate, f"called as {args}",
                      lambda values, way=way: pieces(apply(fn, way, values)))
        if arrays:
            batched = [n for n in arrays if graded.batched(n)]
            for keep in (False, True):
                yield Attempt(candidate, f"called as {args} on each row of {', '.join(batched)}"
                                         f"{' (kept 2-D)' if keep else ''}",
                              lambda values, way=way, keep=keep, batched=batched:
                              over_batch(fn, way, values, batched, keep))
        if graded.sequence:
            states = graded.states
            yield from time_attempts(candidate, fn, way, args, graded, first, states)


def time_attempts(candidate, fn, way, args, graded, first, states):
    step_values = {**first, graded.sequence: first[graded.sequence][:, 0]}
    try:
        with quiet():
            found = pieces(call(apply, fn, way, step_values, timeout=CALL_TIMEOUT))
    except Exception:
        return
    fits = {s: [k for k, v in found.items() if isinstance(v, np.ndarray) and v.shape == first[s].shape]
            for s in states}
    for feedback in itertools.product(*(fits[s] for s in states)):
        if len(set(feedback)) < len(feedback):
            continue
        fed = ", ".join(f"{s}<-{k[-1]!r}" for s, k in zip(states, feedback))
        yield Attempt(candidate, f"called as {args} at each step of {graded.sequence}, feeding back {fed}",
                      lambda values, way=way, feedback=feedback:
                      over_time(fn, way, values, graded.sequence, states, feedback))


class Target:
    """A graded function with its references and hidden checks: what an attempt must match."""

    def __init__(self, assignment, function, spec, cases):
        self.assignment, self.function, self.spec = assignment, function, spec
        self.cache, self.shapes = {}, {}
        self.cases = sorted(cases, key=self.distinct, reverse=True)  # the most telling case first
        first = named_values(assignment, function, spec, self.cases[0], None)
        self.first = first
        arrays = [n for n in spec.inputs if isinstance(first.get(n), np.ndarray) and first[n].ndim >= 1]
        self.batch_names = set()
        if arrays:
            lead = arrays[0]
            self.batch_names = {n for n in arrays if all(
                isinstance(c[n], np.ndarray) and c[n].ndim >= 1 and c[n].shape[0] == c[lead].shape[0]
                for c in cases)}
        threes = [n for n in spec.inputs if isinstance(first.get(n), np.ndarray) and first[n].ndim == 3]
        self.sequence = threes[0] if len(threes) == 1 and any(
            np.ndim(cases[0][o.name]) == 3 for o in spec.outputs if not isinstance(cases[0][o.name], list)) else None
        self.states = [n for n in spec.inputs if self.sequence and n != self.sequence
                       and n in self.batch_names and first[n].ndim == 2]

    def distinct(self, case):
        """How many different shapes a case's inputs have: with more, a misplaced argument fails at once."""
        if id(case) not in self.shapes:
            self.shapes[id(case)] = len({np.shape(case[n]) for n in self.spec.inputs if isinstance(case[n], np.ndarray)})
        return self.shapes[id(case)]

    def batched(self, name):
        return name in self.batch_names

    def matches(self, attempt, cases, dtype):
        """{output: keys of the attempt's values that match it on every case}, or None."""
        keep = None
        for case in sorted(cases, key=self.distinct, reverse=True):
            values = {n: v.copy() if isinstance(v, np.ndarray) else v
                      for n, v in self.values(case, dtype).items()}
            try:
                with quiet(), _time_limit(CALL_TIMEOUT, self.function):
                    found = attempt.run(values)
            except (Exception, SystemExit) as error:  # whatever the pasted code raises, it earns nothing
                self.failure = error
                return None
            matched = {}
            for output in self.spec.outputs:
                one = Graded(self.spec.inputs, (output,))
                good = set()
                for key, value in found.items():
                    if keep is not None and key not in keep[output.name]:
                        continue
                    with contextlib.suppress(StudentCodeError, Exception):
                        judge(self.function, one, case, value, dtype)
                        good.add(key)
                if not good:
                    return None
                matched[output.name] = good
            keep = matched
        return keep

    def values(self, case, dtype):
        key = (id(case), dtype)
        if key not in self.cache:
            self.cache[key] = named_values(self.assignment, self.function, self.spec, case, dtype)
        return self.cache[key]

    def confirmed(self, attempt, keys, cases, dtype):
        """The glued answer as a student would hand it in, judged whole by the real judge."""
        def answer(**values):
            found = attempt.run(values)
            chosen = [found[keys[o.name]] for o in self.spec.outputs]
            if self.spec.returns == "dict":
                return {o.name: v for o, v in zip(self.spec.outputs, chosen)}
            return chosen[0] if len(chosen) == 1 else tuple(chosen)

        for case in cases:
            values = named_values(self.assignment, self.function, self.spec, case, dtype)
            try:
                with quiet():
                    result = call(answer, keywords=values, timeout=CALL_TIMEOUT, name=self.function)
                judge(self.function, self.spec, case, result, dtype)
            except StudentCodeError:
                return False
        return True


@dataclass
class Earned:
    assignment: str
    test: str
    points: float
    how: list  # (function, attempt label, glue)


def winners(target, checks):
    """Attempts that pass every (dtype, group) check of ``checks`` for this graded function."""
    found = []
    for candidate in all_candidates():
        for attempt in attempts(candidate, target, target.first):
            keys, target.failure = {}, None
            for dtype, group in checks:
                matched = target.matches(attempt, in_group(target.cases, group), dtype)
                if matched is None:
                    break
                keys[(dtype, group)] = {o: sorted(k, key=repr)[0] for o, k in matched.items()}
            else:
                if all(target.confirmed(attempt, keys[(d, g)], in_group(target.cases, g), d) for d, g in checks):
                    found.append(attempt)
                    break  # one way per candidate is enough
            if type(target.failure) is NameError and candidate.loop is None:
                break  # it needs a name its page defines outside any function: no argument order helps
    return found


def earned(assignment):
    """Every hidden test of ``assignment`` that pasted book code passes, and with what."""
    source = load_assignment(assignment)
    results = []
    with no_framework(), np.errstate(all="ignore"):
        for step in source.locked.values():
            if not step.test or not step.checks:
                continue
            how = []
            for function in dict.fromkeys(f for f, _, _ in step.checks):
                spec, cases = source.references[function]
                target = Target(assignment, function, spec, cases)
                found = winners(target, [(d, g) for f, d, g in step.checks if f == function])
                if not found:
                    how = None
                    break
                how += [(function, a.candidate.label, a.glue) for a in found]
            if how:
                results.append(Earned(assignment, step.label, source.points[step.label], how))
    with contextlib.suppress(ImportError):
        import matplotlib.pyplot as plt

        plt.close("all")
    return results


@pytest.mark.parametrize("assignment", course.assignments())
def test_pasting_the_book_earns_no_points(assignment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever a package function writes lands here
    found = earned(assignment)
    lines = [f"{e.test} ({e.points:g} points): {fn} is answered by {label}, {glue}"
             for e in found for fn, label, glue in e.how[:3]]
    assert not found, (f"pasting the book's code into {assignment} earns "
                       f"{sum(e.points for e in found):g} points:\n" + "\n".join(lines))


def test_a_book_function_equal_to_a_graded_one_is_caught(tmp_path, monkeypatch):
    """The guard can fail: a page that defines one LSTM step (as a dict of its gates, gates in
    Keras's order) is found to answer lstm_cell_forward, through the dict unpacked by name."""
    page = tmp_path / "page.md"
    page.write_text("---\nfile_format: mystnb\nkernelspec:\n  name: python3\n---\n\n# A page\n\n"
                    "```{code-cell} ipython3\nimport numpy as np\n\n"
                    "def step(x, h, c, W, U, b):\n"
                    "    i, f, g, o = np.split(x @ W + h @ U + b, 4, axis=-1)\n"
                    "    s = lambda z: 1 / (1 + np.exp(-z))\n"
                    "    c = s(f) * c + s(i) * np.tanh(g)\n"
                    "    return {'cell': c, 'hidden': s(o) * np.tanh(c)}\n```\n")
    candidates = book_candidates(page)
    assert [c.name for c in candidates] == ["step"]
    assignment = next(a for a in course.assignments() if "lstm_cell_forward" in course.chapter(a).GRADED)
    spec, cases = load_assignment(assignment).references["lstm_cell_forward"]
    target = Target(assignment, "lstm_cell_forward", spec, cases)
    monkeypatch.setattr(sys.modules[__name__], "all_candidates", lambda: candidates)
    found = winners(target, [(None, None), ("float64", None)])
    assert found and found[0].candidate.name == "step"


def pages_at(commit, folder):
    """The chapter pages as they were at a git ``commit``, written under ``folder``."""
    import subprocess

    paths = []
    for page in chapter_pages():
        relative = page_source(page).relative_to(ROOT)
        text = subprocess.run(["git", "show", f"{commit}:{relative}"], cwd=ROOT, capture_output=True, text=True)
        if text.returncode == 0:
            path = Path(folder) / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.stdout)
            paths.append((path, f"{relative} at {commit}"))
    return paths


def main(argv=None):
    """Print what pasting the book earns per chapter; ``--pages-at COMMIT`` takes the pages of a commit."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--pages-at", metavar="COMMIT", help="judge the book pages of this git commit")
    args = parser.parse_args(argv)
    global all_candidates
    if args.pages_at:
        folder = tempfile.mkdtemp()
        candidates = [c for path, where in pages_at(args.pages_at, folder) for c in book_candidates(path, where)]
        candidates += package_candidates()
        all_candidates = lambda: candidates  # noqa: E731
    total_all = 0
    for assignment in course.assignments():
        source = load_assignment(assignment)
        found = earned(assignment)
        got = sum(e.points for e in found)
        total_all += got
        print(f"{assignment}: {got:g} of {sum(source.points.values()):g} points by pasting the book's code")
        for e in found:
            for fn, label, glue in e.how:
                print(f"    {e.test} ({e.points:g}): {fn} <- {label}, {glue}")
    print(f"all chapters: {total_all:g} points")


if __name__ == "__main__":
    main()
