"""What a worked derivation sheet says, built from the derivations (symbolic/chain.py) and their values.

Every formula comes from the same sympy expressions that symbolic/proof.py proves and that
symbolic/evaluate.py compiles, printed by symbolic/printing.py; every number comes from putting the
point into those same expressions (the forward values, the deltas, the gradients), with
numeric.backprop and numeric.fd.central beside it as independent cross-checks. The result is a
:class:`Sheet` of format-neutral blocks for the renderers.
"""
import functools
import re

import sympy as sp

from gradproof.numeric.notation import Param

from ..chain import derive
from ..model import LAMBDA, L, Model, R
from ..printing import Partial, symbol
from .document import Display, Figure, Heading, Items, Math, Note, Paragraph, Sheet, Table, parts
from .layout import beside, latex, number, rows

DEFAULT_LR = 0.1
MAX_LINES = 12               # a form longer than this many lines is not shown; the delta form is
MAX_EQUATIONS = 16           # neurons whose z and O equations are written out one by one


# ---- numbers -------------------------------------------------------------------------------------


class _Value:
    """A number standing in a formula where a factor was: prints as the number, negatives in brackets."""

    def __init__(self, value):
        tex = number(value)
        self.name = f"value[{tex}]"
        self.latex = rf"\left({tex}\right)" if tex.startswith("-") else tex


def _numeric(expr, value_of):
    """expr with every Leibniz partial replaced by its number, keeping the form's shape (no evaluation)."""
    if isinstance(expr, Partial):
        return symbol(_Value(value_of(expr)))
    if isinstance(expr, (sp.Mul, sp.Add)):
        return type(expr)(*[_numeric(a, value_of) for a in expr.args], evaluate=False)
    return expr


# ---- the values at a point -----------------------------------------------------------------------
class Values:
    """The point's numbers, per sample: z, O and delta, the gradients and the loss, by putting the point's numbers
    into the very expressions the sheet prints (the equations of the model, the delta definitions, the delta forms);
    and numeric.backprop and numeric.fd.central beside them as independent cross-checks.

    z, O and delta come from the one evaluator of the network (symbolic/evaluate.py's Network, the model's own
    equations); every other number is the printed expression with those values substituted, which keeps it tied to
    the formula printed next to it.
    """

    def __init__(self, model, point, lr):
        from gradproof.numeric import fd
        from gradproof.numeric.backprop import backprop

        from ..evaluate import Network

        self.model, self.point, self.lr = model, point, lr
        self.spec, self.samples = model.spec, point.samples
        self._network = Network.of(model)
        self._subs = [self._forward_and_back(s) for s in range(self.samples)]
        self.backprop = backprop(self.spec, point)
        self.central = {e.param: e for e in fd.central(self.spec, point)}
        self._gradients = {}

    def _forward_and_back(self, s):
        """The substitution table of one sample: x, y, w, b, lambda and every z, O and delta (the one evaluator)."""
        values = self._network.values(self.model.point_values(self.point, s))
        return {sym: sp.Float(float(v)) for sym, v in values.items()}

    def at(self, expr, sample=0):
        """The value of an expression in O, z, delta, x, y, w, b, lambda for one sample (in its stable form)."""
        return float(self._network.forms(expr).xreplace(self._subs[sample]))

    def column(self, sym):
        """A symbol's value in every sample."""
        return [float(t[sym]) for t in self._subs]

    def _total(self, per_sample):
        total = sum(per_sample)
        return total / self.samples if self.spec.reduction == "mean" else total

    @property
    def loss(self):
        """The data loss over the samples (summed or averaged) plus the regularization term once."""
        data = self._total([self.at(self.model.data_loss(), s) for s in range(self.samples)])
        return data + self.at(self.model.regularization())

    def gradient(self, param):
        """dL/dparam from the delta form: per sample delta * dO/dparam, reduced, plus dR/dparam once."""
        if param not in self._gradients:
            d = derive(self.spec, param, self.model)
            reg = self.model.regularization_derivative(param)
            data = self._total([self.at(d.memoized - reg, s) for s in range(self.samples)])
            self._gradients[param] = data + self.at(reg)
        return self._gradients[param]

    def updated(self, param):
        return self.point.param_value(param) - self.lr * self.gradient(param)


