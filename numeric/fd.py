"""Finite differences: central differences and the complex step, with an error estimate each.

Central:       dL/dw ~ (L(w + h) - L(w - h)) / 2h,   h = eps^(1/3) * max(1, |w|)
Complex step:  dL/dw ~ Im L(w + ih) / h,            h = 1e-30 (analytic activations and losses only)

Perturbations are batched: perturbing a parameter of layer k only changes z_k onwards, so the
layers before k are computed once, and every perturbed copy of the network (a leading axis) goes
through the later layers in one matrix product per layer.

Error estimates. Central: |D(h) - D(2h)| / 3 (Richardson: the truncation error of D(h)) plus the
rounding error eps * S / h, where S is |L| plus what the outputs' rounding carries into L. Where that
rounding swamps the difference (a loss of 1e300), the step grows with it; see central(). Complex step: no subtraction, so no cancellation; the truncation error
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
gradproof.numeric.errors.GradproofError: the complex step needs analytic activations (sigmoid, tanh, linear, softplus, softmax); layer 1 uses relu
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
INPUT_SCALE = 1.0                # inputs larger than this shorten the step of the weights they multiply
GROW_AT = 1e-6                   # a longer step is tried where the rounding is more than this share of the quotient
RESOLVED = 0.1                   # no step resolves a derivative whose rounding stays above this share of it
GROWTHS = 200                    # at most this many longer steps per layer (each 100 times longer at most)


@dataclass(frozen=True)
class Estimate:
    """A finite-difference derivative of L with respect to one parameter, and its estimated error."""

    param: object
    value: float
    error: float
    rounding: float = 0.0          # the part of `error` that is the rounding of L, eps |L| / h
    step: float = 0.0              # the step h taken (central differences)
    unresolved: str | None = None  # why no step resolves the derivative (then the value means nothing)


def central_step(w, unit=1.0):
    """The step for central differences at w: eps^(1/3) * max(unit, |w|), rounded so that w + h - w == h.

    unit: the size of a change of w that moves L appreciably, for w near 0. It is 1 for a bias; for a
    weight w^k_ij, which moves z_kj by the step times O_(k-1)i, it is min(1, INPUT_SCALE / |O_(k-1)i|): an
    input of 1e6 would otherwise turn a step of 6e-6 into a move of 6 in z, and the difference into
    nonsense. (Inputs up to INPUT_SCALE keep the plain step.)"""
    h = EPS ** (1 / 3) * np.maximum(unit, np.abs(w))
    return (w + h) - w


def _units(fwd, group):
    """The unit of central_step for each parameter of one layer (see there)."""
    layer = group[0].layer
    largest = np.abs(fwd.O[layer - 1]).max(axis=0) if fwd.O[layer - 1].size else np.zeros(0)
    return np.array([INPUT_SCALE / max(INPUT_SCALE, float(largest[p.i - 1])) if p.is_weight else 1.0 for p in group])


def complex_step_applies(spec):
    """Whether every activation is analytic, so that the complex step gives the derivative."""
    return all(ACTIVATIONS[a].analytic for a in spec.activations)


def _values(point, params):
    return np.array([point.param_value(p) for p in params], dtype=float)


def _reg_term(spec, w):
    """The regularization term of one weight, at (possibly complex) w: analytic where w != 0."""
    return spec.lam * spec.regularizer.term(w)


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
        # only column j of z_k (and so of O_k, unless f_k couples the layer) moves: apply f_k to that column alone
        z_col = fwd.z[layer][:, cols].T + shift                              # (Q, N)
        z = np.repeat(fwd.z[layer][None], Q, axis=0)                         # (Q, N, n_k)
        O = np.repeat(fwd.O[layer][None], Q, axis=0)
        z[np.arange(Q), :, cols] = z_col
        row = spec.activation(layer)
        if row.couples:
            O = row.f(z)                                                     # every O_k moves with z_kj
        else:
            O[np.arange(Q), :, cols] = row.f(z_col)
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


def _central_at(spec, fwd, layer, group, w, h):
    """(D(h), D(2h), the total losses) for the parameters of one layer moved by ±h and ±2h."""
    steps = np.stack([h, -h, 2 * h, -2 * h], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        data = _perturbed_data_losses(spec, fwd, layer, group, steps)
        is_weight = np.array([p.is_weight for p in group])
        reg = np.where(is_weight[:, None], _reg_term(spec, w[:, None] + steps), 0.0)
        total = data + reg
        d1 = (total[:, 0] - total[:, 1]) / (2 * h)
        d2 = (total[:, 2] - total[:, 3]) / (4 * h)
    return d1, d2, total


def _rounding_share(noise, h, d1):
    """The rounding of L over the step, noise / h, as a share of the difference quotient (or of 1, for a
    quotient below 1: a loss of order 1 never needs a longer step); inf where the quotient is not finite."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        share = noise / h / np.maximum(np.abs(d1), 1.0)
    return np.where(np.isfinite(d1) & ~np.isnan(share), share, np.inf)


