"""The known mistakes of backprop code, made with numeric backprop itself.

Each mistake is a change to one step of the recurrence of ``numeric/backprop.py`` (same forward pass,
same loss and activation tables), so that its arrays are exactly what a student's code with that
mistake returns:

    g_k         = delta_k * f_k'(z_k)      f in place of f', f' left out, f' at O, f' written in O but given z,
                                           f' of the neighbouring layer
    dL/dW^k     = O_(k-1)^T g_k            transposed, the layer's own output O_k, the last sample only,
                                           one matrix per sample
    dL/db^k     = sum over samples of g_k  not summed, averaged, its sign
    delta_(k-1) = g_k W^k^T                W^k without its transpose, not multiplied by W^k at all
    delta_L     = dL/dO_L                  a factor 2 or 1/2, the sign, the mean for the sum or the reverse,
                                           the mean taken twice
    + the regularization gradient          missing, half or twice (lambda*w vs 2*lambda*w), its sign,
                                           divided by the batch size
    the lists dW, db                       in reverse order (output layer first), clipped (to ±c, or to a
                                           norm c: see ``clipped``)

A mistake at some layers is a ``Slip``; a ``Variant`` is a set of slips with the arrays it gives.
The scalar mistakes (sign, factors, reduction, regularization) are ``Scale``s applied to a variant's
data part and regularization part separately, so that they combine with every structural slip at no
cost. Mistake names map onto the paper grader's codes where the two correspond (``activation_derivative``,
``wrong_index``, ``sign``, ``factor``, ``missing_regularization``); the code-only mistakes have codes of
their own (``sample_sum``, ``reduction``, ``bias_sum``, ``delta_propagation``, ``clipping``,
``assumed_sizes``).

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.point import random_point
>>> from gradproof.numeric.codecheck.variants import Slip, mistaken
>>> spec = Spec(layers=(4, 3, 2, 1))
>>> data, db, reg = mistaken(spec, random_point(spec, samples=2), (Slip("dW_transposed", (2,)),))
>>> [a.shape for a in data]
[(4, 3), (2, 3), (2, 1)]
"""
from dataclasses import dataclass

import numpy as np

from .. import objective
from ..backprop import forward


@dataclass(frozen=True)
class Mistake:
    name: str
    code: str          # the grader's code where one corresponds
    what: str          # a sentence template: {layers}, {f}, {fp}, {k} filled in


