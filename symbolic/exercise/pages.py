"""The question and the worked solution of a variant, as sheets (symbolic/sheet/document.py blocks).

The solution reuses the derivation sheet's own sections (symbolic/sheet/content.py): the forward pass,
the delta's, a parameter's paths, chain rule, local derivatives, closed and delta forms with the values
at the variant's point, and the summary table of a gradient-descent step; the renderers of the sheets
print them. The combined questions/solutions files hold one variant per page.
"""
import itertools

from ..model import L
from ..printing import Partial
from ..sheet import content
from ..sheet.document import (
    Code,
    Display,
    Figure,
    Heading,
    Items,
    Math,
    Paragraph,
    Sheet,
    Table,
    answer_space,
    parts,
)
from ..sheet.layout import latex, number
from ..sheet.layout import rows as display_rows
from .generate import path_neurons
from .key import DECIMALS, SIGNIFICANT

# room to write, in characters: a number to SIGNIFICANT digits with sign and power of ten; a weight to DECIMALS
NUMBER_CHARS, WEIGHT_CHARS, COUNT_CHARS = 14, DECIMALS + 8, 6


def _n(value):
    return number(value)


def _asked(value, stage=None):
    """A number as the question asks for it: a new weight to DECIMALS places, anything else to SIGNIFICANT digits."""
    if stage == 2:
        return f"{value:.{DECIMALS}f}"
    return number(value, SIGNIFICANT)


def _partial(w):
    """dL/dw written on one line (∂L/∂w), so that the weight's indices stay full size in a sentence."""
    return Math(rf"\partial L / \partial {latex(w)}")


def _points(p):
    return f"{p:g} point{'s' if p != 1 else ''}"


def _point_blocks(model, point):
    """The variant's numbers: inputs and targets in a sentence, each layer's weights as a table."""
    spec = model.spec
    out = [Paragraph(parts("Inputs ", *_join([Math(rf"x_{{{i}}} = {_n(point.x[0, i - 1])}") for i in range(1, spec.layers[0] + 1)]),
                           "; target", "s " if spec.layers[-1] > 1 else " ",
                           *_join([Math(rf"y_{{{j}}} = {_n(point.y[0, j - 1])}") if spec.layers[-1] > 1 else Math(f"y = {_n(point.y[0, 0])}")
                                   for j in range(1, spec.layers[-1] + 1)]), "."))]
    for k in range(1, len(spec.layers)):
        W = point.W[k - 1]
        header = (parts(Math(rf"w^{{{k}}}_{{ij}}")),) + tuple(parts(Math(f"j = {j}")) for j in range(1, W.shape[1] + 1))
        body = tuple((parts(Math(f"i = {i}")),) + tuple(parts(Math(_n(W[i - 1, j - 1]))) for j in range(1, W.shape[1] + 1))
                     for i in range(1, W.shape[0] + 1))
        caption = parts("The weights of layer ", str(k), " (row ", Math("i"), ": from neuron ", Math("i"), " of layer ",
                        str(k - 1), ").")
        if spec.bias:
            caption += parts(" Biases: ", *_join([Math(rf"b^{{{k}}}_{{{j}}} = {_n(point.b[k - 1][j - 1])}")
                                                  for j in range(1, W.shape[1] + 1)]), ".")
        out.append(Table(header, body, "l" + "r" * W.shape[1], caption))
    return out


def _join(items):
    out = []
    for n, item in enumerate(items):
        out += [", "] if n else []
        out.append(item)
    return out


def _path_tex(model, neurons):
    return r" \to ".join(latex(model.O[k][j]) for k, j in neurons) + r" \to L"


def _head(q):
    return Heading(2, parts(f"Question {q.number} ({_points(q.points)})"), f"q{q.number}")


