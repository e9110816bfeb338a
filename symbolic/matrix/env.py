"""Where a matrix expression is shaped and evaluated: a spec's network in one layout, for a batch of m samples.

Shapes follow the layout (numeric/layouts.py): O^k, Z^k and their gradients are m×n_k with samples as rows,
n_k×m with samples as columns; W^k is n_(k-1)×n_k or n_k×n_(k-1); b^k is the column n_k×1 in both (written
1 b^kᵀ or b^k 1ᵀ in Z^k); the ones vector is m×1. Values come from a table of leaves, as numpy arrays
(Numeric) or sympy matrices (Exact).
"""
import numpy as np
import sympy as sp

from gradproof.numeric.layouts import layout as layout_row

from .expr import Dim, ShapeError

M = sp.Symbol("m", positive=True, integer=True)          # the batch size, in a scalar such as 1/m
LAM = sp.Symbol("lambda", nonnegative=True)               # the regularization strength (the model's λ)


class Env:
    """Shapes and values of the leaves; the arithmetic is the subclass's."""

    def __init__(self, spec, samples, values=None, lam=None):
        self.spec = spec
        self.layout = layout_row(spec.layout)
        self.samples = samples
        self.values = dict(values or {})
        self.lam = spec.lam if lam is None else lam

    # ---- shapes ------------------------------------------------------------------------------
    def width(self, k):
        return Dim(self.spec.layers[k], f"n_{k}")

    def batch(self, k):
        m = Dim(self.samples, "m")
        return (m, self.width(k)) if self.layout.samples_in_rows else (self.width(k), m)

    def shape_of(self, leaf):
        kind, k, depth = leaf.kind, leaf.layer, self.spec.depth
        one = Dim(1, "1")
        if kind in ("O", "Z", "dO", "dZ"):
            return self.batch(k)
        if kind == "X":
            return self.batch(0)
        if kind in ("Y", "Yhat"):
            return self.batch(depth)
        if kind in ("W", "dW"):
            a, b = self.width(k - 1), self.width(k)
            return (a, b) if self.layout.samples_in_rows else (b, a)
        if kind == "b":
            return (self.width(k), one)
        if kind == "db":
            return (one, self.width(k)) if self.layout.samples_in_rows else (self.width(k), one)
        if kind == "ones":
            return (Dim(self.samples, "m"), one)
        if kind == "onesn":
            return (self.width(k), one)
        raise ShapeError(f"no shape for {leaf.text()}")

    # ---- values ------------------------------------------------------------------------------
    def value_of(self, leaf):
        key = canonical(leaf, self.spec)
        if key in self.values:
            return self.values[key]
        if key.kind == "ones":
            return self.ones()
        if key.kind == "onesn":
            return self.ones(self.spec.layers[key.layer])
        raise KeyError(leaf.key)

    def scalar(self, value):
        return value.xreplace({M: self.samples, LAM: self.lam})


def canonical(leaf, spec):
    """X is O^0 and Ŷ is O^n: one key for one matrix."""
    from .expr import Leaf
    if leaf.kind == "X":
        return Leaf("O", 0)
    if leaf.kind == "Yhat":
        return Leaf("O", spec.depth)
    return leaf


class Numeric(Env):
    """numpy arrays, float64 (check's matrix-form row)."""

    def ones(self, n=None):
        return np.ones((self.samples if n is None else n, 1))

    def scalar(self, value):
        return float(super().scalar(value))

    def matmul(self, a, b):
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return a * b
        return a @ b

    def hadamard(self, a, b):
        return a * b

    def divide(self, a, b):
        return a / b

    def add(self, a, b):
        return a + b

    def scale(self, c, a):
        return c * a

    def transpose(self, a):
        return np.transpose(a)

    def sum_samples(self, a):
        return a.sum(axis=0 if self.layout.samples_in_rows else 1, keepdims=True)

    def sign(self, a):
        return np.sign(a)

    def apply(self, row, derivative, operand, z):
        if row.couples and not derivative:          # the whole layer: along each sample's neurons
            return row.f(z) if self.layout.samples_in_rows else row.f(z.T).T
        if not derivative:
            return row.f(z)
        O = self.values.get(_outputs_of(operand, self.spec))
        return row.df(z, row.f(z) if O is None else O)


class Exact(Env):
    """sympy matrices: entries are expressions (the proofs), or exact numbers (the grader)."""

    def ones(self, n=None):
        return sp.ones(self.samples if n is None else n, 1)

    def matmul(self, a, b):
        if not isinstance(a, sp.MatrixBase) or not isinstance(b, sp.MatrixBase):
            return a * b
        return a * b

    def hadamard(self, a, b):
        return a.multiply_elementwise(b)

    def divide(self, a, b):
        if not isinstance(b, sp.MatrixBase):
            return a / b
        return a.multiply_elementwise(b.applyfunc(lambda e: 1 / e))

    def add(self, a, b):
        if not isinstance(a, sp.MatrixBase):
            return b.applyfunc(lambda e: a + e)
        if not isinstance(b, sp.MatrixBase):
            return a.applyfunc(lambda e: e + b)
        return a + b

    def scale(self, c, a):
        return c * a

    def transpose(self, a):
        return a.T

    def sum_samples(self, a):
        if self.layout.samples_in_rows:
            return sp.ones(1, a.rows) * a
        return a * sp.ones(a.cols, 1)

    def sign(self, a):
        return a.applyfunc(sp.sign)

    def apply(self, row, derivative, operand, z):
        if row.couples and not derivative:
            rows = z if self.layout.samples_in_rows else z.T
            out = sp.Matrix(rows.rows, rows.cols, lambda s, j: row.sympy_output(sp, list(rows[s, :]), j + 1))
            return out if self.layout.samples_in_rows else out.T
        if not derivative:
            return z.applyfunc(lambda e: row.sympy_f(sp, e))
        O = self.values.get(_outputs_of(operand, self.spec))
        if O is None:
            O = z.applyfunc(lambda e: row.sympy_f(sp, e))
        return sp.Matrix(z.rows, z.cols, lambda i, j: row.sympy_df(sp, z[i, j], O[i, j]))


def _outputs_of(operand, spec):
    """The O^k whose pre-activation the operand is (Z^k), where f' may be written in O (σ' = O(1 - O))."""
    from .expr import Leaf
    if isinstance(operand, Leaf) and operand.kind == "Z":
        return Leaf("O", operand.layer)
    return None
