"""The activation registry: one row per activation, read by both the numpy and the sympy side.

Each row holds the numpy function (stable, and usable on complex arrays for the analytic ones so that
the complex step works), its derivative given z and the output O (the notes' sigma(1 - sigma) form),
the same two halves for sympy (as functions of the sympy module, so that this file imports numpy only),
the LaTeX name, the name in prose, whether it is analytic (else kinked at 0), whether its outputs lie in (0, 1)
(a loss that needs probabilities may follow it) and what its slope does to a chain of layers (a sheet's
sentence), and torch's own kernel for the benchmark's comparison (a function of the torch module, for the
same reason as sympy's). ReLU'(0) = 0 and leaky ReLU'(0) = its slope, on both sides.

Adding an activation is adding a row: nothing elsewhere names one. The symbolic side evaluates the row's sympy
forms stably by itself (symbolic/compile.py rewrites 1/(1 + e^{-z}), ln(1 + e^z), 1 - e^{-u} whatever row
they come from), and the fused loss-with-activation forms live in the loss table (numeric/losses.py).
"""
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from .errors import GradproofError, unknown

LEAKY_SLOPE = Fraction(1, 100)     # leaky ReLU's slope below 0: exact on the sympy side (1/100), a float in numpy


@dataclass(frozen=True)
class Activation:
    name: str
    latex: str                 # how f_k is written on a sheet: \sigma, \tanh, ...
    f: Callable                # numpy: z -> O
    df: Callable               # numpy: (z, O, out=None) -> f'(z), written into `out` when given (backprop's buffer)
    sympy_f: Callable          # (sympy, z) -> O
    sympy_df: Callable         # (sympy, z, O) -> f'(z), in terms of O where the notes do so
    analytic: bool             # holomorphic, so the complex step applies
    title: str = ""            # the name in prose ("leaky ReLU"); the registry name when empty
    torch_f: Callable = None   # (torch, z) -> O with torch's own kernel: what `gradproof bench` times against
    probability: bool = False  # every output lies in (0, 1): a loss that needs probabilities may follow it
    slope_note: str = ""       # what its slope does to a chain of layers, for a sheet's vanishing-gradient section
    symbol: str = ""           # how prose writes f (σ); the prose name when empty
    derivative: str = ""       # f' in prose, as a sentence quotes it ("σ'(z) = σ(z)(1 − σ(z))"); "f'(z)" when empty
    derivative_in_O: str = ""  # f' written in the output O ("O(1 − O)"), where code often writes it so; empty: none
    # A row that couples its layer (softmax: every O_m depends on every z_j) has no slope per neuron: its
    # derivative is the Jacobian dO_m/dz_j, given in O. Such a row may only be the output layer's.
    jacobian: Callable = None  # numpy: O (..., n) -> J (..., n, n) with J[..., m, j] = dO_m/dz_j
    sympy_jacobian: Callable = None   # (sympy, O_m, O_j, indicator) -> dO_m/dz_j, indicator = 1 when m = j else 0
    jacobian_bound: Fraction = None   # sup of the Jacobian's spectral norm (softmax: 1/2), a gradient-flow bound

    @property
    def couples(self):
        """Whether every output of the layer depends on every pre-activation of it (a Jacobian, not a slope)."""
        return self.jacobian is not None

    def sympy_output(self, sp, zs, j):
        """O_j = f(z_j) of a layer whose pre-activations are zs (z_j = zs[j - 1]): the whole layer for a coupled row."""
        return self.sympy_f(sp, zs[j - 1], zs) if self.couples else self.sympy_f(sp, zs[j - 1])

    def vjp(self, O, delta):
        """dL/dz_j = sum_m delta_m dO_m/dz_j for a coupled row (the sum over the paths through every O_m)."""
        return np.einsum("...m,...mj->...j", delta, self.jacobian(O))

    @property
    def kinked(self):
        """Whether f has a kink (at z = 0), where finite differences and random-point checks must keep away."""
        return not self.analytic

    @property
    def prose(self):
        return self.title or self.name

    @property
    def written(self):
        """(f, f', f' in O) as a sentence about code writes them, with general forms where the row has none."""
        f = self.symbol or self.prose
        return f, self.derivative or f"{f}'(z)", self.derivative_in_O or f"{f}' written in terms of O"

    def __repr__(self):
        return f"Activation({self.name})"


def _positive(z):
    """Where the (real part of the) input is positive or zero; works on complex arrays too."""
    return np.real(z) >= 0


