"""Gradient flow, measured: per-layer gradient norms, local factors, the backward gain and a verdict.

Backprop carries delta_k = dL/dO_k from the output back, one layer at a time:

    delta_(k-1) = (delta_k * f_k'(z_k)) W^k^T

so for a 1-1-...-1 chain delta_1 = delta_n * prod_(k=2..n) f_k'(z_k) w_k: the product of the local
factors f_k'(z_k) w_k = dO_k/dO_(k-1). For wider networks the factor of layer k is the spectral norm
of the local Jacobian dO_k/dO_(k-1) = diag(f_k'(z_k)) W^k^T, its largest gain.

The ratio. The verdict reads the ratio ||delta_1|| / ||delta_n|| (Frobenius norms over samples and
neurons): how much the backpropagated signal grows or shrinks between the last layer and the first.
For a chain at one sample it is exactly |dO_n/dO_1| = |prod of the factors|. It is not the ratio of
the weights' gradient norms ||dL/dW^1|| / ||dL/dW^n||, which is reported too
(``grad_norm_ratio``) but cannot see an explosion: in a linear chain dL/dw_k = delta_n x
prod_(m != k) w_m, so every layer's gradient carries the same huge product and their ratio is
w_n / w_1.

The rule. ratio < 1e-3: vanishing; ratio > 1e3: exploding; otherwise healthy. Three orders of
magnitude: with one learning rate for every layer, the first layer then moves a thousand times
less (or more) than the last, so a rate that trains the last layer in 100 steps needs 100,000 for
the first (or overshoots it a thousandfold). A sigmoid factor is at most |w|/4, so five factors with
|w| <= 1 (a chain of depth 6) are below the threshold whatever the point: 4^-5 < 1e-3; a linear factor
with |w| = 10 is 10, and four of them (depth 5) exceed 1e3.

The bound. |f_k'| <= c_k (1/4 for sigmoid, 1 for tanh, ReLU, linear), so
||delta_1|| <= ||delta_n|| prod_(k=2..n) c_k ||W^k||_2: ratio <= bound, and for a chain the bound is
the notes' prod |w_k| / 4. The c_k come from the caller (symbolic/flow.py takes them from the
activation's sympy derivative), so that this module stays numpy only.

Examples
========
>>> import numpy as np
>>> from gradproof.numeric.flow import verdict, gain_bound
>>> verdict(1e-5), verdict(2.0), verdict(1e4)
('vanishing', 'healthy', 'exploding')
>>> gain_bound([np.array([[2.0]]), np.array([[3.0]]), np.array([[-4.0]])], [0.25, 0.25, 0.25])
0.75
"""
from dataclasses import dataclass

import numpy as np

from .backprop import backprop

VANISHING = 1e-3
EXPLODING = 1e3
RULE = (f"ratio = ||delta_1|| / ||delta_n|| (dL/dO of the first layer over the last); "
        f"ratio < {VANISHING:g}: vanishing, ratio > {EXPLODING:g}: exploding, otherwise healthy; "
        "delta_n = 0 (no gradient at all): vanishing")


def verdict(ratio):
    """'vanishing', 'exploding' or 'healthy' for a ratio ||delta_1|| / ||delta_n|| (None: nothing flows back)."""
    if ratio is None:
        return "vanishing"
    if ratio < VANISHING:
        return "vanishing"
    if ratio > EXPLODING:
        return "exploding"
    return "healthy"


def is_chain(spec):
    """Whether every layer, input included, has one neuron: the notes' o1 -> o2 -> o3 chain."""
    return all(n == 1 for n in spec.layers)


def layer_norms(arrays):
    """The Frobenius norm of each array (for a 1x1 matrix, |entry|)."""
    return [float(np.linalg.norm(a)) for a in arrays]


def local_factors(spec, fwd):
    """factors[k-1][s]: the local factor of layer k at sample s.

    For a chain the signed f_k'(z_k) w_k = dO_k/dO_(k-1); otherwise the spectral norm of
    diag(f_k'(z_k)) W^k^T. Layer 1's factor is dO_1/dx.
    """
    factors = []
    for k in range(1, spec.depth + 1):
        row = spec.activation(k)
        if row.couples:                                                        # dO_k/dz_k is a Jacobian
            jac = row.jacobian(fwd.O[k]) @ fwd.W[k - 1].T[None]                # (N, n_k, n_(k-1))
            factors.append(np.linalg.norm(jac, ord=2, axis=(1, 2)))
            continue
        slope = row.df(fwd.z[k], fwd.O[k])                                     # (N, n_k)
        if is_chain(spec):
            factors.append(slope[:, 0] * fwd.W[k - 1][0, 0])
        else:
            jac = slope[:, :, None] * fwd.W[k - 1].T[None]                     # (N, n_k, n_(k-1))
            factors.append(np.linalg.norm(jac, ord=2, axis=(1, 2)))
    return [np.asarray(f, dtype=float) for f in factors]


def gain_bound(W, slopes):
    """prod_(k=2..n) c_k ||W^k||_2, the bound on ||delta_1|| / ||delta_n||; 1 for one layer.

    slopes[k-1] = c_k, the supremum of |f_k'|."""
    return float(np.prod([c * np.linalg.norm(w, ord=2) for c, w in zip(slopes[1:], W[1:])]))


@dataclass
class Flow:
    """The numbers of a gradient-flow analysis (see the module docstring)."""

    grad_norms: list           # ||dL/dW^k||_F, k = 1..n (|dL/dw_k| for a chain)
    bias_grad_norms: list      # ||dL/db^k||, or None without biases
    delta_norms: list          # ||delta_k||_F = ||dL/dO_k||, k = 1..n
    factors: list              # per layer, an array over samples (see local_factors)
    ratio: float | None        # ||delta_1|| / ||delta_n||; None when delta_n = 0
    grad_norm_ratio: float | None
    bound: float | None        # None when no slopes were given
    verdict: str
    chain: bool
    loss: float

    @property
    def product(self):
        """prod_(k=2..n) of the factors, per sample: dO_n/dO_1 for a chain (None otherwise)."""
        if not self.chain:
            return None
        return np.prod(np.array(self.factors[1:]), axis=0) if len(self.factors) > 1 else np.ones_like(self.factors[0])


def _ratio(top, bottom):
    if bottom == 0:
        return None if top == 0 else float("inf")
    return top / bottom


def flow(spec, point, slopes=None):
    """Gradient norms, factors, the ratio ||delta_1|| / ||delta_n||, the bound (given the c_k) and the verdict."""
    with np.errstate(over="ignore", invalid="ignore"):
        grads = backprop(spec, point)
    delta_norms = layer_norms(grads.delta[1:])
    grad_norms = layer_norms(grads.dW)
    ratio = _ratio(delta_norms[0], delta_norms[-1])
    return Flow(
        grad_norms=grad_norms,
        bias_grad_norms=layer_norms(grads.db) if grads.db is not None else None,
        delta_norms=delta_norms,
        factors=local_factors(spec, grads.forward),
        ratio=ratio,
        grad_norm_ratio=_ratio(grad_norms[0], grad_norms[-1]),
        bound=gain_bound(grads.forward.W, slopes) if slopes is not None else None,
        verdict=verdict(ratio),
        chain=is_chain(spec),
        loss=grads.loss,
    )
