"""Check a folder of submissions (one ``.py`` file each) on every core: one child process per submission,
the same cases for everybody, one row of results per file, in the folder's order.

A submission that cannot be checked at all (unreadable, or gradproof's own failure on it) gets a
``failed`` row naming the problem; the others are checked all the same.
"""
import csv
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..errors import GradproofError
from .api import check_file
from .cases import make_cases
from .check import expected_at
from .sandbox import Limits

COLUMNS = ("file", "verdict", "failure", "first_wrong_layer", "largest_error", "codes", "mistakes", "diagnosis", "seconds")


def submissions(folder):
    """The .py files directly in a folder, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradproofError(f"submissions folder {str(folder)!r} not found")
    files = sorted(p for p in folder.iterdir() if p.suffix == ".py" and p.is_file())
    if not files:
        raise GradproofError(f"{folder}: no .py files to check")
    return files


def check_folder(folder, spec, function="backward", points=4, seed=0, limits=Limits(), jobs=None, progress=None,
                 forward=None, loss=None):
    """Reports as JSON dicts, one per file in the folder, checked by ``jobs`` children at a time (default: every core)."""
    files = submissions(folder)
    cases = make_cases(spec, points, seed)
    expected = [expected_at(c) for c in cases]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))

    def one(path):
        try:
            report = check_file(path, spec, function, points, seed, limits, forward, loss, cases, expected)
            return report.to_json()
        except Exception as error:           # one submission must not stop the class
            return {"file": str(path), "function": function, "verdict": "failed", "exit_code": 1,
                    "failure": {"kind": "checker", "message": f"could not be checked: {error}"[:400]},
                    "layers": [], "first_wrong": None, "diagnosis": None, "seconds": 0.0, "tests": []}

    results = [None] * len(files)
    done = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(one, path): i for i, path in enumerate(files)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            done += 1
            if progress:
                progress(done, len(files))
    return results


def _safe(cell):
    """A cell that a spreadsheet would read as a formula (= + - @, tab, CR first) gets a leading '."""
    text = str(cell)
    return "'" + text if text.lstrip()[:1] in ("=", "+", "-", "@") or text[:1] in ("\t", "\r") else text


def row(result):
    wrong = result.get("first_wrong") or {}
    diagnosis = result.get("diagnosis") or {}
    failure = result.get("failure") or {}
    return {"file": Path(result["file"]).name, "verdict": result["verdict"], "failure": failure.get("message", ""),
            "first_wrong_layer": wrong.get("layer", ""),
            "largest_error": f"{wrong['error']:.3g}" if isinstance(wrong.get("error"), float) else "",
            "codes": ";".join(diagnosis.get("codes", [])),
            "mistakes": ";".join(m["mistake"] for m in diagnosis.get("mistakes", [])),
            "diagnosis": diagnosis.get("sentence", ""), "seconds": f"{result.get('seconds', 0.0):.2f}"}


def to_csv(results):
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerow({k: _safe(v) for k, v in row(result).items()})
    return out.getvalue()


def to_json(results):
    return json.dumps(results, indent=1, ensure_ascii=False) + "\n"
