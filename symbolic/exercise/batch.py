"""Grade a class against an exercise key: a CSV of rows id,variant,question,answer (and optionally time), each
graded at its own variant's point, on every core; results per row, totals per student.

Results: id, variant, question, score, max_score, verdict, diagnosis (codes joined by ';'), feedback
(Markdown), counted (no: a later answer to the same blank replaces it, or the row is under a variant not the
student's). Totals: id, variant, score, max_score, possible (the variant's points), answered, not_gradable,
and one column per question (q1, q2, ...) for a gradebook. Every cell a spreadsheet could take for a formula
is kept as text (numeric.batch.spreadsheet_safe).

The scoring rules are the key's (key.Grading, applied by KeyGrader.complete for each student): per blank the
last row counts (the latest ``time`` when the answers have that column), never a sum; a blank with no answer,
and an unreadable one, scores 0 of its points unless [grading] says "retry"; a step's later blanks are
carried forward from the student's own earlier answers. A row whose variant or blank is not in the key is its
own invalid row (the rest of the class is graded); only a file in which no row matches the key stops.
"""
from dataclasses import replace
from fractions import Fraction

from gradproof.numeric import batch
from gradproof.numeric.errors import GradproofError

from ..grade.parser import shown
from .grading import Graded, KeyGrader  # noqa: F401  (KeyGrader: the command's entry)

COLUMNS = ("id", "variant", "question", "answer")
RESULT_COLUMNS = ("id", "variant", "question", "score", "max_score", "verdict", "diagnosis", "feedback", "counted")
TOTAL_COLUMNS = ("id", "variant", "score", "max_score", "possible", "answered", "not_gradable")
ROSTER_COLUMNS = ("id", "variant")
GROUP = 50


def read_rows(path):
    """[(row number, id, variant, question, answer, time)] from a CSV whose header names id, variant, question,
    answer (time: an optional column; the latest answer to a blank counts). A row that is not valid CSV keeps its
    place, with the error as its answer's reason (an invalid row)."""
    header, records = batch.read_csv(path)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise GradproofError(f"{path}: with --key the header must name the columns id,variant,question,answer; "
                             f"missing: {', '.join(missing)} (found: {', '.join(shown(h) for h in header) or 'nothing'})")
    where = {c: header.index(c) for c in COLUMNS + (("time",) if "time" in header else ())}
    rows = []
    for number, record in records:
        if not isinstance(record, list):
            rows.append((number, f"row {number}", "", "", None, "", f"row {number} is not valid CSV: {record}"))
            continue
        cells = {c: record[i].strip() if i < len(record) else "" for c, i in where.items()}
        answer = record[where["answer"]] if where["answer"] < len(record) else ""
        ident = cells["id"] or f"row {number}"
        rows.append((number, ident, cells["variant"], cells["question"], answer, cells.get("time", ""), None))
    return rows


def read_roster(path):
    """{student id: variant} from a CSV with columns id,variant (the exercise writes roster.csv to fill in)."""
    header, records = batch.read_csv(path, what="roster")
    if [h.strip().lower() for h in header[:2]] not in (list(ROSTER_COLUMNS), ["student", "variant"]):
        raise GradproofError(f"{path}: a roster starts with the header id,variant (or student,variant)")
    roster = {}
    for number, record in records:
        if not isinstance(record, list) or len(record) < 2:
            raise GradproofError(f"{path}: row {number} is not id,variant")
        ident, variant = record[0].strip(), record[1].strip()
        if ident and variant:
            roster[ident] = variant
    if not roster:
        raise GradproofError(f"{path} names no student: fill in the id of each student against their variant")
    return roster


def roster_template(assignment):
    """roster.csv as the exercise writes it: one row per variant, the id to fill in."""
    return batch.to_csv(ROSTER_COLUMNS, (("", v.id) for v in assignment.variants))


def _invalid(row, reason):
    return Graded(row[2], row[3], 0.0, 0.0, "invalid", [], f"**Invalid**: {reason}.", None, row[1], counted=False)


