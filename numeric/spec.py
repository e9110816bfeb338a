"""The network spec: layer sizes, activations, bias, loss, reduction and regularization.

One spec serves both sides. With nothing given it is the notes' network: 4-3-2-1, sigmoid, no bias,
squared loss summed over samples, no regularization. It reads from a TOML file or a mapping:

    [network]
    layers = [4, 3, 2, 1]
    activation = "sigmoid"      # or ["tanh", "tanh", "linear"]
    bias = false
    [loss]
    kind = "squared"
    reduction = "sum"
    [regularization]
    kind = "none"               # or "l1", "l2": then lambda (its strength) is required
    # lambda = 0.01             # only with l1 or l2: a lambda with "none" is an error, not ignored
    [matrix]
    layout = "rows"             # the matrix form's layout: "rows" (samples as rows, the notes') or "columns"
"""
import math
from dataclasses import dataclass, replace

from .activations import ACTIVATIONS, activation
from .errors import GradproofError, unknown
from .files import read_toml
from .layouts import LAYOUTS
from .losses import LOSSES, REDUCTIONS, loss
from .notation import Param
from .regularizations import penalties, regularization

NOTES_LAYERS = (4, 3, 2, 1)


@dataclass(frozen=True)
class Spec:
    """A multilayer perceptron and its loss.

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> Spec()
    Spec(4-3-2-1, sigmoid, squared/sum)
    >>> Spec(layers=(2, 2, 2), activations=("tanh", "linear"), bias=True, regularization="l2", lam=0.1)
    Spec(2-2-2, tanh,linear, bias, squared/sum, l2 lambda=0.1)
    >>> len(Spec().parameters())
    20
    >>> Spec(layers=(4, 3), activations=("sigmod",))
    Traceback (most recent call last):
    ...
    gradproof.numeric.errors.GradproofError: unknown activation 'sigmod'; valid: sigmoid, tanh, linear, softplus, relu, leaky_relu, softmax
    """

    layers: tuple = NOTES_LAYERS
    activations: tuple = "sigmoid"     # one name for every layer, or one per non-input layer
    bias: bool = False
    loss: str = "squared"
    reduction: str = "sum"
    regularization: str = "none"
    lam: float = 0.0
    layout: str = "rows"               # how the matrix form lays out a batch (numeric/layouts.py)

    def __post_init__(self):
        object.__setattr__(self, "layers", tuple(self.layers))
        acts = (self.activations,) if isinstance(self.activations, str) else self.activations
        if not isinstance(acts, (tuple, list)) or not all(isinstance(a, str) for a in acts):
            raise GradproofError(f"activation must be a name or a list of names (e.g. \"sigmoid\" or "
                                 f"[\"tanh\", \"tanh\", \"linear\"]); got {self.activations!r}")
        acts = tuple(acts)
        if len(self.layers) < 2:
            raise GradproofError(f"a network needs at least 2 layers (input and output); got {self.layers_text}")
        if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in self.layers):
            raise GradproofError(f"layer sizes must be positive whole numbers; got {list(self.layers)}")
        if len(acts) == 1:
            acts = acts * (len(self.layers) - 1)
        if len(acts) != len(self.layers) - 1:
            raise GradproofError(
                f"{len(acts)} activations given for {len(self.layers) - 1} non-input layers of {self.layers_text}; "
                "give one name for all or one per layer")
        for k, a in enumerate(acts, start=1):
            row = activation(a)
            if row.couples and k < len(acts):
                raise GradproofError(
                    f"activation {a!r} couples the outputs of its layer (each depends on every z of the layer) and may "
                    f"only be the output layer's (layer {len(acts)} of {self.layers_text}); layer {k} uses it")
            if row.couples and self.layers[k] < 2:
                raise GradproofError(f"activation {a!r} over a single output is the constant 1: the output layer of "
                                     f"{self.layers_text} needs at least 2 neurons for it")
        object.__setattr__(self, "activations", acts)
        loss(self.loss)
        if self.reduction not in REDUCTIONS:
            raise unknown("reduction", self.reduction, REDUCTIONS)
        regularization(self.regularization)
        if not isinstance(self.lam, (int, float)) or isinstance(self.lam, bool) or not math.isfinite(self.lam) or self.lam < 0:
            raise GradproofError(f"lambda must be a finite number >= 0; got {self.lam!r}")
        object.__setattr__(self, "lam", float(self.lam))
        if self.layout not in LAYOUTS:
            raise unknown("layout", self.layout, LAYOUTS)
        if not self.regularizer.present and self.lam != 0:
            raise GradproofError(f"lambda = {self.lam:g} is given but the regularization is {self.regularization}, which "
                                 f"would ignore it; choose {' or '.join(penalties())}, or drop lambda")
        if LOSSES[self.loss].needs_probability and not activation(acts[-1]).probability:
            allowed = " or ".join(a.name for a in ACTIVATIONS.values() if a.probability)
            raise GradproofError(f"loss {self.loss!r} needs outputs in (0, 1): the output layer's activation must be "
                                 f"{allowed}, not {acts[-1]!r}")

    @property
    def layers_text(self):
        return "-".join(str(n) for n in self.layers)

    @property
    def depth(self):
        """The number of non-input layers: the k of the output layer."""
        return len(self.layers) - 1

    def activation(self, k):
        """The registry row of layer k (1-based)."""
        return ACTIVATIONS[self.activations[k - 1]]

    @property
    def regularizer(self):
        """The registry row of the regularization (numeric/regularizations.py)."""
        return regularization(self.regularization)

    def parameters(self):
        """Every parameter, layer by layer: the weights w^k_ij (row by row), then the biases b^k_j."""
        params = []
        for k in range(1, len(self.layers)):
            params += [Param.weight(k, i, j) for i in range(1, self.layers[k - 1] + 1)
                       for j in range(1, self.layers[k] + 1)]
            if self.bias:
                params += [Param.bias(k, j) for j in range(1, self.layers[k] + 1)]
        return params

    def check_param(self, param):
        """Raise an error naming what exists when the network has no such parameter."""
        k = param.layer
        ok = 1 <= k <= self.depth and 1 <= param.j <= self.layers[k] if k >= 1 else False
        if ok and param.is_weight:
            ok = 1 <= param.i <= self.layers[k - 1]
        if ok and not param.is_weight and not self.bias:
            raise GradproofError(f"{param} does not exist: this network has no biases (add --bias)")
        if not ok:
            ranges = ", ".join(f"w^{k}_ij with i in 1..{self.layers[k - 1]}, j in 1..{self.layers[k]}"
                               for k in range(1, len(self.layers)))
            if self.bias:
                ranges += "; " + ", ".join(f"b^{k}_j with j in 1..{self.layers[k]}" for k in range(1, len(self.layers)))
            raise GradproofError(f"{param} does not exist in the {self.layers_text} network; it has {ranges}")
        return param

    def path_count(self, param):
        """How many paths lead from the parameter to L: the product of the widths of the later layers, times the
        output width again when the output layer couples (z_nj reaches L through every O_nm)."""
        coupled = self.layers[-1] if self.activation(self.depth).couples else 1
        return math.prod(self.layers[param.layer + 1:]) * coupled

    def to_json(self):
        return {"layers": list(self.layers), "activations": list(self.activations), "bias": self.bias,
                "loss": self.loss, "reduction": self.reduction, "regularization": self.regularization,
                "lambda": self.lam, "layout": self.layout}

    @classmethod
    def from_json(cls, data, source="spec"):
        """The spec of :meth:`to_json`'s layout (a key's or a report's "network" entry).

        Examples
        ========
        >>> from gradproof.numeric.spec import Spec
        >>> s = Spec(layers=(2, 3, 1), bias=True)
        >>> Spec.from_json(s.to_json()) == s
        True
        """
        names = {"layers": "layers", "activations": "activations", "bias": "bias", "loss": "loss",
                 "reduction": "reduction", "regularization": "regularization", "lambda": "lam", "layout": "layout"}
        if not isinstance(data, dict):
            raise GradproofError(f"{source}: the network must be an object with {', '.join(names)}")
        try:
            return cls(**{names[k]: (tuple(v) if k in ("layers", "activations") else v)
                          for k, v in data.items() if k in names})
        except (GradproofError, TypeError) as error:
            raise GradproofError(f"{source}: the network is not a network spec: {error}") from None

    @property
    def summary(self):
        """The network in a few words for a report's header: '4-3-2-1, sigmoid, squared/sum'."""
        acts = self.activations[0] if len(set(self.activations)) == 1 else ",".join(self.activations)
        parts = [self.layers_text, acts] + (["bias"] if self.bias else []) + [f"{self.loss}/{self.reduction}"]
        if self.regularizer.present:
            parts.append(f"{self.regularization} lambda={self.lam:g}")
        if self.layout != Spec.layout:
            parts.append(f"{self.layout} layout")
        return ", ".join(parts)

    def __repr__(self):
        return f"Spec({self.summary})"

    def replace(self, **changes):
        return replace(self, **changes)

    @classmethod
    def from_mapping(cls, data, source="spec"):
        """A spec from the TOML layout (a dict of tables), naming any unknown table or key.

        Examples
        ========
        >>> from gradproof.numeric.spec import Spec
        >>> Spec.from_mapping({"network": {"layers": [2, 2, 1], "activation": ["tanh", "sigmoid"]}, "loss": {"kind": "bce"}})
        Spec(2-2-1, tanh,sigmoid, bce/sum)
        >>> Spec.from_mapping({"network": {"layer": [2, 1]}}, source="net.toml")
        Traceback (most recent call last):
        ...
        gradproof.numeric.errors.GradproofError: net.toml: unknown key 'layer' in [network]; valid: layers, activation, bias
        """
        layout = {"network": {"layers": "layers", "activation": "activations", "bias": "bias"},
                  "loss": {"kind": "loss", "reduction": "reduction"},
                  "regularization": {"kind": "regularization", "lambda": "lam"},
                  "matrix": {"layout": "layout"}}
        fields = {}
        for table, values in data.items():
            if table not in layout:
                raise GradproofError(f"{source}: unknown table [{table}]; valid: {', '.join(f'[{t}]' for t in layout)}")
            if not isinstance(values, dict):
                raise GradproofError(f"{source}: [{table}] must be a table")
            for key, value in values.items():
                if key not in layout[table]:
                    raise GradproofError(f"{source}: unknown key {key!r} in [{table}]; valid: {', '.join(layout[table])}")
                fields[layout[table][key]] = value
        if "layers" in fields and not isinstance(fields["layers"], list):
            raise GradproofError(f"{source}: [network] layers must be a list of sizes, e.g. [4, 3, 2, 1]")
        if "activations" not in fields and "layers" in fields:
            fields["activations"] = "sigmoid"
        for key, kind in (("bias", bool), ("loss", str), ("reduction", str), ("regularization", str), ("layout", str)):
            if key in fields and not isinstance(fields[key], kind):
                raise GradproofError(f"{source}: {key} must be a {kind.__name__}; got {fields[key]!r}")
        if fields.get("regularization") in penalties() and "lam" not in fields:
            raise GradproofError(f"{source}: [regularization] kind = {fields['regularization']!r} needs its strength: "
                                 "lambda = (a number >= 0)")
        try:
            return cls(**fields)
        except GradproofError as error:
            raise GradproofError(f"{source}: {error}") from None

    @classmethod
    def from_toml(cls, path):
        """A spec from a TOML file; a syntax error is reported with its line and column."""
        return cls.from_mapping(read_toml(path, "spec file"), source=str(path))


def parse_layers(text):
    """Layer sizes from the --net flag: '4-3-2-1' -> (4, 3, 2, 1).

    Examples
    ========
    >>> from gradproof.numeric.spec import parse_layers
    >>> parse_layers("4-3-2-1")
    (4, 3, 2, 1)
    >>> parse_layers("4-x-1")
    Traceback (most recent call last):
    ...
    gradproof.numeric.errors.GradproofError: --net takes layer sizes joined by '-', input first, e.g. 4-3-2-1; got '4-x-1'
    """
    try:
        sizes = tuple(int(part) for part in text.split("-"))
    except ValueError:
        sizes = ()
    if len(sizes) < 2 or min(sizes) < 1:
        raise GradproofError(f"--net takes layer sizes joined by '-', input first, e.g. 4-3-2-1; got {text!r}")
    return sizes
