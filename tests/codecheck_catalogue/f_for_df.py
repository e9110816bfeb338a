import numpy as np

LAMBDA = 0.01


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backward(W, b, x, y):
    a, zs = [x], []
    for w, bb in zip(W, b):
        zs.append(a[-1] @ w + bb)
        a.append(sigmoid(zs[-1]))
    dW, db = [], []
    delta = 2 * (a[-1] - y)
    for k in range(len(W) - 1, -1, -1):
        delta = delta * sigmoid(zs[k])      # derivative of the activation
        dW.insert(0, a[k].T @ delta + 2 * LAMBDA * W[k])
        db.insert(0, delta.sum(axis=0))
        delta = delta @ W[k].T
    return dW, db
