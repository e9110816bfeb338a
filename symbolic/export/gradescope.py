"""Gradescope: an autograder zip (``setup.sh`` and ``run_autograder`` at its root).

At run time Gradescope puts the zip's contents in ``/autograder/source``, the student's files in
``/autograder/submission`` and expects ``/autograder/results/results.json`` (gradescope/autograder_samples,
``docs/specs.md``). The zip carries the answer key, gradproof and lark (``vendor/``). ``setup.sh`` makes a
virtual environment (``/autograder/venv``) and installs numpy and sympy there (and tomli on Python 3.10, the
default image's, which has no tomllib): images that follow PEP 668 refuse a system-wide ``pip install``.
``run_autograder`` runs the grader with that environment's Python.

A submission is ``answers.json`` (``{"variant": "v01-…", "answers": {"1": "…", "3.loss": "…"}}``) or
``answers.csv`` (``question,answer`` rows, and a row ``variant,v01-…``); a roster (``variants.csv``:
``student,variant``, the student's email as Gradescope lists it in ``submission_metadata.json``) names a
student's variant and refuses a submission that declares another. With ``code`` set (the file name a
student's own backprop is submitted under), that one file is checked as the student's
``backward(W, b, x, y)``; no other file of the submission is run.
"""
import json

from .bundle import runtime_files

VENV = "venv"           # under the autograder root: /autograder/venv

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image. Everything is installed into a virtual
# environment: newer images refuse a system-wide pip install (PEP 668).
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null || ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-venv
fi
"$python" -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --quiet 'numpy>=1.26' 'sympy>=1.12' "tomli>=2; python_version < '3.11'"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Grades /autograder/submission against the answer key; writes /autograder/results/results.json.
# AUTOGRADER_ROOT moves the whole layout (for trying it out on a laptop).
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
python="$root/venv/bin/python"
[ -x "$python" ] || python=python3
export PYTHONPATH="$root/source/vendor${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m gradproof.symbolic.export.runtime "$root"
"""


def files(assignment, roster=None, code=None):
    """{path in the zip: text or bytes}."""
    out = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER,
           "key.json": (assignment.folder / "key.json").read_bytes(),
           "gradescope.json": json.dumps({"code": code}, indent=1) + "\n"}
    if roster is not None:
        out["variants.csv"] = roster
    for path, content in runtime_files().items():
        out[f"vendor/{path}"] = content
    return out


EXECUTABLE = ("setup.sh", "run_autograder")
