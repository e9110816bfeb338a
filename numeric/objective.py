"""The objective L and its derivatives at the output layer, shared by backprop, the per-path sum and
finite differences.

L = sum over samples (or the mean, with reduction "mean") of sum_j l(y_j, O_Lj), plus the
regularization term lambda*sum|w| (l1) or lambda*sum w^2 (l2) over the weights only, added once.

A loss whose row has a form from the logits for the output activation in use (Loss.logits: BCE on a
sigmoid) is computed from z_L: for BCE the loss as y*softplus(-z) + (1-y)*softplus(z) and dL/dz_L as
O - y. That is the same function as the table's -(y ln O + (1-y) ln(1-O)), but it stays finite where O
rounds to 0 or 1.

Every function takes arrays whose last two axes are (samples, outputs); leading axes (a batch of
perturbed networks, in fd.py) are kept. Loss functions work on complex arrays too (complex step).
"""

from .losses import LOSSES


def fused(spec):
    """The loss's form from the logits z_L (losses.Logits) when the output activation is the one it is for, else None."""
    return LOSSES[spec.loss].fused_with(spec.activation(spec.depth).name)


def scale(spec, samples):
    """The factor the reduction puts on every sample's loss: 1 for sum, 1/N for mean."""
    return 1.0 / samples if spec.reduction == "mean" else 1.0


def data_loss(spec, y, z, O):
    """The loss without regularization, summed over outputs and reduced over samples."""
    logits = fused(spec)
    if logits is not None:
        per = logits.l(y, z)
    else:
        per = LOSSES[spec.loss].l(y, O)
    return per.sum(axis=(-2, -1)) * scale(spec, y.shape[-2])


def reg_loss(spec, W):
    """lambda * sum r(w) (|w| for l1, w^2 for l2), over every weight matrix; 0 without regularization."""
    row = spec.regularizer
    return spec.lam * sum(row.term(w).sum() for w in W) if row.present else 0.0


def reg_grad(spec, w):
    """d(regularization)/dw for one weight matrix, or None without regularization (where r bends, as L1 at
    w = 0, the row's subgradient, the same convention as the symbolic side)."""
    row = spec.regularizer
    return spec.lam * row.derivative(w) if row.present else None


def output_delta(spec, y, z, O):
    """delta_L = dL/dO_L, per sample, shaped like O_L."""
    s = scale(spec, y.shape[-2])
    logits = fused(spec)
    if logits is not None:
        d = logits.dl(y, z)
    else:
        d = LOSSES[spec.loss].dl(y, O)
    return d * s if s != 1.0 else d


def output_grad_z(spec, y, z, O, delta):
    """dL/dz_L: delta_L * f'(z_L), or the fused form from the loss table (O - y for BCE on a sigmoid, always finite)."""
    logits = fused(spec)
    if logits is not None:
        g = logits.dz(y, z, O)
        return g * scale(spec, y.shape[-2]) if spec.reduction == "mean" else g
    row = spec.activation(spec.depth)
    if row.couples:
        return row.vjp(O, delta)                 # the sum over m of delta_m dO_m/dz_j
    return delta * row.df(z, O)


def output_path_factors(spec, y, z, O, delta):
    """dL/dO_Lm * dO_Lm/dz_Lj per sample, shaped (..., m, j), for an output layer that couples: the first two links
    of every path z_Lj -> O_Lm -> L. The loss's fused form cancels the division by O (CE on softmax: -y_m (1[m = j] -
    O_j)); otherwise delta times the Jacobian."""
    logits = fused(spec)
    if logits is not None and logits.path is not None:
        return logits.path(y, z, O) * scale(spec, y.shape[-2])
    return delta[..., :, None] * spec.activation(spec.depth).jacobian(O)