FORMS_ASKED = {
    "closed": (" as a closed expression in ", ("x_i", "y", "O_{kj}", "z_{kj}"),
               (" and the weights: carry the chain rule through, so no ", Math(r"\partial"), "-quotient and no ",
                Math(r"\delta"), " in the answer (LaTeX).")),
    "delta": (" as an expression in ", ("x_i", "y", "O_{kj}", "z_{kj}", r"\delta_{kj}"),
              (" and the weights; δ's are allowed, ", Math(r"\partial"), "-quotients are not (LaTeX).")),
    "any": (" as an expression in ", ("x_i", "y", "O_{kj}", "z_{kj}"),
            (" and the weights; δ's and ", Math(r"\partial"), "-quotients are allowed (LaTeX).")),
}


def ask_expression(model, q, blanks, paper=True):
    w = model.symbols[q.param]
    lead, symbols, tail = FORMS_ASKED[q.forms]
    listed = [item for n, sym in enumerate(symbols) for item in ([", "] if n else []) + [Math(sym)]]
    out = [_head(q), Paragraph(parts("Write ", _partial(w), " by the chain rule,", lead, *listed, ", ",
                                     Math("w^{k}_{ij}"), *tail, " Answer blank ", Code(blanks[0].id), "."))]
    return out + ([answer_space(blanks[0].id, lines=4)] if paper else [])


def ask_matrix(model, q, blanks, paper=True):
    from gradproof.numeric.layouts import layout as layout_row
    letter, k = q.target.split("^")
    rows = layout_row(model.spec.layout).samples_in_rows
    out = [_head(q), Paragraph(parts(
        "For a batch of m samples laid out ", "one per row" if rows else "one per column", " (",
        Math(r"W^{k}") , " of shape ", Math(r"n_{k-1} \times n_k" if rows else r"n_k \times n_{k-1}"),
        "), write ", Math(rf"\partial L / \partial {letter}^{{{k}}}"), " in matrix form, in terms of ",
        Math(r"X, Y, \hat{Y}, W^{k}, O^{k}, Z^{k}"), ", ", Math(r"\delta^{k} = \partial L/\partial O^{k}"), ", ",
        Math(r"\partial L/\partial Z^{k}"), ", ", Math(r"\mathbf{1}"), ", ", Math(r"^\top"), ", ",
        Math(r"\odot"), " and ", Math("f'(Z^{k})"), " (LaTeX). Answer blank ", Code(blanks[0].id), ".")),
        Paragraph(parts("⊙ and the matrix product bind equally and group from the left, as numpy reads * and @: "
                        "bracket a mix."))]
    return out + ([answer_space(blanks[0].id, lines=3)] if paper else [])


def solve_matrix(sheet, model, q, blanks, values, derivations):
    from ..matrix import sheet as matrix_sheet
    from ..matrix.targets import target_of
    target = target_of(q.target, model.spec)
    sheet.add(Paragraph(parts("The answer (blank ", Code(blanks[0].id), "); any form equal to it entry by entry is "
                              "correct:")))
    sheet.add(Display((rf"{target.latex()} &= {blanks[0].answer}",)))
    matrix_sheet.layer_part(sheet, model.spec, target.layer)


def ask_gradient(model, q, blanks, paper=True):
    w = model.symbols[q.param]
    out = [_head(q), Paragraph(parts("Compute ", _partial(w), f" at your point, to at least {SIGNIFICANT} significant "
                                     f"digits (relative tolerance {q.rtol:g}). Answer blank ", Code(blanks[0].id), "."))]
    return out + ([answer_space(blanks[0].id, NUMBER_CHARS)] if paper else [])


def ask_paths(model, q, blanks, paper=True):
    w = model.symbols[q.param]
    out = [_head(q), Paragraph(parts("How many paths lead from ", Math(latex(w)), " to the loss ", Math("L"),
                                     "? (a whole number) Answer blank ", Code(blanks[0].id), "."))]
    return out + ([answer_space(blanks[0].id, COUNT_CHARS)] if paper else [])


