"""LaTeX for gradproof's expressions: sympy's LatexPrinter, taught the notes' names.

Every symbol of a network is made by :func:`symbol`, which records the LaTeX of its name
(``w^1_11`` prints ``w^{1}_{11}``, ``delta_21`` prints ``\\delta_{21}``); a Leibniz partial prints as
a fraction of partials; ReLU's step prints as an indicator. Products and sums keep the order they
were built in, so a chain rule reads in the order the notes write it.
"""
import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

_LATEX_NAMES = {}


def symbol(thing):
    """The sympy symbol for a notation object (a Param or a Neuron), real-valued.

    Examples
    ========
    >>> from gradproof.numeric.notation import Param
    >>> from gradproof.symbolic.printing import symbol, latex
    >>> latex(symbol(Param.weight(1, 1, 1)) ** 2)
    '\\\\left(w^{1}_{11}\\\\right)^{2}'
    """
    _LATEX_NAMES[thing.name] = thing.latex
    return sp.Symbol(thing.name, real=True)


class Partial(sp.Expr):
    """The Leibniz partial dA/dB, unevaluated: what the notes write before the local derivative is taken.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.printing import Partial, latex
    >>> latex(Partial(sp.Symbol("L"), sp.Symbol("O_31")))
    '\\\\frac{\\\\partial L}{\\\\partial O_{31}}'
    """

    is_commutative = True

    def __new__(cls, numerator, denominator):
        return sp.Expr.__new__(cls, numerator, denominator)

    @property
    def numerator(self):
        return self.args[0]

    @property
    def denominator(self):
        return self.args[1]

    def _sympystr(self, printer):
        return f"∂{printer._print(self.numerator)}/∂{printer._print(self.denominator)}"


def _is_chain(expr):
    """Whether a product is a chain rule's product of Leibniz partials (and sums of them)."""
    return isinstance(expr, sp.Mul) and expr.has(Partial)


def _chain_factors(printer, expr, bracket):
    """A chain rule's factors, in the order built: a sum over paths in square brackets, as the notes write
    dL/dO_31 [dO_31/dO_21 dO_21/dO_11 + ...] dO_11/dw; other factors bracketed as the printer would."""
    parts = []
    for factor in expr.args:
        tex = printer._print(factor)
        if isinstance(factor, sp.Add):
            tex = bracket % tex
        elif factor.is_Mul or precedence(factor) < PRECEDENCE["Mul"]:
            tex = "(%s)" % tex if bracket == "[%s]" else r"\left(%s\right)" % tex
        parts.append(tex)
    return parts


def _keep_built_order(printer, expr, order):
    """Sums sympy built itself read best in sympy's order (1 - O); ones built unevaluated keep the chain's."""
    if (order or printer.order) == "none" and expr.args == sp.Add(*expr.args).args:
        return expr.as_ordered_terms()
    return None


class GradproofStrPrinter(StrPrinter):
    """Plain text for a terminal: the notes' names, delta and lambda as Greek letters, the chain's order."""

    _default_settings = dict(StrPrinter._default_settings, order="none")

    def _print_Symbol(self, expr):
        name = expr.name
        if name.startswith("delta_"):
            return "δ" + name[5:]
        return {"lambda": "λ", "eta": "η"}.get(name, name)

    def _as_ordered_terms(self, expr, order=None):
        return _keep_built_order(self, expr, order) or super()._as_ordered_terms(expr, order=order)

    def _print_Mul(self, expr):
        if _is_chain(expr):
            return " · ".join(_chain_factors(self, expr, "[%s]"))
        return super()._print_Mul(expr)


def text(expr):
    """A terminal's reading of an expression, factors in the order they were built.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.printing import text
    >>> text(sp.Mul(sp.Symbol("delta_21"), 1 - sp.Symbol("O_21"), evaluate=False))
    'δ_21*(1 - O_21)'
    """
    return GradproofStrPrinter().doprint(expr)


class GradproofLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer with the notes' names, Leibniz partials and ReLU's indicator."""

    printmethod = "_gradproof_latex"
    _default_settings = dict(LatexPrinter._default_settings, order="none", mul_symbol="dot")

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in _LATEX_NAMES:
            return _LATEX_NAMES[expr.name]
        return super()._print_Symbol(expr, style)

    def _as_ordered_terms(self, expr, order=None):
        return _keep_built_order(self, expr, order) or super()._as_ordered_terms(expr, order=order)

    def _print_Mul(self, expr):
        if _is_chain(expr):
            return self._settings["mul_symbol_latex"].join(_chain_factors(self, expr, r"\left[%s\right]"))
        return super()._print_Mul(expr)

    def _print_Partial(self, expr):
        return (rf"\frac{{\partial {self._print(expr.numerator)}}}"
                rf"{{\partial {self._print(expr.denominator)}}}")

    def _print_Heaviside(self, expr, exp=None):
        # ReLU'(z) with ReLU'(0) = 0: the indicator of z > 0
        tex = rf"\mathbb{{1}}\left[{self._print(expr.args[0])} > 0\right]"
        return rf"{tex}^{{{exp}}}" if exp else tex


def latex(expr, **settings):
    """LaTeX for an expression of gradproof's symbols.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.printing import latex
    >>> latex(sp.Symbol("x") ** 2)
    'x^{2}'
    """
    return GradproofLatexPrinter(settings).doprint(expr)
