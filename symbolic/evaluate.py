"""Numbers from the symbolic derivation: the one evaluator of the symbolic network and the compiled gradients.

:class:`Network` evaluates the model's own equations (z and O forward, the delta definitions backward) at
values of x, y, w and b, compiled with lambdify once per layer: in float64 on numpy arrays (all samples, or
all points, at once) or, with ``mp``, in mpmath at the caller's working precision, one sample at a time. The
sheets, the grader and :class:`Compiled` all take z, O and delta from it. :class:`Compiled` adds the
memoized gradient of every parameter and the loss. Compilation is per layer, so its cost is linear in the
size of the network. (numpy's backprop, numeric/backprop.py, is a separate computation by design: the
two are checked against each other.)
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from .chain import Derivation, delta_definition
from .compile import compile_exprs as _compile
from .model import L, Model


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


class Network:
    """z_kj, O_kj and delta_kj of a model's network at values of x, y, w and b: the one evaluator.

    Built once per model and arithmetic (:meth:`of`). ``run`` takes the values as lists and getters, each
    value a float, a numpy array (samples or points, evaluated at once) or, with ``mp``, an mpmath number;
    ``values`` takes and returns a table symbol -> value.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.point import from_mapping
    >>> m = Model(Spec(layers=(1, 1), activations="linear"))
    >>> table = Network.of(m).values(m.point_values(from_mapping({"x": [[2.0]], "y": [[1.0]], "W": [[[3.0]]]}, m.spec)))
    >>> float(table[m.z[1][1]]), float(table[m.O[1][1]]), float(table[m.delta[1][1]])
    (6.0, 6.0, 10.0)
    """

    def __init__(self, model, mp=False):
        self.model, self.spec, self.mp = model, model.spec, mp
        m, n = model, self.spec.layers
        self.forward = []
        for k in range(1, len(n)):
            prev = m.O[k - 1][1:]
            weights = [m.w(k, i, j) for i in range(1, n[k - 1] + 1) for j in range(1, n[k] + 1)]
            biases = [m.b(k, j) for j in range(1, n[k] + 1)] if self.spec.bias else []
            zs = [m.z_equation(k, j) for j in range(1, n[k] + 1)]
            Os = [m.O_equation(k, j) for j in range(1, n[k] + 1)]
            self.forward.append((_compile(prev + weights + biases, zs, mp), _compile(m.z[k][1:], Os, mp)))
        top = len(n) - 1
        self.backward = [None] * len(n)
        self.backward[top] = _compile(m.y[1:] + m.z[top][1:] + m.O[top][1:],
                                      [m.local(L, m.O[top][j]) for j in range(1, n[top] + 1)], mp)
        for k in range(top - 1, 0, -1):
            nxt = [m.w(k + 1, i, j) for i in range(1, n[k] + 1) for j in range(1, n[k + 1] + 1)]
            self.backward[k] = _compile(m.delta[k + 1][1:] + m.z[k + 1][1:] + m.O[k + 1][1:] + m.O[k][1:] + nxt,
                                        [delta_definition(m, k, j) for j in range(1, n[k] + 1)], mp)

    @classmethod
    def of(cls, model, mp=False):
        """The model's evaluator for float64 (or mpmath), compiled on first use."""
        key = ("network", bool(mp))
        if key not in model.memo:
            model.memo[key] = cls(model, mp)
        return model.memo[key]

    def run(self, x, y, weight, bias=None):
        """z, O and delta per layer: lists indexed [k][j - 1] (z[0] and delta[0] None, O[0] = x).

        x and y are lists of values; weight(k, i, j) and bias(k, j) give w^k_ij and b^k_j (indices from 1)."""
        n = self.spec.layers
        z, O = [None], [list(x)]
        for k, (fz, fO) in enumerate(self.forward, start=1):
            weights = [weight(k, i, j) for i in range(1, n[k - 1] + 1) for j in range(1, n[k] + 1)]
            biases = [bias(k, j) for j in range(1, n[k] + 1)] if self.spec.bias else []
            z.append(list(fz(*O[k - 1], *weights, *biases)))
            O.append(list(fO(*z[k])))
        top = len(n) - 1
        delta = [None] * len(n)
        delta[top] = list(self.backward[top](*y, *z[top], *O[top]))
        for k in range(top - 1, 0, -1):
            nxt = [weight(k + 1, i, j) for i in range(1, n[k] + 1) for j in range(1, n[k + 1] + 1)]
            delta[k] = list(self.backward[k](*delta[k + 1], *z[k + 1], *O[k + 1], *O[k], *nxt))
        return z, O, delta

    def values(self, table):
        """table (x, y, w, b and lambda: symbol -> value, e.g. Model.point_values) with every z, O and delta added."""
        m, n = self.model, self.spec.layers
        z, O, delta = self.run([table[s] for s in m.x[1:]], [table[s] for s in m.y[1:]],
                               lambda k, i, j: table[m.w(k, i, j)], lambda k, j: table[m.b(k, j)])
        out = dict(table)
        for k in range(1, len(n)):
            for j in range(1, n[k] + 1):
                out[m.z[k][j]], out[m.O[k][j]], out[m.delta[k][j]] = z[k][j - 1], O[k][j - 1], delta[k][j - 1]
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
        self.grads = [None] * len(n)
        for k in range(1, len(n)):
            layer_params = [p for p in m.params if p.layer == k]
            # the memoized form without its regularization term, which is added once, not per sample
            exprs = [Derivation(m, p).memoized - m.regularization_derivative(p) for p in layer_params]
            args = m.delta[k][1:] + m.z[k][1:] + m.O[k][1:] + m.O[k - 1][1:]
            self.grads[k] = (layer_params, _compile(args, exprs, mp))
        top = len(n) - 1
        self.loss_fn = _compile(m.y[1:] + m.O[top][1:], m.data_loss(), mp)
        params = list(m.symbols)
        reg = [m.regularization_derivative(p) for p in params]
        self.reg_fn = _compile([m.symbols[p] for p in params] + [m.lam], [m.regularization()] + reg, mp)

    def evaluate(self, point):
        """Forward, deltas, gradients and loss at a POINT: all samples, the spec's reduction, plus R(w) once."""
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

    def _reg(self, W, b):
        """R(w) and dR/dparam for every parameter, in the model's parameter order."""
        values = [W[p.layer - 1][p.i - 1, p.j - 1] if p.is_weight else b[p.layer - 1][p.j - 1]
                  for p in self.model.symbols]
        out = self.reg_fn(*values, self.spec.lam)
        return out[0], out[1:]

    def _run(self, x, y, W, b):
        """One pass over samples (numpy columns) or one sample (mpmath): z, O, delta, gradient terms, loss terms."""
        z, O, delta = self.network.run(x, y, lambda k, i, j: W[k - 1][i - 1, j - 1],
                                       lambda k, j: b[k - 1][j - 1])
        terms = {}
        for k in range(1, len(self.spec.layers)):
            params, fn = self.grads[k]
            terms.update(zip(params, fn(*delta[k], *z[k], *O[k], *O[k - 1])))
        return z, O, delta, terms, self.loss_fn(*y, *O[-1])
