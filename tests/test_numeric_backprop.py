"""Backprop against independent computations.

- The tests' plain-Python oracle (tests/oracle.py: math module, lists) for the loss of any spec, written
  from the notes' definitions without numpy or any gradproof code, and central differences taken on it.
- A hand-written backward pass for the notes' 4-3-2-1 sigmoid network, mirroring the notes' chain
  rule line by line.
- For random networks (hypothesis): backprop = per-path sum (1e-12), = complex step (1e-12),
  = central differences (1e-6).
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gradproof.numeric.backprop import backprop, forward, loss_at
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.fd import central, complex_step, complex_step_applies
from gradproof.numeric.notation import Param
from gradproof.numeric.paths import per_path
from gradproof.numeric.point import Point, random_point
from gradproof.numeric.spec import Spec

from oracle import as_lists, loss, net_of

ACTS = ["sigmoid", "tanh", "linear", "softplus", "relu", "leaky_relu"]


# ---------------------------------------------------------------- plain-Python reference

def ref_central(spec, point, param, h=1e-5):
    """Central difference of the plain-Python loss, h = 1e-5 (Richardson-free, error ~ h^2)."""
    x, y, W, b = as_lists(point)
    target = W[param.layer - 1][param.i - 1] if param.is_weight else b[param.layer - 1]
    col = param.j - 1
    w0 = target[col]
    target[col] = w0 + h
    up = loss(net_of(spec), W, b, x, y)
    target[col] = w0 - h
    down = loss(net_of(spec), W, b, x, y)
    target[col] = w0
    return (up - down) / (2 * h)


def notes_backprop_by_hand(x, y, W):
    """The notes' 4-3-2-1 sigmoid network with squared loss, one sample, written out neuron by neuron."""
    s = lambda z: 1 / (1 + math.exp(-z))
    O1 = [s(sum(x[i] * W[0][i][j] for i in range(4))) for j in range(3)]
    O2 = [s(sum(O1[i] * W[1][i][j] for i in range(3))) for j in range(2)]
    O31 = s(O2[0] * W[2][0][0] + O2[1] * W[2][1][0])
    dL_dO31 = -2 * (y - O31)
    # dO31/dO2j = sigma'(z31) * w^3_j1 ; dO2j/dO1i = sigma'(z2j) * w^2_ij ; dO1i/dw^1_ki = sigma'(z1i) * x_k
    dO31_dO2 = [O31 * (1 - O31) * W[2][j][0] for j in range(2)]
    dO2_dO1 = [[O2[j] * (1 - O2[j]) * W[1][i][j] for j in range(2)] for i in range(3)]
    g3 = [[dL_dO31 * O31 * (1 - O31) * O2[i]] for i in range(2)]
    g2 = [[dL_dO31 * dO31_dO2[j] * O2[j] * (1 - O2[j]) * O1[i] for j in range(2)] for i in range(3)]
    # dL/dw^1_ki = dL/dO31 [dO31/dO21 dO21/dO1i + dO31/dO22 dO22/dO1i] dO1i/dw^1_ki  (the notes' bracket)
    g1 = [[dL_dO31 * (dO31_dO2[0] * dO2_dO1[i][0] + dO31_dO2[1] * dO2_dO1[i][1]) * O1[i] * (1 - O1[i]) * x[k]
           for i in range(3)] for k in range(4)]
    return (y - O31) ** 2, [g1, g2, g3]


# ---------------------------------------------------------------- fixed cases

def test_notes_network_matches_the_hand_written_chain_rule():
    spec = Spec()
    point = random_point(spec, seed=7)
    loss, expected = notes_backprop_by_hand(point.x[0].tolist(), float(point.y[0, 0]), [w.tolist() for w in point.W])
    grads = backprop(spec, point)
    assert grads.loss == pytest.approx(loss, rel=1e-14)
    for k in range(3):
        np.testing.assert_allclose(grads.dW[k], np.array(expected[k]), rtol=1e-13, atol=0, err_msg=f"dW^{k + 1}")


def test_forward_keeps_z_and_O_per_layer():
    spec = Spec(layers=(3, 2, 1), activations=("tanh", "sigmoid"), bias=True)
    point = random_point(spec, seed=2, samples=5)
    fwd = forward(spec, point)
    assert fwd.z[0] is None and fwd.O[0] is not None
    assert [o.shape for o in fwd.O] == [(5, 3), (5, 2), (5, 1)]
    x, _, W, b = as_lists(point)
    z11 = sum(x[4][i] * W[0][i][0] for i in range(3)) + b[0][0]
    assert fwd.z[1][4, 0] == pytest.approx(z11, rel=1e-15)
    assert fwd.O[1][4, 0] == pytest.approx(math.tanh(z11), rel=1e-15)


