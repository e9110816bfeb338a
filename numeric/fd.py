"""Finite differences: central differences and the complex step, with an error estimate each.

Central:       dL/dw ~ (L(w + h) - L(w - h)) / 2h,   h = eps^(1/3) * max(1, |w|)
Complex step:  dL/dw ~ Im L(w + ih) / h,            h = 1e-30 (analytic activations and losses only)

Perturbations are batched: perturbing a parameter of layer k only changes z_k onwards, so the
layers before k are computed once, and every perturbed copy of the network (a leading axis) goes
through the later layers in one matrix product per layer.

Error estimates. Central: |D(h) - D(2h)| / 3 (Richardson: the truncation error of D(h)) plus the
rounding error eps * S / h, where S is |L| plus what the outputs' rounding carries into L. Complex step: no subtraction, so no cancellation; the truncation error
is of order h^2 = 1e-60, and what remains is rounding, estimated as eps * |value|.

The regularization term of the perturbed weight is differenced on its own (lambda|w +- h| or
lambda (w +- h)^2): the other weights' terms are constants that cancel exactly in the difference.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.point import random_point
>>> from gradproof.numeric.backprop import backprop
>>> from gradproof.numeric.fd import central, complex_step
>>> spec, point = Spec(), random_point(Spec(), seed=3)
>>> bp = backprop(spec, point)
>>> all(abs(e.value - bp.value(e.param)) <= 1e-12 * abs(bp.value(e.param)) + 1e-16
...     for e in complex_step(spec, point))
True
>>> complex_step(Spec(activations=("relu",)), point)
Traceback (most recent call last):
...
gradproof.numeric.errors.GradproofError: the complex step needs analytic activations (sigmoid, tanh, linear, softplus); layer 1 uses relu
"""
from dataclasses import dataclass

import numpy as np

from . import objective
from .activations import ACTIVATIONS
from .backprop import forward, layers_from, loss_of
from .errors import GradproofError
from .notation import Neuron

__all__ = ["Estimate", "central", "central_step", "complex_step", "complex_step_applies", "kinks", "EPS", "COMPLEX_H"]

EPS = np.finfo(np.float64).eps
COMPLEX_H = 1e-30
BUDGET = 1 << 21                 # numbers per batch of perturbed activations (16 MB of float64)


@dataclass(frozen=True)
class Estimate:
    """A finite-difference derivative of L with respect to one parameter, and its estimated error."""

    param: object
    value: float
    error: float


def central_step(w):
    """The step for central differences at w: eps^(1/3) * max(1, |w|), rounded so that w + h - w == h."""
    h = EPS ** (1 / 3) * np.maximum(1.0, np.abs(w))
    return (w + h) - w


def complex_step_applies(spec):
    """Whether every activation is analytic, so that the complex step gives the derivative."""
    return all(ACTIVATIONS[a].analytic for a in spec.activations)


def _values(point, params):
    return np.array([point.param_value(p) for p in params], dtype=float)


def _reg_term(spec, w):
    """The regularization term of one weight, at (possibly complex) w: analytic where w != 0."""
    if spec.regularization == "l2":
        return spec.lam * w * w
    if spec.regularization == "l1":
        # |w| continued analytically from the real axis: sign(Re w) * w (0 at w = 0, the subgradient)
        return spec.lam * np.sign(np.real(w)) * w if np.iscomplexobj(w) else spec.lam * np.abs(w)
    return np.zeros_like(w)


