"""The chain rule: paths, the Leibniz form as the notes write it, local derivatives, the closed form, the
memoized (delta) form, and its size staying linear in the network's."""
import math

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric.notation import Param
from gradproof.numeric.spec import Spec
from gradproof.symbolic import evaluate as evaluate_module
from gradproof.symbolic.chain import delta_definition, derive, derive_all, paths, settle
from gradproof.symbolic.evaluate import Compiled
from gradproof.symbolic.model import L, Model
from gradproof.symbolic.printing import Partial, latex, text

NOTES_W111_LEIBNIZ = (
    r"\frac{\partial L}{\partial O_{31}} \cdot "
    r"\left[\frac{\partial O_{31}}{\partial O_{21}} \cdot \frac{\partial O_{21}}{\partial O_{11}} + "
    r"\frac{\partial O_{31}}{\partial O_{22}} \cdot \frac{\partial O_{22}}{\partial O_{11}}\right] \cdot "
    r"\frac{\partial O_{11}}{\partial w^{1}_{11}}")


def S(name):
    return sp.Symbol(name, real=True)


def same(a, b):
    return sp.expand(settle(a) - b) == 0


# ---------------------------------------------------------------- paths

def test_paths_of_w111_in_the_notes_network():
    got = [[str(s) for s in path] for path in paths(Model(Spec()), Param.weight(1, 1, 1))]
    assert got == [["w^1_11", "O_11", "O_21", "O_31", "L"], ["w^1_11", "O_11", "O_22", "O_31", "L"]]


def test_path_counts_of_the_notes_network():
    derivations = derive_all(Spec())
    assert len(derivations) == 20
    counts = {str(d.param): len(d.paths) for d in derivations}
    assert [c for name, c in counts.items() if name.startswith("w^1_")] == [2] * 12
    assert [c for name, c in counts.items() if not name.startswith("w^1_")] == [1] * 8
    assert [str(s) for s in derive(Spec(), Param.weight(2, 3, 2)).paths[0]] == ["w^2_32", "O_22", "O_31", "L"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=5), st.booleans(), st.data())
def test_paths_are_every_choice_of_a_neuron_per_later_layer(layers, bias, data):
    spec = Spec(layers=tuple(layers), activations="tanh", bias=bias)
    param = data.draw(st.sampled_from(spec.parameters()))
    model = Model(spec)
    found = paths(model, param)
    k = param.layer
    assert len(found) == math.prod(layers[k + 1:]) == spec.path_count(param)
    assert len({tuple(p) for p in found}) == len(found)
    for path in found:
        assert str(path[0]) == str(param) and path[1] == model.O[k][param.j] and path[-1] == L
        assert len(path) == len(layers) - k + 2
        for layer, node in zip(range(k, len(layers)), path[1:-1]):
            assert node in model.O[layer][1:]


# ---------------------------------------------------------------- the Leibniz form

def test_leibniz_form_reads_like_the_notes():
    d = derive(Spec(), Param.weight(1, 1, 1))
    assert latex(d.leibniz) == NOTES_W111_LEIBNIZ
    assert d.to_json()["chain_rule_latex"] == NOTES_W111_LEIBNIZ
    assert text(d.leibniz) == "∂L/∂O_31 · [∂O_31/∂O_21 · ∂O_21/∂O_11 + ∂O_31/∂O_22 · ∂O_22/∂O_11] · ∂O_11/∂w^1_11"


def test_leibniz_forms_of_single_paths_like_the_notes():
    # the notes: dL/dw^2_11 = dL/dO_31 . dO_31/dO_21 . dO_21/dw^2_11, and dL/dw^3_11 = dL/dO_31 . dO_31/dw^3_11
    assert latex(derive(Spec(), Param.weight(2, 1, 1)).leibniz) == (
        r"\frac{\partial L}{\partial O_{31}} \cdot \frac{\partial O_{31}}{\partial O_{21}} \cdot "
        r"\frac{\partial O_{21}}{\partial w^{2}_{11}}")
    assert latex(derive(Spec(), Param.weight(3, 1, 1)).leibniz) == (
        r"\frac{\partial L}{\partial O_{31}} \cdot \frac{\partial O_{31}}{\partial w^{3}_{11}}")


