"""The report of a run: every benchmark of the registry measured in turn, with the machine's description and
the performance goals judged, as JSON (:func:`run`) and as the tables ``gradproof bench`` prints (:func:`text`).
"""
import time

from .machine import load_average, machine
from .registry import BENCHMARKS


def run(sizes, progress=None, only=None):
    """Every benchmark that runs at these sizes, with the machine; the report ``gradproof bench --json`` prints.

    Its keys: "sizes", "machine", one per benchmark (registry.BENCHMARKS), "seconds", and "targets": the
    performance goals judged (each {"target", "wanted", "value", "met", "note"?}). ``only``: the keys of the
    benchmarks to run (all when None)."""
    report = {"sizes": sizes.name, "machine": machine()}
    started = time.perf_counter()
    for row in BENCHMARKS:
        if sizes.name in row.when and (only is None or row.key in only):
            report[row.key] = row.measure(sizes, progress)
    report["seconds"] = time.perf_counter() - started
    report["machine"]["load_average_after"] = load_average()
    report["targets"] = goals(report)
    return report


def goals(report):
    """Every performance goal the report's sections can judge, in the registry's order.

    Examples
    ========
    >>> goals({})
    []
    >>> [g["target"] for g in goals({"sheet": {"available": True, "seconds": 2.0}})]
    ['sheet: command to HTML file, imports included']
    """
    out = []
    for row in BENCHMARKS:
        if row.goals is not None and row.key in report:
            out += row.goals(report[row.key])
    return out


def _header(report):
    m = report["machine"]
    blas = m["blas"]
    load = m.get("load_average") or [float("nan")]
    return [f"gradproof bench ({report['sizes']}): {m['cpu']}, {m['cores']} cores; "
            f"BLAS {blas.get('name')} {blas.get('version')} kernel {blas.get('kernel')}, {blas.get('threads')} threads",
            f"python {m['python']}, numpy {m['numpy']}, sympy {m['sympy']}, torch {m['torch'] or 'not installed'}; "
            f"load average {load[0]:.2f} before, {(m.get('load_average_after') or [float('nan')])[0]:.2f} after "
            "(a shared machine makes every figure noisy)"]


def text(report):
    """The report as the tables ``gradproof bench`` prints: one numbered section per benchmark, then the goals."""
    lines = _header(report)
    number = 0
    for row in BENCHMARKS:
        if row.key in report:
            number += 1
            lines += ["", f"{number}. {row.title}", *row.lines(report[row.key])]
    lines += ["", "Performance goals" + ("" if report["sizes"] == "full" else
                                         f" (judged at {report['sizes']} sizes; the goals are set for the full run)")]
    for t in report["targets"]:
        mark = {True: "met", False: "NOT MET", None: "undecided"}[t["met"]]
        value = t["value"]
        shown = f"{value:,.3g}" if isinstance(value, float) else str(value)
        lines.append(f"   [{mark}] {t['target']}: {shown} (wanted {t['wanted']})"
                     + (f"; {t['note']}" if t.get("note") else ""))
    lines.append(f"\n{report['seconds']:.1f} s in all")
    return "\n".join(lines)
