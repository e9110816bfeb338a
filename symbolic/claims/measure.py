"""The notes' quantitative claims, each measured by the library code behind a gradproof command.

A :class:`Claim` holds what the notes say, the command a reader runs to see the measurement, what was
measured (inline content for the sheet) and whether the claim holds. Every measurement is
deterministic: fixed data, fixed seeds, no timings (see :func:`timings` for those).

Examples
========
>>> from gradproof.symbolic.claims.measure import sigmoid_slope
>>> claim = sigmoid_slope()
>>> claim.key, claim.verdict
('sigmoid_slope', 'pass')
"""
import time
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from gradproof.numeric.activations import activation
from gradproof.numeric.spec import Spec

from ..sheet.document import Math, parts

# The sweep on builtin:notes-small that the bias-variance and L1 claims read: the notes' own network, 5 seeds.
SWEEP = {"lams": (0.0, 1e-3, 1e-2, 3e-2, 1e-1), "seeds": (0, 1, 2, 3, 4), "epochs": 100, "lr": 1.0}
DEPTHS = (1, 2, 3, 4)
# GD, SGD and mini-batch: builtin:notes (200 rows), the mean loss, one start, the same learning rate.
DESCENT = {"data": "builtin:notes", "epochs": 20, "lr": 0.5, "seed": 0, "batches": (("GD", 200), ("mini-batch", 16),
                                                                                    ("SGD", 1))}


@dataclass(frozen=True)
class Claim:
    """One claim of the notes, measured."""

    key: str
    where: str                 # the notes' section
    says: tuple                # the claim, as inline content
    command: str               # the command that measures it
    measured: tuple            # the measurement, as inline content
    holds: bool

    @property
    def verdict(self):
        return "pass" if self.holds else "fail"


def g(value, digits=3):
    """A number for the sheet's text: `digits` significant digits."""
    return f"{float(value):.{digits}g}"


def _sweep_command(reg, extra=""):
    s = SWEEP
    return (f"gradproof sweep --data builtin:notes-small --reg {reg} --lam {','.join(g(v) for v in s['lams'])} "
            f"--seeds {','.join(map(str, s['seeds']))} --epochs {s['epochs']} --lr {g(s['lr'])}{extra}")


# ---- activations -------------------------------------------------------------------------------------------
def _slope_claim(name, key, bound_text, says):
    """sup f'(z) from sympy (flow.slope_bound), where it is reached (the roots of f''), and a fine numpy grid."""
    from ..flow import slope_bound

    row = activation(name)
    z = sp.Symbol("z", real=True)
    df = row.sympy_df(sp, z, row.sympy_f(sp, z))
    bound = slope_bound(name)
    roots = sp.solve(sp.diff(df, z), z)
    grid = np.linspace(-8.0, 8.0, 16001)
    slopes = row.df(grid, row.f(grid))
    peak = int(np.argmax(slopes))
    holds = (bound == sp.sympify(bound_text) and roots == [0] and df.subs(z, 0) == bound
             and float(slopes.max()) <= float(bound) and grid[peak] == 0.0)
    f = row.latex
    measured = parts("sympy: ", Math(rf"\sup_z {f}'(z) = {sp.latex(bound)}"), ", the only root of ",
                     Math(f"{f}''"), " is ", Math(f"z = {sp.latex(roots[0]) if roots else '?'}"),
                     f"; numpy on 16001 points of [−8, 8]: largest slope {g(slopes.max(), 6)} at z = {g(grid[peak])}.")
    return Claim(key, "Activation functions", says, f"gradproof flow --depth 3 --width 1 --act {name}",
                 measured, bool(holds))


def sigmoid_slope():
    return _slope_claim("sigmoid", "sigmoid_slope", "1/4",
                        parts("The sigmoid's slope is at most ", Math(r"\tfrac14"), " (\"sigmoid max is 0.25\"), "
                              "largest at ", Math("z = 0"), "."))


def tanh_slope():
    return _slope_claim("tanh", "tanh_slope", "1",
                        parts("tanh's slope ", Math(r"1 - \tanh^2 z"), " is at most 1."))


