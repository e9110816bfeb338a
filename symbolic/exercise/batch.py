"""Grade a class against an exercise key: a CSV of rows id,variant,question,answer, each graded at its own
variant's point, on every core; results per row, totals per student.

Results: id, variant, question, score, max_score, verdict, diagnosis (codes joined by ';'), feedback
(Markdown, with the counterexample at the variant's point). Totals: id, variant, score, max_score (of the
gradable answers), possible (the variant's points), answered, not_gradable. Every cell a spreadsheet could
take for a formula is kept as text (grade.batch.spreadsheet_safe).

A row whose variant is not in the key, or whose question is not one of its variant's blanks, is bad input
(the key does not match the answers): the whole batch stops with one line naming the row.
"""
import csv
import io
import os

from gradproof.numeric.errors import GradproofError

from ..grade.batch import spreadsheet_safe
from ..grade.parser import shown
from .grading import Graded, KeyGrader  # noqa: F401  (KeyGrader: the command's entry)

COLUMNS = ("id", "variant", "question", "answer")
RESULT_COLUMNS = ("id", "variant", "question", "score", "max_score", "verdict", "diagnosis", "feedback")
TOTAL_COLUMNS = ("id", "variant", "score", "max_score", "possible", "answered", "not_gradable")
GROUP = 50

_worker = {}


def read_rows(path):
    """[(row number, id, variant, question, answer)] from a CSV whose header names id, variant, question, answer."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise GradproofError(f"answers file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GradproofError(f"cannot read answers file {str(path)!r}: {error}") from None
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text))
        try:
            header = [h.strip() for h in next(reader, [])]
        except csv.Error as error:
            raise GradproofError(f"{path}: the header is not valid CSV: {error}") from None
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise GradproofError(f"{path}: with --key the header must name the columns id,variant,question,answer; "
                                 f"missing: {', '.join(missing)} (found: {', '.join(shown(h) for h in header) or 'nothing'})")
        where = {c: header.index(c) for c in COLUMNS}
        rows = []
        while True:
            number = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise GradproofError(f"{path}: row {number} is not valid CSV: {error}") from None
            if not record or not any(cell.strip() for cell in record):
                continue
            cells = {c: record[where[c]] if where[c] < len(record) else "" for c in COLUMNS}
            ident = cells["id"].strip() or f"row {number}"
            rows.append((number, ident, cells["variant"].strip(), cells["question"].strip(), cells["answer"]))
        return rows
    finally:
        csv.field_size_limit(previous)


def check_rows(grader, rows, path):
    """Every row's variant and question must be in the key: an error naming the first row that is not."""
    for number, _, variant, question, _ in rows:
        try:
            grader.check(variant, question)
        except GradproofError as error:
            raise GradproofError(f"{path} row {number}: {error}; the key does not match the answers") from None


def _start(grader):
    _worker["grader"] = grader
    _worker["seen"] = {}


def _grade_group(task):
    grader, seen = _worker["grader"], _worker["seen"]
    out = []
    for index, (number, ident, variant, question, answer) in task:
        key = (variant, question, answer)
        if key not in seen:
            try:
                seen[key] = grader.grade(variant, question, answer)
            except GradproofError:
                raise
            except Exception as error:  # noqa: BLE001  one answer must not stop a class: it is not gradable
                seen[key] = Graded(variant, question, 0.0, 0.0, "invalid", [],
                                   f"**Not gradable** (this answer costs nothing): could not grade it "
                                   f"({type(error).__name__}).")
        g = seen[key]
        out.append((index, Graded(g.variant, g.question, g.score, g.max_score, g.verdict, list(g.diagnosis),
                                  g.feedback, g.parsed_latex, ident)))
    return out


def grade_rows(grader, rows, jobs=None, progress=None):
    """Graded results for rows, in their order; rows grouped by variant so a worker prepares a variant once."""
    by_variant = {}
    for index, row in enumerate(rows):
        by_variant.setdefault(row[2], []).append((index, row))
    tasks = []
    for items in by_variant.values():
        tasks += [items[i:i + GROUP] for i in range(0, len(items), GROUP)]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    results = [None] * len(rows)
    done = 0
    if jobs == 1:
        _start(grader)
        outputs = map(_grade_group, tasks)
        pool = None
    else:
        import multiprocessing
        grader.prepare()             # the derivations and their variants, built once before the fork
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_start, initargs=(grader,))
        outputs = pool.imap_unordered(_grade_group, tasks)
    try:
        for output in outputs:
            for index, graded in output:
                results[index] = graded
            done += len(output)
            if progress:
                progress(done, len(rows))
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return results


def _csv(header, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(_cell(v)) for v in row])
    return out.getvalue()


def _cell(value):
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def to_csv(results):
    return _csv(RESULT_COLUMNS, ([r.id, r.variant, r.question, r.score, r.max_score, r.verdict,
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
    return _csv(TOTAL_COLUMNS, ([t[c] for c in TOTAL_COLUMNS] for t in rows))


def to_json(results):
    import json
    return json.dumps([r.to_json() for r in results], indent=1, ensure_ascii=False) + "\n"
