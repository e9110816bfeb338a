"""lambdify, fed plain argument names: gradproof's symbols are named like the notes (w^1_11), which
lambdify would otherwise rename by rewriting every expression once per symbol (quadratic time).

Only gradproof's own sympy expressions come here, never text: ``sympify(..., strict=True)`` accepts
sympy objects and numbers and refuses strings, so nothing a user typed can reach lambdify or exec.
(The grader reads answers with its own grammar and evaluates them without compiling.)"""
import functools
import math

import numpy
import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import MpmathPrinter

# ---- stable evaluation ------------------------------------------------------------------------------
# The printed forms are the readable ones (1/(1 + e^{-z}), ln(1 + e^z), ln O, 1 - O); evaluated as written
# they overflow (e^z at z > 709) or cancel (1 - O where O rounds to 1). Before compiling, `stable` rewrites
# them into three evaluation-only functions, each compiled to an overflow-free form in numpy and in mpmath.
# The rules are identities of exp and log, not of any one activation: any activation written with them
# is evaluated stably without a line of its own here.

class _Stable(sp.Function):
    """An evaluation-only function: compiled to the helper of the same name (numpy or mpmath), evaluated by
    evalf through mpmath; never printed on a sheet (the readable form is printed)."""

    nargs = 1
    helper = None

    def _numpycode(self, printer):          # NumPyPrinter, compile_large's printer, MpmathPrinter
        return f"{self.helper}({printer._print(self.args[0])})"

    _mpmathcode = _pythoncode = _numpycode

    def _eval_evalf(self, prec):
        u = self.args[0].evalf(prec)
        if not u.is_Number:
            return None
        import mpmath
        with mpmath.workprec(prec):
            return sp.Float._new(MPMATH_HELPERS[self.helper](mpmath.mpf(u._mpf_))._mpf_, prec)


class Sigmoid(_Stable):
    """1 / (1 + e^{-u})."""
    helper = "_gp_sigmoid"


class Softplus(_Stable):
    """ln(1 + e^u) = max(u, 0) + ln(1 + e^{-|u|})."""
    helper = "_gp_softplus"


class Expm1(_Stable):
    """e^u - 1, accurate where u is small."""
    helper = "_gp_expm1"


class Sech2(_Stable):
    """1 - tanh(u)^2 = 1/cosh(u)^2 = 4 e^{-2|u|} / (1 + e^{-2|u|})^2: every digit where tanh(u) rounds to ±1."""
    helper = "_gp_sech2"


class LogSumExp(sp.Function):
    """ln(e^{u_1} + ... + e^{u_n}) = max u + ln sum e^{u_i - max u}: no overflow at any u. An evaluation-only
    function like the others, of any number of arguments (a layer's z)."""

    helper = "_gp_logsumexp"

    @classmethod
    def eval(cls, *args):
        return None

    def _eval_is_extended_real(self):
        return all(a.is_extended_real for a in self.args) or None

    def _numpycode(self, printer):
        return f"{self.helper}({', '.join(printer._print(a) for a in self.args)})"

    _mpmathcode = _pythoncode = _numpycode

    def _eval_evalf(self, prec):
        us = [a.evalf(prec) for a in self.args]
        if not all(u.is_Number for u in us):
            return None
        import mpmath
        with mpmath.workprec(prec):
            return sp.Float._new(_mp_logsumexp(*[mpmath.mpf(u._mpf_) for u in us])._mpf_, prec)


def _np_logsumexp(*us):
    u = numpy.stack(numpy.broadcast_arrays(*us))
    top = numpy.max(u, axis=0)
    return top + numpy.log(numpy.sum(numpy.exp(u - top), axis=0))


def _mp_logsumexp(*us):
    import mpmath
    top = max(us)
    return top + mpmath.log(mpmath.fsum(mpmath.exp(u - top) for u in us))


def _np_sech2(u):
    e = numpy.exp(-2 * numpy.abs(u))             # never overflows
    return 4 * e / (1 + e) ** 2


def _mp_sech2(u):
    import mpmath
    return mpmath.sech(u) ** 2


def _np_sigmoid(u):
    e = numpy.exp(-numpy.abs(u))                 # never overflows; the two branches are one function
    return numpy.where(numpy.greater_equal(u, 0), 1.0, e) / (1 + e)