def ask_flow(model, q, blanks, paper=True):
    neurons = path_neurons(model.spec, q.param, q.path)
    return [_head(q), Paragraph(parts("Along the one path ", Math(_path_tex(model, neurons)), " (one of the paths of ",
                                      Math(latex(model.symbols[q.param])), "), compute the product of its local factors, each ",
                                      Math(r"f_k'(z_{kj})\, w^{k}_{ij}"), " for one step of the path, at your point (blank ",
                                      Code(blanks[0].id), "; this path's product only, not the sum over every path), and its "
                                      "bound ", Math(r"\prod_k c_k\, |w^{k}_{ij}|"), ", where ", Math("c_k"),
                                      " is the largest slope of layer ", Math("k"), "'s activation (blank ", Code(blanks[1].id), ")."))
            ] + ([answer_space(b.id, NUMBER_CHARS) for b in blanks[:2]] if paper else [])


def ask_step(model, q, blanks, paper=True):
    """One table per stage, each short enough for a page; on paper a column to write the answers in (on a
    platform the answer goes into the platform's own input)."""
    out = [_head(q), Paragraph(parts("One gradient-descent step at your point with ", Math(rf"\eta = {_n(q.lr)}"),
                                     ": the loss, the δ's from the output back, the gradients and the new weights ",
                                     Math(r"w - \eta\, \partial L / \partial w"), f". Give {SIGNIFICANT} significant digits, "
                                     f"and the new weights to {DECIMALS} decimal places (the update is small next to the "
                                     "weight)."))]
    for caption, group in _stages(blanks):
        if paper:
            room = "_" * (WEIGHT_CHARS if group[0].quantity.stage == 2 else NUMBER_CHARS)
            rows = tuple((parts(Code(b.id)), parts(Math(b.label(model)[1])), parts(room)) for b in group)
            out.append(Table((parts("blank"), parts("quantity"), parts("your answer")), rows, "lll", parts(caption)))
        else:
            rows = tuple((parts(Code(b.id)), parts(Math(b.label(model)[1]))) for b in group)
            out.append(Table((parts("blank"), parts("quantity")), rows, "ll", parts(caption)))
    return out


def _stages(blanks):
    """A step's blanks by stage: (caption, blanks) for the forward/backward values, the gradients, the updates."""
    names = ("The loss and the δ's.", "The gradients.", "The new weights.")
    return [(names[s], [b for b in blanks if b.quantity.stage == s]) for s in range(3)
            if any(b.quantity.stage == s for b in blanks)]


def question_intro(assignment, model, variant, total=None):
    """The question sheet's blocks before the first question: the title, the network, the point."""
    spec = assignment.spec
    where = f"variant {variant.number}" + (f" of {total}" if total else "")
    title = f"{assignment.title}: {variant.id}"
    out = [Heading(1, parts(title))]
    out.append(Paragraph(parts(f"Your variant: {variant.id} ({where}). ", content.describe(spec))))
    from ..sheet.diagram import drawable
    if drawable(spec):
        out.append(Figure(model, None, parts("The network: ", Math(r"O_{0i} = x_i"), "; ", Math("O_{kj}"),
                                             " is the output of neuron ", Math("j"), " of layer ", Math("k"), "."),
                          small=True))
    out.append(Heading(2, parts("Your point"), "point"))
    out += _point_blocks(model, variant.point)
    out.append(Paragraph(parts("Write each answer against its blank's id. A number is compared with the exact value "
                               "at your point; give the digits asked for.")))
    return out


def ask(model, q, variant, paper=True):
    """The blocks of one question of a variant."""
    return q.kind.ask(model, q, variant.blanks[q.number], paper)


def question_sheet(assignment, model, variant, total=None, name="question"):
    sheet = Sheet(f"{assignment.title}: {variant.id}", question_intro(assignment, model, variant, total), name)
    for q in assignment.questions:
        sheet.add(*ask(model, q, variant))
    return sheet


