"""The one evaluator of the symbolic network (symbolic/evaluate.py's Network) and the one table from a POINT to
the symbols (Model.point_values): checked against numpy's backprop (a separate computation) and a plain-Python
50-digit oracle, and shown to be what the sheets, the grader and Compiled read."""
import mpmath
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.evaluate import Compiled, Network
from gradproof.symbolic.model import Model

from oracle import forward

SPECS = [
    Spec(),
    Spec(layers=(3, 2, 2), activations=("tanh", "softplus"), bias=True, loss="half_squared"),
    Spec(layers=(2, 3, 1), activations=("leaky_relu", "sigmoid"), loss="bce", bias=True),
    Spec(layers=(2, 2, 2), activations=("relu", "linear"), reduction="mean"),
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_network_matches_backprop_per_sample(spec):
    point = random_point(spec, seed=3, samples=3)
    model = Model(spec)
    grads = backprop(spec, point)
    fwd = grads.forward
    scale = point.samples if spec.reduction == "mean" else 1
    for s in range(point.samples):
        values = Network.of(model).values(model.point_values(point, s))
        for k in range(1, len(spec.layers)):
            for j in range(1, spec.layers[k] + 1):
                assert float(values[model.z[k][j]]) == pytest.approx(fwd.z[k][s, j - 1], rel=1e-13, abs=1e-15)
                assert float(values[model.O[k][j]]) == pytest.approx(fwd.O[k][s, j - 1], rel=1e-13, abs=1e-15)
                # backprop's delta carries the reduction's 1/N; the symbolic delta is one sample's
                assert float(values[model.delta[k][j]]) / scale == pytest.approx(grads.delta[k][s, j - 1],
                                                                                   rel=1e-11, abs=1e-14)


def _oracle(spec, point, sample):
    """(z, O) of every layer after the input, by the tests' plain-Python oracle in 50-digit mpmath."""
    x = [mpmath.mpf(float(v)) for v in point.x[sample]]
    W = [[[mpmath.mpf(float(w)) for w in row] for row in matrix] for matrix in point.W]
    b = [[mpmath.mpf(float(v)) for v in row] for row in point.b] if point.b is not None else None
    with mpmath.workdps(50):
        zs, Os = forward(spec.activations, W, b, x)
    return list(zip(zs[1:], Os[1:]))


def test_network_in_50_digits():
    spec = Spec()
    point = random_point(spec, seed=5, samples=2)
    model = Model(spec)
    network = Network.of(model, mp=True)
    for s in range(point.samples):
        with mpmath.workdps(50):
            values = network.values({k: mpmath.mpf(v) for k, v in model.point_values(point, s).items()})
        for k, (z, O) in enumerate(_oracle(spec, point, s), start=1):
            for j in range(1, len(z) + 1):
                assert abs(values[model.z[k][j]] - z[j - 1]) < mpmath.mpf("1e-45")
                assert abs(values[model.O[k][j]] - O[j - 1]) < mpmath.mpf("1e-45")


def test_point_values_is_the_point():
    spec = Spec(layers=(2, 2, 1), bias=True, regularization="l2", lam=0.3)
    point = random_point(spec, seed=2, samples=2)
    model = Model(spec)
    values = model.point_values(point, 1)
    assert values[model.x[2]] == point.x[1, 1] and values[model.y[1]] == point.y[1, 0]
    assert values[model.w(2, 2, 1)] == point.W[1][1, 0] and values[model.b(1, 2)] == point.b[0][1]
    assert values[model.lam] == 0.3
    assert len(values) == 2 + 1 + len(spec.parameters()) + 1


def test_one_evaluator_for_sheet_grader_and_compiled():
    """The sheet's values, the grader's points and Compiled all hold the same Network object of the model."""
    from gradproof.symbolic.grade.equivalence import Float64, Points
    from gradproof.symbolic.sheet.content import Values

    spec = Spec(layers=(2, 2, 1))
    point = random_point(spec, seed=4)
    model = Model(spec)
    compiled = Compiled(model)
    assert compiled.network is Network.of(model)
    sheet = Values(model, point, 0.1)
    points = Points(model, [model.point_values(point, 0)])
    evaluation = compiled.evaluate(point)
    for k in (1, 2):
        for j in range(1, spec.layers[k] + 1):
            assert sheet.column(model.O[k][j]) == [float(evaluation.O[k][0, j - 1])]
            assert points.values[Float64.name][model.delta[k][j]][0] == float(evaluation.delta[k][0, j - 1])
