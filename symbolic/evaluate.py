"""Numbers from the symbolic derivation: the sympy equations and delta forms, compiled with lambdify.

Compilation is per layer (the forward equations, the delta recurrence, the memoized gradient of every
parameter of the layer), so its cost is linear in the size of the network. In float64 the compiled
functions run on numpy arrays over all samples at once; with ``digits`` they run in mpmath at that
precision, sample by sample.
"""
import contextlib
from dataclasses import dataclass

import numpy as np

from .chain import Derivation, delta_definition
from .model import L, Model


from .compile import compile_exprs as _compile


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


class Compiled:
    """A network's symbolic forward pass, deltas and gradients, compiled once, evaluated at any POINT.

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
        self.forward = []
        self.backward = [None] * len(n)
        self.grads = [None] * len(n)
        for k in range(1, len(n)):
            prev = m.O[k - 1][1:]
            weights = [m.w(k, i, j) for i in range(1, n[k - 1] + 1) for j in range(1, n[k] + 1)]
            biases = [m.b(k, j) for j in range(1, n[k] + 1)] if self.spec.bias else []
            zs = [m.z_equation(k, j) for j in range(1, n[k] + 1)]
            Os = [m.O_equation(k, j) for j in range(1, n[k] + 1)]
            self.forward.append((_compile(prev + weights + biases, zs, mp), _compile(m.z[k][1:], Os, mp)))
            layer_params = [p for p in m.params if p.layer == k]
            # the memoized form without its regularization term, which is added once, not per sample
            exprs = [Derivation(m, p).memoized - m.regularization_derivative(p) for p in layer_params]
            self.grads[k] = (layer_params, _compile(m.delta[k][1:] + m.z[k][1:] + m.O[k][1:] + prev, exprs, mp))
        top = len(n) - 1
        self.backward[top] = _compile(m.y[1:] + m.z[top][1:] + m.O[top][1:],
                                      [m.local(L, m.O[top][j]) for j in range(1, n[top] + 1)], mp)
        for k in range(top - 1, 0, -1):
            nxt = [m.w(k + 1, i, j) for i in range(1, n[k] + 1) for j in range(1, n[k + 1] + 1)]
            self.backward[k] = _compile(m.delta[k + 1][1:] + m.z[k + 1][1:] + m.O[k + 1][1:] + m.O[k][1:] + nxt,
                                        [delta_definition(m, k, j) for j in range(1, n[k] + 1)], mp)
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
        n = self.spec.layers
        z, O = [None], [list(x)]
        for k, (fz, fO) in enumerate(self.forward, start=1):
            weights = [W[k - 1][i, j] for i in range(n[k - 1]) for j in range(n[k])]
            biases = list(b[k - 1]) if self.spec.bias else []
            z.append(list(fz(*O[k - 1], *weights, *biases)))
            O.append(list(fO(*z[k])))
        top = len(n) - 1
        delta = [None] * len(n)
        delta[top] = list(self.backward[top](*y, *z[top], *O[top]))
        for k in range(top - 1, 0, -1):
            nxt = [W[k][i, j] for i in range(n[k]) for j in range(n[k + 1])]
            delta[k] = list(self.backward[k](*delta[k + 1], *z[k + 1], *O[k + 1], *O[k], *nxt))
        terms = {}
        for k in range(1, len(n)):
            params, fn = self.grads[k]
            terms.update(zip(params, fn(*delta[k], *z[k], *O[k], *O[k - 1])))
        return z, O, delta, terms, self.loss_fn(*y, *O[top])


