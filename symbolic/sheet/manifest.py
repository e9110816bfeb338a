"""derivations/: a manifest (sheets.toml) of sheets to generate, each from a spec file and a POINT file.

Each ``[[sheet]]`` table names the sheet (``name``, the stem of its files), its ``spec`` and ``at``
(paths relative to the manifest, inside its folder: regeneration reads nothing else), and optionally ``lr``, ``params``, ``title``, ``intro`` and
``formats`` (default tex, html and md). ``kind = "matrix"`` makes the matrix-form sheet of its spec (no point);
``kind = "claims"`` makes the sheet of the notes' claims and slips
(symbolic/claims/) instead of a derivation: it takes no spec and no point. Generation is deterministic: the same inputs give
byte-identical files.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gradproof.numeric.errors import GradproofError
from gradproof.numeric.files import read_toml

MANIFEST = "sheets.toml"
_KEYS = ("name", "kind", "spec", "at", "lr", "params", "title", "intro", "formats")


def _derivation(entry, folder):
    from gradproof.numeric.notation import parse_param
    from gradproof.numeric.point import load_point
    from gradproof.numeric.spec import Spec

    from . import content
    spec = Spec.from_toml(folder / entry["spec"])
    point = load_point(folder / entry["at"], spec) if "at" in entry else None
    params = [spec.check_param(parse_param(p)) for p in entry.get("params", [])] or None
    return content.build(spec, params, point, float(entry.get("lr", content.DEFAULT_LR)),
                         title=entry.get("title"), intro=entry.get("intro"), name=entry["name"])


def _claims(entry, folder):
    from ..claims import sheet as claims_sheet
    return claims_sheet.build(name=entry["name"], title=entry.get("title", claims_sheet.TITLE))


def _matrix(entry, folder):
    from gradproof.numeric.spec import Spec

    from ..matrix import sheet as matrix_sheet
    return matrix_sheet.build(Spec.from_toml(folder / entry["spec"]), title=entry.get("title"), name=entry["name"])


@dataclass(frozen=True)
class Kind:
    """A kind of sheet a manifest entry makes: ``build(entry, folder)`` gives the Sheet."""

    name: str
    build: Callable
    needs_spec: bool = True


KINDS = {k.name: k for k in (Kind("derivation", _derivation), Kind("claims", _claims, needs_spec=False),
                             Kind("matrix", _matrix))}
DEFAULT_KIND = "derivation"          # an entry without ``kind``


def read(folder):
    """The manifest's sheet entries, checked: [{key: value}] with paths resolved against the folder."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.exists():
        raise GradproofError(f"no manifest {str(path)!r}: --regenerate needs a folder with a {MANIFEST}")
    data = read_toml(path, "manifest")
    entries = data.get("sheet")
    if not isinstance(entries, list) or not entries:
        raise GradproofError(f"{path}: no [[sheet]] tables")
    names = set()
    for n, entry in enumerate(entries, 1):
        unknown = sorted(set(entry) - set(_KEYS))
        if unknown:
            raise GradproofError(f"{path}: sheet {n}: unknown key {unknown[0]!r}; valid: {', '.join(_KEYS)}")
        kind = entry.get("kind", DEFAULT_KIND)
        if kind not in KINDS:
            raise GradproofError(f"{path}: sheet {n}: unknown kind {kind!r}; valid: {', '.join(KINDS)}")
        if "name" not in entry or ("spec" not in entry and KINDS[kind].needs_spec):
            raise GradproofError(f"{path}: sheet {n}: needs a name and a spec")
        for key in ("spec", "at"):
            if key in entry and not _inside(folder, entry[key]):
                raise GradproofError(f"{path}: sheet {n}: {key} {str(entry[key])!r} is not in {str(folder)!r}; "
                                     "a manifest reads only its own folder")
        if entry["name"] in names:
            raise GradproofError(f"{path}: sheet name {entry['name']!r} appears twice")
        names.add(entry["name"])
    return entries


def _inside(folder, name):
    """Whether a manifest's path names a file in its folder (or below), not one elsewhere."""
    return isinstance(name, str) and (folder / name).resolve().is_relative_to(folder.resolve())


def regenerate(folder, out=None):
    """Generate every sheet of folder/sheets.toml into ``out`` (default: the folder); the files written."""
    from ..output import write_output
    from . import files

    folder = Path(folder)
    out = Path(out) if out is not None else folder
    entries = read(folder)                       # a broken manifest is an error before any folder is made
    _make_folder(out)
    written = []
    for entry in entries:
        sheet = KINDS[entry.get("kind", DEFAULT_KIND)].build(entry, folder)
        for fmt in entry.get("formats", ["tex", "html", "md"]):
            for name, data in files(sheet, fmt).items():
                write_output(data, out / name)
                written.append(out / name)
    return written


def _make_folder(out):
    """The output folder, made with its parents when missing; a file in its way is an error naming it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise GradproofError(f"cannot write into {str(out)!r}: it is a file, not a folder") from None
    except OSError as error:
        raise GradproofError(f"cannot make the folder {str(out)!r}: {error.strerror}") from None
