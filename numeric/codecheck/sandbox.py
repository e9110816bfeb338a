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
- quotas on the folder as a whole: bytes written in all and the number of files, watched from here while
  it runs (the child is stopped when it goes over) as well as refused by its audit hook;
- its output to files in the folder, of which only the first few kB are read back;
- results as ``.npy`` files loaded with ``allow_pickle=False`` (never a pickle from the child), and its
  record (the import, each case, each refusal) read from a pipe as it is written, line by line with a cap:
  the checked code cannot take back a line once written.

What this does not protect against is in the README ("Checking students' code").
"""
import json
import os
import select
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
CHANNEL_LOST = 86               # runner.CHANNEL_LOST (runner.py is the child's script: it is not imported here)
OUTPUT_KEPT = 4000              # characters of the child's stdout/stderr kept for the report
LINE_CAP = 1 << 16              # bytes of one record line; a longer line is not the child's record
REFUSALS_KEPT = 50              # distinct refusals listed (the rest are counted)
WATCH = 0.05                    # seconds between two looks at the folder's size while the child runs


@dataclass(frozen=True)
class Limits:
    """What one submission may use: wall-clock seconds, CPU seconds, memory (MB), bytes per file written (MB)."""

    seconds: float = 10.0
    memory_mb: int = 1024
    file_mb: int = 64
    open_files: int = 64
    total_mb: int = 256           # bytes written into its folder in all (the harness's own results aside)
    files: int = 100              # files and folders it may create

    @property
    def wall(self):
        """Wall-clock seconds before the session is killed: CPU-bound code meets its CPU limit first, even on a
        loaded machine; this catches code that waits (sleep, input)."""
        return 2 * self.seconds + 2

    def text(self):
        return (f"{self.seconds:g} s, {self.memory_mb} MB of memory, {self.file_mb} MB per file, "
                f"{self.total_mb} MB and {self.files} files in all")


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
    ended: str                     # "normally", "time-out", "cpu", "killed", "output", "quota", "tampered"
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


class Record:
    """The child's record as read from the pipe: the import, the first record of each case, the refusals in order,
    and what did not belong there (bytes the checked code wrote into the pipe itself)."""

    def __init__(self, cases):
        self.cases = cases
        self.imported = None
        self.records = {}
        self.refused = []
        self.more_refusals = 0
        self.foreign = 0
        self.pending = b""

    def feed(self, data):
        self.pending += data
        *lines, self.pending = self.pending.split(b"\n")
        if len(self.pending) > LINE_CAP:
            self.foreign += len(self.pending)
            self.pending = b""
        for line in lines:
            if line:
                self._line(line)

    def _line(self, line):
        try:
            value = json.loads(line.decode("ascii")) if len(line) <= LINE_CAP else None
        except ValueError:
            value = None
        if not isinstance(value, dict):
            self.foreign += len(line)
        elif isinstance(value.get("refused"), str):
            self.refuse(value["refused"])
        elif "import" in value and self.imported is None:
            self.imported = value
        elif isinstance(value.get("case"), int) and 0 <= value["case"] < self.cases and "status" in value:
            self.records.setdefault(value["case"], value)
        elif value.get("end") is True:
            pass                     # the child's last line: every case was run
        else:
            self.foreign += len(line)

    def refuse(self, what):
        what = str(what)[:300]
        if what in self.refused:
            return
        if len(self.refused) < REFUSALS_KEPT:
            self.refused.append(what)
        else:
            self.more_refusals += 1

    def refusals(self):
        notes = list(self.refused)
        if self.foreign:
            notes.append(f"writing {self.foreign:,} bytes of its own into the checker's record")
        if self.more_refusals:
            notes.append(f"… and {self.more_refusals} more refused actions")
        return notes


def _usage(folder, uncounted, cap):
    """(bytes, entries) in the folder, the ``uncounted`` paths aside; stops counting entries beyond ``cap``."""
    size, entries, stack = 0, 0, [folder]
    while stack and entries <= cap:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    if entry.path in uncounted:
                        continue
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    size += info.st_size
                    entries += 1
        except OSError:
            continue
    return size, entries


class Quota:
    """The folder's quotas: the files the checked code creates (the harness's own aside), and the bytes of every
    file but the inputs, with room for the harness's results (each array up to ``RESULT_ROOM`` times the size
    of the right one, for a per-sample gradient)."""

    RESULT_ROOM = 8

    def __init__(self, folder, limits, inputs, results, result_bytes):
        self.folder, self.limits = str(folder), limits
        self.inputs, self.own = frozenset(inputs), frozenset(inputs) | frozenset(results)
        self.bytes = limits.total_mb * 2 ** 20 + self.RESULT_ROOM * result_bytes

    def over(self):
        """The refusal when the folder holds more than the quotas allow, else None."""
        _, entries = _usage(self.folder, self.own, self.limits.files)
        if entries > self.limits.files:
            return f"creating more than {self.limits.files} files (stopped)"
        size, _ = _usage(self.folder, self.inputs, float("inf"))
        if size > self.bytes:
            return f"writing more than {self.limits.total_mb} MB in all (stopped)"
        return None


def _watch(child, read_fd, record, quota, limits):
    """Read the child's record as it comes and watch its folder until it ends; how it ended."""
    deadline = time.monotonic() + limits.wall
    ended, open_ = None, True
    next_look = 0.0
    while True:
        now = time.monotonic()
        if open_:
            ready, _, _ = select.select([read_fd], [], [], WATCH)
            if ready:
                data = os.read(read_fd, 1 << 16)
                if data:
                    record.feed(data)
                else:
                    open_ = False
        elif child.poll() is None:
            time.sleep(WATCH / 5)
        if child.poll() is not None and not open_:
            break
        if now >= next_look:
            next_look = now + WATCH
            over = quota.over()
            if over:
                record.refuse(over)
                ended = "quota"
                break
        if now > deadline:
            ended = "time-out"
            break
    return ended