# ---- the chain ---------------------------------------------------------------------------------------------
def chain_bound(max_units=6, points=200):
    """|dO_n/dx| = prod_k |sigmoid'(z_k) w_k| <= (1/4)^n prod_k |w_k| for n sigmoid units in a chain, at random
    points (weights drawn with gain 3, so some exceed 4), and the steepest point where it is reached."""
    from gradproof.numeric.backprop import forward
    from gradproof.numeric.flow import local_factors

    from ..flow import random_point, steepest_point

    worst, reached = 0.0, []
    for n in range(1, max_units + 1):
        spec = Spec(layers=(1,) * (n + 1), bias=True)
        for seed in range(points):
            point = random_point(spec, seed=seed, gain=3.0)
            product = abs(float(np.prod([f[0] for f in local_factors(spec, forward(spec, point))])))
            bound = 0.25 ** n * float(np.prod([abs(w[0, 0]) for w in point.W]))
            worst = max(worst, product / bound)
        top = steepest_point(spec, 8.0)
        product = float(np.prod([f[0] for f in local_factors(spec, forward(spec, top))]))
        reached.append(product / (0.25 ** n * 8.0 ** n))
    holds = worst <= 1.0 + 1e-12 and all(abs(r - 1.0) < 1e-12 for r in reached)
    measured = parts("Largest ratio of ", Math(r"|\partial O_n/\partial x|"), " to the bound over "
                     f"{points} random points for each n = 1 to {max_units} (Xavier weights times 3): {g(worst, 6)}; at the "
                     "point where every ", Math("z_k = 0"), " (all weights 8) the ratio is 1 for every n: the bound "
                     "is reached, and with ", Math("|w| > 4"), " the chain's gradient grows as ", Math("2^n"), ".")
    says = parts("In the chain ", Math(r"O_k = \sigma(w_k O_{k-1} + b_k)"), " of n sigmoid units the slopes multiply: ",
                 Math(r"\left|\frac{\partial O_n}{\partial x}\right| = \prod_k \sigma'(z_k)\,|w_k| "
                      r"\le \left(\tfrac14\right)^n \prod_k |w_k|"), ".")
    return Claim("chain_bound", "Vanishing gradient problem", says,
                 "gradproof flow --depth 3 --width 1 --act sigmoid --bias", measured, bool(holds))


def two_paths():
    """w^1_11 reaches L along two paths (through O_21 and through O_22)."""
    from gradproof.numeric.notation import Param

    from ..chain import paths
    from ..model import Model
    from ..printing import latex

    spec, param = Spec(), Param.weight(1, 1, 1)
    model = Model(spec)
    found = list(paths(model, param))
    shown = []
    for n, path in enumerate(found):
        shown += ["; " if n else ""] + [Math(r" \to ".join(latex(s) for s in path))]
    holds = spec.path_count(param) == 2 == len(found)
    says = parts(Math("w^1_{11}"), " reaches ", Math("L"), " along two paths, so its gradient is a sum of two products.")
    return Claim("two_paths", "Training an MLP (chain rule)", says, "gradproof derive --param w^1_11",
                 parts(f"{len(found)} paths: ", *shown, "."), bool(holds))


def memoization():
    """Multiplications per sample for every gradient: path by path against backprop (numeric.paths)."""
    from gradproof.numeric.paths import multiplication_counts

    rows = []
    for layers in ((4, 3, 2, 1), (4, 4, 4, 4, 4, 1)):
        total = multiplication_counts(Spec(layers=layers))["total"]
        rows.append((layers, total["per_path"], total["backprop"]))
    holds = all(backprop < per_path for _, per_path, backprop in rows) and \
        rows[1][1] / rows[1][2] > rows[0][1] / rows[0][2]
    text = "; ".join(f"{'-'.join(map(str, layers))}: {per_path} path by path, {backprop} with backprop "
                     f"({per_path / backprop:.1f}× fewer)" for layers, per_path, backprop in rows)
    says = parts("Computing each shared factor once and reusing it (memoization) saves work; it costs memory.")
    return Claim("memoization", "Training an MLP: memoization", says,
                 "gradproof sheet --at derivations/notes-point.json -o notes.html (What memoization saves)",
                 parts(f"Multiplications per sample for every gradient, {text}: the saving grows with depth."),
                 bool(holds))


