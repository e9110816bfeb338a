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


def rank(factor):
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
    """O - y as -(y - O): the notes write the loss's residual y - y_hat; and a sum of targets' terms that all carry
    a minus as -(the sum). A sum with terms of both signs and no lone target stays as it is (softmax's
    y_2 O_21 + y_3 O_21 - y_1 (1 - O_21))."""
    def is_y(t):
        return t.is_Symbol and _PLACES.get(t.name, ("",))[0] == "y"
    if not factor.is_Add or not any(is_y(s) for s in factor.free_symbols) or any(is_y(t) for t in factor.args):
        return False
    return any(is_y(-t) for t in factor.args) or all(t.could_extract_minus_sign() for t in factor.args)


def _sympy_ordered(product):
    """Whether a product's factors stand in sympy's canonical order (the coefficient first), as sympy builds them."""
    from sympy.core.mul import _mulsort
    args = list(product.args)
    head = args[:1] if args and args[0].is_Number else []
    rest = args[len(head):]
    _mulsort(rest)
    return head + rest == list(product.args)


def notes_order(expr):
    r"""A product's (coefficient, factors) in the notes' order (see rank), a residual O - y turned to y - O;
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
    if not _sympy_ordered(expr):
        return None                      # built unevaluated in an order of its own (a chain, a student's answer)
    coeff, factors = expr.as_coeff_mul()
    ordered = ordered_factors(expr.args)
    new_coeff, new_factors = (ordered[0], ordered[1:]) if ordered[0].is_Number else (sp.Integer(1), ordered)
    if new_factors == list(factors) and new_coeff == coeff:
        return None
    return new_coeff, new_factors


def ordered_factors(factors):
    """Factors in the notes' order (see rank), the numbers multiplied into one leading coefficient (none
    when it is 1), a factor and its reciprocal cancelled (softmax's -y_2/O_22 · -O_21 O_22 is y_2 O_21), and a
    residual O - y turned to y - O with the sign moved to the coefficient."""
    coeff, rest = sp.Integer(1), []
    for f in _cancelled(factors):
        if f.is_Number:
            coeff *= f
        elif _residual_first(f):
            coeff, f = -coeff, -f
            rest.append(f)
        else:
            rest.append(f)
    rest.sort(key=rank)
    return ([coeff] if coeff != 1 else []) + rest


def _cancelled(factors):
    """The factors without each pair f, 1/f, and each pair -f, 1/f for a -1 (sigmoid with cross-entropy:
    (1 - O)/(O - 1) is -1)."""
    out = list(factors)
    for f in factors:
        if isinstance(f, sp.Pow) and f.exp == -1 and f in out:
            if f.base in out:
                out.remove(f)
                out.remove(f.base)
            elif -f.base in out:
                out.remove(f)
                out.remove(-f.base)
                out.append(sp.Integer(-1))
    return out


def _has_y(term):
    return any(_PLACES.get(s.name, ("",))[0] == "y" for s in term.free_symbols)


def _keep_built_order(printer, expr, order):
    """Sums sympy built itself read best in sympy's order (1 - O), a target y first (y - O, as the notes write
    the residual); ones built unevaluated keep the chain's."""
    if (order or printer.order) == "none" and expr.args == sp.Add(*expr.args).args:
        return sorted(expr.as_ordered_terms(), key=lambda t: not _has_y(t))
    return None


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_GREEK = {"delta": "δ", "lambda": "λ", "eta": "η", "sigma": "σ"}


def unicode_name(name):
    """A symbol's name as a terminal or an SVG label shows it: scripts as Unicode digits.

    Examples
    ========
    >>> from gradproof.symbolic.printing import unicode_name
    >>> unicode_name("w^1_11"), unicode_name("O_31"), unicode_name("delta_21"), unicode_name("w^1_{10,3}")
    ('w¹₁₁', 'O₃₁', 'δ₂₁', 'w¹₁₀,₃')
    """
    head, sup, sub = name, "", ""
    if "_" in head:
        head, _, sub = head.partition("_")
    if "^" in head:
        head, _, sup = head.partition("^")
    sub = sub.strip("{}")
    return (_GREEK.get(head, head) + sup.strip("{}").translate(_SUP)
            + ",".join(part.translate(_SUB) for part in sub.split(",")))


