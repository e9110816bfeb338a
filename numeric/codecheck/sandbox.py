"""Run a student's file in a separate, limited process and bring back the arrays it returns.

The child is ``python -I -B runner.py`` (isolated mode: no PYTHON* variables, no user site, not the
script's folder on the path), started in a fresh temporary folder that holds only the job, the inputs
and a copy of the student's file, with:

- a minimal environment (PATH, LANG, HOME = the folder, one BLAS thread): no secrets inherited;
- no inherited file descriptors, standard input from /dev/null, its own session (so that a time-out
  kills everything it started);
- limits that the child sets on itself (``resource``, in runner.py) before it imports numpy or the
  student's file: CPU seconds, address space, the size of any file it writes, open files, no core
  dumps, no new processes (where the OS enforces it); set in the child rather than in a preexec
  function, which is unsafe when the caller runs threads (the batch does);
- a wall-clock limit (twice the CPU limit, plus 2 s), after which the whole session is killed;
- its output to files in the folder, of which only the first few kB are read back;
- results as ``.npy`` files loaded with ``allow_pickle=False`` (never a pickle from the child), and a
  JSON status file read with a size cap.

What this does not protect against is in the README ("Checking students' code").
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RUNNER = Path(__file__).with_name("runner.py")
OUTPUT_KEPT = 4000              # characters of the child's stdout/stderr kept for the report
STATUS_CAP = 1 << 20            # bytes of status.jsonl read


@dataclass(frozen=True)
class Limits:
    """What one submission may use: wall-clock seconds, CPU seconds, memory (MB), bytes per file written (MB)."""

    seconds: float = 10.0
    memory_mb: int = 1024
    file_mb: int = 64
    open_files: int = 64

    @property
    def wall(self):
        """Wall-clock seconds before the session is killed: CPU-bound code meets its CPU limit first, even on a
        loaded machine; this catches code that waits (sleep, input)."""
        return 2 * self.seconds + 2

    def text(self):
        return f"{self.seconds:g} s, {self.memory_mb} MB of memory, {self.file_mb} MB per file"


def environment(folder):
    """The child's whole environment: nothing of the caller's (keys, tokens) is passed on."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(folder),
            "TMPDIR": str(folder), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYTHONHASHSEED": "0"}


def _read_roots():
    """Folders the checked code may read besides its own: the standard library (numpy's is added by the child)."""
    paths = sysconfig.get_paths()
    roots = {paths["stdlib"], paths["platstdlib"]} | {p for p in sys.path if p.endswith(".zip")}
    return sorted(r for r in roots if r)


@dataclass
class Run:
    """What came back from one child: the import's status, one record per case (with its arrays), and how it ended."""

    imported: dict | None          # {"import": "ok" | "syntax_error" | "exception" | "no_function", ...}
    cases: list                    # per case: a dict with "status", and "dW", "db", "forward" arrays when ok
    ended: str                     # "normally", "time-out", "cpu", "killed", "output"
    returncode: int | None
    seconds: float
    stdout: str
    stderr: str
    refused: list


def _tail(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read(OUTPUT_KEPT + 1)
    except OSError:
        return ""
    text = data[:OUTPUT_KEPT].decode("utf-8", "replace")
    return text + ("\n… (output cut)" if len(data) > OUTPUT_KEPT else "")


def _load_array(path):
    """An array from the child, float64 only, never a pickle; None when missing or damaged."""
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    return array if isinstance(array, np.ndarray) and array.dtype == np.float64 else None


def _collect(folder, case, record, depth, bias):
    record["dW"] = [_load_array(folder / f"out{case}_dW{k}.npy") for k in range(depth)]
    record["db"] = [_load_array(folder / f"out{case}_db{k}.npy") for k in range(depth)] if bias else None
    if any(a is None for a in record["dW"] + (record["db"] or [])):
        return {"case": case, "status": "bad_return", "message": "its result files were missing or damaged"}
    forward = record.get("forward")
    if isinstance(forward, dict) and forward.get("status") == "ok":
        count = min(int(forward.get("count", 0)), depth + 1)
        forward["arrays"] = [_load_array(folder / f"out{case}_fwd{k}.npy") for k in range(count)]
    return record


def _status_lines(folder):
    try:
        with open(folder / "status.jsonl", "rb") as handle:
            data = handle.read(STATUS_CAP)
    except OSError:
        return []
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            break
        if isinstance(value, dict):
            out.append(value)
    return out


def _write_inputs(folder, cases, bias):
    for i, point in enumerate(cases):
        np.save(folder / f"in{i}_x.npy", point.x)
        np.save(folder / f"in{i}_y.npy", point.y)
        for k, w in enumerate(point.W):
            np.save(folder / f"in{i}_W{k}.npy", w)
        for k, v in enumerate(point.b if bias else []):
            np.save(folder / f"in{i}_b{k}.npy", v)


def _ended(returncode, timed_out):
    if timed_out:
        return "time-out"
    if returncode is None or returncode >= 0:
        return "normally" if returncode == 0 else "error"
    sig = -returncode
    return {signal.SIGXCPU: "cpu", signal.SIGKILL: "killed", signal.SIGXFSZ: "output"}.get(sig, f"signal {sig}")


def run_submission(path, cases, depth, bias, functions, limits=Limits()):
    """Run the student's file on the cases (Points) in a child process; a Run with every case's result.

    ``functions`` maps a role (backward, forward, loss) to the name to look up in the file.
    """
    path = Path(path)
    folder = Path(tempfile.mkdtemp(prefix="gradproof-code-"))
    try:
        module = "submission.py"
        shutil.copyfile(path, folder / module)
        _write_inputs(folder, cases, bias)
        job = {"module": module, "functions": functions, "cases": len(cases), "read_roots": _read_roots(),
               "spec": {"depth": depth, "bias": bias},
               "limits": {"cpu": max(1, int(limits.seconds + 0.999)), "memory": limits.memory_mb * 2 ** 20,
                          "file": limits.file_mb * 2 ** 20, "open_files": limits.open_files}}
        (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
        start = time.perf_counter()
        timed_out = False
        with open(folder / "stdout.txt", "wb") as out, open(folder / "stderr.txt", "wb") as err:
            child = subprocess.Popen([sys.executable, "-I", "-B", str(RUNNER)], cwd=folder, env=environment(folder),
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err, close_fds=True,
                                     start_new_session=True)
            try:
                child.wait(timeout=limits.wall)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                child.wait()
        seconds = time.perf_counter() - start
        lines = _status_lines(folder)
        imported = lines[0] if lines and "import" in lines[0] else None
        records = {}
        refused = list(lines[-1].get("refused", [])) if lines else []
        for line in lines[1:]:
            case = line.get("case")
            if isinstance(case, int) and 0 <= case < len(cases) and case not in records:
                records[case] = _collect(folder, case, line, depth, bias) if line.get("status") == "ok" else line
        ended = _ended(child.returncode, timed_out)
        return Run(imported, [records.get(i) for i in range(len(cases))], ended, child.returncode, seconds,
                   _tail(folder / "stdout.txt"), _tail(folder / "stderr.txt"),
                   [str(r)[:300] for r in refused if isinstance(r, str)][:20])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
