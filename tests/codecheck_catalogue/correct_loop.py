import numpy as np

LAMBDA = 0.01


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


def backward(W, b, x, y):
    # forward pass, keeping every z and activation
    activations = [x]
    zs = []
    a = x
    for Wk, bk in zip(W, b):
        z = a @ Wk + bk
        zs.append(z)
        a = sigmoid(z)
        activations.append(a)

    L = len(W)
    dW = [None] * L
    db = [None] * L
    # dL/da for L = sum (y - yhat)^2
    delta = 2 * (activations[-1] - y) * sigmoid_prime(zs[-1])
    for k in reversed(range(L)):
        dW[k] = activations[k].T @ delta + 2 * LAMBDA * W[k]
        db[k] = np.sum(delta, axis=0)
        if k > 0:
            delta = (delta @ W[k].T) * sigmoid_prime(zs[k - 1])
    return dW, db
