"""Read a student's answer into sympy objects, with a real grammar (grammar.lark) and hard limits.

Every voice (LaTeX, Python/Maxima, AsciiMath, UnicodeMath, phone text) is first respelled to the grammar's
LaTeX (spelling.py); one Builder per model, with its own parser, turns the result into sympy, keeping what
one parse collects (figures of numbers, notes on how an ambiguous spelling was read) in the instance.

The text is never handed to sympify, parse_expr, eval, exec or lambdify: lark's LALR parser reads it
and, at each reduction, the builder below makes the sympy object for that piece directly. Every piece
is built twice: an *echo*, unevaluated and with sigma, f' and Leibniz partials kept as written (printed
back as ``parsed_latex`` so a student sees how the answer was read), and the *mathematics*, an
ordinary evaluated sympy expression in the network's symbols (Partial objects stand for the Leibniz
partials until the grader gives them their values).

Limits (length, nesting, size of numbers and exponents) make a hostile answer invalid before it can
cost anything; an unknown name lists the names that exist.
"""
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import sympy as sp
from lark import Lark, Transformer, v_args
from sympy.printing.precedence import PRECEDENCE

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Param, parse_param

from ..cache import lark_options
from ..model import L
from ..printing import GradproofLatexPrinter, Partial, UnicodePrinter, latex, unicode_name
from .spelling import DASHES, described, respell, unknown_name
from .vocabulary import FUNCTIONS, STEP, Activation, AnswerError, plain

MAX_LENGTH = 5000          # characters
MAX_DEPTH = 40             # nested brackets, and nested operations in the built expression
MAX_NUMBER_DIGITS = 40     # characters of one number
MAX_EXPONENT = 1000        # |p| of a numeric exponent
MAX_MAGNITUDE = 300        # |log10| of a number built from numbers (10^300)

ETA = sp.Symbol("eta", real=True)
# a weight or bias token's parts (the grammar's PARAM): layer and indices, in either order
PARAM_PARTS = re.compile(r"[wb]\s*(?:\^\s*(\{\s*\d+\s*\}|\d)\s*_\s*(\{[\d,\s]*\}|\d+)"
                         r"|_\s*(\{[\d,\s]*\}|\d+)\s*\^\s*(\{\s*\d+\s*\}|\d))")


class Call(sp.Expr):
    """The echo of a function applied to an argument, printed as written: sigma'(z), f_2(z), tanh^2(z)."""

    is_commutative = True

    def __new__(cls, head, argument):
        return sp.Expr.__new__(cls, sp.Symbol(head), argument)

    def _gradproof_latex(self, printer):
        return rf"{self.args[0].name}\left({printer._print(self.args[1])}\right)"

    def _sympystr(self, printer):
        return f"{_plain_head(self.args[0].name)}({printer._print(self.args[1])})"


class Frac(sp.Expr):
    """The echo of a quotient, printed as the fraction the student wrote."""

    is_commutative = True

    def _gradproof_latex(self, printer):
        return rf"\frac{{{printer._print(self.args[0])}}}{{{printer._print(self.args[1])}}}"

    def _sympystr(self, printer):
        top = printer.parenthesize(self.args[0], PRECEDENCE["Mul"], strict=True)
        return f"{top}/{printer.parenthesize(self.args[1], PRECEDENCE['Mul'])}"          # a/(b·c), a·b/c


class Written(sp.Symbol):
    """The echo of a name as the student wrote it (y, \\hat{y}), where the mathematics uses y_1, O_31."""

    def _gradproof_latex(self, printer):
        return self.name

    def _sympystr(self, printer):
        return unicode_name(self.name.replace(r"\hat{y}", "ŷ"))


def _plain_head(head):
    r"""A function's LaTeX head as a plain reading shows it: \sigma' -> σ', \operatorname{ReLU} -> ReLU."""
    head = re.sub(r"\\operatorname\{([^{}]*)\}", r"\1", head)
    head = re.sub(r"f_\{(\d+)\}", lambda m: unicode_name("f_" + m.group(1)), head)
    return head.replace("\\sigma", "σ").replace("\\sqrt", "√").lstrip("\\")


class EchoPrinter(GradproofLatexPrinter):
    """The LaTeX printer for echoes: sums and products in the order the student wrote them."""

    def _as_ordered_terms(self, expr, order=None):
        return list(expr.args)


