"""Grading matrix answers: a catalogue of answers as students write them, in both layouts, each labelled by this
test's own entrywise computation with sympy (its own forward pass; every gradient by sympy.diff of the batch
loss; shapes by sympy's own matrix arithmetic), never by the grader's code."""
import json
import random

import mpmath
import pytest
import sympy as sp

from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main
from gradproof.symbolic.matrix.grade import MatrixGrader

NOTES = Spec()
BIASED = Spec(layers=(3, 4, 4, 2), bias=True, reduction="mean")
M = 5                     # the test's batch: no width of either network, not 2


def sigma(x):
    return 1 / (1 + sp.exp(-x))


class Truth:
    """One random batch in the notes' layout (rows), every matrix and gradient computed here with sympy."""

    def __init__(self, spec, seed=7):
        rng = random.Random(seed)
        f = lambda lo, hi: sp.Float(rng.uniform(lo, hi), 50)
        n, self.spec = spec.layers, spec
        self.X = sp.Matrix(M, n[0], lambda *_: f(-1.5, 1.5))
        self.Y = sp.Matrix(M, n[-1], lambda *_: f(-1, 1))
        self.W = [None] + [sp.Matrix(n[k - 1], n[k], lambda *_: f(-1, 1)) for k in range(1, len(n))]
        self.b = [None] + [sp.Matrix(n[k], 1, lambda *_: f(-0.5, 0.5)) if spec.bias else sp.zeros(n[k], 1)
                           for k in range(1, len(n))]
        self.Z, self.O = self.forward()
        L = spec.depth
        self.grad = {}
        for k in range(1, L + 1):
            for kind, value in (("W", self.W[k]), ("b", self.b[k]), ("Z", self.Z[k]), ("O", self.O[k])):
                if kind != "b" or spec.bias:
                    self.grad[kind, k] = self.gradient(kind, k, value)

    def forward(self, start=None, x=None):
        """Z^k and O^k of the batch (or of one sample's row x), with one matrix replaced: start = (kind, k, value)."""
        Z, O = [None], [self.X if x is None else x]
        for k in range(1, self.spec.depth + 1):
            W = start[2] if start and start[:2] == ("W", k) else self.W[k]
            b = start[2] if start and start[:2] == ("b", k) else self.b[k]
            z = O[-1] * W + sp.ones(O[-1].rows, 1) * b.T
            if start and start[:2] == ("Z", k):
                z = start[2]
            o = z.applyfunc(sigma)
            if start and start[:2] == ("O", k):
                o = start[2]
            Z.append(z)
            O.append(o)
        return Z, O

    def gradient(self, kind, k, value):
        """dL/d(each entry) by sympy.diff: one sample's loss, written with that matrix's entries (a weight
        matrix or bias: all of them; Z^k or O^k: the sample's row) and the sample's x and y as symbols, is
        differentiated once per entry, then evaluated at every sample (50 digits) and summed or placed."""
        n = self.spec.layers
        x = sp.Matrix(1, n[0], lambda _, j: sp.Symbol(f"x{j}"))
        y = sp.Matrix(1, n[-1], lambda _, j: sp.Symbol(f"y{j}"))
        per_sample = kind in ("Z", "O")
        shape = (1, value.cols) if per_sample else value.shape
        S = sp.Matrix(*shape, lambda i, j: sp.Symbol(f"s{i}_{j}"))
        O = self.forward((kind, k, S), x)[1][-1]
        loss = sum((y - O).applyfunc(lambda e: e ** 2))
        loss = loss / M if self.spec.reduction == "mean" else loss
        derivatives = sp.lambdify(list(x) + list(y) + list(S), [sp.diff(loss, e) for e in S], "mpmath")
        with mpmath.workdps(50):
            def at(i, entries):
                return derivatives(*(list(self.X[i, :]) + list(self.Y[i, :]) + entries))
            if per_sample:
                return sp.Matrix([[sp.Float(v, 50) for v in at(i, list(value[i, :]))] for i in range(M)])
            sums = [sum(col) for col in zip(*[at(i, list(value)) for i in range(M)])]
            return sp.Matrix(*shape, [sp.Float(v, 50) for v in sums])

    def matrices(self, layout):
        """The names an answer uses, as this layout lays them out."""
        t = (lambda a: a) if layout == "rows" else (lambda a: a.T)
        L = self.spec.depth
        out = {"X": t(self.X), "Y": t(self.Y), "Yh": t(self.O[L]), "1": sp.ones(M, 1)}
        for k in range(1, L + 1):
            out[f"W{k}"], out[f"Z{k}"], out[f"O{k}"] = t(self.W[k]), t(self.Z[k]), t(self.O[k])
            out[f"d{k}"], out[f"G{k}"] = t(self.grad["O", k]), t(self.grad["Z", k])
            out[f"s{k}"] = t(self.O[k].applyfunc(lambda o: o * (1 - o)))           # σ'(Z^k) = O(1 - O)
            out[f"sig{k}"] = t(self.O[k])
        out["O0"] = out["X"]
        return out

    def target(self, kind, k, layout):
        g = self.grad[kind, k]
        if kind == "b":
            return g.T if layout == "rows" else g                 # 1×n with samples as rows, n×1 as columns
        return g if layout == "rows" else g.T


