"""gradproof exercise: the assignment file, the draws, key.json, the folder, regeneration and bad input."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from gradproof.numeric.backprop import backprop, loss_at
from gradproof.numeric.notation import parse_param
from gradproof.numeric.point import from_mapping
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

ASSIGNMENT = """
[assignment]
title = "Backpropagation, homework 1"
seed = 2026
variants = VARIANTS
[[question]]
kind = "expression"
param = "w^1_11"
points = 4
[[question]]
kind = "gradient"
param = "w^2_11"
points = 2
rtol = 1e-3
[[question]]
kind = "step"
lr = 0.5
points = 4
params = ["w^1_21", "w^2_12", "w^3_11"]
[[question]]
kind = "paths"
param = "w^1_21"
points = 1
[[question]]
kind = "flow"
param = "w^1_11"
points = 2
[grading]
sign = 0.5
factor = 0.5
missing_path = 0.25
"""


def write_assignment(folder, variants=4, text=ASSIGNMENT):
    path = Path(folder) / "hw.toml"
    path.write_text(text.replace("VARIANTS", str(variants)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exercise")
    assignment = write_assignment(folder)
    out = folder / "hw"
    assert main(["exercise", str(assignment), "-o", str(out), "--no-pdf", "--jobs", "1"]) == 0
    return assignment, out, json.loads((out / "key.json").read_text())


def test_key_has_the_documented_shape(generated):
    _, out, key = generated
    assert key["title"] == "Backpropagation, homework 1" and key["seed"] == 2026
    assert key["network"]["layers"] == [4, 3, 2, 1]
    assert len(key["variants"]) == 4
    for v in key["variants"]:
        assert set(v["point"]) == {"x", "y", "W"}
        assert [q["question"] for q in v["questions"]] == ["1", "2", "3", "4", "5"]
        kinds = [q["kind"] for q in v["questions"]]
        assert kinds == ["expression", "gradient", "step", "paths", "flow"]
        for q in v["questions"]:
            assert math.isclose(sum(b["points"] for b in q["blanks"]), q["points"])
        step = v["questions"][2]
        assert [b["blank"] for b in step["blanks"]][:2] == ["3.loss", "3.delta_31"]
        assert "3.w^1_21" in [b["blank"] for b in step["blanks"]]
        assert (out / "variants" / v["variant"] / "question.html").exists()
        assert (out / "variants" / v["variant"] / "solution.md").exists()
    ids = [v["variant"] for v in key["variants"]]
    assert len(set(ids)) == len(ids) and all(i.startswith(f"v{n:02d}-") for n, i in enumerate(ids, 1))


def test_key_values_against_backprop_and_by_hand(generated):
    """Every number of the key against numeric backprop, the update by hand, the path count as a product."""
    _, _, key = generated
    spec = Spec()
    for v in key["variants"]:
        point = from_mapping(v["point"], spec)
        grads = backprop(spec, point)
        # round numbers: two decimals
        for w in point.W:
            assert np.allclose(w * 100, np.round(w * 100))
        blanks = {b["blank"]: b for q in v["questions"] for b in q["blanks"]}
        assert blanks["2"]["answer"] == pytest.approx(grads.value(parse_param("w^2_11")), rel=1e-12)
        assert blanks["3.loss"]["answer"] == pytest.approx(loss_at(spec, point), rel=1e-12)
        for name in ("w^1_21", "w^2_12", "w^3_11"):
            p = parse_param(name)
            g = grads.value(p)
            assert blanks[f"3.dL/d{name}"]["answer"] == pytest.approx(g, rel=1e-12)
            assert blanks[f"3.{name}"]["answer"] == pytest.approx(point.param_value(p) - 0.5 * g, rel=1e-12)
        assert blanks["4"]["answer"] == 2 * 1
        # the product of f'(z) w along x -> O_11 -> O_21 -> O_31, sigmoid slopes O(1 - O)
        O = grads.forward.O
        s21, s31 = O[2][0, 0] * (1 - O[2][0, 0]), O[3][0, 0] * (1 - O[3][0, 0])
        W = point.W
        assert blanks["5.product"]["answer"] == pytest.approx(s21 * W[1][0, 0] * s31 * W[2][0, 0], rel=1e-12)
        assert blanks["5.bound"]["answer"] == pytest.approx(abs(W[1][0, 0]) / 4 * abs(W[2][0, 0]) / 4, rel=1e-12)
        # poor draws rejected: no saturated sigmoid
        for k in (1, 2, 3):
            assert np.all((O[k] >= 0.05) & (O[k] <= 0.95))


def test_no_answer_is_ambiguous(generated):
    """For every variant and numeric blank, every diagnosed mistake's value (the grader's own variants) lies
    beyond the blank's tolerance: a mistake is never within rtol of the key."""
    from gradproof.symbolic.exercise import mistakes
    from gradproof.symbolic.exercise.generate import path_neurons
    from gradproof.symbolic.grade.grader import Grader
    _, _, key = generated
    spec = Spec()
    grader = Grader(spec)
    checked = 0
    for v in key["variants"]:
        point = from_mapping(v["point"], spec)
        where = mistakes.FloatPoints(grader.model, [mistakes.base_of(grader.model, point)])
        for q in v["questions"]:
            for b in q["blanks"]:
                if not isinstance(b["answer"], float):
                    continue
                tail = b["blank"].split(".", 1)[1] if "." in b["blank"] else ""
                if q["kind"] == "gradient" or tail.startswith("dL/d"):
                    param = parse_param(q["param"] if q["kind"] == "gradient" else tail[4:])
                    question = grader.question(param)
                    rows, keep = question.candidates(where).matrix[:, 0], question.candidates().keep
                elif q["kind"] == "step" and tail not in ("loss",) and not tail.startswith("delta_"):
                    param = parse_param(tail)
                    question = grader.question(param)
                    rows = point.param_value(param) - q["lr"] * question.candidates(where).matrix[:, 0]
                    keep = question.candidates().keep
                elif tail == "product":
                    product = mistakes.PathProduct(grader.model, path_neurons(spec, parse_param(q["param"]), 1))
                    at_random = mistakes.of_expressions(product.structural(), product.closed, grader.points)
                    rows = mistakes.of_expressions(product.structural(), product.closed, where).matrix[:, 0]
                    keep = at_random.keep
                else:                 # sign and factor slips of the value itself
                    a = b["answer"]
                    rows, keep = np.array([-a, 2 * a, a / 2, -2 * a, -a / 2]), np.ones(5, bool)
                a, rtol = b["answer"], b["rtol"]
                assert a != 0
                real = rows[keep]
                assert real.size > 0
                # the grader's rule for a correct number: |got - answer| <= rtol |answer|
                assert np.all(np.abs(real - a) > rtol * abs(a)), (v["variant"], b["blank"])
                checked += real.size
    assert checked > 1000


