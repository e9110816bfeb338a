"""What went wrong: variants of the correct derivation, each a known mistake, matched against the answer.

The variants are made from the derivation itself, not from a list of strings: its paths (leave one
out: ``missing_path``), its Leibniz form (a '+' in place of one of its products: ``sum_for_product``),
its local derivatives (f or another activation's derivative in place of f'_k: ``activation_derivative``),
index slips of its symbols (the wrong layer's weight or output, swapped indices on any weight of a path,
a neighbouring neuron, in one local derivative or wherever the symbol appears; a wrong neuron inside one
Leibniz factor; another parameter's exact gradient: ``wrong_index``), and, on top of each, the simple
slips applied to the value: the sign (``sign``), a factor 2 or 1/2 (``factor``), the regularization term
left out (``missing_regularization``). An answer is matched against all of them numerically at the
grader's random points; the match with the fewest codes wins. When none matches, two mistakes at once
are tried (``pairs``); when still nothing matches, no code is given. A number given to too few figures
for the tolerance gets ``rounding`` (decided in grader.py, where the figures are known).
"""
from dataclasses import dataclass

import numpy as np
import sympy as sp

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Param

from ..chain import derive, settle
from ..model import R
from ..printing import Partial, text

# One sentence per code, for a student.
SENTENCES = {
    "missing_path": "A path is missing: the parameter reaches L through several neurons, and the chain rule "
                    "adds up the product of local derivatives along every path.",
    "sign": "The sign is wrong: check (y - ŷ) against (ŷ - y), and every minus sign along the chain.",
    "factor": "A constant factor is off (by 2 or 1/2): differentiating the squared loss (y - ŷ)² gives exactly "
              "one factor 2 (and λw² gives 2λw).",
    "activation_derivative": "Wrong activation derivative: where the chain passes through a neuron it takes "
                             "the derivative f'(z) of that layer's activation (for the sigmoid "
                             "σ'(z) = σ(z)(1 - σ(z)) = O(1 - O)), not f(z) itself or another activation's derivative.",
    "wrong_index": "Wrong indices: a symbol carries the wrong layer or neuron (w^k_ij connects neuron i of "
                   "layer k-1 to neuron j of layer k; O_kj is the output of neuron j of layer k).",
    "sum_for_product": "A '+' where the chain rule multiplies: the factors along a path are multiplied "
                       "(∂L/∂O times the bracket of paths), not added.",
    "rounding": "Rounded too early: your number agrees with the gradient only to the figures you wrote; "
                "give it to enough significant figures for the tolerance.",
    "missing_regularization": "The regularization term is missing: L includes λ times the sum of the weights' "
                              "penalties, so its derivative (2λw for L2, λ sign(w) for L1) adds to the gradient.",
    "missing_target": "The target is missing: with softmax and cross-entropy ∂L/∂z_nj collapses to O_nj − y_j; "
                      "the −y_j comes from the loss's ∂L/∂O = −y/O and does not cancel.",
    "regularization_sign": "The penalty's derivative has the wrong sign: L adds λ times the penalty, so its "
                           "derivative (2λw for L2, λ sign(w) for L1) is added to the gradient, not subtracted.",
}
CODES = tuple(SENTENCES)
MATCH_RTOL = 1e-7         # float64 values of the same expression agree far closer than this


@dataclass
class Variant:
    """A mistaken data part (without the regularization term) of the derivative, with its codes."""

    codes: tuple
    detail: str
    expr: object


def data_leibniz(derivation):
    """The Leibniz form without the regularization term's partial."""
    form = derivation.leibniz
    if isinstance(form, sp.Add) and any(isinstance(a, Partial) and a.numerator == R for a in form.args):
        rest = [a for a in form.args if not (isinstance(a, Partial) and a.numerator == R)]
        return rest[0] if len(rest) == 1 else sp.Add(*rest, evaluate=False)
    return form


def _closed(model, form, local=None):
    """A Leibniz form with each partial replaced by its local derivative (or by local(partial))."""
    local = local or (lambda p: model.local(p.numerator, p.denominator))
    return settle(form).xreplace({p: local(p) for p in form.atoms(Partial)})


