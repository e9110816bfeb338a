"""A POINT: where gradients are evaluated. Inputs x, targets y, weights W and biases b.

File layout (JSON or TOML): ``x`` a list of samples, each n_0 numbers, or a single sample (a flat
list, one number per sample, when n_0 = 1); ``y`` likewise with n_L numbers (a bare number, or a flat
list of one number per sample, when n_L = 1); ``W`` a list of
matrices with ``W[k-1][i-1][j-1]`` = w^k_ij, shape n_(k-1) x n_k; ``b`` a list of vectors (when the
spec has biases).
"""
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import GradproofError
from .files import parse_json, parse_toml, read_text
from .losses import LOSSES, simplex_problem
from .notation import Neuron


@dataclass
class Point:
    """Samples and parameters. x: (N, n_0); y: (N, n_L); W[k-1]: (n_(k-1), n_k); b[k-1]: (n_k,) or None."""

    x: np.ndarray
    y: np.ndarray
    W: list
    b: list | None = None
    single: bool = False       # written as one sample rather than a list of samples

    @property
    def samples(self):
        return self.x.shape[0]

    def param_value(self, param):
        if param.is_weight:
            return float(self.W[param.layer - 1][param.i - 1, param.j - 1])
        return float(self.b[param.layer - 1][param.j - 1])

    def to_json(self):
        data = {"x": self.x[0].tolist() if self.single else self.x.tolist(),
                "y": self.y[0].tolist() if self.single else self.y.tolist(),
                "W": [w.tolist() for w in self.W]}
        if self.b is not None:
            data["b"] = [b.tolist() for b in self.b]
        return data


def _shape_text(shape):
    """A shape as the error messages write it: [3] or [4, 3], "a single number" for a scalar."""
    return str(list(shape)) if shape else "a single number"


def _has_bool(value):
    """Whether a (nested) POINT value holds true/false, which numpy would silently read as 1/0."""
    if isinstance(value, (list, tuple)):
        return any(_has_bool(v) for v in value)
    return isinstance(value, bool)


def _numbers(value, field, shape_text):
    try:
        if isinstance(value, (str, dict)) or _has_bool(value):
            raise TypeError
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise GradproofError(f"POINT field {field!r} must be numbers of shape {shape_text}; "
                             f"got something ragged or not numeric") from None
    if not np.all(np.isfinite(array)):
        raise GradproofError(f"POINT field {field!r} holds a value that is not finite")
    return array


def _samples(value, field, width, count=None):
    """Samples as an (N, width) array, from a list of samples or from a single one.

    With one number per sample (width 1) a flat list is one number per sample: [0.1, 0.2, 0.3] is three
    samples (for y, as many as x has; for x, as many as the list holds)."""
    shape_text = f"[{width}] or [N][{width}]" + (" or [N] (one number per sample)" if width == 1 else "")
    array = _numbers(value, field, shape_text)
    single = array.ndim <= 1 and not (count and count > 1)
    if array.ndim == 0:
        array = array.reshape(1, 1)
    elif array.ndim == 1:
        if width == 1:
            array = array.reshape(-1, 1)
            single = single and array.shape[0] == 1
        else:
            array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[1] != width or array.shape[0] == 0:
        raise GradproofError(f"POINT field {field!r} has shape {_shape_text(np.shape(value))}; expected {shape_text}")
    return array, single


