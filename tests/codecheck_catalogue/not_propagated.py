import numpy as np

LAMBDA = 0.01


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backward(W, b, x, y):
    a0 = x
    a1 = sigmoid(a0 @ W[0] + b[0])
    a2 = sigmoid(a1 @ W[1] + b[1])
    a3 = sigmoid(a2 @ W[2] + b[2])

    d3 = 2 * (a3 - y) * a3 * (1 - a3)
    d2 = d3 * a2 * (1 - a2)
    d1 = (d2 @ W[1].T) * a1 * (1 - a1)

    dW = [a0.T @ d1 + 2 * LAMBDA * W[0], a1.T @ d2 + 2 * LAMBDA * W[1], a2.T @ d3 + 2 * LAMBDA * W[2]]
    db = [d1.sum(0), d2.sum(0), d3.sum(0)]
    return dW, db
