"""Proofs: the chain-rule and delta forms of every parameter equal sympy.diff of the expanded loss, for the
notes' network with every activation and every loss and for random small networks; and a wrong derivation
is caught (the proof can fail)."""
from functools import cached_property

import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof.numeric.notation import Param
from gradproof.numeric.spec import Spec
from gradproof.symbolic.chain import Derivation, derive, derive_all, evaluate
from gradproof.symbolic.model import Model
from gradproof.symbolic.printing import Partial
from gradproof.symbolic.proof import POINTS, prove_all

ACTS = ["sigmoid", "tanh", "linear", "softplus", "relu", "leaky_relu"]


def check(spec):
    """Prove every parameter of a spec; both forms of each must hold."""
    proofs = prove_all(derive_all(spec))
    expected = {(p, form) for p in spec.parameters() for form in ("chain-rule", "memoized")}
    assert {(p.param, p.form) for p in proofs} == expected
    failed = [p for p in proofs if not p.holds]
    assert not failed, failed
    assert all(p.method == "symbolic" or p.points >= 20 for p in proofs)
    return proofs


@pytest.mark.parametrize("act", ACTS)
def test_notes_network_with_every_activation(act):
    proofs = check(Spec(activations=act))
    assert len(proofs) == 40


@pytest.mark.parametrize("loss, acts, bias, reg", [
    ("half_squared", ("sigmoid", "tanh", "linear"), True, "l2"),
    ("half_squared", ("softplus", "relu", "leaky_relu"), False, "l1"),
    ("squared", ("relu", "softplus", "tanh"), True, "l1"),
    ("bce", ("tanh", "relu", "sigmoid"), True, "l1"),
    ("bce", ("softplus", "leaky_relu", "sigmoid"), False, "l2"),
    ("bce", ("linear", "sigmoid", "sigmoid"), True, "none"),
])
def test_notes_network_with_every_loss(loss, acts, bias, reg):
    check(Spec(activations=acts, loss=loss, bias=bias, regularization=reg, lam=0.1 if reg != "none" else 0.0))


@st.composite
def small_specs(draw):
    layers = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    acts = draw(st.lists(st.sampled_from(ACTS), min_size=len(layers) - 1, max_size=len(layers) - 1))
    loss = draw(st.sampled_from(["squared", "half_squared", "bce"] if acts[-1] == "sigmoid" else ["squared", "half_squared"]))
    reg = draw(st.sampled_from(["none", "l1", "l2"]))
    return Spec(layers=tuple(layers), activations=tuple(acts), bias=draw(st.booleans()), loss=loss,
                regularization=reg, lam=0.25 if reg != "none" else 0.0)


@settings(max_examples=10, deadline=None)
@given(small_specs())
# found by this test: a leaky ReLU whose 1/100 had become a float, 1e-20 off in 50-digit arithmetic
@example(Spec(layers=(1, 1, 2, 1), activations=("softplus", "leaky_relu", "softplus")))
def test_random_small_networks(spec):
    check(spec)


def test_a_tiny_network_is_proven_symbolically():
    proofs = check(Spec(layers=(1, 1), activations="linear", bias=True, regularization="l2", lam=0.5))
    assert {p.method for p in proofs} == {"symbolic"}
    assert "holds" in repr(proofs[0])


# ---------------------------------------------------------------- the proof can fail

class DropsAPath(Derivation):
    """A derivation whose chain rule forgets every path but the first."""

    @cached_property
    def closed_form(self):
        nodes = self.paths[0][::-1]
        return evaluate(self.model, sp.Mul(*[Partial(a, b) for a, b in zip(nodes, nodes[1:])], evaluate=False))


class ForgetsTheActivation(Derivation):
    """A delta form without f'(z): delta_kj * O_(k-1)i."""

    @cached_property
    def memoized(self):
        k, j, i = self.param.layer, self.param.j, self.param.i
        return self.model.delta[k][j] * self.model.O[k - 1][i]


def test_a_dropped_path_fails():
    model = Model(Spec())
    wrong = DropsAPath(model, Param.weight(1, 1, 1))
    proofs = prove_all([wrong, derive(Spec(), Param.weight(1, 2, 1), model)])
    assert [(str(p.param), p.form, p.holds) for p in proofs] == [
        ("w^1_11", "chain-rule", False), ("w^1_11", "memoized", True),
        ("w^1_21", "chain-rule", True), ("w^1_21", "memoized", True)]
    assert proofs[0].method == "numeric" and proofs[0].points == POINTS and proofs[0].max_error > 1e-6
    assert "FAILS" in repr(proofs[0])


def test_a_wrong_delta_form_fails():
    proofs = prove_all([ForgetsTheActivation(Model(Spec(activations="tanh")), Param.weight(2, 1, 1))])
    assert [(p.form, p.holds) for p in proofs] == [("chain-rule", True), ("memoized", False)]


def test_a_wrong_derivative_in_a_tiny_network_fails_too():
    """Where the symbolic route is taken, a wrong form still fails (numerically)."""
    spec = Spec(layers=(1, 1), activations="linear")
    proofs = prove_all([ForgetsTheActivation(Model(spec), Param.weight(1, 1, 1))])
    assert [p.holds for p in proofs] == [True, True]            # linear: f' = 1, nothing forgotten
    spec = Spec(layers=(1, 1), activations="tanh")
    proofs = prove_all([ForgetsTheActivation(Model(spec), Param.weight(1, 1, 1))])
    assert [p.holds for p in proofs] == [True, False]


def test_a_wrong_activation_derivative_fails(monkeypatch):
    """The reference comes from the activation itself, not from the derivative the chain rule uses."""
    monkeypatch.setattr(Model, "f_prime", lambda self, k, j: 1 - self.O[k][j])        # tanh' written as 1 - O
    spec = Spec(activations="tanh")
    proofs = prove_all(derive_all(spec, [Param.weight(1, 1, 1), Param.weight(3, 2, 1)]))
    assert not any(p.holds for p in proofs)


def test_a_wrong_regularization_derivative_fails(monkeypatch):
    spec = Spec(layers=(2, 1), regularization="l2", lam=0.5)
    monkeypatch.setattr(Model, "regularization_derivative",
                        lambda self, p: self.lam * self.symbols[p] if p.is_weight else sp.Integer(0))   # lambda w, not 2 lambda w
    proofs = prove_all(derive_all(spec))
    assert not any(p.holds for p in proofs)
