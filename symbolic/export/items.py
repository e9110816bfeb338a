"""An exercise folder read for export: per assignment question, one item per variant, with its inputs.

Every platform writer reads this one model. It comes from the exercise model (key.json, read by
:mod:`gradproof.symbolic.exercise.key`), and each item's text and worked solution are the same sheet
blocks as the variant's question and solution pages (exercise/pages.py), rendered with LaTeX math for the
platforms' MathJax (sheet/mathjax.py). Each numeric input also carries the values of its diagnosed mistakes
at the variant's point, with the share of the points each keeps and a sentence naming it, from the same key
grader that ``gradproof grade --key`` uses (:class:`gradproof.symbolic.exercise.grading.KeyGrader`), so
that a platform's partial credit and feedback agree with gradproof's.
"""
import functools
import hashlib
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np

from gradproof.numeric.errors import GradproofError

from ..exercise import key as exercise_key
from ..exercise import pages
from ..grade import diagnosis
from ..sheet import mathjax

# Moodle accepts only these fractions (percent) for an answer (question_bank::fraction_options_full)
FRACTIONS = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571,
             12.5, 11.11111, 10, 5, 0)


def moodle_fraction(share):
    """The Moodle fraction (percent) nearest to a share in [0, 1]."""
    return min(FRACTIONS, key=lambda f: abs(f - 100 * share))


@dataclass
class Alternative:
    """A wrong value a platform lists beside the answer: a diagnosed mistake's value, its share, its sentence."""

    codes: tuple
    value: float
    share: float
    sentence: str


@dataclass
class Input:
    """One blank as a platform's input: what is typed ("number", "integer" or "expression"), the answer,
    the points, the tolerance and the diagnosed mistakes' values."""

    blank: exercise_key.Blank
    mistakes: list = field(default_factory=list)

    @property
    def id(self):
        return self.blank.id

    @property
    def type(self):
        return self.blank.type

    @property
    def answer(self):
        return self.blank.answer

    @property
    def points(self):
        return float(self.blank.points)

    @property
    def rtol(self):
        return float(self.blank.rtol or 0.0)

    @property
    def tolerance(self):
        """The absolute tolerance a platform compares with (the key's rtol relative to the answer)."""
        if self.type == "integer":
            return 0
        return float(f"{self.rtol * abs(self.answer):.3g}") if self.answer else self.rtol

    @property
    def label_latex(self):
        if self.blank.alone:
            return ""
        return self.blank.quantity.symbol

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
    """One variant of one question: its text and worked solution (HTML with MathJax math) and its inputs."""

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
    def essay(self):
        """An answer the platform cannot grade itself (an expression): a teacher grades it with gradproof."""
        return any(b.type == "expression" for b in self.blanks)

    @property
    def grader_info_html(self):
        keys = "".join(f"<li>blank {b.id}: \\({b.answer}\\)</li>" for b in self.blanks)
        return (f"<p>Key ({self.variant}): any expression equal to this one is correct.</p><ul>{keys}</ul>"
                f"<p>Check an answer, with a diagnosis of its mistake: <code>gradproof grade --key key.json "
                f"--batch answers.csv</code> (rows id,variant,question,answer).</p>")


@dataclass
class Bank:
    """One assignment question as a bank of its variants (a platform draws one per student)."""

    id: str
    kind: str
    title: str
    points: float
    items: list

    @property
    def essay(self):
        return bool(self.items) and self.items[0].essay

    @property
    def summary_html(self):
        return f"<p>{len(self.items)} variants of question {self.id} ({self.kind}), one per student.</p>"


@dataclass
class Export:
    """What every platform writer reads: the exercise model, its key document, and one Bank per question."""

    folder: Path
    assignment: exercise_key.Assignment
    key: dict                   # key.json's document, as the exercise model writes it
    title: str
    seed: int
    questions: list
    key_digest: str

    @property
    def spec(self):
        return self.assignment.spec

    @property
    def points(self):
        return sum(q.points for q in self.questions)

    @property
    def description_html(self):
        v = len(self.assignment.variants)
        return (f"<p>{escape(self.title, quote=False)}: {len(self.questions)} questions, {v} variants "
                f"(seed {self.seed}), generated by gradproof.</p>")


