"""Matrix expressions: the layer equations' right-hand sides and the answers students type, as one small tree.

A node knows its shape (strictly: a matrix product needs the inner sizes equal, ⊙ and + need equal shapes;
nothing is broadcast except a number added to a matrix, which is added to every entry), prints itself
(LaTeX and Unicode text) and evaluates itself with an arithmetic: numpy arrays (`check`'s matrix-form
row) or sympy matrices (the entrywise proofs, the grader's exact comparison).

Precedence, as numpy reads ``*`` and ``@``: the matrix product, ⊙, ⊘ and a scalar factor bind equally and
group from the left; + and - bind looser; ᵀ binds tightest. The printers bracket whatever that reading
needs, so the read-back of an answer shows how it was read.

Examples
========
>>> from gradproof.symbolic.matrix.expr import Leaf, MatMul, T, Hadamard
>>> G = Leaf("dZ", 2)
>>> e = MatMul(T(Leaf("O", 1)), G)
>>> e.text(), e.latex()
('(O¹)ᵀ ∂L/∂Z²', '\\\\left(O^{1}\\\\right)^{\\\\top} \\\\frac{\\\\partial L}{\\\\partial Z^{2}}')
>>> Hadamard(MatMul(G, T(Leaf("W", 2))), Leaf("Z", 1)).text()
'(∂L/∂Z² (W²)ᵀ) ⊙ Z¹'
>>> MatMul(G, Hadamard(Leaf("W", 2), Leaf("Z", 1))).text()
'∂L/∂Z² (W² ⊙ Z¹)'
"""
from dataclasses import dataclass

import sympy as sp

SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

ADD, PRODUCT, NEG, POSTFIX, ATOM = 10, 20, 15, 40, 50


class ShapeError(Exception):
    """Two operands whose shapes do not fit the operation; the message names both shapes."""


@dataclass(frozen=True)
class Dim:
    """One side of a shape: its size and its name (m, n_2, 1)."""

    size: int
    name: str

    def __str__(self):
        return self.name


def _size(dim):
    return f"m = {dim.size}" if dim.name == "m" else str(dim.size)


def shape_text(shape):
    """'m×3' for a shape of Dims: the batch by name, layer widths by number."""
    return "×".join(d.name if d.name in ("m", "1") else str(d.size) for d in shape)


class Node:
    precedence = ATOM
    children = ()

    def shape(self, env):
        raise NotImplementedError

    def evaluate(self, env):
        raise NotImplementedError

    def leaves(self):
        found = []
        for c in self.children:
            found += c.leaves()
        return found

    def _wrap_latex(self, child, bracket):
        inner = child.latex()
        return rf"\left({inner}\right)" if bracket else inner

    def _wrap_text(self, child, bracket):
        inner = child.text()
        return f"({inner})" if bracket else inner

    def __repr__(self):
        return f"{type(self).__name__}({self.text()})"


# ---- leaves ---------------------------------------------------------------------------------

# kind: (LaTeX, text) of the name; {k} is the layer
NAMES = {
    "O": (r"O^{{{k}}}", "O{k}"), "Z": (r"Z^{{{k}}}", "Z{k}"), "W": (r"W^{{{k}}}", "W{k}"), "b": (r"b^{{{k}}}", "b{k}"),
    "X": ("X", "X"), "Y": ("Y", "Y"), "Yhat": (r"\hat{{Y}}", "Ŷ"), "ones": (r"\mathbf{{1}}", "1"),
    "onesn": (r"\mathbf{{1}}_{{n_{{{k}}}}}", "1ₙ{k}"),
    "dO": (r"\frac{{\partial L}}{{\partial O^{{{k}}}}}", "∂L/∂O{k}"),
    "dZ": (r"\frac{{\partial L}}{{\partial Z^{{{k}}}}}", "∂L/∂Z{k}"),
    "dW": (r"\frac{{\partial L}}{{\partial W^{{{k}}}}}", "∂L/∂W{k}"),
    "db": (r"\frac{{\partial L}}{{\partial b^{{{k}}}}}", "∂L/∂b{k}"),
}


@dataclass(frozen=True, repr=False)
class Leaf(Node):
    """A named matrix: O^k, Z^k, W^k, b^k, X (= O^0), Y, Ŷ (= O^n), the ones vector, or a gradient
    ∂L/∂O^k, ∂L/∂Z^k, ∂L/∂W^k, ∂L/∂b^k. Its shape and value come from the environment."""

    kind: str
    layer: int | None = None

    def shape(self, env):
        return env.shape_of(self)

    def evaluate(self, env):
        return env.value_of(self)

    def leaves(self):
        return [self]

    @property
    def key(self):
        return self.kind if self.layer is None else f"{self.kind}^{self.layer}"

    def latex(self):
        return NAMES[self.kind][0].format(k=self.layer)

    def text(self):
        return NAMES[self.kind][1].format(k=str(self.layer).translate(SUPERSCRIPTS) if self.layer is not None else "")

    @property
    def composite(self):
        """Printed with a superscript or as a fraction: a transpose brackets it."""
        return self.layer is not None