SUPERSCRIPT_DIGITS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class EchoTextPrinter(UnicodePrinter):
    """The plain reading of an echo for a verdict's message: Unicode names, in the order the student wrote them."""

    def _as_ordered_terms(self, expr, order=None):
        return list(expr.args)

    def _print_Mul(self, expr):
        factors = list(expr.args)
        sign = ""
        if factors and factors[0] == -1:
            sign, factors = "−", factors[1:]
        elif factors and factors[0].is_Number and factors[0] < 0:
            sign, factors = "−", [-factors[0], *factors[1:]]
        if not factors:
            return "−1"
        return sign + "·".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in factors)

    def _print_Float(self, expr):
        return f"{float(expr):.15g}".replace("-", "−")

    def _print_Exp1(self, expr):
        return "e"

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.args
        shown = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        if exp.is_Integer:
            return shown + str(exp).translate(SUPERSCRIPT_DIGITS)
        return f"{shown}^{self.parenthesize(exp, PRECEDENCE['Pow'], strict=True)}"


def readback(echo):
    """An echo read back in plain Unicode: -2(y - ŷ)ŷ(1 - ŷ)O_21 as −2·(y − ŷ)·ŷ·(1 − ŷ)·O₂₁."""
    return EchoTextPrinter().doprint(echo)


class Node:
    """One piece of the answer: its echo, its mathematics, its depth, and the operator it was built by.

    A chain a + b + c or a b c keeps its parts in lists and becomes one sympy Add or Mul only when
    something uses it, so that a long chain costs linear time, not quadratic.
    """

    __slots__ = ("_echo", "_math", "depth", "op", "parts")

    def __init__(self, echo, math, depth=1, op="", parts=None):
        self._echo, self._math, self.depth, self.op, self.parts = echo, math, depth, op, parts

    @property
    def echo(self):
        if self._echo is None:
            kind = sp.Add if self.op == "add" else sp.Mul
            self._echo = kind(*self.parts[0], evaluate=False)
        return self._echo

    @property
    def math(self):
        if self._math is None:
            self._math = (sp.Add if self.op == "add" else sp.Mul)(*self.parts[1])
        return self._math


@dataclass
class Side:
    """One side of an answer written as a chain A = B = C: its echo, mathematics and LaTeX."""

    echo: object
    math: object
    latex: str


@dataclass
class Reading:
    """A parsed answer: what was read (echo and its LaTeX), the expression, and the left side if written.

    ``sides`` holds every expression the answer states equal to the derivative, in order (one for a
    plain answer; B and C for ∂L/∂w = B = C); ``math`` is the last of them.
    """

    echo: object
    math: object
    latex: str
    lhs: object = None       # the Partial on the left of '=', when the answer is written as an equation
    sides: list = None
    figures: int | None = None     # significant figures of the most precise decimal in the answer
    readback: str = ""             # the answer as read, in plain Unicode, for the verdict's message
    notes: list = field(default_factory=list)     # how an ambiguous spelling was read


@lru_cache(maxsize=None)
def _grammar():
    return Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")


def _split(digits, sizes):
    """Every way to cut a run of digits into len(sizes) indices within 1..size (0..size for a first index
    of 0, the input layer): '112' for sizes (2, 12) -> [(1, 12)]."""
    if not sizes:
        return [()] if not digits else []
    out = []
    for cut in range(1, len(digits) - len(sizes) + 2):
        head = digits[:cut]
        if head.startswith("0") and len(head) > 1:
            continue
        if 0 <= int(head) <= sizes[0]:
            out += [(int(head), *rest) for rest in _split(digits[cut:], sizes[1:])]
    return out


def _indices(text, count, bounds=None):
    """Indices of a subscript: '31' -> (3, 1) for two; '{3,1}' -> (3, 1); '{12}' -> (12,) for one.

    ``bounds``: a function of a candidate tuple saying whether it names something in the network, so that a
    run of digits is cut where only one cut does ('112' is (1, 12) in a 12-12-1 network)."""
    inner = text.strip().strip("{}").replace(" ", "")
    if "," in inner:
        parts = tuple(int(p) for p in inner.split(",") if p)
    elif count == 1:
        parts = (int(inner),) if inner else ()
    elif len(inner) == count or bounds is None:
        parts = tuple(int(c) for c in inner)
    else:
        found = [c for c in _split(inner, (10 ** len(inner),) * count) if bounds(c)]
        return found[0] if len(found) == 1 else None
    return parts if len(parts) == count else None


