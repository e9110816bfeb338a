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
        fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    except FileNotFoundError:
        raise GradproofError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist") from None
    except OSError as error:
        raise GradproofError(f"cannot write {str(path)!r}: {error.strerror}") from None
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
