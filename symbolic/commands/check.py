"""Check every gradient six ways, at a POINT or at random points: the symbolic gradient (the derived
delta form, compiled), memoized backprop, the layer equations in matrix form (in the spec's --layout), the
naive per-path sum, central differences and the
complex step. Each method's value a is compared with the symbolic value s:

    pass  iff  |a - s| <= atol + rtol * |s|

Default tolerances (float64):
  backprop, matrix, per_path,
  complex_step                       rtol 1e-10, atol 1e-12   (the same mathematics; rounding only)
  central                            rtol 1e-5,  atol 1e-7    (truncation h^2 and rounding eps/h, h ~ 6e-6)

Where a ReLU or leaky-ReLU pre-activation (or an L1-regularized weight) lies within the finite-difference
step of 0, central differences mean nothing: the parameter is marked "kink", with the reason, and its
central difference is not judged. Random points are drawn again until they avoid kinks (--allow-kinks
keeps them). The complex step applies to analytic activations only (not relu, leaky_relu).

Central differences take a longer step where L is so large that its rounding (eps |L|) swamps the change
over the usual one (a loss of 1e300), and their allowance includes that rounding over the step; where no step
resolves the derivative it is shown but not judged ("no step"), like a kink.

A value that is not finite (NaN or infinite) from any method, the symbolic one included, never passes: the
parameter gets the status "nonfinite". Where float64 cannot hold the true value (backprop overflows too), the
quantity and its layer are named instead, with exit status 2.

Exit status: 0 if everything passes (kinks included), 1 if any check fails, 2 for bad input or overflow.

Examples:
  gradproof check                                 the notes' 4-3-2-1 network at one random point
  gradproof check --at point.json --json
  gradproof check --net 8-16-16-16-16-1 --bias --seed 3 --points 2
  gradproof check --act relu --allow-kinks --rtol central=1e-4 --exact

JSON (--json): {"passed", "points", "parameters": [{"name", "point", "symbolic", "backprop", "per_path",
"central", "complex_step", "abs_err": {...}, "rel_err": {...}, "status", ...}], "worst": {...}, ...}
with one entry per parameter per point (numbered from 1); a method not computed is null. Each entry also
has "allowed" (each method's allowance) and, where they apply, "kink", "unresolved" and "nonfinite";
"counts" has "pass", "fail", "kink", "nonfinite" and "unresolved".
"""
import json
import math

HELP = "check every gradient six ways (symbolic, backprop, matrix form, per-path, central, complex step)"


def add_arguments(parser):
    from ..cli import add_spec_arguments
    add_spec_arguments(parser)
    where = parser.add_argument_group("where to check (default: --seed 0 --points 1)")
    where.add_argument("--at", metavar="POINT", help="a POINT file (JSON or TOML): x, y, W (and b)")
    where.add_argument("--seed", metavar="S", help="random points from this seed (point n uses seed S+n-1)")
    where.add_argument("--points", metavar="N", help="how many random points (default 1)")
    where.add_argument("--samples", metavar="M", help="samples per random point (default 2)")
    where.add_argument("--allow-kinks", action="store_true",
                       help="keep random points where a (leaky) ReLU pre-activation is within the step of 0")
    rule = parser.add_argument_group("the rule: pass iff |a - s| <= atol + rtol*|s|")
    rule.add_argument("--rtol", action="append", metavar="R|METHOD=R",
                      help="relative tolerance for every method, or for one (e.g. central=1e-4); repeatable; "
                           "defaults: backprop, matrix, per_path, complex_step 1e-10; central 1e-5")
    rule.add_argument("--atol", action="append", metavar="A|METHOD=A",
                      help="absolute tolerance, likewise; defaults: backprop, matrix, per_path, complex_step 1e-12; "
                           "central 1e-7")
    parser.add_argument("--param", nargs="+", metavar="NAME", help="only these parameters (default: all)")
    parser.add_argument("--max-paths", metavar="N",
                        help="skip the per-path sum, with a note, for parameters with more than N paths (default 1000)")
    parser.add_argument("--exact", action="store_true",
                        help="also evaluate the symbolic gradients with 50 digits and report each method's "
                             "float64 error against them (reported, not judged)")
    parser.add_argument("--top", metavar="N",
                        help="table rows of passing parameters to show (default 20; 0 shows all); "
                             "failures and kinks are always shown")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")


def _whole(text, flag, default, least):
    from gradproof.numeric.errors import GradproofError
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < least:
        raise GradproofError(f"{flag} takes a whole number >= {least}; got {text!r}")
    return value


def _tolerances(rtols, atols):
    """{method: Tolerance} from --rtol/--atol values: "R" for every method or "METHOD=R" for one; later flags win."""
    from gradproof.numeric.errors import GradproofError

    from ..check import METHODS, merge_tolerances

    flags = [("rtol", text) for text in rtols or []] + [("atol", text) for text in atols or []]
    chosen = merge_tolerances(METHODS)
    for flag, text in flags:
        method, _, number = text.rpartition("=")
        try:
            value = float(number)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise GradproofError(f"--{flag} takes a number >= 0, or METHOD=number; got {text!r}")
        given = {method.strip(): value} if method else value
        chosen = merge_tolerances(METHODS, base=chosen, **{flag: given})
    return chosen


def _overflow(spec, points, report):
    """Where a value is not finite because float64 truly cannot hold it (backprop overflows too), that is
    no failure of a method but a point beyond float64: name the quantity and its layer (exit 2)."""
    from gradproof.numeric.errors import GradproofError
    from gradproof.numeric.finite import first_nonfinite

    for n in sorted({r.point for r in report.nonfinite}):
        reason = first_nonfinite(spec, points[n - 1])
        if reason is not None:
            raise GradproofError(f"point {n}: {reason}" if len(points) > 1 else reason)


def run(args):
    from gradproof.numeric.errors import GradproofError
    from gradproof.numeric.notation import parse_param
    from gradproof.numeric.point import load_point

    from ..check import MAX_PATHS, check, random_points
    from ..cli import spec_from_args

    spec = spec_from_args(args)
    if args.at and (args.seed is not None or args.points is not None or args.samples is not None):
        raise GradproofError("give either --at POINT or random points (--seed, --points, --samples), not both")
    tolerances = _tolerances(args.rtol, args.atol)
    max_paths = _whole(args.max_paths, "--max-paths", MAX_PATHS, 1)
    top = _whole(args.top, "--top", 20, 0)
    # the same parameter written two ways (w^1_11, w1_11) is checked once
    params = list(dict.fromkeys(spec.check_param(parse_param(name)) for name in args.param)) if args.param else None
    if args.at:
        points, sources = [load_point(args.at, spec)], [{"point": 1, "file": args.at}]
    else:
        drawn = random_points(spec, seed=_whole(args.seed, "--seed", 0, 0), count=_whole(args.points, "--points", 1, 1),
                              samples=_whole(args.samples, "--samples", 2, 1), allow_kinks=args.allow_kinks)
        points, sources = [p for p, _ in drawn], [s for _, s in drawn]
    report = check(spec, points, params=params, tolerances=tolerances, max_paths=max_paths, exact=args.exact,
                   sources=sources)
    _overflow(spec, points, report)
    print(json.dumps(report.to_json(), indent=1, allow_nan=False) if args.json else report.to_text(top=top))
    return 0 if report.passed else 1
