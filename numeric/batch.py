"""The one batch runner: a class's rows (answers, homework answers, code submissions) handled on every core,
one result per row in the rows' order, with a progress bar; and the one CSV and JSON writers for the results.

Every CSV gradproof writes goes through :func:`to_csv`, so every cell of it is :func:`spreadsheet_safe`.
The runner knows nothing of what a row is: the caller gives ``start``, which builds what a worker needs
(a grader, say) once per worker and returns the function that handles one row.

Examples
========
>>> from gradproof.numeric.batch import run, to_csv
>>> run(["a", "bb", "ccc"], lambda: len, jobs=1)
[1, 2, 3]
>>> print(to_csv(("id", "answer"), [("alice", "=1+1"), ("bob", 0.5)]), end="")
id,answer
alice,'=1+1
bob,0.5
"""
import csv
import io
import json
import os
import unicodedata

from .errors import GradproofError
from .files import read_text
from .progress import ProgressBar

SEEN = 10_000               # distinct rows whose result a worker keeps, to handle each once
# a spreadsheet reads a cell as a formula when it begins with one of these (OWASP, "CSV injection"), also
# after blanks and in the compatibility forms that normalize to them (fullwidth ＝ ＋ － ＠, small ﹦ ﹢ ﹣ ﹫)
FORMULA_START = frozenset("=+-@")
CONTROL_START = ("\t", "\r", "\n")

_worker = {}


def run(items, start, *, jobs=None, key=None, group=1, memo=None, failed=None, prepare=None, threads=False,
        progress=None):
    """[the result of each item], in the items' order, by ``jobs`` workers at a time (default: every core).

    ``start()`` runs once in each worker (once in all when the workers are threads) and returns the
    function ``handle(item) -> result``. Items with the same ``key(item)`` go to a worker together, at most
    ``group`` at a time, the largest keys first, so what a worker builds per key it builds once. ``memo(item)``:
    items with the same memo key (other than None) are handled once per worker and share the result. ``failed(item, error)``
    turns an exception raised by ``handle`` into that item's result (one bad row must not stop a class);
    without it the exception stops the batch. ``prepare()`` runs once here before processes fork, for what
    every worker would otherwise build again. ``threads``: workers are threads, for items that spend their
    time waiting on a child process of their own. ``progress``: the unit counted on a progress bar on a
    terminal's stderr ("answers"), or None for no bar.
    """
    tasks = _tasks(items, key, group)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    bar = ProgressBar.on_terminal(len(items), progress, enabled=progress is not None)
    results = [None] * len(items)
    done = 0
    pool = None
    if jobs == 1 or threads:
        # here (not in the module's state, which a nested run would replace): one worker state for all
        state = _state(start, memo, failed)

        def one(task):
            return [(index, _handle(state, item)) for index, item in task]

        if jobs == 1:
            outputs = map(one, tasks)
        else:
            from concurrent.futures import ThreadPoolExecutor, as_completed
            pool = ThreadPoolExecutor(max_workers=jobs)
            outputs = (future.result() for future in as_completed([pool.submit(one, t) for t in tasks]))
    else:
        import multiprocessing
        if prepare is not None:
            prepare()
        # fork: the workers inherit start, memo and failed (closures too) instead of receiving them pickled
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_start, initargs=(start, memo, failed))
        outputs = pool.imap_unordered(_run_task, tasks)
    try:
        for output in outputs:
            for index, result in output:
                results[index] = result
            done += len(output)
            if bar:
                rate = bar.rate(done)
                bar(done, f"{rate:.1f}/s" if rate < 10 else f"{rate:.0f}/s")
    finally:
        if bar:
            bar.close()
        if hasattr(pool, "terminate"):
            pool.terminate()
            pool.join()
        elif pool is not None:
            pool.shutdown(cancel_futures=True)
    return results


def _tasks(items, key, group):
    """Lists of (index, item): at most ``group`` items of one key each, the keys with most items first."""
    by_key = {}
    for index, item in enumerate(items):
        by_key.setdefault(key(item) if key else None, []).append((index, item))
    tasks = []
    for members in sorted(by_key.values(), key=len, reverse=True):
        tasks += [members[i:i + group] for i in range(0, len(members), group)]
    return tasks


