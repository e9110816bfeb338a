"""The notes' slips: places where the mathematics is wrong as written, each with the correct form, derived and
proven (by sympy, by the grader, or by counting), and a measurement showing that the notes' form fails.

A :class:`Slip` holds the notes' form and the correct one (LaTeX), the derivation as displayed rows, the
evidence (inline content), the command that shows it, whether the notes' form holds (never, for a slip)
and whether the correct form is proven.

Examples
========
>>> from gradproof.symbolic.claims.slips import weight_shapes
>>> slip = weight_shapes()
>>> slip.notes_hold, slip.proven
(False, True)
"""
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from gradproof.numeric.notation import Param
from gradproof.numeric.spec import Spec

from ..sheet.document import Math, parts
from .measure import g

# The points the slips are measured at, built in (an installed package reads no repository folder); the same as
# derivations/chain-sigmoid.toml, chain-point.json and notes-point.json, which the sheets' readers can run
CHAIN = Spec(layers=(1, 1, 1, 1), activations="sigmoid", bias=True)
CHAIN_POINT = {"x": [1.5], "y": [0.2], "W": [[[0.9]], [[1.1]], [[1.3]]], "b": [[0.1], [-0.2], [0.3]]}
NOTES_POINT = {"x": [1.0, 0.5, -1.0, 2.0], "y": [1.0],
               "W": [[[0.2, -0.4, 0.1], [0.5, 0.3, -0.2], [-0.3, 0.6, 0.4], [0.1, -0.1, 0.7]],
                     [[0.6, -0.5], [-0.3, 0.8], [0.9, 0.2]],
                     [[1.2], [-0.7]]]}

# The notes' own words (transcribed LaTeX), for the grader to read.
NOTES_SUM = (r"\frac{\partial L}{\partial O_{31}} + \left[ \frac{\partial O_{31}}{\partial O_{21}} \cdot "
             r"\frac{\partial O_{21}}{\partial O_{11}} \cdot \frac{\partial O_{11}}{\partial w^1_{11}} + "
             r"\frac{\partial O_{31}}{\partial O_{22}} \cdot \frac{\partial O_{22}}{\partial O_{11}} \cdot "
             r"\frac{\partial O_{11}}{\partial w^1_{11}} \right]")
CORRECT_PRODUCT = NOTES_SUM.replace(r"\frac{\partial L}{\partial O_{31}} + ", r"\frac{\partial L}{\partial O_{31}} \cdot ")


@dataclass(frozen=True)
class Slip:
    key: str
    where: str
    notes: str                 # the notes' form, LaTeX
    correct: str               # the correct form, LaTeX
    derivation: tuple          # displayed rows (LaTeX, one '&' each)
    evidence: tuple            # inline content
    command: str
    notes_hold: bool
    proven: bool


def _notes_chain_point():
    from gradproof.numeric.point import from_mapping
    return CHAIN, from_mapping(CHAIN_POINT, CHAIN)


def sum_for_product():
    """dL/dw^1_11 = dL/dO_31 + [...]: the grader reads the notes' form, names the mistake and accepts the product."""
    from ..chain import derive
    from ..grade.grader import grade
    from ..printing import latex
    from ..proof import prove_all

    spec, param = Spec(), Param.weight(1, 1, 1)
    notes = grade(spec, param, NOTES_SUM)
    fixed = grade(spec, param, CORRECT_PRODUCT)
    derivation = derive(spec, param)
    proofs = prove_all([derivation])
    example = notes.counterexample or {}
    evidence = parts(
        f"the grader's diagnosis is {', '.join(notes.diagnosis)}. gradproof grade reads the notes' form as "
        f"{notes.verdict}: at its counterexample point the gradient is {g(example.get('expected', float('nan')))} and the notes' form "
        f"gives {g(example.get('got', float('nan')))}. The same form with ", Math(r"\cdot"), " in place of ",
        Math("+"), f" is graded {fixed.verdict}; the chain-rule form equals sympy.diff of L "
        f"({', '.join(sorted({p.method for p in proofs}))}: {'holds' if all(p.holds for p in proofs) else 'FAILS'}).")
    lhs = r"\frac{\partial L}{\partial w^1_{11}} = "
    return Slip(
        "sum_for_product", "Training an MLP (chain rule)", lhs + NOTES_SUM, lhs + CORRECT_PRODUCT,
        (rf"\frac{{\partial L}}{{\partial w^{{1}}_{{11}}}} &= {latex(derivation.leibniz)}",
         rf"&= {latex(derivation.memoized)}"),
        evidence, "gradproof grade --param w^1_11 --answer '<the notes' form>'",
        notes.correct, fixed.correct and all(p.holds for p in proofs) and "sum_for_product" in notes.diagnosis)


