"""The symbolic network: every z_kj, O_kj and the loss L, as symbols with defining equations.

O_0i = x_i; z_kj = sum_i w^k_ij O_(k-1)i (+ b^k_j); O_kj = f_k(z_kj); per sample
L = sum_j l(y_j, O_nj) + R(w). Each O_kj is a symbol (so derivations stay linear in the network's
size) and, on demand, an expression expanded in x, y, w and b.
"""
from functools import cached_property

import numpy as np
import sympy as sp

from gradproof.numeric import losses
from gradproof.numeric.notation import Neuron, Param

from .printing import symbol

KINK_MARGIN = 0.05      # random points keep every (leaky) ReLU pre-activation at least this far from 0
L = sp.Symbol("L", real=True)
R = sp.Symbol("R", real=True)      # the regularization term, a direct edge from each weight to L
LAMBDA = sp.Symbol("lambda", nonnegative=True)


class Model:
    """The symbols and equations of one spec's network, for one sample.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.model import Model
    >>> m = Model(Spec())
    >>> m.z_equation(2, 1)
    O_11*w^2_11 + O_12*w^2_21 + O_13*w^2_31
    >>> m.local(m.O[2][1], m.O[1][1])
    O_21*w^2_11*(1 - O_21)
    """

    def __init__(self, spec):
        self.spec = spec
        n = spec.layers
        self.x = [None] + [symbol(Neuron("x", 0, i)) for i in range(1, n[0] + 1)]
        self.y = [None] + [symbol(Neuron("y", 0, j)) for j in range(1, n[-1] + 1)]
        # O[k][j] with O[0] = x; z[k][j] and delta[k][j] from layer 1 on; index 0 unused, as in the notes
        self.O = [self.x] + [[None] + [symbol(Neuron("O", k, j)) for j in range(1, n[k] + 1)]
                             for k in range(1, len(n))]
        self.z = [None] + [[None] + [symbol(Neuron("z", k, j)) for j in range(1, n[k] + 1)]
                           for k in range(1, len(n))]
        self.delta = [None] + [[None] + [symbol(Neuron("delta", k, j)) for j in range(1, n[k] + 1)]
                               for k in range(1, len(n))]
        self.params = spec.parameters()
        self.symbols = {p: symbol(p) for p in self.params}
        self.lam = LAMBDA
        self.output_layer = len(n) - 1

    def __repr__(self):
        return f"Model({self.spec!r})"

    # ---- the parts a name stands for -------------------------------------------------------
    def w(self, k, i, j):
        return self.symbols[Param.weight(k, i, j)]

    def b(self, k, j):
        return self.symbols[Param.bias(k, j)]

    def neuron_of(self, sym):
        """(letter, k, j) of an O, z or delta symbol, or None."""
        return self._neurons.get(sym)

    def deltas_in(self, expr):
        """{delta_kj: (k, j)} for every delta symbol in expr."""
        return {s: self._neurons[s][1:] for s in expr.free_symbols if self._neurons.get(s, ("",))[0] == "delta"}

    @cached_property
    def _neurons(self):
        table = {}
        for letter, rows in (("O", self.O), ("z", self.z), ("delta", self.delta)):
            for k, row in enumerate(rows):
                for j, s in enumerate(row or []):
                    if s is not None:
                        table[s] = (letter, k, j)
        return table

    @cached_property
    def param_of(self):
        return {s: p for p, s in self.symbols.items()}

    # ---- equations ------------------------------------------------------------------------
    def z_equation(self, k, j):
        """z_kj in terms of the previous layer's outputs: sum_i w^k_ij O_(k-1)i (+ b^k_j)."""
        total = sp.Add(*[self.w(k, i, j) * self.O[k - 1][i] for i in range(1, self.spec.layers[k - 1] + 1)])
        return total + self.b(k, j) if self.spec.bias else total

    def O_equation(self, k, j):
        """O_kj = f_k(z_kj), or f_k of the whole layer's z for a row that couples it (softmax)."""
        return self.spec.activation(k).sympy_output(sp, self.z[k][1:], j)

    def f_prime(self, k, j):
        """f_k'(z_kj), in terms of O_kj where the notes write it so (sigma(1 - sigma) = O(1 - O))."""
        return self.spec.activation(k).sympy_df(sp, self.z[k][j], self.O[k][j])

    def data_loss(self):
        """The per-sample loss sum_j l(y_j, O_nj), in the output symbols."""
        loss = losses.loss(self.spec.loss)
        n = self.output_layer
        return sp.Add(*[loss.sympy_l(sp, self.y[j], self.O[n][j]) for j in range(1, self.spec.layers[n] + 1)])

    def regularization(self, lam=None):
        """lambda sum r(w) (|w| for l1, w^2 for l2: the regularization table's term), over the weights only,
        never the biases."""
        row = self.spec.regularizer
        if not row.present:
            return sp.Integer(0)
        lam = self.lam if lam is None else lam
        return lam * sp.Add(*[row.sympy_term(sp, s) for p, s in self.symbols.items() if p.is_weight])

    def regularization_derivative(self, param):
        """dR/dw = lambda r'(w) from the regularization table (2 lambda w for l2, lambda sign(w) for l1, taking 0
        at w = 0); 0 for biases."""
        row = self.spec.regularizer
        if not param.is_weight or not row.present:
            return sp.Integer(0)
        return self.lam * row.sympy_derivative(sp, self.symbols[param])

    def loss(self):
        """One sample's L in the output symbols, with the regularization term."""
        return self.data_loss() + self.regularization()

    @cached_property
    def memo(self):
        """Expressions derived once per model and shared by every derivation (the delta definitions)."""
        return {}

    # ---- expanded in x, y, w, b -----------------------------------------------------------
    @cached_property
    def _expanded(self):
        # one cache per model (an lru_cache on the methods would keep every model alive)
        return {}

    def expanded_z(self, k, j):
        """z_kj as an expression in x, w and b: exponential in depth, for proofs on small networks."""
        key = ("z", k, j)
        if key not in self._expanded:
            self._expanded[key] = self.z_equation(k, j).xreplace(
                {self.O[k - 1][i]: self.expanded_O(k - 1, i) for i in range(1, self.spec.layers[k - 1] + 1)})
        return self._expanded[key]

    def expanded_O(self, k, j):
        """O_kj as an expression in x, w and b (x_j itself for k = 0)."""
        if k == 0:
            return self.x[j]
        key = ("O", k, j)
        if key not in self._expanded:
            row = self.spec.activation(k)
            if row.couples:
                zs = [self.expanded_z(k, a) for a in range(1, self.spec.layers[k] + 1)]
                self._expanded[key] = row.sympy_output(sp, zs, j)
            elif row.analytic:
                self._expanded[key] = row.sympy_f(sp, self.expanded_z(k, j))
            else:
                # (leaky) ReLU is a Max, which compares its arguments when built: on an expanded z that
                # is a sign query over the whole tree, for nothing (z and z/100 have no known order). So
                # f is built on the symbol z_kj (its numbers exact: 1/100 stays Rational, which matters
                # in 50 digits) and z_kj is then replaced without re-evaluating.
                f, z = self.O_equation(k, j), self.expanded_z(k, j)
                with sp.evaluate(False):
                    self._expanded[key] = f.xreplace({self.z[k][j]: z})
        return self._expanded[key]

    def expanded_loss(self):
        """L as one expression in x, y, w, b: exponential in depth, for proofs on small networks."""
        n = self.output_layer
        return self.loss().xreplace({self.O[n][j]: self.expanded_O(n, j) for j in range(1, self.spec.layers[n] + 1)})

    def expand(self, expr):
        """Replace every O_kj and z_kj in expr by its expansion in x, y, w, b."""
        table = {}
        for s, (letter, k, j) in self._neurons.items():
            if letter == "O" and k > 0:
                table[s] = self.expanded_O(k, j)
            elif letter == "z":
                table[s] = self.expanded_z(k, j)
        return expr.xreplace(table)

    # ---- local derivatives ----------------------------------------------------------------
    def local(self, A, B):
        """The local derivative dA/dB along one edge of the network (0 when B does not feed A directly).

        Edges: dL/dO_nj (output layer n); dO_kj/dO_(k-1)i = f_k'(z_kj) w^k_ij; dO_kj/dw^k_ij =
        f_k'(z_kj) O_(k-1)i; dO_kj/db^k_j = f_k'(z_kj); dO_kj/dz_kj = f_k'(z_kj); dz_kj/dO_(k-1)i = w^k_ij;
        dz_kj/dw^k_ij = O_(k-1)i; dz_kj/db^k_j = 1; dL/dw = dR/dw (the regularization term). In a layer that
        couples, dO_km/dz_kj is the row's Jacobian for every m, and dO_km/dB sums over j through z_kj.
        """
        if A in (L, R):
            if B in self.param_of:
                return self.regularization_derivative(self.param_of[B])
            letter, k, j = self._neurons.get(B, (None, None, None))
            if A == L and letter == "O" and k == self.output_layer:
                key = ("dL/dO", j)
                if key not in self.memo:          # asked once per path of every parameter
                    self.memo[key] = sp.factor(sp.diff(self.data_loss(), B))
                return self.memo[key]
            return sp.Integer(0)
        a = self._neurons.get(A)
        if a is None or a[0] not in ("O", "z"):
            return sp.Integer(0)
        letter, k, j = a
        if letter == "O" and self.couples(k):
            return self._coupled_local(k, j, B)
        if letter == "O" and B == self.z[k][j]:
            return self.f_prime(k, j)
        inner = self._z_local(k, j, B)
        return inner * self.f_prime(k, j) if letter == "O" and inner != 0 else inner

    def couples(self, k):
        """Whether layer k's activation couples its outputs (each O_km depends on every z_kj)."""
        return self.spec.activation(k).couples

    def jacobian(self, k, m, j):
        """dO_km/dz_kj of a coupled layer, from its registry row, in O (softmax: O_km (1[m = j] - O_kj))."""
        return self.spec.activation(k).sympy_jacobian(sp, self.O[k][m], self.O[k][j], sp.Integer(int(m == j)))

    def _coupled_local(self, k, m, B):
        """dO_km/dB in a coupled layer: the Jacobian for B = z_kj, else the sum over j of dO_km/dz_kj dz_kj/dB."""
        b = self._neurons.get(B)
        if b is not None and b[0] == "z" and b[1] == k:
            return self.jacobian(k, m, b[2])
        terms = [self.jacobian(k, m, j) * inner for j in range(1, self.spec.layers[k] + 1)
                 if (inner := self._z_local(k, j, B)) != 0]
        return sp.Add(*terms)

    def z_gradient(self, k, j):
        """dL/dz_kj of a coupled layer in its deltas: sum_m delta_km dO_km/dz_kj, the sum over the paths through
        every O_km (built once per model: the gradient forms and the previous layer's deltas share it)."""
        key = ("dL/dz", k, j)
        if key not in self.memo:
            self.memo[key] = sp.Add(*[self.delta[k][m] * self.jacobian(k, m, j)
                                      for m in range(1, self.spec.layers[k] + 1)])
        return self.memo[key]

    def loss_row_collapse(self):
        """The loss row's collapsed dl/dz as a function (sympy, y, O) -> expression (CE on softmax: O - y), for a
        coupled output layer; None where the row gives none."""
        top = self.output_layer
        fused = losses.loss(self.spec.loss).fused_with(self.spec.activation(top).name)
        return fused.collapsed if self.couples(top) and fused is not None else None

    def collapsed_z_gradient(self, j):
        """dL/dz_nj of a coupled output layer with the sum over m collapsed, as the loss row gives it for targets
        summing to 1 (CE on softmax: O_nj - y_j); None where the row gives none."""
        collapse = self.loss_row_collapse()
        return None if collapse is None else collapse(sp, self.y[j], self.O[self.output_layer][j])

    def simplex(self):
        """y_n = 1 - (y_1 + ... + y_(n-1)): the targets put on the probability simplex, for a loss whose row asks
        for it (an empty table otherwise)."""
        if not losses.loss(self.spec.loss).simplex:
            return {}
        return {self.y[-1]: 1 - sp.Add(*self.y[1:-1])}

    def onto_simplex(self, values):
        """values (symbol -> number, float or mpmath) with y_n = 1 - the other targets, exactly in their arithmetic,
        for a loss whose row asks for probability vectors; unchanged otherwise. (Float targets that sum to 1 in
        float64 do not in 50 digits, where O_nj - y_j would then differ from the derivative.)"""
        if not losses.loss(self.spec.loss).simplex:
            return values
        out = dict(values)
        out[self.y[-1]] = 1 - sum((values[s] for s in self.y[1:-1]), 0 * values[self.y[-1]])
        return out

    def _z_local(self, k, j, B):
        """dz_kj/dB for B a direct input of z_kj."""
        if B in self.param_of:
            p = self.param_of[B]
            if p.layer != k or p.j != j:
                return sp.Integer(0)
            return self.O[k - 1][p.i] if p.is_weight else sp.Integer(1)
        b = self._neurons.get(B)
        if b is not None and b[0] == "O" and b[1] == k - 1:
            return self.w(k, b[2], j)
        return sp.Integer(0)

    # ---- values of the independent symbols -------------------------------------------------
    def point_values(self, point, sample=0, lam=None):
        """The independent symbols at one sample of a POINT, as floats: x, y, every w and b, and lambda (the
        spec's unless given). The one table from a POINT to the symbols, read by the evaluator
        (symbolic/evaluate.py), the sheets and the grader.

        >>> from gradproof.numeric.spec import Spec
        >>> from gradproof.numeric.point import from_mapping
        >>> m = Model(Spec(layers=(1, 1)))
        >>> m.point_values(from_mapping({"x": [[2.0]], "y": [[0.5]], "W": [[[3.0]]]}, m.spec))
        {x_1: 2.0, y_1: 0.5, w^1_11: 3.0, lambda: 0.0}
        """
        spec = self.spec
        values = {self.x[i]: float(point.x[sample, i - 1]) for i in range(1, spec.layers[0] + 1)}
        values.update({self.y[j]: float(point.y[sample, j - 1]) for j in range(1, spec.layers[-1] + 1)})
        values.update({s: point.param_value(p) for p, s in self.symbols.items()})
        values[self.lam] = spec.lam if lam is None else lam
        return values

    # ---- random points ---------------------------------------------------------------------
    def random_values(self, count, seed=0, tries=2000):
        """count random points of the independent symbols (x, y, w, b, lambda), as floats, for checks
        that compare two expressions at points: proofs and grading.

        Inputs and weights come from numeric.point.random_point in the box [-1.5, 1.5] (weights scaled by
        1/sqrt(fan-in)); lambda is uniform in [0.2, 1]. In a network with a kinked activation a point is
        kept only when every pre-activation is at least KINK_MARGIN from 0, where the two sides of a
        kink would make equal expressions differ.
        """
        from gradproof.numeric.backprop import forward
        from gradproof.numeric.point import random_point

        spec = self.spec
        kinked = any(spec.activation(k).kinked for k in range(1, len(spec.layers)))
        rng = np.random.default_rng(seed)
        points = []
        for _ in range(tries):
            point = random_point(spec, seed=int(rng.integers(2 ** 31)), scale=1.5)
            if kinked and any(np.min(np.abs(z)) < KINK_MARGIN for z in forward(spec, point).z[1:]):
                continue
            points.append(self.point_values(point, 0, lam=rng.uniform(0.2, 1.0)))
            if len(points) == count:
                return points
        raise RuntimeError(f"no {count} points away from the kinks of {spec!r} in {tries} tries")
