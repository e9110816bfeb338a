"""A catalogue of answers for the notes' 4-3-2-1 sigmoid network, written the way students write them (many
notations, decorations, phone Unicode, Leibniz forms, sums over an index) with the mistakes students make,
each labelled independently of the grader: its meaning is built here in sympy, and compared with
sympy.diff of the loss expanded in x, y and w (built here too, from the notes' equations).

The figures the goals ask for: no false acceptance; at most 2 % of the correct answers rejected; each single
mistake given its expected code in at least 95 % of the cases; no code on a correct answer.
"""
import random

import pytest
import sympy as sp

from gradproof.numeric.notation import Param
from gradproof.numeric.spec import Spec
from gradproof.symbolic.grade import Grader

NOTES = Spec()
LAYERS = (4, 3, 2, 1)

# ---- the network, written out here from the notes (not from gradproof's model) --------------------------
X = {i: sp.Symbol(f"x_{i}", real=True) for i in range(1, 5)}
Y = sp.Symbol("y_1", real=True)
W = {(k, i, j): sp.Symbol(f"w^{k}_{i}{j}", real=True)
     for k in (1, 2, 3) for i in range(1, LAYERS[k - 1] + 1) for j in range(1, LAYERS[k] + 1)}
sigma = lambda u: 1 / (1 + sp.exp(-u))
Z, O = {}, {(0, i): X[i] for i in X}
for k in (1, 2, 3):
    for j in range(1, LAYERS[k] + 1):
        Z[k, j] = sum(W[k, i, j] * O[k - 1, i] for i in range(1, LAYERS[k - 1] + 1))
        O[k, j] = sigma(Z[k, j])
LOSS = (Y - O[3, 1]) ** 2
SIGMA_PRIME = {kj: O[kj] * (1 - O[kj]) for kj in Z}
VARIABLES = [*X.values(), Y, *W.values()]


def truth(k, i, j):
    """dL/dw^k_ij by sympy.diff of the expanded loss: the label's reference."""
    return sp.diff(LOSS, W[k, i, j])


def local(top, bottom):
    """A Leibniz factor's meaning, differentiated here: dO_top/dO_bottom along one edge, or dO_top/dw."""
    o = {kj: sp.Symbol(f"o_{kj}") for kj in O}
    if isinstance(bottom, tuple) and len(bottom) == 3:               # a weight
        k, j = top
        z = sum(W[k, i, j] * o[k - 1, i] for i in range(1, LAYERS[k - 1] + 1))
        d = sp.diff(sigma(z), W[bottom])
    else:
        k, j = top
        z = sum(W[k, i, j] * o[k - 1, i] for i in range(1, LAYERS[k - 1] + 1))
        d = sp.diff(sigma(z), o[bottom])
    return d.xreplace({o[kj]: O[kj] for kj in O})


DL_DYHAT = -2 * (Y - O[3, 1])


