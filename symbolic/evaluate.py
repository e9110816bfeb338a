"""Numbers from the symbolic derivation: the one evaluator of the symbolic network and the compiled gradients.

:class:`Network` evaluates the model's own equations (z and O forward, the delta definitions backward) at
values of x, y, w and b: in float64 on numpy arrays (all samples, or all points, at once), each layer's stable forms
printed once and vectorised over its neurons (symbolic/layers.py); in a layer that couples (softmax), or with ``mp``
in mpmath at the caller's working precision one sample at a time, every neuron's forms compiled per layer. The
sheets, the grader and :class:`Compiled` all take z, O and delta from it. :class:`Compiled` adds the
memoized gradient of every parameter and the loss. Compilation is per layer, so its cost is linear in the
size of the network. (numpy's backprop, numeric/backprop.py, is a separate computation by design: the
two are checked against each other.)
"""
import contextlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from .chain import Derivation, delta_definition
from .compile import compile_exprs as _compile
from .compile import stable, stable_node
from .layers import LayerCode, Unsupported, stacked
from .model import L


def _precision(digits):
    """mpmath's working precision set to digits, or nothing to do in float64."""
    if digits is None:
        return contextlib.nullcontext()
    import mpmath
    return mpmath.workdps(digits)


@dataclass
class Evaluation:
    """Values at a POINT: per layer z and O (sample by sample), delta, every parameter's gradient, the loss."""

    z: list
    O: list
    delta: list
    gradients: dict
    loss: object

    def _repr_latex_(self):
        """Jupyter: the loss and every gradient."""
        from .sheet.notebook import evaluation_latex
        return evaluation_latex(self)

    def _repr_html_(self):
        from .sheet.notebook import as_html, evaluation_latex
        return as_html(evaluation_latex(self))


