"""Grade one answer for dL/dparam: read it, decide equivalence, and diagnose the mistake when it is wrong.

A Grader holds, per spec, the model, the random points (with every z, O and delta there) and the
Leibniz partials' values; per parameter (a Question), the derivation, the expected values at the
points and the diagnosis's variants. Each answer then costs one parse and one walk of its expression
over the points. Every answer runs under a time limit: a hostile one is invalid within seconds.
"""
import math
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import parse_param

from ..chain import delta_definition, derive, settle
from ..model import L, Model
from ..printing import Partial, text
from . import diagnosis
from .equivalence import DIGITS, Float64, Mp50, Partials, Points, first_difference, random_base, round_base, to_float, walk
from .parser import ETA, AnswerError, read, shown

DEFAULT_RTOL = 1e-3        # for a number compared with the value at --at
POINT_COUNT = 12           # random points for symbolic answers
ROUND_COUNT = 24           # points of small round numbers, where a counterexample is shown
CLEAR = 0.1                # a counterexample's two values differ by at least this fraction of the larger
TIME_LIMIT = 1.5           # CPU seconds to read and evaluate one answer
SYMBOLIC_TIME = 0.3        # seconds sympy may take to show an equal answer equal symbolically
SYMBOLIC_OPS = 300         # answers larger than this are decided by the points alone
READBACK_LIMIT = 600       # characters of the answer read back in a message


class TimeLimit(Exception):
    """An answer took longer than its time to grade."""


@contextmanager
def time_limit(seconds):
    """Raise TimeLimit in this block after ``seconds`` of this process's CPU time.

    CPU time, not wall time, so that a busy machine does not fail a fair answer; SIGPROF is used
    where it can be (the main thread of a Unix process), and the block runs unbounded elsewhere.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise TimeLimit()

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@dataclass
class Result:
    """A verdict (correct, incorrect or invalid), how the answer was read, why, and where it fails."""

    verdict: str
    parsed_latex: str | None
    message: str
    diagnosis: list = field(default_factory=list)
    counterexample: dict | None = None
    param: str | None = None
    method: str | None = None

    @property
    def correct(self):
        return self.verdict == "correct"

    @property
    def exit_code(self):
        return {"correct": 0, "incorrect": 1}.get(self.verdict, 2)

    def to_json(self):
        return {"verdict": self.verdict, "parsed_latex": self.parsed_latex, "message": self.message,
                "diagnosis": list(self.diagnosis), "counterexample": self.counterexample,
                "param": self.param, "method": self.method}


# said beside the diagnosis when an answer is right with its δ's read as ∂L/∂z (Grader._textbook_delta)
DELTA_CONVENTION = ("your answer is right if δ means ∂L/∂z, as many textbooks define it; in these notes "
                    "δ_kj = ∂L/∂O_kj, the derivative by the neuron's output, so ∂L/∂z_kj = δ_kj f'(z_kj)")


class Question:
    """dL/dparam prepared for grading: the derivation, its values at the points, the diagnosis's variants."""

    def __init__(self, grader, param):
        self.grader, self.param = grader, param
        model = grader.model
        self.symbol = model.symbols[param]
        self.derivation = derive(model.spec, param, model)
        self.data = diagnosis.data_part(self.derivation)
        self.reg = model.regularization_derivative(param)
        points = grader.points
        with mpmath.workdps(DIGITS):        # the sum too must be taken in 50 digits
            self.expected = points.evaluate(self.data, Mp50) + points.evaluate(self.reg, Mp50)
        self._candidates = None
        self._structural = None
        self._pairs = None

    @property
    def structural(self):
        if self._structural is None:
            self._structural = diagnosis.variants(self.derivation)
        return self._structural

    def candidates(self, points=None, combine=None):
        """The variants' values at the grader's points (cached), or summed over a POINT's samples."""
        if points is None and self._candidates is not None:
            return self._candidates
        where = points or self.grader.points
        combine = combine or (lambda v: v)
        values = [(v, combine(where.evaluate(v.expr, Float64))) for v in self.structural]
        data = combine(where.evaluate(self.data, Float64))
        reg = where.evaluate(self.reg, Float64)[:len(data)]          # once per POINT, not per sample
        found = diagnosis.Candidates(values, data, reg, self.reg != 0)
        if points is None:
            self._candidates = found
        return found

    def round_expected(self):
        """The derivative's float values at the grader's points of round numbers."""
        if getattr(self, "_round_expected", None) is None:
            where = self.grader.round_points
            self._round_expected = where.evaluate(self.data, Float64) + where.evaluate(self.reg, Float64)
        return self._round_expected

    def pairs(self):
        """Candidates for two mistakes at once at the grader's points (built on first need, then kept)."""
        if self._pairs is None:
            where = self.grader.points
            values = where.values[Float64.name]
            rows, tables = [], {}
            for codes, detail, expr, swaps in diagnosis.pairs(self.derivation, self.structural):
                key = tuple(sorted(swaps.items(), key=str))
                if key not in tables:            # the variants under one slip share its table and memo
                    table = dict(values)
                    table.update({s: values[o] for s, o in swaps.items() if o in values})
                    tables[key] = (table, {} if swaps else dict(where.memo[Float64.name]))
                table, memo = tables[key]
                with np.errstate(all="ignore"):
                    rows.append((diagnosis.Variant(codes, detail, None), walk(expr, table, Float64, where.n, memo)))
            data = where.evaluate(self.data, Float64)
            self._pairs = diagnosis.Candidates(rows, data, where.evaluate(self.reg, Float64), self.reg != 0)
        return self._pairs

    def symbolic(self):
        """The expected derivative in O, z, x, y, w, b with f_k(z_kj) written O_kj, for sympy to compare."""
        if not self.derivation.readable:
            return None
        return self.grader.in_O(settle(self.derivation.closed_form))


