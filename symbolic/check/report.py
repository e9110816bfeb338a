"""The report of a check: one Row per parameter per point, and the Report's terminal text and JSON.

A Row judges its own values by the rule of symbolic.check.policy (pass iff |a − s| <= atol + rtol·|s|);
the Report orders, summarizes and prints them.
"""
import math
from dataclasses import dataclass, field

from gradproof.numeric.notation import Param

from .policy import DESCRIPTIONS, EXACT_DIGITS, REFERENCE, RULE, STEPPED

__all__ = ["Row", "Report"]


@dataclass
class Row:
    """One parameter at one point: the symbolic value s, each method's value a (None: not computed),
    the status and the notes explaining it.

    Statuses: "nonfinite" (some value, the reference's or a method's, is NaN or infinite: never a pass),
    "fail" (a judged method breaks the rule), "kink" (central differences straddle a kink, so they are
    not judged; the rest pass), "pass". Central differences are not judged either where no step
    resolves the derivative against the rounding of L (`unresolved`); their allowance grows by
    `extra[method]`, atol scaled with that rounding (eps |L| / h), so that a large loss does not fail them."""

    param: Param
    point: int                           # 1-based
    symbolic: float
    values: dict
    tolerances: dict
    status: str = "pass"
    notes: list = field(default_factory=list)
    kink: str | None = None              # why central differences are not judged here
    unresolved: str | None = None        # why central differences cannot resolve this derivative
    extra: dict = field(default_factory=dict)    # {method: allowance added to atol + rtol·|s|}
    exact: object = None                 # the 50-digit symbolic value (an mpmath number), with --exact

    def judged(self, method):
        """Whether the method's value is compared: computed, and not central differences at a kink or
        where no step resolves the derivative."""
        return self.values.get(method) is not None and not (method in STEPPED and (self.kink or self.unresolved))

    @property
    def nonfinite(self):
        """The names ("symbolic" or a method) whose value is NaN or infinite."""
        named = {REFERENCE: self.symbolic, **self.values}
        return [m for m, v in named.items() if v is not None and not math.isfinite(v)]

    def not_judged_why(self, method):
        """Why a computed value is not judged ("kink", "unresolved"), or None."""
        if method not in STEPPED or self.values.get(method) is None:
            return None
        return "kink" if self.kink else ("unresolved" if self.unresolved else None)

    def abs_err(self, method):
        a = self.values.get(method)
        return None if a is None else abs(a - self.symbolic)

    def rel_err(self, method):
        err = self.abs_err(method)
        if err is None or self.symbolic == 0:
            return 0.0 if err == 0 else None         # undefined for s = 0 unless a = s too
        return err / abs(self.symbolic)

    def allowed(self, method):
        return self.tolerances[method].allowed(self.symbolic) + self.extra.get(method, 0.0)

    def ratio(self, method):
        """|a − s| as a share of what the rule allows: above 1 fails (nan counts as inf)."""
        err, allowed = self.abs_err(method), self.allowed(method)
        if err is None:
            return None
        if not (math.isfinite(err) and math.isfinite(allowed)):
            return math.inf                          # nothing non-finite uses a share of an allowance
        return err / allowed if allowed > 0 else (0.0 if err == 0 else math.inf)

    def passes(self, method):
        """The rule, for finite values only: with s = inf, |a − s| <= atol + rtol·|s| would hold for any a."""
        err = self.abs_err(method)
        return err is not None and math.isfinite(err) and math.isfinite(self.symbolic) and err <= self.allowed(method)

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
        value = self.symbolic if method == REFERENCE else self.values.get(method)
        if self.exact is None or value is None:
            return None
        import mpmath
        with mpmath.workdps(EXACT_DIGITS):
            return float(abs(mpmath.mpf(value) - self.exact))

    def to_json(self):
        methods = list(self.values)
        entry = {"name": self.param.name, "point": self.point, REFERENCE: _num(self.symbolic)}
        entry.update({m: _num(self.values[m]) for m in methods})
        entry["abs_err"] = {m: _num(self.abs_err(m)) for m in methods}
        entry["rel_err"] = {m: _num(self.rel_err(m)) for m in methods}
        entry["status"] = self.status
        if self.kink:
            entry["kink"] = self.kink
        if self.unresolved:
            entry["unresolved"] = self.unresolved
        if self.nonfinite:
            entry["nonfinite"] = self.nonfinite
        entry["allowed"] = {m: _num(self.allowed(m)) for m in methods}
        if self.notes:
            entry["notes"] = list(self.notes)
        if self.exact is not None:
            import mpmath
            entry["exact"] = mpmath.nstr(self.exact, EXACT_DIGITS, strip_zeros=False)
            entry["exact_err"] = {m: _num(self.exact_err(m)) for m in [REFERENCE] + methods}
        return entry

    def explain(self):
        """Every value, its error, its allowance and the verdict, one method a line (for failures and kinks)."""
        head = f"{self.param} at point {self.point}: {self.status.upper()}"
        if self.nonfinite:
            head += f" (not finite: {', '.join(self.nonfinite)})"
        why = self.kink or self.unresolved
        lines = [head + (f" (central differences not judged: {why})" if why else ""),
                 f"    rule: {RULE}, s = symbolic = {self.symbolic!r}",
                 f"    {'method':<13} {'value a':>24}  {'|a − s|':>9}  {'|a − s|/|s|':>11}  {'allowed':>9}  "
                 f"{'(rtol, atol)':<14} result"]
        for m, a in self.values.items():
            tol = self.tolerances[m]
            if a is None:
                verdict = "not computed"
            elif not self.judged(m):
                verdict = f"not judged ({self.not_judged_why(m)})"
            elif not math.isfinite(a):
                verdict = "FAIL (not finite)"
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
        """The rows that fail: a method breaks the rule, or some value is not finite."""
        return [r for r in self.rows if r.status in ("fail", "nonfinite")]

    @property
    def nonfinite(self):
        return [r for r in self.rows if r.status == "nonfinite"]

    @property
    def kinks(self):
        return [r for r in self.rows if r.status == "kink"]

    def ordered(self):
        """Rows worst first: failures, then kinks, then passes, each by the share of the allowance used."""
        rank = {"nonfinite": 0, "fail": 0, "kink": 1, "pass": 2}
        return sorted(self.rows, key=lambda r: (rank[r.status], -r.worst[1]))

    def worst(self):
        """The row and method closest to failing (or failing worst), or None with nothing judged."""
        best = max(self.rows, key=lambda r: (r.status in ("fail", "nonfinite"), r.worst[1]), default=None)
        return None if best is None or best.worst[0] is None else best

    def to_json(self):
        worst = self.worst()
        data = {"passed": self.passed, "points": self.points,
                "parameters": [r.to_json() for r in self.rows], "worst": {}}
        if worst is not None:
            method, ratio = worst.worst
            data["worst"] = dict(worst.to_json(), method=method, ratio=_num(ratio), allowed=_num(worst.allowed(method)))
        data["rule"] = RULE
        data["tolerances"] = {m: {"rtol": t.rtol, "atol": t.atol} for m, t in self.tolerances.items()}
        data["network"] = self.spec.to_json()
        data["sources"] = self.sources
        data["notes"] = self.notes
        data["counts"] = {status: sum(r.status == status for r in self.rows)
                          for status in ("pass", "fail", "kink", "nonfinite")}
        data["counts"]["unresolved"] = sum(r.unresolved is not None for r in self.rows)
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
        if self.nonfinite:
            named = list(dict.fromkeys(f"{r.param} ({', '.join(r.nonfinite)})" for r in self.nonfinite))
            names = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
            return (f"FAIL: {len(self.nonfinite)} of {n} checks ({params} parameters at {at}) have a value that "
                    f"is not finite (NaN or infinite), which never passes: {names}")
        if self.failures:
            named = list(dict.fromkeys(f"{r.param} ({', '.join(r.failed_methods)})" for r in self.failures))
            names = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
            return (f"FAIL: {len(self.failures)} of {n} checks ({params} parameters at {at}) disagree: {names}{where}")
        kinks = f"; {len(self.kinks)} at a kink (central differences not judged)" if self.kinks else ""
        unresolved = sum(r.unresolved is not None for r in self.rows)
        if unresolved:
            kinks += (f"; {unresolved} where no step of central differences resolves the derivative against the "
                      "rounding of L (not judged)")
        return f"PASS: all {params} parameters agree by every method at {at}{kinks}{where}"

    def to_text(self, top=20):
        """The terminal table, worst rows first, with a header explaining the rule and the columns."""
        lines = [f"gradproof check: the network {self.spec.summary}; {len({r.param for r in self.rows})} parameters at "
                 + _sources_text(self.sources),
                 "Each gradient dL/dparam is computed several ways. The reference is the symbolic value s;",
                 "every other method's value a passes iff |a − s| <= atol + rtol·|s|:"]
        for m in self.methods:
            tol = self.tolerances[m]
            unused = "   (not computed here: see Notes)" if all(r.values[m] is None for r in self.rows) else ""
            lines.append(f"  {m:<13} {DESCRIPTIONS.get(m, 'the gradient given to the check'):<52} "
                         f"rtol {_g(tol.rtol):<6} atol {_g(tol.atol)}{unused}")
        unjudged = "'kink' = not judged" + ("; 'no step' = not judged: no step resolves it against the rounding of L"
                                            if any(r.unresolved for r in self.rows) else "")
        lines += [f"Columns: s; then |a − s| for each method ('-' = not computed, {unjudged});",
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
                cells.append({"kink": "kink", "unresolved": "no step"}.get(r.not_judged_why(m)) or _short(r.abs_err(m)))
            cells += [_share(r.worst[1]), r.status]
            lines.append("  ".join(f"{c:<{w}}" for c, (_, w) in zip(cells, header)).rstrip())
        if shown < len(ordered):
            lines.append(f"... {len(ordered) - shown} more rows, all pass (--top 0 shows every row)")
        if self.notes:
            lines += ["", "Notes:"] + [f"  {note}" for note in self.notes]
        if self.exact:
            lines += ["", f"Float64 error of each method against the symbolic gradient in {EXACT_DIGITS}-digit "
                          "arithmetic (largest over all rows):"]
            for m in (REFERENCE,) + tuple(self.methods):
                errs = [(r.exact_err(m), r) for r in self.rows if r.exact_err(m) is not None]
                if errs:
                    err, r = max(errs, key=lambda e: e[0])
                    lines.append(f"  {m:<13} {err:.3e}   (on {r.param} at point {r.point})")
        details = self.failures + self.kinks + [r for r in self.rows if r.unresolved and r.status == "pass"]
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