# ---- the sheet -----------------------------------------------------------------------------------
def _d(top, bottom):
    return latex(Partial(top, bottom))


def _sym(thing):
    return Math(latex(thing))


def _names(things):
    """'a, b and c' as inline content with each name as math."""
    out = []
    for n, t in enumerate(things):
        if n:
            out.append(" and " if n == len(things) - 1 else ", ")
        out.append(_sym(t))
    return out


def describe(spec):
    """The network in one sentence."""
    acts = sorted(set(spec.activations), key=spec.activations.index)
    act_text = acts[0] if len(acts) == 1 else ", ".join(f"{a} (layer {k})" for k, a in enumerate(spec.activations, 1))
    from gradproof.numeric.losses import loss as loss_row
    loss = loss_row(spec.loss).prose
    reg = spec.regularizer.prose
    return (f"A {spec.layers_text} network ({spec.layers[0]} input{'s' if spec.layers[0] != 1 else ''}, "
            f"{len(spec.layers) - 2} hidden layer{'s' if len(spec.layers) != 3 else ''}, "
            f"{spec.layers[-1]} output{'s' if spec.layers[-1] != 1 else ''}), {act_text} activation, "
            f"{'with' if spec.bias else 'no'} biases, {loss} loss {'summed' if spec.reduction == 'sum' else 'averaged'} "
            f"over the samples, {reg}; {len(spec.parameters())} parameters.")


def build(spec, params=None, point=None, lr=DEFAULT_LR, title=None, intro=None, name="sheet"):
    """The worked derivation sheet for the given parameters (default all), with numbers when a point is given."""
    model = Model(spec)
    # a sheet asks for the same local derivative dozens of times (dL/dO_nj is factored by sympy on each call)
    model.local = functools.lru_cache(maxsize=None)(model.local)
    params = list(params) if params else spec.parameters()
    derivations = [derive(spec, p, model) for p in params]
    values = Values(model, point, lr) if point is not None else None
    title = title or f"The gradients of the {spec.layers_text} network, by the chain rule"
    sheet = Sheet(title, [Heading(1, parts(title))], name)
    sheet.add(Paragraph(parts(describe(spec))))
    if intro:
        sheet.add(Paragraph(parts(intro)))
    _network(sheet, model, params)
    _definitions(sheet, model)
    if values is not None:
        _forward(sheet, model, values)
    _deltas(sheet, model, values)
    _collapse(sheet, model)
    for d in derivations:
        _parameter(sheet, d, values)
    if values is not None:
        _summary(sheet, derivations, values)
    if values is not None and _is_chain(spec):
        _vanishing(sheet, model, values)
    _savings(sheet, spec)
    return sheet


def _network(sheet, model, params):
    from .diagram import drawable
    spec = model.spec
    sheet.add(Heading(2, parts("The network"), "network"))
    if not drawable(spec):
        sheet.add(Note(parts(f"The network is too wide to draw (more than {12} neurons in a layer).")))
        return
    focus = params[0] if len(params) == 1 else None
    caption = parts("Layer 0 is the input (", Math(r"O_{0i} = x_i"), "); ", Math("O_{kj}"),
                    " is the output of neuron ", Math("j"), " of layer ", Math("k"), "; the last layer feeds the loss ",
                    _sym(L), ".")
    if focus is not None:
        caption += parts(" Highlighted: the paths from ", _sym(model.symbols[focus]), " to ", _sym(L), ".")
    sheet.add(Figure(model, focus, caption))


