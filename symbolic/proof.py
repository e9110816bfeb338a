"""Proof that the chain rule is right: each derived form equals sympy.diff of the fully expanded loss.

The check is symbolic where sympy settles it quickly (a small difference that simplifies to 0), and
otherwise numeric: at random points in 50-digit arithmetic, away from ReLU kinks, the two agree to
far below float64's precision. Expanding the loss is exponential in depth: this is for small networks.
"""
from dataclasses import dataclass

import mpmath
import sympy as sp

from .chain import delta_definition, settle
from .compile import compile_shared

SYMBOLIC_OPS = 120      # above this many operations, simplify can take minutes: go numeric
POINTS = 20
DIGITS = 50


@dataclass
class Proof:
    """The outcome for one form of one parameter's gradient."""

    param: object
    form: str
    method: str               # "symbolic" or "numeric"
    points: int
    max_error: float          # the largest relative difference seen (0 when proven symbolically)

    @property
    def holds(self):
        return self.method == "symbolic" or self.max_error < 1e-35

    def __repr__(self):
        how = "symbolically" if self.method == "symbolic" else f"at {self.points} points, max rel. error {self.max_error:.1e}"
        return f"Proof({self.form} dL/d{self.param} = diff(L, {self.param}) {how}: {'holds' if self.holds else 'FAILS'})"


def memoized_expanded(derivation):
    """The delta form with every delta replaced by its definition, down to the output layer."""
    model, expr = derivation.model, derivation.memoized
    for k in range(derivation.param.layer, len(model.spec.layers)):
        table = {model.delta[k][j]: delta_definition(model, k, j) for j in range(1, model.spec.layers[k] + 1)}
        expr = settle(expr.xreplace(table))
    return expr


def _heaviside_at_zero(expr):
    """sympy.diff gives Heaviside(z) (1/2 at 0); the notes' ReLU'(0) = 0 is Heaviside(z, 0)."""
    return expr.replace(lambda e: isinstance(e, sp.Heaviside) and len(e.args) == 1, lambda e: sp.Heaviside(e.args[0], 0))


def _small(expr, limit=SYMBOLIC_OPS):
    """Whether an expression has at most `limit` nodes; stops counting there (count_ops walks it all)."""
    for n, _ in enumerate(sp.preorder_traversal(expr)):
        if n >= limit:
            return False
    return True


def _symbolically_zero(difference):
    return _small(difference) and sp.simplify(difference) == 0


def compare_all(model, pairs, points=POINTS, seed=0):
    """For pairs (mine, reference) that should be equal: [(method, points, max relative error)].

    Small differences go to simplify; the rest are evaluated together, compiled once (the expanded
    expressions share most of their subtrees), at random points in 50-digit arithmetic.
    """
    outcomes = [("symbolic", 0, 0.0) if _symbolically_zero(mine - ref) else None for mine, ref in pairs]
    todo = [i for i, o in enumerate(outcomes) if o is None]
    if not todo:
        return outcomes
    inputs = list(model.symbols.values()) + model.x[1:] + model.y[1:] + [model.lam]
    # one compiled function for every pair: the expanded forms share their subtrees
    f = compile_shared(inputs, [e for i in todo for e in pairs[i]], mpmath=True)
    worst = [0.0] * len(todo)
    with mpmath.workdps(DIGITS):
        for values in model.random_values(points, seed):
            results = f(*[mpmath.mpf(values[v]) for v in inputs])
            for n in range(len(todo)):
                a, b = results[2 * n], results[2 * n + 1]
                worst[n] = max(worst[n], float(abs(a - b) / max(1, abs(b))))
    for n, i in enumerate(todo):
        outcomes[i] = ("numeric", points, worst[n])
    return outcomes


def prove_collapse(model):
    """The collapse of a coupled output layer's sum over m, proven symbolically: with O_nm written in z_n (the
    row's function of the layer) and the targets on the simplex (y_n = 1 - the others), sympy.diff of the per-sample
    loss by z_nj minus the loss row's collapsed form (O_nj - y_j) simplifies to 0. [] when there is no collapse.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.model import Model
    >>> prove_collapse(Model(Spec(layers=(2, 3), activations="softmax", loss="ce")))[0]
    Proof(collapsed dL/dz_11 = diff(L, z_11) symbolically: holds)
    """
    top = model.output_layer
    if model.collapsed_z_gradient(1) is None:
        return []
    row, zs = model.spec.activation(top), model.z[top][1:]
    in_z = {model.O[top][m]: row.sympy_output(sp, zs, m) for m in range(1, len(zs) + 1)}
    loss = model.data_loss().xreplace(in_z)
    proofs = []
    for j, z in enumerate(zs, start=1):
        difference = (sp.diff(loss, z) - model.collapsed_z_gradient(j).xreplace(in_z)).xreplace(model.simplex())
        holds = sp.simplify(difference) == 0
        proofs.append(Proof(z, "collapsed", "symbolic" if holds else "numeric", 0, 0.0 if holds else float("inf")))
    return proofs


def collapsed_form(derivation):
    """dL/dparam of an output-layer parameter with the sum over m collapsed (O_nj - y_j) dz_nj/dparam (+ dR/dw), or
    None (another layer, or no collapse)."""
    model, p = derivation.model, derivation.param
    g = model.collapsed_z_gradient(p.j) if p.layer == model.output_layer else None
    if g is None:
        return None
    return g * model.local(model.z[p.layer][p.j], derivation.symbol) + model.regularization_derivative(p)


def prove_all(derivations, points=POINTS, seed=0):
    """Proofs of the chain-rule form (when built), of the delta form and (an output layer that couples, with a loss
    that collapses its sum: O_nj - y_j) of the collapsed form of each derivation, against sympy.diff of the expanded
    loss.

    The loss is expanded and differentiated once per parameter; everything numeric is compiled once.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.chain import derive_all
    >>> from gradproof.symbolic.proof import prove_all
    >>> prove_all(derive_all(Spec(layers=(2, 1))))[0]
    Proof(chain-rule dL/dw^1_11 = diff(L, w^1_11) symbolically: holds)
    >>> proofs = prove_all(derive_all(Spec(layers=(2, 2, 1), activations="tanh")))
    >>> all(p.holds and (p.method == "symbolic" or p.points == 20) for p in proofs)
    True
    """
    if not derivations:
        return []
    model = derivations[0].model
    loss = model.expanded_loss()
    labels, pairs = [], []
    for d in derivations:
        reference = _heaviside_at_zero(sp.diff(loss, d.symbol))
        if d.closed_form is not None:
            labels.append((d.param, "chain-rule"))
            pairs.append((model.expand(settle(d.closed_form)), reference))
        labels.append((d.param, "memoized"))
        pairs.append((model.expand(memoized_expanded(d)), reference))
        collapsed = collapsed_form(d)
        if collapsed is not None:
            # equal only on the simplex: y_n = 1 - the others, exactly (float targets sum to 1 only within 1e-16)
            labels.append((d.param, "collapsed"))
            pairs.append((model.expand(collapsed).xreplace(model.simplex()), reference.xreplace(model.simplex())))
    return [Proof(param, form, *outcome) for (param, form), outcome in zip(labels, compare_all(model, pairs, points, seed))]

