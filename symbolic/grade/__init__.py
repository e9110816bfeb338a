"""Grading a student's answer for dL/dw^k_ij: a safe grammar, equivalence, and a diagnosis of the mistake.

spelling.py rewrites the spellings of every voice students type in (LaTeX by hand or from the platforms'
widgets, Python/Maxima, AsciiMath, Word's linear format, phone text: \\frac12, dL/dw, w^{(3)}, O31, O_(31),
〖σ〗^′, O₃₁, \\sum_{j=1}^{2}, ...) to the grammar's, parser.py reads the answer (lark, building sympy objects
directly; nothing is evaluated as code), vocabulary.py holds the functions it knows and its error type,
equivalence.py decides whether it is the derivative, diagnosis.py names the likely mistake (codes in
diagnosis.CODES), grader.py puts them together per spec and parameter, batch.py grades a class on both cores.

The public face: ``Grader(spec).grade(param, answer, at=None, rtol=DEFAULT_RTOL)`` (or ``grade(spec, ...)``)
returns a ``Result`` with ``verdict`` ('correct', 'incorrect', 'invalid'), ``parsed_latex``, ``message``,
``diagnosis`` (a list of codes from diagnosis.CODES), ``counterexample`` ({point, expected, got}),
``param``, ``method``, ``exit_code`` and ``to_json()``.
"""
from .grader import DEFAULT_RTOL, Grader, Result, grade

__all__ = ["Grader", "Result", "grade", "DEFAULT_RTOL"]
