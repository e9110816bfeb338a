"""A catalogue of answers in the voices students type in: the platforms' LaTeX widgets (MathQuill, MathLive,
Word, Desmos), Python and Maxima (PrairieLearn's symbolic input, STACK, Jupyter), AsciiMath (Canvas's editor),
UnicodeMath (Word's linear format) and phone text, on the notes' 4-3-2-1 sigmoid network and on a 2-2-1
network with a tanh layer and an L2 penalty, with the mistakes students make. Each answer is labelled independently of the grader: its meaning is built here in sympy and
compared with sympy.diff of the loss expanded in x, y and w (built here too, from the notes' equations).

The goals: no false acceptance; at most 2 % of the correct answers rejected overall and 5 % in any voice; the
expected diagnosis for at least 97 % of the answers with a mistake.
"""
import random

import numpy as np
import pytest
import sympy as sp

from gradproof.numeric.notation import Param
from gradproof.numeric.point import Point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.grade import Grader

LAYERS = (4, 3, 2, 1)
X = {i: sp.Symbol(f"x_{i}", real=True) for i in range(1, 5)}
Y = sp.Symbol("y_1", real=True)
W = {(k, i, j): sp.Symbol(f"w^{k}_{i}{j}", real=True)
     for k in (1, 2, 3) for i in range(1, LAYERS[k - 1] + 1) for j in range(1, LAYERS[k] + 1)}
Z, O = {}, {(0, i): X[i] for i in X}
for k in (1, 2, 3):
    for j in range(1, LAYERS[k] + 1):
        Z[k, j] = sum(W[k, i, j] * O[k - 1, i] for i in range(1, LAYERS[k - 1] + 1))
        O[k, j] = 1 / (1 + sp.exp(-Z[k, j]))
LOSS = (Y - O[3, 1]) ** 2
VARIABLES = [*X.values(), Y, *W.values()]


# ---- the voices: how each writes the pieces -------------------------------------------------------------
class Voice:
    """One way of typing: names, products, brackets, sigma', e^u, fractions, Leibniz partials, numbers.
    ``style`` (0, 1, 2) picks among the habits of the voice's several sources."""

    name = ""

    def __init__(self, style, top=3):
        self.style, self.top = style, top          # top: the output layer, whose O_top1 is ŷ


class Widgets(Voice):
    """LaTeX as MathQuill (0), MathLive (1) and Word (2) emit it; Desmos writes like MathQuill."""

    name = "latex"

    def O(self, k, j):
        if k == 0:
            return f"x_{{{j}}}"
        if k == self.top:
            return [r"\hat{y}", r"\hat{y}", r"{\hat{y}}"][self.style]
        return [f"O_{{{k}{j}}}", f"O_{{{k}{j}}}", f"{{O}}_{{{k}{j}}}"][self.style]

    def w(self, k, i, j):
        return [rf"w_{{{i}{j}}}^{{\left({k}\right)}}", f"w_{{{i}{j}}}^{{({k})}}", f"{{w}}_{{{i}{j}}}^{{{k}}}"][self.style]

    y = "y"
    minus = "-"

    def z(self, k, j):
        return f"z_{{{k}{j}}}"

    def paren(self, t):
        return [rf"\left({t}\right)", rf"\mleft({t}\mright)", rf"\left({t}\right)"][self.style]

    def times(self, parts):
        return [r"\cdot ", r"\times ", r"\,"][self.style].join(parts)

    def prime(self, z):
        return [rf"\sigma'\left({z}\right)", rf"\sigma^{{\prime}}\mleft({z}\mright)", rf"\sigma^\prime\left({z}\right)"][self.style]

    def exp(self, u):
        return [f"e^{{{u}}}", rf"\exponentialE^{{{u}}}", f"e^{{{u}}}"][self.style]

    def frac(self, a, b):
        return rf"\frac{{{a}}}{{{b}}}"

    def tanh_prime(self, z):
        return [rf"\left(1-\tanh^{{2}}\left({z}\right)\right)", rf"\operatorname{{sech}}^2\mleft({z}\mright)",
                rf"\left(1-\tanh^2{z}\right)"][self.style]

    def tanh(self, z):
        return rf"\tanh\left({z}\right)"

    lam = r"\lambda "

    def square(self, t):
        return f"{t}^{{2}}"

    def partial(self, a, b):
        return rf"\frac{{\partial {a}}}{{\partial {b}}}"

    def number(self, v):
        mantissa, exponent = f"{v:.4e}".split("e")
        return [rf"{mantissa}\cdot 10^{{{int(exponent)}}}", rf"{mantissa}\times10^{{{int(exponent)}}}",
                f"{v:.6g}"][self.style]


