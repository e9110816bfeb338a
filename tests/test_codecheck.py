"""The code checker against a catalogue of student-style implementations (tests/codecheck_catalogue/), each
written by hand with a known mistake (or none), and against hostile submissions (tests/codecheck_hostile/).

The expected labels below are what each file was written to do; the checker never sees them. The
correct files are independent implementations (loops, einsum, a class, one sample at a time), so that
they also test the comparison itself.
"""
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from gradproof.numeric.codecheck import assert_backprop_correct, check_file
from gradproof.numeric.codecheck.batch import check_folder, to_csv
from gradproof.numeric.codecheck.cases import make_cases, non_square
from gradproof.numeric.codecheck.sandbox import Limits
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

HERE = Path(__file__).parent
CATALOGUE = HERE / "codecheck_catalogue"
HOSTILE = HERE / "codecheck_hostile"

# file: (spec file, expected mistakes as (name, layers) in the report's order; () = correct)
EXPECTED = {
    "correct_loop":          ("notes_l2", ()),
    "correct_per_sample":    ("notes_l2", ()),
    "correct_unrolled":      ("tanh_mean", ()),
    "correct_class_relu":    ("relu_bce", ()),
    "correct_bce_through_O": ("relu_bce", ()),     # dL/dO through O: the large-gradient case keeps O off 0 and 1
    "f_for_df":              ("notes_l2", (("f_for_df", [1, 2, 3]),)),
    "df_missing":            ("notes_l2", (("df_missing", [1, 2]),)),
    "df_at_output":          ("notes_l2", (("df_at_O", [1, 2, 3]),)),
    "df_O_form_at_z":        ("notes_l2", (("df_O_form_at_z", [1, 2, 3]),)),
    "missing_transpose":     ("notes_l2", (("delta_not_transposed", [2, 3]),)),
    # the output layer's dW is 2 x 1: its transpose holds the same values in a row (a shape note, not a mistake)
    "extra_transpose":       ("notes_l2", (("dW_transposed", [1, 2]),)),
    "sample_sum_missing":    ("notes_l2", (("samples_last", []),)),
    "mean_for_sum":          ("notes_l2", (("mean_for_sum", []),)),
    "sum_for_mean":          ("tanh_mean", (("sum_for_mean", []),)),
    "bias_not_summed":       ("notes_l2", (("bias_not_summed", []),)),
    "reg_missing":           ("notes_l2", (("reg_missing", []),)),
    "reg_factor":            ("notes_l2", (("reg_half", []),)),
    "loss_factor":           ("notes_l2", (("loss_factor_half", []),)),
    "sign":                  ("notes_l2", (("sign_data", []),)),
    "not_propagated":        ("notes_l2", (("delta_not_propagated", [3]),)),
    "off_by_one":            ("tanh_mean", (("dW_own_output", [1, 2, 3]),)),
    "two_sign_and_df":       ("notes_l2", (("df_missing", [1, 2]), ("sign_data", []))),
    "two_bias_and_reg":      ("notes_l2", (("bias_mean", []), ("reg_missing", []))),
    "lr_applied":            ("notes_l2", None),        # wrong, and no known mistake: nothing may be named
}
CODES = {"f_for_df": "activation_derivative", "df_missing": "activation_derivative", "sign_data": "sign",
         "reg_missing": "missing_regularization", "reg_half": "factor", "loss_factor_half": "factor",
         "dW_transposed": "wrong_index", "delta_not_transposed": "wrong_index"}


def _spec(name):
    return Spec.from_toml(CATALOGUE / f"{name}.toml")


@pytest.fixture(scope="module")
def catalogue():
    """Every catalogue file checked once (two at a time), by file stem."""
    def one(stem):
        return stem, check_file(CATALOGUE / f"{stem}.py", _spec(EXPECTED[stem][0]))
    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, EXPECTED))


