"""Values float64 cannot hold: which quantity overflowed, at which layer.

gradproof never prints NaN or Infinity (strict JSON parsers reject them, and a user cannot trust them).
Where a command's numbers are not all finite, `require_finite` raises a GradproofError (exit 2) naming
the first quantity of backprop's forward and backward pass at the point that is not finite: z, O
layer by layer, the loss, then delta = dL/dO and the gradients from the output back.

Examples
========
>>> import numpy as np
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.point import Point
>>> spec = Spec(layers=(1, 1), activations=("linear",))
>>> print(first_nonfinite(spec, Point(np.array([[1e300]]), np.array([[0.0]]), [np.array([[1e10]])])))
z_11 = inf at layer 1 (sample 1): the pre-activation overflows float64 (beyond ±1.8e+308)
>>> print(first_nonfinite(spec, Point(np.array([[1e200]]), np.array([[0.0]]), [np.array([[1.0]])])))
the loss L = inf: it overflows float64 (beyond ±1.8e+308) although layer 1's outputs are finite
>>> first_nonfinite(spec, Point(np.array([[2.0]]), np.array([[0.0]]), [np.array([[1.0]])])) is None
True
"""
import math

import numpy as np

from .backprop import backprop
from .errors import GradproofError
from .notation import Neuron

__all__ = ["all_finite", "first_nonfinite", "require_finite", "reported", "MAX"]

MAX = float(np.finfo(np.float64).max)
_BEYOND = f"beyond ±{MAX:.2g}"


def all_finite(value):
    """Whether every number in a nested structure (dicts, lists, tuples, arrays, numbers) is finite."""
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(all_finite(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, (float, np.floating, complex, np.complexfloating)):
        return bool(np.isfinite(value))
    return True


def _first_bad(array):
    """(sample, column) of the first non-finite entry of an (N, n) array, or None."""
    bad = np.argwhere(~np.isfinite(array))
    return None if bad.size == 0 else tuple(int(v) for v in bad[0])


def first_nonfinite(spec, point):
    """A sentence naming the first quantity of backprop at the point that is not finite, or None."""
    with np.errstate(all="ignore"):
        grads = backprop(spec, point)
    fwd = grads.forward
    what = {"z": "pre-activation", "O": "output"}
    for k in range(1, spec.depth + 1):
        for letter, values in (("z", fwd.z[k]), ("O", fwd.O[k])):
            at = _first_bad(values)
            if at is not None:
                n, j = at
                return (f"{Neuron(letter, k, j + 1).name} = {values[n, j]} at layer {k} (sample {n + 1}): "
                        f"the {what[letter]} overflows float64 ({_BEYOND})")
    if not math.isfinite(grads.loss):
        return (f"the loss L = {grads.loss}: it overflows float64 ({_BEYOND}) although layer {spec.depth}'s "
                "outputs are finite")
    for k in range(spec.depth, 0, -1):
        at = _first_bad(grads.delta[k]) if grads.delta[k] is not None else None
        if at is not None:
            n, j = at
            return (f"δ = ∂L/∂{Neuron('O', k, j + 1).name} = {grads.delta[k][n, j]} at layer {k} (sample {n + 1}): "
                    f"it overflows float64 ({_BEYOND})")
        for p in spec.parameters():
            if p.layer == k and not math.isfinite(grads.value(p)):
                return f"∂L/∂{p} = {grads.value(p)} at layer {k}: the gradient overflows float64 ({_BEYOND})"
    return None


def require_finite(spec, point, values, what="the result", after=None):
    """Return `values` if every number in it is finite; else raise a GradproofError naming the first
    quantity of backprop that overflows at the point (or, failing that, at `after`: the point after a
    step, whose loss is part of the values)."""
    if all_finite(values):
        return values
    reason = first_nonfinite(spec, point)
    if reason is None and after is not None:
        reason = first_nonfinite(spec, after)
        reason = reason and f"after the step, {reason}"
    if reason is None:
        reason = "a value is not finite although every quantity of backprop at this point is"
    raise GradproofError(f"cannot give {what}: {reason}")


def reported():
    """numpy's overflow warnings off: a non-finite value is reported by require_finite, once, as an error."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore")
