"""The layer equations run with numpy at a POINT: check's matrix-form row.

Each equation's right-hand side is evaluated in order (forward, then backward from the output), in the spec's
layout, from the POINT's x, y, W and b; ∂L/∂W^k and ∂L/∂b^k are then read entry by entry as dL/dw^k_ij and
dL/db^k_j. Nothing here is backprop's code: only the derived equations and the activation and loss tables.
Where the loss table has a form from the logits for the output activation (BCE on a sigmoid, CE on a softmax),
∂L/∂Z at the output is that fused form (O − y), as in backprop and the symbolic evaluation: the equation's
∂L/∂Ŷ ⊙ f′(Z) divides by O(1 − O), which rounds to 0 where the output saturates.

Examples
========
>>> import numpy as np
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.point import random_point
>>> from gradproof.numeric.backprop import backprop
>>> from gradproof.symbolic.matrix.evaluate import gradients
>>> spec = Spec(layers=(3, 4, 2), bias=True, layout="columns")
>>> point = random_point(spec, seed=2, samples=5)
>>> mine, theirs = gradients(spec, point), backprop(spec, point)
>>> max(abs(v - theirs.value(p)) for p, v in mine.items()) < 1e-14
True
"""
import numpy as np

from gradproof.numeric.notation import Param
from gradproof.numeric.objective import fused, output_grad_z

from .env import Numeric
from .equations import equations
from .expr import Leaf


def run(spec, point):
    """The environment after every equation: each left-hand side's value under its leaf."""
    env = Numeric(spec, samples=point.x.shape[0])
    lay = env.layout
    env.values[Leaf("O", 0)] = lay.from_rows(np.asarray(point.x, dtype=float))
    env.values[Leaf("Y")] = lay.from_rows(np.asarray(point.y, dtype=float))
    for k in range(1, spec.depth + 1):
        env.values[Leaf("W", k)] = lay.from_rows(np.asarray(point.W[k - 1], dtype=float))
        if spec.bias:
            env.values[Leaf("b", k)] = np.asarray(point.b[k - 1], dtype=float).reshape(-1, 1)
    output = Leaf("dZ", spec.depth) if fused(spec) is not None else None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for equation in equations(spec):
            if equation.lhs == output:
                env.values[output] = _fused_output(spec, env)
            else:
                env.values[equation.lhs] = equation.rhs.evaluate(env)
    return env


def _fused_output(spec, env):
    """∂L/∂Z at the output from the loss table's form from the logits, in the env's layout."""
    n, lay = spec.depth, env.layout
    y, z, O = (lay.to_rows(env.values[Leaf(*leaf)]) for leaf in (("Y",), ("Z", n), ("O", n)))
    return lay.from_rows(output_grad_z(spec, y, z, O, None))


def gradients(spec, point):
    """{Param: dL/dparam} from the matrix equations."""
    env = run(spec, point)
    out = {}
    for k in range(1, spec.depth + 1):
        dW = env.layout.to_rows(env.values[Leaf("dW", k)])
        out.update({Param.weight(k, i + 1, j + 1): float(dW[i, j]) for i in range(dW.shape[0]) for j in range(dW.shape[1])})
        if spec.bias:
            db = np.ravel(env.values[Leaf("db", k)])
            out.update({Param.bias(k, j + 1): float(db[j]) for j in range(db.size)})
    return out