def _mp_sigmoid(u):
    import mpmath
    e = mpmath.exp(-abs(u))
    return (1 if u >= 0 else e) / (1 + e)


def _mp_softplus(u):
    import mpmath
    return max(u, 0) + mpmath.log1p(mpmath.exp(-abs(u)))


def _mp_expm1(u):
    import mpmath
    return mpmath.expm1(u)


# numpy for lambdify's namespace, as the module itself: by its name, lambdify would run `from numpy import *`, which
# loads numpy's lazy submodules (f2py and testing among them: 0.1 s in a fresh process); the printed code is the same
NUMPY = numpy
NUMPY_HELPERS = {"_gp_sigmoid": _np_sigmoid, "_gp_softplus": lambda u: numpy.logaddexp(0.0, u),
                 "_gp_expm1": numpy.expm1, "_gp_sech2": _np_sech2, "_gp_logsumexp": _np_logsumexp}
MPMATH_HELPERS = {"_gp_sigmoid": _mp_sigmoid, "_gp_softplus": _mp_softplus, "_gp_expm1": _mp_expm1,
                  "_gp_sech2": _mp_sech2, "_gp_logsumexp": _mp_logsumexp}


def _exp_argument(e):
    """v when e is 1 + e^v, else None."""
    if isinstance(e, sp.Add) and len(e.args) == 2 and sp.S.One in e.args:
        other = e.args[0] if e.args[1] == 1 else e.args[1]
        if isinstance(other, sp.exp):
            return other.args[0]
    return None


def _exp_sum(e):
    """The exponents [v_1, ..., v_n] when e is e^{v_1} + ... + e^{v_n} (n >= 2), else None."""
    if isinstance(e, sp.Add) and all(isinstance(t, sp.exp) for t in e.args):
        return [t.args[0] for t in e.args]
    return None


def _exp_ratio(e):
    """e^u / (e^{v_1} + ... + e^{v_n}) in a product e written as e^{u - logsumexp(v)} (never above 1, so never
    overflowing), the other factors kept; None when e has no such pair."""
    factors = list(sp.Mul.make_args(e))
    over = next((f for f in factors if isinstance(f, sp.Pow) and f.exp == -1 and _exp_sum(f.base)), None)
    top = next((f for f in factors if isinstance(f, sp.exp)), None)
    if over is None or top is None:
        return None
    factors.remove(over)
    factors.remove(top)
    return sp.Mul(*factors) * sp.exp(top.args[0] - LogSumExp(*_exp_sum(over.base)))


def _complement(e):
    """1 - f written as one stable function where f is sigmoid or exp, in a sum e; None when e has no such pair."""
    const, rest = e.as_coeff_Add()
    if const not in (1, -1):
        return None
    terms = sp.Add.make_args(rest)
    for n, t in enumerate(terms):
        others = sp.Add(*(terms[:n] + terms[n + 1:]))
        if const == 1 and isinstance(-t, Sigmoid):              # 1 - sigma(v) = sigma(-v)
            return Sigmoid(-(-t).args[0]) + others
        if const == -1 and isinstance(t, Sigmoid):              # sigma(v) - 1 = -sigma(-v)
            return -Sigmoid(-t.args[0]) + others
        if const == 1 and isinstance(-t, sp.Pow) and (-t).exp == 2 and isinstance((-t).base, sp.tanh):
            return Sech2((-t).base.args[0]) + others           # 1 - tanh(v)^2 = sech(v)^2
        if const == 1 and isinstance(-t, sp.exp):               # 1 - e^v = -expm1(v)
            return -Expm1((-t).args[0]) + others
        if const == -1 and isinstance(t, sp.exp):               # e^v - 1 = expm1(v)
            return Expm1(t.args[0]) + others
    return None