class Builder(Transformer):
    """The lark callbacks for one model's network: each builds a Node from its children.

    One Builder (and its own parser) per model; ``begin`` resets what one answer's parse collects.
    """

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.spelled = None         # the respelled Text being parsed, to give columns in the typed answer
        self.figures = []           # significant figures of each decimal number read (for the rounding diagnosis)
        self.notes = []             # how an ambiguous spelling was read, for the verdict's message

    def begin(self, spelled):
        self.spelled, self.figures, self.notes = spelled, [], list(spelled.notes)

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _deeper(*nodes):
        depth = 1 + max(n.depth for n in nodes)
        if depth > MAX_DEPTH:
            raise AnswerError(f"the answer is nested too deeply (more than {MAX_DEPTH} levels)")
        return depth

    def _chain(self, op, left, right, echo_right, math_right):
        """a + b + c and a b c as one flat sum or product, so long chains stay shallow and cheap."""
        if left.op == op:
            left.parts[0].append(echo_right)
            left.parts[1].append(math_right)
            return Node(None, None, max(left.depth, self._deeper(right)), op, left.parts)
        return Node(None, None, self._deeper(left, right), op, ([left.echo, echo_right], [left.math, math_right]))

    def _column(self, token):
        column = getattr(token, "column", None)
        if column and self.spelled is not None:
            column = self.spelled.column(column - 1)
        return column

    def _error(self, token, message):
        column = self._column(token)
        return AnswerError(message + (f" (column {column})" if column else ""))

    # -- arithmetic ----------------------------------------------------------------------------
    @v_args(inline=True)
    def add(self, left, _plus, right):
        return self._chain("add", left, right, right.echo, right.math)

    @v_args(inline=True)
    def sub(self, left, _minus, right):
        return self._chain("add", left, right, sp.Mul(-1, right.echo, evaluate=False), -right.math)

    @v_args(inline=True)
    def mul(self, left, _times, right):
        return self._chain("mul", left, right, right.echo, right.math)

    @v_args(inline=True)
    def juxt(self, left, right):
        if left.op == "div" and right.math not in (1, -1) and not self.notes:
            top, bottom = left.parts
            self.notes.append(f"a/b c is read as (a/b)·c: {readback(Frac(top, bottom))} times {readback(right.echo)}, "
                              f"not {readback(top)} over {readback(bottom)}·{readback(right.echo)}; write "
                              "a/(b c) for the product under the line")
        return self._chain("mul", left, right, right.echo, right.math)

    @v_args(inline=True)
    def div(self, top, slash, bottom):
        if bottom.math == 0:
            raise self._error(slash, "division by zero")
        return Node(Frac(top.echo, bottom.echo), top.math / bottom.math, self._deeper(top, bottom), "div",
                    (top.echo, bottom.echo))

    @v_args(inline=True)
    def frac(self, command, _open1, top, _close1, _open2, bottom, _close2):
        if bottom.math == 0:
            raise self._error(command, "division by zero in \\frac")
        return Node(Frac(top.echo, bottom.echo), top.math / bottom.math, self._deeper(top, bottom))

    @v_args(inline=True)
    def neg(self, _minus, inner):
        echo = -inner.echo if inner.echo.is_Number else sp.Mul(-1, inner.echo, evaluate=False)
        return Node(echo, -inner.math, self._deeper(inner))

    @v_args(inline=True)
    def pos(self, _plus, inner):
        return inner

    @v_args(inline=True)
    def group(self, _open, inner, _close):
        return Node(inner.echo, inner.math, self._deeper(inner))

    @v_args(inline=True)
    def power(self, base, caret, exponent):
        math = _checked_power(base.math, exponent.math, caret)
        return Node(sp.Pow(base.echo, exponent.echo, evaluate=False), math, self._deeper(base, exponent))

    @v_args(inline=True)
    def number(self, token):
        text = str(token)
        mantissa, _, power = text.lower().partition("e")
        if len(mantissa) > MAX_NUMBER_DIGITS:
            raise self._error(token, f"a number with more than {MAX_NUMBER_DIGITS} digits")
        if power and abs(int(power)) > MAX_MAGNITUDE:
            raise self._error(token, f"number too large (over 10^{MAX_MAGNITUDE})")
        whole, _, frac = mantissa.partition(".")
        exact = sp.Rational(int((whole or "0") + frac), 10 ** len(frac))
        if power:
            exact = exact * sp.Rational(10) ** int(power)
        if frac or power or "." in mantissa:
            self.figures.append(significant_figures(mantissa))
        echo = exact if not (frac or power) else sp.Float(exact, max(15, len(whole) + len(frac)))
        return Node(echo, exact)

    def chain(self, children):
        """A = B = C: each side kept; a first side ∂L/∂(something) is the left side, the rest are answers."""
        sides = [n for n in children if isinstance(n, Node)]
        node = Node(sides[-1].echo, sides[-1].math, max(n.depth for n in sides))
        node.op = ("chain", sides)
        return node

    # -- names ---------------------------------------------------------------------------------
    @v_args(inline=True)
    def param(self, token):
        text = str(token)
        try:
            p = parse_param(text)
        except GradproofError:
            p = self._cut_param(text, token)
        try:
            self.model.spec.check_param(p)
        except GradproofError as error:
            raise self._error(token, str(error) + self._swapped(p)) from None
        s = self.model.symbols[p]
        return Node(s, s)

    def _swapped(self, p):
        """'; did you mean w^3_21?' when the weight with its indices swapped exists."""
        if not p.is_weight:
            return ""
        try:
            other = self.model.spec.check_param(Param.weight(p.layer, p.j, p.i))
        except GradproofError:
            return ""
        return (f"; did you mean {other}? (w^k_ij runs from neuron i of layer k-1 to neuron j of layer k)")

    def _cut_param(self, text, token):
        """w^3_{112} in a 12-12-1 network: the digits cut where only one cut names a weight (or bias)."""
        m = PARAM_PARTS.fullmatch(text.strip())
        letter = text.strip()[0]
        found = self._cuts(letter, (m.group(1) or m.group(4)) + (m.group(2) or m.group(3))) if m else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise self._error(token, f"{text} could be {' or '.join(_with_commas(p) for p in found)}: "
                                     "write the indices with a comma")
        raise self._error(token, f"cannot read {text!r} as a weight w^{{k}}_{{ij}} or bias b^{{k}}_{{j}}")

    def _cuts(self, letter, digits):
        """Every weight (or bias) of the network a run of digits k, i, j (k, j) can be cut into."""
        n = self.model.spec.layers
        sizes = (len(n) - 1, max(n), max(n)) if letter == "w" else (len(n) - 1, max(n))
        found = []
        for c in _split(re.sub(r"[{}\s]", "", digits), sizes):
            try:
                found.append(self.model.spec.check_param(Param.weight(*c) if letter == "w" else Param.bias(*c)))
            except (GradproofError, ValueError):
                continue
        return found

    @v_args(inline=True)
    def indexed(self, token):
        letter, _, sub = str(token).partition("_")
        s = self._neuron(letter.strip(), sub, token)
        return Node(s, s)

    def _in_network(self, letter):
        n = self.model.spec.layers
        if letter == "O":
            return lambda kj: (kj[0] == 0 and 1 <= kj[1] <= n[0]) or (1 <= kj[0] < len(n) and 1 <= kj[1] <= n[kj[0]])
        return lambda kj: 1 <= kj[0] < len(n) and 1 <= kj[1] <= n[kj[0]]

    def _neuron(self, letter, sub, token):
        m, n = self.model, self.model.spec.layers
        if letter in ("O", "z"):
            ij = _indices(sub, 2, self._in_network(letter))
            if ij and letter == "O" and ij[0] == 0 and 1 <= ij[1] <= n[0]:
                return m.x[ij[1]]
            if ij and 1 <= ij[0] < len(n) and 1 <= ij[1] <= n[ij[0]]:
                return (m.O if letter == "O" else m.z)[ij[0]][ij[1]]
        elif letter in ("x", "y"):
            (i,) = _indices(sub, 1) or (0,)
            row = m.x if letter == "x" else m.y
            if 1 <= i < len(row):
                return row[i]
        elif letter in ("w", "b"):
            cuts = self._cuts(letter, sub)             # w_{311}: w^3_11 where only that cut names a weight
            if len(cuts) == 1:
                return m.symbols[cuts[0]]
            raise self._error(token, f"{letter}_{sub.strip()} needs its layer: write "
                                     + ("w^{k}_{ij}, e.g. w^{1}_{11}" if letter == "w" else "b^{k}_{j}, e.g. b^{1}_{1}"))
        raise self._error(token, f"unknown symbol {letter}_{sub.strip()}; {available(self.model)}")

    @v_args(inline=True)
    def hat(self, token):
        text = str(token)
        sub = text.split("_", 1)[1] if "_" in text else None
        m, top = self.model, self.model.output_layer
        outputs = m.spec.layers[-1]
        if sub is None:
            if outputs != 1:
                raise self._error(token, f"this network has {outputs} outputs: write \\hat{{y}}_j, j in 1..{outputs}")
            j = 1
        else:
            (j,) = _indices(sub, 1) or (0,)
            if not 1 <= j <= outputs:
                raise self._error(token, f"unknown output \\hat{{y}}_{{{j}}}; {available(self.model)}")
        s = m.O[top][j]
        return Node(Written(r"\hat{y}" + (f"_{{{j}}}" if sub is not None else "")), s)

    @v_args(inline=True)
    def delta(self, token):
        text = str(token)
        ij = _indices(text.split("_", 1)[1], 2, self._in_network("delta"))
        n = self.model.spec.layers
        if not ij or not (1 <= ij[0] < len(n) and 1 <= ij[1] <= n[ij[0]]):
            raise self._error(token, f"unknown symbol {text}; {available(self.model)}")
        s = self.model.delta[ij[0]][ij[1]]
        return Node(s, s)

    @v_args(inline=True)
    def greek(self, token):
        s = self.model.lam if "lambda" in str(token) else ETA
        return Node(s, s)

    @v_args(inline=True)
    def letter(self, token):
        name, m = str(token), self.model
        if name == "e":
            return Node(sp.E, sp.E)
        if name == "L":
            return Node(L, L)
        if name in ("x", "y"):
            row = m.x if name == "x" else m.y
            if len(row) == 2:
                return Node(Written(name), row[1])
            raise self._error(token, f"this network has {len(row) - 1} {'inputs' if name == 'x' else 'outputs'}: "
                                     f"write {name}_1 .. {name}_{len(row) - 1}")
        raise self._error(token, unknown_name(self.spelled, token.start_pos, name) + f"; {available(m)}")

    @v_args(inline=True)
    def unknown_command(self, token):
        name = str(token)
        hint = " (write \\delta_{kj} with its indices)" if name == "\\delta" else ""
        raise self._error(token, f"unknown command {name}{hint}; the answer language knows \\frac, \\partial, "
                                 "\\cdot, \\times, \\left, \\right, \\sigma, \\tanh, \\exp, \\ln, \\log, \\sqrt, \\max, "
                                 "\\operatorname{ReLU}, \\hat{y}, \\lambda, \\eta, \\delta_{kj}, \\mathbb{1}[...]")

    # -- partials and functions ----------------------------------------------------------------
    def leibniz(self, children):
        names = [x for x in children if isinstance(x, Node)]
        top, bottom = names[0].math, names[1].math
        for s in (top, bottom):
            if s != L and not (self.model.neuron_of(s) and self.model.neuron_of(s)[0] in ("O", "z")) \
                    and s not in self.model.param_of and s not in self.model.x[1:]:
                raise self._error(children[0], f"a Leibniz partial takes L, O_kj, z_kj, w^k_ij or b^k_j; got {latex(s)}")
        if bottom == L:
            raise self._error(children[0], "∂A/∂L is not a derivative of the network: L is the end of every chain")
        p = Partial(top, bottom)
        return Node(p, p, 2)

    @v_args(inline=True)
    def function(self, token):
        return token

    @v_args(inline=True)
    def call(self, head, arg):
        return self._apply(head, arg, prime=False, power=None)

    @v_args(inline=True)
    def call_prime(self, head, _prime, arg):
        return self._apply(head, arg, prime=True, power=None)

    @v_args(inline=True)
    def call_power(self, head, caret, exponent, arg):
        return self._apply(head, arg, prime=False, power=(caret, exponent))

    def _apply(self, token, arg, prime, power):
        head, row = self._function(token, arg)
        if prime:
            if not isinstance(row, Activation):
                raise self._error(token, f"{head}' is not in the answer language: only activations take a prime")
            math = self._derivative(row, token, arg)
            head = head + "'"
        else:
            math = self._value(row, arg.math, token)
        echo = Call(head, arg.echo)
        if power is not None:
            caret, exponent = power
            if not (exponent.math.is_Integer and 1 <= exponent.math <= 10):
                raise self._error(caret, f"{head}^{{n}}(·) takes a whole power n from 1 to 10 "
                                         "(write the inverse of a function out)")
            math = math ** exponent.math
            echo = sp.Pow(echo, exponent.echo, evaluate=False)
        return Node(echo, math, self._deeper(arg) + 1)

    def _function(self, token, arg):
        """(LaTeX head, Activation or Function row) for a function token; f and f_k take the layer's activation."""
        text = str(token)
        if text == "H":
            return STEP.head, STEP
        if text.startswith("f"):
            k = self._layer_of_f(text, arg, token)
            return (f"f_{{{k}}}" if "_" in text else "f"), self.model.spec.activation(k)
        if text.startswith("\\") and "{" in text:
            name = text[text.index("{") + 1:text.rindex("}")].strip()
        else:
            name = text.lstrip("\\")
        row = FUNCTIONS.get(plain(name))
        if row is None:
            raise self._error(token, f"unknown function {name!r}; known: {', '.join(sorted(FUNCTIONS))}")
        return (row.latex if isinstance(row, Activation) else row.head), row

    def _layer_of_f(self, text, arg, token):
        n = len(self.model.spec.layers) - 1
        if "_" in text:
            (k,) = _indices(text.split("_", 1)[1], 1) or (0,)
            if not 1 <= k <= n:
                raise self._error(token, f"f_{k}: layers run from 1 to {n}")
            return k
        layers = {self.model.neuron_of(s)[1] for s in arg.math.free_symbols
                  if self.model.neuron_of(s) and self.model.neuron_of(s)[0] == "z"}
        if len(layers) == 1:
            return layers.pop()
        if len(set(self.model.spec.activations)) == 1:
            return 1
        raise self._error(token, "f(·) of this argument could be any layer's activation: write f_k(·) with the layer k")

    def _derivative(self, act, token, arg):
        """f'(u) from the activation table; f'(z_kj) of the layer's own neuron in the notes' O form."""
        neuron = self.model.neuron_of(arg.math)
        if neuron and neuron[0] == "z" and self.model.spec.activation(neuron[1]) is act:
            return self.model.f_prime(neuron[1], neuron[2])
        return act.sympy_df(sp, arg.math, act.sympy_f(sp, arg.math))

    def _value(self, row, u, token):
        """f(u) of an activation or function row, a numeric argument held to the row's limits first."""
        if isinstance(row, Activation):
            return row.sympy_f(sp, u)
        if row.grows:
            _check_exponent(u, token)
        if row.domain is not None and u.is_number and not row.domain(u):
            raise self._error(token, row.domain_note)
        return row.value(u)

    @v_args(inline=True)
    def maximum(self, _max, _open, a, _comma, b, _close):
        return Node(sp.Max(a.echo, b.echo, evaluate=False), sp.Max(a.math, b.math), self._deeper(a, b))

    @v_args(inline=True)
    def indicator_sub(self, one, _underscore, _open, a, _greater, b, _close):
        return self._indicator(a, b)

    @v_args(inline=True)
    def indicator_less(self, one, _open, a, _less, b, _close):
        return self._indicator(b, a)

    @v_args(inline=True)
    def indicator_sub_less(self, one, _underscore, _open, a, _less, b, _close):
        return self._indicator(b, a)

    @v_args(inline=True)
    def indicator(self, one, _open, a, _greater, b, _close):
        return self._indicator(a, b)

    def _indicator(self, a, b):
        """𝟙[a > b]."""
        u = a.math - b.math
        echo_u = a.echo if b.math == 0 else sp.Add(a.echo, sp.Mul(-1, b.echo, evaluate=False), evaluate=False)
        return Node(sp.Heaviside(echo_u, 0, evaluate=False), sp.Heaviside(u, 0), self._deeper(a, b))


