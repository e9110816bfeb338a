"""The measurements behind ``gradproof bench``: each job timed beside what a user would otherwise use.

Five sections, each a function returning a JSON-ready dict:

1. ``symbolic``: every gradient of a network by the memoized (delta) form (``derive_all``), compiled
   (``Compiled``) and verified at a point against numeric backprop, for networks from the notes'
   4-3-2-1 up to about 10,000 parameters; beside it, the naive way, ``sympy.diff`` of the nested loss
   (``Model.expanded_loss``) by every parameter, run in a child process that is killed at a time cap.
2. ``backprop``: numeric backprop against PyTorch's CPU autograd (when torch is installed) on
   [256, 512, 512, 512, 10] at batch 1024, with ReLU hidden layers and a linear output (a typical MLP)
   and with the notes' sigmoid everywhere, float32 and float64, with the same thread count, interleaved
   repeats and the median of the per-pair ratios; and the FLOP rate of the step's matrix products
   against one large matrix product timed in the same loop (the machine's practical peak).
3. ``gradient_checks``: central differences and the complex step over every parameter of an
   ~8,000-parameter network: time, and the error against backprop.
4. ``grading``: answers per second over a catalogue of correct and incorrect answers.
5. ``sheet``: seconds from the command to the file, imports included, for the notes' network as HTML.

Timings are wall-clock medians (or single runs where a run takes seconds); the machine's load average
is recorded before and after, since a shared machine makes every figure noisy. sympy's cache is
cleared before each symbolic measurement so that no network profits from the previous one.

Examples
========
>>> from gradproof.symbolic.bench import SIZES, targets
>>> sorted(SIZES)
['full', 'quick', 'tiny']
>>> SIZES["full"].symbolic_nets[-1]
(58, 58, 58, 58, 1)
>>> targets({})
[]
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NOTES = (4, 3, 2, 1)
DEEP5 = (4,) * 5 + (1,)                  # the comparison network: [4]*5 + [1]


@dataclass(frozen=True)
class Sizes:
    """How big each measurement is: ``full`` for the figures, ``quick`` for under a minute, ``tiny`` for tests."""

    name: str
    symbolic_nets: tuple
    naive_cap: float                     # seconds before the naive sympy.diff child is killed
    backprop_layers: tuple
    batch: int
    repeats: int                         # interleaved pairs (numpy, torch)
    peak_n: int                          # the large product is peak_n x peak_n times peak_n x peak_n
    fd_layers: tuple
    fd_samples: int
    answers: int                         # graded answers in the throughput run
    sheet: bool = True                   # time the sheet command (a child process)
    sheet_repeats: int = 3
    torch: bool = True                   # compare with torch when it is installed


SIZES = {s.name: s for s in [
    Sizes("full", (NOTES, DEEP5, (4,) * 7 + (1,), (8, 8, 8, 8, 1), (16, 16, 16, 16, 1), (32, 32, 32, 32, 1),
                   (58, 58, 58, 58, 1)),
          naive_cap=90.0, backprop_layers=(256, 512, 512, 512, 10), batch=1024, repeats=15, peak_n=2048,
          fd_layers=(32, 64, 64, 32, 1), fd_samples=16, answers=1000),
    Sizes("quick", (NOTES, DEEP5, (16, 16, 16, 16, 1)),
          naive_cap=8.0, backprop_layers=(256, 512, 512, 512, 10), batch=1024, repeats=5, peak_n=1536,
          fd_layers=(16, 32, 32, 1), fd_samples=8, answers=60, sheet_repeats=1),
    Sizes("tiny", (NOTES, (3, 2, 1)), naive_cap=20.0, backprop_layers=(8, 16, 4), batch=8, repeats=2, peak_n=64,
          fd_layers=(3, 4, 1), fd_samples=2, answers=4, sheet=False, torch=False),
]}

# the networks of section 2: a typical MLP (ReLU hidden layers, a linear output) and the notes' sigmoid
BACKPROP_RUNS = (("relu", ("relu", "relu", "relu", "linear")), ("sigmoid", ("sigmoid",) * 4))


# ---- the machine -------------------------------------------------------------------------------
def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas():
    """numpy's BLAS: name, version, kernel (architecture) and threads, from threadpoolctl when installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return {"name": pool.get("internal_api"), "version": pool.get("version"),
                        "kernel": pool.get("architecture"), "threads": pool.get("num_threads"),
                        "source": "threadpoolctl"}
    info = {"name": None, "version": None, "kernel": None, "threads": os.cpu_count(), "source": "numpy config"}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info.update(name=blas.get("name"), version=blas.get("version"),
                    kernel=(blas.get("openblas configuration") or "").split()[-1:] or None)
        if isinstance(info["kernel"], list):
            info["kernel"] = info["kernel"][0]
    except Exception:            # numpy's config layout is not an API; the machine report stays partial
        pass
    return info