# ---- how students write the pieces --------------------------------------------------------------------
class Style:
    """One student's habits: how they write O, w, sigma', dL/dyhat, products and the decoration around."""

    def __init__(self, o, w, prime, dl, times, wrap):
        self.o, self.w, self.prime, self.dl, self.times, self.wrap = o, w, prime, dl, times, wrap

    def O(self, k, j):
        if k == 0:
            return {"plain": f"x_{j}", "brace": f"x_{{{j}}}", "lower": f"x_{{{j}}}", "sigma": f"x_{j}",
                    "unicode": f"x_{j}"}[self.o]
        if k == 3 and self.o in ("plain", "unicode"):
            return r"\hat{y}" if self.o == "plain" else "ŷ"
        return {"plain": f"O_{{{k}{j}}}", "brace": f"O_{{{k}{j}}}", "lower": f"o_{{{k}{j}}}",
                "sigma": rf"\sigma(z_{{{k}{j}}})", "unicode": f"O_{{{k}{j}}}"}[self.o]

    def Wt(self, k, i, j):
        return {"up": f"w^{{{k}}}_{{{i}{j}}}", "paren": f"w_{{{i}{j}}}^{{({k})}}", "cap": f"W^{{{k}}}_{{{i}{j}}}",
                "short": f"w^{k}_{{{i}{j}}}"}[self.w]

    def sp(self, k, j):
        o = self.O(k, j)
        z = f"z_{{{k}{j}}}"
        return {"O": f"{o}(1-{o})", "sigma'": rf"\sigma'({z})", "f'": f"f'({z})", "dot": rf"\dot\sigma({z})",
                "prime": rf"\sigma^{{\prime}}({z})", "exp": rf"\frac{{e^{{-{z}}}}}{{(1+e^{{-{z}}})^2}}",
                "mathrm": rf"\frac{{\mathrm{{e}}^{{-{z}}}}}{{\left(1+\mathrm{{e}}^{{-{z}}}\right)^{{2}}}}",
                "unicode": f"σ′({z})"}[self.prime]

    def dL(self, sign=1, two=2):
        yhat = self.O(3, 1)
        minus = "−" if self.o == "unicode" else "-"
        if self.dl == "yhat-y":
            c = two * sign
            return (f"{c}({yhat} {minus} y)" if c != 1 else f"({yhat} {minus} y)"), c * (O[3, 1] - Y)
        c = -two * sign
        text = {2: "2", -2: f"{minus}2", 1: "", -1: minus, 4: "4", -4: f"{minus}4"}[c]
        return f"{text}(y {minus} {yhat})", c * (Y - O[3, 1])

    def join(self, parts):
        return self.times.join(parts)

    def wrapped(self, k, i, j, text):
        return {"none": text, "dollar": f"${text}$", "stop": f"{text}.", "boxed": rf"\boxed{{{text}}}",
                "lhs": rf"\frac{{\partial L}}{{\partial w^{{{k}}}_{{{i}{j}}}}} = {text}", "eq": f"= {text}",
                "display": rf"\[ {text} \]", "comma": f"{text},"}[self.wrap]


STYLES = [
    Style("plain", "up", "O", "y-yhat", " ", "none"),
    Style("brace", "paren", "sigma'", "yhat-y", r" \cdot ", "dollar"),
    Style("lower", "cap", "f'", "y-yhat", r" \times ", "stop"),
    Style("sigma", "short", "dot", "y-yhat", " ", "boxed"),
    Style("unicode", "up", "unicode", "y-yhat", "·", "lhs"),
    Style("plain", "paren", "prime", "yhat-y", " ", "eq"),
    Style("brace", "up", "exp", "y-yhat", r" \cdot ", "display"),
    Style("plain", "cap", "mathrm", "y-yhat", " ", "comma"),
]