def _with_commas(p):
    """A parameter's name with its indices apart: w^1_{11,2}."""
    return f"w^{p.layer}_{{{p.i},{p.j}}}" if p.is_weight else f"b^{p.layer}_{{{p.j}}}"


def _check_exponent(exponent, token):
    if exponent.is_number:
        value = _magnitude(exponent)
        if value is None or value > MAX_EXPONENT:
            raise AnswerError(f"exponent too large (more than {MAX_EXPONENT} in size)"
                              + (f" (column {token.column})" if getattr(token, "column", None) else ""))


def _magnitude(number):
    """|number| as a float, or None when it is not finite (never builds a huge integer)."""
    try:
        value = abs(complex(sp.N(number, 15)))
    except (TypeError, ValueError, OverflowError):
        return None
    return value if value < float("inf") else None


def _checked_power(base, exponent, token):
    """base ** exponent, refusing exponents and numbers over the limits before sympy computes them."""
    import math
    _check_exponent(exponent, token)
    if base.is_number and exponent.is_number:
        b, e = _magnitude(base), _magnitude(exponent)
        if b is None or (b > 0 and abs(e * math.log10(b)) > MAX_MAGNITUDE):
            raise AnswerError("number too large (over 10^300)"
                              + (f" (column {token.column})" if getattr(token, "column", None) else ""))
        if b == 0 and exponent.is_number and (exponent.is_negative or exponent == 0):
            raise AnswerError("0 to a power that is not positive is undefined")
    if base == sp.E:
        return sp.exp(exponent)
    return base ** exponent