def _version(module):
    try:
        return __import__(module).__version__
    except Exception:
        return None


def load_average():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def machine():
    """What the figures were measured on: CPU, cores, BLAS and its kernel, library versions, load."""
    import sympy
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__, "sympy": sympy.__version__,
            "torch": _version("torch"), "blas": _blas(),
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                                   "OMP_NUM_THREADS")},
            "load_average": load_average()}


def threads():
    """The thread count both libraries get: numpy's BLAS threads, else the number of cores."""
    return _blas().get("threads") or os.cpu_count() or 1


# ---- 1. symbolic derivation ---------------------------------------------------------------------
def _clear_sympy_cache():
    from sympy.core.cache import clear_cache
    clear_cache()


def memoized(layers, seed=0, samples=4):
    """Every gradient of one network by the delta form: derive, compile, verify against backprop; seconds each."""
    from gradproof.numeric.backprop import backprop
    from gradproof.numeric.point import random_point
    from gradproof.numeric.spec import Spec

    from .chain import delta_definition, derive_all
    from .evaluate import Compiled

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
    warm = _median_time(derive, 3) if derived - start < 0.5 else None
    return {"network": spec.layers_text, "layers": list(spec.layers), "parameters": count,
            "derive_s": derived - start, "derive_warm_s": warm,
            "compile_s": built - derived, "verify_s": verified - built,
            "total_s": verified - start, "ms_per_parameter": (verified - start) / count * 1e3,
            "derive_ms_per_parameter": (derived - start) / count * 1e3,
            "max_abs_error": error, "max_rel_error": error / scale, "verified": error <= 1e-9 * scale}


def naive_child(layers_text):
    """In a child process: sympy.diff of the expanded loss by every parameter; prints the seconds as JSON."""
    from gradproof.numeric.spec import Spec, parse_layers

    from .model import Model
    import sympy as sp

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
    code = f"from gradproof.symbolic.bench import naive_child; naive_child({text!r})"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"network": text, "completed": False, "total_s": None, "at_least_s": cap}
    if done.returncode != 0:
        return {"network": text, "completed": False, "total_s": None, "at_least_s": None,
                "error": (done.stderr.strip().splitlines() or ["exit code %d" % done.returncode])[-1]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"network": text, "completed": True, "at_least_s": result["total_s"], **result}


def symbolic(sizes, progress=None):
    """Section 1: the memoized derivation on every network, the naive one until it passes the cap."""
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


# ---- 2. numeric backprop against torch ----------------------------------------------------------
def product_flops(layers, batch):
    """Multiply-adds (x2) of one backprop step's matrix products: forward, dW, and delta for k >= 2."""
    pairs = list(zip(layers, layers[1:]))
    forward = sum(2 * batch * a * b for a, b in pairs)
    weights = forward
    deltas = sum(2 * batch * a * b for a, b in pairs[1:])
    return forward + weights + deltas


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _large_product(n, dtype):
    """A closure doing one large product (n x n times n x n) in this dtype: the practical peak of a run."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    return lambda: np.matmul(a, b, out=out)


def _torch(n_threads):
    """torch with the given thread count, or None when it is not installed (it is an optional extra)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(n_threads)
    return torch


def _torch_step(torch, spec, x, y, W, b):
    """A closure doing one forward and backward pass with torch autograd: the same network and loss."""
    table = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda t: t}
    acts = [table[a] for a in spec.activations]
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    tW = [torch.from_numpy(w.copy()).requires_grad_() for w in W]
    tb = [torch.from_numpy(v.copy()).requires_grad_() for v in b]

    def step():
        for t in tW + tb:
            t.grad = None
        O = tx
        for w, v, act in zip(tW, tb, acts):
            O = act(torch.addmm(v, O, w))
        loss = ((ty - O) ** 2).sum()
        loss.backward()
        return loss, [w.grad for w in tW]
    return step


