"""Read a matrix answer (answer.lark) into a matrix expression (expr.py), with every name checked against the
network: W^k, W^{(k)}, W^{[k]}, O^k (A^k), Z^k, b^k, X, Y, Ŷ, δ^k (∂L/∂O^k, dA^k), dZ^k (G^k, ∂L/∂Z^k), the ones
vector 1, numbers, m and λ; f'(Z^k), σ'(Z^k) and the other activations by name; Σ over the samples.

Nothing here evaluates the text: lark parses it, and the builder makes nodes at each reduction.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.symbolic.matrix.answer import read
>>> read(r"(O^{1})^T \\delta^{2} \\odot f'(Z^{2})", Spec()).text()
'((O¹)ᵀ ∂L/∂O²) ⊙ f′(Z²)'
>>> read(r"O^{1T} (\\delta^2 \\circ \\sigma'(Z^2))", Spec()).text()
'(O¹)ᵀ (∂L/∂O² ⊙ σ′(Z²))'
>>> read("W^5", Spec())
Traceback (most recent call last):
...
gradproof.symbolic.matrix.answer.AnswerError: W⁵ does not exist: W^k has k in 1..3
"""
import re
from functools import lru_cache
from importlib import resources

import sympy as sp
from lark import Lark, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from gradproof.numeric.activations import ACTIVATIONS

from ..cache import lark_options
from .env import LAM, M
from .expr import Add, Apply, Divide, Hadamard, Leaf, MatMul, Neg, Node, Scalar, Scale, Sign, SumSamples, T

MAX_LENGTH = 2000            # characters; a longer answer is not read
MAX_DEPTH = 40               # brackets nested deeper than this are not read (the tree is walked recursively)


class AnswerError(Exception):
    """What could not be read, and where (a 0-based position, or None)."""

    def __init__(self, message, position=None):
        super().__init__(message)
        self.position = position


# the letter as typed -> the leaf kind it names
LAYERED = {"W": "W", "O": "O", "A": "O", "Z": "Z", "b": "b", "G": "dZ", "dZ": "dZ", "δ": "dO", r"\delta": "dO",
           "dA": "dO", "dO": "dO", "dW": "dW", "db": "db"}
DERIVED = {"Z": "dZ", "O": "dO", "A": "dO", "W": "dW", "b": "db"}
SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_NAME = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm|mathit)\s*\{\s*)?(dZ|dA|dO|dW|db|W|O|A|Z|b|G|δ|\\delta)")
_LAYER = re.compile(r"(\d+)")
_TRANSPOSED = re.compile(r"(T|\\top|\\intercal|')\s*\}?\s*\}$")
_HAT = re.compile(r"hat|Ŷ")
_BELOW = re.compile(r"L\s*\}?\s*(?:/|\{)\s*(?:\\partial|∂|d)\s*(.*)$")


def _layer_of(text):
    return int(_LAYER.search(text.translate(SUPERSCRIPT_DIGITS)).group(1))


def _bare_one(node):
    return isinstance(node, Scalar) and node.value == 1 and getattr(node, "bare", False)


def _is_scalar(node):
    return isinstance(node, Scalar)


class BareOne(Scalar):
    """The numeral 1, which is the ones vector where it multiplies a matrix or is transposed."""

    bare = True


def _activation_aliases():
    aliases = {}
    for row in ACTIVATIONS.values():
        plain = re.sub(r"\\operatorname\{([^}]*)\}|\\", r"\1", row.latex)
        for name in (row.name, row.title, plain):
            if name:
                aliases[name.lower()] = row
    aliases["σ"] = aliases.get("sigma")
    aliases["sigmoid"] = ACTIVATIONS.get("sigmoid")
    return {k: v for k, v in aliases.items() if v is not None}


ALIASES = _activation_aliases()