def _perturbed_data_losses(spec, fwd, layer, params, steps):
    """The data loss with each parameter of one layer moved by each step: shape (len(params), steps.shape[1]).

    steps[p, s] is added to parameter p (real or imaginary). Only layers >= `layer` are recomputed.
    """
    P, S = steps.shape
    N = fwd.O[0].shape[0]
    widest = max(spec.layers[layer:])
    chunk = max(1, BUDGET // (S * N * widest))
    out = np.empty((P, S), dtype=steps.dtype)
    j = np.array([p.j - 1 for p in params])
    # dz_kj = step * O_(k-1)i for a weight, = step for a bias; the rest of z_k is unchanged
    rows = np.ones((P, N), dtype=fwd.O[0].dtype)
    weights = np.array([p.is_weight for p in params])
    if weights.any():
        i = np.array([p.i - 1 if p.is_weight else 0 for p in params])
        rows[weights] = fwd.O[layer - 1][:, i[weights]].T
    for start in range(0, P, chunk):
        stop = min(P, start + chunk)
        Q = (stop - start) * S
        shift = (steps[start:stop, :, None] * rows[start:stop, None, :]).reshape(Q, N)
        cols = np.repeat(j[start:stop], S)
        # only column j of z_k (and so of O_k) moves: apply f_k to that column alone
        z_col = fwd.z[layer][:, cols].T + shift                              # (Q, N)
        z = np.repeat(fwd.z[layer][None], Q, axis=0)                         # (Q, N, n_k)
        O = np.repeat(fwd.O[layer][None], Q, axis=0)
        z[np.arange(Q), :, cols] = z_col
        O[np.arange(Q), :, cols] = spec.activation(layer).f(z_col)
        zs, Os = layers_from(spec, layer, z, fwd.W, fwd.b, O_k=O)
        out[start:stop] = objective.data_loss(spec, fwd.y, zs[-1], Os[-1]).reshape(stop - start, S)
    return out


def _by_layer(params):
    layers = {}
    for p in params:
        layers.setdefault(p.layer, []).append(p)
    return layers


def _check(spec, params):
    params = list(params) if params is not None else spec.parameters()
    for p in params:
        spec.check_param(p)
    return params


def _rounding_scale(spec, fwd):
    """The size of the rounding error in a computed L, over eps: |L| plus what the outputs' own rounding
    (about eps * (|O_L| + |y|)) moves L by, through dL/dO_L. |L| alone is too small where L is a small
    difference of larger numbers, as (y - O)^2 is when O is close to y."""
    top = len(fwd.O) - 1
    delta = objective.output_delta(spec, fwd.y, fwd.z[top], fwd.O[top])
    carried = np.abs(delta) * (np.abs(fwd.O[top]) + np.abs(fwd.y))
    return abs(loss_of(spec, fwd)) + float(np.nan_to_num(carried, posinf=0.0).sum())


def central(spec, point, params=None):
    """dL/dparam by central differences, for the given parameters (default: all), in float64."""
    params = _check(spec, params)
    fwd = forward(spec, point)
    base = _rounding_scale(spec, fwd)
    results = {}
    for layer, group in _by_layer(params).items():
        w = _values(point, group)
        h = central_step(w)
        steps = np.stack([h, -h, 2 * h, -2 * h], axis=1)
        data = _perturbed_data_losses(spec, fwd, layer, group, steps)
        is_weight = np.array([p.is_weight for p in group])
        reg = np.where(is_weight[:, None], _reg_term(spec, w[:, None] + steps), 0.0)
        total = data + reg
        d1 = (total[:, 0] - total[:, 1]) / (2 * h)
        d2 = (total[:, 2] - total[:, 3]) / (4 * h)
        error = np.abs(d1 - d2) / 3 + EPS * base / h
        results.update({p: Estimate(p, float(v), float(e)) for p, v, e in zip(group, d1, error)})
    return [results[p] for p in params]


def complex_step(spec, point, params=None):
    """dL/dparam by the complex step Im L(w + ih) / h, h = 1e-30; analytic activations only."""
    for k, name in enumerate(spec.activations, start=1):
        if not ACTIVATIONS[name].analytic:
            analytic = ", ".join(a.name for a in ACTIVATIONS.values() if a.analytic)
            raise GradproofError(f"the complex step needs analytic activations ({analytic}); layer {k} uses {name}")
    params = _check(spec, params)
    fwd = forward(spec, point, dtype=np.complex128)
    results = {}
    for layer, group in _by_layer(params).items():
        w = _values(point, group)
        steps = np.full((len(group), 1), 1j * COMPLEX_H)
        data = _perturbed_data_losses(spec, fwd, layer, group, steps)[:, 0]
        is_weight = np.array([p.is_weight for p in group])
        reg = np.where(is_weight, _reg_term(spec, w + 1j * COMPLEX_H), 0.0)
        value = np.imag(data + reg) / COMPLEX_H
        results.update({p: Estimate(p, float(v), float(EPS * abs(v))) for p, v in zip(group, value)})
    return [results[p] for p in params]


# ---- kinks: where central differences mean nothing ----------------------------------------


def kinks(spec, point, params=None):
    """{param: reason} for the parameters whose central differences straddle a kink.

    Central differences evaluate L at w ± h and w ± 2h (h = fd.central_step(w)). Where that moves a
    ReLU or leaky-ReLU pre-activation z_mq by at least its distance from 0, L is not smooth over the
    step; so too for an L1-regularized weight within 2h of 0 (λ|w|). Each perturbed copy of the network
    is run forward from the parameter's layer, all copies of a layer in one batch.

    Examples
    ========
    >>> import numpy as np
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.point import Point
    >>> spec = Spec(layers=(1, 1, 1), activations=("relu", "linear"))
    >>> at_kink = Point(np.array([[1.0]]), np.array([[0.5]]), [np.array([[0.0]]), np.array([[1.0]])])
    >>> sorted(kinks(spec, at_kink))
    [w^1_11]
    """
    params = list(params) if params is not None else spec.parameters()
    reasons = {}
    if spec.regularization == "l1" and spec.lam > 0:
        for p in params:
            if p.is_weight:
                w = point.param_value(p)
                h = float(central_step(w))
                if abs(w) < 2 * h:
                    reasons[p] = (f"the L1 term λ|{p}| bends at {p} = 0, and {p} = {w:.3g} is within the "
                                  f"step ±2h = ±{2 * h:.2g} of it")
    kinked = [k for k in range(1, spec.depth + 1) if spec.activation(k).kinked]
    if not kinked:
        return reasons
    fwd = forward(spec, point)
    # a batch of 5 perturbed copies per parameter, each (samples, widest layer): about 1M numbers at once
    chunk = max(1, (1 << 20) // (5 * point.samples * max(spec.layers)))
    for layer in range(1, kinked[-1] + 1):
        group = [p for p in params if p.layer == layer]
        for start in range(0, len(group), chunk):
            _layer_kinks(spec, fwd, point, layer, group[start:start + chunk], kinked, reasons)
    return {p: reasons[p] for p in params if p in reasons}


def _layer_kinks(spec, fwd, point, layer, group, kinked, reasons):
    """Add the kink reasons of parameters of one layer: perturb each by 0, ±h, ±2h and compare z."""
    if not group:
        return
    h = central_step(np.array([point.param_value(p) for p in group]))
    steps = np.stack([0 * h, h, -h, 2 * h, -2 * h], axis=1)                    # (P, 5)
    P, S = steps.shape
    N = fwd.O[0].shape[0]
    # dz_kj = step * O_(k-1)i for a weight w^k_ij, = step for a bias b^k_j
    rows = np.stack([fwd.O[layer - 1][:, p.i - 1] if p.is_weight else np.ones(N) for p in group])   # (P, N)
    j = np.repeat([p.j - 1 for p in group], S)
    z = np.repeat(fwd.z[layer][None], P * S, axis=0)                           # (P*S, N, n_k)
    z[np.arange(P * S), :, j] += (steps[:, :, None] * rows[:, None, :]).reshape(P * S, N)
    zs, _ = layers_from(spec, layer, z, fwd.W, fwd.b)
    for m in kinked:
        if m < layer:
            continue
        zm = zs[m - layer].reshape(P, S, N, -1)
        base = zm[:, 0]
        moved = np.abs(zm[:, 1:] - base[:, None]).max(axis=1)                 # (P, N, n_m)
        near = np.abs(base) < moved
        for n, p in enumerate(group):
            if p in reasons or not near[n].any():
                continue
            # the neuron closest to its kink, relative to how far the step moves it
            closeness = np.where(near[n], np.abs(base[n]) / np.where(moved[n] > 0, moved[n], 1), np.inf)
            s, q = np.unravel_index(np.argmin(closeness), closeness.shape)
            name = Neuron("z", m, q + 1).name
            reasons[p] = (f"{spec.activation(m).prose} pre-activation {name} = {base[n, s, q]:.3g} "
                          f"(sample {s + 1}) is within the step of 0: moving {p} by up to ±2h = "
                          f"±{2 * h[n]:.2g} moves {name} by up to {moved[n, s, q]:.2g}")
