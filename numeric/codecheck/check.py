"""Check a student's ``backward(W, b, x, y) -> (dW, db)`` against numeric backprop, layer by layer, and
name the mistake when the arrays are those of a known one.

A layer passes when every array of it agrees with backprop at every counted case to
``|got - expected| <= RTOL*|expected| + ATOL*max|expected|`` (float64 code agrees to ~1e-13; the margin
leaves room for another order of summation, never for a mistake). Arrays are judged by their values: one
that differs from the expected shape only by dimensions of size 1 (``keepdims=True``, a squeezed column) is
compared as the expected shape, with a note; any other shape (a transposed matrix) fails. A mistake is named
only when the student's arrays equal its arrays to ``MATCH`` (relative to the array's largest entry) at
every case.

Everything the student's code wrote (exception messages, names, output, the paths it tried) enters the report
through ``quote.py``: one printable line, quoted where it sits inside gradproof's own sentence.
"""
import math
from dataclasses import dataclass, field

import numpy as np

from ..activations import ACTIVATIONS
from ..backprop import backprop, forward
from ..losses import LOSSES
from ..notation import Param
from .cases import OVERFLOW_Z
from .quote import one_line, printable, quoted
from .variants import MISTAKES, NotApplicable, Slip, clips, mistaken, scales, slips

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
    """The match rule for a mistake's arrays: equal to MATCH relative to the larger array's largest entry (shapes
    that differ only by dimensions of size 1 compared as one)."""
    got = conform(got, expected)
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


def conform(got, expected):
    """``got`` in the expected shape when the two differ only by dimensions of size 1, else ``got`` as it is."""
    if got.shape == expected.shape or got.size != expected.size:
        return got
    if [n for n in got.shape if n != 1] == [n for n in expected.shape if n != 1]:
        return got.reshape(expected.shape)
    return got


def shape_note(reshaped):
    """One line for the arrays judged in the expected shape: ["db[0] is (1, 3) for (3,)", ...] -> the note."""
    return ("shapes that differ from the expected ones only by dimensions of size 1, judged by their values: "
            + "; ".join(reshaped))


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
    networks: list = field(default_factory=list)  # per network tried, the assigned one first: pass or fail
    notes: list = field(default_factory=list)     # what passed with a remark (a shape that differs by a 1)

    @property
    def exit_code(self):
        return 0 if self.verdict == "correct" else 1

    def score(self, max_score=None):
        """(score, max_score): the share of the per-layer tests (and forward, loss) passed, of ``max_score``
        (default: one point per test)."""
        from .report import gradescope_tests
        tests = gradescope_tests(self)
        total = max_score if max_score is not None else len(tests)
        passed = sum(t["score"] for t in tests)
        return (round(total * passed / len(tests), 6) if tests else 0.0), total

    def to_json(self, max_score=None):
        from .report import gradescope_tests
        score, total = self.score(max_score)
        return {"file": self.file, "function": self.function, "spec": self.spec.to_json(), "verdict": self.verdict,
                "exit_code": self.exit_code, "score": score, "max_score": total, "failure": self.failure,
                "layers": self.layers, "networks": self.networks, "notes": self.notes,
                "first_wrong": self.first_wrong, "smallest_failing_case": self.smallest_failing_case,
                "diagnosis": self.diagnosis, "extras": self.extras, "refused": self.refused, "output": self.output,
                "cases": self.cases, "seconds": round(self.seconds, 3), "limits": self.limits,
                "tests": gradescope_tests(self)}