# ---- regularization and bias-variance ----------------------------------------------------------------------
@cache
def sweep_rows(reg, depths=None):
    """The sweep on builtin:notes-small (cached: the sheet and the tests read it several times)."""
    from gradproof.numeric.data import load_data
    from gradproof.numeric.sweep import sweep

    spec = Spec()
    data = load_data("builtin:notes-small", spec)
    lams = SWEEP["lams"] if depths is None else (0.0,)
    rows, _ = sweep(spec, data, reg, list(lams), depths=list(depths) if depths else None, seeds=list(SWEEP["seeds"]),
                    epochs=SWEEP["epochs"], lr=SWEEP["lr"])
    return tuple(rows)


def _series(values, digits=3):
    return " → ".join(g(v, digits) for v in values)


def l1_zeros():
    l1, l2 = sweep_rows("l1"), sweep_rows("l2")
    zeros1 = [r.zero_weights for r in l1]
    zeros2 = [r.zero_weights for r in l2]
    holds = zeros1 == sorted(zeros1) and zeros1[-1] > 0 and all(z == 0 for z in zeros2) and zeros1[0] == 0
    lams = _series(SWEEP["lams"])
    measured = parts(f"builtin:notes-small, λ = {lams}, mean over 5 seeds of the weights exactly 0 (of {l1[0].weights}):"
                     f" L1 {_series(zeros1)}; L2 {_series(zeros2)}.")
    says = parts("L1 regularization leads to sparsity (weights exactly 0: connections that no longer exist); "
                 "L2 shrinks weights without removing them.")
    return Claim("l1_zeros", "Bias variance tradeoff", says, _sweep_command("l1"), measured, bool(holds))


def bias_variance():
    rows = sweep_rows("l2")
    lams = SWEEP["lams"]
    best = [lams[int(np.argmin([r.validation_losses[n] for r in rows]))] for n in range(len(SWEEP["seeds"]))]
    interior = all(lams[0] < b < lams[-1] for b in best)
    rising = all(all(np.diff([r.train_losses[n] for r in rows]) > 0) for n in range(len(SWEEP["seeds"])))
    gaps = [r.gap for r in rows]
    narrowing = all(np.diff(gaps) < 0)
    holds = interior and rising and narrowing
    measured = parts(
        f"L2 on builtin:notes-small, λ = {_series(lams)}, means over 5 seeds: training loss "
        f"{_series([r.train_loss for r in rows])} (rises for every seed: more bias); gap validation − training "
        f"{_series(gaps)} (narrows: less variance); validation loss {_series([r.validation_loss for r in rows])}, "
        f"lowest at λ = {', '.join(g(b) for b in best)} for seeds {', '.join(map(str, SWEEP['seeds']))}: a U, "
        f"its minimum inside the range.")
    says = parts("A larger λ over-fits less: it lowers the variance and raises the bias, so the validation loss "
                 "falls, then rises again (a U-shaped curve).")
    return Claim("bias_variance", "Bias variance tradeoff", says, _sweep_command("l2"), measured, bool(holds))


def _depth_figures():
    rows = sweep_rows("l2", DEPTHS)
    layers = ", ".join("-".join(map(str, r.layers)) for r in rows)
    text = (f"builtin:notes-small, λ = 0, depths {', '.join(map(str, DEPTHS))} ({layers}: "
            f"{', '.join(str(r.weights) for r in rows)} weights), means over 5 seeds: training loss "
            f"{_series([r.train_loss for r in rows])}; gap validation − training {_series([r.gap for r in rows])}.")
    return rows, text


def _depth_command():
    return f"gradproof sweep --data builtin:notes-small --reg l2 --lam 0 --depths {','.join(map(str, DEPTHS))} " \
           f"--seeds {','.join(map(str, SWEEP['seeds']))} --epochs {SWEEP['epochs']} --lr {g(SWEEP['lr'])}"


def depth_bias():
    rows, text = _depth_figures()
    trains = [r.train_loss for r in rows]
    holds = trains[0] == max(trains) and rows[0].gap == min(r.gap for r in rows)
    says = parts("One layer (logistic regression) has a higher chance of under-fitting: high bias.")
    return Claim("depth_bias", "Bias variance tradeoff", says, _depth_command(),
                 parts(text, " The single layer fits the training rows worst and has the smallest gap."), bool(holds))


