"""Check a student's ``backward(W, b, x, y) -> (dW, db)`` against numeric backprop, layer by layer, and
name the mistake when the arrays are those of a known one.

A layer passes when every array of it agrees with backprop at every counted case to
``|got - expected| <= RTOL*|expected| + ATOL*max|expected|`` (float64 code agrees to ~1e-13; the margin
leaves room for another order of summation, never for a mistake). A mistake is named only when the
student's arrays equal its arrays to ``MATCH`` (relative to the array's largest entry) at every case.
"""
import math
from dataclasses import dataclass, field

import numpy as np

from ..backprop import backprop, forward
from ..notation import Param
from .variants import MISTAKES, NotApplicable, mistaken, scales, slips

RTOL = 1e-6
ATOL = 1e-9
MATCH = 1e-8
PAIR_WORK = 20_000           # pairs of structural mistakes are tried on networks of at most this many weights
SHOWN_NUMBERS = 400              # a failing case's POINT is included in the report up to this many numbers


def layer_text(layers):
    layers = sorted(layers)
    if len(layers) == 1:
        return f"layer {layers[0]}"
    return "layers " + ", ".join(map(str, layers[:-1])) + f" and {layers[-1]}"


def close(got, expected):
    """The pass rule for one array (shapes must agree)."""
    if got.shape != expected.shape:
        return False
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return bool(np.all(np.abs(got - expected) <= RTOL * np.abs(expected) + ATOL * max(scale, 1.0)))


def same(got, expected):
    """The match rule for a mistake's arrays: equal to MATCH relative to the larger array's largest entry."""
    if got.shape != expected.shape:
        return False
    if not got.size:
        return True
    scale = max(float(np.max(np.abs(expected))), float(np.max(np.abs(got))), 1e-300)
    return bool(np.max(np.abs(got - expected)) <= MATCH * scale) if np.all(np.isfinite(got)) else False


@dataclass
class Expected:
    """numeric backprop's arrays at a case."""

    dW: list
    db: list | None
    output: np.ndarray
    outputs: list
    loss: float


def expected_at(case):
    grads = backprop(case.spec, case.point)
    fwd = grads.forward
    return Expected(grads.dW, grads.db, fwd.O[-1], fwd.O[1:], grads.loss)


def _param_name(array, k, index):
    if array == "dW" and len(index) == 2:
        return Param.weight(k, index[0] + 1, index[1] + 1).name
    if array == "db" and len(index) == 1:
        return Param.bias(k, index[0] + 1).name
    return f"{array}[{k - 1}][{', '.join(map(str, index))}]"


def compare_array(got, expected, array, k):
    """None when it passes, else what is wrong: the shape, or the largest error and where."""
    if got.shape != expected.shape:
        return {"problem": "shape", "got_shape": list(got.shape), "expected_shape": list(expected.shape),
                "message": f"{array}[{k - 1}] has shape {_shape(got.shape)}; expected {_shape(expected.shape)}"}
    if close(got, expected):
        return None
    error = np.abs(got - expected)
    error = np.where(np.isnan(error), np.inf, error)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape)) if error.ndim else ()
    name = _param_name(array, k, index)
    got_value, want = float(got[index]), float(expected[index])
    return {"problem": "values", "index": list(index), "param": name, "expected": want, "got": got_value,
            "error": float(error[index]),
            "message": f"largest error {float(error[index]):.3g} at {name}: expected {want:.10g}, got {got_value:.10g}"}


def _shape(shape):
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


@dataclass
class Report:
    """The whole result for one submission; ``to_json`` is the JSON of ``check-code --json``."""

    file: str
    function: str
    spec: object
    verdict: str                      # correct, wrong, failed
    layers: list                      # per layer, output first: {"layer", "status", "dW": ..., "db": ...}
    failure: dict | None = None       # how it failed to run: {"kind", "message", ...}
    first_wrong: dict | None = None
    smallest_failing_case: dict | None = None
    diagnosis: dict | None = None
    extras: list = field(default_factory=list)    # forward and loss checks
    refused: list = field(default_factory=list)
    output: str = ""
    cases: list = field(default_factory=list)
    seconds: float = 0.0
    limits: str = ""

    @property
    def exit_code(self):
        return 0 if self.verdict == "correct" else 1

    def to_json(self):
        from .report import gradescope_tests
        return {"file": self.file, "function": self.function, "spec": self.spec.to_json(), "verdict": self.verdict,
                "exit_code": self.exit_code, "failure": self.failure, "layers": self.layers,
                "first_wrong": self.first_wrong, "smallest_failing_case": self.smallest_failing_case,
                "diagnosis": self.diagnosis, "extras": self.extras, "refused": self.refused, "output": self.output,
                "cases": self.cases, "seconds": round(self.seconds, 3), "limits": self.limits,
                "tests": gradescope_tests(self)}


