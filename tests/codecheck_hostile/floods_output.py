import sys


def backward(W, b, x, y):
    line = "x" * 1_000_000
    for _ in range(1000):                       # 1 GB of output
        sys.stdout.write(line)