def depth_variance():
    rows, text = _depth_figures()
    gaps = [r.gap for r in rows]
    holds = all(np.diff(gaps) > 0)
    verdict = ("The gap grows with every layer." if holds else
               "The gap does not grow with every layer: the deeper networks here add narrow layers (2 neurons), and "
               "more weights alone do not decide how much a network over-fits 16 rows.")
    says = parts("More layers mean more weights and a higher chance of over-fitting: high variance.")
    return Claim("depth_variance", "Bias variance tradeoff", says, _depth_command(), parts(text, " ", verdict),
                 bool(holds))


# ---- GD, SGD, mini-batch -----------------------------------------------------------------------------------
@cache
def descent_runs():
    """GD, mini-batch and SGD from the same start on the same data: {name: (batch size, updates per epoch,
    loss history)}; the mean loss, so that one learning rate suits every batch size."""
    from gradproof.numeric.data import load_data
    from gradproof.numeric.init import init_params
    from gradproof.numeric.train import train

    spec = Spec(reduction="mean")
    data = load_data(DESCENT["data"], spec)
    start = init_params(spec, "xavier", seed=DESCENT["seed"])
    runs = {}
    for name, batch in DESCENT["batches"]:
        result = train(spec, data, epochs=DESCENT["epochs"], batch_size=batch, lr=DESCENT["lr"], params=start,
                       seed=DESCENT["seed"])
        runs[name] = (batch, -(-data.samples // batch), tuple(result.loss_history))
    return runs


def descent():
    runs = descent_runs()
    last = {name: history[-1] for name, (_, _, history) in runs.items()}
    holds = last["SGD"] < last["GD"] and last["mini-batch"] < last["GD"]
    shown = "; ".join(f"{name} (batch {batch}, {updates} update{'s' * (updates != 1)} per epoch): "
                      f"{g(history[0])} → {g(history[1])} after 1 epoch → {g(history[5])} after 5 → "
                      f"{g(history[-1])} after {len(history) - 1}"
                      for name, (batch, updates, history) in runs.items())
    measured = parts(f"builtin:notes, mean squared loss, the same start, η = {g(DESCENT['lr'])}: {shown}. Per epoch "
                     "every method sees each sample once, so they do the same arithmetic; SGD and mini-batch turn it "
                     "into more updates. Per second: printed by gradproof sheet --claims (timings vary from run to "
                     "run, so the sheet keeps only what regenerates exactly).")
    says = parts("Instead of one point (SGD) or all of them (GD), send a mini-batch: mini-batch SGD is the most "
                 "popular, since computing the gradient over every point at once is costly.")
    command = "gradproof train --data builtin:notes --reduction mean --epochs 20 --lr 0.5 --batch-size 200|16|1 --json"
    return Claim("descent", "Backpropagation", says, command, measured, bool(holds))


def timings(repeats=3):
    """Wall-clock figures for GD, mini-batch and SGD (the sheet's runs): [(name, seconds per epoch, final loss,
    epochs and seconds to reach GD's final loss)], the best of `repeats` runs. Not deterministic."""
    from gradproof.numeric.data import load_data
    from gradproof.numeric.init import init_params
    from gradproof.numeric.train import train

    spec = Spec(reduction="mean")
    data = load_data(DESCENT["data"], spec)
    start = init_params(spec, "xavier", seed=DESCENT["seed"])
    runs = []
    for name, batch in DESCENT["batches"]:
        best = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            result = train(spec, data, epochs=DESCENT["epochs"], batch_size=batch, lr=DESCENT["lr"], params=start,
                           seed=DESCENT["seed"])
            best = min(best, time.perf_counter() - began)
        runs.append((name, best / DESCENT["epochs"], result.loss_history))
    target = runs[0][2][-1]
    out = []
    for name, per_epoch, history in runs:
        epochs = next(e for e, loss in enumerate(history) if loss <= target)
        out.append((name, per_epoch, history[-1], target, epochs, epochs * per_epoch))
    return out


CLAIMS = (sigmoid_slope, tanh_slope, chain_bound, two_paths, memoization, descent, l1_zeros, bias_variance,
          depth_bias, depth_variance)


@cache
def measure_all():
    """Every claim, measured once per process."""
    return tuple(make() for make in CLAIMS)