def catalogue(spec, layout):
    """[(target, answer, builder(M) -> sympy matrix, intended mistake or None)] in the layout."""
    rows, L, mean = layout == "rows", spec.depth, spec.reduction == "mean"
    out = []
    hd = lambda a, b: a.multiply_elementwise(b)
    for k in range(1, L + 1):
        p = "X" if k == 1 else f"O^{{{k - 1}}}"
        q = f"O{k - 1}"
        W, G, d, s = f"W{k}", f"G{k}", f"d{k}", f"s{k}"
        # ∂L/∂W^k
        if rows:
            out += [
                (f"W^{k}", f"({p})^T dZ^{{{k}}}", lambda m, q=q, G=G: m[q].T * m[G], None),
                (f"W^{k}", rf"\left({p}\right)^\top \left(\delta^{{{k}}} \odot \sigma'(Z^{{{k}}})\right)",
                 lambda m, q=q, d=d, s=s: m[q].T * hd(m[d], m[s]), None),
                (f"W^{k}", rf"{p}^T @ \frac{{\partial L}}{{\partial Z^{{{k}}}}}", lambda m, q=q, G=G: m[q].T * m[G], None),
                (f"W^{k}", f"{p} dZ^{k}", lambda m, q=q, G=G: m[q] * m[G], "missing_transpose"),
                (f"W^{k}", f"(dZ^{k})^T {p}", lambda m, q=q, G=G: m[G].T * m[q], "extra_transpose"),
                (f"W^{k}", f"dZ^{k} ({p})^T", lambda m, q=q, G=G: m[G] * m[q].T, "wrong_order"),
                (f"W^{k}", rf"({p})^T \odot dZ^{k}", lambda m, q=q, G=G: hd(m[q].T, m[G]), "hadamard_for_product"),
                (f"W^{k}", rf"({p})^T (\delta^{k} \sigma'(Z^{k}))", lambda m, q=q, d=d, s=s: m[q].T * (m[d] * m[s]),
                 "product_for_hadamard"),
            ]
        else:
            out += [
                (f"W^{k}", f"dZ^{{{k}}} ({p})^T", lambda m, q=q, G=G: m[G] * m[q].T, None),
                (f"W^{k}", rf"\left(\delta^{{{k}}} \odot \sigma'(Z^{{{k}}})\right) \left({p}\right)^\top",
                 lambda m, q=q, d=d, s=s: hd(m[d], m[s]) * m[q].T, None),
                (f"W^{k}", rf"\frac{{\partial L}}{{\partial Z^{{{k}}}}} \cdot {p}'", lambda m, q=q, G=G: m[G] * m[q].T, None),
                (f"W^{k}", f"dZ^{k} {p}", lambda m, q=q, G=G: m[G] * m[q], "missing_transpose"),
                (f"W^{k}", f"{p} (dZ^{k})^T", lambda m, q=q, G=G: m[q] * m[G].T, "extra_transpose"),
                (f"W^{k}", f"({p})^T dZ^{k}", lambda m, q=q, G=G: m[q].T * m[G], "wrong_order"),
                (f"W^{k}", rf"dZ^{k} \circ ({p})^T", lambda m, q=q, G=G: hd(m[G], m[q].T), "hadamard_for_product"),
                (f"W^{k}", rf"(\delta^{k} \sigma'(Z^{k})) ({p})^T", lambda m, q=q, d=d, s=s: (m[d] * m[s]) * m[q].T,
                 "product_for_hadamard"),
            ]
        dW = (lambda m, q=q, G=G: m[q].T * m[G]) if rows else (lambda m, q=q, G=G: m[G] * m[q].T)
        form = f"({p})^T dZ^{k}" if rows else f"dZ^{k} ({p})^T"
        out += [
            (f"W^{k}", f"-{form}", lambda m, f=dW: -f(m), "sign"),
            (f"W^{k}", f"2 {form}", lambda m, f=dW: 2 * f(m), "factor"),
            (f"W^{k}", rf"\frac{{1}}{{m}} {form}", lambda m, f=dW: f(m) / M, "mean_doubled"),
            (f"W^{k}", (f"({p})^T (\\delta^{k} \\odot \\sigma(Z^{k}))" if rows else f"(\\delta^{k} \\odot \\sigma(Z^{k})) ({p})^T"),
             (lambda m, q=q, d=d, k=k: m[q].T * hd(m[d], m[f"sig{k}"])) if rows else
             (lambda m, q=q, d=d, k=k: hd(m[d], m[f"sig{k}"]) * m[q].T), "activation_derivative"),
            (f"W^{k}", (f"({p})^T \\delta^{k}" if rows else f"\\delta^{k} ({p})^T"),
             (lambda m, q=q, d=d: m[q].T * m[d]) if rows else (lambda m, q=q, d=d: m[d] * m[q].T), "activation_derivative"),
        ]
        # ∂L/∂Z^k
        out += [
            (f"Z^{k}", rf"\delta^{{{k}}} \odot \sigma'(Z^{{{k}}})", lambda m, d=d, s=s: hd(m[d], m[s]), None),
            (f"Z^{k}", f"δ^{k} ⊙ O^{k} ⊙ (1 − O^{k})", lambda m, d=d, k=k: hd(hd(m[d], m[f"O{k}"]), m[f"O{k}"].applyfunc(lambda o: 1 - o)), None),
            (f"Z^{k}", f"δ^{k} σ'(Z^{k})", lambda m, d=d, s=s: m[d] * m[s], "product_for_hadamard"),
            (f"Z^{k}", rf"\delta^{k} \odot \sigma(Z^{k})", lambda m, d=d, k=k: hd(m[d], m[f"sig{k}"]), "activation_derivative"),
            (f"Z^{k}", rf"-\delta^{k} \odot f'(Z^{k})", lambda m, d=d, s=s: -hd(m[d], m[s]), "sign"),
        ]
        if k == L:
            c = "\\frac{2}{m}" if mean else "2"
            cv = sp.Rational(2, M) if mean else 2
            out += [
                (f"Z^{k}", f"{c} (Ŷ − Y) ⊙ σ'(Z^{k})", lambda m, s=s, cv=cv: cv * hd(m["Yh"] - m["Y"], m[s]), None),
                (f"Z^{k}", f"{c} (Y − Ŷ) ⊙ σ'(Z^{k})", lambda m, s=s, cv=cv: cv * hd(m["Y"] - m["Yh"], m[s]), "sign"),
                (f"Z^{k}", f"{c} (Ŷ − Y) ⊙ σ'(Z^{k-1 if k > 1 else k})",
                 lambda m, s=s, cv=cv, k=k: cv * hd(m["Yh"] - m["Y"], m[f"s{k - 1 if k > 1 else k}"]),
                 "activation_derivative" if k > 1 else None),
            ]
            if mean:
                out.append((f"Z^{k}", "2 (Ŷ − Y) ⊙ σ'(Z^%d)" % k, lambda m, s=s: 2 * hd(m["Yh"] - m["Y"], m[s]), "mean_missing"))
                full = lambda m, s=s: 2 * hd(m["Yh"] - m["Y"], m[s])             # the output's dZ without its 1/m
                out += [
                    (f"W^{k}", (f"({p})^T (2 (Ŷ − Y) ⊙ σ'(Z^{k}))" if rows else f"(2 (Ŷ − Y) ⊙ σ'(Z^{k})) ({p})^T"),
                     (lambda m, q=q, f=full: m[q].T * f(m)) if rows else (lambda m, q=q, f=full: f(m) * m[q].T), "mean_missing"),
                    (f"b^{k}", (f"1^T (2 (Ŷ − Y) ⊙ σ'(Z^{k}))" if rows else f"(2 (Ŷ − Y) ⊙ σ'(Z^{k})) 1"),
                     (lambda m, f=full: m["1"].T * f(m)) if rows else (lambda m, f=full: f(m) * m["1"]), "mean_missing"),
                    (f"O^{k}", "2 (Ŷ − Y)", lambda m: 2 * (m["Yh"] - m["Y"]), "mean_missing"),
                    (f"O^{k}", "\\frac{2}{m} (Ŷ − Y)", lambda m: sp.Rational(2, M) * (m["Yh"] - m["Y"]), None),
                ]
                out.append((f"Z^{k}", "\\frac{2}{m^2} (Ŷ − Y) ⊙ σ'(Z^%d)" % k if False else "\\frac{2}{m} \\frac{1}{m} (Ŷ − Y) ⊙ σ'(Z^%d)" % k,
                            lambda m, s=s: sp.Rational(2, M * M) * hd(m["Yh"] - m["Y"], m[s]), "mean_doubled"))
        # ∂L/∂O^(k-1) = δ^(k-1)
        if k > 1:
            target = f"O^{k - 1}"
            if rows:
                out += [
                    (target, f"dZ^{k} (W^{k})^T", lambda m, G=G, W=W: m[G] * m[W].T, None),
                    (target, rf"(\delta^{k} \odot f'(Z^{k})) W^{{{k}T}}", lambda m, d=d, s=s, W=W: hd(m[d], m[s]) * m[W].T, None),
                    (target, f"dZ^{k} W^{k}", lambda m, G=G, W=W: m[G] * m[W], "missing_transpose"),
                    (target, f"W^{k} (dZ^{k})^T", lambda m, G=G, W=W: m[W] * m[G].T, "extra_transpose"),
                    (target, f"(W^{k})^T dZ^{k}", lambda m, G=G, W=W: m[W].T * m[G], "wrong_order"),
                    (target, rf"dZ^{k} \odot (W^{k})^T", lambda m, G=G, W=W: hd(m[G], m[W].T), "hadamard_for_product"),
                    (target, f"δ^{k} (W^{k})^T", lambda m, d=d, W=W: m[d] * m[W].T, "activation_derivative"),
                ]
            else:
                out += [
                    (target, f"(W^{k})^T dZ^{k}", lambda m, G=G, W=W: m[W].T * m[G], None),
                    (target, rf"W^{{{k}T}} (\delta^{k} \odot f'(Z^{k}))", lambda m, d=d, s=s, W=W: m[W].T * hd(m[d], m[s]), None),
                    (target, f"W^{k} dZ^{k}", lambda m, G=G, W=W: m[W] * m[G], "missing_transpose"),
                    (target, f"(dZ^{k})^T W^{k}", lambda m, G=G, W=W: m[G].T * m[W], "extra_transpose"),
                    (target, f"dZ^{k} (W^{k})^T", lambda m, G=G, W=W: m[G] * m[W].T, "wrong_order"),
                    (target, rf"(W^{k})^T \odot dZ^{k}", lambda m, G=G, W=W: hd(m[W].T, m[G]), "hadamard_for_product"),
                    (target, f"(W^{k})^T δ^{k}", lambda m, d=d, W=W: m[W].T * m[d], "activation_derivative"),
                ]
            sign_form = f"-dZ^{k} (W^{k})^T" if rows else f"-(W^{k})^T dZ^{k}"
            out.append((target, sign_form, (lambda m, G=G, W=W: -(m[G] * m[W].T)) if rows else
                        (lambda m, G=G, W=W: -(m[W].T * m[G])), "sign"))
        # ∂L/∂b^k
        if spec.bias:
            one_sum = (lambda m, G=G: m["1"].T * m[G]) if rows else (lambda m, G=G: m[G] * m["1"])
            out += [
                (f"b^{k}", f"1^T dZ^{k}" if rows else f"dZ^{k} 1", one_sum, None),
                (f"b^{k}", rf"\sum_{{i=1}}^{{m}} dZ^{{{k}}}", one_sum, None),
                (f"b^{k}", rf"\mathbf{{1}}^\top (\delta^{k} \odot \sigma'(Z^{k}))" if rows else
                 rf"(\delta^{k} \odot \sigma'(Z^{k})) \mathbf{{1}}", one_sum, None),
                (f"b^{k}", f"dZ^{k}", lambda m, G=G: m[G], "bias_not_summed"),
                (f"b^{k}", rf"\delta^{k} \odot \sigma'(Z^{k})", lambda m, G=G: m[G], "bias_not_summed"),
                (f"b^{k}", f"1 dZ^{k}" if rows else f"dZ^{k} 1^T", (lambda m, G=G: m["1"] * m[G]) if rows else
                 (lambda m, G=G: m[G] * m["1"].T), "missing_transpose" if rows else "extra_transpose"),
                (f"b^{k}", (f"\\frac1m 1^T dZ^{k}" if rows else f"\\frac1m dZ^{k} 1"), lambda m, f=one_sum: f(m) / M,
                 "mean_doubled"),
                (f"b^{k}", (f"-1^T dZ^{k}" if rows else f"-dZ^{k} 1"), lambda m, f=one_sum: -f(m), "sign"),
            ]
    return out


