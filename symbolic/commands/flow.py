"""Measure how the gradient flows back through the layers: vanishing, exploding or healthy.

Per layer k: the gradient norm ||dL/dW^k|| (|dL/dw_k| for a 1-1-...-1 chain; the Frobenius norm
for wider layers), the local factor (for a chain f_k'(z_k) w_k = dO_k/dO_(k-1), printed from the
sympy model; for wider layers the spectral norm of the Jacobian dO_k/dO_(k-1)) and ||delta_k|| =
||dL/dO_k||, all from numeric backprop. For a chain, the symbolic product dO_n/dO_1 =
prod_(k=2..n) f_k'(z_k) w_k and its bound prod c_k |w_k|, c_k = sup |f_k'| (1/4 for sigmoid: the
notes' prod |w_k| / 4; 1 for tanh, ReLU, linear). For wider layers the bound is prod c_k ||W^k||_2.

Verdict: ratio = ||delta_1|| / ||delta_n|| (the backpropagated signal at the first layer over the
last; for a chain at one sample, |dO_n/dO_1|); < 1e-3 vanishing, > 1e3 exploding, else healthy.
Three orders of magnitude: with one learning rate, the first layer moves 1000 times less (or more)
than the last. The ratio of the weight-gradient norms is printed too, but cannot see a linear
chain explode (dL/dw_k = delta_n x prod_(m != k) w_m: every layer carries the same product).

The network: a SPEC (or --net/--act flags), or --depth N --width W: N layers of W neurons after an
input of W (layers W-W-...-W, N + 1 numbers; --depth 3 --width 1 is the notes' chain
x -> o1 -> o2 -> o3). --act applies to every layer, output included.

The point: --at POINT, or (default) a seeded random one: one sample x uniform in [-1, 1], y in
(0.05, 0.95), then weights from --init (xavier by default) times --gain (large gains explode),
biases 0.

--compare runs sigmoid, tanh and ReLU, each with every initialisation (uniform, normal, xavier,
he), on the same architecture and seed (the same x, y and, per initialisation, the same random
draws), and plots the per-layer gradient norms, one panel per activation.

Examples:
  gradproof flow --depth 10 --width 1 --act sigmoid               vanishing, with its bound
  gradproof flow --depth 10 --width 1 --act linear --gain 10      exploding
  gradproof flow --depth 8 --width 4 --compare --plot flow.png

JSON (--json): {"layers": [{"layer", "grad_norm", "factor", "delta_norm", "slope_bound",
"weight_norm", ...}], "bound", "verdict", "ratio", "rule", "grad_norm_ratio", ...}; for a chain
also "product", "symbolic_product_latex", "bound_latex" and each layer's "factor_latex". "factor"
is at the first sample ("factors" lists every sample's when there are several). With --compare:
{"seed", "gain", "runs": [{"activation", "init", <the same fields>}]}.
"""
import json

HELP = "vanishing and exploding gradients: per-layer gradient norms, the chain's factors, the bound, a verdict"

COMPARED = ("sigmoid", "tanh", "relu")


def add_arguments(parser):
    from ..cli import add_spec_arguments

    add_spec_arguments(parser)
    group = parser.add_argument_group("a deep network without a spec file")
    group.add_argument("--depth", type=int, metavar="N", help="N layers after the input (the last is the output)")
    group.add_argument("--width", type=int, metavar="W", help="neurons per layer, input included (default 1: a chain)")
    group = parser.add_argument_group("where")
    group.add_argument("--at", metavar="POINT", help="a POINT file (JSON or TOML) instead of a random point")
    group.add_argument("--init", metavar="NAME", help="uniform, normal, xavier or he (default xavier)")
    group.add_argument("--gain", type=float, metavar="G", help="multiply the initial weights by G (default 1)")
    group.add_argument("--seed", type=int, metavar="S", help="seed of x, y and the weights (default 0)")
    group = parser.add_argument_group("output")
    group.add_argument("--compare", action="store_true",
                       help="sigmoid, tanh and ReLU with every initialisation, same architecture and seed")
    group.add_argument("--plot", metavar="FILE.png",
                       help="plot the per-layer gradient norms (log scale) to a .png, .svg or .pdf file")
    group.add_argument("--json", action="store_true", help="print JSON instead of text")