def test_catalogue_is_complete():
    files = {p.stem for p in CATALOGUE.glob("*.py")}
    assert files == set(EXPECTED)
    assert len(files) >= 15
    assert sum(1 for _, m in EXPECTED.values() if m and len(m) == 2) == 2


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_catalogue(catalogue, stem):
    report = catalogue[stem]
    expected = EXPECTED[stem][1]
    if expected == ():
        assert report.verdict == "correct", report.to_json()
        assert report.exit_code == 0 and report.diagnosis is None
        assert all(row["status"] == "pass" for row in report.layers)
        return
    assert report.verdict in ("wrong", "failed") and report.exit_code == 1
    got = [(m["mistake"], m["layers"]) for m in (report.diagnosis or {}).get("mistakes", [])]
    if expected is None:
        assert got == [], report.diagnosis      # never an invented mistake
        assert report.smallest_failing_case["samples"] == 1
        return
    assert got == [(name, layers) for name, layers in expected], report.diagnosis
    for name, _ in expected:
        if name in CODES:
            assert CODES[name] in report.diagnosis["codes"]
    assert report.diagnosis["sentence"]


def test_codes_are_the_graders_where_they_correspond():
    from gradproof.numeric.codecheck.variants import MISTAKES
    from gradproof.symbolic.grade.diagnosis import SENTENCES
    shared = {m.code for m in MISTAKES.values()} & set(SENTENCES)
    assert shared == {"activation_derivative", "wrong_index", "sign", "factor", "missing_regularization", "missing_path"}


def test_first_wrong_layer_is_from_the_output_back(catalogue):
    # df_missing leaves the output layer right; layer 2 is the first wrong one, with the largest error and where
    report = catalogue["df_missing"]
    assert [row["status"] for row in report.layers] == ["pass", "fail", "fail"]
    wrong = report.first_wrong
    assert wrong["layer"] == 2 and wrong["param"].startswith(("w^2_", "b^2_"))
    assert abs(wrong["got"] - wrong["expected"]) == pytest.approx(wrong["error"])


def test_transposed_dw_is_reported_as_a_shape(catalogue):
    row = catalogue["extra_transpose"].layers[1]
    assert row["dW"]["problem"] == "shape" and row["dW"]["got_shape"] == [2, 3] and row["dW"]["expected_shape"] == [3, 2]


def test_smallest_failing_case(catalogue):
    # the last sample's gradient alone is right for a batch of one: the smallest failing case is a batch of 2
    case = catalogue["sample_sum_missing"].smallest_failing_case
    assert case["samples"] == 2 and case["layer"] == 3
    assert len(case["point"]["x"]) == 2 and len(case["point"]["W"]) == 3
    # db = g is N x n_k: right by its values for one sample (1 x n_k holds the n_k numbers), wrong in shape for 2
    case = catalogue["bias_not_summed"].smallest_failing_case
    assert case["samples"] == 2 and case["problem"] == "shape" and case["got_shape"] == [2, 1]


def test_forward_is_checked_when_asked():
    report = check_file(CATALOGUE / "correct_class_relu.py", _spec("relu_bce"), forward="forward")
    assert report.verdict == "correct" and report.extras == [{"check": "forward", "status": "pass", "problems": []}]


def test_loss_is_checked_when_asked(tmp_path):
    report = check_file(CATALOGUE / "correct_unrolled.py", _spec("tanh_mean"), loss="loss")
    assert report.verdict == "correct" and report.extras == [{"check": "loss", "status": "pass", "problems": []}]
    # the same loss summed over samples where the spec takes the mean: the loss check fails, the gradients pass
    text = (CATALOGUE / "correct_unrolled.py").read_text().replace("/ x.shape[0]\n", "\n")
    (tmp_path / "summed.py").write_text(text)
    report = check_file(tmp_path / "summed.py", _spec("tanh_mean"), loss="loss")
    assert report.verdict == "wrong" and report.exit_code == 1 and report.extras[0]["status"] == "fail"
    assert all(row["status"] == "pass" for row in report.layers) and report.diagnosis is None


def test_gradescope_tests_one_per_layer(catalogue):
    tests = catalogue["df_missing"].to_json()["tests"]
    assert [t["name"] for t in tests] == ["layer 3: dW and db", "layer 2: dW and db", "layer 1: dW and db"]
    assert [t["status"] for t in tests] == ["passed", "failed", "failed"]
    assert "missing" in tests[1]["output"]


