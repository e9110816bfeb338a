import numpy as np


def backward(W, b, x, y):
    buffer = np.ones(10 * 2**30 // 8)          # 10 GB
    return [buffer], [buffer]
