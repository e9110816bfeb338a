"""Is an answer the derivative? Values at random points of the network, in 50 digits, and a quick symbolic try.

An answer may mix O_kj, z_kj, sigma(z_kj), x, w and Leibniz partials. Everything in it is a function
of the independent variables x, y, w, b (and lambda): at a point of those, the forward pass gives
every z_kj and O_kj, the backward pass every delta_kj, so evaluating an answer with those values *is*
evaluating it expanded in x, y, w, b (what Model.expand writes out), without building the expansion.
The points lie in a safe box (ReLU pre-activations kept away from the kink); the values are computed
by walking the sympy tree, never by compiling the answer: in mpmath at 50 digits to decide
equivalence, in float64 for the diagnosis.

A Leibniz partial dA/dB means the true derivative: Model.local(A, B) along a direct edge, otherwise
the total derivative through the network (dL/dO_kj = delta_kj; zero where B does not reach A).
"""
import collections
import functools
import math

import mpmath
import numpy as np
import sympy as sp

from gradproof.numeric.losses import LOSSES

from ..compile import NUMPY
from ..model import L
from ..printing import Partial
from .parser import ETA

DIGITS = 50
EQUAL_RTOL = mpmath.mpf("1e-25")     # 50-digit values of equal expressions agree far closer than this
MAX_EXP_ARGUMENT = 10 ** 6          # exp of more than this is taken as overflow, not computed


class Undefined(Exception):
    """The expression has a part the walker does not know (never raised for parsed answers)."""


# ---- the two arithmetics ---------------------------------------------------------------------
def _mp_exp(v):
    if v != v:
        return v
    if abs(v) > MAX_EXP_ARGUMENT:
        return mpmath.inf if v > 0 else mpmath.mpf(0)
    return mpmath.exp(v)


def _mp_log(v):
    return mpmath.log(v) if v > 0 else mpmath.nan


def _mp_pow(a, b):
    try:
        if a == 0 and b < 0:
            return mpmath.nan
        if abs(b) > MAX_EXP_ARGUMENT or (a != 0 and abs(b * mpmath.log(abs(a))) > MAX_EXP_ARGUMENT):
            return mpmath.nan
        out = a ** b
    except (ZeroDivisionError, ValueError, OverflowError):
        return mpmath.nan
    return out if isinstance(out, mpmath.mpf) else mpmath.nan      # a complex power is not a real value


@functools.cache
def _translated(func, count, module):
    """A sympy function class of ``count`` arguments as a function of numbers in numpy or mpmath, by sympy's own
    translation (lambdify of func at dummy arguments: a sympy expression gradproof built, never an answer's text)."""
    args = sp.symbols(f"a:{count}", cls=sp.Dummy)
    return sp.lambdify(args, func(*args), module)


def _mp_real(fn):
    """An mpmath function that gives NaN where its value is not a real number (or not defined)."""
    def real(*args):
        try:
            out = fn(*args)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return mpmath.nan
        return out if isinstance(out, mpmath.mpf) else mpmath.nan
    return real


class Float64:
    """float64 numpy arrays over the points."""

    name = "float"
    exp = staticmethod(np.exp)
    log = staticmethod(lambda v: np.log(np.where(v > 0, v, np.nan)))

    @staticmethod
    def function(func, count):
        """func (a sympy function class of count arguments) on float64 arrays."""
        fn = _translated(func, count, NUMPY)
        return lambda *args: np.asarray(fn(*args), dtype=float)

    @staticmethod
    def const(number, n):
        return np.full(n, float(number))

    @staticmethod
    def pow(a, b):
        return np.power(a, b)


class Mp50:
    """numpy arrays of 50-digit mpmath numbers over the points."""

    name = "mp"
    exp = staticmethod(np.frompyfunc(_mp_exp, 1, 1))
    log = staticmethod(np.frompyfunc(_mp_log, 1, 1))
    pow = staticmethod(np.frompyfunc(_mp_pow, 2, 1))

    @staticmethod
    @functools.cache
    def function(func, count):
        """func (a sympy function class of count arguments) on arrays of mpmath numbers, at the working precision."""
        return np.frompyfunc(_mp_real(_translated(func, count, "mpmath")), count, 1)

    @staticmethod
    def const(number, n):
        if number.is_Rational:
            value = mpmath.mpf(int(number.p)) / int(number.q)
        else:
            value = mpmath.mpf(sp.N(number, DIGITS + 10)._mpf_) if number.is_real else mpmath.nan
        out = np.empty(n, dtype=object)
        out[:] = [value] * n
        return out