class Python(Voice):
    """PrairieLearn's symbolic input and Jupyter (0, 1), STACK's Maxima (2)."""

    name = "python"
    y = "y"
    minus = "-"

    def O(self, k, j):
        if k == 0:
            return [f"x{j}", f"x_{j}", f"x{j}"][self.style]
        if k == self.top and self.style == 1:
            return "yhat"
        return [f"O{k}{j}", f"O_{k}{j}", f"O{k}{j}"][self.style]

    def w(self, k, i, j):
        return [f"w{k}_{i}{j}", f"w^{k}_{i}{j}", f"w{k}{i}{j}"][self.style]

    def z(self, k, j):
        return [f"z{k}{j}", f"z_{k}{j}", f"z{k}{j}"][self.style]

    def paren(self, t):
        return f"({t})"

    def times(self, parts):
        return "*".join(parts)

    def prime(self, z):
        return f"sigma({z})*(1-sigma({z}))" if self.style != 1 else f"sigmoid({z})*(1 - sigmoid({z}))"

    def exp(self, u):
        return [f"exp({u})", f"np.exp({u})", f"%e^({u})"][self.style]

    def frac(self, a, b):
        return f"{a}/{b}"

    def square(self, t):
        return f"{t}**2" if self.style != 2 else f"{t}^2"

    def tanh_prime(self, z):
        return [f"(1-tanh({z})**2)", f"(1 - np.tanh({z})**2)", f"(1-tanh({z})^2)"][self.style]

    def tanh(self, z):
        return f"tanh({z})"

    @property
    def lam(self):
        return ["lambda", "lam", "lambda"][self.style]

    def partial(self, a, b):
        return None

    def number(self, v):
        return [f"{v:.5e}", f"{v:.5E}".replace("E-0", "E-"), f"{v:.6g}"][self.style]


class AsciiMath(Voice):
    """AsciiMath as Canvas's equation editor and MathJax's input write it."""

    name = "asciimath"
    y = "y"
    minus = "-"

    def O(self, k, j):
        if k == 0:
            return f"x_({j})" if self.style != 2 else f"x_{j}"
        if k == self.top and self.style == 1:
            return "hat y"
        return f"O_({k}{j})" if self.style != 2 else f"O_{k}{j}"

    def w(self, k, i, j):
        return [f"w_({i}{j})^({k})", f"w^({k})_({i}{j})", f"w_{i}{j}^{k}"][self.style]

    def z(self, k, j):
        return f"z_({k}{j})" if self.style != 2 else f"z_{k}{j}"

    def paren(self, t):
        return f"({t})"

    def times(self, parts):
        return [" ", " xx ", "*"][self.style].join(parts)

    def prime(self, z):
        return f"sigma'({z})"

    def exp(self, u):
        return f"e^({u})"

    def frac(self, a, b):
        return f"({a})/({b})"

    def square(self, t):
        return f"{t}^2"

    def partial(self, a, b):
        return f"(del {a})/(del {b})" if self.style != 2 else f"(partial {a})/(partial {b})"

    def tanh_prime(self, z):
        return [f"(1-tanh^2({z}))", f"(1 - tanh({z})^2)", f"sech^2({z})"][self.style]

    def tanh(self, z):
        return f"tanh({z})"

    lam = "lambda"

    def number(self, v):
        mantissa, exponent = f"{v:.4e}".split("e")
        return [f"{mantissa} xx 10^({int(exponent)})", f"{v:.6g}", f"{mantissa}*10^({int(exponent)})"][self.style]


