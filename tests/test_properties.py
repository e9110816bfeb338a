"""Property tests: on random networks and points, symbolic = backprop = per-path = central = complex step.

Each example is a random spec (1-4 hidden layers of width 1-5, any activations, loss, reduction,
bias and regularization; bce only with a sigmoid output, as Spec requires) and random points that
avoid kinks; every parameter must pass the check's rule for every method that applies.
"""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradproof.numeric.activations import ACTIVATIONS
from gradproof.numeric.fd import complex_step_applies
from gradproof.numeric.losses import LOSSES, REDUCTIONS
from gradproof.numeric.spec import Spec
from gradproof.symbolic.check import check, random_points

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def specs(draw):
    hidden = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    layers = (draw(st.integers(1, 4)), *hidden, draw(st.integers(1, 3)))
    elementwise = sorted(n for n, row in ACTIVATIONS.items() if not row.couples)
    activations = draw(st.lists(st.sampled_from(elementwise), min_size=len(layers) - 1, max_size=len(layers) - 1))
    loss = draw(st.sampled_from(sorted(LOSSES)))
    if LOSSES[loss].simplex:
        # probability-vector targets: a coupled output row (softmax) over at least 2 outputs
        activations[-1] = next(n for n, row in ACTIVATIONS.items() if row.couples)
        layers = layers[:-1] + (max(2, layers[-1]),)
    elif LOSSES[loss].needs_probability:
        activations[-1] = "sigmoid"
    regularization = draw(st.sampled_from(["none", "l1", "l2"]))
    lam = draw(st.floats(0.0, 1.0)) if regularization != "none" else 0.0
    return Spec(layers=layers, activations=tuple(activations), bias=draw(st.booleans()), loss=loss,
                reduction=draw(st.sampled_from(REDUCTIONS)), regularization=regularization, lam=lam)


@SETTINGS
@given(spec=specs(), seed=st.integers(0, 2**32 - 1), samples=st.integers(1, 3))
def test_every_method_agrees_with_the_symbolic_gradient(spec, seed, samples):
    points = [p for p, _ in random_points(spec, seed=seed, count=2, samples=samples)]
    report = check(spec, points)
    assert report.passed, "\n".join(r.explain() for r in report.failures)
    for row in report.rows:
        assert row.values["backprop"] is not None and row.values["central"] is not None
        assert row.values["per_path"] is not None          # these networks stay under the path limit
        assert (row.values["complex_step"] is not None) == complex_step_applies(spec)
        # kinks were avoided, so central differences are judged everywhere
        assert row.status == "pass"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), seed=st.integers(0, 2**32 - 1))
def test_a_wrong_gradient_is_always_caught(spec, seed):
    """One parameter's gradient moved by 1e-6 relative (and 1e-9 absolute) fails for that parameter alone."""
    from gradproof.symbolic.check import compare as check_module

    (point, _), = random_points(spec, seed=seed)
    target = spec.parameters()[seed % len(spec.parameters())]

    def wrong(spec, point):
        values = check_module._backprop(spec, point)
        values[target] += 1e-6 * abs(values[target]) + 1e-9
        return values

    report = check(spec, [point], methods={"backprop": wrong})
    assert [(r.param, r.failed_methods) for r in report.failures] == [(target, ["backprop"])]