def _products(spec, fwd):
    """A closure doing only the step's matrix products, on the step's own arrays (to split the time)."""
    O, W = fwd.O, fwd.W

    def products():
        for k in range(spec.depth):
            O[k] @ W[k]                                      # z_(k+1)
            O[k].T @ O[k + 1]                                # dW^(k+1), with O_(k+1) standing in for g
            if k:
                O[k + 1] @ W[k].T                            # delta_k
    return products


def backprop_vs_torch(sizes, progress=None):
    """Section 2: numeric backprop against torch autograd, float32 and float64, same threads, interleaved."""
    n_threads = threads()
    torch = _torch(n_threads) if sizes.torch else None
    flops = product_flops(sizes.backprop_layers, sizes.batch)
    result = {"network": "-".join(map(str, sizes.backprop_layers)), "bias": True, "loss": "squared/sum",
              "batch": sizes.batch, "threads": n_threads, "repeats": sizes.repeats, "step_flops": flops,
              "torch": None if torch is None else torch.__version__, "runs": []}
    if torch is None:
        result["note"] = ("torch not installed (pip install 'gradproof[bench]'): numpy figures only" if sizes.torch
                          else "torch not measured at this size")
    for name, acts in BACKPROP_RUNS:
        run = {"name": name, "activations": list(acts[:len(sizes.backprop_layers) - 2]) + [acts[-1]], "dtypes": {}}
        for dtype in (np.float32, np.float64):
            run["dtypes"][np.dtype(dtype).name] = _backprop_row(sizes, run["activations"], dtype, torch, flops)
            if progress:
                progress(f"backprop {name} {np.dtype(dtype).name}: "
                         f"{run['dtypes'][np.dtype(dtype).name]['numpy_s'] * 1e3:.1f} ms")
        result["runs"].append(run)
    return result


# glibc's malloc returns large freed blocks to the system, so every fresh array of a step faults its
# pages in again; these settings keep them. Used only in a child process, to show what that costs.
MALLOC_KEPT = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def backprop_malloc_kept(sizes):
    """Section 2 again in a child process whose malloc keeps freed memory (MALLOC_KEPT): the page-fault cost."""
    if not sys.platform.startswith("linux"):
        return {"available": False, "note": "glibc malloc settings: Linux only"}
    code = ("import json; from gradproof.symbolic.bench import SIZES, backprop_vs_torch; "
            f"print(json.dumps(backprop_vs_torch(SIZES[{sizes.name!r}])))")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                              env={**os.environ, **MALLOC_KEPT})
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, ValueError, IndexError) as error:
        return {"available": False, "note": f"child run failed: {type(error).__name__}"}
    return {"available": True, "env": MALLOC_KEPT, **result}


def _backprop_row(sizes, activations, dtype, torch, flops):
    from gradproof.numeric.backprop import backprop as numeric_backprop
    from gradproof.numeric.backprop import forward
    from gradproof.numeric.point import Point, random_point
    from gradproof.numeric.spec import Spec

    spec = Spec(layers=sizes.backprop_layers, activations=tuple(activations), bias=True)
    point = random_point(spec, seed=0, samples=sizes.batch)
    cast = Point(point.x.astype(dtype), point.y.astype(dtype), [w.astype(dtype) for w in point.W],
                 [v.astype(dtype) for v in point.b])
    ours = lambda: numeric_backprop(spec, cast, dtype=dtype)
    grads = ours()                                            # warm up, and keep for the comparison
    products = _products(spec, forward(spec, cast, dtype))
    theirs = None
    if torch is not None:
        theirs = _torch_step(torch, spec, cast.x, cast.y, cast.W, cast.b)
        theirs()
    big = _large_product(sizes.peak_n, dtype)
    big()
    ours_t, theirs_t, products_t, big_t = [], [], [], []
    for _ in range(sizes.repeats):                          # interleaved: all see the same machine load
        ours_t.append(_median_time(ours, 1))
        if theirs is not None:
            theirs_t.append(_median_time(theirs, 1))
        products_t.append(_median_time(products, 1))
        big_t.append(_median_time(big, 1))
    big_flops = 2 * sizes.peak_n ** 3
    row = {"numpy_s": statistics.median(ours_t), "numpy_min_s": min(ours_t),
           "products_only_s": statistics.median(products_t),
           "step_flop_rate": flops / statistics.median(ours_t), "peak_flop_rate": big_flops / statistics.median(big_t),
           "products_only_flop_rate": flops / statistics.median(products_t), "peak_n": sizes.peak_n,
           # the best of the repeats: the figures of a quiet machine, when other processes share the cores
           "step_flop_rate_best": flops / min(ours_t), "peak_flop_rate_best": big_flops / min(big_t)}
    row["fraction_of_peak"] = row["step_flop_rate"] / row["peak_flop_rate"]
    row["fraction_of_peak_best"] = row["step_flop_rate_best"] / row["peak_flop_rate_best"]
    row["products_share_of_step"] = row["products_only_s"] / row["numpy_s"]
    if theirs is not None:
        loss, dW = theirs()
        diff = max(float(np.abs(g - t.numpy()).max()) for g, t in zip(grads.dW, dW))
        scale = max(float(np.abs(g).max()) for g in grads.dW)
        ratios = [a / b for a, b in zip(ours_t, theirs_t)]
        row.update(torch_s=statistics.median(theirs_t), torch_min_s=min(theirs_t),
                   ratio_median=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                   max_rel_difference=diff / scale)
    return row


