"""Start-up: what a command costs from the shell prompt, as a student's terminal or a platform's grading worker
feels it, next to what Python itself costs on the same machine in the same minute.

Each command runs in a new process, in turns with its baselines (``python -c pass``; ``python -c "import sympy,
numpy"``), ``startup_repeats`` times after one warm-up round (which also writes the bytecode caches an install
has); the medians are compared. The goals: ``gradproof --version`` and ``--help`` within 0.1 s of a bare Python,
one ``gradproof grade`` within 0.15 s of importing sympy and numpy.

gradproof's program freezes its objects before exit so that the interpreter's last collections skip them (see
``cli.program``); a bare ``import sympy, numpy`` pays those collections. So the row also times that import with
the same freeze, and reports what a grade costs over it: gradproof's own imports and work, like for like.
"""
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .units import goal
from .units import seconds as _s

TITLE = "Start-up"
ANSWER = r"-2(y-\hat{y})\hat{y}(1-\hat{y}) O_{21}"          # dL/dw^3_11 of the notes' network: right
SLIP = r"2(y-\hat{y})\hat{y}(1-\hat{y}) O_{21}"             # its sign slip: diagnosed
VERSION_GOAL = HELP_GOAL = 0.1
GRADE_GOAL = 0.15


def gradproof_argv():
    """The ``gradproof`` program as a user runs it: the script installed beside this Python, else ``-m``."""
    script = Path(sys.executable).with_name("gradproof")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "gradproof.symbolic"]


def commands():
    """{key: (what a reader sees, argv, the exit status that shows it did its work)}."""
    py, gp = sys.executable, gradproof_argv()
    grade = gp + ["grade", "--param", "w^3_11", "--answer"]
    return {
        "python": ("python -c pass", [py, "-c", "pass"], 0),
        "imports": ('python -c "import sympy, numpy"', [py, "-c", "import sympy, numpy"], 0),
        "imports_frozen": ('the same, frozen before exit as gradproof is',
                           [py, "-c", "import gc, sympy, numpy; gc.freeze()"], 0),
        "version": ("gradproof --version", gp + ["--version"], 0),
        "help": ("gradproof --help", gp + ["--help"], 0),
        "grade": ("gradproof grade, a right answer", grade + [ANSWER], 0),
        "grade_wrong": ("gradproof grade, a sign slip (diagnosed)", grade + [SLIP], 1),
    }


def measure(sizes, progress=None):
    runs = commands()
    # bytecode caches as an install has them: a user who set PYTHONDONTWRITEBYTECODE still has site-packages' own
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = {key: [] for key in runs}
    for round_ in range(sizes.startup_repeats + 1):
        if progress:
            progress(f"start-up round {round_ + 1} of {sizes.startup_repeats + 1}")
        for key, (_, argv, status) in runs.items():
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, cwd=Path.home())
            seconds = time.perf_counter() - start
            if done.returncode != status:
                last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
                return {"available": False, "note": f"{runs[key][0]}: {last}"}
            if round_:                     # the first round is the warm-up
                times[key].append(seconds)
    median = {key: statistics.median(t) for key, t in times.items()}
    return {"available": True, "repeats": sizes.startup_repeats, "program": " ".join(gradproof_argv()),
            "commands": {key: {"command": runs[key][0], "seconds": median[key], "min_s": min(times[key])}
                         for key in runs},
            "version_over_python_s": median["version"] - median["python"],
            "help_over_python_s": median["help"] - median["python"],
            "grade_over_imports_s": median["grade"] - median["imports"],
            "grade_wrong_over_imports_s": median["grade_wrong"] - median["imports"],
            "grade_over_frozen_imports_s": median["grade"] - median["imports_frozen"]}


def _signed(value):
    return ("+" if value >= 0 else "−") + _s(abs(value))


def lines(section):
    if not section.get("available"):
        return [f"   {section['note']}"]
    out = [f"   median of {section['repeats']} runs each, in turns:"]
    for row in section["commands"].values():
        out.append(f"   {row['command']:<48} {_s(row['seconds'])}")
    out.append(f"   --version {_signed(section['version_over_python_s'])} and --help "
               f"{_signed(section['help_over_python_s'])} over a bare Python; one grade "
               f"{_signed(section['grade_over_imports_s'])} over importing sympy and numpy "
               f"({_signed(section['grade_wrong_over_imports_s'])} with the diagnosis), "
               f"{_signed(section['grade_over_frozen_imports_s'])} like for like")
    return out


def goals(section):
    """--version and --help within 0.1 s of a bare Python; one grade within 0.15 s of importing sympy and numpy."""
    if not section.get("available"):
        return []
    version, help_, grade = (section[k] for k in ("version_over_python_s", "help_over_python_s",
                                                  "grade_over_imports_s"))
    return [goal("start-up: gradproof --version over python -c pass", f"<= {VERSION_GOAL} s", version,
                 version <= VERSION_GOAL),
            goal("start-up: gradproof --help over python -c pass", f"<= {HELP_GOAL} s", help_, help_ <= HELP_GOAL),
            goal('start-up: one gradproof grade over python -c "import sympy, numpy"', f"<= {GRADE_GOAL} s", grade,
                 grade <= GRADE_GOAL,
                 note=f"like for like (the imports frozen before exit too): "
                      f"{_signed(section['grade_over_frozen_imports_s'])}")]
