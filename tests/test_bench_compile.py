"""compile_large, the fast path compile_exprs takes for large layers: the same function as lambdify's.

Each expression is compiled both ways (compile_large and the lambdify path) and evaluated on the same
random arrays; compiled gradients of a network big enough to take the fast path are checked against
numeric backprop for every activation and loss. The per-layer code (symbolic/layers.py) is checked against the
per-neuron compilation and backprop.
"""
import numpy as np
import pytest
import sympy as sp

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.backprop import backprop
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic import compile as compile_module
from gradproof.symbolic import evaluate as evaluate_module
from gradproof.symbolic.compile import FAST_ABOVE, _lambdified, compile_exprs, compile_large
from gradproof.symbolic.evaluate import Compiled
from gradproof.symbolic.layers import Unsupported
from gradproof.symbolic.model import Model

z, w, O = sp.symbols("z_11 w^1_11 O_11", real=True)


@pytest.mark.parametrize("name", sorted(n for n, row in ACTIVATIONS.items() if not row.couples))
def test_each_activation_and_derivative_matches_lambdify(name):
    act = ACTIVATIONS[name]
    exprs = [act.sympy_f(sp, z), act.sympy_df(sp, z, O), w * act.sympy_f(sp, z) + O * act.sympy_df(sp, z, O),
             sp.Integer(0), sp.Rational(1, 3) * w]
    values = np.array([-3.0, -0.5, 0.0, 0.25, 2.0])
    args = (values, values[::-1].copy(), 0.5)
    fast = compile_large([z, O, w], exprs)(*args)
    slow = _lambdified([z, O, w], exprs, True, False)(*args)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(np.broadcast_to(a, values.shape), np.broadcast_to(b, values.shape),
                                   rtol=1e-15, atol=0)


def test_shared_subexpressions_are_computed_once():
    # O*(1 - O) is shared by both expressions: one temporary, and both results use it
    f = compile_large([w, O], [w * O * (1 - O), 2 * O * (1 - O) + w])
    assert f(3.0, 0.5) == [0.75, 3.5]
    assert compile_large([w], w ** 2)(3.0) == 9.0                      # one expression, not a list


def test_unprintable_expressions_fall_back_to_lambdify():
    # a named constant needs doprint's definitions: the lambdify path handles it, with the same value
    assert compile_large([w], [sp.pi * w])(2.0)[0] == pytest.approx(2 * np.pi, rel=1e-15)


def test_compile_exprs_takes_the_fast_path_only_when_large(monkeypatch):
    taken = []
    monkeypatch.setattr(compile_module, "compile_large", lambda args, exprs: taken.append(len(args)) or (lambda *a: 0))
    compile_exprs([w, O], [w * O])
    big = list(sp.symbols(f"a0:{FAST_ABOVE + 1}"))
    compile_exprs(big, [big[0]])
    compile_exprs(big, [big[0]], mpmath=True)                          # mpmath never takes it
    assert taken == [FAST_ABOVE + 1]


@pytest.mark.parametrize("acts, loss, reg", [
    ("sigmoid", "squared", "none"),
    ("tanh,relu,softplus", "half_squared", "l2"),
    ("leaky_relu,linear,sigmoid", "bce", "l1"),
])
def test_compiled_gradients_through_the_fast_path_match_backprop(monkeypatch, acts, loss, reg):
    # the per-neuron compilation (coupled layers, 50 digits), with a threshold of 20 that sends every layer of this
    # small network through compile_large
    monkeypatch.setattr(compile_module, "FAST_ABOVE", 20)
    monkeypatch.setattr(evaluate_module, "LayerCode", _unsupported)
    calls = []
    real = compile_module.compile_large
    monkeypatch.setattr(compile_module, "compile_large", lambda *a: calls.append(1) or real(*a))
    spec = Spec(layers=(5, 4, 3, 2), activations=tuple(acts.split(",")), bias=True,
                loss=loss, regularization=reg, lam=0.01 if reg != "none" else 0.0)
    point = random_point(spec, seed=5, samples=3)
    values = Compiled(Model(spec)).evaluate(point)
    assert len(calls) >= spec.depth                       # the z equations and gradients of every layer
    reference = backprop(spec, point)
    for p in spec.parameters():
        assert values.gradients[p] == pytest.approx(reference.value(p), rel=1e-9, abs=1e-12), p
    assert values.loss == pytest.approx(reference.loss, rel=1e-12)


def _unsupported(*args):
    raise Unsupported("the per-neuron compilation, for this test")


@pytest.mark.parametrize("acts, loss, reg, bias", [
    ("sigmoid", "squared", "none", False),
    ("tanh,relu,softplus", "half_squared", "l2", True),
    ("leaky_relu,linear,sigmoid", "bce", "l1", True),
])
def test_per_layer_code_gives_the_per_neuron_numbers(monkeypatch, acts, loss, reg, bias):
    """The per-layer code (each layer's forms printed once, vectorised) against every neuron's forms compiled one by
    one, and against backprop: the same gradients, loss and deltas."""
    spec = Spec(layers=(5, 4, 3, 2), activations=tuple(acts.split(",")), bias=bias,
                loss=loss, regularization=reg, lam=0.01 if reg != "none" else 0.0)
    point = random_point(spec, seed=6, samples=3)
    layered = Compiled(Model(spec))
    assert layered.network.layers is not None
    fast = layered.evaluate(point)
    monkeypatch.setattr(evaluate_module, "LayerCode", _unsupported)
    per_neuron = Compiled(Model(spec))
    assert per_neuron.network.layers is None
    slow = per_neuron.evaluate(point)
    reference = backprop(spec, point)
    for p in spec.parameters():
        assert fast.gradients[p] == pytest.approx(slow.gradients[p], rel=1e-12, abs=1e-15), p
        assert fast.gradients[p] == pytest.approx(reference.value(p), rel=1e-9, abs=1e-12), p
    assert fast.loss == pytest.approx(slow.loss, rel=1e-13)
    for k in range(1, spec.depth + 1):
        np.testing.assert_allclose(fast.delta[k], slow.delta[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(fast.O[k], slow.O[k], rtol=1e-13)
