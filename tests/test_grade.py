"""Grading answers for the notes' 4-3-2-1 sigmoid network: a catalogue of hand-written correct forms for each
layer (Leibniz, factored, expanded, O and sigma(z) notation) and of every mistake code, with the verdicts and
codes a tutor would give. The answers are written from the mathematics of the notes, not from the code."""
import numpy as np
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.notation import parse_param
from gradproof.numeric.point import Point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.grade import Grader
from gradproof.symbolic.grade.diagnosis import SENTENCES

NOTES = Spec()

# dL/dO_31 = -2(y - yhat); sigma' = O(1 - O); every path of w^1_11 goes w^1_11 -> O_11 -> O_2m -> O_31 -> L.
CHAIN_11 = r"\frac{\partial O_{31}}{\partial O_{21}} \frac{\partial O_{21}}{\partial O_{11}} \frac{\partial O_{11}}{\partial w^{1}_{11}}"
CHAIN_12 = r"\frac{\partial O_{31}}{\partial O_{22}} \frac{\partial O_{22}}{\partial O_{11}} \frac{\partial O_{11}}{\partial w^{1}_{11}}"
BRACKET = r"\left[w^{3}_{11} O_{21}(1 - O_{21}) w^{2}_{11} + w^{3}_{21} O_{22}(1 - O_{22}) w^{2}_{12}\right]"

CORRECT = [
    # layer 3: one path
    ("w^3_11", r"\frac{\partial L}{\partial O_{31}} \cdot \frac{\partial O_{31}}{\partial w^{3}_{11}}"),
    ("w^3_11", r"\partial L / \partial O_{31} \cdot \partial O_{31} / \partial w^3_{11}"),
    ("w^3_11", r"\frac{\partial L}{\partial z_{31}} \frac{\partial z_{31}}{\partial w^3_{11}}"),
    ("w^3_11", r"-2(y - O_{31}) O_{31}(1 - O_{31}) O_{21}"),
    ("w^3_11", r"2(\hat{y} - y)\, \hat y \left(1 - \hat y\right) O_{21}"),
    ("w^3_11", r"-2\left(y - \sigma(z_{31})\right) \sigma(z_{31}) \left(1 - \sigma(z_{31})\right) \sigma(z_{21})"),
    ("w^3_11", r"-2(y-\hat{y}) \sigma'(z_{31}) O_{21}"),
    ("w^3_11", r"-2(y-\hat{y}) f'(z_{31}) f(z_{21})"),
    ("w^3_11", r"-2(y-\hat{y}) \frac{e^{-z_{31}}}{(1+e^{-z_{31}})^2} O_{21}"),
    ("w^3_11", r"-2 y O_{31} O_{21} + 2 y O_{31}^2 O_{21} + 2 O_{31}^{2} O_{21} - 2 O_{31}^3 O_{21}"),
    ("w^3_11", r"\frac{\partial L}{\partial w^{3}_{11}} = -2(y-\hat y) \hat y (1 - \hat y) O_{21}"),
    ("w^3_21", r"-2(y-\hat y) \hat y (1 - \hat y) O_{22}"),
    ("w^3_21", r"-2 \times \Big(y-\hat y\Big) \times \hat y \times \left(1 - \hat y\right) \times O_{22}"),
    # layer 2: one path through O_31
    ("w^2_11", r"\frac{\partial L}{\partial O_{31}} \cdot \frac{\partial O_{31}}{\partial O_{21}} \cdot \frac{\partial O_{21}}{\partial w_{11}^{2}}"),
    ("w^2_11", r"-2(y - \hat y) \hat y (1 - \hat y) w^{3}_{11} O_{21}(1 - O_{21}) O_{11}"),
    ("w^2_11", r"-2(y-\sigma(z_{31})) \sigma'(z_{31}) w^3_{11} \sigma'(z_{21}) \sigma(z_{11})"),
    ("w^2_11", r"\delta_{21} O_{21} (1 - O_{21}) O_{11}"),
    ("w^2_11", r"\frac{\partial L}{\partial O_{21}} \frac{\partial O_{21}}{\partial z_{21}} \frac{\partial z_{21}}{\partial w^2_{11}}"),
    ("w^2_32", r"-2(y - \hat y) \hat y (1 - \hat y) w^{3}_{21} O_{22}(1 - O_{22}) O_{13}"),
    # layer 1: two paths, summed
    ("w^1_11", r"\frac{\partial L}{\partial O_{31}} \left[" + CHAIN_11 + " + " + CHAIN_12 + r"\right]"),
    ("w^1_11", r"\frac{\partial L}{\partial O_{31}} \cdot \frac{\partial O_{31}}{\partial w^1_{11}}"),
    ("w^1_11", r"\frac{\partial L}{\partial O_{11}} \cdot \frac{\partial O_{11}}{\partial w^1_{11}}"),
    ("w^1_11", r"-2(y - \hat y) \hat y (1 - \hat y) " + BRACKET + r" O_{11} (1 - O_{11}) x_1"),
    ("w^1_11", r"-2(y-\hat y)\hat y(1-\hat y) w^3_{11}O_{21}(1-O_{21})w^2_{11}O_{11}(1-O_{11})x_1"
               r" - 2(y-\hat y)\hat y(1-\hat y) w^3_{21}O_{22}(1-O_{22})w^2_{12}O_{11}(1-O_{11})x_1"),
    ("w^1_11", r"-2(y - \sigma(z_{31})) \sigma'(z_{31}) \left(w^3_{11} \sigma'(z_{21}) w^2_{11} + w^3_{21} \sigma'(z_{22}) w^2_{12}\right)"
               r" \sigma'(z_{11}) x_{1}"),
    ("w^1_11", r"\left(\delta_{21} O_{21}(1-O_{21}) w^2_{11} + \delta_{22} O_{22}(1-O_{22}) w^2_{12}\right) O_{11}(1-O_{11}) x_1"),
    ("w^1_43", r"-2(y - \hat y) \hat y (1 - \hat y) \left[w^{3}_{11} O_{21}(1 - O_{21}) w^{2}_{31} + w^{3}_{21} O_{22}(1 - O_{22}) w^{2}_{32}\right]"
               r" O_{13} (1 - O_{13}) x_4"),
]

