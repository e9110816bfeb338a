"""The chain rule for one parameter: its paths to L, the Leibniz form, the closed form, the delta form.

A weight w^k_ij reaches L through O_kj and then through every neuron of every later layer: one path
per choice of a neuron in each later layer. The Leibniz form sums, over the paths, the product of
the local partials along each, factored the way the notes factor it (shared factors pulled out);
the closed form puts each local derivative in its place; the memoized form names
delta_kj = dL/dO_kj, computed once from the output back and reused by every parameter whose paths
pass through O_kj. Only the delta form is linear in the size of the network, so the other two are
built only while a parameter has at most ``max_paths`` paths.
"""
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from .model import L, Model, R
from .printing import Partial, latex, ordered_factors, terminal

MAX_PATHS = 64


def paths(model, param):
    """Every path from the parameter to L, as lists of symbols [param, O_kj, ..., O_nm, L].

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.notation import Param
    >>> from gradproof.symbolic.model import Model
    >>> paths(Model(Spec()), Param.weight(1, 1, 1))
    [[w^1_11, O_11, O_21, O_31, L], [w^1_11, O_11, O_22, O_31, L]]

    A layer that couples (softmax) is passed through z_ka and then any O_km, since every O_km depends on z_ka:

    >>> paths(Model(Spec(layers=(2, 2), activations="softmax", loss="ce")), Param.weight(1, 1, 2))
    [[w^1_12, z_12, O_11, L], [w^1_12, z_12, O_12, L]]
    """
    spec, k = model.spec, param.layer
    if model.couples(k):
        found = [[model.symbols[param], model.z[k][param.j], model.O[k][m]] for m in range(1, spec.layers[k] + 1)]
    else:
        found = [[model.symbols[param], model.O[k][param.j]]]
    for k in range(param.layer + 1, len(spec.layers)):
        size = range(1, spec.layers[k] + 1)
        if model.couples(k):
            found = [p + [model.z[k][a], model.O[k][m]] for p in found for a in size for m in size]
        else:
            found = [p + [model.O[k][m]] for p in found for m in size]
    return [p + [L] for p in found]


def _factored(chains):
    """A sum of products (lists of factors, first factor first), with shared factors pulled out.

    The factors every chain ends with go last; grouping the rest by the first factor, recursively,
    gives the notes' form a * [b * c + d * e] * f.
    """
    tail = 0
    while tail < min(len(c) for c in chains) - 1 and len({c[-1 - tail] for c in chains}) == 1:
        tail += 1
    if tail and len(chains) > 1:
        shared = list(chains[0][len(chains[0]) - tail:])
        return sp.Mul(*_flat([_grouped([c[:len(c) - tail] for c in chains])] + shared), evaluate=False)
    return _grouped(chains)


def _grouped(chains):
    groups = {}
    for chain in chains:
        groups.setdefault(chain[0], []).append(chain[1:])
    terms = []
    for head, rests in groups.items():
        if all(not r for r in rests):
            terms.append([head])
        elif len(rests) == 1:
            terms.append([head] + rests[0])
        else:
            terms.append([head, _grouped(rests)])
    if len(terms) == 1:
        return terms[0][0] if len(terms[0]) == 1 else sp.Mul(*_flat(terms[0]), evaluate=False)
    return sp.Add(*[t[0] if len(t) == 1 else sp.Mul(*_flat(t), evaluate=False) for t in terms], evaluate=False)


def _flat(factors):
    out = []
    for f in factors:
        out.extend(f.args if isinstance(f, sp.Mul) and not isinstance(f, sp.Add) else [f])
    return out


def evaluate(model, expr):
    """Put every Leibniz partial's local derivative in its place, keeping the form's factor order."""
    if isinstance(expr, Partial):
        return model.local(expr.numerator, expr.denominator)
    if isinstance(expr, (sp.Mul, sp.Add)):
        parts = [evaluate(model, a) for a in expr.args]
        if isinstance(expr, sp.Mul):
            if any(p == 0 for p in parts):
                return sp.Integer(0)
            # the local derivatives' own factors (sympy's order) join the chain's, all in the notes' order
            parts = ordered_factors(_flat([p for p in parts if p != 1]))
            return sp.Integer(1) if not parts else parts[0] if len(parts) == 1 else sp.Mul(*parts, evaluate=False)
        parts = [p for p in parts if p != 0]
        return sp.Integer(0) if not parts else parts[0] if len(parts) == 1 else sp.Add(*parts, evaluate=False)
    return expr


def settle(expr):
    """Let sympy evaluate a form built unevaluated (to compare, simplify or compile it)."""
    if isinstance(expr, (sp.Mul, sp.Add)):
        return type(expr)(*[settle(a) for a in expr.args])
    return expr