def build_spec(args):
    """The spec: --depth N --width W become --net W-W-...-W; everything else as every command reads it."""
    from gradproof.numeric.errors import GradproofError

    from ..cli import spec_from_args

    if args.depth is not None or args.width is not None:
        if args.net:
            raise GradproofError("give either --net or --depth/--width, not both")
        if args.depth is None:
            raise GradproofError("--width needs --depth N (the number of layers after the input)")
        width = 1 if args.width is None else args.width
        if args.depth < 1 or width < 1:
            raise GradproofError(f"--depth and --width must be whole numbers >= 1; got {args.depth} and {width}")
        args.net = "-".join([str(width)] * (args.depth + 1))
    return spec_from_args(args)


def _point_settings(args):
    """(init, seed, gain) for a random point; an error when they are given with --at."""
    from gradproof.numeric.errors import GradproofError

    given = [flag for flag, value in (("--init", args.init), ("--seed", args.seed), ("--gain", args.gain))
             if value is not None]
    if args.at and given:
        raise GradproofError(f"{', '.join(given)} {'choose' if len(given) > 1 else 'chooses'} a random point; "
                             "--at gives the point (drop one)")
    gain = 1.0 if args.gain is None else args.gain
    if not gain == gain or gain in (float("inf"), float("-inf")):
        raise GradproofError(f"--gain must be a finite number; got {gain!r}")
    return args.init or "xavier", 0 if args.seed is None else args.seed, gain


def run(args):
    from gradproof.numeric.errors import GradproofError
    from gradproof.numeric.point import load_point

    from ..cli import wrote
    from ..flow import analyse, random_point
    from ..plots import plot_format

    if args.plot:
        plot_format(args.plot)                   # a suffix it cannot write is an error before any work
    spec = build_spec(args)
    init, seed, gain = _point_settings(args)
    if args.compare:
        if args.act:
            raise GradproofError(f"--compare runs {', '.join(COMPARED)} itself; drop --act")
        return _run_compare(args, spec, init if args.init else None, seed, gain)
    point = load_point(args.at, spec) if args.at else random_point(spec, init, seed, gain)
    report = analyse(spec, point)
    where = f"at {args.at}" if args.at else f"at a random point (seed {seed}, init {init}, gain {gain:g})"
    if args.plot:
        from ..plots import plot_flow
        plot_flow(report, args.plot)
        wrote(args.plot)
    print(json.dumps(report.to_json(), indent=1) if args.json else render(report, where))
    return 0


def _run_compare(args, spec, init, seed, gain):
    """Every activation of COMPARED with every initialisation (or the one given, or the POINT's weights)."""
    from gradproof.numeric.init import INITS
    from gradproof.numeric.point import load_point

    from ..cli import wrote
    from ..flow import analyse, random_point

    inits = [None] if args.at else [init] if init else list(INITS)
    runs = []
    for act in COMPARED:
        spec_a = spec.replace(activations=(act,))
        for name in inits:
            point = load_point(args.at, spec_a) if args.at else random_point(spec_a, name, seed, gain)
            runs.append((act, name, analyse(spec_a, point)))
    if args.plot:
        from ..plots import plot_compare
        where = f"at {args.at}" if args.at else f"seed {seed}" + (f", gain {gain:g}" if gain != 1 else "")
        plot_compare(runs, f"per-layer gradient norms, {spec.layers_text} network, {where}", args.plot)
        wrote(args.plot)
    if args.json:
        data = {"seed": None if args.at else seed, "gain": None if args.at else gain,
                "runs": [{"activation": act, "init": name, **report.to_json()} for act, name, report in runs]}
        print(json.dumps(data, indent=1))
    else:
        print(render_compare(spec, runs, f"at {args.at}" if args.at else f"seed {seed}, gain {gain:g}"))
    return 0


def _acts(spec):
    return spec.activations[0] if len(set(spec.activations)) == 1 else ",".join(spec.activations)


def _num(value, digits=4):
    return "n/a" if value is None else f"{value:.{digits}g}"