def _definitions(sheet, model):
    spec = model.spec
    sheet.add(Heading(2, parts("Definitions"), "definitions"))
    sheet.add(Paragraph(parts(
        "Each neuron sums its weighted inputs", " and its bias" if spec.bias else "", ", then applies the "
        "layer's activation: ", Math("z_{kj}"), " is the weighted sum and ", Math("O_{kj}"), " the output, with ",
        Math("w^{k}_{ij}"), " the weight from neuron ", Math("i"), " of layer ", Math("k - 1"), " to neuron ", Math("j"),
        " of layer ", Math("k"), ".")))
    neurons = [(k, j) for k in range(1, len(spec.layers)) for j in range(1, spec.layers[k] + 1)]
    shown = neurons if len(neurons) <= MAX_EQUATIONS else [(k, 1) for k in range(1, len(spec.layers))]
    eq_rows = []
    for k, j in shown:
        z, O = model.z[k][j], model.O[k][j]
        eq_rows += rows(latex(z), [model.z_equation(k, j)])
        eq_rows.append(rf"{latex(O)} &= {latex(model.O_equation(k, j))}")
    sheet.add(Display(tuple(eq_rows)))
    if shown is not neurons:
        sheet.add(Paragraph(parts("and likewise for the other neurons of each layer.")))
    sheet.add(Paragraph(parts("The derivative of each activation, as a function of z, then written through the "
                              "output where it can be (the form backpropagation uses):")))
    deriv_rows, seen = [], set()
    for k in range(1, len(spec.layers)):
        if spec.activations[k - 1] in seen or model.couples(k):
            continue
        seen.add(spec.activations[k - 1])
        deriv_rows += _activation_derivative(model, k)
    if deriv_rows:
        sheet.add(Display(tuple(deriv_rows)))
    for k in range(1, len(spec.layers)):
        if model.couples(k):
            _jacobian(sheet, model, k)
    outputs = range(1, spec.layers[-1] + 1)
    n = model.output_layer
    sheet.add(Paragraph(parts("The network's output is written ", Math(r"\hat{y}"), ": ",
                              *_joined([Math(rf"\hat{{y}}_{{{j}}} = {latex(model.O[n][j])}") for j in outputs]),
                              ", compared with the target ", *_names([model.y[j] for j in outputs]), ".")))
    how = "summed" if spec.reduction == "sum" else "averaged"
    sheet.add(Paragraph(parts(f"The loss of one sample (the loss over a data set is {how} over its samples):")))
    sheet.add(Display(tuple(rows(latex(L), [_loss_as_built(model)]))))
    if spec.regularizer.present:
        sheet.add(Display(tuple(rows(latex(R), [model.regularization()]))))
        sheet.add(Paragraph(parts(
            "The regularization term ", _sym(R), " covers the weights only, never the biases, with ",
            Math(rf"{latex(LAMBDA)} = {number(spec.lam)}"), "; it is added once, not per sample.")))


def _activation_derivative(model, k):
    """f_k'(z) in the notes' words, every form from the activation table's sympy derivative: with f_k(z) as a
    function (sigma(z)(1 - sigma(z))), then through the output (O(1 - O)); a form equal to the one before is
    not repeated."""
    act = model.spec.activation(k)
    z, O = model.z[k][1], model.O[k][1]
    name = re.sub(r"\\operatorname\{(\w+)\}|\\(\w+)", lambda m: m.group(1) or m.group(2), act.latex)
    f_of_z = sp.Function(name)(z)
    forms = [rf"{act.latex}'\left({latex(z)}\right)"]
    for form in (act.sympy_df(sp, z, f_of_z), act.sympy_df(sp, z, O)):
        tex = latex(form)
        if tex not in forms:
            forms.append(tex)
    return rows(_d(O, z), forms)


def _jacobian(sheet, model, k):
    """A layer that couples (softmax): its Jacobian dO_km/dz_kj in O, from the row, as a formula and a small table."""
    act, n = model.spec.activation(k), model.spec.layers[k]
    m, j = sp.Symbol(f"O_{k}m", real=True), sp.Symbol(f"O_{k}j", real=True)
    general = act.sympy_jacobian(sp, m, j, sp.Symbol(r"\mathbb{1}[m = j]"))
    sheet.add(Paragraph(parts(
        "Layer ", str(k), "'s ", act.prose, " couples its outputs: each ", Math(f"O_{{{k}m}}"), " depends on every ",
        Math(f"z_{{{k}j}}"), " of the layer, so its derivative is a Jacobian, one entry per pair (m, j), written "
        "through the outputs:")))
    sheet.add(Display((rf"\frac{{\partial O_{{{k}m}}}}{{\partial z_{{{k}j}}}} &= {latex(general, order='old')}",)))
    header = (parts(""),) + tuple(parts(Math(rf"\partial z_{{{k}{b}}}")) for b in range(1, n + 1))
    body = tuple((parts(Math(rf"\partial {latex(model.O[k][a])}")),)
                 + tuple(parts(Math(latex(model.jacobian(k, a, b)))) for b in range(1, n + 1))
                 for a in range(1, n + 1))
    sheet.add(Table(header, body, "l" + "c" * n, parts(
        "The Jacobian of ", act.prose, ": row ", Math("m"), ", column ", Math("j"), " holds ", Math(rf"\partial O_{{{k}m}}/\partial z_{{{k}j}}"),
        "; the diagonal is the elementwise-looking O(1 − O), the rest the cross terms.")))


