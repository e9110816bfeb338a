"""An assignment file (TOML): the title, the seed, the number of variants, the questions and the shares of
partial credit; the network from its own ``[network]``/``[loss]``/``[regularization]`` tables (the spec's
layout) or from the spec flags.

    [assignment]
    title = "Backpropagation, homework 1"
    seed = 2026
    variants = 30
    [[question]]
    kind = "gradient"        # expression, gradient, step, paths or flow
    param = "w^2_11"
    points = 2
    rtol = 1e-3
    [grading]                # the share of a question's points each diagnosed mistake keeps
    sign = 0.5
"""
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gradproof.numeric.errors import GradproofError, unknown
from gradproof.numeric.notation import Param, parse_param
from gradproof.numeric.spec import Spec

from ..grade.diagnosis import CODES

KINDS = ("expression", "gradient", "step", "paths", "flow")
DEFAULT_RTOL = 1e-3
DEFAULT_LR = 0.5
SPEC_TABLES = ("network", "loss", "regularization")
QUESTION_KEYS = ("kind", "param", "params", "points", "rtol", "lr", "path")
ASSIGNMENT_KEYS = ("title", "seed", "variants")


@dataclass(frozen=True)
class Question:
    """One question of the assignment, numbered from 1 in the file's order."""

    number: int
    kind: str
    points: float
    param: Param | None = None
    params: tuple = ()          # step: the parameters whose gradient and update are asked (default: all)
    rtol: float = DEFAULT_RTOL
    lr: float | None = None
    path: int = 1               # flow: which of the parameter's paths (1-based, in the sheets' order)

    @property
    def id(self):
        return str(self.number)


@dataclass(frozen=True)
class Assignment:
    title: str
    seed: int
    variants: int
    questions: tuple
    spec: Spec
    shares: dict = field(default_factory=dict)

    def share(self, codes):
        """The share of the points a diagnosis keeps: the smallest share among its codes (0 for one not listed)."""
        if not codes:
            return 0.0
        return min(self.shares.get(c, 0.0) for c in codes)

    def to_json(self):
        return {"title": self.title, "seed": self.seed, "variants": self.variants, "grading": dict(self.shares)}


def _number(value, what, source, positive=False, whole=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and whole:
        ok = float(value).is_integer()
    if ok and positive:
        ok = value > 0
    if not ok:
        kind = "a whole number" if whole else "a number"
        raise GradproofError(f"{source}: {what} must be {kind}{' > 0' if positive else ''}; got {value!r}")
    return int(value) if whole or isinstance(value, int) else float(value)


def _question(n, data, spec, source):
    where = f"{source}: question {n}"
    if not isinstance(data, dict):
        raise GradproofError(f"{where} must be a table ([[question]])")
    for key in data:
        if key not in QUESTION_KEYS:
            raise unknown(f"key in {where}:", key, QUESTION_KEYS)
    kind = data.get("kind")
    if kind not in KINDS:
        raise GradproofError(f"{where}: unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    points = _number(data.get("points", 1), "points", where, positive=True)
    rtol = _number(data.get("rtol", DEFAULT_RTOL), "rtol", where, positive=True)
    if rtol >= 0.1:
        raise GradproofError(f"{where}: rtol must be below 0.1; got {rtol:g}")

    def param_of(text):
        if not isinstance(text, str):
            raise GradproofError(f"{where}: param must be a name such as \"w^1_11\"; got {text!r}")
        try:
            return spec.check_param(parse_param(text))
        except GradproofError as error:
            raise GradproofError(f"{where}: {error}") from None

    param, params, lr, path = None, (), None, 1
    if kind in ("expression", "gradient", "paths", "flow"):
        default = "w^1_11" if kind == "flow" else None
        if "param" not in data and default is None:
            raise GradproofError(f"{where}: a {kind} question needs param = \"w^k_ij\"")
        param = param_of(data.get("param", default))
    elif "param" in data:
        raise GradproofError(f"{where}: a step question asks for every parameter; use params = [...] to choose some")
    if kind == "step":
        names = data.get("params")
        if names is not None and (not isinstance(names, list) or not names):
            raise GradproofError(f"{where}: params must be a list of names, e.g. [\"w^1_11\", \"w^2_11\"]")
        params = tuple(param_of(p) for p in names) if names else tuple(spec.parameters())
        lr = _number(data.get("lr", DEFAULT_LR), "lr", where, positive=True)
    elif "lr" in data or "params" in data:
        raise GradproofError(f"{where}: lr and params go with a step question")
    if kind == "flow":
        count = spec.path_count(param)
        path = _number(data.get("path", 1), "path", where, positive=True, whole=True)
        if path > count:
            raise GradproofError(f"{where}: {param} has {count} path{'s' if count != 1 else ''} to L; path = {path}")
    elif "path" in data:
        raise GradproofError(f"{where}: path goes with a flow question")
    return Question(n, kind, points, param, params, rtol, lr, path)


def from_mapping(data, spec=None, source="assignment"):
    """An Assignment from the TOML layout; ``spec`` (from flags) wins over the file's network tables."""
    head = data.get("assignment")
    if not isinstance(head, dict):
        raise GradproofError(f"{source}: no [assignment] table (title, seed, variants)")
    for key in head:
        if key not in ASSIGNMENT_KEYS:
            raise unknown(f"key in {source} [assignment]:", key, ASSIGNMENT_KEYS)
    valid = ("assignment", "question", "grading") + SPEC_TABLES
    for table in data:
        if table not in valid:
            raise GradproofError(f"{source}: unknown table [{table}]; valid: {', '.join(valid)}")
    if spec is None:
        spec = Spec.from_mapping({t: data[t] for t in SPEC_TABLES if t in data}, source=source)
    title = head.get("title", "Backpropagation exercises")
    if not isinstance(title, str) or not title.strip():
        raise GradproofError(f"{source}: title must be text")
    seed = _number(head.get("seed", 0), "seed", source, whole=True)
    variants = head.get("variants", 1)
    if not isinstance(variants, int) or isinstance(variants, bool) or variants <= 0:
        raise GradproofError(f"{source}: variants must be a whole number > 0; got {variants!r}")
    if variants > 9999:
        raise GradproofError(f"{source}: variants must be at most 9999; got {variants}")
    raw = data.get("question")
    if not isinstance(raw, list) or not raw:
        raise GradproofError(f"{source}: no questions: add [[question]] tables")
    questions = tuple(_question(n, q, spec, source) for n, q in enumerate(raw, start=1))
    grading = data.get("grading", {})
    if not isinstance(grading, dict):
        raise GradproofError(f"{source}: [grading] must be a table of shares")
    shares = {}
    for code, share in grading.items():
        if code not in CODES:
            raise unknown(f"mistake in {source} [grading]:", code, CODES)
        share = _number(share, f"[grading] {code}", source)
        if not 0 <= share <= 1:
            raise GradproofError(f"{source}: [grading] {code} must lie between 0 and 1; got {share:g}")
        shares[code] = share
    return Assignment(title.strip(), seed, variants, questions, spec, shares)


def load(path, spec=None):
    """Read an assignment file; a TOML syntax error is reported with its line and column."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GradproofError(f"assignment file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GradproofError(f"cannot read assignment file {str(path)!r}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise GradproofError(f"{path}: not valid TOML: {error}") from None
    return from_mapping(data, spec, source=str(path))


def spec_tables(path):
    """The network tables of an assignment file (for flags to be applied on top of)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {t: data[t] for t in SPEC_TABLES if t in data}
