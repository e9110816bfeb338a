"""Gradient checks over every parameter: central differences and the complex step over an ~8,000-parameter
network (at full size): time, and the error against backprop.
"""
import time

import numpy as np

from .units import seconds as _s

TITLE = "Gradient checks over every parameter"


def gradient_checks(sizes, progress=None):
    """Central differences and the complex step over every parameter, against backprop."""
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


def lines(fd):
    out = [f"   {fd['network']} {fd['activation']}, {fd['parameters']} parameters, {fd['samples']} samples "
           f"(backprop {_s(fd['backprop_s'])})"]
    for name, r in fd["methods"].items():
        out.append(f"   {name:<13} {_s(r['seconds']):>9}  {r['us_per_parameter']:>7.1f} µs/param  "
                   f"max |error| / max |gradient| {r['max_error_over_max_gradient']:.1e}, "
                   f"median relative error {r['median_rel_error']:.1e}")
    return out
