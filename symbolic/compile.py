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
