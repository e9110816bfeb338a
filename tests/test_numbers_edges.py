"""Numbers at the edges, against 50-digit references: saturated outputs, large losses, overflow, bad specs.

Each case is a one-neuron network whose true values mpmath computes by hand (closed forms, 50 digits):
derive (the compiled symbolic forms), step (backprop) and check must give them to 1e-10; where float64
truly overflows, the command names the quantity and the layer and exits 2; nothing prints NaN or
Infinity; a bad spec is one line, exit 2, and no file.
"""
import json

import mpmath
import pytest

from gradproof.symbolic.cli import main

DIGITS = 50


def sigma(z):
    return 1 / (1 + mpmath.exp(-z))


def softplus(z):
    return mpmath.log(1 + mpmath.exp(z))


def bce_case(w, y, x=1):
    """1-1 sigmoid + bce: L = -(y ln σ(z) + (1 − y) ln(1 − σ(z))), dL/dw = (σ(z) − y) x, z = w x."""
    with mpmath.workdps(DIGITS):
        z = mpmath.mpf(w) * x
        loss = -(y * mpmath.log(sigma(z)) + (1 - y) * mpmath.log(1 - sigma(z)))
        return float(loss), float((sigma(z) - y) * x)


def softplus_case(w, x, y):
    """1-1 softplus + squared: L = (y − softplus(z))², dL/dw = −2 (y − softplus(z)) σ(z) x."""
    with mpmath.workdps(DIGITS):
        z = mpmath.mpf(w) * x
        O = softplus(z)
        return float((y - O) ** 2), float(-2 * (y - O) * sigma(z) * x)


def linear_case(w, x, y):
    """1-1 linear + squared: L = (y − w x)², dL/dw = −2 (y − w x) x."""
    with mpmath.workdps(DIGITS):
        O = mpmath.mpf(w) * x
        return float((y - O) ** 2), float(-2 * (y - O) * x)


def close(a, t):
    return abs(a - t) <= 1e-10 * abs(t) + 1e-12


def point_file(tmp_path, x, y, w):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"x": [[x]], "y": [[y]], "W": [[[w]]]}))
    return str(path)


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def derive_json(capsys, net, path):
    code, out, err = run(capsys, ["derive", *net, "--at", path, "--json"])
    assert code == 0, err
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"derive printed {c}"))
    return data["loss"], data["parameters"][0]["value"]


def step_json(capsys, net, path):
    code, out, err = run(capsys, ["step", *net, "--at", path, "--lr", "0.1", "--json"])
    assert code == 0, err
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"step printed {c}"))
    return data["loss_before"], data["gradients"]["w^1_11"]


SIGMOID_BCE = ["--net", "1-1", "--act", "sigmoid", "--loss", "bce"]
SOFTPLUS = ["--net", "1-1", "--act", "softplus"]
LINEAR = ["--net", "1-1", "--act", "linear"]


@pytest.mark.parametrize("w, y", [(14.0, 0.4), (18.7, 0.4), (36.0, 0.4), (40.0, 0.0), (40.0, 1.0), (-36.0, 0.7)])
def test_saturated_sigmoid_bce_gives_the_true_loss_and_gradient(capsys, tmp_path, w, y):
    path = point_file(tmp_path, 1.0, y, w)
    loss, grad = bce_case(w, y)
    for got in (derive_json(capsys, SIGMOID_BCE, path), step_json(capsys, SIGMOID_BCE, path)):
        assert close(got[0], loss) and close(got[1], grad), (got, (loss, grad))
    code, out, err = run(capsys, ["check", *SIGMOID_BCE, "--at", path])
    assert code == 0, out + err


def test_the_first_reproducer_to_the_digit(capsys, tmp_path):
    """z = 18.7, y = 0.4: the true loss is 11.220000007562983 (50 digits, rounded)."""
    path = point_file(tmp_path, 1.0, 0.4, 18.7)
    loss, grad = bce_case(18.7, 0.4)
    assert f"{loss:.17g}".startswith("11.22000000756298")
    assert derive_json(capsys, SIGMOID_BCE, path)[0] == pytest.approx(loss, rel=1e-15)


def test_softplus_at_z_1000_is_finite_and_true(capsys, tmp_path):
    """x = 500, W = 2: softplus(1000) = 1000 (+ e^-1000), so L = 1e6 and dL/dw = 1e6."""
    path = point_file(tmp_path, 500.0, 0.0, 2.0)
    loss, grad = softplus_case(2.0, 500, 0)
    assert loss == pytest.approx(1e6) and grad == pytest.approx(1e6)
    for got in (derive_json(capsys, SOFTPLUS, path), step_json(capsys, SOFTPLUS, path)):
        assert close(got[0], loss) and close(got[1], grad), got
    code, out, err = run(capsys, ["check", *SOFTPLUS, "--at", path])
    assert code == 0 and out.splitlines()[-1].startswith("PASS"), out + err


def test_a_loss_near_1e300_is_checked_not_failed(capsys, tmp_path):
    """y = 1e150: L = (1e150 − 1)² ~ 1e300; central differences need a step to match (and get one)."""
    path = point_file(tmp_path, 1.0, 1e150, 1.0)
    loss, grad = linear_case(1.0, 1, 1e150)
    for got in (derive_json(capsys, LINEAR, path), step_json(capsys, LINEAR, path)):
        assert close(got[0], loss) and close(got[1], grad), got
    code, out, err = run(capsys, ["check", *LINEAR, "--at", path, "--json"])
    data = json.loads(out)
    assert code == 0 and data["passed"], out + err
    (row,) = data["parameters"]
    assert row["status"] == "pass" and abs(row["central"] - grad) <= 1e-5 * abs(grad)


