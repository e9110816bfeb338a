"""The answer language's words: the functions it knows (the activation table's rows, and a few more) and its
error type."""
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from gradproof.numeric.activations import ACTIVATIONS, Activation
from gradproof.numeric.errors import GradproofError


class AnswerError(GradproofError):
    """An answer that cannot be graded: unreadable, unknown names, or over a limit."""


def plain(name):
    """A function name compared without case, blanks or underscores: Leaky_ReLU is leakyrelu."""
    return name.lower().replace("_", "").replace(" ", "")


@dataclass(frozen=True)
class Function:
    """A function of the answer language that is not an activation: how it is printed, its value in sympy, and
    the domain it needs of a numeric argument (checked before sympy computes anything)."""

    head: str                         # LaTeX, as the read-back prints it
    value: Callable                   # sympy expression u -> f(u)
    grows: bool = False               # like e^u: a numeric argument is held to the exponent limit
    domain: Callable = None           # u (a number) -> whether f(u) is defined
    domain_note: str = ""             # what to say when it is not


def _cosh(u):
    # written with exp, so that tanh' = sech^2 walks through the evaluator's exp
    return (sp.exp(u) + sp.exp(-u)) / 2


FUNCTION_ROWS = {
    "exp": Function(r"\exp", sp.exp, grows=True),
    "ln": Function(r"\ln", sp.log, domain=lambda u: u.is_positive, domain_note="the logarithm of a number that is not positive"),
    "sign": Function(r"\operatorname{sign}", sp.sign),
    "abs": Function(r"\operatorname{abs}", sp.Abs),
    "sech": Function(r"\operatorname{sech}", lambda u: 1 / _cosh(u), grows=True),
    "cosh": Function(r"\cosh", _cosh, grows=True),
    "step": Function("H", lambda u: sp.Heaviside(u, 0)),          # H(0) = 0, as ReLU'(0) = 0
    "sqrt": Function(r"\sqrt", sp.sqrt, domain=lambda u: not u.is_negative,
                     domain_note="the square root of a negative number"),
}
# other spellings of the same functions
ALIASES = {"log": "ln", "sgn": "sign", "h": "step", "heaviside": "step"}


def _function_table():
    """Function names in the answer language -> an Activation row or a Function row."""
    table = {}
    for act in ACTIVATIONS.values():
        head = act.latex
        inner = head[len(r"\operatorname{"):-1] if head.startswith(r"\operatorname{") else head.lstrip("\\")
        table[plain(inner)] = act
        table[plain(act.name)] = act
    table.update(FUNCTION_ROWS)
    table.update({alias: FUNCTION_ROWS[name] for alias, name in ALIASES.items()})
    return table


FUNCTIONS = _function_table()
STEP = FUNCTION_ROWS["step"]
__all__ = ["Activation", "AnswerError", "FUNCTIONS", "Function", "STEP", "plain"]