def plus_for_times():
    """dO_2/dO_1 = sigma'(z_2) + w_2 in the exploding-gradient section: the chain rule gives sigma'(z_2) * w_2."""
    from gradproof.numeric.activations import activation

    O1, w2, b2 = sp.symbols("O_1 w_2 b_2", real=True)
    z = sp.Symbol("z", real=True)
    sigmoid = activation("sigmoid")
    slope = sigmoid.sympy_df(sp, z, sigmoid.sympy_f(sp, z))
    z2 = w2 * O1 + b2
    truth = sp.diff(sigmoid.sympy_f(sp, z2), O1)
    correct = slope.subs(z, z2) * w2
    notes = slope.subs(z, z2) + w2
    proven = sp.simplify(truth - correct) == 0
    at = {O1: sp.Rational(1, 2), w2: sp.Rational(3, 2), b2: 0}
    value, wrong = float(truth.subs(at)), float(notes.subs(at))
    evidence = parts("sympy: ", Math(r"\frac{d}{dO_1}\sigma(w_2 O_1 + b_2) - \sigma'(z_2)\, w_2"), " simplifies to 0; at ",
                     Math(r"O_1 = 0.5,\ w_2 = 1.5,\ b_2 = 0"), f" the derivative is {g(value)} and the notes' sum gives "
                     f"{g(wrong)}.")
    return Slip(
        "plus_for_times", "Exploding gradient using sigmoid",
        r"\frac{\partial o_2}{\partial o_1} = \sigma'(z_2) + w_2", r"\frac{\partial o_2}{\partial o_1} = \sigma'(z_2)\cdot w_2",
        (r"\frac{\partial o_2}{\partial o_1} &= \frac{\partial o_2}{\partial z_2}\cdot\frac{\partial z_2}{\partial o_1}",
         r"&= \sigma'(z_2)\cdot\frac{\partial (w_2 o_1 + b_2)}{\partial o_1} = \sigma'(z_2)\, w_2"),
        evidence, "gradproof derive derivations/chain-sigmoid.toml --param w^1_11", abs(value - wrong) < 1e-12, bool(proven))


def outer_factor():
    """dK/dx = dh/dh [...]: the outer factor is dK/dh (sympy's chain rule for undefined functions)."""
    x, t = sp.symbols("x t")
    f, g_, h, K = (sp.Function(n) for n in ("f", "g", "h", "K"))
    H = h(f(x), g_(x))
    truth = sp.diff(K(H), x)
    correct = sp.diff(K(t), t).subs(t, H) * sp.diff(H, x)
    notes = sp.diff(H, x)                                   # dh/dh = 1 times the bracket
    proven = sp.simplify(truth - correct) == 0
    # concrete functions: f = sin, g = exp, h = f g, K = h^2 at x = 1
    Hc = sp.sin(x) * sp.exp(x)
    value = float(sp.diff(Hc ** 2, x).subs(x, 1))
    wrong = float(sp.diff(Hc, x).subs(x, 1))
    notes_hold = sp.simplify(truth - notes) == 0
    evidence = parts("sympy differentiates ", Math("K(h(f(x), g(x)))"), " to ",
                     Math(r"\frac{\partial K}{\partial h}\left[\frac{\partial h}{\partial f}f'(x) + "
                          r"\frac{\partial h}{\partial g}g'(x)\right]"),
                     " (the difference from the correct form simplifies to 0). With ",
                     Math(r"f = \sin,\ g = \exp,\ h = fg,\ K = h^2"), f" at x = 1: the derivative is {g(value)}, "
                     f"the notes' form (with ", Math(r"\partial h/\partial h = 1"), f") gives {g(wrong)}.")
    return Slip(
        "outer_factor", "Training an MLP (chain rule)",
        r"\frac{\partial K}{\partial x} = \frac{\partial h}{\partial h}\left[\frac{\partial h}{\partial f}\cdot"
        r"\frac{\partial f}{\partial x} + \frac{\partial h}{\partial g}\cdot\frac{\partial g}{\partial x}\right]",
        r"\frac{\partial K}{\partial x} = \frac{\partial K}{\partial h}\left[\frac{\partial h}{\partial f}\cdot"
        r"\frac{\partial f}{\partial x} + \frac{\partial h}{\partial g}\cdot\frac{\partial g}{\partial x}\right]",
        (r"\frac{\partial K}{\partial x} &= \frac{\partial K}{\partial h}\cdot\frac{\partial h}{\partial x}",
         (r"\frac{\partial h}{\partial x} &= \frac{\partial h}{\partial f}\cdot\frac{\partial f}{\partial x} + "
         r"\frac{\partial h}{\partial g}\cdot\frac{\partial g}{\partial x}")),
        evidence, "(sympy: diff(K(h(f(x), g(x))), x))", bool(notes_hold), bool(proven))


