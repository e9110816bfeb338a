"""gradproof's numpy side: the network spec, the activation and loss tables, backprop, finite
differences and training. It imports numpy only (never sympy, never ``symbolic``).

The names below are loaded on first use, so that importing a light module such as ``numeric.errors``
(as the command line does before it knows the command) does not import numpy.
"""
import importlib

_LAZY = {"GradproofError": "errors", "Param": "notation", "parse_param": "notation", "Spec": "spec"}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