def stable(expr, memo=None):
    """expr with its overflowing or cancelling subexpressions rewritten into stable evaluation functions.

    1/(1 + e^v) = sigmoid(-v); ln(1 + e^v) = softplus(v); ln sigmoid(v) = -softplus(-v); 1 - sigmoid(v) =
    sigmoid(-v); 1 - e^v = -expm1(v); e^u / sum e^v = e^{u - logsumexp(v)}; ln sum e^v = logsumexp(v). The same
    function of the same symbols: only its evaluation changes.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.compile import stable
    >>> z = sp.Symbol("z", real=True)
    >>> stable(sp.log(1 - 1 / (1 + sp.exp(-z)))), stable(sp.log(sp.exp(z) + 1)), stable(1 - sp.exp(-z))
    (-Softplus(z), Softplus(z), -Expm1(-z))
    >>> u = sp.Symbol("u", real=True)
    >>> stable(sp.log(sp.exp(z) / (sp.exp(z) + sp.exp(u))))
    z - LogSumExp(u, z)
    """
    memo = {} if memo is None else memo
    if expr.is_Atom:
        return expr
    found = memo.get(expr)
    if found is not None:
        return found
    args = [stable(a, memo) for a in expr.args]
    out = stable_node(expr.func(*args) if any(a is not b for a, b in zip(args, expr.args)) else expr)
    memo[expr] = out
    return out


def stable_node(out):
    """The rules of `stable` applied at the top of an expression whose parts are stable already."""
    if isinstance(out, sp.Pow) and out.exp == -1 and _exp_argument(out.base) is not None:
        out = Sigmoid(-_exp_argument(out.base))
    elif isinstance(out, sp.log):
        inner = out.args[0]
        if _exp_argument(inner) is not None:
            out = Softplus(_exp_argument(inner))
        elif isinstance(inner, Sigmoid):
            out = -Softplus(-inner.args[0])
        elif _exp_sum(inner) is not None:                     # ln sum e^v = logsumexp(v)
            out = LogSumExp(*_exp_sum(inner))
        elif isinstance(inner, sp.exp):                       # ln e^v = v (v real: the stable forms' arguments)
            out = inner.args[0]
    elif isinstance(out, sp.Mul):
        out = _exp_ratio(out) or out
    elif isinstance(out, sp.Add):
        out = _complement(out) or out
    return out


# Above this many arguments plus expressions (a layer of 10 x 10 weights, say), compile_exprs generates
# the code itself (compile_large): lambdify's cse and printer sort every sum and product and take about
# a millisecond per term, most of the time of Compiled on a 10,000-parameter network. Below it (the
# notes' network and the like) lambdify's output is kept exactly.
FAST_ABOVE = 100


def compile_exprs(args, exprs, mpmath=False):
    """A function of args computing exprs (a list, or one expression), with common subexpressions shared.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.compile import compile_exprs
    >>> w, O = sp.Symbol("w^1_11"), sp.Symbol("O_11")
    >>> compile_exprs([w, O], [w * O, w + O])(2.0, 3.0)
    [6.0, 5.0]
    """
    many = isinstance(exprs, (list, tuple))
    if not mpmath and len(args) + (len(exprs) if many else 1) > FAST_ABOVE:
        return compile_large(args, exprs)
    return _lambdified(args, exprs, many, mpmath)


def _lambdified(args, exprs, many, mpmath):
    plain = [sp.Symbol(f"a{i}", real=True) for i in range(len(args))]
    table = dict(zip(args, plain))
    with sp.evaluate(False):        # renaming must not re-simplify (Max re-evaluation is slow)
        renamed = [sp.sympify(e, strict=True).xreplace(table) for e in (exprs if many else [exprs])]
    fn = sp.lambdify(plain, renamed if many else renamed[0], modules=_modules(mpmath),
                     cse=True, dummify=False, docstring_limit=0)
    return fn


def _modules(mpmath):
    """lambdify's namespace: the stable evaluation helpers, then numpy or mpmath."""
    return [MPMATH_HELPERS, "mpmath"] if mpmath else [NUMPY_HELPERS, NUMPY]


def compile_shared(args, exprs, mpmath=False):
    """compile_exprs for large expressions that share subtrees (the expanded losses of proof.py).

    Common subexpressions are found first, on the expressions as given: sympy walks a tree once per
    occurrence, so renaming the arguments (or scanning for implemented functions) in the expanded
    expressions would take time exponential in depth, while cse sees each shared subtree once. Only the
    small pieces cse returns are renamed.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.compile import compile_shared
    >>> w, O = sp.Symbol("w^1_11"), sp.Symbol("O_11")
    >>> f = compile_shared([w, O], [sp.exp(w * O) + w * O, w * O])
    >>> [round(float(v), 6) for v in f(2.0, 0.5)]
    [3.718282, 1.0]
    """
    plain = [sp.Symbol(f"a{i}", real=True) for i in range(len(args))]
    table = dict(zip(args, plain))
    with sp.evaluate(False):        # cse rebuilds its pieces: without re-simplifying them (Max compares its args)
        replacements, reduced = sp.cse(list(exprs))
        replacements = [(s, sp.sympify(e, strict=True).xreplace(table)) for s, e in replacements]
        reduced = [sp.sympify(e, strict=True).xreplace(table) for e in reduced]
    return sp.lambdify(plain, reduced, modules=_modules(mpmath),
                      cse=lambda _: (replacements, reduced), dummify=False, docstring_limit=0)


