"""Gradient flow: per-layer norms against backprop, the symbolic evaluation and central differences; the
chain's factors and bound; the vanishing and exploding verdicts; the command line and its plots."""
import json
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.backprop import backprop, forward
from gradproof.numeric.fd import central
from gradproof.numeric.flow import EXPLODING, VANISHING, flow, local_factors
from gradproof.numeric.notation import Param
from gradproof.numeric.point import Point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main
from gradproof.symbolic.evaluate import Compiled
from gradproof.symbolic.flow import (
    analyse,
    chain_bound,
    chain_product,
    factor_values,
    random_point,
    slope_bound,
    steepest_point,
)
from gradproof.symbolic.model import Model


def chain(depth, act="sigmoid", **kw):
    return Spec(layers=(1,) * (depth + 1), activations=(act,), **kw)


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def write_point(tmp_path, x, y, weights, name="point.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"x": x, "y": y, "W": weights}))
    return str(path)


# ---- per-layer gradient norms ----------------------------------------------------------------------
@pytest.mark.parametrize("spec", [chain(4, "sigmoid"), chain(3, "tanh", bias=True),
                                  Spec(layers=(3, 4, 4, 2), activations=("tanh", "relu", "sigmoid"))],
                         ids=["sigmoid chain", "tanh chain with biases", "3-4-4-2"])
def test_layer_norms_equal_central_differences_and_the_symbolic_gradients(spec):
    point = random_point(spec, "xavier", seed=4)
    result = flow(spec, point)
    compiled = Compiled(Model(spec)).evaluate(point).gradients
    estimates = {e.param: e for e in central(spec, point)}
    for k in range(1, spec.depth + 1):
        weights = [p for p in spec.parameters() if p.is_weight and p.layer == k]
        fd = math.sqrt(sum(estimates[p].value ** 2 for p in weights))
        fd_error = sum(estimates[p].error for p in weights)
        symbolic = math.sqrt(sum(compiled[p] ** 2 for p in weights))
        assert result.grad_norms[k - 1] == pytest.approx(fd, rel=1e-6, abs=10 * fd_error + 1e-12), f"layer {k}"
        assert result.grad_norms[k - 1] == pytest.approx(symbolic, rel=1e-12, abs=1e-300), f"layer {k}"


def test_chain_grad_norm_is_the_absolute_derivative_of_each_weight(capsys, tmp_path):
    W = [[[0.8]], [[-1.2]], [[0.5]]]
    path = write_point(tmp_path, [0.3], [0.9], W)
    data = run_json(capsys, ["flow", "--net", "1-1-1-1", "--at", path, "--json"])
    spec, point = chain(3), Point(np.array([[0.3]]), np.array([[0.9]]), [np.array(w) for w in W])
    bp = backprop(spec, point)
    for row, estimate in zip(data["layers"], central(spec, point)):
        assert row["grad_norm"] == abs(bp.value(estimate.param))
        assert row["grad_norm"] == pytest.approx(abs(estimate.value), rel=1e-7)


# ---- the chain's factors and product -----------------------------------------------------------------
def plain_factors(acts, x, weights):
    """f_k'(z_k) w_k by hand: the forward pass in plain Python, f' by a central difference of f."""
    out, factors = x, []
    for name, w in zip(acts, weights):
        f = lambda z: float(ACTIVATIONS[name].f(np.array(z)))
        z = w * out
        h = 1e-6
        factors.append((f(z + h) - f(z - h)) / (2 * h) * w)
        out = f(z)
    return factors


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus", "relu"])
def test_factors_match_a_plain_python_chain_and_the_sympy_factors(act):
    # ReLU: a negative weight puts every later z at exactly 0, the kink a difference quotient cannot read
    weights = [0.7, 1.3, 2.1, -0.9] if act == "relu" else [0.7, -1.3, 2.1, 0.9]
    spec = chain(4, act)
    point = Point(np.array([[0.6]]), np.array([[0.2]]), [np.array([[w]]) for w in weights])
    numeric = [f[0] for f in local_factors(spec, forward(spec, point))]
    expected = plain_factors([act] * 4, 0.6, weights)
    assert numeric == pytest.approx(expected, rel=1e-7, abs=1e-9)
    symbolic = [f[0] for f in factor_values(Model(spec), forward(spec, point))]
    assert symbolic == pytest.approx(numeric, rel=1e-13, abs=1e-300)


def test_the_product_of_factors_is_the_derivative_of_the_last_output_by_the_first():
    spec = chain(4, "tanh")
    model = Model(spec)
    point = random_point(spec, "normal", seed=2)
    # O_4 as a function of O_1 alone, differentiated by sympy: independent of Model.local
    o1 = model.O[1][1]
    out = o1
    for k in range(2, 5):
        out = sp.tanh(model.w(k, 1, 1) * out)
    values = {model.w(k, 1, 1): point.W[k - 1][0, 0] for k in range(1, 5)}
    fwd = forward(spec, point)
    values[o1] = fwd.O[1][0, 0]
    expected = float(sp.diff(out, o1).subs(values))
    assert flow(spec, point).product[0] == pytest.approx(expected, rel=1e-12)
    # the symbolic product, evaluated at the forward pass, is the same number
    at = {model.O[k][1]: fwd.O[k][0, 0] for k in range(1, 5)} | {model.z[k][1]: fwd.z[k][0, 0] for k in range(1, 5)}
    at |= values
    assert float(chain_product(model).subs(at)) == pytest.approx(expected, rel=1e-12)


def test_slope_bounds_are_the_suprema_of_the_derivatives():
    assert slope_bound("sigmoid") == sp.Rational(1, 4)
    assert [slope_bound(a) for a in ("tanh", "relu", "linear", "softplus", "leaky_relu")] == [1] * 5
    z = np.linspace(-30, 30, 200001)
    for name, row in ACTIVATIONS.items():
        if row.couples:
            continue                   # a Jacobian, not a slope per neuron: no chain of slopes to bound
        df = row.df(z, row.f(z))
        assert np.all(np.abs(df) <= float(slope_bound(name)) + 1e-15), name
        assert np.max(np.abs(df)) >= float(slope_bound(name)) - 1e-6, name


def test_the_sigmoid_chain_bound_is_the_product_of_weights_over_four():
    model = Model(chain(4))
    w = [model.w(k, 1, 1) for k in range(1, 5)]
    assert sp.simplify(chain_bound(model) - abs(w[1]) * abs(w[2]) * abs(w[3]) / 64) == 0
    assert sp.simplify(chain_bound(Model(chain(3, "relu"))) - abs(w[1]) * abs(w[2])) == 0


# ---- verdicts ---------------------------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), init=st.sampled_from(["uniform", "normal", "xavier", "he"]))
def test_a_depth_10_sigmoid_chain_vanishes_within_its_bound(seed, init):
    spec = chain(10)
    point = random_point(spec, init, seed)
    report = analyse(spec, point)
    expected_bound = np.prod([abs(w[0, 0]) for w in point.W[1:]]) / 4 ** 9
    assert report.flow.bound == pytest.approx(expected_bound, rel=1e-12)
    assert report.flow.ratio <= report.flow.bound * (1 + 1e-12)
    if expected_bound < VANISHING:
        assert report.verdict == "vanishing"


def test_depth_10_sigmoid_chain_from_the_command_line_is_vanishing_with_its_bound(capsys):
    data = run_json(capsys, ["flow", "--depth", "10", "--width", "1", "--act", "sigmoid", "--json"])
    assert data["verdict"] == "vanishing" and data["ratio"] < 1e-3
    assert len(data["layers"]) == 10 and [r["layer"] for r in data["layers"]] == list(range(1, 11))
    assert {"layer", "grad_norm", "factor"} <= set(data["layers"][0])
    weights = [r["weight_norm"] for r in data["layers"]]
    assert data["bound"] == pytest.approx(np.prod(weights[1:]) / 4 ** 9, rel=1e-12)
    assert data["ratio"] <= data["bound"]
    assert data["ratio"] == pytest.approx(abs(np.prod([r["factor"] for r in data["layers"][1:]])), rel=1e-12)
    assert "262144" not in data["bound_latex"] and r"\frac{\left|{w^{2}_{11}}\right|}{4}" in data["bound_latex"]
    text = main(["flow", "--depth", "10", "--width", "1"]) == 0 and capsys.readouterr().out
    assert "verdict: vanishing" in text and "bound:" in text


@pytest.mark.parametrize("act", ["linear", "relu"])
def test_large_weights_on_a_linear_or_relu_chain_explode(capsys, tmp_path, act):
    path = write_point(tmp_path, [1.0], [0.5], [[[5.0]]] * 6)
    data = run_json(capsys, ["flow", "--net", "1-1-1-1-1-1-1", "--act", act, "--at", path, "--json"])
    assert data["verdict"] == "exploding"
    # delta_1 = delta_6 * prod_(k=2..6) w_k: the ratio is 5^5, and the bound (c_k = 1) is reached
    assert data["ratio"] == pytest.approx(5.0 ** 5, rel=1e-12) and data["ratio"] > EXPLODING
    assert data["bound"] == pytest.approx(5.0 ** 5, rel=1e-12)
    # every layer's weight gradient carries the same product: their ratio is w_6 / w_1 = 1
    assert data["grad_norm_ratio"] == pytest.approx(1.0, rel=1e-12)


def test_a_large_gain_explodes_a_random_linear_chain_and_small_weights_vanish(capsys):
    data = run_json(capsys, ["flow", "--depth", "8", "--act", "linear", "--init", "normal", "--gain", "50", "--json"])
    assert data["verdict"] == "exploding"
    data = run_json(capsys, ["flow", "--depth", "8", "--act", "linear", "--init", "normal", "--gain", "0.02", "--json"])
    assert data["verdict"] == "vanishing"


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), act=st.sampled_from(["sigmoid", "tanh", "relu", "softplus"]),
       width=st.integers(2, 4), depth=st.integers(1, 5))