class UnicodeMath(Voice):
    """Word's linear format, as typed (0), as copied with math italic letters (1), with 〖 〗 and U+2061 (2)."""

    name = "unicodemath"
    minus = "−"

    @property
    def y(self):
        return "𝑦" if self.style == 1 else "y"

    def _it(self, t):
        table = {"O": "𝑂", "w": "𝑤", "x": "𝑥", "z": "𝑧", "e": "𝑒", "L": "𝐿"}
        return "".join(table.get(c, c) for c in t) if self.style == 1 else t

    def O(self, k, j):
        if k == 0:
            return self._it(f"x_{j}")
        if k == self.top and self.style != 1:
            return "ŷ"
        return self._it(f"O_{k}{j}")

    def w(self, k, i, j):
        return self._it(f"w_{i}{j}^{k}")

    def z(self, k, j):
        return self._it(f"z_{k}{j}")

    def paren(self, t):
        return f"({t})"

    def times(self, parts):
        return ["⋅", " ", "\u2062"][self.style].join(parts)

    def prime(self, z):
        return [f"σ^′ ({z})", f"𝜎′({z})", f"〖σ〗^′\u2061({z})"][self.style]

    def exp(self, u):
        return [f"e^({u})", f"𝑒^({u})", f"e^〖{u}〗"][self.style]

    def frac(self, a, b):
        return f"({a})/({b})"

    def square(self, t):
        return f"{t}^2"

    def partial(self, a, b):
        return [f"∂{a}/∂{b}", f"(∂{self._it(a)})/(∂{self._it(b)})", f"(∂{a})/(∂{b})"][self.style]

    def tanh_prime(self, z):
        return [f"(1−tanh^2⁡({z}))", f"(1−tanh^2 {z})", f"〖sech〗^2\u2061({z})"][self.style]

    def tanh(self, z):
        return f"tanh\u2061({z})"

    @property
    def lam(self):
        return "𝜆" if self.style == 1 else "λ"

    def number(self, v):
        mantissa, exponent = f"{v:.4e}".split("e")
        return [f"{mantissa}⋅10^({int(exponent)})".replace("-", "−"), f"{v:.6g}".replace("-", "−"),
                f"{mantissa}×10^{int(exponent)}".replace("-", "−")][self.style]


SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class Phone(Voice):
    """Text typed on a phone: Unicode scripts, en dashes and minus signs, no-break spaces, decimal commas."""

    name = "phone"
    y = "y"

    @property
    def minus(self):
        return ["–", "−", "-"][self.style]

    def O(self, k, j):
        if k == 0:
            return f"x{j}".translate(SUB).replace("x", "x")
        if k == self.top:
            return "ŷ"
        return "O" + f"{k}{j}".translate(SUB)

    def w(self, k, i, j):
        return "w" + str(k).translate(SUP) + f"{i}{j}".translate(SUB)

    def z(self, k, j):
        return "z" + f"{k}{j}".translate(SUB)

    def paren(self, t):
        return f"({t})"

    def times(self, parts):
        return ["·", "\u00a0", " × "][self.style].join(parts)

    def prime(self, z):
        return f"σ′({z})"

    def exp(self, u):
        return f"e^({u})"

    def frac(self, a, b):
        return f"{a}/{b}"

    def square(self, t):
        return f"{t}²"

    def tanh_prime(self, z):
        return [f"(1{self.minus}tanh²({z}))", f"(1{self.minus}tanh({z})²)", f"sech²({z})"][self.style]

    def tanh(self, z):
        return f"tanh({z})"

    lam = "λ"

    def partial(self, a, b):
        return None

    def number(self, v):
        mantissa, exponent = f"{v:.4e}".split("e")
        minus = self.minus
        return [f"{mantissa}·10{str(int(exponent)).translate(SUP)}".replace("-", minus),
                f"{v:.5E}".replace("-", minus), f"{v:.6g}".replace(".", ",").replace("-", minus)][self.style]


VOICES = (Widgets, Python, AsciiMath, UnicodeMath, Phone)


# ---- answers: (param, text, meaning, codes) ------------------------------------------------------------
def sigma_prime(v, k, j, form):
    """(text, meaning) of sigma'(z_kj): in O, as sigma', or as e^-z/(1+e^-z)^2."""
    o, z = v.O(k, j), v.z(k, j)
    if form == "O":
        return v.times([o, v.paren(f"1{v.minus}{o}")]), O[k, j] * (1 - O[k, j])
    if form == "prime":
        return v.prime(z), O[k, j] * (1 - O[k, j])
    e = v.exp(f"{v.minus}{z}")
    return v.frac(e, v.square(v.paren(f"1+{e}"))), sp.exp(-Z[k, j]) / (1 + sp.exp(-Z[k, j])) ** 2


