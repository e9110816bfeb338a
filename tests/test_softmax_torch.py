"""Softmax with categorical cross-entropy against an independent reference: torch float64's cross_entropy with
probability targets (log-softmax inside), autograd for the gradients.

300 random networks (a softmax output layer after 0 to 2 hidden layers of any elementwise activation, biases,
reductions and regularizations as drawn) at points whose output pre-activations reach |z| from 0.5 to 50, and for
every third network from 500 to 1000 (where e^z overflows and O_nj underflows to 0). Targets are one-hot, a
random probability vector, or one with zeros. backprop, the per-path sum and the compiled symbolic forms must agree
with torch within 1e-10 relative (floor 1e-12), or be no further than torch from the 50-digit value; every fifth
network is also checked five ways by `check`.

Seeded loops: network n is rebuilt by hand with `network(n)`.
"""
import math

import numpy as np
import pytest

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.backprop import backprop
from gradproof.numeric.losses import REDUCTIONS
from gradproof.numeric.paths import per_path
from gradproof.numeric.point import Point
from gradproof.numeric.regularizations import REGULARIZATIONS
from gradproof.numeric.spec import Spec
from gradproof.symbolic.check import check, compiled

torch = pytest.importorskip("torch")

NETWORKS = 300
SPECS = 12
RTOL, ATOL = 1e-10, 1e-12
COUPLED = [name for name, row in ACTIVATIONS.items() if row.couples]
HIDDEN = [name for name, row in ACTIVATIONS.items() if not row.couples]
CLASSIFIER = "ce"                    # the loss these networks are for: the one whose targets are probability vectors


def spec_of(n):
    rng = np.random.default_rng([27, n])
    hidden = int(rng.integers(0, 3))
    layers = tuple(int(v) for v in rng.integers(1, 4, hidden + 1)) + (int(rng.integers(2, 5)),)
    acts = tuple(str(rng.choice(HIDDEN)) for _ in range(hidden)) + (COUPLED[0],)
    reg = str(rng.choice(list(REGULARIZATIONS)))
    return Spec(layers=layers, activations=acts, bias=bool(rng.integers(2)), loss=CLASSIFIER,
                reduction=str(rng.choice(REDUCTIONS)), regularization=reg,
                lam=float(rng.choice([0.01, 0.5])) if REGULARIZATIONS[reg].present else 0.0)


def targets(rng, samples, width):
    kind = int(rng.integers(3))
    if kind == 0:                                            # one-hot
        return np.eye(width)[rng.integers(0, width, samples)]
    y = rng.uniform(0, 1, (samples, width))
    if kind == 2:                                            # some classes with target 0
        y[rng.uniform(0, 1, y.shape) < 0.4] = 0.0
        y[:, 0] += 1e-3
    return y / y.sum(axis=1, keepdims=True)


def network(n):
    """Network n: a spec (one of SPECS) and a point; the output layer's largest |z| is drawn in [0.5, 50], or in
    [500, 1000] for every third network; hidden layers' in [0.5, 20]."""
    spec = spec_of(n % SPECS)
    rng = np.random.default_rng([31, n])
    samples = int(rng.integers(1, 4))
    x = rng.uniform(-1, 1, (samples, spec.layers[0])) * 10 ** rng.uniform(-1, 2)
    O, W, b = x, [], [] if spec.bias else None
    for k in range(1, spec.depth + 1):
        w = rng.uniform(-1, 1, (spec.layers[k - 1], spec.layers[k]))
        v = rng.uniform(-1, 1, spec.layers[k]) if spec.bias else 0.0
        z = O @ w + v
        largest = float(np.abs(z).max())
        top = (500, 1000) if k == spec.depth and n % 3 == 0 else (0.5, 50) if k == spec.depth else (0.5, 20)
        scale = rng.uniform(*top) / largest if largest > 1e-3 else 1.0
        w, v = w * scale, v * scale
        W.append(w)
        if spec.bias:
            b.append(v)
        O = ACTIVATIONS[spec.activations[k - 1]].f(O @ w + v)
    return spec, Point(x, targets(rng, samples, spec.layers[-1]), W, b, single=samples == 1)


