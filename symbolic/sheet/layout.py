"""Breaking long formulas across lines: at top-level + and − signs first, then between factors.

A formula is printed by symbolic/printing.py's ``latex`` piece by piece: the terms of a sum and the
factors of a product that do not fit are printed separately, with a break allowed before each, and
the pieces are packed greedily into lines of at most ``width`` units. A parenthesised sum that has
to break keeps its brackets as ``\\biggl(`` and ``\\biggr)``, which need no partner on the same line
(unlike ``\\left`` and ``\\right``). Widths are estimated from the LaTeX (about one unit per glyph,
fractions as wide as their wider half, scripts smaller), which is all a line breaker needs.
"""
import functools
import re

import sympy as sp

from .. import printing
from ..printing import GradproofLatexPrinter


@functools.lru_cache(maxsize=4096)
def _latex(expr, settings):
    return printing.latex(expr, **dict(settings))


def latex(expr, **settings):
    """symbolic/printing.py's latex, remembered: a sheet prints the same pieces many times while breaking lines."""
    return _latex(expr, tuple(sorted(settings.items())))

WIDTH = 64           # units per display line on a sheet (an A4 page at 11pt with 2.2 cm margins holds 66-72)

_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_ZERO = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "limits",
         "displaystyle", "!", ","}
_SPACES = {"quad": 2.0, "qquad": 4.0, ";": 0.5, ":": 0.4}
_BINARY = {"cdot": 1.3, "times": 1.5, "to": 2.0, "approx": 2.0, "leftarrow": 2.0}


def _group(tex, start):
    """The text of the brace group opening at tex[start] and the index after it."""
    depth = 0
    for n in range(start, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[n], 0)
        if depth == 0:
            return tex[start + 1:n], n + 1
    return tex[start + 1:], len(tex)


def _argument(tex, start):
    """One argument: a brace group or a single character (or command)."""
    if start < len(tex) and tex[start] == "{":
        return _group(tex, start)
    match = _COMMAND.match(tex, start)
    if match:
        return match.group(0), match.end()
    return tex[start:start + 1], start + 1


@functools.lru_cache(maxsize=8192)
def width(tex):
    """An estimate of how wide a LaTeX formula prints, in units of about one glyph.

    Examples
    ========
    >>> from gradproof.symbolic.sheet.layout import width
    >>> width("a + b")
    3.6
    >>> width(r"\\frac{\\partial L}{\\partial O_{31}}") < width("O_{31} O_{31}")
    True
    """
    total, n = 0.0, 0
    while n < len(tex):
        c = tex[n]
        if c == "\\":
            match = _COMMAND.match(tex, n)
            name, n = match.group(1), match.end()
            if name == "frac":
                top, n = _argument(tex, n)
                bottom, n = _argument(tex, n)
                total += max(width(top), width(bottom)) + 0.4
            elif name in ("operatorname", "mathrm", "text", "mathit"):
                body, n = _argument(tex, n)
                total += 0.9 * len(body)
            elif name in ("mathbb", "mathbf"):
                body, n = _argument(tex, n)
                total += width(body)
            elif name in _ZERO:
                continue
            elif name in _SPACES:
                total += _SPACES[name]
            else:
                total += _BINARY.get(name, 1.0)
        elif c in "^_":
            body, n = _argument(tex, n + 1)
            total += 0.7 * width(body)
        elif c in "{}& ":
            n += 1
        elif c in "+-=<>":
            total += 1.6
            n += 1
        else:
            total += 0.8 if c.isdigit() or c in ".," else 1.0
            n += 1
    return round(total, 3)


class _Piece:
    """A piece of a broken formula; a line may end before it when ``breakable``."""

    __slots__ = ("tex", "breakable")

    def __init__(self, tex, breakable):
        self.tex, self.breakable = tex, breakable


def _printer():
    return GradproofLatexPrinter()


def _factors(product):
    """A product's factors to print one by one: a leading minus apart, the denominator as one 1/(...) factor.

    Returns (sign, factors): sign is "- " or "".
    """
    args = list(product.args)
    sign = ""
    if args[0].is_Number and args[0] < 0:
        sign = "- "
        args = args[1:] if args[0] == -1 else [-args[0]] + args[1:]
    below = [a for a in args if isinstance(a, sp.Pow) and a.exp.is_negative]
    above = [a for a in args if a not in below]
    if below:
        denominator = sp.Mul(*[sp.Pow(a.base, -a.exp) for a in below], evaluate=False)
        above = [sp.Pow(denominator, -1, evaluate=False)] + above
    return sign, above