# ---- answers: (param, text, meaning, the codes a tutor expects) ----------------------------------------
def closed(st, k, i, j, slip=None):
    """dL/dw^k_ij written out by the chain rule, optionally with one slip; (text, meaning, codes)."""
    slip = slip or {}
    sign, two = slip.get("sign", 1), slip.get("two", 2)
    dl_text, dl = st.dL(sign, two)
    codes = (["sign"] if sign == -1 else []) + (["factor"] if two != 2 else [])
    parts, value = [dl_text, st.sp(3, 1)], dl * SIGMA_PRIME[3, 1]
    if slip.get("act3"):
        parts[1], value = st.O(3, 1), dl * O[3, 1]
        codes.append("activation_derivative")
    if k == 3:
        src = slip.get("output", (2, i))
        parts.append(st.O(*src))
        value *= O[src]
        codes += ["wrong_index"] if src != (2, i) else []
    elif k == 2:
        wk = slip.get("weight", (3, j, 1))
        parts.append(st.Wt(*wk))
        value *= W[wk]
        if slip.get("act2"):
            parts.append(st.O(2, j))
            value *= O[2, j]
            codes.append("activation_derivative")
        else:
            parts.append(st.sp(2, j))
            value *= SIGMA_PRIME[2, j]
        src = slip.get("output", (1, i))
        parts.append(st.O(*src))
        value *= O[src]
        codes += ["wrong_index"] if (wk != (3, j, 1) or src != (1, i)) else []
    else:
        terms, total = [], 0
        paths = slip.get("paths", (1, 2))
        for m in paths:
            w2 = slip.get("swap", {}).get(m, (2, j, m))
            terms.append(st.join([st.Wt(3, m, 1), st.sp(2, m), st.Wt(*w2)]))
            total += W[3, m, 1] * SIGMA_PRIME[2, m] * W[w2]
        if slip.get("sum") and len(paths) == 2 and not slip.get("swap"):
            bracket = (rf"\sum_{{m=1}}^{{2}} {st.Wt(3, 'm', 1)}{st.times}{st.sp(2, 'm')}{st.times}{st.Wt(2, j, 'm')}"
                       if st.prime not in ("exp", "mathrm") else None)
            bracket = rf"\left({bracket}\right)" if bracket else rf"\left[{' + '.join(terms)}\right]"
        else:
            bracket = rf"\left[{' + '.join(terms)}\right]" if len(terms) > 1 else terms[0]
            if len(terms) == 1:
                bracket = f"({bracket})" if st.times == " " else bracket
        parts.append(bracket)
        value *= total
        if slip.get("act1"):
            parts.append(st.O(1, j))
            value *= O[1, j]
            codes.append("activation_derivative")
        else:
            parts.append(st.sp(1, j))
            value *= SIGMA_PRIME[1, j]
        src = slip.get("output", (0, i))
        parts.append(st.O(*src))
        value *= O[src]
        codes += ["missing_path"] if len(paths) < 2 else []
        codes += ["wrong_index"] if (slip.get("swap") or src != (0, i)) else []
    return st.wrapped(k, i, j, st.join(parts)), value, sorted(set(codes))


def leibniz(k, i, j, wrong_neuron=None, plus=False, d="partial"):
    """The Leibniz form of dL/dw^k_ij (k = 2, 3), as the notes write it; optionally one factor with a wrong neuron,
    or a '+' where the chain multiplies."""
    frac = (lambda a, b: rf"\frac{{\partial {a}}}{{\partial {b}}}") if d == "partial" else \
        (lambda a, b: rf"\frac{{d{a}}}{{d{b}}}") if d == "d" else (lambda a, b: f"∂{a}/∂{b}")
    w = f"w^{{{k}}}_{{{i}{j}}}"
    dl = sp.diff((Y - sp.Symbol("o")) ** 2, sp.Symbol("o")).xreplace({sp.Symbol("o"): O[3, 1]})
    if k == 3:
        parts = [frac("L", "O_{31}"), frac("O_{31}", w)]
        value = [dl, local((3, 1), (3, i, j))]
    else:
        middle = wrong_neuron or j
        parts = [frac("L", "O_{31}"), frac("O_{31}", f"O_{{2{middle}}}"), frac(f"O_{{2{j}}}", w)]
        value = [dl, local((3, 1), (2, middle)), local((2, j), (2, i, j))]
    if plus:
        return " + ".join([parts[0], " ".join(parts[1:])]), value[0] + sp.Mul(*value[1:]), ["sum_for_product"]
    return " ".join(parts), sp.Mul(*value), (["wrong_index"] if wrong_neuron else [])


