"""The entry points: check a file (sandboxed), check a function (in this process), and the pytest assertion."""
import time
from pathlib import Path

from ..errors import GradproofError
from ..spec import Spec
from . import runner
from .cases import make_cases
from .check import check_run, expected_at
from .report import text
from .sandbox import Limits, Run, run_submission


def _spec(spec):
    if spec is None:
        return Spec()
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, (str, Path)):
        return Spec.from_toml(spec)
    if isinstance(spec, dict):
        return Spec.from_mapping(spec)
    raise GradproofError(f"a spec is a Spec, a TOML file or a mapping; got {type(spec).__name__}")


def check_file(path, spec=None, function="backward", points=4, seed=0, limits=Limits(), forward=None, loss=None,
               cases=None, expected=None):
    """The Report for a student's file, run in a child process (see sandbox.py). ``forward`` and ``loss``
    name optional functions of the file to check too. ``cases``/``expected`` let a batch share them."""
    spec = _spec(spec)
    path = Path(path)
    if not path.is_file():
        raise GradproofError(f"student file {str(path)!r} not found")
    cases = cases or make_cases(spec, points, seed)
    expected = expected or [expected_at(c) for c in cases]
    functions = {"backward": function} | ({"forward": forward} if forward else {}) | ({"loss": loss} if loss else {})
    run = run_submission(path, [c.point for c in cases], spec.depth, spec.bias, functions, limits)
    return check_run(run, cases, expected, limits, str(path), function)


def _in_process(fn, cases, bias):
    """What the child would report, for a function called here (no sandbox: the caller trusts it)."""
    records = []
    source = Path(getattr(getattr(fn, "__code__", None), "co_filename", "") or "").name
    start = time.perf_counter()
    for i, case in enumerate(cases):
        p = case.point
        W = [w.copy() for w in p.W]
        b = [v.copy() for v in p.b] if bias else None
        try:
            dW, db = runner._gradients(fn(W, b, p.x.copy(), p.y.copy()), case.spec.depth, bias)
            records.append({"case": i, "status": "ok", "dW": dW, "db": db})
        except runner.BadReturn as error:
            records.append({"case": i, "status": "bad_return", "message": str(error)})
        except MemoryError as error:
            records.append({"case": i, **runner._describe(error, source), "status": "memory"})
        except Exception as error:
            records.append({"case": i, **runner._describe(error, source)})
    return Run({"import": "ok"}, records, "normally", 0, time.perf_counter() - start, "", "", [])


def check_function(fn, spec=None, points=4, seed=0):
    """The Report for a function called in this process (no sandbox: for code the caller already runs)."""
    spec = _spec(spec)
    if not callable(fn):
        raise GradproofError(f"expected a function backward(W, b, x, y); got {type(fn).__name__}")
    cases = make_cases(spec, points, seed)
    run = _in_process(fn, cases, spec.bias)
    return check_run(run, cases, [expected_at(c) for c in cases], Limits(), getattr(fn, "__name__", "function"),
                     getattr(fn, "__name__", "backward"))


def assert_backprop_correct(fn, spec=None, points=4, seed=0, function="backward"):
    """For pytest: raise AssertionError with the report unless ``fn`` computes every layer's gradient right.

    ``fn`` is a function (called in this process) or the path of a student's file (run in a child process,
    with ``function`` looked up in it). Returns the Report when it passes."""
    if isinstance(fn, (str, Path)):
        report = check_file(fn, spec, function, points, seed)
    else:
        report = check_function(fn, spec, points, seed)
    if report.verdict != "correct":
        raise AssertionError("\n" + text(report))
    return report
