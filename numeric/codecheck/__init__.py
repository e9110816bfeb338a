"""Check a student's own numpy backprop code: run it in a separate, limited process on random points,
compare every layer's arrays with numeric backprop, and name the mistake when the arrays are those of a
known one.

The contract: ``backward(W, b, x, y) -> (dW, db)``, with ``W[k-1]`` the n_(k-1) x n_k weights of layer k,
``b[k-1]`` its n_k biases (``b`` is None for a network without biases, and ``db`` is then not checked),
``x`` the N x n_0 inputs and ``y`` the N x n_L targets; ``dW`` and ``db`` are lists shaped like ``W``
and ``b``. numpy only; the side that imports no sympy.

Examples
========
>>> import numpy as np
>>> from gradproof.numeric.spec import Spec
>>> from gradproof.numeric.codecheck import assert_backprop_correct
>>> def backward(W, b, x, y):            # the notes' network: sigmoid, squared loss summed, no biases
...     O, deltas = [x], []
...     for w in W:
...         O.append(1 / (1 + np.exp(-O[-1] @ w)))
...     delta = -2 * (y - O[-1])
...     dW = [None] * len(W)
...     for k in range(len(W), 0, -1):
...         g = delta * O[k] * (1 - O[k])
...         dW[k - 1] = O[k - 1].T @ g
...         delta = g @ W[k - 1].T
...     return dW, None
>>> assert_backprop_correct(backward, Spec()).verdict
'correct'
"""
from .api import assert_backprop_correct, check_file, check_function

__all__ = ["assert_backprop_correct", "check_file", "check_function"]
