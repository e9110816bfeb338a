"""Derive dL/dw for every weight (and bias) by the chain rule: the paths from the parameter to L, the
Leibniz form summed over the paths, each local derivative, the closed form, and the memoized delta form.

Examples:
  gradproof derive                              the notes' 4-3-2-1 sigmoid network, every weight
  gradproof derive --param w^1_11 --at point.json
  gradproof derive spec.toml --json
  gradproof derive --matrix                     the layer equations over a batch, with shapes, proven
  gradproof derive --matrix --layout columns    samples as columns (W^k of shape n_k x n_(k-1))

With --matrix: each layer's forward and backward equations in matrix form over a batch of m samples, in the
spec's layout, with the shape of every matrix, each proven entry by entry equal to the scalar chain rule.
"""
import json

HELP = "derive dL/dw for every parameter by the chain rule (paths, Leibniz, closed and delta forms)"


def add_arguments(parser):
    from ..cli import add_spec_arguments
    add_spec_arguments(parser)
    parser.add_argument("--param", nargs="+", metavar="NAME",
                        help="only these parameters (w^1_11, w^{1}_{11}, w_{11}^{1}, w1_11, b^2_1); default all")
    parser.add_argument("--at", metavar="POINT", help="a POINT file (JSON or TOML): adds the loss and each gradient's value")
    parser.add_argument("--max-paths", type=int, default=64, metavar="N",
                        help="build the path-by-path forms only for parameters with at most N paths (default 64)")
    parser.add_argument("--matrix", action="store_true",
                        help="the layer equations in matrix form over a batch, with every shape (layout: --layout)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args):
    from gradproof.numeric.finite import reported, require_finite
    from gradproof.numeric.notation import parse_param
    from gradproof.numeric.point import load_point

    from ..chain import derive
    from ..cli import spec_from_args
    from ..evaluate import Compiled
    from ..model import Model

    spec = spec_from_args(args)
    if args.matrix:
        return _matrix(spec, args)
    params = [spec.check_param(parse_param(name)) for name in args.param] if args.param else spec.parameters()
    point = load_point(args.at, spec) if args.at else None
    model = Model(spec)
    derivations = [derive(spec, p, model, args.max_paths) for p in params]
    values = None
    if point is not None:
        with reported():
            values = Compiled(model).evaluate(point)
        require_finite(spec, point, {"loss": values.loss, "gradients": values.gradients}, "the loss and gradients")
    if args.json:
        print(json.dumps(_json(spec, derivations, values), indent=1, allow_nan=False))
    else:
        print(_text(spec, derivations, values))
    return 0


def _matrix(spec, args):
    from gradproof.numeric.errors import GradproofError

    from ..matrix import report
    if args.param or args.at:
        raise GradproofError("--matrix derives every layer's equations: --param and --at do not apply")
    if args.json:
        print(json.dumps({"network": spec.to_json(), "matrix": report.to_json(spec)}, indent=1, ensure_ascii=False))
    else:
        print(report.text(spec))
    return 0


def _json(spec, derivations, values):
    data = {"network": spec.to_json()}
    if values is not None:
        data["loss"] = values.loss
    data["parameters"] = []
    for d in derivations:
        entry = d.to_json()
        if values is not None:
            entry["value"] = values.gradients[d.param]
        data["parameters"].append(entry)
    return data


def _text(spec, derivations, values):
    """The derivation for a terminal: per parameter its paths, chain rule, closed and memoized forms; then
    each delta it uses, defined once from the output back (the memoization)."""
    from ..model import L
    from ..printing import Partial
    from ..printing import terminal as text
    lines = [f"Network {spec.layers_text}: activations {', '.join(spec.activations)}; "
             f"{'with' if spec.bias else 'no'} biases; loss {spec.loss} ({spec.reduction} over samples); "
             f"regularization {spec.regularization}" + (f" (λ = {spec.lam:g})" if spec.regularizer.present else "")]
    if derivations:
        lines.append(f"Per sample: L = {text(derivations[0].model.loss())}")
    if values is not None:
        lines.append(f"Loss at the point: L = {values.loss:.12g}")
    row = lambda label, value: f"  {label + ':' if label else '':<14}{value}"
    deltas = {}
    for d in derivations:
        count = d.path_count
        lines += ["", f"∂L/∂{text(d.symbol)}   ({count} path{'s' if count != 1 else ''} to L)"]
        if d.paths is None:
            lines.append(row("paths", f"{count}: too many to list; the memoized form is what backprop computes"))
        else:
            lines += [row("paths" if n == 0 else "", " → ".join(text(s) for s in path)) for n, path in enumerate(d.paths)]
            lines.append(row("chain rule", text(d.leibniz)))
            lines += [row("local" if n == 0 else "", f"{text(partial)} = {text(form)}")
                      for n, (partial, form) in enumerate(d.local_derivatives)]
            lines.append(row("closed form", text(d.closed_form)))
        memoized = f"{text(d.memoized_leibniz)} = {text(d.memoized)}"
        if d.reused_by:
            memoized += f"   ({text(d.shared)} also serves {', '.join(text(d.model.symbols[p]) for p in d.reused_by)})"
        lines.append(row("memoized", memoized))
        if values is not None:
            lines.append(row("value", f"∂L/∂{text(d.symbol)} = {values.gradients[d.param]:.12g}"))
        deltas.update((delta, definition) for delta, _, definition in d.deltas)
    if deltas:
        lines += ["", "Memoization: each δₖⱼ = ∂L/∂Oₖⱼ is computed once, from the output back, and reused:"]
        for delta in sorted(deltas, key=lambda s: (-d.model.neuron_of(s)[1], d.model.neuron_of(s)[2])):
            _, k, j = d.model.neuron_of(delta)
            lines.append(f"  {text(delta)} = {text(Partial(L, d.model.O[k][j]))} = {text(deltas[delta])}")
    return "\n".join(lines)
