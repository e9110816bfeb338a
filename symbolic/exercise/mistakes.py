"""The diagnosed mistakes of every numeric blank, as values at the variants' points.

Nothing here lists mistakes: they come from the grader's diagnosis (symbolic/grade/diagnosis.py).
A gradient blank takes the grader's own Question for its parameter (every structural variant of the
derivation times the simple slips); a new weight w - eta dL/dw carries the gradient's mistakes through
the update; the product of local factors along a path takes the diagnosis's activation-derivative and
'+'-for-'x' variants of that product; every other value (the loss, a delta, a bound) the simple slips
(sign, factor). Each table is a ``diagnosis.Candidates`` (rows: mistakes; columns: points), so grading
matches an answer with the grader's own ``match``.
"""
import copy
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..grade import diagnosis
from ..grade.equivalence import Float64, Points
from ..printing import Partial

SEPARATION = 2.0      # a mistake must lie this many tolerances from the answer (a rounded mistake stays wrong)


def base_of(model, point):
    """The independent symbols' values of a one-sample Point, as the grader's Points want them."""
    spec = model.spec
    b = {model.x[i]: float(point.x[0, i - 1]) for i in range(1, spec.layers[0] + 1)}
    b.update({model.y[j]: float(point.y[0, j - 1]) for j in range(1, spec.layers[-1] + 1)})
    b.update({sym: point.param_value(p) for p, sym in model.symbols.items()})
    b[model.lam] = spec.lam
    b[diagnosis_eta()] = 0.1
    return b


def diagnosis_eta():
    from ..grade.parser import ETA
    return ETA


class FloatPoints(Points):
    """The grader's Points in float64 only (the 50-digit values are for deciding symbolic answers)."""

    def __init__(self, model, base):
        self.model, self.base, self.n = model, base, len(base)
        self.values = {Float64.name: self._network(Float64)}
        self.memo = {Float64.name: {}}


@dataclass
class PathProduct:
    """The product of local factors along one path from a parameter's neuron to the output, duck-typed as a
    derivation so that the diagnosis's variants of a Leibniz form apply to it."""

    model: object
    neurons: tuple          # ((k, j), ..., (n, j_n)) along the path
    readable: bool = True

    @property
    def leibniz(self):
        m = self.model
        parts = [Partial(m.O[k2][j2], m.O[k1][j1]) for (k1, j1), (k2, j2) in zip(self.neurons, self.neurons[1:])][::-1]
        return sp.Mul(*parts, evaluate=False) if len(parts) > 1 else parts[0]

    @property
    def closed(self):
        return diagnosis._closed(self.model, self.leibniz)

    def structural(self):
        return diagnosis.activation_derivatives(self) + diagnosis.sums_for_products(self)


def simple(values):
    """The simple slips (sign, factor) of plain values: a Candidates over the points."""
    values = np.asarray(values, dtype=float)
    return diagnosis.Candidates([], values, np.zeros_like(values), False)


def of_expressions(structural, correct, points):
    """A Candidates of structural variants (diagnosis.Variant with expr) of an expression, at points."""
    evaluated = [(v, points.evaluate(v.expr, Float64)) for v in structural]
    data = points.evaluate(correct, Float64)
    return diagnosis.Candidates(evaluated, data, np.zeros_like(data), False)


def updated(candidates, w, lr):
    """The gradient's mistakes carried through the update w - lr * g (keep: as for the gradient)."""
    out = copy.copy(candidates)
    out.matrix = w - lr * candidates.matrix
    return out


def column(candidates, c):
    """One point's column of a Candidates, for matching one answer."""
    out = copy.copy(candidates)
    out.matrix = candidates.matrix[:, c:c + 1]
    out.keep = candidates.keep if candidates.keep.ndim == 1 else candidates.keep[:, c]
    return out


def ambiguous(candidates, correct, rtol, keep=None):
    """Per point: whether a mistake (a row kept as a real mistake) lies within SEPARATION * rtol of the correct
    value, or the correct value is 0 (where a sign slip is the answer itself)."""
    keep = candidates.keep if keep is None else keep
    if candidates.matrix.shape[0] == 0:
        return np.zeros(len(correct), dtype=bool)
    m = candidates.matrix
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(m), np.abs(correct)[None, :])
        near = np.abs(m - correct[None, :]) <= SEPARATION * rtol * scale
    near &= keep[:, None]
    return near.any(axis=0) | (np.abs(correct) < 1e-12)