WRONG = [
    # (param, answer, the codes a tutor would give)
    ("w^1_11", r"\frac{\partial L}{\partial O_{31}} \left[" + CHAIN_11 + r"\right]", ["missing_path"]),
    ("w^1_11", r"-2(y - \hat y) \hat y (1 - \hat y) w^{3}_{21} O_{22}(1 - O_{22}) w^{2}_{12} O_{11} (1 - O_{11}) x_1", ["missing_path"]),
    ("w^3_11", r"2(y - \hat y) \hat y (1 - \hat y) O_{21}", ["sign"]),
    ("w^1_11", r"2(y - \hat y) \hat y (1 - \hat y) " + BRACKET + r" O_{11} (1 - O_{11}) x_1", ["sign"]),
    ("w^1_11", r"-(y - \hat y) \hat y (1 - \hat y) " + BRACKET + r" O_{11} (1 - O_{11}) x_1", ["factor"]),
    ("w^2_11", r"-4(y - \hat y) \hat y (1 - \hat y) w^{3}_{11} O_{21}(1 - O_{21}) O_{11}", ["factor"]),
    ("w^1_11", r"(\hat y - y) \hat y (1 - \hat y) " + BRACKET + r" O_{11} (1 - O_{11}) x_1", ["factor"]),
    ("w^1_11", r"-2(y - \hat y) \hat y [w^{3}_{11} O_{21} w^{2}_{11} + w^{3}_{21} O_{22} w^{2}_{12}] O_{11} x_1",
     ["activation_derivative"]),
    ("w^3_11", r"-2(y - \hat y) \sigma(z_{31}) O_{21}", ["activation_derivative"]),
    ("w^2_11", r"-2(y - \hat y) \hat y (1 - \hat y) w^{3}_{11} (1 - O_{21}^2) O_{11}", ["activation_derivative"]),
    ("w^2_11", r"-2(y - \hat y) \hat y (1 - \hat y) w^{3}_{11} O_{11}", ["activation_derivative"]),
    ("w^1_11", r"-2(y - \hat y) \hat y (1 - \hat y) " + BRACKET + r" O_{11} (1 - O_{11}) x_2", ["wrong_index"]),
    ("w^2_12", r"-2(y - \hat y) \hat y (1 - \hat y) w^{3}_{11} O_{21}(1 - O_{21}) O_{12}", ["wrong_index"]),
    ("w^2_11", r"-2(y - \hat y) \hat y (1 - \hat y) O_{21}", ["wrong_index"]),
    # the notes' own slip: dL/dO_31 + [ ... ] where the chain rule multiplies
    ("w^1_11", r"\frac{\partial L}{\partial O_{31}} + \left[" + CHAIN_11 + " + " + CHAIN_12 + r"\right]", ["sum_for_product"]),
    ("w^3_11", r"\frac{\partial L}{\partial O_{31}} + \frac{\partial O_{31}}{\partial w^3_{11}}", ["sum_for_product"]),
    # two slips at once
    ("w^1_11", r"2(y - \hat y) \hat y (1 - \hat y) w^{3}_{11} O_{21}(1 - O_{21}) w^{2}_{11} O_{11} (1 - O_{11}) x_1",
     ["missing_path", "sign"]),
]