def chain_zero():
    """The chain o1 -> o2 -> o3: the notes write dL/do_4 and do_4/do_3 (there is no o_4) and call the product 0."""
    from ..chain import derive
    from ..flow import analyse
    from ..printing import latex
    from ..proof import prove_all

    spec, point = _notes_chain_point()
    derivation = derive(spec, Param.weight(1, 1, 1))
    proofs = prove_all([derivation])
    report = analyse(spec, point)
    product = float(report.flow.product[0])
    w2, w3 = (abs(float(point.W[k][0, 0])) for k in (1, 2))
    bound = w2 * w3 / 16
    proven = all(p.holds for p in proofs) and 0 < abs(product) <= bound
    evidence = parts(f"The chain has three neurons ({spec.layers_text} with biases). At derivations/chain-point.json "
                     "the product ", Math(r"\frac{\partial o_3}{\partial o_2}\cdot\frac{\partial o_2}{\partial o_1}"),
                     f" is {g(product)}: small, not 0, and within its bound ",
                     Math(r"\tfrac14|w_3|\cdot\tfrac14|w_2|"), f" = {g(bound)}. The chain-rule form equals sympy.diff "
                     f"of L ({'holds' if all(p.holds for p in proofs) else 'FAILS'}).")
    return Slip(
        "chain_zero", "Exploding gradient using sigmoid",
        r"\frac{\partial L}{\partial w_1} = \frac{\partial L}{\partial o_4}\cdot\underbrace{\frac{\partial o_4}{\partial o_3}"
        r"\cdot\frac{\partial o_3}{\partial o_2}\cdot\frac{\partial o_2}{\partial o_1}}_{=0}\cdot"
        r"\frac{\partial o_1}{\partial w_1}",
        r"\frac{\partial L}{\partial w_1} = \frac{\partial L}{\partial o_3}\cdot\underbrace{\frac{\partial o_3}{\partial o_2}"
        r"\cdot\frac{\partial o_2}{\partial o_1}}_{\text{small, }\le\frac{|w_3 w_2|}{16}}\cdot"
        r"\frac{\partial o_1}{\partial w_1}",
        (rf"\frac{{\partial L}}{{\partial w^{{1}}_{{11}}}} &= {latex(derivation.leibniz)}",
         rf"&= {latex(derivation.closed_form)}"),
        evidence, "gradproof flow derivations/chain-sigmoid.toml --at derivations/chain-point.json",
        product == 0, bool(proven))


def weight_shapes():
    """w^1_{1x3}, w^2_{2x2}, w^3_{2x1} = 20 weights: the matrices of the 4-3-2-1 network are 4x3, 3x2 and 2x1."""
    from gradproof.numeric.init import init_params

    spec = Spec()
    shapes = [w.shape for w in init_params(spec, seed=0)[0]]
    notes_count = 1 * 3 + 2 * 2 + 2 * 1
    count = len(spec.parameters())
    proven = shapes == [(4, 3), (3, 2), (2, 1)] and count == sum(a * b for a, b in shapes) == 20
    evidence = parts(f"The 4-3-2-1 network's weight matrices are {', '.join(f'{a}×{b}' for a, b in shapes)}: "
                     f"{' + '.join(str(a * b) for a, b in shapes)} = {count} weights. The notes' shapes give "
                     f"3 + 4 + 2 = {notes_count}.")
    return Slip(
        "weight_shapes", "Training an MLP (chain rule)",
        r"w^1_{1\times 3},\ w^2_{2\times 2},\ w^3_{2\times 1} = 20 \text{ weights}",
        r"w^1_{4\times 3},\ w^2_{3\times 2},\ w^3_{2\times 1}:\ 12 + 6 + 2 = 20 \text{ weights}",
        (r"|W^k| &= n_{k-1}\cdot n_k", r"\textstyle\sum_k |W^k| &= 4\cdot 3 + 3\cdot 2 + 2\cdot 1 = 20"),
        evidence, "gradproof derive --json", notes_count == 20, bool(proven))


