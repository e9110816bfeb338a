"""Hostile answers: nothing runs, nothing hangs, and nothing echoed can inject markup into a report."""
import json
import os

import pytest

from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main
from gradproof.symbolic.grade import Grader
from gradproof.symbolic.grade import grader as grader_module
from gradproof.symbolic.grade.parser import MAX_LENGTH, read

HOSTILE = [
    "__import__('os').system('touch /tmp/gradproof-pwned')",
    "exec(\"import os\")",
    "eval('1+1')",
    "lambda: 0",
    r"\input{/etc/passwd}",
    r"\write18{touch /tmp/gradproof-pwned}",
    r"\immediate\write18{ls}",
    r"\def\x{1} \x",
    r"\newcommand{\x}{1}",
    r"\catcode`\^^@=11",
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "x_1 <b>bold</b>",
    "2^{2^{2^{2^{2^{2}}}}}",
    "10^{10^{10}}",
    "e^{e^{e^{e^{e^{10}}}}}",
    r"\exp(\exp(\exp(\exp(10))))",
    "9" * 41,
    "99999999999999999999^{999}",
    "10^{1000}",
    "(" * 60 + "x_1" + ")" * 60,
    r"\sigma(" * 45 + "x_1" + ")" * 45,
    "-" * 3000 + "x_1",
    "{" * 50 + "x_1" + "}" * 50,
    "x_1 + " * 1000,
    "x_1\x1b[2J\x1b[31m",
    "x_1\x00",
    "x_1 \u202e 2",
    "x_1 ± 2",
    # the plain keyboards' voices: Python, Maxima, phones
    "__import__('os').system('touch /tmp/gradproof-pwned')",
    "np.exp(np.exp(np.exp(np.exp(10))))",
    "10**10**10",
    "os.system('ls')",
    "%e^%e^%e^%e^%e^10",
    "10⁹⁹⁹⁹",
    "",
    "   ",
]


@pytest.fixture(scope="module")
def notes():
    return Grader(Spec())


@pytest.mark.parametrize("answer", HOSTILE)
def test_hostile_answers_are_invalid(notes, answer):
    r = notes.grade("w^1_11", answer)
    assert r.verdict == "invalid", (answer[:40], r.message)
    assert r.exit_code == 2
    report = json.dumps(r.to_json(), ensure_ascii=False)
    assert "<" not in report and ">" not in report              # no markup from the answer reaches a report
    assert not any(ch in report for ch in "\x1b\x00\u202e")     # nor terminal escapes
    assert not os.path.exists("/tmp/gradproof-pwned")


def test_limits_are_named(notes):
    assert "limit is 5000" in notes.grade("w^1_11", "x_1+" * 1300).message
    assert "exponent too large" in notes.grade("w^1_11", "2^{2^{2^{2^{2}}}}").message
    assert "number too large" in notes.grade("w^1_11", "10^{1000}").message
    assert "more than 40 digits" in notes.grade("w^1_11", "9" * 41).message
    assert "nested too deeply" in notes.grade("w^1_11", "(" * 60 + "x_1" + ")" * 60).message
    assert "unknown command \\write" in notes.grade("w^1_11", r"\write18{ls}").message


def test_a_long_answer_under_the_limit_is_graded(notes):
    answer = " + ".join(["x_1"] * 700)
    assert len(answer) < MAX_LENGTH
    r = notes.grade("w^1_11", answer)
    assert r.verdict == "incorrect" and r.diagnosis == []


def test_an_answer_over_its_time_is_invalid(notes, monkeypatch):
    monkeypatch.setattr(grader_module, "TIME_LIMIT", 1e-4)
    # enough work (about 4,000 characters) that the CPU timer, whose ticks may be several ms, fires
    r = notes.grade("w^1_11", r"-2(y - \hat y) \hat y (1 - \hat y) O_{21} " * 100)
    assert r.verdict == "invalid" and "longer than" in r.message


def test_parse_errors_give_position_and_expectation(notes):
    r = notes.grade("w^1_11", r"x_1 + * x_2")
    assert "column 7" in r.message and "expected" in r.message
    r = notes.grade("w^1_11", r"\frac{x_1}{x_2")
    assert "ends too early" in r.message and "'}'" in r.message
    r = notes.grade("w^1_11", r"x_1 ? 2")
    assert "column 5" in r.message and "'?'" in r.message


def test_terminal_output_escapes_control_characters(capsys):
    assert main(["grade", "--param", "w^1_11", "--answer", "O_{11}\x1b[31m"]) == 2
    out = capsys.readouterr().out
    assert "\x1b" not in out and "invalid" in out


def test_the_parser_never_calls_eval(monkeypatch):
    """Reading an answer goes through the grammar only: sympify and eval are never reached."""
    import builtins

    import sympy

    def forbidden(*args, **kwargs):
        raise AssertionError("user text reached an evaluator")

    from gradproof.numeric.spec import Spec as S
    from gradproof.symbolic.model import Model
    model = Model(S())
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden, raising=False)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    r = read(r"\frac{\partial L}{\partial O_{31}} \sigma'(z_{31}) \cdot 2^{3} e^{-z_{11}} 0.5", model)
    assert "O_31" in str(r.math.free_symbols)
