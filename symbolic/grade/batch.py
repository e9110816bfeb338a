"""Grade a class: a CSV of answers (id, param, answer) on every core, one result per row, in the file's order.

Rows are grouped by parameter and each group is graded by one worker, so a worker builds the
Question of a parameter (derivation, points, variants) once and only for the parameters it grades.
Workers build their Grader once, when they start. A row that cannot be graded (a missing field, an
unknown parameter, an unreadable answer) gets an ``invalid`` result naming the problem; the other
rows are graded all the same.
"""
import csv
import io
import json
import os

from gradproof.numeric.errors import GradproofError

from .grader import DEFAULT_RTOL, Grader, Result
from .parser import shown

COLUMNS = ("id", "param", "answer")
RESULT_COLUMNS = ("id", "param", "verdict", "diagnosis", "message")
GROUP = 40                  # rows per task: small enough for a smooth progress bar

_worker = {}


def read_answers(path, default_param=None):
    """[(id, param, answer or None, problem or None)] from a CSV with a header naming id, param, answer."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise GradproofError(f"answers file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GradproofError(f"cannot read answers file {str(path)!r}: {error}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header and not (c == "param" and default_param)]
    if missing:
        raise GradproofError(f"{path}: the header must name the columns id,param,answer; missing: {', '.join(missing)}"
                             f" (found: {', '.join(shown(h) for h in header) or 'nothing'})")
    reader.fieldnames = header
    rows = []
    try:
        for number, record in enumerate(reader, start=2):
            ident = (record.get("id") or "").strip() or f"row {number}"
            param = (record.get("param") or "").strip() or default_param
            answer = record.get("answer")
            problem = None
            if None in record:
                problem = f"row {number} has more fields than the header"
            elif not param:
                problem = f"row {number} has no param"
            elif answer is None or not answer.strip():
                problem = f"row {number} has no answer"
            rows.append((ident, param, answer, problem))
    except csv.Error as error:
        raise GradproofError(f"{path}: not valid CSV: {error}") from None
    return rows


def _start(spec, at, rtol):
    """Pool initializer: one Grader per worker, for all the tasks it will run."""
    _worker["grader"] = Grader(spec)
    _worker["at"], _worker["rtol"] = at, rtol


def _grade_group(task):
    """Grade one group of rows in a worker: [(index, result as JSON)]."""
    grader, at, rtol = _worker["grader"], _worker["at"], _worker["rtol"]
    out = []
    for index, (ident, param, answer, problem) in task:
        if problem:
            result = Result("invalid", None, problem, param=shown(param or "", 40))
        else:
            try:
                result = grader.grade(param, answer, at, rtol)
            except Exception as error:         # one bad row must not stop the class: report it in its row
                result = Result("invalid", None, f"could not grade this answer ({type(error).__name__})", param=param)
        data = result.to_json()
        data["id"] = ident
        out.append((index, data))
    return out


def _groups(rows):
    """Tasks of at most GROUP rows, each of one parameter, the largest parameters first."""
    by_param = {}
    for index, row in enumerate(rows):
        by_param.setdefault(row[1] or "", []).append((index, row))
    tasks = []
    for items in sorted(by_param.values(), key=len, reverse=True):
        tasks += [items[i:i + GROUP] for i in range(0, len(items), GROUP)]
    return tasks


def grade_rows(spec, rows, at=None, rtol=DEFAULT_RTOL, jobs=None, progress=None):
    """Results (JSON dicts with id) for rows, in their order, graded by ``jobs`` processes (default: every core)."""
    tasks = _groups(rows)
    jobs = min(jobs or os.cpu_count() or 1, len(tasks))
    results = [None] * len(rows)
    done = 0
    if jobs <= 1 or len(tasks) <= 1:
        _start(spec, at, rtol)
        outputs = map(_grade_group, tasks)
        pool = None
    else:
        import multiprocessing
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_start, initargs=(spec, at, rtol))
        outputs = pool.imap_unordered(_grade_group, tasks)
    try:
        for output in outputs:
            for index, data in output:
                results[index] = data
            done += len(output)
            if progress:
                progress(done, len(rows))
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return results


def to_csv(results, terminal=False):
    """id,param,verdict,diagnosis,message; codes joined by ';'. For a terminal, control characters escaped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for r in results:
        row = [r["id"], r["param"] or "", r["verdict"], ";".join(r["diagnosis"]), r["message"]]
        writer.writerow([terminal_safe(v) for v in row] if terminal else row)
    return out.getvalue()


def to_json(results):
    keys = ("id", "param", "verdict", "diagnosis", "message", "parsed_latex", "counterexample", "method")
    return json.dumps([{k: r.get(k) for k in keys} for r in results], indent=1, ensure_ascii=False) + "\n"


def terminal_safe(text):
    """Text with control characters (escape sequences, carriage returns) shown as \\xNN, for a terminal."""
    return "".join(ch if ch in "\n\t" or (ch.isprintable() and ch not in "\x7f\x9b") else f"\\x{ord(ch):02x}"
                   for ch in str(text))
