"""Code check: seconds to check a student's numpy backward on a 784-128-64-10 network (sigmoid, squared loss,
biases) at 4 points, the child process and its numpy import included; once for a correct implementation and
once for one with a known mistake (the diagnosis included).
"""
import statistics
import tempfile
import time
from pathlib import Path

from gradproof.numeric.codecheck import check_file
from gradproof.numeric.spec import Spec

from .units import goal
from .units import seconds as _s

TITLE = "Code check"
POINTS = 4
GOAL_SECONDS = 5.0

# a student's implementation as students write it; MISTAKE turns it into the f-in-place-of-f' one
STUDENT = '''import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def backward(W, b, x, y):
    a = [x]
    for w, v in zip(W, b):
        a.append(sigmoid(a[-1] @ w + v))
    dW, db = [None] * len(W), [None] * len(W)
    delta = 2 * (a[-1] - y)
    for k in range(len(W) - 1, -1, -1):
        g = delta * DERIVATIVE
        dW[k] = a[k].T @ g
        db[k] = g.sum(axis=0)
        delta = g @ W[k].T
    return dW, db
'''
RIGHT, MISTAKE = "a[k + 1] * (1 - a[k + 1])", "a[k + 1]"


def measure(sizes, progress=None):
    spec = Spec(layers=tuple(sizes.code_check_layers), activations="sigmoid", bias=True)
    out = {"available": True, "network": spec.layers_text, "points": POINTS, "repeats": sizes.code_check_repeats}
    with tempfile.TemporaryDirectory() as folder:
        for name, derivative in (("correct", RIGHT), ("mistake", MISTAKE)):
            path = Path(folder) / f"{name}.py"
            path.write_text(STUDENT.replace("DERIVATIVE", derivative), encoding="utf-8")
            times = []
            for _ in range(sizes.code_check_repeats):
                start = time.perf_counter()
                report = check_file(path, spec, points=POINTS)
                times.append(time.perf_counter() - start)
            codes = (report.diagnosis or {}).get("codes", [])
            out[name] = {"seconds": statistics.median(times), "verdict": report.verdict, "codes": codes,
                         "child_seconds": report.seconds}
            if progress:
                progress(f"code check, {name}: {_s(out[name]['seconds'])}")
    return out


def lines(section):
    if not section.get("available"):
        return [f"   {section.get('note', 'not measured')}"]
    out = []
    for name, label in (("correct", "a correct implementation"), ("mistake", "one with f in place of f'")):
        r = section[name]
        note = f", named {', '.join(r['codes'])}" if r["codes"] else ""
        out.append(f"   {section['network']}, {section['points']} points, {label}: {_s(r['seconds'])} "
                   f"(the child process {_s(r['child_seconds'])}; {r['verdict']}{note})")
    return out


def goals(section):
    """A 784-128-64-10 implementation checked at 4 points within 5 s (a correct one: the usual case in a class)."""
    if not section.get("available") or section["network"] != "784-128-64-10":
        return []
    value = section["correct"]["seconds"]
    return [goal("check-code: a 784-128-64-10 implementation at 4 points", f"<= {GOAL_SECONDS:g} s", value,
                 value <= GOAL_SECONDS)]
