"""gradproof's cache directory, where work that depends only on gradproof's own files is kept between runs: the
answer grammars' parse tables (lark's ``cache=`` option): the scalar answers' (built in about 0.3 s) and the matrix
answers' (about 0.05 s), each read back in milliseconds.

The directory is ``$XDG_CACHE_HOME/gradproof`` (``~/.cache/gradproof`` by default), made private to the user.
lark reads its cache with pickle, so a file is only used from a directory that the user owns and nobody else can
write to (lark's own default, a name in the shared /tmp, is never used). Where no such directory can be had (a
read-only home in a grading container, say), the tables are built each time, as without a cache.
"""
import hashlib
import os
import stat
from pathlib import Path


def directory():
    """The private cache directory, made if missing; None when it cannot be made or is not private."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "gradproof"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_mode & 0o022 == 0
    if not private or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return None
    return path


def lark_options(name, grammar):
    """lark's ``cache=`` option for a grammar: a file named by the grammar's hash in the private directory (lark
    checks its own hash of grammar, options and version inside it and rebuilds a stale one); {} without one."""
    path = directory()
    if path is None:
        return {}
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    return {"cache": str(path / f"{name}-{digest}.lark")}
