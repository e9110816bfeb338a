# 3-5-4-2, tanh, tanh, linear; mean of 1/2 squared error
import numpy as np


def backward(W, b, x, y):
    n = len(x)
    a = [x]
    for k, (w, v) in enumerate(zip(W, b)):
        z = a[-1] @ w + v
        a.append(z if k == len(W) - 1 else np.tanh(z))
    grads_w, grads_b = [], []
    d = (a[-1] - y) / n
    for k in range(len(W), 0, -1):
        grads_w.append(a[k].T @ d)
        grads_b.append(d.sum(axis=0))
        d = (d @ W[k - 1].T) * (1 - a[k - 1] ** 2)
    return grads_w[::-1], grads_b[::-1]
