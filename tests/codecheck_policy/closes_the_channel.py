"""Closes every descriptor it did not open, then tries to read a secret: the refusal cannot be reported on a closed
channel, so the checker stops it and says so."""
import os


def backward(W, b, x, y):
    for fd in range(3, 256):
        try:
            os.close(fd)
        except OSError:
            pass
    with open("/etc/shadow") as handle:
        return handle.read(), None
