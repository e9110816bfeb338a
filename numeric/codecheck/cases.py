"""Where a student's backward is run: random points on the teacher's network, and two companion networks.

- ``spec``: the teacher's network, N points with batches of 1, 3, 2, 5, ... samples (1 first: code
  that only works for one sample is found; several samples: a missing sum over samples is found). With two
  points or more, the last one is made to have large gradients (some |dL/dw| of 2 or more: targets far from
  the outputs, the output layer's weights scaled up), where code that clips its gradient to ±1 is found; on
  ordinary random points every gradient of the notes' network is below 0.1.
- ``reshaped``: when the teacher's network has a square weight matrix, the same network with its hidden
  widths changed so that none is square (a missing transpose hides in a square matrix). It counts.
- ``square``: every layer 3 wide, for the diagnosis only (it never counts): code that stops with a
  shape error on the other networks often runs here, and its arrays name the mistake.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.codecheck.cases import make_cases, non_square
>>> [(c.group, c.spec.layers_text, c.samples) for c in make_cases(Spec(layers=(2, 2, 1)), points=2)]
[('spec', '2-2-1', 1), ('spec', '2-2-1', 3), ('reshaped', '2-3-1', 1), ('reshaped', '2-3-1', 3), ('square', '3-3-3', 1), ('square', '3-3-3', 3)]
>>> [c.large for c in make_cases(Spec(layers=(2, 2, 1)), points=2)][:2]
[False, True]
>>> non_square((4, 3, 2, 1))
(4, 3, 2, 1)
"""
from dataclasses import dataclass, replace

import numpy as np

from ..backprop import backprop, forward
from ..errors import GradproofError
from ..losses import LOSSES
from ..point import random_point
from ..spec import Spec

BATCHES = (1, 3, 2, 5)           # samples per point, in turn
COMPANION_BATCHES = (1, 3)
SQUARE_WIDTH = 3
MAX_POINTS = 50
LARGE = 2.0                      # the large point's largest |dL/dw| is at least this
ZMAX = 8.0                       # the large point keeps every |z| within this where it can (1 - sigmoid(8) = 3e-4)
FAR = 30.0                       # how far below the outputs the targets of a loss without a target range are
# (output-layer weights, inputs) scale factors tried in turn until the gradient is large
OVERFLOW_Z = 800.0               # a coupled output's largest |z| on its overflow case: e^800 is beyond float64
LARGE_SCALES = ((1, 1), (2, 1), (4, 1), (1, 4), (8, 1), (4, 4), (16, 1), (8, 8), (32, 1), (64, 1), (32, 4),
                (-1, 1), (-4, 1), (-4, 4), (-16, 4))      # a negative factor wakes an output ReLU that is off


@dataclass(frozen=True)
class Case:
    """One call of the student's function: a network, a point on it, and whether it counts for the verdict."""

    group: str
    spec: Spec
    point: object
    counts: bool
    large: bool = False
    overflow: bool = False     # the output layer's z reach OVERFLOW_Z (a coupled output: softmax without its shift)

    @property
    def samples(self):
        return self.point.x.shape[0]

    @property
    def label(self):
        noun = "sample" if self.samples == 1 else "samples"
        return f"a batch of {self.samples} {noun} on the {self.spec.layers_text} network" + (
            " (large gradients)" if self.large else "") + (
            f" (output z up to {OVERFLOW_Z:g}, where e^z overflows)" if self.overflow else "")


def is_square(layers):
    return any(a == b for a, b in zip(layers, layers[1:]))


def non_square(layers):
    """The widths with hidden layers widened until no weight matrix is square (input and output kept)."""
    sizes = list(layers)
    for i in range(1, len(sizes) - 1):
        while sizes[i] == sizes[i - 1] or (i + 1 < len(sizes) and sizes[i] == sizes[i + 1]):
            sizes[i] += 1
    if len(sizes) == 2 and sizes[0] == sizes[1]:
        sizes[0] += 1                   # one layer: only the input width can change
    return tuple(sizes)


def _largest(spec, point):
    g = backprop(spec, point)
    return max(float(np.max(np.abs(a))) for a in g.dW + (g.db or []))


def large_point(spec, point):
    """The point with targets far from the outputs (the far end of the loss's target range, or FAR below) and the
    output layer's weights (then the inputs) scaled up until some |dL/dw| is at least LARGE, keeping every
    |z| within ZMAX where it can: right code that writes the loss's gradient through O (−y/O + (1 − y)/(1 − O))
    must not lose its digits to a saturated output."""
    low_high = LOSSES[spec.loss].targets
    best = tame = None
    for w_scale, x_scale in LARGE_SCALES:
        W = point.W[:-1] + [point.W[-1] * w_scale]
        x = point.x * x_scale
        fwd = forward(spec, replace(point, x=x, W=W))
        O = fwd.O[-1]
        if LOSSES[spec.loss].simplex:
            # probability vectors far from the outputs: every sample's target on its least likely output
            y = np.eye(O.shape[1])[np.argmin(O, axis=1)]
        elif low_high is not None:
            y = np.where(O > (low_high[0] + low_high[1]) / 2, low_high[0], low_high[1])
        else:
            y = O - FAR
        candidate = replace(point, x=x, y=y, W=W)
        size = _largest(spec, candidate)
        calm = max(float(np.max(np.abs(z))) for z in fwd.z[1:]) <= ZMAX
        if calm and size >= LARGE:
            return candidate
        if best is None or size > best[0]:
            best = (size, candidate)
        if calm and (tame is None or size > tame[0]):
            tame = (size, candidate)
    return (tame if tame is not None and tame[0] > 1 else best)[1]


def overflow_point(spec, point):
    """The point with the output layer's weights (and biases) scaled so that its largest |z| is OVERFLOW_Z: a
    layer that couples (softmax) must be computed with its shift (z - max z), or e^z overflows to inf."""
    z = forward(spec, point).z[-1]
    top = z.flat[np.argmax(np.abs(z))]
    # positive at the top (e^{-800} only underflows to 0, harmlessly); the sign flips the weights if need be
    scale = OVERFLOW_Z / (float(top) if abs(top) > 1e-3 else 1e-3)
    b = None if point.b is None else point.b[:-1] + [point.b[-1] * scale]
    return replace(point, W=point.W[:-1] + [point.W[-1] * scale], b=b)


def make_cases(spec, points=4, seed=0):
    """The cases for a spec: the teacher's points (the last of two or more with large gradients), then the
    companion networks."""
    if not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise GradproofError(f"--points must be a whole number from 1 to {MAX_POINTS}; got {points!r}")
    cases = [Case("spec", spec, random_point(spec, seed=seed * 1000 + i, samples=BATCHES[i % len(BATCHES)]), True)
             for i in range(points)]
    if points > 1:
        cases[-1] = Case("spec", spec, large_point(spec, cases[-1].point), True, large=True)
    if spec.activation(spec.depth).couples:
        cases.append(Case("spec", spec, overflow_point(spec, cases[0].point), True, overflow=True))
    if is_square(spec.layers):
        other = spec.replace(layers=non_square(spec.layers))
        cases += [Case("reshaped", other, random_point(other, seed=seed * 1000 + 500 + i, samples=n), True)
                  for i, n in enumerate(COMPANION_BATCHES)]
    square = (SQUARE_WIDTH,) * len(spec.layers)
    if square != spec.layers:
        other = spec.replace(layers=square)
        cases += [Case("square", other, random_point(other, seed=seed * 1000 + 700 + i, samples=n), False)
                  for i, n in enumerate(COMPANION_BATCHES)]
    return cases
