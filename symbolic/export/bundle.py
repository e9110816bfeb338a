"""The files a platform needs to run gradproof's grader: gradproof itself and lark, copied, byte for byte.

Course platforms run their own Python: PrairieLearn's question runtime has numpy and sympy but no lark,
and a Gradescope image has what setup.sh installs. Rather than ask a teacher to publish gradproof to a
package index, an export carries the grader with it: the installed ``gradproof.symbolic`` and
``gradproof.numeric`` packages (sources and data files, no caches) and the pure-Python ``lark`` package,
with its licence. Zips are written with a fixed timestamp and sorted entries, so that the same inputs give
byte-identical exports.
"""
import zipfile
from importlib import import_module
from pathlib import Path

SUFFIXES = {".py", ".lark", ".css", ".tex", ".html", ".txt", ".md"}
ZIP_TIME = (2000, 1, 1, 0, 0, 0)        # a fixed date: the same export gives the same bytes


def _package_files(name):
    """(relative path under the import root, source path) of every file of an installed package."""
    module = import_module(name)
    root = Path(module.__file__).resolve().parent
    prefix = Path(*name.split("."))
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
            yield prefix / path.relative_to(root), path


def runtime_files():
    """{relative path: bytes} of gradproof's grader and lark, ready to put on a platform's sys.path."""
    files = {}
    for name in ("gradproof.numeric", "gradproof.symbolic", "lark"):
        for relative, path in _package_files(name):
            files[relative.as_posix()] = path.read_bytes()
    lark_root = Path(import_module("lark").__file__).resolve().parent
    for licence in sorted(lark_root.parent.glob("lark-*.dist-info/LICENSE*")) + \
            sorted(lark_root.parent.glob("lark-*.dist-info/licenses/*")):
        files["lark/LICENSE"] = licence.read_bytes()
    return files


def write_tree(folder, files):
    """Write {relative path: bytes or str} under folder."""
    for relative, content in sorted(files.items()):
        target = Path(folder) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        target.write_bytes(content)


def write_zip(path, files, executable=()):
    """A zip of {relative path: bytes or str}, entries sorted, with a fixed date; ``executable`` get mode 755."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in sorted(files):
            content = files[relative]
            if isinstance(content, str):
                content = content.encode("utf-8")
            info = zipfile.ZipInfo(relative, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o40755 if relative.endswith("/") else 0o100755 if relative in executable else 0o100644
            info.external_attr = mode << 16
            archive.writestr(info, content)