FAILURE_TEXT = {
    "exception": "it raised {type}: {message}",
    "memory": "it ran out of memory (MemoryError: the limit is {memory})",
    "bad_return": "it returned the wrong type: {message}",
    "time-out": "time-out: it did not finish within {wall}",
    "cpu": "it used more than its CPU time limit ({seconds})",
    "output": "it wrote more than its file size limit ({file})",
    "killed": "it was killed ({message})",
    "not_run": "the process ended before this case ({message}; os._exit?)",
}


def _failure(kind, **fields):
    text = FAILURE_TEXT.get(kind, "{message}")
    try:
        message = text.format(**fields)
    except (KeyError, IndexError):
        message = fields.get("message") or kind
    out = {"kind": kind, "message": message}
    out.update({k: v for k, v in fields.items() if k in ("type", "where", "case")})
    return out


def case_failure(record, run, limits):
    """A case's failure as {"kind", "message", ...}, or None when it ran."""
    limit_fields = {"seconds": f"{limits.seconds:g} s", "wall": f"{limits.wall:g} s", "memory": f"{limits.memory_mb} MB", "file": f"{limits.file_mb} MB"}
    if record is None:
        kind = {"time-out": "time-out", "cpu": "cpu", "output": "output"}.get(run.ended)
        if kind:
            return _failure(kind, **limit_fields)
        if run.ended.startswith("signal"):
            return _failure("killed", message=f"{run.ended}; often the memory limit of {limits.memory_mb} MB")
        return _failure("not_run", message=f"exit status {run.returncode}")
    status = record.get("status")
    if status == "ok":
        return None
    if status == "memory" or record.get("type") == "MemoryError":
        return _failure("memory", where=record.get("where"), **limit_fields)
    if record.get("type") == "OSError" and "[Errno 27]" in str(record.get("message", "")):
        return _failure("output", where=record.get("where"), **limit_fields)     # EFBIG: the file size limit
    if status == "bad_return":
        return _failure("bad_return", message=str(record.get("message", ""))[:400])
    return _failure("exception", type=str(record.get("type", "an exception"))[:80],
                    message=str(record.get("message", ""))[:600], where=record.get("where"))


def compare_case(case, record, expected):
    """Per layer (1-based): {"dW": None or problem, "db": ...} for one case that ran."""
    out = {}
    for k in range(1, case.spec.depth + 1):
        entry = {"dW": compare_array(record["dW"][k - 1], expected.dW[k - 1], "dW", k)}
        if case.spec.bias:
            entry["db"] = compare_array(record["db"][k - 1], expected.db[k - 1], "db", k)
        out[k] = entry
    return out


def _first_wrong_layer(per_layer):
    for k in sorted(per_layer, reverse=True):
        if any(v is not None for v in per_layer[k].values()):
            return k
    return None


def _point_json(point):
    data = point.to_json()
    count = point.x.size + point.y.size + sum(w.size for w in point.W) + sum(b.size for b in point.b or [])
    return data if count <= SHOWN_NUMBERS else None


def layer_table(spec, counted):
    """One row per layer, output first: pass, fail (with the worst problem over the cases) or unchecked."""
    rows = []
    for k in range(spec.depth, 0, -1):
        row = {"layer": k, "status": "unchecked" if not counted else "pass"}
        for array in ("dW", "db") if spec.bias else ("dW",):
            worst = None
            for case, per_layer in counted:
                problem = per_layer[k][array]
                if problem is None:
                    continue
                rank = math.inf if problem["problem"] == "shape" else problem["error"]
                if worst is None or rank > worst[0]:
                    worst = (rank, dict(problem, case=case.label))
            row[array] = "pass" if worst is None and counted else (worst[1] if worst else "unchecked")
            if worst is not None:
                row["status"] = "fail"
        rows.append(row)
    return rows


