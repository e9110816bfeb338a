"""Grading a student's answer for dL/dw^k_ij: a safe LaTeX grammar, equivalence, and a diagnosis of the mistake.

parser.py reads the answer (lark, building sympy objects directly; nothing is evaluated as code),
equivalence.py decides whether it is the derivative, diagnosis.py names the likely mistake,
grader.py puts them together per spec and parameter, batch.py grades a class on both cores.
"""
from .grader import DEFAULT_RTOL, Grader, Result, grade

__all__ = ["Grader", "Result", "grade", "DEFAULT_RTOL"]