@pytest.fixture(scope="module")
def notes():
    return Grader(NOTES)


@pytest.mark.parametrize("param, answer", CORRECT)
def test_correct_forms(notes, param, answer):
    r = notes.grade(param, answer)
    assert r.verdict == "correct", r.message
    assert r.diagnosis == [] and r.counterexample is None
    assert r.exit_code == 0


@pytest.mark.parametrize("param, answer, codes", WRONG)
def test_mistakes_are_named(notes, param, answer, codes):
    r = notes.grade(param, answer)
    assert r.verdict == "incorrect", r.message
    assert r.diagnosis == codes, r.message
    assert r.exit_code == 1
    for code in codes:
        assert SENTENCES[code] in r.message
    c = r.counterexample
    assert c["expected"] != pytest.approx(c["got"], rel=1e-6)
    assert set(c["point"]) >= {"x_1", "y_1", "w^1_11"}


def test_missing_path_names_the_path(notes):
    r = notes.grade("w^1_11", r"\frac{\partial L}{\partial O_{31}} \left[" + CHAIN_11 + r"\right]")
    assert "O_22" in r.message             # the path left out goes through O_22


def test_no_code_is_invented(notes):
    for answer in [r"x_1 + x_2", r"O_{11} O_{21}", r"-2(y - \hat y) + 0.37"]:
        r = notes.grade("w^1_11", answer)
        assert r.verdict == "incorrect" and r.diagnosis == [], (answer, r.diagnosis)
        assert "None of the common mistakes" in r.message


def test_counterexample_holds_at_the_point_it_names(notes):
    """The point is real: numeric backprop there gives the expected value, and the answer's value differs."""
    r = notes.grade("w^2_11", r"-2(y - \hat y) \hat y (1 - \hat y) w^{3}_{11} O_{11}")
    p = r.counterexample["point"]
    n = NOTES.layers
    W = [np.array([[p[f"w^{k}_{i}{j}"] for j in range(1, n[k] + 1)] for i in range(1, n[k - 1] + 1)])
         for k in range(1, len(n))]
    point = Point(np.array([[p[f"x_{i}"] for i in range(1, 5)]]), np.array([[p["y_1"]]]), W)
    assert backprop(NOTES, point).value(parse_param("w^2_11")) == pytest.approx(r.counterexample["expected"], rel=1e-9)


@pytest.mark.parametrize("spec", [NOTES, Spec(layers=(2, 2, 1), activations=("tanh", "linear"), bias=True,
                                               regularization="l2", lam=0.3, loss="half_squared")])
def test_reference_values_match_numeric_backprop(spec):
    """The grader's expected values at its points agree with the numpy engine, an independent computation."""
    g = Grader(spec, points=4)
    for param in spec.parameters()[::3]:
        expected = g.question(param).expected
        for index, base in enumerate(g.points.base):
            m = g.model
            n = spec.layers
            W = [np.array([[base[m.w(k, i, j)] for j in range(1, n[k] + 1)] for i in range(1, n[k - 1] + 1)])
                 for k in range(1, len(n))]
            b = [np.array([base[m.b(k, j)] for j in range(1, n[k] + 1)]) for k in range(1, len(n))] if spec.bias else None
            point = Point(np.array([[base[m.x[i]] for i in range(1, n[0] + 1)]]),
                          np.array([[base[m.y[j]] for j in range(1, n[-1] + 1)]]), W, b)
            assert float(expected[index]) == pytest.approx(backprop(spec, point).value(param), rel=1e-9, abs=1e-15)


