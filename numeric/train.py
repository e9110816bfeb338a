"""Training, as the notes describe it: (1) initialise; (2) for each mini-batch: forward, loss,
backprop, and update every weight from the end to the start, all from the same forward pass;
(3) repeat, epoch after epoch, until the epochs run out or the weights stop moving
(max |w_new - w_old| over an epoch < tol).

Each epoch shuffles the samples (or, with shuffle=False, keeps the file's order) and walks them in
mini-batches: batch size 1 is SGD, the whole set is GD. A batch that holds every sample is the same set
in any order, so GD takes the samples in file order either way: its result does not depend on shuffling,
to the last bit. The loss minimised on a batch is the spec's loss on that batch (its reduction, plus the
regularization term). L2 enters through its gradient 2*lambda*w; L1 through a proximal step: after
the gradient step on the rest of the loss, w <- sign(w) * max(|w| - eta*lambda, 0), which puts
weights at exactly 0 instead of making them oscillate around it.

The same seed gives bit-identical results: one numpy Generator drives the initialisation and the
shuffles, in a fixed order.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.data import load_data
>>> from gradproof.numeric.train import train
>>> spec = Spec()
>>> result = train(spec, load_data("builtin:notes", spec), epochs=20)
>>> result.epochs_run, len(result.loss_history), result.loss_history[-1] < result.loss_history[0]
(20, 21, True)
"""
from dataclasses import dataclass

import numpy as np

from .backprop import backprop, forward, loss_at
from .errors import GradproofError
from .init import init_params
from .losses import LOSSES
from .point import Point
from .regularizations import NONE

# chosen so that `gradproof train --data builtin:notes` cuts the loss by > 99% within 200 epochs
DEFAULTS = {"epochs": 200, "batch_size": 16, "lr": 0.5, "init": "xavier", "seed": 0}


@dataclass
class TrainResult:
    """The trained weights; loss_history[0] is L at initialisation, loss_history[e] after epoch e
    (the spec's loss over the whole data set); zero_weights counts weights that are exactly 0."""

    W: list
    b: list | None
    loss_history: list
    epochs_run: int
    converged: bool
    zero_weights: int
    accuracy: float | None = None              # share of training samples classified right (a loss with a class)
    validation_accuracy: float | None = None   # the same on the data set's validation samples, when it has them

    @property
    def final_loss(self):
        return self.loss_history[-1]


def update(spec, W, b, grads, lr, freeze_bias=False, proximal=False):
    """One step w <- w - eta dL/dw for every layer (new arrays; W and b are left alone).

    With proximal=True and a regularization applied by its proximal step (L1's soft-threshold), `grads` must
    exclude its term, which the proximal step applies."""
    W_new = [w - lr * g for w, g in zip(W, grads.dW)]
    if proximal and spec.regularizer.proximal is not None:
        W_new = [spec.regularizer.proximal(w, lr * spec.lam) for w in W_new]
    if b is None or freeze_bias:
        return W_new, [v.copy() for v in b] if b is not None else None
    return W_new, [v - lr * g for v, g in zip(b, grads.db)]


def _check(epochs, batch_size, lr, tol):
    if not isinstance(epochs, int) or epochs < 1:
        raise GradproofError(f"--epochs must be a whole number >= 1; got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise GradproofError(f"--batch-size must be a whole number >= 1; got {batch_size!r}")
    if not np.isfinite(lr) or lr <= 0:
        raise GradproofError(f"--lr must be a finite number > 0; got {lr!r}")
    if tol is not None and (not np.isfinite(tol) or tol < 0):
        raise GradproofError(f"--tol must be a finite number >= 0; got {tol!r}")


def _loss(spec, data, W, b):
    with np.errstate(over="ignore", invalid="ignore"):      # a diverged run is reported by train()
        return loss_at(spec, Point(data.x, data.y, W, b))


def _epoch(spec, grad_spec, data, W, b, order, batch_size, lr):
    """One pass over the data in the given order; each mini-batch updates every layer from one forward pass."""
    # an overflow shows up as an inf or nan loss, which train() reports with the epoch
    with np.errstate(over="ignore", invalid="ignore"):
        for first in range(0, data.samples, batch_size):
            batch = order[first:first + batch_size]
            grads = backprop(grad_spec, Point(data.x[batch], data.y[batch], W, b))
            W, b = update(spec, W, b, grads, lr, proximal=True)
    return W, b


def accuracy(spec, data, W, b):
    """The share of samples whose largest output is at their largest target, for a loss whose row classifies
    (categorical cross-entropy); None for any other loss or no data."""
    rule = LOSSES[spec.loss].accuracy
    if rule is None or data is None:
        return None
    fwd = forward(spec, Point(data.x, data.y, W, b))
    return rule(fwd.y, fwd.O[-1])


def _order(rng, samples, batch_size, shuffle):
    """The order of one epoch: a fresh permutation, or the data's order when not shuffling or when one batch
    takes every sample (GD: the sum over the batch then adds the samples in the same order every epoch)."""
    if shuffle and batch_size < samples:
        return rng.permutation(samples)
    return np.arange(samples)


def train(spec, data, epochs=DEFAULTS["epochs"], batch_size=DEFAULTS["batch_size"], lr=DEFAULTS["lr"],
          init=DEFAULTS["init"], seed=DEFAULTS["seed"], tol=None, params=None, on_epoch=None, shuffle=True):
    """Train the spec's network on a Dataset by mini-batch gradient descent.

    params: (W, b) to start from instead of a fresh initialisation (b is ignored when the spec has no
    biases). shuffle=False walks the samples in the data's order every epoch. on_epoch(epoch, loss) is called
    after every epoch (for a progress bar). Stops early, with converged=True, when an epoch moves no
    parameter by tol or more. A loss that overflows to inf or nan is an error naming the epoch.
    """
    _check(epochs, batch_size, lr, tol)
    rng = np.random.default_rng(seed)
    W, b = params if params is not None else init_params(spec, init, rng=rng)
    W = [np.array(w, dtype=float) for w in W]
    b = [np.array(v, dtype=float) for v in b] if spec.bias else None
    # a regularization applied by its proximal step (L1) is left out of the gradient, which is of the rest of the loss
    grad_spec = spec.replace(regularization=NONE.name, lam=0.0) if spec.regularizer.proximal is not None else spec
    history = [_loss(spec, data, W, b)]
    converged, epoch = False, 0
    for epoch in range(1, epochs + 1):
        start_W, start_b = W, b
        W, b = _epoch(spec, grad_spec, data, W, b, _order(rng, data.samples, batch_size, shuffle), batch_size, lr)
        history.append(_loss(spec, data, W, b))
        if not np.isfinite(history[-1]):
            raise GradproofError(f"the loss became {history[-1]} in epoch {epoch}: the learning rate "
                                 f"{lr:g} is too large for this network and data; try a smaller --lr")
        if on_epoch is not None:
            on_epoch(epoch, history[-1])
        moved = max(float(np.max(np.abs(new - old))) for new, old in
                    zip(W + (b or []), start_W + (start_b or [])))
        if tol is not None and moved < tol:
            converged = True
            break
    zeros = int(sum(np.count_nonzero(w == 0) for w in W))
    return TrainResult(W, b, history, epoch, converged, zeros, accuracy(spec, data, W, b),
                       accuracy(spec, data.validation, W, b))
