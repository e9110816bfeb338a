"""A catalogue of answers on a softmax network (2-3-3, sigmoid then softmax, categorical cross-entropy), written
the way students write them, with the mistakes they make: the elementwise Jacobian (softmax's cross terms
dropped), the sign, the forgotten target, wrong indices. Each is labelled here, independently of the grader: its
meaning is built in sympy from the network written out below, and compared with sympy.diff of the loss expanded in
x, y and w, at points whose targets lie on the probability simplex (where O_2j - y_j is the derivative).

The figures the goals ask for: no false acceptance; at most 2 % of the correct answers rejected; each mistake given
its expected code in at least 95 % of the cases; no code on a correct answer.
"""
import random

import pytest
import sympy as sp

from gradproof.numeric.spec import Spec
from gradproof.symbolic.grade import Grader

SPEC = Spec(layers=(2, 3, 3), activations=("sigmoid", "softmax"), loss="ce")
N0, N1, N2 = 2, 3, 3

# ---- the network, written out here (not from gradproof's model) -------------------------------------------
X = {i: sp.Symbol(f"x_{i}", real=True) for i in range(1, N0 + 1)}
Y = {j: sp.Symbol(f"y_{j}", real=True) for j in range(1, N2 + 1)}
W1 = {(i, j): sp.Symbol(f"w^1_{i}{j}", real=True) for i in range(1, N0 + 1) for j in range(1, N1 + 1)}
W2 = {(i, j): sp.Symbol(f"w^2_{i}{j}", real=True) for i in range(1, N1 + 1) for j in range(1, N2 + 1)}
O1 = {j: 1 / (1 + sp.exp(-sum(W1[i, j] * X[i] for i in X))) for j in range(1, N1 + 1)}
Z2 = {j: sum(W2[i, j] * O1[i] for i in O1) for j in range(1, N2 + 1)}
O2 = {j: sp.exp(Z2[j]) / sum(sp.exp(Z2[m]) for m in Z2) for j in Z2}
LOSS = -sum(Y[j] * sp.log(O2[j]) for j in Y)
VARIABLES = [*X.values(), *Y.values(), *W1.values(), *W2.values()]


def truth(param):
    k, i, j = param
    return sp.diff(LOSS, (W1 if k == 1 else W2)[i, j])


# ---- the answers ---------------------------------------------------------------------------------------------
def o(k, j):
    return f"O_{{{k}{j}}}"


def w2(i, j, style):
    return (f"w^{{2}}_{{{i}{j}}}", f"w^2_{{{i}{j}}}", f"w_{{{i}{j}}}^{{(2)}}")[style % 3]


