"""Grading against an exercise key: single answers, bad keys and answers (the whole class: test_class_replay.py)."""
import csv
import io
import json
import math
import tomllib
from pathlib import Path

import pytest

from gradproof.symbolic.cli import main

HERE = Path(__file__).parent
ASSIGNMENT = (HERE / "test_exercise.py").read_text().split('ASSIGNMENT = """', 1)[1].split('"""', 1)[0]


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keyed")
    text = ASSIGNMENT.replace("VARIANTS", "3")
    (folder / "hw.toml").write_text(text)
    assert main(["exercise", str(folder / "hw.toml"), "-o", str(folder / "hw"), "--no-pdf", "--jobs", "1"]) == 0
    shares = tomllib.loads(text)["grading"]
    return folder, json.loads((folder / "hw" / "key.json").read_text()), shares


def write_rows(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "variant", "question", "answer"])
        writer.writerows(rows)


def test_single_answer_points(capsys):
    answer = r"-2(y - \hat{y}) \hat{y}(1 - \hat{y}) O_{21}"
    assert main(["grade", "--param", "w^3_11", "--answer", answer, "--points", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["score"], data["max_score"]) == (3, 3)
    assert main(["grade", "--param", "w^3_11", "--answer", "q_7", "--points", "3", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert (data["score"], data["max_score"]) == (0, 0)


def test_key_not_matching_the_answers(key_dir, tmp_path, capsys):
    folder, key, _ = key_dir
    answers = tmp_path / "answers.csv"
    vid = key["variants"][0]["variant"]
    # a row whose variant or blank is not in the key is its own invalid row; the rest of the class is graded
    write_rows(answers, [("ann", vid, "2", "0.1"), ("bob", "v07-000000", "2", "0.1"), ("ann", vid, "3.delta 31", "1")])
    out = tmp_path / "scores.csv"
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(answers), "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["verdict"] for r in rows] == ["incorrect", "invalid", "invalid"]
    assert "v07-000000" in rows[1]["feedback"] and "3.delta 31" in rows[2]["feedback"]
    # no row matches: the key does not match the answers, one line and nothing written
    out.unlink()
    capsys.readouterr()
    write_rows(answers, [("ann", vid, "9", "0.1")])
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(answers), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "blank '9'" in err and "does not match" in err and err.count("\n") == 1 and not out.exists()


def test_grade_one_blank_from_the_library(key_dir):
    from gradproof.symbolic.exercise.grading import KeyGrader
    folder, key, shares = key_dir
    grader = KeyGrader.from_file(folder / "hw" / "key.json")
    v = key["variants"][1]
    blank = v["questions"][1]["blanks"][0]
    r = grader.grade(v["variant"], blank["blank"], repr(-blank["answer"]))
    assert (r.verdict, r.diagnosis) == ("incorrect", ["sign"])
    assert r.score == pytest.approx(blank["points"] * shares["sign"]) and r.max_score == blank["points"]
    other = key["variants"][0]["questions"][1]["blanks"][0]["answer"]
    assert not math.isclose(other, blank["answer"], rel_tol=1e-3)
    assert grader.grade(v["variant"], blank["blank"], repr(other)).verdict == "incorrect"


@pytest.mark.parametrize("rules, check", [
    ({"feedback": "full"}, lambda sign, bad, empty: "at your point" in sign.feedback.lower() and "sign" in sign.diagnosis),
    ({"feedback": "verdict"}, lambda sign, bad, empty: sign.feedback == "**Incorrect.**" and sign.score > 0),
    ({"feedback": "diagnosis"}, lambda sign, bad, empty: "at your point" not in sign.feedback.lower()
     and "sign is wrong" in sign.feedback),
    ({"unreadable": "retry"}, lambda sign, bad, empty: (bad.score, bad.max_score) == (0, 0) and "costs nothing" in bad.feedback
     and empty.max_score > 0),
    ({"blank": "retry"}, lambda sign, bad, empty: (empty.score, empty.max_score) == (0, 0) and bad.max_score > 0),
    ({"decimals": 4}, lambda sign, bad, empty: sign.score == round(sign.max_score * 0.5, 4)),
])
def test_grading_rules_from_the_key(key_dir, rules, check):
    """[grading]'s settings, as the key carries them, change scores and feedback as the README says."""
    from gradproof.symbolic.exercise.grading import KeyGrader
    folder, key, shares = key_dir
    grader = KeyGrader({**key, "grading": {**key["grading"], **rules}})
    v = key["variants"][0]
    blank = v["questions"][1]["blanks"][0]
    sign = grader.grade(v["variant"], blank["blank"], repr(-blank["answer"]))
    bad = grader.grade(v["variant"], blank["blank"], "0.5e")
    empty = grader.grade(v["variant"], blank["blank"], "  ")
    assert bad.verdict == empty.verdict == "invalid" and empty.empty
    assert check(sign, bad, empty), (sign.feedback, bad.feedback, empty.feedback)


def test_bad_grading_settings_are_named(tmp_path):
    from gradproof.numeric.errors import GradproofError
    from gradproof.symbolic.exercise import assignment as assignment_file
    for line, message in (('feedback = "loud"', "unknown feedback level 'loud'"), ("blank = 1", "blank must be 0"),
                          ("carried = 2", "between 0 and 1"), ("signn = 0.5", "unknown mistake or setting")):
        path = tmp_path / "hw.toml"
        path.write_text(ASSIGNMENT.replace("VARIANTS", "1").replace("sign = 0.5", f"sign = 0.5\n{line}"))
        with pytest.raises(GradproofError, match=message):
            assignment_file.load(path)