def test_leibniz_form_with_regularization_and_two_outputs():
    d = derive(Spec(layers=(2, 2, 2), regularization="l2", lam=0.1), Param.weight(1, 2, 1))
    assert text(d.leibniz) == ("[∂L/∂O_21 · ∂O_21/∂O_11 + ∂L/∂O_22 · ∂O_22/∂O_11] · ∂O_11/∂w^1_21"
                               " + ∂R/∂w^1_21")


# ---------------------------------------------------------------- local derivatives and the closed form

def test_local_derivatives_of_w111():
    d = derive(Spec(), Param.weight(1, 1, 1))
    O = lambda k, j: S(f"O_{k}{j}")
    sig = lambda k, j: O(k, j) * (1 - O(k, j))
    expected = [
        (Partial(L, O(3, 1)), 2 * (O(3, 1) - S("y_1"))),
        (Partial(O(3, 1), O(2, 1)), sig(3, 1) * S("w^3_11")),
        (Partial(O(2, 1), O(1, 1)), sig(2, 1) * S("w^2_11")),
        (Partial(O(3, 1), O(2, 2)), sig(3, 1) * S("w^3_21")),
        (Partial(O(2, 2), O(1, 1)), sig(2, 2) * S("w^2_12")),
        (Partial(O(1, 1), S("w^1_11")), sig(1, 1) * S("x_1")),
    ]
    assert [p for p, _ in d.local_derivatives] == [p for p, _ in expected]
    for (_, got), (_, want) in zip(d.local_derivatives, expected):
        assert same(got, want)


@pytest.mark.parametrize("act, f_prime", [
    ("sigmoid", lambda O, z: O * (1 - O)),                                  # sigma(1 - sigma) = O(1 - O)
    ("tanh", lambda O, z: 1 - O**2),                                        # 1 - tanh^2 = 1 - O^2
    ("linear", lambda O, z: 1),
    ("softplus", lambda O, z: 1 - sp.exp(-O)),                              # sigma(z) = 1 - e^{-O}
    ("relu", lambda O, z: sp.Heaviside(z, 0)),                              # ReLU'(0) = 0
    ("leaky_relu", lambda O, z: sp.Rational(1, 100) + sp.Rational(99, 100) * sp.Heaviside(z, 0)),
])
def test_local_derivative_of_each_activation(act, f_prime):
    d = derive(Spec(activations=act), Param.weight(2, 3, 1))
    local = dict(d.local_derivatives)[Partial(S("O_21"), S("w^2_31"))]
    assert same(local, f_prime(S("O_21"), S("z_21")) * S("O_13"))
    if act in ("relu", "leaky_relu"):
        at_kink = local.subs({S("z_21"): 0, S("O_13"): 1})
        assert at_kink == (0 if act == "relu" else sp.Rational(1, 100))


def test_closed_form_of_w111_is_the_notes_sum_of_two_paths():
    d = derive(Spec(), Param.weight(1, 1, 1))
    O = lambda k, j: S(f"O_{k}{j}")
    sig = lambda k, j: O(k, j) * (1 - O(k, j))
    expected = (2 * (O(3, 1) - S("y_1"))
                * (sig(3, 1) * S("w^3_11") * sig(2, 1) * S("w^2_11") + sig(3, 1) * S("w^3_21") * sig(2, 2) * S("w^2_12"))
                * sig(1, 1) * S("x_1"))
    assert same(d.closed_form, expected)
    # the closed form is in O, w, x, y only (no deltas, no partials)
    assert not d.closed_form.has(Partial)
    assert {str(s)[0] for s in d.closed_form.free_symbols} <= {"O", "w", "x", "y"}


def test_closed_form_with_bias_and_regularization():
    spec = Spec(bias=True, regularization="l1", lam=0.5, loss="half_squared", activations="tanh")
    d = derive(spec, Param.weight(3, 2, 1))
    lam = sp.Symbol("lambda", nonnegative=True)
    expected = (S("O_31") - S("y_1")) * (1 - S("O_31") ** 2) * S("O_22") + lam * sp.sign(S("w^3_21"))
    assert same(d.closed_form, expected)
    b = derive(spec, Param.bias(3, 1))
    assert same(b.closed_form, (S("O_31") - S("y_1")) * (1 - S("O_31") ** 2))       # no regularization on biases


# ---------------------------------------------------------------- the memoized form

