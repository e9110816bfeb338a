"""The naive chain rule: every path from a parameter to L, a product of local derivatives each.

This is the notes' computation before memoization, e.g. for w^1_11 of the 4-3-2-1 network

    dL/dw^1_11 = dL/dO_31 * [dO_31/dO_21 * dO_21/dO_11 + dO_31/dO_22 * dO_22/dO_11] * dO_11/dw^1_11

with dO_lb/dO_(l-1)a = f_l'(z_lb) * w^l_ab and dO_kj/dw^k_ij = f_k'(z_kj) * O_(k-1)i (dO_kj/db^k_j =
f_k'(z_kj)). Each f' is the activation table's, the same stable local derivative backprop uses, and the
output's dL/dO_L * f_L' is objective.output_grad_z (O - y for BCE on a sigmoid), so that saturated outputs
are as accurate here as in backprop. Nothing is reused between paths, so the work grows as the product of the widths of the
later layers; backprop (numeric/backprop.py) reuses delta_k and grows linearly. Both counts are
given per sample: every multiplication here is done once per sample (vectorised over samples).

What counts as a multiplication, on both sides: forming a local derivative that is a product
(f' * w, f' * O) and chaining two factors. Evaluating f' itself and dL/dO_L is the same work for both
methods and is not counted.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.paths import multiplication_counts
>>> counts = multiplication_counts(Spec())
>>> counts["total"]
{'per_path': 172, 'backprop': 34}
>>> [(row["layer"], row["per_path"], row["backprop"]) for row in counts["layers"]]
[(1, 144, 15), (2, 24, 14), (3, 4, 5)]
"""
import itertools
from dataclasses import dataclass, field

from . import objective
from .backprop import forward
from .notation import Param


@dataclass
class PerPath:
    """values[param]: dL/dparam, or None when the parameter has more than max_paths paths;
    multiplications: the multiplications done, per sample; skipped: the parameters left out."""

    values: dict
    multiplications: int
    skipped: list = field(default_factory=list)


def paths(spec, param):
    """Every path from a parameter to L, as the neuron index (1-based) in each layer k..L.

    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.notation import Param
    >>> list(paths(Spec(), Param.weight(1, 1, 1)))
    [(1, 1, 1), (1, 2, 1)]

    A coupled output layer (softmax) adds one more index: z_Lj reaches L through every O_Lm, so a path ends
    (..., j, m), the output neuron whose z it passes and the output whose O it then passes.

    >>> [p[-2:] for p in paths(Spec(layers=(2, 3), activations="softmax", loss="ce"), Param.weight(1, 1, 2))]
    [(2, 1), (2, 2), (2, 3)]
    """
    later = [range(1, n + 1) for n in spec.layers[param.layer + 1:]]
    if spec.activation(spec.depth).couples:
        later.append(range(1, spec.layers[-1] + 1))
    for rest in itertools.product(*later):
        yield (param.j,) + rest


def _path_sum(spec, fwd, fprime, start, param):
    """sum over paths of the product of local derivatives, per sample; and the multiplications done.

    Each path starts from dL/dz_L of its output neuron (delta_L * f_L', which for a loss fused with its output
    activation is the stable form backprop uses, O - y for BCE on a sigmoid) and then multiplies, link by link,
    dz_(l)to / dz_(l-1)frm = w^l_frm,to * f_(l-1)'(z_frm), ending with dz_kj/dw^k_ij = O_(k-1)i. The factors are
    the notes' (dL/dO_L, dO_l/dO_(l-1) = f_l' w, dO_kj/dw = f_k' O) grouped by neuron, and so are the counts:
    2 per link, 1 to start (delta * f'), 1 for the last factor (a weight's), as multiplication_counts says."""
    k = param.layer
    coupled = spec.activation(spec.depth).couples
    count = 0
    total = 0.0
    for path in paths(spec, param):
        nodes = [n - 1 for n in path]
        if coupled:
            # dL/dO_Lm * dO_Lm/dz_Lj: the path's first two links, through output m to z of output j
            nodes, m = nodes[:-1], nodes[-1]
            product = start[:, m, nodes[-1]]
        else:
            product = start[:, nodes[-1]]
        count += 1
        for layer in range(spec.depth, k, -1):                         # from the output back to layer k
            to, frm = nodes[layer - k], nodes[layer - k - 1]
            local = fwd.W[layer - 1][frm, to] * fprime[layer - 1][:, frm]   # dz_(layer)to / dz_(layer-1)frm
            product = product * local
            count += 2
        if param.is_weight:
            product = product * fwd.O[k - 1][:, param.i - 1]            # dz_kj/dw^k_ij, again for every path
            count += 1
        total = total + product
    return total, count


def per_path(spec, point, params=None, max_paths=None):
    """dL/dparam by summing over every path, for the given parameters (default: all).

    A parameter with more than max_paths paths is skipped (its value is None): the enumeration is
    exponential in depth, and callers with wide networks set a limit.
    """
    fwd = forward(spec, point)
    L = spec.depth
    # f' of the hidden layers (the output layer's enters through `start`)
    fprime = [None] + [spec.activation(k).df(fwd.z[k], fwd.O[k]) for k in range(1, L)] + [None]
    dL_dO = objective.output_delta(spec, fwd.y, fwd.z[L], fwd.O[L])
    if spec.activation(L).couples:
        start = objective.output_path_factors(spec, fwd.y, fwd.z[L], fwd.O[L], dL_dO)
    else:
        start = objective.output_grad_z(spec, fwd.y, fwd.z[L], fwd.O[L], dL_dO)
    values, skipped, count = {}, [], 0
    for param in params if params is not None else spec.parameters():
        spec.check_param(param)
        if max_paths is not None and spec.path_count(param) > max_paths:
            values[param] = None
            skipped.append(param)
            continue
        total, done = _path_sum(spec, fwd, fprime, start, param)
        value = float(total.sum())
        if param.is_weight:
            extra = objective.reg_grad(spec, fwd.W[param.layer - 1][param.i - 1, param.j - 1])
            value += float(extra) if extra is not None else 0.0
        values[param] = value
        count += done
    return PerPath(values, count, skipped)


def _per_path_count(spec, k):
    """Multiplications per sample of the per-path sums for every parameter of layer k."""
    n, L = spec.layers, spec.depth
    paths_each = spec.path_count(Param.weight(k, 1, 1))
    weights = n[k - 1] * n[k] * paths_each * 2 * (L - k + 1)     # 2 per link, 1 for f'*O, 1 to chain it
    biases = n[k] * paths_each * (2 * (L - k) + 1) if spec.bias else 0
    return weights + biases


def _backprop_count(spec, k):
    """Multiplications per sample of backprop at layer k: g = delta*f', dW = O^T g, delta_(k-1) = g W^T."""
    n = spec.layers
    # at a coupled output layer g_j = sum_m delta_m dO_m/dz_j: n_k products per neuron, not one
    g = n[k] * n[k] if k == spec.depth and spec.activation(k).couples else n[k]
    return g + n[k - 1] * n[k] + (n[k - 1] * n[k] if k > 1 else 0)


def multiplication_counts(spec):
    """Per layer and in total, the multiplications (per sample) of the per-path sums and of backprop."""
    layers = [{"layer": k, "per_path": _per_path_count(spec, k), "backprop": _backprop_count(spec, k)}
              for k in range(1, spec.depth + 1)]
    total = {key: sum(row[key] for row in layers) for key in ("per_path", "backprop")}
    return {"layers": layers, "total": total}