def data_part(derivation):
    """The derivative without the regularization term, as an expression (delta form past max_paths); built once
    per model and parameter, since every other parameter's variants use it too."""
    model = derivation.model
    key = ("grade: data part", derivation.param, derivation.readable)
    if key not in model.memo:
        if derivation.readable:
            model.memo[key] = _closed(model, data_leibniz(derivation))
        else:
            model.memo[key] = settle(derivation.memoized) - model.regularization_derivative(derivation.param)
    return model.memo[key]


def _describe(path):
    inner = [str(s) for s in path[2:-1]]
    return "the path through " + " → ".join(inner) if inner else "the direct path"


def missing_paths(derivation):
    model = derivation.model
    if not derivation.readable or derivation.path_count < 2:
        return []
    values = []
    for path in derivation.paths:
        nodes = path[::-1]
        values.append(_closed(model, sp.Mul(*[Partial(a, b) for a, b in zip(nodes, nodes[1:])])))
    total = sp.Add(*values)
    out = _cross_terms_dropped(derivation, values)
    out += [Variant(("missing_path",), f"{_describe(p)} is left out", total - v) for p, v in zip(derivation.paths, values)]
    if len(values) > 2:
        taken = {v.expr for v in out}
        out += [Variant(("missing_path",), f"only {_describe(p)} is counted", v) for p, v in zip(derivation.paths, values)
                if v not in taken]
    return out


def _cross_steps(model, path):
    """The steps z_ka -> O_km of a path through a coupled layer with m != a: its cross terms."""
    out = []
    for a, b in zip(path, path[1:]):
        za, ob = model.neuron_of(a), model.neuron_of(b)
        if za and ob and za[0] == "z" and ob[0] == "O" and za[1] == ob[1] and za[2] != ob[2]:
            out.append(Partial(b, a))
    return out


def _cross_terms_dropped(derivation, values):
    """The elementwise mistake at a layer that couples (softmax): every path through a cross term dO_km/dz_ka
    (m != a) left out, as if the layer acted output by output with the Jacobian's diagonal as its slope."""
    model = derivation.model
    crossing = [_cross_steps(model, p) for p in derivation.paths]
    if not any(crossing):
        return []
    kept = sp.Add(*[v for v, c in zip(values, crossing) if not c])
    dropped = list(dict.fromkeys(s for c in crossing for s in c))
    shown = ", ".join(text(s) for s in dropped[:4]) + (f" and {len(dropped) - 4} more" if len(dropped) > 4 else "")
    k = model.neuron_of(dropped[0].numerator)[1]
    return [Variant(("missing_path",), f"the cross terms of {model.spec.activation(k).prose} are dropped ({shown}): "
                    f"only the diagonal ∂O_{k}j/∂z_{k}j = O_{k}j(1 − O_{k}j) is kept, as if it acted output by output, "
                    f"but every O_{k}m depends on every z_{k}j", kept)]


def target_slips(derivation):
    """The target left out of a collapsed output gradient (O_nj in place of O_nj - y_j), where the loss row
    collapses a coupled output layer's sum (CE on softmax); output-layer parameters only."""
    model, p = derivation.model, derivation.param
    collapse = model.loss_row_collapse()
    if collapse is None or p.layer != model.output_layer:
        return []
    z = model.z[p.layer][p.j]
    forgot = collapse(sp, sp.Integer(0), model.O[p.layer][p.j]) * model.local(z, derivation.symbol)
    return [Variant(("missing_target",), f"the target {text(model.y[p.j])} is left out of ∂L/∂{text(z)} "
                    f"({text(collapse(sp, sp.Integer(0), model.O[p.layer][p.j]))} in place of the collapsed form)", forgot)]


def _name(act):
    """An activation's name for a sentence: σ, tanh, ReLU, ..."""
    return act.latex.replace("\\operatorname{", "").replace("}", "").replace("\\sigma", "σ").lstrip("\\")