def test_memoized_form_of_the_notes_network():
    model = Model(Spec())
    d = derive(Spec(), Param.weight(1, 1, 1), model)
    delta = lambda k, j: S(f"delta_{k}{j}")
    O = lambda k, j: S(f"O_{k}{j}")
    assert same(d.memoized, delta(1, 1) * O(1, 1) * (1 - O(1, 1)) * S("x_1"))
    assert latex(d.memoized_leibniz) == r"\delta_{11} \cdot \frac{\partial O_{11}}{\partial w^{1}_{11}}"
    definitions = {str(s): definition for s, _, definition in d.deltas}
    assert list(definitions) == ["delta_11", "delta_21", "delta_22", "delta_31"]
    assert same(definitions["delta_31"], 2 * (O(3, 1) - S("y_1")))
    assert same(definitions["delta_21"], delta(3, 1) * O(3, 1) * (1 - O(3, 1)) * S("w^3_11"))
    assert same(definitions["delta_11"], delta(2, 1) * O(2, 1) * (1 - O(2, 1)) * S("w^2_11")
                + delta(2, 2) * O(2, 2) * (1 - O(2, 2)) * S("w^2_12"))
    assert [str(p) for p in d.reused_by] == ["w^1_21", "w^1_31", "w^1_41"]       # every weight into O_11
    # substituting the deltas gives back the closed form
    table = {delta(k, j): delta_definition(model, k, j) for k, j in [(1, 1), (2, 1), (2, 2), (3, 1)]}
    expr = d.memoized
    for _ in range(3):
        expr = settle(expr).xreplace(table)
    assert sp.expand(expr - settle(d.closed_form)) == 0


# ---------------------------------------------------------------- linear in the size of the network

def ops(expr):
    return sp.count_ops(settle(expr))


def test_deep_network_is_never_expanded(monkeypatch):
    """A [4]*7+[1] network: every form built and compiled stays as small as the same forms of a 2-hidden-layer
    network; nothing is ever expanded in x, y, w (which would be millions of nodes)."""

    def refuse(*args):
        raise AssertionError("expanded a network")

    monkeypatch.setattr(Model, "expanded_O", refuse)
    monkeypatch.setattr(Model, "expanded_z", refuse)
    monkeypatch.setattr(Model, "expanded_loss", refuse)
    compiled = []
    original = evaluate_module._compile

    def recording(args, exprs, mpmath=False):
        compiled.extend(exprs if isinstance(exprs, (list, tuple)) else [exprs])
        return original(args, exprs, mpmath)

    monkeypatch.setattr(evaluate_module, "_compile", recording)

    def sizes(layers):
        compiled.clear()
        spec = Spec(layers=layers, activations="tanh", bias=True, regularization="l2", lam=0.1)
        derivations = derive_all(spec)
        # the per-layer code prints each layer's forms once (the per-neuron code records them through _compile)
        compiled.extend(Compiled(derivations[0].model).network.layers.printed)
        forms = {d.memoized for d in derivations} | {defn for d in derivations for _, _, defn in d.deltas}
        # the regularization term lambda * sum w^2 is one sum over every weight: linear, but not per layer
        per_layer = [e for e in compiled if not sp.sympify(e).has(sp.Symbol("lambda", nonnegative=True))]
        reg = [ops(e) for e in compiled if e not in per_layer]
        return (len(derivations), max(ops(f) for f in forms), max(ops(e) for e in per_layer),
                sum(ops(e) for e in compiled), max(reg))

    n_small, form_small, compiled_small, total_small, reg_small = sizes((4, 4, 4, 1))
    n_deep, form_deep, compiled_deep, total_deep, reg_deep = sizes((4,) * 7 + (1,))
    assert form_deep == form_small and compiled_deep == compiled_small          # no expression grows with depth
    assert form_small < 40 and compiled_small < 60
    assert reg_deep <= 3 * n_deep                                               # about 2 operations per weight
    assert total_deep <= total_small * n_deep / n_small * 1.5                   # the total grows with the parameters
    deep = derive(Spec(layers=(4,) * 7 + (1,)), Param.weight(1, 1, 1))
    assert deep.path_count == 4 ** 5 and deep.leibniz is None and deep.closed_form is None and deep.paths is None
    assert deep.to_json()["paths"] is None and "delta_{11}" in deep.to_json()["memoized_latex"]
