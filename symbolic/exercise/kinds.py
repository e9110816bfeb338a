"""The question kinds: one row each, like the activation table. A new kind is one row here (plus its tests);
the rows fill key.KINDS when the package is imported.

A row (key.Kind) says what the question asks, the assignment fields it takes, what its blanks hold (their
quantities, key.py), how their answers are drawn at each variant's point (generate.py's ``draw_<kind>``),
and how the question and its worked solution are set on a page (pages.py's ``ask_<kind>`` and
``solve_<kind>``). Grading follows each blank's quantity (grading.py), so a kind that asks for a known
quantity is graded with nothing else to write.
"""
import importlib

from gradproof.numeric.errors import GradproofError

from . import generate
from .key import (
    KINDS,
    REQUIRED,
    Delta,
    Expression,
    Gradient,
    Kind,
    Loss,
    MatrixAnswer,
    NewWeight,
    PathBound,
    PathCount,
    PathProduct,
    register,
)

DEFAULT_LR = 0.5


def _page(name):
    """pages.py's ``name``, imported at its first call: pages.py loads the sheets, which grading a key (on a
    course platform's grader, say) never needs."""
    def call(*args, **kwargs):
        return getattr(importlib.import_module(".pages", __package__), name)(*args, **kwargs)
    call.__name__ = call.__qualname__ = name
    return call


def _step_quantities(q, spec):
    return ((Loss(),) + tuple(Delta(n) for n in generate.step_deltas(spec))
            + tuple(Gradient(p) for p in q.params) + tuple(NewWeight(p) for p in q.params))


def _flow_check(q, spec, where):
    if q.param.layer >= spec.depth:
        raise GradproofError(f"{where}: a flow question needs a parameter below the output layer (its path "
                             f"multiplies the factors of the later layers); got {q.param}")
    count = spec.path_count(q.param)
    if q.path > count:
        raise GradproofError(f"{where}: {q.param} has {count} path{'s' if count != 1 else ''} to L; path = {q.path}")


for row in (
    Kind("expression", "write dL/dparam by the chain rule (graded symbolically)", "the chain rule for",
         {"param": REQUIRED, "forms": "closed"}, lambda q, spec: (Expression(q.param),),
         generate.draw_expression, _page("ask_expression"), _page("solve_expression")),
    Kind("gradient", "the value of dL/dparam at the variant's point", "the gradient with respect to",
         {"param": REQUIRED}, lambda q, spec: (Gradient(q.param),),
         generate.draw_gradient, _page("ask_gradient"), _page("solve_gradient")),
    Kind("step", "one update: the loss, the delta's, the gradients and the new weights", "one update",
         {"params": None, "lr": DEFAULT_LR}, _step_quantities,
         generate.draw_step, _page("ask_step"), _page("solve_step")),
    Kind("paths", "the number of paths from param to L", "the paths from",
         {"param": REQUIRED}, lambda q, spec: (PathCount(q.param),),
         generate.draw_paths, _page("ask_paths"), _page("solve_paths")),
    Kind("flow", "the product of the local factors f'(z) w along one path of param, and its bound",
         "the chain of local factors from", {"param": "w^1_11", "path": 1}, lambda q, spec: (PathProduct(), PathBound()),
         generate.draw_flow, _page("ask_flow"), _page("solve_flow"), _flow_check),
    Kind("matrix", "dL/dW^k, dL/db^k, dL/dZ^k or dL/dO^k in matrix form over a batch, in the network's layout",
         "the matrix form of the gradient with respect to", {"target": REQUIRED},
         lambda q, spec: (MatrixAnswer(q.target),), generate.draw_matrix, _page("ask_matrix"), _page("solve_matrix")),
):
    register(row)

__all__ = ["KINDS", "register"]