# name                  code                     the sentence (the arrays are exactly those of this mistake)
MISTAKES = {m.name: m for m in [
    Mistake("f_for_df",            "activation_derivative", "{at} the code multiplies by the activation {f}(z) itself where the chain rule takes its derivative {fp}."),
    Mistake("df_missing",          "activation_derivative", "{at} the factor {fp} is missing: δ must be multiplied by the activation's derivative before it is used for dW and passed back."),
    Mistake("df_at_O",             "activation_derivative", "{at} {f}' is evaluated at the output O = {f}(z) instead of at z ({f}'(O) in place of {f}'(z)); call it with z, or write it in terms of O."),
    Mistake("df_O_form_at_z",      "activation_derivative", "{at} {f}' written in terms of the output ({fpO}) is given z instead of O."),
    Mistake("df_wrong_layer",      "wrong_index",           "{at} the code takes f' of the neighbouring layer's z (an index off by one): g_k = δ_k ⊙ f'(z_k)."),
    Mistake("jacobian_elementwise", "missing_path",         "At the {out} output layer the code multiplies δ by the Jacobian's diagonal O(1 − O) alone, as if {out} acted output by output: every O_m depends on every z_j, so g_j = Σ_m δ_m O_m(𝟙[m = j] − O_j) (with cross-entropy, O − y)."),
    Mistake("one_hot_missing",     "wrong_index",           "The targets are used as class numbers, not as one-hot vectors: the code subtracts each sample's class index c from every output (O − c) where the gradient is O − y with y the one-hot vector of c."),
    Mistake("softmax_overflow",    "overflow",              "On the case where the output layer's z reach {zmax:g}, the arrays are not finite (NaN or ∞): e^z overflows above z ≈ 709. {out} must subtract each sample's largest z first (it does not change the result)."),
    Mistake("dW_transposed",       "wrong_index",           "dW {for_layers} is transposed: ∂L/∂W^k has the shape of W^k (n_(k−1) × n_k) and is O_(k−1)ᵀ g_k, not g_kᵀ O_(k−1)."),
    Mistake("dW_own_output",       "wrong_index",           "dW {for_layers} uses the layer's own output O_k where the chain rule takes its input O_(k−1) (layers off by one): ∂L/∂W^k = O_(k−1)ᵀ g_k."),
    Mistake("layers_reversed",     "wrong_index",           "dW and db are listed from the output layer back: dW[0] must be the first layer's ∂L/∂W¹ (layers off by one)."),
    Mistake("delta_not_transposed", "wrong_index",          "δ is passed back through W^k without its transpose {for_layers}: δ_(k−1) = g_k W^kᵀ (neuron i of layer k−1 collects w^k_ij g_kj over j)."),
    Mistake("delta_not_propagated", "delta_propagation",    "δ is not passed back through the next layer's weights {for_layers}: δ_(k−1) = g_k W^kᵀ, and the code uses g_k as it is."),
    Mistake("samples_last",        "sample_sum",            "The sum over samples is missing: the arrays are the gradient of the last sample of the batch alone (∂L/∂W sums O_(k−1)ᵀ g_k over every sample)."),
    Mistake("samples_first",       "sample_sum",            "The sum over samples is missing: the arrays are the gradient of the first sample of the batch alone."),
    Mistake("samples_stacked",     "sample_sum",            "The gradient is returned per sample (one matrix per sample): ∂L/∂W is their sum over the batch."),
    Mistake("bias_not_summed",     "bias_sum",              "The bias gradient is not summed over the samples: ∂L/∂b^k = Σ over samples of g_k, a vector of n_k numbers, not the N × n_k array g_k."),
    Mistake("bias_mean",           "reduction",             "The bias gradient is averaged over the samples where the loss sums them: ∂L/∂b^k = Σ over samples of g_k."),
    Mistake("bias_sign",           "sign",                  "{at} the bias gradient alone has the wrong sign: ∂L/∂b^k = Σ over samples of g_k, the same g_k as in ∂L/∂W^k = O_(k−1)ᵀ g_k."),
    Mistake("clipped_value",       "clipping",              "The gradient is clipped to ±{limit:g}: every entry of ∂L/∂w beyond it is cut, though the true gradient here reaches {largest:.3g}. Clipping belongs to the update step, not to the gradient."),
    Mistake("clipped_norm",        "clipping",              "The gradient is scaled down to a norm of {limit:g} where it is longer ({largest:.3g} here). Clipping belongs to the update step, not to the gradient."),
    Mistake("assumed_sizes",       "assumed_sizes",         "Every case on the assigned {assigned} network passes, but on {unseen} it {how}: the code seems to assume the assigned sizes (a width or a count written as a number, such as range(3), where it should come from the shapes of W and x)."),
    # the scales: applied to a variant's data part (d) and regularization part (r)
    Mistake("sign_data",           "sign",                  "The sign of the loss's gradient is wrong: {dloss}."),
    Mistake("sign_all",            "sign",                  "Every gradient has the wrong sign: the code returns −∂L/∂W (the direction of the update step, not the gradient)."),
    Mistake("loss_factor_2",       "factor",                "The loss's gradient is twice what it should be: {dloss}."),
    Mistake("loss_factor_half",    "factor",                "The loss's gradient is half what it should be: {dloss}."),
    Mistake("mean_for_sum",        "reduction",             "The gradient is averaged over the batch (divided by N) but the loss sums over the samples."),
    Mistake("sum_for_mean",        "reduction",             "The gradient is summed over the batch but the loss is the mean over the samples (divide by N)."),
    Mistake("mean_twice",          "reduction",             "The gradient is divided by the batch size N twice (the mean taken twice): {reduction}."),
    Mistake("reg_missing",         "missing_regularization", "The regularization gradient is missing: {dreg}, and it adds to every ∂L/∂w."),
    Mistake("reg_half",            "factor",                "The regularization gradient has half its factor: {dreg}, the code adds half of it."),
    Mistake("reg_double",          "factor",                "The regularization gradient is twice what it should be: {dreg}."),
    Mistake("reg_sign",            "sign",                  "The regularization gradient has the wrong sign: {dreg}, added to the loss's gradient (the penalty grows with |w|)."),
    Mistake("reg_per_sample",      "reduction",             "The regularization gradient is divided by the batch size: the penalty is added to L once, not per sample."),
]}

