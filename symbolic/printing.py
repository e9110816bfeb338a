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
_PLACES = {}                 # symbol name -> (letter, layer): where a factor stands in the notes' order


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
    if hasattr(thing, "layer"):
        _PLACES[thing.name] = (getattr(thing, "letter", None) or thing.name[0], thing.layer)
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


def _rank(factor):
    """Where a factor of a product goes in the notes' order: the loss's y - y_hat first, then the deltas, then
    the chain from the output back (per layer: the activation's slope, then the weight), the inputs last."""
    places = [_PLACES[s.name] for s in factor.free_symbols if s.name in _PLACES]
    letters = {letter for letter, _ in places}
    if "y" in letters:
        return (0, 0, 0, 0)
    if factor.is_Symbol and letters == {"delta"}:
        return (1, -places[0][1], 0, 0)
    if not places:
        return (1, 0, 0, 0)              # constants such as lambda go with the coefficient
    layer = max(layer for _, layer in places)
    weight = factor.is_Symbol and letters <= {"w", "b"}
    return (2, -layer, int(weight), int(factor.is_Add))


def _residual_first(factor):
    """O - y as -(y - O): the notes write the loss's residual y - y_hat."""
    if factor.is_Add and any(_PLACES.get(getattr(t, "name", ""), ("",))[0] == "y"
                             for t in factor.args if t.is_Symbol):
        return False
    return factor.is_Add and any(_PLACES.get(s.name, ("",))[0] == "y" for s in factor.free_symbols)


def notes_order(expr):
    r"""A product's (coefficient, factors) in the notes' order (see _rank), a residual O - y turned to y - O;
    None when the product already reads so.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.numeric.notation import Neuron, Param
    >>> from gradproof.symbolic.printing import latex, symbol
    >>> O, x, y = symbol(Neuron("O", 2, 1)), symbol(Neuron("x", 0, 1)), symbol(Neuron("y", 0, 1))
    >>> print(latex(x * O * (1 - O) * symbol(Param.weight(2, 1, 1))))
    O_{21} \cdot \left(1 - O_{21}\right) \cdot w^{2}_{11} \cdot x_{1}
    >>> print(latex(sp.factor(2 * (O - y))))
    - 2 \cdot \left(y_{1} - O_{21}\right)
    """
    coeff, factors = expr.as_coeff_mul()
    factors = list(factors)
    flipped = [-f if _residual_first(f) else f for f in factors]
    if sum(a is not b for a, b in zip(factors, flipped)) % 2:
        coeff = -coeff
    ordered = sorted(flipped, key=_rank)
    if ordered == factors and coeff == expr.as_coeff_mul()[0]:
        return None
    return coeff, ordered


def _has_y(term):
    return any(_PLACES.get(s.name, ("",))[0] == "y" for s in term.free_symbols)


def _keep_built_order(printer, expr, order):
    """Sums sympy built itself read best in sympy's order (1 - O), a target y first (y - O, as the notes write
    the residual); ones built unevaluated keep the chain's."""
    if (order or printer.order) == "none" and expr.args == sp.Add(*expr.args).args:
        return sorted(expr.as_ordered_terms(), key=lambda t: not _has_y(t))
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
        ordered = notes_order(expr)
        if ordered is None:
            return super()._print_Mul(expr)
        coeff, factors = ordered
        sign = "- " if coeff < 0 else ""
        factors = ([abs(coeff)] if abs(coeff) != 1 else []) + factors
        body = super()._print_Mul(sp.Mul(*factors, evaluate=False)) if len(factors) > 1 else self._print(factors[0])
        return sign + body

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
