"""Grade a class against an exercise key: a CSV of rows id,variant,question,answer, each graded at its own
variant's point, on every core; results per row, totals per student.

Results: id, variant, question, score, max_score, verdict, diagnosis (codes joined by ';'), feedback
(Markdown, with the counterexample at the variant's point). Totals: id, variant, score, max_score (of the
gradable answers), possible (the variant's points), answered, not_gradable. Every cell a spreadsheet could
take for a formula is kept as text (numeric.batch.spreadsheet_safe).

A row whose variant is not in the key, or whose question is not one of its variant's blanks, is bad input
(the key does not match the answers): the whole batch stops with one line naming the row.
"""
from dataclasses import replace

from gradproof.numeric import batch
from gradproof.numeric.errors import GradproofError

from ..grade.parser import shown
from .grading import Graded, KeyGrader  # noqa: F401  (KeyGrader: the command's entry)

COLUMNS = ("id", "variant", "question", "answer")
RESULT_COLUMNS = ("id", "variant", "question", "score", "max_score", "verdict", "diagnosis", "feedback")
TOTAL_COLUMNS = ("id", "variant", "score", "max_score", "possible", "answered", "not_gradable")
GROUP = 50


def read_rows(path):
    """[(row number, id, variant, question, answer)] from a CSV whose header names id, variant, question, answer."""
    header, records = batch.read_csv(path)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise GradproofError(f"{path}: with --key the header must name the columns id,variant,question,answer; "
                             f"missing: {', '.join(missing)} (found: {', '.join(shown(h) for h in header) or 'nothing'})")
    where = {c: header.index(c) for c in COLUMNS}
    rows = []
    for number, record in records:
        if not isinstance(record, list):
            raise GradproofError(f"{path}: row {number} is not valid CSV: {record}")
        cells = {c: record[where[c]] if where[c] < len(record) else "" for c in COLUMNS}
        ident = cells["id"].strip() or f"row {number}"
        rows.append((number, ident, cells["variant"].strip(), cells["question"].strip(), cells["answer"]))
    return rows


def check_rows(grader, rows, path):
    """Every row's variant and question must be in the key: an error naming the first row that is not."""
    for number, _, variant, question, _ in rows:
        try:
            grader.check(variant, question)
        except GradproofError as error:
            raise GradproofError(f"{path} row {number}: {error}; the key does not match the answers") from None


def grade_rows(grader, rows, jobs=None, progress=None):
    """Graded results for rows, in their order; rows grouped by variant so a worker prepares a variant once.
    ``progress``: the unit of a progress bar on a terminal ("answers"), or None."""
    results = batch.run(rows, lambda: lambda row: grader.grade(*row[2:]), jobs=jobs, key=lambda row: row[2],
                        group=GROUP, memo=lambda row: row[2:], failed=_not_gradable, prepare=grader.prepare,
                        progress=progress)
    return [replace(g, id=row[1], diagnosis=list(g.diagnosis)) for g, row in zip(results, rows)]


def _not_gradable(row, error):
    """One answer must not stop a class: what grading raised makes it not gradable (bad input stops it)."""
    if isinstance(error, GradproofError):
        raise error
    return Graded(row[2], row[3], 0.0, 0.0, "invalid", [],
                  f"**Invalid** (this answer costs nothing): could not grade it ({type(error).__name__}).")


def to_csv(results):
    return batch.to_csv(RESULT_COLUMNS, ([r.id, r.variant, r.question, r.score, r.max_score, r.verdict,
                                         ";".join(r.diagnosis), r.feedback] for r in results))


def totals(grader, results):
    """Per student (id, in order of first appearance): their variant, score, max_score and counts."""
    table = {}
    for r in results:
        t = table.setdefault(r.id, {"id": r.id, "variant": r.variant, "score": 0.0, "max_score": 0.0,
                                    "possible": grader.total_points(r.variant), "answered": 0, "not_gradable": 0})
        t["score"] += r.score
        t["max_score"] += r.max_score
        t["answered"] += 1
        t["not_gradable"] += not r.gradable
    for t in table.values():
        t["score"], t["max_score"] = round(t["score"], 9), round(t["max_score"], 9)
    return list(table.values())


def totals_csv(rows):
    return batch.to_csv(TOTAL_COLUMNS, ([t[c] for c in TOTAL_COLUMNS] for t in rows))


def to_json(results):
    return batch.to_json(r.to_json() for r in results)
