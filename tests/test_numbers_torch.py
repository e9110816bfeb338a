"""derive, step and check against an independent reference: PyTorch autograd in float64.

Random networks (every activation, loss, reduction and regularization) at random points drawn so that
pre-activations reach saturation (|z| up to 50, rescaled layer by layer) and inputs are large (|x| up
to 1e6). The symbolic values (derive's), the worked step's and the check's must agree with torch to
1e-10 relative, with a floor of 1e-12, and nothing may be NaN or infinite. Where float64 itself cannot
hold 1e-10 (an ill-conditioned gradient, torch as far off as we are), mpmath's 50-digit value decides. torch is the `bench` extra:
without it these tests are skipped.

Seeded loops, not hypothesis: the same 500 networks every run (the seed of network n is n), so that a
failure names a network that can be rebuilt by hand: `network(n)`.
"""
import json
import math

import numpy as np
import pytest

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.finite import all_finite
from gradproof.numeric.losses import LOSSES, REDUCTIONS
from gradproof.numeric.notation import Neuron
from gradproof.numeric.point import Point
from gradproof.numeric.regularizations import REGULARIZATIONS
from gradproof.numeric.spec import Spec
from gradproof.numeric.step import worked_step
from gradproof.symbolic.check import check, compiled

torch = pytest.importorskip("torch")

NETWORKS = 500
SPECS = 40                 # the networks share this many specs (a sympy model is built once per spec)
RTOL, ATOL = 1e-10, 1e-12
LR = 0.01


def close(a, t):
    return abs(a - t) <= RTOL * abs(t) + ATOL


class Exact:
    """The 50-digit values of a network at a point (symbolic, mpmath), computed when first asked for.

    Where float64 cannot hold 1e-10 (a gradient that is a small difference of large terms, as through a
    saturated tanh with inputs of 1e4), torch is off as much as we are; there the 50-digit value decides:
    ours must be no further from it than torch's (or within 1e-10 of it)."""

    def __init__(self, spec, point):
        self.spec, self.point, self._values = spec, point, None

    def __call__(self, name):
        if self._values is None:
            values = compiled(self.spec, 50).evaluate(self.point)
            self._values = {p.name: float(v) for p, v in values.gradients.items()}
            self._values["L"] = float(values.loss)
        return self._values[name]


def agree(ours, theirs, exact, name):
    if close(ours, theirs):
        return True
    if exact is None:
        return False
    e = exact(name)
    return abs(ours - e) <= max(2 * abs(theirs - e), RTOL * abs(e) + ATOL)


# ---- the reference ---------------------------------------------------------------------------


def reference(spec, point):
    """(loss, {param name: dL/dparam}, z per layer, O per layer) by torch autograd in float64."""
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in point.W]
    b = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point.b] if spec.bias else None
    O = torch.tensor(point.x, dtype=torch.float64)
    y = torch.tensor(point.y, dtype=torch.float64)
    zs, Os = [], []
    for k in range(spec.depth):
        z = O @ W[k] + (b[k] if b is not None else 0)
        O = ACTIVATIONS[spec.activations[k]].torch_f(torch, z)      # the table's torch form
        zs.append(z)
        Os.append(O)
    if spec.loss == "bce":          # from the logits, torch's own stable form
        per = torch.nn.functional.binary_cross_entropy_with_logits(zs[-1], y, reduction="none")
    elif spec.loss == "squared":
        per = (y - O) ** 2
    else:
        per = (y - O) ** 2 / 2
    loss = per.sum() / (point.samples if spec.reduction == "mean" else 1)
    if spec.regularization == "l1":
        loss = loss + spec.lam * sum(w.abs().sum() for w in W)
    elif spec.regularization == "l2":
        loss = loss + spec.lam * sum((w * w).sum() for w in W)
    loss.backward()
    grads = {}
    for p in spec.parameters():
        g = W[p.layer - 1].grad[p.i - 1, p.j - 1] if p.is_weight else b[p.layer - 1].grad[p.j - 1]
        grads[p.name] = float(g)
    return float(loss.detach()), grads, [z.detach().numpy() for z in zs], [o.detach().numpy() for o in Os]


# ---- the random networks ---------------------------------------------------------------------


def spec_of(n):
    """Spec number n (of SPECS): 1 to 3 weight layers of widths 1 to 3, every activation, loss, reduction
    and regularization."""
    rng = np.random.default_rng([7, n])
    depth = int(rng.integers(1, 4))
    layers = tuple(int(v) for v in rng.integers(1, 4, depth + 1))
    # elementwise rows and losses of independent targets; softmax with cross-entropy has its own test
    # (test_softmax_torch.py), and leaving them out keeps these 500 draws what they were
    names = [name for name, row in ACTIVATIONS.items() if not row.couples]
    acts = [str(rng.choice(names)) for _ in range(depth)]
    loss = str(rng.choice([name for name, row in LOSSES.items() if not row.simplex]))
    if LOSSES[loss].needs_probability:
        acts[-1] = "sigmoid"
    reg = str(rng.choice(list(REGULARIZATIONS)))
    return Spec(layers=layers, activations=tuple(acts), bias=bool(rng.integers(2)), loss=loss,
                reduction=str(rng.choice(REDUCTIONS)), regularization=reg,
                lam=float(rng.choice([0.01, 0.5])) if REGULARIZATIONS[reg].present else 0.0)