def _collapse(sheet, model):
    """For a coupled output layer whose loss collapses the sum over m (CE on softmax): dL/dz_n1 step by step, from the
    sum over the outputs to O_n1 - y_1."""
    n, j = model.output_layer, 1
    collapsed = model.collapsed_z_gradient(j)
    if collapsed is None:
        return
    width = model.spec.layers[n]
    z, O, y = model.z[n][j], model.O[n], model.y
    lhs = _d(L, z)
    leibniz = sp.Add(*[sp.Mul(Partial(L, O[m]), Partial(O[m], z), evaluate=False) for m in range(1, width + 1)],
                     evaluate=False)
    # each term as (dL/dO_nm)(dO_nm/dz_n1), the loss's sign in front (no "+ -" between the terms)
    placed = sp.Add(*[sp.Mul(*_signed(model.local(L, O[m])), model.local(O[m], z), evaluate=False)
                      for m in range(1, width + 1)], evaluate=False)
    cancelled = sp.Add(*[sp.cancel(model.local(L, O[m]) * model.local(O[m], z)) for m in range(1, width + 1)],
                       evaluate=False)
    total = sp.Add(*y[1:], evaluate=False)
    gathered = sp.Add(sp.Mul(O[j], total, evaluate=False), -y[j], evaluate=False)
    fused = model.loss_row_collapse()
    with sp.evaluate(False):                 # as the row writes it: O - y, not sympy's -y + O
        collapsed = fused(sp, y[j], O[j])
        general = fused(sp, sp.Symbol("y_j"), sp.Symbol(f"O_{n}j"))
    sheet.add(Heading(2, parts("The sum over the outputs collapses"), "collapse"))
    sheet.add(Paragraph(parts(
        _sym(z), " reaches ", _sym(L), " through every output ", *_names([O[m] for m in range(1, width + 1)]),
        ", so its derivative sums over them; with the loss's ", Math(r"\partial L/\partial O_{" + f"{n}m" + "}"),
        " and the Jacobian each term's division by the output cancels, and since the targets sum to 1 the sum "
        "collapses (likewise for every output j):")))
    steps = [latex(s, order="none") for s in _distinct([leibniz, placed, cancelled, gathered])]
    sheet.add(Display(tuple(rows(lhs, steps))
                      + (rf"&= {latex(collapsed, order='old')} \quad\text{{since }} {latex(total)} = 1",)))
    sheet.add(Paragraph(parts(
        "So every weight into an output neuron has ", Math(rf"\partial L/\partial w^{{{n}}}_{{ij}} = "
                                                          rf"\left({latex(general, order='none')}\right)"
                                                          rf"\, O_{{{n - 1}i}}"),
        ". Dropping the cross terms (every m other than j), as if softmax acted output by output with slope O(1 − O), leaves "
        "only the m = j term: wrong whenever another target is not 0.")))


def _signed(expr):
    """A product's factors with its sign as a leading -1 (so an unevaluated sum prints "- a" rather than "+ -a")."""
    coefficient, rest = expr.as_coeff_Mul()
    if coefficient.is_negative:
        return [sp.S.NegativeOne, -coefficient * rest]
    return [expr]


def _loss_as_built(model):
    """The per-sample loss as LaTeX, each output's term as the loss table writes it: (y - O)^2, not (-O + y)^2."""
    from gradproof.numeric import losses
    spec, n = model.spec, model.output_layer
    loss = losses.loss(spec.loss)
    terms = [latex(loss.sympy_l(sp, model.y[j], model.O[n][j]), order="rev-lex") for j in range(1, spec.layers[n] + 1)]
    terms += [latex(R)] if spec.regularizer.present else []
    return terms[0] + "".join(f" {t}" if t.startswith("-") else f" + {t}" for t in terms[1:])


