"""Grade a matrix answer for ∂L/∂W^k, ∂L/∂b^k, ∂L/∂Z^k or ∂L/∂O^k: correct, incorrect (with the mistake named)
or invalid (unreadable, or shapes that cannot be combined, both shapes named).

Equivalence is decided on random batches of the network in the spec's layout, in 50-digit arithmetic: x, y, W and
b are drawn, every other matrix (Z^k, O^k, ∂L/∂O^k, ∂L/∂Z^k) follows from the derived equations, and the answer
must equal the target entry by entry at every batch. The batch size m is neither 1, 2 (where a missing 1/m would
look like a factor 2) nor any layer's width (where a wrong product could happen to conform). Shapes are strict.

A wrong answer is matched against variants of the derived equation, each one known mistake: a transpose left
out or added, the operands of a product swapped, ⊙ for a matrix product or the reverse, the activation's
derivative wrong or missing, the bias gradient not summed over the samples; and on top of each, the sign, a
factor 2 or 1/2, the 1/m of a mean loss missing or doubled. The match with the fewest mistakes wins.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.symbolic.matrix.grade import MatrixGrader
>>> g = MatrixGrader(Spec(layers=(3, 4, 4, 2), bias=True))
>>> g.grade("W^2", r"(O^{1})^T (\\delta^{2} \\odot \\sigma'(Z^{2}))").verdict
'correct'
>>> r = g.grade("O^1", r"\\frac{\\partial L}{\\partial Z^2} W^2")
>>> r.verdict, r.diagnosis
('incorrect', ['missing_transpose'])
>>> r = g.grade("W^2", "O^1 dZ^2")
>>> r.verdict, r.message
('invalid', 'cannot multiply m×4 (O¹) by m×4 (∂L/∂Z²): the inner sizes 4 and m = 5 differ')
"""
import random
from dataclasses import dataclass
from itertools import product as pairs_of

import sympy as sp

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.losses import loss as loss_row

from ..grade import grader
from .answer import AnswerError, parse, resolve
from .env import LAM, Exact, M
from .equations import equations
from .expr import Add, Apply, Hadamard, Leaf, MatMul, Node, Scale, ShapeError, T, shape_text
from .targets import target_of, target_text

DIGITS = 50
POINTS = 3
MATCH = 1e-25                # relative: 50-digit values of one expression agree far closer than this
TIME_LIMIT = 2.0             # CPU seconds per answer

SENTENCES = {
    "missing_transpose": "A transpose is missing: check each matrix's shape against the layout (a product needs "
                         "the inner sizes equal, and the result must have the target's shape).",
    "extra_transpose": "A transpose too many: one matrix (or the whole result) is transposed where the layout "
                       "does not transpose it.",
    "wrong_order": "The matrix product is in the wrong order: a matrix product does not commute; follow the "
                   "shapes (samples as rows: (O^(k-1))ᵀ ∂L/∂Z^k; as columns: ∂L/∂Z^k (O^(k-1))ᵀ).",
    "hadamard_for_product": "⊙ where a matrix product belongs: summing over a layer's neurons (or over the "
                            "samples) is a matrix product, not an entry-by-entry product.",
    "product_for_hadamard": "A matrix product where ⊙ belongs: f'(Z^k) multiplies ∂L/∂O^k entry by entry "
                            "(each neuron's own slope), it is not a matrix product.",
    "bias_not_summed": "The bias gradient is not summed over the samples: ∂L/∂b^k adds up every sample's "
                       "∂L/∂Z^k (1ᵀ ∂L/∂Z^k, or ∂L/∂Z^k 1 with samples as columns).",
    "mean_missing": "The 1/m of the mean loss is missing: with L averaged over the m samples, ∂L/∂Ŷ carries 1/m.",
    "mean_doubled": "An extra 1/m: ∂L/∂Z^k (and δ^k = ∂L/∂O^k) already include the 1/m of a mean loss, and a "
                    "summed loss has none.",
    "activation_derivative": "Wrong activation derivative: ∂L/∂Z^k = ∂L/∂O^k ⊙ f_k'(Z^k), with the derivative "
                             "of layer k's own activation at Z^k (not f itself, not another layer's).",
    "sign": "The sign is wrong: check (Y − Ŷ) against (Ŷ − Y), and every minus sign.",
    "factor": "A constant factor is off (by 2 or 1/2): differentiating (y − ŷ)² gives exactly one factor 2.",
    "missing_regularization": "The regularization term is missing: L2 adds 2λW^k to ∂L/∂W^k, L1 adds λ sign(W^k).",
}
CODES = tuple(SENTENCES)