def closed(v, k, i, j, form="O", slip=None):
    """dL/dw^k_ij by the chain rule in voice v, optionally with one slip: (text, meaning, codes)."""
    slip = slip or ""
    yhat, m = v.O(3, 1), v.minus
    if slip == "sign":
        first, value = v.times(["2", v.paren(f"{v.y}{m}{yhat}")]), 2 * (Y - O[3, 1])
    elif slip == "factor":
        first, value = v.paren(f"{yhat}{m}{v.y}"), O[3, 1] - Y
    elif v.style == 1:
        first, value = v.times([f"{m}2", v.paren(f"{v.y}{m}{yhat}")]), -2 * (Y - O[3, 1])
    else:
        first, value = v.times(["2", v.paren(f"{yhat}{m}{v.y}")]), 2 * (O[3, 1] - Y)
    parts, values = [first], [value]
    if slip == "act":
        parts.append(yhat)
        values.append(O[3, 1])
    else:
        t, val = sigma_prime(v, 3, 1, form)
        parts.append(t)
        values.append(val)
    if k == 3:
        src = (2, 3 - i) if slip == "index" else (2, i)
        parts.append(v.O(*src))
        values.append(O[src])
    elif k == 2:
        t, val = sigma_prime(v, 2, j, "O" if form == "exp" else form)
        src = (1, i % 3 + 1) if slip == "index" else (1, i)
        parts += [v.w(3, j, 1), t, v.O(*src)]
        values += [W[3, j, 1], val, O[src]]
    else:
        paths = (1 + (i + j) % 2,) if slip == "path" else (1, 2)
        terms, total = [], 0
        for n in paths:
            t, val = sigma_prime(v, 2, n, "O" if form == "exp" else form)
            terms.append(v.times([v.w(3, n, 1), t, v.w(2, j, n)]))
            total += W[3, n, 1] * val * W[2, j, n]
        bracket = v.paren(" + ".join(terms)) if len(terms) > 1 else terms[0]
        t, val = sigma_prime(v, 1, j, "O" if form == "exp" else form)
        src = (0, i % 4 + 1) if slip == "index" else (0, i)
        parts += [bracket, t, v.O(*src)]
        values += [total, val, O[src]]
    if slip == "plus":
        text = v.times(parts[:-1]) + " + " + parts[-1]
        meaning = sp.Mul(*values[:-1]) + values[-1]
    else:
        text, meaning = v.times(parts), sp.Mul(*values)
    codes = {"sign": ["sign"], "factor": ["factor"], "act": ["activation_derivative"], "index": ["wrong_index"],
             "plus": ["sum_for_product"], "path": ["missing_path"]}.get(slip, [])
    return text, meaning, codes


def leibniz(v, k, i, j):
    """The Leibniz form of dL/dw^k_ij (k = 2, 3) in voice v, or None where the voice has no partials."""
    w = v.w(k, i, j)
    dl = 2 * (O[3, 1] - Y)
    if k == 3:
        factors = [v.partial("L", v.O(3, 1)), v.partial(v.O(3, 1), w)]
        if None in factors:
            return None
        return v.times(factors), dl * O[3, 1] * (1 - O[3, 1]) * O[2, i], []
    factors = [v.partial("L", v.O(3, 1)), v.partial(v.O(3, 1), v.O(2, j)), v.partial(v.O(2, j), w)]
    if None in factors:
        return None
    meaning = dl * O[3, 1] * (1 - O[3, 1]) * W[3, j, 1] * O[2, j] * (1 - O[2, j]) * O[1, i]
    return v.times(factors), meaning, []


PARAMS = [(3, 1, 1), (3, 2, 1), (2, 1, 1), (2, 3, 2), (1, 1, 1), (1, 4, 3), (1, 2, 2)]
SLIPS = ["sign", "factor", "act", "index", "plus", "path"]


def catalogue():
    """(voice, param, text, meaning, codes, at) rows: per voice, per parameter, correct answers in three forms
    and styles, one slip of each kind and a Leibniz form; numbers at a POINT."""
    rows = []
    for voice in VOICES:
        for n, (k, i, j) in enumerate(PARAMS):
            param = str(Param.weight(k, i, j))
            for style, form in ((0, "O"), (1, "prime"), (2, "exp"), ((n + 1) % 3, "O")):
                rows.append((voice.name, param, *closed(voice(style), k, i, j, form), None))
            for m, slip in enumerate(SLIPS):
                if slip == "path" and k != 1:
                    continue
                rows.append((voice.name, param, *closed(voice((n + m) % 3), k, i, j, ("O", "prime")[m % 2], slip), None))
            if k > 1:
                form = leibniz(voice(n % 3), k, i, j)
                if form:
                    rows.append((voice.name, param, *form, None))
    return rows