@dataclass
class Derivation:
    """dL/dparam by the chain rule, in every form the notes use.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.notation import Param
    >>> from gradproof.symbolic.chain import derive
    >>> from gradproof.symbolic.printing import text
    >>> d = derive(Spec(), Param.weight(1, 1, 1))
    >>> d
    Derivation(dL/dw^1_11, 2 paths)
    >>> print(text(d.leibniz))
    ∂L/∂O_31 · [∂O_31/∂O_21 · ∂O_21/∂O_11 + ∂O_31/∂O_22 · ∂O_22/∂O_11] · ∂O_11/∂w^1_11
    >>> print(text(d.memoized))
    O_11*δ_11*x_1*(1 - O_11)
    """

    model: Model
    param: object
    max_paths: int = MAX_PATHS
    _cache: dict = field(default_factory=dict, repr=False)

    def __repr__(self):
        count = self.path_count
        return f"Derivation(dL/d{self.param}, {count} path{'s' if count != 1 else ''})"

    def _repr_latex_(self):
        """Jupyter: the chain rule summed over the paths, the closed form and the delta form, as on a sheet."""
        from .sheet.notebook import derivation_latex
        return derivation_latex(self)

    def _repr_html_(self):
        from .sheet.notebook import as_html, derivation_latex
        return as_html(derivation_latex(self))

    @property
    def symbol(self):
        return self.model.symbols[self.param]

    @property
    def path_count(self):
        return self.model.spec.path_count(self.param)

    @property
    def readable(self):
        """Whether the path-by-path forms are small enough to build and read."""
        return self.path_count <= self.max_paths

    @cached_property
    def paths(self):
        return paths(self.model, self.param) if self.readable else None

    @property
    def has_regularization(self):
        return self.model.regularization_derivative(self.param) != 0

    @cached_property
    def leibniz(self):
        """Sum over paths of products of Leibniz partials, L side first, factored; None when too many paths."""
        if not self.readable:
            return None
        chains = []
        for path in self.paths:
            nodes = path[::-1]          # L, O_nm, ..., O_kj, param
            chains.append([Partial(a, b) for a, b in zip(nodes, nodes[1:])])
        form = _factored(chains)
        return sp.Add(form, Partial(R, self.symbol), evaluate=False) if self.has_regularization else form

    @cached_property
    def local_derivatives(self):
        """Each distinct local partial of the Leibniz form with its value, in order of appearance."""
        if self.leibniz is None:
            return None
        seen = []
        for node in sp.preorder_traversal(self.leibniz):
            if isinstance(node, Partial) and node not in seen:
                seen.append(node)
        return [(p, self.model.local(p.numerator, p.denominator)) for p in seen]

    @cached_property
    def closed_form(self):
        """The Leibniz form with every local derivative in place: an expression in O, z, w, x, y."""
        return None if self.leibniz is None else evaluate(self.model, self.leibniz)

    @cached_property
    def memoized(self):
        """delta_kj * dO_kj/dparam (+ dR/dw): the form backprop computes, linear in the network's size."""
        key = ("memoized", self.param)
        if key not in self.model.memo:      # Compiled asks again for every parameter: built once per model
            k, j = self.param.layer, self.param.j
            if self.model.couples(k):
                # through z_kj to every O_km: (sum_m delta_km dO_km/dz_kj) dz_kj/dparam
                form = self.model.z_gradient(k, j) * self.model.local(self.model.z[k][j], self.symbol)
            else:
                form = self.model.delta[k][j] * self.model.local(self.model.O[k][j], self.symbol)
            self.model.memo[key] = form + self.model.regularization_derivative(self.param)
        return self.model.memo[key]

    @cached_property
    def memoized_leibniz(self):
        k, j = self.param.layer, self.param.j
        if self.model.couples(k):
            form = sp.Mul(z_gradient_leibniz(self.model, k, j), Partial(self.model.z[k][j], self.symbol), evaluate=False)
        else:
            form = sp.Mul(self.model.delta[k][j], Partial(self.model.O[k][j], self.symbol), evaluate=False)
        return sp.Add(form, Partial(R, self.symbol), evaluate=False) if self.has_regularization else form

    @cached_property
    def deltas(self):
        """The deltas this parameter's memoized form needs: [(delta_kj, Leibniz definition, local form)]."""
        model, spec = self.model, self.model.spec
        # a coupled layer's parameter reaches L through every O_km of its layer: it needs all of its deltas
        needed = ([(self.param.layer, m) for m in range(1, spec.layers[self.param.layer] + 1)]
                  if model.couples(self.param.layer) else [(self.param.layer, self.param.j)])
        for k in range(self.param.layer + 1, len(spec.layers)):
            needed += [(k, m) for m in range(1, spec.layers[k] + 1)]
        return [(model.delta[k][j], delta_leibniz(model, k, j), delta_definition(model, k, j)) for k, j in needed]

    @property
    def shared(self):
        """What the memoized form computes once and shares with reused_by: delta_kj, or dL/dz_kj (a Leibniz
        partial) in a layer that couples."""
        k, j = self.param.layer, self.param.j
        return Partial(L, self.model.z[k][j]) if self.model.couples(k) else self.model.delta[k][j]

    @cached_property
    def reused_by(self):
        """For the delta this parameter uses directly, the other parameters that use the same delta."""
        k, j = self.param.layer, self.param.j
        return [p for p in self.model.params if p.layer == k and p.j == j and p != self.param]

    def to_json(self, **latex_settings):
        data = dict(self.param.to_json())
        data["path_count"] = self.path_count
        data["paths"] = None if self.paths is None else [[str(s) for s in path] for path in self.paths]
        data["chain_rule_latex"] = None if self.leibniz is None else latex(self.leibniz, **latex_settings)
        data["local_derivatives"] = None if self.local_derivatives is None else [
            {"factor": terminal(partial), "factor_latex": latex(partial, **latex_settings),
             "derivative": terminal(form), "latex": latex(form, **latex_settings)}
            for partial, form in self.local_derivatives]
        data["closed_form_latex"] = None if self.closed_form is None else latex(self.closed_form, **latex_settings)
        data["memoized_latex"] = latex(self.memoized, **latex_settings)
        data["deltas_latex"] = {str(d): self._delta_latex(d, defn, latex_settings) for d, _, defn in self.deltas}
        return data

    def _delta_latex(self, delta, definition, settings):
        # every parameter of a layer repeats the later layers' deltas: print each once per model
        key = ("delta_latex", delta, tuple(sorted(settings.items())))
        if key not in self.model.memo:
            self.model.memo[key] = latex(definition, **settings)
        return self.model.memo[key]