def check_run(run, cases, expected, limits, file, function):
    """The Report for one sandboxed Run of a student's file over the cases."""
    spec = cases[0].spec
    report = Report(file, function, spec, "correct", [], refused=run.refused,
                    output=(run.stdout + ("\n" + run.stderr if run.stderr else "")).strip(), seconds=run.seconds,
                    limits=limits.text())
    imported = run.imported or {}
    if imported.get("import") != "ok":
        report.verdict = "failed"
        report.failure = _import_failure(imported, run, limits)
        report.layers = layer_table(spec, [])
        return report
    ran, counted = [], []
    for case, record, want in zip(cases, run.cases, expected):
        failure = case_failure(record, run, limits)
        entry = {"group": case.group, "network": case.spec.layers_text, "samples": case.samples,
                 "counts": case.counts, "status": "ran" if failure is None else failure["kind"]}
        report.cases.append(entry)
        if failure is None:
            per_layer = compare_case(case, record, want)
            ran.append((case, record, per_layer))
            if case.counts:
                counted.append((case, per_layer))
        elif case.counts and report.failure is None:
            report.failure = dict(failure, case=case.label)
    report.layers = layer_table(spec, [(c, p) for c, p in counted if c.group == "spec"] or counted)
    if any(c.counts and c.group != "spec" for c, _ in counted):
        # the reshaped network's layers are the same layers: a failure there fails the layer too
        report.layers = layer_table(spec, counted) if all(c.spec.depth == spec.depth for c, _ in counted) else report.layers
    report.extras = _extras(cases, run, expected)
    wrong = [(c, p) for c, p in counted if _first_wrong_layer(p) is not None]
    if report.failure is not None:
        report.verdict = "failed"
    elif wrong or any(e["status"] == "fail" for e in report.extras):
        report.verdict = "wrong"
    if wrong:
        case, per_layer = wrong[0]
        k = _first_wrong_layer(per_layer)
        report.first_wrong = _wrong_entry(case, per_layer, k)
        smallest = min(wrong, key=lambda cp: (cp[0].samples, sum(cp[0].spec.layers)))
        report.smallest_failing_case = _wrong_entry(smallest[0], smallest[1], _first_wrong_layer(smallest[1]))
        report.smallest_failing_case["point"] = _point_json(smallest[0].point)
    if wrong or report.failure is not None:           # not when only forward or loss is off
        report.diagnosis = diagnose(ran, cases)
    return report


def _wrong_entry(case, per_layer, k):
    problems = {a: p for a, p in per_layer[k].items() if p is not None}
    array = "dW" if "dW" in problems else "db"
    return {"layer": k, "array": array, "case": case.label, "samples": case.samples, "network": case.spec.layers_text,
            **problems[array]}


def _import_failure(imported, run, limits):
    kind = imported.get("import")
    if kind == "syntax_error":
        return {"kind": "syntax_error", "message": f"the file does not compile: {imported.get('message', '')[:300]}"}
    if kind == "exception":
        failure = case_failure(dict(imported, status="exception"), run, limits)
        failure["message"] = "importing the file failed: " + failure["message"]
        return failure
    if kind == "no_function":
        found = ", ".join(imported.get("found", [])) or "none"
        return {"kind": "no_function", "message": f"the file defines no function {imported.get('name')!r} (functions: {found})"}
    failure = case_failure(None, run, limits)
    failure["message"] = "while importing the file: " + failure["message"]
    return failure


def _extras(cases, run, expected):
    """The optional forward and loss checks, over the counted cases."""
    out = []
    for role in ("forward", "loss"):
        problems, seen = [], False
        for case, record, want in zip(cases, run.cases, expected):
            if not case.counts or not record or record.get("status") != "ok" or role not in record:
                continue
            seen = True
            result = record[role]
            if result.get("status") != "ok":
                problems.append(f"on {case.label}: " + (result.get("message") or result.get("type", "failed"))[:300])
            elif role == "forward":
                problem = _compare_forward(result.get("arrays") or [], want)
                if problem:
                    problems.append(f"on {case.label}: {problem}")
            elif not math.isclose(result["value"], want.loss, rel_tol=RTOL, abs_tol=ATOL):
                problems.append(f"on {case.label}: L = {result['value']:.10g}, expected {want.loss:.10g}")
        if seen:
            out.append({"check": role, "status": "fail" if problems else "pass", "problems": problems[:3]})
    return out


