"""`gradproof bench`: the JSON shape at tiny sizes, the FLOP count, the naive child, and torch being optional.

No timed assertions: the figures depend on the machine; these tests check that every figure is there,
is a number where one is due, and that the checks inside the benchmark (verification against backprop,
gradient-check accuracy) really hold.
"""
import json
import subprocess
import sys

import numpy as np
import pytest

from gradproof.numeric.spec import Spec
from gradproof.symbolic import bench
from gradproof.symbolic.cli import main


@pytest.fixture(scope="module")
def report():
    """One tiny run for the whole module (the run spawns two child processes for the naive derivation)."""
    return bench.run(bench.SIZES["tiny"])


def test_json_from_the_command_line(capsys, monkeypatch):
    # the command prints exactly the report run() builds; run() itself is exercised by the fixture
    monkeypatch.setattr(bench, "run", lambda sizes, progress=None: {"sizes": sizes.name, "stub": True})
    assert main(["bench", "--tiny", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"sizes": "tiny", "stub": True}
    assert main(["bench", "--quick", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sizes"] == "quick"


def test_report_sections_and_machine(report):
    assert set(report) >= {"sizes", "machine", "symbolic", "backprop", "gradient_checks", "grading", "sheet",
                           "targets", "seconds"}
    m = report["machine"]
    assert m["cores"] >= 1 and m["numpy"] == np.__version__
    assert set(m["blas"]) >= {"name", "version", "kernel", "threads"}
    assert set(m["env"]) >= {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}
    json.dumps(report)                                  # every figure is JSON


def test_symbolic_rows_are_verified_against_backprop(report):
    rows = report["symbolic"]["networks"]
    assert [tuple(r["layers"]) for r in rows] == [tuple(n) for n in bench.SIZES["tiny"].symbolic_nets]
    for r in rows:
        assert r["parameters"] == len(Spec(layers=tuple(r["layers"])).parameters())
        assert r["verified"] and r["max_rel_error"] < 1e-12
        assert r["total_s"] >= r["derive_s"] > 0
        n = r["naive"]
        # the naive child finished within the tiny cap, so the ratio is a measurement, not a bound
        assert n["completed"] and n["parameters"] == r["parameters"] and not r["speedup_is_lower_bound"]
        assert r["speedup_derive"] == pytest.approx(n["total_s"] / r["derive_s"])


def test_backprop_rows_without_torch_at_tiny_size(report):
    bp = report["backprop"]
    assert bp["step_flops"] == bench.product_flops(bench.SIZES["tiny"].backprop_layers, bench.SIZES["tiny"].batch)
    assert "torch not measured" in bp["note"]
    assert [run["name"] for run in bp["runs"]] == ["relu", "sigmoid"]
    assert bp["runs"][0]["activations"] == ["relu", "linear"]              # 8-16-4: one hidden layer
    for run in bp["runs"]:
        assert set(run["dtypes"]) == {"float32", "float64"}
        for row in run["dtypes"].values():
            assert row["numpy_s"] > 0 and row["peak_flop_rate"] > 0 and "ratio_median" not in row
            assert row["fraction_of_peak"] == pytest.approx(row["step_flop_rate"] / row["peak_flop_rate"])


def test_gradient_checks_agree_with_backprop(report):
    fd = report["gradient_checks"]
    assert fd["parameters"] == len(Spec(layers=bench.SIZES["tiny"].fd_layers).parameters())
    assert fd["methods"]["central"]["max_error_over_max_gradient"] < 1e-6
    assert fd["methods"]["complex_step"]["max_error_over_max_gradient"] < 1e-13


def test_targets_name_what_they_judge(report):
    for t in report["targets"]:
        assert set(t) >= {"target", "wanted", "value", "met"} and t["met"] in (True, False, None)
    assert "Targets" in bench.text(report)


def test_product_flops_counts_each_matrix_product():
    # 2-3-1 at batch 5: forward 5*2*3 + 5*3*1, dW the same, delta_1 = g_2 W^2^T: 5*1*3 (delta_0 is skipped)
    assert bench.product_flops((2, 3, 1), 5) == 2 * (30 + 15) + 2 * (30 + 15) + 2 * 15


def test_naive_child_is_killed_at_the_cap():
    result = bench.naive((4, 4, 4, 4, 4, 4, 4, 1), cap=0.5)
    assert result == {"network": "4-4-4-4-4-4-4-1", "completed": False, "total_s": None, "at_least_s": 0.5}


def test_naive_child_differentiates_every_parameter():
    out = subprocess.run([sys.executable, "-c", "from gradproof.symbolic.bench import naive_child; naive_child('2-1')"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["parameters"] == 2


def test_torch_missing_is_reported(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)          # import torch raises ImportError
    sizes = bench.Sizes("t", (), 1.0, (3, 2), 4, 1, 8, (2, 1), 1, 1, sheet=False, torch=True)
    bp = bench.backprop_vs_torch(sizes)
    assert bp["torch"] is None and "torch not installed" in bp["note"]
    assert all("ratio_median" not in row for run in bp["runs"] for row in run["dtypes"].values())


def test_grading_row_says_when_the_grader_is_missing(monkeypatch):
    import gradproof.symbolic.grade as grade
    monkeypatch.delattr(grade, "grade", raising=False)
    row = bench.grading(bench.SIZES["tiny"])
    assert row["available"] is False and "grader not available" in row["note"]


def test_torch_computes_the_same_gradients_when_installed():
    pytest.importorskip("torch")
    sizes = bench.Sizes("t", (), 1.0, (3, 5, 2), 4, 2, 8, (2, 1), 1, 1, sheet=False, torch=True)
    bp = bench.backprop_vs_torch(sizes)
    for run in bp["runs"]:
        assert run["dtypes"]["float64"]["max_rel_difference"] < 1e-12
        assert run["dtypes"]["float32"]["max_rel_difference"] < 1e-5
        assert all(row["ratio_median"] > 0 for row in run["dtypes"].values())


def test_backprop_in_a_child_with_malloc_keeping_memory(report):
    kept = bench.backprop_malloc_kept(bench.SIZES["tiny"])
    if not kept["available"]:
        pytest.skip(kept["note"])
    assert kept["env"] == bench.MALLOC_KEPT
    assert [run["name"] for run in kept["runs"]] == [run["name"] for run in report["backprop"]["runs"]]
    assert "malloc keeps freed memory" in bench.text({**report, "backprop_malloc_kept": kept})