def from_mapping(data, spec, source="POINT"):
    """Check a POINT's fields against the spec's shapes, naming the field and the shape expected.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.point import from_mapping
    >>> p = from_mapping({"x": [[1, 2], [3, 4]], "y": [0.5, 1.5], "W": [[[0.1], [0.2]]]}, Spec(layers=(2, 1)))
    >>> p.x.shape, p.y.tolist()
    ((2, 2), [[0.5], [1.5]])
    >>> from_mapping({"x": [1, 2, 3], "y": 0.5, "W": [[[0.1], [0.2]]]}, Spec(layers=(2, 1)))
    Traceback (most recent call last):
    ...
    gradproof.numeric.errors.GradproofError: POINT field 'x' has shape [3]; expected [2] or [N][2]
    """
    if not isinstance(data, dict):
        raise GradproofError(f"{source}: a POINT is a table with fields x, y, W (and b)")
    extra = set(data) - {"x", "y", "W", "b"}
    if extra:
        raise GradproofError(f"{source}: unknown POINT field {sorted(extra)[0]!r}; valid: x, y, W, b")
    for field in ("x", "y", "W") + (("b",) if spec.bias else ()):
        if field not in data:
            raise GradproofError(f"{source}: POINT field {field!r} is missing")
    n = spec.layers
    try:
        x, single = _samples(data["x"], "x", n[0])
        y, _ = _samples(data["y"], "y", n[-1], count=x.shape[0])
        if y.shape[0] != x.shape[0]:
            raise GradproofError(f"POINT field 'y' has {y.shape[0]} samples but 'x' has {x.shape[0]}")
        if not isinstance(data["W"], list) or len(data["W"]) != len(n) - 1:
            raise GradproofError(f"POINT field 'W' must be a list of {len(n) - 1} matrices "
                                 f"(shapes {', '.join(f'{a}x{b}' for a, b in zip(n, n[1:]))})")
        W = []
        for k, matrix in enumerate(data["W"], start=1):
            w = _numbers(matrix, f"W[{k - 1}]", f"{n[k - 1]}x{n[k]}")
            if w.shape != (n[k - 1], n[k]):
                raise GradproofError(f"POINT field 'W[{k - 1}]' (w^{k}) has shape {'x'.join(map(str, w.shape)) if w.ndim > 1 else _shape_text(w.shape)}; "
                                     f"expected {n[k - 1]}x{n[k]} (rows i = neurons of layer {k - 1}, columns j = neurons of layer {k})")
            W.append(w)
        b = None
        if spec.bias:
            if not isinstance(data["b"], list) or len(data["b"]) != len(n) - 1:
                raise GradproofError(f"POINT field 'b' must be a list of {len(n) - 1} vectors (lengths {', '.join(map(str, n[1:]))})")
            b = []
            for k, vector in enumerate(data["b"], start=1):
                v = _numbers(vector, f"b[{k - 1}]", f"[{n[k]}]")
                if v.shape != (n[k],):
                    raise GradproofError(f"POINT field 'b[{k - 1}]' (b^{k}) has shape {_shape_text(v.shape)}; expected [{n[k]}]")
                b.append(v)
        elif "b" in data:
            raise GradproofError("POINT field 'b' given but the spec has no biases (add --bias)")
        _check_targets(spec, y)
    except GradproofError as error:
        message = str(error)
        raise GradproofError(message if message.startswith(source) else f"{source}: {message}") from None
    return Point(x, y, W, b, single)


def outside_targets(spec, y):
    """(sample, output) indices (0-based) of the first target outside the range the spec's loss needs
    (its registry row's `targets`: [0, 1] for bce), or None."""
    bounds = LOSSES[spec.loss].targets
    if bounds is None:
        return None
    bad = np.argwhere((y < bounds[0]) | (y > bounds[1]))
    return None if bad.size == 0 else (int(bad[0][0]), int(bad[0][1]))


def _check_targets(spec, y):
    row = LOSSES[spec.loss]
    problem = simplex_problem(y) if row.simplex else None
    if problem is not None:
        n, what = problem
        raise GradproofError(f"sample {n + 1}: {what}; loss {spec.loss!r} needs each sample's targets to be a "
                             "probability vector (entries >= 0 summing to 1, e.g. one-hot)")
    bad = outside_targets(spec, y)
    if bad is not None:
        (n, j), (lo, hi) = bad, row.targets
        raise GradproofError(f"sample {n + 1}: target {Neuron('y', spec.depth, j + 1).name} = {y[n, j]:g} is outside "
                             f"[{lo:g}, {hi:g}], which loss {spec.loss!r} needs")


def load_point(path, spec):
    """Read a POINT file, JSON or TOML by its suffix (JSON when it is neither)."""
    path = Path(path)
    text = read_text(path, "POINT file")
    data = (parse_toml if path.suffix.lower() == ".toml" else parse_json)(path, text)
    return from_mapping(data, spec, source=str(path))


def random_point(spec, seed=0, samples=1, scale=1.0):
    """A reproducible random POINT: x, W and b uniform in [-scale, scale]; y in (0, 1) (valid for every loss), each
    sample's targets scaled to sum to 1 for a loss that needs probability vectors.

    Weights are scaled by 1/sqrt(fan-in) so that deep networks stay in the activations' useful range.
    """
    rng = np.random.default_rng(seed)
    n = spec.layers
    x = rng.uniform(-scale, scale, (samples, n[0]))
    y = rng.uniform(0.05, 0.95, (samples, n[-1]))
    if LOSSES[spec.loss].simplex:
        y /= y.sum(axis=1, keepdims=True)        # a probability vector, no entry 0 or 1 (where a mistake can hide)
    W = [rng.uniform(-scale, scale, (a, b)) / math.sqrt(a) for a, b in zip(n, n[1:])]
    b = [rng.uniform(-scale, scale, b) / 2 for b in n[1:]] if spec.bias else None
    return Point(x, y, W, b, single=samples == 1)
