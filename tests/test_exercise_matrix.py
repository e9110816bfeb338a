"""The matrix question kind: assigned, keyed, graded with partial credit, and exported to every platform."""
import csv
import json
import zipfile

import pytest

from gradproof.symbolic.cli import main

ASSIGNMENT = """[assignment]
title = "Backprop in matrix form"
seed = 7
variants = 2
[network]
layers = [3, 4, 4, 2]
bias = true
[loss]
reduction = "mean"
[matrix]
layout = "columns"
[[question]]
kind = "matrix"
target = "W^2"
points = 3
[[question]]
kind = "matrix"
target = "b^3"
points = 2
[grading]
bias_not_summed = 0.25
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("matrix-hw")
    (root / "hw.toml").write_text(ASSIGNMENT)
    assert main(["exercise", str(root / "hw.toml"), "-o", str(root / "hw"), "--no-pdf"]) == 0
    return root


def test_the_key_holds_the_layout_and_the_answer_in_matrix_form(folder):
    key = json.loads((folder / "hw" / "key.json").read_text())
    assert key["network"]["layout"] == "columns"
    first = key["variants"][0]["questions"]
    assert [q["target"] for q in first] == ["W^2", "b^3"]
    assert first[0]["blanks"][0]["answer"] == r"\frac{\partial L}{\partial Z^{2}} \left(O^{1}\right)^{\top}"
    solutions = (folder / "hw" / "solutions.html").read_text()
    assert "The layer" in solutions and "<math" in solutions            # the matrix sheet's part for the layer


def test_graded_with_the_key_and_its_shares(folder):
    key = json.loads((folder / "hw" / "key.json").read_text())
    v1, v2 = (v["variant"] for v in key["variants"])
    answers = folder / "answers.csv"
    answers.write_text("id,variant,question,answer\n"
                       f"a,{v1},1,dZ^2 (O^1)^T\na,{v1},2,dZ^3 1\n"
                       f"b,{v2},1,(O^1)^T dZ^2\nb,{v2},2,dZ^3\n")
    out = folder / "scores.csv"
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(answers), "-o", str(out)]) == 0
    rows = {(r["id"], r["question"]): r for r in csv.DictReader(out.open())}
    assert rows["a", "1"]["verdict"] == "correct" and rows["a", "2"]["verdict"] == "correct"
    assert rows["b", "1"]["diagnosis"] == "wrong_order" and float(rows["b", "1"]["score"]) == 0
    assert rows["b", "2"]["diagnosis"] == "bias_not_summed" and float(rows["b", "2"]["score"]) == 0.5


@pytest.mark.parametrize("platform", ["moodle", "canvas", "prairielearn", "gradescope"])
def test_exported_to_every_platform(folder, platform):
    out = folder / f"out-{platform}"
    assert main(["export", str(folder / "hw"), "--to", platform, "-o", str(out)]) == 0
    if out.is_dir():
        text = " ".join(p.read_text(errors="ignore") for p in out.rglob("*") if p.is_file() and p.suffix in (".xml", ".json", ".html"))
    else:
        with zipfile.ZipFile(out) as z:
            text = " ".join(z.read(n).decode(errors="ignore") for n in z.namelist() if n.endswith((".xml", ".json", ".html", ".py", ".txt")))
    assert "matrix form" in text


def test_a_target_that_is_no_matrix_is_an_error(tmp_path, capsys):
    (tmp_path / "hw.toml").write_text(ASSIGNMENT.replace('target = "W^2"', 'target = "w^2_11"'))
    assert main(["exercise", str(tmp_path / "hw.toml"), "-o", str(tmp_path / "hw"), "--no-pdf"]) == 2
    assert "target must name a matrix" in capsys.readouterr().err