@dataclass
class Result(grader.Result):
    """The scalar grader's result, with the read-back in Unicode and the shapes: the answer's and the target's."""

    read_as: str | None = None
    shape: str | None = None
    expected_shape: str | None = None

    def to_json(self):
        return dict(super().to_json(), read_as=self.read_as, shape=self.shape, expected_shape=self.expected_shape)


def batch_size(spec):
    """The smallest batch size that is not 1, 2 or any layer's width."""
    m = 3
    while m in spec.layers:
        m += 1
    return m


# ---- the random batches ----------------------------------------------------------------------

def _value(rng, low, high):
    return sp.Float(rng.uniform(low, high), DIGITS)


def batch(spec, m, seed):
    """An Exact environment at one random batch: x, y, W, b drawn, every equation's left side computed."""
    rng = random.Random(seed)
    env = Exact(spec, m)
    env.scalar = lambda value: sp.sympify(value).xreplace({M: m, LAM: sp.Float(spec.lam or 0.5, DIGITS)})
    layout = env.layout
    n = spec.layers
    low, high = loss_row(spec.loss).targets or (-1.5, 1.5)
    rows_x = sp.Matrix(m, n[0], lambda *_: _value(rng, -1.5, 1.5))
    rows_y = sp.Matrix(m, n[-1], lambda *_: _value(rng, low, high))
    if getattr(loss_row(spec.loss), "simplex", False):          # targets that are probability vectors
        rows_y = sp.Matrix(m, n[-1], lambda i, j: rows_y[i, j] / sum(rows_y[i, :]))
    env.values[Leaf("O", 0)] = rows_x if layout.samples_in_rows else rows_x.T
    env.values[Leaf("Y")] = rows_y if layout.samples_in_rows else rows_y.T
    for k in range(1, spec.depth + 1):
        scale = 1.5 / n[k - 1] ** 0.5
        W = sp.Matrix(n[k - 1], n[k], lambda *_: _value(rng, -scale, scale))
        env.values[Leaf("W", k)] = W if layout.samples_in_rows else W.T
        if spec.bias:
            env.values[Leaf("b", k)] = sp.Matrix(n[k], 1, lambda *_: _value(rng, -0.5, 0.5))
    for equation in equations(spec):
        env.values[equation.lhs] = equation.rhs.evaluate(env)
    return env


# ---- variants: the derived equation with one known mistake ------------------------------------

def _children(node):
    return [(name, getattr(node, name)) for name in getattr(node, "__dataclass_fields__", {})
            if isinstance(getattr(node, name), Node)]


def _rebuild(node, name, child):
    fields = {f: getattr(node, f) for f in node.__dataclass_fields__}
    fields[name] = child
    return type(node)(**fields)


def _replacements(node, spec, bias_target):
    """[(codes, new node)] for one node: the local mistakes at it."""
    out = []
    if isinstance(node, T):
        out.append((("missing_transpose",), node.operand))
    if isinstance(node, MatMul):
        out.append((("wrong_order",), MatMul(node.right, node.left)))
        out.append((("hadamard_for_product",), Hadamard(node.left, node.right)))
        ones = [side for side in (node.left, node.right) if Leaf("ones") in (side, getattr(side, "operand", None))]
        if bias_target and ones:
            rest = node.right if ones[0] is node.left else node.left
            out += [(("bias_not_summed",), rest), (("bias_not_summed",), T(rest))]
        for side, other in (("left", node.right), ("right", node.left)):
            operand = getattr(node, side)
            if isinstance(operand, Leaf):
                out.append((("extra_transpose",), _rebuild(node, side, T(operand))))
    if isinstance(node, Hadamard):
        out.append((("product_for_hadamard",), MatMul(node.left, node.right)))
        for keep, drop in ((node.left, node.right), (node.right, node.left)):
            if isinstance(drop, Apply) and drop.derivative:
                out.append((("activation_derivative",), keep))
    if isinstance(node, Apply) and node.derivative:
        out.append((("activation_derivative",), Apply(node.activation, False, node.operand, node.layer, node.named)))
        for row in ACTIVATIONS.values():
            if row is not node.activation and row.analytic == node.activation.analytic and not row.couples:
                out.append((("activation_derivative",), Apply(row, True, node.operand, node.layer, True)))
        z = node.operand
        if isinstance(z, Leaf) and z.kind == "Z":
            for k in (z.layer - 1, z.layer + 1):
                if 1 <= k <= spec.depth and not spec.activation(k).couples:
                    out.append((("activation_derivative",), Apply(spec.activation(k), True, Leaf("Z", k))))
    if isinstance(node, Add) and isinstance(node.right, Scale) and spec.regularizer.present:
        out.append((("missing_regularization",), node.left))
    return out


def _below(tree, spec, bias_target):
    """Every tree with one local mistake at some node."""
    found = list(_replacements(tree, spec, bias_target))
    for name, child in _children(tree):
        found += [(codes, _rebuild(tree, name, new)) for codes, new in _below(child, spec, bias_target)]
    return found