def _sigmoid(z):
    # exp of a non-positive real part never overflows; the two branches are the same function
    if np.iscomplexobj(z):
        e = np.exp(np.where(_positive(z), -z, z))
        return np.where(_positive(z), 1 / (1 + e), e / (1 + e))
    # real input, the same formula with fewer temporaries: e^{-|z|} / (1 + e^{-|z|}) below 0, 1 / (...) above
    z = np.asarray(z)
    e = np.empty(z.shape, dtype=np.result_type(z, 1.0))
    np.abs(z, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    out = np.empty_like(e)
    np.add(e, 1, out=out)
    np.maximum(e, z >= 0, out=e)                 # the numerator: 1 where z >= 0 (e <= 1), e below 0
    np.divide(e, out, out=out)
    return out if out.ndim else out[()]


def _softplus(z):
    # softplus(z) = max(z, 0) + log(1 + e^{-|z|})
    return np.where(_positive(z), z, 0) + np.log1p(np.exp(np.where(_positive(z), -z, z)))


def _tanh(z):
    # np.tanh of a complex number with a large real part gives nan; tanh(z) = 1 - 2/(e^{2z} + 1)
    if np.iscomplexobj(z):
        e = np.exp(np.where(_positive(z), -2 * z, 2 * z))
        return np.where(_positive(z), (1 - e) / (1 + e), (e - 1) / (e + 1))
    return np.tanh(z)


def _saturated(z, d, exact):
    """Replace d by exact(z) where |z| > 5: there O(1 - O) and 1 - O^2 subtract nearly equal numbers
    (at z = 20, 1 - O has 8 correct digits), while a form in z alone keeps every digit. Real z only
    (the complex step has no saturation); without z (None), or elsewhere, the cheap form in O stays."""
    if z is None or np.iscomplexobj(z) or np.iscomplexobj(d):
        return d
    z = np.asarray(z)
    far = np.abs(z) > 5
    if far.any():
        d[far] = exact(np.abs(z[far]))
    return d


def _sigmoid_df(z, O, out=None):
    d = np.multiply(O, np.subtract(1, O, out=out), out=out)
    # sigma'(z) = e^{-|z|} / (1 + e^{-|z|})^2
    return _saturated(z, d, lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2)


def _tanh_df(z, O, out=None):
    d = np.subtract(1, np.multiply(O, O, out=out), out=out)
    # tanh'(z) = 1 / cosh^2 z = 4 e^{-2|z|} / (1 + e^{-2|z|})^2
    return _saturated(z, d, lambda a: 4 * np.exp(-2 * a) / (1 + np.exp(-2 * a)) ** 2)


def _step(z, below, out=None):
    """1 where z > 0, else `below`: the derivative of (leaky) ReLU, with the kink taken from the left."""
    z = np.asarray(z)
    # keeps the input's dtype (float32 stays float32), and writes straight into `out` (no bool array)
    d = np.empty(z.shape, dtype=z.dtype if z.dtype.kind in "fc" else np.float64) if out is None else out
    np.greater(np.real(z), 0, out=d, casting="unsafe")
    if below:
        d *= 1 - below
        d += below
    return d


def _ones(z, O, out=None):
    if out is None:
        return np.ones_like(z)
    out.fill(1)
    return out


def _softmax(z):
    # e^{z - max z} never overflows, and the largest term is 1, so the sum never underflows to 0; for the
    # complex step the real parts set the shift (any shift gives the same function)
    z = np.asarray(z)
    e = np.exp(z - np.max(np.real(z), axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_jacobian(O):
    # dO_m/dz_j = O_m (1[m = j] - O_j); on the diagonal 1 - O_j is written as the sum of the other outputs, which
    # keeps every digit where O_j rounds to 1 (as sigma' does from z)
    O = np.asarray(O)
    off = 1 - np.eye(O.shape[-1])
    J = -O[..., :, None] * O[..., None, :]
    diagonal = O * (O[..., None, :] * off).sum(axis=-1)
    idx = np.arange(O.shape[-1])
    J[..., idx, idx] = diagonal
    return J


def _no_slope(row):
    def refuse(*args, **kwargs):
        raise GradproofError(f"{row} couples the outputs of its layer: its derivative is the Jacobian dO_m/dz_j "
                             "(Activation.jacobian), not a slope per neuron")
    return refuse


def _exact(sp, fraction):
    return sp.Rational(fraction.numerator, fraction.denominator)


_SLOPE_NOTES = {
    "sigmoid": "A sigmoid's slope is at most 1/4, so each layer shrinks the product by a factor of four or more unless "
               "its weight is large: the gradient vanishes with depth.",
    "tanh": "A tanh's slope is at most 1 (at z = 0) and falls quickly away from 0; it shrinks the product less than a "
            "sigmoid near 0.",
    "relu": "A ReLU's slope is exactly 1 for z > 0 and 0 otherwise: an active path passes the gradient on unchanged, a "
            "dead neuron stops it.",
}

ACTIVATIONS = {a.name: a for a in [
    # name          latex                       numpy f                                   numpy f'(z, O, out)                                                                     sympy f                                   sympy f'(z, O)                                               analytic
    Activation("sigmoid",    r"\sigma",                  _sigmoid,                                 _sigmoid_df,                                                                            lambda sp, z: 1 / (1 + sp.exp(-z)),          lambda sp, z, O: O * (1 - O),                                True, probability=True, slope_note=_SLOPE_NOTES["sigmoid"], symbol="σ", derivative="σ'(z) = σ(z)(1 − σ(z))", derivative_in_O="O(1 − O)", torch_f=lambda t, z: t.sigmoid(z)),
    Activation("tanh",       r"\tanh",                   _tanh,                                    _tanh_df,                                                                               lambda sp, z: sp.tanh(z),                    lambda sp, z, O: 1 - O**2,                                   True, slope_note=_SLOPE_NOTES["tanh"], derivative="tanh'(z) = 1 − tanh²(z)", derivative_in_O="1 − O²", torch_f=lambda t, z: t.tanh(z)),
    Activation("linear",     r"\operatorname{id}",       lambda z: z,                              _ones,                                                                                  lambda sp, z: z,                             lambda sp, z, O: sp.Integer(1),                              True, derivative="the derivative 1", torch_f=lambda t, z: z),
    Activation("softplus",   r"\operatorname{softplus}", _softplus,                                lambda z, O, out=None: np.negative(np.expm1(np.negative(O, out=out), out=out), out=out), lambda sp, z: sp.log(1 + sp.exp(z)),         lambda sp, z, O: 1 - sp.exp(-O),                             True, derivative="softplus'(z) = σ(z)", derivative_in_O="1 − e^(−O)", torch_f=lambda t, z: t.logaddexp(z, t.zeros_like(z))),
    Activation("relu",       r"\operatorname{ReLU}",     lambda z: np.maximum(z, 0.0),             lambda z, O, out=None: _step(z, 0.0, out),                                              lambda sp, z: sp.Max(0, z),                  lambda sp, z, O: sp.Heaviside(z, 0),                         False, title="ReLU", slope_note=_SLOPE_NOTES["relu"], derivative="ReLU'(z) = 1 for z > 0, else 0", torch_f=lambda t, z: t.relu(z)),
    Activation("leaky_relu", r"\operatorname{LReLU}",    lambda z: np.maximum(z, float(LEAKY_SLOPE) * z), lambda z, O, out=None: _step(z, float(LEAKY_SLOPE), out),                     lambda sp, z: sp.Max(z, _exact(sp, LEAKY_SLOPE) * z), lambda sp, z, O: _exact(sp, LEAKY_SLOPE) + (1 - _exact(sp, LEAKY_SLOPE)) * sp.Heaviside(z, 0), False, title="leaky ReLU", derivative="the leaky ReLU's slope", torch_f=lambda t, z: t.nn.functional.leaky_relu(z, float(LEAKY_SLOPE))),
    Activation("softmax",    r"\operatorname{softmax}", _softmax,                                 _no_slope("softmax"),                                                                   lambda sp, z, zs: sp.exp(z) / sp.Add(*[sp.exp(u) for u in zs]), _no_slope("softmax"),                                    True, probability=True, torch_f=lambda t, z: t.softmax(z, dim=-1),
               derivative="softmax's Jacobian ∂O_m/∂z_j = O_m(𝟙[m = j] − O_j)", derivative_in_O="O_m(𝟙[m = j] − O_j)",
               jacobian=_softmax_jacobian, sympy_jacobian=lambda sp, O_m, O_j, indicator: O_m * (indicator - O_j),
               jacobian_bound=Fraction(1, 2)),
]}


def activation(name):
    """The registry row for a name; an unknown name lists the valid ones.

    Examples
    ========
    >>> from gradproof.numeric.activations import activation
    >>> activation("tanh")
    Activation(tanh)
    >>> activation("sigmod")
    Traceback (most recent call last):
    ...
    gradproof.numeric.errors.GradproofError: unknown activation 'sigmod'; valid: sigmoid, tanh, linear, softplus, relu, leaky_relu, softmax
    """
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise unknown("activation", name, ACTIVATIONS) from None
