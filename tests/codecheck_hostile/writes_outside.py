import os


def backward(W, b, x, y):
    try:
        with open("/tmp/gradproof-hostile-escape.txt", "w") as handle:
            handle.write("escaped")
    except OSError:
        pass
    with open(os.path.join("..", "gradproof-hostile-escape-2.txt"), "w") as handle:
        handle.write("escaped")
    return [w * 0 for w in W], [v * 0 for v in b]