class Evaluable:
    """A model's expressions rewritten for evaluation: the same functions of the same symbols, evaluated stably.

    The sheets print the readable forms (O_kj (1 - O_kj), ln(1 - O_nj), 1/(1 + e^{-z})); evaluated as written, they
    lose every digit where an output saturates (O rounds to 1) or overflow (e^z). Before an expression is compiled
    or evaluated it goes through three steps:

    1. at the output layer, delta_nj times f_n'(z_nj) (a factor pair of the memoized forms and of the next deltas)
       becomes g_nj = dL/dz_nj, where f' cancels the division by O of dL/dO (for binary cross-entropy on a sigmoid:
       O - y, backprop's fused gradient), finite wherever the gradient is;
    2. in a sum or a function of an O_kj where it helps, O_kj is written as its layer's activation of z_kj (O
       rounds, z does not): 1 - O = sigma(-z), ln O = -softplus(-z);
    3. compile.stable: 1/(1 + e^{-z}) is sigmoid, ln(1 + e^z) softplus, 1 - e^{-u} = -expm1(-u), each evaluated
       without overflow.

    Nothing here names an activation or a loss: the identities are those of exp and log.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.chain import Derivation
    >>> from gradproof.symbolic.model import Model
    >>> m = Model(Spec(layers=(2, 1), loss="bce"))
    >>> forms = Evaluable.of(m)
    >>> forms(m.data_loss()), forms.g_forms[1]
    (-y_1*(-Softplus(-z_11)) - (1 - y_1)*(-Softplus(z_11)), O_11 - y_1)
    >>> forms(Derivation(m, m.params[0]).memoized)
    dL/dz_11*x_1
    """

    def __init__(self, model):
        self.model = model
        m, n = model, model.spec.layers
        top = len(n) - 1
        self.top = top
        # g_nj = dL/dz_nj of the output layer: a symbol for the compiled code, with its simplified form (built on
        # first use: the per-layer code asks for one neuron's, the per-neuron code for every one)
        self.g = [None] + [sp.Symbol(f"dL/dz_{top}{j}", real=True) for j in range(1, n[top] + 1)]
        self.g_forms = _PerNeuron(lambda j: self._g_form(top, j), n[top])
        # the sum over m of delta_nm dO_nm/dz_nj is g_nj as a whole when the output layer couples: no pair to fuse
        self._sums = {m.z_gradient(top, j): self.g[j] for j in range(1, n[top] + 1)} if m.couples(top) else {}
        # O_kj -> its activation of z_kj where the stable rules rewrite the activation (None elsewhere), on first use
        self._O = {}
        self._memo, self._walked, self._stable_memo = {}, {}, {}

    def _O_form(self, s):
        """The stable activation of z_kj for O_kj, where the stable rules rewrite it; None for any other symbol."""
        if s not in self._O:
            found = self.model.neuron_of(s)
            f = None
            if found is not None and found[0] == "O" and found[1] > 0:
                equation = self.model.O_equation(found[1], found[2])
                f = stable(equation)
                # tanh too: its O is rewritten only where a rule then applies (1 - tanh^2 = sech^2)
                if f == equation and not isinstance(f, sp.tanh):
                    f = None
            self._O[s] = f
        return self._O[s]

    def _g_form(self, top, j):
        """dL/dz_nj = dL/dO_nj f_n'(z_nj), with the division by an output cancelled where f' cancels it (binary
        cross-entropy on a sigmoid: O - y); the plain product otherwise (never expanded or refactored, which could
        bring back a cancellation or an e^{O})."""
        m, O = self.model, self.model.O[top][j]
        if m.couples(top):
            # sum_m (dL/dO_nm) dO_nm/dz_nj: cancelled, the divisions by O_nm go (CE on softmax: O_nj sum_m y_m - y_j)
            total = sp.Add(*[m.local(L, m.O[top][a]) * m.local(m.O[top][a], m.z[top][j])
                             for a in range(1, m.spec.layers[top] + 1)])
            fused = sp.cancel(total)
            return fused if not sp.fraction(fused)[1].has(*m.O[top][1:]) else total
        dL_dO, product = m.local(L, O), m.local(L, O) * m.f_prime(top, j)
        if sp.fraction(sp.together(dL_dO))[1].has(O):
            fused = sp.cancel(product)
            if not sp.fraction(fused)[1].has(O):
                return fused
        return product

    @classmethod
    def of(cls, model):
        if "evaluable" not in model.memo:
            model.memo["evaluable"] = cls(model)
        return model.memo["evaluable"]

    def __call__(self, expr):
        expr = sp.sympify(expr, strict=True)
        found = self._memo.get(expr)
        if found is None:
            found = self._memo[expr] = self._walk(expr)
        return found

    def _walk(self, expr):
        """One pass from the leaves up, each distinct subexpression once (the same (1 - O_kj) serves every weight
        into neuron kj): the fused pair in a product first, then the parts, then O in z and the stable rules here."""
        if expr.is_Atom:
            return expr
        if expr in self._sums:
            return self._sums[expr]
        found = self._walked.get(expr)
        if found is not None:
            return found
        args = self._fused(expr.args) if isinstance(expr, sp.Mul) else expr.args
        parts = [self._walk(a) for a in args]
        if args is expr.args and all(a is b for a, b in zip(parts, args)):
            out = expr
        elif isinstance(expr, (sp.Add, sp.Mul)):
            out = expr.func(*parts, evaluate=False)       # no re-simplification of a large sum or product
        else:
            out = expr.func(*parts)
        if isinstance(out, (sp.Add, sp.Function)) and any(self._holds_O(a) for a in out.args):
            table = {s: f for s in out.free_symbols if (f := self._O_form(s)) is not None}
            substituted = out.xreplace(table)
            rewritten = stable(substituted, self._stable_memo)
            # it helps where a stable rule applies, or where sympy itself undid the activation (ln e^v = v: the
            # log-softmax of ln O_nj)
            undone = not any(substituted.has(f) for f in table.values())
            if rewritten != substituted or undone:
                out = rewritten
        out = stable_node(out)
        self._walked[expr] = out
        return out

    def _holds_O(self, part):
        """Whether part is O_kj, a power of it, or a number times either (-O_kj, -O_kj^2 in 1 - O_kj^2), for an O
        that is better written in z."""
        if part.is_Symbol:
            return self._O_form(part) is not None
        if isinstance(part, sp.Mul) and len(part.args) == 2 and part.args[0].is_Number:
            return self._holds_O(part.args[1])
        return isinstance(part, sp.Pow) and part.base.is_Symbol and self._O_form(part.base) is not None

    def _fused(self, factors):
        """A product's factors with delta_nj and the factors of f_n'(z_nj) replaced by g_nj where all are there."""
        m, top = self.model, self.top
        if m.couples(top):
            return factors
        for delta in [f for f in factors if f.is_Symbol and (m.neuron_of(f) or ())[:2] == ("delta", top)]:
            j = m.neuron_of(delta)[2]
            rest = list(factors)
            rest.remove(delta)
            try:
                for f in sp.Mul.make_args(m.f_prime(top, j)):
                    if f != 1:
                        rest.remove(f)
            except ValueError:
                continue
            factors = tuple(rest) + (self.g[j],)
        return factors


