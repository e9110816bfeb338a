"""The exercise model: an assignment, its questions, the variants drawn, every blank; read and written as key.json.

This module is the only reader and writer of key.json. Everything else (the key grader, the pages, the
exports, the platforms' runtimes) takes the typed objects:

- :class:`Assignment`: the title, seed, network, questions, grading rules and (once drawn) the variants;
- :class:`Question`: one question of the assignment, whose :class:`Kind` (a row of ``kinds.KINDS``) says
  what it asks, which blanks it has, how they are drawn and how the question is set on a page;
- :class:`Variant`: one student's point and the blanks of every question at that point;
- :class:`Blank`: one value asked, with its answer, tolerance and points; what it holds is a
  :class:`Quantity` (the loss, a δ, a gradient, a new weight, ...), which also names how it is graded.

Blank ids are written and read by one codec: ``N`` for a question's only blank, ``N.<quantity>`` otherwise,
where the quantity is ``loss``, ``delta_kj``, ``dL/dw^k_ij``, ``w^k_ij``, ``product`` or ``bound`` (indices
over 9 written as the notation writes them: ``delta_{1,10}``, ``w^2_{10,1}``).

Examples
========
>>> from gradproof.symbolic.exercise.key import parse_blank_id, blank_id, Delta
>>> from gradproof.numeric.notation import Neuron
>>> blank_id(3, Delta(Neuron("O", 1, 10)))
'3.delta_{1,10}'
>>> parse_blank_id("3.delta_{1,10}")
(3, Delta(neuron=O_{1,10}))
>>> parse_blank_id("3.dL/dw^2_{10,1}")
(3, Gradient(param=w^2_{10,1}))
"""
import json
import math
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable

from gradproof.numeric.errors import GradproofError, unknown
from gradproof.numeric.files import read_json
from gradproof.numeric.notation import Neuron, Param, parse_param, subscript
from gradproof.numeric.point import Point
from gradproof.numeric.point import from_mapping as point_from_mapping
from gradproof.numeric.spec import Spec

FORMAT = 1                  # key.json's layout version (the "format" field); fields are added, never renamed
DEFAULT_RTOL = 1e-3
SIGNIFICANT = 4             # digits a number answer is asked for (and shown with in the solutions)
DECIMALS = 8                # decimal places a new weight is asked for (the update is small next to the weight)


@dataclass(frozen=True)
class Form:
    """What an expression question's answer may use: always x, y, ŷ, O, z, w, b, λ, numbers and the activation's
    functions; with ``deltas`` the δ_kj too, with ``partials`` Leibniz partials ∂A/∂B too. ``allows``: in words."""

    name: str
    deltas: bool
    partials: bool
    allows: str


FORMS = {f.name: f for f in (
    Form("closed", False, False, "no ∂-quotient and no δ: every factor written out in x, y, O, z and the weights"),
    Form("delta", True, False, "δ's are allowed, ∂-quotients are not"),
    Form("any", True, True, "δ's and ∂-quotients are allowed"),
)}


# ---- what a blank holds ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Quantity:
    """What a blank holds, and what the student types: a number (within the blank's rtol), a whole number
    (``whole``) or an expression (``expression``: LaTeX, which only gradproof grades; a platform collects it as an
    essay). ``stage`` orders a step's tables (0 the loss and δ's, 1 the gradients, 2 the new weights)."""

    expression = False
    whole = False
    stage = 0

    @property
    def tail(self):
        """The part of the blank id after ``N.``."""
        raise NotImplementedError

    def label(self, model=None):
        """(plain text, LaTeX) of what the blank holds, as a page's table names it."""
        raise NotImplementedError

    @property
    def symbol(self):
        """LaTeX naming the value beside a platform's input (the page's label without its definition)."""
        return self.label()[1]

    @classmethod
    def parse(cls, tail):
        """The quantity a tail names, or None when it is not this class's."""
        return None


@dataclass(frozen=True)
class Loss(Quantity):
    @property
    def tail(self):
        return "loss"

    def label(self, model=None):
        return "the loss L", "L"

    @classmethod
    def parse(cls, tail):
        return cls() if tail == "loss" else None