@v_args(inline=True)
class Builder(Transformer):
    """Nodes from the parse, one reduction at a time; errors name what is wrong."""

    def __init__(self):
        super().__init__()

    # ---- leaves ----
    def layered(self, token):
        text = str(token)
        letter = _NAME.match(text).group(1)
        leaf = Leaf(LAYERED[letter], _layer_of(text[_NAME.match(text).end():]))
        return T(leaf) if _TRANSPOSED.search(text) else leaf

    def plain(self, token):
        text = str(token)
        if _HAT.search(text):
            return Leaf("Yhat")
        return Leaf("X") if "X" in text else Leaf("Y")

    def deriv(self, token):
        text = str(token)
        after = _BELOW.search(text).group(1)
        if _HAT.search(after):
            return Leaf("dO", None)                       # the output layer's: resolved against the network later
        letter = re.match(r"[A-Za-z]", after).group(0)
        digits = re.search(r"[\d⁰¹²³⁴⁵⁶⁷⁸⁹]+", after)
        if digits is None:
            raise AnswerError(f"{text}: which layer? write ∂L/∂{letter}^k with its layer k")
        return Leaf(DERIVED[letter], _layer_of(digits.group(0)))

    def ones(self, token):
        return Leaf("ones")

    def number(self, token):
        value = sp.Rational(str(token))
        return BareOne(value) if value == 1 else Scalar(value)

    def scalar(self, token):
        return Scalar(M if str(token) == "m" else LAM)

    # ---- operations ----
    def group(self, open_, inner, close):
        return inner

    def add(self, a, _, b):
        return Add(a, b)

    def sub(self, a, _, b):
        return Add(a, Neg(b))

    def neg(self, _, a):
        return Scalar(-a.value) if _is_scalar(a) else Neg(a)

    def matmul(self, a, _, b):
        return self.juxt(a, b)

    def juxt(self, a, b):
        if _bare_one(a) and not _is_scalar(b):
            a = Leaf("ones")
        if _bare_one(b) and not _is_scalar(a):
            b = Leaf("ones")
        if _is_scalar(a) and _is_scalar(b):
            return Scalar(a.value * b.value)
        if _is_scalar(a):
            return Scale(Scalar(a.value), b)
        if _is_scalar(b):
            return Scale(Scalar(b.value), a)
        return MatMul(a, b)

    def hadamard(self, a, _, b):
        if _is_scalar(a) or _is_scalar(b):
            return self.juxt(a, b)
        return Hadamard(a, b)

    def divide(self, a, _, b):
        if _is_scalar(b):
            return self.div(a, _, b)
        return Divide(a, b)

    def div(self, a, _, b):
        if not _is_scalar(b):
            raise AnswerError(f"cannot divide by a matrix ({b.text()}); ⊘ (\\oslash) divides entry by entry")
        if b.value == 0:
            raise AnswerError("division by 0")
        if _is_scalar(a):
            return Scalar(a.value / b.value)
        return Scale(Scalar(1 / b.value), a)

    def frac(self, _f, _a, top, _b, _c, bottom, _d):
        return self.div(top, None, bottom)

    def frac_short(self, token):
        digits = re.search(r"frac\s*(\d)\s*(\d|m)", str(token))
        bottom = M if digits.group(2) == "m" else sp.Integer(digits.group(2))
        if bottom == 0:
            raise AnswerError("division by 0")
        return Scalar(sp.Integer(digits.group(1)) / bottom)

    def transpose(self, a, _):
        if _bare_one(a):
            return T(Leaf("ones"))
        if _is_scalar(a):
            return a
        return T(a)

    def call(self, token, _open, operand, _close):
        text = str(token)
        derivative = bool(re.search(r"'|′|\\prime", text))
        name = re.match(r"\\operatorname\s*\{\s*([A-Za-z]+)|\\mathrm\s*\{\s*([A-Za-z]+)|\\?([A-Za-zσ]+)", text)
        base = next(g for g in name.groups() if g)
        sub = re.search(r"_\s*\{?\s*(\d+)", text)
        layer = int(sub.group(1)) if sub else None
        if _is_scalar(operand):
            raise AnswerError(f"{text.strip()}(…) applies to a matrix here, not to a number")
        if base == "sign":
            if derivative:
                raise AnswerError("sign' is not a derivative the answer needs")
            return Sign(operand)
        if base in ("f", "g"):
            return Apply(None, derivative, operand, layer=layer)
        row = ALIASES.get(base.lower())
        if row is None:
            raise AnswerError(f"unknown function {base!r}; valid: f, g, {', '.join(sorted(set(ALIASES)))}")
        if row.couples and derivative:
            raise AnswerError(f"{base}' is a Jacobian, not a slope: write ∂L/∂Z^k through ∂L/∂O^k and O^k "
                              f"(or Ŷ − Y for cross-entropy on {base})")
        return Apply(row, derivative, operand, layer=layer, named=True)

    def sum_samples(self, _, operand):
        return SumSamples(operand)

    def unknown_command(self, token):
        raise AnswerError(f"unknown command {token} at position {token.start_pos + 1}", token.start_pos)

    def equation(self, lhs, _, rhs):
        return ("equation", lhs, rhs)

    def lhs(self, token):
        kind = self.layered(token) if token.type == "LAYERED" else self.deriv(token)
        return kind


