"""A sheet as a format-neutral document: headings, paragraphs, displays, tables, figures, notes.

Text is plain (each renderer escapes it for its format); a command is :class:`Code`; mathematics is LaTeX from
symbolic/printing.py, wrapped in :class:`Math` inline or in a :class:`Display` of aligned rows
(each row holds one ``&`` before its relation sign). The renderers (tex.py, html.py, md.py) walk the
blocks in order; none of them computes anything.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Math:
    """Inline mathematics, as LaTeX."""

    tex: str


@dataclass(frozen=True)
class Code:
    """Inline code: a command a reader copies, set in a fixed-width font and broken only at its spaces."""

    text: str


def parts(*items):
    """Inline content: a tuple of plain strings, Math and Code, empty strings dropped."""
    return tuple(i for i in items if i != "")


@dataclass(frozen=True)
class Heading:
    level: int                 # 1 title, 2 section, 3 parameter
    content: tuple
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    content: tuple


@dataclass(frozen=True)
class Answer(Paragraph):
    """Room on paper to write a blank's answer: its id, a line of about ``chars`` characters (0: the whole line),
    then ``lines - 1`` more whole lines. Formats without paper show it as the paragraph of its ``content``."""

    blank: str = ""
    lines: int = 1
    chars: int = 0


def answer_space(blank, chars=0, lines=1):
    """The :class:`Answer` block of a blank (its content the id and a run of underscores, for any other format)."""
    return Answer(parts(Code(blank), " ", "_" * (chars or 40)), blank, lines, chars)


@dataclass(frozen=True)
class Display:
    """Displayed mathematics: aligned rows of LaTeX, each with one ``&`` before its relation."""

    rows: tuple


@dataclass(frozen=True)
class Items:
    """A list; each item is inline content."""

    items: tuple
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    """A table; every cell is inline content. ``align`` holds one of l, c, r per column."""

    header: tuple
    rows: tuple
    align: str
    caption: tuple = ()


@dataclass(frozen=True)
class Figure:
    """The network diagram with a parameter's paths highlighted (param None: the plain network)."""

    model: object = field(compare=False)
    param: object
    caption: tuple
    small: bool = False


@dataclass(frozen=True)
class Note:
    """A remark set apart from the text: what the sheet leaves out and why, or a warning."""

    content: tuple


@dataclass(frozen=True)
class PageBreak:
    """The start of a new printed page (between two parts of a page, as the variants of a combined file)."""


@dataclass
class Sheet:
    title: str
    blocks: list
    name: str = "sheet"

    def add(self, *blocks):
        self.blocks.extend(blocks)
        return self
