"""Extreme inputs: sigmoid at z = +-1e4, softplus at large z, BCE with yhat at 0 or 1 in float64.
Every case runs with warnings turned into errors, and must give finite losses and gradients."""
import warnings

import numpy as np
import pytest

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.backprop import backprop
from gradproof.numeric.fd import central, complex_step
from gradproof.numeric.point import Point
from gradproof.numeric.spec import Spec


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # numpy's defaults, spelled out: underflow to 0 is the right answer here, the rest must not happen
        with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
            yield


def one_neuron(act, loss, z, y, bias=False):
    """A 1-1 network with x = 1, so that z_11 = w (+ b)."""
    spec = Spec(layers=(1, 1), activations=(act,), loss=loss, bias=bias)
    point = Point(np.array([[1.0]]), np.array([[y]]), [np.array([[float(z)]])],
                  [np.array([0.0])] if bias else None)
    return spec, point


def finite(grads):
    arrays = grads.dW + (grads.db or []) + [d for d in grads.delta[1:-1]]
    return np.isfinite(grads.loss) and all(np.all(np.isfinite(a)) for a in arrays)


@pytest.mark.parametrize("z", [1e4, -1e4, 745.0, -745.0])
def test_sigmoid_at_huge_z(z):
    O = ACTIVATIONS["sigmoid"].f(np.array([z]))
    assert O[0] == (1.0 if z > 0 else pytest.approx(0.0, abs=1e-300))
    assert np.isfinite(ACTIVATIONS["sigmoid"].df(np.array([z]), O)).all()
    for loss in ("squared", "half_squared", "bce"):
        for y in (0.0, 1.0, 0.3):
            grads = backprop(*one_neuron("sigmoid", loss, z, y, bias=True))
            assert finite(grads), (loss, y)


@pytest.mark.parametrize("z", [1e4, -1e4, 40.0, -40.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.5])
def test_bce_with_yhat_at_0_or_1(z, y):
    spec, point = one_neuron("sigmoid", "bce", z, y)
    grads = backprop(spec, point)
    assert finite(grads)
    yhat = ACTIVATIONS["sigmoid"].f(np.array(z))
    # dL/dw = (yhat - y) x, exactly as the fused form says, even where yhat rounds to 0 or 1
    assert grads.dW[0][0, 0] == pytest.approx(float(yhat) - y, abs=1e-15)
    # L = -(y ln yhat + (1-y) ln(1-yhat)) = y softplus(-z) + (1-y) softplus(z): finite, and the right size
    expected = y * max(-z, 0.0) + (1 - y) * max(z, 0.0)
    assert grads.loss == pytest.approx(expected, rel=1e-12, abs=1e-16)
    for estimate in central(spec, point) + complex_step(spec, point):
        assert np.isfinite(estimate.value) and np.isfinite(estimate.error)


def test_bce_output_delta_is_right_near_0_and_1():
    """dL/dyhat = -y/yhat + (1-y)/(1-yhat); at z = 40, 1 - yhat rounds to 0 but the delta is 1 + e^40."""
    for y, expected in ((0.0, 1 + np.exp(40.0)), (1.0, -(1 + np.exp(-40.0)))):
        grads = backprop(*one_neuron("sigmoid", "bce", 40.0, y))
        assert grads.delta[1][0, 0] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("z", [1e3, 1e5, 1e300, -1e3, -1e5])
def test_softplus_at_large_z(z):
    act = ACTIVATIONS["softplus"]
    O = act.f(np.array([z]))
    assert O[0] == pytest.approx(max(z, 0.0) + np.log1p(np.exp(-abs(z))), rel=1e-15)
    d = act.df(np.array([z]), O)
    assert d[0] == (1.0 if z > 0 else pytest.approx(np.exp(z), abs=1e-300))
    spec, point = one_neuron("softplus", "half_squared", min(z, 1e5), 0.0)
    assert finite(backprop(spec, point))


@pytest.mark.parametrize("z", [1e4, -1e4])
def test_tanh_and_sigmoid_chains_stay_finite_with_complex_step(z):
    spec = Spec(layers=(1, 2, 1), activations=("tanh", "sigmoid"), loss="bce", bias=True)
    point = Point(np.array([[1.0]]), np.array([[1.0]]), [np.array([[z, -z]]), np.array([[z], [z]])],
                  [np.zeros(2), np.zeros(1)])
    grads = backprop(spec, point)
    assert finite(grads)
    assert all(np.isfinite(e.value) for e in complex_step(spec, point))
