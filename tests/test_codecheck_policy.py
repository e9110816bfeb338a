"""The code checker as a teacher grades with it: a catalogue of student files (tests/codecheck_policy/), each
written by hand to do one thing a class does, and the behaviour each must get.

- a record the student cannot erase: an exit handler that empties logs and writes into every descriptor, and
  code that closes the record's channel before a refused read;
- judged by values: keepdims=True and a squeezed column pass with a note; a transposed matrix fails
  (tests/codecheck_catalogue/extra_transpose.py, in test_codecheck.py);
- per network tried: sizes hard-coded as 3 pass on the assigned 3-3-3 network and fail on 3-4-3;
- quotas: a thousand files, and 4 MB files without end;
- clean text: an exception whose text holds newlines, commas, an escape sequence and a right-to-left override;
- known mistakes: the bias gradient's sign alone, the gradient clipped to ±1 (caught on the large-gradient
  case), the mean taken twice;
- a matplotlib import and an os.chdir.
The labels are what each file was written to do; the checker never sees them.
"""
import csv
import io
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from gradproof.numeric.codecheck import check_file, check_function
from gradproof.numeric.codecheck.cases import make_cases
from gradproof.numeric.codecheck.check import conform
from gradproof.numeric.codecheck.report import text
from gradproof.numeric.codecheck.sandbox import Limits
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

from oracle import as_lists, gradients, net_of

HERE = Path(__file__).parent
POLICY = HERE / "codecheck_policy"
CATALOGUE = HERE / "codecheck_catalogue"
NOTES = CATALOGUE / "notes_l2.toml"
SPECS = {"hard_coded_sizes": POLICY / "hard_coded_sizes.toml", "mean_twice": CATALOGUE / "tanh_mean.toml"}
LIMITS = Limits(seconds=5, total_mb=16)


@pytest.fixture(scope="module")
def reports():
    """Every policy file checked once (two at a time), by file stem."""
    def one(path):
        return path.stem, check_file(path, Spec.from_toml(SPECS.get(path.stem, NOTES)), limits=LIMITS)
    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, sorted(POLICY.glob("*.py"))))


def test_an_exit_handler_cannot_erase_the_refusals(reports):
    report = reports["erases_its_record"]
    assert report.verdict == "correct"
    # each refused action with its argument, in the order tried, although the handler emptied every log file
    assert report.refused[:3] == ["reading /srv/teacher/secret_key.json (outside its folder)",
                                  "reading /etc/shadow (outside its folder)",
                                  "a network name lookup: exfiltrate.example.com"]
    # what it wrote into the record's channel is not taken for the record, and is reported
    assert report.refused[3].startswith("writing ") and "of its own into the checker's record" in report.refused[3]
    assert "- a network name lookup: exfiltrate.example.com" in text(report)


def test_closing_the_record_channel_stops_the_code_and_is_reported(reports):
    report = reports["closes_the_channel"]
    assert report.verdict == "failed" and report.failure["kind"] == "tampered"
    assert report.refused == ["closing or replacing the checker's record channel (stopped)"]


def test_keepdims_passes_with_one_note(reports):
    report = reports["keepdims"]
    assert report.verdict == "correct" and report.exit_code == 0
    assert len(report.notes) == 1 and "\n" not in report.notes[0]
    assert "db[0] is (1, 3) for (3,)" in report.notes[0] and "db[2] is (1, 1) for (1,)" in report.notes[0]


def test_a_squeezed_output_gradient_passes_with_a_note(reports):
    report = reports["squeezed_output"]
    assert report.verdict == "correct"
    assert len(report.notes) == 1 and "dW[2] is (2,) for (2, 1)" in report.notes[0]


def test_a_shape_that_changes_the_values_fails():
    a = np.arange(6.0).reshape(2, 3)
    t = a.T
    assert conform(t, a) is t                           # a transposed matrix keeps its shape, and fails
    assert conform(a.reshape(1, 2, 3), a).shape == (2, 3)
    assert conform(np.ones(3), np.ones((3, 1))).shape == (3, 1)
    assert conform(np.ones(4), np.ones((2, 2))).shape == (4,)      # same size, other non-1 sizes: not the same