# ---- 3. gradient checks -------------------------------------------------------------------------
def gradient_checks(sizes, progress=None):
    """Section 3: central differences and the complex step over every parameter, against backprop."""
    from gradproof.numeric.backprop import backprop
    from gradproof.numeric.fd import central, complex_step
    from gradproof.numeric.point import random_point
    from gradproof.numeric.spec import Spec

    spec = Spec(layers=sizes.fd_layers, activations="tanh")
    point = random_point(spec, seed=0, samples=sizes.fd_samples)
    start = time.perf_counter()
    reference = backprop(spec, point)
    bp_s = time.perf_counter() - start
    params = spec.parameters()
    exact = np.array([reference.value(p) for p in params])
    scale = max(float(np.abs(exact).max()), 1e-300)
    result = {"network": spec.layers_text, "activation": "tanh", "samples": sizes.fd_samples,
              "parameters": len(params), "backprop_s": bp_s, "methods": {}}
    for name, method in (("central", central), ("complex_step", complex_step)):
        start = time.perf_counter()
        estimates = method(spec, point)
        seconds = time.perf_counter() - start
        values = np.array([e.value for e in estimates])
        errors = np.abs(values - exact)
        relative = errors / np.maximum(np.abs(exact), 1e-300)
        result["methods"][name] = {
            "seconds": seconds, "us_per_parameter": seconds / len(params) * 1e6,
            "times_backprop": seconds / bp_s if bp_s else None,
            "max_abs_error": float(errors.max()), "max_error_over_max_gradient": float(errors.max()) / scale,
            "median_rel_error": float(np.median(relative)),
            "within_estimate": float(np.mean(errors <= np.array([e.error for e in estimates]) + 1e-300))}
        if progress:
            progress(f"gradient check {name}: {seconds:.2f} s")
    return result


