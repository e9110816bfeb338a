"""Regularization and bias-variance, measured: train every (capacity, lambda) setting on one fixed training set,
once per seed, and report its training and validation loss (mean over the seeds and their spread), the gap
between them, and how many weights are exactly 0.

The validation samples are the data's own validation set when it has one (builtin:notes-small and
builtin:sine-small: a few noisy training samples and many validation samples from the same distribution),
else a seeded split: the same samples are held out for every setting, so that the settings differ only in
lambda and capacity. Every setting trains with numeric.train.train once per seed; one seed gives a network
the same starting weights whatever lambda is, so the spread across seeds is the variance due to the
initialisation and the order of the samples. L1 is applied by train's proximal step,
which puts weights at exactly 0; L2 by its gradient 2 lambda w, which shrinks weights but leaves
them (almost surely) non-zero.

Depth d is the number of weight layers (Spec.depth): d = 1 is n_0-n_L (a single layer: with a sigmoid,
logistic regression), and each further layer adds a hidden layer. The hidden widths are the spec's
own, cut or extended with its last hidden width (with the notes' 4-3-2-1, depths 1, 2, 3 are 4-1,
4-3-1 and 4-3-2-1), or all `width` when given (capacity: every depth with every width).

The losses reported are the spec's data loss averaged over the samples of each split (the mean, so
that splits of different sizes compare), without the regularization term: the quantity the network
is meant to predict well, not the objective it was trained on.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.data import load_data
>>> from gradproof.numeric.sweep import network, split
>>> spec = Spec()
>>> [network(spec, d).layers_text for d in (1, 2, 3, 4)]
['4-1', '4-3-1', '4-3-2-1', '4-3-2-2-1']
>>> train, validation = split(load_data("builtin:notes", spec), fraction=0.25, seed=0)
>>> train.samples, validation.samples
(150, 50)
"""
from dataclasses import dataclass, field

import numpy as np

from .backprop import forward, loss_at
from .data import Dataset
from .errors import GradproofError, unknown
from .point import Point
from .regularizations import penalties
from .train import DEFAULTS, train


@dataclass(frozen=True)
class SweepRow:
    """One setting (lambda, depth, width), trained once per seed: the mean data losses over the seeds and their
    spread (standard deviation across seeds, 0 for one seed), the mean count of exact zeros among the weights,
    and each seed's figures. `params` holds each seed's trained (W, b) and `setting` the Spec they were trained
    with (neither written to JSON)."""

    lam: float
    depth: int
    layers: tuple
    train_loss: float
    validation_loss: float
    zero_weights: float
    weights: int
    epochs_run: int
    width: int | None = None
    seeds: tuple = (0,)
    train_losses: tuple = ()
    validation_losses: tuple = ()
    zero_counts: tuple = ()
    params: tuple = field(default=(), compare=False, repr=False)
    setting: object = field(default=None, compare=False, repr=False)     # the Spec trained (with its lambda)

    @property
    def train_loss_std(self):
        return spread(self.train_losses)

    @property
    def validation_loss_std(self):
        return spread(self.validation_losses)

    @property
    def gap(self):
        """Validation minus training loss (means over the seeds): how much the fit fails to carry over."""
        return self.validation_loss - self.train_loss

    def to_json(self):
        whole = lambda v: int(v) if float(v).is_integer() else float(v)
        return {"lambda": self.lam, "depth": self.depth, "layers": list(self.layers),
                "train_loss": self.train_loss, "validation_loss": self.validation_loss,
                "zero_weights": whole(self.zero_weights), "weights": self.weights, "epochs_run": self.epochs_run,
                "width": self.width, "seeds": list(self.seeds),
                "train_loss_std": self.train_loss_std, "validation_loss_std": self.validation_loss_std,
                "gap": self.gap, "train_loss_per_seed": list(self.train_losses),
                "validation_loss_per_seed": list(self.validation_losses),
                "zero_weights_per_seed": list(self.zero_counts)}