def read_key(folder):
    """The exercise model of a folder written by ``gradproof exercise``, or an error saying why it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradproofError(f"{folder}: no such folder (give a folder written by 'gradproof exercise')")
    path = folder / "key.json"
    if not path.is_file():
        raise GradproofError(f"{folder} was not written by 'gradproof exercise': it has no key.json")
    assignment = exercise_key.load(path)
    if not assignment.variants:
        raise GradproofError(f"{path} is not an exercise key: it has no variants")
    return assignment


def _mistakes(grader, blank, variant, grading):
    """The diagnosed mistakes of a numeric blank at its variant's point, nearest first, deduplicated."""
    table = grader.mistake_table(variant, blank.id)
    answer = float(blank.answer)
    rtol = float(blank.rtol or exercise_key.DEFAULT_RTOL)
    tol = rtol * max(abs(answer), 1e-12)
    found = []
    for value, keep in zip(table.matrix[:, 0], table.keep):
        if not keep or not np.isfinite(value):
            continue
        if abs(value - answer) <= 2 * tol or any(abs(value - m.value) <= 2 * tol for m in found):
            continue                # the key guarantees the first; the second would never be reached
        # the diagnosis the key grader gives this value (where two mistakes give one value, its choice)
        codes, _ = table.match(np.array([value]), rtol=rtol)
        share = grading.share(codes)
        if not codes or (len(codes) > 1 and share == 0):
            continue
        sentence = " ".join(diagnosis.SENTENCES[c] for c in codes)
        found.append(Alternative(tuple(codes), float(value), share, sentence))
    return sorted(found, key=lambda m: -m.share)


def load(folder):
    """The Export model of an exercise folder (kept while its key.json is unchanged: the mistakes' values
    cost a second or more per 30 variants, and several exports of one folder read the same model)."""
    folder = Path(folder).resolve()
    key_path = folder / "key.json"
    stamp = (key_path.stat().st_mtime_ns, key_path.stat().st_size) if key_path.is_file() else None
    return _load(folder, stamp)


@functools.lru_cache(maxsize=4)
def _load(folder, stamp):
    from ..exercise.grading import KeyGrader
    from ..exercise.output import Derivations
    assignment = read_key(folder)
    grader = KeyGrader(assignment, source=str(folder / "key.json"))
    model, derivations = grader.model, Derivations(grader)
    total = len(assignment.variants)
    banks = [Bank(q.id, q.kind.name, _title(q), float(q.points), []) for q in assignment.questions]
    for v in assignment.variants:
        intro = mathjax.fragment(pages.question_intro(assignment, model, v, total), shift=1)
        values = pages.solution_values(assignment, model, v, derivations)
        for bank, q in zip(banks, assignment.questions):
            inputs = []
            for b in v.blanks[q.number]:
                found = _mistakes(grader, b, v.id, assignment.grading) if b.type == "number" else []
                inputs.append(Input(b, found))
            text = intro + "\n" + mathjax.fragment(pages.ask(model, q, v, paper=False), shift=1)
            worked = mathjax.fragment(pages.solve(model, q, v, values, derivations), shift=1)
            bank.items.append(Item(q.id, v.id, v.number, q.kind.name, float(q.points), text, worked, inputs,
                                   bank.title))
    digest = hashlib.sha256((folder / "key.json").read_bytes()).hexdigest()[:16]
    return Export(folder, assignment, assignment.to_json(), assignment.title, assignment.seed, banks, digest)


def _title(q):
    what = q.kind.title
    return f"Question {q.id}: {what} {q.param}" if q.param is not None else f"Question {q.id}: {what}"
