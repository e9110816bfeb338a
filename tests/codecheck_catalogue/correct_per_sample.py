# backprop one sample at a time, accumulating the gradient over the batch
import numpy as np

lam = 0.01


def sig(t):
    return 1 / (1 + np.exp(-t))


def backward(W, b, x, y):
    grads_W = [np.zeros_like(w) for w in W]
    grads_b = [np.zeros_like(v) for v in b]
    for xi, yi in zip(x, y):
        outs = [xi]
        for w, v in zip(W, b):
            outs.append(sig(outs[-1] @ w + v))
        d = -2 * (yi - outs[-1])                      # dL/dO at the output
        for k in range(len(W) - 1, -1, -1):
            g = d * outs[k + 1] * (1 - outs[k + 1])   # times sigma'(z) = O(1 - O)
            grads_W[k] += np.outer(outs[k], g)
            grads_b[k] += g
            d = W[k] @ g
    for k in range(len(W)):
        grads_W[k] += 2 * lam * W[k]
    return grads_W, grads_b
