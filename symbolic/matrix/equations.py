"""The layer equations of backprop over a batch, in a spec's layout, derived from the scalar forms' structure.

Samples as rows (the notes' layout, W^k of shape n_(k-1)×n_k):

    Z^k = O^(k-1) W^k (+ 1 b^kᵀ)             O^k = f_k(Z^k)
    ∂L/∂Z^k = ∂L/∂O^k ⊙ f_k'(Z^k)            ∂L/∂W^k = (O^(k-1))ᵀ ∂L/∂Z^k
    ∂L/∂b^k = 1ᵀ ∂L/∂Z^k                     ∂L/∂O^(k-1) = ∂L/∂Z^k (W^k)ᵀ

Samples as columns (W^k of shape n_k×n_(k-1)): Z^k = W^k O^(k-1) (+ b^k 1ᵀ), ∂L/∂W^k = ∂L/∂Z^k (O^(k-1))ᵀ,
∂L/∂b^k = ∂L/∂Z^k 1, ∂L/∂O^(k-1) = (W^k)ᵀ ∂L/∂Z^k. At the output, ∂L/∂Ŷ is the loss's derivative taken
entry by entry (from the loss table, by sympy), times 1/m for a mean over samples; the regularization adds
2λW^k (L2) or λ sign(W^k) (L1) to ∂L/∂W^k. X is O^0.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.symbolic.matrix.equations import equations
>>> for e in equations(Spec(layers=(2, 2, 1), bias=True)): print(e)
Z¹ = X W¹ + 1 (b¹)ᵀ
O¹ = f₁(Z¹)
Z² = O¹ W² + 1 (b²)ᵀ
O² = f₂(Z²)
∂L/∂O² = −2 (Y − Ŷ)
∂L/∂Z² = ∂L/∂O² ⊙ f₂′(Z²)
∂L/∂W² = (O¹)ᵀ ∂L/∂Z²
∂L/∂b² = 1ᵀ ∂L/∂Z²
∂L/∂O¹ = ∂L/∂Z² (W²)ᵀ
∂L/∂Z¹ = ∂L/∂O¹ ⊙ f₁′(Z¹)
∂L/∂W¹ = Xᵀ ∂L/∂Z¹
∂L/∂b¹ = 1ᵀ ∂L/∂Z¹
"""
from dataclasses import dataclass

import sympy as sp

from gradproof.numeric.layouts import layout as layout_row
from gradproof.numeric.losses import loss as loss_row

from .env import LAM, M
from .expr import Add, Apply, Divide, Hadamard, Leaf, MatMul, Neg, Node, Scalar, Scale, Sign, T, shape_text


@dataclass(frozen=True)
class Equation:
    """lhs = rhs for layer `layer`; part is "forward" or "backward"."""

    lhs: Leaf
    rhs: Node
    layer: int
    part: str

    def __str__(self):
        return f"{self.lhs.text()} = {self.rhs.text()}"

    def latex(self):
        return f"{self.lhs.latex()} = {self.rhs.latex()}"

    def operands(self):
        """The distinct matrices on the right, in order of appearance."""
        seen = []
        for leaf in self.rhs.leaves():
            if leaf not in seen:
                seen.append(leaf)
        return seen

    def to_json(self, env):
        return {"layer": self.layer, "part": self.part, "lhs": self.lhs.text(), "text": str(self),
                "latex": self.latex(), "shape": shape_text(self.lhs.shape(env)),
                "operands": {leaf.text(): shape_text(leaf.shape(env)) for leaf in self.operands()}}


def O(spec, k):
    """O^k as printed: X for the input."""
    return Leaf("X") if k == 0 else Leaf("O", k)


def loss_derivative(spec):
    """∂L/∂Ŷ in matrix form: the loss table's dl/dŷ, factored by sympy and lifted entry by entry (a product
    of matrices is ⊙, a power -1 is ⊘), times 1/m for a mean."""
    y, yhat = sp.symbols("y yhat")
    row = loss_row(spec.loss)
    form = sp.factor(sp.diff(row.sympy_l(sp, y, yhat), yhat))
    return lift(form / M if spec.reduction == "mean" else form, {y: Leaf("Y"), yhat: Leaf("Yhat")})


