"""The answer language's words: the functions it knows (from the one activation table) and its error type."""
from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.errors import GradproofError


class AnswerError(GradproofError):
    """An answer that cannot be graded: unreadable, unknown names, or over a limit."""


def plain(name):
    """A function name compared without case, blanks or underscores: Leaky_ReLU is leakyrelu."""
    return name.lower().replace("_", "").replace(" ", "")


def _function_table():
    """Function names in the answer language -> ("act", Activation) or ("exp"|"log"|"sign", None)."""
    table = {}
    for act in ACTIVATIONS.values():
        if act.couples:
            continue                  # softmax is of a whole layer: answers name its outputs O_kj, not softmax(z)
        head = act.latex
        inner = head[len(r"\operatorname{"):-1] if head.startswith(r"\operatorname{") else head.lstrip("\\")
        table[plain(inner)] = ("act", act)
        table[plain(act.name)] = ("act", act)
    table.update({"exp": ("exp", None), "ln": ("log", None), "log": ("log", None),
                  "sign": ("sign", None), "sgn": ("sign", None), "abs": ("abs", None),
                  "sech": ("sech", None), "cosh": ("cosh", None), "h": ("step", None),
                  "heaviside": ("step", None), "sqrt": ("sqrt", None)})
    return table


FUNCTIONS = _function_table()
