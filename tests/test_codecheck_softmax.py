"""check-code on a softmax network: right code passes; its three known mistakes are named (the elementwise Jacobian,
a softmax without its max-subtraction, which overflows on the case whose output z reach 800, and class numbers
used where the targets are one-hot vectors)."""
import json

import pytest

from gradproof.symbolic.cli import main

SPEC = '[network]\nlayers = [2, 3, 3]\nactivation = ["sigmoid", "softmax"]\n[loss]\nkind = "ce"\n'
STUDENT = '''\
import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def softmax(z):
    e = np.exp(SHIFT)
    return e / e.sum(axis=1, keepdims=True)

def backward(W, b, x, y):
    O1 = sigmoid(x @ W[0])
    O2 = softmax(O1 @ W[1])
    g2 = GRAD
    g1 = (g2 @ W[1].T) * O1 * (1 - O1)
    return [x.T @ g1, O1.T @ g2], None
'''
RIGHT = {"SHIFT": "z - z.max(axis=1, keepdims=True)", "GRAD": "O2 - y"}


@pytest.mark.parametrize("change, verdict, mistake", [
    ({}, "correct", None),
    ({"GRAD": "(-y / O2) * O2 * (1 - O2)"}, "wrong", "jacobian_elementwise"),
    ({"SHIFT": "z"}, "wrong", "softmax_overflow"),
    ({"GRAD": "O2 - np.argmax(y, axis=1)[:, None]"}, "wrong", "one_hot_missing"),
])
def test_softmax_code_and_its_mistakes(tmp_path, capsys, change, verdict, mistake):
    text = STUDENT
    for key, value in (RIGHT | change).items():
        text = text.replace(key, value)
    (tmp_path / "student.py").write_text(text)
    (tmp_path / "hw.toml").write_text(SPEC)
    main(["check-code", str(tmp_path / "student.py"), str(tmp_path / "hw.toml"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == verdict
    if mistake is None:
        assert report["diagnosis"] is None
    else:
        assert [m["mistake"] for m in report["diagnosis"]["mistakes"]] == [mistake]
        assert "softmax" in report["diagnosis"]["sentence"] or mistake == "one_hot_missing"
