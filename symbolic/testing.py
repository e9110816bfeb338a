"""A pytest helper: assert that a network's gradients agree, six ways, with a per-parameter message.

    from gradproof.symbolic.testing import assert_gradients_agree

    def test_my_network():
        assert_gradients_agree("my_net.toml")                    # random points, kinks avoided
        assert_gradients_agree(spec, point, gradient=my_grads)   # also check my own gradient function

On failure the AssertionError names each disagreeing parameter and shows the symbolic value s, every
method's value a, |a − s|, |a − s|/|s|, the allowance atol + rtol·|s| and the rule, like
torch.autograd.gradcheck's "Jacobian mismatch" but parameter by parameter.
"""
from pathlib import Path

from gradproof.numeric.point import load_point
from gradproof.numeric.spec import Spec

from .check import MAX_PATHS, METHODS, RULE, check, merge_tolerances, random_points

__all__ = ["assert_gradients_agree"]


def assert_gradients_agree(spec, point=None, *, gradient=None, seed=0, points=1, samples=2, rtol=None, atol=None,
                           max_paths=MAX_PATHS, params=None):
    """Raise AssertionError unless every method's gradient agrees with the symbolic one; return the Report.

    spec: a Spec or the path of a spec TOML file. point: a numeric.point.Point or the path of a POINT file
    (default: `points` random points from `seed`, with `samples` samples each, avoiding kinks). gradient: a callable
    (spec, point) -> {Param or name: value}, checked as one more method named "gradient". rtol, atol:
    a number for every method, or {method: number} for some (defaults: symbolic.check.policy.TOLERANCES).

    Examples
    ========
    >>> from gradproof.numeric.spec import Spec
    >>> from gradproof.symbolic.testing import assert_gradients_agree
    >>> assert_gradients_agree(Spec(layers=(2, 2, 1))).passed
    True
    >>> halved = lambda spec, point: {p: 0.5 for p in spec.parameters()}
    >>> assert_gradients_agree(Spec(layers=(2, 2, 1)), gradient=halved)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: gradients disagree: 6 of 6 checks fail for Spec(2-2-1, sigmoid, squared/sum) ...
    """
    if isinstance(spec, (str, Path)):
        spec = Spec.from_toml(spec)
    if not isinstance(spec, Spec):
        raise TypeError(f"spec must be a numeric.spec.Spec or the path of a spec TOML file; got {type(spec).__name__}")
    if isinstance(point, (str, Path)):
        chosen, sources = [load_point(point, spec)], [{"point": 1, "file": str(point)}]
    elif point is not None:
        chosen, sources = [point], [{"point": 1}]
    else:
        drawn = random_points(spec, seed=seed, count=points, samples=samples)
        chosen, sources = [p for p, _ in drawn], [s for _, s in drawn]
    methods = {"gradient": gradient} if gradient is not None else None
    names = METHODS + (("gradient",) if gradient else ())
    report = check(spec, chosen, params=params, tolerances=merge_tolerances(names, rtol, atol), max_paths=max_paths,
                   methods=methods, sources=sources)
    if not report.passed:
        failures = report.failures
        raise AssertionError(
            f"gradients disagree: {len(failures)} of {len(report.rows)} checks fail for {spec!r} "
            f"(rule: {RULE}, s = the symbolic gradient)\n" + "\n".join(r.explain() for r in failures))
    return report