class Grader:
    """Grades answers for one spec; builds each parameter's Question once and reuses it.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.grade import Grader
    >>> g = Grader(Spec())
    >>> g.grade("w^3_11", r"-2(y - \\hat{y}) \\hat{y}(1 - \\hat{y}) O_{21}").verdict
    'correct'
    >>> r = g.grade("w^3_11", r"2(y - \\hat{y}) \\hat{y}(1 - \\hat{y}) O_{21}")
    >>> r.verdict, r.diagnosis
    ('incorrect', ['sign'])
    >>> g.grade("w^3_11", "q_7").verdict
    'invalid'
    """

    def __init__(self, spec, points=POINT_COUNT, seed=0):
        self.spec = spec
        self.model = Model(spec)
        self.point_count, self.seed = points, seed
        self.partials = Partials(self.model)
        self._points = None
        self._round = None
        self._questions = {}
        self._at = {}
        self._compiled = None

    @property
    def points(self):
        if self._points is None:
            self._points = Points(self.model, random_base(self.spec, self.model, self.point_count, self.seed))
        return self._points

    @property
    def round_points(self):
        if self._round is None:
            self._round = Points(self.model, round_base(self.spec, self.model, ROUND_COUNT, self.seed),
                                 arithmetics=(Float64,))
        return self._round

    def round_counterexample(self, question, math_):
        """{point, expected, got} at the first point of small round numbers where the answer clearly differs
        from the derivative, or None when it differs clearly at none of them."""
        where = self.round_points
        if where.n == 0:
            return None
        expected = question.round_expected()
        got = where.evaluate(math_, Float64, partials=self.partials, keep=False)
        with np.errstate(all="ignore"):
            size = np.maximum(np.abs(got), np.abs(expected))
            clear = np.isfinite(got) & (np.abs(got - expected) > CLEAR * size) & (size > 1e-6)
        found = np.flatnonzero(clear)
        if found.size == 0:
            return None
        i = int(found[0])
        extra = [s for s in math_.free_symbols if s == ETA]
        return {"point": where.point(i, extra), "expected": float(expected[i]), "got": float(got[i])}

    def question(self, param):
        if param not in self._questions:
            self._questions[param] = Question(self, param)
        return self._questions[param]

    def in_O(self, expr):
        """expr with every f_k(z_kj) written O_kj and every delta expanded, for a symbolic comparison."""
        m, n = self.model, self.spec.layers
        table = {self.spec.activation(k).sympy_output(sp, m.z[k][1:], j): m.O[k][j]
                 for k in range(1, len(n)) for j in range(1, n[k] + 1)}
        for _ in range(len(n)):
            deltas = m.deltas_in(expr)
            if not deltas:
                break
            expr = expr.xreplace({d: delta_definition(m, k, j) for d, (k, j) in deltas.items()})
        return expr.xreplace(table)

    # ---- grading -------------------------------------------------------------------------------
    def grade(self, param, answer, at=None, rtol=DEFAULT_RTOL):
        """A Result for an answer to dL/dparam (param: a Param or its name); ``at``: a Point for numbers."""
        try:
            param = self.spec.check_param(parse_param(param) if isinstance(param, str) else param)
        except GradproofError as error:
            return Result("invalid", None, f"unknown parameter: {error}", param=shown(str(param), 40))
        question = self.question(param)           # built outside the answer's time limit
        reading = None
        try:
            with time_limit(TIME_LIMIT):
                reading = read(answer, self.model)
                outcome = self._grade(question, reading, at, rtol)
            # what is left (the diagnosis, a symbolic proof) has its own bounds, and builds the
            # parameter's variants once, so it runs outside the answer's time
            return _read_back(outcome() if callable(outcome) else outcome, reading)
        except AnswerError as error:
            return Result("invalid", reading.latex if reading else None, str(error), param=str(param))
        except TimeLimit:
            return Result("invalid", reading.latex if reading else None,
                          f"the answer took longer than {TIME_LIMIT:g} s to grade", param=str(param))
        except RecursionError:
            return Result("invalid", reading.latex if reading else None, "the answer is nested too deeply",
                          param=str(param))

    def _grade(self, question, reading, at, rtol):
        param = question.param
        asked = Partial(L, question.symbol)
        invalid = lambda message: Result("invalid", reading.latex, message, param=str(param))
        if reading.lhs is not None and reading.lhs != asked:
            return invalid(f"the left side is {text(reading.lhs)}, but the question asks for ∂L/∂{param}")
        sides = reading.sides or [reading]
        for side in sides:
            partials = side.math.atoms(Partial)
            if asked in partials:
                return invalid(f"the answer uses ∂L/∂{param}, the derivative it is asked for: write it out")
            outside = side.math.xreplace({p: sp.Integer(1) for p in partials})
            if L in outside.free_symbols:
                return invalid("L, the loss, appears outside a Leibniz partial: the answer must be an expression "
                               "in x, y, O, z, w, b (and partials)")
        if len(sides) == 1:
            return self._grade_side(question, reading, reading.math, at, rtol)
        # a chain A = B = C: every side must be the derivative; the first that is not is graded and named
        for number, side in enumerate(sides, start=1):
            if not self._equal(question, side.math, at, rtol):
                outcome = self._grade_side(question, reading, side.math, at, rtol)
                return lambda: _named_side(outcome() if callable(outcome) else outcome, number, side, len(sides))
        return self._grade_side(question, reading, sides[-1].math, at, rtol)

    def _grade_side(self, question, reading, math_, at, rtol):
        if not math_.free_symbols:
            return self._grade_number(question, reading, at, rtol, math_)
        return self._grade_expression(question, reading, math_)

    def _equal(self, question, math_, at, rtol):
        """Whether one side of a chain is the derivative (a number: at --at, within rtol)."""
        if not math_.free_symbols:
            if at is None:
                return False
            got, expected = to_float(sp.N(math_, 30)), self._values_at(at)[question.param]
            return got is not None and abs(got - expected) <= rtol * max(abs(expected), 1e-12)
        got = self.points.evaluate(math_, Mp50, partials=self.partials, keep=False)
        return first_difference(got, question.expected) is None

    def _grade_expression(self, question, reading, math_=None):
        param, points = question.param, self.points
        math_ = reading.math if math_ is None else math_
        got = points.evaluate(math_, Mp50, partials=self.partials, keep=False)
        failing = first_difference(got, question.expected)
        if failing is None:
            return lambda: self._correct(question, reading, math_)
        floats = np.array([to_float(v) if to_float(v) is not None else np.nan for v in got])
        extra = [s for s in math_.free_symbols if s == ETA]
        counterexample = {"point": points.point(failing, extra), "expected": to_float(question.expected[failing]),
                          "got": to_float(got[failing])}

        def diagnose():
            counterexample.update(self.round_counterexample(question, math_) or {})
            codes, details = question.candidates().match(floats)
            if not codes:
                # one undetected mistake must not hide a detected one: try two at once
                codes, details = question.pairs().match(floats)
            if self._textbook_delta(question, math_):
                details = (*details, DELTA_CONVENTION)
            return Result("incorrect", reading.latex, self._wrong(param, codes, details, counterexample),
                          list(codes), counterexample, str(param), "numeric")
        return diagnose

    def _textbook_delta(self, question, math_):
        """Whether the answer is right once each δ_kj in it is read as ∂L/∂z_kj = δ_kj f'(z_kj): the δ of many
        textbooks, where the notes' δ_kj is ∂L/∂O_kj. (Not for a layer that couples: its δ has no one slope.)"""
        m = self.model
        deltas = m.deltas_in(math_)
        if not deltas or any(m.couples(k) for k, _ in deltas.values()):
            return False
        textbook = math_.xreplace({d: d * m.f_prime(k, j) for d, (k, j) in deltas.items()})
        got = self.points.evaluate(textbook, Mp50, partials=self.partials, keep=False)
        return first_difference(got, question.expected) is None

    def _correct(self, question, reading, math_):
        method = self._symbolic_method(question, math_)
        how = "shown symbolically" if method == "symbolic" else \
            f"at {self.points.n} random points of the network, to {DIGITS // 2} of {DIGITS} digits"
        return Result("correct", reading.latex, f"Correct: your answer equals ∂L/∂{question.param} ({how}).",
                      param=str(question.param), method=method)

    def _symbolic_method(self, question, expr):
        """'symbolic' when sympy shows the (numerically equal) answer equal quickly, else 'numeric'."""
        expected = question.symbolic()
        if expected is None or sp.count_ops(expr) > SYMBOLIC_OPS:
            return "numeric"
        try:
            with time_limit(SYMBOLIC_TIME):
                answer = self.in_O(expr.xreplace({p: self.partials.expr(p) for p in expr.atoms(Partial)}))
                return "symbolic" if sp.expand(answer - expected) == 0 else "numeric"
        except TimeLimit:
            return "numeric"

    def _grade_number(self, question, reading, at, rtol, math_=None):
        param = question.param
        math_ = reading.math if math_ is None else math_
        if at is None:
            return Result("invalid", reading.latex, "a number can only be compared with the gradient at a point: "
                          "give --at POINT (or write the answer as an expression)", param=str(param))
        got = to_float(sp.N(math_, 30))
        expected = self._values_at(at)[param]
        counterexample = {"point": at.to_json(), "expected": expected, "got": got}
        if got is not None and abs(got - expected) <= rtol * max(abs(expected), 1e-12):
            return Result("correct", reading.latex, f"Correct: your number matches ∂L/∂{param} = {expected:.6g} "
                          f"at the point (relative tolerance {rtol:g}).", param=str(param), method="numeric",
                          counterexample=None)

        def diagnose():
            codes, details = (), ()
            if got is not None:
                candidates = self._candidates_at(question, at)
                figures, needed = reading.figures, figures_needed(rtol)
                if figures is not None and figures < needed and got != 0:
                    # a number given to too few figures: first, is it the gradient rounded (or cut) within one
                    # unit of its last written figure? Else a mistake at that precision, and the rounding.
                    unit = 10.0 ** (math.floor(math.log10(abs(got))) - figures + 1)
                    rounded = f"matches to {figures} significant figure{'s' * (figures > 1)}; give at least {needed}"
                    if abs(got - expected) <= unit * (1 + 1e-9):
                        codes, details = ("rounding",), (rounded,)
                    else:
                        codes, details = candidates.match(np.array([got]), rtol=unit / abs(got))
                        if codes:
                            codes, details = codes + ("rounding",), details + (rounded,)
                else:
                    codes, details = candidates.match(np.array([got]), rtol=rtol)
            return Result("incorrect", reading.latex, self._wrong(param, codes, details, counterexample),
                          list(codes), counterexample, str(param), "numeric")
        return diagnose

    def _values_at(self, at):
        from ..evaluate import Compiled
        if id(at) not in self._at:
            if self._compiled is None:
                self._compiled = Compiled(self.model)
            self._at[id(at)] = (at, self._compiled.evaluate(at).gradients, {})
        return self._at[id(at)][1]

    def _candidates_at(self, question, at):
        """The variants at a POINT file: per sample, summed (or averaged) like the loss, plus the penalty once."""
        self._values_at(at)
        store = self._at[id(at)][2]
        if "points" not in store:
            base = [{**self.model.point_values(at, s), ETA: 0.1} for s in range(at.samples)]
            store["points"] = Points(self.model, base)
        if question.param not in store:
            scale = at.samples if self.spec.reduction == "mean" else 1
            store[question.param] = question.candidates(store["points"], lambda v: np.array([np.sum(v) / scale]))
        return store[question.param]

    @staticmethod
    def _wrong(param, codes, details, counterexample):
        expected, got = counterexample["expected"], counterexample["got"]
        value = (f"at {_where(counterexample['point'])} it is {expected:.6g}, your answer gives "
                 + (f"{got:.6g}" if got is not None else "no real value"))
        if not codes:
            return (f"Not equal to ∂L/∂{param}: {value}. None of the common mistakes explains the difference; "
                    "compare your chain rule with the paths from the parameter to L.")
        sentences = " ".join(diagnosis.SENTENCES[c] for c in codes)
        here = f" Here: {'; '.join(details)}." if details else ""
        return f"Not equal to ∂L/∂{param} ({value}). {sentences}{here}"