def central(spec, point, params=None):
    """dL/dparam by central differences, for the given parameters (default: all), in float64.

    The step is h = central_step(w, unit), unless L is so large that its rounding (eps times its magnitude)
    is more than GROW_AT of the quotient over that step (a loss of 1e300 rounds to ±1e284): then h grows,
    towards eps^(1/3) |L / D| (the step over which L changes by eps^(1/3) of itself), a little at a time,
    for as long as the estimated error (truncation plus rounding) falls. Where the rounding remains
    more than RESOLVED of the quotient, no step resolves the derivative: the estimate says so in
    `unresolved`, and its value is not to be judged."""
    params = _check(spec, params)
    fwd = forward(spec, point)
    base = _rounding_scale(spec, fwd)           # for the error estimate
    size = abs(loss_of(spec, fwd))
    noise = EPS * size                          # the rounding of L at its magnitude: what the step must outgrow
    results = {}
    for layer, group in _by_layer(params).items():
        w = _values(point, group)
        unit = _units(fwd, group)
        h = central_step(w, unit)
        d1, d2, _ = _central_at(spec, fwd, layer, group, w, h)
        active = np.isfinite(noise) & np.ones(len(group), dtype=bool)
        for _ in range(GROWTHS):
            grow = active & (_rounding_share(noise, h, d1) > GROW_AT)
            if not grow.any():
                break
            # where the quotient is at least partly above the rounding, aim at the step over which L moves by
            # eps^(1/3) of itself, at most 10 times longer at a time; where it is all rounding (often exactly
            # 0), try a step 100 times longer
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                partly = np.isfinite(d1) & (noise / h < np.abs(d1))
                aim = np.where(partly, np.clip(EPS ** (1 / 3) * size / np.abs(d1), 2 * h, 10 * h), 100 * h)
                wider = (w + aim) - w
            take = grow & np.isfinite(wider) & (wider > h)
            if not take.any():
                break
            sub = [p for p, t in zip(group, take) if t]
            n1, n2, _ = _central_at(spec, fwd, layer, sub, w[take], wider[take])
            # a longer step trades rounding for truncation: keep it only where the estimated error falls
            with np.errstate(invalid="ignore", over="ignore"):
                before = np.abs(d1[take] - d2[take]) / 3 + noise / h[take]
                after = np.abs(n1 - n2) / 3 + noise / wider[take]
                keep = np.isfinite(n1) & np.isfinite(n2) & ~(after >= before)
            index = np.flatnonzero(take)
            h, d1, d2 = h.copy(), d1.copy(), d2.copy()
            h[index[keep]], d1[index[keep]], d2[index[keep]] = wider[index[keep]], n1[keep], n2[keep]
            active[index[~keep]] = False
        rounding = noise / h
        with np.errstate(invalid="ignore"):
            error = np.abs(d1 - d2) / 3 + EPS * base / h
        bad = _rounding_share(noise, h, d1) > RESOLVED
        for p, v, e, r, hh, unresolved in zip(group, d1, error, rounding, h, bad):
            why = None
            if unresolved:
                why = (f"L = {_loss_text(size)} rounds to ±{noise:.2g}; no step resolves ∂L/∂{p} "
                       f"(up to h = {hh:.2g}, the rounding is {r:.2g} against a quotient of {v:.3g})")
            results[p] = Estimate(p, float(v), float(e), float(r), float(hh), why)
    return [results[p] for p in params]


def _loss_text(base):
    return f"{base:.3g}" if np.isfinite(base) else "inf (it overflows)"


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

    Central differences evaluate L at w ± h and w ± 2h (h = fd.central_step(w, unit)). Where that moves a
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
    fwd = forward(spec, point)
    if spec.regularizer.kinked and spec.lam > 0:
        for p in params:
            if p.is_weight:
                w = point.param_value(p)
                h = float(central_step(w, _units(fwd, [p])[0]))
                if abs(w) < 2 * h:
                    reasons[p] = (f"the {spec.regularizer.title} term bends at {p} = 0, and {p} = {w:.3g} is "
                                  f"within the step ±2h = ±{2 * h:.2g} of it")
    kinked = [k for k in range(1, spec.depth + 1) if spec.activation(k).kinked]
    if not kinked:
        return reasons
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
    h = central_step(np.array([point.param_value(p) for p in group]), _units(fwd, group))
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
