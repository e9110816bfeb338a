"""The loss registry: the per-output loss l(y, yhat), summed over outputs, on both sides.

L_i = sum_j l(y_ij, yhat_ij); L = sum_i L_i (or the mean over samples) plus the regularization term.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import unknown


@dataclass(frozen=True)
class Loss:
    name: str
    l: Callable                # numpy: (y, yhat) -> l
    dl: Callable               # numpy: (y, yhat) -> dl/dyhat
    sympy_l: Callable          # (sympy, y, yhat) -> l
    needs_probability: bool    # yhat must lie in (0, 1)

    def __repr__(self):
        return f"Loss({self.name})"


def _bce(y, yhat):
    # log1p(-yhat) keeps precision for yhat near 0; the where skips the terms a 0/1 label drops
    with np.errstate(divide="ignore"):
        return -(np.where(y != 0, y * np.log(yhat), 0.0) + np.where(y != 1, (1 - y) * np.log1p(-yhat), 0.0))


LOSSES = {l.name: l for l in [
    # name              numpy l                                   numpy dl/dyhat                               sympy l                                                        yhat in (0, 1)
    Loss("squared",      lambda y, yhat: (y - yhat) ** 2,          lambda y, yhat: -2 * (y - yhat),             lambda sp, y, yhat: (y - yhat) ** 2,                              False),
    Loss("half_squared", lambda y, yhat: (y - yhat) ** 2 / 2,      lambda y, yhat: -(y - yhat),                 lambda sp, y, yhat: sp.Rational(1, 2) * (y - yhat) ** 2,         False),
    Loss("bce",          _bce,                                     lambda y, yhat: (yhat - y) / (yhat * (1 - yhat)), lambda sp, y, yhat: -(y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat)), True),
]}

REDUCTIONS = ("sum", "mean")
REGULARIZATIONS = ("none", "l1", "l2")


def loss(name):
    """The registry row for a loss name; an unknown name lists the valid ones.

    Examples
    ========
    >>> from gradproof.numeric.losses import loss
    >>> loss("bce")
    Loss(bce)
    >>> loss("mse")
    Traceback (most recent call last):
    ...
    gradproof.numeric.errors.GradproofError: unknown loss 'mse'; valid: squared, half_squared, bce
    """
    try:
        return LOSSES[name]
    except KeyError:
        raise unknown("loss", name, LOSSES) from None
