"""Initialisation of the weights (step 1 of the notes' recipe): seeded, reproducible.

    uniform   w ~ U(-a, a),           a = 1/sqrt(n_in)
    normal    w ~ N(0, s^2),          s = 1/sqrt(n_in)
    xavier    w ~ U(-a, a),           a = sqrt(6/(n_in + n_out))      (Glorot and Bengio, 2010)
    he        w ~ N(0, s^2),          s = sqrt(2/n_in)                (He et al., 2015)

n_in = n_(k-1) and n_out = n_k for W^k. `gain` multiplies every weight (large gains make the
exploding-gradient examples). Biases start at 0.

Examples
========
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.init import init_params
>>> W, b = init_params(Spec(bias=True), "he", seed=0)
>>> [w.shape for w in W], [v.tolist() for v in b]
([(4, 3), (3, 2), (2, 1)], [[0.0, 0.0, 0.0], [0.0, 0.0], [0.0]])
>>> init_params(Spec(), "glorot")
Traceback (most recent call last):
...
gradproof.numeric.errors.GradproofError: unknown initialisation 'glorot'; valid: uniform, normal, xavier, he
"""
import math

import numpy as np

from .errors import unknown


def _uniform(rng, n_in, n_out):
    a = 1 / math.sqrt(n_in)
    return rng.uniform(-a, a, (n_in, n_out))


def _normal(rng, n_in, n_out):
    return rng.normal(0.0, 1 / math.sqrt(n_in), (n_in, n_out))


def _xavier(rng, n_in, n_out):
    a = math.sqrt(6 / (n_in + n_out))
    return rng.uniform(-a, a, (n_in, n_out))


def _he(rng, n_in, n_out):
    return rng.normal(0.0, math.sqrt(2 / n_in), (n_in, n_out))


INITS = {"uniform": _uniform, "normal": _normal, "xavier": _xavier, "he": _he}


def initializer(name):
    """The function (rng, n_in, n_out) -> W for a name; an unknown name lists the valid ones."""
    try:
        return INITS[name]
    except KeyError:
        raise unknown("initialisation", name, INITS) from None


def init_params(spec, method="xavier", seed=0, gain=1.0, rng=None):
    """Weights W^k, shaped (n_(k-1), n_k), and zero biases (None without biases).

    The same seed gives the same weights; pass `rng` (a numpy Generator) to draw from a stream
    that the caller goes on using."""
    draw = initializer(method)
    rng = rng if rng is not None else np.random.default_rng(seed)
    W = [gain * draw(rng, n_in, n_out) for n_in, n_out in zip(spec.layers, spec.layers[1:])]
    b = [np.zeros(n) for n in spec.layers[1:]] if spec.bias else None
    return W, b