FAILURE_TEXT = {
    "exception": "it raised {type}: {message}",
    "quota": "it went over its quota ({message})",
    "tampered": "it closed or replaced the checker's record channel",
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
        kind = {"time-out": "time-out", "cpu": "cpu", "output": "output", "tampered": "tampered"}.get(run.ended)
        if kind:
            return _failure(kind, **limit_fields)
        if run.ended == "quota":
            stopped = [r for r in run.refused if r.endswith("(stopped)")]
            return _failure("quota", message=stopped[-1].removesuffix(" (stopped)") if stopped else "the folder")
        if run.ended.startswith("signal"):
            return _failure("killed", message=f"{run.ended}; often the memory limit of {limits.memory_mb} MB")
        return _failure("not_run", message=f"exit status {run.returncode}")
    status = record.get("status")
    if status == "ok":
        return None
    if status == "memory" or record.get("type") == "MemoryError":
        return _failure("memory", where=_where(record.get("where")), **limit_fields)
    if record.get("type") == "OSError" and "[Errno 27]" in str(record.get("message", "")):
        return _failure("output", where=_where(record.get("where")), **limit_fields)     # EFBIG: the file size limit
    if status == "bad_return":
        return _failure("bad_return", message=one_line(record.get("message", ""), 400))
    return _failure("exception", type=one_line(record.get("type", "an exception"), 80),
                    message=quoted(record.get("message", ""), 600), where=_where(record.get("where")))


def _where(where):
    """'line 12 in backward: “delta = delta @ W[k]”': the student's line quoted."""
    if not where:
        return None
    head, _, line = str(where).partition(": ")
    return one_line(head, 120) + (": " + quoted(line, 200) if line else "")


def compare_case(case, record, expected, notes=None):
    """Per layer (1-based): {"dW": None or problem, "db": ...} for one case that ran. An array that differs from
    the expected shape by dimensions of size 1 is put in that shape in ``record`` (the diagnosis compares it so
    too), with a note added to ``notes``."""
    out = {}
    for k in range(1, case.spec.depth + 1):
        entry = {}
        for array, want in (("dW", expected.dW), ("db", expected.db)) if case.spec.bias else (("dW", expected.dW),):
            got = record[array][k - 1]
            fitted = conform(got, want[k - 1])
            if fitted is not got:
                record[array][k - 1] = fitted
                what = f"{array}[{k - 1}] is {_shape(got.shape)} for {_shape(want[k - 1].shape)}"
                if notes is not None and what not in notes:
                    notes.append(what)
            entry[array] = compare_array(fitted, want[k - 1], array, k)
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


def _clean(run):
    """The run with every text the student's code wrote made safe to show (see quote.py)."""
    def record(value):
        if not isinstance(value, dict):
            return value
        value = dict(value)
        for key in ("message", "type", "name"):
            if key in value:
                value[key] = one_line(value[key], 600)
        if isinstance(value.get("found"), list):
            value["found"] = [one_line(n, 80) for n in value["found"]]
        for role in ("forward", "loss"):
            if isinstance(value.get(role), dict):
                value[role] = record(value[role])
        return value
    run.imported = record(run.imported)
    run.cases = [record(c) for c in run.cases]
    run.refused = [one_line(r, 300) for r in run.refused]
    run.stdout, run.stderr = printable(run.stdout), printable(run.stderr)
    return run


def check_run(run, cases, expected, limits, file, function):
    """The Report for one sandboxed Run of a student's file over the cases."""
    spec = cases[0].spec
    run = _clean(run)
    report = Report(one_line(file, 300), function, spec, "correct", [], refused=run.refused,
                    output=(run.stdout + ("\n" + run.stderr if run.stderr else "")).strip(), seconds=run.seconds,
                    limits=limits.text())
    imported = run.imported or {}
    if imported.get("import") != "ok":
        report.verdict = "failed"
        report.failure = _import_failure(imported, run, limits)
        report.layers = layer_table(spec, [])
        _refusal_from_limits(report, limits)
        return report
    ran, counted, outcomes, reshaped = [], [], [], []
    for case, record, want in zip(cases, run.cases, expected):
        failure = case_failure(record, run, limits)
        entry = {"group": case.group, "network": case.spec.layers_text, "samples": case.samples,
                 "counts": case.counts, "status": "ran" if failure is None else failure["kind"]}
        report.cases.append(entry)
        if failure is None:
            per_layer = compare_case(case, record, want, reshaped if case.counts else None)
            ran.append((case, record, per_layer))
            if case.counts:
                counted.append((case, per_layer))
            outcomes.append((case, "pass" if _first_wrong_layer(per_layer) is None else "fail"))
        else:
            outcomes.append((case, failure["kind"]))
            if case.counts and report.failure is None:
                report.failure = dict(failure, case=case.label)
    report.networks = network_table(outcomes)
    if reshaped:
        report.notes.append(shape_note(reshaped))
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
    sizes = assumed_sizes(report.networks)
    if sizes is not None and (wrong or report.failure is not None):
        report.diagnosis = sizes
    elif wrong or report.failure is not None:           # not when only forward or loss is off
        report.diagnosis = diagnose(ran, cases)
    elif sizes is not None:
        report.notes.append(sizes["sentence"])
    _refusal_from_limits(report, limits)
    return report


def _refusal_from_limits(report, limits):
    """A file that hit the per-file limit is a refused write too (the OS refused it: the child cannot report it)."""
    if any(c["status"] == "output" for c in report.cases) or (report.failure and report.failure["kind"] == "output"):
        what = f"writing more than {limits.file_mb} MB to one file (stopped)"
        if what not in report.refused:
            report.refused.append(what)


def network_table(outcomes):
    """Per network tried, in the order tried (the assigned one first): whether it counts, its cases, how many
    passed, and pass, fail (wrong values) or the way it failed to run."""
    table = {}
    for case, outcome in outcomes:
        row = table.setdefault(case.spec.layers_text, {"network": case.spec.layers_text, "assigned": case.group == "spec",
                                                         "counts": case.counts, "cases": 0, "passed": 0, "status": "pass"})
        row["cases"] += 1
        row["passed"] += outcome == "pass"
        if outcome != "pass" and row["status"] in ("pass", "fail"):
            row["status"] = outcome
    return list(table.values())


def assumed_sizes(networks):
    """The diagnosis when every case on the assigned network passes and another network tried fails, else None."""
    assigned = [n for n in networks if n["assigned"]]
    others = [n for n in networks if not n["assigned"] and n["status"] != "pass"]
    if not assigned or assigned[0]["status"] != "pass" or not others:
        return None
    unseen = " and ".join(f"the {n['network']} network" + ("" if n["counts"] else " (tried for a diagnosis; it does not count)")
                          for n in others)
    how = "gives wrong gradients" if all(n["status"] == "fail" for n in others) else "fails to run"
    sentence = MISTAKES["assumed_sizes"].what.format(assigned=assigned[0]["network"], unseen=unseen, how=how)
    return {"codes": [MISTAKES["assumed_sizes"].code], "mistakes": [{"mistake": "assumed_sizes",
            "code": MISTAKES["assumed_sizes"].code, "layers": [], "sentence": sentence}], "sentence": sentence, "on": None}


def _wrong_entry(case, per_layer, k):
    problems = {a: p for a, p in per_layer[k].items() if p is not None}
    array = "dW" if "dW" in problems else "db"
    return {"layer": k, "array": array, "case": case.label, "samples": case.samples, "network": case.spec.layers_text,
            **problems[array]}


def _import_failure(imported, run, limits):
    kind = imported.get("import")
    if kind == "syntax_error":
        return {"kind": "syntax_error", "message": f"the file does not compile: {one_line(imported.get('message', ''), 300)}"}
    if kind == "exception":
        failure = case_failure(dict(imported, status="exception"), run, limits)
        failure["message"] = "importing the file failed: " + failure["message"]
        return failure
    if kind == "no_function":
        found = ", ".join(imported.get("found", [])) or "none"
        return {"kind": "no_function", "message": f"the file defines no function {one_line(imported.get('name'), 80)!r} (functions: {found})"}
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
                problems.append(f"on {case.label}: " + quoted(result.get("message") or result.get("type", "failed"), 300))
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
    counted_layers = [(c, r, p) for c, r, p in ran if c.counts]
    square = [(c, r) for c, r, _ in ran if c.group == "square"]
    use, where = counted, None
    if len(counted) < sum(1 for c in cases if c.counts) and square:
        use, where = square, square[0][0].spec.layers_text
    if not use:
        return None
    if where is None and all(_first_wrong_layer(p) is None for c, _, p in ran if c.counts):
        return None                  # the cases that ran are right: the failure to run is the whole story
    if where is not None and all(_first_wrong_layer(p) is None for c, _, p in ran if c.group == "square"):
        return {"codes": [], "mistakes": [], "on": where,
                "sentence": f"On the {where} network, where every layer has the same width, the code runs and its "
                            "gradients are right: it confuses two sizes that differ on the other networks "
                            "(a transpose, or one layer's width used for another's)."}
    overflowed = _overflowed(counted_layers)
    if overflowed:
        return dict(_describe(use[0][0].spec, [Slip("softmax_overflow")]), on=None)
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


def _overflowed(counted):
    """Whether the code fails only on the cases where the output layer's z overflow e^z, and there with arrays that
    are not finite (a softmax computed without subtracting max z)."""
    failing = [(c, r) for c, r, p in counted if _first_wrong_layer(p) is not None]
    if not failing or not all(c.overflow for c, _ in failing):
        return False
    return all(not np.all(np.isfinite(np.asarray(a, dtype=float))) for c, r in failing for a in r["dW"][-1:])


def _regularization_text(row):
    return row.derivative_prose or f"{row.prose} adds λ·r'(w) to every ∂L/∂w"


def _sentence(spec, item):
    """The mistake's sentence in the words of the spec's activation and loss rows."""
    mistake = MISTAKES[item.name]
    layers = getattr(item, "layers", ())
    acts = sorted({spec.activations[k - 1] for k in layers}) if layers else sorted(set(spec.activations))
    f, fp, fpO = ACTIVATIONS[acts[0]].written
    at = f"At {layer_text(layers)}" if layers and len(layers) < spec.depth else "At every layer"
    for_layers = f"for {layer_text(layers)}" if layers and len(layers) < spec.depth else "for every layer"
    reduction = ("the loss sums over the samples, so ∂L/∂w has no 1/N at all" if spec.reduction == "sum"
                 else "the loss is the mean over the samples, so ∂L/∂w has 1/N once")
    return mistake.what.format(at=at, for_layers=for_layers, f=f, fp=fp, fpO=fpO, dloss=LOSSES[spec.loss].gradient_text,
                               dreg=_regularization_text(spec.regularizer), reduction=reduction,
                               limit=getattr(item, "limit", 0.0), largest=getattr(item, "largest", 0.0),
                               out=spec.activation(spec.depth).prose, zmax=OVERFLOW_Z)


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
    clip = _clipping(pairs, lambda i: arrays((), i), spec.bias)
    if clip is not None:
        return _describe(spec, (clip,))
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


def _clipping(pairs, correct_at, bias):
    """The clipping (variants.Clip) that turns the right gradient into the student's at every case, or None."""
    both = []
    for i, (case, record) in enumerate(pairs):
        parts = correct_at(i)
        if parts is None:
            return None
        data, db, reg = parts
        right = [d + r for d, r in zip(data, reg)] + (list(db) if bias else [])
        theirs = list(record["dW"]) + (list(record["db"]) if bias else [])
        if any(a.shape != b.shape for a, b in zip(theirs, right)):
            return None
        both.append((theirs, right))
    for clip in clips([t for t, _ in both], [r for _, r in both]):
        if all(same(t, c) for theirs, right in both for t, c in zip(theirs, clip.apply(right))):
            return clip
    return None


def _overlap(a, b):
    """Two slips of one step at one layer cannot both happen (f' is computed one way)."""
    from .variants import ACTIVATION_SLIPS, DELTA_SLIPS, SAMPLE_SLIPS
    for family in (ACTIVATION_SLIPS, DELTA_SLIPS, SAMPLE_SLIPS):
        if a.name in family and b.name in family and (not a.layers or set(a.layers) & set(b.layers)):
            return True
    return False