def test_delta_is_dL_dO():
    """delta_k = dL/dO_k: nudging O_kj of one sample by hand changes L by delta * step."""
    spec = Spec(layers=(2, 3, 1), activations=("tanh", "linear"), loss="half_squared")
    point = random_point(spec, seed=4, samples=2)
    grads = backprop(spec, point)
    fwd = grads.forward
    h = 1e-6
    for n in range(2):
        for j in range(3):
            def L(shift):
                O1 = fwd.O[1].copy()
                O1[n, j] += shift
                out = O1 @ fwd.W[1]
                return float(((point.y - out) ** 2).sum() / 2)
            assert grads.delta[1][n, j] == pytest.approx((L(h) - L(-h)) / (2 * h), rel=1e-7)
    assert grads.delta[2][:, 0] == pytest.approx(-(point.y[:, 0] - fwd.O[2][:, 0]), rel=1e-15)


def test_value_reads_the_gradient_of_a_param():
    spec = Spec(layers=(2, 2, 1), bias=True)
    grads = backprop(spec, random_point(spec, seed=1))
    assert grads.value(Param.weight(2, 2, 1)) == grads.dW[1][1, 0]
    assert grads.value(Param.bias(1, 2)) == grads.db[0][1]
    no_bias = backprop(Spec(layers=(2, 1)), random_point(Spec(layers=(2, 1))))
    with pytest.raises(GradproofError, match="no biases"):
        no_bias.value(Param.bias(1, 1))
    with pytest.raises(GradproofError, match="does not exist"):
        grads.value(Param.weight(1, 0, 1))          # index 0 must not wrap around to the last row


def test_regularization_is_added_once_to_weights_only():
    base = Spec(layers=(2, 2, 1), bias=True, reduction="mean")
    point = random_point(base, seed=9, samples=4)
    plain = backprop(base, point)
    l2 = backprop(base.replace(regularization="l2", lam=0.5), point)
    l1 = backprop(base.replace(regularization="l1", lam=0.5), point)
    for k in range(2):
        np.testing.assert_allclose(l2.dW[k] - plain.dW[k], 2 * 0.5 * point.W[k], rtol=1e-12)
        np.testing.assert_allclose(l1.dW[k] - plain.dW[k], 0.5 * np.sign(point.W[k]), rtol=1e-12)
        np.testing.assert_array_equal(l2.db[k], plain.db[k])
    assert l2.loss - plain.loss == pytest.approx(0.5 * sum((w ** 2).sum() for w in point.W), rel=1e-12)


def test_l1_subgradient_at_zero_is_zero():
    spec = Spec(layers=(2, 1), activations=("linear",), regularization="l1", lam=3.0)
    point = Point(np.array([[0.0, 1.0]]), np.array([[0.5]]), [np.array([[0.0], [0.5]])])
    grads = backprop(spec, point)
    assert grads.dW[0][0, 0] == 0.0      # x_1 = 0 so the data term is 0 too; sign(0) = 0
    assert grads.dW[0][1, 0] == pytest.approx(-2 * (0.5 - 0.5) + 3.0)


def test_mean_reduction_divides_by_samples():
    spec = Spec(layers=(3, 2), activations=("softplus",), loss="squared")
    point = random_point(spec, seed=3, samples=6)
    s, m = backprop(spec, point), backprop(spec.replace(reduction="mean"), point)
    assert m.loss == pytest.approx(s.loss / 6, rel=1e-14)
    np.testing.assert_allclose(m.dW[0], s.dW[0] / 6, rtol=1e-14)


def test_float32_on_request():
    spec = Spec(layers=(4, 5, 3, 2), activations=("relu", "tanh", "sigmoid"), bias=True, loss="bce")
    point = random_point(spec, seed=11, samples=8)
    g64, g32 = backprop(spec, point), backprop(spec, point, dtype=np.float32)
    assert all(d.dtype == np.float32 for d in g32.dW + g32.db)
    assert all(d.dtype == np.float32 for d in g32.delta[1:])
    assert all(d.dtype == np.float64 for d in g64.dW + g64.db)
    for a, b in zip(g32.dW, g64.dW):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)
    assert isinstance(g32.loss, float)


def test_relu_kink_derivatives():
    """ReLU'(0) = 0 and leaky ReLU'(0) = 0.01: with z_11 = 0 exactly, the gradient takes those slopes."""
    for act, slope in (("relu", 0.0), ("leaky_relu", 0.01)):
        spec = Spec(layers=(1, 1, 1), activations=(act, "linear"), loss="half_squared")
        point = Point(np.array([[2.0]]), np.array([[1.0]]), [np.array([[0.0]]), np.array([[3.0]])])
        grads = backprop(spec, point)
        # dL/dw^1_11 = (O_21 - y) * w^2_11 * f'(0) * x
        assert grads.dW[0][0, 0] == (0.0 - 1.0) * 3.0 * slope * 2.0


