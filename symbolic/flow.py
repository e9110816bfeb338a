"""Vanishing and exploding gradients, symbolically: the chain's product of local factors and its bound.

For the notes' chain x -> O_1 -> O_2 -> ... -> O_n (every layer one neuron, O_k = f_k(w_k O_(k-1) + b_k)):

    dL/dw_1 = dL/dO_n * prod_(k=2..n) dO_k/dO_(k-1) * dO_1/dw_1,   dO_k/dO_(k-1) = f_k'(z_k) w_k

Each factor is the model's local derivative along one edge (``Model.local``), so the product printed
here is the one the proofs check. Since |f_k'| <= c_k (c = 1/4 for sigmoid, 1 for tanh, ReLU and
linear), |dO_n/dO_1| <= prod_(k=2..n) c_k |w_k|: for sigmoid the notes' prod |w_k| / 4, which
shrinks geometrically unless the weights exceed 4; with large |w_k| and c_k = 1 nothing stops the
product growing. c_k is found by sympy from the activation table's derivative, not written by hand.

The numbers (gradient norms from backprop, the factors' values, the ratio and the verdict) come from
``numeric.flow``; :func:`analyse` puts the two together.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.symbolic.model import Model
>>> from gradproof.symbolic.flow import chain_product, chain_bound, slope_bound
>>> from gradproof.symbolic.printing import text
>>> slope_bound("sigmoid"), slope_bound("relu")
(1/4, 1)
>>> model = Model(Spec(layers=(1, 1, 1, 1)))
>>> print(text(chain_product(model)))
(O_21*w^2_11*(1 - O_21))*(O_31*w^3_11*(1 - O_31))
>>> print(text(chain_bound(model)))
(Abs(w^2_11)/4)*(Abs(w^3_11)/4)
"""
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from gradproof.numeric import flow as numeric_flow
from gradproof.numeric.activations import activation
from gradproof.numeric.errors import GradproofError

from .compile import compile_exprs
from .model import Model
from .printing import Partial, latex


@lru_cache(maxsize=None)
def slope_bound(name):
    """sup over real z of |f'(z)| for an activation, as an exact sympy number.

    Every activation in the table is non-decreasing, so |f'| = f'. ReLU's step (Heaviside) is split
    into its two values, both taken (z > 0 and z <= 0 both occur).

    Examples
    ========
    >>> from gradproof.symbolic.flow import slope_bound
    >>> slope_bound("tanh"), slope_bound("leaky_relu")
    (1, 1)
    """
    row = activation(name)
    if row.couples:
        # the Jacobian's spectral norm takes the place of |f'| (softmax's: at most 1/2, at two outputs of 1/2)
        return sp.Rational(row.jacobian_bound.numerator, row.jacobian_bound.denominator)
    z = sp.Symbol("z", real=True)
    df = row.sympy_df(sp, z, row.sympy_f(sp, z))
    steps = list(df.atoms(sp.Heaviside))
    pieces = [df.xreplace({s: sp.Integer(v) for s, v in zip(steps, values)}) for values in _corners(len(steps))]
    return sp.Max(*[piece if piece.is_number else sp.maximum(piece, z, sp.S.Reals) for piece in pieces])


def _corners(n):
    """Every assignment of 0 or 1 to n steps."""
    return [tuple((m >> i) & 1 for i in range(n)) for m in range(2 ** n)]


def slope_bounds(spec):
    """[c_1, ..., c_n] as floats, one per layer."""
    return [float(slope_bound(name)) for name in spec.activations]


def _require_chain(model):
    if not numeric_flow.is_chain(model.spec):
        raise GradproofError(f"the product of factors f'(z_k) w_k is for a 1-1-...-1 chain; "
                             f"the network is {model.spec.layers_text} (use --width 1)")


def factor(model, k):
    """The local factor dO_k/dO_(k-1) = f_k'(z_k) w_k of a chain (k = 1 gives dO_1/dx)."""
    _require_chain(model)
    return model.local(model.O[k][1], model.O[k - 1][1])


def chain_product(model):
    """dO_n/dO_1 = prod_(k=2..n) f_k'(z_k) w_k for a chain, unevaluated, in the chain's order (1 for n = 1)."""
    _require_chain(model)
    factors = [factor(model, k) for k in range(2, model.spec.depth + 1)]
    return sp.Mul(*factors, evaluate=False) if len(factors) > 1 else (factors[0] if factors else sp.Integer(1))


def chain_product_leibniz(model):
    """dO_n/dO_1 as Leibniz partials: prod_(k=2..n) dO_k/dO_(k-1)."""
    _require_chain(model)
    parts = [Partial(model.O[k][1], model.O[k - 1][1]) for k in range(2, model.spec.depth + 1)]
    return sp.Mul(*parts, evaluate=False) if len(parts) > 1 else (parts[0] if parts else sp.Integer(1))


def chain_bound(model):
    """prod_(k=2..n) c_k |w_k|, the bound on |dO_n/dO_1| (prod |w_k| / 4 for a sigmoid chain), one factor per layer."""
    _require_chain(model)
    factors = []
    for k in range(2, model.spec.depth + 1):
        c, w = slope_bound(model.spec.activations[k - 1]), sp.Abs(model.w(k, 1, 1))
        factors.append(w if c == 1 else sp.Mul(c, w, evaluate=False))
    return sp.Mul(*factors, evaluate=False) if len(factors) > 1 else (factors[0] if factors else sp.Integer(1))