def spread(values):
    """The standard deviation across seeds (with n - 1 in the denominator); 0 for a single seed."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def split(data, fraction=0.25, seed=0):
    """(train, validation): a seeded random `fraction` of the samples held out, at least one in each part."""
    if not 0 < fraction < 1:
        raise GradproofError(f"the validation fraction must lie strictly between 0 and 1; got {fraction!r}")
    if data.samples < 2:
        raise GradproofError(f"{data.name} has {data.samples} sample; a train/validation split needs at least 2")
    held = min(data.samples - 1, max(1, round(fraction * data.samples)))
    order = np.random.default_rng(seed).permutation(data.samples)
    part = lambda rows, name: Dataset(data.x[rows], data.y[rows], f"{data.name} ({name})", data.columns)
    return part(np.sort(order[held:]), "train"), part(np.sort(order[:held]), "validation")


def network(spec, depth, width=None):
    """The spec with `depth` weight layers: hidden widths from the spec (or all `width`), same input and output."""
    if not isinstance(depth, int) or depth < 1:
        raise GradproofError(f"a depth is a whole number of weight layers >= 1; got {depth!r}")
    hidden = list(spec.layers[1:-1])
    if width is not None:
        hidden = [width] * (depth - 1)
    else:
        last = hidden[-1] if hidden else 3
        hidden = (hidden + [last] * depth)[:depth - 1]
    acts = spec.activations
    activations = [acts[min(k, len(acts) - 2)] for k in range(depth - 1)] + [acts[-1]] if depth > 1 else [acts[-1]]
    return spec.replace(layers=(spec.layers[0], *hidden, spec.layers[-1]), activations=tuple(activations))


def mean_data_loss(spec, data, W, b):
    """The spec's data loss averaged over the samples, without the regularization term."""
    plain = spec.replace(reduction="mean", regularization="none", lam=0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        return loss_at(plain, Point(data.x, data.y, W, b))


def capacities(spec, depths=None, widths=None):
    """The networks swept for capacity: every depth (default the spec's) with every hidden width (default the
    spec's own widths), as (depth, width or None, spec)."""
    if not depths and not widths:
        return [(spec.depth, None, spec)]
    for width in widths or ():
        if not isinstance(width, int) or width < 1:
            raise GradproofError(f"a width is a whole number of neurons >= 1; got {width!r}")
    return [(depth, width, network(spec, depth, width)) for depth in depths or [spec.depth] for width in widths or [None]]


def train_and_validation(data, fraction=0.25, seed=0):
    """The data's own validation set when it has one (the built-in small sets), else a seeded split."""
    if data.validation is not None:
        return data, data.validation
    return split(data, fraction, seed)


def sweep(spec, data, regularization, lams, depths=None, width=None, fraction=0.25, epochs=DEFAULTS["epochs"],
          batch_size=DEFAULTS["batch_size"], lr=DEFAULTS["lr"], init=DEFAULTS["init"], seed=DEFAULTS["seed"],
          seeds=None, widths=None):
    """Train every (capacity, lambda) once per seed on the same training split; rows capacity by capacity, lambda
    by lambda, each with the means over the seeds and their spread.

    seeds: the training seeds (initialisation and shuffles); default [seed]. The split, when the data has no
    validation set of its own, is drawn with the first seed and is the same for every setting and seed.
    widths: hidden widths to sweep (each with every depth); `width` is the older single-width form."""
    if regularization not in penalties():
        raise unknown("regularization for a sweep", regularization, penalties())
    if not lams:
        raise GradproofError("give at least one lambda")
    seeds = list(seeds) if seeds else [seed]
    train_set, validation = train_and_validation(data, fraction, seeds[0])
    widths = widths or ([width] if width is not None else None)
    if widths and not depths:
        depths = [spec.depth]
    rows = []
    for depth, w, shape in capacities(spec, depths, widths):
        for lam in lams:
            setting = shape.replace(regularization=regularization, lam=lam)
            runs = [_run(setting, train_set, validation, epochs, batch_size, lr, init, s, depth) for s in seeds]
            losses = [(t, v) for t, v, _, _, _ in runs]
            rows.append(SweepRow(
                lam=float(lam), depth=setting.depth, layers=setting.layers,
                train_loss=float(np.mean([t for t, _ in losses])),
                validation_loss=float(np.mean([v for _, v in losses])),
                zero_weights=float(np.mean([r[2] for r in runs])), weights=sum(m.size for m in runs[0][4][0]),
                epochs_run=max(r[3] for r in runs), width=w, seeds=tuple(seeds),
                train_losses=tuple(t for t, _ in losses), validation_losses=tuple(v for _, v in losses),
                zero_counts=tuple(r[2] for r in runs), params=tuple(r[4] for r in runs), setting=setting))
    return rows, (train_set, validation)


def _run(setting, train_set, validation, epochs, batch_size, lr, init, seed, depth):
    """One training run: (train loss, validation loss, exact zeros, epochs run, (W, b))."""
    try:
        result = train(setting, train_set, epochs=epochs, batch_size=batch_size, lr=lr, init=init, seed=seed)
    except GradproofError as error:
        raise GradproofError(f"lambda = {setting.lam:g}, depth {depth} ({setting.layers_text}), seed {seed}: "
                             f"{error}") from None
    return (mean_data_loss(setting, train_set, result.W, result.b),
            mean_data_loss(setting, validation, result.W, result.b),
            result.zero_weights, result.epochs_run, (result.W, result.b))


def predict(spec, W, b, x):
    """The network's outputs O_L for inputs x (N, n_0): for drawing a fitted curve."""
    x = np.asarray(x, dtype=float)
    point = Point(x, np.zeros((x.shape[0], spec.layers[-1])), W, b)
    return forward(spec, point).O[-1]
