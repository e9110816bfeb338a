"""Against the fastest symbolic peer: symengine (a C++ core with sympy-compatible expressions) differentiates the
nested loss by every parameter and compiles all the gradients with ``Lambdify`` (common subexpressions
eliminated); gradproof derives the memoized (delta) forms and compiles them (``Compiled``). Both are timed cold,
interleaved network by network in one run, and both results are evaluated at the same random points (three) and
compared, so the race is for the same numbers.

symengine runs in a child process killed at a time cap (its diff of a 58-58-58-58-1 loss does not finish in
minutes), builds the nested loss from the activation and loss rows' sympy forms with the symengine module in
place of sympy (the rows take the module as their first argument), and prints its seconds and its gradients as
JSON. sympy's cache is cleared before each gradproof measurement, and each symengine measurement is a fresh
process, so neither side profits from a previous repetition.

gradproof prints each activation, loss and regularization row's stable forms once per process (its rule table,
symbolic/layers.py) and then generates every network's code per layer from them. The race times networks with the
table filled, as in any process after its first network (a grading worker, a notebook, a batch of homework
variants); the first network of a process, which prints the rows, is timed too and reported beside it.
"""
import json
import statistics
import subprocess
import sys
import time

from .units import goal, times
from .units import seconds as _s

TITLE = "Against symengine: time to usable gradients, gradproof's derive + compile beside symengine's diff + Lambdify"
SEEDS = (3, 4, 5)              # the random points both sides are evaluated at, and compared


def available():
    try:
        import symengine  # noqa: F401
    except ImportError:
        return False
    return True


def symengine_child(layers_text):
    """In a child process: symengine's nested loss, diff by every parameter, Lambdify; prints seconds and values."""
    import numpy as np
    import symengine as se

    from gradproof.numeric.losses import loss as loss_row
    from gradproof.numeric.point import random_point
    from gradproof.numeric.spec import Spec, parse_layers

    spec = Spec(layers=parse_layers(layers_text))
    n, loss = spec.layers, loss_row(spec.loss)
    act = [spec.activation(k) for k in range(1, len(n))]
    start = time.perf_counter()
    x = [se.Symbol(f"x_{i}") for i in range(1, n[0] + 1)]
    y = [se.Symbol(f"y_{j}") for j in range(1, n[-1] + 1)]
    weights, O = [], x
    for k in range(1, len(n)):
        W = [[se.Symbol(f"w{k}_{i}_{j}") for j in range(1, n[k] + 1)] for i in range(1, n[k - 1] + 1)]
        weights += [w for row in W for w in row]
        O = [act[k - 1].sympy_f(se, se.add(*[O[i] * W[i][j] for i in range(n[k - 1])])) for j in range(n[k])]
    L = se.add(*[loss.sympy_l(se, y[j], O[j]) for j in range(n[-1])])
    built = time.perf_counter()
    gradients = [se.diff(L, w) for w in weights]
    differentiated = time.perf_counter()
    compiled = se.Lambdify(x + y + weights, gradients, cse=True)
    done = time.perf_counter()
    values = []
    for seed in SEEDS:
        point = random_point(spec, seed=seed)
        at = compiled(np.concatenate([point.x[0], point.y[0], *[w.ravel() for w in point.W]]))
        values.append(np.asarray(at, dtype=float).ravel().tolist())
    print(json.dumps({"build_s": built - start, "diff_s": differentiated - built, "lambdify_s": done - differentiated,
                      "gradients": values}))


