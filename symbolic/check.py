"""Cross-check every gradient five ways: symbolic, backprop, per-path, central differences, complex step.

The reference is the symbolic gradient s: the derived delta form, compiled with lambdify
(symbolic/evaluate.py). Every other method's value a is compared with it, parameter by parameter
and point by point, by the rule (gradcheck's, with s in the place of the numeric value):

    pass  iff  |a - s| <= atol + rtol * |s|

with a tolerance per method (TOLERANCES). A parameter whose central difference straddles a kink
(a ReLU or leaky-ReLU pre-activation, or an L1-regularized weight, within the step of 0) gets the
status "kink": central differences mean nothing there, so they are shown but not judged; the exact
methods still are.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.point import from_mapping, random_point
>>> from gradproof.symbolic.check import check
>>> report = check(Spec(), [random_point(Spec(), seed=1)])
>>> report.passed, len(report.rows), report.methods
(True, 20, ('backprop', 'per_path', 'central', 'complex_step'))
>>> wrong = lambda spec, point: {p: 0.0 for p in spec.parameters()}
>>> check(Spec(), [random_point(Spec(), seed=1)], methods={"backprop": wrong}).failures[0].failed_methods
['backprop']
"""
import math
from dataclasses import dataclass, field

import numpy as np

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.backprop import backprop, forward, layers_from
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.fd import COMPLEX_H, central, central_step, complex_step, complex_step_applies
from gradproof.numeric.notation import Neuron, Param, parse_param
from gradproof.numeric.paths import per_path
from gradproof.numeric.point import from_mapping, random_point

__all__ = ["METHODS", "TOLERANCES", "MAX_PATHS", "EXACT_DIGITS", "RULE", "Tolerance", "Row", "Report",
           "check", "kinks", "random_points", "compiled"]

METHODS = ("backprop", "per_path", "central", "complex_step")
RULE = "pass iff |a − s| <= atol + rtol·|s|"
MAX_PATHS = 1000              # per-path sums above this many paths per parameter are skipped
EXACT_DIGITS = 50

DESCRIPTIONS = {
    "symbolic": "the derived δ form, compiled with lambdify (the reference s)",
    "backprop": "memoized backpropagation (numpy)",
    "per_path": "the chain rule summed path by path, nothing reused",
    "central": "central differences (L(w+h) − L(w−h)) / 2h",
    "complex_step": f"complex step Im L(w + ih) / h, h = {COMPLEX_H:g}",
}


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


# Why these numbers. backprop, per_path and the complex step compute the same mathematics as s in
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
TOLERANCES = {"backprop": TIGHT, "per_path": TIGHT, "central": Tolerance(rtol=1e-5, atol=1e-7),
              "complex_step": TIGHT}


