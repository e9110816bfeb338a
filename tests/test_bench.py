"""`gradproof bench`: the JSON shape at tiny sizes, the FLOP count, the naive child, and torch being optional.

No timed assertions: the figures depend on the machine; these tests check that every figure is there,
is a number where one is due, and that the checks inside the benchmark (verification against backprop,
gradient-check accuracy) really hold.
"""
import json

import numpy as np
import pytest

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.spec import Spec
from gradproof.symbolic import bench
from gradproof.symbolic.cli import main


@pytest.fixture(scope="module")
def report():
    """One tiny run for the whole module (the run spawns two child processes for the naive derivation)."""
    return bench.run(bench.SIZES["tiny"])


def test_json_from_the_command_line(capsys, monkeypatch):
    # the command prints exactly the report run() builds; run() itself is exercised by the fixture
    monkeypatch.setattr(bench, "run", lambda sizes, progress=None, only=None: {"sizes": sizes.name, "only": only})
    assert main(["bench", "--tiny", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"sizes": "tiny", "only": None}
    assert main(["bench", "--quick", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sizes"] == "quick"
    assert main(["bench", "--tiny", "--json", "--only", "symengine,sheet"]) == 0
    assert json.loads(capsys.readouterr().out)["only"] == ["symengine", "sheet"]
    assert main(["bench", "--tiny", "--only", "symengin"]) == 2
    assert "unknown benchmark 'symengin'; valid: symbolic, symengine" in capsys.readouterr().err


def test_report_sections_and_machine(report):
    assert set(report) >= {"sizes", "machine", "symbolic", "symengine", "backprop", "gradient_checks", "grading",
                           "sheet", "targets", "seconds"}
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


def test_symengine_race_computes_the_same_gradients(report):
    section = report["symengine"]
    if not section["available"]:
        pytest.skip(section["note"])
    rows = section["networks"]
    assert [tuple(r["layers"]) for r in rows] == [tuple(n) for n in bench.SIZES["tiny"].peer_nets]
    for r in rows:
        weights = [p for p in Spec(layers=tuple(r["layers"])).parameters() if p.is_weight]
        assert r["weights"] == len(weights) and r["completed"]
        assert r["max_rel_difference"] < 1e-12            # symengine's diff and gradproof's delta form agree
        assert r["ratio"] == pytest.approx(r["symengine_s"] / r["gradproof_s"])
    judged = [g for g in report["targets"] if g["target"].startswith("symengine")]
    assert len(judged) == 2 * len(rows) + 1


def test_symengine_child_stops_at_its_cap():
    from gradproof.symbolic.bench.symengine_peer import available, symengine_run
    if not available():
        pytest.skip("symengine is not installed")
    assert symengine_run("58-58-58-58-1", 0.5) == {"completed": False, "at_least_s": 0.5}


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


def test_goals_name_what_they_judge(report):
    for t in report["targets"]:
        assert set(t) >= {"target", "wanted", "value", "met"} and t["met"] in (True, False, None)
    shown = bench.text(report)
    assert "Performance goals" in shown and "issue" not in shown.lower()


def test_homework_rows(report):
    # the tiny run draws 2 variants (3-2-1) with their pages and grades 40 keyed rows of them
    hw = report["exercise"]
    assert hw["variants"]["variants"] == 2 and hw["variants"]["bytes"] > 0
    assert hw["variants"]["seconds"] > 0 and hw["variants"]["cpu_seconds"] >= 0
    assert sum(hw["grading"]["verdicts"].values()) == hw["grading"]["rows"] == 40
    assert hw["grading"]["verdicts"]["correct"] > 0 and hw["grading"]["verdicts"]["incorrect"] > 0
    names = [t["target"] for t in report["targets"]]
    assert any(n.startswith("exercise: 2 variants") for n in names) and any(n.startswith("grading: 40 keyed") for n in names)


def test_the_registry_is_the_report(report):
    # every benchmark that runs at tiny sizes is a section of the JSON and a numbered section of the text,
    # in the registry's order; the full-size-only one is absent
    tiny = [b for b in bench.BENCHMARKS if "tiny" in b.when]
    assert [k for k in report if k in {b.key for b in bench.BENCHMARKS}] == [b.key for b in tiny]
    assert "backprop_malloc_kept" not in report
    shown = bench.text(report)
    positions = [shown.index(f"{n}. {b.title}") for n, b in enumerate(tiny, 1)]
    assert positions == sorted(positions)
    assert report["targets"] == bench.goals(report)


def test_an_added_benchmark_is_run_and_reported(monkeypatch):
    from gradproof.symbolic.bench import registry
    from gradproof.symbolic.bench import report as report_module
    from gradproof.symbolic.bench.units import goal

    row = bench.Benchmark("answers", "Answers counted", lambda sizes, progress=None: {"count": 3},
                          lambda section: [f"   {section['count']} answers"],
                          lambda section: [goal("answers: at least 2", ">= 2", section["count"], section["count"] >= 2)])
    monkeypatch.setattr(report_module, "BENCHMARKS", (row,))
    monkeypatch.setattr(registry, "BENCHMARKS", (row,))
    result = report_module.run(bench.SIZES["tiny"])
    assert result["answers"] == {"count": 3}
    assert result["targets"] == [{"target": "answers: at least 2", "wanted": ">= 2", "value": 3, "met": True}]
    assert "1. Answers counted\n   3 answers" in bench.text(result)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_torch_runs_each_activation_of_the_one_table(name):
    # the benchmark's torch side reads torch's kernel from the activation table: it must be the same function
    torch = pytest.importorskip("torch")
    z = np.linspace(-30, 30, 241)
    row = ACTIVATIONS[name]
    assert row.torch_f is not None, f"{name} has no torch kernel in numeric/activations.py"
    np.testing.assert_allclose(row.torch_f(torch, torch.from_numpy(z)).numpy(), row.f(z), rtol=1e-12, atol=1e-300)


def test_code_check_row(report):
    # a correct implementation passes and one with f in place of f' is named, on the tiny sizes' network
    row = report["code_check"]
    assert row["network"] == "4-3-2-1" and row["points"] == 4
    assert row["correct"]["verdict"] == "correct" and row["correct"]["codes"] == []
    assert row["mistake"]["verdict"] == "wrong" and row["mistake"]["codes"] == ["activation_derivative"]
    assert row["correct"]["seconds"] >= row["correct"]["child_seconds"] > 0
    from gradproof.symbolic.bench import code_check
    assert code_check.goals(row) == []             # the goal is judged at 784-128-64-10 only


def test_startup_row_runs_each_command_and_judges_the_three_goals(report):
    section = report["startup"]
    assert section["available"], section.get("note")
    rows = section["commands"]
    assert set(rows) == {"python", "imports", "imports_frozen", "version", "help", "grade", "grade_wrong"}
    assert all(r["seconds"] >= r["min_s"] > 0 for r in rows.values())
    assert section["grade_over_imports_s"] == pytest.approx(rows["grade"]["seconds"] - rows["imports"]["seconds"])
    assert section["version_over_python_s"] == pytest.approx(rows["version"]["seconds"] - rows["python"]["seconds"])
    judged = {g["target"]: g for g in report["targets"] if g["target"].startswith("start-up")}
    assert len(judged) == 3
    for g in judged.values():
        assert g["met"] == (g["value"] <= float(g["wanted"].split()[1]))


def test_startup_row_says_which_command_failed(monkeypatch):
    from gradproof.symbolic.bench import startup
    from gradproof.symbolic.bench.sizes import SIZES
    broken = dict(startup.commands())
    label, argv, _ = broken["grade"]
    broken["grade"] = (label, argv[:-1] + ["q_7"], 0)          # an unreadable answer exits 2, not 0
    monkeypatch.setattr(startup, "commands", lambda: broken)
    section = startup.measure(SIZES["tiny"])
    assert not section["available"] and section["note"].startswith("gradproof grade, a right answer:")
