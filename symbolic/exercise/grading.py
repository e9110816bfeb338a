"""Grading answers against an exercise key: one blank at a time (for a platform) or a class from a CSV.

:class:`KeyGrader` reads key.json (written by ``gradproof exercise``) and grades an answer to one blank of
one variant at that variant's point: the grader (symbolic/grade) decides and diagnoses answers for
dL/dw, expressions and numbers alike; the other values (loss, delta's, new weights, the product along a
path and its bound) are numbers compared with the key and diagnosed against the mistakes of
mistakes.py. Scores: a correct answer gets the blank's points; an incorrect one the points times the
share that ``[grading]`` gives its diagnosed mistake (the product of the shares when a diagnosis names
several; 0 for a mistake not listed, or no diagnosis); an unreadable answer is not gradable and costs
nothing (score 0 of max_score 0).

Examples
========
>>> import json
>>> from gradproof.symbolic.exercise.grading import KeyGrader
>>> key = {"title": "t", "seed": 1, "network": {"layers": [1, 1, 1]}, "grading": {"sign": 0.5},
...        "variants": [{"variant": "v01-abcdef", "point": {"x": [0.5], "y": [0.3], "W": [[[0.4]], [[-0.6]]]},
...                      "questions": [{"question": "1", "kind": "paths", "param": "w^1_11", "points": 1,
...                                     "blanks": [{"blank": "1", "answer": 1}]}]}]}
>>> g = KeyGrader(key)
>>> r = g.grade("v01-abcdef", "1", "1")
>>> r.verdict, r.score, r.max_score
('correct', 1.0, 1.0)
>>> g.grade("v01-abcdef", "1", "two").verdict
'invalid'
"""
import math
from dataclasses import dataclass, field

import numpy as np

from gradproof.numeric.errors import GradproofError

from ..grade import diagnosis
from ..grade.parser import AnswerError, read, shown
from . import key, mistakes
from .generate import path_neurons
from .key import DEFAULT_RTOL, Assignment, Expression, Gradient


@dataclass
class Graded:
    """One answer's grade: the columns of a results row, and how the answer was read."""

    variant: str
    question: str
    score: float
    max_score: float
    verdict: str
    diagnosis: list = field(default_factory=list)
    feedback: str = ""
    parsed_latex: str | None = None
    id: str = ""

    @property
    def gradable(self):
        return self.verdict != "invalid"

    def to_json(self):
        return {"id": self.id, "variant": self.variant, "question": self.question, "score": self.score,
                "max_score": self.max_score, "verdict": self.verdict, "diagnosis": list(self.diagnosis),
                "feedback": self.feedback, "parsed_latex": self.parsed_latex}


def _fmt(value):
    return "no real value" if value is None else f"{value:.6g}"