def w2_reach():
    """'w^2_11 impacts O_11, O_21 -> O_31': w^2_11 feeds O_21 from O_11; it does not change O_11."""
    from ..chain import paths
    from ..model import Model
    from ..printing import latex

    spec, param = Spec(), Param.weight(2, 1, 1)
    model = Model(spec)
    found = list(paths(model, param))
    reaches = {s for path in found for s in path[1:]}
    O11 = model.O[1][1]
    proven = found == [[model.symbols[param], model.O[2][1], model.O[3][1], sp.Symbol("L")]] or (
        len(found) == 1 and O11 not in reaches)
    evidence = parts(f"{len(found)} path: ", Math(r" \to ".join(latex(s) for s in found[0])),
                     ". ", Math("O_{11}"), " is its input, computed before it: ",
                     Math(r"\partial O_{11}/\partial w^2_{11} = 0"), ".")
    return Slip(
        "w2_reach", "Training an MLP (chain rule)",
        r"w^2_{11} \text{ impacts } O_{11},\ O_{21} \to O_{31}",
        r"w^2_{11} \text{ (fed by } O_{11}) \text{ impacts } O_{21} \to O_{31}",
        (r"z_{21} &= w^2_{11} O_{11} + w^2_{21} O_{12} + w^2_{31} O_{13}",),
        evidence, "gradproof derive --param w^2_11", O11 in reaches, bool(proven))


def _path_products(point, i):
    """The two path products dO_31/dO_2j * dO_2j/dO_11 * dO_11/dw^1_i1 (j = 1, 2) of the notes' network at a point,
    each factor an activation's slope times a weight or an input."""
    from gradproof.numeric.backprop import forward

    spec = Spec()
    fwd = forward(spec, point)
    slope = [None] + [fwd.O[k][0] * (1 - fwd.O[k][0]) for k in (1, 2, 3)]
    W, x = point.W, float(point.x[0, i - 1])
    return [float(slope[3][0] * W[2][j, 0] * slope[2][j] * W[1][0, j] * slope[1][0] * x) for j in (0, 1)]


def steep_point():
    """A point of the notes' network (no biases) where the path O_11 -> O_21 -> O_31 has every z at 0 and
    weights and input of size 8: its product is (8/4)^3 = 8."""
    from gradproof.numeric.point import Point

    W1 = np.zeros((4, 3))                                   # every z_1j = 0: O_1j = 1/2
    W2 = np.zeros((3, 2))
    W2[0, 0], W2[1, 0] = 8.0, -8.0                          # z_21 = 8/2 - 8/2 = 0; dO_21/dO_11 = 8/4
    W3 = np.array([[8.0], [-8.0]])                          # z_31 = 0 (O_22 = 1/2); dO_31/dO_21 = 8/4
    return Point(np.array([[8.0, 0.0, 0.0, 0.0]]), np.array([[1.0]]), [W1, W2, W3])


