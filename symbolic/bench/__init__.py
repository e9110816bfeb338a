"""``gradproof bench``: each job timed beside what a user would otherwise use, and the performance goals judged.

The measurements, one module per benchmark, each returning a JSON-ready dict:

1. ``symbolic``: every gradient by the memoized (delta) form, compiled and verified against backprop, beside
   ``sympy.diff`` of the nested loss in a child process killed at a time cap;
2. ``backprop``: numeric backprop against PyTorch's CPU autograd (``torch_step``, reading the activation
   table), and against the machine's matrix-product peak measured in the same loop (with, at full size, a
   rerun whose malloc keeps freed memory);
3. ``checks``: central differences and the complex step over every parameter;
4. ``throughput``: grading, answers per second over correct and incorrect answers;
5. ``sheet``: seconds from the command to the notes' HTML sheet, imports included;
6. ``homework``: drawing exercise variants with HTML solutions, and grading answers against their key;
7. ``symengine``: the fastest symbolic peer, symengine's diff of the nested loss and ``Lambdify``, raced against
   gradproof's derive and compile, both evaluated at one point and compared;
8. ``code_check``: checking a student's 784-128-64-10 backward at 4 points, child process included;
9. ``startup``: ``gradproof --version``, ``--help`` and one ``gradproof grade`` from the shell, in turns with a
   bare Python and with ``import sympy, numpy``.

``registry.BENCHMARKS`` lists them (add a benchmark there: one row); ``report`` runs them and writes the
report (JSON and text); ``sizes`` says how big each runs; ``machine`` describes the machine (CPU, cores,
BLAS and its kernel, versions, load average before and after: a shared machine makes every figure noisy).

Timings are wall-clock medians (or single runs where a run takes seconds).

Examples
========
>>> from gradproof.symbolic.bench import BENCHMARKS, SIZES
>>> sorted(SIZES)
['full', 'quick', 'tiny']
>>> SIZES["full"].symbolic_nets[-1]
(58, 58, 58, 58, 1)
>>> [b.key for b in BENCHMARKS]
['symbolic', 'symengine', 'backprop', 'backprop_malloc_kept', 'gradient_checks', 'grading', 'sheet', 'startup', 'exercise', 'code_check']
"""
from .backprop import MALLOC_KEPT, backprop_malloc_kept, backprop_vs_torch, product_flops
from .registry import BENCHMARKS, Benchmark
from .report import goals, run, text
from .sizes import SIZES, Sizes
from .symbolic import naive, naive_child
from .throughput import grading

__all__ = ["BENCHMARKS", "MALLOC_KEPT", "SIZES", "Benchmark", "Sizes", "backprop_malloc_kept", "backprop_vs_torch",
           "goals", "grading", "naive", "naive_child", "product_flops", "run", "text"]