def test_same_inputs_same_bytes(generated, tmp_path):
    assignment, out, _ = generated
    again = tmp_path / "again"
    assert main(["exercise", str(assignment), "-o", str(again), "--no-pdf", "--jobs", "2"]) == 0
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    for rel in first:
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_more_variants_keep_the_earlier_ones(generated, tmp_path):
    _, _, key = generated
    assignment = write_assignment(tmp_path, variants=5)
    assert main(["exercise", str(assignment), "-o", str(tmp_path / "five"), "--no-pdf", "--jobs", "1"]) == 0
    five = json.loads((tmp_path / "five" / "key.json").read_text())
    assert five["variants"][:4] == key["variants"]


@pytest.mark.parametrize("change, message", [
    (('kind = "paths"', 'kind = "pathz"'), "unknown kind 'pathz'"),
    (('param = "w^1_21"', 'param = "w^4_11"'), "w^4_11 does not exist"),
    (("variants = VARIANTS", "variants = 0"), "variants must be a whole number > 0"),
    (("sign = 0.5", "sine = 0.5"), "unknown mistake"),
])
def test_bad_assignment(tmp_path, capsys, change, message):
    path = write_assignment(tmp_path, text=ASSIGNMENT.replace(*change))
    out = tmp_path / "out"
    assert main(["exercise", str(path), "-o", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_unwritable_dir(tmp_path, capsys):
    path = write_assignment(tmp_path, variants=1)
    assert main(["exercise", str(path), "-o", str(tmp_path / "missing" / "hw"), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep")
    assert main(["exercise", str(path), "-o", str(other), "--no-pdf"]) == 2
    assert "not an exercise folder" in capsys.readouterr().err
    assert [p.name for p in other.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hw.toml", "notes"]