# Answers typed by hand, messier than the writers above make them, each with its meaning written out here.
S = {kj: O[kj] * (1 - O[kj]) for kj in Z}                        # sigma'(z_kj) in O
E = {kj: sp.exp(-Z[kj]) / (1 + sp.exp(-Z[kj])) ** 2 for kj in Z}  # sigma'(z_kj) in e^-z
DL = 2 * (O[3, 1] - Y)
HAND = [
    ("latex", "w^3_11", r"2\left(\hat{y}-y\right)\sigma\left(z_{31}\right)\left(1-\sigma\left(z_{31}\right)\right)O_{21}",
     DL * S[3, 1] * O[2, 1], []),
    ("latex", "w^3_21", r"2\left(\hat{y}-y\right)\cdot \sigma '\left(z_{31}\right)\cdot O_{22}", DL * S[3, 1] * O[2, 2], []),
    ("latex", "w^3_11", r"2\mleft(y-\hat{y}\mright)\hat{y}\mleft(1-\hat{y}\mright)O_{21}", -DL * S[3, 1] * O[2, 1], ["sign"]),
    ("latex", "w^2_11", r"{w}_{11}^{3}\,2\left({\hat{y}}-y\right){\hat{y}}\left(1-{\hat{y}}\right){O}_{21}\left(1-{O}_{21}\right){O}_{11}",
     DL * S[3, 1] * W[3, 1, 1] * S[2, 1] * O[1, 1], []),
    ("latex", "w^3_11", r"2(\hat{y}-y)\frac{\exponentialE^{-z_{31}}}{(1+\exponentialE^{-z_{31}})^2}+O_{21}",
     DL * E[3, 1] + O[2, 1], ["sum_for_product"]),
    ("latex", "w^2_12", r"2\left(\hat{y}-y\right)\hat{y}\left(1-\hat{y}\right)w_{21}^{\left(3\right)}O_{22}\left(1-O_{22}\right)O_{11}",
     DL * S[3, 1] * W[3, 2, 1] * S[2, 2] * O[1, 1], []),
    ("latex", "w^3_11", r"2\left(\hat{y}-y\right)\hat{y}O_{21}", DL * O[3, 1] * O[2, 1], ["activation_derivative"]),
    ("latex", "w^3_11", r"\frac{\partial L}{\partial \hat{y}}\frac{\partial \hat{y}}{\partial w_{11}^{\left(3\right)}}",
     DL * S[3, 1] * O[2, 1], []),
    ("python", "w^3_11", "2 (O31 - y) * O31 (1 - O31) * O21", DL * S[3, 1] * O[2, 1], []),
    ("python", "w^3_11", "2*(sigma(z31)-y)*sigma(z31)*(1-sigma(z31))*sigma(z21)", DL * S[3, 1] * O[2, 1], []),
    ("python", "w^3_11", "2.0*(O31-y)*O31*(1.0-O31)*O21;", DL * S[3, 1] * O[2, 1], []),
    ("python", "w^3_11", "(2*(O31-y))*(O31*(1-O31))*(O21)", DL * S[3, 1] * O[2, 1], []),
    ("python", "w^3_11", "2*(O_31-y_1)*O_31*(1-O_31)*O_31", DL * S[3, 1] * O[3, 1], ["wrong_index"]),
    ("python", "w^2_11", "2*(yhat-y)*yhat*(1-yhat)*w311*O21*(1-O21)*O11", DL * S[3, 1] * W[3, 1, 1] * S[2, 1] * O[1, 1], []),
    ("python", "w^3_11", "2*(O31-y)*np.exp(-z31)/(1+np.exp(-z31))**2*O21", DL * E[3, 1] * O[2, 1], []),
    ("python", "w^3_11", "4*(O31-y)*O31*(1-O31)*O21", 2 * DL * S[3, 1] * O[2, 1], ["factor"]),
    ("python", "w^3_11", "2*(O[3,1]-y)*O[3,1]*(1-O[3,1])*O[2,1]", DL * S[3, 1] * O[2, 1], []),
    ("python", "w^3_11", "2*(a31-y)*dsigmoid(z31)*a21", DL * S[3, 1] * O[2, 1], []),
    ("latex", "w^3_11", r"2\left(a^{[3]}_1-y\right)g'\left(z^{[3]}_1\right)a^{[2]}_1", DL * S[3, 1] * O[2, 1], []),
    ("latex", "w^3_11", r"2\left(a^{[3]}_1-y\right)g'\left(z^{[3]}_1\right)a^{[2]}_2", DL * S[3, 1] * O[2, 2], ["wrong_index"]),
    ("python", "w^2_11", "2*(O[3][1]-y[1])*O[3][1]*(1-O[3][1])*w[3][1][1]*O[2][1]*(1-O[2][1])*O[1][1]",
     DL * S[3, 1] * W[3, 1, 1] * S[2, 1] * O[1, 1], []),
    ("asciimath", "w^3_11", "2(hat(y)-y)hat(y)(1-hat(y))O_(21)", DL * S[3, 1] * O[2, 1], []),
    ("asciimath", "w^3_11", "(del L)/(del hat y) * (del hat y)/(del w_(11)^(3))", DL * S[3, 1] * O[2, 1], []),
    ("asciimath", "w^3_21", "2(O_(31)-y) (e^(-z_(31)))/((1+e^(-z_(31)))^2) O_(22)", DL * E[3, 1] * O[2, 2], []),
    ("asciimath", "w^3_21", "2(O_(31)-y) (e^(-z_(31)))/((1+e^(-z_(31)))^2) O_(21)", DL * E[3, 1] * O[2, 1], ["wrong_index"]),
    ("asciimath", "w^2_21", "2(y-O_(31))sigma'(z_(31))w_(11)^(3)sigma'(z_(21))O_(12)",
     -DL * S[3, 1] * W[3, 1, 1] * S[2, 1] * O[1, 2], ["sign"]),
    ("asciimath", "w^3_11", "2 xx (O_(31) - y) xx O_(31) xx (1 - O_(31)) xx O_(21)", DL * S[3, 1] * O[2, 1], []),
    ("asciimath", "w^3_11", "2(O_31-y)O_31(1-O_31)+O_21", DL * S[3, 1] + O[2, 1], ["sum_for_product"]),
    ("asciimath", "w^2_11", "2(O_31-y)O_31(1-O_31)w_11^3 O_21 O_11", DL * S[3, 1] * W[3, 1, 1] * O[2, 1] * O[1, 1],
     ["activation_derivative"]),
    ("unicodemath", "w^3_11", "2(𝑂_31−𝑦)𝑂_31 (1−𝑂_31) 𝑂_21", DL * S[3, 1] * O[2, 1], []),
    ("unicodemath", "w^3_11", "2(ŷ−y)⋅(e^(−z_31))/(1+e^(−z_31))^2⋅O_21", DL * E[3, 1] * O[2, 1], []),
    ("unicodemath", "w^3_11", "2(ŷ−y)⋅e^〖−z_31〗/〖(1+e^〖−z_31〗)〗^2⋅O_21", DL * E[3, 1] * O[2, 1], []),
    ("unicodemath", "w^3_11", "(∂L)/(∂ŷ)⋅(∂ŷ)/(∂w_11^3)", DL * S[3, 1] * O[2, 1], []),
    ("unicodemath", "w^3_11", "(∂L)/(∂ŷ)+(∂ŷ)/(∂w_11^3)", DL + S[3, 1] * O[2, 1], ["sum_for_product"]),
    ("unicodemath", "w^2_11", "2(ŷ−y)ŷ(1−ŷ) w_11^3 〖σ〗^′\u2061(z_21) O_11", DL * S[3, 1] * W[3, 1, 1] * S[2, 1] * O[1, 1], []),
    ("unicodemath", "w^2_11", "2(ŷ−y)ŷ(1−ŷ) w_11^3 〖σ〗^′\u2061(z_21) O_12", DL * S[3, 1] * W[3, 1, 1] * S[2, 1] * O[1, 2],
     ["wrong_index"]),
    ("unicodemath", "w^3_11", "−2(y−ŷ)ŷ(1−ŷ)O_21", DL * S[3, 1] * O[2, 1], []),
    ("phone", "w^3_11", "2 ( ŷ – y ) ŷ ( 1 – ŷ ) O₂₁", DL * S[3, 1] * O[2, 1], []),
    ("phone", "w^3_11", "2(ŷ−y)e⁻ᶻ³¹/(1+e⁻ᶻ³¹)²O₂₁", DL * E[3, 1] * O[2, 1], []),
    ("phone", "w^3_11", "2 × (ŷ − y) × ŷ × (1 − ŷ) × O₂₁.", DL * S[3, 1] * O[2, 1], []),
    ("phone", "w^3_11", "2 (ŷ - y) ŷ (1 - ŷ) O_2,1", DL * S[3, 1] * O[2, 1], []),
    ("phone", "w^3_11", "2(ŷ−y)·ŷ·O₂₁", DL * O[3, 1] * O[2, 1], ["activation_derivative"]),
    ("phone", "w^2_11", "2(ŷ−y)ŷ(1−ŷ)w³₁₁O₂₁(1−O₂₁)O₁₁", DL * S[3, 1] * W[3, 1, 1] * S[2, 1] * O[1, 1], []),
    ("phone", "w^2_11", "2(ŷ−y)ŷ(1−ŷ)w²₁₁O₂₁(1−O₂₁)O₁₁", DL * S[3, 1] * W[2, 1, 1] * S[2, 1] * O[1, 1], ["wrong_index"]),
    ("phone", "w^3_11", "−2(y−ŷ)ŷ(1−ŷ)O₂₁", DL * S[3, 1] * O[2, 1], []),
]