class GradproofStrPrinter(StrPrinter):
    """Plain text: the notes' names as written in answers (O_21, w^2_11), delta and lambda as Greek letters, the
    chain's order. The grader's messages speak this way, next to the student's own spelling."""

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
    """A plain reading of an expression, factors in the order they were built.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.printing import text
    >>> text(sp.Mul(sp.Symbol("delta_21"), 1 - sp.Symbol("O_21"), evaluate=False))
    'δ_21*(1 - O_21)'
    """
    return GradproofStrPrinter().doprint(expr)


class UnicodePrinter(StrPrinter):
    """Readable Unicode for a terminal: the notes' names with Unicode scripts (O₃₁, w¹₁₁, δ₂₁), · for a product,
    − for minus, powers as superscripts, |x|, the indicator 𝟙[z > 0]; products in the notes' order."""

    _default_settings = dict(StrPrinter._default_settings, order="none")

    def _print_Symbol(self, expr):
        return unicode_name(expr.name)

    def _as_ordered_terms(self, expr, order=None):
        return _keep_built_order(self, expr, order) or super()._as_ordered_terms(expr, order=order)

    def _print_Add(self, expr, order=None):
        out = []
        for n, term in enumerate(self._as_ordered_terms(expr, order=order)):
            negative = term.could_extract_minus_sign() and not _is_chain(term)
            tex = self._print(-term if negative else term)
            if precedence(term) < PRECEDENCE["Add"] or (negative and precedence(-term) < PRECEDENCE["Add"]):
                tex = f"({tex})"
            out.append(("−" if negative else "") + tex if n == 0 else (" − " if negative else " + ") + tex)
        return "".join(out)

    def _print_Mul(self, expr):
        if _is_chain(expr):
            return " · ".join(_chain_factors(self, expr, "[%s]"))
        ordered = notes_order(expr)
        coeff, factors = ordered if ordered is not None else expr.as_coeff_mul()
        if coeff < 0:
            return "−" + self._print(sp.Mul(-coeff, *factors, evaluate=False) if coeff != -1 else
                                     (sp.Mul(*factors, evaluate=False) if len(factors) > 1 else factors[0]))
        numerator = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denominator = [sp.Pow(f.base, -f.exp) for f in factors if f.is_Pow and f.exp.is_negative]
        if coeff != 1 and coeff.is_Rational and coeff.q != 1:
            denominator.insert(0, sp.Integer(coeff.q))
            coeff = sp.Integer(coeff.p)
        parts = ([self._print(coeff)] if coeff != 1 or not numerator else [])
        parts += [self.parenthesize(f, PRECEDENCE["Mul"]) for f in numerator]
        out = "·".join(parts)
        if denominator:
            below = "·".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in denominator)
            out += "/" + (f"({below})" if len(denominator) > 1 else below)
        return out

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.base, expr.exp
        if exp.is_Integer and exp < 0:
            return "1/" + self.parenthesize(sp.Pow(base, -exp), PRECEDENCE["Mul"])
        if exp == sp.S.Half:
            return f"√({self._print(base)})"
        shown = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        if exp.is_Integer:
            return shown + str(exp).translate(_SUP)
        return f"{shown}^({self._print(exp)})"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_Heaviside(self, expr):
        return f"𝟙[{self._print(expr.args[0])} > 0]"

    def _print_exp(self, expr):
        return f"e^({self._print(expr.args[0])})"

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)


def terminal(expr):
    """A terminal's reading of an expression in readable Unicode, products in the notes' order.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.printing import terminal
    >>> terminal(sp.Mul(sp.Symbol("delta_21"), 1 - sp.Symbol("O_21"), evaluate=False))
    'δ₂₁·(1 − O₂₁)'
    >>> terminal((sp.Symbol("y_1") - sp.Symbol("O_31")) ** 2), terminal(abs(sp.Symbol("w^2_11")) / 4)
    ('(y₁ − O₃₁)²', '|w²₁₁|/4')
    """
    return UnicodePrinter().doprint(expr)


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
            if _sympy_ordered(expr) or not (expr.args[0].is_Number and expr.args[0] < 0):
                return super()._print_Mul(expr)
            ordered = expr.args[0], list(expr.args[1:])     # sympy would print -expr, re-sorting the factors
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