@dataclass(frozen=True, repr=False)
class Scalar(Node):
    """A number or a scalar expression in m (the batch size) and λ, as a sympy expression."""

    value: object

    def shape(self, env):
        return None

    def evaluate(self, env):
        return env.scalar(self.value)

    def latex(self):
        return sp.latex(self.value)

    def text(self):
        from ..printing import text
        return text(self.value).replace("*", "")

    @property
    def precedence(self):
        v = self.value
        if isinstance(v, sp.Add) or (v.is_number and v.is_negative):
            return ADD
        if isinstance(v, (sp.Mul, sp.Rational)) and not isinstance(v, sp.Integer):
            return PRODUCT
        return ATOM


# ---- operations -----------------------------------------------------------------------------

def _fits(a, b):
    return a is None or b is None or tuple(d.size for d in a) == tuple(d.size for d in b)


@dataclass(frozen=True, repr=False)
class Binary(Node):
    left: Node
    right: Node
    symbol_latex = ""
    symbol_text = ""

    @property
    def children(self):
        return (self.left, self.right)

    def _left_bracket(self):
        # a mix of ⊙ and the matrix product is bracketed although the reading needs no brackets: the read-back
        # of an answer then shows how an unbracketed mix was read
        left = self.left
        return left.precedence < self.precedence or (isinstance(left, Binary) and type(left) is not type(self)
                                                      and left.precedence == self.precedence)

    def latex(self):
        return f"{self._wrap_latex(self.left, self._left_bracket())} {self.symbol_latex} " \
               f"{self._wrap_latex(self.right, self.right.precedence <= self.precedence)}".replace("  ", " ")

    def text(self):
        return f"{self._wrap_text(self.left, self._left_bracket())} {self.symbol_text} " \
               f"{self._wrap_text(self.right, self.right.precedence <= self.precedence)}".replace("  ", " ")


class MatMul(Binary):
    """The matrix product: (p×q)(q×r) = p×r; a number on either side scales instead."""

    precedence = PRODUCT
    symbol_latex = ""
    symbol_text = ""
    operation = "multiply"

    def shape(self, env):
        a, b = self.left.shape(env), self.right.shape(env)
        if a is None or b is None:
            return a or b
        if a[1].size != b[0].size:
            raise ShapeError(f"cannot multiply {shape_text(a)} ({self.left.text()}) by {shape_text(b)} "
                             f"({self.right.text()}): the inner sizes {_size(a[1])} and {_size(b[0])} differ")
        return (a[0], b[1])

    def evaluate(self, env):
        return env.matmul(self.left.evaluate(env), self.right.evaluate(env))


class Elementwise(Binary):
    """An entrywise operation of two matrices of one shape."""

    precedence = PRODUCT
    operation = ""

    def shape(self, env):
        a, b = self.left.shape(env), self.right.shape(env)
        if a is not None and b is not None and not _fits(a, b):
            raise ShapeError(f"cannot {self.operation} {shape_text(a)} ({self.left.text()}) and {shape_text(b)} "
                             f"({self.right.text()}) entry by entry: the shapes differ")
        return a or b


class Hadamard(Elementwise):
    symbol_latex = r"\odot"
    symbol_text = "⊙"
    operation = "multiply"

    def evaluate(self, env):
        return env.hadamard(self.left.evaluate(env), self.right.evaluate(env))


class Divide(Elementwise):
    symbol_latex = r"\oslash"
    symbol_text = "⊘"
    operation = "divide"

    def evaluate(self, env):
        return env.divide(self.left.evaluate(env), self.right.evaluate(env))


class Add(Elementwise):
    precedence = ADD
    symbol_latex = "+"
    symbol_text = "+"
    operation = "add"

    def evaluate(self, env):
        return env.add(self.left.evaluate(env), self.right.evaluate(env))

    def latex(self):
        if isinstance(self.right, Neg):
            return f"{self.left.latex()} - {self._wrap_latex(self.right.operand, self.right.operand.precedence <= ADD)}"
        return super().latex().replace("+ -", "-")

    def text(self):
        if isinstance(self.right, Neg):
            return f"{self.left.text()} − {self._wrap_text(self.right.operand, self.right.operand.precedence <= ADD)}"
        return super().text()


@dataclass(frozen=True, repr=False)
class Unary(Node):
    """An operation on one matrix; the shape is the operand's unless the class says otherwise."""

    operand: Node

    @property
    def children(self):
        return (self.operand,)

    def shape(self, env):
        return self.operand.shape(env)


