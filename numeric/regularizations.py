"""The regularization registry: one row per penalty R = lambda * sum over the weights of r(w), never the biases.

Each row holds r and its derivative for numpy (r also on complex arrays, continued analytically from the real
axis, so that the complex step works away from 0) and for sympy (as functions of the sympy module, so that this
file imports numpy only), its name in prose, what a sheet says about its derivative, whether it bends at w = 0
(finite differences keep away), and, where plain gradient steps cannot reach exact zeros, the proximal step
training applies instead of its gradient. |w| has no derivative at 0: both sides take the subgradient 0
(sign(0) = 0). Adding a regularization is adding a row: nothing elsewhere names one.

Examples
========
>>> import numpy as np
>>> from gradproof.numeric.regularizations import regularization
>>> l2 = regularization("l2")
>>> l2.term(np.array([-2.0, 3.0])), l2.derivative(np.array([-2.0, 3.0]))
(array([4., 9.]), array([-4.,  6.]))
>>> regularization("l1").proximal(np.array([0.5, -2.0]), 1.0)
array([ 0., -1.])
>>> regularization("l3")
Traceback (most recent call last):
...
gradproof.numeric.errors.GradproofError: unknown regularization 'l3'; valid: none, l1, l2
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import unknown


@dataclass(frozen=True)
class Regularization:
    name: str
    term: Callable             # numpy: w -> r(w), elementwise (complex w: r continued analytically, for the complex step)
    derivative: Callable       # numpy: w -> r'(w), elementwise; the subgradient 0 where r bends
    sympy_term: Callable       # (sympy, w) -> r(w)
    sympy_derivative: Callable  # (sympy, w) -> r'(w)
    title: str                 # the name in prose: "L1 regularization"
    note: str                  # R and its derivative in words, for a sheet or a report
    derivative_prose: str = ""  # "the derivative of λ|w| is λ·sign(w)", for a diagnosis
    present: bool = True       # adds a term to the loss (False only for "none")
    kinked: bool = False       # r bends at w = 0, where finite differences must keep away
    proximal: Callable = None  # numpy: (w, t) -> the proximal step of t*r, applied by training instead of the gradient

    @property
    def prose(self):
        return self.title

    def __repr__(self):
        return f"Regularization({self.name})"


def _abs(w):
    # |w| continued analytically from the real axis: sign(Re w) * w, so that Im(r(w + ih))/h = sign(w)
    return np.sign(np.real(w)) * w if np.iscomplexobj(w) else np.abs(w)


def soft_threshold(w, t):
    """The proximal step of t*|w|: shrink towards 0 by t, and to exactly 0 within t of it."""
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


REGULARIZATIONS = {r.name: r for r in [
    Regularization("none", np.zeros_like, np.zeros_like, lambda sp, w: sp.Integer(0), lambda sp, w: sp.Integer(0),
                   "no regularization", "no regularization term: dR/dw = 0", present=False),
    Regularization("l1", _abs, np.sign, lambda sp, w: sp.Abs(w), lambda sp, w: sp.sign(w), "L1 regularization",
                   "R = lambda sum |w| over the weights (never the biases): dR/dw = lambda sign(w) for w != 0; |w| has "
                   "no derivative at w = 0, and gradproof uses the subgradient 0 there (sign(0) = 0, any value in "
                   "[-lambda, lambda] is a subgradient). Training applies L1 by the proximal step "
                   "w <- sign(w) max(|w| - eta lambda, 0), which sets weights to exactly 0",
                   "the derivative of λ|w| is λ·sign(w)", kinked=True, proximal=soft_threshold),
    Regularization("l2", lambda w: w * w, lambda w: 2 * w, lambda sp, w: w**2, lambda sp, w: 2 * w, "L2 regularization",
                   "R = lambda sum w^2 over the weights (never the biases): dR/dw = 2 lambda w, added to every "
                   "weight's gradient", "the derivative of λw² is 2λw"),
]}

NONE = REGULARIZATIONS["none"]


def penalties():
    """The names of the rows that add a term (and so need a lambda)."""
    return [name for name, r in REGULARIZATIONS.items() if r.present]


def regularization(name):
    """The registry row for a regularization name; an unknown name lists the valid ones."""
    try:
        return REGULARIZATIONS[name]
    except (KeyError, TypeError):
        raise unknown("regularization", name, REGULARIZATIONS) from None
