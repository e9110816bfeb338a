"""gradproof's numpy side: the network spec, the activation and loss tables, backprop, finite
differences and training. It imports numpy only (never sympy, never ``symbolic``)."""
from .errors import GradproofError
from .notation import Param, parse_param
from .spec import Spec

__all__ = ["GradproofError", "Param", "Spec", "parse_param"]