def output_rows(i, j):
    """(param, text, value, codes) for dL/dw^2_ij."""
    param = f"w^2_{i}{j}"
    others = [m for m in range(1, N2 + 1) if m != j]
    i2 = i % N1 + 1                      # a neighbouring hidden neuron
    j2 = j % N2 + 1                      # a neighbouring output
    collapsed = (O2[j] - Y[j]) * O1[i]
    cross = sum(-Y[m] / O2[m] * (-O2[m] * O2[j]) for m in others)
    written = " ".join(rf"- \frac{{y_{m}}}{{{o(2, m)}}} \cdot (-{o(2, m)} {o(2, j)})" for m in others)
    rows = [
        (param, rf"({o(2, j)} - y_{j}) {o(1, i)}", collapsed, []),
        (param, rf"{o(1, i)} \left({o(2, j)} - y_{{{j}}}\right)", collapsed, []),
        (param, rf"-(y_{j} - {o(2, j)}) \cdot {o(1, i)}", collapsed, []),
        (param, f"(O_{2}{j} − y_{j})·O_{1}{i}", collapsed, []),
        (param, rf"({o(2, j)} (y_1 + y_2 + y_3) - y_{j}) {o(1, i)}", (O2[j] * sum(Y.values()) - Y[j]) * O1[i], []),
        (param, rf"\left(-\frac{{y_{j}}}{{{o(2, j)}}} {o(2, j)} (1 - {o(2, j)}) {written}\right) {o(1, i)}",
         (-Y[j] / O2[j] * O2[j] * (1 - O2[j]) + cross) * O1[i], []),
        (param, rf"\sum_{{m=1}}^{{3}} \frac{{\partial L}}{{\partial O_{{2m}}}} \frac{{\partial O_{{2m}}}}"
                rf"{{\partial z_{{2{j}}}}} \cdot {o(1, i)}", truth((2, i, j)), []),
        (param, rf"\frac{{\partial L}}{{\partial z_{{2{j}}}}} {o(1, i)}", truth((2, i, j)), []),
        # softmax treated as elementwise: only the diagonal O(1 - O) of its Jacobian
        (param, rf"-y_{j}(1 - {o(2, j)}) {o(1, i)}", -Y[j] * (1 - O2[j]) * O1[i], ["missing_path"]),
        (param, rf"-\frac{{y_{j}}}{{{o(2, j)}}} \cdot {o(2, j)}(1-{o(2, j)}) \cdot {o(1, i)}",
         -Y[j] * (1 - O2[j]) * O1[i], ["missing_path"]),
        (param, rf"(y_{j} - {o(2, j)}) {o(1, i)}", (Y[j] - O2[j]) * O1[i], ["sign"]),
        (param, rf"{o(2, j)} {o(1, i)}", O2[j] * O1[i], ["missing_target"]),
        (param, rf"({o(2, j)} - y_{j}) {o(1, i2)}", (O2[j] - Y[j]) * O1[i2], ["wrong_index"]),
        (param, rf"({o(2, j2)} - y_{j2}) {o(1, i)}", (O2[j2] - Y[j2]) * O1[i], ["wrong_index"]),
    ]
    return rows


def hidden_rows(i, j, style):
    """(param, text, value, codes) for dL/dw^1_ij."""
    param = f"w^1_{i}{j}"
    slope = O1[j] * (1 - O1[j])
    right = sum((O2[a] - Y[a]) * W2[j, a] for a in range(1, N2 + 1)) * slope * X[i]
    text = " + ".join(rf"({o(2, a)} - y_{a}) {w2(j, a, style)}" for a in range(1, N2 + 1))
    elementwise = " ".join(rf"- y_{a}(1 - {o(2, a)}) {w2(j, a, style)}" for a in range(1, N2 + 1))
    i2 = i % N0 + 1
    return [
        (param, rf"\left({text}\right) {o(1, j)}(1 - {o(1, j)}) x_{i}", right, []),
        (param, rf"x_{i} {o(1, j)} (1-{o(1, j)}) \sum_{{a=1}}^{{3}} ({o(2, 'a')} - y_a) w^2_{{{j}a}}", right, []),
        (param, rf"\delta_{{1{j}}} {o(1, j)}(1 - {o(1, j)}) x_{i}", right, []),
        (param, rf"\left({elementwise}\right) {o(1, j)}(1 - {o(1, j)}) x_{i}",
         sum(-Y[a] * (1 - O2[a]) * W2[j, a] for a in range(1, N2 + 1)) * slope * X[i], ["missing_path"]),
        (param, rf"\left({text}\right) {o(1, j)}(1 - {o(1, j)}) x_{i2}",
         right / X[i] * X[i2], ["wrong_index"]),
        (param, rf"-\left({text}\right) {o(1, j)}(1 - {o(1, j)}) x_{i}", -right, ["sign"]),
    ]


def catalogue():
    rows = []
    for i in range(1, N1 + 1):
        for j in range(1, N2 + 1):
            rows += output_rows(i, j)
    for n, (i, j) in enumerate(sorted(W1)):
        rows += hidden_rows(i, j, n)
    return rows


