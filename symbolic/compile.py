"""lambdify, fed plain argument names: gradproof's symbols are named like the notes (w^1_11), which
lambdify would otherwise rename by rewriting every expression once per symbol (quadratic time)."""
import sympy as sp


def compile_exprs(args, exprs, mpmath=False):
    """A function of args computing exprs (a list, or one expression), with common subexpressions shared.

    Examples
    ========
    >>> import sympy as sp
    >>> from symbolic.compile import compile_exprs
    >>> w, O = sp.Symbol("w^1_11"), sp.Symbol("O_11")
    >>> compile_exprs([w, O], [w * O, w + O])(2.0, 3.0)
    [6.0, 5.0]
    """
    plain = [sp.Symbol(f"a{i}", real=True) for i in range(len(args))]
    table = dict(zip(args, plain))
    many = isinstance(exprs, (list, tuple))
    with sp.evaluate(False):        # renaming must not re-simplify (Max re-evaluation is slow)
        renamed = [sp.sympify(e).xreplace(table) for e in (exprs if many else [exprs])]
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
    >>> from symbolic.compile import compile_shared
    >>> w, O = sp.Symbol("w^1_11"), sp.Symbol("O_11")
    >>> f = compile_shared([w, O], [sp.exp(w * O) + w * O, w * O])
    >>> [round(float(v), 6) for v in f(2.0, 0.5)]
    [3.718282, 1.0]
    """
    plain = [sp.Symbol(f"a{i}", real=True) for i in range(len(args))]
    table = dict(zip(args, plain))
    replacements, reduced = sp.cse(list(exprs))
    with sp.evaluate(False):
        replacements = [(s, sp.sympify(e).xreplace(table)) for s, e in replacements]
        reduced = [sp.sympify(e).xreplace(table) for e in reduced]
    return sp.lambdify(plain, reduced, modules="mpmath" if mpmath else "numpy",
                      cse=lambda _: (replacements, reduced), dummify=False, docstring_limit=0)
