"""The answer language: what each construct reads as (mathematics built by hand here), and the Leibniz partials'
meaning checked against sympy.diff of the expanded network."""
import pytest
import sympy as sp

from gradproof.numeric.spec import Spec
from gradproof.symbolic.grade.equivalence import Mp50, Partials, Points, random_base
from gradproof.symbolic.grade.parser import AnswerError, read
from gradproof.symbolic.model import L, Model
from gradproof.symbolic.printing import Partial

M = Model(Spec())
x1, x2, y = M.x[1], M.x[2], M.y[1]
O11, O21, O31, z11, z21 = M.O[1][1], M.O[2][1], M.O[3][1], M.z[1][1], M.z[2][1]
w311 = M.w(3, 1, 1)
sig = lambda u: 1 / (1 + sp.exp(-u))


@pytest.mark.parametrize("answer, expected", [
    ("2", sp.Integer(2)),
    ("0.0123", sp.Rational(123, 10000)),
    (".5", sp.Rational(1, 2)),
    ("x_1", x1), ("x_{1}", x1), ("y", y), ("y_1", y), (r"\hat{y}", O31), (r"\hat y", O31), (r"\hat{y}_1", O31),
    ("O_{31}", O31), ("O_31", O31), ("O_{3,1}", O31), ("O_{01}", x1), ("z_{11}", z11),
    ("w^{3}_{11}", w311), ("w_{11}^{3}", w311), ("w^3_{11}", w311), ("w^3_11", w311),
    (r"\lambda", M.lam), (r"\delta_{21}", M.delta[2][1]),
    ("x_1 x_2", x1 * x2), (r"x_1 \cdot x_2", x1 * x2), (r"x_1 \times x_2", x1 * x2), ("x_1 * x_2", x1 * x2),
    ("O_{31}(1-O_{31})", O31 * (1 - O31)),
    ("x_1/x_2", x1 / x2), (r"\frac{x_1}{x_2}", x1 / x2), (r"\dfrac{1}{2} x_1", x1 / 2),
    ("x_1^2", x1 ** 2), ("x_1^{2}", x1 ** 2), ("{x_1}^{x_2}", x1 ** x2), ("2^{3}", sp.Integer(8)),
    ("-x_1 + x_2 - 3", -x1 + x2 - 3), ("[x_1 + 1]", x1 + 1), (r"\left( x_1 \right)", x1),
    (r"\left[ x_1 + x_2 \right] \Big( x_1 \Big)", (x1 + x2) * x1), (r"x_1 \, x_2 \quad", x1 * x2),
    (r"\sigma(z_{11})", sig(z11)), (r"\sigma\left(z_{11}\right)", sig(z11)),
    (r"\sigma'(z_{21})", O21 * (1 - O21)),                # the layer's own neuron: the notes' O form
    (r"\sigma'(x_1)", sig(x1) * (1 - sig(x1))),
    (r"\tanh(x_1)", sp.tanh(x1)), (r"\tanh^2(x_1)", sp.tanh(x1) ** 2), (r"\tanh x_1", sp.tanh(x1)),
    (r"\exp(x_1)", sp.exp(x1)), ("e^{-x_1}", sp.exp(-x1)), (r"\ln(x_1)", sp.log(x1)), (r"\log x_1", sp.log(x1)),
    (r"\max(0, x_1)", sp.Max(0, x1)), (r"\operatorname{ReLU}(x_1)", sp.Max(0, x1)), (r"\mathrm{relu}(x_1)", sp.Max(0, x1)),
    (r"\mathbb{1}[x_1 > 0]", sp.Heaviside(x1, 0)), (r"\operatorname{sign}(x_1)", sp.sign(x1)),
    ("f(z_{21})", sig(z21)), ("f'(z_{21})", O21 * (1 - O21)), ("f_2(x_1)", sig(x1)),
    (r"\frac{\partial L}{\partial O_{31}}", Partial(L, O31)), (r"\partial L / \partial O_{31}", Partial(L, O31)),
    (r"\frac{\partial{L}}{\partial{\hat{y}}}", Partial(L, O31)),
    (r"\frac{\partial O_{31}}{\partial w^{3}_{11}}", Partial(O31, w311)),
])
def test_reads_as(answer, expected):
    assert sp.simplify(read(answer, M).math - expected) == 0


