"""Check a folder of submissions (one ``.py`` file each) on every core: one child process per submission,
the same cases for everybody, one row of results per file, in the folder's order.

Each row carries what a gradebook needs: the verdict, a score out of ``max_score`` (the share of the
per-layer tests passed; one point per test by default), the diagnosis and every refused action. A
submission that the checker itself could not run (gradproof's own failure on it, not the student's) gets a
``not_checked`` row naming the problem; the others are checked all the same.
"""
from pathlib import Path

from .. import batch
from ..errors import GradproofError
from .api import check_file
from .cases import make_cases
from .check import expected_at
from .quote import one_line
from .sandbox import Limits

COLUMNS = ("file", "verdict", "score", "max_score", "diagnosis", "refused", "failure", "first_wrong_layer",
           "largest_error", "codes", "mistakes", "networks", "notes", "seconds")
NOT_CHECKED = "not_checked"      # the verdict of a file the checker itself could not run


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
                 forward=None, loss=None, max_score=None):
    """Reports as JSON dicts, one per file in the folder, checked by ``jobs`` children at a time (default: every
    core); ``progress``: the unit of a progress bar on a terminal ("submissions"), or None. ``max_score``: what
    a file with every test passed scores (default: one point per test)."""
    files = submissions(folder)
    cases = make_cases(spec, points, seed)
    expected = [expected_at(c) for c in cases]

    def check(path):
        return check_file(path, spec, function, points, seed, limits, forward, loss, cases, expected).to_json(max_score)

    def failed(path, error):                 # one submission must not stop the class
        return {"file": one_line(path), "function": function, "verdict": NOT_CHECKED, "exit_code": 1,
                "score": None, "max_score": max_score, "refused": [],
                "failure": {"kind": "checker", "message": one_line(f"could not be checked: {error}", 400)},
                "layers": [], "first_wrong": None, "diagnosis": None, "seconds": 0.0, "tests": []}

    # threads: each submission runs in a child process of its own, so a worker only waits on it
    return batch.run(files, lambda: check, jobs=jobs, failed=failed, threads=True, progress=progress)


def all_checked(results):
    """Whether the checker ran every file (whatever the verdicts): the batch's exit status is 0 then, else 1."""
    return all(r["verdict"] != NOT_CHECKED for r in results)


def _networks(result):
    return "; ".join(f"{n['network']}{' (assigned)' if n['assigned'] else ''}{'' if n['counts'] else ' (not counted)'} "
                     f"{n['status']} {n['passed']}/{n['cases']}" for n in result.get("networks") or [])


def row(result):
    """A result's CSV row: every cell one line of printable text."""
    wrong = result.get("first_wrong") or {}
    diagnosis = result.get("diagnosis") or {}
    failure = result.get("failure") or {}
    values = {"file": Path(result["file"]).name, "verdict": result["verdict"], "score": result.get("score"),
              "max_score": result.get("max_score"), "diagnosis": diagnosis.get("sentence", ""),
              "refused": "; ".join(result.get("refused") or []), "failure": failure.get("message", ""),
              "first_wrong_layer": wrong.get("layer", ""),
              "largest_error": f"{wrong['error']:.3g}" if isinstance(wrong.get("error"), float) else "",
              "codes": ";".join(diagnosis.get("codes", [])),
              "mistakes": ";".join(m["mistake"] for m in diagnosis.get("mistakes", [])),
              "networks": _networks(result), "notes": "; ".join(result.get("notes") or []),
              "seconds": f"{result.get('seconds', 0.0):.2f}"}
    return {k: v if v is None or isinstance(v, (int, float)) else one_line(v, 2000) for k, v in values.items()}


def to_csv(results):
    return batch.to_csv(COLUMNS, ([row(result)[c] for c in COLUMNS] for result in results))


def to_json(results):
    """The results as JSON-ready dicts (json_text makes the text)."""
    return list(results)
