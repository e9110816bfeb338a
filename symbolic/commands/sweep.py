"""Regularization and bias-variance, measured: train every (capacity, lambda) setting on one fixed training set,
once per seed, and report the training and validation loss (mean over the seeds, with their spread), the gap
between them, and the number of weights that are exactly 0.

The notes claim that more layers mean more variance (overfitting), that a larger lambda overfits less,
and that L1 gives sparsity. Each setting here trains with `gradproof train`'s engine from the same seed
(so one depth starts from the same weights for every lambda); L1 by the proximal step, which sets
weights to exactly 0; L2 by its gradient 2 lambda w. The regularization term and its derivative
(2 lambda w for L2; lambda sign(w) for L1, taking the subgradient 0 at w = 0) cover the weights, never
the biases.

--depths: numbers of weight layers; 1 is n_0-n_L (with a sigmoid, logistic regression). Hidden widths
are the spec's own, cut or extended with its last (with the notes' 4-3-2-1, depths 1,2,3 are 4-1,
4-3-1, 4-3-2-1), or all --width. Without --depths the spec's network alone. --widths W,W,... sweeps the
hidden width too (every depth with every width; the spec's depth without --depths).

--seeds S,S,...: train every setting once per seed (initialisation and shuffles); the losses are the means
over the seeds and the spreads their standard deviation across seeds. The validation samples are the data
set's own when it has them (builtin:notes-small, builtin:sine-small), else a split seeded by the first seed.

--fits FILE.png (1-D data, one input and one output): the fitted curves of the first seed for the smallest
lambda, the best (lowest mean validation loss) and the largest, over the training and validation samples.

Losses: the spec's data loss, the mean over each split's samples, without the regularization term.

Examples:
  gradproof sweep --data builtin:notes --reg l1 --lam 0,1e-4,1e-3,1e-2 --depths 1,2,3 --plot sweep.png
  gradproof sweep --net 1-8-1 --act tanh,linear --data builtin:sine --reg l2 --lam 0,1e-3,1e-2,1e-1 --lr 0.01
  gradproof sweep --data builtin:notes-small --reg l2 --lam 0,1e-3,1e-2,3e-2,1e-1 --seeds 0,1,2,3,4 --epochs 100 \\
      --lr 1 --plot sweep.png
  gradproof sweep --net 1-24-1 --act tanh,linear --bias --init he --data builtin:sine-small --reg l2 \\
      --lam 0,1e-3,1e-2,1e-1,1 --epochs 3000 --lr 0.003 --seeds 0,1,2 --fits fits.png

JSON (--json): {"regularization", "lambdas", "depths", "split": {"train", "validation", "fraction",
"seed"}, "training": {"epochs", "batch_size", "lr", "init", "seed", "seeds"}, "seeds", "widths",
"settings": [{"lambda", "depth", "layers", "train_loss", "validation_loss", "zero_weights", "weights", "epochs_run",
"width", "seeds", "train_loss_std", "validation_loss_std", "gap", "train_loss_per_seed",
"validation_loss_per_seed", "zero_weights_per_seed"}]}: train_loss, validation_loss and zero_weights are
means over the seeds; the _std fields their standard deviation across seeds (0 for one seed); gap is
validation_loss - train_loss.
"""
import json
import math

HELP = "train every (capacity, lambda) over seeds: train and validation loss, their spread, exact zeros under L1"

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
    group.add_argument("--widths", type=_numbers("width", int, lambda v: v >= 1, "a whole number >= 1", "2,4,8"),
                       metavar="2,4,8", help="hidden widths to sweep, each with every depth")
    group.add_argument("--seeds", type=_numbers("seed", int, lambda v: v >= 0, "a whole number >= 0", "0,1,2,3,4"),
                       metavar="0,1,2", help="train every setting once per seed; report means and spreads "
                                             "(default: --seed alone)")
    group.add_argument("--val-fraction", type=float, default=0.25, metavar="F",
                       help="the share of samples held out for validation (default 0.25)")
    group = parser.add_argument_group("training (as gradproof train)")
    add_training_arguments(group, "the training split", "the split, the initialisation and the shuffles")
    group = parser.add_argument_group("output")
    group.add_argument("--plot", metavar="FILE.png",
                       help="plot the losses (with error bars across seeds) and exact zeros against lambda to a .png, "
                            ".svg or .pdf file")
    group.add_argument("--fits", metavar="FILE.png", help="1-D data: plot the fitted curves for the smallest, best "
                                                          "and largest lambda over the data (.png, .svg or .pdf)")
    group.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args):
    from gradproof.numeric.data import load_data
    from gradproof.numeric.errors import GradproofError
    from gradproof.numeric.init import initializer
    from gradproof.numeric.sweep import sweep

    from ..cli import spec_from_args, wrote
    from ..plots import plot_format
    from .train import resolve_batch_size

    for path in (args.plot, args.fits):
        if path:
            plot_format(path)                    # a suffix it cannot write is an error before any work
    from gradproof.numeric.regularizations import penalties
    if args.reg not in penalties():
        choices = " or ".join(f"--reg {name}" for name in penalties())
        raise GradproofError(f"sweep needs {choices}; got {args.reg!r}" if args.reg else
                             f"sweep needs {choices} (the regularization to sweep)")
    lams = args.lam if args.lam is not None else _numbers("--lam", float, lambda v: True)(DEFAULT_LAMS)
    regularization, args.reg, args.lam = args.reg, None, None      # set per setting, not on the base spec
    if args.width is not None and args.width < 1:
        raise GradproofError(f"--width must be a whole number >= 1; got {args.width}")
    if args.width is not None and not args.depths:
        raise GradproofError("--width sets the hidden layers of --depths; give --depths too (or --net)")
    initializer(args.init)
    spec = spec_from_args(args)
    data = load_data(args.data, spec)
    args.batch_size = resolve_batch_size(args.batch_size, data.samples)      # all: every sample of the split
    if args.fits and (spec.layers[0], spec.layers[-1]) != (1, 1):
        raise GradproofError(f"--fits draws curves of one input and one output; the network is {spec.layers_text}")
    seeds = args.seeds or [args.seed]
    rows, (train_set, validation) = sweep(
        spec, data, regularization, lams, args.depths, args.width, args.val_fraction,
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, init=args.init, seed=args.seed,
        seeds=seeds, widths=args.widths)
    result = {
        "regularization": regularization, "lambdas": lams, "depths": sorted({r.depth for r in rows}),
        "data": data.name,
        "split": {"train": train_set.samples, "validation": validation.samples,
                  "fraction": None if data.validation is not None else args.val_fraction, "seed": seeds[0]},
        "training": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "init": args.init,
                     "seed": seeds[0], "seeds": seeds},
        "seeds": seeds, "widths": args.widths,
        "settings": [r.to_json() for r in rows],
    }
    if args.plot:
        from ..plots import plot_sweep
        plot_sweep(result, spec, args.plot)
        wrote(args.plot)
    if args.fits:
        _plot_fits(rows, train_set, validation, regularization, args.fits)
        wrote(args.fits)
    print(json.dumps(result, indent=1) if args.json else render(result, spec))
    return 0