def _kinds():
    """The slips put in place of f_k'(z): f itself, nothing, or another activation's derivative (in z or in O)."""
    # an activation whose derivative is 1 everywhere (the identity) makes the slip "f' left out" again; a row that
    # couples its layer has no slope per neuron to slip in (its slip is the dropped cross terms)
    others = [a for a in ACTIVATIONS.values()
              if not a.couples and not _same_function(lambda u, a=a: a.df(u, a.f(u)), np.ones_like)]
    return [("f", None), ("none", None)] + [(form, a) for a in others for form in ("z", "O")]


def _alternative(model, k, j, kind):
    """(what, expression) for one slip at neuron (k, j), or None when the slip is the layer's own f' (built once
    per model: a ReLU's Max compares its arguments when built, which is slow to repeat for every scope)."""
    key = ("grade: activation slip", k, j, kind[0], kind[1].name if kind[1] else None)
    if key not in model.memo:
        model.memo[key] = _build_alternative(model, k, j, kind)
    return model.memo[key]


def _build_alternative(model, k, j, kind):
    act = model.spec.activation(k)
    z, O = model.z[k][j], model.O[k][j]
    form, other = kind
    f = _name(act)
    if form == "f":
        return f"{f}(z) in place of {f}'(z)", O
    if form == "none":
        return f"{f}'(z) left out", sp.Integer(1)
    if other is act:
        return None
    if form == "z":
        slip = other.sympy_df(sp, z, other.sympy_f(sp, z))
        if _same_function(lambda u: other.df(u, other.f(u)), act.f):
            return None                   # softplus' is the sigmoid: the slip "f in place of f'" says it better
        return f"{_name(other)}'(z) in place of {f}'(z)", slip
    return f"{_name(other)}'s derivative written in O in place of {f}'", other.sympy_df(sp, z, O)


def _same_function(f, g):
    """Whether two numpy functions of z agree on a grid (the activation table's rows, compared cheaply)."""
    u = np.linspace(-3, 3, 13) + 0.01
    with np.errstate(all="ignore"):
        return bool(np.allclose(f(u), g(u), rtol=1e-12, atol=1e-12))


def activation_derivatives(derivation, form=None, codes=("activation_derivative",), prefix=""):
    model = derivation.model
    if not derivation.readable:
        return []
    form = data_leibniz(derivation) if form is None else form
    # a coupled layer (softmax) has no slope per neuron to slip: its slip is the cross terms (missing_paths)
    layers = sorted({model.neuron_of(p.numerator)[1] for p in form.atoms(Partial)
                     if model.neuron_of(p.numerator) and model.neuron_of(p.numerator)[0] == "O"
                     and not model.couples(model.neuron_of(p.numerator)[1])})
    scopes = [(f"layer {k}", {k}) for k in layers] + ([("every layer", set(layers))] if len(layers) > 1 else [])
    out, seen = [], set()
    for scope, ks in scopes:
        for kind in _kinds():
            labels = []

            def local(p, kind=kind, ks=ks, labels=labels):
                neuron = model.neuron_of(p.numerator)
                if neuron and neuron[0] == "O" and neuron[1] in ks:
                    k, j = neuron[1], neuron[2]
                    slip = _alternative(model, k, j, kind)
                    if slip is not None:
                        labels.append(slip[0])
                        inner = sp.Integer(1) if p.denominator == model.z[k][j] else model.local(model.z[k][j], p.denominator)
                        return inner * slip[1]
                return model.local(p.numerator, p.denominator)

            expr = _closed(model, form, local)
            if labels and expr not in seen:
                seen.add(expr)
                out.append(Variant(codes, f"{prefix}{labels[0]} ({scope})", expr))
    return out


