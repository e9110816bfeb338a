import numpy as np

LAMBDA = 0.01


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backward(W, b, x, y):
    N = x.shape[0]
    acts = [x]
    for Wk, bk in zip(W, b):
        acts.append(sigmoid(acts[-1] @ Wk + bk))
    L = len(W)
    dW, db = [None] * L, [None] * L
    delta = 2 * (acts[-1] - y) / N
    for k in range(L - 1, -1, -1):
        g = delta * acts[k + 1] * (1 - acts[k + 1])
        dW[k] = acts[k].T @ g + 2 * LAMBDA * W[k]
        db[k] = g.sum(axis=0)
        delta = g @ W[k].T
    return dW, db
