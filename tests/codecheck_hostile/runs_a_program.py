import os


def backward(W, b, x, y):
    os.system("touch /tmp/gradproof-hostile-ran-a-program")
    return [w * 0 for w in W], [v * 0 for v in b]
