"""A whole class replayed through `grade --key`: every student's score checked against an independent computation
written here (exact fractions from the assignment's points and shares, the network's numbers by hand), the
same in totals.csv, the class report and Gradescope's results.json.

The class: right answers; each diagnosed mistake; Leibniz and δ shortcuts on a closed-form question; 0 and ±1;
blanks; unreadable answers; duplicates (last row, or latest time); a student answering another's variant
(the roster); a step whose output δ is wrong and every later value carried forward from it. Random numbers are
graded apart: at most 1% of them may receive any credit.
"""
import csv
import io
import json
import random
import re
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest

from gradproof.numeric.backprop import forward
from gradproof.numeric.point import from_mapping
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

ASSIGNMENT = """
[assignment]
title = "Replay"
seed = 2026
variants = 3
[[question]]
kind = "expression"
param = "w^1_11"
points = 4
[[question]]
kind = "gradient"
param = "w^2_11"
points = 2
[[question]]
kind = "step"
lr = 0.5
points = 4
params = ["w^1_21", "w^2_12", "w^3_11"]
[[question]]
kind = "paths"
param = "w^1_21"
points = 1
[[question]]
kind = "flow"
param = "w^1_11"
points = 3
[grading]
sign = 0.5
factor = 0.5
missing_path = 0.25
rounding = 0.25
"""
SHARES = tomllib.loads(ASSIGNMENT)["grading"]
ONE_PATH = r"2(O_{31}-y)O_{31}(1-O_{31})w^{3}_{11}O_{21}(1-O_{21})w^{2}_{11}O_{11}(1-O_{11})x_{1}"
LEIBNIZ = r"\frac{\partial L}{\partial O_{11}}\frac{\partial O_{11}}{\partial w^1_{11}}"
DELTA_FORM = r"\delta_{11} O_{11}(1-O_{11}) x_1"