def available(model):
    """The names an answer may use, for an error message."""
    spec, n = model.spec, model.spec.layers
    top = len(n) - 1
    outs = "y and \\hat{y}" if n[-1] == 1 else f"y_1..y_{n[-1]} and \\hat{{y}}_1..\\hat{{y}}_{n[-1]}"
    neurons = ", ".join(f"O_{k}1..O_{k}{n[k]}" if n[k] > 1 else f"O_{k}1" for k in range(1, top + 1))
    weights = ", ".join(f"w^{k}_ij (i 1..{n[k - 1]}, j 1..{n[k]})" for k in range(1, top + 1))
    text = (f"this {spec.layers_text} network has x_1..x_{n[0]}, {outs} (= O_{top}j), "
            f"{neurons} (and z_kj, \\delta_kj likewise), {weights}")
    if spec.bias:
        text += ", " + ", ".join(f"b^{k}_j (j 1..{n[k]})" for k in range(1, top + 1))
    return text + ", \\lambda, \\eta, e and numbers"


# ---- reading an answer -----------------------------------------------------------------------
_READABLE = {
    "PLUS": "'+'", "MINUS": "'-'", "SLASH": "'/'", "CARET": "'^'", "COMMA": "','", "EQUAL": "'='",
    "GREATER": "a comparison", "LESS": "a comparison", "UNDERSCORE": "'_'", "PRIME": "'", "TIMES": "'\\cdot'", "LPAR": "'('", "RPAR": "')'", "LBRACK": "'['",
    "RBRACK": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "NUMBER": "a number", "PARAM": "a weight such as w^{1}_{11}",
    "INDEXED": "a symbol such as O_{21} or x_{1}", "LETTER": "a symbol", "HAT": "\\hat{y}", "DELTA": "\\delta_{kj}",
    "GREEK": "\\lambda or \\eta", "FUNC": "a function such as \\sigma", "OPNAME": "\\operatorname{...}",
    "FNAME": "f(...)", "MAX": "\\max", "INDICATOR": "\\mathbb{1}", "FRAC": "\\frac", "PARTIAL": "\\partial",
    "COMMAND": "a command", "$END": "the end of the answer",
}


