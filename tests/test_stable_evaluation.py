"""The symbolic forms evaluated at saturated outputs and huge pre-activations: derive, check, the sheet's values,
Compiled in float64 and in 50 digits, and the per-path chain rule, against the tests' oracle in 4,500-digit mpmath and
PyTorch float64 autograd (skipped without torch). The readable forms stay what is printed."""
import json
import math
import warnings

import mpmath
import numpy as np
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.paths import per_path
from gradproof.numeric.point import Point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main
from gradproof.symbolic.evaluate import Compiled
from gradproof.symbolic.model import Model

import oracle

# (activation, loss, x, w, y): a 1-1 network, z = x w
CASES = [
    ("sigmoid", "bce", 1.0, 18.7, 0.4),         # the reproducer: 1 - O keeps 8 of 16 digits
    ("sigmoid", "bce", 1.0, 40.0, 0.0),         # O rounds to 1: loss 40, gradient 1
    ("sigmoid", "bce", 1.0, -40.0, 1.0),
    ("sigmoid", "bce", 1.0, 36.0, 0.7),
    ("sigmoid", "bce", 1.0, 800.0, 0.25),       # e^z overflows float64, the loss does not
    ("sigmoid", "bce", 2.0, -5000.0, 0.5),      # z = -1e4
    ("softplus", "squared", 500.0, 2.0, 0.0),   # the reproducer: softplus(1000) = 1000
    ("softplus", "squared", 1.0, -50.0, 1.0),   # softplus' = 1 - e^{-O} with O ~ 2e-22
    ("softplus", "half_squared", 1.0, 1e4, 2.0),
    ("sigmoid", "squared", 1.0, 1e4, 0.3),
    ("sigmoid", "squared", 1.0, -1e4, 0.3),
    ("sigmoid", "half_squared", 1.0, 30.0, 0.9),
    ("tanh", "squared", 1.0, 1e4, 0.5),
    ("tanh", "squared", 1.0, -1e4, 0.5),
    ("tanh", "half_squared", 1.0, 15.0, -0.5),
]


def _reference(act, loss, x, w, y):
    """Loss and dL/dw from the tests' plain-Python oracle (the textbook formulas, ln(1 - O) and all), in mpmath at
    4,500 digits: enough that 1 - sigma(1e4) = e^{-1e4} ~ 1e-4343 keeps 50 of them, so the formulas need no care."""
    with mpmath.workdps(4500):
        net = {"acts": [act], "loss": loss, "reduction": "sum", "reg": "none", "lam": 0}
        W, X, Y = [[[mpmath.mpf(w)]]], [[mpmath.mpf(x)]], [[mpmath.mpf(y)]]
        L = oracle.loss(net, W, None, X, Y)
        dW, _ = oracle.gradients(net, W, None, X, Y)
        return float(L), float(dW[0][0][0])


def _torch(act, loss, x, w, y):
    torch = pytest.importorskip("torch")
    W = torch.tensor([[w]], dtype=torch.float64, requires_grad=True)
    X, Y = torch.tensor([[x]], dtype=torch.float64), torch.tensor([[y]], dtype=torch.float64)
    z = X @ W
    if loss == "bce":
        L = torch.nn.functional.binary_cross_entropy_with_logits(z, Y, reduction="sum")
    else:
        O = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": torch.nn.functional.softplus}[act](z)
        L = ((Y - O) ** 2).sum() * (0.5 if loss == "half_squared" else 1.0)
    L.backward()
    return float(L.detach()), float(W.grad[0, 0])


def _close(a, b):
    return math.isfinite(a) and abs(a - b) <= 1e-10 * abs(b) + 1e-12


def _point(x, w, y):
    return Point(np.array([[x]]), np.array([[y]]), [np.array([[w]])], None)


@pytest.fixture(autouse=True)
def no_warnings():
    # an overflow or 0/0 on the way is a failure even where the final number comes out right
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
            yield


