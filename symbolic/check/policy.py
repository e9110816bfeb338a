"""The policy of a check: which methods are compared, the rule, and each method's tolerance.

Everything that names the methods or merges tolerances reads this module: the check itself, the
pytest helper (symbolic/testing.py) and the CLI's --rtol/--atol.

>>> merge_tolerances(("backprop", "central"), rtol={"central": 1e-4})["central"]
Tolerance(rtol=0.0001, atol=1e-07)
>>> merge_tolerances(METHODS, atol=0)["per_path"]
Tolerance(rtol=1e-10, atol=0.0)
>>> merge_tolerances(METHODS, rtol={"centre": 1e-4})
Traceback (most recent call last):
...
gradproof.numeric.errors.GradproofError: unknown method 'centre'; valid: backprop, matrix, per_path, central, complex_step
"""
from dataclasses import dataclass

from gradproof.numeric.errors import unknown
from gradproof.numeric.fd import COMPLEX_H

__all__ = ["METHODS", "DESCRIPTIONS", "RULE", "MAX_PATHS", "EXACT_DIGITS", "Tolerance", "TIGHT", "TOLERANCES",
           "ROUNDING_ALLOWANCE", "STEPPED", "Method", "TABLE", "merge_tolerances", "rounding_allowance"]

RULE = "pass iff |a − s| <= atol + rtol·|s|"
MAX_PATHS = 1000              # per-path sums above this many paths per parameter are skipped
EXACT_DIGITS = 50
REFERENCE = "symbolic"        # the name of the reference s in the report, its JSON and a check's `methods`


@dataclass(frozen=True)
class Tolerance:
    """The allowance atol + rtol·|s| of one method.

    >>> Tolerance(rtol=1e-5, atol=1e-7).allowed(-2.0)
    2.01e-05
    """

    rtol: float
    atol: float

    def allowed(self, s):
        return self.atol + self.rtol * abs(s)


# Why these numbers. backprop, matrix, per_path and the complex step compute the same mathematics as s in
# float64 (the complex step has no subtraction, hence no cancellation; its truncation error is of
# order h^2 = 1e-60): they differ from s by rounding alone, a few ulps per operation, about 1e-15
# relative for these networks. rtol 1e-10 leaves five orders of magnitude for deep or wide networks
# and many samples, while a wrong formula (a missing term, a wrong index, a wrong derivative) is off
# by the order of the gradient itself. atol 1e-12 covers gradients that cancel to about 0, where the
# rounding error is eps times the size of the terms summed, not of the result.
# Central differences with h = eps^(1/3) ~ 6e-6 carry a truncation error h^2 |L'''| / 6 ~ 1e-11 |L'''|
# and a rounding error eps |L| / h ~ 4e-11 |L|: about 1e-10 for losses and derivatives of order
# 1 to 10. rtol 1e-5 and atol 1e-7 leave a factor of about 1000 over that.
TIGHT = Tolerance(rtol=1e-10, atol=1e-12)


@dataclass(frozen=True)
class Method:
    """One way of computing every gradient, compared with the reference s: its name (in the report and the JSON),
    what it is, its default tolerance, and whether it takes a step in the parameter (a finite difference: not judged
    across a kink, nor where no step resolves the derivative against the rounding of L, and allowed that rounding)."""

    name: str
    description: str
    tolerance: Tolerance
    stepped: bool = False


# the methods, in the report's order; compare.py computes each (its COMPUTE has one entry per row)
TABLE = (
    Method("backprop", "memoized backpropagation (numpy)", TIGHT),
    Method("matrix", "the derived layer equations in matrix form, in the spec's layout (numpy)", TIGHT),
    Method("per_path", "the chain rule summed path by path, nothing reused", TIGHT),
    Method("central", "central differences (L(w+h) − L(w−h)) / 2h", Tolerance(rtol=1e-5, atol=1e-7), stepped=True),
    Method("complex_step", f"complex step Im L(w + ih) / h, h = {COMPLEX_H:g}", TIGHT),
)
METHODS = tuple(m.name for m in TABLE)
DESCRIPTIONS = {REFERENCE: "the derived δ form, compiled with lambdify (the reference s)",
                **{m.name: m.description for m in TABLE}}
TOLERANCES = {m.name: m.tolerance for m in TABLE}
STEPPED = frozenset(m.name for m in TABLE if m.stepped)
# Central differences also carry the rounding of L at its magnitude, eps |L| / h over the step (a loss of
# 1e300 rounds to ±2e284; numeric.fd.Estimate.rounding): at the default rtol their allowance grows by
# ROUNDING_ALLOWANCE times it, in proportion to the rtol asked for (none at rtol 0). For a loss of order 1
# it is about 4e-10, nothing next to atol 1e-7; for a loss of 1e300 it is what makes the check possible.
ROUNDING_ALLOWANCE = 10


def rounding_allowance(method, tolerance, rounding):
    """What a stepped method (central differences) may be off by, beyond atol + rtol·|s|, for the rounding of L
    over its step, at the tolerance asked for.

    >>> rounding_allowance("central", TOLERANCES["central"], 0.5), rounding_allowance("central", Tolerance(0.0, 0.0), 0.5)
    (5.0, 0.0)
    """
    return ROUNDING_ALLOWANCE * rounding * (tolerance.rtol / TOLERANCES[method].rtol)


def merge_tolerances(names, rtol=None, atol=None, base=None):
    """{method: Tolerance} for each method in `names`: `base` (default TOLERANCES; TIGHT for a method it
    lacks, such as a gradient given to the check) with rtol and atol replaced. base: {method: Tolerance}.
    rtol, atol: None, a number for every method, or {method: number} for some. A method not in `names`
    is an error listing the valid ones."""
    base = dict(base or {})
    _pick(base, None, None, names)               # a base tolerance for a method not compared is an error too
    out = {}
    for m in names:
        default = base.get(m) or TOLERANCES.get(m, TIGHT)
        out[m] = Tolerance(rtol=float(_pick(rtol, m, default.rtol, names)),
                           atol=float(_pick(atol, m, default.atol, names)))
    return out


def _pick(given, method, default, names):
    if given is None:
        return default
    if hasattr(given, "items"):
        for name in given:
            if name not in names:
                raise unknown("method", name, names)
        return given.get(method, default)
    return given