def _expected(names):
    readable = sorted({_READABLE.get(n, n) for n in names})
    if len(readable) > 8:
        # a long list reads badly; what can come next is most often one of these
        return "an expression (a number, a symbol, '(' or a function)"
    return "one of " + ", ".join(readable) if len(readable) > 1 else (readable[0] if readable else "nothing")


def shown(text, limit=20):
    """Text from an answer, safe to echo in a message: the characters themselves, but markup and invisible or
    control characters as code points (U+003C), length cut."""
    out = []
    for ch in text[:limit]:
        out.append(f"U+{ord(ch):04X}" if ch in "<>&\"`" or not ch.isprintable() else ch)
    return "".join(out) + ("..." if len(text) > limit else "")


def _too_early(text, expected):
    """The message for an answer that stops before its expression does, naming a last character not typed as
    ASCII (a dash typed for minus)."""
    last = text.rstrip()[-1:]
    after = f" after {DASHES[last] and repr(last)} ({DASHES[last]}: write - for minus)" if last in DASHES else ""
    return f"the answer ends too early (column {len(text.rstrip()) + 1}){after}; expected {_expected(expected)}"


def _typed(text, spelled, index):
    """The character the student typed where the respelled text has ``index``: itself, its name, a hint, and
    what it was read as when it was respelled (an en dash read as -)."""
    typed = text[min(spelled.column(index) - 1, len(text) - 1)]
    read_as = spelled.text[index:index + 1]
    if typed in DASHES:
        return f"'{typed}' ({DASHES[typed]}: write - for minus)"
    if typed != read_as and typed.isprintable() and not typed.isspace():
        return described(typed) + f", read as '{shown(read_as)}'"
    return described(read_as or typed)