def confusables(model, s):
    """[(other symbol, why)]: what an index slip turns a symbol of the network into.

    For a weight w^k_ij: the wrong layer's (w^(k±1)_ij), its indices swapped (w^k_ji), a neighbouring
    neuron's (w^k_(i±1)j, w^k_i(j±1)); for an output O_kj (x_i = O_0i): the wrong layer's (O_(k±1)j),
    a neighbouring neuron's (O_k(j±1)), its indices swapped (O_jk); likewise z_kj and delta_kj.
    """
    spec, out = model.spec, []

    def add(other, why):
        if other is not None and other != s and other not in [o for o, _ in out]:
            out.append((other, why))

    if s in model.param_of:
        p = model.param_of[s]
        k, i, j = p.layer, p.i, p.j
        if p.is_weight:
            slips = [((k - 1, i, j), "the wrong layer's weight"), ((k + 1, i, j), "the wrong layer's weight"),
                     ((k, j, i), "its indices swapped"), ((k, i - 1, j), "a neighbouring neuron's weight"),
                     ((k, i + 1, j), "a neighbouring neuron's weight"), ((k, i, j - 1), "a neighbouring neuron's weight"),
                     ((k, i, j + 1), "a neighbouring neuron's weight")]
            make = lambda c: Param.weight(*c)
        else:
            slips = [((k - 1, j), "the wrong layer's bias"), ((k + 1, j), "the wrong layer's bias"),
                     ((k, j - 1), "a neighbouring neuron's bias"), ((k, j + 1), "a neighbouring neuron's bias")]
            make = lambda c: Param.bias(*c)
        for c, why in slips:
            try:
                add(model.symbols[spec.check_param(make(c))], why)
            except (GradproofError, KeyError, TypeError):
                continue
        return out
    if s in model.x[1:]:
        letter, k, j = "O", 0, model.x.index(s)
    elif model.neuron_of(s):
        letter, k, j = model.neuron_of(s)
    else:
        return out
    for (kk, jj), why in [((k - 1, j), "the wrong layer's"), ((k + 1, j), "the wrong layer's"),
                          ((k, j - 1), "a neighbouring neuron's"), ((k, j + 1), "a neighbouring neuron's"),
                          ((j, k), "indices swapped:")]:
        add(_neuron(model, letter, kk, jj), f"{why} {'output' if letter == 'O' else letter}")
    return out


def _neuron(model, letter, k, j):
    """The symbol of O_kj (x_j for k = 0), z_kj or delta_kj, or None where there is no such neuron."""
    n = model.spec.layers
    if not (0 <= k < len(n) and 1 <= j <= n[k]):
        return None
    if letter == "O":
        return model.O[k][j]
    if k == 0:
        return None
    return (model.z if letter == "z" else model.delta)[k][j]


def _slip(s, other):
    return f"{text(other)} in place of {text(s)}"


def substitutions(derivation):
    """[(s, other, detail)]: every index slip of a symbol in the closed form, applied wherever s appears."""
    model, out = derivation.model, []
    data = data_part(derivation)
    for s in sorted(data.free_symbols, key=str):
        for other, why in confusables(model, s):
            out.append((s, other, f"{_slip(s, other)} ({why})"))
    return out


def wrong_indices(derivation):
    """Index slips, made from the derivation: a symbol written with a wrong index in one local derivative or
    wherever it appears (the wrong layer's weight or output, swapped indices on any weight of a path, a
    neighbouring neuron), a wrong neuron inside one Leibniz factor, and another parameter's exact gradient."""
    model, param = derivation.model, derivation.param
    out = []
    if derivation.readable:
        form = data_leibniz(derivation)
        data = _closed(model, form)
        for s, other, detail in substitutions(derivation):
            out.append(Variant(("wrong_index",), detail, data.xreplace({s: other})))
        for p in sorted(form.atoms(Partial), key=str):
            value = model.local(p.numerator, p.denominator)
            for s in sorted(value.free_symbols, key=str):
                for other, why in confusables(model, s):
                    local = lambda q, p=p, s=s, other=other: (model.local(q.numerator, q.denominator).xreplace({s: other})
                                                              if q == p else model.local(q.numerator, q.denominator))
                    out.append(Variant(("wrong_index",), f"{_slip(s, other)} in {text(p)} ({why})",
                                       _closed(model, form, local)))
            for end in ("numerator", "denominator"):
                a = getattr(p, end)
                for other, why in confusables(model, a):
                    if "neighbouring" not in why:
                        continue
                    q = Partial(other, p.denominator) if end == "numerator" else Partial(p.numerator, other)
                    changed = model.local(q.numerator, q.denominator)
                    if changed == 0:
                        continue
                    local = lambda r, p=p, changed=changed: changed if r == p else model.local(r.numerator, r.denominator)
                    out.append(Variant(("wrong_index",), f"{text(q)} in place of {text(p)}", _closed(model, form, local)))
    for other in _other_parameters(model.spec, param):
        d = derive(model.spec, other, model, derivation.max_paths)
        out.append(Variant(("wrong_index",), f"this is ∂L/∂{other}, not ∂L/∂{param}", data_part(d)))
    return _merged(out)