def _mutants(tree, spec, bias_target):
    """Every tree with one local mistake, and the whole result transposed."""
    return [(("extra_transpose",), T(tree))] + _below(tree, spec, bias_target)


def _expand(tree, table):
    """The tree with each leaf in `table` replaced by its definition."""
    if isinstance(tree, Leaf):
        return table.get(tree, tree)
    out = tree
    for name, child in _children(tree):
        out = _rebuild(out, name, _expand(child, table))
    return out


def forms(spec, target):
    """The target's equation at several depths: as derived, with ∂L/∂Z^k written out, then ∂L/∂O^k too."""
    defined = {e.lhs: e.rhs for e in equations(spec)}
    dZ = {leaf: rhs for leaf, rhs in defined.items() if leaf.kind == "dZ"}
    dO = {leaf: rhs for leaf, rhs in defined.items() if leaf.kind == "dO"}
    out = [defined[target]]
    for table in (dZ, dO, dZ):
        out.append(_expand(out[-1], table))
    unique = []
    for f in out:
        if f not in unique:
            unique.append(f)
    return unique


# ---- grading ---------------------------------------------------------------------------------

class MatrixGrader:
    def __init__(self, spec, points=POINTS, seed=0):
        self.spec = spec
        self.m = batch_size(spec)
        self.envs = [batch(spec, self.m, seed * 1000 + n) for n in range(points)]
        self._variants = {}

    def scalar_slips(self):
        slips = [(("sign",), -1), (("factor",), 2), (("factor",), sp.Rational(1, 2)), (("mean_doubled",), 1 / M)]
        if self.spec.reduction == "mean":
            slips.append((("mean_missing",), M))
        slips += [(("sign", "factor"), -2), (("sign", "factor"), -sp.Rational(1, 2))]
        return slips

    def variants(self, target):
        """[(codes, values at each batch)], the correct form first; built once per target."""
        if target in self._variants:
            return self._variants[target]
        bias_target = target.kind == "db"
        seen, structural = set(), [((), [env.values[target] for env in self.envs])]
        for form in forms(self.spec, target):
            for codes, tree in _mutants(form, self.spec, bias_target):
                try:
                    tree.shape(self.envs[0])
                    values = [tree.evaluate(env) for env in self.envs]
                except (ShapeError, ZeroDivisionError, TypeError):
                    continue
                # a variant's transpose is the same mistake (O dZᵀ for dZ Oᵀ); the correct form's is extra_transpose
                for c, v in ((codes, values), (codes, [x.T for x in values])):
                    key = (c, _fingerprint(v[0]))
                    if key not in seen:
                        seen.add(key)
                        structural.append((c, v))
        out = list(structural)
        for (codes, values), (slip, factor) in pairs_of(structural, self.scalar_slips()):
            c = [env.scalar(sp.sympify(factor)) for env in self.envs]
            out.append((codes + slip, [v * ci for v, ci in zip(values, c)]))
        out.sort(key=lambda item: len(item[0]))
        self._variants[target] = out
        return out

    def grade(self, target, text):
        """Grade an answer (text) for a target (a name such as W^2, or its gradient's Leaf)."""
        if isinstance(target, str):
            name = target
            target = target_of(target, self.spec)
            if target is None:
                raise GradproofError(f"{name!r} is not a matrix; give W^k, b^k, Z^k or O^k")
        param = target_text(target)
        try:
            with grader.time_limit(TIME_LIMIT):
                return self._grade(target, text, param)
        except RecursionError:
            return Result("invalid", None, "the answer is too deeply nested or too long a chain to read", param=param)
        except grader.TimeLimit:
            return Result("invalid", None, f"the answer took more than {TIME_LIMIT:g} s to evaluate", param=param)

    def _grade(self, target, text, param):
        env = self.envs[0]
        expected_shape = shape_text(target.shape(env))
        try:
            tree, lhs = parse(text)
            tree = resolve(tree, self.spec)
            if lhs is not None:
                lhs = resolve(lhs, self.spec)
                if lhs != target:
                    raise AnswerError(f"the answer's left side is {lhs.text()}, but the question asks for {target.text()}")
        except AnswerError as error:
            return Result("invalid", None, str(error), param=param, expected_shape=expected_shape)
        read_as, latex = tree.text(), tree.latex()
        try:
            shape = tree.shape(env)
        except ShapeError as error:
            return Result("invalid", latex, str(error), diagnosis=_shape_diagnosis(tree, env, expected_shape), param=param,
                          read_as=read_as, expected_shape=expected_shape, method="shapes")
        if shape is None:
            return Result("incorrect", latex, f"the answer is a number; {target.text()} is {expected_shape}",
                          param=param, read_as=read_as, shape="1×1", expected_shape=expected_shape, method="shapes")
        got = [tree.evaluate(e) for e in self.envs]
        shape_seen = shape_text(shape)
        variants = self.variants(target)
        bias = target.kind == "db"
        for codes, values in variants:
            if all(_same(g, v, bias) for g, v in zip(got, values)):
                if not codes:
                    return Result("correct", latex, f"equals {target.text()} entry by entry ({shape_seen}) at "
                                  f"{len(self.envs)} random batches of m = {self.m} samples", param=param,
                                  read_as=read_as, shape=shape_seen, expected_shape=expected_shape, method="batches")
                return self._incorrect(target, latex, read_as, shape_seen, expected_shape, list(codes), got, param)
        return self._incorrect(target, latex, read_as, shape_seen, expected_shape, [], got, param)

    def _incorrect(self, target, latex, read_as, shape, expected_shape, codes, got, param):
        expected = self.envs[0].values[target]
        if shape != expected_shape and not (target.kind == "db" and shape == "×".join(reversed(expected_shape.split("×")))):
            message = f"the result is {shape}; {target.text()} is {expected_shape}"
            example = None
        else:
            message = f"differs from {target.text()}"
            example = _first_difference(got[0], expected)
        if codes:
            message += ". " + " ".join(SENTENCES[c] for c in codes)
        return Result("incorrect", latex, message, diagnosis=codes, counterexample=example, param=param,
                      read_as=read_as, shape=shape, expected_shape=expected_shape, method="batches")