def test_regularization():
    g = Grader(Spec(regularization="l2", lam=0.1))
    data = r"-2(y - \hat y) \hat y (1 - \hat y) O_{21}"
    assert g.grade("w^3_11", data + r" + 2 \lambda w^{3}_{11}").verdict == "correct"
    assert g.grade("w^3_11", data + r" + 0.2 w^{3}_{11}").verdict == "correct"          # lambda's value written in
    assert g.grade("w^3_11", r"\frac{\partial L}{\partial O_{31}} \frac{\partial O_{31}}{\partial w^3_{11}} + 2\lambda w^3_{11}").verdict == "correct"
    r = g.grade("w^3_11", data)
    assert (r.verdict, r.diagnosis) == ("incorrect", ["missing_regularization"])
    r = g.grade("w^3_11", data + r" + \lambda w^{3}_{11}")
    assert (r.verdict, r.diagnosis) == ("incorrect", ["factor"])
    r = g.grade("w^3_11", "-" + data)
    assert (r.verdict, r.diagnosis) == ("incorrect", ["sign", "missing_regularization"])
    r = g.grade("w^3_11", data + r" + 2 \lambda w^{3}_{21}")                      # the wrong weight's penalty
    assert r.verdict == "incorrect" and "missing_regularization" not in r.diagnosis


def test_relu_network_answers():
    g = Grader(Spec(layers=(2, 2, 1), activations=("relu", "linear"), bias=True))
    assert g.grade("w^1_11", r"-2(y - \hat{y}) w^2_{11} \mathbb{1}[z_{11} > 0] x_1").verdict == "correct"
    assert g.grade("w^1_11", r"-2(y - \hat{y}) w^2_{11} f'(z_{11}) x_1").verdict == "correct"
    assert g.grade("b^1_1", r"\frac{\partial L}{\partial z_{11}}").verdict == "correct"
    assert g.grade("b^2_1", r"2(\hat y - y)").verdict == "correct"
    r = g.grade("w^1_11", r"-2(y - \hat{y}) w^2_{11} \max(0, z_{11}) x_1")
    assert (r.verdict, r.diagnosis) == ("incorrect", ["activation_derivative"])
    r = g.grade("w^1_11", r"-2(y - \hat{y}) w^2_{11} \operatorname{ReLU}(z_{11}) x_1")
    assert (r.verdict, r.diagnosis) == ("incorrect", ["activation_derivative"])


def test_tanh_network_with_tanh_squared():
    g = Grader(Spec(layers=(2, 1, 1), activations=("tanh", "linear"), loss="half_squared"))
    assert g.grade("w^1_11", r"(\hat y - y) w^2_{11} (1 - \tanh^2(z_{11})) x_1").verdict == "correct"
    assert g.grade("w^1_11", r"(\hat y - y) w^2_{11} (1 - O_{11}^2) x_1").verdict == "correct"
    r = g.grade("w^1_11", r"(\hat y - y) w^2_{11} O_{11}(1 - O_{11}) x_1")        # the sigmoid's derivative
    assert (r.verdict, r.diagnosis) == ("incorrect", ["activation_derivative"])


def test_several_outputs_use_y_j():
    g = Grader(Spec(layers=(2, 2), activations="linear"))
    assert g.grade("w^1_12", r"-2(y_2 - \hat{y}_2) x_1").verdict == "correct"
    r = g.grade("w^1_12", r"-2(y - \hat{y}) x_1")
    assert r.verdict == "invalid" and "y_1 .. y_2" in r.message


def test_numeric_answer_at_a_point(notes, tmp_path):
    from gradproof.numeric.point import random_point
    point = random_point(NOTES, seed=3)
    value = backprop(NOTES, point).value(parse_param("w^3_11"))
    assert notes.grade("w^3_11", f"{value:.6f}", at=point).verdict == "correct"
    r = notes.grade("w^3_11", f"{-value:.6f}", at=point)
    assert (r.verdict, r.diagnosis) == ("incorrect", ["sign"])
    assert r.counterexample["expected"] == pytest.approx(value)
    assert notes.grade("w^3_11", f"{value * 1.01:.8f}", at=point, rtol=0.02).verdict == "correct"
    r = notes.grade("w^3_11", "0.0123")
    assert r.verdict == "invalid" and "--at" in r.message