def test_a_missing_transpose_cannot_hide_in_a_square_network(tmp_path):
    # every matrix of 2-2-2 is square: the code is right there only by accident; the reshaped 2-3-2 network finds it
    student = tmp_path / "student.py"
    student.write_text(
        "import numpy as np\n"
        "def backward(W, b, x, y):\n"
        "    O = [x]\n"
        "    for w in W:\n"
        "        O.append(np.tanh(O[-1] @ w))\n"
        "    d = 2 * (O[-1] - y)\n"
        "    dW = []\n"
        "    for k in range(len(W), 0, -1):\n"
        "        g = d * (1 - O[k] ** 2)\n"
        "        dW.insert(0, O[k - 1].T @ g)\n"
        "        d = g @ W[k - 1]\n"
        "    return dW, None\n")
    spec = Spec(layers=(2, 2, 2), activations="tanh")
    assert non_square(spec.layers) == (2, 3, 2)
    assert [c.group for c in make_cases(spec, points=1)] == ["spec", "reshaped", "reshaped", "square", "square"]
    report = check_file(student, spec, points=2)
    assert report.verdict == "failed" and report.failure["type"] == "ValueError"
    assert "2-3-2" in report.failure["case"]
    assert [m["mistake"] for m in report.diagnosis["mistakes"]] == ["delta_not_transposed"]


def test_assert_backprop_correct_in_process():
    def right(W, b, x, y):
        O = [x]
        for w, v in zip(W, b):
            O.append(np.tanh(O[-1] @ w + v))
        d, dW, db = O[-1] - y, [], []
        for k in range(len(W), 0, -1):
            g = d * (1 - O[k] ** 2)
            dW.insert(0, O[k - 1].T @ g)
            db.insert(0, g.sum(axis=0))
            d = g @ W[k - 1].T
        return dW, db

    def wrong(W, b, x, y):
        dW, db = right(W, b, x, y)
        return [2 * a for a in dW], [2 * a for a in db]

    spec = Spec(layers=(3, 4, 2), activations="tanh", bias=True, loss="half_squared")
    assert assert_backprop_correct(right, spec).verdict == "correct"
    with pytest.raises(AssertionError, match="twice"):
        assert_backprop_correct(wrong, spec)


# ---- hostile submissions

HOSTILE_EXPECTED = {
    "endless_loop": (("cpu", "time-out"), None),     # which limit comes first depends on the machine's load
    "sleeps": ("time-out", None),
    "ten_gigabytes": ("memory", None),
    "runs_a_program": ("exception", "starting a program"),
    "writes_outside": ("exception", "writing /tmp/gradproof-hostile-escape"),
    "reads_secret": ("exception", "found nothing"),
    "huge_return": ("bad_return", "1,000,000,000 elements"),
    "floods_output": ("output", None),
    "forks": ("exception", "forking a process"),
    "reads_files": ("exception", "reading /etc/passwd"),
    "imports_gradproof": ("exception", "No module named 'gradproof' here"),
}
SECRET = "hunter2-do-not-leak"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for path in HOSTILE.glob("*.py"):
        shutil.copy(path, folder)
    shutil.copy(CATALOGUE / "correct_loop.py", folder / "zz_correct.py")      # checked last: the batch went on
    old = os.environ.get("GRADPROOF_TEST_SECRET")
    os.environ["GRADPROOF_TEST_SECRET"] = SECRET
    try:
        results = check_folder(folder, _spec("notes_l2"), points=2, limits=Limits(seconds=3, memory_mb=512), jobs=2)
    finally:
        if old is None:
            del os.environ["GRADPROOF_TEST_SECRET"]
        else:
            os.environ["GRADPROOF_TEST_SECRET"] = old
    return {Path(r["file"]).stem: r for r in results}


def test_hostile_catalogue_is_complete():
    assert {p.stem for p in HOSTILE.glob("*.py")} == set(HOSTILE_EXPECTED)


