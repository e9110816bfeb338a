"""The naive chain rule: paths, its numbers, and the multiplication counts against backprop's."""
import math

import numpy as np
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.notation import Param
from gradproof.numeric.paths import multiplication_counts, paths, per_path
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec


def test_paths_of_the_notes_network():
    spec = Spec()
    assert list(paths(spec, Param.weight(1, 1, 1))) == [(1, 1, 1), (1, 2, 1)]
    assert list(paths(spec, Param.weight(2, 3, 2))) == [(2, 1)]
    assert list(paths(spec, Param.weight(3, 2, 1))) == [(1,)]
    assert sum(len(list(paths(spec, p))) for p in spec.parameters()) == 12 * 2 + 6 + 2


def test_path_count_is_the_product_of_later_widths():
    spec = Spec(layers=(2, 3, 4, 5, 2), activations=("tanh",), bias=True)
    for p in spec.parameters():
        assert len(list(paths(spec, p))) == math.prod(spec.layers[p.layer + 1:]) == spec.path_count(p)


def test_notes_counts_by_hand():
    """w^1_ij: 2 paths, each 2 links (f'*w, chain) + f'*O + 1 chain = 6 -> 12 * 2 * 6 = 144;
    w^2_ij: 1 path of 4 -> 6 * 4 = 24; w^3_i1: 1 path of 2 -> 4. Backprop: layer 3: 1 (g) + 2 (dW) + 2 (delta_2);
    layer 2: 2 + 6 + 6; layer 1: 3 + 12 (no delta_0)."""
    counts = multiplication_counts(Spec())
    assert counts["layers"] == [{"layer": 1, "per_path": 144, "backprop": 15},
                                {"layer": 2, "per_path": 24, "backprop": 14},
                                {"layer": 3, "per_path": 4, "backprop": 5}]
    assert counts["total"] == {"per_path": 172, "backprop": 34}


@pytest.mark.parametrize("spec", [Spec(), Spec(layers=(3, 2, 4, 2), activations=("relu", "tanh", "sigmoid"), bias=True),
                                  Spec(layers=(1, 1, 1, 1, 1), activations=("softplus",), bias=True)])
def test_per_path_counts_what_it_does(spec):
    result = per_path(spec, random_point(spec, seed=1, samples=3))
    assert result.multiplications == multiplication_counts(spec)["total"]["per_path"]
    assert result.skipped == []


def test_naive_count_grows_as_the_product_of_widths_backprop_linearly():
    per_path_counts, backprop_counts = [], []
    for depth in range(1, 7):
        spec = Spec(layers=(4,) * depth + (1,), activations=("sigmoid",))
        total = multiplication_counts(spec)["total"]
        per_path_counts.append(total["per_path"])
        backprop_counts.append(total["backprop"])
    # one more layer of width 4: backprop adds a constant (4 + 16 + 16), the per-path count multiplies by > 4
    assert np.diff(backprop_counts[1:]).tolist() == [36] * 4
    assert all(b / a > 4 for a, b in zip(per_path_counts[1:], per_path_counts[2:]))


def test_values_equal_backprop_for_the_notes_network_with_several_samples():
    spec = Spec(regularization="l2", lam=0.2, reduction="mean")
    point = random_point(spec, seed=5, samples=7)
    grads = backprop(spec, point)
    result = per_path(spec, point)
    for p in spec.parameters():
        assert result.values[p] == pytest.approx(grads.value(p), rel=1e-12), p


def test_max_paths_skips_parameters_with_too_many_paths():
    spec = Spec(layers=(2, 3, 3, 1), activations=("tanh",))
    result = per_path(spec, random_point(spec, seed=2), max_paths=2)
    first = [p for p in spec.parameters() if p.layer == 1]
    assert result.skipped == first
    assert all(result.values[p] is None for p in first)
    assert all(result.values[p] is not None for p in spec.parameters() if p.layer > 1)
    assert result.multiplications == sum(row["per_path"] for row in multiplication_counts(spec)["layers"][1:])


def test_selected_params_only():
    spec = Spec()
    p = Param.weight(1, 4, 3)
    result = per_path(spec, random_point(spec, seed=3), params=[p])
    assert list(result.values) == [p]
    assert result.multiplications == 2 * 6