def walk(expr, values, arith, n, memo):
    """The value of expr at each of n points: values maps symbols (and Partials) to arrays."""
    return Walker(values, arith, n, memo)(expr)


class Walker:
    """Values of an expression's nodes over the points, each node by its class: ``_eval_<Class>`` looked up along
    the class's MRO, as sympy's printers dispatch (``exp`` is found as ``exp``, ``Integer`` as ``Number``). A function
    with no method of its own (sin, cos, atan, erf, ... whatever an activation row is built from) is evaluated by
    sympy's own translation of that function to numpy or mpmath, so any function sympy can differentiate grades.

    Examples
    ========
    >>> import numpy as np, sympy as sp
    >>> from gradproof.symbolic.grade.equivalence import Float64, Walker
    >>> z = sp.Symbol("z")
    >>> Walker({z: np.array([0.0, np.pi / 2])}, Float64, 2)(sp.cos(z) + sp.Abs(-z)).round(12)
    array([1.        , 1.57079633])
    """

    def __init__(self, values, arith, n, memo=None):
        self.values, self.arith, self.n = values, arith, n
        self.memo = {} if memo is None else memo

    def __call__(self, expr):
        found = self.memo.get(expr)
        if found is not None:
            return found
        if expr in self.values:
            out = self.values[expr]
        else:
            out = self._method(type(expr))(self, expr)
        self.memo[expr] = out
        return out

    @classmethod
    @functools.cache
    def _method(cls, kind):
        """The _eval_ method for a class of node: its own, else its nearest base's (found once per class)."""
        for base in kind.__mro__:
            method = getattr(cls, f"_eval_{base.__name__}", None)
            if method is not None:
                return method
        raise Undefined(f"cannot evaluate {kind.__name__}")

    def _const(self, number):
        return self.arith.const(number, self.n)

    def _eval_Number(self, expr):
        return self._const(expr)

    _eval_NumberSymbol = _eval_Number

    def _eval_Add(self, expr):
        parts = [self(a) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out

    def _eval_Mul(self, expr):
        parts = [self(a) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            out = out * p
        return out

    def _eval_Pow(self, expr):
        base = self(expr.base)
        if expr.exp.is_Integer and 0 < expr.exp <= 64:
            return base ** int(expr.exp)
        return self.arith.pow(base, self(expr.exp))

    def _eval_exp(self, expr):
        return self.arith.exp(self(expr.args[0]))

    def _eval_log(self, expr):
        return self.arith.log(self(expr.args[0]))

    def _eval_MinMaxBase(self, expr):
        parts = [self(a) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            keep = (out >= p) if isinstance(expr, sp.Max) else (out <= p)
            out = np.where(keep.astype(bool), out, p)
        return out

    def _step(self, u, above, below, at_zero):
        return np.where((u > 0).astype(bool), self._const(above),
                        np.where((u < 0).astype(bool), self._const(below), at_zero))

    def _eval_Heaviside(self, expr):
        at_zero = self(expr.args[1]) if len(expr.args) > 1 else self._const(sp.Rational(1, 2))
        return self._step(self(expr.args[0]), sp.Integer(1), sp.Integer(0), at_zero)

    def _eval_sign(self, expr):
        return self._step(self(expr.args[0]), sp.Integer(1), sp.Integer(-1), self._const(sp.Integer(0)))

    def _eval_Abs(self, expr):
        return abs(self(expr.args[0]))

    def _eval_AppliedUndef(self, expr):
        raise Undefined(f"cannot evaluate the undefined function {expr.func.__name__}")

    def _eval_Function(self, expr):
        return self.arith.function(expr.func, len(expr.args))(*[self(a) for a in expr.args])


# ---- the points ------------------------------------------------------------------------------
def random_base(spec, model, count, seed=0):
    """count random points of the independent variables, as floats: x, y, w, b, lambda (Model.random_values),
    and eta. Where the spec has a lambda, it is used, so that 2 lambda w and its value 0.2 w are both right."""
    rng = np.random.default_rng([seed, 1])
    points = model.random_values(count, seed)
    for values in points:
        if spec.lam > 0:
            values[model.lam] = spec.lam
        values[ETA] = rng.uniform(0.01, 0.5)
    return points


ROUND_WEIGHTS = (-1.0, -0.5, 0.5, 1.0)
ROUND_INPUTS = (0.0, 1.0, 2.0)
ROUND_TARGETS = (0.0, 1.0)


def _round_targets(rng, spec):
    """Round targets: each in {0, 1}; for a loss that needs probability vectors, quarters summing to 1 over at least
    two outputs (a one-hot target hides softmax's dropped cross terms: there they are 0 or cancel)."""
    width = spec.layers[-1]
    if not LOSSES[spec.loss].simplex:
        return [float(rng.choice(ROUND_TARGETS)) for _ in range(width)]
    while True:
        quarters = np.bincount(rng.integers(0, width, 4), minlength=width)
        if np.count_nonzero(quarters) >= 2:
            return [float(q) / 4 for q in quarters]


def round_base(spec, model, count, seed=0, tries=2000):
    """count points of small round numbers, for a counterexample a student can check by hand: weights and biases
    in {-1, -1/2, 1/2, 1}, inputs in {0, 1, 2}, targets in {0, 1}; in a network with a kink, every
    pre-activation at least KINK_MARGIN from it (sums of halves are then at least 1/2 away)."""
    from ..model import KINK_MARGIN
    rng = np.random.default_rng([seed, 2])
    kinked = any(spec.activation(k).kinked for k in range(1, len(spec.layers)))
    points = []
    for _ in range(tries):
        values = {s: float(rng.choice(ROUND_INPUTS)) for s in model.x[1:]}
        values.update(zip(model.y[1:], _round_targets(rng, spec)))
        values.update({s: float(rng.choice(ROUND_WEIGHTS)) for s in model.symbols.values()})
        values[model.lam] = spec.lam if spec.lam > 0 else 0.5
        values[ETA] = 0.1
        if kinked:
            z = Points(model, [values], arithmetics=(Float64,)).values[Float64.name]
            if any(abs(z[model.z[k][j]][0]) < KINK_MARGIN for k in range(1, len(spec.layers))
                   for j in range(1, spec.layers[k] + 1)):
                continue
        points.append(values)
        if len(points) == count:
            break
    return points


class Points:
    """Points of a network with every neuron's z, O and delta there, in both arithmetics.

    ``base`` is a list of dicts of floats for the independent symbols, one per point (for a POINT
    file, one per sample, with lambda the spec's).
    """

    def __init__(self, model, base, arithmetics=None):
        self.model, self.base, self.n = model, base, len(base)
        self.values = {}
        self.memo = {}
        with mpmath.workdps(DIGITS):
            for arith in arithmetics or (Float64, Mp50):
                self.values[arith.name] = self._network(arith)
                self.memo[arith.name] = {}

    def _network(self, arith):
        """The independent symbols as arrays over the points, with every z, O and delta from the one evaluator of
        the network (symbolic/evaluate.py): at once over the points in float64, point by point in 50 digits."""
        from ..evaluate import Network
        if arith is Mp50:
            # each float as the decimal it prints as: lambda = 0.1 is 1/10, as a student writes it
            network = Network.of(self.model, mp=True)
            rows = [network.values(self.model.onto_simplex({s: mpmath.mpf(repr(float(v))) for s, v in b.items()}))
                    for b in self.base]
            values = {}
            for s in rows[0]:
                array = np.empty(self.n, dtype=object)
                array[:] = [r[s] for r in rows]
                values[s] = array
            return values
        table = {s: np.array([b[s] for b in self.base], dtype=float) for s in self.base[0]}
        return {s: np.array(np.broadcast_to(np.asarray(v, dtype=float), (self.n,)))
                for s, v in Network.of(self.model).values(table).items()}

    def evaluate(self, expr, arith=Mp50, partials=None, keep=True):
        """expr's values at the points; Partials take their values from ``partials`` (a Partials table)."""
        values = self.values[arith.name]
        if partials is not None:
            found = [p for p in expr.atoms(Partial) if p not in values]
            for p in found:
                values[p] = self.evaluate(partials.expr(p), arith, partials)
        # an answer's own pieces are not kept: a batch of answers must not grow the memo
        memo = self.memo[arith.name] if keep else collections.ChainMap({}, self.memo[arith.name])
        with mpmath.workdps(DIGITS):
            with np.errstate(all="ignore"):
                return walk(expr, values, arith, self.n, memo)

    def point(self, index, extra=()):
        """The independent variables of one point, as a JSON-ready dict name -> float."""
        base = self.base[index]
        names = {s: str(s) for s in base}
        keep = [s for s in base if s not in (self.model.lam, ETA)] + [s for s in extra if s in base]
        if self.model.spec.regularizer.present and self.model.lam not in keep:
            keep.append(self.model.lam)
        return {names[s]: float(base[s]) for s in keep}


# ---- Leibniz partials ------------------------------------------------------------------------
class Partials:
    """The value (as an expression) of each Leibniz partial dA/dB an answer can write, for one model."""

    def __init__(self, model):
        self.model = model
        self.cache = {}

    def expr(self, partial):
        A, B = partial.numerator, partial.denominator
        key = (A, B)
        if key not in self.cache:
            self.cache[key] = self._total(A, B)
        return self.cache[key]

    def _position(self, s):
        m = self.model
        if s == L:
            return (math.inf, 0)
        if s in m.param_of:
            return (m.param_of[s].layer, 0)
        if s in m.x:
            return (0, 2)
        letter, k, _ = m.neuron_of(s)
        return (k, 1 if letter == "z" else 2)

    def _children(self, B):
        """(C, dC/dB) for each node C that B feeds directly."""
        m, n = self.model, self.model.spec.layers
        top = len(n) - 1
        if B == L:
            return []
        if B in m.param_of:
            p = m.param_of[B]
            out = [(m.z[p.layer][p.j], m.O[p.layer - 1][p.i] if p.is_weight else sp.Integer(1))]
            reg = m.regularization_derivative(p)
            return out + ([(L, reg)] if reg != 0 else [])
        if B in m.x:
            k, j = 0, m.x.index(B)
        else:
            letter, k, j = m.neuron_of(B)
            if letter == "z" and m.couples(k):      # every output of a coupled layer (softmax) depends on z_kj
                return [(m.O[k][a], m.jacobian(k, a, j)) for a in range(1, n[k] + 1)]
            if letter == "z":
                return [(m.O[k][j], m.f_prime(k, j))]
        if k == top:
            return [(L, m.local(L, B))]
        return [(m.z[k + 1][q], m.w(k + 1, j, q)) for q in range(1, n[k + 1] + 1)]

    def _total(self, A, B):
        """dA/dB: the direct edge where there is one, else the sum over B's children of dA/dC dC/dB."""
        m = self.model
        if A == B:
            return sp.Integer(1)
        if self._position(B) >= self._position(A):
            return sp.Integer(0)
        if not (A == L and B in m.param_of):
            direct = m.local(A, B)
            if direct != 0:
                return direct
        neuron = m.neuron_of(B)
        if A == L and neuron and neuron[0] == "O" and neuron[1] < m.output_layer:
            return m.delta[neuron[1]][neuron[2]]          # dL/dO_kj = delta_kj, the notes' definition
        terms = [self.expr(Partial(A, C)) * edge for C, edge in self._children(B)
                 if self._position(C) <= self._position(A)]
        return sp.Add(*terms)


# ---- comparing -------------------------------------------------------------------------------
def first_difference(got, expected, rtol=EQUAL_RTOL):
    """The index of the first point where got and expected differ beyond rtol (or got is undefined), else None."""
    with mpmath.workdps(DIGITS):
        scale = max([abs(v) for v in expected if mpmath.isfinite(v)] + [mpmath.mpf(1)])
        for i, (g, e) in enumerate(zip(got, expected)):
            if not isinstance(g, mpmath.mpf) or not mpmath.isfinite(g):
                return i
            if abs(g - e) > rtol * max(abs(g), abs(e), scale * mpmath.mpf("1e-20")):
                return i
    return None


def to_float(value):
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if math.isfinite(out) else None
