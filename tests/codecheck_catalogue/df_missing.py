import numpy as np

lam = 0.01


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backward(W, b, x, y):
    a = [x]
    for w, bb in zip(W, b):
        a.append(sigmoid(a[-1] @ w + bb))
    n_layers = len(W)
    dW = [0] * n_layers
    db = [0] * n_layers
    delta = 2 * (a[-1] - y) * a[-1] * (1 - a[-1])
    for k in range(n_layers - 1, -1, -1):
        dW[k] = a[k].T @ delta + 2 * lam * W[k]
        db[k] = delta.sum(axis=0)
        delta = delta @ W[k].T          # pass the error back to the previous layer
    return dW, db