def _forward(sheet, model, values):
    spec = model.spec
    sheet.add(Heading(2, parts("The point"), "point"))
    samples = values.samples
    sample_note = "" if samples == 1 else f" ({samples} samples; one column per sample)"
    inputs = parts("Inputs ", *_joined([Math(rf"{latex(model.x[i])} = {_per_sample(values.point.x[:, i - 1])}")
                                        for i in range(1, spec.layers[0] + 1)]),
                   "; targets ", *_joined([Math(rf"{latex(model.y[j])} = {_per_sample(values.point.y[:, j - 1])}")
                                           for j in range(1, spec.layers[-1] + 1)]), sample_note + ".")
    sheet.add(Paragraph(inputs))
    header = parts("neuron"), parts(Math("z_{kj}")), parts(Math("O_{kj}"))
    body = []
    for k in range(1, len(spec.layers)):
        for j in range(1, spec.layers[k] + 1):
            # six significant digits throughout the columns, trailing zeros kept (0.950000 beside 0.721115)
            body.append((parts(_sym(model.O[k][j])), parts(Math(_per_sample(values.column(model.z[k][j]), True))),
                         parts(Math(_per_sample(values.column(model.O[k][j]), True)))))
    sheet.add(Table(header, tuple(body), "lrr", parts("The forward pass.")))
    sheet.add(Display((rf"{latex(L)} &= {number(values.loss)}",)))


def _joined(items):
    out = []
    for n, item in enumerate(items):
        out += [", "] if n else []
        out.append(item)
    return out


def _per_sample(column, zeros=False):
    return r",\ ".join(number(v, zeros=zeros) for v in column)


def _deltas(sheet, model, values):
    spec = model.spec
    sheet.add(Heading(2, parts("Memoization: the δ's"), "deltas"))
    sheet.add(Paragraph(parts(
        "Backpropagation computes ", Math(rf"\delta_{{kj}} = {_d(L, sp.Symbol('O_kj'))}"),
        " once per neuron, from the output back, each from the δ's of the next layer; every parameter whose "
        "paths to ", _sym(L), " pass through ", Math("O_{kj}"), " reuses it.")))
    delta_rows = []
    from ..chain import delta_definition, delta_leibniz
    for k in range(len(spec.layers) - 1, 0, -1):
        for j in range(1, spec.layers[k] + 1):
            lhs = latex(model.delta[k][j])
            parts_ = _distinct([Partial(L, model.O[k][j]), delta_leibniz(model, k, j), delta_definition(model, k, j)])
            if values is not None:
                parts_.append(_per_sample(values.column(model.delta[k][j])))
            delta_rows += rows(lhs, parts_)
    sheet.add(Display(tuple(delta_rows)))


def _distinct(forms):
    """The forms of a chain of equalities with a step equal to the one before dropped (dL/dO_nj = dL/dO_nj)."""
    out = []
    for form in forms:
        if not out or latex(form) != latex(out[-1]):
            out.append(form)
    return out


def _too_long(form_lines):
    return len(form_lines) > MAX_LINES


