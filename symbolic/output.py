"""Writing a file the way every command does: the whole file or nothing.

Library code (the sheets' manifest, the plots) and the commands write through :func:`write_output`, so
that an interrupted or failed write never leaves half a file under the target's name.
"""
import os
import tempfile
from pathlib import Path

from gradproof.numeric.errors import GradproofError


def write_output(text, path):
    """Write a whole file or nothing: a temporary file beside the target, renamed over it.

    ``text`` is a str (written as UTF-8) or bytes. An error names the file and the reason.
    """
    path = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise GradproofError(f"cannot write {str(path)!r}: {_why(path.parent, error)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp makes the file private; give it the permissions an ordinary new file would have
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise GradproofError(f"cannot write {str(path)!r}: {error.strerror}") from None


def _why(folder, error):
    """Why no file can be made in folder: it is missing, a file stands in its place, or the folder refuses
    (permissions, a read-only or virtual file system: the system's own words)."""
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                return f"{str(parent)!r} is a file, not a folder"
            if parent != folder:
                return f"folder {str(folder)!r} does not exist"
            if isinstance(error, FileNotFoundError):      # e.g. /proc: there, but it makes no new files
                return f"folder {str(folder)!r} exists but does not accept new files"
            return f"folder {str(folder)!r} cannot be written ({error.strerror or error})"
    return f"folder {str(folder)!r} does not exist"