def the_point():
    """A POINT of the notes' network (one sample), and the same values as sympy substitutions."""
    rng = random.Random(5)
    x = [rng.choice([-1, 1]) * rng.randint(2, 9) / 4 for _ in range(4)]
    Wm = [np.array([[rng.randint(-8, 8) / 8 for _ in range(LAYERS[k])] for _ in range(LAYERS[k - 1])]) for k in (1, 2, 3)]
    point = Point(np.array([x]), np.array([[0.25]]), Wm)
    subs = {X[i]: sp.Float(x[i - 1], 30) for i in X}
    subs[Y] = sp.Float(0.25, 30)
    subs.update({W[k, i, j]: sp.Float(Wm[k - 1][i - 1, j - 1], 30) for (k, i, j) in W})
    return point, subs


def numbers(point, subs):
    """The gradient's value at the POINT in each voice's spellings, and its negation."""
    rows = []
    for voice in VOICES:
        for n, (k, i, j) in enumerate(PARAMS):
            value = float(sp.diff(LOSS, W[k, i, j]).xreplace(subs))
            v = voice(n % 3)
            rows.append((voice.name, str(Param.weight(k, i, j)), v.number(value), value, [], point))
            rows.append((voice.name, str(Param.weight(k, i, j)), voice((n + 1) % 3).number(-value), -value, ["sign"], point))
    return rows


