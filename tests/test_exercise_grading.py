"""Grading against an exercise key: a synthetic class whose every score is checked against the [grading]
shares, computed here from the assignment file; totals; the class report; bad keys and answers."""
import csv
import io
import json
import math
import tomllib
from pathlib import Path

import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.point import from_mapping
from gradproof.numeric.spec import Spec
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


def expected_share(shares, codes):
    """Independent of the library: each diagnosed mistake keeps its listed share, several multiply, unlisted 0."""
    if not codes:
        return 0.0
    out = 1.0
    for c in codes:
        out *= shares.get(c, 0.0)
    return out


def one_path_of_w111(point):
    """dL/dw^1_11 through O_21 only (the path through O_22 left out), by hand from the forward values."""
    fwd = backprop(Spec(), point).forward
    O1, O2, O3 = fwd.O[1][0], fwd.O[2][0], fwd.O[3][0]
    y, x, W = point.y[0, 0], point.x[0, 0], point.W
    return (2 * (O3[0] - y) * O3[0] * (1 - O3[0]) * W[2][0, 0] * O2[0] * (1 - O2[0]) * W[1][0, 0]
            * O1[0] * (1 - O1[0]) * x)


def synthetic_class(key):
    """Rows (id, variant, question, answer) and what each should get: (verdict, codes)."""
    rows, expect = [], []

    def add(student, variant, blank, answer, verdict, codes=()):
        rows.append((student, variant, blank, answer))
        expect.append((verdict, tuple(codes)))

    for v in key["variants"]:
        vid = v["variant"]
        point = from_mapping(v["point"], Spec())
        for q in v["questions"]:
            for b in q["blanks"]:
                a = b["answer"]
                tail = b["blank"].split(".", 1)[1] if "." in b["blank"] else ""
                right = a if isinstance(a, str) else repr(a)
                add(f"right-{vid}", vid, b["blank"], right, "correct")
                if isinstance(a, str):                        # the expression
                    add(f"sign-{vid}", vid, b["blank"], f"-({a})", "incorrect", ["sign"])
                    add(f"factor-{vid}", vid, b["blank"], f"2({a})", "incorrect", ["factor"])
                    only = (r"2(O_{31}-y)O_{31}(1-O_{31})w^{3}_{11}O_{21}(1-O_{21})w^{2}_{11}"
                            r"O_{11}(1-O_{11})x_{1}")
                    assert float(one_path_of_w111(point)) != 0
                    add(f"path-{vid}", vid, b["blank"], only, "incorrect", ["missing_path"])
                    add(f"unread-{vid}", vid, b["blank"], r"\frac{O_{31}", "invalid")
                elif isinstance(a, int):                      # paths
                    add(f"sign-{vid}", vid, b["blank"], str(a + 1), "incorrect")
                elif q["kind"] == "step" and tail.startswith("w^"):
                    lr, w = q["lr"], None
                    g = next(x["answer"] for x in q["blanks"] if x["blank"] == f"{q['question']}.dL/d{tail}")
                    w = a + lr * g
                    add(f"sign-{vid}", vid, b["blank"], repr(w + lr * g), "incorrect", ["sign"])
                    add(f"factor-{vid}", vid, b["blank"], repr(w - 2 * lr * g), "incorrect", ["factor"])
                else:
                    add(f"sign-{vid}", vid, b["blank"], repr(-a), "incorrect", ["sign"])
                    add(f"factor-{vid}", vid, b["blank"], repr(2 * a), "incorrect", ["factor"])
                    add(f"unread-{vid}", vid, b["blank"], "0.1 +* 2", "invalid")
    return rows, expect


def write_rows(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "variant", "question", "answer"])
        writer.writerows(rows)


def test_synthetic_class_scores(key_dir, tmp_path):
    folder, key, shares = key_dir
    rows, expect = synthetic_class(key)
    answers = tmp_path / "answers.csv"
    write_rows(answers, rows)
    out, totals, report = tmp_path / "scores.csv", tmp_path / "totals.csv", tmp_path / "report.html"
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(answers), "-o", str(out),
                 "--totals", str(totals), "--report", str(report), "--jobs", "2"]) == 0
    results = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(results[0]) == ["id", "variant", "question", "score", "max_score", "verdict", "diagnosis", "feedback"]
    assert len(results) == len(rows)
    points = {(v["variant"], b["blank"]): b["points"] for v in key["variants"] for q in v["questions"] for b in q["blanks"]}
    by_student = {}
    for (student, vid, blank, _), (verdict, codes), r in zip(rows, expect, results):
        assert (r["id"], r["variant"], r["question"]) == (student, vid, blank)
        assert r["verdict"] == verdict, (student, blank, r["feedback"])
        got_codes = tuple(c for c in r["diagnosis"].split(";") if c)
        if verdict == "incorrect":
            assert got_codes == codes, (student, blank, r["feedback"])
        p = points[(vid, blank)]
        want = {"correct": p, "invalid": 0.0}.get(verdict, p * expected_share(shares, codes))
        assert float(r["score"]) == pytest.approx(want, abs=1e-9)
        assert float(r["max_score"]) == pytest.approx(0.0 if verdict == "invalid" else p)
        if verdict == "incorrect" and codes:
            assert "your point" in r["feedback"]
        t = by_student.setdefault(student, [0.0, 0.0])
        t[0] += want
        t[1] += 0.0 if verdict == "invalid" else p
    table = {t["id"]: t for t in csv.DictReader(io.StringIO(totals.read_text()))}
    assert set(table) == set(by_student)
    for student, (score, max_score) in by_student.items():
        assert float(table[student]["score"]) == pytest.approx(score, abs=1e-8)
        assert float(table[student]["max_score"]) == pytest.approx(max_score, abs=1e-8)
    page = report.read_text()
    assert "data:image/png;base64," in page and "<script" not in page and "http" not in page.replace(
        "http://www.w3.org/1998/Math/MathML", "").replace("http://www.w3.org/2000/svg", "")
    assert "Unreadable answers" in page and "unread-" in page and "missing_path" in page


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
    write_rows(answers, [("ann", vid, "2", "0.1"), ("bob", "v07-000000", "2", "0.1")])
    out = tmp_path / "scores.csv"
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(answers), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "row 3" in err and "v07-000000" in err and err.count("\n") == 1
    assert not out.exists()
    write_rows(answers, [("ann", vid, "9", "0.1")])
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(answers), "-o", str(out)]) == 2
    assert "blank '9'" in capsys.readouterr().err and not out.exists()


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
