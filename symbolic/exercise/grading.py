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
import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Neuron

from ..grade.parser import AnswerError, read, shown
from . import key, mistakes
from .generate import path_neurons
from .key import DEFAULT_RTOL, Assignment, Delta, Expression, Gradient, NewWeight


@dataclass
class Graded:
    """One answer's grade: the columns of a results row, how the answer was read, and its exact score."""

    variant: str
    question: str
    score: float
    max_score: float
    verdict: str
    diagnosis: list = field(default_factory=list)
    feedback: str = ""
    parsed_latex: str | None = None
    id: str = ""
    value: float | None = None      # the number as read (numeric blanks)
    empty: bool = False             # no answer at all
    carried: tuple = ()             # the earlier blanks a carried-forward answer was computed from
    exact: Fraction = Fraction(0)   # score and max_score as exact fractions (totals add these, then round once)
    exact_max: Fraction = Fraction(0)
    counted: bool = True            # False: a later answer to the same blank, or a row under another variant

    @property
    def gradable(self):
        return self.verdict != "invalid"

    def to_json(self):
        return {"id": self.id, "variant": self.variant, "question": self.question, "score": self.score,
                "max_score": self.max_score, "verdict": self.verdict, "diagnosis": list(self.diagnosis),
                "feedback": self.feedback, "parsed_latex": self.parsed_latex, "counted": self.counted}


@dataclass
class Outcome:
    """What grading found, before it is scored and worded: the verdict, the diagnosis, why an answer is invalid
    (``reason``), the sentence with values (``values``: shown at the "full" feedback level only) and how the
    answer was read."""

    verdict: str
    codes: tuple = ()
    reason: str = ""
    values: str = ""
    details: tuple = ()
    latex: str | None = None
    value: float | None = None
    empty: bool = False
    explain: str = ""           # the diagnosis level's sentence when no code names the mistake


_DANGLING_EXPONENT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)\s*[eE]\s*")
TRIVIAL = (0.0, 1.0, -1.0)
MULTIPLES = (1.0, -1.0, 2.0, -2.0, 0.5, -0.5)
MAX_CODES = 2               # a diagnosis combining more mistakes than this explains nothing


def _fmt(value):
    return "no real value" if value is None else f"{value:.6g}"


def round_figures(value, figures):
    if value == 0 or figures is None or figures < 1:
        return value
    return float(f"{value:.{figures - 1}e}")