@dataclass(frozen=True)
class Delta(Quantity):
    """δ_kj = ∂L/∂O_kj of one neuron (``neuron`` is its output O_kj)."""

    neuron: Neuron

    @property
    def tail(self):
        return f"delta_{subscript(self.neuron.layer, self.neuron.j)}"

    def label(self, model=None):
        sub = Neuron("delta", self.neuron.layer, self.neuron.j).latex.split("_", 1)[1]
        return (f"δ_{subscript(self.neuron.layer, self.neuron.j)} = ∂L/∂{self.neuron.name}",
                rf"\delta_{sub} = \partial L / \partial {self.neuron.latex}")

    @property
    def symbol(self):
        return Neuron("delta", self.neuron.layer, self.neuron.j).latex

    @classmethod
    def parse(cls, tail):
        if not tail.startswith("delta_"):
            return None
        k, j = _indices(tail[6:], 2)
        return cls(Neuron("O", k, j))


@dataclass(frozen=True)
class Gradient(Quantity):
    """∂L/∂param at the variant's point."""

    param: Param
    stage = 1

    @property
    def tail(self):
        return f"dL/d{self.param.name}"

    def label(self, model=None):
        return f"∂L/∂{self.param}", rf"\partial L / \partial {self.param.latex}"

    @classmethod
    def parse(cls, tail):
        return cls(_param(tail[4:])) if tail.startswith("dL/d") else None


@dataclass(frozen=True)
class NewWeight(Quantity):
    """The parameter after one gradient-descent step, w - eta dL/dw."""

    param: Param
    stage = 2

    @property
    def tail(self):
        return self.param.name

    def label(self, model=None):
        p = self.param
        return f"the new {p}", rf"{p.latex} - \eta\, \partial L / \partial {p.latex}"

    @classmethod
    def parse(cls, tail):
        return cls(_param(tail)) if tail[:1] in ("w", "b") else None


@dataclass(frozen=True)
class Expression(Quantity):
    """∂L/∂param as an expression (LaTeX)."""

    param: Param
    expression = True

    @property
    def tail(self):
        return f"expression_{self.param.name}"

    def label(self, model=None):
        return f"∂L/∂{self.param}", rf"\partial L / \partial {self.param.latex}"

    @classmethod
    def parse(cls, tail):
        return cls(_param(tail[11:])) if tail.startswith("expression_") else None


@dataclass(frozen=True)
class MatrixAnswer(Quantity):
    """∂L/∂W^k, ∂L/∂b^k, ∂L/∂Z^k or ∂L/∂O^k in matrix form over a batch (LaTeX), in the network's layout."""

    target: str                 # W^2, b^2, Z^2, O^1
    expression = True

    @property
    def tail(self):
        return f"matrix_{self.target}"

    def label(self, model=None):
        letter, k = self.target.split("^")
        return f"∂L/∂{self.target}", rf"\partial L / \partial {letter}^{{{k}}}"

    @classmethod
    def parse(cls, tail):
        return cls(tail[7:]) if tail.startswith("matrix_") else None


@dataclass(frozen=True)
class PathCount(Quantity):
    """The number of paths from a parameter to L."""

    param: Param
    whole = True

    @property
    def tail(self):
        return f"paths_{self.param.name}"

    def label(self, model=None):
        return f"the number of paths from {self.param} to L", rf"\#\text{{paths}}({self.param.latex} \to L)"

    @classmethod
    def parse(cls, tail):
        return cls(_param(tail[6:])) if tail.startswith("paths_") else None


@dataclass(frozen=True)
class PathProduct(Quantity):
    """The product of the local factors along one path."""

    @property
    def tail(self):
        return "product"

    def label(self, model=None):
        return "the product of the local factors", r"\prod"

    @property
    def symbol(self):
        return r"\text{the product of the local factors along the path}"

    @classmethod
    def parse(cls, tail):
        return cls() if tail == "product" else None


@dataclass(frozen=True)
class PathBound(Quantity):
    """The bound of that product, prod c_k |w|."""

    @property
    def tail(self):
        return "bound"

    def label(self, model=None):
        return "its bound", r"\prod c_k |w|"

    @property
    def symbol(self):
        return r"\text{its bound}"

    @classmethod
    def parse(cls, tail):
        return cls() if tail == "bound" else None


# the codec reads a tail with the first class that knows it (NewWeight last: any parameter name)
QUANTITIES = [Loss, Delta, Gradient, Expression, MatrixAnswer, PathCount, PathProduct, PathBound, NewWeight]


def _indices(text, count):
    """'21' -> (2, 1); '{1,10}' -> (1, 10) (the notation's subscripts)."""
    inner = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    parts = inner.split(",") if "," in inner else list(inner) if count > 1 else [inner]
    if len(parts) != count or not all(p.strip().isdigit() for p in parts):
        raise GradproofError(f"cannot read the indices {text!r}")
    return tuple(int(p) for p in parts)


def _param(text):
    return parse_param(text)