def _result_files(cases, depth):
    """runner.own_files: the result files the harness writes in the child."""
    return [f"out{i}_{array}{k}.npy" for i in range(cases) for array in ("dW", "db", "fwd") for k in range(depth + 1)]


def _write_inputs(folder, cases, bias):
    for i, point in enumerate(cases):
        np.save(folder / f"in{i}_x.npy", point.x)
        np.save(folder / f"in{i}_y.npy", point.y)
        for k, w in enumerate(point.W):
            np.save(folder / f"in{i}_W{k}.npy", w)
        for k, v in enumerate(point.b if bias else []):
            np.save(folder / f"in{i}_b{k}.npy", v)


def _ended(returncode):
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
    read_fd = write_fd = None
    try:
        module = "submission.py"
        shutil.copyfile(path, folder / module)
        _write_inputs(folder, cases, bias)
        inputs = [str(p) for p in folder.iterdir()] + [str(folder / "job.json")]
        results = _result_files(len(cases), depth)
        quota = Quota(folder, limits, inputs, [str(folder / n) for n in results + ["stdout.txt", "stderr.txt"]],
                      sum(8 * (p.y.size + sum(w.size for w in p.W) + sum(v.size for v in p.b or ())) for p in cases))
        read_fd, write_fd = os.pipe()
        job = {"module": module, "functions": functions, "cases": len(cases), "read_roots": _read_roots(),
               "spec": {"depth": depth, "bias": bias}, "channel": write_fd, "own_files": results,
               "limits": {"cpu": max(1, int(limits.seconds + 0.999)), "memory": limits.memory_mb * 2 ** 20,
                          "file": limits.file_mb * 2 ** 20, "open_files": limits.open_files, "files": limits.files}}
        (folder / "job.json").write_text(json.dumps(job), encoding="utf-8")
        start = time.perf_counter()
        record = Record(len(cases))
        with open(folder / "stdout.txt", "wb") as out, open(folder / "stderr.txt", "wb") as err:
            child = subprocess.Popen([sys.executable, "-I", "-B", str(RUNNER)], cwd=folder, env=environment(folder),
                                     stdin=subprocess.DEVNULL, stdout=out, stderr=err, close_fds=True,
                                     pass_fds=(write_fd,), start_new_session=True)
            os.close(write_fd)
            write_fd = None
            try:
                stopped = _watch(child, read_fd, record, quota, limits)
            finally:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                child.wait()
        seconds = time.perf_counter() - start
        records = {case: _collect(folder, case, line, depth, bias) if line.get("status") == "ok" else line
                   for case, line in record.records.items()}
        ended = stopped or _ended(child.returncode)
        if child.returncode == CHANNEL_LOST:
            ended = "tampered"
            record.refuse("closing or replacing the checker's record channel (stopped)")
        return Run(record.imported, [records.get(i) for i in range(len(cases))], ended, child.returncode, seconds,
                   _tail(folder / "stdout.txt"), _tail(folder / "stderr.txt"), record.refusals())
    finally:
        for fd in (read_fd, write_fd):
            if fd is not None:
                os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