def _pieces(expr, limit, force=False):
    """The pieces of expr: one piece when it fits in ``limit`` (unless forced), else its terms or factors."""
    tex = latex(expr)
    if (width(tex) <= limit and not force) or not isinstance(expr, (sp.Add, sp.Mul)):
        return [_Piece(tex, False)]
    printer = _printer()
    out = []
    if isinstance(expr, sp.Add):
        for n, term in enumerate(printer._as_ordered_terms(expr)):
            sign = ""
            if term.could_extract_minus_sign() and not isinstance(term, sp.Mul):
                sign, term = "- ", -term
            elif n:
                sign = "+ "
            inner = _pieces(term, limit)
            if sign == "+ " and inner[0].tex.startswith("- "):
                sign, inner[0] = "", _Piece(inner[0].tex, False)
            inner[0] = _Piece(sign + inner[0].tex, n > 0)
            out += inner
        return out
    sign, factors = _factors(expr)
    if len(factors) == 1:
        inner = _pieces(factors[0], limit, force)
        inner[0] = _Piece(sign + inner[0].tex, False)
        return inner
    for n, factor in enumerate(factors):
        bracket = printer._needs_mul_brackets(factor, first=n == 0, last=n == len(factors) - 1)
        text = latex(factor)
        # a long bracketed sum breaks inside, at its + signs, rather than moving whole to the next line
        if width(text) <= limit and not (bracket and isinstance(factor, sp.Add) and width(text) > limit / 3):
            inner = [_Piece(rf"\left({text}\right)" if bracket else text, False)]
        else:
            inner = _pieces(factor, limit, force=bracket)
            if bracket:
                size = "bigg" if r"\frac" in text else "Big"
                inner[0] = _Piece(rf"\{size}l(" + inner[0].tex, inner[0].breakable)
                inner[-1] = _Piece(inner[-1].tex + rf"\{size}r)", inner[-1].breakable)
        if n:
            inner[0] = _Piece(r"\cdot " + inner[0].tex, True)
        out += inner
    out[0] = _Piece(sign + out[0].tex, out[0].breakable)
    return out


def lines(expr, limit=WIDTH, first=None):
    """expr printed as LaTeX lines of at most ``limit`` units (the first line ``first`` units), broken
    before a + or − of a sum where it can, else before a factor. A piece wider than a line stays whole.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.sheet.layout import lines
    >>> a, b, c = sp.symbols("a b c")
    >>> lines(a + b + c)
    ['a + b + c']
    >>> lines(sp.Add(a, b, c, evaluate=False), limit=3)
    ['a', '+ b', '+ c']
    """
    first = limit if first is None else first
    out, current = [], ""
    for piece in _pieces(expr, min(first, limit)):
        room = first if not out else limit
        candidate = f"{current} {piece.tex}".strip()
        if current and piece.breakable and width(candidate) > room:
            out.append(current)
            current = piece.tex
        else:
            current = candidate
    out.append(current)
    return out


def rows(lhs, rhs_parts, limit=WIDTH):
    """Rows of an aligned display ``lhs = part = part ...``: each part on its own row when the whole does not
    fit, each part broken by :func:`lines` where it is too long. Parts are sympy expressions or LaTeX strings.
    """
    texts = [p if isinstance(p, str) else latex(p) for p in rhs_parts]
    whole = " = ".join(texts)
    if width(whole) + width(lhs) <= limit:
        return [f"{lhs} &= {whole}"]
    out = []
    for n, (part, text) in enumerate(zip(rhs_parts, texts)):
        left = lhs if n == 0 else ""
        broken = [text] if isinstance(part, str) else beside(lhs, part, limit)
        out.append(f"{left} &= {broken[0]}")
        out += [rf"&\quad {line}" for line in broken[1:]]
    return out


DIGITS = 6                   # significant digits of a number on a sheet


def number(value, digits=DIGITS, zeros=False):
    """A number as LaTeX, ``digits`` significant digits, powers of ten written out; ``zeros`` keeps trailing zeros
    (a column of numbers then shows one precision throughout).

    Examples
    ========
    >>> from gradproof.symbolic.sheet.layout import number
    >>> number(0.125), number(-2.5e-07), number(-0.0), number(0.95, zeros=True)
    ('0.125', '-2.5 \\\\times 10^{-7}', '0', '0.950000')
    """
    text = f"{float(value):{'#' if zeros else ''}.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return "0" if text == "-0" else text


def beside(lhs, expr, limit=WIDTH):
    """expr broken into lines to stand right of ``lhs &=`` in an aligned display: the first line after the
    ``=``, the others after ``&\\quad``, both starting right of the left-hand side's column."""
    room = limit - width(lhs)
    return lines(expr, room - 4, room - 2)
