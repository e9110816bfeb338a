"""Right, then every entry clipped to [-1, 1] (a habit from training loops)."""
import numpy as np


def backward(W, b, x, y):
    O = [x]
    for w, v in zip(W, b):
        O.append(1 / (1 + np.exp(-(O[-1] @ w + v))))
    d = 2 * (O[-1] - y)
    dW, db = [], []
    for k in range(len(W), 0, -1):
        g = d * O[k] * (1 - O[k])
        dW.insert(0, np.clip(O[k - 1].T @ g + 0.02 * W[k - 1], -1, 1))
        db.insert(0, np.clip(g.sum(axis=0), -1, 1))
        d = g @ W[k - 1].T
    return dW, db