def _read_back(result, reading):
    """The result with the answer as read in its message (and how an ambiguous spelling was taken), so that a
    student sees what was graded."""
    notes = "".join(f" Note: {note}." for note in reading.notes)
    said = reading.readback if len(reading.readback) <= READBACK_LIMIT else reading.readback[:READBACK_LIMIT] + "…"
    result.message = f"{result.message} Read as: {said}.{notes}"
    return result


def _where(point):
    """The point a message refers to, written out (so that a batch's message carries it), or the --at POINT."""
    if not all(isinstance(v, float) for v in point.values()):
        return "the --at point"
    return "the point " + ", ".join(f"{k} = {v:.4g}" for k, v in point.items())


def _named_side(result, number, side, count):
    """A chain's result, its message saying which side after '=' is not the derivative."""
    if result.verdict == "incorrect":
        which = "the last" if number == count else f"{_ORDINALS.get(number, f'{number}th')}"
        result.message = f"In your chain of {count} expressions, {which} ({side.latex}) is wrong. " + result.message
    return result


_ORDINALS = {1: "the first", 2: "the second", 3: "the third", 4: "the fourth", 5: "the fifth"}

def figures_needed(rtol):
    """The significant figures a number needs to be within rtol of any value: 4 for 1e-3.

    Rounding to n figures moves a number by up to half a unit of its n-th figure, 0.5·10^(1-n) of it at most.
    """
    return max(1, math.ceil(1 - math.log10(2 * rtol) - 1e-9))


_GRADERS = {}


def grade(spec, param, answer, at=None, rtol=DEFAULT_RTOL):
    """Grade one answer with the spec's cached Grader (built on first use in this process)."""
    if spec not in _GRADERS:
        _GRADERS[spec] = Grader(spec)
    return _GRADERS[spec].grade(param, answer, at, rtol)
