"""Drawing the variants: round numbers from the seed, poor draws rejected, every numeric blank unambiguous.

Variant n draws from its own random stream (the assignment's seed and n), so regenerating, or asking for
more variants, never changes an earlier variant. A draw is rejected (and the stream draws again) when
  - an output of an activation into (0, 1) (the sigmoid) lies outside [0.05, 0.95] (a saturated neuron: tiny
    slopes, a dull exercise);
  - some gradient is smaller than 1e-3 of the largest (a value that reads as zero);
  - a (leaky) ReLU's input lies within the grader's kink margin of 0 (the slope would hang on rounding);
  - a probability-vector target (categorical cross-entropy) lies below 0.1: near one-hot, softmax's dropped cross
    terms hardly change the answer, and the elementwise mistake would pass for right;
  - a numeric blank is ambiguous: the value of a diagnosed mistake lies within twice the blank's tolerance
    of the correct value (mistakes.py), so that a mistake could be graded correct.
Draws are judged in batches (all variants' candidates at once, in the grader's vectorised float64
walk); the first acceptable draw of each stream is taken, so the batch size never changes the result.
"""
import hashlib
import itertools
import json
import math

import numpy as np

from gradproof.numeric.backprop import backprop
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.losses import LOSSES
from gradproof.numeric.notation import Neuron
from gradproof.numeric.paths import paths as path_list
from gradproof.numeric.point import Point

from ..flow import slope_bounds
from ..model import KINK_MARGIN
from . import mistakes
from .key import DECIMALS, Blank, Variant

SATURATED = (0.05, 0.95)      # an output in (0, 1) beyond these: a saturated neuron
SMALLEST_GRADIENT = 1e-3      # of the largest, in the same variant
TARGET_MARGIN = 0.1           # probability-vector targets at least this (none near one-hot)
DRAW_DECIMALS = 2             # the point's numbers: inputs, targets and weights in two decimals
BATCH = 6                     # draws per stream per round
MAX_ROUNDS = 200


# ---- drawing --------------------------------------------------------------------------------------
def _round(a):
    out = np.round(a, DRAW_DECIMALS)
    out[out == 0] = 0.0            # no -0.0 in a key
    return out


def draw(spec, rng):
    """One candidate point: x in [-1, 1], y in [0.1, 0.9], weights (and biases) scaled by 1/sqrt(fan-in),
    all rounded to two decimals."""
    n = spec.layers
    x = _round(rng.uniform(-1, 1, (1, n[0])))
    y = _round(rng.uniform(0.1, 0.9, (1, n[-1])))
    if LOSSES[spec.loss].simplex:
        # a probability vector, rounded: the last target takes what the others leave (poor() rejects it near 0)
        y = _round(y / y.sum())
        y[0, -1] = round(1 - float(y[0, :-1].sum()), DRAW_DECIMALS)
    W = [_round(rng.uniform(-1.5, 1.5, (a, b)) / math.sqrt(a)) for a, b in itertools.pairwise(n)]
    b = [_round(rng.uniform(-0.5, 0.5, m)) for m in n[1:]] if spec.bias else None
    return Point(x, y, W, b, single=True)


def poor(spec, point):
    """Why a draw makes a poor exercise (a sentence), or None."""
    if LOSSES[spec.loss].simplex and np.any(point.y < TARGET_MARGIN):
        # near a one-hot target softmax's cross terms nearly vanish: the elementwise mistake would pass for right
        return f"a target below {TARGET_MARGIN} (too close to one-hot for the cross terms to show)"
    grads = backprop(spec, point)
    fwd = grads.forward
    for k in range(1, spec.depth + 1):
        act = spec.activation(k)
        if act.probability and np.any((fwd.O[k] < SATURATED[0]) | (fwd.O[k] > SATURATED[1])):
            return f"a {act.prose} output outside [0.05, 0.95]"
        if act.kinked and np.any(np.abs(fwd.z[k]) < KINK_MARGIN):
            return "a ReLU input near its kink"
    values = np.abs([grads.value(p) for p in spec.parameters()])
    if not np.all(np.isfinite(values)) or np.any(values < SMALLEST_GRADIENT * values.max()):
        return "a gradient below 1e-3 of the largest"
    return None


def stream(seed, number):
    """Variant number's own random stream."""
    return np.random.default_rng([seed % 2 ** 63, number])


# ---- the blanks -----------------------------------------------------------------------------------
def path_neurons(spec, param, which):
    """The neurons ((k, j), ..., (n, j_n)) of the parameter's path number ``which`` (1-based)."""
    chosen = list(path_list(spec, param))[which - 1]
    return tuple((param.layer + m, j) for m, j in enumerate(chosen))