def test_circular_and_malformed_answers(notes):
    r = notes.grade("w^1_11", r"\frac{\partial L}{\partial w^1_{11}}")
    assert r.verdict == "invalid" and "asked for" in r.message
    r = notes.grade("w^1_11", r"\frac{\partial L}{\partial w^1_{12}} = x_1")
    assert r.verdict == "invalid" and "w^1_11" in r.message
    r = notes.grade("w^1_11", r"L x_1")
    assert r.verdict == "invalid" and "outside a Leibniz partial" in r.message
    r = notes.grade("w^9_11", r"x_1")
    assert r.verdict == "invalid" and "does not exist" in r.message


DL = r"-2(y - \hat y) \hat y (1 - \hat y)"          # dL/dO_31 times sigma'(z_31)


@pytest.mark.parametrize("param, answer, wrong, right", [
    # the wrong layer's weight
    ("w^2_11", DL + r" w^{2}_{11} O_{21}(1 - O_{21}) O_{11}", "w^2_11", "w^3_11"),
    # swapped indices on a weight of the path that is not the parameter's own
    ("w^1_11", DL + r" [w^{3}_{11} O_{21}(1 - O_{21}) w^{2}_{11} + w^{3}_{21} O_{22}(1 - O_{22}) w^{2}_{21}] O_{11}(1 - O_{11}) x_1",
     "w^2_21", "w^2_12"),
    # the wrong layer's output
    ("w^2_11", DL + r" w^{3}_{11} O_{21}(1 - O_{21}) O_{21}", "O_21", "O_11"),
    ("w^3_21", DL + r" O_{12}", "O_12", "O_22"),
    # a wrong neuron inside one Leibniz factor
    ("w^2_11", r"\frac{\partial L}{\partial O_{31}} \frac{\partial O_{31}}{\partial O_{22}} \frac{\partial O_{21}}{\partial w^2_{11}}",
     "∂O_31/∂O_22", "∂O_31/∂O_21"),
    # another parameter's exact gradient
    ("w^2_31", DL + r" w^{3}_{11} O_{21}(1 - O_{21}) O_{11}", "∂L/∂w^2_11", "∂L/∂w^2_31"),
])
def test_index_mistakes_name_the_wrong_and_the_right_symbol(notes, param, answer, wrong, right):
    r = notes.grade(param, answer)
    assert (r.verdict, r.diagnosis) == ("incorrect", ["wrong_index"]), r.message
    assert wrong in r.message and right in r.message, r.message


def test_two_mistakes_at_once(notes):
    # a sign slip and an index slip (O_12 for O_22), the example of the goals
    r = notes.grade("w^3_21", r"-2(\hat y - y)\hat y(1-\hat y) O_{12}")
    assert sorted(r.diagnosis) == ["sign", "wrong_index"] and "O_12 in place of O_22" in r.message
    # a path left out and an index slip on the path that is kept
    r = notes.grade("w^1_11", DL + r" w^{3}_{21} O_{22}(1 - O_{22}) w^{2}_{21} O_{11}(1 - O_{11}) x_1")
    assert sorted(r.diagnosis) == ["missing_path", "wrong_index"], r.message
    # a path left out and sigma' left out at layer 2
    r = notes.grade("w^1_11", DL + r" w^{3}_{21} w^{2}_{12} O_{11}(1 - O_{11}) x_1")
    assert sorted(r.diagnosis) == ["activation_derivative", "missing_path"], r.message


def test_counterexample_at_round_numbers(notes):
    """Without --at the point is one a student can redo by hand, and the two values there differ clearly."""
    r = notes.grade("w^1_11", DL + r" w^{3}_{21} O_{22}(1 - O_{22}) w^{2}_{12} O_{11}(1 - O_{11}) x_1")
    c = r.counterexample
    for name, value in c["point"].items():
        allowed = {0.0, 1.0, 2.0} if name.startswith("x") else {0.0, 1.0} if name.startswith("y") else {-1.0, -0.5, 0.5, 1.0}
        assert value in allowed, (name, value)
    assert abs(c["got"] - c["expected"]) > 0.1 * max(abs(c["got"]), abs(c["expected"]))
    assert f"{c['expected']:.6g}" in r.message and f"{c['got']:.6g}" in r.message
    assert "w^2_12 = " in r.message                                   # the message carries its point
    # and the point is real: numeric backprop there gives the expected value
    p, n = c["point"], NOTES.layers
    W = [np.array([[p[f"w^{k}_{i}{j}"] for j in range(1, n[k] + 1)] for i in range(1, n[k - 1] + 1)])
         for k in range(1, len(n))]
    point = Point(np.array([[p[f"x_{i}"] for i in range(1, 5)]]), np.array([[p["y_1"]]]), W)
    assert backprop(NOTES, point).value(parse_param("w^1_11")) == pytest.approx(c["expected"], rel=1e-9)