def _compare_forward(arrays, want):
    """forward's result: the output O_L (N x n_L; N values when n_L = 1), or the list of every layer's output."""
    if not arrays or any(a is None for a in arrays):
        return "its result could not be read"
    if len(arrays) in (len(want.outputs), len(want.outputs) + 1) and len(arrays) > 1:
        for k, (got, o) in enumerate(zip(arrays[-len(want.outputs):], want.outputs), start=1):
            if got.shape != o.shape or not close(got, o):
                return f"O_{k} differs from the forward pass (shape {_shape(got.shape)}, expected {_shape(o.shape)})"
        return None
    got, o = arrays[-1], want.output
    if got.shape != o.shape and got.size == o.size and o.shape[1] == 1 and got.ndim == 1:
        got = got.reshape(o.shape)
    if got.shape != o.shape:
        return f"the output has shape {_shape(got.shape)}; expected {_shape(o.shape)}"
    if not close(got, o):
        problem = compare_array(got, o, "O", want.outputs and len(want.outputs))
        return "the output differs: " + problem["message"].split(" at ")[0]
    return None


def diagnose(ran, cases):
    """The known mistake whose arrays equal the student's at every case that ran, or why none is named."""
    counted = [(c, r) for c, r, _ in ran if c.counts]
    square = [(c, r) for c, r, _ in ran if c.group == "square"]
    use, where = counted, None
    if len(counted) < sum(1 for c in cases if c.counts) and square:
        use, where = square, square[0][0].spec.layers_text
    if not use:
        return None
    if where is not None and all(_first_wrong_layer(p) is None for c, _, p in ran if c.group == "square"):
        return {"codes": [], "mistakes": [], "on": where,
                "sentence": f"On the {where} network, where every layer has the same width, the code runs and its "
                            "gradients are right: it confuses two sizes that differ on the other networks "
                            "(a transpose, or one layer's width used for another's)."}
    found = match(use)
    if found is None:
        return {"codes": [], "mistakes": [], "on": where,
                "sentence": "The arrays match none of the known mistakes" + (
                    " (nor any two of them)" if _weights(use[0][0].spec) <= PAIR_WORK else
                    " (nor one of them with a sign, factor or reduction slip; other pairs are tried on networks "
                    f"of up to {PAIR_WORK:,} weights)") + "; the smallest failing case shows where to look."}
    found["on"] = where
    if where is not None:
        found["sentence"] = (f"On the {where} network, where the code runs, its arrays are exactly those of this "
                             "mistake: " + found["sentence"])
    return found


def _sentence(spec, item):
    mistake = MISTAKES[item.name]
    layers = getattr(item, "layers", ())
    acts = sorted({spec.activations[k - 1] for k in layers}) if layers else sorted(set(spec.activations))
    from ..activations import ACTIVATIONS
    act = ACTIVATIONS[acts[0]]
    f = {"sigmoid": "σ"}.get(act.name, act.prose)
    fp = {"sigmoid": "σ'(z) = σ(z)(1 − σ(z))", "tanh": "tanh'(z) = 1 − tanh²(z)", "relu": "ReLU'(z) = 1 for z > 0, else 0",
          "linear": "the derivative 1", "softplus": "softplus'(z) = σ(z)", "leaky_relu": "the leaky ReLU's slope"}.get(act.name, f"{f}'(z)")
    fpO = {"sigmoid": "O(1 − O)", "tanh": "1 − O²", "softplus": "1 − e^(−O)"}.get(act.name, f"{f}' in O")
    at = f"At {layer_text(layers)}" if layers and len(layers) < spec.depth else "At every layer"
    for_layers = f"for {layer_text(layers)}" if layers and len(layers) < spec.depth else "for every layer"
    dloss = {"squared": "for (y − ŷ)², ∂L/∂ŷ = −2(y − ŷ) = 2(ŷ − y)", "half_squared": "for ½(y − ŷ)², ∂L/∂ŷ = ŷ − y",
             "bce": "for binary cross-entropy on a sigmoid output, ∂L/∂z = ŷ − y"}[spec.loss]
    dreg = {"l2": "the derivative of λw² is 2λw", "l1": "the derivative of λ|w| is λ·sign(w)", "none": ""}[spec.regularization]
    return mistake.what.format(at=at, for_layers=for_layers, f=f, fp=fp, fpO=fpO, dloss=dloss, dreg=dreg)