def reference(spec, point):
    """(loss, {param name: gradient}, output z) by torch float64: cross_entropy with probability targets."""
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in point.W]
    b = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point.b] if spec.bias else None
    O = torch.tensor(point.x, dtype=torch.float64)
    for k in range(spec.depth):
        z = O @ W[k] + (b[k] if b is not None else 0)
        O = ACTIVATIONS[spec.activations[k]].torch_f(torch, z) if k < spec.depth - 1 else None
    y = torch.tensor(point.y, dtype=torch.float64)
    loss = torch.nn.functional.cross_entropy(z, y, reduction=spec.reduction)
    if spec.regularization == "l1":
        loss = loss + spec.lam * sum(w.abs().sum() for w in W)
    elif spec.regularization == "l2":
        loss = loss + spec.lam * sum((w * w).sum() for w in W)
    loss.backward()
    grads = {p.name: float(W[p.layer - 1].grad[p.i - 1, p.j - 1] if p.is_weight else b[p.layer - 1].grad[p.j - 1])
             for p in spec.parameters()}
    return float(loss.detach()), grads, z.detach().numpy()


class Exact:
    """The 50-digit gradients and loss (the symbolic forms in mpmath), computed when first asked for."""

    def __init__(self, spec, point):
        self.spec, self.point, self.values = spec, point, None

    def __call__(self, name):
        if self.values is None:
            out = compiled(self.spec, 50).evaluate(self.point)
            self.values = {p.name: float(v) for p, v in out.gradients.items()} | {"L": float(out.loss)}
        return self.values[name]


def agree(ours, theirs, exact, name):
    if abs(ours - theirs) <= RTOL * abs(theirs) + ATOL:
        return True
    e = exact(name)
    return abs(ours - e) <= max(2 * abs(theirs - e), RTOL * abs(e) + ATOL)


def compare(n):
    """[disagreements] and how many values were compared, for network n."""
    spec, point = network(n)
    loss, grads, _ = reference(spec, point)
    assert math.isfinite(loss) and all(map(math.isfinite, grads.values())), f"network {n}: the reference overflows"
    exact = Exact(spec, point)
    bp = backprop(spec, point)
    paths = per_path(spec, point).values
    symbolic = compiled(spec).evaluate(point)
    ours = {"backprop": ({p.name: bp.value(p) for p in spec.parameters()} | {"L": bp.loss}),
            "per_path": {p.name: v for p, v in paths.items()},
            "symbolic": ({p.name: float(v) for p, v in symbolic.gradients.items()} | {"L": float(symbolic.loss)})}
    theirs = grads | {"L": loss}
    out, compared = [], 0
    for method, values in ours.items():
        for name, value in values.items():
            compared += 1
            if not (math.isfinite(value) and agree(value, theirs[name], exact, name)):
                out.append(f"network {n} ({spec!r}) {method} {name}: {value!r} vs torch {theirs[name]!r}")
    if n % 5 == 0:
        report = check(spec, [point])
        if not report.passed:
            out.append(f"network {n} ({spec!r}): check fails: {report.summary()}")
    return out, compared


@pytest.mark.parametrize("block", range(4))
def test_softmax_cross_entropy_agrees_with_torch(block):
    failures, compared = [], 0
    for n in range(block, NETWORKS, 4):
        found, count = compare(n)
        failures += found
        compared += count
    assert compared > 0
    assert not failures, f"{len(failures)} disagreements of {compared}, e.g.\n" + "\n".join(failures[:12])


def test_the_draws_reach_overflow_and_every_kind_of_target():
    """|z| >= 500 at the output (e^z overflows; float64 O underflows to 0) in about a third of the networks; one-hot,
    dense and sparse targets all drawn."""
    large = one_hot = with_zero = 0
    for n in range(NETWORKS):
        spec, point = network(n)
        z = reference(spec, point)[2]
        large += float(np.abs(z).max()) >= 500
        one_hot += bool(np.all(point.y.max(axis=1) == 1))
        with_zero += bool(np.any(point.y == 0) and not np.all(point.y.max(axis=1) == 1))
    assert large >= NETWORKS // 4 and one_hot > NETWORKS / 5 and with_zero > NETWORKS / 5
