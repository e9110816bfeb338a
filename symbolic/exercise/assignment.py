"""An assignment file (TOML): the title, the seed, the number of variants, the questions and the shares of
partial credit; the network from its own ``[network]``/``[loss]``/``[regularization]`` tables (the spec's
layout) or from the spec flags.

    [assignment]
    title = "Backpropagation, homework 1"
    seed = 2026
    variants = 30
    [[question]]
    kind = "gradient"        # a kind of kinds.py: expression, gradient, step, paths, flow or matrix
    param = "w^2_11"
    points = 2
    rtol = 1e-3
    [grading]                # the share of a question's points each diagnosed mistake keeps
    sign = 0.5
"""
import math

from gradproof.numeric.errors import GradproofError, unknown
from gradproof.numeric.files import read_toml
from gradproof.numeric.notation import parse_param
from gradproof.numeric.spec import Spec

from ..grade.diagnosis import CODES as SCALAR_CODES
from ..grade.diagnosis import SENTENCES as SCALAR_SENTENCES
from ..matrix.grade import CODES as MATRIX_CODES
from ..matrix.grade import SENTENCES as MATRIX_SENTENCES
from .key import (
    DEFAULT_RTOL,
    FEEDBACK_LEVELS,
    FORMS,
    KINDS,
    REQUIRED,
    RETRY,
    SETTINGS,
    Assignment,
    Grading,
    Question,
    kind_named,
)

CODES = tuple(dict.fromkeys(SCALAR_CODES + MATRIX_CODES))     # every mistake a [grading] share may name
SENTENCES = {**MATRIX_SENTENCES, **SCALAR_SENTENCES}           # one sentence per mistake, for a student

SPEC_TABLES = ("network", "loss", "regularization", "matrix")
COMMON_KEYS = ("kind", "points", "rtol")
ASSIGNMENT_KEYS = ("title", "seed", "variants")


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
    kind = kind_named(data.get("kind"), where)
    valid = COMMON_KEYS + tuple(kind.fields)
    for name in data:
        if name not in valid:
            others = [k.name for k in KINDS.values() if name in k.fields]
            if others:
                raise GradproofError(f"{where}: {name} goes with a {' or '.join(others)} question, not {kind.name}")
            raise unknown(f"key in {where}:", name, valid)
    points = _number(data.get("points", 1), "points", where, positive=True)
    rtol = _number(data.get("rtol", DEFAULT_RTOL), "rtol", where, positive=True)
    if rtol >= 0.1:
        raise GradproofError(f"{where}: rtol must be below 0.1; got {rtol:g}")
    values = {}
    for name, default in kind.fields.items():
        if name not in data and default is REQUIRED:
            raise GradproofError(f"{where}: a {kind.name} question needs {name} ({FIELDS[name][1]})")
        values[name] = FIELDS[name][0](data.get(name, default), spec, where)
    question = Question(n, kind, points, rtol=rtol, **values)
    if kind.check is not None:
        kind.check(question, spec, where)
    return question


def _param(text, spec, where):
    if not isinstance(text, str):
        raise GradproofError(f"{where}: param must be a name such as \"w^1_11\"; got {text!r}")
    try:
        return spec.check_param(parse_param(text))
    except GradproofError as error:
        raise GradproofError(f"{where}: {error}") from None


def _params(names, spec, where):
    if names is None:
        return tuple(spec.parameters())
    if not isinstance(names, list) or not names:
        raise GradproofError(f"{where}: params must be a list of names, e.g. [\"w^1_11\", \"w^2_11\"]")
    return tuple(_param(p, spec, where) for p in names)


# the question fields a kind may take: (reader(value, spec, where), what to write)
FIELDS = {
    "param": (_param, 'param = "w^k_ij"'),
    "params": (_params, 'params = ["w^k_ij", ...]'),
    "lr": (lambda v, spec, where: _number(v, "lr", where, positive=True), "lr = 0.5"),
    "path": (lambda v, spec, where: _number(v, "path", where, positive=True, whole=True), "path = 1"),
    "forms": (lambda v, spec, where: _forms(v, where), 'forms = "closed"'),
    "target": (lambda v, spec, where: _target(v, spec, where), 'target = "W^2"'),
}


def _target(value, spec, where):
    from ..matrix.targets import target_of, target_text
    found = target_of(value, spec) if isinstance(value, str) else None
    if found is None:
        raise GradproofError(f"{where}: target must name a matrix whose gradient is asked: W^k, b^k, Z^k or O^k; "
                             f"got {value!r}")
    return target_text(found)


def _forms(value, where):
    if value not in FORMS:
        said = "; ".join(f"{f.name}: {f.allows}" for f in FORMS.values())
        raise GradproofError(f"{where}: {unknown('forms', value, FORMS)} ({said})")
    return value


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
    return Assignment(title.strip(), seed, variants, questions, spec, _grading(data.get("grading", {}), source))


def _grading(table, source):
    """[grading]: the mistakes' shares and the scoring settings (key.SETTINGS)."""
    if not isinstance(table, dict):
        raise GradproofError(f"{source}: [grading] must be a table of shares and settings")
    shares, settings = {}, {}
    for name, value in table.items():
        where = f"{source}: [grading] {name}"
        if name in ("blank", "unreadable"):
            if value != RETRY and not (_is_number(value) and value == 0):
                raise GradproofError(f"{where} must be 0 (scores 0 of the blank's points) or \"retry\" (costs "
                                     f"nothing: the student answers again); got {value!r}")
            settings[name] = RETRY if value == RETRY else 0
        elif name == "feedback":
            if value not in FEEDBACK_LEVELS:
                raise GradproofError(f"{where}: {unknown('feedback level', value, FEEDBACK_LEVELS)}")
            settings[name] = value
        elif name == "decimals":
            settings[name] = _number(value, f"[grading] {name}", source, whole=True)
            if not 0 <= settings[name] <= 6:
                raise GradproofError(f"{where} must be a whole number from 0 to 6; got {value!r}")
        else:
            if name not in CODES and name != "carried":
                raise unknown(f"mistake or setting in {source} [grading]:", name, CODES + tuple(SETTINGS))
            share = _number(value, f"[grading] {name}", source)
            if not 0 <= share <= 1:
                raise GradproofError(f"{where} must lie between 0 and 1; got {share:g}")
            (settings if name == "carried" else shares)[name] = share
    return Grading(shares, **settings)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load(path, spec=None):
    """Read an assignment file; a TOML syntax error is reported with its line and column."""
    return from_mapping(read_toml(path, "assignment file"), spec, source=str(path))


def spec_tables(path):
    """The network tables of an assignment file (for flags to be applied on top of)."""
    data = read_toml(path, "assignment file")
    return {t: data[t] for t in SPEC_TABLES if t in data}