@dataclass
class Row:
    """One parameter at one point: the symbolic value s, each method's value a (None: not computed),
    the status (pass, fail or kink) and the notes explaining it."""

    param: Param
    point: int                           # 1-based
    symbolic: float
    values: dict
    tolerances: dict
    status: str = "pass"
    notes: list = field(default_factory=list)
    kink: str | None = None              # why central differences are not judged here
    exact: object = None                 # the 50-digit symbolic value (an mpmath number), with --exact

    def judged(self, method):
        """Whether the method's value is compared: computed, and not central differences at a kink."""
        return self.values.get(method) is not None and not (self.kink and method == "central")

    def abs_err(self, method):
        a = self.values.get(method)
        return None if a is None else abs(a - self.symbolic)

    def rel_err(self, method):
        err = self.abs_err(method)
        if err is None or self.symbolic == 0:
            return 0.0 if err == 0 else None         # undefined for s = 0 unless a = s too
        return err / abs(self.symbolic)

    def allowed(self, method):
        return self.tolerances[method].allowed(self.symbolic)

    def ratio(self, method):
        """|a − s| as a share of what the rule allows: above 1 fails (nan counts as inf)."""
        err, allowed = self.abs_err(method), self.allowed(method)
        if err is None:
            return None
        if math.isnan(err):
            return math.inf
        return err / allowed if allowed > 0 else (0.0 if err == 0 else math.inf)

    def passes(self, method):
        err = self.abs_err(method)
        return err is not None and err <= self.allowed(method)      # False for nan

    @property
    def failed_methods(self):
        return [m for m in self.values if self.judged(m) and not self.passes(m)]

    @property
    def worst(self):
        """(method, ratio) of the judged method closest to failing, or (None, 0.0)."""
        judged = [(m, self.ratio(m)) for m in self.values if self.judged(m)]
        return max(judged, key=lambda mr: mr[1], default=(None, 0.0))

    def exact_err(self, method):
        """|value − exact| in float, for "symbolic" or a method (None when either is missing)."""
        value = self.symbolic if method == "symbolic" else self.values.get(method)
        if self.exact is None or value is None:
            return None
        import mpmath
        with mpmath.workdps(EXACT_DIGITS):
            return float(abs(mpmath.mpf(value) - self.exact))

    def to_json(self):
        methods = list(self.values)
        entry = {"name": self.param.name, "point": self.point, "symbolic": _num(self.symbolic)}
        entry.update({m: _num(self.values[m]) for m in methods})
        entry["abs_err"] = {m: _num(self.abs_err(m)) for m in methods}
        entry["rel_err"] = {m: _num(self.rel_err(m)) for m in methods}
        entry["status"] = self.status
        if self.kink:
            entry["kink"] = self.kink
        if self.notes:
            entry["notes"] = list(self.notes)
        if self.exact is not None:
            import mpmath
            entry["exact"] = mpmath.nstr(self.exact, EXACT_DIGITS, strip_zeros=False)
            entry["exact_err"] = {m: _num(self.exact_err(m)) for m in ["symbolic"] + methods}
        return entry

    def explain(self):
        """Every value, its error, its allowance and the verdict, one method a line (for failures and kinks)."""
        head = f"{self.param} at point {self.point}: {self.status.upper()}"
        lines = [head + (f" (central differences not judged: {self.kink})" if self.kink else ""),
                 f"    rule: {RULE}, s = symbolic = {self.symbolic!r}",
                 f"    {'method':<13} {'value a':>24}  {'|a − s|':>9}  {'|a − s|/|s|':>11}  {'allowed':>9}  "
                 f"{'(rtol, atol)':<14} result"]
        for m, a in self.values.items():
            tol = self.tolerances[m]
            if a is None:
                verdict = "not computed"
            elif not self.judged(m):
                verdict = "not judged (kink)"
            else:
                verdict = "pass" if self.passes(m) else "FAIL"
            lines.append(f"    {m:<13} {'-' if a is None else repr(a):>24}  {_short(self.abs_err(m)):>9}  {_short(self.rel_err(m)):>11}  "
                         f"{_short(self.allowed(m)):>9}  {f'({_g(tol.rtol)}, {_g(tol.atol)})':<14} {verdict}")
        lines += [f"    note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass
class Report:
    """The rows of a check (one per parameter per point), the methods compared and their tolerances."""

    spec: object
    rows: list
    points: int
    methods: tuple
    tolerances: dict
    notes: list = field(default_factory=list)
    exact: bool = False
    sources: list = field(default_factory=list)     # how each point was made: {"seed": ...} or {"file": ...}

    @property
    def passed(self):
        return not self.failures

    @property
    def failures(self):
        return [r for r in self.rows if r.status == "fail"]

    @property
    def kinks(self):
        return [r for r in self.rows if r.status == "kink"]

    def ordered(self):
        """Rows worst first: failures, then kinks, then passes, each by the share of the allowance used."""
        rank = {"fail": 0, "kink": 1, "pass": 2}
        return sorted(self.rows, key=lambda r: (rank[r.status], -r.worst[1]))

    def worst(self):
        """The row and method closest to failing (or failing worst), or None with nothing judged."""
        best = max(self.rows, key=lambda r: (r.status == "fail", r.worst[1]), default=None)
        return None if best is None or best.worst[0] is None else best

    def to_json(self):
        worst = self.worst()
        data = {"passed": self.passed, "points": self.points,
                "parameters": [r.to_json() for r in self.rows], "worst": {}}
        if worst is not None:
            method, ratio = worst.worst
            data["worst"] = dict(worst.to_json(), method=method, ratio=_num(ratio), allowed=worst.allowed(method))
        data["rule"] = RULE
        data["tolerances"] = {m: {"rtol": t.rtol, "atol": t.atol} for m, t in self.tolerances.items()}
        data["network"] = self.spec.to_json()
        data["sources"] = self.sources
        data["notes"] = self.notes
        data["counts"] = {status: sum(r.status == status for r in self.rows) for status in ("pass", "fail", "kink")}
        if self.exact:
            data["exact_digits"] = EXACT_DIGITS
        return data

    def summary(self):
        worst = self.worst()
        where = ""
        if worst is not None:
            method, ratio = worst.worst
            where = f"; worst: {method} on {worst.param} at point {worst.point}, {_share(ratio)} of its allowance"
            where = where.replace("× of its allowance", " times its allowance")
        n, params = len(self.rows), len({r.param for r in self.rows})
        at = f"{self.points} point{'s' if self.points != 1 else ''}"
        if self.failures:
            named = list(dict.fromkeys(f"{r.param} ({', '.join(r.failed_methods)})" for r in self.failures))
            names = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
            return (f"FAIL: {len(self.failures)} of {n} checks ({params} parameters at {at}) disagree: {names}{where}")
        kinks = f"; {len(self.kinks)} at a kink (central differences not judged)" if self.kinks else ""
        return f"PASS: all {params} parameters agree by every method at {at}{kinks}{where}"

    def to_text(self, top=20):
        """The terminal table, worst rows first, with a header explaining the rule and the columns."""
        lines = [f"gradproof check: {self.spec!r}; {len({r.param for r in self.rows})} parameters at "
                 + _sources_text(self.sources),
                 "Each gradient dL/dparam is computed several ways. The reference is the symbolic value s;",
                 "every other method's value a passes iff |a − s| <= atol + rtol·|s|:"]
        for m in self.methods:
            tol = self.tolerances[m]
            unused = "   (not computed here: see Notes)" if all(r.values[m] is None for r in self.rows) else ""
            lines.append(f"  {m:<13} {DESCRIPTIONS.get(m, 'the gradient given to the check'):<52} "
                         f"rtol {_g(tol.rtol):<6} atol {_g(tol.atol)}{unused}")
        lines += ["Columns: s; then |a − s| for each method ('-' = not computed, 'kink' = not judged);",
                  "'used' = the largest |a − s| as a share of what the rule allows (up to 100% passes; '3.2×' fails).",
                  "Worst rows first.",
                  ""]
        wide = max([len(str(r.param)) for r in self.rows] + [9])
        header = [("parameter", wide), ("point", 5), ("symbolic s", 22)] + [(m, max(9, len(m))) for m in self.methods] \
            + [("used", 9), ("status", 6)]
        lines.append("  ".join(f"{name:<{width}}" for name, width in header))
        shown = passes = 0
        ordered = self.ordered()
        for r in ordered:
            if r.status == "pass":
                if top and passes >= top:
                    break
                passes += 1
            shown += 1
            cells = [str(r.param), str(r.point), _full(r.symbolic)]
            for m in self.methods:
                cells.append("kink" if r.kink and m == "central" and r.values.get(m) is not None
                             else _short(r.abs_err(m)))
            cells += [_share(r.worst[1]), r.status]
            lines.append("  ".join(f"{c:<{w}}" for c, (_, w) in zip(cells, header)).rstrip())
        if shown < len(ordered):
            lines.append(f"... {len(ordered) - shown} more rows, all pass (--top 0 shows every row)")
        if self.notes:
            lines += ["", "Notes:"] + [f"  {note}" for note in self.notes]
        if self.exact:
            lines += ["", f"Float64 error of each method against the symbolic gradient in {EXACT_DIGITS}-digit "
                          "arithmetic (largest over all rows):"]
            for m in ("symbolic",) + tuple(self.methods):
                errs = [(r.exact_err(m), r) for r in self.rows if r.exact_err(m) is not None]
                if errs:
                    err, r = max(errs, key=lambda e: e[0])
                    lines.append(f"  {m:<13} {err:.3e}   (on {r.param} at point {r.point})")
        details = self.failures + self.kinks
        if details:
            lines += ["", "Details (each value, its error, the allowance atol + rtol·|s| and the verdict):"]
            lines += [r.explain() for r in details]
        lines += ["", self.summary()]
        return "\n".join(lines)


def _num(x):
    """A JSON number: floats as they are, non-finite values (which JSON cannot hold) as None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _g(x):
    """A tolerance as people write it: 1e-5, not 1e-05."""
    return f"{x:g}".replace("e-0", "e-").replace("e+0", "e+")


def _full(x):
    return "-" if x is None else f"{x:.15g}"


def _short(x):
    return "-" if x is None else ("0" if x == 0 else f"{x:.1e}")


def _share(ratio):
    """How much of its allowance an error uses: '0.71%' within it, '3.2×' (times the allowance) beyond."""
    if ratio is None or math.isinf(ratio):
        return "inf"
    return f"{100 * ratio:.2g}%" if ratio <= 1 else f"{ratio:.2g}×"


def _sources_text(sources):
    """Where the points came from, in a few words: 'the POINT in p.json', '3 random points (seeds 0, 1, 2; ...)'."""
    files = [s["file"] for s in sources if "file" in s]
    if files:
        return "the POINT in " + ", ".join(files)
    if not sources or "seed" not in sources[0]:
        return f"{len(sources)} point{'s' if len(sources) != 1 else ''}"
    seeds = [s["seed"] for s in sources]
    plain = all(isinstance(seed, int) for seed in seeds) and seeds == list(range(seeds[0], seeds[0] + len(seeds)))
    seeds = f"{seeds[0]}–{seeds[-1]}" if plain and len(seeds) > 2 else ", ".join(str(seed) for seed in seeds)
    samples = sources[0]["samples"]
    many = len(sources) != 1
    return (f"{len(sources)} random point{'s' if many else ''} (seed{'s' if many else ''} {seeds}; "
            f"{samples} sample{'s' if samples != 1 else ''}{' each' if many else ''})")


# ---- kinks -----------------------------------------------------------------------------------


def kinks(spec, point, params=None):
    """{param: reason} for the parameters whose central differences straddle a kink.

    Central differences evaluate L at w ± h and w ± 2h (h = fd.central_step(w)). Where that moves a
    ReLU or leaky-ReLU pre-activation z_mq by at least its distance from 0, L is not smooth over the
    step; so too for an L1-regularized weight within 2h of 0 (λ|w|). Each perturbed copy of the network
    is run forward from the parameter's layer, all copies of a layer in one batch.

    Examples
    ========
    >>> import numpy as np
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.numeric.point import Point
    >>> spec = Spec(layers=(1, 1, 1), activations=("relu", "linear"))
    >>> at_kink = Point(np.array([[1.0]]), np.array([[0.5]]), [np.array([[0.0]]), np.array([[1.0]])])
    >>> sorted(kinks(spec, at_kink))
    [w^1_11]
    """
    params = list(params) if params is not None else spec.parameters()
    reasons = {}
    if spec.regularization == "l1" and spec.lam > 0:
        for p in params:
            if p.is_weight:
                w = point.param_value(p)
                h = float(central_step(w))
                if abs(w) < 2 * h:
                    reasons[p] = (f"the L1 term λ|{p}| bends at {p} = 0, and {p} = {w:.3g} is within the "
                                  f"step ±2h = ±{2 * h:.2g} of it")
    kinked = [k for k in range(1, spec.depth + 1) if spec.activation(k).kinked]
    if not kinked:
        return reasons
    fwd = forward(spec, point)
    # a batch of 5 perturbed copies per parameter, each (samples, widest layer): about 1M numbers at once
    chunk = max(1, (1 << 20) // (5 * point.samples * max(spec.layers)))
    for layer in range(1, kinked[-1] + 1):
        group = [p for p in params if p.layer == layer]
        for start in range(0, len(group), chunk):
            _layer_kinks(spec, fwd, point, layer, group[start:start + chunk], kinked, reasons)
    return {p: reasons[p] for p in params if p in reasons}


def _layer_kinks(spec, fwd, point, layer, group, kinked, reasons):
    """Add the kink reasons of parameters of one layer: perturb each by 0, ±h, ±2h and compare z."""
    if not group:
        return
    h = central_step(np.array([point.param_value(p) for p in group]))
    steps = np.stack([0 * h, h, -h, 2 * h, -2 * h], axis=1)                    # (P, 5)
    P, S = steps.shape
    N = fwd.O[0].shape[0]
    # dz_kj = step * O_(k-1)i for a weight w^k_ij, = step for a bias b^k_j
    rows = np.stack([fwd.O[layer - 1][:, p.i - 1] if p.is_weight else np.ones(N) for p in group])   # (P, N)
    j = np.repeat([p.j - 1 for p in group], S)
    z = np.repeat(fwd.z[layer][None], P * S, axis=0)                           # (P*S, N, n_k)
    z[np.arange(P * S), :, j] += (steps[:, :, None] * rows[:, None, :]).reshape(P * S, N)
    zs, _ = layers_from(spec, layer, z, fwd.W, fwd.b)
    for m in kinked:
        if m < layer:
            continue
        zm = zs[m - layer].reshape(P, S, N, -1)
        base = zm[:, 0]
        moved = np.abs(zm[:, 1:] - base[:, None]).max(axis=1)                 # (P, N, n_m)
        near = np.abs(base) < moved
        for n, p in enumerate(group):
            if p in reasons or not near[n].any():
                continue
            # the neuron closest to its kink, relative to how far the step moves it
            closeness = np.where(near[n], np.abs(base[n]) / np.where(moved[n] > 0, moved[n], 1), np.inf)
            s, q = np.unravel_index(np.argmin(closeness), closeness.shape)
            name = Neuron("z", m, q + 1).name
            reasons[p] = (f"{spec.activation(m).prose} pre-activation {name} = {base[n, s, q]:.3g} "
                          f"(sample {s + 1}) is within the step of 0: moving {p} by up to ±2h = "
                          f"±{2 * h[n]:.2g} moves {name} by up to {moved[n, s, q]:.2g}")


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
    from .evaluate import Compiled
    from .model import Model

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

    tolerances: {method: Tolerance} overriding TOLERANCES. max_paths: the per-path sum is skipped (with a
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
    names = METHODS + tuple(m for m in given if m not in METHODS and m != "symbolic")
    tols = {m: TOLERANCES.get(m, TIGHT) for m in names}
    tols.update({m: t for m, t in (tolerances or {}).items() if m in tols})
    notes = []
    analytic = complex_step_applies(spec)
    if not analytic and "complex_step" not in given:
        layer = next(k for k, a in enumerate(spec.activations, 1) if not ACTIVATIONS[a].analytic)
        notes.append(f"complex_step does not apply: layer {layer} uses {spec.activations[layer - 1]}, "
                     "which is not analytic (Im f(z + ih) / h needs a holomorphic f)")
    skipped = [p for p in params if max_paths is not None and spec.path_count(p) > max_paths]
    if skipped and "per_path" not in given:
        notes.append(f"per_path skipped for {len(skipped)} parameter{'s' if len(skipped) != 1 else ''} with more "
                     f"than {max_paths} paths each (e.g. {skipped[0]}: {spec.path_count(skipped[0])} paths); "
                     "raise --max-paths to include them")
    rows = []
    for n, point in enumerate(points, start=1):
        s = _as_values(spec, given["symbolic"](spec, point), params) if "symbolic" in given \
            else _symbolic(spec, point)
        values = {}
        for m in names:
            if m in given:
                values[m] = _as_values(spec, given[m](spec, point), params)
            elif m == "backprop":
                values[m] = _backprop(spec, point)
            elif m == "per_path":
                values[m] = per_path(spec, point, params, max_paths=max_paths).values
            elif m == "central":
                values[m] = {e.param: e.value for e in central(spec, point, params)}
            elif m == "complex_step":
                values[m] = {e.param: e.value for e in complex_step(spec, point, params)} if analytic else {}
        exact_values = compiled(spec, EXACT_DIGITS).evaluate(point).gradients if exact else {}
        kinked = kinks(spec, point, params)
        for p in params:
            row = Row(p, n, float(s[p]), {m: _maybe(values[m].get(p)) for m in names}, tols,
                      kink=kinked.get(p), exact=exact_values.get(p))
            if p in skipped and "per_path" not in given:
                row.notes.append(f"per_path not computed: {spec.path_count(p)} paths > --max-paths {max_paths}")
            row.status = "fail" if row.failed_methods else ("kink" if row.kink else "pass")
            rows.append(row)
    return Report(spec, rows, len(points), names, tols, notes, exact,
                  sources or [{"point": n} for n in range(1, len(points) + 1)])


def _maybe(value):
    return None if value is None else float(value)
