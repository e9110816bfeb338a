"""The comparison engine (symbolic/check/): the rule, injected wrong gradients, kinks, --exact, skipped methods."""
import mpmath
import numpy as np
import pytest

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Param
from gradproof.numeric.point import Point, random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.check import TOLERANCES, Tolerance, check, kinks, random_points
from gradproof.symbolic.check import compare as check_module
from gradproof.symbolic.testing import assert_gradients_agree

W211 = Param.weight(2, 1, 1)


def constant(value):
    """A gradient callable giving every parameter the same value."""
    return lambda spec, point: {p: value for p in spec.parameters()}


def test_notes_network_passes_every_method_at_several_points():
    spec = Spec()
    report = check(spec, [random_point(spec, seed=s, samples=3) for s in range(3)])
    assert report.passed and report.points == 3
    assert len(report.rows) == 3 * 20
    assert {r.point for r in report.rows} == {1, 2, 3}
    for row in report.rows:
        assert row.status == "pass"
        assert all(row.values[m] is not None for m in ("backprop", "matrix", "per_path", "central", "complex_step"))


def test_the_rule_is_atol_plus_rtol_times_the_symbolic_value():
    # s = -2 exactly (an injected reference), tolerance 1e-3 + 1e-2 * 2 = 0.021 for the method "mine"
    spec, point = Spec(layers=(1, 1)), random_point(Spec(layers=(1, 1)), seed=0)
    tol = {"mine": Tolerance(rtol=1e-2, atol=1e-3)}
    for a, ok in ((-2.0, True), (-2.02, True), (-1.98, True), (-2.022, False), (-1.978, False), (float("nan"), False)):
        row = check(spec, [point], methods={"symbolic": constant(-2.0), "mine": constant(a)}, tolerances=tol).rows[0]
        assert row.passes("mine") is ok, a
        assert row.allowed("mine") == pytest.approx(0.021)
        if ok:
            assert row.abs_err("mine") == pytest.approx(abs(a + 2))
            assert row.rel_err("mine") == pytest.approx(abs(a + 2) / 2)


def test_relative_error_is_undefined_for_a_zero_reference_unless_equal():
    spec, point = Spec(layers=(1, 1)), random_point(Spec(layers=(1, 1)), seed=0)
    row = check(spec, [point], methods={"symbolic": constant(0.0), "zero": constant(0.0), "off": constant(1e-13)}).rows[0]
    assert row.rel_err("zero") == 0.0 and row.rel_err("off") is None
    assert row.passes("off")                       # within atol 1e-12


def test_the_symbolic_value_of_one_linear_neuron_is_the_hand_derivative():
    """L = (y - w x)^2, so dL/dw = -2 x (y - w x); in 50 digits from the same float64 inputs."""
    spec = Spec(layers=(1, 1), activations=("linear",))
    point = random_point(spec, seed=5)
    x, y, w = point.x[0, 0], point.y[0, 0], point.W[0][0, 0]
    (row,) = check(spec, [point], exact=True).rows
    assert row.symbolic == pytest.approx(-2 * x * (y - w * x), rel=1e-15)
    with mpmath.workdps(60):
        expected = -2 * mpmath.mpf(x) * (mpmath.mpf(y) - mpmath.mpf(w) * mpmath.mpf(x))
        assert abs(row.exact - expected) < mpmath.mpf(10) ** -48
    assert row.exact_err("symbolic") < 1e-15 and row.exact_err("central") < 1e-8


# Matt Mazur, "A Step by Step Backpropagation Example" (2015): a 2-2-2 sigmoid network with
# E = sum 1/2 (target - out)^2; he prints dE/dw5 = 0.082167041 (w5 = w^2_11) and dE/dw1 = 0.000438568
# (w1 = w^1_11).
def test_published_gradients_are_the_symbolic_values():
    spec = Spec(layers=(2, 2, 2), bias=True, loss="half_squared")
    point = Point(np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]]),
                  [np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([[0.40, 0.50], [0.45, 0.55]])],
                  [np.array([0.35, 0.35]), np.array([0.60, 0.60])])
    report = check(spec, [point])
    values = {r.param: r.symbolic for r in report.rows}
    assert f"{values[W211]:.9f}" == "0.082167041"
    assert f"{values[Param.weight(1, 1, 1)]:.9f}" == "0.000438568"
    assert report.passed