def _parameter(sheet, d, values):
    model, param = d.model, d.param
    w = d.symbol
    lhs = _d(L, w)
    kind = "weight" if param.is_weight else "bias"
    sheet.add(Heading(3, parts(f"The {kind} ", _sym(w)), f"param-{param.name}"))
    from .diagram import drawable
    if drawable(model.spec):
        sheet.add(Figure(model, param, parts("The paths from ", _sym(w), " to ", _sym(L), "."), small=True))
    count = d.path_count
    if not d.readable:
        sheet.add(Note(parts(f"{count} paths lead from ", _sym(w), " to ", _sym(L),
                             ": too many to list or to sum one by one. The δ form below is what backpropagation "
                             "computes, and it stays short however large the network.")))
    else:
        sheet.add(Paragraph(parts(_sym(w), " reaches ", _sym(L),
                                  f" along {count} path{'s' if count != 1 else ''}",
                                  " (and directly, through the regularization term)" if d.has_regularization else "",
                                  ":")))
        sheet.add(Items(tuple(parts(Math(r" \to ".join(latex(s) for s in path))) for path in d.paths), ordered=True))
        chain = beside(lhs, d.leibniz)
        closed = beside(lhs, d.closed_form)
        if _too_long(chain):
            sheet.add(Note(parts(f"The chain rule over {count} paths runs to {len(chain)} lines: too long to read. "
                                 "The δ form below says the same in one line.")))
        else:
            per_path = beside(lhs, _per_path(d)) if count > 1 else None
            if per_path is not None and not _too_long(per_path):
                sheet.add(Paragraph(parts("The chain rule as the notes write it: one full product of local "
                                          "derivatives per path, the products summed; then the same with the "
                                          "factors the paths share written once:")))
                sheet.add(Display(tuple(_continued(lhs, per_path) + _continued("", chain))))
            else:
                sheet.add(Paragraph(parts("The chain rule: one product of local derivatives per path, summed over "
                                          "the paths, with the factors the paths share written once:")))
                sheet.add(Display(tuple(_continued(lhs, chain))))
            _locals(sheet, d, values)
            if _too_long(closed):
                sheet.add(Note(parts(f"With every local derivative in its place the closed form runs to {len(closed)} "
                                     "lines: too long to read. The δ form below is the same quantity.")))
            else:
                sheet.add(Paragraph(parts("With each local derivative in its place, the closed form:")))
                sheet.add(Display(tuple(_continued(lhs, closed))))
    _memoized(sheet, d, values)
    if values is not None:
        _at_point(sheet, d, values)


def _per_path(d):
    """The sum over the paths of each path's full product of local partials, L side first (nothing factored)."""
    products = []
    for path in d.paths:
        nodes = path[::-1]                      # L, O_nm, ..., O_kj, param
        products.append(sp.Mul(*[Partial(a, b) for a, b in zip(nodes, nodes[1:])], evaluate=False))
    if d.has_regularization:
        products.append(Partial(R, d.symbol))
    return sp.Add(*products, evaluate=False) if len(products) > 1 else products[0]


def _continued(lhs, form_lines):
    return [f"{lhs} &= {form_lines[0]}"] + [rf"&\quad {line}" for line in form_lines[1:]]


def _locals(sheet, d, values):
    samples = values.samples if values is not None else 0
    header = parts("factor"), parts("local derivative")
    if samples:
        header += tuple(parts("value" if samples == 1 else f"sample {s + 1}") for s in range(samples))
    body = []
    for partial, expr in d.local_derivatives:
        row = (parts(Math(latex(partial))), parts(Math(latex(expr))))
        row += tuple(parts(Math(number(values.at(expr, s)))) for s in range(samples))
        body.append(row)
    sheet.add(Paragraph(parts("The local derivatives, one per edge of the paths:")))
    sheet.add(Table(header, tuple(body), "ll" + "r" * samples,
                    parts("Each row: one edge of the paths, the derivative of its head with respect to its tail.")))


def _memoized(sheet, d, values):
    model, param = d.model, d.param
    k, j = param.layer, param.j
    lhs = _d(L, d.symbol)
    sheet.add(Paragraph(parts("Memoized (the δ form backpropagation computes):")))
    sheet.add(Display(tuple(rows(lhs, [d.memoized_leibniz, d.memoized]))))
    delta = model.delta[k][j]
    if model.couples(k):
        width = model.spec.layers[k]
        text = ["It needs every output's δ, ", *_names([model.delta[k][m] for m in range(1, width + 1)]),
                ", summed through the Jacobian into ", Math(_d(L, model.z[k][j])), ", taken straight from the loss",
                *([", and shared with "] + _names([model.symbols[p] for p in d.reused_by]) if d.reused_by else []), "."]
        sheet.add(Paragraph(parts(*text)))
        return
    text = ["It needs ", _sym(delta)]
    if d.reused_by:
        text += [", which is shared with "] + _names([model.symbols[p] for p in d.reused_by])
    later = [s for s, _, _ in d.deltas[1:]]
    if later:
        text += ["; ", _sym(delta), " itself is built from "] + _names(
            [s for s in later if model.neuron_of(s)[1] == k + 1])
        text += [", computed once for the parameters of the layers above and reused here."]
    else:
        text += [f"{',' if d.reused_by else ''} taken straight from the loss."]
    sheet.add(Paragraph(parts(*text)))


