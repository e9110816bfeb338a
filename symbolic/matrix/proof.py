"""Proof that each layer equation is the scalar chain rule, entry by entry.

For a batch of m samples, every scalar of sample s (x_i, y_j, O_kj, z_kj, δ_kj) gets its own symbol; the weights
and biases are shared. Each equation's right-hand side is evaluated as a sympy matrix of those symbols and each
entry compared with what the scalar derivation (symbolic/chain.py, itself proven against sympy.diff in
symbolic/proof.py) says that entry is:

    Z^k at (s, j)         z_kj = Σ_i w^k_ij O_(k-1)i (+ b^k_j) of sample s      (Model.z_equation)
    O^k at (s, j)         f_k(z_kj)                                            (Model.O_equation)
    ∂L/∂Ŷ at (s, j)       c ∂L/∂O_nj                                           (Model.local)
    ∂L/∂Z^k at (s, j)     c δ_kj ∂O_kj/∂z_kj                                   (Model.local)
    ∂L/∂W^k at (i, j)     Σ_s c δ_kj ∂O_kj/∂w^k_ij (+ ∂R/∂w^k_ij)              (Derivation.memoized)
    ∂L/∂b^k at j          Σ_s c δ_kj ∂O_kj/∂b^k_j                              (Derivation.memoized)
    ∂L/∂O^(k-1) at (s, i) c δ_(k-1)i = c Σ_j δ_kj ∂O_kj/∂O_(k-1)i              (chain.delta_definition)

where c = 1/m for a mean over samples (1 for a sum), and the matrices ∂L/∂O^k, ∂L/∂Z^k on the right hold
c δ_kj and c δ_kj f_k'(z_kj). "(s, j)" is read in the layout: row s with samples as rows, column s otherwise.
Up to the notes' size (20 parameters) the difference of every entry is expanded to 0 by sympy; beyond it,
every symbol takes random rational values and the difference is evaluated exactly (50 digits where an
exponential remains).

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.symbolic.matrix.proof import prove
>>> proofs = prove(Spec())
>>> len(proofs), all(p.holds for p in proofs), proofs[11]
(15, True, EntryProof(∂L/∂W² = (O¹)ᵀ ∂L/∂Z²: 6 entries symbolically, holds))
"""
import random
from dataclasses import dataclass

import sympy as sp

from ..chain import delta_definition, derive
from ..model import L, Model
from .env import LAM, Exact, M
from .equations import equations
from .expr import Leaf, ShapeError

SAMPLES = 3                 # the batch of the proof: neither 1 (a sum over samples would be invisible) nor a width
NOTES_SIZE = 20             # parameters of the notes' network: symbolic up to here, random points beyond
POINTS = 3
DIGITS = 50


@dataclass
class EntryProof:
    equation: object
    entries: int
    method: str                 # "symbolic" or "points"
    worst: float                # the largest |difference| seen (0 when symbolic)

    @property
    def holds(self):
        return self.worst == 0 if self.method == "symbolic" else self.worst < 1e-40

    def to_json(self):
        return {"equation": str(self.equation), "entries": self.entries, "method": self.method,
                "holds": self.holds, "max_difference": self.worst}

    def __repr__(self):
        how = "symbolically" if self.method == "symbolic" else f"at {POINTS} random points"
        return f"EntryProof({self.equation}: {self.entries} entries {how}, {'holds' if self.holds else 'FAILS'})"