def test_the_ratio_never_exceeds_the_bound_in_wider_networks(seed, act, width, depth):
    spec = Spec(layers=(width,) * (depth + 1), activations=(act,))
    report = analyse(spec, random_point(spec, "he", seed, gain=3.0))
    if report.flow.ratio is not None:
        assert report.flow.ratio <= report.flow.bound * (1 + 1e-12)
    verdict = ("vanishing" if report.flow.ratio is None or report.flow.ratio < VANISHING
               else "exploding" if report.flow.ratio > EXPLODING else "healthy")
    assert report.verdict == verdict


def test_a_dead_relu_chain_reports_zero_gradients_as_vanishing(tmp_path, capsys):
    path = write_point(tmp_path, [1.0], [0.5], [[[1.0]], [[-1.0]], [[2.0]]])
    data = run_json(capsys, ["flow", "--net", "1-1-1-1", "--act", "relu", "--at", path, "--json"])
    assert [r["grad_norm"] for r in data["layers"]] == [0.0, 0.0, 0.0]
    assert data["ratio"] == 0.0 and data["verdict"] == "vanishing"


# ---- the command line --------------------------------------------------------------------------------
def test_compare_runs_every_activation_and_initialisation_on_the_same_sample(capsys, tmp_path):
    png = tmp_path / "compare.png"
    data = run_json(capsys, ["flow", "--depth", "4", "--width", "3", "--compare", "--seed", "5",
                             "--plot", str(png), "--json"])
    pairs = [(r["activation"], r["init"]) for r in data["runs"]]
    assert pairs == [(a, i) for a in ("sigmoid", "tanh", "relu") for i in ("uniform", "normal", "xavier", "he")]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same seed gives each initialisation the same weights whatever the activation: the bounds differ by c_k only
    bounds = {(r["activation"], r["init"]): r["bound"] for r in data["runs"]}
    for init in ("uniform", "xavier"):
        assert bounds[("sigmoid", init)] == pytest.approx(bounds[("tanh", init)] / 4 ** 3, rel=1e-12)
        assert bounds[("relu", init)] == pytest.approx(bounds[("tanh", init)], rel=1e-12)