def path_range():
    """Each path's product is marked '0 <= ... < 1': its factors hold weights and an input, so it can be negative
    or above 1 (its bound is (1/4)^3 |w^3 w^2 x|)."""
    from gradproof.numeric.point import from_mapping

    point = from_mapping(NOTES_POINT, Spec())
    products = _path_products(point, 3)
    steep = _path_products(steep_point(), 1)[0]
    notes_hold = all(0 <= p < 1 for p in products + [steep])
    evidence = parts("At derivations/notes-point.json (", Math("x_3 = -1"), ") the two paths of ", Math("w^1_{31}"),
                     f" give {g(products[0])} (through O_21) and {g(products[1])} (through O_22): below 0. "
                     "With every z on the path O_11 → O_21 → O_31 at 0, ", Math("x_1 = 8"),
                     " and path weights ±8, the path of ", Math("w^1_{11}"), f" gives {g(steep)}: above 1.")
    return Slip(
        "path_range", "Vanishing gradient problem",
        r"\underbrace{\frac{\partial O_{31}}{\partial O_{21}}\cdot\frac{\partial O_{21}}{\partial O_{11}}\cdot"
        r"\frac{\partial O_{11}}{\partial w_{i1}}}_{0\le\dots<1}",
        r"\left|\frac{\partial O_{31}}{\partial O_{21}}\cdot\frac{\partial O_{21}}{\partial O_{11}}\cdot"
        r"\frac{\partial O_{11}}{\partial w_{i1}}\right| \le \left(\tfrac14\right)^3 |w^3_{11}\, w^2_{11}\, x_i|",
        (r"\frac{\partial O_{31}}{\partial O_{21}} &= \sigma'(z_{31})\, w^3_{11}",
         r"\frac{\partial O_{21}}{\partial O_{11}} &= \sigma'(z_{21})\, w^2_{11}",
         r"\frac{\partial O_{11}}{\partial w^1_{i1}} &= \sigma'(z_{11})\, x_i,\qquad 0 < \sigma' \le \tfrac14"),
        evidence, "gradproof sheet --at derivations/notes-point.json --param w^1_31 -o w131.html",
        bool(notes_hold), bool(max(products) < 0 and abs(steep - 8.0) < 1e-12))


def exploding_cause():
    """'exploding gradient (happens when activation function's result > 1)': sigmoid outputs never exceed 1, yet a
    sigmoid chain explodes when its factors sigma'(z_k) w_k exceed 1 (|w| > 4)."""
    from ..flow import analyse, steepest_point

    spec = Spec(layers=(1,) * 13, bias=True)
    report = analyse(spec, steepest_point(spec, 8.0))
    factors = [float(f[0]) for f in report.flow.factors]
    outputs = 0.5
    proven = report.flow.verdict == "exploding" and all(abs(f - 2.0) < 1e-12 for f in factors)
    evidence = parts("A chain of 12 sigmoid units, every weight 8 and every z at 0: every output is ",
                     f"{g(outputs)} (< 1), every factor ", Math(r"\sigma'(z_k)\,w_k"), f" is {g(factors[1])}, and "
                     f"the ratio of the first layer's δ to the last's is {g(report.flow.ratio)}: gradproof flow calls "
                     f"it {report.flow.verdict}.")
    return Slip(
        "exploding_cause", "Vanishing gradient problem",
        r"\text{exploding gradient: when the activation function's result} > 1",
        r"\text{exploding gradient: when the factors } |f'(z_k)\, w_k| > 1",
        (r"\frac{\partial O_n}{\partial O_1} &= \prod_{k=2}^{n} f'(z_k)\, w_k",),
        evidence, "gradproof flow --depth 12 --width 1 --act sigmoid --bias --at <all weights 8, z = 0>",
        False, bool(proven))


def missing_lambda():
    """L = sum loss + sum (w)^2, then '= sum loss + lambda L2': the penalty carries lambda."""
    from ..model import Model
    from ..printing import latex

    model = Model(Spec(regularization="l2", lam=0.1))
    w = model.symbols[Param.weight(1, 1, 1)]
    derivative = sp.diff(model.regularization(), w)
    proven = sp.simplify(derivative - model.regularization_derivative(Param.weight(1, 1, 1))) == 0
    evidence = parts("With λ the penalty's derivative is ", Math(rf"{latex(derivative)}"),
                     " (sympy.diff, equal to what training adds); the notes' first line is the case λ = 1, and "
                     "their next line, ", Math(r"+\lambda L_2"), ", has the λ.")
    return Slip(
        "missing_lambda", "Bias variance tradeoff",
        r"L = \sum_{i=1}^n \mathrm{loss}(y_i, \hat y_i) + \sum_{i,j,k} (w^k_{ij})^2",
        r"L = \sum_{i=1}^n \mathrm{loss}(y_i, \hat y_i) + \lambda \sum_{i,j,k} (w^k_{ij})^2",
        (r"\frac{\partial}{\partial w^1_{11}}\lambda\sum_{i,j,k}(w^k_{ij})^2 &= 2\lambda\, w^1_{11}",),
        evidence, "gradproof derive --reg l2 --lam 0.1 --param w^1_11", False, bool(proven))


SLIPS = (sum_for_product, outer_factor, weight_shapes, w2_reach, plus_for_times, chain_zero, path_range,
         exploding_cause, missing_lambda)


@cache
def measure_all():
    """Every slip, measured once per process."""
    return tuple(make() for make in SLIPS)

