"""An assignment on a softmax network (2-3-3, sigmoid then softmax, categorical cross-entropy): its draws put the
targets on the simplex away from one-hot (where softmax's dropped cross terms would not show), the key grades the
right answers and names the elementwise mistake, and it exports to all four platforms."""
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from test_export import run_autograder

from gradproof.numeric.backprop import backprop
from gradproof.numeric.notation import Param
from gradproof.numeric.point import Point, from_mapping
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

SPEC = Spec(layers=(2, 3, 3), activations=("sigmoid", "softmax"), loss="ce")
ASSIGNMENT = """\
[assignment]
title = "Softmax and cross-entropy"
seed = 27
variants = 3
[network]
layers = [2, 3, 3]
activation = ["sigmoid", "softmax"]
[loss]
kind = "ce"
[[question]]
kind = "expression"
param = "w^2_12"
points = 4
[[question]]
kind = "gradient"
param = "w^2_12"
points = 2
rtol = 1e-3
[[question]]
kind = "paths"
param = "w^1_21"
points = 1
[grading]
sign = 0.5
missing_path = 0.25
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("softmax-hw")
    (root / "hw.toml").write_text(ASSIGNMENT)
    assert main(["exercise", str(root / "hw.toml"), "-o", str(root / "hw"), "--no-pdf"]) == 0
    return root / "hw"


@pytest.fixture(scope="module")
def key(folder):
    return json.loads((folder / "key.json").read_text())


def test_draws_are_probability_vectors_away_from_one_hot(key):
    from gradproof.symbolic.exercise.generate import TARGET_MARGIN
    for v in key["variants"]:
        y = np.array(v["point"]["y"], dtype=float).ravel()
        assert abs(y.sum() - 1) < 1e-12 and y.min() >= TARGET_MARGIN
        assert v["questions"][2]["blanks"][0]["answer"] == 9                     # 3 hidden z's times 3 outputs


def test_a_draw_near_one_hot_is_rejected():
    from gradproof.symbolic.exercise.generate import poor
    W = [np.array([[0.4, -0.6, 0.2], [0.3, 0.8, -0.5]]), np.array([[1.2, -0.7, 0.3], [-0.4, 0.9, 0.6], [0.5, -0.2, -1.1]])]
    near = Point(np.array([[0.5, -1.0]]), np.array([[0.96, 0.02, 0.02]]), W)
    assert "one-hot" in poor(SPEC, near)
    assert poor(SPEC, Point(near.x, np.array([[0.5, 0.3, 0.2]]), W)) is None


def test_the_key_grades_softmax_answers(folder, key):
    from gradproof.symbolic.exercise.grading import KeyGrader
    grader = KeyGrader.from_file(folder / "key.json")
    for v in key["variants"]:
        point = from_mapping(v["point"], SPEC)
        fwd = backprop(SPEC, point).forward
        O1, O2, y = fwd.O[1][0], fwd.O[2][0], point.y[0]
        right = backprop(SPEC, point).value(Param.weight(2, 1, 2))
        elementwise = -y[1] * (1 - O2[1]) * O1[0]                # softmax's cross terms dropped
        assert grader.grade(v["variant"], "1", r"(O_{22} - y_2) O_{11}").score == 4
        assert grader.grade(v["variant"], "2", f"{right:.6g}").score == 2
        wrong = grader.grade(v["variant"], "2", f"{elementwise:.6g}")
        assert wrong.diagnosis == ["missing_path"] and wrong.score == pytest.approx(0.5)
        expression = grader.grade(v["variant"], "1", r"-y_2 (1 - O_{22}) O_{11}")
        assert expression.diagnosis == ["missing_path"] and "cross terms" in expression.feedback


def test_exports_to_every_platform(folder, key, tmp_path):
    out = {}
    for platform in ("moodle", "canvas", "prairielearn", "gradescope"):
        out[platform] = tmp_path / platform
        assert main(["export", str(folder), "--to", platform, "-o", str(out[platform])]) == 0
    questions = [q for f in sorted(out["moodle"].glob("*.xml")) for q in ET.parse(f).getroot().findall("question")]
    assert sum(q.get("type") != "category" for q in questions) >= 3 * 3
    # a gradient question offers the elementwise mistake's value (softmax's cross terms dropped) for a quarter
    point = from_mapping(key["variants"][0]["point"], SPEC)
    fwd = backprop(SPEC, point).forward
    elementwise = -point.y[0, 1] * (1 - fwd.O[2][0, 1]) * fwd.O[1][0, 0]
    offered = [float(a.findtext("text")) for q in questions if q.get("type") == "numerical"
               for a in q.findall("answer") if a.get("fraction") == "25"]
    assert any(abs(v - elementwise) <= 1e-9 * abs(elementwise) for v in offered)
    assert out["canvas"].exists() and any(out["prairielearn"].rglob("server.py"))
    v = key["variants"][1]
    answers = {b["blank"]: str(b["answer"]) for q in v["questions"] for b in q["blanks"]}
    results = run_autograder(folder, tmp_path / "gs", {"answers.json": json.dumps({"variant": v["variant"],
                                                                                   "answers": answers})})
    assert results["score"] == pytest.approx(7)