def network(n):
    """Network n: a spec (one of SPECS) and a point whose pre-activations reach |z| up to 50.

    x has a random scale from 1e-1 to 1e6; each layer's W (and b) is rescaled so that its largest |z|
    is a number drawn in [0.5, 50]: saturated sigmoids, tanh and softplus, large linear outputs."""
    spec = spec_of(n % SPECS)
    rng = np.random.default_rng([11, n])
    samples = int(rng.integers(1, 4))
    x = rng.uniform(-1, 1, (samples, spec.layers[0])) * 10 ** rng.uniform(-1, 6)
    O, W, b = x, [], [] if spec.bias else None
    for k in range(1, spec.depth + 1):
        w = rng.uniform(-1, 1, (spec.layers[k - 1], spec.layers[k]))
        v = rng.uniform(-1, 1, spec.layers[k]) if spec.bias else 0.0
        z = O @ w + v
        largest = float(np.abs(z).max())
        scale = rng.uniform(0.5, 50) / largest if largest > 1e-3 else 1.0      # a dead layer stays as drawn
        w, v = w * scale, v * scale
        W.append(w)
        if spec.bias:
            b.append(v)
        O = ACTIVATIONS[spec.activations[k - 1]].f(O @ w + v)
    if LOSSES[spec.loss].targets is not None:
        lo, hi = LOSSES[spec.loss].targets
        y = rng.choice([lo, hi, 0.5 * (lo + hi), rng.uniform(lo, hi)], (samples, spec.layers[-1]))
    else:
        y = rng.normal(0, 1, (samples, spec.layers[-1])) * 10 ** rng.uniform(-1, 3)
    return spec, Point(x, y.astype(float), W, b, single=samples == 1)


# ---- the comparisons ---------------------------------------------------------------------------


def _disagreements(what, ours, theirs, exact=None):
    return [f"{what} {name}: {ours[name]!r} vs torch {t!r}" + (f", exact {exact(name)!r}" if exact else "")
            for name, t in theirs.items() if not agree(ours[name], t, exact, name)]


def compare(n):
    """The disagreements of derive, step and check with torch on network n (an empty list: all agree)."""
    spec, point = network(n)
    loss, grads, zs, Os = reference(spec, point)
    assert math.isfinite(loss) and all(map(math.isfinite, grads.values())), f"network {n}: the reference overflows"
    out, exact = [], Exact(spec, point)
    # derive: the compiled symbolic forms (its --at values)
    values = compiled(spec).evaluate(point)
    out += _disagreements("derive loss", {"L": float(values.loss)}, {"L": loss}, exact)
    out += _disagreements("derive", {p.name: float(v) for p, v in values.gradients.items()}, grads, exact)
    # step: backprop's forward pass, gradients, the update and the loss after it
    step = worked_step(spec, point, LR)
    data = step.to_json()
    if not all_finite(data):
        out.append(f"step output holds a non-finite value: {data}")
    out += _disagreements("step loss", {"L": data["loss_before"]}, {"L": loss}, exact)
    out += _disagreements("step", data["gradients"], grads, exact)
    for k, (z, O) in enumerate(zip(zs, Os), start=1):
        for j in range(z.shape[1]):
            for letter, table in (("z", z), ("O", O)):
                name = Neuron(letter, k, j + 1).name
                ours = np.atleast_1d(data["forward"][name])
                out += [f"step {name}: {a!r} vs torch {t!r}" for a, t in zip(ours, table[:, j]) if not close(a, t)]
    after = Point(point.x, point.y, step.W, step.b, point.single)
    out += _disagreements("step loss_after", {"L": data["loss_after"]}, {"L": reference(spec, after)[0]})
    # check: passes, and its reference column is torch's gradient
    report = check(spec, [point])
    if not report.passed:
        out.append("check fails: " + report.summary())
    out += _disagreements("check s", {r.param.name: r.symbolic for r in report.rows}, grads, exact)
    try:
        json.dumps(report.to_json(), allow_nan=False)
    except ValueError as error:
        out.append(f"check JSON: {error}")
    return [f"network {n} ({spec!r}): {line}" for line in out]


@pytest.mark.parametrize("block", range(10))
def test_derive_step_and_check_agree_with_torch(block):
    """500 networks in 10 blocks of 50 (network n = block + 10 m)."""
    failures = []
    for n in range(block, NETWORKS, 10):
        failures += compare(n)
    assert not failures, f"{len(failures)} disagreements, e.g.\n" + "\n".join(failures[:12])


def test_the_draws_reach_saturation_and_large_inputs():
    """The fuzz is only as good as its points: some |z| near 50 on saturating activations, |x| up to 1e5."""
    saturated = large = 0
    for n in range(NETWORKS):
        spec, point = network(n)
        _, _, zs, _ = reference(spec, point)
        saturated += any(np.abs(z).max() > 30 and spec.activations[k] in ("sigmoid", "tanh", "softplus")
                         for k, z in enumerate(zs))
        large += float(np.abs(point.x).max()) > 1e5
    assert saturated > NETWORKS / 10 and large > NETWORKS / 20
