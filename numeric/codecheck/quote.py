"""Text that comes from a student's code (exception messages, names, printed output, paths it tried) made safe
to show: one line of printable characters for a cell or a message, or printable lines for an excerpt.

A line break becomes ⏎ and any other character that is not printable (controls, escape sequences,
bidirectional overrides, U+2028) becomes ``\\xNN`` or ``\\uNNNN``, so that the text cannot start a row of its
own in a CSV file or a report, move the cursor, or reorder what a reader sees.

Examples
========
>>> from gradproof.numeric.codecheck.quote import one_line, quoted
>>> one_line("bad\\nnews,correct\\r\\x1b[2J")
'bad⏎news,correct⏎\\\\x1b[2J'
>>> quoted("found nothing")
'“found nothing”'
"""


def _visible(ch):
    if ch.isprintable():
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def one_line(text, limit=300):
    """The text on one line of printable characters, cut to ``limit`` characters (… marks a cut)."""
    text = str(text).replace("\r\n", "\n")
    out = "".join("⏎" if ch in "\n\r\v\f\x85\u2028\u2029" else " " if ch == "\t" else _visible(ch) for ch in text)
    return out if len(out) <= limit else out[:limit - 1] + "…"


def quoted(text, limit=300):
    """The student's text as one line between quotation marks, so that a reader sees where it starts and ends."""
    return f"“{one_line(text, limit)}”"


def printable(text):
    """Printed output kept on its lines, every other character that is not printable made visible."""
    return "\n".join("".join(" " if ch == "\t" else _visible(ch) for ch in line)
                     for line in str(text).replace("\r\n", "\n").split("\n"))


__all__ = ["one_line", "quoted", "printable"]