@dataclass(frozen=True, repr=False)
class Scale(Node):
    """A scalar times a matrix."""

    factor: Node                  # a node whose shape is None
    operand: Node
    precedence = PRODUCT

    @property
    def children(self):
        return (self.factor, self.operand)

    def shape(self, env):
        return self.operand.shape(env)

    def evaluate(self, env):
        return env.scale(self.factor.evaluate(env), self.operand.evaluate(env))

    def latex(self):
        return f"{self._wrap_latex(self.factor, self.factor.precedence < PRODUCT)} " \
               f"{self._wrap_latex(self.operand, self.operand.precedence < PRODUCT)}"

    def text(self):
        return f"{self._wrap_text(self.factor, self.factor.precedence < PRODUCT)} " \
               f"{self._wrap_text(self.operand, self.operand.precedence < PRODUCT)}"


@dataclass(frozen=True, repr=False)
class Neg(Unary):
    precedence = NEG

    def evaluate(self, env):
        return env.scale(env.scalar(sp.Integer(-1)), self.operand.evaluate(env))

    def latex(self):
        return "-" + self._wrap_latex(self.operand, self.operand.precedence <= NEG)

    def text(self):
        return "−" + self._wrap_text(self.operand, self.operand.precedence <= NEG)


@dataclass(frozen=True, repr=False)
class T(Unary):
    """The transpose."""

    precedence = POSTFIX

    def shape(self, env):
        s = self.operand.shape(env)
        return None if s is None else (s[1], s[0])

    def evaluate(self, env):
        return env.transpose(self.operand.evaluate(env))

    def _bracket(self):
        o = self.operand
        return o.precedence < ATOM or getattr(o, "composite", False) or isinstance(o, (T, Apply))

    def latex(self):
        return self._wrap_latex(self.operand, self._bracket()) + r"^{\top}"

    def text(self):
        return self._wrap_text(self.operand, self._bracket()) + "ᵀ"


@dataclass(frozen=True, repr=False)
class Apply(Node):
    """An activation (or its derivative) applied entry by entry: f_k(Z^k), f_k'(Z^k), σ'(Z^k).

    activation: the registry row; derivative: whether f' is meant; layer: the k of a written f_k, or None;
    name: how it is written (None: f for the layer's own activation)."""

    activation: object
    derivative: bool
    operand: Node
    layer: int | None = None
    named: bool = False            # written by its name (σ, tanh) rather than as f_k

    @property
    def children(self):
        return (self.operand,)

    def shape(self, env):
        return self.operand.shape(env)

    def evaluate(self, env):
        return env.apply(self.activation, self.derivative, self.operand, self.operand.evaluate(env))

    def latex(self):
        if self.named:
            name = self.activation.latex
        else:
            name = "f" if self.layer is None else f"f_{{{self.layer}}}"
        return f"{name}{chr(39) if self.derivative else ''}\\left({self.operand.latex()}\\right)"

    def text(self):
        if self.named:
            from ..printing import unicode_name
            name = unicode_name(self.activation.latex.replace("\\operatorname{", "").replace("}", "").lstrip("\\"))
        else:
            name = "f" if self.layer is None else "f" + str(self.layer).translate(SUBSCRIPTS)
        return f"{name}{'′' if self.derivative else ''}({self.operand.text()})"


@dataclass(frozen=True, repr=False)
class Sign(Unary):
    """sign(W), entry by entry: the derivative of λ|w| (0 at 0)."""

    def evaluate(self, env):
        return env.sign(self.operand.evaluate(env))

    def latex(self):
        return rf"\operatorname{{sign}}\left({self.operand.latex()}\right)"

    def text(self):
        return f"sign({self.operand.text()})"


@dataclass(frozen=True, repr=False)
class SumSamples(Unary):
    """The sum over the samples (over the rows when samples are rows, over the columns otherwise)."""

    def shape(self, env):
        s = self.operand.shape(env)
        if s is None:
            raise ShapeError("Σ over the samples needs a matrix with one row (or column) per sample, not a number")
        axis = 0 if env.layout.samples_in_rows else 1
        if s[axis].name != "m" and s[axis].size != env.samples:
            side = "rows" if axis == 0 else "columns"
            raise ShapeError(f"Σ over the samples needs one of the {side} per sample (m = {env.samples}); "
                             f"{self.operand.text()} is {shape_text(s)}")
        one = Dim(1, "1")
        return (one, s[1]) if axis == 0 else (s[0], one)

    def evaluate(self, env):
        return env.sum_samples(self.operand.evaluate(env))

    def latex(self):
        return rf"\sum_{{i=1}}^{{m}} \left({self.operand.latex()}\right)_{{i}}"

    def text(self):
        return f"Σᵢ ({self.operand.text()})ᵢ"


def sub(a, b):
    return Add(a, Neg(b))
