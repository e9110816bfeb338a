"""Regularization and bias-variance, measured: train every (lambda, depth) setting on one fixed, seeded
training split and report the training and validation loss and the number of weights that are exactly 0.

The notes claim that more layers mean more variance (overfitting), that a larger lambda overfits less,
and that L1 gives sparsity. Each setting here trains with `gradproof train`'s engine from the same seed
(so one depth starts from the same weights for every lambda); L1 by the proximal step, which sets
weights to exactly 0; L2 by its gradient 2 lambda w. The regularization term and its derivative
(2 lambda w for L2; lambda sign(w) for L1, taking the subgradient 0 at w = 0) cover the weights, never
the biases.

--depths: numbers of weight layers; 1 is n_0-n_L (with a sigmoid, logistic regression). Hidden widths
are the spec's own, cut or extended with its last (with the notes' 4-3-2-1, depths 1,2,3 are 4-1,
4-3-1, 4-3-2-1), or all --width. Without --depths the spec's network alone.

Losses: the spec's data loss, the mean over each split's samples, without the regularization term.

Examples:
  gradproof sweep --data builtin:notes --reg l1 --lam 0,1e-4,1e-3,1e-2 --depths 1,2,3 --plot sweep.png
  gradproof sweep --net 1-8-1 --act tanh,linear --data builtin:sine --reg l2 --lam 0,1e-3,1e-2,1e-1

JSON (--json): {"regularization", "lambdas", "depths", "split": {"train", "validation", "fraction",
"seed"}, "training": {"epochs", "batch_size", "lr", "init", "seed"}, "settings": [{"lambda", "depth",
"layers", "train_loss", "validation_loss", "zero_weights", "weights", "epochs_run"}]}
"""
import json
import math

HELP = "train every (lambda, depth) on a train split: train and validation loss, exact zeros under L1"

DEFAULT_LAMS = "0,1e-4,1e-3,1e-2"


def _numbers(kind, convert, check, rule="any", example=DEFAULT_LAMS):
    """An argparse type for a comma-separated list, each item converted and checked."""
    import argparse

    def parse(text):
        try:
            values = [convert(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"a comma-separated list of numbers, e.g. {example}; got {text!r}")
        bad = [v for v in values if not check(v)]
        if bad:
            raise argparse.ArgumentTypeError(f"{bad[0]!r} is out of range: each {kind} must be {rule}")
        return values
    return parse


def add_arguments(parser):
    from ..cli import add_spec_arguments
    from .train import add_training_arguments

    # the spec's --reg and --lam take one value elsewhere; here --lam takes the list of lambdas to sweep
    add_spec_arguments(parser, without=("--reg", "--lam"))
    group = parser.add_argument_group("sweep")
    group.add_argument("--reg", metavar="KIND", help="l1 or l2 (required): the regularization swept")
    group.add_argument("--lam", metavar="λ,λ,...",
                       type=_numbers("lambda", float, lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0"),
                       help=f"the lambdas to sweep, comma-separated (default {DEFAULT_LAMS})")
    group.add_argument("--data", required=True, metavar="FILE|builtin:NAME",
                       help="a CSV file (inputs, then the last n_L columns as targets) or builtin:notes, builtin:sine")
    group.add_argument("--depths", type=_numbers("depth", int, lambda v: v >= 1, "a whole number >= 1", "1,2,3"), metavar="1,2,3",
                       help="numbers of weight layers to sweep (default: the spec's network only)")
    group.add_argument("--width", type=int, metavar="W", help="every hidden layer W wide (default: the spec's widths)")
    group.add_argument("--val-fraction", type=float, default=0.25, metavar="F",
                       help="the share of samples held out for validation (default 0.25)")
    group = parser.add_argument_group("training (as gradproof train)")
    add_training_arguments(group, "the training split", "the split, the initialisation and the shuffles")
    group = parser.add_argument_group("output")
    group.add_argument("--plot", metavar="FILE.png", help="write a PNG: losses and exact zeros against lambda")
    group.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args):
    from gradproof.numeric.data import load_data
    from gradproof.numeric.errors import GradproofError
    from gradproof.numeric.init import initializer
    from gradproof.numeric.sweep import sweep

    from ..cli import spec_from_args

    if args.reg not in ("l1", "l2"):
        raise GradproofError(f"sweep needs --reg l1 or --reg l2; got {args.reg!r}" if args.reg else
                             "sweep needs --reg l1 or --reg l2 (the regularization to sweep)")
    lams = args.lam if args.lam is not None else _numbers("--lam", float, lambda v: True)(DEFAULT_LAMS)
    regularization, args.reg, args.lam = args.reg, None, None      # set per setting, not on the base spec
    if args.width is not None and args.width < 1:
        raise GradproofError(f"--width must be a whole number >= 1; got {args.width}")
    if args.width is not None and not args.depths:
        raise GradproofError("--width sets the hidden layers of --depths; give --depths too (or --net)")
    initializer(args.init)
    spec = spec_from_args(args)
    data = load_data(args.data, spec)
    rows, (train_set, validation) = sweep(
        spec, data, regularization, lams, args.depths, args.width, args.val_fraction,
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, init=args.init, seed=args.seed)
    result = {
        "regularization": regularization, "lambdas": lams, "depths": sorted({r.depth for r in rows}),
        "data": data.name,
        "split": {"train": train_set.samples, "validation": validation.samples, "fraction": args.val_fraction,
                  "seed": args.seed},
        "training": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "init": args.init,
                     "seed": args.seed},
        "settings": [r.to_json() for r in rows],
    }
    if args.plot:
        from ..plots import plot_sweep
        plot_sweep(result, spec, args.plot)
    print(json.dumps(result, indent=1) if args.json else render(result, spec))
    return 0


def render(result, spec):
    """A table, one row per setting, and per depth what lambda did."""
    from ..plots import by_depth

    t = result["training"]
    lines = [f"{result['regularization'].upper()} sweep on {result['data']}: {result['split']['train']} training and "
             f"{result['split']['validation']} validation samples (seed {result['split']['seed']}); "
             f"{t['epochs']} epochs, batch {t['batch_size']}, lr {t['lr']:g}, init {t['init']}",
             f"losses: {spec.loss}, mean over the split's samples, without the regularization term", ""]
    head = ("depth", "layers", "lambda", "train loss", "validation loss", "weights = 0")
    rows = [head] + [(str(r["depth"]), "-".join(map(str, r["layers"])), f"{r['lambda']:g}", f"{r['train_loss']:.6g}",
                      f"{r['validation_loss']:.6g}", f"{r['zero_weights']}/{r['weights']}")
                     for r in result["settings"]]
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    lines.append("")
    for depth, group in by_depth(result).items():
        best = min(group, key=lambda r: r["validation_loss"])
        zeros = " -> ".join(str(r["zero_weights"]) for r in group)
        lines.append(f"depth {depth}: lowest validation loss at lambda = {best['lambda']:g}; "
                     f"gap validation - train {_gaps(group)}; exact zeros {zeros}")
    return "\n".join(lines)


def _gaps(group):
    return " -> ".join(f"{r['validation_loss'] - r['train_loss']:+.3g}" for r in group)