ACTIVATION_SLIPS = ("f_for_df", "df_missing", "df_at_O", "df_O_form_at_z", "df_wrong_layer")
DELTA_SLIPS = ("delta_not_transposed", "delta_not_propagated")
SAMPLE_SLIPS = ("samples_last", "samples_first", "samples_stacked")
BIAS_SLIPS = ("bias_not_summed", "bias_mean")
CLIPS = ("clipped_value", "clipped_norm")
COUPLED_SLIPS = ("jacobian_elementwise", "one_hot_missing")      # an output layer that couples (softmax)


class NotApplicable(Exception):
    """The mistake cannot be made on this network (the student's code would stop with a shape error)."""


@dataclass(frozen=True)
class Slip:
    """One mistake at some layers (1-based; () for a mistake of the whole computation)."""

    name: str
    layers: tuple = ()

    @property
    def mistake(self):
        return MISTAKES[self.name]


@dataclass(frozen=True)
class Scale:
    """A scalar mistake: the data part times data(N), the regularization part times reg(N)."""

    name: str
    data: object       # N -> factor
    reg: object

    @property
    def mistake(self):
        return MISTAKES[self.name]


def scales(spec):
    """The scalar mistakes that apply to a spec (regularization ones only when it has a penalty)."""
    out = [Scale("sign_data", lambda n: -1.0, lambda n: 1.0),
           Scale("loss_factor_2", lambda n: 2.0, lambda n: 1.0),
           Scale("loss_factor_half", lambda n: 0.5, lambda n: 1.0)]
    if spec.reduction == "sum":
        out.append(Scale("mean_for_sum", lambda n: 1.0 / n, lambda n: 1.0))
        out.append(Scale("mean_twice", lambda n: 1.0 / n ** 2, lambda n: 1.0))
    else:
        out.append(Scale("sum_for_mean", lambda n: float(n), lambda n: 1.0))
        out.append(Scale("mean_twice", lambda n: 1.0 / n, lambda n: 1.0))
    if spec.regularizer.present:
        out += [Scale("sign_all", lambda n: -1.0, lambda n: -1.0),
                Scale("reg_missing", lambda n: 1.0, lambda n: 0.0),
                Scale("reg_half", lambda n: 1.0, lambda n: 0.5),
                Scale("reg_double", lambda n: 1.0, lambda n: 2.0),
                Scale("reg_sign", lambda n: 1.0, lambda n: -1.0),
                Scale("reg_per_sample", lambda n: 1.0, lambda n: 1.0 / n)]
    return out


def _scopes(depth, first=1):
    """Layer sets a slip is tried at: each layer alone, the hidden layers together, every layer."""
    layers = list(range(first, depth + 1))
    out = [(k,) for k in layers]
    hidden = tuple(k for k in layers if k < depth)
    if len(hidden) > 1:
        out.append(hidden)
    if len(layers) > 1:
        out.append(tuple(layers))
    return out