def _fingerprint(matrix):
    return tuple(round(float(v), 12) for v in matrix) + (matrix.shape,)


def _same(got, want, bias):
    if not hasattr(got, "shape"):
        return False
    if got.shape != want.shape:
        if bias and got.shape == want.T.shape:
            want = want.T
        else:
            return False
    scale = max([1.0] + [abs(float(v)) for v in want])
    return all(abs(float(a - b)) <= MATCH * scale for a, b in zip(got, want))


def _first_difference(got, want):
    if not hasattr(got, "shape") or got.shape != want.shape:
        return None
    worst = max(range(len(want)), key=lambda n: abs(float(got[n] - want[n])))
    i, j = divmod(worst, want.cols)
    return {"entry": [i + 1, j + 1], "expected": float(want[worst]), "got": float(got[worst])}


def _fixes(node, env):
    """[(code, repaired node)] for a node whose two operands have shapes that do not fit it."""
    kids = [c for _, c in _children(node)]
    if len(kids) != 2 or not isinstance(node, (MatMul, Hadamard, Add)):
        return []
    left, right = kids
    strip = lambda side: side.operand if isinstance(side, T) else T(side)
    code = lambda side: "extra_transpose" if isinstance(side, T) else "missing_transpose"
    if isinstance(node, MatMul):
        return [("product_for_hadamard", Hadamard(left, right)), (code(left), MatMul(strip(left), right)),
                (code(right), MatMul(left, strip(right))), ("wrong_order", MatMul(right, left))]
    out = [(code(left), type(node)(strip(left), right)), (code(right), type(node)(left, strip(right)))]
    for side in (left, right):
        if isinstance(side, Apply) and isinstance(side.operand, Leaf) and side.operand.kind == "Z":
            for k in [k for k in range(1, env.spec.depth + 1) if not env.spec.activation(k).couples]:   # another layer's f'
                fixed = Apply(env.spec.activation(k), side.derivative, Leaf("Z", k))
                out.append(("activation_derivative", type(node)(fixed, right) if side is left else type(node)(left, fixed)))
    if isinstance(node, Hadamard):
        out.insert(0, ("hadamard_for_product", MatMul(left, right)))
    return out


def _shape_diagnosis(tree, env, target_shape=None):
    """The likely mistake where shapes fail: at the first node whose operands have shapes that do not fit it,
    the one repair that makes the whole answer the target's shape (else the first that makes the node fit)."""
    path, node = [], tree
    while True:
        failing = [(name, child) for name, child in _children(node) if not _fits_shape(child, env)]
        if not failing:
            break
        path.append(failing[0][0])
        node = failing[0][1]
    local = []
    for code, repaired in _fixes(node, env):
        if not _fits_shape(repaired, env):
            continue
        whole = _replace_path(tree, path, repaired)
        try:
            shape = whole.shape(env)
        except ShapeError:
            local.append(code)
            continue
        if target_shape is None or (shape is not None and shape_text(shape) == target_shape):
            return [code]
        local.append(code)
    return local[:1]


def _fits_shape(node, env):
    try:
        node.shape(env)
        return True
    except ShapeError:
        return False


def _replace_path(tree, path, new):
    if not path:
        return new
    return _rebuild(tree, path[0], _replace_path(getattr(tree, path[0]), path[1:], new))