# ---------------------------------------------------------------- random networks

@st.composite
def networks(draw, analytic=False, max_samples=4):
    depth = draw(st.integers(1, 3))
    layers = tuple(draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1)))
    pool = ACTS[:4] if analytic else ACTS
    acts = tuple(draw(st.sampled_from(pool)) for _ in range(depth))
    loss = draw(st.sampled_from(["squared", "half_squared", "bce"]))
    if loss == "bce":
        acts = acts[:-1] + ("sigmoid",)
    reg = draw(st.sampled_from(["none", "l1", "l2"]))
    spec = Spec(layers=layers, activations=acts, bias=draw(st.booleans()), loss=loss,
                reduction=draw(st.sampled_from(["sum", "mean"])), regularization=reg,
                lam=draw(st.sampled_from([0.0, 0.01, 0.7])) if reg != "none" else 0.0)
    point = random_point(spec, seed=draw(st.integers(0, 10**6)), samples=draw(st.integers(1, max_samples)),
                         scale=draw(st.sampled_from([0.5, 1.0, 2.0])))
    return spec, point


def gradient(spec, point):
    grads = backprop(spec, point)
    return np.array([grads.value(p) for p in spec.parameters()])


def assert_close(actual, expected, rtol, label, slack=0.0):
    """|a - e| <= rtol * (|e| + max|e|/10) + slack: relative, with a floor at the gradient's own scale for
    components that nearly cancel (zero gradients of ReLU networks are compared exactly); ``slack`` is a
    method's own stated error, where it has one."""
    floor = np.max(np.abs(expected)) / 10 if expected.size else 0.0
    np.testing.assert_array_less(np.abs(actual - expected), rtol * (np.abs(expected) + floor) + slack + 1e-300,
                                 err_msg=label)


def away_from_kinks(spec, point, margin=1e-3):
    """No ReLU pre-activation and no L1 weight within `margin` of 0, where finite differences straddle a kink."""
    fwd = forward(spec, point)
    kinks = [fwd.z[k] for k in range(1, spec.depth + 1) if spec.activations[k - 1] in ("relu", "leaky_relu")]
    ok = all(np.min(np.abs(z)) > margin for z in kinks)
    if spec.regularization == "l1":
        ok = ok and all(np.min(np.abs(w)) > margin for w in point.W)
    return ok


@settings(max_examples=150, deadline=None)
@given(networks())
def test_backprop_equals_per_path(case):
    spec, point = case
    result = per_path(spec, point)
    expected = gradient(spec, point)
    actual = np.array([result.values[p] for p in spec.parameters()])
    assert_close(actual, expected, 1e-12, f"per-path vs backprop for {spec!r}")


@settings(max_examples=150, deadline=None)
@given(networks(analytic=True))
def test_backprop_equals_complex_step(case):
    spec, point = case
    assume(away_from_kinks(spec, point))          # |w| at w = 0 is not analytic
    assert complex_step_applies(spec)
    actual = np.array([e.value for e in complex_step(spec, point)])
    assert_close(actual, gradient(spec, point), 1e-12, f"complex step vs backprop for {spec!r}")


@settings(max_examples=150, deadline=None)
@given(networks())
def test_backprop_equals_central_differences(case):
    spec, point = case
    assume(away_from_kinks(spec, point))
    estimates = central(spec, point)
    expected = gradient(spec, point)
    actual = np.array([e.value for e in estimates])
    errors = np.array([e.error for e in estimates])
    # agreement to 1e-6, except where central differences themselves can do no better: a gradient far
    # below the loss's own rounding over the step (L ~ 1, dL/dw ~ 1e-5 leaves ~1e-11 of it unresolved)
    assert_close(actual, expected, 1e-6, f"central vs backprop for {spec!r}", slack=errors)
    # the reported error bounds the actual one (within a factor, as an estimate should)
    assert np.all(np.abs(actual - expected) <= 10 * errors + 1e-14 * np.max(np.abs(expected)))


@settings(max_examples=60, deadline=None)
@given(networks(max_samples=3))
def test_loss_and_gradient_match_the_plain_python_reference(case):
    spec, point = case
    assume(away_from_kinks(spec, point))
    x, y, W, b = as_lists(point)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = backprop(spec, point)
    assert grads.loss == pytest.approx(loss(net_of(spec), W, b, x, y), rel=1e-12, abs=1e-300)
    expected = np.array([ref_central(spec, point, p) for p in spec.parameters()])
    actual = np.array([grads.value(p) for p in spec.parameters()])
    assert_close(actual, expected, 1e-6, f"backprop vs plain-Python central differences for {spec!r}")
    assert loss_at(spec, point) == grads.loss
