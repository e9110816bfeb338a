"""Cross-check every gradient six ways: symbolic, backprop, the matrix form, per-path, central differences, complex step.

The reference is the symbolic gradient s: the derived delta form, compiled with lambdify
(symbolic/evaluate.py). Every other method's value a is compared with it, parameter by parameter
and point by point, by the rule (gradcheck's, with s in the place of the numeric value):

    pass  iff  |a - s| <= atol + rtol * |s|

with a tolerance per method (policy.TOLERANCES). A parameter whose central difference straddles a kink
(a ReLU or leaky-ReLU pre-activation, or an L1-regularized weight, within the step of 0; see
numeric.fd.kinks) gets the status "kink": central differences mean nothing there, so they are shown
but not judged; the exact methods still are.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.point import from_mapping, random_point
>>> from gradproof.symbolic.check import check
>>> report = check(Spec(), [random_point(Spec(), seed=1)])
>>> report.passed, len(report.rows), report.methods
(True, 20, ('backprop', 'matrix', 'per_path', 'central', 'complex_step'))
>>> wrong = lambda spec, point: {p: 0.0 for p in spec.parameters()}
>>> check(Spec(), [random_point(Spec(), seed=1)], methods={"backprop": wrong}).failures[0].failed_methods
['backprop']
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.backprop import backprop
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.fd import central, complex_step, complex_step_applies, kinks
from gradproof.numeric.notation import parse_param
from gradproof.numeric.paths import per_path
from gradproof.numeric.point import from_mapping, random_point

from ..matrix.evaluate import gradients as matrix_gradients
from .policy import EXACT_DIGITS, MAX_PATHS, METHODS, REFERENCE, STEPPED, merge_tolerances, rounding_allowance
from .report import Report, Row

__all__ = ["check", "random_points", "compiled"]


def random_points(spec, seed=0, count=1, samples=1, allow_kinks=False, attempts=100):
    """count random POINTs; point n (1-based) is numeric.point.random_point(spec, seed + n - 1, samples).

    Unless allow_kinks, a point where some parameter's central difference straddles a kink is drawn
    again (from the seed [seed + n - 1, attempt]), up to `attempts` times. Returns [(point, source)].
    """
    out = []
    for n in range(count):
        for attempt in range(attempts):
            draw = seed + n if attempt == 0 else [seed + n, attempt]
            point = random_point(spec, seed=draw, samples=samples)
            if allow_kinks or not kinks(spec, point):
                break
        out.append((point, {"point": n + 1, "seed": draw, "samples": samples}))
    return out


# ---- the check -----------------------------------------------------------------------------


_COMPILED = {}


def compiled(spec, digits=None):
    """The compiled symbolic network of a spec (symbolic.evaluate.Compiled), built once per spec and precision."""
    from ..evaluate import Compiled
    from ..model import Model

    key = (spec, digits)
    if key not in _COMPILED:
        if len(_COMPILED) >= 32:                 # a bound, for property tests that try many specs
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = Compiled(Model(spec), digits=digits)
    return _COMPILED[key]


def _symbolic(spec, point):
    return compiled(spec).evaluate(point).gradients


def _backprop(spec, point):
    grads = backprop(spec, point)
    return {p: grads.value(p) for p in spec.parameters()}


def _matrix(spec, point, params, max_paths):
    return matrix_gradients(spec, point)      # a coupled layer (softmax) by its Jacobian-vector form


def _per_path(spec, point, params, max_paths):
    return per_path(spec, point, params, max_paths=max_paths).values


def _per_path_left_out(spec, params, max_paths):
    skipped = [p for p in params if max_paths is not None and spec.path_count(p) > max_paths]
    if not skipped:
        return None
    return (f"per_path skipped for {len(skipped)} parameter{'s' if len(skipped) != 1 else ''} "
            f"with more than {max_paths} paths each (e.g. {skipped[0]}: {spec.path_count(skipped[0])} paths); "
            "raise --max-paths to include them",
            {p: f"per_path not computed: {spec.path_count(p)} paths > --max-paths {max_paths}" for p in skipped})


def _central(spec, point, params, max_paths):
    return {e.param: e for e in central(spec, point, params)}


def _complex_step(spec, point, params, max_paths):
    return {e.param: e.value for e in complex_step(spec, point, params)} if complex_step_applies(spec) else {}


def _complex_step_left_out(spec, params, max_paths):
    if complex_step_applies(spec):
        return None
    layer = next(k for k, a in enumerate(spec.activations, 1) if not ACTIVATIONS[a].analytic)
    return (f"complex_step does not apply: layer {layer} uses {spec.activations[layer - 1]}, "
            "which is not analytic (Im f(z + ih) / h needs a holomorphic f)", {})


@dataclass(frozen=True)
class Computation:
    """How one method of policy.TABLE is computed. ``values(spec, point, params, max_paths)``: {Param: value}, or
    for a stepped method {Param: numeric.fd.Estimate} (its value, whether a step resolves it, the rounding of L
    over the step). ``left_out(spec, params, max_paths)``: for a method that leaves parameters out, (a note for
    the report, {Param: a note for its row}), or None when it leaves none out."""

    values: Callable
    left_out: Callable = None


# one entry per row of policy.TABLE (backprop through a lambda: the tests put a wrong _backprop in its place to see
# the check fail)
COMPUTE = {"backprop": Computation(lambda spec, point, params, max_paths: _backprop(spec, point)),
           "matrix": Computation(_matrix), "per_path": Computation(_per_path, _per_path_left_out),
           "central": Computation(_central), "complex_step": Computation(_complex_step, _complex_step_left_out)}


def _as_values(spec, result, params):
    """{Param: float} from what a gradient callable returned: keyed by Param or by name (w^1_11)."""
    if not hasattr(result, "items"):
        raise GradproofError("a gradient callable must return a mapping from parameter (or name) to value")
    values = {(parse_param(k) if isinstance(k, str) else k): v for k, v in result.items()}
    missing = [str(p) for p in params if p not in values]
    if missing:
        raise GradproofError(f"the gradient given has no value for {', '.join(missing[:5])}"
                             + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    return {p: float(values[p]) for p in params}


def check(spec, points, *, params=None, tolerances=None, max_paths=MAX_PATHS, exact=False, methods=None,
          sources=None):
    """Compare every parameter's gradient by each method with the symbolic one, at each POINT.

    tolerances: {method: Tolerance} overriding policy.TOLERANCES. max_paths: the per-path sum is skipped (with a
    note) for parameters with more paths. exact: also evaluate s in EXACT_DIGITS-digit arithmetic.
    methods: {name: callable(spec, point) -> {Param or name: value}}; a name of METHODS replaces that
    method, "symbolic" replaces the reference, any other name is checked as one more method (with the
    backprop tolerance unless `tolerances` gives one). Injecting a wrong gradient this way is how the
    failure messages are tested.
    """
    if not points:
        raise GradproofError("nothing to check: no POINT given")
    params = list(params) if params is not None else spec.parameters()
    for p in params:
        spec.check_param(p)
    for n, point in enumerate(points, start=1):
        # the POINT file rules (numeric.point.from_mapping) name a wrong shape before any method trips on it
        from_mapping(point.to_json(), spec, source=f"point {n}")
    given = dict(methods or {})
    names = METHODS + tuple(m for m in given if m not in METHODS and m != REFERENCE)
    tols = merge_tolerances(names, base=tolerances)
    asked = {m: COMPUTE[m].left_out(spec, params, max_paths) for m in METHODS if m not in given and COMPUTE[m].left_out}
    left_out = {m: why for m, why in asked.items() if why}
    notes = [note for note, _ in left_out.values()]
    rows = []
    for n, point in enumerate(points, start=1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # a non-finite value is a status
            rows += _rows(spec, point, n, params, names, given, tols, max_paths, left_out, exact)
    return Report(spec, rows, len(points), names, tols, notes, exact,
                  sources or [{"point": n} for n in range(1, len(points) + 1)])


def _rows(spec, point, n, params, names, given, tols, max_paths, left_out, exact):
    """The rows of one point: every method's value of every parameter, judged."""
    s = _as_values(spec, given[REFERENCE](spec, point), params) if REFERENCE in given \
        else _symbolic(spec, point)
    values, estimates = {}, {}
    for m in names:
        if m in given:
            values[m] = _as_values(spec, given[m](spec, point), params)
        elif m in STEPPED:
            estimates[m] = COMPUTE[m].values(spec, point, params, max_paths)
            values[m] = {p: e.value for p, e in estimates[m].items()}
        else:
            values[m] = COMPUTE[m].values(spec, point, params, max_paths)
    exact_values = compiled(spec, EXACT_DIGITS).evaluate(point).gradients if exact else {}
    kinked = kinks(spec, point, params)
    rows = []
    for p in params:
        row = Row(p, n, float(s[p]), {m: _maybe(values[m].get(p)) for m in names}, tols,
                  kink=kinked.get(p), exact=exact_values.get(p))
        for m, found in estimates.items():
            row.unresolved = found[p].unresolved
            row.extra[m] = rounding_allowance(m, tols[m], found[p].rounding)
        row.notes += [why[p] for _, why in left_out.values() if p in why]
        row.status = ("nonfinite" if row.nonfinite else "fail" if row.failed_methods
                      else "kink" if row.kink else "pass")
        rows.append(row)
    return rows


def _maybe(value):
    return None if value is None else float(value)
