"""One worked gradient-descent update at a POINT, as a textbook writes it out: the forward pass (z_kj, O_kj),
the loss, delta_kj = dL/dO_kj from the output back, every gradient dL/dw^k_ij and dL/db^k_j, the updated
weights w - eta dL/dw, and the loss after the update.

With several samples in the POINT the step is one full-batch gradient-descent step on the whole loss, and
the per-sample values (z, O, delta) have one entry per sample. With L1 the update uses the subgradient
lambda*sign(w) (0 at w = 0), as a textbook update would; training uses the proximal step instead.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.notation import Neuron, Param
>>> from gradproof.numeric.point import from_mapping
>>> spec = Spec(layers=(1, 1), activations=("linear",))
>>> step = worked_step(spec, from_mapping({"x": [2.0], "y": [1.0], "W": [[[0.5]]]}, spec), lr=0.1)
>>> step.value(Neuron("O", 1, 1)), step.gradient(Param.weight(1, 1, 1)), step.updated(Param.weight(1, 1, 1))
(1.0, 0.0, 0.5)
"""
from dataclasses import dataclass

from .backprop import Gradients, backprop, loss_at
from .errors import GradproofError
from .notation import Neuron
from .point import Point
from .train import update


@dataclass(frozen=True)
class WorkedStep:
    """The step's numbers: the backprop result at the POINT, the updated W (and b), the loss after."""

    spec: object
    lr: float
    grads: Gradients
    W: list
    b: list | None
    loss_after: float
    single: bool

    @property
    def loss_before(self):
        return self.grads.loss

    def neurons(self):
        """(z_kj, O_kj) for every neuron, from the first layer after the input to the output."""
        for k in range(1, self.spec.depth + 1):
            for j in range(1, self.spec.layers[k] + 1):
                yield Neuron("z", k, j), Neuron("O", k, j)

    def value(self, neuron):
        """z_kj or O_kj: a number for one sample, a list with one number per sample."""
        table = self.grads.forward.z if neuron.letter == "z" else self.grads.forward.O
        return self._per_sample(table[neuron.layer][:, neuron.j - 1])

    def delta(self, neuron):
        """dL/dO_kj, per sample as in value()."""
        return self._per_sample(self.grads.delta[neuron.layer][:, neuron.j - 1])

    def gradient(self, param):
        return self.grads.value(param)

    def updated(self, param):
        """The parameter's value after the step."""
        if param.is_weight:
            return float(self.W[param.layer - 1][param.i - 1, param.j - 1])
        return float(self.b[param.layer - 1][param.j - 1])

    def _per_sample(self, column):
        return float(column[0]) if self.single else [float(v) for v in column]

    def to_json(self):
        """{"loss_before", "forward": {"z_11", "O_11", ...}, "delta": {"O_11": dL/dO_11, ...},
        "gradients": {"w^1_11", "b^1_1", ...}, "updated": {"W", "b" (or null)}, "loss_after"}."""
        forward, delta = {}, {}
        for z, O in self.neurons():
            forward[z.name] = self.value(z)
            forward[O.name] = self.value(O)
            delta[O.name] = self.delta(O)
        return {
            "loss_before": self.loss_before,
            "forward": forward,
            "delta": delta,
            "gradients": {p.name: self.gradient(p) for p in self.spec.parameters()},
            "updated": {"W": [w.tolist() for w in self.W],
                        "b": [v.tolist() for v in self.b] if self.b is not None else None},
            "loss_after": self.loss_after,
        }


def worked_step(spec, point, lr, freeze_bias=False):
    """One gradient-descent step w <- w - lr dL/dw at the POINT (biases kept with freeze_bias)."""
    if not lr > 0 or lr == float("inf"):
        raise GradproofError(f"--lr must be a finite number > 0; got {lr!r}")
    grads = backprop(spec, point)
    W, b = update(spec, point.W, point.b if spec.bias else None, grads, lr, freeze_bias=freeze_bias)
    return WorkedStep(spec, lr, grads, W, b, loss_at(spec, Point(point.x, point.y, W, b)), point.single)
