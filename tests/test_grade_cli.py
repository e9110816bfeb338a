"""`gradproof grade`: one answer (text and JSON, exit status 0/1/2) and a CSV batch graded on both cores."""
import csv
import io
import json

import pytest

from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

RIGHT_31 = r"-2(y-\hat{y})\hat{y}(1-\hat{y}) O_{21}"       # dL/dw^3_11 for the notes' network
RIGHT_32 = r"-2(y-\hat{y})\hat{y}(1-\hat{y}) O_{22}"       # dL/dw^3_21


def grade_json(capsys, argv):
    code = main(["grade", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_json_shape_and_exit_codes(capsys):
    code, r = grade_json(capsys, ["--param", "w^3_11", "--answer", RIGHT_31])
    assert code == 0
    assert {"verdict", "parsed_latex", "message", "diagnosis", "counterexample"} <= set(r)
    assert (r["verdict"], r["diagnosis"], r["counterexample"]) == ("correct", [], None)
    assert r["parsed_latex"] == r"- 2 \cdot \left(y - \hat{y}\right) \cdot \hat{y} \cdot \left(1 - \hat{y}\right) \cdot O_{21}"

    code, r = grade_json(capsys, ["--param", "w^3_11", "--answer", RIGHT_31.replace("-2", "2")])
    assert code == 1
    assert (r["verdict"], r["diagnosis"]) == ("incorrect", ["sign"])
    assert set(r["counterexample"]) == {"point", "expected", "got"}
    assert r["counterexample"]["got"] == pytest.approx(-r["counterexample"]["expected"])

    code, r = grade_json(capsys, ["--param", "w^3_11", "--answer", "O_{41}"])
    assert code == 2
    assert r["verdict"] == "invalid" and r["parsed_latex"] is None
    assert "O_{41}" in r["message"] and "O_11..O_13" in r["message"]


def test_text_output(capsys):
    assert main(["grade", "--param", "w^3_11", "--answer", RIGHT_31.replace("-2", "2")]) == 1
    out = capsys.readouterr().out
    assert "incorrect" in out and "read as:" in out and "diagnosis:  sign" in out and "counterexample" in out


def test_numeric_answer_with_at(capsys, tmp_path):
    from gradproof.numeric.backprop import backprop
    from gradproof.numeric.notation import parse_param
    spec = Spec()
    point = random_point(spec, seed=5)
    path = tmp_path / "point.json"
    path.write_text(json.dumps(point.to_json()))
    value = backprop(spec, point).value(parse_param("w^2_11"))
    code, r = grade_json(capsys, ["--param", "w^2_11", "--answer", f"{value:.5g}", "--at", str(path)])
    assert (code, r["verdict"]) == (0, "correct")
    code, r = grade_json(capsys, ["--param", "w^2_11", "--answer", f"{2 * value:.5g}", "--at", str(path)])
    assert (code, r["verdict"], r["diagnosis"]) == (1, "incorrect", ["factor"])
    code, r = grade_json(capsys, ["--param", "w^2_11", "--answer", f"{value * 1.002:.8g}", "--at", str(path),
                                  "--rtol", "1e-4"])
    assert (code, r["verdict"]) == (1, "incorrect")


def test_usage_errors(capsys):
    assert main(["grade", "--param", "w^3_11"]) == 2
    assert "--answer" in capsys.readouterr().err
    assert main(["grade", "--param", "v_1", "--answer", "x_1"]) == 2
    assert "cannot read parameter name" in capsys.readouterr().err
    assert main(["grade", "--answer", "x_1"]) == 2
    assert "--param" in capsys.readouterr().err


def write_answers(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "param", "answer"])
        writer.writerows(rows)


ROWS = [
    ["alice", "w^3_11", RIGHT_31],
    ["bob", "w^3_11", RIGHT_31.replace("-2", "2")],
    ["carol", "w^3_21", RIGHT_32],
    ["dave", "w^9_99", RIGHT_31],                          # no such weight
    ["erin", "w^3_21", r"\frac{1}{"],                      # unreadable
    ["frank", "w^3_21", ""],                               # no answer
    ["grace", "w^3_21", "<script>alert(1)</script>"],
    ["heidi", "w^3_21", RIGHT_31],                         # the answer for w^3_11: wrong index
]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_csv(tmp_path, capsys, jobs):
    answers, results = tmp_path / "answers.csv", tmp_path / "results.csv"
    write_answers(answers, ROWS * 3)
    assert main(["grade", "--batch", str(answers), "-o", str(results), "--jobs", jobs]) == 0
    assert "graded 24 answers" in capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(results.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["id", "param", "verdict", "diagnosis", "message"]
    assert [r["id"] for r in rows] == [r[0] for r in ROWS * 3]          # the file's order
    by_id = {r["id"]: r for r in rows}
    assert by_id["alice"]["verdict"] == "correct"
    assert (by_id["bob"]["verdict"], by_id["bob"]["diagnosis"]) == ("incorrect", "sign")
    assert by_id["carol"]["verdict"] == "correct"
    assert by_id["dave"]["verdict"] == "invalid" and "does not exist" in by_id["dave"]["message"]
    assert by_id["erin"]["verdict"] == "invalid" and "ends too early" in by_id["erin"]["message"]
    assert by_id["frank"]["verdict"] == "invalid" and "no answer" in by_id["frank"]["message"]
    assert by_id["grace"]["verdict"] == "invalid" and "<" not in by_id["grace"]["message"]
    assert (by_id["heidi"]["verdict"], by_id["heidi"]["diagnosis"]) == ("incorrect", "wrong_index")


def test_batch_json_and_stdout(tmp_path, capsys):
    answers = tmp_path / "answers.csv"
    write_answers(answers, ROWS[:2])
    out = tmp_path / "results.json"
    assert main(["grade", "--batch", str(answers), "-o", str(out), "--jobs", "1"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [d["verdict"] for d in data] == ["correct", "incorrect"]
    assert data[1]["diagnosis"] == ["sign"] and data[1]["counterexample"]["point"]
    capsys.readouterr()
    assert main(["grade", "--batch", str(answers), "--jobs", "1"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[0] == "id,param,verdict,diagnosis,message"
    assert printed.err.count("\r") == 0                       # no progress bar when stderr is not a terminal


def test_batch_file_errors(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,answer\nalice,x_1\n", encoding="utf-8")
    assert main(["grade", "--batch", str(bad)]) == 2
    assert "id,param,answer" in capsys.readouterr().err
    assert main(["grade", "--batch", str(tmp_path / "missing.csv")]) == 2
    assert "not found" in capsys.readouterr().err
    results = tmp_path / "nothing.csv"
    assert main(["grade", "--batch", str(bad), "-o", str(results)]) == 2
    assert not results.exists()                               # no half-written file


def test_progress_bar_on_a_terminal(tmp_path, monkeypatch, capsys):
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    answers = tmp_path / "answers.csv"
    write_answers(answers, ROWS[:3])
    fake = Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    assert main(["grade", "--batch", str(answers), "-o", str(tmp_path / "r.csv"), "--jobs", "1"]) == 0
    assert "3/3 answers" in fake.getvalue() and "[" in fake.getvalue()


def test_an_answer_that_starts_with_a_minus_is_an_answer_not_an_option(capsys):
    # argparse takes '-2(...)' with no space in it for an option unless the CLI glues it to --answer
    code, r = grade_json(capsys, ["--param", "w^3_11", "--answer", r"-2(y-\hat{y})\hat{y}(1-\hat{y})O_{21}"])
    assert (code, r["verdict"]) == (0, "correct")
