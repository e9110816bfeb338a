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
    path: Callable = None      # numpy: (y, z, O) -> (..., m, j) dl/dO_m * dO_m/dz_j, for an activation that couples
    collapsed: Callable = None # (sympy, y_j, O_j) -> dl/dz_j where the targets sum to 1 (O_j - y_j), for the sheets


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
    simplex: bool = False      # each sample's targets form a probability vector: entries >= 0 summing to 1
    accuracy: Callable = None  # numpy: (y, O) -> the share of samples classified right, reported by training

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


def _logsumexp(z):
    # max + ln sum e^{z - max}: no overflow; the real parts set the shift (complex step)
    top = np.max(np.real(z), axis=-1, keepdims=True)
    return top + np.log(np.exp(z - top).sum(axis=-1, keepdims=True))


def _ce(y, O):
    with np.errstate(divide="ignore"):
        return np.where(y != 0, -y * np.log(np.where(y != 0, O, 1.0)), 0.0)


def _ce_dl(y, O):
    # a zero target drops its term (0 / 0 where its O underflows)
    with np.errstate(divide="ignore"):
        return np.where(y != 0, -y / np.where(y != 0, O, 1.0), 0.0)


def _ce_logits(y, z):
    # -y_j ln O_j with ln O_j = z_j - logsumexp(z) (log-softmax): finite at any z
    return np.where(y != 0, -y * (z - _logsumexp(z)), 0.0)


def _ce_dl_logits(y, z):
    # -y_j / O_j = -y_j e^{logsumexp(z) - z_j}: inf only where the true value is beyond the float range
    with np.errstate(over="ignore", invalid="ignore"):          # 0 * inf of a dropped term, masked by the where
        return np.where(y != 0, -y * np.exp(_logsumexp(z) - z), 0.0)


def _ce_path(y, z, O):
    # (-y_m / O_m) * O_m (1[m = j] - O_j) = -y_m (1[m = j] - O_j): the division cancels, so no overflow
    return -y[..., :, None] * (np.eye(O.shape[-1]) - O[..., None, :])


def _argmax_accuracy(y, O):
    return float(np.mean(np.argmax(O, axis=-1) == np.argmax(y, axis=-1)))


def simplex_problem(y, tolerance=1e-9):
    """(sample index, what is wrong) for the first row of targets that is not a probability vector, or None.

    Examples
    ========
    >>> import numpy as np
    >>> from gradproof.numeric.losses import simplex_problem
    >>> simplex_problem(np.array([[0.2, 0.8], [0.5, 0.6]]))
    (1, 'the targets sum to 1.1, not 1')
    >>> simplex_problem(np.array([[1.5, -0.5]]))
    (0, 'target 2 is -0.5, below 0')
    """
    negative = np.argwhere(y < 0)
    sums = y.sum(axis=-1)
    off = np.flatnonzero(np.abs(sums - 1) > tolerance)
    first_negative = int(negative[0][0]) if negative.size else None
    first_off = int(off[0]) if off.size else None
    if first_negative is not None and (first_off is None or first_negative <= first_off):
        n, j = negative[0]
        return int(n), f"target {j + 1} is {y[n, j]:g}, below 0"
    if first_off is not None:
        return first_off, f"the targets sum to {sums[first_off]:.10g}, not 1"
    return None


_BCE_ON_SIGMOID = Logits("sigmoid", _bce_logits, _bce_dl_logits, lambda y, z, O: O - y)

# O_j sum_m y_m - y_j: the sum over m collapsed, exact for any targets (O_j - y_j once they sum to 1)
_CE_ON_SOFTMAX = Logits("softmax", _ce_logits, _ce_dl_logits, lambda y, z, O: O * y.sum(axis=-1, keepdims=True) - y,
                        path=_ce_path, collapsed=lambda sp, y, O: O - y)

LOSSES = {l.name: l for l in [
    # name              numpy l                                   numpy dl/dyhat                               sympy l                                                        yhat in (0, 1)
    Loss("squared",      lambda y, yhat: (y - yhat) ** 2,          lambda y, yhat: -2 * (y - yhat),             lambda sp, y, yhat: (y - yhat) ** 2,                              False,
         gradient="for (y − ŷ)², ∂L/∂ŷ = −2(y − ŷ) = 2(ŷ − y)"),
    Loss("half_squared", lambda y, yhat: (y - yhat) ** 2 / 2,      lambda y, yhat: -(y - yhat),                 lambda sp, y, yhat: sp.Rational(1, 2) * (y - yhat) ** 2,         False, title="half squared",
         gradient="for ½(y − ŷ)², ∂L/∂ŷ = ŷ − y"),
    Loss("bce",          _bce,                                     lambda y, yhat: (yhat - y) / (yhat * (1 - yhat)), lambda sp, y, yhat: -(y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat)), True,
         title="binary cross-entropy", targets=(0.0, 1.0), logits=_BCE_ON_SIGMOID,
         gradient="for binary cross-entropy on a sigmoid output, ∂L/∂z = ŷ − y"),
    Loss("ce",           _ce,                                      _ce_dl,                                      lambda sp, y, yhat: -y * sp.log(yhat),                            True,
         title="categorical cross-entropy", targets=(0.0, 1.0), logits=_CE_ON_SOFTMAX, simplex=True, accuracy=_argmax_accuracy,
         gradient="for categorical cross-entropy on a softmax output, ∂L/∂z_j = Σ_m (−y_m/ŷ_m) ŷ_m(𝟙[m = j] − ŷ_j) = ŷ_j − y_j"),
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
    gradproof.numeric.errors.GradproofError: unknown loss 'mse'; valid: squared, half_squared, bce, ce
    """
    try:
        return LOSSES[name]
    except KeyError:
        raise unknown("loss", name, LOSSES) from None
