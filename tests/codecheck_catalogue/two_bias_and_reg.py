import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backward(W, b, x, y):
    acts = [x]
    for Wk, bk in zip(W, b):
        acts.append(sigmoid(acts[-1] @ Wk + bk))
    L = len(W)
    dW, db = [None] * L, [None] * L
    g = 2 * (acts[-1] - y) * acts[-1] * (1 - acts[-1])
    for k in range(L - 1, -1, -1):
        dW[k] = acts[k].T @ g
        db[k] = np.mean(g, axis=0)
        if k:
            g = (g @ W[k].T) * acts[k] * (1 - acts[k])
    return dW, db
