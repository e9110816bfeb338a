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
from .parser import MAX_LENGTH, shown

COLUMNS = ("id", "param", "answer")
RESULT_COLUMNS = ("id", "param", "verdict", "diagnosis", "message")
GROUP = 40                  # rows per task: small enough for a smooth progress bar
SEEN = 10_000              # distinct (param, answer) results a worker keeps, to grade each once
MAX_ID = 200                # characters of an id or a param kept from a row
# a spreadsheet reads a cell that begins with one of these as a formula (OWASP, "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

_worker = {}


def read_answers(path, default_param=None):
    """[(id, param, answer or None, problem or None)] from a CSV with a header naming id, param, answer.

    A row that cannot be read (not valid CSV, too many fields, an answer over the length limit) keeps
    its place with a problem, and the other rows are read all the same: one bad row never stops a class.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise GradproofError(f"answers file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GradproofError(f"cannot read answers file {str(path)!r}: {error}") from None
    previous = csv.field_size_limit()
    # csv refuses a field over 131,072 characters by raising in the middle of the file; the whole file
    # is in memory anyway, so let csv read any field and judge an answer's length here, row by row
    csv.field_size_limit(max(previous, len(text) + 1))
    try:
        return _rows(csv.reader(io.StringIO(text)), path, default_param)
    finally:
        csv.field_size_limit(previous)


def _rows(reader, path, default_param):
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as error:
        raise GradproofError(f"{path}: the header is not valid CSV: {error}") from None
    missing = [c for c in COLUMNS if c not in header and not (c == "param" and default_param)]
    if missing:
        raise GradproofError(f"{path}: the header must name the columns id,param,answer; missing: {', '.join(missing)}"
                             f" (found: {', '.join(shown(h) for h in header) or 'nothing'})")
    where = {c: header.index(c) for c in COLUMNS if c in header}
    rows = []
    while True:
        number = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rows.append((f"row {number}", default_param, None, f"row {number} is not valid CSV: {error}"))
            continue
        if not record or not any(cell.strip() for cell in record):
            continue                                   # a blank line is no answer
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


def _start(spec, at, rtol, dedupe=False):
    """Pool initializer: one Grader per worker, for all the tasks it will run."""
    _worker.clear()
    _worker["grader"] = Grader(spec)
    _worker["dedupe"] = dedupe
    _worker["at"], _worker["rtol"] = at, rtol


def _grade_group(task):
    """Grade one group of rows in a worker: [(index, result as JSON)]."""
    grader, at, rtol = _worker["grader"], _worker["at"], _worker["rtol"]
    seen = _worker.setdefault("seen", {})
    out = []
    for index, (ident, param, answer, problem) in task:
        key = (param, answer)
        if problem:
            result = Result("invalid", None, problem, param=shown(param or "", 40)).to_json()
        elif _worker["dedupe"] and key in seen:
            result = seen[key]                 # many students write the same answer: grade it once
        else:
            try:
                result = grader.grade(param, answer, at, rtol).to_json()
            except Exception as error:         # one bad row must not stop the class: report it in its row
                result = Result("invalid", None, f"could not grade this answer ({type(error).__name__})",
                                param=shown(param or "", 40)).to_json()
            if len(seen) < SEEN:
                seen[key] = result
        data = dict(result)
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


def grade_rows(spec, rows, at=None, rtol=DEFAULT_RTOL, jobs=None, progress=None, dedupe=False):
    """Results (JSON dicts with id) for rows, in their order, graded by ``jobs`` processes (default: every core).

    ``dedupe``: grade each distinct (param, answer) once per worker and reuse the result for the
    rows that repeat it (a class's many identical answers); off, every row is graded (as bench times it).
    """
    tasks = _groups(rows)
    jobs = min(jobs or os.cpu_count() or 1, len(tasks))
    results = [None] * len(rows)
    done = 0
    if jobs <= 1 or len(tasks) <= 1:
        _start(spec, at, rtol, dedupe)
        outputs = map(_grade_group, tasks)
        pool = None
    else:
        import multiprocessing
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_start, initargs=(spec, at, rtol, dedupe))
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
    """id,param,verdict,diagnosis,message; codes joined by ';'. Every cell is spreadsheet_safe; for a
    terminal, control characters are escaped too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for r in results:
        row = [r["id"], r["param"] or "", r["verdict"], ";".join(r["diagnosis"]), r["message"]]
        row = [spreadsheet_safe(v) for v in row]
        writer.writerow([terminal_safe(v) for v in row] if terminal else row)
    return out.getvalue()


def spreadsheet_safe(text):
    """A cell a spreadsheet shows as text: one that begins (also after blanks) like a formula gets a leading '.

    Examples
    ========
    >>> from gradproof.symbolic.grade.batch import spreadsheet_safe
    >>> print(spreadsheet_safe('=HYPERLINK("http://evil.example","x")'))
    '=HYPERLINK("http://evil.example","x")
    >>> spreadsheet_safe("  @SUM(A1)"), spreadsheet_safe("alice")
    ("'  @SUM(A1)", 'alice')
    """
    text = str(text)
    if text.startswith(FORMULA_START) or text.lstrip().startswith(FORMULA_START):
        return "'" + text
    return text


def to_json(results):
    keys = ("id", "param", "verdict", "diagnosis", "message", "parsed_latex", "counterexample", "method")
    return json.dumps([{k: r.get(k) for k in keys} for r in results], indent=1, ensure_ascii=False) + "\n"


def terminal_safe(text):
    """Text with control characters (escape sequences, carriage returns) shown as \\xNN, for a terminal."""
    return "".join(ch if ch in "\n\t" or (ch.isprintable() and ch not in "\x7f\x9b") else f"\\x{ord(ch):02x}"
                   for ch in str(text))
