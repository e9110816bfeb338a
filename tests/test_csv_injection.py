"""Every CSV gradproof writes is safe to open in a spreadsheet: no cell of it begins a formula, with hostile ids,
parameters, answers and file names, fullwidth and small compatibility forms included; and no library module
writes CSV except through the one writer."""
import csv
import io
import json
import re
import shutil
import unicodedata
from pathlib import Path

import pytest

from gradproof.symbolic.cli import main

HERE = Path(__file__).parent
ROOT = HERE.parent
# what a spreadsheet reads as a formula (OWASP: = + - @ first, tab or CR first), written in ways a filter misses
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1", "\r=1", "   =1+1",
           " \n@x", "=cmd|' /C calc'!A0", "\uff1dHYPERLINK(1)", "\uff0b1", "\uff0d1", "\uff20SUM(1)",
           "\u3000\uff1d1", "\ufe66 1", "\u200b=1", "\ufeff+1"]
ASSIGNMENT = """
[assignment]
title = "Injection"
seed = 7
variants = 1
[[question]]
kind = "gradient"
param = "w^3_11"
points = 1
"""


def formula(cell):
    """Independent of the library: would a spreadsheet take this cell for a formula?"""
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    rest = cell.lstrip("".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "\u200b\u200c\u200d\ufeff")
    return unicodedata.normalize("NFKC", rest[:1]) in ("=", "+", "-", "@")


def cells(text):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def write_rows(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_the_check_itself():
    assert all(formula(h) for h in HOSTILE)
    assert not any(formula(c) for c in ("'=1", "alice", "w^3_11", "0.5", "x_1-1"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """{name: text} of every CSV the commands write, from hostile input."""
    tmp = tmp_path_factory.mktemp("injection")
    out = {}
    right = r"-2(y-\hat{y})\hat{y}(1-\hat{y}) O_{21}"
    answers = tmp / "answers.csv"
    write_rows(answers, ("id", "param", "answer"), [[h, "w^3_11", right] for h in HOSTILE]
               + [["p", h, right] for h in HOSTILE] + [["a", "w^3_11", h] for h in HOSTILE])
    assert main(["grade", "--batch", str(answers), "-o", str(tmp / "results.csv"), "--jobs", "1"]) == 0
    out["grade --batch -o"] = (tmp / "results.csv").read_text(encoding="utf-8")

    (tmp / "hw.toml").write_text(ASSIGNMENT)
    assert main(["exercise", str(tmp / "hw.toml"), "-o", str(tmp / "hw"), "--no-pdf", "--jobs", "1"]) == 0
    out["exercise roster.csv"] = (tmp / "hw" / "roster.csv").read_text(encoding="utf-8")
    key = json.loads((tmp / "hw" / "key.json").read_text())
    variant = key["variants"][0]["variant"]
    blank = key["variants"][0]["questions"][0]["blanks"][0]["blank"]
    keyed = tmp / "keyed.csv"
    write_rows(keyed, ("id", "variant", "question", "answer"), [[h, variant, blank, h] for h in HOSTILE])
    assert main(["grade", "--key", str(tmp / "hw" / "key.json"), "--batch", str(keyed), "-o", str(tmp / "scores.csv"),
                 "--totals", str(tmp / "totals.csv"), "--jobs", "1"]) == 0
    out["grade --key -o"] = (tmp / "scores.csv").read_text(encoding="utf-8")
    out["grade --key --totals"] = (tmp / "totals.csv").read_text(encoding="utf-8")

    folder = tmp / "class"
    folder.mkdir()
    for h in HOSTILE:
        name = h.replace("/", "").replace("\n", "").replace("\r", "")
        shutil.copy(HERE / "codecheck_catalogue" / "reg_missing.py", folder / f"{name}.py")
    shutil.copy(HERE / "codecheck_catalogue" / "reg_missing.py", folder / "=ok.py")
    assert main(["check-code", "--batch", str(folder), str(HERE / "codecheck_catalogue" / "notes_l2.toml"),
                 "--points", "1", "--jobs", "2", "-o", str(tmp / "code.csv")]) == 0
    out["check-code --batch -o"] = (tmp / "code.csv").read_text(encoding="utf-8")
    return out


def test_no_cell_of_any_csv_begins_a_formula(outputs, capsys):
    capsys.readouterr()
    for name, text in outputs.items():
        found = cells(text)
        assert len(found) >= 4, name
        assert not [c for c in found if formula(c)], name
    # the hostile text is kept behind the quote, so a teacher can still find the student
    assert "'" + HOSTILE[0] in cells(outputs["grade --batch -o"])
    assert "'\uff1dHYPERLINK(1)" in cells(outputs["grade --key -o"])
    assert "'=ok.py" in cells(outputs["check-code --batch -o"])


def test_only_the_one_writer_writes_csv():
    """A CSV written anywhere else in the library would escape the spreadsheet safety (the homework bench
    writes the class's answers it grades next, an input that must stay as typed)."""
    writers = sorted(str(p.relative_to(ROOT)) for folder in ("symbolic", "numeric") for p in (ROOT / folder).rglob("*.py")
                     if re.search(r"csv\.(writer|DictWriter)\(", p.read_text(encoding="utf-8")))
    assert writers == ["numeric/batch.py", "symbolic/exercise/bench.py"]