def label(truth, layout, target, build):
    """correct, incorrect or invalid, from this test's own matrices: sympy raises on shapes that do not fit."""
    kind, k = target.split("^")
    want = truth.target(kind, int(k), layout)
    try:
        got = build(truth.matrices(layout))
    except sp.ShapeError:
        return "invalid"
    if kind == "b" and got.shape == want.T.shape:
        want = want.T
    if got.shape != want.shape:
        return "incorrect"
    scale = max(1, max(abs(float(v)) for v in want))
    return "correct" if all(abs(float(a - b)) < 1e-30 * scale for a, b in zip(got, want)) else "incorrect"


@pytest.fixture(scope="module")
def graded():
    rows = []
    for spec in (NOTES, BIASED):
        truth = Truth(spec)
        for layout in ("rows", "columns"):
            s = spec.replace(layout=layout)
            grader = MatrixGrader(s)
            for target, answer, build, mistake in catalogue(s, layout):
                result = grader.grade(target, answer)
                rows.append((s, target, answer, mistake, label(truth, layout, target, build), result))
    return rows


def test_the_catalogue_is_large_and_covers_every_mistake(graded):
    assert len(graded) >= 150
    mistakes = {m for *_, m, _, _ in graded if m}
    assert mistakes >= {"missing_transpose", "extra_transpose", "wrong_order", "hadamard_for_product",
                        "product_for_hadamard", "bias_not_summed", "mean_missing", "mean_doubled",
                        "activation_derivative", "sign", "factor"}
    assert {lab for *_, lab, _ in graded} == {"correct", "incorrect", "invalid"}