def render(report, where):
    """The analysis as text: the chain rule and product for a chain, a table per layer, bound and verdict."""
    from gradproof.numeric.notation import Param

    from ..chain import derive
    from ..flow import chain_bound, chain_product, chain_product_leibniz
    from ..printing import terminal as text

    spec, f = report.spec, report.flow
    n = spec.depth
    lines = [f"gradient flow in the {spec.layers_text} network ({_acts(spec)}; {spec.loss}/{spec.reduction}"
             + (f"; {spec.regularization} lambda={spec.lam:g}" if spec.regularizer.present else "")
             + f") {where}: L = {f.loss:.6g}", ""]
    if report.model is not None:
        model = report.model
        leibniz = derive(spec, Param.weight(1, 1, 1), model).leibniz
        lines += [f"chain rule:  ∂L/∂w¹₁₁ = {text(leibniz)}",
                  f"product:     ∂Oₙ/∂O₁ = {text(chain_product_leibniz(model))}",
                  f"                       = {text(chain_product(model))}", ""]
        head = ("layer", "|∂L/∂w_k|", "factor f_k'(z_k)·w_k", "|δ_k|", "c_k = sup|f_k'|", "|w_k|")
    else:
        head = ("layer", "‖∂L/∂W^k‖_F", "‖∂O_k/∂O_(k-1)‖_2", "‖δ_k‖_F", "c_k = sup|f_k'|", "‖W^k‖_2")
    rows = [head] + [(str(row["layer"]), _num(row["grad_norm"]), _num(row["factor"]), _num(row["delta_norm"]),
                      _fraction(row["slope_bound"]), _num(row["weight_norm"])) for row in report.layers()]
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    if len(f.factors[0]) > 1:
        lines.append(f"(factors at the first of {len(f.factors[0])} samples; gradient norms over all of them)")
    lines.append("")
    if report.model is not None:
        actual = abs(float(f.product[0]))
        lines.append(f"bound:   |∂Oₙ/∂O₁| = {_num(actual)} <= {text(chain_bound(report.model))} = {_num(f.bound)}"
                     f"   (|f_k'| <= c_k)")
    else:
        lines.append(f"bound:   ‖δ_1‖/‖δ_n‖ = {_num(f.ratio)} <= prod_(k=2..{n}) c_k ‖W^k‖_2 = {_num(f.bound)}")
    lines.append(f"verdict: {f.verdict}: ratio ‖δ_1‖/‖δ_n‖ = {_num(f.ratio)}{_against(f.ratio)} "
                 f"(weight gradients: ‖∂L/∂W^1‖/‖∂L/∂W^{n}‖ = {_num(f.grad_norm_ratio)})")
    lines.append(f"rule:    {_rule_text()}")
    return "\n".join(lines)


def _against(ratio):
    """' < 0.001', ' > 1000' or ' within [0.001, 1000]' for the verdict line."""
    from gradproof.numeric.flow import EXPLODING, VANISHING
    if ratio is None:
        return " (no gradient reaches the output: delta_n = 0)"
    if ratio < VANISHING:
        return f" < {VANISHING:g}"
    if ratio > EXPLODING:
        return f" > {EXPLODING:g}"
    return f" within [{VANISHING:g}, {EXPLODING:g}]"


def _rule_text():
    from gradproof.numeric.flow import EXPLODING, VANISHING
    return (f"ratio < {VANISHING:g}: vanishing; ratio > {EXPLODING:g}: exploding; otherwise healthy "
            "(the first layer learns 1000 times slower or faster than the last)")


def _fraction(value):
    from fractions import Fraction
    frac = Fraction(value).limit_denominator(1000)
    return str(frac) if float(frac) == value else f"{value:.4g}"


def render_compare(spec, runs, where):
    """One line per (activation, initialisation): ratio, verdict, first and last gradient norms."""
    n = spec.depth
    head = ("activation", "init", "‖∂L/∂W^1‖", f"‖∂L/∂W^{n}‖", "ratio ‖δ_1‖/‖δ_n‖", "bound", "verdict")
    rows = [head] + [(act, name or "(POINT)", _num(r.flow.grad_norms[0]), _num(r.flow.grad_norms[-1]),
                      _num(r.flow.ratio), _num(r.flow.bound), r.verdict) for act, name, r in runs]
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = [f"gradient flow in the {spec.layers_text} network, {where}", ""]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
    lines += ["", f"rule: {_rule_text()}"]
    return "\n".join(lines)