def test_a_wrong_gradient_for_one_parameter_fails_that_parameter_only():
    def off_by_a_little(spec, point):
        values = check_module._backprop(spec, point)
        values[W211] *= 1 + 1e-6
        return values

    spec = Spec()
    report = check(spec, [random_point(spec, seed=2)], methods={"backprop": off_by_a_little})
    assert not report.passed
    assert [(r.param, r.failed_methods) for r in report.failures] == [(W211, ["backprop"])]
    assert report.ordered()[0].param == W211 and report.worst().param == W211
    text = report.to_text()
    assert "FAIL: 1 of 20 checks" in text and "w^2_11" in text.splitlines()[-1]
    detail = report.failures[0].explain()
    assert "w^2_11 at point 1: FAIL" in detail
    assert "pass iff |a − s| <= atol + rtol·|s|" in detail
    backprop_line = next(line for line in detail.splitlines() if line.strip().startswith("backprop"))
    assert "FAIL" in backprop_line and "(1e-10, 1e-12)" in backprop_line
    assert repr(report.failures[0].values["backprop"]) in backprop_line


def test_a_wrong_symbolic_gradient_fails_every_method():
    spec = Spec(layers=(2, 2, 1))
    report = check(spec, [random_point(spec, seed=1)], methods={"symbolic": constant(1.0)})
    assert len(report.failures) == 6
    assert all(r.failed_methods == ["backprop", "matrix", "per_path", "central", "complex_step"] for r in report.failures)


def test_helper_names_the_parameter_values_errors_and_rule():
    spec = Spec(layers=(2, 2, 1))
    point = random_point(spec, seed=4)

    def mine(spec, point):                          # a hand-written gradient with a sign slip on w^2_11
        values = {p.name: v for p, v in check_module._backprop(spec, point).items()}
        values["w^2_11"] = -values["w^2_11"]
        return values

    with pytest.raises(AssertionError) as caught:
        assert_gradients_agree(spec, point, gradient=mine)
    message = str(caught.value)
    assert message.startswith("gradients disagree: 1 of 6 checks fail for Spec(2-2-1, sigmoid, squared/sum)")
    assert "pass iff |a − s| <= atol + rtol·|s|" in message
    s = check_module._backprop(spec, point)[W211]
    assert "w^2_11 at point 1: FAIL" in message
    assert repr(s) in message and repr(-s) in message
    gradient_line = next(line for line in message.splitlines() if line.strip().startswith("gradient "))
    assert "FAIL" in gradient_line and f"{2 * abs(s):.1e}" in gradient_line   # |a − s| = 2|s|
    lines = message.splitlines()
    for method in ("backprop", "matrix", "per_path", "central", "complex_step"):   # every method's value, error, verdict
        (line,) = [line for line in lines if line.strip().startswith(method + " ")]
        assert line.split()[-1] == "pass" and "e-" in line
    assert "w^1_11" not in message                  # only the failing parameter is reported