@pytest.mark.parametrize("act, loss, x, w, y", CASES)
def test_derive_gives_the_true_values(act, loss, x, w, y, tmp_path, capsys):
    at = tmp_path / "p.json"
    at.write_text(json.dumps({"x": [[x]], "y": [[y]], "W": [[[w]]]}))
    assert main(["derive", "--net", "1-1", "--act", act, "--loss", loss, "--at", str(at), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    L, g = _reference(act, loss, x, w, y)
    assert _close(data["loss"], L) and _close(data["parameters"][0]["value"], g), (data["loss"], L)


@pytest.mark.parametrize("act, loss, x, w, y", CASES)
def test_reference_agrees_with_torch(act, loss, x, w, y):
    # the mpmath reference itself, against an independent float64 autograd
    L, g = _reference(act, loss, x, w, y)
    tL, tg = _torch(act, loss, x, w, y)
    assert _close(tL, L) and _close(tg, g)


@pytest.mark.parametrize("act, loss, x, w, y", CASES)
def test_compiled_sheet_and_per_path(act, loss, x, w, y):
    from gradproof.symbolic.sheet.content import Values

    spec = Spec(layers=(1, 1), activations=act, loss=loss)
    point, model = _point(x, w, y), Model(spec)
    L, g = _reference(act, loss, x, w, y)
    param = spec.parameters()[0]
    fast = Compiled(model).evaluate(point)
    assert _close(fast.loss, L) and _close(fast.gradients[param], g)
    exact = Compiled(model, digits=50).evaluate(point)
    with mpmath.workdps(50):
        assert abs(exact.loss - mpmath.mpf(L)) <= mpmath.mpf(1e-15) * abs(L) + mpmath.mpf(1e-300)
        assert abs(exact.gradients[param] - mpmath.mpf(g)) <= mpmath.mpf(1e-15) * abs(g) + mpmath.mpf(1e-300)
    values = Values(model, point, 0.1)
    assert _close(values.loss, L) and _close(values.gradient(param), g)
    bp = backprop(spec, point).value(param)
    assert _close(per_path(spec, point).values[param], g) and _close(bp, g)


def test_per_path_agrees_with_backprop_at_saturated_outputs():
    """Random 3-3-2 networks whose output pre-activations reach |z| ~ 50: per-path = backprop to 1e-10."""
    rng = np.random.default_rng(7)
    for act, loss in (("sigmoid", "bce"), ("sigmoid", "squared"), ("softplus", "half_squared"), ("tanh", "squared")):
        spec = Spec(layers=(3, 3, 2), activations=("tanh", act), loss=loss, bias=True)
        for _ in range(20):
            W = [rng.uniform(-1, 1, (3, 3)), rng.uniform(-30, 30, (3, 2))]
            b = [rng.uniform(-1, 1, 3), rng.uniform(-20, 20, 2)]
            y = rng.uniform(0, 1, (2, 2))
            point = Point(rng.uniform(-2, 2, (2, 3)), y, W, b)
            bp, pp = backprop(spec, point), per_path(spec, point)
            scale = max(abs(bp.value(p)) for p in spec.parameters())
            for p in spec.parameters():
                assert abs(pp.values[p] - bp.value(p)) <= 1e-10 * abs(bp.value(p)) + 1e-12 * scale


def test_printed_forms_stay_readable(tmp_path, capsys):
    at = tmp_path / "p.json"
    at.write_text(json.dumps({"x": [[1.0]], "y": [[0.0]], "W": [[[40.0]]]}))
    assert main(["derive", "--net", "1-1", "--act", "sigmoid", "--loss", "bce", "--at", str(at), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    printed = json.dumps(data["parameters"][0])
    assert "Softplus" not in printed and "Sigmoid" not in printed and "dL/dz" not in printed
    assert data["parameters"][0]["memoized_latex"] == r"\delta_{11} \cdot O_{11} \cdot \left(1 - O_{11}\right) \cdot x_{1}"