def _merged(variants):
    """One variant per distinct expression; a Leibniz factor's reading of the same slip joins its detail."""
    by_expr = {}
    for v in variants:
        if v.expr not in by_expr:
            by_expr[v.expr] = v
        elif v.detail.startswith("∂") or v.detail.startswith("this is"):
            first = by_expr[v.expr]
            by_expr[v.expr] = Variant(first.codes, f"{first.detail}, i.e. {v.detail}", first.expr)
    return list(by_expr.values())


MAX_OTHER_PARAMETERS = 64


def _other_parameters(spec, param):
    """The other parameters whose exact gradient an answer may be, nearest layers first (at most 64)."""
    others = [p for p in spec.parameters() if p != param]
    others.sort(key=lambda p: (abs(p.layer - param.layer), p.is_weight != param.is_weight))
    return others[:MAX_OTHER_PARAMETERS]


def _chain_factors(model, factor):
    """A factor of the Leibniz form as the factors a student writes in the chain's order: ∂O_kj/∂w^k_ij as
    f'(z_kj) and O_(k-1)i, ∂O_kj/∂O_(k-1)i as f'(z_kj) and w^k_ij; any other factor whole."""
    if isinstance(factor, Partial):
        value = model.local(factor.numerator, factor.denominator)
        neuron = model.neuron_of(factor.numerator)
        if neuron and neuron[0] == "O" and not model.couples(neuron[1]) \
                and factor.denominator != model.z[neuron[1]][neuron[2]]:
            f_prime = model.f_prime(neuron[1], neuron[2])
            rest = sp.cancel(value / f_prime) if f_prime != 0 else None
            if rest is not None and rest != 1 and not rest.has(*model.z[neuron[1]][1:]):
                return [f_prime, rest]
        return [value]
    return [_closed(model, factor)]


def sums_for_products(derivation):
    """A '+' where the chain rule multiplies, wherever it stands: between any two of the factors a student
    writes along the chain (∂L/∂O, each f'(z), each weight, the input), in every product of the form."""
    model = derivation.model
    if not derivation.readable:
        return []
    form = data_leibniz(derivation)
    out, seen = [], set()
    for node in sp.preorder_traversal(form):
        if isinstance(node, sp.Mul) and len(node.args) > 1:
            factors = [f for arg in node.args for f in _chain_factors(model, arg)]
            for m in range(1, len(factors)):
                left, right = sp.Mul(*factors[:m]), sp.Mul(*factors[m:])
                expr = _closed(model, _replace(form, node, sp.Add(left, right, evaluate=False)))
                if expr not in seen:
                    seen.add(expr)
                    out.append(Variant(("sum_for_product",), f"{text(left)} + [{text(right)}]", expr))
                    # and the sign slipped in the part before the '+' only: 2(y - ŷ)ŷ(1 - ŷ) + O_21
                    flipped = _closed(model, _replace(form, node, sp.Add(-left, right, evaluate=False)))
                    out.append(Variant(("sum_for_product", "sign"), f"-{text(left)} + [{text(right)}]", flipped))
    return out


def _replace(tree, target, new):
    """tree with the subtree target replaced by new, keeping the rest unevaluated."""
    if tree == target:
        return new
    if isinstance(tree, (sp.Add, sp.Mul)):
        return type(tree)(*[_replace(a, target, new) for a in tree.args], evaluate=False)
    return tree