def label(rows, subs_at_point):
    """Each row's truth: whether its meaning equals sympy.diff of the expanded loss (at random points, or for a
    number at the POINT within the grader's tolerance)."""
    rng = random.Random(7)
    points = [{v: sp.Float(sp.Rational(rng.randint(-90, 90), 60), 30) for v in VARIABLES} for _ in range(3)]
    truth, out = {}, []
    for voice, param, text, meaning, codes, at in rows:
        p = Param.weight(int(param[2]), int(param[4]), int(param[5]))
        key = (p.layer, p.i, p.j)
        if key not in truth:
            truth[key] = sp.diff(LOSS, W[key])
        if at is not None:
            expected = float(truth[key].xreplace(subs_at_point))
            correct = abs(meaning - expected) <= 1e-3 * abs(expected)
        else:
            expected = [truth[key].xreplace(pt) for pt in points]
            got = [meaning.xreplace(pt) for pt in points]
            correct = all(abs(g - e) <= 1e-18 * max(1, abs(e)) for g, e in zip(got, expected))
        out.append((voice, param, text, correct, codes, at))
    return out


# ---- a tanh hidden layer under an L2 penalty: 2-2-1, tanh then sigmoid, lambda = 1/10 ----------------------
TANH = Spec(layers=(2, 2, 1), activations=("tanh", "sigmoid"), regularization="l2", lam=0.1)
LAM = sp.Rational(1, 10)
TW = {(k, i, j): sp.Symbol(f"w^{k}_{i}{j}", real=True) for k, i, j in [(1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2),
                                                                        (2, 1, 1), (2, 2, 1)]}
TZ, TO = {}, {(0, 1): X[1], (0, 2): X[2]}
for k, size in ((1, 2), (2, 1)):
    for j in range(1, size + 1):
        TZ[k, j] = sum(TW[k, i, j] * TO[k - 1, i] for i in (1, 2))
        TO[k, j] = sp.tanh(TZ[k, j]) if k == 1 else 1 / (1 + sp.exp(-TZ[k, j]))
TLOSS = (Y - TO[2, 1]) ** 2 + LAM * sum(w ** 2 for w in TW.values())
TVARIABLES = [X[1], X[2], Y, *TW.values()]


def tanh_answer(v, k, i, j, slip=""):
    """dL/dw^k_ij of the tanh network in voice v (tanh' as 1 - tanh^2 or sech^2), with one slip."""
    yhat, m = v.O(2, 1), v.minus
    parts = [v.times(["2", v.paren(f"{yhat}{m}{v.y}")]), v.times([yhat, v.paren(f"1{m}{yhat}")])]
    value = 2 * (TO[2, 1] - Y) * TO[2, 1] * (1 - TO[2, 1])
    if k == 2:
        parts.append(v.O(1, i))
        value *= TO[1, i]
    else:
        z = v.z(1, j)
        act = v.tanh(z) if slip == "act" else v.tanh_prime(z)
        parts += [v.w(2, j, 1), act, v.O(0, i)]
        value *= TW[2, j, 1] * (sp.tanh(TZ[1, j]) if slip == "act" else 1 - sp.tanh(TZ[1, j]) ** 2) * TO[0, i]
    data = v.times(parts)
    penalty = v.times(["2", v.lam, v.w(k, i, j)])
    if slip == "sign":
        return f"{m}{data} {m} {penalty}", -value - 2 * LAM * TW[k, i, j], ["sign"]
    if slip == "regularization_sign":
        return f"{data} {m} {penalty}", value - 2 * LAM * TW[k, i, j], ["regularization_sign"]
    if slip == "missing_regularization":
        return data, value, ["missing_regularization"]
    codes = ["activation_derivative"] if slip == "act" else []
    return f"{data} + {penalty}", value + 2 * LAM * TW[k, i, j], codes