class KeyGrader:
    """Grades answers to the blanks of a key's variants, each at its own variant's point, and scores them by the
    key's grading rules (key.Grading)."""

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
        self.points = {}
        for v in assignment.variants:
            for q in assignment.questions:
                for b in v.blanks[q.number]:
                    self.blanks[(v.id, b.id)] = (q, b)
                    self.points[(v.id, b.id)] = key.blank_points(q, len(v.blanks[q.number]))
        self._points = {}
        self._tables = {}
        self._forward = {}

    @classmethod
    def from_file(cls, path):
        return cls(key.load(path), source=str(path))

    def prepare(self):
        """Build every question's derivation and mistakes now (before workers fork, so they share them)."""
        for v in self.assignment.variants[:1]:
            for q in self.assignment.questions:
                for b in v.blanks[q.number]:
                    if isinstance(b.quantity, (Gradient, Expression, NewWeight)):
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

    def backprop(self, variant):
        if variant not in self._forward:
            from gradproof.numeric.backprop import backprop
            self._forward[variant] = backprop(self.spec, self.variants[variant].point)
        return self._forward[variant]

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
        return sum(key._exact(q.points) for q in self.assignment.questions)

    # ---- grading one answer -------------------------------------------------------------------
    def grade(self, variant, blank_id, answer, ident=""):
        """A Graded for one answer to one blank of one variant, scored and worded by the key's rules (the
        function a course platform calls for one blank)."""
        question, blank = self.check(variant, blank_id)
        if answer is None or not str(answer).strip():
            outcome = Outcome("invalid", reason="no answer", empty=True)
        else:
            outcome = self._dispatch("_grade_", blank.quantity)(question, blank, variant, str(answer))
        return self._graded(variant, blank, outcome, ident)

    def _dispatch(self, prefix, quantity):
        for cls in type(quantity).__mro__:
            method = getattr(self, f"{prefix}{cls.__name__}", None)
            if method is not None:
                return method
        raise GradproofError(f"no grading for a {type(quantity).__name__} blank")

    def _graded(self, variant, blank, outcome, ident="", carried=()):
        """Score and word an Outcome: the one place where the grading rules and the feedback level apply."""
        rules = self.grading
        points = self.points[(variant, blank.id)]
        exact, exact_max = rules.score(points, outcome.verdict, outcome.codes, bool(carried), outcome.empty)
        return Graded(variant, blank.id, rules.rounded(exact), rules.rounded(exact_max), outcome.verdict,
                      list(outcome.codes), self._feedback(outcome, carried, exact, exact_max), outcome.latex, ident,
                      outcome.value, outcome.empty, tuple(carried), exact, exact_max)

    def _feedback(self, outcome, carried, exact, exact_max):
        level, rules = self.grading.feedback, self.grading
        if outcome.verdict == "invalid":
            head = "**No answer.**" if outcome.empty else f"**Invalid**: {_md(outcome.reason).rstrip('.')}."
            cost = " It costs nothing: answer again." if rules.costs_nothing(outcome.empty) else \
                " It scores 0 of its points."
            return head + cost
        if outcome.verdict == "correct":
            if carried:
                text = (f"**Correct from your own earlier answers** (carried forward from "
                        f"{', '.join(carried)}, whose values it uses).")
                if exact != exact_max:
                    text += f" It keeps {rules.carried:g} of the points."
                return text
            return "**Correct.**" + (f" {outcome.values}" if level == "full" and outcome.values else "")
        text = "**Incorrect.**"
        if level == "verdict":
            return text
        if level == "full" and outcome.values:
            text += " " + outcome.values
        if outcome.codes:
            text += _sentences(outcome.codes, outcome.details)
        else:
            text += " " + (outcome.explain or "No known mistake explains this value.")
        if exact:
            text += f" Partial credit: {rules.share(outcome.codes):g} of the points for this mistake."
        return text

    def _number(self, answer):
        """(value or None, how it was read, figures, the reason it is invalid or "")."""
        import sympy as sp

        from ..grade.equivalence import to_float
        if _DANGLING_EXPONENT.fullmatch(answer):
            return None, None, None, (f"{shown(answer.strip(), 20)} is not a number: the exponent after e is missing "
                                      "(write 5e-3 for 0.005)")
        try:
            reading = read(answer, self.model)
        except AnswerError as error:
            return None, None, None, str(error)
        if reading.math.free_symbols:
            return None, reading.latex, None, "a number is asked for here, not an expression"
        return to_float(sp.N(reading.math, 30)), reading.latex, reading.figures, ""

    def _grade_PathCount(self, question, blank, variant, answer):
        got, latex, _, reason = self._number(answer)
        if reason:
            return Outcome("invalid", reason=reason, latex=latex)
        if got is None or not float(got).is_integer():
            return Outcome("invalid", reason="the number of paths is a whole number", latex=latex)
        expected = int(blank.answer)
        if int(got) == expected:
            return Outcome("correct", values=f"{expected} paths.", latex=latex, value=got)
        out = self.spec.activation(self.spec.depth)
        coupled = (f", and of an output O_{self.spec.depth}m after each z_{self.spec.depth}j (the {out.prose} couples "
                   "its layer), so that product times the output width") if out.couples else \
            ", so the product of the later layers' widths"
        return Outcome("incorrect", values=f"There are {expected} paths, not {int(got)}.", latex=latex, value=got,
                       explain=f"There is one path for each choice of a neuron in every later layer{coupled}.")

    def _grade_Quantity(self, question, blank, variant, answer):
        """A number compared with the key within the blank's rtol; a wrong one is diagnosed only by a mistake whose
        value explains it (rounding to the figures typed, or at most two of the blank's mistakes combined)."""
        got, latex, figures, reason = self._number(answer)
        if reason:
            return Outcome("invalid", reason=reason, latex=latex)
        expected, rtol = blank.answer, float(blank.rtol or DEFAULT_RTOL)
        if got is not None and abs(got - expected) <= rtol * max(abs(expected), 1e-12):
            return Outcome("correct", values=f"{_fmt(expected)} at your point (relative tolerance {rtol:g}).",
                           latex=latex, value=got)
        values = (f"At your point ({self._where(variant)}) the value is {_fmt(expected)}; your answer gives "
                  f"{_fmt(got)}.")
        codes, details = self.explain(variant, blank, got, figures)
        return Outcome("incorrect", codes, values=values, details=details, latex=latex, value=got)

    def explain(self, variant, blank, got, figures=None):
        """(codes, details) of the mistake that explains a wrong number, or ((), ()): the key rounded to the figures
        typed, or a row of the blank's mistakes within its tolerance combining at most MAX_CODES mistakes; never
        a trivial answer (0, ±1, or a multiple ±1, ±2, ±1/2 of another blank's answer)."""
        if got is None or not math.isfinite(got):
            return (), ()
        expected, rtol = blank.answer, float(blank.rtol or DEFAULT_RTOL)
        if figures is not None and got != 0 and got == round_figures(expected, figures):
            return ("rounding",), ()
        if self._trivial(variant, blank, got, rtol):
            return (), ()
        codes, details = self.mistake_table(variant, blank.id).match(np.array([got]), rtol=rtol)
        if len(codes) > MAX_CODES:
            return (), ()
        return tuple(codes), tuple(details)

    def _trivial(self, variant, blank, got, rtol):
        if any(abs(got - t) <= rtol * max(abs(t), 1e-12) for t in TRIVIAL):
            return True
        for other in self.variants[variant].all_blanks():
            if not isinstance(other.answer, (int, float)) or other.answer == 0 \
                    or abs(other.answer - blank.answer) <= rtol * abs(blank.answer):
                continue            # this blank itself, or another asking for the same value
            if any(abs(got - m * other.answer) <= rtol * abs(m * other.answer) for m in MULTIPLES):
                return True
        return False

    def _grade_MatrixAnswer(self, question, blank, variant, answer):
        """A matrix answer, graded on random batches of the key's network in its layout (matrix/grade.py)."""
        if getattr(self, "_matrix", None) is None:
            from ..matrix.grade import MatrixGrader
            self._matrix = MatrixGrader(self.spec)
        result = self._matrix.grade(blank.quantity.target, answer)
        if result.verdict == "invalid":
            return Outcome("invalid", codes=tuple(result.diagnosis), reason=result.message, latex=result.parsed_latex)
        if result.verdict == "correct":
            return Outcome("correct", values=_md(result.message), latex=result.parsed_latex)
        codes = tuple(result.diagnosis) if len(result.diagnosis) <= MAX_CODES else ()
        return Outcome("incorrect", codes, values=_md(result.message.split(". ", 1)[0] + "."), latex=result.parsed_latex,
                       explain=f"Not equal to ∂L/∂{blank.quantity.target}; no known mistake explains the difference.")

    def _grade_Expression(self, question, blank, variant, answer):
        param = blank.quantity.param
        excluded = self._outside_forms(question, answer)
        if excluded:
            return Outcome("incorrect", latex=excluded[1], explain=excluded[0],
                           values="")
        result = self.grader.grade(param, answer)
        if result.verdict == "invalid":
            return Outcome("invalid", reason=result.message, latex=result.parsed_latex)
        if result.verdict == "correct":
            return Outcome("correct", values=_md(result.message), latex=result.parsed_latex)
        at_point = self._at_variant_point(param, variant, answer)
        details = (result.message.split(" Here: ", 1)[1].rstrip("."),) if " Here: " in result.message else ()
        if at_point is not None:
            expected, got = at_point
            values = (f"Not equal to ∂L/∂{param}: at your point ({self._where(variant)}) it is {_fmt(expected)}; "
                      f"your expression gives {_fmt(got)}.")
        else:           # equal at this point by chance: the grader's counterexample shows where it differs
            values = f"Not equal to ∂L/∂{param}. " + _counterexample(result.counterexample)
        codes = tuple(result.diagnosis) if len(result.diagnosis) <= MAX_CODES else ()
        return Outcome("incorrect", codes, values=values, details=details, latex=result.parsed_latex,
                       explain=f"Not equal to ∂L/∂{param}; no known mistake explains the difference.")

    def _outside_forms(self, question, answer):
        """(why, how it was read) when an expression uses what its question's forms exclude, else None."""
        form = key.FORMS[question.forms]
        if form.deltas and form.partials:
            return None
        from ..printing import Partial
        try:
            reading = read(answer, self.model)
        except AnswerError:
            return None                 # the grader says why it cannot be read
        deltas = {s for row in self.model.delta[1:] for s in row[1:]}
        partials = reading.math.atoms(Partial) or (reading.lhs is None and
                                                    any(isinstance(a, Partial) for a in reading.sides or ()))
        if partials and not form.partials:
            what = "a ∂-quotient"
        elif not form.deltas and reading.math.free_symbols & deltas:
            what = "a δ"
        else:
            return None
        return (f"Your answer uses {what}, which this question excludes ({form.allows}): it asks you to carry the chain "
                "rule through, and an answer in ∂'s or δ's restates the question.", reading.latex)

    def _at_variant_point(self, param, variant, answer):
        """(expected, got) at the variant's point when the answer differs there, else None."""
        from ..grade.equivalence import Float64
        try:
            reading = read(answer, self.model)
            _, points = self.point(variant)
            got = float(points.evaluate(reading.math, Float64, partials=self.grader.partials, keep=False)[0])
        except Exception:  # noqa: BLE001  the grader has read it already; a value here is only for the feedback
            return None
        expected = self.backprop(variant).value(param)
        if math.isfinite(got) and abs(got - expected) <= 1e-9 * max(abs(expected), 1e-12):
            return None
        return expected, (got if math.isfinite(got) else None)

    # ---- a whole submission: every blank, empty ones, carried-forward errors ---------------------
    def grade_submission(self, variant, answers, questions=None, ident=""):
        """Graded for every blank of the variant (of ``questions`` only, when given) from {blank id: answer}: the
        function a platform calls for a submission, and what the class totals apply per student."""
        graded = {}
        for q in self.assignment.questions:
            if questions is None or q.id in questions:
                for b in self.variants[variant].blanks[q.number]:
                    graded[b.id] = self.grade(variant, b.id, answers.get(b.id), ident)
        return self.complete(variant, graded, questions, ident)

    def complete(self, variant, graded, questions=None, ident=""):
        """Every blank's Graded in the key's order: a blank with no answer scored by the blank rule, and an
        incorrect number that the student's own earlier answers explain made correct (carried forward)."""
        out = []
        for q in self.assignment.questions:
            if questions is not None and q.id not in questions:
                continue
            values = {}
            for b in self.variants[variant].blanks[q.number]:
                g = graded.get(b.id) or self.grade(variant, b.id, None, ident)
                if g.verdict == "incorrect" and g.value is not None:
                    carry = self._dispatch("_carry_", b.quantity)(q, b, variant, values)
                    if carry is not None:
                        value, sources = carry
                        rtol = float(b.rtol or DEFAULT_RTOL)
                        if abs(g.value - value) <= rtol * max(abs(value), 1e-12):
                            outcome = Outcome("correct", latex=g.parsed_latex, value=g.value)
                            g = self._graded(variant, b, outcome, g.id, carried=sources)
                if g.value is not None and g.verdict != "invalid":
                    values[b.id] = g.value
                out.append(g)
        return out

    def _carry_Quantity(self, question, blank, variant, values):
        return None                     # a value that depends on no other blank

    def _student(self, question, variant, quantity, values):
        """(the student's value of the blank holding ``quantity`` in the question, or the key's; the blank's id
        when the student's differs from the key)."""
        for b in self.variants[variant].blanks[question.number]:
            if b.quantity == quantity:
                mine = values.get(b.id)
                rtol = float(b.rtol or DEFAULT_RTOL)
                if mine is None or abs(mine - b.answer) <= rtol * max(abs(b.answer), 1e-12):
                    return b.answer, None
                return mine, b.id
        return None, None

    def _deltas(self, question, variant, k, values):
        """δ_k (a row, the student's where they answered) and the blanks it was taken from."""
        g = self.backprop(variant)
        row, sources = g.delta[k][0].copy(), []
        for j in range(1, self.spec.layers[k] + 1):
            mine, source = self._student(question, variant, Delta(Neuron("O", k, j)), values)
            if mine is not None:
                row[j - 1] = mine
            if source:
                sources.append(source)
        return row, sources

    def _dz(self, variant, k, delta_row):
        from gradproof.numeric.backprop import grad_z
        fwd = self.backprop(variant).forward
        return grad_z(self.spec, k, fwd.z[k][:1], fwd.O[k][:1], delta_row[None, :])[0]

    def _carry_Delta(self, question, blank, variant, values):
        """δ_kj from the student's δ's of the next layer: sum over j' of dL/dz_(k+1)j' w^(k+1)_jj'."""
        k, j = blank.quantity.neuron.layer, blank.quantity.neuron.j
        if k >= self.spec.depth:
            return None
        row, sources = self._deltas(question, variant, k + 1, values)
        if not sources:
            return None
        dz = self._dz(variant, k + 1, row)
        return float(dz @ self.backprop(variant).forward.W[k][j - 1]), sources

    def _carry_Gradient(self, question, blank, variant, values):
        """dL/dw^k_ij from the student's δ_kj: dL/dz_kj O_(k-1)i (the penalty's term as in the key)."""
        p = blank.quantity.param
        row, sources = self._deltas(question, variant, p.layer, values)
        if not sources:
            return None
        g = self.backprop(variant)
        key_row = g.delta[p.layer][0]
        fwd = g.forward
        scale = fwd.O[p.layer - 1][0, p.i - 1] if p.is_weight else 1.0
        mine, theirs = self._dz(variant, p.layer, row)[p.j - 1], self._dz(variant, p.layer, key_row)[p.j - 1]
        return float(blank.answer + scale * (mine - theirs)), sources

    def _carry_NewWeight(self, question, blank, variant, values):
        """w - eta dL/dw with the student's gradient."""
        p = blank.quantity.param
        mine, source = self._student(question, variant, Gradient(p), values)
        if source is None:
            return None
        return float(self.variants[variant].point.param_value(p) - question.lr * mine), [source]

    # ---- the diagnosed mistakes of a numeric blank --------------------------------------------
    def mistake_table(self, variant, blank_id):
        """The diagnosed mistakes of a numeric blank at its variant's point (a diagnosis.Candidates with one
        column), by the blank's quantity (cached per variant and blank)."""
        question, blank = self.check(variant, blank_id)
        cache = (variant, blank.id)
        if cache not in self._tables:
            self._tables[cache] = self._dispatch("_mistakes_", blank.quantity)(question, blank, variant)
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

def _sentences(codes, details):
    if not codes:
        return " None of the common mistakes explains the difference."
    from .assignment import SENTENCES
    text = " " + " ".join(SENTENCES[c] for c in codes)
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