def catalogue():
    rng = random.Random(13)
    rows = []
    weights = sorted(W)
    for n, (k, i, j) in enumerate(weights):
        param = str(Param.weight(k, i, j))
        styles = STYLES[n % 8:] + STYLES[:n % 8]
        for st in styles[:8]:
            rows.append((param, *closed(st, k, i, j, {"sum": k == 1 and rng.random() < 0.5})))
        st = STYLES[n % len(STYLES)]
        other = STYLES[(n + 3) % len(STYLES)]
        rows.append((param, *closed(st, k, i, j, {"sign": -1})))
        rows.append((param, *closed(other, k, i, j, {"two": 1})))
        rows.append((param, *closed(st, k, i, j, {"act3": True})))
        if k == 3:
            rows.append((param, *closed(other, k, i, j, {"output": (1, i)})))             # the wrong layer's output
            rows.append((param, *closed(st, k, i, j, {"output": (2, 3 - i)})))            # a neighbouring neuron
            rows += [(param, *leibniz(k, i, j)), (param, *leibniz(k, i, j, d="d")), (param, *leibniz(k, i, j, d="u")),
                     (param, *leibniz(k, i, j, plus=True))]
        elif k == 2:
            rows.append((param, *closed(other, k, i, j, {"act2": True})))
            rows.append((param, *closed(st, k, i, j, {"weight": (2, j, 1)})))            # the wrong layer's weight
            if i <= 2:
                rows.append((param, *closed(other, k, i, j, {"output": (2, i)})))         # the wrong layer's output
            rows += [(param, *leibniz(k, i, j)), (param, *leibniz(k, i, j, d="d")),
                     (param, *leibniz(k, i, j, wrong_neuron=3 - j)), (param, *leibniz(k, i, j, plus=True))]
        else:
            rows.append((param, *closed(other, k, i, j, {"act1": True})))
            rows.append((param, *closed(st, k, i, j, {"paths": (1 + n % 2,)})))           # a path left out
            if j <= 2:
                m = 2 if j == 1 else 1
                rows.append((param, *closed(other, k, i, j, {"swap": {m: (2, m, j)}})))  # w^2_jm for w^2_mj
            if i <= 3:
                rows.append((param, *closed(st, k, i, j, {"output": (1, i)})))            # O_1i for x_i
        # another parameter's exact gradient
        ok, oi, oj = weights[(n + 7) % len(weights)]
        text, value, _ = closed(STYLES[n % 4], ok, oi, oj)               # a style without a left side
        rows.append((param, text, value, ["wrong_index"]))
        # two mistakes at once
        rows.append((param, *closed(other, k, i, j, {"sign": -1, "act3": True})))
    return rows


def label(rows):
    """Each row's truth: whether its meaning equals sympy.diff of the expanded loss at random points."""
    rng = random.Random(7)
    # 30-digit values at which sympy evaluates the expressions as it substitutes (exact rationals would make
    # every exp an exact number and take minutes)
    points = [{v: sp.Float(sp.Rational(rng.randint(-90, 90), 60), 30) for v in VARIABLES} for _ in range(3)]
    cache, out = {}, []
    for param, text, value, codes in rows:
        p = Param.weight(*_parse(param))
        if param not in cache:
            cache[param] = [truth(p.layer, p.i, p.j).xreplace(pt) for pt in points]
        got = [value.xreplace(pt) for pt in points]
        equal = all(abs(g - e) <= 1e-18 * max(1, abs(e)) for g, e in zip(got, cache[param]))
        out.append((param, text, equal, codes))
    return out


def _parse(param):
    k, ij = param[2:].split("_")
    return int(k), int(ij[0]), int(ij[1])


# ---- numbers at a POINT: the gradient's value written as students write numbers --------------------------
def the_point():
    """A POINT of the notes' network (one sample), and the same values as sympy substitutions."""
    import numpy as np

    from gradproof.numeric.point import Point
    rng = random.Random(11)
    x = [rng.choice([-1, 1]) * rng.randint(2, 9) / 4 for _ in range(4)]
    Wm = [np.array([[rng.randint(-8, 8) / 8 for _ in range(LAYERS[k])] for _ in range(LAYERS[k - 1])]) for k in (1, 2, 3)]
    point = Point(np.array([x]), np.array([[0.75]]), Wm)
    subs = {X[i]: sp.Float(x[i - 1], 30) for i in X}
    subs[Y] = sp.Float(0.75, 30)
    subs.update({W[k, i, j]: sp.Float(Wm[k - 1][i - 1, j - 1], 30) for (k, i, j) in W})
    return point, subs