def test_no_false_acceptance_and_few_false_rejections(graded):
    accepted_wrongly = [(s, t, a, r.message) for s, t, a, _, lab, r in graded if lab != "correct" and r.verdict == "correct"]
    assert accepted_wrongly == []
    correct = [(s, t, a, r) for s, t, a, _, lab, r in graded if lab == "correct"]
    rejected = [(s.layout, t, a, r.verdict, r.message) for s, t, a, r in correct if r.verdict != "correct"]
    assert len(rejected) <= 0.02 * len(correct), rejected


def test_shape_errors_are_invalid(graded):
    shape_errors = [(t, a, r.verdict, r.message) for s, t, a, _, lab, r in graded if lab == "invalid"]
    assert shape_errors
    wrong = [e for e in shape_errors if e[2] != "invalid"]
    assert len(wrong) <= 0.05 * len(shape_errors), wrong
    for t, a, verdict, message in shape_errors:
        if verdict == "invalid":
            assert "cannot" in message and "×" in message        # both shapes named


def test_each_diagnosis_is_named(graded):
    by_code = {}
    for s, t, a, mistake, lab, r in graded:
        if mistake and lab != "correct":
            by_code.setdefault(mistake, []).append((s.layout, t, a, r.verdict, r.diagnosis))
    for code, items in by_code.items():
        hits = [i for i in items if code in i[4]]
        assert len(hits) >= 0.95 * len(items), (code, [i for i in items if code not in i[4]])