class Batch:
    """The scalar symbols of m samples, and the sympy environment of the matrices built from them."""

    def __init__(self, spec, samples=SAMPLES):
        self.spec, self.m = spec, samples
        self.model = model = Model(spec)
        self.c = sp.Rational(1, samples) if spec.reduction == "mean" else sp.Integer(1)
        per_sample = [s for row in [model.x, model.y] + model.O[1:] + model.z[1:] + model.delta[1:] for s in row or []
                      if s is not None]
        self.maps = [{s: sp.Symbol(f"{s.name}[{n}]", real=True) for s in per_sample} for n in range(1, samples + 1)]
        self.env = Exact(spec, samples, lam=model.lam)
        self.env.scalar = lambda value: value.xreplace({M: samples, LAM: model.lam})
        n = spec.layers
        self.put("O", 0, lambda s, j: model.x[j])
        self.put("Y", None, lambda s, j: model.y[j])
        for k in range(1, spec.depth + 1):
            self.put("O", k, lambda s, j, k=k: model.O[k][j])
            self.put("Z", k, lambda s, j, k=k: model.z[k][j])
            self.put("dO", k, lambda s, j, k=k: self.c * model.delta[k][j])
            self.put("dZ", k, lambda s, j, k=k: self.c * self.dz(k, j))
            W = sp.Matrix(n[k - 1], n[k], lambda i, j: model.w(k, i + 1, j + 1))
            self.env.values[Leaf("W", k)] = W if self.env.layout.samples_in_rows else W.T
            if spec.bias:
                self.env.values[Leaf("b", k)] = sp.Matrix(n[k], 1, lambda j, _: model.b(k, j + 1))

    def dz(self, k, j):
        """dL/dz_kj of one sample by the chain rule: Σ_m δ_km ∂O_km/∂z_kj (one term unless the layer couples)."""
        model = self.model
        return sp.Add(*[model.delta[k][m] * model.local(model.O[k][m], model.z[k][j])
                        for m in range(1, self.spec.layers[k] + 1)])

    def sample(self, s, expr):
        """A scalar form of the model written for sample s (0-based)."""
        return expr.xreplace(self.maps[s])

    def put(self, kind, k, entry):
        """The matrix of a per-sample quantity: entry(s, j) for sample s (0-based), neuron j (1-based)."""
        width = self.spec.layers[self.spec.depth if k is None else k]
        rows = sp.Matrix(self.m, width, lambda s, j: self.sample(s, sp.sympify(entry(s, j + 1))))
        self.env.values[Leaf(kind, k)] = rows if self.env.layout.samples_in_rows else rows.T

    def in_layout(self, rows):
        return rows if self.env.layout.samples_in_rows else rows.T

    def expected(self, lhs):
        """What the scalar derivation says every entry of lhs is, as a matrix in the layout."""
        spec, model, kind, k = self.spec, self.model, lhs.kind, lhs.layer
        n = spec.layers
        per_sample = {
            "Z": lambda j: model.z_equation(k, j),
            "O": lambda j: model.O_equation(k, j),
            "dZ": lambda j: self.c * self.dz(k, j),
            "dO": lambda j: self.c * (model.local(L, model.O[k][j]) if k == spec.depth else delta_definition(model, k, j)),
        }
        if kind in per_sample:
            return self.in_layout(sp.Matrix(self.m, n[k], lambda s, j: self.sample(s, per_sample[kind](j + 1))))
        if kind == "dW":
            def entry(i, j):
                d = derive(spec, _weight(k, i, j), model)
                return self._summed(d) + model.regularization_derivative(d.param)
            W = sp.Matrix(n[k - 1], n[k], lambda i, j: entry(i + 1, j + 1))
            return W if self.env.layout.samples_in_rows else W.T
        if kind == "db":
            row = sp.Matrix(1, n[k], lambda _, j: self._summed(derive(spec, _bias(k, j + 1), model)))
            return row if self.env.layout.samples_in_rows else row.T
        raise ValueError(f"no scalar form for {lhs.text()}")

    def _summed(self, derivation):
        reg = self.model.regularization_derivative(derivation.param)
        data = derivation.memoized - reg
        return sp.Add(*[self.sample(s, self.c * data) for s in range(self.m)])


def _weight(k, i, j):
    from gradproof.numeric.notation import Param
    return Param.weight(k, i, j)


def _bias(k, j):
    from gradproof.numeric.notation import Param
    return Param.bias(k, j)


def prove(spec, samples=SAMPLES, seed=0):
    """An EntryProof for every equation of the spec's layout."""
    batch = Batch(spec, samples)
    symbolic = len(spec.parameters()) <= NOTES_SIZE
    rng = random.Random(seed)
    proofs = []
    for equation in equations(spec):
        want = batch.expected(equation.lhs)
        try:
            shape = equation.rhs.shape(batch.env)
        except ShapeError:
            shape = None
        if shape is None or (shape[0].size, shape[1].size) != want.shape:
            proofs.append(EntryProof(equation, 0, "symbolic", float("inf")))
            continue
        differences = list(equation.rhs.evaluate(batch.env) - want)
        if symbolic:
            worst = 0.0 if all(sp.expand(d) == 0 for d in differences) else float("inf")
            proofs.append(EntryProof(equation, len(differences), "symbolic", worst))
            continue
        worst = 0.0
        symbols = sorted(set().union(*[d.free_symbols for d in differences]), key=str)
        for _ in range(POINTS):
            values = {s: sp.Rational(rng.randint(-150, 150), 100) for s in symbols}
            for d in differences:
                v = d.xreplace(values)
                worst = max(worst, 0.0 if v == 0 else abs(float(sp.N(v, DIGITS))))
        proofs.append(EntryProof(equation, len(differences), "points", worst))
    return proofs