def numbers(subs):
    """(param, text, value, codes): the value to 6 figures in several spellings, rounded to 2 figures, negated."""
    rows = []
    for n, (k, i, j) in enumerate(sorted(W)):
        param = str(Param.weight(k, i, j))
        v = float(truth(k, i, j).xreplace(subs))
        mantissa, exponent = f"{v:.5e}".split("e")
        spellings = [f"{v:.6g}", f"{v:.5e}", f"{v:.5E}", rf"{mantissa} \times 10^{{{int(exponent)}}}",
                     rf"\approx {v:.6g}", f"{mantissa} · 10^{{{int(exponent)}}}."]
        rows.append((param, spellings[n % len(spellings)], v, []))
        if abs(float(f"{v:.2g}") - v) > 1e-3 * abs(v):                   # 2 figures that are not already enough
            rows.append((param, f"{v:.2g}", float(f"{v:.2g}"), ["rounding"]))
        rows.append((param, f"{-v:.6g}", -v, ["sign"]))
    return rows


@pytest.fixture(scope="module")
def graded():
    grader = Grader(NOTES)
    rows = label(catalogue())
    out = [(param, text, correct, codes, grader.grade(param, text)) for param, text, correct, codes in rows]
    point, subs = the_point()
    for param, text, value, codes in numbers(subs):
        p = Param.weight(*_parse(param))
        reference = float(truth(p.layer, p.i, p.j).xreplace(subs))
        correct = abs(value - reference) <= 1e-3 * abs(reference)            # the grader's tolerance, --rtol 1e-3
        out.append((param, text, correct, codes, grader.grade(param, text, at=point)))
    return out


def test_the_catalogue_is_large_and_mixed(graded, capsys):
    with capsys.disabled():
        print("\n" + figures(graded))
    assert len(graded) >= 300
    assert sum(1 for g in graded if g[2]) >= 150
    # every expected code occurs, and the labels agree with the intent: a written slip is never the derivative
    assert {c for g in graded for c in g[3]} >= {"sign", "factor", "activation_derivative", "missing_path",
                                                  "wrong_index", "sum_for_product", "rounding"}
    assert all(g[2] == (not g[3]) for g in graded), [g[:2] for g in graded if g[2] == bool(g[3])]


def test_no_false_acceptance(graded):
    accepted = [(p, t) for p, t, correct, _, r in graded if not correct and r.verdict == "correct"]
    assert accepted == []


def test_correct_answers_are_accepted(graded):
    correct = [g for g in graded if g[2]]
    rejected = [(p, t, r.verdict, r.message) for p, t, _, _, r in correct if r.verdict != "correct"]
    assert len(rejected) <= 0.02 * len(correct), rejected
    assert all(r.diagnosis == [] for _, _, _, _, r in correct)


def test_each_mistake_gets_its_code(graded):
    by_code = {}
    for param, text, correct, codes, r in graded:
        if len(codes) == 1:
            by_code.setdefault(codes[0], []).append((sorted(r.diagnosis) == codes, param, text, r.diagnosis))
    for code, cases in by_code.items():
        hits = sum(ok for ok, *_ in cases)
        assert hits >= 0.95 * len(cases), (code, hits, len(cases), [c[1:] for c in cases if not c[0]])


def test_two_mistakes_get_both_codes(graded):
    pairs = [(sorted(r.diagnosis) == codes, param, text, r.diagnosis)
             for param, text, correct, codes, r in graded if len(codes) == 2]
    assert pairs and sum(ok for ok, *_ in pairs) >= 0.9 * len(pairs), [p for p in pairs if not p[0]]


def figures(graded):
    """The catalogue's figures, for the report (python -m pytest -s prints them)."""
    correct = [g for g in graded if g[2]]
    lines = [f"{len(graded)} answers: {len(correct)} correct, {len(graded) - len(correct)} with mistakes",
             f"false acceptances: {sum(1 for g in graded if not g[2] and g[4].verdict == 'correct')}",
             f"correct rejected: {sum(1 for g in correct if g[4].verdict != 'correct')} of {len(correct)}"]
    keyed = sorted({tuple(g[3]) for g in graded if g[3]})
    for codes in keyed:
        cases = [g for g in graded if tuple(g[3]) == codes]
        lines.append(f"{'+'.join(codes)}: {sum(sorted(g[4].diagnosis) == list(codes) for g in cases)} of {len(cases)}")
    return "\n".join(lines)
