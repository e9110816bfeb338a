"""Exports of an exercise folder to course platforms: Moodle XML, Canvas QTI, PrairieLearn, Gradescope.

``gradproof export DIR --to PLATFORM [-o OUT]`` reads a folder written by ``gradproof exercise``
(items.py) and writes the platform's own format. One registry, PLATFORMS, names each platform with its
writer and default output; the CLI reads it. Same inputs, byte-identical outputs; the output is written
to a temporary name beside OUT and renamed into place, so a failed export leaves nothing half-written.
"""
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gradproof.numeric.errors import GradproofError, unknown

# each writer imports its platform's module when it runs: the platforms' graders (runtime.py, pl_runtime.py) live
# in this package and must not load every exporter, nor the pages and sheets the exporters draw on


@dataclass(frozen=True)
class Platform:
    name: str
    default: str            # the output's name inside the exercise folder when -o is not given
    folder: bool            # the output is a folder (else one file)
    write: Callable         # write(assignment, temporary path, options)
    title: str


def _moodle(assignment, path, options):
    from . import moodle
    moodle.write(assignment, path)


def _canvas(assignment, path, options):
    from . import canvas
    canvas.write(assignment, path)


def _prairielearn(assignment, path, options):
    from ..model import Model
    from ..sheet import diagram
    from . import bundle, prairielearn
    spec = items_spec(assignment)
    picture = diagram.svg(Model(spec)) if diagram.drawable(spec) else ""
    bundle.write_tree(path, prairielearn.files(assignment, picture, options.get("roster")))


def _gradescope(assignment, path, options):
    from . import bundle, gradescope
    roster = options.get("roster")
    text = None if roster is None else "student,variant\n" + "".join(f"{s},{v}\n" for s, v in roster.items())
    bundle.write_zip(path, gradescope.files(assignment, text, options.get("code")),
                     executable=gradescope.EXECUTABLE)


def read_roster(path, variants):
    """{student: variant} from a CSV with the header id,variant (or student,variant); every variant must be
    one of the key's."""
    import csv
    import io
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise GradproofError(f"cannot read roster {path}: {error}") from None
    rows = list(csv.reader(io.StringIO(text)))
    head = [c.strip().lower() for c in rows[0][:2]] if rows else []
    if head not in (["id", "variant"], ["student", "variant"]):
        raise GradproofError(f"{path}: a roster starts with the header id,variant (the student's id on the platform: "
                             "the email on Gradescope, the UID on PrairieLearn)")
    roster = {}
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row) or (len(row) >= 2 and not row[0].strip()):
            continue                        # an empty line, or a variant of the template nobody was given yet
        if len(row) < 2:
            raise GradproofError(f"{path}, line {n}: expected id,variant")
        student, variant = row[0].strip(), row[1].strip()
        if variant not in variants:
            raise GradproofError(f"{path}, line {n}: variant {variant!r} is not in the key")
        roster[student] = variant
    return roster


PLATFORMS = {p.name: p for p in (
    Platform("moodle", "moodle", True, _moodle, "Moodle XML question files, one category per variant"),
    Platform("canvas", "canvas-qti.zip", False, _canvas, "Canvas QTI 1.2 quiz"),
    Platform("prairielearn", "prairielearn", True, _prairielearn, "PrairieLearn questions and server files"),
    Platform("gradescope", "gradescope-autograder.zip", False, _gradescope, "Gradescope autograder"),
)}


def items_spec(assignment):
    return assignment.spec


def platform(name):
    if name not in PLATFORMS:
        raise unknown("platform", name, PLATFORMS)
    return PLATFORMS[name]


def export(folder, to, out=None, **options):
    """Write the export of an exercise folder for platform ``to``; returns the path written."""
    from . import items
    p = platform(to)
    assignment = items.load(folder)
    if options.get("roster") is not None:
        variants = {v["variant"] for v in assignment.key["variants"]}
        options = {**options, "roster": read_roster(options["roster"], variants)}
    target = Path(out) if out is not None else Path(folder) / p.default
    parent = target.parent
    if not parent.is_dir():
        raise GradproofError(f"cannot write {target}: folder {parent} does not exist")
    if target.is_dir() != p.folder and target.exists():
        kind = "a folder" if p.folder else "a file"
        raise GradproofError(f"cannot write {target}: the {p.name} export is {kind}, and {target} exists as the other")
    try:
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp"))
    except OSError as error:
        raise GradproofError(f"cannot write {target}: {error.strerror}") from None
    try:
        staged = tmp / "out"
        if p.folder:
            staged.mkdir()
        p.write(assignment, staged, options)
        if p.folder and target.exists():
            shutil.rmtree(target)
        os.replace(staged, target)
    except OSError as error:
        raise GradproofError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not p.folder:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(target, 0o666 & ~umask)
    return target
