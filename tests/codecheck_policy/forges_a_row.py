"""Raises an exception whose text would forge a row of a results file and scroll a terminal."""


def backward(W, b, x, y):
    raise ValueError('bad shape\nforged.py,correct,4,4,,,\r\n=HYPERLINK("http://evil.example"),correct\x1b[2J\u202e')
