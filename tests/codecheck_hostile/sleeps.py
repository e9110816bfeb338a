import time


def backward(W, b, x, y):
    time.sleep(10_000)
