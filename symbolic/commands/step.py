"""One worked gradient-descent update at a POINT, printed the way textbooks print it: the forward
pass (z_kj, O_kj), the loss, delta_kj = dL/dO_kj from the output back, every gradient dL/dw^k_ij and
dL/db^k_j, the updated weights w - eta dL/dw, and the loss after the update.

With several samples in the POINT the step is one full-batch gradient-descent step on the whole
loss, and the per-sample values (z, O, delta) are lists. With --reg l1 the update uses the
subgradient lambda*sign(w) (0 at w = 0), as a textbook update would; `gradproof train` uses the
proximal step instead.

Examples:
  gradproof step --at derivations/notes-point.json --lr 0.1
  gradproof step derivations/step.toml --at derivations/step-point.json --lr 0.5 --json

JSON (--json):
  {"loss_before": L, "forward": {"z_11": ..., "O_11": ...}, "delta": {"O_11": dL/dO_11, ...},
   "gradients": {"w^1_11": ..., "b^1_1": ...}, "updated": {"W": [...], "b": [...] or null},
   "loss_after": L}
"""
import json

HELP = "one worked backprop update at a POINT: forward, deltas, gradients, new weights"


def add_arguments(parser):
    from gradproof.symbolic.cli import add_spec_arguments
    add_spec_arguments(parser)
    parser.add_argument("--at", required=True, metavar="POINT",
                        help="POINT file (JSON or TOML): x, y, W (and b); e.g. the file `gradproof train --save` writes")
    parser.add_argument("--lr", required=True, type=float, metavar="η", help="learning rate eta of w <- w - eta dL/dw")
    parser.add_argument("--freeze-bias", action="store_true", help="report the biases' gradients but do not update them")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the worked text")


def _fmt(value):
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.10g}" for v in value) + "]"
    return f"{value:.10g}"


def render(step):
    """The worked step as text, one quantity per line."""
    from ..printing import unicode_name

    spec = step.spec
    acts = ", ".join(dict.fromkeys(spec.activations))
    lines = [f"one gradient-descent step on the {spec.layers_text} network ({acts}, {spec.loss} loss) "
             f"with η = {step.lr:g}", "", "forward pass"]
    for z, O in step.neurons():
        lines.append(f"  {unicode_name(str(z))} = {_fmt(step.value(z))}    {unicode_name(str(O))} = {_fmt(step.value(O))}")
    lines += ["", f"loss L = {_fmt(step.loss_before)}", "", "backward pass: δ = ∂L/∂O, from the output back"]
    lines += [f"  ∂L/∂{unicode_name(str(O))} = {_fmt(step.delta(O))}" for _, O in reversed(list(step.neurons()))]
    lines += ["", "gradients and updates: w ← w − η ∂L/∂w"]
    for p in spec.parameters():
        name = unicode_name(p.name)
        lines.append(f"  ∂L/∂{name} = {_fmt(step.gradient(p))}    {name} → {_fmt(step.updated(p))}")
    lines += ["", f"loss after the step = {_fmt(step.loss_after)}"]
    return "\n".join(lines)


def run(args):
    from gradproof.numeric.finite import reported, require_finite
    from gradproof.numeric.point import Point, load_point
    from gradproof.numeric.step import worked_step
    from gradproof.symbolic.cli import spec_from_args

    spec = spec_from_args(args)
    point = load_point(args.at, spec)
    with reported():
        step = worked_step(spec, point, args.lr, args.freeze_bias)
    data = require_finite(spec, point, step.to_json(), "the step", after=Point(point.x, point.y, step.W, step.b))
    print(json.dumps(data, indent=2, allow_nan=False) if args.json else render(step))
    return 0