def check_limits(text, typed=True):
    """Refuse an answer over the length or nesting limits before parsing it (``typed``: as the student typed it,
    else as respelled, whose sums may make it longer)."""
    if not isinstance(text, str):
        raise AnswerError("the answer must be text")
    if typed and len(text) > MAX_LENGTH:
        raise AnswerError(f"the answer is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise AnswerError("the answer is empty")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise AnswerError(f"the answer is nested too deeply ({deepest} levels of brackets; the limit is {MAX_DEPTH})")


def _reader(model):
    """The model's Builder and the parser that applies it at each reduction, made once per model."""
    key = ("grade: reader",)
    if key not in model.memo:
        builder = Builder(model)
        model.memo[key] = (builder, Lark(_grammar(), parser="lalr", lexer="contextual", transformer=builder,
                                         **lark_options("answers", _grammar())))
    return model.memo[key]


def read(text, model):
    """Parse an answer for a model's network into a Reading; AnswerError says what and where when it cannot.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.model import Model
    >>> from gradproof.symbolic.grade.parser import read
    >>> r = read(r"O_{31}(1-O_{31}) w^{3}_{11}", Model(Spec()))
    >>> r.latex
    'O_{31} \\\\cdot \\\\left(1 - O_{31}\\\\right) \\\\cdot w^{3}_{11}'
    >>> read("q_7", Model(Spec()))
    Traceback (most recent call last):
    ...
    gradproof.symbolic.grade.vocabulary.AnswerError: unknown symbol q_7; this 4-3-2-1 network has x_1..x_4, y and \\hat{y} (= O_3j), O_11..O_13, O_21..O_22, O_31 (and z_kj, \\delta_kj likewise), w^1_ij (i 1..4, j 1..3), w^2_ij (i 1..3, j 1..2), w^3_ij (i 1..2, j 1..1), \\lambda, \\eta, e and numbers (column 1)
    """
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    check_limits(text)
    spelled = respell(text)
    check_limits(spelled.text, typed=False)
    builder, parser = _reader(model)
    builder.begin(spelled)
    where = lambda index: _line_column(text, spelled.column(index) - 1)
    try:
        node = parser.parse(spelled.text)
    except UnexpectedCharacters as error:
        raise AnswerError(f"cannot read the answer at {where(error.pos_in_stream)}: unexpected character "
                          f"{_typed(text, spelled, error.pos_in_stream)}; expected {_expected(error.allowed or ())}") from None
    except UnexpectedEOF as error:
        raise AnswerError(_too_early(text, error.expected)) from None
    except UnexpectedToken as error:
        if error.token.type == "$END":
            raise AnswerError(_too_early(text, error.expected)) from None
        typed = text[spelled.column(error.token.start_pos) - 1]
        found = (_typed(text, spelled, error.token.start_pos) if typed not in str(error.token) or len(error.token) == 1
                 else f"'{shown(str(error.token))}'")
        raise AnswerError(f"cannot read the answer at {where(error.token.start_pos)}: "
                          f"unexpected {found}; expected {_expected(error.expected)}") from None
    except RecursionError:
        raise AnswerError(f"the answer is nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    sides = node.op[1] if isinstance(node.op, tuple) else [node]
    for side in sides:
        for number in side.math.atoms(sp.Rational):
            if max(abs(number.p), number.q).bit_length() > MAX_MAGNITUDE * 3.33:
                raise AnswerError(f"number too large (over 10^{MAX_MAGNITUDE})")
    printer = EchoPrinter()
    written = [Side(n.echo, n.math, printer.doprint(n.echo)) for n in sides]
    latex_ = " = ".join(side.latex for side in written)
    read_back = " = ".join(readback(side.echo) for side in written)
    lhs = None
    if len(written) > 1 and isinstance(written[0].math, Partial) and written[0].math.numerator == L:
        lhs = written.pop(0).math
    figures = max(builder.figures) if builder.figures else None
    return Reading(written[-1].echo, written[-1].math, latex_, lhs, written, figures, read_back, builder.notes)


def significant_figures(mantissa):
    """The significant figures a decimal is written with: '0.00792' 3, '7.90' 3, '-7.92178' 6, '7900.' 4.

    Examples
    ========
    >>> from gradproof.symbolic.grade.parser import significant_figures
    >>> significant_figures("0.00792"), significant_figures("7.90"), significant_figures("12")
    (3, 3, 2)
    """
    digits = mantissa.replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")
    return max(len(digits), 1)


def _line_column(text, index):
    """'line L, column C' of a 0-based index in the typed text."""
    line = text.count("\n", 0, index) + 1
    return f"line {line}, column {index - (text.rfind(chr(10), 0, index) + 1) + 1}"
