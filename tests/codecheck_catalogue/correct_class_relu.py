import numpy as np


class MLP:
    """ReLU hidden layer, sigmoid output, binary cross-entropy averaged over the batch."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.cache = [x]
        a = x
        for i, (w, bias) in enumerate(zip(self.W, self.b)):
            z = a @ w + bias
            last = i == len(self.W) - 1
            a = 1 / (1 + np.exp(-z)) if last else np.maximum(z, 0)
            self.cache.append(z)
            self.cache.append(a)
        return a

    def backward(self, y):
        m = y.shape[0]
        x, z1, a1, z2, a2 = self.cache
        dz2 = (a2 - y) / m                       # BCE + sigmoid: dL/dz = (yhat - y)/m
        dW2 = a1.T @ dz2
        db2 = dz2.sum(0)
        dz1 = (dz2 @ self.W[1].T) * (z1 > 0)     # ReLU'(z) = 1 where z > 0
        dW1 = x.T @ dz1
        db1 = dz1.sum(0)
        return [dW1, dW2], [db1, db2]


def backward(W, b, x, y):
    net = MLP(W, b)
    net.forward(x)
    return net.backward(y)


def forward(W, b, x):
    return MLP(W, b).forward(x)
