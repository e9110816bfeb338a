"""Imports matplotlib at the top to plot its training curve."""
import matplotlib.pyplot as plt  # noqa: F401
import numpy as np


def backward(W, b, x, y):
    return [np.zeros_like(w) for w in W], [np.zeros_like(v) for v in b]