def slips(spec):
    """Every structural slip worth trying on a spec, most common first."""
    depth = spec.depth
    out = []
    for name in ACTIVATION_SLIPS:
        out += [Slip(name, s) for s in _scopes(depth)]
    out += [Slip("dW_transposed", s) for s in _scopes(depth)]
    for name in DELTA_SLIPS:
        out += [Slip(name, s) for s in _scopes(depth, first=2)]
    out += [Slip(name) for name in SAMPLE_SLIPS]
    if spec.bias:
        out += [Slip(name) for name in BIAS_SLIPS]
        out += [Slip("bias_sign", s) for s in _scopes(depth)]
    out += [Slip("dW_own_output", s) for s in _scopes(depth)]
    if depth > 1:
        out.append(Slip("layers_reversed"))
    if spec.activation(depth).couples:
        out = [Slip(name, (depth,)) for name in COUPLED_SLIPS] + out
    return out


def _has(chosen, name, k=None):
    return any(s.name == name and (k is None or k in s.layers) for s in chosen)


def _df(spec, k, z, O, chosen):
    """f_k'(z_k) as the code computes it, under the slips chosen."""
    act = spec.activation(k)
    if _has(chosen, "f_for_df", k):
        return O[k]
    if _has(chosen, "df_missing", k):
        return np.ones_like(z[k])
    if _has(chosen, "df_at_O", k):
        return act.df(O[k], act.f(O[k]))
    if _has(chosen, "df_O_form_at_z", k):
        return act.df(z[k], z[k])
    if _has(chosen, "df_wrong_layer", k):
        # the neighbouring layer's z (the one above, or below for the output layer), where the widths allow
        other = k + 1 if k < spec.depth else k - 1
        if other < 1 or z[other].shape != z[k].shape:
            raise NotApplicable
        return spec.activation(other).df(z[other], O[other])
    return act.df(z[k], O[k])


def _grad_z(spec, k, fwd, delta, chosen):
    z, O = fwd.z, fwd.O
    if _has(chosen, "jacobian_elementwise", k):
        J = spec.activation(k).jacobian(O[k])
        return delta * np.diagonal(J, axis1=-2, axis2=-1)
    if _has(chosen, "one_hot_missing", k):
        return O[k] - np.argmax(fwd.y, axis=-1)[:, None]
    activation_slip = any(_has(chosen, name, k) for name in ACTIVATION_SLIPS)
    if k == spec.depth and not activation_slip:
        return objective.output_grad_z(spec, fwd.y, z[k], O[k], delta)
    return delta * _df(spec, k, z, O, chosen)


def _propagate(spec, k, g, W, chosen):
    """delta_(k-1) from g_k, under the slips chosen; NotApplicable where numpy would refuse the shapes."""
    rows, width = g.shape[0], W[k - 1].shape[0]
    if _has(chosen, "delta_not_transposed", k):
        if W[k - 1].shape[0] != W[k - 1].shape[1]:
            raise NotApplicable
        delta = g @ W[k - 1]
    elif _has(chosen, "delta_not_propagated", k):
        if g.shape[1] not in (1, width):
            raise NotApplicable
        delta = np.broadcast_to(g, (rows, width)).copy()     # what g * f'(z_(k-1)) broadcasts to
    else:
        delta = g @ W[k - 1].T
    return delta


def _dW(A, g, chosen):
    if _has(chosen, "samples_last"):
        return A[-1:].T @ g[-1:]
    if _has(chosen, "samples_first"):
        return A[:1].T @ g[:1]
    if _has(chosen, "samples_stacked"):
        return np.einsum("ni,nj->nij", A, g)
    return A.T @ g


def _db(g, k, chosen):
    sign = -1.0 if _has(chosen, "bias_sign", k) else 1.0
    if _has(chosen, "samples_last"):
        return sign * g[-1]
    if _has(chosen, "samples_first"):
        return sign * g[0]
    if _has(chosen, "samples_stacked") or _has(chosen, "bias_not_summed"):
        return sign * g
    if _has(chosen, "bias_mean"):
        return sign * g.mean(axis=0)
    return sign * g.sum(axis=0)


