"""Drawing the variants: round numbers from the seed, poor draws rejected, every numeric blank unambiguous.

Variant n draws from its own random stream (the assignment's seed and n), so regenerating, or asking for
more variants, never changes an earlier variant. A draw is rejected (and the stream draws again) when
  - a sigmoid output lies outside [0.05, 0.95] (a saturated neuron: tiny slopes, a dull exercise);
  - some gradient is smaller than 1e-3 of the largest (a value that reads as zero);
  - a (leaky) ReLU's input lies within the grader's kink margin of 0 (the slope would hang on rounding);
  - a numeric blank is ambiguous: the value of a diagnosed mistake lies within twice the blank's tolerance
    of the correct value (mistakes.py), so that a mistake could be graded correct.
Draws are judged in batches (all variants' candidates at once, in the grader's vectorised float64
walk); the first acceptable draw of each stream is taken, so the batch size never changes the result.
"""
import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field

import numpy as np

from gradproof.numeric.backprop import backprop
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Neuron
from gradproof.numeric.paths import paths as path_list
from gradproof.numeric.point import Point

from ..flow import slope_bounds
from ..model import KINK_MARGIN
from . import mistakes

SIGMOID_RANGE = (0.05, 0.95)
SMALLEST_GRADIENT = 1e-3      # of the largest, in the same variant
DECIMALS = 2
BATCH = 6                     # draws per stream per round
MAX_ROUNDS = 200


@dataclass
class Variant:
    number: int
    id: str
    point: Point
    blanks: dict = field(default_factory=dict)      # question number -> [blank dicts]


# ---- drawing --------------------------------------------------------------------------------------
def _round(a):
    out = np.round(a, DECIMALS)
    out[out == 0] = 0.0            # no -0.0 in a key
    return out


def draw(spec, rng):
    """One candidate point: x in [-1, 1], y in [0.1, 0.9], weights (and biases) scaled by 1/sqrt(fan-in),
    all rounded to two decimals."""
    n = spec.layers
    x = _round(rng.uniform(-1, 1, (1, n[0])))
    y = _round(rng.uniform(0.1, 0.9, (1, n[-1])))
    W = [_round(rng.uniform(-1.5, 1.5, (a, b)) / math.sqrt(a)) for a, b in itertools.pairwise(n)]
    b = [_round(rng.uniform(-0.5, 0.5, m)) for m in n[1:]] if spec.bias else None
    return Point(x, y, W, b, single=True)


def poor(spec, point):
    """Why a draw makes a poor exercise (a sentence), or None."""
    grads = backprop(spec, point)
    fwd = grads.forward
    for k in range(1, spec.depth + 1):
        act = spec.activation(k)
        if act.name == "sigmoid" and np.any((fwd.O[k] < SIGMOID_RANGE[0]) | (fwd.O[k] > SIGMOID_RANGE[1])):
            return "a sigmoid output outside [0.05, 0.95]"
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


def step_names(spec, question):
    """(deltas as Neuron names from the output back, the parameters) a step question asks for."""
    deltas = [Neuron("O", k, j) for k in range(spec.depth, 0, -1) for j in range(1, spec.layers[k] + 1)]
    return deltas, list(question.params)


class Context:
    """What every draw is judged with: the model, the grader's Questions, the flow products."""

    def __init__(self, assignment):
        from ..grade.grader import Grader
        self.assignment = assignment
        self.spec = assignment.spec
        self.grader = Grader(self.spec)
        self.model = self.grader.model
        self.products = {}
        for q in assignment.questions:
            if q.kind == "flow":
                if q.param.layer >= self.spec.depth:
                    raise GradproofError(f"question {q.number}: a flow question needs a parameter below the output "
                                         f"layer (its path multiplies the factors of the later layers); got {q.param}")
                product = mistakes.PathProduct(self.model, path_neurons(self.spec, q.param, q.path))
                structural = product.structural()
                keep = mistakes.of_expressions(structural, product.closed, self.grader.points).keep
                self.products[q.number] = (product, structural, keep)

    def gradient_table(self, param, points):
        question = self.grader.question(param)
        return question.candidates(points), question.candidates().keep

    def bound(self, question, W):
        c = slope_bounds(self.spec)
        neurons = path_neurons(self.spec, question.param, question.path)
        value = 1.0
        for (k1, j1), (k2, j2) in itertools.pairwise(neurons):
            value *= c[k2 - 1] * abs(W[k2 - 1][j1 - 1, j2 - 1])
        return value


def update_rtol(rtol, update, new):
    """The relative tolerance of a new weight w - eta g that amounts to ``rtol`` of the update eta g, rounded down
    to one significant digit: a mistake in g moves the new weight by eta times that mistake only, so the new
    weight's own rtol would let every mistake in a small gradient pass."""
    with np.errstate(all="ignore"):
        exact = rtol * np.abs(update) / np.maximum(np.abs(new), 1e-12)
    exponent = np.floor(np.log10(exact))
    return np.minimum(np.floor(exact / 10 ** exponent) * 10 ** exponent, rtol)