def test_plot_and_text_of_one_network(capsys, tmp_path):
    png = tmp_path / "flow.png"
    assert main(["flow", "--depth", "5", "--width", "2", "--act", "tanh", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "‖∂L/∂W^k‖_F" in out and "verdict:" in out and "rule:" in out


def test_depth_and_width_build_a_square_network_with_an_input_of_the_same_width(capsys):
    data = run_json(capsys, ["flow", "--depth", "3", "--width", "2", "--json"])
    assert data["network"]["layers"] == [2, 2, 2, 2] and data["chain"] is False
    assert "symbolic_product_latex" not in data


@pytest.mark.parametrize("argv, message", [
    (["--width", "2"], "--width needs --depth"),
    (["--depth", "3", "--net", "1-1"], "either --net or --depth"),
    (["--depth", "0"], ">= 1"),
    (["--depth", "3", "--at", "p.json", "--init", "he"], "--init chooses a random point"),
    (["--depth", "3", "--compare", "--act", "tanh"], "drop --act"),
    (["--depth", "3", "--init", "glorot"], "unknown initialisation 'glorot'"),
])
def test_bad_arguments_are_errors_naming_the_problem(capsys, argv, message):
    assert main(["flow"] + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("gradproof flow: error:") and message in err and "Traceback" not in err


def test_a_plot_into_a_missing_folder_writes_nothing(capsys, tmp_path):
    assert main(["flow", "--depth", "2", "--plot", str(tmp_path / "nope" / "f.png")]) == 2
    assert "does not exist" in capsys.readouterr().err


# ---- regularization --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_regularization_derivative_is_the_derivative_of_the_term_away_from_zero(kind):
    model = Model(Spec(layers=(2, 2, 1), regularization=kind, lam=0.3))
    param = Param.weight(2, 1, 1)
    w = model.symbols[param]
    term = model.regularization()
    for value in (-1.5, 0.25, 2.0):
        at = {w: value, model.lam: 0.3}
        assert float(model.regularization_derivative(param).subs(at)) == pytest.approx(float(sp.diff(term, w).subs(at)))


def test_l1_uses_the_subgradient_zero_at_zero():
    model = Model(Spec(regularization="l1", lam=0.3))
    param = Param.weight(1, 1, 1)
    assert model.regularization_derivative(param).subs(model.symbols[param], 0) == 0
    assert Model(Spec()).regularization_derivative(param) == 0


@pytest.mark.parametrize("weight, verdict", [(20.0, "exploding"), (4.0, "healthy"), (0.8, "vanishing")])
def test_a_sigmoid_chain_held_at_its_steepest_explodes_only_for_weights_above_four(weight, verdict):
    spec = chain(6, bias=True)
    report = analyse(spec, steepest_point(spec, weight))
    # every z_k = 0: sigma'(0) = 1/4, so each factor is weight / 4 and the ratio is (weight / 4)^5
    assert report.flow.ratio == pytest.approx((weight / 4) ** 5, rel=1e-12)
    assert report.flow.bound == pytest.approx((weight / 4) ** 5, rel=1e-12)
    assert report.verdict == verdict


def test_compare_draws_the_norms_its_verdicts_compare(capsys, tmp_path, monkeypatch):
    """Each line of the --compare plot is the run's ||delta_k|| per layer (JSON's delta_norm), whose first-to-last
    ratio is the verdict's: the plotted first/last equals the ratio printed beside the verdict."""
    from matplotlib.figure import Figure

    drawn = []
    original = Figure.savefig

    def record(self, *args, **kwargs):
        drawn.append({ax.get_title(): [line.get_ydata() for line in ax.lines if line.get_marker() == "o"]
                      for ax in self.axes})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    data = run_json(capsys, ["flow", "--depth", "4", "--width", "3", "--compare", "--init", "xavier", "--seed", "5",
                             "--plot", str(tmp_path / "c.png"), "--json"])
    panels, = drawn
    for run in data["runs"]:
        y, = panels[run["activation"]]
        deltas = [r["delta_norm"] for r in run["layers"]]
        assert list(y) == pytest.approx([d if d > 0 else float("nan") for d in deltas], nan_ok=True)
        if deltas[-1] > 0 and deltas[0] > 0:
            assert y[0] / y[-1] == pytest.approx(run["ratio"], rel=1e-9)
