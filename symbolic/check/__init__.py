"""Cross-check every gradient six ways (symbolic, backprop, matrix form, per-path, central differences, complex step).

policy: the methods, the rule and the tolerances (one merge_tolerances); compare: the check itself and
its random points; report: the rows, the terminal text and the JSON. Kink detection lives beside the
finite differences it protects, in numeric.fd.
"""
from gradproof.numeric.fd import kinks

from .compare import check, compiled, random_points
from .policy import DESCRIPTIONS, EXACT_DIGITS, MAX_PATHS, METHODS, RULE, TIGHT, TOLERANCES, Tolerance, merge_tolerances
from .report import Report, Row

__all__ = ["METHODS", "DESCRIPTIONS", "TOLERANCES", "TIGHT", "MAX_PATHS", "EXACT_DIGITS", "RULE", "Tolerance",
           "merge_tolerances", "Row", "Report", "check", "kinks", "random_points", "compiled"]
