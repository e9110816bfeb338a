"""Right gradients; on import it moves into a folder of its own for its plots, and saves each gradient there."""
import os

import numpy as np

os.makedirs("plots", exist_ok=True)
os.chdir("plots")


def backward(W, b, x, y):
    O = [x]
    for w, v in zip(W, b):
        O.append(1 / (1 + np.exp(-(O[-1] @ w + v))))
    d = 2 * (O[-1] - y)
    dW, db = [], []
    for k in range(len(W), 0, -1):
        g = d * O[k] * (1 - O[k])
        dW.insert(0, O[k - 1].T @ g + 0.02 * W[k - 1])
        db.insert(0, g.sum(axis=0))
        d = g @ W[k - 1].T
    np.save("last_dW1.npy", dW[0])
    return dW, db
