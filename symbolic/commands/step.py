"""One worked gradient-descent update at a POINT, printed the way textbooks print it: the forward
pass (z_kj, O_kj), the loss, delta_kj = dL/dO_kj from the output back, every gradient dL/dw^k_ij and
dL/db^k_j, the updated weights w - eta dL/dw, and the loss after the update.

With several samples in the POINT the step is one full-batch gradient-descent step on the whole
loss, and the per-sample values (z, O, delta) are lists. With --reg l1 the update uses the
subgradient lambda*sign(w) (0 at w = 0), as a textbook update would; `gradproof train` uses the
proximal step instead.

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


def _per_sample(column, single):
    """A value for one sample, or a list with one value per sample."""
    return float(column[0]) if single else [float(v) for v in column]


def worked_step(spec, point, lr, freeze_bias=False):
    """The step as a JSON-ready dict (see the module docstring)."""
    from gradproof.numeric.backprop import backprop, loss_at
    from gradproof.numeric.errors import GradproofError
    from gradproof.numeric.notation import Neuron
    from gradproof.numeric.point import Point
    from gradproof.numeric.train import update

    if not lr > 0 or lr == float("inf"):
        raise GradproofError(f"--lr must be a finite number > 0; got {lr!r}")
    grads = backprop(spec, point)
    fwd, single = grads.forward, point.single
    forward, delta = {}, {}
    for k in range(1, spec.depth + 1):
        for j in range(spec.layers[k]):
            forward[Neuron("z", k, j + 1).name] = _per_sample(fwd.z[k][:, j], single)
            forward[Neuron("O", k, j + 1).name] = _per_sample(fwd.O[k][:, j], single)
            delta[Neuron("O", k, j + 1).name] = _per_sample(grads.delta[k][:, j], single)
    W, b = update(spec, point.W, point.b if spec.bias else None, grads, lr, freeze_bias=freeze_bias)
    return {
        "loss_before": grads.loss,
        "forward": forward,
        "delta": delta,
        "gradients": {p.name: grads.value(p) for p in spec.parameters()},
        "updated": {"W": [w.tolist() for w in W], "b": [v.tolist() for v in b] if b is not None else None},
        "loss_after": loss_at(spec, Point(point.x, point.y, W, b)),
    }


def _fmt(value):
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.10g}" for v in value) + "]"
    return f"{value:.10g}"


def render(spec, result, lr):
    """The worked step as text, one quantity per line."""
    from gradproof.numeric.notation import parse_param

    lines = [f"one gradient-descent step on {spec!r} with eta = {lr:g}", "", "forward pass"]
    names = list(result["forward"])
    for z_name, o_name in zip(names[::2], names[1::2]):
        lines.append(f"  {z_name} = {_fmt(result['forward'][z_name])}    {o_name} = {_fmt(result['forward'][o_name])}")
    lines += ["", f"loss L = {_fmt(result['loss_before'])}", "", "backward pass: delta = dL/dO, from the output back"]
    lines += [f"  dL/d{name} = {_fmt(value)}" for name, value in reversed(result["delta"].items())]
    lines += ["", "gradients and updates: w <- w - eta dL/dw"]
    for name, g in result["gradients"].items():
        p = parse_param(name)
        new = result["updated"]["W" if p.is_weight else "b"]
        new = new[p.layer - 1][p.i - 1][p.j - 1] if p.is_weight else new[p.layer - 1][p.j - 1]
        lines.append(f"  dL/d{name} = {_fmt(g)}    {name} -> {_fmt(new)}")
    lines += ["", f"loss after the step = {_fmt(result['loss_after'])}"]
    return "\n".join(lines)


def run(args):
    from gradproof.numeric.point import load_point
    from gradproof.symbolic.cli import spec_from_args

    spec = spec_from_args(args)
    point = load_point(args.at, spec)
    result = worked_step(spec, point, args.lr, args.freeze_bias)
    print(json.dumps(result, indent=2) if args.json else render(spec, result, args.lr))
    return 0
