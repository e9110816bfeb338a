"""The loss registry: the per-output loss l(y, yhat), summed over outputs, on both sides.

L_i = sum_j l(y_ij, yhat_ij); L = sum_i L_i (or the mean over samples) plus the regularization term.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import _softplus
from .errors import unknown


@dataclass(frozen=True)
class Logits:
    """A loss computed from the output's pre-activation z when the output layer has a given activation: the same
    function as the loss of O = f(z), but finite where O rounds to 0 or 1 (what backprop and the per-path sum use)."""

    activation: str            # the output activation this form is for
    l: Callable                # numpy: (y, z) -> l
    dl: Callable               # numpy: (y, z) -> dl/dO, written with z (finite unless it truly overflows)
    dz: Callable               # numpy: (y, z, O) -> dl/dz, the fused gradient


@dataclass(frozen=True)
class Loss:
    name: str
    l: Callable                # numpy: (y, yhat) -> l
    dl: Callable               # numpy: (y, yhat) -> dl/dyhat
    sympy_l: Callable          # (sympy, y, yhat) -> l
    needs_probability: bool    # yhat must lie in (0, 1): the output activation must be one with Activation.probability
    title: str = ""            # the name in prose ("binary cross-entropy"); the registry name when empty
    targets: tuple = None      # (low, high): every target must lie in [low, high]; None: any number
    logits: Logits = None      # the stable form from z, for the output activation it names; None: none needed
    gradient: str = ""         # its gradient in prose, as a sentence quotes it ("for (y − ŷ)², ∂L/∂ŷ = 2(ŷ − y)")

    @property
    def prose(self):
        return self.title or self.name

    @property
    def gradient_text(self):
        """The row's gradient in prose, or a general sentence where the row has none."""
        return self.gradient or f"∂L/∂ŷ is the derivative of the {self.prose} loss with respect to ŷ"

    def fused_with(self, activation):
        """The loss's form from the logits when the output activation is ``activation`` (a name), else None."""
        return self.logits if self.logits is not None and self.logits.activation == activation else None

    def __repr__(self):
        return f"Loss({self.name})"


def _bce(y, yhat):
    # log1p(-yhat) keeps precision for yhat near 0; the where skips the terms a 0/1 label drops
    with np.errstate(divide="ignore"):
        return -(np.where(y != 0, y * np.log(yhat), 0.0) + np.where(y != 1, (1 - y) * np.log1p(-yhat), 0.0))


def _bce_logits(y, z):
    # -ln sigma(z) = softplus(-z), -ln(1 - sigma(z)) = softplus(z); a 0/1 label drops one term, and the where keeps
    # 0 * softplus(huge) out of the sum
    return np.where(y != 0, y * _softplus(-z), 0.0) + np.where(y != 1, (1 - y) * _softplus(z), 0.0)


def _bce_dl_logits(y, z):
    # -y/O + (1-y)/(1-O) written with 1/sigma(z) = 1 + e^{-z}: no 0/0 where O rounds to 0 or 1. It overflows to
    # inf only where the true value is beyond the float range.
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(y != 0, -y * (1 + np.exp(-z)), 0.0) + np.where(y != 1, (1 - y) * (1 + np.exp(z)), 0.0)


_BCE_ON_SIGMOID = Logits("sigmoid", _bce_logits, _bce_dl_logits, lambda y, z, O: O - y)

LOSSES = {l.name: l for l in [
    # name              numpy l                                   numpy dl/dyhat                               sympy l                                                        yhat in (0, 1)
    Loss("squared",      lambda y, yhat: (y - yhat) ** 2,          lambda y, yhat: -2 * (y - yhat),             lambda sp, y, yhat: (y - yhat) ** 2,                              False,
         gradient="for (y − ŷ)², ∂L/∂ŷ = −2(y − ŷ) = 2(ŷ − y)"),
    Loss("half_squared", lambda y, yhat: (y - yhat) ** 2 / 2,      lambda y, yhat: -(y - yhat),                 lambda sp, y, yhat: sp.Rational(1, 2) * (y - yhat) ** 2,         False, title="half squared",
         gradient="for ½(y − ŷ)², ∂L/∂ŷ = ŷ − y"),
    Loss("bce",          _bce,                                     lambda y, yhat: (yhat - y) / (yhat * (1 - yhat)), lambda sp, y, yhat: -(y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat)), True,
         title="binary cross-entropy", targets=(0.0, 1.0), logits=_BCE_ON_SIGMOID,
         gradient="for binary cross-entropy on a sigmoid output, ∂L/∂z = ŷ − y"),
]}

REDUCTIONS = ("sum", "mean")


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
