"""backprop's in-place f' (made for speed): the activation table's f'(z, O) written into backprop's buffer,
the same bits as the allocating call times delta."""
import numpy as np
import pytest

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.backprop import backprop, grad_z
from gradproof.numeric.notation import Param
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(n for n, row in ACTIVATIONS.items() if not row.couples))
def test_grad_z_is_the_tables_derivative_times_delta_bit_for_bit(name, dtype):
    rng = np.random.default_rng(7)
    z = (rng.standard_normal((6, 5)) * 4).astype(dtype)
    z[0, :3] = [0.0, -0.0, 1e-30]                          # the kink and tiny values
    O = ACTIVATIONS[name].f(z)
    delta = rng.standard_normal((6, 5)).astype(dtype)
    delta[1, 0] = -0.0
    expected = ACTIVATIONS[name].df(z, O) * delta
    spec = Spec(layers=(5, 5), activations=name)
    for out in (None, np.full_like(z, np.nan)):
        got = grad_z(spec, 1, z, O, delta, out=out)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
        if out is not None:
            assert got is out


@pytest.mark.parametrize("name", sorted(n for n, row in ACTIVATIONS.items() if not row.couples))
def test_the_tables_derivative_writes_into_out_when_given(name):
    z = np.array([[-2.0, -0.0, 0.0, 1e-30, 3.0]])
    O = ACTIVATIONS[name].f(z)
    out = np.full_like(z, np.nan)
    assert ACTIVATIONS[name].df(z, O, out=out) is out
    assert out.tobytes() == ACTIVATIONS[name].df(z, O).tobytes()


def test_backprop_returns_no_view_of_its_scratch_buffer():
    # two hidden layers of different widths share one buffer; the results must be independent arrays
    spec = Spec(layers=(3, 5, 4, 2), bias=True)
    g = backprop(spec, random_point(spec, seed=2, samples=4))
    arrays = g.dW + g.db + g.delta[1:]
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)
    # and the numbers are the chain rule's: dL/dw^1_11 by a central difference
    point = random_point(spec, seed=2, samples=4)
    h = 1e-6
    point.W[0][0, 0] += h
    up = backprop(spec, point).loss
    point.W[0][0, 0] -= 2 * h
    down = backprop(spec, point).loss
    assert (up - down) / (2 * h) == pytest.approx(g.value(Param.weight(1, 1, 1)), rel=1e-6)
