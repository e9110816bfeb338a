"""`gradproof check`: JSON shape, exit codes, failure messages, bad input, the terminal table."""
import dataclasses
import json
import subprocess
import sys

import pytest

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.notation import Param
from gradproof.symbolic.check import TOLERANCES
from gradproof.symbolic.check import compare as check_module
from gradproof.symbolic.cli import main

METHODS = {"backprop", "matrix", "per_path", "central", "complex_step"}
KINK_POINT = {"x": [1.0, 2.0], "y": [0.5], "W": [[[1.0, 0.5], [-0.5, 0.3]], [[1.0], [2.0]]]}


def run_json(capsys, argv, code=0):
    assert main(["check", *argv, "--json"]) == code
    return json.loads(capsys.readouterr().out)


def test_json_shape_on_the_notes_network(capsys):
    data = run_json(capsys, [])
    assert data["passed"] is True and data["points"] == 1
    assert {"passed", "points", "parameters", "worst"} <= set(data)
    assert [p["name"] for p in data["parameters"]][:3] == ["w^1_11", "w^1_12", "w^1_13"]
    assert len(data["parameters"]) == 20
    for entry in data["parameters"]:
        assert {"name", "symbolic", "abs_err", "rel_err", "status"} | METHODS <= set(entry)
        assert set(entry["abs_err"]) == set(entry["rel_err"]) == METHODS
        assert entry["status"] == "pass" and entry["point"] == 1
        for m in METHODS:
            assert entry["abs_err"][m] == pytest.approx(abs(entry[m] - entry["symbolic"]), abs=0)
    assert data["worst"]["name"] in {p["name"] for p in data["parameters"]}
    assert data["worst"]["method"] in METHODS and 0 <= data["worst"]["ratio"] < 1
    assert data["tolerances"]["central"] == {"rtol": 1e-5, "atol": 1e-7}


def test_several_points_give_one_entry_per_parameter_per_point(capsys):
    data = run_json(capsys, ["--net", "3-2-1", "--bias", "--seed", "4", "--points", "3", "--samples", "2"])
    assert data["points"] == 3 and len(data["parameters"]) == 3 * 11
    assert sorted({p["point"] for p in data["parameters"]}) == [1, 2, 3]
    assert [s["seed"] for s in data["sources"]] == [4, 5, 6]


def test_tolerances_from_flags(capsys):
    data = run_json(capsys, ["--rtol", "1e-3", "--atol", "central=0", "--atol", "1e-9"])
    assert data["tolerances"]["central"] == {"rtol": 1e-3, "atol": 1e-9}       # later flags win
    assert data["tolerances"]["backprop"] == {"rtol": 1e-3, "atol": 1e-9}
    # no allowance at all for central differences: their truncation error fails them
    data = run_json(capsys, ["--rtol", "central=0", "--atol", "central=0"], code=1)
    assert {p["status"] for p in data["parameters"]} == {"fail"}


def test_a_wrong_gradient_exits_1_naming_the_parameter(capsys, monkeypatch):
    right = check_module._backprop

    def wrong(spec, point):
        values = right(spec, point)
        values[Param.weight(2, 1, 1)] += 1e-3
        return values

    monkeypatch.setattr(check_module, "_backprop", wrong)
    assert main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    first_row = out[out.index(next(line for line in out if line.startswith("parameter"))) + 1]
    assert first_row.startswith("w^2_11") and first_row.endswith("fail")
    assert out[-1].startswith("FAIL: 1 of 20 checks") and "w^2_11 (backprop)" in out[-1]
    detail = out.index("w^2_11 at point 1: FAIL")
    assert "pass iff |a − s| <= atol + rtol·|s|" in out[detail + 1]
    backprop = next(line for line in out[detail:] if line.strip().startswith("backprop"))
    assert backprop.split()[-1] == "FAIL" and "1.0e-03" in backprop          # |a − s|

    data = run_json(capsys, [], code=1)
    assert data["passed"] is False and data["worst"]["name"] == "w^2_11"
    (failed,) = [p for p in data["parameters"] if p["status"] == "fail"]
    assert failed["name"] == "w^2_11" and failed["abs_err"]["backprop"] == pytest.approx(1e-3, rel=1e-9)