def factor_values(model, fwd):
    """The chain's factors evaluated from their sympy expressions at a forward pass: [k-1][sample].

    An independent reading of the numbers numeric.flow computes (compiled from Model.local)."""
    values = []
    for k in range(1, model.spec.depth + 1):
        args = [model.z[k][1], model.O[k][1], model.w(k, 1, 1)]
        fn = compile_exprs(args, factor(model, k))
        value = fn(fwd.z[k][:, 0], fwd.O[k][:, 0], fwd.W[k - 1][0, 0])
        values.append(np.broadcast_to(np.asarray(value, dtype=float), fwd.z[k][:, 0].shape).copy())
    return values


# ---- the analysis --------------------------------------------------------------------------------
def _finite(value):
    """A float for JSON, None where it is not finite (JSON has no infinity)."""
    return float(value) if value is not None and np.isfinite(value) else None


@dataclass
class FlowReport:
    """A network's gradient flow at a point: numeric.flow's numbers and, for a chain, the symbolic product."""

    spec: object
    flow: numeric_flow.Flow
    slopes: list
    weight_norms: list                # ||W^k||_2 (|w_k| for a chain)
    model: Model | None = None        # only for a chain

    @property
    def verdict(self):
        return self.flow.verdict

    def layers(self):
        rows = []
        for k in range(1, self.spec.depth + 1):
            values = self.flow.factors[k - 1]
            row = {"layer": k, "grad_norm": self.flow.grad_norms[k - 1], "factor": float(values[0]),
                   "delta_norm": self.flow.delta_norms[k - 1], "slope_bound": self.slopes[k - 1],
                   "weight_norm": self.weight_norms[k - 1]}
            if len(values) > 1:
                row["factors"] = [float(v) for v in values]
            if self.flow.bias_grad_norms is not None:
                row["bias_grad_norm"] = self.flow.bias_grad_norms[k - 1]
            if self.model is not None:
                row["factor_latex"] = latex(factor(self.model, k))
            rows.append(row)
        return rows

    def to_json(self):
        f = self.flow
        data = {"network": self.spec.to_json(), "chain": f.chain, "loss": _finite(f.loss),
                "layers": self.layers(),
                "bound": _finite(f.bound),
                "bound_rule": ("|dO_n/dO_1| = |prod_(k=2..n) f_k'(z_k) w_k| <= prod_(k=2..n) c_k |w_k|" if f.chain else
                               "||delta_1|| / ||delta_n|| <= prod_(k=2..n) c_k ||W^k||_2"),
                "verdict": f.verdict, "ratio": _finite(f.ratio),
                "rule": numeric_flow.RULE,
                "thresholds": {"vanishing": numeric_flow.VANISHING, "exploding": numeric_flow.EXPLODING},
                "grad_norm_ratio": _finite(f.grad_norm_ratio)}
        if self.model is not None:
            data["product"] = float(f.product[0])
            data["symbolic_product_latex"] = latex(chain_product(self.model))
            data["symbolic_product_leibniz_latex"] = latex(chain_product_leibniz(self.model))
            data["bound_latex"] = latex(chain_bound(self.model))
        return data


def analyse(spec, point):
    """The gradient flow of a network at a POINT: per-layer norms and factors, ratio, bound, verdict."""
    slopes = slope_bounds(spec)
    result = numeric_flow.flow(spec, point, slopes)
    model = Model(spec) if result.chain else None
    weight_norms = [float(np.linalg.norm(w, ord=2)) for w in point.W]
    return FlowReport(spec, result, slopes, weight_norms, model)


def steepest_point(spec, weight, x=0.5, y=0.9):
    """A chain's POINT with every weight `weight` and biases b_k that put every z_k at 0.

    At z = 0 sigmoid' and tanh' take their largest values (1/4 and 1), so every factor f_k'(z_k) w_k is
    c_k * weight and the bound prod c_k |w_k| is reached: the sigmoid chain's gradient explodes exactly
    when |weight| > 4, the notes' "large enough" weight. Needs a spec with biases. (y must differ from
    O_n, or delta_n = 0 and nothing flows back.)

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.flow import analyse, steepest_point
    >>> spec = Spec(layers=(1, 1, 1, 1), bias=True)
    >>> report = analyse(spec, steepest_point(spec, 8.0))
    >>> [float(f[0]) for f in report.flow.factors], report.flow.ratio, report.flow.bound
    ([2.0, 2.0, 2.0], 4.0, 4.0)
    """
    from gradproof.numeric.point import Point

    if not numeric_flow.is_chain(spec) or not spec.bias:
        raise GradproofError(f"steepest_point needs a 1-1-...-1 chain with biases; got {spec!r}")
    W = [np.array([[float(weight)]]) for _ in range(spec.depth)]
    b, out = [], float(x)
    for k in range(1, spec.depth + 1):
        b.append(np.array([-weight * out]))                   # z_k = w O_(k-1) + b_k = 0
        out = float(spec.activation(k).f(np.array(0.0)))
    return Point(np.array([[float(x)]]), np.array([[float(y)]]), W, b, single=True)


def random_point(spec, init="xavier", seed=0, gain=1.0):
    """A seeded point: x uniform in [-1, 1] and y in (0.05, 0.95) first, then weights from numeric.init.

    Drawing x and y first gives every initialisation and activation the same sample for one seed."""
    from gradproof.numeric.init import init_params
    from gradproof.numeric.point import Point

    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (1, spec.layers[0]))
    y = rng.uniform(0.05, 0.95, (1, spec.layers[-1]))
    W, b = init_params(spec, init, rng=rng, gain=gain)
    return Point(x, y, W, b, single=True)