class KeyGrader:
    """Grades answers to the blanks of a key's variants, each at its own variant's point."""

    def __init__(self, assignment, source="key"):
        from ..grade.grader import Grader
        if not isinstance(assignment, Assignment):
            assignment = key.from_json(assignment, source)
        self.assignment, self.source = assignment, source
        self.spec = assignment.spec
        self.grading = assignment.grading
        self.grader = Grader(self.spec)
        self.model = self.grader.model
        self.variants = {v.id: v for v in assignment.variants}
        self.blanks = {}
        for v in assignment.variants:
            for q in assignment.questions:
                for b in v.blanks[q.number]:
                    self.blanks[(v.id, b.id)] = (q, b)
        self._points = {}
        self._tables = {}

    @classmethod
    def from_file(cls, path):
        return cls(key.load(path), source=str(path))

    def prepare(self):
        """Build every question's derivation and mistakes now (before workers fork, so they share them)."""
        for v in self.assignment.variants[:1]:
            for q in self.assignment.questions:
                for b in v.blanks[q.number]:
                    if isinstance(b.quantity, (Gradient, Expression)):
                        question = self.grader.question(b.quantity.param)
                        question.candidates()
                        if isinstance(b.quantity, Expression):
                            question.symbolic()
        return self

    # ---- where --------------------------------------------------------------------------------
    def point(self, variant):
        """The variant's Point and its float64 Points (kept for the grader's cache, which is keyed by the object)."""
        if variant not in self._points:
            p = self.variants[variant].point
            self._points[variant] = (p, mistakes.FloatPoints(self.model, [mistakes.base_of(self.model, p)]))
        return self._points[variant]

    def check(self, variant, blank):
        """(Question, Blank) of a variant's blank; an error naming what the key has when it is not in it."""
        if variant not in self.variants:
            ids = list(self.variants)
            span = f"{ids[0]} … {ids[-1]}" if len(ids) > 2 else ", ".join(ids)
            raise GradproofError(f"variant {shown(variant, 40)!r} is not in the key ({len(ids)} variants: {span})")
        if (variant, blank) not in self.blanks:
            have = [b.id for b in self.variants[variant].all_blanks()]
            raise GradproofError(f"blank {shown(blank, 40)!r} is not a question of {variant}; its blanks: "
                                 + ", ".join(have[:8]) + (" …" if len(have) > 8 else ""))
        return self.blanks[(variant, blank)]

    def total_points(self, variant):
        return sum(float(q.points) for q in self.assignment.questions)

    # ---- grading ------------------------------------------------------------------------------
    def grade(self, variant, blank_id, answer, ident=""):
        """A Graded for one answer to one blank of one variant."""
        question, blank = self.check(variant, blank_id)
        points = float(blank.points)
        verdict, codes, message, latex = self._grade(question, blank, variant, answer)
        if verdict == "invalid":
            score, max_score = 0.0, 0.0
            feedback = f"**Invalid** (this answer costs nothing): {message}"
        elif verdict == "correct":
            score, max_score = points, points
            feedback = f"**Correct.** {message}"
        else:
            kept = self.grading.share(codes)
            score, max_score = points * kept, points
            credit = f" Partial credit: {kept:g} of the points for this mistake." if kept else ""
            feedback = f"**Incorrect.** {message}{credit}"
        return Graded(variant, blank_id, round(score, 10), max_score, verdict, list(codes), feedback, latex, ident)

    def _grade(self, question, blank, variant, answer):
        """(verdict, codes, message in Markdown, how the answer was read), by the blank's quantity."""
        if answer is None or not str(answer).strip():
            return "invalid", (), "the answer is empty.", None
        for cls in type(blank.quantity).__mro__:
            method = getattr(self, f"_grade_{cls.__name__}", None)
            if method is not None:
                return method(question, blank, variant, answer)
        raise GradproofError(f"no grading for a {type(blank.quantity).__name__} blank")

    def _number(self, answer):
        """(the answer's value or None, how it was read) or (an error message, None) for an unreadable one."""
        import sympy as sp

        from ..grade.equivalence import to_float
        try:
            reading = read(answer, self.model)
        except AnswerError as error:
            return None, None, _md(str(error))
        if reading.math.free_symbols:
            return None, reading.latex, "a number is asked for here, not an expression."
        return to_float(sp.N(reading.math, 30)), reading.latex, None

    def _grade_PathCount(self, question, blank, variant, answer):
        got, latex, error = self._number(answer)
        if error:
            return "invalid", (), error, latex
        expected = blank.answer
        if got is None or not float(got).is_integer():
            return "invalid", (), "the number of paths is a whole number.", latex
        if int(got) == int(expected):
            return "correct", (), f"{int(expected)} paths.", latex
        out = self.spec.activation(self.spec.depth)
        coupled = (f", and of an output O_{self.spec.depth}m after each z_{self.spec.depth}j (the {out.prose} couples "
                   "its layer), so that product times the output width") if out.couples else \
            ", so the product of the later layers' widths"
        return "incorrect", (), (f"There are {int(expected)} paths, not {int(got)}: one for each choice of a "
                                 f"neuron in every later layer{coupled}."), latex

    def _grade_Quantity(self, question, blank, variant, answer):
        """A number compared with the key within the blank's rtol; a wrong one diagnosed with the blank's mistakes."""
        got, latex, error = self._number(answer)
        if error:
            return "invalid", (), error, latex
        expected, rtol = blank.answer, float(blank.rtol or DEFAULT_RTOL)
        if got is not None and abs(got - expected) <= rtol * max(abs(expected), 1e-12):
            return "correct", (), f"{_fmt(expected)} at your point (relative tolerance {rtol:g}).", latex
        codes, details = ((), ())
        if got is not None:
            codes, details = self.mistake_table(variant, blank.id).match(np.array([got]), rtol=rtol)
        return "incorrect", codes, self._wrong(expected, got, codes, details, self._where(variant)), latex

    def _grade_Expression(self, question, blank, variant, answer):
        param = blank.quantity.param
        result = self.grader.grade(param, answer)
        if result.verdict != "incorrect":
            return result.verdict, tuple(result.diagnosis), _md(result.message), result.parsed_latex
        at_point = self._at_variant_point(param, variant, answer)
        details = (result.message.split(" Here: ", 1)[1].rstrip("."),) if " Here: " in result.message else ()
        if at_point is not None:
            expected, got = at_point
            message = (f"Not equal to ∂L/∂{param}: at your point ({self._where(variant)}) it is {_fmt(expected)}; "
                       f"your expression gives {_fmt(got)}.")
        else:           # equal at this point by chance: the grader's counterexample shows where it differs
            message = f"Not equal to ∂L/∂{param}. " + _counterexample(result.counterexample)
        message += _sentences(result.diagnosis, details)
        return "incorrect", tuple(result.diagnosis), message, result.parsed_latex

    def _at_variant_point(self, param, variant, answer):
        """(expected, got) at the variant's point when the answer differs there, else None."""
        from ..grade.equivalence import Float64
        try:
            reading = read(answer, self.model)
            _, points = self.point(variant)
            got = float(points.evaluate(reading.math, Float64, partials=self.grader.partials, keep=False)[0])
        except Exception:  # noqa: BLE001  the grader has read it already; a value here is only for the feedback
            return None
        expected = self._gradient_value(param, variant)
        if math.isfinite(got) and abs(got - expected) <= 1e-9 * max(abs(expected), 1e-12):
            return None
        return expected, (got if math.isfinite(got) else None)

    def _gradient_value(self, param, variant):
        from gradproof.numeric.backprop import backprop
        p, _ = self.point(variant)
        return backprop(self.spec, p).value(param)

    def _grade_Gradient(self, question, blank, variant, answer):
        param = blank.quantity.param
        rtol = float(blank.rtol or DEFAULT_RTOL)
        try:
            reading = read(answer, self.model)
        except AnswerError as error:
            return "invalid", (), _md(str(error)), None
        if reading.math.free_symbols:
            return "invalid", (), "a number is asked for here (the value at your point), not an expression.", reading.latex
        p, _ = self.point(variant)
        result = self.grader.grade(param, answer, at=p, rtol=rtol)
        if result.verdict != "incorrect":
            return result.verdict, tuple(result.diagnosis), _md(result.message), result.parsed_latex
        c = result.counterexample or {}
        message = (f"Not equal to ∂L/∂{param}: at your point ({self._where(variant)}) it is {_fmt(c.get('expected'))}, "
                   f"your answer gives {_fmt(c.get('got'))}." + _sentences(result.diagnosis, ()))
        return "incorrect", tuple(result.diagnosis), message, result.parsed_latex

    # ---- the diagnosed mistakes of a numeric blank --------------------------------------------
    def mistake_table(self, variant, blank_id):
        """The diagnosed mistakes of a numeric blank at its variant's point (a diagnosis.Candidates with one
        column), by the blank's quantity (cached per variant and blank)."""
        question, blank = self.check(variant, blank_id)
        cache = (variant, blank.id)
        if cache not in self._tables:
            for cls in type(blank.quantity).__mro__:
                method = getattr(self, f"_mistakes_{cls.__name__}", None)
                if method is not None:
                    self._tables[cache] = method(question, blank, variant)
                    break
        return self._tables[cache]

    def _mistakes_Quantity(self, question, blank, variant):
        """The simple slips (sign, factor) of the value."""
        return mistakes.simple([blank.answer])

    def _mistakes_Gradient(self, question, blank, variant):
        """Every structural variant of the derivation times the slips."""
        _, points = self.point(variant)
        return self.grader.question(blank.quantity.param).candidates(points)

    def _mistakes_NewWeight(self, question, blank, variant):
        """The gradient's mistakes carried through the update."""
        p, points = self.point(variant)
        param = blank.quantity.param
        gradient = self.grader.question(param).candidates(points)
        return mistakes.updated(gradient, p.param_value(param), float(question.lr))

    def _mistakes_PathProduct(self, question, blank, variant):
        """The activation-derivative and '+'-for-'x' variants of the product."""
        _, points = self.point(variant)
        product = mistakes.PathProduct(self.model, path_neurons(self.spec, question.param, question.path))
        return mistakes.of_expressions(product.structural(), product.closed, points)

    def _where(self, variant):
        p, _ = self.point(variant)
        xs = ", ".join(f"x_{i + 1} = {v:g}" for i, v in enumerate(p.x[0]))
        ys = ", ".join(f"y_{j + 1} = {v:g}" for j, v in enumerate(p.y[0]))
        return f"{xs}; {ys}; the weights of {variant}"

    @staticmethod
    def _wrong(expected, got, codes, details, where):
        return (f"At your point ({where}) the value is {_fmt(expected)}; your answer gives {_fmt(got)}."
                + _sentences(codes, details))


def _sentences(codes, details):
    if not codes:
        return " None of the common mistakes explains the difference."
    text = " " + " ".join(diagnosis.SENTENCES[c] for c in codes)
    return text + (f" Here: {'; '.join(details)}." if details else "")


def _counterexample(c):
    if not c:
        return ""
    point = ", ".join(f"{k} = {v:.4g}" for k, v in c["point"].items()) if isinstance(c.get("point"), dict) else ""
    return f"Counterexample: at {point} the derivative is {_fmt(c['expected'])}, your answer gives {_fmt(c['got'])}."


def _md(text):
    """Plain text made safe as Markdown (the answer's own characters may appear in a message)."""
    out = []
    for ch in str(text):
        out.append("\\" + ch if ch in "\\`*_[]<>#|" else ch)
    return "".join(out)
