"""3-5-4-2, tanh tanh linear, L = mean of 1/2 ||y - yhat||^2"""
import numpy as np


def backward(W, b, x, y):
    h = [x]
    L = len(W)
    for k in range(L):
        z = h[-1] @ W[k] + b[k]
        h.append(np.tanh(z) if k < L - 1 else z)
    d = h[-1] - y                       # dL/dyhat
    dW, db = [None] * L, [None] * L
    for k in reversed(range(L)):
        if k < L - 1:
            d = d * (1 - h[k + 1] ** 2)
        dW[k] = h[k].T @ d
        db[k] = d.sum(axis=0)
        d = d @ W[k].T
    return dW, db
