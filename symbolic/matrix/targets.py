"""Which gradient a question's name asks for: a matrix (W^2, b^{2}, Z^(2), O^1, A^[1], ∂L/∂W^2), or one scalar
parameter (w^2_11, b^2_1). Deciding this is all that ``gradproof grade --param`` needs of the matrix form before
it knows which grader to load, so this module imports nothing heavier than the notation.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.symbolic.matrix.targets import matrix_target, target_text
>>> target_text(matrix_target("dL/dW^{2}", Spec()))
'W^2'
>>> matrix_target("w^2_11", Spec()) is None
True
"""
import re

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import parse_param

LETTERS = {"dW": "W", "db": "b", "dZ": "Z", "dO": "O"}        # a gradient's leaf kind: the matrix it is by
TARGETS = {**{letter: kind for kind, letter in LETTERS.items()}, "A": "dO"}    # A^k, the activations: O^k
NAME = re.compile(r"\s*(?:(?:\\partial|∂|d)\s*L\s*/\s*(?:\\partial|∂|d)\s*)?(W|b|Z|O|A)\s*\^?\s*[{(\[]?\s*"
                  r"[{(\[]?\s*(\d+)\s*[})\]]?\s*[})\]]?\s*")


def target_of(text, spec):
    """The gradient a name asks for (W^2, b^{2}, Z^(2), O^1, A^[1], ∂L/∂W^2) as the Leaf of its gradient, or None
    when the name is no matrix (w^2_11 is a scalar question)."""
    found = NAME.fullmatch(text)
    if found is None or (found.group(1) == "b" and "_" in text):
        return None
    kind, k = TARGETS[found.group(1)], int(found.group(2))
    if not 1 <= k <= spec.depth:
        raise GradproofError(f"{text.strip()}: no such layer; the {spec.layers_text} network has layers 1..{spec.depth}")
    if kind == "db" and not spec.bias:
        raise GradproofError(f"{text.strip()}: this network has no biases (add --bias)")
    from .expr import Leaf  # here, not above: a scalar question never loads the matrix expressions
    return Leaf(kind, k)


def matrix_target(text, spec):
    """The gradient a question asks for when it is a matrix (W^2, b^2, Z^2, O^1), or None when text names one
    scalar parameter (w^2_11, b^2_1): what decides which grader grades an answer. Raises GradproofError for a
    matrix name the spec has not (W^9, or b^2 without biases)."""
    try:
        parse_param(text)
    except GradproofError:
        return target_of(text, spec)
    return None


def target_text(leaf):
    return f"{LETTERS[leaf.kind]}^{leaf.layer}"