def test_helper_takes_a_toml_path_and_tolerances(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text('[network]\nlayers = [3, 2, 1]\nactivation = "tanh"\nbias = true\n')
    report = assert_gradients_agree(path, points=2, samples=3)
    assert report.points == 2 and len(report.rows) == 2 * 11
    # a tolerance of 0 for central differences: they carry truncation error, so this must fail
    with pytest.raises(AssertionError, match="central"):
        assert_gradients_agree(path, rtol={"central": 0}, atol={"central": 0})
    with pytest.raises(GradproofError, match="unknown method 'centre'"):
        assert_gradients_agree(path, rtol={"centre": 1e-3})


def test_helper_takes_a_point_file_and_names_a_wrong_shape(tmp_path):
    path = tmp_path / "point.json"
    path.write_text('{"x": [1, 2], "y": [0.5], "W": [[[0.1, 0.2], [0.3, 0.4]], [[0.5], [0.6]]]}')
    report = assert_gradients_agree(Spec(layers=(2, 2, 1)), path)
    assert report.points == 1 and len(report.rows) == 6
    wrong = random_point(Spec(layers=(2, 3, 1)), seed=0)
    with pytest.raises(GradproofError, match="point 1: POINT field 'W\\[0\\]' \\(w\\^1\\) has shape 2x3; expected 2x2"):
        assert_gradients_agree(Spec(layers=(2, 2, 1)), wrong)


def test_gradient_callable_must_cover_every_parameter():
    with pytest.raises(GradproofError, match="no value for w\\^1_12"):
        assert_gradients_agree(Spec(layers=(2, 2, 1)), gradient=lambda spec, point: {"w^1_11": 0.0})


def test_per_path_is_skipped_with_a_note_above_max_paths():
    spec = Spec(layers=(2, 3, 3, 1))                  # layer 1 weights: 3 paths; layers 2, 3: 1 path
    report = check(spec, [random_point(spec, seed=0)], max_paths=2)
    skipped = [r for r in report.rows if r.values["per_path"] is None]
    assert {r.param.layer for r in skipped} == {1} and len(skipped) == 6
    assert any("per_path skipped for 6 parameters" in n and "--max-paths" in n for n in report.notes)
    assert all(r.status == "pass" for r in report.rows)
    assert "not computed" in skipped[0].explain()


def test_complex_step_is_not_applied_to_relu_networks_and_says_why():
    spec = Spec(layers=(2, 3, 1), activations=("relu", "sigmoid"))
    report = check(spec, [p for p, _ in random_points(spec, seed=1)])
    assert report.passed
    assert all(r.values["complex_step"] is None for r in report.rows)
    assert any("complex_step does not apply: layer 1 uses relu" in n for n in report.notes)


# A 2-2-1 relu,linear network with x = (1, 2): z_11 = 1*1 + 2*(-0.5) = 0 exactly, z_12 = 0.5 + 0.6 = 1.1.
KINK_SPEC = Spec(layers=(2, 2, 1), activations=("relu", "linear"))


def kink_point(w21=-0.5):
    return Point(np.array([[1.0, 2.0]]), np.array([[0.5]]),
                 [np.array([[1.0, 0.5], [w21, 0.3]]), np.array([[1.0], [2.0]])])


def test_a_relu_pre_activation_at_zero_marks_the_parameters_that_move_it():
    found = kinks(KINK_SPEC, kink_point())
    assert sorted(found) == [Param.weight(1, 1, 1), Param.weight(1, 2, 1)]    # only these feed z_11
    assert "z_11 = 0" in found[Param.weight(1, 1, 1)] and "ReLU" in found[Param.weight(1, 1, 1)]
    report = check(KINK_SPEC, [kink_point()])
    assert report.passed                                  # a kink is not a failure
    statuses = {r.param: r.status for r in report.rows}
    assert statuses[Param.weight(1, 1, 1)] == statuses[Param.weight(1, 2, 1)] == "kink"
    assert [s for p, s in statuses.items() if p.layer == 2] == ["pass", "pass"]
    row = next(r for r in report.rows if r.param == Param.weight(1, 1, 1))
    # central differences straddle the kink: half the one-sided slopes, far from ReLU'(0) = 0
    assert row.symbolic == 0.0 and abs(row.values["central"]) > 1
    assert "not judged" in row.explain()


def test_a_pre_activation_just_inside_or_outside_the_step():
    # z_11 = 1 + 2 w^1_21; the step of w^1_21 is about 6e-6 (2h about 1.2e-5) and moves z_11 twice that
    inside, outside = kink_point(w21=-0.5 + 1e-6), kink_point(w21=-0.5 + 1e-3)
    assert Param.weight(1, 2, 1) in kinks(KINK_SPEC, inside)
    assert kinks(KINK_SPEC, outside) == {}


def test_leaky_relu_and_l1_kinks():
    leaky = Spec(layers=(2, 2, 1), activations=("leaky_relu", "linear"))
    assert "leaky ReLU pre-activation z_11" in kinks(leaky, kink_point())[Param.weight(1, 1, 1)]
    l1 = Spec(layers=(2, 2, 1), activations=("tanh", "linear"), regularization="l1", lam=0.1)
    point = kink_point()
    point.W[1][1, 0] = 0.0
    assert list(kinks(l1, point)) == [Param.weight(2, 2, 1)]
    assert "L1 regularization term bends" in kinks(l1, point)[Param.weight(2, 2, 1)]


def test_random_points_are_drawn_again_at_a_kink(monkeypatch):
    draws = []

    def first_at_a_kink(spec, seed, samples):
        draws.append(seed)
        return kink_point() if len(draws) == 1 else random_point(spec, seed=seed, samples=samples)

    monkeypatch.setattr(check_module, "random_point", first_at_a_kink)
    (point, source), = random_points(KINK_SPEC, seed=7)
    assert draws == [7, [7, 1]] and source["seed"] == [7, 1]
    assert kinks(KINK_SPEC, point) == {}
    draws.clear()
    (point, _), = random_points(KINK_SPEC, seed=7, allow_kinks=True)
    assert draws == [7] and kinks(KINK_SPEC, point)


def test_tolerance_defaults_are_tight_for_exact_methods_and_looser_for_central():
    for method in ("backprop", "matrix", "per_path", "complex_step"):
        assert TOLERANCES[method].rtol <= 1e-10
    assert TOLERANCES["central"].rtol > TOLERANCES["backprop"].rtol


def test_no_points_and_unknown_parameters_are_errors():
    with pytest.raises(GradproofError, match="no POINT"):
        check(Spec(), [])
    with pytest.raises(GradproofError, match="w\\^4_11 does not exist"):
        check(Spec(), [random_point(Spec())], params=[Param.weight(4, 1, 1)])


def test_every_method_of_the_policy_table_is_computed():
    from gradproof.symbolic.check.compare import COMPUTE
    from gradproof.symbolic.check.policy import METHODS, STEPPED, TABLE
    assert tuple(COMPUTE) == METHODS == tuple(m.name for m in TABLE)
    assert STEPPED == {"central"}           # the one method not judged across a kink