def tanh_catalogue():
    rows = []
    for voice in VOICES:
        for n, (k, i, j) in enumerate([(2, 1, 1), (2, 2, 1), (1, 1, 1), (1, 2, 2)]):
            param = str(Param.weight(k, i, j))
            for m, slip in enumerate(["", "", "sign", "regularization_sign", "missing_regularization", "act"]):
                if slip == "act" and k == 2:
                    continue
                rows.append((voice.name, param, *tanh_answer(voice((n + m) % 3, top=2), k, i, j, slip)))
    return rows


def label_tanh(rows):
    rng = random.Random(3)
    points = [{v: sp.Float(sp.Rational(rng.randint(-90, 90), 60), 30) for v in TVARIABLES} for _ in range(3)]
    out = []
    for voice, param, text, meaning, codes in rows:
        p = Param.weight(int(param[2]), int(param[4]), int(param[5]))
        truth = sp.diff(TLOSS, TW[p.layer, p.i, p.j])
        correct = all(abs(meaning.xreplace(pt) - truth.xreplace(pt)) <= 1e-18 for pt in points)
        out.append((voice, param, text, correct, codes))
    return out


@pytest.fixture(scope="module")
def graded():
    grader = Grader(Spec())
    point, subs = the_point()
    hand = [(voice, param, text, meaning, codes, None) for voice, param, text, meaning, codes in HAND]
    rows = label(catalogue() + hand + numbers(point, subs), subs)
    tanh = Grader(TANH)
    return [(voice, param, text, correct, codes, grader.grade(param, text, at=at))
            for voice, param, text, correct, codes, at in rows] + \
        [(voice, param, text, correct, codes, tanh.grade(param, text)) for voice, param, text, correct, codes
         in label_tanh(tanh_catalogue())]


def figures(graded):
    """Per voice: answers, correct ones rejected, false acceptances, expected diagnoses (pytest -s prints them)."""
    lines = []
    for voice in [v.name for v in VOICES] + ["all"]:
        rows = [g for g in graded if voice in ("all", g[0])]
        right = [g for g in rows if g[3]]
        wrong = [g for g in rows if not g[3]]
        lines.append(f"{voice}: {len(rows)} answers, {len(right)} correct ({sum(g[5].verdict != 'correct' for g in right)} "
                     f"rejected), {len(wrong)} wrong ({sum(g[5].verdict == 'correct' for g in wrong)} accepted, "
                     f"{sum(sorted(g[5].diagnosis) == g[4] for g in wrong)} with the expected diagnosis)")
    return "\n".join(lines)


def test_the_catalogue_is_large_labelled_and_in_every_voice(graded, capsys):
    with capsys.disabled():
        print("\n" + figures(graded))
    assert len(graded) >= 300
    for voice in VOICES:
        assert sum(g[0] == voice.name for g in graded) >= 40, voice.name
    # the labels agree with the intent: a written slip is never the derivative, and every code occurs
    assert all(g[3] == (not g[4]) for g in graded), [g[:3] for g in graded if g[3] == bool(g[4])]
    assert {c for g in graded for c in g[4]} >= {"sign", "factor", "activation_derivative", "missing_path",
                                                  "wrong_index", "sum_for_product", "regularization_sign",
                                                  "missing_regularization"}


def test_no_false_acceptance(graded):
    assert [(g[0], g[2]) for g in graded if not g[3] and g[5].verdict == "correct"] == []


def test_correct_answers_are_accepted_in_every_voice(graded):
    right = [g for g in graded if g[3]]
    rejected = [(g[0], g[2], g[5].message) for g in right if g[5].verdict != "correct"]
    assert len(rejected) <= 0.02 * len(right), rejected
    for voice in VOICES:
        mine = [g for g in right if g[0] == voice.name]
        assert sum(g[5].verdict != "correct" for g in mine) <= 0.05 * len(mine), [r for r in rejected if r[0] == voice.name]


def test_mistakes_get_the_expected_diagnosis(graded):
    wrong = [g for g in graded if not g[3]]
    missed = [(g[0], g[2], g[4], g[5].diagnosis) for g in wrong if sorted(g[5].diagnosis) != g[4]]
    assert len(missed) <= 0.03 * len(wrong), missed


def test_every_verdict_reads_the_answer_back(graded):
    assert all("Read as: " in g[5].message for g in graded if g[5].verdict != "invalid")