def money(value):
    """Rounded once, half up, to 2 decimals (the default [grading] decimals)."""
    return float((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def share(*codes):
    out = Fraction(1)
    for c in codes:
        out *= Fraction(str(SHARES.get(c, 0)))
    return out


def carried_step(key_variant, step, factor=2.0):
    """The step's values when the output δ is `factor` times its key value and everything after it is computed
    from it by hand (sigmoid network, squared loss, no bias): {blank: value}."""
    spec = Spec()
    point = from_mapping(key_variant["point"], spec)
    fwd = forward(spec, point)
    O = [o[0] for o in fwd.O]
    W = point.W
    blanks = {b["blank"]: b["answer"] for b in step["blanks"]}
    d3 = np.array([blanks["3.delta_31"] * factor], dtype=float)
    d2 = np.array([sum(d3[m] * O[3][m] * (1 - O[3][m]) * W[2][j, m] for m in range(1)) for j in range(2)])
    d1 = np.array([sum(d2[m] * O[2][m] * (1 - O[2][m]) * W[1][i, m] for m in range(2)) for i in range(3)])
    deltas = {1: d1, 2: d2, 3: d3}
    out = {"3.delta_31": d3[0], "3.delta_21": d2[0], "3.delta_22": d2[1],
           "3.delta_11": d1[0], "3.delta_12": d1[1], "3.delta_13": d1[2]}
    for name in step["params"]:
        k, i, j = int(name[2]), int(name[4]), int(name[5])
        g = deltas[k][j - 1] * O[k][j - 1] * (1 - O[k][j - 1]) * O[k - 1][i - 1]
        out[f"3.dL/d{name}"] = g
        out[f"3.{name}"] = W[k - 1][i - 1, j - 1] - step["lr"] * g
    return out


def build_class(key):
    """Rows (id, variant, question, answer, time), the roster, and each student's expected exact score."""
    rows, roster, expected = [], {}, {}
    points = {(v["variant"], b["blank"]): Fraction(str(q["points"])) / len(q["blanks"])
              for v in key["variants"] for q in v["questions"] for b in q["blanks"]}

    def student(name, variant):
        roster[name] = variant
        expected[name] = Fraction(0)

    def add(name, variant, blank, answer, score=None, time=""):
        rows.append((name, variant, blank, answer, time))
        if score is not None:
            expected[name] += score * points[(variant, blank)]

    for n, v in enumerate(key["variants"]):
        vid = v["variant"]
        qs = {q["question"]: q for q in v["questions"]}
        every = [(q, b) for q in v["questions"] for b in q["blanks"]]
        numeric = [(q, b) for q, b in every if isinstance(b["answer"], float)]

        student(f"right-{vid}", vid)
        for q, b in every:
            a = b["answer"]
            add(f"right-{vid}", vid, b["blank"], a if isinstance(a, str) else repr(a), 1)

        # one diagnosed mistake per non-step blank; the closed-form question's shortcuts score 0
        student(f"slips-{vid}", vid)
        expr = qs["1"]["blanks"][0]["answer"]
        add(f"slips-{vid}", vid, "1", f"-({expr})", share("sign"))
        g = qs["2"]["blanks"][0]["answer"]
        add(f"slips-{vid}", vid, "2", f"{g:.2g}", share("rounding"))
        product, bound = (b["answer"] for b in qs["5"]["blanks"])
        add(f"slips-{vid}", vid, "5.product", repr(-product), share("sign"))
        add(f"slips-{vid}", vid, "5.bound", repr(2 * bound), share("factor"))
        add(f"slips-{vid}", vid, "4", str(qs["4"]["blanks"][0]["answer"] + 1), 0)
        for q, b in every:
            if q["question"] == "3":
                add(f"slips-{vid}", vid, b["blank"], repr(b["answer"]), 1)

        student(f"path-{vid}", vid)
        add(f"path-{vid}", vid, "1", ONE_PATH, share("missing_path"))
        student(f"factor-{vid}", vid)
        add(f"factor-{vid}", vid, "1", f"2({expr})", share("factor"))
        add(f"factor-{vid}", vid, "2", repr(2 * g), share("factor"))
        student(f"shortcut-{vid}", vid)
        add(f"shortcut-{vid}", vid, "1", [LEIBNIZ, DELTA_FORM][n % 2], 0)

        student(f"trivial-{vid}", vid)
        for m, (q, b) in enumerate(numeric):
            add(f"trivial-{vid}", vid, b["blank"], ("0", "1", "-1")[m % 3], 0)

        # blanks: only question 2 answered; the rest score 0 of their points
        student(f"blank-{vid}", vid)
        add(f"blank-{vid}", vid, "2", repr(g), 1)

        student(f"unread-{vid}", vid)
        add(f"unread-{vid}", vid, "2", "0.5e", 0)
        add(f"unread-{vid}", vid, "1", r"\frac{O_{31}", 0)
        add(f"unread-{vid}", vid, "3.loss", "0.1 +* 2", 0)

        # duplicates: ten identical right rows count once; by file order the last of two different rows counts,
        # by the time column the latest
        student(f"dup-{vid}", vid)
        for _ in range(10):
            add(f"dup-{vid}", vid, "2", repr(g))
        expected[f"dup-{vid}"] += points[(vid, "2")]
        add(f"dup-{vid}", vid, "5.product", repr(product))
        add(f"dup-{vid}", vid, "5.product", "0.5")                     # the last row: no credit
        add(f"dup-{vid}", vid, "5.bound", repr(bound), 1, time="2")   # latest time, though first in the file
        add(f"dup-{vid}", vid, "5.bound", repr(-bound), time="1")
        student(f"timed-{vid}", vid)
        add(f"timed-{vid}", vid, "2", repr(-g), time="2026-12-01T10:00")
        add(f"timed-{vid}", vid, "2", repr(g), 1, time="2026-12-01T11:00")
        add(f"timed-{vid}", vid, "2", repr(2 * g), time="2026-12-01T09:00")

        # carried forward: the output δ doubled (a factor slip), everything after it computed from it
        student(f"carry-{vid}", vid)
        values = carried_step(v, qs["3"])
        for b in qs["3"]["blanks"]:
            if b["blank"] == "3.loss":
                add(f"carry-{vid}", vid, "3.loss", repr(b["answer"]), 1)
            elif b["blank"] == "3.delta_31":
                add(f"carry-{vid}", vid, "3.delta_31", repr(float(values["3.delta_31"])), share("factor"))
            else:
                add(f"carry-{vid}", vid, b["blank"], f"{values[b['blank']]:.10g}", 1)

    # another student's variant: the roster says v1, the rows are v2's right answers under v2
    v1, v2 = key["variants"][0], key["variants"][1]
    student("copier", v1["variant"])
    for q in v2["questions"]:
        for b in q["blanks"]:
            a = b["answer"]
            add("copier", v2["variant"], b["blank"], a if isinstance(a, str) else repr(a), None)
    student("absent", v1["variant"])
    rows.append(("slips-x", v1["variant"], "3.delta 31", "0.5", ""))   # malformed, copied from a PDF
    student("slips-x", v1["variant"])
    return rows, roster, expected


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    (folder / "hw.toml").write_text(ASSIGNMENT)
    assert main(["exercise", str(folder / "hw.toml"), "-o", str(folder / "hw"), "--no-pdf", "--jobs", "1"]) == 0
    key = json.loads((folder / "hw" / "key.json").read_text())
    rows, roster, expected = build_class(key)
    with open(folder / "answers.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "variant", "question", "answer", "time"])
        w.writerows(rows)
    with open(folder / "roster.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "variant"])
        w.writerows(roster.items())
    out = {name: folder / name for name in ("scores.csv", "totals.csv", "report.html")}
    assert main(["grade", "--key", str(folder / "hw" / "key.json"), "--batch", str(folder / "answers.csv"),
                 "--roster", str(folder / "roster.csv"), "-o", str(out["scores.csv"]), "--totals",
                 str(out["totals.csv"]), "--report", str(out["report.html"]), "--jobs", "2"]) == 0
    return folder, key, rows, roster, expected, out


def test_every_total_is_the_independent_computation(replay):
    folder, key, rows, roster, expected, out = replay
    totals = {t["id"]: t for t in csv.DictReader(io.StringIO(out["totals.csv"].read_text()))}
    assert set(totals) == set(roster)
    questions = [f"q{q['question']}" for q in key["variants"][0]["questions"]]
    assert list(next(iter(totals.values()))) == ["id", "variant", "score", "max_score", "possible", "answered",
                                                "not_gradable", *questions]
    for name, want in expected.items():
        t = totals[name]
        assert float(t["score"]) == money(want), (name, t, want)
        assert t["possible"] == "14" and t["variant"] == roster[name]
        assert float(t["score"]) == pytest.approx(sum(float(t[q]) for q in questions), abs=0.011)
        # blanks and unreadable answers score 0 of their points: nobody's max_score falls below the possible
        assert t["max_score"] == "14"
    for v in key["variants"]:
        vid, blanks = v["variant"], len(v["questions"][2]["blanks"])
        assert totals[f"right-{vid}"]["score"] == "14"                     # exactly the possible points
        # one wrong output δ costs only its own blank's lost share
        assert float(totals[f"carry-{vid}"]["q3"]) == money(Fraction(4) - Fraction(4, blanks) * (1 - share("factor")))


def test_rows_say_what_counted_and_why(replay):
    folder, key, rows, roster, expected, out = replay
    results = list(csv.DictReader(io.StringIO(out["scores.csv"].read_text())))
    assert len(results) == len(rows) and list(results[0])[-1] == "counted"
    for r in results:
        if r["id"].startswith("carry-") and r["question"] not in ("3.loss", "3.delta_31"):
            assert r["verdict"] == "correct" and "carried forward from" in r["feedback"]
            assert "3.delta_31" in r["feedback"] or "3.dL/d" in r["feedback"] or "3.delta_" in r["feedback"]
        if r["id"].startswith("shortcut-"):
            assert r["verdict"] == "incorrect" and float(r["score"]) == 0 and "excludes" in r["feedback"]
        if r["id"].startswith("trivial-"):
            assert r["verdict"] == "incorrect" and float(r["score"]) == 0 and r["diagnosis"] == ""
        if r["id"] == "copier":
            assert r["verdict"] == "invalid" and r["counted"] == "no" and "roster" in r["feedback"]
        if r["question"] == "3.delta 31":
            assert r["verdict"] == "invalid" and "not a question" in r["feedback"]
        if r["id"].startswith("unread-"):
            assert r["verdict"] == "invalid" and "scores 0" in r["feedback"]
        # the default feedback names the mistake but gives no value of the key away
        assert not re.search(r"at your point .* (it|the value) is", r["feedback"]), r["feedback"]
        assert "paths, not" not in r["feedback"]
    dup = [r for r in results if r["id"].startswith("dup-") and r["question"] == "2"]
    assert sum(r["counted"] == "yes" for r in dup) == 3                # one per variant, never a sum


def test_the_report_shows_the_same_totals(replay):
    folder, key, rows, roster, expected, out = replay
    page = re.sub(r'<span class="label">[^<]*</span>', "", out["report.html"].read_text())   # the phone layout's labels
    page = re.sub(r"</?span[^>]*>", "", page)
    for name, want in expected.items():
        cells = re.search(rf"<td[^>]*>{re.escape(name)}</td><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>", page)
        assert cells and float(cells.group(1)) == money(want), name
    assert "Scoring:" in page and "scores 0" in page


def test_gradescope_scores_a_submission_as_the_totals_do(replay, tmp_path):
    from gradproof.symbolic.export.runtime import gradescope_results
    folder, key, rows, roster, expected, out = replay
    totals = {t["id"]: t for t in csv.DictReader(io.StringIO(out["totals.csv"].read_text()))}
    for name in [f"carry-{key['variants'][0]['variant']}", f"blank-{key['variants'][1]['variant']}",
                 f"slips-{key['variants'][2]['variant']}"]:
        root = tmp_path / name
        (root / "source").mkdir(parents=True)
        (root / "submission").mkdir()
        (root / "source" / "key.json").write_text((folder / "hw" / "key.json").read_text())
        answers = {r[2]: r[3] for r in rows if r[0] == name}
        (root / "submission" / "answers.json").write_text(json.dumps({"variant": roster[name], "answers": answers}))
        results = gradescope_results(root)
        assert results["score"] == float(totals[name]["score"]), name


def test_random_numbers_rarely_earn_credit(replay):
    from gradproof.symbolic.exercise.grading import KeyGrader
    folder, key, *_ = replay
    grader = KeyGrader.from_file(folder / "hw" / "key.json")
    rng = random.Random(7)
    graded = credited = 0
    for v in grader.assignment.variants:
        for b in v.all_blanks():
            if b.expression or b.whole:
                continue
            for _ in range(25):
                answer = f"{rng.uniform(-2, 2) * abs(b.answer):.3g}"
                graded += 1
                credited += grader.grade(v.id, b.id, answer).score > 0
    assert graded >= 1000 and credited <= 0.01 * graded, (credited, graded)
