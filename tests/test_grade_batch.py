"""Batch grading is safe with a hostile or broken class file: spreadsheet-safe CSV, an oversized row that costs
only itself, and JSON on stdout even for a usage error."""
import csv
import io
import json

from gradproof.symbolic.cli import main
from gradproof.symbolic.grade.batch import read_answers

RIGHT = r"-2(y-\hat{y})\hat{y}(1-\hat{y}) O_{21}"          # dL/dw^3_11 for the notes' network


def write(path, rows, header=("id", "param", "answer")):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1", "\r=1",
            "   =1+1", " \n@x", "=cmd|' /C calc'!A0"]


def test_no_cell_reads_as_a_formula(tmp_path, capsys):
    answers, results = tmp_path / "answers.csv", tmp_path / "results.csv"
    rows = [[ident, "w^3_11", RIGHT] for ident in FORMULAS]
    rows += [["p", param, RIGHT] for param in FORMULAS]                  # a hostile param is echoed too
    rows += [["a", "w^3_11", answer] for answer in FORMULAS]             # and an answer, in the message
    write(answers, rows)
    assert main(["grade", "--batch", str(answers), "-o", str(results), "--jobs", "1"]) == 0
    capsys.readouterr()
    read = list(csv.reader(io.StringIO(results.read_text(encoding="utf-8"))))
    assert len(read) == len(rows) + 1
    for row in read:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), row
    # the id is kept (behind the quote), so a teacher can still find the student
    assert read[1][0] == "'" + FORMULAS[0]
    # and what is printed on a terminal is as safe
    assert main(["grade", "--batch", str(answers), "--jobs", "1"]) == 0
    for row in csv.reader(io.StringIO(capsys.readouterr().out)):
        assert not any(cell.lstrip().startswith(("=", "+", "-", "@")) for cell in row)


def test_an_oversized_answer_costs_only_its_row(tmp_path, capsys):
    """A 1 MB answer (over csv's 131,072-character field limit) among 1,000 good rows: 1,000 graded, one invalid."""
    answers, results = tmp_path / "answers.csv", tmp_path / "results.csv"
    # a hundred different correct answers (identical ones are graded once)
    rows = [[f"s{n}", "w^3_11", RIGHT + f" + {n % 100} x_1 - {n % 100} x_1"] for n in range(1000)]
    rows.insert(500, ["huge", "w^3_11", "x_1+" * 250_000])
    write(answers, rows)
    assert main(["grade", "--batch", str(answers), "-o", str(results)]) == 0
    assert "graded 1001 answers" in capsys.readouterr().err
    read = list(csv.DictReader(io.StringIO(results.read_text(encoding="utf-8"))))
    assert len(read) == 1001 and read[500]["id"] == "huge"
    assert read[500]["verdict"] == "invalid" and "1000000 characters" in read[500]["message"]
    others = read[:500] + read[501:]
    assert [r["id"] for r in others] == [f"s{n}" for n in range(1000)]
    assert all(r["verdict"] == "correct" for r in others)


def test_a_200_kB_answer_and_a_broken_row(tmp_path):
    path = tmp_path / "answers.csv"
    text = ("id,param,answer\n"
            f'a,w^3_11,"{"x" * 200_000}"\n'
            "b,w^3_11,x_1,extra\n"
            f"c,w^3_11,{RIGHT}\n")
    path.write_text(text, encoding="utf-8")
    rows = read_answers(path)
    assert [r[0] for r in rows] == ["a", "b", "c"]
    assert "200000 characters" in rows[0][3] and rows[0][2] is None
    assert "more fields" in rows[1][3]
    assert rows[2][3] is None and rows[2][2] == RIGHT


def test_a_usage_error_with_json_is_json_on_stdout(capsys):
    hostile = '<script>alert("x")</script>\x1b[31m'
    assert main(["grade", "--param", hostile, "--answer", "x_1", "--json"]) == 2
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["exit_status"] == 2 and "cannot read parameter name" in data["error"]
    assert "<" not in out and ">" not in out and "\x1b" not in out       # escaped, and still the same text
    assert "<script>alert" in data["error"]                              # the text itself, unharmed
    assert "\x1b" not in err and "error" in err
    assert main(["grade", "--param", "w^3_11", "--json"]) == 2          # neither --answer nor --batch
    assert "--answer" in json.loads(capsys.readouterr().out)["error"]


def test_an_argument_error_with_json_is_json_too(capsys):
    try:
        code = main(["grade", "--param", "w^3_11", "--answer", "x_1", "--jobs", "<x>", "--json"])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    assert code == 2 and "--jobs" in json.loads(out)["error"] and "<" not in out
    assert "--jobs" in err


def test_a_class_mixing_scalar_and_matrix_questions(tmp_path, capsys):
    """Matrix rows (W^2, O^1) are graded as `grade --param W^2` grades them, beside the scalar rows, in order."""
    answers, results = tmp_path / "answers.csv", tmp_path / "results.json"
    # 4-3-2-1, samples as rows: ∂L/∂W² = (O¹)ᵀ (δ² ⊙ σ'(Z²)) is 3×2; without the transpose, O¹ (m×3) cannot
    # multiply an m×2 matrix; ∂L/∂O¹ = ∂L/∂Z² (W²)ᵀ, here with its sign flipped
    write(answers, [["s1", "w^3_11", RIGHT],
                    ["m1", "W^2", r"(O^{1})^T (\delta^{2} \odot \sigma'(Z^{2}))"],
                    ["m2", "W^2", r"O^{1} (\delta^{2} \odot \sigma'(Z^{2}))"],
                    ["m3", "O^1", "-(dZ^2 (W^2)^T)"],
                    ["m4", "W^9", "O^1"],
                    ["s2", "w^3_11", "-" + RIGHT]])
    assert main(["grade", "--batch", str(answers), "-o", str(results), "--jobs", "1"]) == 0
    capsys.readouterr()
    got = json.loads(results.read_text(encoding="utf-8"))
    assert [(r["id"], r["param"], r["verdict"], r["diagnosis"]) for r in got] == [
        ("s1", "w^3_11", "correct", []),
        ("m1", "W^2", "correct", []),
        ("m2", "W^2", "invalid", ["missing_transpose"]),
        ("m3", "O^1", "incorrect", ["sign"]),
        ("m4", "W^9", "invalid", []),
        ("s2", "w^3_11", "incorrect", ["sign"])]
    assert "no such layer" in got[4]["message"]
