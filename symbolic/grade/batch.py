"""Grade a class: a CSV of answers (id, param, answer) on every core, one result per row, in the file's order.

Rows are grouped by parameter and each group is graded by one worker, so a worker builds the
Question of a parameter (derivation, points, variants) once and only for the parameters it grades.
Workers build their Grader once, when they start (and a MatrixGrader at their first matrix row: W^2, b^2,
Z^2, O^1 are graded as `gradproof grade --param W^2` grades them). A row that cannot be graded (a missing field, an
unknown parameter, an unreadable answer) gets an ``invalid`` result naming the problem; the other
rows are graded all the same.
"""
from gradproof.numeric import batch
from gradproof.numeric.errors import GradproofError

from ..matrix.grade import MatrixGrader
from ..matrix.targets import matrix_target
from .grader import DEFAULT_RTOL, Grader, Result
from .parser import MAX_LENGTH, shown

COLUMNS = ("id", "param", "answer")
RESULT_COLUMNS = ("id", "param", "verdict", "diagnosis", "message")
GROUP = 40                  # rows per task: small enough for a smooth progress bar
MAX_ID = 200                # characters of an id or a param kept from a row


def read_answers(path, default_param=None):
    """[(id, param, answer or None, problem or None)] from a CSV with a header naming id, param, answer.

    A row that cannot be read (not valid CSV, too many fields, an answer over the length limit) keeps
    its place with a problem, and the other rows are read all the same: one bad row never stops a class.
    """
    header, records = batch.read_csv(path)
    missing = [c for c in COLUMNS if c not in header and not (c == "param" and default_param)]
    if missing:
        raise GradproofError(f"{path}: the header must name the columns id,param,answer; missing: {', '.join(missing)}"
                             f" (found: {', '.join(shown(h) for h in header) or 'nothing'})")
    where = {c: header.index(c) for c in COLUMNS if c in header}
    rows = []
    for number, record in records:
        if not isinstance(record, list):
            rows.append((f"row {number}", default_param, None, f"row {number} is not valid CSV: {record}"))
            continue
        field = lambda c, record=record: record[where[c]] if c in where and where[c] < len(record) else None
        ident = (field("id") or "").strip()[:MAX_ID] or f"row {number}"
        param = (field("param") or "").strip()[:MAX_ID] or default_param
        answer = field("answer")
        problem = None
        if len(record) > len(header):
            problem = f"row {number} has more fields than the header"
        elif not param:
            problem = f"row {number} has no param"
        elif answer is None or not answer.strip():
            problem = f"row {number} has no answer"
        elif len(answer) > MAX_LENGTH:
            problem = f"row {number}: the answer is {len(answer)} characters long; the limit is {MAX_LENGTH}"
        rows.append((ident, param, None if problem else answer, problem))
    return rows


def grade_rows(spec, rows, at=None, rtol=DEFAULT_RTOL, jobs=None, progress=None, dedupe=False):
    """Results (JSON dicts with id) for rows, in their order, graded by ``jobs`` processes (default: every core).

    Each worker builds its Grader once and grades rows of one parameter at a time, so it builds a
    parameter's Question (derivation, points, variants) once and only for the parameters it grades.
    ``dedupe``: grade each distinct (param, answer) once per worker and reuse the result for the
    rows that repeat it (a class's many identical answers); off, every row is graded (as bench times it).
    ``progress``: the unit of a progress bar on a terminal ("answers"), or None.
    """
    def start():
        return _Worker(spec, at, rtol)

    results = batch.run(rows, start, jobs=jobs, key=lambda row: row[1] or "", group=GROUP,
                        memo=(lambda row: None if row[3] else row[1:3]) if dedupe else None,
                        failed=_not_graded, progress=progress)
    return [dict(result, id=row[0]) for result, row in zip(results, rows)]


class _Worker:
    """One worker's graders: the scalar one (w^k_ij, b^k_j), and the matrix one (W^k, b^k, Z^k, O^k), built at
    the worker's first matrix row. A matrix answer is checked on random batches, so ``at`` is for scalar rows."""

    def __init__(self, spec, at, rtol):
        self.spec, self.at, self.rtol = spec, at, rtol
        self.scalar = Grader(spec)
        self.matrix = None

    def __call__(self, row):
        _, param, answer, problem = row
        if problem:
            return Result("invalid", None, problem, param=shown(param or "", 40)).to_json()
        try:
            target = matrix_target(param, self.spec)
        except GradproofError as error:
            return Result("invalid", None, f"unknown parameter: {error}", param=shown(param, 40)).to_json()
        if target is None:
            return self.scalar.grade(param, answer, self.at, self.rtol).to_json()
        if self.matrix is None:
            self.matrix = MatrixGrader(self.spec)
        return self.matrix.grade(target, answer).to_json()


def _not_graded(row, error):
    return Result("invalid", None, f"could not grade this answer ({type(error).__name__})",
                  param=shown(row[1] or "", 40)).to_json()


def to_csv(results, terminal=False):
    """id,param,verdict,diagnosis,message; codes joined by ';'. Every cell is spreadsheet_safe; for a
    terminal, control characters are escaped too."""
    return batch.to_csv(RESULT_COLUMNS, ([r["id"], r["param"], r["verdict"], ";".join(r["diagnosis"]), r["message"]]
                                         for r in results), terminal)


def to_json(results):
    """The results as JSON-ready dicts, each with the same keys (json_text makes the text)."""
    keys = ("id", "param", "verdict", "diagnosis", "message", "parsed_latex", "counterexample", "method")
    return [{k: r.get(k) for k in keys} for r in results]
