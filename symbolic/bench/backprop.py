"""Numeric backprop against PyTorch's CPU autograd (when torch is installed) on [256, 512, 512, 512, 10] at
batch 1024, with ReLU hidden layers and a linear output (a typical MLP) and with the notes' sigmoid
everywhere, float32 and float64, with the same thread count, interleaved repeats and the median of the
per-pair ratios; and the FLOP rate of the step's matrix products against one large matrix product timed in
the same loop (the machine's practical peak).
"""
import json
import os
import statistics
import subprocess
import sys

import numpy as np

from .machine import median_time, threads
from .torch_step import torch_step, torch_with_threads
from .units import gflops, goal
from .units import seconds as _s

TITLE = "Numeric backprop vs PyTorch CPU autograd"
MALLOC_TITLE = "Numeric backprop again, in a child process whose malloc keeps freed memory: the cost of page faults"

# the networks: a typical MLP (ReLU hidden layers, a linear output) and the notes' sigmoid
BACKPROP_RUNS = (("relu", ("relu", "relu", "relu", "linear")), ("sigmoid", ("sigmoid",) * 4))


def product_flops(layers, batch):
    """Multiply-adds (x2) of one backprop step's matrix products: forward, dW, and delta for k >= 2."""
    pairs = list(zip(layers, layers[1:]))
    forward = sum(2 * batch * a * b for a, b in pairs)
    weights = forward
    deltas = sum(2 * batch * a * b for a, b in pairs[1:])
    return forward + weights + deltas


def _large_product(n, dtype):
    """A closure doing one large product (n x n times n x n) in this dtype: the practical peak of a run."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    return lambda: np.matmul(a, b, out=out)


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
    """Numeric backprop against torch autograd, float32 and float64, same threads, interleaved."""
    n_threads = threads()
    torch = torch_with_threads(n_threads) if sizes.torch else None
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


def backprop_malloc_kept(sizes, progress=None):
    """The backprop comparison again in a child process whose malloc keeps freed memory (MALLOC_KEPT): the page-fault cost."""
    if not sys.platform.startswith("linux"):
        return {"available": False, "note": "glibc malloc settings: Linux only"}
    code = ("import json; from gradproof.symbolic.bench.sizes import SIZES; "
            "from gradproof.symbolic.bench.backprop import backprop_vs_torch; "
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
        theirs = torch_step(torch, spec, cast.x, cast.y, cast.W, cast.b)
        theirs()
    big = _large_product(sizes.peak_n, dtype)
    big()
    ours_t, theirs_t, products_t, big_t = [], [], [], []
    for _ in range(sizes.repeats):                          # interleaved: all see the same machine load
        ours_t.append(median_time(ours, 1))
        if theirs is not None:
            theirs_t.append(median_time(theirs, 1))
        products_t.append(median_time(products, 1))
        big_t.append(median_time(big, 1))
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


def _row(label, dtype, r, share=True):
    ratio = f"{r['ratio_median']:.2f}×" if "ratio_median" in r else "-"
    return (f"   {label:<28} {dtype:<8} {_s(r['numpy_s']):>9} {_s(r.get('torch_s')):>9} {ratio:>7} "
            f"{gflops(r['step_flop_rate']):>15} {gflops(r['peak_flop_rate']):>15} "
            f"{r['fraction_of_peak']:>7.0%} {r['fraction_of_peak_best']:>7.0%}"
            + (f" {r['products_share_of_step']:>6.0%} of step" if share else ""))


def lines(bp):
    """The section's table: one row per network and dtype."""
    out = [f"   {bp['network']} with biases, squared loss, batch {bp['batch']}, {bp['threads']} threads, "
           f"{bp['repeats']} interleaved repeats"]
    if bp.get("note"):
        out.append(f"   {bp['note']}")
    out.append(f"   {'network':<28} {'dtype':<8} {'numpy':>9} {'torch':>9} {'ratio':>7} {'step products':>15} "
               f"{'large product':>15} {'of peak':>8} {'(best)':>7} {'products alone':>15}")
    for run in bp["runs"]:
        label = run["name"] + " (" + ",".join(dict.fromkeys(run["activations"])) + ")"
        for dtype, r in run["dtypes"].items():
            out.append(_row(label, dtype, r))
            label = ""
    return out


def malloc_lines(kept):
    """The malloc-kept rerun: the same table without the products' share."""
    if not kept.get("available"):
        return [f"   {kept['note']}"]
    out = ["   " + " ".join(f"{k}={v}" for k, v in kept["env"].items())]
    for run in kept["runs"]:
        for dtype, r in run["dtypes"].items():
            out.append(_row(run["name"], dtype, r, share=False))
    return out


def goals(bp):
    """<= 0.9x torch's time; the step's products at >= 85% of the large product's FLOP rate."""
    out = []
    for run in bp.get("runs", []):
        for dtype, row in run["dtypes"].items():
            if "ratio_median" in row:
                out.append(goal(f"backprop {run['name']} {dtype}: time / torch autograd time (median)", "<= 0.9",
                                row["ratio_median"], row["ratio_median"] <= 0.9))
            out.append(goal(f"backprop {run['name']} {dtype}: step product FLOP rate / large product FLOP rate",
                            ">= 0.85", row["fraction_of_peak"], row["fraction_of_peak"] >= 0.85,
                            f"best of the repeats {row['fraction_of_peak_best']:.0%}; "
                            f"the products alone take {row['products_share_of_step']:.0%} of the step"))
    return out
