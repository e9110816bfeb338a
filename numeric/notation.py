"""The notes' notation: names of inputs, neurons and parameters, as text, JSON keys and LaTeX.

Layer 0 is the input (O_0i = x_i); w^k_ij is the weight from neuron i of layer k-1 to neuron j of
layer k; b^k_j is the bias of neuron j of layer k; indices start at 1. A subscript of several
indices is written together (``w^1_11``) while every index is a single digit, and with braces and
commas once one exceeds 9 (``w^1_{10,3}``), so that a name is never ambiguous.

Everything else (sympy symbols, numpy dictionaries, sheets, the grader) takes its names from here.
"""
import re
from dataclasses import dataclass

from .errors import GradproofError


def subscript(*indices):
    """The subscript text for indices.

    Examples
    ========
    >>> from gradproof.numeric.notation import subscript
    >>> subscript(1, 2), subscript(10, 3), subscript(12)
    ('12', '{10,3}', '{12}')
    """
    if all(i <= 9 for i in indices):
        return "".join(str(i) for i in indices)
    return "{" + ",".join(str(i) for i in indices) + "}"


def latex_subscript(*indices):
    """The LaTeX subscript for indices, always braced: ``{11}`` or ``{10,3}``."""
    inner = subscript(*indices)
    return inner if inner.startswith("{") else "{" + inner + "}"


@dataclass(frozen=True)
class Param:
    """A trainable parameter: a weight w^layer_ij or a bias b^layer_j (then i is None).

    Examples
    ========
    >>> from gradproof.numeric.notation import Param
    >>> Param.weight(1, 1, 2)
    w^1_12
    >>> Param.bias(2, 1).latex
    'b^{2}_{1}'
    """

    kind: str
    layer: int
    j: int
    i: int | None = None

    @classmethod
    def weight(cls, layer, i, j):
        return cls("weight", layer, j, i)

    @classmethod
    def bias(cls, layer, j):
        return cls("bias", layer, j)

    @property
    def is_weight(self):
        return self.kind == "weight"

    @property
    def indices(self):
        return (self.i, self.j) if self.is_weight else (self.j,)

    @property
    def letter(self):
        return "w" if self.is_weight else "b"

    @property
    def name(self):
        return f"{self.letter}^{self.layer}_{subscript(*self.indices)}"

    @property
    def latex(self):
        return f"{self.letter}^{{{self.layer}}}_{latex_subscript(*self.indices)}"

    def __repr__(self):
        return self.name

    def __str__(self):
        return self.name

    def __lt__(self, other):
        # the order of Spec.parameters(): layer by layer, weights row by row, then biases
        key = lambda p: (p.layer, not p.is_weight, p.i or 0, p.j)
        return key(self) < key(other)

    def to_json(self):
        fields = {"name": self.name, "kind": self.kind, "layer": self.layer}
        if self.is_weight:
            fields["i"] = self.i
        fields["j"] = self.j
        return fields


@dataclass(frozen=True, order=True)
class Neuron:
    """A node of the network: O_kj (its output), z_kj (its pre-activation), delta_kj = dL/dO_kj,
    x_i = O_0i, a target y_j or an output yhat_j.

    Examples
    ========
    >>> from gradproof.numeric.notation import Neuron
    >>> Neuron("O", 3, 1), Neuron("x", 0, 2), Neuron("z", 2, 10).latex
    (O_31, x_2, 'z_{2,10}')
    """

    letter: str
    layer: int
    j: int

    @property
    def indices(self):
        return (self.j,) if self.letter in _ONE_INDEX else (self.layer, self.j)

    @property
    def name(self):
        return f"{self.letter}_{subscript(*self.indices)}"

    @property
    def latex(self):
        return f"{_LATEX_LETTER.get(self.letter, self.letter)}_{latex_subscript(*self.indices)}"

    def __repr__(self):
        return self.name

    def __str__(self):
        return self.name


_ONE_INDEX = ("x", "y", "yhat")
_LATEX_LETTER = {"delta": r"\delta", "yhat": r"\hat{y}"}


def _layer(name):
    """A layer index, bare or in balanced braces: 1 or {1}."""
    return rf"(?:\{{\s*(?P<{name}b>\d+)\s*\}}|(?P<{name}>\d+))"


def _sub(name):
    """A subscript, bare digits or in balanced braces: 11, {11} or {10,3}."""
    return rf"(?:\{{(?P<{name}b>[\d,\s]+)\}}|(?P<{name}>\d+))"


_PARAM_RE = re.compile(
    rf"""^\s*(?P<letter>[wb])\s*
    (?:\^\s*{_layer("k1")}\s*_\s*{_sub("s1")}        # w^1_11, w^{{1}}_{{11}}, w^1_{{10,3}}
      |_\s*{_sub("s2")}\s*\^\s*{_layer("k2")}        # w_{{11}}^{{1}}
      |(?P<k3>\d+)\s*_\s*{_sub("s3")}                # w1_11
    )\s*$""",
    re.VERBOSE,
)


def _split_indices(text, count):
    """Indices from a subscript: '11' -> (1, 1); '10,3' -> (10, 3); '12' with count 1 -> (12,)."""
    inner = text.replace(" ", "")
    if "," in inner:
        parts = inner.split(",")
        if not all(p.isdigit() for p in parts):
            raise ValueError
        parts = tuple(int(p) for p in parts)
    elif count == 1:
        parts = (int(inner),)
    else:
        parts = tuple(int(c) for c in inner)
    if len(parts) != count:
        raise ValueError
    return parts


def _group(match, name):
    """The text of a named part, written bare or braced."""
    return match[name] or match[name + "b"]


def parse_param(text):
    """Read a parameter name in any of the forms the notes and students use.

    Examples
    ========
    >>> from gradproof.numeric.notation import parse_param
    >>> [parse_param(s) for s in ["w^1_11", "w^{1}_{11}", "w_{11}^{1}", "w1_11", "w^1_{10,3}", "b^2_1"]]
    [w^1_11, w^1_11, w^1_11, w^1_11, w^1_{10,3}, b^2_1]
    >>> parse_param("v^1_11")
    Traceback (most recent call last):
    ...
    gradproof.numeric.errors.GradproofError: cannot read parameter name 'v^1_11'; write a weight as w^k_ij (e.g. w^1_11, w^{1}_{11}, w_{11}^{1}, w1_11, w^1_{10,3}) or a bias as b^k_j (e.g. b^1_1)
    """
    match = _PARAM_RE.match(text)
    error = GradproofError(
        f"cannot read parameter name {text!r}; write a weight as w^k_ij (e.g. w^1_11, w^{{1}}_{{11}}, "
        "w_{11}^{1}, w1_11, w^1_{10,3}) or a bias as b^k_j (e.g. b^1_1)"
    )
    if not match:
        raise error
    layer = int(_group(match, "k1") or _group(match, "k2") or match["k3"])
    sub = _group(match, "s1") or _group(match, "s2") or _group(match, "s3")
    try:
        if match["letter"] == "w":
            i, j = _split_indices(sub, 2)
            return Param.weight(layer, i, j)
        (j,) = _split_indices(sub, 1)
        return Param.bias(layer, j)
    except ValueError:
        raise error from None
