"""Train the network by mini-batch gradient descent, the notes' way: initialise; for every
mini-batch forward, loss, backprop and update every layer; repeat for --epochs or until no weight
moves by --tol in an epoch.

--batch-size 1 is SGD, a batch as large as the data set is GD. --reg l2 adds 2*lambda*w to the
gradient; --reg l1 takes a proximal (soft-threshold) step that sets weights to exactly 0, and the
count of those is reported.

--at POINT starts from the W (and b) of a POINT file instead of an initialisation (its x and y are not
used: the samples come from --data), so that runs can be compared from the same start. --no-shuffle walks
the samples in the file's order every epoch (the default shuffles them, seeded by --seed); GD (a batch
holding every sample) takes them in the file's order either way.

--save writes a POINT file: the trained W (and b) with the training samples as x and y, so that
`gradproof step --at FILE` and `gradproof derive --at FILE` evaluate at the trained weights over the
same data (its loss is the final loss).

Examples:
  gradproof train --data builtin:notes --plot loss.png --save params.json
  gradproof train --net 1-8-1 --act tanh,linear --data builtin:sine --batch-size all --lr 0.003 --plot sine.svg
  gradproof train --data builtin:notes --reg l1 --lam 0.5 --json
  gradproof train --net 2-32-3 --act relu,softmax --loss ce --bias --data builtin:spiral --lr 0.05 --epochs 300

JSON (--json):
  {"epochs_run", "converged", "loss_history", "final_loss", "zero_weights", "accuracy", "validation_accuracy",
   "params": {"W", "b"}}
"accuracy" (the share of samples whose largest output is at their largest target) is null unless the loss
classifies (ce); "validation_accuracy" is null unless the data set has validation rows (builtin:spiral).
loss_history[0] is the loss at initialisation and loss_history[e] the loss after epoch e, over the
whole data set; "b" is null when the network has no biases.
"""
import json

HELP = "train the network on a CSV file or a built-in data set; plot and save the result"


def batch_size(text):
    """--batch-size: a whole number, or `all` (every sample in one batch: gradient descent)."""
    import argparse

    if text.strip().lower() == "all":
        return "all"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number (1 = SGD) or all (GD); got {text!r}") from None


def resolve_batch_size(value, samples):
    """The number of samples per update: `all` is every sample."""
    return samples if value == "all" else value


def add_training_arguments(group, data="the data", seeded="the initialisation and the shuffles"):
    """--epochs, --batch-size, --lr, --init, --seed: the settings of the training engine (train and sweep)."""
    from gradproof.numeric.train import DEFAULTS

    group.add_argument("--epochs", type=int, default=DEFAULTS["epochs"], metavar="N",
                       help=f"passes over {data} (default {DEFAULTS['epochs']})")
    group.add_argument("--batch-size", type=batch_size, default=DEFAULTS["batch_size"], metavar="B",
                       help=f"samples per update: 1 = SGD, all = GD (default {DEFAULTS['batch_size']})")
    group.add_argument("--lr", type=float, default=DEFAULTS["lr"], metavar="η",
                       help=f"learning rate (default {DEFAULTS['lr']})")
    group.add_argument("--init", default=DEFAULTS["init"], metavar="NAME",
                       help=f"uniform, normal, xavier or he (default {DEFAULTS['init']})")
    group.add_argument("--seed", type=int, default=DEFAULTS["seed"], metavar="S",
                       help=f"seed of {seeded} (default {DEFAULTS['seed']})")


