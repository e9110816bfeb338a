"""The regularization table: each row's derivative is sympy.diff of its term, its numpy forms agree with its sympy
forms, the complex step of its term gives its derivative, L1's proximal step is the minimizer it claims, and a new
row is all it takes for the spec, backprop, finite differences and the symbolic derivation to use a new penalty."""
import numpy as np
import pytest
import sympy as sp

from gradproof.numeric import regularizations
from gradproof.numeric.backprop import backprop
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.fd import central
from gradproof.numeric.regularizations import REGULARIZATIONS, Regularization, regularization
from gradproof.numeric.spec import Spec

W = sp.Symbol("w", real=True)
POINTS = (-2.5, -0.3, 0.7, 1.9)


@pytest.mark.parametrize("name", list(REGULARIZATIONS))
def test_derivative_is_sympy_diff_of_the_term_away_from_zero(name):
    row = regularization(name)
    expected = sp.diff(row.sympy_term(sp, W), W)
    for w in POINTS:
        assert float(row.sympy_derivative(sp, W).subs(W, w)) == pytest.approx(float(expected.subs(W, w)))
        assert float(row.term(np.float64(w))) == pytest.approx(float(row.sympy_term(sp, W).subs(W, w)))
        assert float(row.derivative(np.float64(w))) == pytest.approx(float(expected.subs(W, w)))
        # the complex step of the numpy term (how check's complex-step column sees the penalty)
        assert float(np.imag(row.term(np.complex128(w + 1e-30j))) / 1e-30) == pytest.approx(float(expected.subs(W, w)))


def test_at_zero_both_sides_take_the_subgradient_zero():
    for row in REGULARIZATIONS.values():
        assert row.sympy_derivative(sp, W).subs(W, 0) == 0
        assert row.derivative(np.float64(0.0)) == 0
    assert regularization("l1").kinked and not regularization("l2").kinked
    assert "subgradient 0" in regularization("l1").note


def test_the_l1_proximal_step_is_the_minimizer():
    """soft_threshold(w, t) minimizes (x - w)^2 / 2 + t|x|, found here by a fine grid."""
    grid = np.linspace(-4, 4, 160_001)
    for w in (-2.0, -0.2, 0.0, 0.15, 1.3):
        t = 0.3
        best = grid[np.argmin((grid - w) ** 2 / 2 + t * np.abs(grid))]
        assert float(regularization("l1").proximal(np.float64(w), t)) == pytest.approx(best, abs=1e-4)
    assert regularization("l2").proximal is None


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(GradproofError, match="unknown regularization 'elastic'; valid: none, l1, l2"):
        Spec(regularization="elastic", lam=0.1)


def test_a_new_row_is_all_a_new_penalty_takes(monkeypatch):
    """A quartic penalty r(w) = w^4, one row: the spec takes it (and its lambda), backprop adds 4 lambda w^3, which
    central differences confirm, and the symbolic derivation's dR/dw is sympy.diff of the model's R."""
    quartic = Regularization("quartic", lambda w: w**4, lambda w: 4 * w**3, lambda sp, w: w**4, lambda sp, w: 4 * w**3,
                             "quartic regularization", "R = lambda sum w^4: dR/dw = 4 lambda w^3")
    monkeypatch.setitem(REGULARIZATIONS, "quartic", quartic)
    assert "quartic" in regularizations.penalties()
    with pytest.raises(GradproofError, match="needs its strength"):
        Spec.from_mapping({"network": {"layers": [2, 2, 1]}, "regularization": {"kind": "quartic"}})
    spec = Spec(layers=(2, 2, 1), regularization="quartic", lam=0.05)
    plain = spec.replace(regularization="none", lam=0.0)
    from gradproof.numeric.point import random_point
    point = random_point(spec, seed=3, samples=2)
    with_penalty, without = backprop(spec, point), backprop(plain, point)
    for k, w in enumerate(point.W):
        np.testing.assert_allclose(with_penalty.dW[k] - without.dW[k], 4 * 0.05 * w**3, rtol=1e-12, atol=1e-15)
    for estimate in central(spec, point):
        assert estimate.value == pytest.approx(with_penalty.value(estimate.param), rel=1e-6, abs=1e-9)

    from gradproof.symbolic.model import Model
    model = Model(spec)
    w = model.symbols[spec.parameters()[0]]
    assert sp.simplify(model.regularization_derivative(spec.parameters()[0]) - sp.diff(model.regularization(), w)) == 0
