"""Regularization and bias-variance, measured: train every (lambda, depth) setting on one fixed training split
and report its training and validation loss and how many weights are exactly 0.

The split is seeded and fixed: the same samples are held out for every setting, so that the settings
differ only in lambda and depth. Every setting trains with numeric.train.train from the same seed, so a
given depth starts from the same weights whatever lambda is. L1 is applied by train's proximal step,
which puts weights at exactly 0; L2 by its gradient 2 lambda w, which shrinks weights but leaves
them (almost surely) non-zero.

Depth d is the number of weight layers (Spec.depth): d = 1 is n_0-n_L (a single layer: with a sigmoid,
logistic regression), and each further layer adds a hidden layer. The hidden widths are the spec's
own, cut or extended with its last hidden width (with the notes' 4-3-2-1, depths 1, 2, 3 are 4-1,
4-3-1 and 4-3-2-1), or all `width` when given.

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
from dataclasses import dataclass

import numpy as np

from .backprop import loss_at
from .data import Dataset
from .errors import GradproofError
from .point import Point
from .train import DEFAULTS, train


@dataclass(frozen=True)
class SweepRow:
    """One trained setting: its lambda, depth and layers; mean data losses; exact zeros among its weights."""

    lam: float
    depth: int
    layers: tuple
    train_loss: float
    validation_loss: float
    zero_weights: int
    weights: int
    epochs_run: int

    def to_json(self):
        return {"lambda": self.lam, "depth": self.depth, "layers": list(self.layers),
                "train_loss": self.train_loss, "validation_loss": self.validation_loss,
                "zero_weights": self.zero_weights, "weights": self.weights, "epochs_run": self.epochs_run}


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


def sweep(spec, data, regularization, lams, depths=None, width=None, fraction=0.25, epochs=DEFAULTS["epochs"],
          batch_size=DEFAULTS["batch_size"], lr=DEFAULTS["lr"], init=DEFAULTS["init"], seed=DEFAULTS["seed"]):
    """Train every (lambda, depth) on the same training split; rows depth by depth, lambda by lambda."""
    if regularization not in ("l1", "l2"):
        raise GradproofError(f"unknown regularization {regularization!r} for a sweep; valid: l1, l2")
    if not lams:
        raise GradproofError("give at least one lambda")
    train_set, validation = split(data, fraction, seed)
    rows = []
    for depth in depths or [spec.depth]:
        shape = network(spec, depth, width) if depths else spec
        for lam in lams:
            setting = shape.replace(regularization=regularization, lam=lam)
            try:
                result = train(setting, train_set, epochs=epochs, batch_size=batch_size, lr=lr, init=init, seed=seed)
            except GradproofError as error:
                raise GradproofError(f"lambda = {lam:g}, depth {depth} ({setting.layers_text}): {error}") from None
            rows.append(SweepRow(
                lam=float(lam), depth=setting.depth, layers=setting.layers,
                train_loss=mean_data_loss(setting, train_set, result.W, result.b),
                validation_loss=mean_data_loss(setting, validation, result.W, result.b),
                zero_weights=result.zero_weights, weights=sum(w.size for w in result.W),
                epochs_run=result.epochs_run))
    return rows, (train_set, validation)
