"""The symbolic network, and the activation and loss tables that both sides read.

Every activation row has a numpy half and a sympy half; they are tested against each other (f and f',
kinks included: ReLU'(0) = 0, leaky ReLU'(0) = 0.01) and f' against sympy.diff of f. A row lacking a
half fails the coverage test.
"""
import dataclasses
import random

import numpy as np
import pytest
import sympy as sp

from gradproof.numeric.activations import ACTIVATIONS, Activation
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.losses import LOSSES
from gradproof.numeric.notation import Param
from gradproof.numeric.spec import Spec
from gradproof.symbolic.compile import compile_shared
from gradproof.symbolic.model import LAMBDA, L, Model
from gradproof.symbolic.printing import latex

from oracle import forward

ZS = [-30.0, -3.0, -0.7, -1e-9, 0.0, 1e-9, 0.4, 2.5, 30.0]
HALVES = ("f", "df", "sympy_f", "sympy_df")


def missing_halves(row):
    """What a registry row lacks: a numpy or sympy function or derivative, its LaTeX, its analytic flag."""
    missing = [name for name in HALVES if not callable(getattr(row, name, None))]
    if not isinstance(getattr(row, "latex", None), str) or not row.latex:
        missing.append("latex")
    if not isinstance(getattr(row, "analytic", None), bool):
        missing.append("analytic")
    return missing


ELEMENTWISE = sorted(name for name, row in ACTIVATIONS.items() if not row.couples)
COUPLED = sorted(name for name, row in ACTIVATIONS.items() if row.couples)


def test_every_activation_has_both_halves():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "linear", "leaky_relu", "softplus", "softmax"}
    assert COUPLED == ["softmax"]
    for name, row in ACTIVATIONS.items():
        assert row.name == name
        if row.couples:
            # its derivative is the Jacobian, on both sides; a slope per neuron is refused, never guessed
            assert callable(row.f) and callable(row.sympy_f) and callable(row.sympy_jacobian), name
            with pytest.raises(GradproofError, match="couples the outputs of its layer"):
                row.df(np.zeros(2), np.zeros(2))
        else:
            assert missing_halves(row) == [], name


def test_the_coverage_check_catches_a_missing_half():
    for half in HALVES:
        broken = dataclasses.replace(ACTIVATIONS["tanh"], **{half: None})
        assert missing_halves(broken) == [half]
    assert missing_halves(Activation("x", "", np.tanh, None, None, None, "yes")) == ["df", "sympy_f", "sympy_df", "latex", "analytic"]


def sympy_value(expr):
    return float(sp.N(expr, 30))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numpy_and_sympy_functions_agree(name):
    row = ACTIVATIONS[name]
    for z in ZS:
        assert row.f(np.array([z]))[0] == pytest.approx(sympy_value(row.sympy_f(sp, sp.Float(z, 30))), rel=1e-13, abs=1e-300), z


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_numpy_and_sympy_derivatives_agree_kinks_included(name):
    """Both halves compute the same f'(z): numpy's from z and its float O, sympy's form with O in 80 digits.
    (Where O saturates, |z| > 5, the table takes f' from z: O(1 - O) and 1 - O^2 of a float O lose digits.)"""
    row = ACTIVATIONS[name]
    for z in ZS:
        O = row.f(np.array([z]))
        numeric = float(row.df(np.array([z]), O)[0])
        exact_O = row.sympy_f(sp, sp.Float(z, 80)).evalf(80)
        symbolic = sympy_value(row.sympy_df(sp, sp.Float(z, 80), exact_O))
        assert numeric == pytest.approx(symbolic, rel=1e-12, abs=1e-300), z


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_the_derivative_is_the_derivative(name):
    """sympy_df(z, f(z)) = d f / dz away from kinks."""
    row = ACTIVATIONS[name]
    z = sp.Symbol("z", real=True)
    f = row.sympy_f(sp, z)
    exact = sp.diff(f, z)
    mine = row.sympy_df(sp, z, f)
    for value in [-2.3, -0.4, 0.3, 1.7]:
        assert sympy_value(mine.subs(z, value)) == pytest.approx(sympy_value(exact.subs(z, value)), rel=1e-14)


LAYERS = [[-30.0, 0.0, 30.0], [0.3, -1.2, 2.5], [1000.0, -1000.0, 999.0], [1e-9, 0.0, -1e-9]]