def _at_point(sheet, d, values):
    param = d.param
    w, lhs = d.symbol, _d(L, d.symbol)
    g = values.gradient(param)
    if values.samples == 1 and d.leibniz is not None:
        local = dict(d.local_derivatives)
        numeric = _numeric(d.leibniz, lambda p: values.at(local[p]))
        form = beside(lhs, numeric)
        if not _too_long(form):
            sheet.add(Paragraph(parts("At the point, factor by factor:")))
            sheet.add(Display(tuple(_continued(lhs, form) + [rf"&= {number(g)}"])))
    else:
        sheet.add(Display((rf"{lhs} &= {number(g)}",)))
    bp, fd = values.backprop.value(param), values.central[param]
    sheet.add(Paragraph(parts("Cross-check, to 12 significant digits:")))
    sheet.add(Table((parts("computed by"), parts("value")), (
        (parts("the δ form above (sympy, at the point)"), parts(Math(number(g, 12)))),
        (parts("backpropagation (numpy)"), parts(Math(number(bp, 12)))),
        (parts("central differences (error estimate)"), parts(Math(rf"{number(fd.value, 12)} \pm {number(fd.error, 2)}"))),
    ), "lr"))
    old = values.point.param_value(param)
    eta = latex(sp.Symbol("eta"))
    sheet.add(Paragraph(parts("The gradient-descent update with ", Math(rf"{eta} = {number(values.lr)}"), ":")))
    sheet.add(Display((rf"{latex(w)} - {eta}\, {lhs} &= {number(old)} - {number(values.lr)} \cdot "
                       rf"{_bracket(number(g))} = {number(values.updated(param))}",)))


def _bracket(tex):
    return rf"\left({tex}\right)" if tex.startswith("-") else tex


def _summary(sheet, derivations, values):
    sheet.add(Heading(2, parts("Summary at the point"), "summary"))
    eta = latex(sp.Symbol("eta"))
    sheet.add(Paragraph(parts(
        "Every gradient three ways: the symbolic δ form (the gradient column: the expressions above, at the "
        "point), backpropagation in numpy, and central differences; then one gradient-descent step with ",
        Math(rf"{eta} = {number(values.lr)}"), ".")))
    header = (parts("parameter"), parts("value"), parts("gradient"), parts("backprop"),
              parts("central difference"), parts("updated"))
    body = []
    for d in derivations:
        p = d.param
        body.append((parts(_sym(d.symbol)), parts(Math(number(values.point.param_value(p)))),
                     parts(Math(number(values.gradient(p)))), parts(Math(number(values.backprop.value(p)))),
                     parts(Math(number(values.central[p].value))), parts(Math(number(values.updated(p))))))
    sheet.add(Table(header, tuple(body), "lrrrrr"))


def _is_chain(spec):
    return all(n == 1 for n in spec.layers) and len(spec.layers) >= 3


def _vanishing(sheet, model, values):
    spec = model.spec
    top = len(spec.layers) - 1
    sheet.add(Heading(2, parts("Back through the chain: vanishing gradients"), "vanishing"))
    first = Param.weight(1, 1, 1)
    d = derive(spec, first, model)
    sheet.add(Paragraph(parts(
        "In a chain every parameter has one path to ", _sym(L), ". The gradient of the first weight multiplies one "
        "factor per later layer, each an activation's slope times a weight:")))
    sheet.add(Display((rf"{_d(L, d.symbol)} &= {latex(d.leibniz)}",)))
    header = parts("factor"), parts("local derivative"), parts("slope"), parts("value")
    body = []
    for partial, expr in d.local_derivatives:
        k = _layer_of(model, partial.numerator)
        slope = number(values.at(model.f_prime(k, 1))) if k else "—"
        body.append((parts(Math(latex(partial))), parts(Math(latex(expr))),
                     parts(Math(slope)) if k else parts("—"), parts(Math(number(values.at(expr))))))
    sheet.add(Table(header, tuple(body), "llrr", parts("The slope column is the activation's derivative at the "
                                                         "neuron's z.")))
    grads = [abs(values.gradient(Param.weight(k, 1, 1))) for k in range(1, top + 1)]
    notes = [spec.activation(k).slope_note for k in range(1, top + 1)]
    text = [note for note in dict.fromkeys(notes) if note]
    slopes = [values.at(model.f_prime(k, 1)) for k in range(1, top + 1)]
    product = 1.0
    for s in slopes:
        product *= s
    sheet.add(Paragraph(parts(" ".join(text), " At this point the slopes multiply to ", Math(number(product)),
                              ", and the gradients of the weights, from the first layer to the last, are:")))
    sheet.add(Display(tuple(rf"\left|{_d(L, model.symbols[Param.weight(k, 1, 1)])}\right| &= {number(g)}"
                            for k, g in zip(range(1, top + 1), grads))))
    if grads[-1]:
        sheet.add(Paragraph(parts(f"The first weight's gradient is {grads[0] / grads[-1]:.3g} times the last one's.")))


