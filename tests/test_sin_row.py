"""Any function sympy can differentiate makes an activation: a throwaway row built from sin, registered for one test,
derives, checks, grades and draws a sheet with nothing else in the library changed. Its derivative, cos, is no
function the grader was written for: the grader's evaluator dispatches by sympy class and evaluates the rest by
sympy's own translation. The expected numbers come from sympy.diff of the loss written out here."""
import json

import numpy as np
import pytest
import sympy as sp

from gradproof.numeric import activations
from gradproof.numeric.activations import Activation
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main


def _df(z, O, out=None):
    if out is None:
        return np.cos(z)
    out[...] = np.cos(z)
    return out


SIN = Activation("sin", r"\sin", np.sin, _df, lambda sp, z: sp.sin(z), lambda sp, z, O: sp.cos(z), True)


@pytest.fixture
def sin_row(monkeypatch, tmp_path):
    monkeypatch.setitem(activations.ACTIVATIONS, "sin", SIN)
    spec = Spec(layers=(2, 1), activations="sin")
    point = random_point(spec, seed=4)
    at = tmp_path / "p.json"
    at.write_text(json.dumps(point.to_json()))
    return spec, point, at


def expected_gradient(point):
    """dL/dw^1_11 of L = (y - sin(w11 x1 + w21 x2))^2 by sympy.diff, at the point."""
    x1, x2, y, w11, w21 = sp.symbols("x1 x2 y w11 w21", real=True)
    L = (y - sp.sin(w11 * x1 + w21 * x2)) ** 2
    at = {x1: point.x[0, 0], x2: point.x[0, 1], y: point.y[0, 0], w11: point.W[0][0, 0], w21: point.W[0][1, 0]}
    return float(sp.diff(L, w11).subs(at)), at


def test_derive_and_check(sin_row, capsys):
    spec, point, at = sin_row
    assert main(["derive", "--net", "2-1", "--act", "sin", "--at", str(at), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = next(p for p in data["parameters"] if p["kind"] == "weight" and (p["i"], p["j"]) == (1, 1))
    assert first["value"] == pytest.approx(expected_gradient(point)[0], rel=1e-12)
    assert main(["check", "--net", "2-1", "--act", "sin", "--seed", "3", "--points", "2"]) == 0
    capsys.readouterr()


# answers as students type them, each with what it says written here in sympy, labelled by sympy.diff (not by
# the grader): (typed, its value from y, O_11, z_11, x_1, x_2)
ANSWERS = [(r"-2(y-O_{11})f'(z_{11})x_1", lambda y, O, z, x1, x2: -2 * (y - O) * sp.cos(z) * x1),
           (r"2(O_{11}-y)\,f_1'(z_{11})\,x_1", lambda y, O, z, x1, x2: 2 * (O - y) * sp.cos(z) * x1),
           (r"-2(y-O_{11})x_1", lambda y, O, z, x1, x2: -2 * (y - O) * x1),
           (r"-2(y-O_{11})f'(z_{11})x_2", lambda y, O, z, x1, x2: -2 * (y - O) * sp.cos(z) * x2),
           (r"2(y-O_{11})f'(z_{11})x_1", lambda y, O, z, x1, x2: 2 * (y - O) * sp.cos(z) * x1)]


def _label(says, point):
    expected, at = expected_gradient(point)
    x1, x2, y, w11, w21 = sp.symbols("x1 x2 y w11 w21", real=True)
    z = w11 * x1 + w21 * x2
    value = float(says(y, sp.sin(z), z, x1, x2).subs(at))
    return "correct" if value == pytest.approx(expected, rel=1e-9) else "incorrect"


def test_the_catalogue_has_both_verdicts(sin_row):
    labels = [_label(says, sin_row[1]) for _, says in ANSWERS]
    assert labels.count("correct") == 2 and labels.count("incorrect") == 3


@pytest.mark.parametrize("answer, says", ANSWERS)
def test_grade(sin_row, capsys, answer, says):
    spec, point, at = sin_row
    label = _label(says, point)
    for where in ([], ["--at", str(at)]):               # at random points, and at the POINT file
        code = main(["grade", "--net", "2-1", "--act", "sin", "--param", "w^1_11", "--answer", answer, *where, "--json"])
        result = json.loads(capsys.readouterr().out)
        assert (result["verdict"], code) == (label, 0 if label == "correct" else 1), result["message"]


def test_sheet(sin_row, tmp_path):
    spec, point, at = sin_row
    out = tmp_path / "sin.md"
    assert main(["sheet", "--net", "2-1", "--act", "sin", "--at", str(at), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert r"\sin" in text and r"\cos" in text
    assert f"{expected_gradient(point)[0]:.6g}"[:6] in text.replace("−", "-")