@pytest.mark.parametrize("command", [["derive"], ["step", "--lr", "0.1"], ["check"]])
def test_a_loss_beyond_float64_is_named_and_exits_2(capsys, tmp_path, command):
    """x = 1e300 through a linear neuron: z = 1e300 is finite, L = 1e600 is not."""
    path = point_file(tmp_path, 1e300, 0.0, 1.0)
    code, out, err = run(capsys, [*command, *LINEAR, "--at", path, "--json"])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "loss L" in err and "overflows float64" in err, err


def test_a_pre_activation_beyond_float64_names_its_layer(capsys, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"x": [[1e300]], "y": [[0.0]], "W": [[[1e10]], [[1.0]]]}))
    code, out, err = run(capsys, ["derive", "--net", "1-1-1", "--act", "linear", "--at", str(path)])
    assert code == 2 and "z_11" in err and "layer 1" in err, err


def test_check_never_passes_an_infinite_reference():
    """|a − s| <= atol + rtol·|s| holds for any a when s is inf: the check calls it nonfinite instead."""
    from gradproof.numeric.point import random_point
    from gradproof.numeric.spec import Spec
    from gradproof.symbolic.check import check

    spec = Spec(layers=(2, 1), activations=("linear",))
    infinite = lambda spec, point: {p: float("inf") for p in spec.parameters()}
    nan = lambda spec, point: {p: float("nan") for p in spec.parameters()}
    for methods in ({"symbolic": infinite}, {"per_path": infinite}, {"central": nan}):
        report = check(spec, [random_point(spec, seed=1)], methods=methods)
        assert not report.passed and {r.status for r in report.rows} == {"nonfinite"}, methods
        assert report.summary().startswith("FAIL") and "not finite" in report.summary()
        json.dumps(report.to_json(), allow_nan=False)


# ---- bad specs: one line, exit 2, no traceback, no file --------------------------------------


def one_line_error(capsys, argv):
    code, out, err = run(capsys, argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (code, err)
    return err


@pytest.mark.parametrize("y, sample", [(1.5, 2), (-0.2, 2)])
def test_bce_targets_outside_0_1_are_an_error_naming_the_sample(capsys, tmp_path, y, sample):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"x": [[1.0], [2.0]], "y": [[0.5], [y]], "W": [[[1.0]]]}))
    for command in (["derive"], ["step", "--lr", "0.1"], ["check"]):
        err = one_line_error(capsys, [*command, *SIGMOID_BCE, "--at", str(path)])
        assert f"sample {sample}" in err and f"{y:g}" in err and "[0, 1]" in err and "bce" in err


def test_bce_targets_in_a_toml_point(capsys, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("x = [[1.0]]\ny = [[1.5]]\nW = [[[1.0]]]\n")
    assert "sample 1" in one_line_error(capsys, ["check", *SIGMOID_BCE, "--at", str(path)])


@pytest.mark.parametrize("flags, words", [
    (["--reg", "l2"], ["--reg l2", "--lam"]),
    (["--reg", "l1"], ["--reg l1", "--lam"]),
    (["--lam", "0.1", "--reg", "none"], ["--lam", "none"]),
    (["--lam", "0.1"], ["--lam", "--reg"]),
])
def test_regularization_flags_must_go_together(capsys, tmp_path, flags, words):
    for command in (["derive"], ["check"]):
        err = one_line_error(capsys, [*command, *flags])
        assert all(word in err for word in words), err
    saved = tmp_path / "w.json"
    one_line_error(capsys, ["train", "--data", "builtin:notes", "--epochs", "1", "--save", str(saved), *flags])
    assert not saved.exists()


@pytest.mark.parametrize("table, words", [
    ('[regularization]\nkind = "l2"\n', ["l2", "lambda"]),
    ('[regularization]\nlambda = 0.1\n', ["lambda", "none"]),
    ('[regularization]\nkind = "none"\nlambda = 0.1\n', ["lambda", "none"]),
])
def test_regularization_in_a_toml_spec(capsys, tmp_path, table, words):
    spec = tmp_path / "net.toml"
    spec.write_text('[network]\nlayers = [2, 1]\n' + table)
    err = one_line_error(capsys, ["derive", str(spec)])
    assert "net.toml" in err and all(word in err for word in words), err


def test_a_spec_file_lambda_is_kept_or_dropped_by_the_flags(capsys, tmp_path):
    """--reg l1 over a spec file with l2 and a lambda keeps the lambda; --reg none drops it."""
    spec = tmp_path / "net.toml"
    spec.write_text('[network]\nlayers = [2, 1]\n[regularization]\nkind = "l2"\nlambda = 0.1\n')
    for flags, reg, lam in ((["--reg", "l1"], "l1", 0.1), (["--reg", "none"], "none", 0.0), ([], "l2", 0.1),
                            (["--lam", "0.3"], "l2", 0.3)):
        code, out, err = run(capsys, ["derive", str(spec), *flags, "--json"])
        assert code == 0, err
        network = json.loads(out)["network"]
        assert (network["regularization"], network["lambda"]) == (reg, lam), flags
