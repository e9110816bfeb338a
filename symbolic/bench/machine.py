"""The machine the figures were measured on, and the timing helpers every benchmark shares."""
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np


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


def median_time(fn, repeats):
    """The median wall-clock seconds of ``repeats`` calls of fn."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
