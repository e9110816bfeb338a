"""Softmax outputs with categorical cross-entropy, numerically: the spec's rules, the targets' checks, the paths
w^n_ij -> z_nj -> O_nm -> L, backprop against a hand-written reference, builtin:spiral and training on it.

The reference here is written out in numpy line by line (softmax, -sum y ln O, the collapse O - y by hand), not
taken from the library; torch's comparison is in test_softmax_torch.py.
"""
import json

import numpy as np
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.data import load_data
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.fd import central, complex_step
from gradproof.numeric.notation import Param
from gradproof.numeric.paths import paths, per_path
from gradproof.numeric.point import from_mapping, random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

SPEC = Spec(layers=(2, 3, 3), activations=("sigmoid", "softmax"), loss="ce", bias=True)


def by_hand(point):
    """L and dL/dW^2, dL/db^2 for SPEC, written out: O_1 = sigma(x W1 + b1), O_2 = softmax(O_1 W2 + b2)."""
    O1 = 1 / (1 + np.exp(-(point.x @ point.W[0] + point.b[0])))
    z2 = O1 @ point.W[1] + point.b[1]
    shifted = z2 - z2.max(axis=1, keepdims=True)
    log_O2 = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    O2 = np.exp(log_O2)
    L = float(-(point.y * log_O2).sum())
    g = O2 - point.y                       # the collapse, with the targets summing to 1
    return L, O1.T @ g, g.sum(axis=0)


def test_backprop_matches_the_hand_written_collapse():
    point = random_point(SPEC, seed=5, samples=4)
    assert np.allclose(point.y.sum(axis=1), 1) and (point.y > 0).all()       # probability vectors, no 0 or 1
    L, dW2, db2 = by_hand(point)
    grads = backprop(SPEC, point)
    assert grads.loss == pytest.approx(L, rel=1e-13)
    assert np.allclose(grads.dW[1], dW2, rtol=1e-12, atol=1e-15)
    assert np.allclose(grads.db[1], db2, rtol=1e-12, atol=1e-15)


def test_the_paths_run_through_every_output():
    w = Param.weight(2, 1, 2)
    assert list(paths(SPEC, w)) == [(2, 1), (2, 2), (2, 3)]           # z_22, then O_21, O_22 or O_23
    assert SPEC.path_count(w) == 3 and SPEC.path_count(Param.weight(1, 1, 2)) == 9
    point = random_point(SPEC, seed=2, samples=2)
    summed, bp = per_path(SPEC, point), backprop(SPEC, point)
    for p in SPEC.parameters():
        assert summed.values[p] == pytest.approx(bp.value(p), rel=1e-12, abs=1e-15)


def test_dropping_the_cross_terms_is_wrong_off_one_hot():
    """The elementwise mistake (delta_j O_j (1 - O_j), no m != j terms) differs from backprop for soft targets."""
    point = random_point(SPEC, seed=3)
    fwd = backprop(SPEC, point).forward
    O, y = fwd.O[2], fwd.y
    elementwise = (-y / O) * O * (1 - O)
    assert not np.allclose(elementwise, O - y, rtol=1e-3)


@pytest.mark.parametrize("shift", [1000.0, -1000.0])
def test_no_overflow_at_large_z(shift):
    point = random_point(SPEC, seed=4, samples=2)
    point.b[1][:] = [shift, -shift, 0.0]
    grads = backprop(SPEC, point)
    assert np.isfinite(grads.loss) and all(np.isfinite(g).all() for g in grads.dW + grads.db)
    # -ln O of an output 2000 below the top is about 2000, not inf
    L, dW2, _ = by_hand(point)
    assert grads.loss == pytest.approx(L, rel=1e-12) and grads.loss > 500
    assert np.allclose(grads.dW[1], dW2, rtol=1e-10, atol=1e-14)
    for ours, complex_ in zip(central(SPEC, point), complex_step(SPEC, point)):
        value = grads.value(ours.param)
        assert abs(complex_.value - value) <= 1e-10 * abs(value) + 1e-13
        assert abs(ours.value - value) <= ours.error + 1e-8 * abs(value) + 1e-10


@pytest.mark.parametrize("y, words", [
    ([[0.2, 0.3, 0.5], [0.5, 0.6, -0.1]], "sample 2: target 3 is -0.1, below 0"),
    ([[0.2, 0.3, 0.4]], "sample 1: the targets sum to 0.9, not 1"),
])
def test_targets_must_be_probability_vectors(y, words):
    point = random_point(SPEC, seed=1)
    data = {"x": [[0.1, 0.2]] * len(y), "y": y, "W": [w.tolist() for w in point.W], "b": [v.tolist() for v in point.b]}
    with pytest.raises(GradproofError, match=words):
        from_mapping(data, SPEC)


def test_a_csv_row_that_is_not_a_probability_vector_is_named(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x_1,x_2,y_1,y_2,y_3\n0,1,1,0,0\n1,0,0.5,0.6,0\n")
    with pytest.raises(GradproofError, match=r"d.csv, row 2: the targets sum to 1.1, not 1"):
        load_data(path, SPEC)


def test_softmax_only_on_the_output_layer():
    with pytest.raises(GradproofError, match="may only be the output layer's"):
        Spec(layers=(2, 3, 3), activations="softmax", loss="ce")
    with pytest.raises(GradproofError, match="constant 1"):
        Spec(layers=(2, 1), activations="softmax")


def test_spiral_is_fixed_three_classes_with_validation():
    data, again = load_data("builtin:spiral", SPEC), load_data("builtin:spiral", SPEC)
    assert np.array_equal(data.x, again.x) and np.array_equal(data.validation.x, again.validation.x)
    assert data.x.shape == (300, 2) and data.validation.x.shape == (300, 2)
    assert set(map(tuple, data.y)) == {(1, 0, 0), (0, 1, 0), (0, 0, 1)}
    assert data.y.sum(axis=0).tolist() == [100, 100, 100]
    assert not np.array_equal(data.x, data.validation.x)
    # no straight line separates an arm: a linear classifier is far from perfect (checked through training below)
    assert np.abs(data.x).max() <= 1.5


def test_training_on_the_spiral_reports_accuracy(capsys):
    argv = ["train", "--net", "2-32-3", "--act", "relu,softmax", "--loss", "ce", "--bias", "--data", "builtin:spiral",
            "--lr", "0.05", "--epochs", "100", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["validation_accuracy"] >= 0.9 and result["accuracy"] >= 0.9
    linear = argv[:2] + ["2-3", "--act", "softmax"] + argv[5:]
    assert main(linear) == 0
    assert json.loads(capsys.readouterr().out)["validation_accuracy"] < 0.7     # the arms are not linearly separable