class _PerNeuron:
    """A list indexed from 1 whose entries are built on first use."""

    def __init__(self, build, size):
        self._build, self._size, self._built = build, size, {}

    def __getitem__(self, j):
        if not 1 <= j <= self._size:
            raise IndexError(j)
        if j not in self._built:
            self._built[j] = self._build(j)
        return self._built[j]

    def __len__(self):
        return self._size + 1


class Network:
    """z_kj, O_kj and delta_kj of a model's network at values of x, y, w and b: the one evaluator.

    Built once per model and arithmetic (:meth:`of`). ``run`` takes the values as lists and getters, each
    value a float, a numpy array (samples or points, evaluated at once) or, with ``mp``, an mpmath number;
    ``values`` takes and returns a table symbol -> value. Every expression is compiled in its stable form
    (:class:`Evaluable`); the output layer's dL/dz_nj is computed too (``g``), for the gradients.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.point import from_mapping
    >>> from gradproof.symbolic.model import Model
    >>> m = Model(Spec(layers=(1, 1), activations="linear"))
    >>> table = Network.of(m).values(m.point_values(from_mapping({"x": [[2.0]], "y": [[1.0]], "W": [[[3.0]]]}, m.spec)))
    >>> float(table[m.z[1][1]]), float(table[m.O[1][1]]), float(table[m.delta[1][1]])
    (6.0, 6.0, 10.0)
    """

    def __init__(self, model, mp=False):
        self.model, self.spec, self.mp = model, model.spec, mp
        m, n = model, self.spec.layers
        self.forms = forms = Evaluable.of(model)
        try:
            # each layer's forms printed once: vectorised over its neurons in float64 (symbolic/layers.py)
            self.layers = LayerCode(model, Evaluable.of, mp)
            return
        except Unsupported:
            self.layers = None          # a coupled layer: every neuron's forms compiled
        self.forward = []
        for k in range(1, len(n)):
            prev = m.O[k - 1][1:]
            weights = [m.w(k, i, j) for i in range(1, n[k - 1] + 1) for j in range(1, n[k] + 1)]
            biases = [m.b(k, j) for j in range(1, n[k] + 1)] if self.spec.bias else []
            zs = [m.z_equation(k, j) for j in range(1, n[k] + 1)]
            Os = [forms(m.O_equation(k, j)) for j in range(1, n[k] + 1)]
            self.forward.append((_compile(prev + weights + biases, zs, mp), _compile(m.z[k][1:], Os, mp)))
        top = len(n) - 1
        self.backward = [None] * len(n)
        outputs = range(1, n[top] + 1)
        self.backward[top] = _compile(m.y[1:] + m.z[top][1:] + m.O[top][1:],
                                      [forms(m.local(L, m.O[top][j])) for j in outputs]
                                      + [forms(forms.g_forms[j]) for j in outputs], mp)
        for k in range(top - 1, 0, -1):
            nxt = [m.w(k + 1, i, j) for i in range(1, n[k] + 1) for j in range(1, n[k + 1] + 1)]
            self.backward[k] = _compile(self.layer_args(k + 1) + m.O[k][1:] + nxt,
                                        [forms(delta_definition(m, k, j)) for j in range(1, n[k] + 1)], mp)

    def layer_args(self, k):
        """The values known at layer k once its delta is: delta_k, (g at the output), z_k and O_k."""
        m = self.model
        g = self.forms.g[1:] if k == self.forms.top else []
        return m.delta[k][1:] + g + m.z[k][1:] + m.O[k][1:]

    @classmethod
    def of(cls, model, mp=False):
        """The model's evaluator for float64 (or mpmath), compiled on first use."""
        key = ("network", bool(mp))
        if key not in model.memo:
            model.memo[key] = cls(model, mp)
        return model.memo[key]

    def run(self, x, y, weight, bias=None):
        """z, O, delta and g per layer: lists indexed [k][j - 1] (z[0] and delta[0] None, O[0] = x; g only at the
        output layer, None elsewhere).

        x and y are lists of values; weight(k, i, j) and bias(k, j) give w^k_ij and b^k_j (indices from 1).
        A value beyond float64's range comes out inf without a warning (a delta_n of e^800, say, where the
        gradient itself stays finite): the callers judge the numbers they report."""
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return self._run(x, y, weight, bias)

    def _run(self, x, y, weight, bias):
        n = self.spec.layers
        if self.layers is not None and self.mp:
            W = [[[weight(k, i, j) for j in range(1, n[k] + 1)] for i in range(1, n[k - 1] + 1)] for k in range(1, len(n))]
            b = [[bias(k, j) for j in range(1, n[k] + 1)] for k in range(1, len(n))] if self.spec.bias else None
            out = self.layers.run(list(x), list(y), W, b)
            g = [None] * (len(n) - 1) + [out["g"]]
            return [None] + out["z"], out["O"], [None] + out["delta"], g
        if self.layers is not None:
            W = [stacked([stacked([weight(k, i, j) for j in range(1, n[k] + 1)]) for i in range(1, n[k - 1] + 1)])
                 for k in range(1, len(n))]
            b = [stacked([bias(k, j) for j in range(1, n[k] + 1)]) for k in range(1, len(n))] if self.spec.bias else None
            out = self.layers.run(stacked(x), stacked(y), W, b)
            per_neuron = lambda layers: [None] + [list(a) for a in layers]
            g = [None] * (len(n) - 1) + [list(out["g"])]
            return per_neuron(out["z"]), [list(a) for a in out["O"]], per_neuron(out["delta"]), g
        z, O = [None], [list(x)]
        for k, (fz, fO) in enumerate(self.forward, start=1):
            weights = [weight(k, i, j) for i in range(1, n[k - 1] + 1) for j in range(1, n[k] + 1)]
            biases = [bias(k, j) for j in range(1, n[k] + 1)] if self.spec.bias else []
            z.append(list(fz(*O[k - 1], *weights, *biases)))
            O.append(list(fO(*z[k])))
        top = len(n) - 1
        delta, g = [None] * len(n), [None] * len(n)
        out = list(self.backward[top](*y, *z[top], *O[top]))
        delta[top], g[top] = out[:n[top]], out[n[top]:]
        for k in range(top - 1, 0, -1):
            nxt = [weight(k + 1, i, j) for i in range(1, n[k] + 1) for j in range(1, n[k + 1] + 1)]
            known = delta[k + 1] + (g[k + 1] if k + 1 == top else []) + z[k + 1] + O[k + 1]
            delta[k] = list(self.backward[k](*known, *O[k], *nxt))
        return z, O, delta, g

    def values(self, table):
        """table (x, y, w, b and lambda: symbol -> value, e.g. Model.point_values) with every z, O, delta and the
        output layer's g added."""
        m, n = self.model, self.spec.layers
        z, O, delta, g = self.run([table[s] for s in m.x[1:]], [table[s] for s in m.y[1:]],
                                  lambda k, i, j: table[m.w(k, i, j)], lambda k, j: table[m.b(k, j)])
        out = dict(table)
        for k in range(1, len(n)):
            for j in range(1, n[k] + 1):
                out[m.z[k][j]], out[m.O[k][j]], out[m.delta[k][j]] = z[k][j - 1], O[k][j - 1], delta[k][j - 1]
        out.update(zip(self.forms.g[1:], g[-1]))
        return out


