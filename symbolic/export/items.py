"""An exercise folder read for export: per assignment question, one item per variant, with its blanks.

Every platform writer reads this one model. It comes from what ``gradproof exercise`` wrote: key.json
(answers, tolerances, points, the shares of partial credit) and each variant's question.md and
solution.md (turned into HTML with math for MathJax, markup.py). Each numeric blank also carries the
values of its diagnosed mistakes at the variant's point, with the share of the points each keeps and a
sentence naming it, from the same key grader that ``gradproof grade --key`` uses
(:class:`gradproof.symbolic.exercise.grading.KeyGrader`), so that a platform's partial credit and
feedback agree with gradproof's.
"""
import functools
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Neuron, parse_param

from ..grade import diagnosis
from . import markup

# Moodle accepts only these fractions (percent) for an answer (question_bank::fraction_options_full)
FRACTIONS = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571,
             12.5, 11.11111, 10, 5, 0)
KINDS_WITH_NUMBERS = ("gradient", "step", "paths", "flow")


def moodle_fraction(share):
    """The Moodle fraction (percent) nearest to a share in [0, 1]."""
    return min(FRACTIONS, key=lambda f: abs(f - 100 * share))


@dataclass
class Mistake:
    codes: tuple
    value: float
    share: float
    sentence: str


@dataclass
class Blank:
    id: str
    kind: str                   # "number", "integer" or "expression"
    answer: object
    points: float
    rtol: float = 0.0
    mistakes: list = field(default_factory=list)

    @property
    def tolerance(self):
        """The absolute tolerance a platform compares with (the key's rtol relative to the answer)."""
        if self.kind == "integer":
            return 0
        return float(f"{self.rtol * abs(self.answer):.3g}") if self.answer else self.rtol

    @property
    def label_latex(self):
        tail = self.id.split(".", 1)[1] if "." in self.id else ""
        if tail == "loss":
            return "L"
        if tail.startswith("delta_"):
            n = Neuron("O", int(tail[6]), int(tail[7:]))
            return r"\delta_{" + n.latex.split("_", 1)[1].strip("{}") + "}"
        if tail.startswith("dL/d"):
            return r"\partial L / \partial " + parse_param(tail[4:]).latex
        if tail == "product":
            return r"\text{the product of the local factors along the path}"
        if tail == "bound":
            return r"\text{its bound}"
        if tail:
            return parse_param(tail).latex + r" - \eta\, \partial L / \partial " + parse_param(tail).latex
        return ""

    @property
    def label_html(self):
        latex = self.label_latex
        return f"blank {self.id}: \\({latex}\\)" if latex else f"blank {self.id}"

    @property
    def label_text(self):
        return f"blank {self.id}"

    def graded_answers(self):
        """(value, Moodle fraction, feedback) for the correct answer, then each diagnosed mistake."""
        rows = [(self.answer, 100, "Correct.")]
        for m in self.mistakes:
            fraction = moodle_fraction(m.share)
            credit = f" Partial credit: {fraction:g}% of the points." if fraction else ""
            rows.append((m.value, fraction, m.sentence + credit))
        return rows


@dataclass
class Item:
    question: str
    variant: str
    number: int
    kind: str
    points: float
    text_html: str
    solution_html: str
    blanks: list
    title: str

    @property
    def name(self):
        return f"{self.title}, {self.variant}"

    @property
    def idnumber(self):
        return f"{self.variant}-q{self.question}"

    @property
    def grader_info_html(self):
        keys = "".join(f"<li>blank {b.id}: \\({b.answer}\\)</li>" for b in self.blanks)
        return (f"<p>Key ({self.variant}): any expression equal to this one is correct.</p><ul>{keys}</ul>"
                f"<p>Check an answer, with a diagnosis of its mistake: <code>gradproof grade --key key.json "
                f"--batch answers.csv</code> (rows id,variant,question,answer).</p>")


@dataclass
class Question:
    id: str
    kind: str
    title: str
    points: float
    items: list

    @property
    def summary_html(self):
        return f"<p>{len(self.items)} variants of question {self.id} ({self.kind}), one per student.</p>"


@dataclass
class Assignment:
    folder: Path
    key: dict
    title: str
    seed: int
    questions: list
    key_digest: str

    @property
    def points(self):
        return sum(q.points for q in self.questions)

    @property
    def description_html(self):
        v = len(self.key["variants"])
        return (f"<p>{markup._plain(self.title)}: {len(self.questions)} questions, {v} variants "
                f"(seed {self.seed}), generated by gradproof.</p>")


