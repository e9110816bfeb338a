"""Sheet latency: seconds from ``gradproof sheet -o notes.html`` to the file for the notes' network,
imports included (a child process per run).
"""
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .units import goal
from .units import seconds as _s

TITLE = "Sheet latency"


def measure(sizes, progress=None):
    if not sizes.sheet:
        return {"available": False, "note": "not measured at this size"}
    return sheet_latency(sizes.sheet_repeats)


def sheet_latency(repeats=3):
    """Seconds from ``gradproof sheet -o notes.html`` to the file, imports included (median)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "notes.html"
        command = [sys.executable, "-m", "gradproof.symbolic", "sheet", "-o", str(target)]
        times = []
        for _ in range(repeats):
            target.unlink(missing_ok=True)
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
            seconds = time.perf_counter() - start
            if done.returncode != 0 or not target.exists():
                last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
                return {"available": False, "note": f"sheet command not available: {last}"}
            times.append(seconds)
        return {"available": True, "command": "gradproof sheet -o notes.html", "seconds": statistics.median(times),
                "min_s": min(times), "bytes": target.stat().st_size, "repeats": repeats}


def lines(sh):
    if not sh.get("available"):
        return [f"   {sh['note']}"]
    return [f"   {sh['command']}: {_s(sh['seconds'])} (median of {sh['repeats']})"]


def goals(sh):
    """The notes' sheet as HTML within 1.5 s of the command, imports included."""
    if not sh.get("available"):
        return []
    return [goal("sheet: command to HTML file, imports included", "<= 1.5 s", sh["seconds"], sh["seconds"] <= 1.5)]