def add_arguments(parser):
    from gradproof.symbolic.cli import add_spec_arguments

    add_spec_arguments(parser)
    group = parser.add_argument_group("training")
    group.add_argument("--data", required=True, metavar="FILE|builtin:NAME",
                       help="a CSV file with a header (inputs, then the last n_L columns as targets), "
                            "or builtin:notes, builtin:xor, builtin:sine, builtin:notes-small, builtin:sine-small")
    add_training_arguments(group, "the data", "the initialisation and the shuffles")
    group.add_argument("--at", metavar="POINT", help="start from the W (and b) of this POINT file (JSON or TOML) "
                                                     "instead of an initialisation")
    group.add_argument("--no-shuffle", dest="shuffle", action="store_false",
                       help="walk the samples in the file's order every epoch (default: shuffled)")
    group.add_argument("--tol", type=float, metavar="T",
                       help="stop when no parameter moves by T or more in an epoch (default: run every epoch)")
    group.add_argument("--plot", metavar="loss.png", help="plot the loss per epoch to a .png, .svg or .pdf file")
    group.add_argument("--save", metavar="params.json", help="write the trained weights as a POINT file")
    group.add_argument("--json", action="store_true", help="print JSON instead of a summary")


def summary(result):
    """The JSON-ready result (see the module docstring)."""
    return {
        "epochs_run": result.epochs_run,
        "converged": result.converged,
        "loss_history": [float(v) for v in result.loss_history],
        "final_loss": float(result.final_loss),
        "zero_weights": result.zero_weights,
        "accuracy": result.accuracy,
        "validation_accuracy": result.validation_accuracy,
        "params": {"W": [w.tolist() for w in result.W],
                   "b": [v.tolist() for v in result.b] if result.b is not None else None},
    }


def render(result, data):
    first, last = result.loss_history[0], result.final_loss
    change = f" ({(last - first) / first:+.1%})" if first else ""
    lines = [(f"trained on {data.name} ({data.samples} samples) for {result.epochs_run} epoch"
             f"{'s' * (result.epochs_run != 1)}{' (converged)' if result.converged else ''}"),
             f"loss {first:.6g} -> {last:.6g}{change}",
             f"weights exactly 0: {result.zero_weights}"]
    if result.accuracy is not None:
        held_out = (f"; validation ({data.validation.samples} samples) {result.validation_accuracy:.1%}"
                    if result.validation_accuracy is not None else "")
        lines.append(f"accuracy: training {result.accuracy:.1%}{held_out}")
    return "\n".join(lines)


def run(args):
    from gradproof.numeric.data import load_data
    from gradproof.numeric.finite import require_finite
    from gradproof.numeric.point import Point
    from gradproof.numeric.progress import ProgressBar
    from gradproof.numeric.train import train
    from gradproof.symbolic.cli import spec_from_args, wrote
    from gradproof.symbolic.output import write_output
    from gradproof.symbolic.plots import plot_format

    if args.plot:
        plot_format(args.plot)                   # a suffix it cannot write is an error before any work
    spec = spec_from_args(args)
    data = load_data(args.data, spec)
    params = None
    if args.at:
        from gradproof.numeric.point import load_point
        start = load_point(args.at, spec)
        params = (start.W, start.b)
    batch = resolve_batch_size(args.batch_size, data.samples)
    bar = ProgressBar.on_terminal(args.epochs, "epochs", enabled=not args.json)
    on_epoch = (lambda epoch, loss: bar(epoch, f"loss {loss:.6g}")) if bar else None
    try:
        result = train(spec, data, epochs=args.epochs, batch_size=batch, lr=args.lr,
                       init=args.init, seed=args.seed, tol=args.tol, on_epoch=on_epoch, params=params,
                       shuffle=args.shuffle)
    finally:
        if bar is not None:
            bar.close()
    require_finite(spec, Point(data.x, data.y, result.W, result.b), summary(result), "the training result")
    if args.plot:
        from ..plots import plot_loss
        plot_loss(spec, data, result.loss_history, args.plot, lr=args.lr, batch_size=batch, init=args.init)
        wrote(args.plot)
    if args.save:
        point = Point(data.x, data.y, result.W, result.b)
        write_output(json.dumps(point.to_json(), indent=1, allow_nan=False) + "\n", args.save)
        wrote(args.save)
    print(json.dumps(summary(result), indent=2, allow_nan=False) if args.json else render(result, data))
    return 0