def test_grade_cli_reads_a_matrix_target(capsys):
    assert main(["grade", "--param", "W^2", "--answer", r"(O^{1})^T (\delta^{2} \odot \sigma'(Z^{2}))"]) == 0
    assert "read as:    (O¹)ᵀ (∂L/∂O² ⊙ σ′(Z²))" in capsys.readouterr().out
    assert main(["grade", "--param", "W^2", "--answer", "O^1 dZ^2", "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "invalid" and "m×3 (O¹)" in data["message"] and "m×2" in data["message"]
    # an unbracketed mix is read left to right, and the read-back brackets it
    assert main(["grade", "--net", "3-4-4-2", "--param", "O^1", "--answer", r"\delta^2 \odot f'(Z^2) W^{2T}"]) == 0
    assert "(∂L/∂O² ⊙ f′(Z²)) (W²)ᵀ" in capsys.readouterr().out
    assert main(["grade", "--param", "W^2", "--answer", "O^1 ++ W^2"]) == 2
    assert "position" in capsys.readouterr().out


def test_no_user_text_reaches_an_evaluator():
    grader = MatrixGrader(NOTES)
    for hostile in ["__import__('os').system('true')", "eval(W^2)", "W^2" * 500, "(" * 300 + "W^2" + ")" * 300,
                    r"\input{/etc/passwd}", "lambda: 1"]:
        assert grader.grade("W^2", hostile).verdict == "invalid"