def _plot_fits(rows, train_set, validation, regularization, path):
    """The first network's fitted curves (first seed) for the smallest, the best and the largest lambda."""
    import numpy as np

    from gradproof.numeric.sweep import predict

    from ..plots import plot_fits

    first = [r for r in rows if r.layers == rows[0].layers]
    best = min(first, key=lambda r: r.validation_loss)
    chosen = [(min(first, key=lambda r: r.lam), "smallest"), (best, "best"), (max(first, key=lambda r: r.lam), "largest")]
    low, high = float(validation.x.min()), float(validation.x.max())
    x = np.linspace(low, high, 400).reshape(-1, 1)
    curves = []
    for row, which in chosen:
        W, b = row.params[0]
        curves.append(((f"{which} λ = {row.lam:g}: train {row.train_losses[0]:.3g}, validation "
                       f"{row.validation_losses[0]:.3g}"), x[:, 0], predict(row.setting, W, b, x)[:, 0]))
    title = (f"{regularization.upper()} fits of {'-'.join(map(str, rows[0].layers))} on {train_set.name} "
             f"(seed {rows[0].seeds[0]}; losses: mean squared error)")
    plot_fits(curves, train_set, validation, title, path)


def render(result, spec):
    """A table, one row per setting (means over the seeds, ± their spread), and per network what lambda did."""
    from ..plots import by_depth

    t = result["training"]
    seeds = result.get("seeds") or [t["seed"]]
    held = (f"{result['split']['validation']} validation samples of its own" if result["split"]["fraction"] is None
            else f"{result['split']['validation']} validation samples (split seed {result['split']['seed']})")
    over = f"; mean over seeds {','.join(map(str, seeds))} ± standard deviation across them" if len(seeds) > 1 else ""
    lines = [(f"{result['regularization'].upper()} sweep on {result['data']}: {result['split']['train']} training and "
             f"{held}; {t['epochs']} epochs, batch {t['batch_size']}, lr {t['lr']:g}, init {t['init']}"),
             f"losses: {spec.loss}, mean over the split's samples, without the regularization term{over}", ""]
    many = len(seeds) > 1
    head = ("depth", "layers", "lambda", "train loss", "validation loss", "gap", "weights = 0")
    rows = [head] + [(str(r["depth"]), "-".join(map(str, r["layers"])), f"{r['lambda']:g}",
                      _with_spread(r, "train_loss", many), _with_spread(r, "validation_loss", many),
                      f"{r['validation_loss'] - r['train_loss']:+.3g}", f"{r['zero_weights']:g}/{r['weights']}")
                     for r in result["settings"]]
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines += ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    lines.append("")
    for (depth, layers), group in by_depth(result).items():
        best = min(group, key=lambda r: r["validation_loss"])
        zeros = " -> ".join(f"{r['zero_weights']:g}" for r in group)
        lines.append(f"depth {depth}: lowest validation loss at lambda = "
                     f"{best['lambda']:g} ({'-'.join(map(str, layers))}); gap validation - train {_gaps(group)}; "
                     f"exact zeros {zeros}")
        if many:
            per_seed = [min(group, key=lambda r: r["validation_loss_per_seed"][n])["lambda"] for n in range(len(seeds))]
            lines.append("  lowest validation loss per seed: " +
                         ", ".join(f"seed {s}: {lam:g}" for s, lam in zip(seeds, per_seed)))
    return "\n".join(lines)


def _with_spread(row, key, many):
    return f"{row[key]:.4g} ± {row[key + '_std']:.2g}" if many else f"{row[key]:.6g}"


def _gaps(group):
    return " -> ".join(f"{r['validation_loss'] - r['train_loss']:+.3g}" for r in group)