def label(rows):
    """Each row's truth: whether its meaning equals sympy.diff of the expanded loss at points whose targets are
    probability vectors (exact rationals summing to 1, none 0 or 1, where the dropped cross terms show)."""
    rng = random.Random(27)
    points = []
    for _ in range(3):
        point = {v: sp.Float(sp.Rational(rng.randint(-90, 90), 60), 30) for v in VARIABLES}
        a, b = rng.randint(1, 40), rng.randint(1, 40)
        point.update({Y[1]: sp.Rational(a, 100), Y[2]: sp.Rational(b, 100), Y[3]: sp.Rational(100 - a - b, 100)})
        points.append(point)
    cache, out = {}, []
    for param, text, value, codes in rows:
        key = (int(param[2]), int(param[4]), int(param[5]))
        if key not in cache:
            cache[key] = [truth(key).xreplace(pt).evalf(30) for pt in points]
        got = [value.xreplace(pt).evalf(30) for pt in points]
        equal = all(abs(g - e) <= 1e-18 * max(1, abs(e)) for g, e in zip(got, cache[key]))
        out.append((param, text, equal, codes))
    return out


@pytest.fixture(scope="module")
def graded():
    grader = Grader(SPEC)
    return [(param, text, correct, codes, grader.grade(param, text)) for param, text, correct, codes in label(catalogue())]


def figures(graded):
    correct = [g for g in graded if g[2]]
    lines = [f"{len(graded)} softmax answers: {len(correct)} correct, {len(graded) - len(correct)} with mistakes",
             f"false acceptances: {sum(1 for g in graded if not g[2] and g[4].verdict == 'correct')}",
             f"correct rejected: {sum(1 for g in correct if g[4].verdict != 'correct')} of {len(correct)}"]
    for codes in sorted({tuple(g[3]) for g in graded if g[3]}):
        cases = [g for g in graded if tuple(g[3]) == codes]
        lines.append(f"{'+'.join(codes)}: {sum(sorted(g[4].diagnosis) == list(codes) for g in cases)} of {len(cases)}")
    return "\n".join(lines)


def test_the_catalogue_is_large_and_labelled_as_meant(graded, capsys):
    with capsys.disabled():
        print("\n" + figures(graded))
    assert len(graded) >= 60 and sum(1 for g in graded if g[2]) >= 30
    assert {c for g in graded for c in g[3]} == {"missing_path", "sign", "missing_target", "wrong_index"}
    # the labels agree with the intent: a written slip is never the derivative, a correct form always is
    assert all(g[2] == (not g[3]) for g in graded), [g[:2] for g in graded if g[2] == bool(g[3])]


def test_no_false_acceptance(graded):
    assert [(p, t) for p, t, correct, _, r in graded if not correct and r.verdict == "correct"] == []


def test_correct_answers_are_accepted(graded):
    correct = [g for g in graded if g[2]]
    rejected = [(p, t, r.verdict, r.message) for p, t, _, _, r in correct if r.verdict != "correct"]
    assert len(rejected) <= 0.02 * len(correct), rejected
    assert all(r.diagnosis == [] for *_, r in correct)


def test_each_mistake_gets_its_code(graded):
    by_code = {}
    for param, text, correct, codes, r in graded:
        by_code.setdefault(codes[0] if codes else None, []).append((sorted(r.diagnosis) == codes, param, text, r.diagnosis))
    by_code.pop(None)
    for code, cases in by_code.items():
        hits = sum(ok for ok, *_ in cases)
        assert hits >= 0.95 * len(cases), (code, hits, len(cases), [c[1:] for c in cases if not c[0]])


def test_the_elementwise_mistake_names_the_dropped_cross_terms(graded):
    for param, text, _, codes, r in graded:
        if codes == ["missing_path"] and param == "w^2_12":
            assert "cross terms" in r.message and "∂O_21/∂z_22" in r.message and "∂O_23/∂z_22" in r.message
            # the counterexample's targets are not one-hot, where the mistake would hide
            y = [float(r.counterexample["point"][f"y_{m}"]) for m in (1, 2, 3)]
            assert sum(v > 0 for v in y) >= 2 and abs(sum(y) - 1) < 1e-12
