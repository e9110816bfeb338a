import numpy as np

LAMBDA = 0.01


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def backward(W, b, x, y):
    acts = [x]
    for Wk, bk in zip(W, b):
        acts.append(sigmoid(acts[-1] @ Wk + bk))
    L = len(W)
    dW, db = [None] * L, [None] * L
    delta = 2 * (acts[-1] - y) * sigmoid_prime(acts[-1])
    for k in range(L - 1, -1, -1):
        dW[k] = acts[k].T @ delta + 2 * LAMBDA * W[k]
        db[k] = delta.sum(axis=0)
        if k:
            delta = delta @ W[k].T * sigmoid_prime(acts[k])
    return dW, db
