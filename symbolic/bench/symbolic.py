"""Symbolic derivation: every gradient of a network by the memoized (delta) form (``derive_all``), compiled
(``Compiled``) and verified at a point against numeric backprop, for networks from the notes' 4-3-2-1 up to
about 10,000 parameters; beside it, the naive way, ``sympy.diff`` of the nested loss (``Model.expanded_loss``)
by every parameter, run in a child process that is killed at a time cap.

sympy's cache is cleared before each measurement so that no network profits from the previous one.
"""
import json
import subprocess
import sys
import time

import numpy as np

from .machine import median_time
from .sizes import DEEP5
from .units import goal, times
from .units import seconds as _s

TITLE = "Symbolic derivation: every gradient in the memoized (delta) form, compiled, verified against backprop"


def _clear_sympy_cache():
    from sympy.core.cache import clear_cache
    clear_cache()


def memoized(layers, seed=0, samples=4):
    """Every gradient of one network by the delta form: derive, compile, verify against backprop; seconds each."""
    from gradproof.numeric.backprop import backprop
    from gradproof.numeric.point import random_point
    from gradproof.numeric.spec import Spec

    from ..chain import delta_definition, derive_all
    from ..evaluate import Compiled

    spec = Spec(layers=tuple(layers))

    def derive():
        derivations = derive_all(spec)
        model = derivations[0].model
        forms = [d.memoized for d in derivations]
        # the delta recurrence completes the memoized forms: one definition per neuron, not per parameter
        deltas = [delta_definition(model, k, j) for k in range(1, spec.depth + 1)
                  for j in range(1, spec.layers[k] + 1)]
        assert len(deltas) == sum(spec.layers[1:])
        return derivations, model, forms

    _clear_sympy_cache()                 # cold: as a fresh `gradproof derive` (and the naive child) starts
    start = time.perf_counter()
    derivations, model, forms = derive()
    derived = time.perf_counter()
    compiled = Compiled(model)
    built = time.perf_counter()
    point = random_point(spec, seed=seed, samples=samples)
    values = compiled.evaluate(point)
    reference = backprop(spec, point)
    error = max(abs(values.gradients[d.param] - reference.value(d.param)) for d in derivations)
    scale = max(max(float(np.abs(w).max()) for w in reference.dW), 1e-300)
    verified = time.perf_counter()
    count = len(forms)
    # warm: the same derivation again in this process, sympy's cache filled (median of 3; small networks)
    warm = median_time(derive, 3) if derived - start < 0.5 else None
    return {"network": spec.layers_text, "layers": list(spec.layers), "parameters": count,
            "derive_s": derived - start, "derive_warm_s": warm,
            "compile_s": built - derived, "verify_s": verified - built,
            "total_s": verified - start, "ms_per_parameter": (verified - start) / count * 1e3,
            "derive_ms_per_parameter": (derived - start) / count * 1e3,
            "max_abs_error": error, "max_rel_error": error / scale, "verified": error <= 1e-9 * scale}


def naive_child(layers_text):
    """In a child process: sympy.diff of the expanded loss by every parameter; prints the seconds as JSON."""
    import sympy as sp

    from gradproof.numeric.spec import Spec, parse_layers

    from ..model import Model

    spec = Spec(layers=parse_layers(layers_text))
    start = time.perf_counter()
    model = Model(spec)
    loss = model.expanded_loss()
    expanded = time.perf_counter()
    gradients = [sp.diff(loss, model.symbols[p]) for p in spec.parameters()]
    done = time.perf_counter()
    print(json.dumps({"expand_s": expanded - start, "diff_s": done - expanded, "total_s": done - start,
                      "parameters": len(gradients)}))


def naive(layers, cap):
    """The naive derivation in a child process, killed after ``cap`` seconds: its time, or a lower bound."""
    from gradproof.numeric.spec import Spec
    text = Spec(layers=tuple(layers)).layers_text
    code = f"from gradproof.symbolic.bench.symbolic import naive_child; naive_child({text!r})"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"network": text, "completed": False, "total_s": None, "at_least_s": cap}
    if done.returncode != 0:
        return {"network": text, "completed": False, "total_s": None, "at_least_s": None,
                "error": (done.stderr.strip().splitlines() or ["exit code %d" % done.returncode])[-1]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"network": text, "completed": True, "at_least_s": result["total_s"], **result}


