"""Check a folder of submissions (one ``.py`` file each) on every core: one child process per submission,
the same cases for everybody, one row of results per file, in the folder's order.

A submission that cannot be checked at all (unreadable, or gradproof's own failure on it) gets a
``failed`` row naming the problem; the others are checked all the same.
"""
from pathlib import Path

from .. import batch
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
    """Reports as JSON dicts, one per file in the folder, checked by ``jobs`` children at a time (default: every
    core); ``progress``: the unit of a progress bar on a terminal ("submissions"), or None."""
    files = submissions(folder)
    cases = make_cases(spec, points, seed)
    expected = [expected_at(c) for c in cases]

    def check(path):
        return check_file(path, spec, function, points, seed, limits, forward, loss, cases, expected).to_json()

    def failed(path, error):                 # one submission must not stop the class
        return {"file": str(path), "function": function, "verdict": "failed", "exit_code": 1,
                "failure": {"kind": "checker", "message": f"could not be checked: {error}"[:400]},
                "layers": [], "first_wrong": None, "diagnosis": None, "seconds": 0.0, "tests": []}

    # threads: each submission runs in a child process of its own, so a worker only waits on it
    return batch.run(files, lambda: check, jobs=jobs, failed=failed, threads=True, progress=progress)


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
    return batch.to_csv(COLUMNS, ([row(result)[c] for c in COLUMNS] for result in results))


def to_json(results):
    return batch.to_json(results)