def read_key(folder):
    """key.json of a folder written by ``gradproof exercise``, or an error saying why it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradproofError(f"{folder}: no such folder (give a folder written by 'gradproof exercise')")
    path = folder / "key.json"
    if not path.is_file():
        raise GradproofError(f"{folder} was not written by 'gradproof exercise': it has no key.json")
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GradproofError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(key, dict) or not {"title", "network", "variants"} <= set(key) \
            or not isinstance(key["variants"], list) or not key["variants"]:
        raise GradproofError(f"{path} is not an exercise key (it needs title, network and variants)")
    for v in key["variants"]:
        page = folder / "variants" / str(v.get("variant")) / "question.md"
        if not page.is_file():
            raise GradproofError(f"{folder} was not written by 'gradproof exercise': {page.relative_to(folder)} "
                                 "is missing")
    return key


def _mistakes(grader, question, blank, variant, shares):
    """The diagnosed mistakes of a numeric blank at its variant's point, nearest first, deduplicated."""
    table = grader.mistake_table(variant, blank["blank"])
    answer = float(blank["answer"])
    tol = float(blank.get("rtol", 1e-3)) * max(abs(answer), 1e-12)
    rtol = float(blank.get("rtol", 1e-3))
    found = []
    for value, keep in zip(table.matrix[:, 0], table.keep):
        if not keep or not np.isfinite(value):
            continue
        if abs(value - answer) <= 2 * tol or any(abs(value - m.value) <= 2 * tol for m in found):
            continue                # the key guarantees the first; the second would never be reached
        # the diagnosis the key grader gives this value (where two mistakes give one value, its choice)
        codes, _ = table.match(np.array([value]), rtol=rtol)
        share = math.prod(float(shares.get(c, 0.0)) for c in codes)
        if not codes or (len(codes) > 1 and share == 0):
            continue
        sentence = " ".join(diagnosis.SENTENCES[c] for c in codes)
        found.append(Mistake(tuple(codes), float(value), share, sentence))
    return sorted(found, key=lambda m: -m.share)


def load(folder):
    """The Assignment model of an exercise folder (kept while its key.json is unchanged: the mistakes' values
    cost a second or more per 30 variants, and several exports of one folder read the same model)."""
    folder = Path(folder).resolve()
    key_path = folder / "key.json"
    stamp = (key_path.stat().st_mtime_ns, key_path.stat().st_size) if key_path.is_file() else None
    return _load(folder, stamp)


@functools.lru_cache(maxsize=4)
def _load(folder, stamp):
    from ..exercise.grading import KeyGrader
    key = read_key(folder)
    grader = KeyGrader(key, source=str(folder / "key.json"))
    shares = dict(key.get("grading") or {})
    first = key["variants"][0]["questions"]
    questions = [Question(q["question"], q["kind"], _title(q), float(q["points"]), []) for q in first]
    for number, v in enumerate(key["variants"], 1):
        vid = v["variant"]
        page = markup.sections((folder / "variants" / vid / "question.md").read_text(encoding="utf-8"))
        solution_md = folder / "variants" / vid / "solution.md"
        solution = markup.sections(solution_md.read_text(encoding="utf-8")) if solution_md.is_file() else {}
        for question, q in zip(questions, v["questions"]):
            blanks = []
            for b in q["blanks"]:
                kind = "expression" if q["kind"] == "expression" else "integer" if q["kind"] == "paths" else "number"
                blank = Blank(b["blank"], kind, b["answer"], float(b.get("points", q["points"])),
                              float(b.get("rtol", 0.0)))
                if kind == "number":
                    blank.mistakes = _mistakes(grader, q, b, vid, shares)
                blanks.append(blank)
            text = markup.html(page[""], shift=1) + "\n" + markup.html(page.get(q["question"], ""), shift=1)
            worked = markup.html(solution.get(q["question"], ""), shift=1) or \
                "<p>The worked solution is in solutions.html of the exercise folder.</p>"
            question.items.append(Item(q["question"], vid, number, q["kind"], float(q["points"]), text, worked,
                                       blanks, question.title))
    digest = hashlib.sha256((folder / "key.json").read_bytes()).hexdigest()[:16]
    return Assignment(folder, key, key["title"], key.get("seed", 0), questions, digest)


def _title(q):
    what = {"expression": "the chain rule for", "gradient": "the gradient with respect to", "step": "one update",
            "paths": "the paths from", "flow": "the chain of local factors from"}[q["kind"]]
    return f"Question {q['question']}: {what} {q['param']}" if q.get("param") else f"Question {q['question']}: {what}"