def step_deltas(spec):
    """The neurons whose δ a step question asks for, from the output back."""
    return [Neuron("O", k, j) for k in range(spec.depth, 0, -1) for j in range(1, spec.layers[k] + 1)]


class Context:
    """What every draw is judged with: the model, the grader's Questions, the flow products."""

    def __init__(self, assignment):
        from ..grade.grader import Grader
        self.assignment = assignment
        self.spec = assignment.spec
        self.grader = Grader(self.spec)
        self.model = self.grader.model
        self._products = {}

    def product(self, question):
        """(the path product, its structural variants, which of them are real mistakes) of a flow question."""
        if question.number not in self._products:
            product = mistakes.PathProduct(self.model, path_neurons(self.spec, question.param, question.path))
            structural = product.structural()
            keep = mistakes.of_expressions(structural, product.closed, self.grader.points).keep
            self._products[question.number] = (product, structural, keep)
        return self._products[question.number]

    def bound(self, question, W):
        c = slope_bounds(self.spec)
        neurons = path_neurons(self.spec, question.param, question.path)
        value = 1.0
        for (k1, j1), (k2, j2) in itertools.pairwise(neurons):
            value *= c[k2 - 1] * abs(W[k2 - 1][j1 - 1, j2 - 1])
        return value


class Draws:
    """One round's candidate points, with what several questions share (backprop, gradient tables, steps)."""

    def __init__(self, ctx, points):
        self.ctx, self.points, self.n = ctx, points, len(points)
        self.fpoints = mistakes.FloatPoints(ctx.model, [mistakes.base_of(ctx.model, p) for p in points])
        self._grads, self._tables, self._steps = None, {}, {}

    @property
    def grads(self):
        if self._grads is None:
            self._grads = [backprop(self.ctx.spec, p) for p in self.points]
        return self._grads

    def gradient(self, param):
        """(the gradient's mistakes at the points, which rows are real mistakes)."""
        if param not in self._tables:
            question = self.ctx.grader.question(param)
            self._tables[param] = question.candidates(self.fpoints), question.candidates().keep
        return self._tables[param]

    def steps(self, lr):
        from gradproof.numeric.step import worked_step
        if lr not in self._steps:
            self._steps[lr] = [worked_step(self.ctx.spec, p, lr) for p in self.points]
        return self._steps[lr]

    def same(self, value, rtol=None):
        """The same answer at every point."""
        return [[(value, rtol)] for _ in range(self.n)], np.zeros(self.n, dtype=bool)


# ---- each kind's answers (kinds.py's draw column) ------------------------------------------------
def draw_expression(draws, q):
    from ..printing import latex
    d = draws.ctx.grader.question(q.param).derivation
    return draws.same(latex(d.closed_form if d.readable else d.memoized))


def draw_matrix(draws, q):
    from ..matrix.equations import equations
    from ..matrix.targets import target_of
    target = target_of(q.target, draws.ctx.spec)
    return draws.same(next(e.rhs.latex() for e in equations(draws.ctx.spec) if e.lhs == target))


def draw_gradient(draws, q):
    correct = np.array([g.value(q.param) for g in draws.grads])
    table, keep = draws.gradient(q.param)
    bad = mistakes.ambiguous(table, correct, q.rtol, keep)
    return [[(float(c), q.rtol)] for c in correct], bad


def draw_paths(draws, q):
    return draws.same(draws.ctx.spec.path_count(q.param))


def draw_step(draws, q):
    steps = draws.steps(q.lr)
    n = draws.n
    loss = np.array([s.loss_before for s in steps])
    bad = mistakes.ambiguous(mistakes.simple(loss), loss, q.rtol)
    rows = [[(float(loss[i]), q.rtol)] for i in range(n)]
    for neuron in step_deltas(draws.ctx.spec):
        v = np.array([s.delta(neuron) for s in steps])
        bad |= mistakes.ambiguous(mistakes.simple(v), v, q.rtol)
        for i in range(n):
            rows[i].append((float(v[i]), q.rtol))
    news = []
    for p in q.params:
        g = np.array([s.gradient(p) for s in steps])
        w = np.array([pt.param_value(p) for pt in draws.points])
        table, keep = draws.gradient(p)
        bad |= mistakes.ambiguous(table, g, q.rtol, keep)
        new = w - q.lr * g
        # the update is small next to the weight: the new weight is graded to the update's tolerance
        tol = np.maximum(update_rtol(q.rtol, q.lr * g, new), half_unit(DECIMALS, new))
        bad |= mistakes.ambiguous(mistakes.updated(table, w, q.lr), new, tol, keep)
        for i in range(n):
            rows[i].append((float(g[i]), q.rtol))
        news.append((new, tol))
    for new, tol in news:
        for i in range(n):
            rows[i].append((float(new[i]), float(f"{tol[i]:.1g}")))
    return rows, bad


