"""Gradescope: the exported autograder run as Gradescope runs it, on the Pythons of its images.

Gradescope's default base image is Ubuntu 22.04 with Python 3.10; newer images have 3.12 and follow PEP 668
(gradescope/autograder_samples, docs/base_images.md). For each Python here (pyenv's 3.10 and 3.12;
a version this machine lacks is skipped with that reason) the zip is unpacked into a folder laid out like
/autograder, its own setup.sh runs (a virtual environment, numpy and sympy from the package index) and
run_autograder grades submissions: results.json is checked against the fields of docs/specs.md and
every score against `gradproof grade --key`'s grader, computed here.
"""
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from gradproof.symbolic.exercise.grading import KeyGrader
from gradproof.symbolic.export import export

PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
SPEC_FIELDS = {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility", "tests",
               "extra_data"}
TEST_FIELDS = {"score", "max_score", "status", "name", "number", "output", "output_format", "visibility",
               "extra_data"}


def python(version):
    found = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
    return found[-1] if found else shutil.which(f"python{version}")


@pytest.fixture(scope="module")
def key(reference_exercise):
    return json.loads((reference_exercise / "key.json").read_text())


# CI runs the suite twice (editable, then a wheel install); the second pass checks the default image's 3.10 only
VERSIONS = ["3.10"] if os.environ.get("GRADPROOF_TEST_INSTALL") == "wheel" else ["3.10", "3.12"]