def pairs(derivation, structural):
    """Two mistakes at once, for an answer no single variant explains: [(codes, detail, expression, swaps)].

    ``swaps`` maps a symbol to the one written in its place (an index slip made wherever the symbol
    appears), to be applied to the expression's values rather than built with sympy: an index slip
    on top of any other variant, two index slips, and a path left out with a wrong activation derivative.
    """
    out = []
    if not derivation.readable:
        return out
    subs = substitutions(derivation)
    for v in structural:
        if v.codes == ("wrong_index",):
            continue
        present = v.expr.free_symbols
        for s, other, detail in subs:
            if s in present:
                out.append((v.codes + ("wrong_index",), f"{v.detail}; {detail}", v.expr, {s: other}))
    data = data_part(derivation)
    for n, (s1, o1, d1) in enumerate(subs):
        for s2, o2, d2 in subs[n + 1:]:
            if s2 != s1 and o2 != s1 and o1 != s2:
                out.append((("wrong_index",), f"{d1}; {d2}", data, {s1: o1, s2: o2}))
    if derivation.path_count >= 2:
        chains = []
        for path in derivation.paths:
            nodes = path[::-1]
            chains.append(sp.Mul(*[Partial(a, b) for a, b in zip(nodes, nodes[1:])], evaluate=False))
        for n, path in enumerate(derivation.paths):
            rest = [c for m, c in enumerate(chains) if m != n]
            form = rest[0] if len(rest) == 1 else sp.Add(*rest, evaluate=False)
            for v in activation_derivatives(derivation, form, ("missing_path", "activation_derivative"),
                                            f"{_describe(path)} is left out; "):
                out.append((v.codes, v.detail, v.expr, {}))
    return out


def variants(derivation):
    """Every structural variant of the derivative's data part, in the order they are preferred."""
    return missing_paths(derivation) + activation_derivatives(derivation) + wrong_indices(derivation) \
        + sums_for_products(derivation) + target_slips(derivation)


def modifiers(has_regularization):
    """(sign, factor, regularization multiplier, codes) applied to each variant's value."""
    regs = [(1, ())]
    if has_regularization:
        regs += [(0, ("missing_regularization",)), (-1, ("regularization_sign",)), (0.5, ("factor",)), (2, ("factor",))]
    out = []
    for s, s_codes in ((1, ()), (-1, ("sign",))):
        for c, c_codes in ((1, ()), (2, ("factor",)), (0.5, ("factor",))):
            for r, r_codes in regs:
                if s == -1 and r_codes == ("regularization_sign",):
                    r_codes = ()               # the whole answer negated: its sign, one mistake
                out.append((s, c, r, tuple(dict.fromkeys(s_codes + c_codes + r_codes))))
    return out


class Candidates:
    """Every variant x modifier as a matrix of float values at some points, with codes and details."""

    def __init__(self, structural, data_values, reg_values, has_regularization):
        rows, self.codes, self.details = [], [], []
        for variant, values in [(Variant((), "", None), data_values)] + structural:
            for s, c, r, codes in modifiers(has_regularization):
                all_codes = tuple(dict.fromkeys(variant.codes + codes))
                if not all_codes:
                    continue                   # the correct answer itself
                rows.append(s * c * values + r * reg_values)
                self.codes.append(all_codes)
                self.details.append(variant.detail)
        self.matrix = np.array(rows) if rows else np.zeros((0, len(data_values)))
        correct = data_values + reg_values
        # a variant that equals the correct derivative everywhere is no mistake (f' = 1 for a linear layer)
        self.keep = ~np.all(_close(self.matrix, correct[None, :], MATCH_RTOL), axis=1) if rows else np.zeros(0, bool)

    def match(self, got, rtol=MATCH_RTOL):
        """(codes, details) of the best-matching variants, or ((), ()) when none matches."""
        if self.matrix.shape[0] == 0 or not np.all(np.isfinite(got)):
            return (), ()
        hits = np.all(_close(self.matrix, got[None, :], rtol), axis=1) & self.keep
        found = np.flatnonzero(hits)
        if found.size == 0:
            return (), ()
        fewest = min(len(self.codes[i]) for i in found)
        best = [i for i in found if len(self.codes[i]) == fewest]
        codes = self.codes[best[0]]
        details = [part for i in best if self.codes[i] == codes and self.details[i]
                   for part in self.details[i].split("; ")]
        return codes, tuple(dict.fromkeys(details))


def _close(a, b, rtol):
    with np.errstate(all="ignore"):
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
        return np.abs(a - b) <= rtol * scale
