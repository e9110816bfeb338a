"""Homework 3: backprop for a 3-5-4-2 network (tanh, tanh, linear), loss = mean over samples of 1/2 ||y - yhat||^2."""
import numpy as np


def backward(W, b, x, y):
    W1, W2, W3 = W
    b1, b2, b3 = b
    n = x.shape[0]

    z1 = x.dot(W1) + b1
    h1 = np.tanh(z1)
    z2 = h1.dot(W2) + b2
    h2 = np.tanh(z2)
    yhat = h2.dot(W3) + b3          # linear output

    d3 = (yhat - y) / n             # mean reduction
    dW3 = np.einsum("ni,nj->ij", h2, d3)
    db3 = d3.sum(axis=0)

    d2 = d3.dot(W3.T) * (1 - h2 ** 2)
    dW2 = np.einsum("ni,nj->ij", h1, d2)
    db2 = d2.sum(axis=0)

    d1 = d2.dot(W2.T) * (1 - h1 ** 2)
    dW1 = np.einsum("ni,nj->ij", x, d1)
    db1 = d1.sum(axis=0)

    return [dW1, dW2, dW3], [db1, db2, db3]


def loss(W, b, x, y):
    """L = mean over samples of 1/2 ||y - yhat||^2"""
    h = x
    for k, (w, v) in enumerate(zip(W, b)):
        h = h @ w + v
        if k < len(W) - 1:
            h = np.tanh(h)
    return 0.5 * np.sum((y - h) ** 2) / x.shape[0]
