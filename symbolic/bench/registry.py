"""The benchmarks ``gradproof bench`` runs, in the order of the report: one row each.

A row names the JSON key of its section, its title in the text report, and three functions:

- ``measure(sizes, progress=None) -> dict``: the figures, JSON-ready (``sizes`` is a :class:`~.sizes.Sizes`;
  call ``progress(message)`` now and then on long runs);
- ``lines(section) -> list[str]``: the section's lines in the text report, below its numbered title;
- ``goals(section) -> list[dict]``: the performance goals it can judge, each made by ``units.goal`` (or None).

``when`` restricts a row to some sizes (by name). To add a benchmark: write a module beside these with the
three functions (see ``sheet.py``, the smallest), add one row here, and a test at tiny sizes in
tests/test_bench.py. Nothing else changes: the run, the JSON and the text report read this table.
"""
from dataclasses import dataclass
from typing import Callable

from . import backprop, checks, code_check, homework, sheet, startup, symbolic, symengine_peer, throughput


@dataclass(frozen=True)
class Benchmark:
    key: str                              # the section's key in the JSON report
    title: str                            # its heading in the text report
    measure: Callable                     # (sizes, progress=None) -> dict
    lines: Callable                       # (section) -> list of text lines
    goals: Callable | None = None         # (section) -> list of performance goals (units.goal)
    when: tuple = ("full", "quick", "tiny")   # the sizes it runs at


BENCHMARKS = (
    Benchmark("symbolic", symbolic.TITLE, symbolic.measure, symbolic.lines, symbolic.goals),
    Benchmark("symengine", symengine_peer.TITLE, symengine_peer.measure, symengine_peer.lines, symengine_peer.goals),
    Benchmark("backprop", backprop.TITLE, backprop.backprop_vs_torch, backprop.lines, backprop.goals),
    Benchmark("backprop_malloc_kept", backprop.MALLOC_TITLE, backprop.backprop_malloc_kept, backprop.malloc_lines,
              when=("full",)),
    Benchmark("gradient_checks", checks.TITLE, checks.gradient_checks, checks.lines),
    Benchmark("grading", throughput.TITLE, throughput.grading, throughput.lines, throughput.goals),
    Benchmark("sheet", sheet.TITLE, sheet.measure, sheet.lines, sheet.goals),
    Benchmark("startup", startup.TITLE, startup.measure, startup.lines, startup.goals),
    Benchmark("exercise", homework.TITLE, homework.measure, homework.lines, homework.goals),
    Benchmark("code_check", code_check.TITLE, code_check.measure, code_check.lines, code_check.goals),
)