def blanks_and_checks(ctx, points_list):
    """For candidate points: (per point {question: [blank dicts]}, per point ambiguous?)."""
    from gradproof.numeric.step import worked_step
    spec, model = ctx.spec, ctx.model
    n = len(points_list)
    fpoints = mistakes.FloatPoints(model, [mistakes.base_of(model, p) for p in points_list])
    grads = [backprop(spec, p) for p in points_list]
    bad = np.zeros(n, dtype=bool)
    out = [{} for _ in range(n)]
    tables = {}

    def gradient(param):
        if param not in tables:
            tables[param] = ctx.gradient_table(param, fpoints)
        return tables[param]

    for q in ctx.assignment.questions:
        qid = q.id
        if q.kind == "expression":
            from ..printing import latex
            d = ctx.grader.question(q.param).derivation
            form = d.closed_form if d.readable else d.memoized
            answer = latex(form)
            for i in range(n):
                out[i][q.number] = [{"blank": qid, "answer": answer}]
        elif q.kind == "gradient":
            correct = np.array([g.value(q.param) for g in grads])
            table, keep = gradient(q.param)
            bad |= mistakes.ambiguous(table, correct, q.rtol, keep)
            for i in range(n):
                out[i][q.number] = [{"blank": qid, "answer": float(correct[i]), "rtol": q.rtol}]
        elif q.kind == "paths":
            count = spec.path_count(q.param)
            for i in range(n):
                out[i][q.number] = [{"blank": qid, "answer": count}]
        elif q.kind == "step":
            steps = [worked_step(spec, p, q.lr) for p in points_list]
            deltas, params = step_names(spec, q)
            loss = np.array([s.loss_before for s in steps])
            bad |= mistakes.ambiguous(mistakes.simple(loss), loss, q.rtol)
            rows = [[{"blank": f"{qid}.loss", "answer": float(loss[i]), "rtol": q.rtol}] for i in range(n)]
            for neuron in deltas:
                name = neuron.name
                v = np.array([s.delta(neuron) for s in steps])
                bad |= mistakes.ambiguous(mistakes.simple(v), v, q.rtol)
                for i in range(n):
                    rows[i].append({"blank": f"{qid}.delta_{name[2:]}", "answer": float(v[i]), "rtol": q.rtol})
            news = []
            for p in params:
                g = np.array([s.gradient(p) for s in steps])
                w = np.array([pt.param_value(p) for pt in points_list])
                table, keep = gradient(p)
                bad |= mistakes.ambiguous(table, g, q.rtol, keep)
                new = w - q.lr * g
                # the update is small next to the weight: the new weight is graded to the update's tolerance
                tol = update_rtol(q.rtol, q.lr * g, new)
                bad |= mistakes.ambiguous(mistakes.updated(table, w, q.lr), new, tol, keep)
                for i in range(n):
                    rows[i].append({"blank": f"{qid}.dL/d{p.name}", "answer": float(g[i]), "rtol": q.rtol})
                news.append((p, new, tol))
            for p, new, tol in news:
                for i in range(n):
                    rows[i].append({"blank": f"{qid}.{p.name}", "answer": float(new[i]), "rtol": float(f"{tol[i]:.1g}")})
            for i in range(n):
                out[i][q.number] = rows[i]
        elif q.kind == "flow":
            product, structural, keep = ctx.products[q.number]
            table = mistakes.of_expressions(structural, product.closed, fpoints)
            correct = fpoints.evaluate(product.closed, mistakes.Float64)
            bad |= mistakes.ambiguous(table, correct, q.rtol, keep)
            bound = np.array([ctx.bound(q, p.W) for p in points_list])
            bad |= mistakes.ambiguous(mistakes.simple(bound), bound, q.rtol)
            for i in range(n):
                out[i][q.number] = [{"blank": f"{qid}.product", "answer": float(correct[i]), "rtol": q.rtol},
                                    {"blank": f"{qid}.bound", "answer": float(bound[i]), "rtol": q.rtol}]
    return out, bad


def variant_id(assignment, number, point):
    """v<number>-<6 hex digits of a hash of the assignment and the draw>: stable as long as both are."""
    identity = {"title": assignment.title, "seed": assignment.seed, "network": assignment.spec.to_json(),
                "questions": [[q.kind, str(q.param), [str(p) for p in q.params], q.lr, q.path, q.rtol]
                              for q in assignment.questions],
                "number": number, "point": point.to_json()}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:6]
    return f"v{number:02d}-{digest}"


def variants(assignment, ctx=None):
    """Every variant of the assignment, in order, each from the first acceptable draw of its stream."""
    ctx = ctx or Context(assignment)
    spec = assignment.spec
    streams = {n: stream(assignment.seed, n) for n in range(1, assignment.variants + 1)}
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