def grade_rows(grader, rows, jobs=None, progress=None):
    """Graded results for rows, in their order (each on its own; :func:`score` applies the rules per student).
    A row whose variant or blank is not in the key is invalid with the reason; when no row is in the key the
    key does not match the answers, an error. ``progress``: the unit of a progress bar on a terminal, or None."""
    problems = {}
    for i, row in enumerate(rows):
        if row[6]:
            problems[i] = row[6]
            continue
        try:
            grader.check(row[2], row[3])
        except GradproofError as error:
            problems[i] = str(error)
    if rows and len(problems) == len(rows):
        raise GradproofError(f"row {rows[0][0]}: {problems[0]}; no row matches the key: the key does not match the answers")
    todo = [row for i, row in enumerate(rows) if i not in problems]
    graded = batch.run(todo, lambda: lambda row: grader.grade(*row[2:5]), jobs=jobs, key=lambda row: row[2],
                       group=GROUP, memo=lambda row: row[2:5], failed=_failed, prepare=grader.prepare,
                       progress=progress)
    done = iter(graded)
    return [_invalid(row, problems[i]) if i in problems else replace(next(done), id=row[1])
            for i, row in enumerate(rows)]


def _failed(row, error):
    """One answer must not stop a class: what grading raised makes it invalid (bad input stops it)."""
    if isinstance(error, GradproofError):
        raise error
    return Graded(row[2], row[3], 0.0, 0.0, "invalid", [], f"**Invalid**: could not grade it ({type(error).__name__}).")


def _time(value):
    """A time column's value as a sortable key: a number, else the text (ISO times sort as text)."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def score(grader, rows, results, roster=None):
    """(results with the rules applied, totals): per student their variant (the roster's, else that of their
    last row), the last answer to each blank (latest ``time``), the rest marked not counted, every blank scored
    by KeyGrader.complete (empty ones, carried-forward ones); students on the roster with no rows score 0."""
    results = list(results)
    students = {}
    for i, row in enumerate(rows):
        students.setdefault(row[1], []).append(i)
    if roster is not None:
        for ident in roster:
            students.setdefault(ident, [])
    totals = []
    for ident, indices in students.items():
        variant = roster.get(ident) if roster is not None else None
        if variant is None and roster is not None:
            for i in indices:
                results[i] = _invalid(rows[i], f"{shown(ident, 40)} is not on the roster")
            continue
        if variant is None:
            valid = [i for i in indices if rows[i][2] in grader.variants]
            variant = rows[valid[-1]][2] if valid else None
        if variant not in grader.variants:
            continue
        latest = {}
        for i in indices:
            r = results[i]
            if not r.counted:
                continue
            if rows[i][2] != variant:
                why = "the roster's" if roster is not None else "that of the student's last answer"
                results[i] = _invalid(rows[i], f"this answer is under variant {shown(rows[i][2], 40)}, but "
                                               f"{shown(ident, 40)}'s variant is {variant} ({why})")
                continue
            keep = latest.get(r.question)
            if keep is None or _time(rows[i][5]) >= _time(rows[keep][5]):
                latest[r.question] = i
        for i in indices:
            r = results[i]
            if r.counted and latest.get(r.question) not in (None, i) and rows[i][2] == variant:
                results[i] = replace(r, counted=False, score=0.0, max_score=0.0, exact=Fraction(0), exact_max=Fraction(0),
                                     feedback="Not counted: a later answer to this blank replaces it. " + r.feedback)
        complete = grader.complete(variant, {results[i].question: results[i] for i in latest.values()}, ident=ident)
        by_blank = {g.question: g for g in complete}
        for blank, i in latest.items():
            results[i] = replace(by_blank[blank], id=ident)
        totals.append(_total(grader, ident, variant, complete, [results[i] for i in latest.values()]))
    return results, totals


def _total(grader, ident, variant, complete, answered):
    rules = grader.grading
    exact, exact_max = sum((g.exact for g in complete), Fraction(0)), sum((g.exact_max for g in complete), Fraction(0))
    row = {"id": ident, "variant": variant, "score": rules.rounded(exact), "max_score": rules.rounded(exact_max),
           "possible": rules.rounded(grader.total_points(variant)), "answered": len(answered),
           "not_gradable": sum(not g.gradable for g in answered)}
    for q in grader.assignment.questions:
        blanks = {b.id for b in grader.variants[variant].blanks[q.number]}
        row[f"q{q.number}"] = rules.rounded(sum((g.exact for g in complete if g.question in blanks), Fraction(0)))
    return row


def to_csv(results):
    return batch.to_csv(RESULT_COLUMNS, ([r.id, r.variant, r.question, r.score, r.max_score, r.verdict,
                                         ";".join(r.diagnosis), r.feedback, "yes" if r.counted else "no"]
                                        for r in results))


def totals_csv(grader, rows):
    columns = TOTAL_COLUMNS + tuple(f"q{q.number}" for q in grader.assignment.questions)
    return batch.to_csv(columns, ([t[c] for c in columns] for t in rows))


def to_json(results):
    """The results as JSON-ready dicts (json_text makes the text)."""
    return [r.to_json() for r in results]