# ---- solutions ------------------------------------------------------------------------------------
def _answer_tables(model, blanks):
    out = []
    for caption, group in _stages(blanks):
        rows = []
        for b in group:
            text, tex = b.label(model)
            value = b.answer
            shown = Math(_asked(value, b.quantity.stage)) if isinstance(value, float) else Math(str(value))
            rows.append((parts(Code(b.id)), parts(Math(tex)) if tex else parts(text), parts(shown)))
        out.append(Table((parts("blank"), parts("quantity"), parts("answer")), tuple(rows), "llr", parts(caption)))
    return out


def solve_expression(sheet, model, q, blanks, values, derivations):
    d = derivations(q.param)
    sheet.add(Paragraph(parts("The answer (blank ", Code(blanks[0].id), "); any form equal to it is correct:")))
    sheet.add(Display(tuple(display_rows(latex(Partial(L, d.symbol)), [d.closed_form if d.readable else d.memoized]))))
    content._parameter(sheet, d, values)


def solve_gradient(sheet, model, q, blanks, values, derivations):
    d = derivations(q.param)
    sheet.add(Paragraph(parts("The answer (blank ", Code(blanks[0].id), "): ",
                              Math(rf"{latex(Partial(L, d.symbol))} = {_asked(blanks[0].answer)}"), ".")))
    content._parameter(sheet, d, values)


def solve_paths(sheet, model, q, blanks, values, derivations):
    d = derivations(q.param)
    sheet.add(Paragraph(parts("The answer (blank ", Code(blanks[0].id), "): ", str(blanks[0].answer),
                              ". One path per choice of neuron in each later layer, so the product of their widths:")))
    sheet.add(Items(tuple(parts(Math(r" \to ".join(latex(s) for s in path))) for path in d.paths), ordered=True))


def solve_step(sheet, model, q, blanks, values, derivations):
    sheet.add(Paragraph(parts("The answers:")))
    sheet.add(*_answer_tables(model, blanks))
    sheet.add(Paragraph(parts("Worked: the forward pass, the δ's from the output back, then every gradient and "
                              "its update.")))
    step_values = values.with_lr(q.lr)
    content._forward(sheet, model, step_values)
    _deltas(sheet, model, step_values)
    _updates(sheet, [derivations(p) for p in q.params], step_values)


def _updates(sheet, derivations, values):
    """Each parameter's gradient (its δ form at the point, as the sheet computes it) and its update."""
    body = tuple((parts(Math(latex(d.symbol))), parts(Math(_n(values.point.param_value(d.param)))),
                  parts(Math(_n(values.gradient(d.param)))), parts(Math(_asked(values.updated(d.param), 2))))
                 for d in derivations)
    sheet.add(Paragraph(parts("Each gradient from its δ form at the point, and the update with ",
                              Math(rf"\eta = {_n(values.lr)}"), ":")))
    sheet.add(Table((parts("parameter"), parts("value"), parts(Math(r"\partial L / \partial w")),
                     parts(Math(r"w - \eta\, \partial L / \partial w"))), body, "lrrr"))


def _deltas(sheet, model, values):
    """The delta's from the output back: each one's definition (the same for every variant) and its value."""
    from ..chain import delta_definition
    spec = model.spec
    n = len(spec.layers) - 1
    rows = []
    for k in range(n, 0, -1):
        for j in range(1, spec.layers[k] + 1):
            form = model.local(L, model.O[k][j]) if k == n else delta_definition(model, k, j)
            rows.append((parts(Math(latex(model.delta[k][j]))), parts(Math(latex(form))),
                         parts(Math(_n(values.column(model.delta[k][j])[0])))))
    sheet.add(Paragraph(parts("The δ's, ", Math(r"\delta_{kj} = \partial L / \partial O_{kj}"),
                              ", from the output back, each from the δ's of the next layer:")))
    sheet.add(Table((parts("δ"), parts("definition"), parts("value")), tuple(rows), "llr"))


