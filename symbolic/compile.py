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
    fn = sp.lambdify(plain, renamed if many else renamed[0], modules="mpmath" if mpmath else "numpy",
                     cse=True, dummify=False, docstring_limit=0)
    return fn


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
    return sp.lambdify(plain, reduced, modules="mpmath" if mpmath else "numpy",
                      cse=lambda _: (replacements, reduced), dummify=False, docstring_limit=0)


class _LargePrinter(NumPyPrinter):
    """NumPyPrinter that names the arguments a0, a1, ..., prints sums and products in their stored order
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
    printer = _LargePrinter(names)
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
    namespace = {"numpy": numpy, "functools": functools, "math": math}
    exec(compile(source, "<gradproof compile_large>", "exec"), namespace)
    return namespace["_compiled"]