def _state(start, memo, failed):
    """A worker's state, built once for all the tasks it runs."""
    return {"handle": start(), "memo": memo, "failed": failed, "seen": {}}


def _start(start, memo, failed):
    """Pool initializer: the worker process's state."""
    _worker.clear()
    _worker.update(_state(start, memo, failed))


def _run_task(task):
    return [(index, _handle(_worker, item)) for index, item in task]


def _handle(state, item):
    memo, seen = state["memo"], state["seen"]
    mark = memo(item) if memo else None
    if mark is not None and mark in seen:
        return seen[mark]                     # many students write the same answer: handle it once
    try:
        result = state["handle"](item)
    except Exception as error:
        if state["failed"] is None:
            raise
        result = state["failed"](item, error)
    if mark is not None and len(seen) < SEEN:
        seen[mark] = result
    return result


def read_csv(path, what="answers file"):
    """(header, [(row number, record or the csv.Error that row raised)]) from a CSV file, blank rows left out.

    A row that is not valid CSV keeps its place, so the caller decides whether it costs the row or the file.
    csv's limit of 131,072 characters per field is lifted (the whole file is in memory anyway): the caller
    judges a field's length row by row.
    """
    text = read_text(path, what, encoding="utf-8-sig", newline="")
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))
    try:
        reader = csv.reader(io.StringIO(text))
        try:
            header = [h.strip() for h in next(reader, [])]
        except csv.Error as error:
            raise GradproofError(f"{path}: the header is not valid CSV: {error}") from None
        rows = []
        while True:
            number = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return header, rows
            except csv.Error as error:
                rows.append((number, error))
                continue
            if record and any(cell.strip() for cell in record):
                rows.append((number, record))
    finally:
        csv.field_size_limit(previous)


def to_csv(header, rows, terminal=False):
    """CSV text: a header and rows, every cell :func:`spreadsheet_safe` (a float to 10 significant digits,
    None empty); for a terminal (``terminal``), control characters escaped too (:func:`terminal_safe`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in [header, *rows]:
        cells = [spreadsheet_safe(cell(value)) for value in row]
        writer.writerow([terminal_safe(c) for c in cells] if terminal else cells)
    return out.getvalue()


def cell(value):
    """A value as CSV text: a float to 10 significant digits, None empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def spreadsheet_safe(text):
    """A cell a spreadsheet shows as text: one that would begin a formula gets a leading '.

    A formula begins with = + - @ (also after blanks or invisible format characters, and in any form that
    Unicode compatibility maps to them, such as the fullwidth ＝), or the cell begins with a tab or a line break.

    Examples
    ========
    >>> from gradproof.numeric.batch import spreadsheet_safe
    >>> print(spreadsheet_safe('=HYPERLINK("http://evil.example","x")'))
    '=HYPERLINK("http://evil.example","x")
    >>> spreadsheet_safe("  @SUM(A1)"), spreadsheet_safe("\\uff1dHYPERLINK(1)"), spreadsheet_safe("alice")
    ("'  @SUM(A1)", "'＝HYPERLINK(1)", 'alice')
    """
    text = str(text)
    if text.startswith(CONTROL_START):
        return "'" + text
    first = next((ch for ch in text if not (ch.isspace() or unicodedata.category(ch) == "Cf")), "")
    if unicodedata.normalize("NFKC", first)[:1] in FORMULA_START:
        return "'" + text
    return text


def terminal_safe(text):
    """Text with control characters (escape sequences, carriage returns) shown as \\xNN, for a terminal."""
    return "".join(ch if ch in "\n\t" or (ch.isprintable() and ch not in "\x7f\x9b") else f"\\x{ord(ch):02x}"
                   for ch in str(text))


def json_text(records):
    """JSON text of a list of results (dicts), one per row, non-ASCII kept as it is."""
    return json.dumps(list(records), indent=1, ensure_ascii=False) + "\n"