def solve_flow(sheet, model, q, blanks, values, derivations):
    from ..flow import slope_bound
    neurons = path_neurons(model.spec, q.param, q.path)
    factors, bounds = [], []
    for (k1, j1), (k2, j2) in itertools.pairwise(neurons):
        local = model.local(model.O[k2][j2], model.O[k1][j1])
        factors.append((latex(Partial(model.O[k2][j2], model.O[k1][j1])), latex(local), values.at(local)))
        c = slope_bound(model.spec.activations[k2 - 1])
        w = values.point.W[k2 - 1][j1 - 1, j2 - 1]
        bounds.append((latex(c), _n(abs(w))))
    sheet.add(Paragraph(parts("The product of the local factors along ", Math(_path_tex(model, neurons)),
                              ", factor by factor (blank ", Code(blanks[0].id), "):")))
    sheet.add(Table((parts("factor"), parts("local derivative"), parts("value")),
                    tuple((parts(Math(a)), parts(Math(b)), parts(Math(_n(v)))) for a, b, v in factors), "llr"))
    sheet.add(Display((r"\prod &= " + r" \cdot ".join(_bracket(_n(v)) for _, _, v in factors)
                       + rf" = {_asked(blanks[0].answer)}",)))
    sheet.add(Paragraph(parts("Each activation's slope is at most ", Math("c_k"), " (1/4 for the sigmoid, 1 for tanh and "
                              "ReLU), so the product is at most, in absolute value (blank ", Code(blanks[1].id), "):")))
    sheet.add(Display((r"\prod_k c_k\, |w| &= " + r" \cdot ".join(f"{c} \\cdot {w}" for c, w in bounds)
                       + rf" = {_asked(blanks[1].answer)}",)))


def _bracket(tex):
    return rf"\left({tex}\right)" if tex.startswith("-") else tex


class PointValues(content.Values):
    """The sheet's values at a variant's point, with another learning rate on demand (same numbers), and the
    derivations shared by every variant's page. z, O and delta come from the one evaluator of the symbolic
    network, compiled once per model (symbolic/evaluate.py), so hundreds of variants cost one compilation."""

    derivations = None          # set per process: the derivations shared by every variant's page

    def gradient(self, param):
        """dL/dparam from the delta form, as the sheet computes it, with the derivation built once."""
        if param not in self._gradients:
            d = self.derivations(param)
            reg = self.model.regularization_derivative(param)
            data = self._total([self.at(d.memoized - reg, s) for s in range(self.samples)])
            self._gradients[param] = data + self.at(reg)
        return self._gradients[param]

    def with_lr(self, lr):
        if lr == self.lr:
            return self
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.lr = lr
        return other


def solution_values(assignment, model, variant, derivations):
    """The sheet's values at the variant's point (the learning rate of the first step question)."""
    lr = next((q.lr for q in assignment.questions if q.lr is not None), content.DEFAULT_LR)
    values = PointValues(model, variant.point, lr)
    values.derivations = derivations
    return values


def solve(model, q, variant, values, derivations):
    """The blocks of one question's worked solution."""
    sheet = Sheet("", [_head(q)])
    q.kind.solve(sheet, model, q, variant.blanks[q.number], values, derivations)
    return sheet.blocks


def solution_sheet(assignment, model, variant, derivations, total=None, name="solution"):
    spec = assignment.spec
    title = f"{assignment.title}: {variant.id}, solutions"
    sheet = Sheet(title, [Heading(1, parts(title))], name)
    where = f"variant {variant.number}" + (f" of {total}" if total else "")
    sheet.add(Paragraph(parts(f"Worked solutions for {variant.id} ({where}). ", content.describe(spec))))
    sheet.add(Heading(2, parts("The point"), "point"))
    sheet.add(*_point_blocks(model, variant.point))
    values = solution_values(assignment, model, variant, derivations)
    for q in assignment.questions:
        sheet.add(*solve(model, q, variant, values, derivations))
    return sheet