def z_gradient_leibniz(model, k, j):
    """dL/dz_kj of a coupled layer as Leibniz partials: sum_m delta_km dO_km/dz_kj."""
    terms = [sp.Mul(model.delta[k][m], Partial(model.O[k][m], model.z[k][j]), evaluate=False)
             for m in range(1, model.spec.layers[k] + 1)]
    return sp.Add(*terms, evaluate=False)


def delta_leibniz(model, k, j):
    """delta_kj = dL/dO_kj as Leibniz partials: dL/dO_nj at the output, else sum_m delta_(k+1)m dO_(k+1)m/dO_kj
    (through z: sum_a [sum_m delta_(k+1)m dO_(k+1)m/dz_(k+1)a] dz_(k+1)a/dO_kj when layer k + 1 couples)."""
    if k == model.output_layer:
        return Partial(L, model.O[k][j])
    if model.couples(k + 1):
        terms = [sp.Mul(z_gradient_leibniz(model, k + 1, a), Partial(model.z[k + 1][a], model.O[k][j]), evaluate=False)
                 for a in range(1, model.spec.layers[k + 1] + 1)]
        return sp.Add(*terms, evaluate=False)
    terms = [sp.Mul(model.delta[k + 1][m], Partial(model.O[k + 1][m], model.O[k][j]), evaluate=False)
             for m in range(1, model.spec.layers[k + 1] + 1)]
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def delta_definition(model, k, j):
    """delta_kj with the local derivatives in place: in terms of the next layer's deltas (built once per model)."""
    key = ("delta", k, j)
    if key not in model.memo and k < model.output_layer and model.couples(k + 1):
        # sum_a (dL/dz_(k+1)a) w^(k+1)_ja, with dL/dz the model's one shared sum (the evaluator fuses it)
        model.memo[key] = sp.Add(*[model.z_gradient(k + 1, a) * model.w(k + 1, j, a)
                                   for a in range(1, model.spec.layers[k + 1] + 1)])
    if key not in model.memo:
        model.memo[key] = evaluate(model, delta_leibniz(model, k, j))
    return model.memo[key]


def derive(spec, param, model=None, max_paths=MAX_PATHS):
    """The chain-rule derivation of dL/dparam for a spec's network."""
    model = model or Model(spec)
    spec.check_param(param)
    return Derivation(model, param, max_paths)


def derive_all(spec, params=None, max_paths=MAX_PATHS):
    """Derivations for the given parameters (default: all), sharing one model."""
    model = Model(spec)
    return [derive(spec, p, model, max_paths) for p in (params or spec.parameters())]