def _layer_of(model, sym):
    found = model.neuron_of(sym)
    return found[1] if found and found[0] == "O" and found[1] > 0 else None


def _savings(sheet, spec):
    from gradproof.numeric.paths import multiplication_counts
    counts = multiplication_counts(spec)
    sheet.add(Heading(2, parts("What memoization saves"), "savings"))
    sheet.add(Paragraph(parts(
        "Multiplications per sample to get every gradient: summing path by path, each product is formed anew for "
        "every path; backpropagation forms each δ once and reuses it. Forming a local derivative that is a product "
        "and chaining two factors each count one; evaluating the activation's slope is the same work both ways and "
        "is not counted.")))
    body = [(parts(str(row["layer"])), parts(str(row["per_path"])), parts(str(row["backprop"])),
             parts(_ratio(row))) for row in counts["layers"]]
    total = counts["total"]
    body.append((parts("total"), parts(str(total["per_path"])), parts(str(total["backprop"])), parts(_ratio(total))))
    sheet.add(Table((parts("layer"), parts("path by path"), parts("backprop"), parts("ratio")), tuple(body), "rrrr"))
    sheet.add(Paragraph(parts("Where each figure comes from:")))
    sheet.add(Items(tuple(parts(_savings_sentence(spec, row)) for row in counts["layers"]) + (parts(
        f"In total, {total['per_path']} against {total['backprop']}: backpropagation needs "
        f"{_ratio(total)} fewer multiplications, and the gap widens with every layer added in front, because "
        "the number of paths multiplies while the δ's grow only with the number of neurons."),)))


def _savings_sentence(spec, row):
    """One row of the savings table in words: the factors of both counts, and what the ratio means."""
    k, n, depth = row["layer"], spec.layers, len(spec.layers) - 1
    paths = 1
    for width_ in n[k + 1:]:
        paths *= width_
    links = depth - k + 1
    weights = n[k - 1] * n[k]
    text = (f"Layer {k}: {weights} weights, each with {paths} path{'s' if paths != 1 else ''} of {links} "
            f"link{'s' if links != 1 else ''} at 2 multiplications a link (form the local derivative, chain it), "
            f"{weights} × {paths} × {links} × 2 = {weights * paths * links * 2}")
    if spec.bias:
        each = 2 * (links - 1) + 1
        text += (f", plus {n[k]} biases × {paths} × {each} (a bias's last link is f′ alone, no product to form) "
                 f"= {n[k] * paths * each}")
    each_neuron = f"each of the {n[k]} neurons’" if n[k] > 1 else "the one neuron’s"
    text += (f": {row['per_path']} multiplications path by path. Backpropagation forms {each_neuron} "
             f"δ·f′ once ({n[k]}) and one product per weight ({weights})")
    text += f", and passes δ back to layer {k - 1} with one product per weight ({weights})" if k > 1 else ""
    text += f": {row['backprop']}."
    ratio = row["per_path"] / row["backprop"] if row["backprop"] else 0
    if ratio < 1:
        text += (f" The ratio {_ratio(row)} is below 1: each weight here has a single path, so there is nothing "
                 "to reuse, and passing δ back costs extra work here that pays off in the layers below.")
    else:
        shared = "the paths share their later factors, which" if paths > 1 else "every product is formed anew, while"
        text += f" Ratio {_ratio(row)}: {shared} backpropagation forms each δ·f′ once and reuses it for every weight."
    return text


def _ratio(row):
    return f"{row['per_path'] / row['backprop']:.1f}×" if row["backprop"] else "—"
