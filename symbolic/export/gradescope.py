"""Gradescope: an autograder zip (``setup.sh`` and ``run_autograder`` at its root).

At run time Gradescope puts the zip's contents in ``/autograder/source``, the student's files in
``/autograder/submission`` and expects ``/autograder/results/results.json`` (gradescope/autograder_samples,
``docs/specs.md``). The zip carries the answer key, gradproof and lark (``vendor/``); ``setup.sh``
installs numpy and sympy. A submission is ``answers.json`` (``{"variant": "v01-…", "answers": {"1": "…",
"3.loss": "…"}}``) or ``answers.csv`` (``question,answer`` rows, and a row ``variant,v01-…``); a
``variants.csv`` roster (``student,variant``, the student's email or SID) in the zip names a student's
variant when the submission does not. Each blank is one test: its points, ``passed``/``failed``, and
gradproof's feedback as Markdown; an unreadable answer scores 0 with a "could not read" message and its
verdict in ``extra_data``.
"""
from .bundle import runtime_files

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3 python3-pip
fi
python3 -m pip install 'numpy>=1.26' 'sympy>=1.12'
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Grades /autograder/submission against the answer key; writes /autograder/results/results.json.
# AUTOGRADER_ROOT moves the whole layout (for trying it out on a laptop).
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
export PYTHONPATH="$root/source/vendor${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m gradproof.symbolic.export.runtime "$root"
"""


def files(assignment, roster=None):
    """{path in the zip: text or bytes}."""
    out = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER,
           "key.json": (assignment.folder / "key.json").read_bytes()}
    if roster is not None:
        out["variants.csv"] = roster
    for path, content in runtime_files().items():
        out[f"vendor/{path}"] = content
    return out


EXECUTABLE = ("setup.sh", "run_autograder")
