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
import json
import math
from dataclasses import dataclass, field

import numpy as np

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import parse_param
from gradproof.numeric.point import from_mapping as point_from_mapping
from gradproof.numeric.spec import Spec

from ..grade import diagnosis
from ..grade.parser import AnswerError, read, shown
from . import mistakes
from .generate import path_neurons


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


def spec_of(network):
    """The Spec of a key's "network" entry (Spec.to_json's layout)."""
    names = {"layers": "layers", "activations": "activations", "bias": "bias", "loss": "loss",
             "reduction": "reduction", "regularization": "regularization", "lambda": "lam"}
    try:
        return Spec(**{names[k]: (tuple(v) if k in ("layers", "activations") else v)
                       for k, v in network.items() if k in names})
    except (GradproofError, TypeError) as error:
        raise GradproofError(f"the key's network is not a network spec: {error}") from None


def load_key(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise GradproofError(f"key file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GradproofError(f"cannot read key file {str(path)!r}: {error}") from None
    except json.JSONDecodeError as error:
        raise GradproofError(f"{path}: not valid JSON: {error}") from None


def share(shares, codes):
    """The share of the points a diagnosis keeps: the product of its mistakes' shares (0 when one is not listed)."""
    if not codes:
        return 0.0
    return math.prod(float(shares.get(c, 0.0)) for c in codes)


def _fmt(value):
    return "no real value" if value is None else f"{value:.6g}"


class KeyGrader:
    """Grades answers to the blanks of a key's variants, each at its own variant's point."""

    def __init__(self, key, source="key"):
        from ..grade.grader import Grader
        if not isinstance(key, dict) or not isinstance(key.get("variants"), list) or "network" not in key:
            raise GradproofError(f"{source}: not an exercise key (no network and variants)")
        self.key, self.source = key, source
        self.spec = spec_of(key["network"])
        self.shares = dict(key.get("grading") or {})
        self.grader = Grader(self.spec)
        self.model = self.grader.model
        self.variants = {}
        self.blanks = {}
        for v in key["variants"]:
            self.variants[v["variant"]] = v
            for q in v["questions"]:
                for b in q["blanks"]:
                    self.blanks[(v["variant"], b["blank"])] = (q, b)
        self._points = {}
        self._tables = {}

    @classmethod
    def from_file(cls, path):
        return cls(load_key(path), source=str(path))

    def prepare(self):
        """Build every question's derivation and mistakes now (before workers fork, so they share them)."""
        for v in self.key["variants"][:1]:
            for q in v["questions"]:
                names = [q["param"]] if q["kind"] in ("expression", "gradient") else []
                if q["kind"] == "step":
                    names += [b["blank"].split(".", 1)[1][4:] for b in q["blanks"] if ".dL/d" in b["blank"]]
                for name in names:
                    question = self.grader.question(self.spec.check_param(parse_param(name)))
                    question.candidates()
                    if q["kind"] == "expression":
                        question.symbolic()
        return self

    # ---- where --------------------------------------------------------------------------------
    def point(self, variant):
        """The variant's Point (kept for the grader's cache, which is keyed by the object)."""
        if variant not in self._points:
            p = point_from_mapping(self.variants[variant]["point"], self.spec, source=f"{self.source} {variant}")
            self._points[variant] = (p, mistakes.FloatPoints(self.model, [mistakes.base_of(self.model, p)]))
        return self._points[variant]

    def check(self, variant, blank):
        """An error naming what the key has when the variant or its blank is not in it."""
        if variant not in self.variants:
            ids = list(self.variants)
            span = f"{ids[0]} … {ids[-1]}" if len(ids) > 2 else ", ".join(ids)
            raise GradproofError(f"variant {shown(variant, 40)!r} is not in the key ({len(ids)} variants: {span})")
        if (variant, blank) not in self.blanks:
            have = [b for (v, b) in self.blanks if v == variant]
            raise GradproofError(f"blank {shown(blank, 40)!r} is not a question of {variant}; its blanks: "
                                 + ", ".join(have[:8]) + (" …" if len(have) > 8 else ""))
        return self.blanks[(variant, blank)]

    def total_points(self, variant):
        return sum(float(q["points"]) for q in self.variants[variant]["questions"])

    # ---- grading ------------------------------------------------------------------------------
    def grade(self, variant, blank_id, answer, ident=""):
        """A Graded for one answer to one blank of one variant."""
        question, blank = self.check(variant, blank_id)
        points = float(blank.get("points", float(question["points"]) / len(question["blanks"])))
        result = self._grade(question, blank, variant, answer)
        verdict, codes, message, latex = result
        if verdict == "invalid":
            score, max_score = 0.0, 0.0
            feedback = f"**Not gradable** (this answer costs nothing): {message}"
        elif verdict == "correct":
            score, max_score = points, points
            feedback = f"**Correct.** {message}"
        else:
            kept = share(self.shares, codes)
            score, max_score = points * kept, points
            credit = f" Partial credit: {kept:g} of the points for this mistake." if kept else ""
            feedback = f"**Incorrect.** {message}{credit}"
        return Graded(variant, blank_id, round(score, 10), max_score, verdict, list(codes), feedback, latex, ident)

    def _grade(self, question, blank, variant, answer):
        """(verdict, codes, message in Markdown, how the answer was read)."""
        if answer is None or not str(answer).strip():
            return "invalid", (), "the answer is empty.", None
        kind, blank_id = question["kind"], blank["blank"]
        tail = blank_id.split(".", 1)[1] if "." in blank_id else ""
        if kind == "expression":
            return self._expression(question, variant, answer)
        param = None
        if kind == "gradient":
            param = question["param"]
        elif kind == "step" and tail.startswith("dL/d"):
            param = tail[4:]
        if param is not None:
            return self._gradient(param, blank, variant, answer)
        try:
            reading = read(answer, self.model)
        except AnswerError as error:
            return "invalid", (), _md(str(error)), None
        if reading.math.free_symbols:
            return "invalid", (), "a number is asked for here, not an expression.", reading.latex
        import sympy as sp

        from ..grade.equivalence import to_float
        got = to_float(sp.N(reading.math, 30))
        expected = blank["answer"]
        if kind == "paths":
            if got is None or not float(got).is_integer():
                return "invalid", (), "the number of paths is a whole number.", reading.latex
            if int(got) == int(expected):
                return "correct", (), f"{int(expected)} paths.", reading.latex
            return "incorrect", (), (f"There are {int(expected)} paths, not {int(got)}: one for each choice of a "
                                     "neuron in every later layer, so the product of the later layers' widths."), reading.latex
        rtol = float(blank.get("rtol", 1e-3))
        where = self._where(variant)
        if got is not None and abs(got - expected) <= rtol * max(abs(expected), 1e-12):
            return "correct", (), f"{_fmt(expected)} at your point (relative tolerance {rtol:g}).", reading.latex
        codes, details = ((), ())
        if got is not None:
            codes, details = self._table(question, blank, variant).match(np.array([got]), rtol=rtol)
        return "incorrect", codes, self._wrong(expected, got, codes, details, where), reading.latex

    def _expression(self, question, variant, answer):
        param = question["param"]
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
        expected = self._gradient_value(parse_param(param), variant)
        if math.isfinite(got) and abs(got - expected) <= 1e-9 * max(abs(expected), 1e-12):
            return None
        return expected, (got if math.isfinite(got) else None)

    def _gradient_value(self, param, variant):
        from gradproof.numeric.backprop import backprop
        p, _ = self.point(variant)
        return backprop(self.spec, p).value(param)

    def _gradient(self, param, blank, variant, answer):
        rtol = float(blank.get("rtol", 1e-3))
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
        message = _md(result.message.split(" (at the point")[0].split(":")[0]) + "."
        message = (f"Not equal to ∂L/∂{param}: at your point ({self._where(variant)}) it is {_fmt(c.get('expected'))}, "
                   f"your answer gives {_fmt(c.get('got'))}." + _sentences(result.diagnosis, ()))
        return "incorrect", tuple(result.diagnosis), message, result.parsed_latex

    def mistake_table(self, variant, blank_id):
        """The diagnosed mistakes of a numeric blank at its variant's point (a diagnosis.Candidates with one
        column): for a gradient, every structural variant of its derivation times the slips; else _table's."""
        question, blank = self.check(variant, blank_id)
        tail = blank_id.split(".", 1)[1] if "." in blank_id else ""
        param = question["param"] if question["kind"] == "gradient" else \
            tail[4:] if question["kind"] == "step" and tail.startswith("dL/d") else None
        if param is None:
            return self._table(question, blank, variant)
        _, points = self.point(variant)
        return self.grader.question(self.spec.check_param(parse_param(param))).candidates(points)

    def _table(self, question, blank, variant):
        """The mistakes' values at the variant's point for a numeric blank (cached per variant and blank)."""
        key = (variant, blank["blank"])
        if key in self._tables:
            return self._tables[key]
        tail = blank["blank"].split(".", 1)[1] if "." in blank["blank"] else ""
        p, points = self.point(variant)
        if question["kind"] == "flow" and tail == "product":
            product = mistakes.PathProduct(self.model, path_neurons(self.spec, parse_param(question["param"]),
                                                                      int(question.get("path", 1))))
            table = mistakes.of_expressions(product.structural(), product.closed, points)
        elif question["kind"] == "step" and tail not in ("loss",) and not tail.startswith("delta_"):
            param = self.spec.check_param(parse_param(tail))
            gradient = self.grader.question(param).candidates(points)
            table = mistakes.updated(gradient, p.param_value(param), float(question["lr"]))
        else:
            table = mistakes.simple([blank["answer"]])
        self._tables[key] = table
        return table

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