def measure(sizes, progress=None):
    """The memoized derivation on every network, the naive one until it passes the cap."""
    rows, capped = [], False
    warmup = _warm_up()
    for layers in sizes.symbolic_nets:
        row = memoized(layers)
        if capped:
            row["naive"] = {"network": row["network"], "completed": False, "skipped": True,
                            "note": "not run: a smaller network already passed the cap"}
        else:
            row["naive"] = naive(layers, sizes.naive_cap)
            capped = not row["naive"]["completed"]
        _ratios(row)
        rows.append(row)
        if progress:
            progress(f"symbolic {row['network']}: {row['total_s']:.3f} s")
    per = [r["ms_per_parameter"] for r in rows if r["parameters"] >= 500]
    return {"networks": rows, "naive_cap_s": sizes.naive_cap, "warmup_s": warmup,
            "ms_per_parameter_spread": (max(per) / min(per)) if len(per) >= 2 else None}


def _warm_up():
    """Load what the first derivation would otherwise pay for (lambdify's printers, numpy's namespace)."""
    start = time.perf_counter()
    memoized((2, 1))
    return time.perf_counter() - start


def _ratios(row):
    """Naive time over memoized time: for the derivation alone (like for like) and end to end."""
    n = row["naive"]
    bound = n.get("total_s") if n.get("completed") else n.get("at_least_s")
    row["speedup_derive"] = bound / row["derive_s"] if bound else None
    row["speedup_derive_warm"] = bound / row["derive_warm_s"] if bound and row["derive_warm_s"] else None
    row["speedup_total"] = bound / row["total_s"] if bound else None
    row["speedup_is_lower_bound"] = bool(bound) and not n.get("completed")


def lines(sym):
    """The section's table: one row per network."""
    out = [f"   (after a {_s(sym['warmup_s'])} warm-up); the naive way: sympy.diff of the nested loss by every "
           f"parameter, killed at {sym['naive_cap_s']:g} s",
           f"   {'network':<18} {'params':>7} {'derive':>9} {'(warm)':>9} {'compile':>9} {'verify':>9} "
           f"{'total':>9} {'ms/param':>8} {'rel.err':>8}  {'naive':>10} {'derive ×':>9} {'(warm)':>9} "
           f"{'total ×':>9}"]
    for r in sym["networks"]:
        n = r["naive"]
        naive_ = _s(n["total_s"]) if n.get("completed") else (
            f"> {_s(n['at_least_s'])}" if n.get("at_least_s") else "not run")
        bound = r["speedup_is_lower_bound"]
        out.append(f"   {r['network']:<18} {r['parameters']:>7} {_s(r['derive_s']):>9} {_s(r['derive_warm_s']):>9} "
                   f"{_s(r['compile_s']):>9} {_s(r['verify_s']):>9} {_s(r['total_s']):>9} "
                   f"{r['ms_per_parameter']:>8.3f} {r['max_rel_error']:>8.1e}  {naive_:>10} "
                   f"{times(r['speedup_derive'], bound):>9} {times(r['speedup_derive_warm'], bound):>9} "
                   f"{times(r['speedup_total'], bound):>9}")
    return out


def goals(sym):
    """~10,000 parameters within 10 s, a flat time per parameter, >= 1000x sympy.diff at [4]*5+[1]."""
    out = []
    rows = sym.get("networks", [])
    big = [r for r in rows if 9000 <= r["parameters"] <= 11000]
    if big:
        out.append(goal("symbolic: ~10,000-parameter network, derive + compile + verify", "<= 10 s",
                        big[0]["total_s"], big[0]["total_s"] <= 10))
    spread = sym.get("ms_per_parameter_spread")
    if spread is not None:
        out.append(goal("symbolic: time per parameter flat (max/min over networks >= 500 parameters)", "<= 2",
                        spread, spread <= 2))
    deep = next((r for r in rows if tuple(r["layers"]) == DEEP5), None)
    if deep and deep.get("speedup_derive"):
        bound = deep["speedup_is_lower_bound"]
        notes = ["lower bound: the naive run was killed at the cap"] if bound else []
        if deep.get("speedup_derive_warm"):
            notes.append(f"warm (sympy's cache filled): {times(deep['speedup_derive_warm'], bound)}")
        out.append(goal("symbolic: faster than sympy.diff of the nested loss at [4]*5+[1] (derivation, cold)",
                        ">= 1000x", deep["speedup_derive"],
                        deep["speedup_derive"] >= 1000 or (None if bound else False), "; ".join(notes) or None))
    return out