def mistaken(spec, point, chosen=(), fwd=None):
    """(data part of dW, db or None, regularization part of dW) under the slips chosen, per layer.

    With no slips, data + regularization is numeric backprop's dW. Raises NotApplicable when the
    mistake cannot be made on this network's shapes. ``fwd``: the forward pass at the point, when the
    caller has it (it is the same for every mistake)."""
    fwd = fwd or forward(spec, point)
    depth = spec.depth
    data, db = [None] * depth, [None] * depth
    delta = objective.output_delta(spec, fwd.y, fwd.z[depth], fwd.O[depth])
    try:
        for k in range(depth, 0, -1):
            g = _grad_z(spec, k, fwd, delta, chosen)
            A = fwd.O[k] if _has(chosen, "dW_own_output", k) else fwd.O[k - 1]
            data[k - 1] = _dW(A, g, chosen)
            db[k - 1] = _db(g, k, chosen)
            if k > 1:
                delta = _propagate(spec, k, g, fwd.W, chosen)
                if delta.shape != fwd.z[k - 1].shape:
                    raise NotApplicable
    except ValueError:
        raise NotApplicable from None
    reg = [objective.reg_grad(spec, w) for w in fwd.W]
    reg = [np.zeros_like(w) if r is None else r for r, w in zip(reg, fwd.W)]
    for k in range(1, depth + 1):
        if _has(chosen, "dW_transposed", k):
            data[k - 1], reg[k - 1] = data[k - 1].T, reg[k - 1].T
        if data[k - 1].shape != reg[k - 1].shape:
            if spec.regularizer.present:
                raise NotApplicable                  # no way to add the penalty to an array of another shape
            reg[k - 1] = np.zeros_like(data[k - 1])
    if _has(chosen, "layers_reversed"):
        data, db, reg = data[::-1], db[::-1], reg[::-1]
    return data, db if spec.bias else None, reg


@dataclass(frozen=True)
class Clip:
    """The whole gradient clipped: each entry to ±limit (clipped_value), or the list of arrays scaled down to a
    norm of ``limit`` (clipped_norm; ``per_array``: each array on its own). ``largest``: the true gradient's
    largest entry (or norm) where it was clipped."""

    name: str
    limit: float
    largest: float
    per_array: bool = False

    @property
    def mistake(self):
        return MISTAKES[self.name]

    def apply(self, arrays):
        if self.name == "clipped_value":
            return [np.clip(a, -self.limit, self.limit) for a in arrays]
        if self.per_array:
            return [a * min(1.0, self.limit / max(float(np.linalg.norm(a)), 1e-300)) for a in arrays]
        norm = float(np.sqrt(sum(float(np.sum(a * a)) for a in arrays)))
        return [a * min(1.0, self.limit / max(norm, 1e-300)) for a in arrays]


def clips(student, correct):
    """The clippings worth trying, their limits read off the student's arrays at every case (lists of
    arrays, dW then db): the largest entry, the largest norm of the whole list, the largest norm of one array.
    Only those that the true gradient exceeds somewhere are returned."""
    def norm(arrays):
        return float(np.sqrt(sum(float(np.sum(a * a)) for a in arrays)))
    out = []
    largest = max(float(np.max(np.abs(a))) for arrays in correct for a in arrays if a.size)
    limit = max(float(np.max(np.abs(a))) for arrays in student for a in arrays if a.size)
    if 0 < limit < largest * (1 - 1e-9):
        out.append(Clip("clipped_value", limit, largest))
    longest = max(norm(arrays) for arrays in correct)
    limit = max(norm(arrays) for arrays in student)
    if 0 < limit < longest * (1 - 1e-9):
        out.append(Clip("clipped_norm", limit, longest))
    longest = max(float(np.linalg.norm(a)) for arrays in correct for a in arrays)
    limit = max(float(np.linalg.norm(a)) for arrays in student for a in arrays)
    if 0 < limit < longest * (1 - 1e-9):
        out.append(Clip("clipped_norm", limit, longest, per_array=True))
    return out
