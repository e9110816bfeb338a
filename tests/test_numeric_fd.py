"""Finite differences: steps, the complex step's domain, batching, and error estimates."""
import pytest

from gradproof.numeric import fd
from gradproof.numeric.backprop import backprop
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.fd import COMPLEX_H, EPS, central, central_step, complex_step, complex_step_applies
from gradproof.numeric.notation import Param
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec


def test_central_step_scales_with_the_parameter_and_is_exact():
    assert central_step(0.0) == pytest.approx(EPS ** (1 / 3))
    assert central_step(-250.0) == pytest.approx(250 * EPS ** (1 / 3), rel=1e-12)
    for w in (0.1, 3.7, -1e3):
        h = central_step(w)
        assert (w + h) - w == h          # the step actually taken is the one divided by


def test_complex_step_only_for_analytic_activations():
    assert complex_step_applies(Spec(activations=("sigmoid", "tanh", "softplus")))
    assert not complex_step_applies(Spec(activations=("sigmoid", "leaky_relu", "linear")))
    with pytest.raises(GradproofError, match="layer 2 uses leaky_relu"):
        complex_step(Spec(activations=("sigmoid", "leaky_relu", "linear")), random_point(Spec(), seed=1))


def test_complex_step_is_exact_to_rounding_for_a_single_linear_neuron():
    """L = (y - w x)^2: dL/dw = -2 x (y - w x), with no truncation error at all."""
    spec = Spec(layers=(1, 1), activations=("linear",))
    point = random_point(spec, seed=3)
    (estimate,) = complex_step(spec, point)
    x, y, w = point.x[0, 0], point.y[0, 0], point.W[0][0, 0]
    assert estimate.value == pytest.approx(-2 * x * (y - w * x), rel=4 * EPS)
    assert estimate.error == pytest.approx(EPS * abs(estimate.value))
    assert COMPLEX_H == 1e-30


def test_results_follow_the_requested_params_order():
    spec = Spec(bias=True)
    params = [Param.bias(2, 1), Param.weight(3, 2, 1), Param.weight(1, 1, 1)]
    point = random_point(spec, seed=2)
    assert [e.param for e in central(spec, point, params)] == params
    assert [e.param for e in complex_step(spec, point, params)] == params


def test_batching_in_chunks_gives_the_same_numbers(monkeypatch):
    spec = Spec(layers=(3, 4, 3, 2), activations=("tanh", "softplus", "sigmoid"), bias=True, loss="bce")
    point = random_point(spec, seed=8, samples=5)
    whole = [e.value for e in central(spec, point)] + [e.value for e in complex_step(spec, point)]
    monkeypatch.setattr(fd, "BUDGET", 1)          # one perturbed parameter per batch
    chunked = [e.value for e in central(spec, point)] + [e.value for e in complex_step(spec, point)]
    assert chunked == whole


def test_error_estimates_bound_the_actual_error():
    spec = Spec(layers=(2, 3, 2), activations=("tanh", "sigmoid"), bias=True, regularization="l2", lam=0.3)
    point = random_point(spec, seed=4, samples=3, scale=2.0)
    grads = backprop(spec, point)
    for e in central(spec, point):
        assert abs(e.value - grads.value(e.param)) <= 10 * e.error, e
        assert 0 < e.error < 1e-7
    for e in complex_step(spec, point):
        assert abs(e.value - grads.value(e.param)) <= 64 * e.error + 1e-300, e


def test_l1_at_zero_weight_uses_the_subgradient():
    spec = Spec(layers=(2, 1), activations=("tanh",), regularization="l1", lam=0.5)
    point = random_point(spec, seed=1)
    point.W[0][0, 0] = 0.0
    grads = backprop(spec, point)
    c = central(spec, point, [Param.weight(1, 1, 1)])[0]
    s = complex_step(spec, point, [Param.weight(1, 1, 1)])[0]
    assert c.value == pytest.approx(grads.value(Param.weight(1, 1, 1)), rel=1e-7)
    assert s.value == pytest.approx(grads.value(Param.weight(1, 1, 1)), rel=1e-12)


def test_unknown_parameter_is_an_error():
    with pytest.raises(GradproofError, match="does not exist"):
        central(Spec(), random_point(Spec()), [Param.weight(1, 5, 1)])