def draw_flow(draws, q):
    ctx = draws.ctx
    product, structural, keep = ctx.product(q)
    table = mistakes.of_expressions(structural, product.closed, draws.fpoints)
    correct = draws.fpoints.evaluate(product.closed, mistakes.Float64)
    bad = mistakes.ambiguous(table, correct, q.rtol, keep)
    bound = np.array([ctx.bound(q, p.W) for p in draws.points])
    bad |= mistakes.ambiguous(mistakes.simple(bound), bound, q.rtol)
    return [[(float(c), q.rtol), (float(b), q.rtol)] for c, b in zip(correct, bound)], bad


def update_rtol(rtol, update, new):
    """The relative tolerance of a new weight w - eta g that amounts to ``rtol`` of the update eta g, rounded down
    to one significant digit: a mistake in g moves the new weight by eta times that mistake only, so the new
    weight's own rtol would let every mistake in a small gradient pass."""
    with np.errstate(all="ignore"):
        exact = rtol * np.abs(update) / np.maximum(np.abs(new), 1e-12)
    exponent = np.floor(np.log10(exact))
    return np.minimum(np.floor(exact / 10 ** exponent) * 10 ** exponent, rtol)


def half_unit(decimals, values):
    """The relative tolerance of half a unit in the last of ``decimals`` places, rounded up to one significant
    digit: a tolerance is never tighter than the precision the page asks for."""
    with np.errstate(all="ignore"):
        need = 0.5 * 10.0 ** -decimals / np.maximum(np.abs(values), 1e-12)
    exponent = np.floor(np.log10(need))
    return np.ceil(np.round(need / 10 ** exponent, 9)) * 10 ** exponent


def blanks_and_checks(ctx, points_list):
    """For candidate points: (per point {question number: (Blanks)}, per point ambiguous?)."""
    spec = ctx.spec
    draws = Draws(ctx, points_list)
    bad = np.zeros(draws.n, dtype=bool)
    out = [{} for _ in range(draws.n)]
    for q in ctx.assignment.questions:
        quantities = q.quantities(spec)
        rows, ambiguous = q.kind.draw(draws, q)
        bad |= ambiguous
        alone = len(quantities) == 1
        share = q.points / len(quantities)
        for i in range(draws.n):
            out[i][q.number] = tuple(Blank(q.number, quantity, value, share, rtol, alone)
                                     for quantity, (value, rtol) in zip(quantities, rows[i], strict=True))
    return out, bad

def variant_id(assignment, number, point):
    """v<number>-<6 hex digits of a hash of the assignment and the draw>: stable as long as both are."""
    identity = {"title": assignment.title, "seed": assignment.seed, "network": assignment.spec.to_json(),
                "questions": [[q.kind.name, str(q.param), [str(p) for p in q.params], q.lr, q.path, q.rtol]
                              for q in assignment.questions],
                "number": number, "point": point.to_json()}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:6]
    return f"v{number:02d}-{digest}"


def variants(assignment, ctx=None):
    """Every variant of the assignment, in order, each from the first acceptable draw of its stream."""
    ctx = ctx or Context(assignment)
    spec = assignment.spec
    streams = {n: stream(assignment.seed, n) for n in range(1, assignment.count + 1)}
    found = {}
    for _ in range(MAX_ROUNDS):
        pending = [n for n in streams if n not in found]
        if not pending:
            break
        candidates = []          # (variant number, point), in each stream's order
        for n in pending:
            for _ in range(BATCH):
                p = draw(spec, streams[n])
                if poor(spec, p) is None:
                    candidates.append((n, p))
        if not candidates:
            continue
        blanks, bad = blanks_and_checks(ctx, [p for _, p in candidates])
        for (n, p), b, is_bad in zip(candidates, blanks, bad):
            if n not in found and not is_bad:
                found[n] = Variant(n, variant_id(assignment, n, p), p, b)
    missing = [n for n in streams if n not in found]
    if missing:
        raise GradproofError(f"no acceptable draw for variant {missing[0]} in {MAX_ROUNDS * BATCH} tries: every draw "
                             "had saturated or dead neurons or an answer a diagnosed mistake would match; "
                             "try a larger rtol or a smaller network")
    return [found[n] for n in sorted(found)]