def blank_id(question, quantity=None):
    """The id of a blank: ``N`` for the question's only blank (quantity None), else ``N.<tail>``."""
    return str(question) if quantity is None else f"{question}.{quantity.tail}"


def parse_blank_id(text):
    """(question number, Quantity or None) of a blank id; an error naming the id when it is not one."""
    head, _, tail = str(text).partition(".")
    if not head.isdigit():
        raise GradproofError(f"{text!r} is not a blank id (N or N.quantity, e.g. 2 or 3.delta_21)")
    if not tail:
        return int(head), None
    for cls in QUANTITIES:
        try:
            quantity = cls.parse(tail)
        except GradproofError:
            quantity = None
        if quantity is not None:
            return int(head), quantity
    raise GradproofError(f"{text!r} is not a blank id: {tail!r} names no quantity (loss, delta_kj, dL/dw^k_ij, "
                         "w^k_ij, product, bound)")


# ---- question kinds -------------------------------------------------------------------------------
REQUIRED = object()         # a field a kind needs in the assignment file (no default)


@dataclass(frozen=True)
class Kind:
    """One kind of question: what it asks, its blanks, how they are drawn and graded, how it is set on a page.

    ``fields``: the assignment keys the kind takes besides kind, points and rtol, with their defaults
    (REQUIRED: none). ``quantities(question, spec)``: what its blanks hold, in order (one quantity: the
    blank's id is the question's number). ``draw(draws, question)``: per candidate point the answers
    [(value, rtol or None)] in the order of the quantities, and per point whether a diagnosed mistake
    would be ambiguous. ``ask(model, question, blanks, paper)`` and ``solve(sheet, model, question, blanks,
    values, derivations)``: the question's and the worked solution's blocks. ``check(question, spec,
    where)``: an error when the question does not fit the network. How a blank is graded follows its
    quantity (grading.KeyGrader's ``_grade_<Quantity>``).
    """

    name: str
    asks: str                   # one line: what the question asks for
    title: str                  # "the gradient with respect to": a platform's question title
    fields: dict
    quantities: Callable
    draw: Callable
    ask: Callable
    solve: Callable
    check: Callable = None

    def __repr__(self):
        return self.name

    def __str__(self):
        return self.name


# the registry of question kinds, by name: kinds.py holds the rows (the package imports it, so it is filled
# before anything reads a key)
KINDS = {}


def register(kind):
    """Add a kind (a Kind row); its name must be new."""
    if kind.name in KINDS:
        raise GradproofError(f"question kind {kind.name!r} exists already")
    KINDS[kind.name] = kind
    return kind


def kind_named(name, where="question"):
    """The Kind of a name; an error naming where and the valid kinds when there is none."""
    if name not in KINDS:
        raise GradproofError(f"{where}: {unknown('kind', name, KINDS)}")
    return KINDS[name]


# ---- the model ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """One question of the assignment, numbered from 1 in the file's order."""

    number: int
    kind: Kind
    points: float
    param: Param | None = None
    params: tuple = ()          # step: the parameters whose gradient and update are asked
    rtol: float = DEFAULT_RTOL
    lr: float | None = None
    path: int = 1               # flow: which of the parameter's paths (1-based, in the sheets' order)
    forms: str = "closed"       # expression: what the answer may use (FORMS)
    target: str | None = None   # matrix: the matrix whose gradient is asked (W^2, b^2, Z^2, O^1)

    @property
    def id(self):
        return str(self.number)

    def quantities(self, spec):
        return tuple(self.kind.quantities(self, spec))

    def blank_ids(self, spec):
        quantities = self.quantities(spec)
        if len(quantities) == 1:
            return [blank_id(self.number)]
        return [blank_id(self.number, q) for q in quantities]

    def to_json(self, blanks):
        entry = {"question": self.id, "kind": self.kind.name}
        if self.param is not None:
            entry["param"] = str(self.param)
        if "lr" in self.kind.fields:
            entry["lr"] = self.lr
        if "params" in self.kind.fields:
            entry["params"] = [str(p) for p in self.params]
        if "path" in self.kind.fields:
            entry["path"] = self.path
        if "forms" in self.kind.fields:
            entry["forms"] = self.forms
        if "target" in self.kind.fields:
            entry["target"] = self.target
        entry["points"] = self.points
        entry["blanks"] = [b.to_json() for b in blanks]
        return entry


