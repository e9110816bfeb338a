import numpy as np

LAMBDA = 0.01


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backward(W, b, x, y):
    L = len(W)
    for i in range(x.shape[0]):          # one sample at a time
        a = [x[i:i + 1]]
        for w, v in zip(W, b):
            a.append(sigmoid(a[-1] @ w + v))
        dW, db = [None] * L, [None] * L
        d = 2 * (a[-1] - y[i:i + 1])
        for k in range(L - 1, -1, -1):
            d = d * a[k + 1] * (1 - a[k + 1])
            dW[k] = a[k].T @ d + 2 * LAMBDA * W[k]
            db[k] = d[0]
            d = d @ W[k].T
    return dW, db
