"""Every example a user is shown runs: the "Examples:" of every command's --help and the commands of the README.

Each runs as written, in a fresh folder holding what the examples name: a copy of derivations/, and the files
that stand for the user's own (point.json, spec.toml, answers.csv, homework.toml from the README's assignment
with 2 variants, a correct student.py and a submissions/ folder; for export's examples, the exercise folder
`homework` made from it and a roster.csv). The one change to a command line: `gradproof bench` runs at its test size (--tiny appended),
since its smallest public size takes minutes.
"""
import re
import shlex
import shutil
from pathlib import Path

import pytest

from gradproof.symbolic import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PLACEHOLDERS = re.compile(r"[\[\]|…]|\b(FILE|SPEC|NAME|POINT|DIR|ASSIGNMENT|LATEX|KIND)\b|\.\.\.")


def help_examples():
    """(command, example) for every line of the Examples: block of every command's help."""
    import importlib
    out = []
    for name in cli.COMMANDS:
        doc = importlib.import_module(f"gradproof.symbolic.commands.{name.replace('-', '_')}").__doc__ or ""
        block = re.search(r"^Examples:\n((?:  .*\n?)+)", doc, re.M)
        # a long example goes on over lines that end in a backslash, as in a shell
        for line in re.sub(r"\s*\\\n\s+", " ", block.group(1)).splitlines() if block else []:
            out.append((f"gradproof {name} --help", re.split(r"\s{2,}", line.strip())[0]))
    return out


def readme_examples():
    """The gradproof commands of the README's code blocks (after an install's &&) and its inline code."""
    out = []
    for line in re.findall(r"^    (.*gradproof .*)$", README, re.M):
        out += [("README", part.strip()) for part in line.split("&&") if part.strip().startswith("gradproof ")]
    for span in re.findall(r"`(gradproof [^`]+)`", README):
        span = " ".join(span.split())
        # a whole command line (a span like `gradproof grade --key` is prose about an option)
        if not PLACEHOLDERS.search(span) and len(span.split()) >= 3 and not span.split()[-1].startswith("--key"):
            out.append(("README", span))
    return out


def _unique(examples):
    """Each distinct command once, credited to the first place that shows it (bench runs at its test size
    whatever its size flag says, so `bench --quick` is `bench`)."""
    seen = {}
    for where, example in examples:
        key = example.replace(" --quick", "") if example.startswith("gradproof bench") else example
        seen.setdefault(key, (where, example))
    return list(seen.values())


EXAMPLES = _unique(help_examples() + readme_examples())

# a student's correct backprop for the notes' network (sigmoid, squared loss summed; biases when given)
STUDENT = """import numpy as np


def backward(W, b, x, y):
    O = [x]
    for k, w in enumerate(W):
        z = O[-1] @ w + (b[k] if b is not None else 0)
        O.append(1 / (1 + np.exp(-z)))
    delta = -2 * (y - O[-1])
    dW, db = [None] * len(W), [None] * len(W)
    for k in range(len(W) - 1, -1, -1):
        g = delta * O[k + 1] * (1 - O[k + 1])
        dW[k], db[k] = O[k].T @ g, g.sum(axis=0)
        delta = g @ W[k].T
    return dW, db if b is not None else None
"""


def test_every_command_shows_examples_and_the_readme_has_some():
    shown = {where for where, _ in EXAMPLES}
    assert {f"gradproof {name} --help" for name in cli.COMMANDS} <= shown
    assert sum(where == "README" for where, _ in EXAMPLES) >= 3


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A user's folder: derivations/ and the files the examples stand for."""
    shutil.copytree(ROOT / "derivations", tmp_path / "derivations")
    shutil.copy(ROOT / "derivations" / "notes-point.json", tmp_path / "point.json")
    shutil.copy(ROOT / "derivations" / "notes.toml", tmp_path / "spec.toml")
    shutil.copy(ROOT / "derivations" / "notes.toml", tmp_path / "hw3.toml")
    (tmp_path / "student.py").write_text(STUDENT, encoding="utf-8")
    (tmp_path / "submissions").mkdir()
    (tmp_path / "submissions" / "ada.py").write_text(STUDENT, encoding="utf-8")
    (tmp_path / "answers.csv").write_text("id,param,answer\ns1,w^3_11,-2(y-\\hat{y})\\hat{y}(1-\\hat{y}) O_{21}\n"
                                          "s2,w^3_11,0\n", encoding="utf-8")
    assignment = [block for block in re.findall(r"```toml\n(.*?)```", README, re.S) if "[assignment]" in block]
    if assignment:
        (tmp_path / "homework.toml").write_text(re.sub(r"(?m)^variants = \d+", "variants = 2", assignment[0]))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _argv(example):
    """The argument list and the file stdout goes to (a shell's `> FILE`), if any."""
    words = shlex.split(example)
    assert words[0] == "gradproof", example
    words, target = words[1:], None
    if ">" in words:
        at = words.index(">")
        words, target = words[:at], words[at + 1]
    if words and words[0] == "bench":
        words.append("--tiny")
    return words, target


def _answers_for_key(folder):
    """The --key example grades answers.csv against hw1's key: rows id,variant,question,answer of variant 1."""
    import json
    variant = json.loads((folder / "hw1" / "key.json").read_text())["variants"][0]["variant"]
    (folder / "answers.csv").write_text(f"id,variant,question,answer\ns1,{variant},1,0\n", encoding="utf-8")
    (folder / "roster.csv").write_text(f"id,variant\ns1,{variant}\n", encoding="utf-8")


def _roster(folder):
    """roster.csv: a student for each variant of the homework folder (student,variant)."""
    import json
    variants = [v["variant"] for v in json.loads((folder / "homework" / "key.json").read_text())["variants"]]
    rows = "".join(f"student{n}@example.edu,{v}\n" for n, v in enumerate(variants, 1))
    (folder / "roster.csv").write_text("student,variant\n" + rows, encoding="utf-8")


@pytest.mark.parametrize("where,example", EXAMPLES, ids=[f"{w}: {e}" for w, e in EXAMPLES])
def test_example_runs(where, example, folder, capsys):
    argv, target = _argv(example)
    if argv[0] == "export":         # an exercise folder `homework` (2 variants) and a roster to export
        assert cli.main(["exercise", "homework.toml", "-o", "homework", "--no-pdf"]) == 0
        _roster(folder)
    if "--key" in argv and (folder / "homework.toml").exists():
        assert cli.main(["exercise", "homework.toml", "-o", "hw1", "--no-pdf"]) == 0
        _answers_for_key(folder)
    try:
        status = cli.main(argv)
    except SystemExit as stop:                   # --version and --help end through argparse
        status = stop.code
    out, err = capsys.readouterr()
    # grade's exit status says the answer was incorrect (1); anything else is a failure to run
    allowed = (0, 1) if argv[0] in ("grade", "check") else (0,)
    assert status in allowed, f"{where}: `{example}` exited {status}: {err.strip()}"
    if target:
        (folder / target).write_text(out)
        assert out.strip()
