"""The matrix layouts: how a batch and a layer's weights are laid out as matrices.

``rows`` is the notes' layout: samples are the rows, W^k is n_(k-1) x n_k with (W^k)_ij = w^k_ij, and
Z^k = O^(k-1) W^k (+ 1 b^kT). ``columns`` is the other common one (Ng's course): samples are the columns,
W^k is n_k x n_(k-1) with (W^k)_ji = w^k_ij, and Z^k = W^k A^(k-1) (+ b^k 1T). One row per layout; the
equations themselves are derived in symbolic/matrix from these facts.

Examples
========
>>> from gradproof.numeric.layouts import layout
>>> layout("columns").weight_shape(3, 2)
(2, 3)
>>> layout("diagonal")
Traceback (most recent call last):
...
gradproof.numeric.errors.GradproofError: unknown layout 'diagonal'; valid: rows, columns
"""
from dataclasses import dataclass

import numpy as np

from .errors import unknown


@dataclass(frozen=True)
class Layout:
    name: str
    samples_in_rows: bool      # one row per sample (else one column per sample)
    title: str                 # in prose, for sheets and help texts

    def weight_shape(self, fan_in, fan_out):
        """The shape of W^k for n_(k-1) = fan_in, n_k = fan_out."""
        return (fan_in, fan_out) if self.samples_in_rows else (fan_out, fan_in)

    def batch_shape(self, samples, width):
        """The shape of a layer's matrix (O^k, Z^k, ...) for `samples` samples of `width` neurons."""
        return (samples, width) if self.samples_in_rows else (width, samples)

    def from_rows(self, array):
        """An array stored the notes' way (samples as rows, W^k as n_(k-1) x n_k) in this layout."""
        return np.asarray(array) if self.samples_in_rows else np.asarray(array).T

    def to_rows(self, array):
        """The inverse of from_rows (a transpose is its own inverse)."""
        return self.from_rows(array)

    def __repr__(self):
        return f"Layout({self.name})"


LAYOUTS = {row.name: row for row in [
    Layout("rows", True, "samples as rows, W^k of shape n_(k-1) x n_k (the notes' layout)"),
    Layout("columns", False, "samples as columns, W^k of shape n_k x n_(k-1) (as in Ng's course)"),
]}


def layout(name):
    """The registry row for a layout name; an unknown name lists the valid ones."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise unknown("layout", name, LAYOUTS) from None