class _Named:
    """A code printer that names the arguments a0, a1, ..., prints sums and products in their stored order
    (no sorting), and prints every shared subexpression as the temporary that holds it."""

    def __init__(self, names):
        super().__init__({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": True,
                          "user_functions": {}})
        self.names = names              # Symbol or shared subexpression -> its name in the code
        self.defining = None            # the shared subexpression being defined (printed in full)
        self._not_supported, self._number_symbols = set(), set()     # doprint's bookkeeping, used by _print

    def _print(self, expr, **kwargs):
        if expr is not self.defining:
            name = self.names.get(expr)
            if name is not None:
                return name
        return super()._print(expr, **kwargs)

    def _print_Add(self, expr, order=None):
        return "(" + " + ".join(f"({self._print(a)})" for a in expr.args) + ")"

    def _print_Mul(self, expr):
        return "(" + "*".join(f"({self._print(a)})" for a in expr.args) + ")"


class LargePrinter(_Named, NumPyPrinter):
    """NumPyPrinter naming arguments and shared subexpressions, sums and products in their stored order."""


class LargeMpmathPrinter(_Named, MpmathPrinter):
    """MpmathPrinter naming arguments, sums and products in their stored order."""


def _shared_subtrees(exprs):
    """The compound subexpressions that occur more than once, children before parents."""
    counts, order = {}, []

    def visit(e):
        if e.is_Atom:
            return
        if e in counts:                  # seen: its children were counted the first time
            counts[e] += 1
            return
        counts[e] = 1
        for a in e.args:
            visit(a)
        order.append(e)
    for e in exprs:
        visit(e)
    return [e for e in order if counts[e] > 1]


def compile_large(args, exprs):
    """compile_exprs for many arguments or expressions (numpy only): the same function, generated in one pass.

    Every compound subexpression that occurs twice is computed once into a temporary (the job of
    lambdify's cse), and sums and products are evaluated in the order sympy stores their terms, so a
    value may differ from compile_exprs' in the last bits (the order of a floating-point sum), never more.
    The source is generated from sympy expressions only, never from user text.

    Examples
    ========
    >>> import sympy as sp
    >>> from gradproof.symbolic.compile import compile_large
    >>> w, O = sp.Symbol("w^1_11"), sp.Symbol("O_11")
    >>> [float(v) for v in compile_large([w, O], [sp.exp(w * O) + w * O, w * O, sp.Integer(0)])(2.0, 0.5)]
    [3.718281828459045, 1.0, 0.0]
    """
    many = isinstance(exprs, (list, tuple))
    exprs = [sp.sympify(e, strict=True) for e in (exprs if many else [exprs])]
    names = {a: f"a{i}" for i, a in enumerate(args)}
    printer = LargePrinter(names)
    body = []
    # printer._print, not doprint: doprint rewrites each expression first (a tree walk per call); what
    # the printer cannot print inline (a function numpy lacks, a named constant) is left to lambdify
    try:
        for n, shared in enumerate(_shared_subtrees(exprs)):
            printer.defining = shared
            body.append(f"    _t{n} = {printer._print(shared)}")
            names[shared] = f"_t{n}"
        printer.defining = None
        results = [printer._print(e) for e in exprs]
    except PrintMethodNotImplementedError:
        printer._not_supported.add(None)
    if printer._not_supported or printer._number_symbols:
        return _lambdified(args, exprs if many else exprs[0], many, mpmath=False)
    body.append("    return " + ("[" + ", ".join(results) + "]" if many else results[0]))
    source = f"def _compiled({', '.join(f'a{i}' for i in range(len(args)))}):\n" + "\n".join(body) + "\n"
    namespace = {"numpy": numpy, "functools": functools, "math": math, **NUMPY_HELPERS}
    exec(compile(source, "<gradproof compile_large>", "exec"), namespace)
    return namespace["_compiled"]
