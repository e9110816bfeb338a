"""Worked derivation sheets: the chain rule for a network's parameters, as LaTeX/PDF, HTML and Markdown.

content.py decides what a sheet says (a format-neutral document.Sheet); tex.py, html.py and md.py
print it, each a render.Renderer with one ``_render_<Block>`` method per block class; diagram.py
draws the network; manifest.py regenerates derivations/ from its sheets.toml. :data:`FORMATS` is
the one list of formats: the command line's choices and the suffixes it understands come from it.
"""
import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Format:
    """One output format: its name, the file suffixes that ask for it, and whether it can go to standard output."""

    name: str
    description: str
    suffixes: tuple
    text: bool                  # printable to standard output (PDF is bytes, Markdown writes an SVG beside it)
    _files: str                 # "module:function" giving {file name: text or bytes} for a sheet

    def files(self, sheet):
        module, function = self._files.split(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(sheet)


FORMATS = {f.name: f for f in (
    Format("tex", "LaTeX", ("tex",), True, "tex:tex_files"),
    Format("pdf", "PDF through pdflatex", ("pdf",), False, "tex:pdf_files"),
    Format("html", "one self-contained HTML page", ("html", "htm"), True, "html:files"),
    Format("md", "Markdown with the network as an SVG file beside it", ("md", "markdown"), False, "md:files"),
)}


def get(fmt):
    """The :class:`Format` of a name, or an error listing the valid ones."""
    if fmt not in FORMATS:
        from gradproof.numeric.errors import unknown
        raise unknown("format", fmt, FORMATS)
    return FORMATS[fmt]


def files(sheet, fmt):
    """{file name: text or bytes} for a sheet in one format; the main file is named ``<sheet.name>.<fmt>``."""
    return get(fmt).files(sheet)


def format_of(path):
    """The format a file name asks for, from its suffix; None when the suffix names none.

    Examples
    ========
    >>> from gradproof.symbolic.sheet import format_of
    >>> format_of("notes.HTM"), format_of("notes.markdown"), format_of("notes.txt")
    ('html', 'md', None)
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    return next((f.name for f in FORMATS.values() if suffix in f.suffixes), None)
