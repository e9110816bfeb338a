"""Where a student's backward is run: random points on the teacher's network, and two companion networks.

- ``spec``: the teacher's network, N points with batches of 1, 3, 2, 5, ... samples (1 first: code
  that only works for one sample is found; several samples: a missing sum over samples is found).
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
>>> non_square((4, 3, 2, 1))
(4, 3, 2, 1)
"""
from dataclasses import dataclass

from ..errors import GradproofError
from ..point import random_point
from ..spec import Spec

BATCHES = (1, 3, 2, 5)           # samples per point, in turn
COMPANION_BATCHES = (1, 3)
SQUARE_WIDTH = 3
MAX_POINTS = 50


@dataclass(frozen=True)
class Case:
    """One call of the student's function: a network, a point on it, and whether it counts for the verdict."""

    group: str
    spec: Spec
    point: object
    counts: bool

    @property
    def samples(self):
        return self.point.x.shape[0]

    @property
    def label(self):
        noun = "sample" if self.samples == 1 else "samples"
        return f"a batch of {self.samples} {noun} on the {self.spec.layers_text} network"


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


def make_cases(spec, points=4, seed=0):
    """The cases for a spec: the teacher's points, then the companion networks."""
    if not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise GradproofError(f"--points must be a whole number from 1 to {MAX_POINTS}; got {points!r}")
    cases = [Case("spec", spec, random_point(spec, seed=seed * 1000 + i, samples=BATCHES[i % len(BATCHES)]), True)
             for i in range(points)]
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