@dataclass(frozen=True)
class Blank:
    """One value asked: its question, what it holds, the answer, its tolerance (None: exact) and its points."""

    question: int
    quantity: Quantity
    answer: object
    points: float
    rtol: float | None = None
    alone: bool = False         # the question's only blank: its id is the question's number

    @property
    def id(self):
        return blank_id(self.question, None if self.alone else self.quantity)

    @property
    def expression(self):
        return self.quantity.expression

    @property
    def whole(self):
        return self.quantity.whole

    def label(self, model=None):
        return self.quantity.label(model)

    def to_json(self):
        out = {"blank": self.id, "answer": self.answer}
        if self.rtol is not None:
            out["rtol"] = self.rtol
        out["points"] = self.points
        return out


@dataclass
class Variant:
    """One student's variant: its number, its id (v<n>-<hash>), its point and its blanks per question."""

    number: int
    id: str
    point: Point
    blanks: dict = field(default_factory=dict)      # question number -> tuple of Blanks

    def all_blanks(self):
        return [b for n in sorted(self.blanks) for b in self.blanks[n]]


RETRY = "retry"             # [grading] blank/unreadable = "retry": such an answer costs nothing (the student answers again)
FEEDBACK_LEVELS = ("full", "diagnosis", "verdict")
# [grading]'s settings besides the mistakes' shares, with their defaults
SETTINGS = {"carried": 1.0, "blank": 0, "unreadable": 0, "feedback": "diagnosis", "decimals": 2}


@dataclass(frozen=True)
class Grading:
    """The scoring rules, one object for totals.csv, the report and every platform: the share of a blank's points
    each diagnosed mistake keeps, the share a carried-forward answer keeps, what an empty or unreadable answer
    costs, how much the feedback says and how scores are rounded (once, from exact fractions)."""

    shares: dict = field(default_factory=dict)
    carried: float = SETTINGS["carried"]
    blank: object = SETTINGS["blank"]               # 0 (scores 0 of the blank's points) or RETRY (costs nothing)
    unreadable: object = SETTINGS["unreadable"]
    feedback: str = SETTINGS["feedback"]
    decimals: int = SETTINGS["decimals"]

    def share(self, codes):
        """The share a diagnosis keeps: the product of its mistakes' shares (0 when none is named or one is not
        listed)."""
        if not codes:
            return 0.0
        return math.prod(float(self.shares.get(c, 0.0)) for c in codes)

    def score(self, points, verdict, codes=(), carried=False, empty=False):
        """(score, max_score) of one blank as exact fractions: ``points`` a Fraction; ``verdict`` correct,
        incorrect or invalid; ``carried``: correct from the student's own earlier answers; ``empty``: no answer."""
        if verdict == "correct":
            return points * _exact(self.carried) if carried else points, points
        if verdict == "incorrect":
            return points * _exact(self.share(codes)), points
        rule = self.blank if empty else self.unreadable
        return (Fraction(0), Fraction(0)) if rule == RETRY else (Fraction(0), points)

    def costs_nothing(self, empty=False):
        return (self.blank if empty else self.unreadable) == RETRY

    def rounded(self, value):
        """A score as reported: rounded once, to ``decimals``, half up."""
        quantum = Decimal(1).scaleb(-self.decimals)
        exact = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else Decimal(str(value))
        return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))

    def summary(self):
        """The rules in one paragraph, for a report or a platform's instructions."""
        def cost(rule, what):
            return f"{what} costs nothing (the student answers again)" if rule == RETRY else f"{what} scores 0"
        return (f"Scoring: {cost(self.blank, 'a blank with no answer')}; {cost(self.unreadable, 'an unreadable one')}; "
                "the last answer to a blank counts; a mistake keeps the share of the points set for it when its "
                f"value explains the answer; an answer carried forward from the student's own earlier answers keeps "
                f"{self.carried:g} of its points; totals are exact and rounded once to {self.decimals} decimals.")

    def to_json(self):
        out = dict(self.shares)
        out.update({name: getattr(self, name) for name in SETTINGS if getattr(self, name) != SETTINGS[name]})
        return out

    @classmethod
    def from_json(cls, data):
        settings = {k: v for k, v in data.items() if k in SETTINGS}
        return cls({k: v for k, v in data.items() if k not in SETTINGS}, **settings)


def _exact(share):
    return Fraction(str(share)) if isinstance(share, float) else Fraction(share)


def blank_points(question, count):
    """A blank's exact share of its question's points (the points shared equally among the blanks)."""
    return _exact(question.points) / count


