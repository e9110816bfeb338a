"""One progress bar for the commands that run long (training, batch grading): a single line on a
terminal's stderr, redrawn in place, and nothing at all when stderr is not a terminal."""
import sys
import time


class ProgressBar:
    """``[#####.....] 12/200 epochs  loss 0.0123``, redrawn on every call.

    Examples
    ========
    >>> import io
    >>> from gradproof.numeric.progress import ProgressBar
    >>> out = io.StringIO()
    >>> bar = ProgressBar(4, "answers", out, width=8)
    >>> bar(1, "3/s"); bar.close()
    >>> out.getvalue()
    '\\r[##......] 1/4 answers  3/s\\n'
    """

    def __init__(self, total, unit, stream, width=30):
        self.total, self.unit, self.stream, self.width = total, unit, stream, width
        self.start = time.perf_counter()

    @classmethod
    def on_terminal(cls, total, unit, enabled=True):
        """A bar on stderr when it is a terminal (and the caller wants one), else None."""
        return cls(total, unit, sys.stderr) if enabled and sys.stderr.isatty() else None

    def rate(self, done):
        """Items per second so far."""
        return done / max(time.perf_counter() - self.start, 1e-9)

    def __call__(self, done, note=""):
        filled = round(self.width * done / max(self.total, 1))
        line = f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {self.unit}"
        self.stream.write(f"{line}  {note}" if note else line)
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()