def test_hard_coded_sizes_pass_where_assigned_and_say_so(reports):
    report = reports["hard_coded_sizes"]
    assert report.verdict in ("wrong", "failed") and report.exit_code == 1
    assigned, unseen = report.networks[:2]
    assert (assigned["network"], assigned["assigned"], assigned["status"], assigned["passed"]) == ("3-3-3", True, "pass", 4)
    assert unseen["network"] == "3-4-3" and not unseen["assigned"] and unseen["status"] != "pass"
    assert report.diagnosis["codes"] == ["assumed_sizes"]
    assert "seems to assume the assigned sizes" in report.diagnosis["sentence"]
    assert "3-3-3 (assigned) pass, 4 of 4 cases right" in text(report)


def test_the_number_of_files_is_limited(reports):
    report = reports["many_files"]
    assert report.verdict == "correct"                # it carried on when refused
    assert len(report.refused) == 1 and report.refused[0].endswith("cache_100.bin (more than 100 files)")


def test_the_bytes_written_in_all_are_limited(reports):
    report = reports["fills_the_disk"]
    assert report.verdict == "failed" and report.failure["kind"] == "quota"
    assert report.refused == ["writing more than 16 MB in all (stopped)"]
    assert report.seconds < 5


def test_known_mistakes_bias_sign_clipping_mean_twice(reports):
    named = {stem: [(m["mistake"], m["layers"]) for m in reports[stem].diagnosis["mistakes"]]
             for stem in ("bias_sign", "clipped", "mean_twice")}
    assert named == {"bias_sign": [("bias_sign", [1, 2, 3])], "clipped": [("clipped_value", [])],
                     "mean_twice": [("mean_twice", [])]}
    assert "clipped to ±1" in reports["clipped"].diagnosis["sentence"]
    # clipping passes every ordinary case and fails only the large one
    assert reports["clipped"].first_wrong["case"].endswith("(large gradients)")
    assert [n["passed"] for n in reports["clipped"].networks][0] == 3


@pytest.mark.parametrize("toml", ["notes_l2", "relu_bce", "tanh_mean"])
def test_the_large_case_has_gradients_beyond_one(toml):
    # by the oracle's own chain rule, not gradproof's backprop
    spec = Spec.from_toml(CATALOGUE / f"{toml}.toml")
    large = [c for c in make_cases(spec, points=4) if c.large]
    assert len(large) == 1
    x, y, W, b = as_lists(large[0].point)
    dW, db = gradients(net_of(spec), W, b if b is not None else [[0.0] * n for n in spec.layers[1:]], x, y)
    assert max(abs(v) for layer in dW for row in layer for v in row) > 1


def test_a_matplotlib_import_reads_as_unavailable_not_as_a_violation(reports):
    report = reports["imports_matplotlib"]
    assert report.verdict == "failed" and report.refused == []
    message = report.failure["message"]
    assert "No module named 'matplotlib' here" in message and "numpy and the standard library only" in message
    assert "refused" not in message


def test_the_students_chdir_does_not_break_the_harness(reports):
    assert reports["changes_folder"].verdict == "correct", text(reports["changes_folder"])


def test_student_text_is_one_quoted_line(reports):
    report = reports["forges_a_row"]
    message = report.failure["message"]
    assert message.startswith("it raised ValueError: “bad shape⏎forged.py,correct,4,4,,,⏎")
    assert not any(ch in message for ch in "\n\r\x1b\u202e")
    assert "\\x1b" in message and "\\u202e" in message
    assert not any(ch in text(report) for ch in "\r\x1b\u202e")