@pytest.fixture(scope="module", params=VERSIONS)
def image(request, reference_exercise, tmp_path_factory):
    """/autograder after setup.sh ran with this Python: (root, interpreter)."""
    interpreter = python(request.param)
    if interpreter is None:
        pytest.skip(f"no Python {request.param} on this machine (pyenv provides it here and in CI)")
    root = tmp_path_factory.mktemp(f"autograder{request.param}")
    roster = root / "roster.csv"
    v = json.loads((reference_exercise / "key.json").read_text())["variants"]
    roster.write_text(f"id,variant\nada@example.edu,{v[7]['variant']}\nbob@example.edu,{v[3]['variant']}\n")
    zip_path = export(reference_exercise, "gradescope", root / "autograder.zip", roster=str(roster),
                      code="backprop.py")
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    env = {"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root), "PYTHON": str(interpreter),
           "HOME": os.environ.get("HOME", "/root")}
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    venv_python = root / "venv" / "bin" / "python"
    version = subprocess.run([str(venv_python), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    assert version == str(tuple(int(p) for p in request.param.split("."))), version
    return root, request.param


def run(root, files, metadata=None):
    """run_autograder on a fresh submission; the results.json it wrote."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    submission.mkdir()
    for name, text in files.items():
        (submission / name).write_text(text)
    meta = root / "submission_metadata.json"
    meta.unlink(missing_ok=True)
    if metadata is not None:
        meta.write_text(json.dumps(metadata))
    env = {"PATH": "/usr/bin:/bin", "AUTOGRADER_ROOT": str(root)}     # no pyenv shims: the venv's Python only
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert set(results) <= SPEC_FIELDS and {"score", "tests"} <= set(results)
    for t in results["tests"]:
        assert set(t) <= TEST_FIELDS and t["status"] in ("passed", "failed") and t["output_format"] in ("md", "text")
    return results


def user(email):
    return {"users": [{"email": email, "id": 1234, "name": "A Student"}]}


def typed(value):
    """An answer as a student types it: a number to 6 significant figures, an expression as the key writes it."""
    return str(value) if isinstance(value, (int, str)) else f"{float(value):.6g}"


def test_runs_and_grades_as_the_key_grader(image, key):
    root, version = image
    grader = KeyGrader(key)
    v = key["variants"][7]
    answers = {b["blank"]: typed(b["answer"]) for q in v["questions"] for b in q["blanks"]}
    right = run(root, {"answers.json": json.dumps({"variant": v["variant"], "answers": answers})},
                user("Ada@example.edu"))
    possible = sum(float(q["points"]) for q in v["questions"])
    assert right["score"] == possible, (version, right["output"])
    assert all(t["status"] == "passed" for t in right["tests"])
    # a sign slip on the gradient, an unreadable loss: each scored as the key grader scores it
    gradient = next(q for q in v["questions"] if q["kind"] == "gradient")["blanks"][0]
    answers[gradient["blank"]] = typed(-gradient["answer"])
    loss = next(b for q in v["questions"] for b in q["blanks"] if b["blank"].endswith(".loss"))
    answers[loss["blank"]] = "\\frac{1}{"
    mixed = run(root, {"answers.json": json.dumps({"answers": answers})}, user("ada@example.edu"))
    for t in mixed["tests"]:
        mine = grader.grade(v["variant"], t["number"], answers.get(t["number"]))
        assert t["extra_data"]["verdict"] == mine.verdict and t["score"] == pytest.approx(mine.score, abs=1e-9)
    sign = next(t for t in mixed["tests"] if t["number"] == gradient["blank"])
    assert "sign" in sign["extra_data"]["diagnosis"] and 0 < sign["score"] < sign["max_score"]


def test_roster_and_code_file(image, key):
    root, version = image
    v = key["variants"]
    answers = {b["blank"]: typed(b["answer"]) for q in v[7]["questions"] for b in q["blanks"]}
    # Bob's roster variant is v[3]: answers declared for Ada's variant are not graded
    other = run(root, {"answers.json": json.dumps({"variant": v[7]["variant"], "answers": answers})},
                user("bob@example.edu"))
    assert other["score"] == 0 and v[3]["variant"] in other["output"]
    # a helper module beside the named file is not run; the named file is checked per layer
    code = run(root, {"backprop.py": BACKWARD, "helpers.py": "raise SystemExit('never run')\n"},
               user("ada@example.edu"))
    names = [t["name"] for t in code["tests"]]
    assert names and all(n.startswith("backprop.py") for n in names), names
    assert all(t["status"] == "passed" for t in code["tests"]), version


BACKWARD = '''
import numpy as np


def backward(W, b, x, y):
    O = [x]
    for Wk in W:
        O.append(1 / (1 + np.exp(-(O[-1] @ Wk))))
    g = 2 * (O[-1] - y) * O[-1] * (1 - O[-1])
    dW = [None] * len(W)
    for k in range(len(W) - 1, -1, -1):
        dW[k] = O[k].T @ g
        g = (g @ W[k].T) * O[k] * (1 - O[k])
    return dW, None
'''


def test_one_slip_in_a_step_costs_its_own_blank(image, key):
    """A doubled output δ carried through the step: the hidden δ's, the gradients and the new weights the student
    computes from it are all twice the key's contribution, and each of them is right from the student's own
    numbers. Only the δ's blank loses points: the factor mistake's share of it."""
    root, version = image
    v = key["variants"][7]
    step = next(q for q in v["questions"] if q["kind"] == "step")
    lr = 0.5                                                     # REFERENCE_ASSIGNMENT's step
    answers = {b["blank"]: typed(b["answer"]) for q in v["questions"] for b in q["blanks"]}
    key_of = {b["blank"]: b["answer"] for b in step["blanks"]}
    for blank, answer in key_of.items():
        tail = blank.split(".", 1)[1]
        if tail.startswith(("delta", "dL/d")):                   # linear in the output δ: doubled
            answers[blank] = typed(2 * answer)
        elif tail.startswith("w^"):                              # w - η (2g) = (w - η g) - η g
            g = key_of[f"{step['question']}.dL/d{tail}"]
            answers[blank] = f"{answer - lr * g:.8f}"
    results = run(root, {"answers.json": json.dumps({"variant": v["variant"], "answers": answers})},
                  user("ada@example.edu"))
    output_delta = next(b for b in step["blanks"] if b["blank"].endswith("delta_31"))
    lost = {t["number"]: t["max_score"] - t["score"] for t in results["tests"] if t["score"] != t["max_score"]}
    assert list(lost) == [output_delta["blank"]], (version, lost)
    possible = sum(float(q["points"]) for q in v["questions"])
    expected = round(possible - float(output_delta["points"]) * (1 - key["grading"]["factor"]) + 1e-12, 2)
    assert results["score"] == expected, (version, results["score"], expected)
