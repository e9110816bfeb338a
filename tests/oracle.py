"""The tests' plain-Python oracle of an MLP: the forward pass, the loss and the backward pass, written from the
notes' definitions with lists and loops. It uses nothing from gradproof (numeric/ or symbolic/), so that what
the package computes is checked against something written apart from it; the tests check the oracle itself
against the complex step, central differences and the notes' example by hand (tests/test_derive.py).

It works in float, complex (for the complex step) and mpmath (50 digits) arithmetic: the math module
follows the value's type. Lists: x[i], W[k][i][j] (layer k+1's weight from neuron i+1 to j+1), b[k][j] or
None. A network is a dict: {"acts": [...], "loss": "squared" | "half_squared" | "bce", "reduction":
"sum" | "mean", "reg": "none" | "l1" | "l2", "lam": λ}; ``net_of(spec)`` reads one from a Spec.
"""
import cmath
import math

import mpmath

LEAKY_SLOPE = 0.01            # written here on purpose, not read from numeric/activations.py


def _module(z):
    if isinstance(z, complex):
        return cmath
    if isinstance(z, mpmath.mpf):
        return mpmath
    return math


def f(act, z):
    """The activation f(z), for a float, complex or mpmath z."""
    m = _module(z)
    if act == "sigmoid":
        if m is math:                 # e^{-|z|}: never overflows
            return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
        return 1 / (1 + m.exp(-z))
    if act == "tanh":
        return m.tanh(z)
    if act == "linear":
        return z
    if act == "softplus":
        if m is math:
            return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
        return m.log(1 + m.exp(z))
    if act == "relu":
        return z if _real(z) > 0 else 0 * z
    if act == "leaky_relu":
        return z if _real(z) > 0 else LEAKY_SLOPE * z
    raise AssertionError(f"the oracle has no activation {act!r}")


def _real(z):
    return z.real if isinstance(z, complex) else z


def f_prime(act, z, O):
    """df/dz by hand, given z and O = f(z); at the kinks ReLU'(0) = 0 and leaky ReLU'(0) = its slope."""
    if act == "sigmoid":
        return O * (1 - O)
    if act == "tanh":
        return 1 - O * O
    if act == "softplus":
        return 1 / (1 + _module(z).exp(-z))
    if act == "relu":
        return 1.0 if z > 0 else 0.0
    if act == "leaky_relu":
        return 1.0 if z > 0 else LEAKY_SLOPE
    if act == "linear":
        return 1.0
    raise AssertionError(f"the oracle has no activation {act!r}")


def per_output_loss(kind, y, O):
    """l(y_j, O_nj) for one output of one sample."""
    m = _module(O)
    if kind == "squared":
        return (y - O) ** 2
    if kind == "half_squared":
        return (y - O) ** 2 / 2
    if kind == "bce":
        return -(y * m.log(O) + (1 - y) * m.log(1 - O))
    raise AssertionError(f"the oracle has no loss {kind!r}")


def per_output_loss_prime(kind, y, O):
    """dl/dO_nj by hand."""
    if kind == "squared":
        return -2 * (y - O)
    if kind == "half_squared":
        return -(y - O)
    if kind == "bce":
        return -y / O + (1 - y) / (1 - O)
    raise AssertionError(f"the oracle has no loss {kind!r}")


def forward(acts, W, b, x):
    """Per layer, the pre-activations z and outputs O of one sample (layer 0: z is None, O = x)."""
    zs, Os = [None], [list(x)]
    for k in range(len(W)):
        z = [sum(W[k][i][j] * Os[k][i] for i in range(len(Os[k]))) + (b[k][j] if b else 0)
             for j in range(len(W[k][0]))]
        zs.append(z)
        Os.append([f(acts[k], v) for v in z])
    return zs, Os


def loss(net, W, b, X, Y):
    """L over the samples X[n], Y[n]: the per-output losses summed (or averaged over samples), plus the
    regularization term over the weights (never the biases)."""
    total = sum(sum(per_output_loss(net["loss"], y, O) for y, O in zip(ys, forward(net["acts"], W, b, x)[1][-1]))
                for x, ys in zip(X, Y))
    if net["reduction"] == "mean":
        total = total / len(X)
    weights = [w for layer in W for row in layer for w in row]
    if net["reg"] == "l1":
        total += net["lam"] * sum(abs(w) for w in weights)
    elif net["reg"] == "l2":
        total += net["lam"] * sum(w * w for w in weights)
    return total


def gradients(net, W, b, X, Y):
    """dL/dW and dL/db by the chain rule, sample by sample, from the output back (backprop derived by hand);
    L1's derivative is the subgradient lam sign(w), 0 at w = 0."""
    dW = [[[0.0] * len(row) for row in layer] for layer in W]
    db = [[0.0] * len(layer[0]) for layer in W]
    scale = 1 / len(X) if net["reduction"] == "mean" else 1.0
    for x, ys in zip(X, Y):
        zs, Os = forward(net["acts"], W, b, x)
        dO = [per_output_loss_prime(net["loss"], y, O) * scale for y, O in zip(ys, Os[-1])]     # dL/dO_nj
        for k in range(len(W), 0, -1):
            dz = [dO[j] * f_prime(net["acts"][k - 1], zs[k][j], Os[k][j]) for j in range(len(dO))]
            for j, g in enumerate(dz):
                db[k - 1][j] += g
                for i in range(len(Os[k - 1])):
                    dW[k - 1][i][j] += g * Os[k - 1][i]
            dO = [sum(W[k - 1][i][j] * dz[j] for j in range(len(dz))) for i in range(len(Os[k - 1]))]
    for k, layer in enumerate(W):
        for i, row in enumerate(layer):
            for j, w in enumerate(row):
                if net["reg"] == "l1":
                    dW[k][i][j] += net["lam"] * (1.0 if w > 0 else -1.0 if w < 0 else 0.0)
                elif net["reg"] == "l2":
                    dW[k][i][j] += 2 * net["lam"] * w
    return dW, db


def net_of(spec):
    """The network dict of a gradproof Spec (read by attribute: the oracle imports nothing from gradproof)."""
    return {"layers": list(spec.layers), "acts": list(spec.activations), "bias": spec.bias, "loss": spec.loss,
            "reduction": spec.reduction, "reg": spec.regularization, "lam": spec.lam}


def as_lists(point):
    """x, y, W, b of a gradproof Point as nested lists (b None without biases)."""
    return (point.x.tolist(), point.y.tolist(), [w.tolist() for w in point.W],
            [v.tolist() for v in point.b] if point.b is not None else None)