def symengine_run(layers_text, cap):
    """symengine's side in a child process killed after ``cap`` seconds: its times and values, or the cap."""
    code = f"from gradproof.symbolic.bench.symengine_peer import symengine_child; symengine_child({layers_text!r})"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"completed": False, "at_least_s": cap}
    if done.returncode != 0:
        return {"completed": False, "at_least_s": None,
                "error": (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["usable_s"] = result["diff_s"] + result["lambdify_s"]
    return {"completed": True, **result}


def gradproof_run(layers, empty_table=False):
    """gradproof's side, cold: derive (the memoized form of every parameter) and compile; its times and values.
    With ``empty_table``, the rows' printed forms are forgotten first: the first network of a process."""
    from sympy.core.cache import clear_cache

    from gradproof.numeric.point import random_point
    from gradproof.numeric.spec import Spec

    from ..evaluate import Compiled
    from ..layers import clear_templates
    from ..model import Model

    spec = Spec(layers=tuple(layers))
    if empty_table:
        clear_templates()
    clear_cache()
    start = time.perf_counter()
    model = Model(spec)
    compiled = Compiled(model)
    done = time.perf_counter()
    weights = [p for p in spec.parameters() if p.is_weight]
    values = [compiled.evaluate(random_point(spec, seed=seed)).gradients for seed in SEEDS]
    return {"usable_s": done - start, "gradients": [[float(at[p]) for p in weights] for at in values]}


def _agree(ours, theirs):
    """The largest difference between the two sides' gradient vectors at any of the points, relative to that point's
    largest gradient."""
    def at(a, b):
        return max(abs(x - y) for x, y in zip(a, b, strict=True)) / max(max(abs(v) for v in a), 1e-300)
    return max(at(a, b) for a, b in zip(ours, theirs, strict=True))


def race(layers, repeats, cap):
    """One network: gradproof and symengine alternately, ``repeats`` times each (symengine stops at its cap)."""
    from gradproof.numeric.spec import Spec
    text = Spec(layers=tuple(layers)).layers_text
    ours, theirs, first = [], [], []
    for _ in range(repeats):
        first.append(gradproof_run(layers, empty_table=True)["usable_s"])
        ours.append(gradproof_run(layers))
        if not theirs or theirs[-1]["completed"]:
            theirs.append(symengine_run(text, cap))
    row = {"network": text, "layers": list(layers), "weights": len(ours[0]["gradients"][0]), "repeats": repeats,
           "gradproof_s": statistics.median(r["usable_s"] for r in ours),
           "gradproof_first_s": statistics.median(first)}
    done = [r for r in theirs if r["completed"]]
    if len(done) == len(theirs):
        row.update(completed=True, symengine_s=statistics.median(r["usable_s"] for r in done),
                   symengine_diff_s=statistics.median(r["diff_s"] for r in done),
                   symengine_lambdify_s=statistics.median(r["lambdify_s"] for r in done),
                   max_rel_difference=_agree(ours[0]["gradients"], done[0]["gradients"]))
        row["ratio"] = row["symengine_s"] / row["gradproof_s"]
    else:
        failed = next(r for r in theirs if not r["completed"])
        row.update(completed=False, symengine_at_least_s=failed["at_least_s"], error=failed.get("error"))
        row["ratio"] = failed["at_least_s"] / row["gradproof_s"] if failed["at_least_s"] else None
    row["per_weight_ms"] = row["gradproof_s"] / row["weights"] * 1e3
    return row


def measure(sizes, progress=None):
    """The race on every network of ``sizes.peer_nets``; more repetitions where a run is short."""
    if not available():
        return {"available": False, "note": "symengine is not installed (pip install 'gradproof[bench]')"}
    rows = []
    gradproof_run((2, 1))                            # load sympy's printers once, as the symbolic row does
    for layers in sizes.peer_nets:
        weights = sum(a * b for a, b in zip(layers, layers[1:]))
        repeats = sizes.peer_repeats if weights < 1000 else 1
        row = race(layers, repeats, sizes.peer_cap)
        rows.append(row)
        if progress:
            progress(f"symengine {row['network']}: gradproof {_s(row['gradproof_s'])}, "
                     f"symengine {_s(row.get('symengine_s') or row.get('symengine_at_least_s'))}")
    return {"available": True, "networks": rows, "cap_s": sizes.peer_cap, "per_weight_growth": growth(rows)}


def growth(rows):
    """How much gradproof's cost per weight grows with the network: the largest ratio of a bigger network's ms per
    weight to a smaller one's (1 or less when it never grows). A fixed cost per network makes the smallest networks
    dearer per weight, which is no growth: the goal is that 10,000 weights cost no more each than 20 do."""
    by_size = sorted(rows, key=lambda r: r["weights"])
    ratios = [b["per_weight_ms"] / a["per_weight_ms"] for i, a in enumerate(by_size) for b in by_size[i + 1:]]
    return max(ratios) if ratios else None


def lines(section):
    if not section.get("available"):
        return [f"   not run: {section['note']}"]
    out = [f"   gradproof: Model + Compiled, cold (sympy's cache cleared), the rows' printed forms kept from earlier "
           f"networks; 'first': the first network of a process, printing them; symengine: diff of the nested loss + "
           f"Lambdify (cse), a child process killed at {section['cap_s']:g} s; both evaluated at the same three random points",
           f"   {'network':<18} {'weights':>7} {'gradproof':>10} {'(first)':>9} {'symengine':>10} {'(diff':>9} "
           f"{'Lambdify)':>9} {'ratio':>9} {'rel.diff':>9} {'ms/weight':>9}"]
    for r in section["networks"]:
        theirs = _s(r["symengine_s"]) if r["completed"] else (
            f"> {_s(r['symengine_at_least_s'])}" if r.get("symengine_at_least_s") else "failed")
        diff_ = _s(r["symengine_diff_s"]) if r["completed"] else ""
        lamb = _s(r["symengine_lambdify_s"]) if r["completed"] else ""
        agree = f"{r['max_rel_difference']:.1e}" if r["completed"] else ""
        first = _s(r["gradproof_first_s"]) if r.get("gradproof_first_s") is not None else ""
        out.append(f"   {r['network']:<18} {r['weights']:>7} {_s(r['gradproof_s']):>10} {first:>9} {theirs:>10} {diff_:>9} "
                   f"{lamb:>9} {times(r['ratio'], not r['completed']):>9} {agree:>9} {r['per_weight_ms']:>9.3f}")
    return out


def goals(section):
    """gradproof no slower than symengine on every network, the same numbers, and a flat cost per weight."""
    if not section.get("available"):
        return []
    out = []
    for r in section["networks"]:
        met = r["ratio"] >= 1 if r["ratio"] else None
        if not r["completed"] and not met:
            met = None
        out.append(goal(f"symengine {r['network']}: gradproof's time to usable gradients no longer than symengine's",
                        ">= 1x", r["ratio"], met,
                        None if r["completed"] else f"symengine stopped at the {r['symengine_at_least_s']:g} s cap"))
        if r["completed"]:
            out.append(goal(f"symengine {r['network']}: the same gradients", "<= 1e-9 relative",
                            r["max_rel_difference"], r["max_rel_difference"] <= 1e-9))
    if section.get("per_weight_growth") is not None:
        out.append(goal("symengine race: gradproof's cost per weight does not grow with the network (largest ratio of "
                        "a bigger network's ms per weight to a smaller one's)", "<= 2",
                        section["per_weight_growth"], section["per_weight_growth"] <= 2))
    return out
