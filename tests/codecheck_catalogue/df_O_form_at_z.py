import numpy as np

LAMBDA = 0.01


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def dsigmoid(s):
    # derivative of the sigmoid written with its output: s(1 - s)
    return s * (1 - s)


def backward(W, b, x, y):
    zs, acts = [], [x]
    for Wk, bk in zip(W, b):
        zs.append(acts[-1] @ Wk + bk)
        acts.append(sigmoid(zs[-1]))
    L = len(W)
    dW, db = [None] * L, [None] * L
    delta = 2 * (acts[-1] - y) * dsigmoid(zs[-1])
    for k in range(L - 1, -1, -1):
        dW[k] = acts[k].T @ delta + 2 * LAMBDA * W[k]
        db[k] = delta.sum(axis=0)
        if k:
            delta = (delta @ W[k].T) * dsigmoid(zs[k - 1])
    return dW, db
