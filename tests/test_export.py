"""Exports to course platforms: what every platform shares (same inputs give the same bytes, bad input gets
one line), and Gradescope's results.json against gradescope-utils' own JSON test runner.

Each platform is checked with its own code in tests/test_platform_<platform>.py.
"""
import csv
import io
import json
import os
import subprocess
import unittest
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gradproof.symbolic.cli import main
from gradproof.symbolic.exercise.grading import KeyGrader
from gradproof.symbolic.export import export


@pytest.fixture(scope="module")
def folder(reference_exercise):
    return reference_exercise


@pytest.fixture(scope="module")
def key(folder):
    return json.loads((folder / "key.json").read_text())


@pytest.fixture(scope="module")
def grader(key):
    return KeyGrader(key)


def blanks(key):
    for v in key["variants"]:
        for q in v["questions"]:
            for b in q["blanks"]:
                yield v, q, b


# ---- Gradescope ---------------------------------------------------------------------------------------
class _Reference(unittest.TestCase):
    """A two-test suite run through gradescope-utils' JSON test runner: the reference for results.json."""

    __test__ = False            # run by reference_results, not collected by pytest

    def test_right(self):
        pass

    def test_wrong(self):
        self.fail("wrong")


def reference_results():
    weighted = pytest.importorskip("gradescope_utils.autograder_utils.decorators").weight
    runner = pytest.importorskip("gradescope_utils.autograder_utils.json_test_runner").JSONTestRunner
    suite_class = type("Ref", (_Reference,), {
        "test_right": weighted(1)(_Reference.test_right), "test_wrong": weighted(2)(_Reference.test_wrong)})
    stream = io.StringIO()
    runner(stream=stream, visibility="visible").run(unittest.defaultTestLoader.loadTestsFromTestCase(suite_class))
    return json.loads(stream.getvalue())


def run_autograder(folder, root, submission, roster=None, metadata=None):
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    zip_path = export(folder, "gradescope", root / "autograder.zip", **({"roster": roster} if roster else {}))
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    for name, text in submission.items():
        (root / "submission" / name).write_text(text)
    if metadata:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    env = {"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_gradescope(folder, key, grader, tmp_path):
    reference = reference_results()
    v = key["variants"][4]
    answers = {b["blank"]: str(b["answer"]) for q in v["questions"] for b in q["blanks"]}
    answers["2"] = np.format_float_positional(-v["questions"][1]["blanks"][0]["answer"])     # a sign slip
    answers["3.loss"] = "\\frac{1}{"                                         # unreadable
    results = run_autograder(folder, tmp_path / "a", {"answers.json": json.dumps({"variant": v["variant"],
                                                                                  "answers": answers})})
    # every field gradescope-utils writes, with the same type (a leaderboard is optional, and none is kept;
    # execution_time is a number of seconds in docs/specs.md, which gradescope-utils writes as text)
    for field_name, value in reference.items():
        if field_name == "execution_time":
            assert isinstance(results[field_name], (int, float)) and float(value) >= 0
        elif field_name not in ("tests", "leaderboard"):
            assert isinstance(results[field_name], type(value)), field_name
    def kind(value):
        return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__
    for field_name, value in reference["tests"][0].items():
        for t in results["tests"]:
            assert kind(t[field_name]) == kind(value), field_name
    assert all(t["output_format"] == "md" and t["status"] in ("passed", "failed") for t in results["tests"])
    total = 0
    mine_all = {g.question: g for g in grader.grade_submission(v["variant"], answers)}
    for t in results["tests"]:
        mine = mine_all[t["number"]]
        assert t["extra_data"]["verdict"] == mine.verdict
        assert t["score"] == pytest.approx(mine.score)
        total += mine.exact
        if mine.verdict == "invalid":
            assert t["score"] == 0 and t["output"].startswith("**Invalid**") and t["max_score"] > 0
    assert results["score"] == grader.grading.rounded(total)        # the exact total, rounded once
    sign = next(t for t in results["tests"] if t["number"] == "2")
    assert sign["score"] == pytest.approx(0.5 * sign["max_score"]) and "sign" in sign["extra_data"]["diagnosis"]


def test_gradescope_csv_and_roster(folder, key, grader, tmp_path):
    v = key["variants"][7]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["question", "answer"])
    for q in v["questions"]:
        for b in q["blanks"]:
            writer.writerow([b["blank"], b["answer"]])
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student,variant\nsomeone@example.edu,{key['variants'][0]['variant']}\n"
                      f"ada@example.edu,{v['variant']}\n")
    results = run_autograder(folder, tmp_path / "b", {"answers.csv": buffer.getvalue()}, roster=str(roster),
                             metadata={"users": [{"email": "Ada@example.edu", "name": "Ada", "sid": "7"}]})
    assert results["extra_data"]["variant"] == v["variant"]
    assert results["score"] == pytest.approx(sum(float(q["points"]) for q in v["questions"]))
    unknown = run_autograder(folder, tmp_path / "c", {"answers.csv": buffer.getvalue()})
    assert unknown["score"] == 0 and "variant" in unknown["output"]


# ---- all platforms ------------------------------------------------------------------------------------
def tree_bytes(path):
    path = Path(path)
    if path.is_file():
        return path.read_bytes()
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("platform", ["moodle", "canvas", "prairielearn", "gradescope"])
def test_same_inputs_same_bytes(folder, tmp_path, platform):
    first = tree_bytes(export(folder, platform, tmp_path / "one"))
    second = tree_bytes(export(folder, platform, tmp_path / "two"))
    assert first == second


def test_bad_input(folder, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["export", str(tmp_path / "empty"), "--to", "moodle"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "was not written by 'gradproof exercise'" in err and "Traceback" not in err
    assert main(["export", str(folder), "--to", "blackboard"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown platform 'blackboard'; valid: moodle, canvas, prairielearn, gradescope" in err
    assert main(["export", str(tmp_path / "nowhere"), "--to", "canvas"]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["export", str(folder), "--to", "moodle", "-o", str(tmp_path / "no" / "dir" / "m.xml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.tmp")) and not (tmp_path / "no").exists()