def test_a_wrong_derivative_in_the_activation_table_is_caught(capsys, monkeypatch):
    # sigmoid' written as O (1 - O)^2 in the numpy table: the per-path sums read every f' from it (backprop
    # may use its own fused copy of the formula); the symbolic side and the finite differences never do
    row = ACTIVATIONS["sigmoid"]
    monkeypatch.setitem(ACTIVATIONS, "sigmoid", dataclasses.replace(row, df=lambda z, O, out=None: O * (1 - O) ** 2))
    data = run_json(capsys, [], code=1)
    failed = [p for p in data["parameters"] if p["status"] == "fail"]
    assert {p["name"] for p in failed} == {f"w^{k}_{i}{j}" for k, n, m in ((1, 4, 3), (2, 3, 2), (3, 2, 1))
                                           for i in range(1, n + 1) for j in range(1, m + 1)}
    for p in failed:
        assert p["abs_err"]["central"] < 1e-7 and p["abs_err"]["complex_step"] < 1e-12
        assert p["rel_err"]["per_path"] > 1e-3


def test_kinks_at_a_point_file(capsys, tmp_path):
    path = tmp_path / "kink.json"
    path.write_text(json.dumps(KINK_POINT))
    data = run_json(capsys, ["--net", "2-2-1", "--act", "relu,linear", "--at", str(path)])
    status = {p["name"]: p["status"] for p in data["parameters"]}
    assert status == {"w^1_11": "kink", "w^1_12": "pass", "w^1_21": "kink", "w^1_22": "pass",
                      "w^2_11": "pass", "w^2_21": "pass"}
    kink = next(p for p in data["parameters"] if p["name"] == "w^1_11")
    assert "z_11" in kink["kink"] and kink["complex_step"] is None
    assert main(["check", "--net", "2-2-1", "--act", "relu,linear", "--at", str(path)]) == 0
    text = capsys.readouterr().out
    assert "w^1_11 at point 1: KINK (central differences not judged: ReLU pre-activation z_11 = 0" in text
    assert "complex_step does not apply: layer 1 uses relu" in text


def test_exact_reports_fifty_digits_and_each_methods_error(capsys):
    data = run_json(capsys, ["--net", "2-2-1", "--exact"])
    for entry in data["parameters"]:
        digits = entry["exact"].lstrip("-0.").replace(".", "")
        assert len(digits) >= 45
        assert float(entry["exact"]) == pytest.approx(entry["symbolic"], rel=1e-13)
        assert set(entry["exact_err"]) == METHODS | {"symbolic"}
        assert entry["exact_err"]["symbolic"] < 1e-15 and entry["exact_err"]["central"] < 1e-7
    assert main(["check", "--net", "2-2-1", "--exact"]) == 0
    assert "in 50-digit arithmetic" in capsys.readouterr().out


def test_max_paths_skips_per_path_with_a_note(capsys):
    data = run_json(capsys, ["--net", "2-3-3-1", "--max-paths", "2"])
    skipped = [p["name"] for p in data["parameters"] if p["per_path"] is None]
    assert skipped == [f"w^1_{i}{j}" for i in (1, 2) for j in (1, 2, 3)]
    assert any("per_path skipped for 6 parameters" in n for n in data["notes"])
    assert data["passed"]