def test_batch_rows_for_a_gradebook(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    for stem in ("forges_a_row", "keepdims", "bias_sign", "erases_its_record"):
        shutil.copy(POLICY / f"{stem}.py", folder)
    shutil.copy(CATALOGUE / "df_missing.py", folder)
    shutil.copy(POLICY / "forges_a_row.py", folder / "evil\n,correct,.py")
    out = tmp_path / "results.csv"
    args = ["check-code", "--batch", str(folder), str(NOTES), "--max-score", "6", "--jobs", "2"]
    assert main(args + ["-o", str(out)]) == 0           # every file was checked, whatever the verdicts
    assert "checked 6 submissions" in capsys.readouterr().err
    body = out.read_text(encoding="utf-8")
    assert body.count("\n") == 7                       # a header and one line per file: nothing forged
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0])[:6] == ["file", "verdict", "score", "max_score", "diagnosis", "refused"]
    got = {r["file"]: (r["verdict"], float(r["score"]), float(r["max_score"])) for r in rows}
    assert got == {"bias_sign.py": ("wrong", 0.0, 6.0), "df_missing.py": ("wrong", 2.0, 6.0),
                   "erases_its_record.py": ("correct", 6.0, 6.0), "evil⏎,correct,.py": ("failed", 0.0, 6.0),
                   "forges_a_row.py": ("failed", 0.0, 6.0), "keepdims.py": ("correct", 6.0, 6.0)}
    # the exception's text stays inside its own row: no line begins with what it forged
    assert not [line for line in body.splitlines() if line.startswith(("forged.py", "=HYPERLINK", ",correct"))]
    refused = next(r["refused"] for r in rows if r["file"] == "erases_its_record.py")
    assert "reading /etc/shadow (outside its folder)" in refused and "exfiltrate.example.com" in refused
    assert "sign" in next(r["diagnosis"] for r in rows if r["file"] == "bias_sign.py")
    # --json lists the same
    assert main(args + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {Path(r["file"]).name: (r["verdict"], r["score"], r["max_score"]) for r in data} == got
    assert all(isinstance(r["refused"], list) and "diagnosis" in r for r in data)


def test_batch_exits_1_when_the_checker_could_not_run_a_file(tmp_path, capsys, monkeypatch):
    import gradproof.numeric.codecheck.batch as batch
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CATALOGUE / "correct_loop.py", folder / "a.py")
    shutil.copy(CATALOGUE / "sign.py", folder / "b.py")
    real = batch.check_file

    def broken(path, *args, **kwargs):
        if Path(path).name == "b.py":
            raise OSError("disk full")
        return real(path, *args, **kwargs)
    monkeypatch.setattr(batch, "check_file", broken)
    assert main(["check-code", "--batch", str(folder), str(NOTES), "--points", "2", "--jobs", "1"]) == 1
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert [(r["file"], r["verdict"]) for r in rows] == [("a.py", "correct"), ("b.py", "not_checked")]
    assert "could not be checked: disk full" in rows[1]["failure"]
    assert "the checker could not run 1" in captured.err


def test_wording_comes_from_the_rows(monkeypatch):
    """A loss row and an activation row with no wording of their own: check-code still names the mistake, in
    general words (no table keyed by name to update)."""
    from dataclasses import replace

    from gradproof.numeric import activations, losses
    monkeypatch.setitem(losses.LOSSES, "quartic", replace(losses.LOSSES["squared"], name="quartic", gradient="",
                                                           l=lambda y, o: (y - o) ** 4, dl=lambda y, o: -4 * (y - o) ** 3))
    monkeypatch.setitem(activations.ACTIVATIONS, "sin", activations.Activation(
        "sin", r"\sin", np.sin, lambda z, O, out=None: np.cos(z), lambda sp, z: sp.sin(z), lambda sp, z, O: sp.cos(z), True))
    spec = Spec(layers=(2, 3, 1), activations="sin", loss="quartic")

    def flipped(W, b, x, y):
        O = [x]
        for w in W:
            O.append(np.sin(O[-1] @ w))
        d = 4 * (y - O[-1]) ** 3                        # the sign of the loss's gradient flipped
        dW = [None, None]
        for k in (2, 1):
            g = d * np.cos(O[k - 1] @ W[k - 1])
            dW[k - 1] = O[k - 1].T @ g
            d = g @ W[k - 1].T
        return dW, None
    report = check_function(flipped, spec)
    assert [m["mistake"] for m in report.diagnosis["mistakes"]] == ["sign_data"]
    assert "the derivative of the quartic loss" in report.diagnosis["sentence"]


def test_clipping_to_a_norm_is_named_with_its_limit():
    """Scaled down to a norm of 5 over every array together, as torch.nn.utils.clip_grad_norm_ does."""
    def clipped(W, b, x, y):
        O = [x]
        for w, v in zip(W, b):
            O.append(np.tanh(O[-1] @ w + v))
        d, dW, db = 2 * (O[-1] - y), [], []
        for k in range(len(W), 0, -1):
            g = d * (1 - O[k] ** 2)
            dW.insert(0, O[k - 1].T @ g)
            db.insert(0, g.sum(axis=0))
            d = g @ W[k - 1].T
        norm = np.sqrt(sum(np.sum(a * a) for a in dW + db))
        factor = min(1.0, 5.0 / norm)
        return [a * factor for a in dW], [a * factor for a in db]

    report = check_function(clipped, Spec(layers=(3, 4, 2), activations="tanh", bias=True))
    assert [m["mistake"] for m in report.diagnosis["mistakes"]] == ["clipped_norm"]
    assert "to a norm of 5 " in report.diagnosis["sentence"]
