"""Adding an activation is adding one row to numeric/activations.py: a throwaway row (swish, z sigma(z)) registered
for one test is derived, evaluated, checked five ways and put on a sheet, with nothing else in the library
changed; its values against PyTorch float64 (F.silu) and sympy.diff."""
import json

import numpy as np
import pytest
import sympy as sp

from gradproof.numeric import activations
from gradproof.numeric.activations import Activation
from gradproof.numeric.backprop import backprop
from gradproof.numeric.point import Point, random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main


def _swish(z):
    return z * activations._sigmoid(z)


def _swish_df(z, O, out=None):
    s = activations._sigmoid(z)
    d = s + O * (1 - s)                      # swish' = sigma + swish (1 - sigma)
    if out is None:
        return d
    out[...] = d
    return out


SWISH = Activation("swish", r"\operatorname{swish}", _swish, _swish_df,
                   lambda sp, z: z / (1 + sp.exp(-z)),
                   lambda sp, z, O: 1 / (1 + sp.exp(-z)) + O * (1 - 1 / (1 + sp.exp(-z))), True)


@pytest.fixture
def swish(monkeypatch):
    monkeypatch.setitem(activations.ACTIVATIONS, "swish", SWISH)
    return SWISH


def test_row_forms_agree_with_each_other(swish):
    z = sp.Symbol("z", real=True)
    O = swish.sympy_f(sp, z)
    assert sp.simplify(sp.diff(O, z) - swish.sympy_df(sp, z, O)) == 0
    grid = np.linspace(-30, 30, 61)
    assert np.allclose(swish.f(grid), [float(O.subs(z, v)) for v in grid], rtol=1e-14, atol=1e-300)


def test_check_passes_on_the_new_row(swish, tmp_path, capsys):
    assert main(["check", "--net", "3-2-1", "--act", "swish", "--bias", "--seed", "2", "--points", "2"]) == 0
    capsys.readouterr()


def test_derive_matches_torch(swish, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    spec = Spec(layers=(3, 2, 1), activations="swish", bias=True)
    point = random_point(spec, seed=5, scale=3.0)
    at = tmp_path / "p.json"
    at.write_text(json.dumps(point.to_json()))
    assert main(["derive", "--net", "3-2-1", "--act", "swish", "--bias", "--at", str(at), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in point.W]
    b = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point.b]
    O = torch.tensor(point.x, dtype=torch.float64)
    for w, v in zip(W, b):
        O = torch.nn.functional.silu(O @ w + v)
    L = ((torch.tensor(point.y, dtype=torch.float64) - O) ** 2).sum()
    L.backward()
    assert data["loss"] == pytest.approx(float(L.detach()), rel=1e-12)
    for entry in data["parameters"]:
        k = entry["layer"]
        expected = W[k - 1].grad[entry["i"] - 1, entry["j"] - 1] if entry["kind"] == "weight" else b[k - 1].grad[entry["j"] - 1]
        assert entry["value"] == pytest.approx(float(expected), rel=1e-10, abs=1e-12)


def test_saturated_swish_is_evaluated_stably(swish, tmp_path, capsys):
    """z = -800: e^{-z} overflows in the readable form; the stable rewrite needs no line for swish."""
    spec = Spec(layers=(1, 1), activations="swish")
    point = Point(np.array([[1.0]]), np.array([[0.5]]), [np.array([[-800.0]])], None)
    at = tmp_path / "p.json"
    at.write_text(json.dumps(point.to_json()))
    assert main(["derive", "--net", "1-1", "--act", "swish", "--at", str(at), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["loss"] == 0.25 and data["parameters"][0]["value"] == pytest.approx(backprop(spec, point).value(
        spec.parameters()[0]), abs=1e-300)


def test_sheet_of_the_new_row(swish, tmp_path):
    out = tmp_path / "swish.md"
    at = tmp_path / "p.json"
    spec = Spec(layers=(2, 1), activations="swish")
    at.write_text(json.dumps(random_point(spec, seed=1).to_json()))
    assert main(["sheet", "--net", "2-1", "--act", "swish", "--at", str(at), "-o", str(out)]) == 0
    assert r"\operatorname{swish}" in out.read_text() or "swish" in out.read_text()