class Compiled:
    """A network's symbolic forward pass, deltas and gradients, compiled once, evaluated at any POINT.

    z, O and delta come from the model's :class:`Network`; the memoized gradient forms and the loss are
    compiled here, per layer.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.point import random_point
    >>> from gradproof.numeric.notation import Param
    >>> from gradproof.symbolic.model import Model
    >>> spec = Spec()
    >>> values = Compiled(Model(spec)).evaluate(random_point(spec, seed=1))
    >>> sorted(values.gradients)[:2]
    [w^1_11, w^1_12]
    """

    def __init__(self, model, digits=None):
        self.model, self.spec, self.digits = model, model.spec, digits
        mp = digits is not None
        m, n = model, self.spec.layers
        self.network = Network.of(model, mp)
        if self.network.layers is not None and not mp:
            return                      # the per-layer code computes dL/dz_kj, of which every gradient is a product
        self.grads = [None] * len(n)
        for k in range(1, len(n)):
            layer_params = [p for p in m.params if p.layer == k]
            # the memoized form without its regularization term, which is added once, not per sample
            forms = self.network.forms
            exprs = [forms(Derivation(m, p).memoized - m.regularization_derivative(p)) for p in layer_params]
            below = m.z[k - 1][1:] if k > 1 else []
            args = self.network.layer_args(k) + below + m.O[k - 1][1:]
            self.grads[k] = (layer_params, _compile(args, exprs, mp))
        top = len(n) - 1
        self.loss_fn = _compile(m.y[1:] + m.z[top][1:] + m.O[top][1:], forms(m.data_loss()), mp)
        params = list(m.symbols)
        reg = [m.regularization_derivative(p) for p in params]
        self.reg_fn = _compile([m.symbols[p] for p in params] + [m.lam], [m.regularization()] + reg, mp)

    def evaluate(self, point):
        """Forward, deltas, gradients and loss at a POINT: all samples, the spec's reduction, plus R(w) once."""
        if self.network.layers is not None and self.digits is None:
            return self._evaluate_layers(point)
        if self.digits is None:
            n = point.samples
            run = self._run(point.x.T, point.y.T, point.W, point.b)
            total = lambda v: float(np.sum(np.broadcast_to(v, (n,))))
            table = lambda rows: [None if r is None else np.stack(np.broadcast_arrays(*r), axis=1) for r in rows]
            z, O, delta = table(run[0]), table(run[1]), table(run[2])
            terms, losses = run[3], run[4]
            reg_loss, reg = self._reg(point.W, point.b)
        else:
            import mpmath
            with mpmath.workdps(self.digits):
                to_mp = np.vectorize(lambda v: mpmath.mpf(float(v)), otypes=[object])
                W = [to_mp(w) for w in point.W]
                b = None if point.b is None else [to_mp(v) for v in point.b]
                runs = [self._run(to_mp(point.x[s]), to_mp(point.y[s]), W, b) for s in range(point.samples)]
                total = mpmath.fsum
                table = lambda i: [None if layer is None else [[r[i][k][j] for j in range(len(layer))] for r in runs]
                                   for k, layer in enumerate(runs[0][i])]
                z, O, delta = table(0), table(1), table(2)
                terms = {p: [r[3][p] for r in runs] for p in runs[0][3]}
                losses = [r[4] for r in runs]
                reg_loss, reg = self._reg(W, b)
        scale = point.samples if self.spec.reduction == "mean" else 1
        # with digits, the sums over samples too must run at that precision (mpmath's context, not the float default)
        with _precision(self.digits):
            grads = {p: total(v) / scale + r for (p, v), r in zip(terms.items(), reg)}
            loss = total(losses) / scale + reg_loss
        return Evaluation(z, O, delta, grads, loss)

    def _evaluate_layers(self, point):
        """evaluate by the per-layer code: dL/dw^k_ij = sum over the samples of dL/dz_kj O_(k-1)i, in one product."""
        code = self.network.layers
        out = code.run(point.x.T, point.y.T, point.W, point.b)
        scale = point.samples if self.spec.reduction == "mean" else 1
        reg_loss, reg = code.regularization(point.W, self.spec.lam)
        grads = {}
        with np.errstate(over="ignore", invalid="ignore"):
            for k, (below, dz) in enumerate(zip(out["O"], out["dz"]), start=1):
                weights = (below @ dz.T) / scale + reg[k - 1]
                biases = np.sum(dz, axis=1) / scale
                for p in self._layer_params[k]:
                    grads[p] = float(weights[p.i - 1, p.j - 1] if p.is_weight else biases[p.j - 1])
            loss = float(np.sum(out["loss"])) / scale + reg_loss
        samples = lambda layers: [None] + [a.T for a in layers]
        return Evaluation(samples(out["z"]), [a.T for a in out["O"]], samples(out["delta"]), grads, loss)

    @cached_property
    def _layer_params(self):
        layers = [[] for _ in self.spec.layers]
        for p in self.model.params:
            layers[p.layer].append(p)
        return layers

    def _reg(self, W, b):
        """R(w) and dR/dparam for every parameter, in the model's parameter order."""
        values = [W[p.layer - 1][p.i - 1, p.j - 1] if p.is_weight else b[p.layer - 1][p.j - 1]
                  for p in self.model.symbols]
        out = self.reg_fn(*values, self.spec.lam)
        return out[0], out[1:]

    def _run(self, x, y, W, b):
        """One pass over samples (numpy columns) or one sample (mpmath): z, O, delta, gradient terms, loss terms."""
        z, O, delta, g = self.network.run(x, y, lambda k, i, j: W[k - 1][i - 1, j - 1],
                                          lambda k, j: b[k - 1][j - 1])
        top = len(self.spec.layers) - 1
        terms = {}
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            for k in range(1, top + 1):
                params, fn = self.grads[k]
                known = delta[k] + (g[k] if k == top else []) + z[k] + O[k] + (z[k - 1] if k > 1 else [])
                terms.update(zip(params, fn(*known, *O[k - 1])))
            return z, O, delta, terms, self.loss_fn(*y, *z[top], *O[top])
