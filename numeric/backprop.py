"""Forward pass and memoized backpropagation, batched over samples.

The notes' recipe: forward, keeping z_k and O_k; then delta_k = dL/dO_k from the output back, each
computed once and reused by every parameter whose paths pass through layer k:

    g_k        = delta_k * f_k'(z_k)            dL/dz_k, (N, n_k)
    dL/dW^k    = O_(k-1)^T g_k                  sums the samples inside the matrix product
    dL/db^k    = sum over samples of g_k
    delta_(k-1) = g_k W^k^T

Arrays are (N, n_k): one row per sample. The matrix products carry the work; there is no Python
loop over samples or neurons.

Examples
========
>>> import numpy as np
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.point import random_point
>>> from gradproof.numeric.backprop import backprop
>>> from gradproof.numeric.notation import Param
>>> spec = Spec()
>>> grads = backprop(spec, random_point(spec, seed=1))
>>> [g.shape for g in grads.dW], grads.db
([(4, 3), (3, 2), (2, 1)], None)
>>> grads.value(Param.weight(1, 1, 1)) == float(grads.dW[0][0, 0])
True
"""
from dataclasses import dataclass

import numpy as np

from . import objective


@dataclass
class Forward:
    """z[k] and O[k] for k = 0..L (z[0] is None, O[0] = x), each (N, n_k); the W, b and y used."""

    z: list
    O: list
    W: list
    b: list | None
    y: np.ndarray


@dataclass
class Gradients:
    """The result of backprop: L, dL/dW^k, dL/db^k, and delta[k] = dL/dO_k (delta[0] is None)."""

    loss: float
    dW: list
    db: list | None
    delta: list
    forward: Forward
    spec: object

    def value(self, param):
        """dL/d(param) for a numeric.notation.Param; a parameter the network lacks is an error naming what exists."""
        self.spec.check_param(param)
        if param.is_weight:
            return float(self.dW[param.layer - 1][param.i - 1, param.j - 1])
        return float(self.db[param.layer - 1][param.j - 1])


def layers_from(spec, k, z_k, W, b, O_k=None):
    """z and O of layers k..L, starting from the pre-activation z_k (and O_k = f_k(z_k), when the caller
    has it already); leading axes of z_k are kept."""
    zs, Os = [z_k], [spec.activation(k).f(z_k) if O_k is None else O_k]
    for layer in range(k + 1, spec.depth + 1):
        O = Os[-1]
        # stacked inputs (a batch of perturbed networks) go through one matrix product, not one per stack
        z = (O.reshape(-1, O.shape[-1]) @ W[layer - 1]).reshape(O.shape[:-1] + (W[layer - 1].shape[1],))
        if b is not None:
            z += b[layer - 1]
        zs.append(z)
        Os.append(spec.activation(layer).f(z))
    return zs, Os


def cast(point, dtype):
    """x, y, W and b of a point as arrays of one dtype (no copy when they already are)."""
    W = [np.asarray(w, dtype=dtype) for w in point.W]
    b = [np.asarray(v, dtype=dtype) for v in point.b] if point.b is not None else None
    return np.asarray(point.x, dtype=dtype), np.asarray(point.y, dtype=dtype), W, b


def forward(spec, point, dtype=np.float64):
    """The forward pass: z_k = O_(k-1) W^k (+ b^k), O_k = f_k(z_k), for all samples at once."""
    x, y, W, b = cast(point, dtype)
    b_used = b if spec.bias else None
    z_1 = x @ W[0]
    if b_used is not None:
        z_1 += b_used[0]
    zs, Os = layers_from(spec, 1, z_1, W, b_used)
    return Forward([None] + zs, [x] + Os, W, b_used, y)


def loss_of(spec, fwd):
    """L from a forward pass: the reduced data loss plus the regularization term."""
    L = spec.depth
    return float(objective.data_loss(spec, fwd.y, fwd.z[L], fwd.O[L]) + objective.reg_loss(spec, fwd.W))


def loss_at(spec, point, dtype=np.float64):
    """L at a point (forward pass only)."""
    return loss_of(spec, forward(spec, point, dtype))


def grad_z(spec, k, z, O, delta, out=None):
    """dL/dz_k = delta_k * f_k'(z_k), into `out` when given (an array shaped like z_k).

    Examples
    ========
    >>> import numpy as np
    >>> from gradproof.numeric.spec import Spec
    >>> O = np.array([[0.25, 0.5]])
    >>> grad_z(Spec(layers=(2, 2)), 1, None, O, np.array([[1.0, 2.0]])).tolist()
    [[0.1875, 0.5]]
    """
    # the table's f' writes into `out` (no temporary) when it can hold the result; delta multiplies in place
    if out is not None and (O.dtype.kind != "f" or out.dtype != np.result_type(O, delta)):
        out = None
    g = spec.activation(k).df(z, O, out=out)
    return np.multiply(g, delta, out=g)


def backprop(spec, point, dtype=np.float64):
    """Every dL/dw^k_ij and dL/db^k_j at a point, by memoized backpropagation (float64 by default)."""
    fwd = forward(spec, point, dtype)
    z, O, W = fwd.z, fwd.O, fwd.W
    depth = spec.depth
    delta = [None] * (depth + 1)
    dW = [None] * depth
    db = [None] * depth if spec.bias else None
    delta[depth] = objective.output_delta(spec, fwd.y, z[depth], O[depth])
    g = objective.output_grad_z(spec, fwd.y, z[depth], O[depth], delta[depth])
    # one buffer for every hidden layer's g (dead once dW, db and delta_(k-1) are made from it): no
    # fresh pages to fault in per layer; what backprop returns is never a view of it
    rows = O[0].shape[0]
    buffer = np.empty(rows * max(spec.layers[1:depth], default=0), dtype=np.result_type(O[depth], delta[depth]))
    for k in range(depth, 0, -1):
        if k < depth:
            g = grad_z(spec, k, z[k], O[k], delta[k], out=buffer[:rows * spec.layers[k]].reshape(rows, -1))
        dW[k - 1] = O[k - 1].T @ g
        if db is not None:
            db[k - 1] = g.sum(axis=0)
        if k > 1:
            delta[k - 1] = g @ W[k - 1].T      # delta_0 = dL/dx is never needed
    for k, w in enumerate(W):
        extra = objective.reg_grad(spec, w)
        if extra is not None:
            dW[k] += extra
    return Gradients(loss_of(spec, fwd), dW, db, delta, fwd, spec)
