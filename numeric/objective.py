"""The objective L and its derivatives at the output layer, shared by backprop, the per-path sum and
finite differences.

L = sum over samples (or the mean, with reduction "mean") of sum_j l(y_j, O_Lj), plus the
regularization term lambda*sum|w| (l1) or lambda*sum w^2 (l2) over the weights only, added once.

BCE always sits on a sigmoid output (the spec insists), so it is computed from the logits z_L: the
loss as y*softplus(-z) + (1-y)*softplus(z) and dL/dz_L as O - y. That is the same function as the
table's -(y ln O + (1-y) ln(1-O)), but it stays finite where O rounds to 0 or 1.

Every function takes arrays whose last two axes are (samples, outputs); leading axes (a batch of
perturbed networks, in fd.py) are kept. Loss functions work on complex arrays too (complex step).
"""
import numpy as np

from .activations import _softplus
from .losses import LOSSES


def fused(spec):
    """Whether the loss is computed from the logits z_L (BCE on a sigmoid output)."""
    return spec.loss == "bce"


def scale(spec, samples):
    """The factor the reduction puts on every sample's loss: 1 for sum, 1/N for mean."""
    return 1.0 / samples if spec.reduction == "mean" else 1.0


def data_loss(spec, y, z, O):
    """The loss without regularization, summed over outputs and reduced over samples."""
    if fused(spec):
        # a 0/1 label drops one term; the where keeps 0 * softplus(huge) out of the sum
        per = (np.where(y != 0, y * _softplus(-z), 0.0)
               + np.where(y != 1, (1 - y) * _softplus(z), 0.0))
    else:
        per = LOSSES[spec.loss].l(y, O)
    return per.sum(axis=(-2, -1)) * scale(spec, y.shape[-2])


def reg_loss(spec, W):
    """lambda * sum |w| (l1) or lambda * sum w^2 (l2), over every weight matrix; 0 without regularization."""
    if spec.regularization == "l1":
        return spec.lam * sum(np.abs(w).sum() for w in W)
    if spec.regularization == "l2":
        return spec.lam * sum((w * w).sum() for w in W)
    return 0.0


def reg_grad(spec, w):
    """d(regularization)/dw for one weight matrix, or None without regularization.

    L1 is not differentiable at w = 0; we use the subgradient 0 there (np.sign(0) = 0), the same
    convention as the symbolic side."""
    if spec.regularization == "l1":
        return spec.lam * np.sign(w)
    if spec.regularization == "l2":
        return 2 * spec.lam * w
    return None


def output_delta(spec, y, z, O):
    """delta_L = dL/dO_L, per sample, shaped like O_L."""
    s = scale(spec, y.shape[-2])
    if fused(spec):
        # -y/O + (1-y)/(1-O) written with 1/sigma(z) = 1 + e^{-z}: no 0/0 where O rounds to 0 or 1.
        # It overflows to inf only where the true value is beyond the float range.
        with np.errstate(over="ignore", invalid="ignore"):
            d = (np.where(y != 0, -y * (1 + np.exp(-z)), 0.0)
                 + np.where(y != 1, (1 - y) * (1 + np.exp(z)), 0.0))
    else:
        d = LOSSES[spec.loss].dl(y, O)
    return d * s if s != 1.0 else d


def output_grad_z(spec, y, z, O, delta):
    """dL/dz_L: delta_L * f'(z_L), or O - y directly for BCE on a sigmoid (always finite)."""
    if fused(spec):
        g = O - y
        return g * scale(spec, y.shape[-2]) if spec.reduction == "mean" else g
    return delta * spec.activation(spec.depth).df(z, O)
