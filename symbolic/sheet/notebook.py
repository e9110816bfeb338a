"""How a derivation and an evaluation show in Jupyter: LaTeX (``_repr_latex_``) and MathML (``_repr_html_``).

The same printer and line breaking as the sheets: a derivation shows its chain rule summed over the
paths, its closed form and its delta form; an evaluation shows the loss and every gradient.

chain.py's and evaluate.py's repr methods import this module when Jupyter asks for a repr, so it imports
only the printer and the layout (never content.py, chain.py or evaluate.py): no circle of imports
(tests/test_imports.py walks them).
"""

from ..model import L
from ..printing import Partial, symbol
from .layout import beside, latex, number


def _aligned(rows):
    return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def derivation_latex(d):
    """A derivation as display LaTeX: Leibniz form, closed form, delta form (the first two while readable).

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.notation import Param
    >>> from gradproof.symbolic.chain import derive
    >>> text = derivation_latex(derive(Spec(layers=(1, 1)), Param.weight(1, 1, 1)))
    >>> text.startswith("$$") and r"\\delta_{11}" in text
    True
    """
    lhs = latex(Partial(L, d.symbol))
    rows = []
    for form in (d.leibniz, d.closed_form, d.memoized_leibniz, d.memoized):
        if form is None:
            continue
        broken = beside(lhs, form)
        rows.append(f"{lhs if not rows else ''} &= {broken[0]}")
        rows += [rf"&\quad {line}" for line in broken[1:]]
    return "$$" + _aligned(rows) + "$$"


def evaluation_latex(evaluation):
    """An evaluation as display LaTeX: the loss, then dL/dparam = value for every parameter."""
    rows = [rf"L &= {number(evaluation.loss)}"]
    for param, value in evaluation.gradients.items():
        rows.append(rf"{latex(Partial(L, symbol(param)))} &= {number(value)}")
    return "$$" + _aligned(rows) + "$$"


def as_html(display_latex):
    """Display LaTeX (as the two functions above return it) as the sheet shows a display: aligned MathML rows in
    the sheet's fonts and colours, the style scoped to this output (a notebook page has styles of its own)."""
    from .html import NOTEBOOK_CSS, display
    body = display_latex.strip("$").removeprefix(r"\begin{aligned}").removesuffix(r"\end{aligned}")
    rows = display(body.split(r" \\ "))
    return f'<div class="gradproof-sheet"><style>{NOTEBOOK_CSS}</style>{rows}</div>'