@pytest.mark.parametrize("name", COUPLED)
def test_coupled_rows_numpy_and_sympy_agree(name):
    """A coupled row's numpy f of a whole layer (|z| up to 1000) against its sympy form in 60 digits."""
    row = ACTIVATIONS[name]
    for zs in LAYERS:
        exact = [sp.Float(v, 60) for v in zs]
        numeric = row.f(np.array(zs))
        for j in range(1, len(zs) + 1):
            assert numeric[j - 1] == pytest.approx(sympy_value(row.sympy_output(sp, exact, j)), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("name", COUPLED)
def test_coupled_rows_jacobian_is_the_derivative(name):
    """dO_m/dz_j from the row (sympy, in O; numpy, from O) against sympy.diff of the row's f of the layer."""
    row = ACTIVATIONS[name]
    z = sp.symbols("z1:4", real=True)
    O = [row.sympy_output(sp, z, j) for j in range(1, 4)]
    for zs in LAYERS[:2]:
        at = dict(zip(z, [sp.Float(v, 40) for v in zs]))
        numeric = row.jacobian(row.f(np.array(zs)))
        for m in range(3):
            for j in range(3):
                exact = sympy_value(sp.diff(O[m], z[j]).subs(at))
                mine = sympy_value(row.sympy_jacobian(sp, O[m], O[j], sp.Integer(int(m == j))).subs(at))
                assert mine == pytest.approx(exact, rel=1e-14, abs=1e-300)
                assert numeric[m, j] == pytest.approx(exact, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", COUPLED)
def test_coupled_rows_take_complex_input(name):
    """The complex step on one z_j recovers column j of the Jacobian (every O_m moves)."""
    row = ACTIVATIONS[name]
    zs = np.array([0.3, -1.2, 2.5])
    J = row.jacobian(row.f(zs))
    for j in range(3):
        moved = zs.astype(complex)
        moved[j] += 1e-30j
        assert row.f(moved).imag / 1e-30 == pytest.approx(J[:, j], rel=1e-13)


def test_kinks():
    z, O = sp.symbols("z O", real=True)
    relu, leaky = ACTIVATIONS["relu"], ACTIVATIONS["leaky_relu"]
    assert relu.sympy_df(sp, z, O) == sp.Heaviside(z, 0)
    assert relu.sympy_df(sp, sp.Integer(0), sp.Integer(0)) == 0
    assert leaky.sympy_df(sp, sp.Integer(0), sp.Integer(0)) == sp.Rational(1, 100)
    assert relu.df(np.array([0.0, -0.0, 1e-300, -1e-300]), None).tolist() == [0.0, 0.0, 1.0, 0.0]
    assert leaky.df(np.array([0.0, 1e-300, -1e-300]), None).tolist() == [0.01, 1.0, 0.01]
    assert relu.f(np.array([-2.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 3.0]
    assert leaky.f(np.array([-2.0, 0.0, 3.0])).tolist() == [-0.02, 0.0, 3.0]


def test_derivatives_are_written_in_the_output_as_the_notes_do():
    z, O = sp.symbols("z O", real=True)
    sigmoid = ACTIVATIONS["sigmoid"].sympy_df(sp, z, O)
    tanh = ACTIVATIONS["tanh"].sympy_df(sp, z, O)
    assert sigmoid.free_symbols == {O} and sp.expand(sigmoid - O * (1 - O)) == 0       # sigma(1 - sigma) = O(1 - O)
    assert tanh.free_symbols == {O} and sp.expand(tanh - (1 - O**2)) == 0              # 1 - tanh^2 = 1 - O^2
    assert ACTIVATIONS["linear"].sympy_df(sp, z, O) == 1
    for name in ("sigmoid", "tanh", "linear", "softplus"):
        f = ACTIVATIONS[name].f
        O_numeric = f(np.array([0.3]))
        assert ACTIVATIONS[name].df(np.array([0.3]), O_numeric)[0] == pytest.approx(
            sympy_value(ACTIVATIONS[name].sympy_df(sp, sp.Float(0.3, 30), sp.Float(float(O_numeric[0]), 30))), rel=1e-13)


@pytest.mark.parametrize("name", [n for n, row in ACTIVATIONS.items() if row.analytic and not row.couples])
def test_analytic_rows_take_complex_input(name):
    """The complex step f(z + ih)/h recovers f' for the rows marked analytic."""
    row = ACTIVATIONS[name]
    for z in [-2.0, 0.0, 0.7]:
        h = 1e-30
        step = row.f(np.array([z + 1j * h]))[0].imag / h
        assert step == pytest.approx(float(row.df(np.array([z]), row.f(np.array([z])))[0]), rel=1e-13)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_table_halves_agree(name):
    row = LOSSES[name]
    y, yhat = sp.symbols("y yhat", real=True)
    expr = row.sympy_l(sp, y, yhat)
    for yv, hv in [(0.2, 0.7), (0.9, 0.35), (0.0, 0.1), (1.0, 0.8)]:
        values = {y: sp.Float(yv, 30), yhat: sp.Float(hv, 30)}
        assert float(row.l(np.array(yv), np.array(hv))) == pytest.approx(sympy_value(expr.subs(values)), rel=1e-13)
        assert float(row.dl(np.array(yv), np.array(hv))) == pytest.approx(sympy_value(sp.diff(expr, yhat).subs(values)), rel=1e-13)


def test_losses_are_the_issues():
    y, yhat = sp.symbols("y yhat", real=True)
    assert sp.expand(LOSSES["squared"].sympy_l(sp, y, yhat) - (y - yhat) ** 2) == 0
    assert sp.expand(LOSSES["half_squared"].sympy_l(sp, y, yhat) - (y - yhat) ** 2 / 2) == 0
    assert sp.expand(LOSSES["bce"].sympy_l(sp, y, yhat) + y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat)) == 0


# ---------------------------------------------------------------- the model

def names(expr):
    return {str(s) for s in expr.free_symbols}


def S(name):
    return sp.Symbol(name, real=True)


def test_equations_of_the_notes_network():
    m = Model(Spec())
    assert m.z_equation(2, 1) - (S("w^2_11") * S("O_11") + S("w^2_21") * S("O_12") + S("w^2_31") * S("O_13")) == 0
    assert m.z_equation(1, 3) - sum(S(f"w^1_{i}3") * S(f"x_{i}") for i in range(1, 5)) == 0
    assert m.O_equation(3, 1) - 1 / (1 + sp.exp(-S("z_31"))) == 0
    assert m.data_loss() - (S("y_1") - S("O_31")) ** 2 == 0
    assert m.loss() == m.data_loss()
    assert m.regularization() == 0
    assert len(m.symbols) == 20 and names(m.z_equation(3, 1)) == {"O_21", "O_22", "w^3_11", "w^3_21"}


def test_bias_and_regularization():
    m = Model(Spec(bias=True, regularization="l2", lam=0.1))
    assert m.z_equation(3, 1) - (S("w^3_11") * S("O_21") + S("w^3_21") * S("O_22") + S("b^3_1")) == 0
    reg = m.regularization()
    assert len(names(reg)) == 21 and "lambda" in names(reg)                       # 20 weights and lambda
    assert not any(n.startswith("b") for n in names(reg))                          # never the biases
    assert reg - LAMBDA * sum(s**2 for p, s in m.symbols.items() if p.is_weight) == 0
    w = m.symbols[Param.weight(2, 1, 1)]
    assert m.regularization_derivative(Param.weight(2, 1, 1)) == 2 * LAMBDA * w
    assert m.regularization_derivative(Param.bias(2, 1)) == 0
    l1 = Model(Spec(bias=True, regularization="l1", lam=0.1))
    assert l1.regularization_derivative(Param.weight(2, 1, 1)) == LAMBDA * sp.sign(w)
    assert l1.regularization() - LAMBDA * sum(sp.Abs(s) for p, s in l1.symbols.items() if p.is_weight) == 0


def test_symbols_print_as_the_notes():
    m = Model(Spec(bias=True))
    assert latex(m.w(1, 1, 1)) == "w^{1}_{11}"
    assert latex(m.b(2, 1)) == "b^{2}_{1}"
    assert latex(m.delta[2][1]) == r"\delta_{21}"
    assert latex(m.O[3][1]) == "O_{31}"
    assert latex(m.x[4]) == "x_{4}"
    assert all(s.is_real for s in m.symbols.values())


@pytest.mark.parametrize("acts", [("sigmoid",) * 3, ("tanh", "relu", "softplus"), ("leaky_relu", "linear", "sigmoid")])
def test_expanded_outputs_and_loss_are_the_forward_pass(acts):
    spec = Spec(activations=acts, bias=True, loss="half_squared", regularization="l2", lam=0.3)
    m = Model(spec)
    rng = random.Random(7)
    W = [[[rng.uniform(-1, 1) for _ in range(b)] for _ in range(a)] for a, b in zip(spec.layers, spec.layers[1:])]
    b = [[rng.uniform(-0.5, 0.5) for _ in range(n)] for n in spec.layers[1:]]
    x, y = [rng.uniform(-1, 1) for _ in range(4)], 0.3
    values = {m.x[i + 1]: x[i] for i in range(4)} | {m.y[1]: y, m.lam: 0.3}
    values |= {m.w(k, i, j): W[k - 1][i - 1][j - 1] for k in (1, 2, 3)
               for i in range(1, spec.layers[k - 1] + 1) for j in range(1, spec.layers[k] + 1)}
    values |= {m.b(k, j): b[k - 1][j - 1] for k in (1, 2, 3) for j in range(1, spec.layers[k] + 1)}
    O = forward(acts, W, b, x)[1]        # the tests' plain-Python oracle
    neurons = [(k, j) for k in (1, 2, 3) for j in range(1, spec.layers[k] + 1)]
    # evaluated compiled (subs on expanded expressions is slow); the expressions are the model's own
    f = compile_shared(list(values), [m.expanded_O(k, j) for k, j in neurons] + [m.expanded_loss()])
    got = [float(v) for v in f(*values.values())]
    for (k, j), value in zip(neurons, got):
        assert value == pytest.approx(O[k][j - 1], rel=1e-13)
    expected = (y - O[3][0]) ** 2 / 2 + 0.3 * sum(w * w for layer in W for row in layer for w in row)
    assert got[-1] == pytest.approx(expected, rel=1e-13)
    assert not any(n.startswith(("O_", "z_")) for n in names(m.expanded_loss()))
    # expand() replaces every O and z, nothing else
    expr = m.expand(m.O[2][1] * m.z[3][1] + m.w(1, 1, 1))
    assert not any(n.startswith(("O_", "z_")) for n in names(expr))


def test_local_derivatives_along_the_edges():
    m = Model(Spec(bias=True))
    O, z = m.O, m.z
    sig = lambda k, j: O[k][j] * (1 - O[k][j])
    assert m.local(O[2][1], O[1][3]) - sig(2, 1) * m.w(2, 3, 1) == 0          # dO_21/dO_13 = f'(z_21) w^2_31
    assert m.local(O[2][1], m.w(2, 3, 1)) - sig(2, 1) * O[1][3] == 0           # dO_21/dw^2_31 = f'(z_21) O_13
    assert m.local(O[1][2], m.w(1, 4, 2)) - sig(1, 2) * m.x[4] == 0            # layer 1 reads x
    assert m.local(O[2][2], m.b(2, 2)) - sig(2, 2) == 0
    assert m.local(O[2][2], z[2][2]) - sig(2, 2) == 0
    assert m.local(z[2][2], O[1][1]) == m.w(2, 1, 2)
    assert sp.expand(m.local(L, O[3][1]) - 2 * (O[3][1] - m.y[1])) == 0
    # no edge, no derivative
    assert m.local(O[3][1], O[1][1]) == 0                                      # not adjacent layers
    assert m.local(O[2][1], m.w(2, 1, 2)) == 0                                 # w^2_12 feeds O_22
    assert m.local(O[2][1], m.b(2, 2)) == 0
    assert m.local(L, O[2][1]) == 0


def test_local_derivatives_of_each_activation():
    for act, expected in [("tanh", lambda O, z: 1 - O**2), ("relu", lambda O, z: sp.Heaviside(z, 0)),
                          ("leaky_relu", lambda O, z: sp.Rational(1, 100) + sp.Rational(99, 100) * sp.Heaviside(z, 0)),
                          ("linear", lambda O, z: 1)]:
        m = Model(Spec(activations=act))
        assert sp.expand(m.local(m.O[2][1], m.w(2, 1, 1)) - expected(m.O[2][1], m.z[2][1]) * m.O[1][1]) == 0, act