def test_relu_counterexample_keeps_away_from_the_kink():
    spec = Spec(layers=(2, 2, 1), activations=("relu", "linear"))
    r = Grader(spec).grade("w^1_11", r"-2(y - \hat{y}) w^2_{11} x_1")
    p = r.counterexample["point"]
    z = [p["x_1"] * p[f"w^1_1{j}"] + p["x_2"] * p[f"w^1_2{j}"] for j in (1, 2)]
    assert min(abs(v) for v in z) >= 0.5


@pytest.mark.parametrize("param, answer, codes", [
    # a '+' wherever it stands along the chain, with the sign slipped before it or not
    ("w^3_11", "2(O_{31}-y)O_{31}(1-O_{31})+O_{21}", ["sum_for_product"]),
    ("w^3_11", "2(O_{31}-y)+O_{31}(1-O_{31})O_{21}", ["sum_for_product"]),
    ("w^3_11", "2(y-O_{31})O_{31}(1-O_{31})+O_{21}", ["sign", "sum_for_product"]),
    ("w^2_11", "2(O_{31}-y)O_{31}(1-O_{31})w^3_{11}O_{21}(1-O_{21})+O_{11}", ["sum_for_product"]),
    ("w^2_11", "2(O_{31}-y)O_{31}(1-O_{31})w^3_{11}+O_{21}(1-O_{21})O_{11}", ["sum_for_product"]),
])
def test_sum_for_product_wherever_the_plus_stands(param, answer, codes):
    r = Grader(Spec()).grade(param, answer)
    assert (r.verdict, sorted(r.diagnosis)) == ("incorrect", codes)


@pytest.mark.parametrize("regularization, penalty, codes", [
    ("l2", r" - 2\lambda w^{3}_{11}", ["regularization_sign"]),
    ("l2", r" + 2\lambda w^{3}_{11}", []),
    ("l1", r" - \lambda \operatorname{sign}(w^{3}_{11})", ["regularization_sign"]),
    ("l1", r" + \lambda \operatorname{sign}(w^{3}_{11})", []),
])
def test_the_penalty_sign_is_its_own_mistake(regularization, penalty, codes):
    g = Grader(Spec(regularization=regularization, lam=0.1))
    r = g.grade("w^3_11", r"-2(y - \hat y) \hat y (1 - \hat y) O_{21}" + penalty)
    assert r.diagnosis == codes and r.verdict == ("incorrect" if codes else "correct")
    if not codes:
        # the whole answer negated is the sign, once (not the sign and the penalty's sign)
        negated = penalty.replace("+", "-", 1)
        whole = g.grade("w^3_11", r"2(y - \hat y) \hat y (1 - \hat y) O_{21}" + negated)
        assert whole.diagnosis == ["sign"]


# The textbook δ is ∂L/∂z; the notes' δ_kj is ∂L/∂O_kj. Each answer below is the textbook's backprop formula
# written with δ (right if δ meant ∂L/∂z), or, last, wrong under either reading.
TEXTBOOK = [
    ("w^3_11", r"\delta_{31} O_{21}", True),
    ("w^2_11", r"\delta_{21} O_{11}", True),
    ("w^1_11", r"(\delta_{21} w^2_{11} + \delta_{22} w^2_{12}) \sigma'(z_{11}) x_1", True),
    ("w^1_11", r"\delta_{11} x_1", True),
    ("w^2_11", r"2 \delta_{21} O_{11}", False),
]


@pytest.mark.parametrize("param, answer, textbook", TEXTBOOK)
def test_an_answer_with_the_textbooks_delta_is_told_the_notes_convention(notes, param, answer, textbook):
    from gradproof.symbolic.grade.grader import DELTA_CONVENTION
    r = notes.grade(param, answer)
    assert r.verdict == "incorrect"
    assert (DELTA_CONVENTION in r.message) == textbook
    # the notes' own δ form of the same derivative is right: δ_kj f'(z_kj) is the textbook's δ
    if param == "w^2_11" and textbook:
        assert notes.grade(param, r"\delta_{21} \sigma'(z_{21}) O_{11}").verdict == "correct"