@pytest.mark.parametrize("answer, echo", [
    (r"O_{31}(1-O_{31})", r"O_{31} \cdot \left(1 - O_{31}\right)"),
    (r"\frac{1}{2} x_1", r"\frac{1}{2} \cdot x_{1}"),
    (r"0.0123", "0.0123"),
    (r"-2(y - \hat y)", r"- 2 \cdot \left(y - \hat{y}\right)"),
    (r"\sigma'(z_{21}) w^3_{11}", r"\sigma'\left(z_{21}\right) \cdot w^{3}_{11}"),
    (r"\tanh^2(z_{11})", r"\tanh\left(z_{11}\right)^{2}"),
    (r"\partial L/\partial O_{31}", r"\frac{\partial L}{\partial O_{31}}"),
])
def test_parsed_latex_echoes_the_reading(answer, echo):
    assert read(answer, M).latex == echo


@pytest.mark.parametrize("answer, words", [
    ("O_{41}", ["unknown symbol O_{41}", "O_11..O_13", "O_31"]),
    ("q_7", ["unknown symbol q_7", "x_1..x_4"]),
    ("w^{4}_{11}", ["w^4_11 does not exist", "w^3_ij"]),
    ("b^{1}_{1}", ["no biases"]),
    ("w_{11}", ["needs its layer"]),
    ("x_5", ["unknown symbol x_5"]),
    (r"\frac{\partial L}{\partial L}", ["∂A/∂L"]),
    (r"\frac{\partial y}{\partial O_{11}}", ["Leibniz partial takes"]),
    (r"\foo(x_1)", ["unknown command \\foo"]),
    (r"\operatorname{gelu}(x_1)", ["unknown function 'gelu'"]),
    (r"\exp'(x_1)", ["only activations take a prime"]),
    (r"\sigma^{-1}(x_1)", ["whole power"]),
    ("x_1 +", ["ends too early"]),
    ("x_1 + )", ["column 7", "unexpected ')'"]),
    ("x_1 @ 2", ["column 5", "unexpected character"]),
    (r"\frac{1}{0}", ["division by zero"]),
])
def test_errors_name_the_problem(answer, words):
    with pytest.raises(AnswerError) as error:
        read(answer, M)
    for word in words:
        assert word in str(error.value)


def test_f_needs_a_layer_when_activations_differ():
    model = Model(Spec(layers=(2, 2, 1), activations=("tanh", "sigmoid")))
    assert sp.simplify(read("f(z_{11})", model).math - sp.tanh(model.z[1][1])) == 0
    assert sp.simplify(read("f_2(x_1)", model).math - sig(model.x[1])) == 0
    with pytest.raises(AnswerError, match="write f_k"):
        read("f(x_1)", model)


def test_leibniz_partials_are_true_derivatives():
    """dA/dB from the grader's table equals sympy.diff of A expanded in x, w, b, at random points."""
    spec = Spec(layers=(2, 2, 1), activations=("tanh", "sigmoid"), bias=True, regularization="l2", lam=0.5)
    model = Model(spec)
    points = Points(model, random_base(spec, model, 3, seed=4))
    table = Partials(model)
    numerators = [L, model.O[2][1], model.z[2][1], model.O[1][2]]
    for A in numerators:
        expanded = model.expanded_loss() if A == L else model.expand(A)
        for param in spec.parameters():
            B = model.symbols[param]
            truth = sp.diff(expanded, B)
            got = points.evaluate(Partial(A, B), Mp50, partials=table, keep=False)
            for index, base in enumerate(points.base):
                value = float(truth.xreplace({s: sp.Float(repr(float(v)), 30) for s, v in base.items()}))
                assert float(got[index]) == pytest.approx(value, rel=1e-10, abs=1e-14), (A, param)