@dataclass(frozen=True)
class Assignment:
    """The assignment; ``variants`` holds the drawn variants (empty until drawn), ``count`` how many to draw."""

    title: str
    seed: int
    count: int
    questions: tuple
    spec: Spec
    grading: Grading = field(default_factory=Grading)
    variants: tuple = ()

    def with_variants(self, variants):
        return replace(self, variants=tuple(variants), count=len(variants))

    def question(self, number):
        return next(q for q in self.questions if q.number == number)

    @property
    def points(self):
        return sum(q.points for q in self.questions)

    def to_json(self):
        """key.json's document."""
        out = {"title": self.title, "seed": self.seed, "network": self.spec.to_json(), "format": FORMAT,
               "grading": self.grading.to_json(), "variants": []}
        for v in self.variants:
            out["variants"].append({"variant": v.id, "number": v.number, "point": v.point.to_json(),
                                    "questions": [q.to_json(v.blanks[q.number]) for q in self.questions]})
        return out

    def dumps(self):
        """key.json's text."""
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n"


# ---- reading key.json -----------------------------------------------------------------------------
def _need(data, name, kind, where):
    if name not in data or not isinstance(data[name], kind):
        raise GradproofError(f"{where}: not an exercise key (no {name!r})")
    return data[name]


def _question_of(entry, spec, where):
    if not isinstance(entry, dict) or not isinstance(entry.get("question"), str) or not entry["question"].isdigit():
        raise GradproofError(f"{where}: a question entry needs \"question\": \"N\"")
    kind = kind_named(entry.get("kind"), where)
    number = int(entry["question"])
    param = _param(entry["param"]) if entry.get("param") is not None else None
    params = tuple(_param(p) for p in entry.get("params", ()))
    blanks = entry.get("blanks") or []
    rtol = next((b["rtol"] for b in blanks if isinstance(b, dict) and "rtol" in b), DEFAULT_RTOL)
    return Question(number, kind, entry.get("points", 1), param, params, rtol, entry.get("lr"),
                    int(entry.get("path", 1)), entry.get("forms", "closed"), entry.get("target"))


def _blanks_of(question, entry, spec, where):
    quantities = question.quantities(spec)
    alone = len(quantities) == 1
    by_id = {blank_id(question.number, None if alone else q): q for q in quantities}
    out = []
    for b in entry.get("blanks") or []:
        if not isinstance(b, dict) or b.get("blank") not in by_id:
            raise GradproofError(f"{where}: question {question.id} has no blank {shown_id(b)}; its blanks: "
                                 + ", ".join(by_id))
        out.append(Blank(question.number, by_id[b["blank"]], b.get("answer"), b.get("points", question.points / len(quantities)),
                         b.get("rtol"), alone))
    return tuple(out)


def shown_id(b):
    return repr(b.get("blank")) if isinstance(b, dict) else repr(b)


def from_json(data, source="key"):
    """An Assignment with its variants from key.json's document (or a platform's one-question part of it)."""
    if not isinstance(data, dict) or not isinstance(data.get("variants"), list) or "network" not in data:
        raise GradproofError(f"{source}: not an exercise key (no network and variants)")
    version = data.get("format", FORMAT)
    if version != FORMAT:
        raise GradproofError(f"{source}: key format {version!r} is not one this gradproof reads ({FORMAT}); "
                             "regenerate the key with this gradproof's 'exercise' command")
    spec = Spec.from_json(data["network"], source=source)
    grading = data.get("grading") or {}
    if not isinstance(grading, dict):
        raise GradproofError(f"{source}: \"grading\" must map mistakes to shares")
    questions, variants = None, []
    for n, v in enumerate(data["variants"], 1):
        where = f"{source} variant {n}"
        if not isinstance(v, dict) or not isinstance(v.get("variant"), str) or not isinstance(v.get("questions"), list):
            raise GradproofError(f"{where}: a variant needs \"variant\", \"point\" and \"questions\"")
        mine = tuple(_question_of(e, spec, where) for e in v["questions"])
        if questions is None:
            questions = mine
        point = point_from_mapping(v.get("point"), spec, source=f"{source} {v['variant']}")
        blanks = {q.number: _blanks_of(q, e, spec, where) for q, e in zip(mine, v["questions"])}
        variants.append(Variant(int(v.get("number", n)), v["variant"], point, blanks))
    return Assignment(str(data.get("title", "")), int(data.get("seed", 0)), len(variants), questions or (), spec,
                      Grading.from_json(grading), tuple(variants))


def load(path):
    """Read key.json; an error naming the file when it is missing or not a key."""
    return from_json(read_json(path, "key file"), source=str(path))


def write(assignment, path):
    Path(path).write_text(assignment.dumps(), encoding="utf-8")