@lru_cache(maxsize=1)
def parser():
    grammar = resources.files(__package__).joinpath("answer.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=Builder(), maybe_placeholders=False,
                **lark_options("matrix-answers", grammar))


def parse(text):
    """The answer's tree (and the left side it names, when it has one), before any check against a network."""
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"the answer is {len(text)} characters long; at most {MAX_LENGTH} are read")
    text = re.sub(r"\\boxed\s*\{(.*)\}\s*$", r"\1", text.strip())
    if not text:
        raise AnswerError("the answer is empty")
    depth = deepest = 0
    for char in text:
        depth += char in "([{" and 1 or (-1 if char in ")]}" else 0)
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise AnswerError(f"brackets nested {deepest} deep; at most {MAX_DEPTH} are read")
    try:
        result = parser().parse(text)
    except VisitError as error:
        if isinstance(error.orig_exc, AnswerError):
            raise error.orig_exc from None
        raise AnswerError(f"cannot read the answer: {error.orig_exc}") from None
    except UnexpectedCharacters as error:
        raise AnswerError(f"cannot read {text[error.pos_in_stream:error.pos_in_stream + 12]!r} at position "
                          f"{error.pos_in_stream + 1}", error.pos_in_stream) from None
    except UnexpectedEOF:
        raise AnswerError("the answer ends too early (a bracket or an operand is missing)", len(text)) from None
    except UnexpectedInput as error:
        position = getattr(error, "pos_in_stream", None)
        token = getattr(error, "token", None)
        if token is None or not str(token) or getattr(token, "type", "") == "$END":
            raise AnswerError("the answer ends too early (a bracket or an operand is missing)", len(text)) from None
        raise AnswerError(f"unexpected {str(token)!r} at position {(position or 0) + 1}", position) from None
    except (LarkError, RecursionError) as error:
        raise AnswerError(f"cannot read the answer: {type(error).__name__}") from None
    if isinstance(result, tuple):
        return result[2], result[1]
    return result, None


def resolve(tree, spec):
    """The tree with every name checked against the spec's network (layers, biases) and every f resolved to
    its layer's activation; errors name what exists."""
    depth = spec.depth

    def leaf(node):
        kind, k = node.kind, node.layer
        if kind in ("dW", "db"):
            raise AnswerError(f"{node.text()} is a gradient being asked for; write the answer in W, O, Z, b, X, Y, "
                              "Ŷ, δ (∂L/∂O) or ∂L/∂Z")
        if kind == "dO" and k is None:
            return Leaf("dO", depth)
        ranges = {"W": (1, depth), "Z": (1, depth), "b": (1, depth), "O": (0, depth), "dO": (1, depth), "dZ": (1, depth)}
        if kind in ranges:
            low, high = ranges[kind]
            if not low <= k <= high:
                raise AnswerError(f"{node.text()} does not exist: {node.kind.replace('dO', 'δ').replace('dZ', '∂L/∂Z')}"
                                  f"^k has k in {low}..{high}")
            if kind == "b" and not spec.bias:
                raise AnswerError(f"{node.text()} does not exist: this network has no biases")
            if kind == "O" and k == 0:
                return Leaf("X")
        return node

    def walk(node):
        if isinstance(node, Leaf):
            return leaf(node)
        if isinstance(node, Scalar):
            return Scalar(node.value)
        if isinstance(node, Apply):
            operand = walk(node.operand)
            row, layer = node.activation, node.layer
            if row is None:
                if layer is None and isinstance(operand, Leaf) and operand.kind == "Z":
                    layer = operand.layer
                if layer is None:
                    kinds = set(spec.activations)
                    if len(kinds) > 1:
                        raise AnswerError(f"f'({operand.text()}): which layer's f? write f_k' or apply it to Z^k")
                    row = spec.activation(1)
                else:
                    if not 1 <= layer <= depth:
                        raise AnswerError(f"f_{layer} does not exist: layers 1..{depth}")
                    row = spec.activation(layer)
            if row.couples and node.derivative:
                raise AnswerError(f"f' of layer {layer}: {row.name} couples its outputs (a Jacobian, not a slope); "
                                  "write ∂L/∂Z^k through ∂L/∂O^k and O^k")
            return Apply(row, node.derivative, operand, layer=node.layer, named=node.named)
        fields = {name: walk(getattr(node, name)) if isinstance(getattr(node, name), Node) else getattr(node, name)
                  for name in node.__dataclass_fields__}
        return type(node)(**fields)

    return walk(tree)


def read(text, spec):
    """The answer as a checked matrix expression."""
    tree, _ = parse(text)
    return resolve(tree, spec)