def _describe(spec, items):
    mistakes = [{"mistake": it.name, "code": MISTAKES[it.name].code, "layers": list(getattr(it, "layers", ())),
                 "sentence": _sentence(spec, it)} for it in items]
    return {"codes": list(dict.fromkeys(m["code"] for m in mistakes)), "mistakes": mistakes,
            "sentence": " ".join(m["sentence"] for m in mistakes)}


def _matches(record, arrays, scale, n, bias):
    data, db, reg = arrays
    sd, sr = scale
    for k in range(len(data)):
        if not same(record["dW"][k], sd(n) * data[k] + sr(n) * reg[k]):
            return False
        if bias and not same(record["db"][k], sd(n) * db[k]):
            return False
    return True


def _weights(spec):
    return sum(a * b for a, b in zip(spec.layers, spec.layers[1:]))


def match(pairs):
    """The fewest mistakes (one, else two) whose arrays equal the student's at every (case, record).

    Each candidate is tried on the cheapest case first and dropped at its first mismatch, so a wrong
    candidate costs one small backprop; only the forward passes and the correct arrays are kept."""
    if not pairs:
        return None
    spec = pairs[0][0].spec
    order = sorted(range(len(pairs)), key=lambda i: pairs[i][0].samples * _weights(pairs[i][0].spec))
    forwards, correct = {}, {}
    one = (lambda n: 1.0, lambda n: 1.0)
    scale_list = scales(spec)

    def arrays(chosen, i):
        case = pairs[i][0]
        if i not in forwards:
            forwards[i] = forward(case.spec, case.point)
        if not chosen and i in correct:
            return correct[i]
        try:
            out = mistaken(case.spec, case.point, chosen, forwards[i])
        except NotApplicable:
            out = None
        if not chosen:
            correct[i] = out
        return out

    def fits(chosen, scaling, first=None):
        for i in order:
            a = first if (first is not None and i == order[0]) else arrays(chosen, i)
            case, record = pairs[i]
            if a is None or not _matches(record, a, scaling, case.samples, spec.bias):
                return False
        return True

    def combined(a, b):
        return (lambda n: a.data(n) * b.data(n), lambda n: a.reg(n) * b.reg(n))

    singles = slips(spec)
    for s in scale_list:
        if fits((), (s.data, s.reg)):
            return _describe(spec, (s,))
    for slip in singles:
        if fits((slip,), one):
            return _describe(spec, (slip,))
    # two mistakes: a structural slip with a scale, two scales, then two structural slips
    for slip in singles:
        first = arrays((slip,), order[0])
        if first is None:
            continue
        for s in scale_list:
            if fits((slip,), (s.data, s.reg), first):
                return _describe(spec, (slip, s))
    for i, a in enumerate(scale_list):
        for b in scale_list[i + 1:]:
            if fits((), combined(a, b)):
                return _describe(spec, (a, b))
    if _weights(spec) > PAIR_WORK:
        return None
    for i, first in enumerate(singles):
        for second in singles[i + 1:]:
            if not _overlap(first, second) and fits((first, second), one):
                return _describe(spec, (first, second))
    return None


def _overlap(a, b):
    """Two slips of one step at one layer cannot both happen (f' is computed one way)."""
    from .variants import ACTIVATION_SLIPS, DELTA_SLIPS, SAMPLE_SLIPS
    for family in (ACTIVATION_SLIPS, DELTA_SLIPS, SAMPLE_SLIPS):
        if a.name in family and b.name in family and (not a.layers or set(a.layers) & set(b.layers)):
            return True
    return False