@pytest.mark.parametrize("stem", sorted(HOSTILE_EXPECTED))
def test_hostile(hostile, stem):
    result = hostile[stem]
    kind, text = HOSTILE_EXPECTED[stem]
    assert result["verdict"] == "failed" and result["failure"]["kind"] in (kind if isinstance(kind, tuple) else (kind,))
    if text:
        assert text in result["failure"]["message"]
    assert result["seconds"] < 2 * 3 + 2 + 1             # within its limits (3 s of CPU; killed after 8 s)
    assert SECRET not in json.dumps(result)


def test_hostile_batch_goes_on_and_nothing_escaped(hostile):
    assert hostile["zz_correct"]["verdict"] == "correct"
    assert not Path("/tmp/gradproof-hostile-ran-a-program").exists()
    assert not Path("/tmp/gradproof-hostile-escape.txt").exists()
    assert not Path("/tmp/gradproof-hostile-escape-2.txt").exists()
    assert "starting a program (os.system): touch /tmp/gradproof-hostile-ran-a-program" in hostile["runs_a_program"]["refused"]
    assert "writing more than 64 MB to one file (stopped)" in hostile["floods_output"]["refused"]


# ---- the command line

def test_cli_exit_codes(tmp_path, capsys):
    spec = str(CATALOGUE / "notes_l2.toml")
    assert main(["check-code", str(CATALOGUE / "correct_loop.py"), spec, "--points", "2"]) == 0
    assert "is correct" in capsys.readouterr().out
    # the spec may follow an option (positionals on either side of options)
    assert main(["check-code", str(CATALOGUE / "sign.py"), "--points", "2", spec, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "wrong" and data["diagnosis"]["codes"] == ["sign"] and data["exit_code"] == 1
    assert main(["check-code", str(tmp_path / "missing.py")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["check-code", str(CATALOGUE / "sign.py"), spec, "--function", "backprop"]) == 2
    err = capsys.readouterr().err
    assert "no function 'backprop'" in err and "backward" in err and "\n" == err[-1] and err.count("\n") == 1
    assert main(["check-code", str(CATALOGUE / "sign.py"), "--act", "sigmod"]) == 2
    assert "unknown activation" in capsys.readouterr().err


def test_cli_wrong_return_type_and_syntax_error(tmp_path, capsys):
    (tmp_path / "pair.py").write_text("def backward(W, b, x, y):\n    return [w * 0 for w in W]\n")
    assert main(["check-code", str(tmp_path / "pair.py"), "--points", "1", "--json"]) == 1
    failure = json.loads(capsys.readouterr().out)["failure"]
    assert failure["kind"] == "bad_return" and "expected a pair (dW, db)" in failure["message"]
    (tmp_path / "broken.py").write_text("def backward(W, b, x, y)\n    return 1\n")
    assert main(["check-code", str(tmp_path / "broken.py"), "--points", "1", "--json"]) == 1
    failure = json.loads(capsys.readouterr().out)["failure"]
    assert failure["kind"] == "syntax_error" and "line 1" in failure["message"]


def test_cli_batch_csv_is_spreadsheet_safe(tmp_path, capsys):
    import csv
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CATALOGUE / "correct_loop.py", folder / "=HYPERLINK(1).py")
    shutil.copy(CATALOGUE / "reg_missing.py", folder / "b.py")
    out = tmp_path / "results.csv"
    assert main(["check-code", "--batch", str(folder), str(CATALOGUE / "notes_l2.toml"), "--points", "2",
                 "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["file"], r["verdict"], r["codes"]) for r in rows] == [
        ("'=HYPERLINK(1).py", "correct", ""), ("b.py", "wrong", "missing_regularization")]
    assert "checked 2 submissions" in capsys.readouterr().err
    assert to_csv([]) .startswith("file,verdict")


def test_numpy_side_only():
    import subprocess
    import sys
    code = ("import sys, gradproof.numeric.codecheck, gradproof.numeric.codecheck.batch; "
            "print('sympy' in sys.modules, any(m.startswith('gradproof.symbolic') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_child_script_imports_no_gradproof():
    import ast
    tree = ast.parse((Path(__import__("gradproof.numeric.codecheck.runner").numeric.codecheck.runner.__file__)).read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names <= {"json", "os", "sys", "time", "traceback", "importlib", "numpy", "resource", "site"}, names
