"""PrairieLearn: the exported course run through PrairieLearn's own code.

tests/platforms/pl_harness.py drives each question as PrairieLearn does (question-servers/freeform.ts):
server.py loaded as zygote.py loads it, the elements' own Python (prairielearn.internal.question_phases and
elements/pl-string-input), PrairieLearn's data checks after every phase, its score rule, and the "Test"
button's comparison (lib/question-testing.ts). It runs under PrairieLearn's Python: 3.13 with its pinned
numpy 2.4.6 and sympy 1.14.0. The PrairieLearn checkout and that Python are found from
GRADPROOF_PRAIRIELEARN (apps/prairielearn of a checkout) and GRADPROOF_PL_PYTHON, else under
~/.cache/gradproof/platforms/ (prairielearn/apps/prairielearn and pl-venv-3.13); PrairieLearn is not on a
package index, so without them the same cases run with server.py alone (the elements left out) and the
element checks are skipped with that reason. The JSON files are validated with PrairieLearn's schemas
(src/schemas/schemas) where the checkout is present.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradproof.symbolic.exercise.grading import KeyGrader
from gradproof.symbolic.export import export, prairielearn

CACHE = Path(os.environ.get("GRADPROOF_PLATFORMS", Path.home() / ".cache" / "gradproof" / "platforms"))
APP = Path(os.environ.get("GRADPROOF_PRAIRIELEARN", CACHE / "prairielearn" / "apps" / "prairielearn"))
PL_PYTHON = Path(os.environ.get("GRADPROOF_PL_PYTHON", CACHE / "pl-venv-3.13" / "bin" / "python"))
HARNESS = Path(__file__).parent / "platforms" / "pl_harness.py"
REAL = (APP / "python" / "prairielearn").is_dir() and PL_PYTHON.is_file()
WHY = f"PrairieLearn's code or its Python 3.13 is not here ({APP}, {PL_PYTHON})"

ADA = {"uid": "ada@example.edu", "uin": "100", "name": "Ada"}
ZOE = {"uid": "zoe@example.edu", "uin": None, "name": "Zoe"}


@pytest.fixture(scope="module")
def key(reference_exercise):
    return json.loads((reference_exercise / "key.json").read_text())


@pytest.fixture(scope="module")
def course(reference_exercise, key, tmp_path_factory):
    root = tmp_path_factory.mktemp("pl")
    roster = root / "roster.csv"
    roster.write_text(f"id,variant\nADA@example.edu,{key['variants'][7]['variant']}\n")
    return export(reference_exercise, "prairielearn", root / "course", roster=str(roster))


def harness(course, cases):
    python = str(PL_PYTHON) if REAL else sys.executable
    done = subprocess.run([python, "-I", str(HARNESS), str(APP) if REAL else "-", str(course)],
                          input=json.dumps(cases), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def typed(value):
    """As a student types what the page asks: a number to 6 significant figures, the key's LaTeX expression."""
    return str(value) if isinstance(value, (int, str)) else f"{float(value):.6g}"


def qids(course):
    return sorted(p.name for p in (course / "questions").iterdir())


def entry(key, variant, question):
    v = next(v for v in key["variants"] if v["variant"] == variant)
    return next(q for q in v["questions"] if q["question"] == question)


@pytest.fixture(scope="module")
def run(course, key):
    """One harness run for the module's cases: every question for Ada (roster), Zoe (drawn from her UID) and
    no user; correct answers, mistakes, LaTeX numbers, and the Test button's three submissions."""
    cases, labels = [], []
    v7 = key["variants"][7]["variant"]
    for qid in qids(course):
        data = json.loads((course / "questions" / qid / "data.json").read_text())
        question = data["variants"][0]["questions"][0]["question"]
        names = data["names"]
        for who, user in (("ada", ADA), ("zoe", ZOE), ("none", None)):
            cases.append({"question": qid, "user": user, "seed": 11, "answers": {}})
            labels.append((qid, who, "variant"))
        blanks = entry(key, v7, question)["blanks"]
        right = {names[b["blank"]]: typed(b["answer"]) for b in blanks}
        cases.append({"question": qid, "user": ADA, "seed": 3, "answers": right, "render": True})
        labels.append((qid, "ada", "right"))
        wrong = {names[b["blank"]]: (typed(-b["answer"]) if isinstance(b["answer"], float) else typed(b["answer"]))
                 for b in blanks}
        cases.append({"question": qid, "user": ADA, "seed": 3, "answers": wrong, "render": True})
        labels.append((qid, "ada", "sign"))
        latex = {names[b["blank"]]: (f"{b['answer'] * 1e3:.6g} \\times 10^{{-3}}" if isinstance(b["answer"], float)
                                     else typed(b["answer"])) for b in blanks}
        cases.append({"question": qid, "user": ADA, "seed": 3, "answers": latex})
        labels.append((qid, "ada", "latex"))
        for test_type in ("correct", "incorrect", "invalid"):
            cases.append({"question": qid, "user": ADA, "seed": 5, "test_type": test_type})
            labels.append((qid, "ada", test_type))
        if any(b["blank"].endswith(".delta_31") for b in blanks):
            cases.append({"question": qid, "user": ADA, "seed": 3, "answers": {
                names[b]: a for b, a in carried_step(blanks).items()}})
            labels.append((qid, "ada", "carried"))
    return dict(zip(labels, harness(course, cases)))