def lift(expr, leaves):
    """A sympy expression in scalar symbols as the same expression of matrices, entry by entry."""
    if expr in leaves:
        return leaves[expr]
    if expr.is_number:
        return Neg(Scalar(-expr)) if expr.is_negative else Scalar(expr)
    if isinstance(expr, sp.sign):
        return Sign(lift(expr.args[0], leaves))
    if isinstance(expr, sp.Add):
        terms = [lift(a, leaves) for a in sorted(expr.args, key=lambda a: (_negative(a), a.is_number))]
        out = terms[0]
        for t in terms[1:]:
            out = Add(out, t)
        return out
    if isinstance(expr, sp.Mul):
        args = sp.Mul.make_args(expr)
        coefficient = sp.Mul(*[a for a in args if not (a.free_symbols & set(leaves))])
        matrices = [a for a in args if a.free_symbols & set(leaves)]
        numerator = [a for a in matrices if not (isinstance(a, sp.Pow) and a.exp.is_negative)]
        denominator = [a.base ** -a.exp for a in matrices if isinstance(a, sp.Pow) and a.exp.is_negative]
        out = _product([lift(a, leaves) for a in numerator]) if numerator else Scalar(sp.Integer(1))
        if denominator:
            out = Divide(out, _product([lift(a, leaves) for a in denominator]))
        negative = coefficient.could_extract_minus_sign()
        size = -coefficient if negative else coefficient
        scaled = out if size == 1 else Scale(Scalar(size), out)
        return Neg(scaled) if negative else scaled
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 0:
        return _product([lift(expr.base, leaves)] * int(expr.exp))
    raise ValueError(f"no matrix form for {expr}")


def _negative(term):
    return term.could_extract_minus_sign()


def _product(factors):
    out = factors[0]
    for f in factors[1:]:
        out = Hadamard(out, f)
    return out


def regularization_term(spec, k):
    """What the regularization adds to ∂L/∂W^k (None without one): λ r'(w) from its table row, lifted entry by
    entry (2λ W for L2, λ sign(W) for L1)."""
    row = spec.regularizer
    if not row.present:
        return None
    w = sp.Symbol("w")
    return lift(LAM * row.sympy_derivative(sp, w), {w: Leaf("W", k)})


def forward(spec, k):
    """Z^k and O^k."""
    rows = layout_row(spec.layout).samples_in_rows
    W, previous = Leaf("W", k), O(spec, k - 1)
    z = MatMul(previous, W) if rows else MatMul(W, previous)
    if spec.bias:
        b, ones = Leaf("b", k), Leaf("ones")
        z = Add(z, MatMul(ones, T(b)) if rows else MatMul(b, T(ones)))
    return [Equation(Leaf("Z", k), z, k, "forward"),
            Equation(Leaf("O", k), Apply(spec.activation(k), False, Leaf("Z", k), layer=k), k, "forward")]


def grad_z(spec, k):
    """∂L/∂Z^k: ∂L/∂O^k ⊙ f_k'(Z^k), or for a layer that couples its outputs (softmax) the Jacobian-vector
    product, each sample's row times J = diag(O) − O Oᵀ: O^k ⊙ (∂L/∂O^k − ((∂L/∂O^k ⊙ O^k) 1) 1ᵀ), with 1 the
    ones vector of the layer's n_k (columns: O^k ⊙ (∂L/∂O^k − 1 (1ᵀ (∂L/∂O^k ⊙ O^k))))."""
    row, dO, O = spec.activation(k), Leaf("dO", k), Leaf("O", k)
    if not row.couples:
        return Hadamard(dO, Apply(row, True, Leaf("Z", k), layer=k))
    ones = Leaf("onesn", k)
    weighted = Hadamard(dO, O)
    if layout_row(spec.layout).samples_in_rows:
        spread = MatMul(MatMul(weighted, ones), T(ones))
    else:
        spread = MatMul(ones, MatMul(T(ones), weighted))
    return Hadamard(O, Add(dO, Neg(spread)))


def backward(spec, k):
    """∂L/∂Z^k, ∂L/∂W^k, ∂L/∂b^k and ∂L/∂O^(k-1) (with ∂L/∂Ŷ first at the output layer)."""
    rows = layout_row(spec.layout).samples_in_rows
    out = []
    if k == spec.depth:
        out.append(Equation(Leaf("dO", k), loss_derivative(spec), k, "backward"))
    G, W, ones = Leaf("dZ", k), Leaf("W", k), Leaf("ones")
    out.append(Equation(G, grad_z(spec, k), k, "backward"))
    dW = MatMul(T(O(spec, k - 1)), G) if rows else MatMul(G, T(O(spec, k - 1)))
    extra = regularization_term(spec, k)
    out.append(Equation(Leaf("dW", k), dW if extra is None else Add(dW, extra), k, "backward"))
    if spec.bias:
        out.append(Equation(Leaf("db", k), MatMul(T(ones), G) if rows else MatMul(G, ones), k, "backward"))
    if k > 1:
        out.append(Equation(Leaf("dO", k - 1), MatMul(G, T(W)) if rows else MatMul(T(W), G), k, "backward"))
    return out


def equations(spec):
    """Every equation in the order it is computed: forward layer by layer, then backward from the output."""
    found = []
    for k in range(1, spec.depth + 1):
        found += forward(spec, k)
    for k in range(spec.depth, 0, -1):
        found += backward(spec, k)
    return found