# ---- 4. grading throughput ----------------------------------------------------------------------
def grading(sizes, progress=None):
    """Section 4: per-answer latency in this process, and the wall time of a batch on every core.

    The catalogue holds, for every parameter of the notes' network, its closed form (correct), twice it
    and its negation (incorrect), as LaTeX printed by gradproof. The grader is imported at run time: it
    is optional here, so that the other sections run without it.
    """
    try:
        from .grade import grade
        from .grade.batch import grade_rows
    except ImportError as error:
        return {"available": False, "note": f"grader not available ({error})"}
    try:
        catalogue = _catalogue(sizes.answers)
        latency = catalogue[:max(1, sizes.answers // 5)]
        times, agree = [], 0
        for spec_, param, answer, correct in latency:
            start = time.perf_counter()
            result = grade(spec_, param, answer)
            times.append(time.perf_counter() - start)
            agree += result.correct == correct
        if progress:
            progress(f"grading latency: median {statistics.median(times) * 1e3:.1f} ms")
        rows = [(str(n), str(param), answer, None) for n, (_, param, answer, _) in enumerate(catalogue)]
        jobs = os.cpu_count() or 1
        start = time.perf_counter()
        results = grade_rows(catalogue[0][0], rows, jobs=jobs)
        batch_s = time.perf_counter() - start
    except Exception as error:           # the grader is young: report, do not crash the other sections
        return {"available": False, "note": f"grader not usable: {type(error).__name__}: {error}"}
    batch_agree = sum((r["verdict"] == "correct") == c for r, (_, _, _, c) in zip(results, catalogue))
    times.sort()
    return {"available": True, "network": catalogue[0][0].layers_text,
            "latency": {"answers": len(times), "median_ms": statistics.median(times) * 1e3,
                        "p90_ms": times[int(0.9 * (len(times) - 1))] * 1e3, "max_ms": times[-1] * 1e3,
                        "verdicts_as_expected": agree},
            "batch": {"answers": len(rows), "jobs": jobs, "seconds": batch_s, "answers_per_second": len(rows) / batch_s,
                      "seconds_per_1000": batch_s / len(rows) * 1000, "verdicts_as_expected": batch_agree}}


def _catalogue(count):
    """(spec, param, answer LaTeX, is it correct) for the notes' network, cycled to ``count`` answers."""
    from gradproof.numeric.spec import Spec

    from .chain import derive_all, settle
    from .printing import latex
    spec = Spec()
    rows = []
    for d in derive_all(spec):
        right = settle(d.closed_form)
        rows += [(spec, d.param, latex(right), True), (spec, d.param, latex(2 * right), False),
                 (spec, d.param, latex(-right), False)]
    return [rows[i % len(rows)] for i in range(count)]


# ---- 5. sheet latency ---------------------------------------------------------------------------
def sheet_latency(repeats=3):
    """Section 5: seconds from ``gradproof sheet -o notes.html`` to the file, imports included (median)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "notes.html"
        command = [sys.executable, "-m", "gradproof.symbolic", "sheet", "-o", str(target)]
        times = []
        for _ in range(repeats):
            target.unlink(missing_ok=True)
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
            seconds = time.perf_counter() - start
            if done.returncode != 0 or not target.exists():
                last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
                return {"available": False, "note": f"sheet command not available: {last}"}
            times.append(seconds)
        return {"available": True, "command": "gradproof sheet -o notes.html", "seconds": statistics.median(times),
                "min_s": min(times), "bytes": target.stat().st_size, "repeats": repeats}


# ---- the whole run ------------------------------------------------------------------------------
def run(sizes, progress=None):
    """Every section, with the machine's description; the report ``gradproof bench --json`` prints."""
    report = {"sizes": sizes.name, "machine": machine()}
    started = time.perf_counter()
    report["symbolic"] = symbolic(sizes, progress)
    report["backprop"] = backprop_vs_torch(sizes, progress)
    if sizes.name == "full":
        report["backprop_malloc_kept"] = backprop_malloc_kept(sizes)
    report["gradient_checks"] = gradient_checks(sizes, progress)
    report["grading"] = grading(sizes, progress)
    report["sheet"] = sheet_latency(sizes.sheet_repeats) if sizes.sheet else {"available": False, "note": "not measured at this size"}
    report["seconds"] = time.perf_counter() - started
    report["machine"]["load_average_after"] = load_average()
    report["targets"] = targets(report)
    return report


def _network_row(report, layers):
    for row in report.get("symbolic", {}).get("networks", []):
        if tuple(row["layers"]) == tuple(layers):
            return row
    return None


def targets(report):
    """Each target of issue 8 that this report can judge: what it asks, the figure, and whether it is met."""
    out = []

    def add(name, wanted, value, met, note=None):
        out.append({"target": name, "wanted": wanted, "value": value, "met": met, **({"note": note} if note else {})})

    rows = report.get("symbolic", {}).get("networks", [])
    big = [r for r in rows if 9000 <= r["parameters"] <= 11000]
    if big:
        add("symbolic: ~10,000-parameter network, derive + compile + verify", "<= 10 s", big[0]["total_s"],
            big[0]["total_s"] <= 10)
    spread = report.get("symbolic", {}).get("ms_per_parameter_spread")
    if spread is not None:
        add("symbolic: time per parameter flat (max/min over networks >= 500 parameters)", "<= 2", spread,
            spread <= 2)
    deep = _network_row(report, DEEP5)
    if deep and deep.get("speedup_derive"):
        bound = deep["speedup_is_lower_bound"]
        notes = ["lower bound: the naive run was killed at the cap"] if bound else []
        if deep.get("speedup_derive_warm"):
            notes.append(f"warm (sympy's cache filled): {_x(deep['speedup_derive_warm'], bound)}")
        add("symbolic: faster than sympy.diff of the nested loss at [4]*5+[1] (derivation, cold)", ">= 1000x",
            deep["speedup_derive"], deep["speedup_derive"] >= 1000 or (None if bound else False),
            "; ".join(notes) or None)
    for run in report.get("backprop", {}).get("runs", []):
        for dtype, row in run["dtypes"].items():
            if "ratio_median" in row:
                add(f"backprop {run['name']} {dtype}: time / torch autograd time (median)", "<= 0.9",
                    row["ratio_median"], row["ratio_median"] <= 0.9)
            add(f"backprop {run['name']} {dtype}: step product FLOP rate / large product FLOP rate", ">= 0.85",
                row["fraction_of_peak"], row["fraction_of_peak"] >= 0.85,
                f"best of the repeats {row['fraction_of_peak_best']:.0%}; "
                f"the products alone take {row['products_share_of_step']:.0%} of the step")
    grading_ = report.get("grading", {})
    if grading_.get("available"):
        median = grading_["latency"]["median_ms"]
        add("grading: median per answer", "<= 100 ms", median, median <= 100)
        per_1000 = grading_["batch"]["seconds_per_1000"]
        add(f"grading: 1,000 answers on {grading_['batch']['jobs']} cores", "<= 60 s", per_1000, per_1000 <= 60,
            None if grading_["batch"]["answers"] >= 1000 else f"scaled from {grading_['batch']['answers']} answers")
    sheet = report.get("sheet", {})
    if sheet.get("available"):
        add("sheet: command to HTML file, imports included", "<= 1.5 s", sheet["seconds"], sheet["seconds"] <= 1.5)
    return out


# ---- the text report ----------------------------------------------------------------------------
def _s(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _x(ratio, bound=False):
    if ratio is None:
        return "-"
    return ("≥ " if bound else "") + (f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.2f}×")


def _gflops(rate):
    return f"{rate / 1e9:.1f} GFLOP/s"


def text(report):
    """The report as the tables ``gradproof bench`` prints."""
    m = report["machine"]
    blas = m["blas"]
    load = m.get("load_average") or [float("nan")]
    lines = [f"gradproof bench ({report['sizes']}): {m['cpu']}, {m['cores']} cores; "
             f"BLAS {blas.get('name')} {blas.get('version')} kernel {blas.get('kernel')}, {blas.get('threads')} threads",
             f"python {m['python']}, numpy {m['numpy']}, sympy {m['sympy']}, torch {m['torch'] or 'not installed'}; "
             f"load average {load[0]:.2f} before, {(m.get('load_average_after') or [float('nan')])[0]:.2f} after "
             "(a shared machine makes every figure noisy)", ""]
    sym = report["symbolic"]
    lines.append("1. Symbolic derivation: every gradient in the memoized (delta) form, compiled, verified against backprop")
    lines.append(f"   (after a {_s(sym['warmup_s'])} warm-up); the naive way: sympy.diff of the nested loss by every "
                 f"parameter, killed at {sym['naive_cap_s']:g} s")
    lines.append(f"   {'network':<18} {'params':>7} {'derive':>9} {'(warm)':>9} {'compile':>9} {'verify':>9} "
                 f"{'total':>9} {'ms/param':>8} {'rel.err':>8}  {'naive':>10} {'derive ×':>9} {'(warm)':>9} "
                 f"{'total ×':>9}")
    for r in sym["networks"]:
        n = r["naive"]
        naive = _s(n["total_s"]) if n.get("completed") else (
            f"> {_s(n['at_least_s'])}" if n.get("at_least_s") else "not run")
        bound = r["speedup_is_lower_bound"]
        lines.append(f"   {r['network']:<18} {r['parameters']:>7} {_s(r['derive_s']):>9} {_s(r['derive_warm_s']):>9} "
                     f"{_s(r['compile_s']):>9} {_s(r['verify_s']):>9} {_s(r['total_s']):>9} "
                     f"{r['ms_per_parameter']:>8.3f} {r['max_rel_error']:>8.1e}  {naive:>10} "
                     f"{_x(r['speedup_derive'], bound):>9} {_x(r['speedup_derive_warm'], bound):>9} "
                     f"{_x(r['speedup_total'], bound):>9}")
    bp = report["backprop"]
    lines += ["", f"2. Numeric backprop vs PyTorch CPU autograd: {bp['network']} with biases, squared loss, "
                  f"batch {bp['batch']}, {bp['threads']} threads, {bp['repeats']} interleaved repeats"]
    if bp.get("note"):
        lines.append(f"   {bp['note']}")
    lines.append(f"   {'network':<28} {'dtype':<8} {'numpy':>9} {'torch':>9} {'ratio':>7} {'step products':>15} "
                 f"{'large product':>15} {'of peak':>8} {'(best)':>7} {'products alone':>15}")
    for run in bp["runs"]:
        label = run["name"] + " (" + ",".join(dict.fromkeys(run["activations"])) + ")"
        for dtype, r in run["dtypes"].items():
            ratio = f"{r['ratio_median']:.2f}×" if "ratio_median" in r else "-"
            lines.append(f"   {label:<28} {dtype:<8} {_s(r['numpy_s']):>9} {_s(r.get('torch_s')):>9} {ratio:>7} "
                         f"{_gflops(r['step_flop_rate']):>15} {_gflops(r['peak_flop_rate']):>15} "
                         f"{r['fraction_of_peak']:>7.0%} {r['fraction_of_peak_best']:>7.0%} "
                         f"{r['products_share_of_step']:>6.0%} of step")
            label = ""

    kept = report.get("backprop_malloc_kept")
    if kept and kept.get("available"):
        lines.append("   the same in a child process whose malloc keeps freed memory ("
                     + " ".join(f"{k}={v}" for k, v in kept["env"].items()) + "): the cost of page faults")
        for run, base in zip(kept["runs"], bp["runs"]):
            for dtype, r in run["dtypes"].items():
                ratio = f"{r['ratio_median']:.2f}×" if "ratio_median" in r else "-"
                lines.append(f"   {run['name']:<28} {dtype:<8} {_s(r['numpy_s']):>9} {_s(r.get('torch_s')):>9} "
                             f"{ratio:>7} {_gflops(r['step_flop_rate']):>15} {_gflops(r['peak_flop_rate']):>15} "
                             f"{r['fraction_of_peak']:>7.0%} {r['fraction_of_peak_best']:>7.0%}")
    elif kept:
        lines.append(f"   {kept['note']}")
    fd = report["gradient_checks"]
    lines += ["", f"3. Gradient checks over every parameter: {fd['network']} {fd['activation']}, "
                  f"{fd['parameters']} parameters, {fd['samples']} samples (backprop {_s(fd['backprop_s'])})"]
    for name, r in fd["methods"].items():
        lines.append(f"   {name:<13} {_s(r['seconds']):>9}  {r['us_per_parameter']:>7.1f} µs/param  "
                     f"max |error| / max |gradient| {r['max_error_over_max_gradient']:.1e}, "
                     f"median relative error {r['median_rel_error']:.1e}")
    g = report["grading"]
    lines += ["", "4. Grading throughput"]
    if g.get("available"):
        lat, batch = g["latency"], g["batch"]
        lines.append(f"   one process, {lat['answers']} answers: median {lat['median_ms']:.1f} ms, "
                     f"90th percentile {lat['p90_ms']:.1f} ms, max {lat['max_ms']:.1f} ms "
                     f"({lat['verdicts_as_expected']}/{lat['answers']} verdicts as expected)")
        lines.append(f"   batch on {batch['jobs']} cores, {batch['answers']} answers: {_s(batch['seconds'])}, "
                     f"{batch['answers_per_second']:.1f} answers/s, 1,000 answers in {batch['seconds_per_1000']:.1f} s "
                     f"({batch['verdicts_as_expected']}/{batch['answers']} verdicts as expected)")
    else:
        lines.append(f"   {g['note']}")
    sh = report["sheet"]
    lines += ["", "5. Sheet latency"]
    lines.append(f"   {sh['command']}: {_s(sh['seconds'])} (median of {sh['repeats']})" if sh.get("available")
                 else f"   {sh['note']}")
    lines += ["", "Targets" + ("" if report["sizes"] == "full" else
                               f" (judged at {report['sizes']} sizes; the issue's sizes are those of the full run)")]
    for t in report["targets"]:
        mark = {True: "met", False: "NOT MET", None: "undecided"}[t["met"]]
        value = t["value"]
        shown = f"{value:,.3g}" if isinstance(value, float) else str(value)
        lines.append(f"   [{mark}] {t['target']}: {shown} (wanted {t['wanted']})"
                     + (f"; {t['note']}" if t.get("note") else ""))
    lines.append(f"\n{report['seconds']:.1f} s in all")
    return "\n".join(lines)