def carried_step(blanks, lr=0.5):
    """A step typed by a student who doubled the output δ and carried it through: every δ and gradient twice the
    key's, every new weight w - η (2g) = (w - η g) - η g (lr: REFERENCE_ASSIGNMENT's)."""
    key_of = {b["blank"]: b["answer"] for b in blanks}
    out = {}
    for blank, answer in key_of.items():
        head, tail = blank.split(".", 1)
        if tail.startswith(("delta", "dL/d")):
            out[blank] = typed(2 * answer)
        elif tail.startswith("w^"):
            out[blank] = f"{answer - lr * key_of[f'{head}.dL/d{tail}']:.8f}"
        else:
            out[blank] = typed(answer)
    return out


def test_one_slip_in_a_step_costs_its_own_blank(run, key):
    [(label, result)] = [(k, r) for k, r in run.items() if k[2] == "carried"]
    submission = result["submission"]
    below = {n: p["score"] for n, p in submission["partial_scores"].items() if p["score"] != 1}
    assert list(below) == ["b3_delta_31"] and below["b3_delta_31"] == 1 - key["grading"]["factor"], below
    blanks = len(submission["partial_scores"])
    assert submission["score"] == (blanks - key["grading"]["factor"]) / blanks


def test_one_network_per_student(run, course, key):
    for who, expected in (("ada", key["variants"][7]["variant"]), ("zoe", None)):
        variants = {run[(q, who, "variant")]["variant"] for q in qids(course)}
        assert len(variants) == 1, (who, variants)
        assert expected is None or variants == {expected}
        assert not any(run[(q, who, "variant")]["seeded"] for q in qids(course))
    assert all(run[(q, "none", "variant")]["seeded"] for q in qids(course))


def test_scores_are_the_key_graders(run, course, key):
    grader = KeyGrader(key)
    v7 = key["variants"][7]["variant"]
    for qid in qids(course):
        data = json.loads((course / "questions" / qid / "data.json").read_text())
        names = {n: b for b, n in data["names"].items()}
        right = run[(qid, "ada", "right")]["submission"]
        assert right["gradable"] and right["score"] == 1.0, (qid, right["feedback"])
        assert run[(qid, "ada", "latex")]["submission"]["score"] == 1.0, qid
        sign = run[(qid, "ada", "sign")]["submission"]
        raw = sign["raw_submitted_answers"]
        earned = possible = 0.0
        question = data["variants"][0]["questions"][0]["question"]
        mine_all = {g.question: g for g in grader.grade_submission(v7, {names[n]: raw[n] for n in raw}, {question})}
        for name, got in sign["partial_scores"].items():
            mine = mine_all[names[name]]
            points = data["points"][names[name]]
            assert got["weight"] == points
            assert got["score"] == pytest.approx(float(mine.exact / mine.exact_max), abs=1e-9), (qid, name, mine.diagnosis)
            earned += float(mine.exact)
            possible += points
        assert sign["score"] == pytest.approx(earned / possible, abs=1e-9)


@pytest.mark.skipif(not REAL, reason=WHY)
def test_feedback_shown_once_as_text(run, course):
    for qid in qids(course):
        result = run[(qid, "ada", "sign")]
        html = result["html"]
        given = list(result["submission"]["feedback"].values())
        for feedback in given:
            shown = feedback.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            # the default feedback names the mistake without values, so blanks may share one text
            assert html.count(shown) == given.count(feedback), (qid, feedback)
        assert "&lt;p&gt;" not in html and "&lt;em&gt;" not in html


@pytest.mark.skipif(not REAL, reason=WHY)
def test_test_button_passes(run, course):
    for qid in qids(course):
        for test_type in ("correct", "incorrect", "invalid"):
            assert run[(qid, "ada", test_type)]["test"]["issues"] == [], (qid, test_type)
        assert run[(qid, "ada", "correct")]["test"]["score"] == 1.0


@pytest.mark.skipif(not (APP / "src" / "schemas" / "schemas").is_dir(), reason=WHY)
def test_json_files_match_prairielearns_schemas(course, key):
    jsonschema = pytest.importorskip("jsonschema")
    schemas = APP / "src" / "schemas" / "schemas"
    question = json.loads((schemas / "infoQuestion.json").read_text())
    for qid in qids(course):
        jsonschema.validate(json.loads((course / "questions" / qid / "info.json").read_text()), question)
    [assessment] = (course / "assessments").glob("*/infoAssessment.json")
    info = json.loads(assessment.read_text())
    jsonschema.validate(info, json.loads((schemas / "infoAssessment.json").read_text()))
    listed = [q["id"] for z in info["zones"] for q in z["questions"]]
    assert listed == qids(course)
    points = [q["autoPoints"] for z in info["zones"] for q in z["questions"]]
    assert points == [q["points"] for q in key["variants"][0]["questions"]]


def test_group_assessments_keep_one_variant_per_group(course):
    from gradproof.symbolic.export import pl_runtime
    bundle = json.loads((course / "questions" / qids(course)[0] / "data.json").read_text())
    team = {"name": "Group 7", "members": [{"uid": "x@example.edu", "uin": None, "name": "X"}]}
    first, how = pl_runtime.choose(bundle, None, 1, team)
    assert how == "group" and all(pl_runtime.choose(bundle, None, seed, team)[0] == first for seed in range(5))
    listed = {"name": "Group 8", "members": [{"uid": "z@example.edu", "uin": None, "name": "Z"},
                                             {"uid": "ada@example.edu", "uin": None, "name": "Ada"}]}
    assert pl_runtime.choose(bundle, None, 1, listed) == (bundle["roster"]["ada@example.edu"], "roster")


def test_answer_names_are_prairielearn_names():
    assert prairielearn.answer_name("3.dL/dw^2_11") == "b3_dLdw2_11"