def test_the_table_explains_itself(capsys):
    assert main(["check", "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("gradproof check: the network 4-3-2-1, sigmoid, squared/sum; 20 parameters at 1 random point")
    assert any("passes iff |a − s| <= atol + rtol·|s|" in line for line in lines[:4])
    assert any(line.startswith("Columns:") for line in lines)
    header = next(i for i, line in enumerate(lines) if line.startswith("parameter"))
    assert lines[header].split() == ["parameter", "point", "symbolic", "s", "backprop", "matrix", "per_path", "central",
                                     "complex_step", "used", "status"]
    assert lines[header + 4] == "... 17 more rows, all pass (--top 0 shows every row)"
    used = [float(line.split()[-2].rstrip("%")) for line in lines[header + 1:header + 4]]
    assert used == sorted(used, reverse=True)                   # worst rows first
    assert lines[-1].startswith("PASS: all 20 parameters agree by every method at 1 point")


def test_help_states_the_default_tolerances(capsys):
    with pytest.raises(SystemExit) as done:
        main(["check", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    # the help is prose; it must state the numbers the engine uses
    for methods in (("backprop", "matrix", "per_path", "complex_step"), ("central",)):
        tol = TOLERANCES[methods[0]]
        assert all(TOLERANCES[m] == tol for m in methods)
        rtol, atol = (f"{x:g}".replace("e-0", "e-") for x in (tol.rtol, tol.atol))     # 1e-05 written 1e-5
        names = ", ".join(methods)
        assert f"{names} rtol {rtol}, atol {atol}" in text
        assert f"{names} {rtol}" in text and f"{names} {atol}" in text
    assert "--max-paths" in text and "--exact" in text and "--allow-kinks" in text


@pytest.mark.parametrize("argv, words", [
    (["--points", "0"], "--points takes a whole number >= 1; got '0'"),
    (["--seed", "x"], "--seed takes a whole number >= 0"),
    (["--rtol", "abc"], "--rtol takes a number >= 0"),
    (["--atol", "-1"], "--atol takes a number >= 0"),
    (["--rtol", "centre=1e-3"], "unknown method 'centre'; valid: backprop, matrix, per_path, central, complex_step"),
    (["--max-paths", "0"], "--max-paths takes a whole number >= 1"),
    (["--at", "missing.json"], "POINT file 'missing.json' not found"),
    (["--at", "p.json", "--seed", "1"], "either --at POINT or random points"),
    (["--param", "w^9_11"], "w^9_11 does not exist"),
    (["--act", "sigmod"], "unknown activation 'sigmod'"),
    (["missing.toml"], "spec file 'missing.toml' not found"),
    (["--loss", "bce", "--act", "tanh"], "loss 'bce' needs outputs in (0, 1)"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, words):
    assert main(["check", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradproof check: error: ") and words in lines[0]


def test_a_bad_point_file_from_the_real_command_line(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"x": [1, 2], "y": [0.5], "W": []}')
    done = subprocess.run([sys.executable, "-m", "gradproof.symbolic", "check", "--net", "2-2-1", "--at", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    assert "'W' must be a list of 2 matrices" in done.stderr


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_every_activation_passes(capsys, act):
    # a row that couples its layer may only be the output layer's, with the loss that reads probability vectors
    acts = f"sigmoid,sigmoid,{act} --loss ce" if ACTIVATIONS[act].couples else f"{act},{act},sigmoid"
    data = run_json(capsys, ["--net", "3-3-2-2", "--act", *acts.split(), "--bias", "--reg", "l2",
                             "--lam", "0.1", "--points", "2", "--samples", "3"])
    assert data["passed"] and {p["status"] for p in data["parameters"]} == {"pass"}
    assert all(p["complex_step"] is not None for p in data["parameters"]) == ACTIVATIONS[act].analytic


def test_softmax_with_cross_entropy_passes_five_ways(capsys):
    data = run_json(capsys, ["--net", "4-5-3", "--act", "sigmoid,softmax", "--loss", "ce", "--samples", "2"])
    assert data["passed"] and len(data["parameters"]) == 35
    for row in data["parameters"]:
        assert row["status"] == "pass"
        assert all(row[way] is not None for way in ("symbolic", "backprop", "per_path", "central", "complex_step"))


@pytest.mark.parametrize("argv, words", [
    (["--net", "4-5-3", "--act", "softmax", "--loss", "ce"], "may only be the output layer's (layer 2 of 4-5-3); layer 1"),
    (["--net", "4-5-1", "--act", "sigmoid,softmax"], "over a single output is the constant 1"),
])
def test_softmax_elsewhere_is_an_error(capsys, argv, words):
    assert main(["check", *argv]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and words in lines[0]


@pytest.mark.parametrize("loss", ["squared", "half_squared", "bce"])
def test_every_loss_passes(capsys, loss):
    data = run_json(capsys, ["--net", "2-3-2", "--act", "tanh,sigmoid", "--loss", loss, "--reduction", "mean",
                             "--reg", "l1", "--lam", "0.2", "--samples", "4"])
    assert data["passed"] and data["network"]["loss"] == loss


def test_only_the_parameters_asked_for_each_once(capsys):
    data = run_json(capsys, ["--bias", "--param", "w^1_11", "w1_11", "b^2_1", "--points", "2"])
    assert [(p["name"], p["point"]) for p in data["parameters"]] == [("w^1_11", 1), ("b^2_1", 1),
                                                                     ("w^1_11", 2), ("b^2_1", 2)]
