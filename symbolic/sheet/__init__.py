"""Worked derivation sheets: the chain rule for a network's parameters, as LaTeX/PDF, HTML and Markdown.

content.py decides what a sheet says (a format-neutral document.Sheet); tex.py, html.py and md.py
print it; diagram.py draws the network; manifest.py regenerates derivations/ from its sheets.toml.
"""
from pathlib import Path

FORMATS = ("tex", "pdf", "html", "md")


def files(sheet, fmt):
    """{file name: text or bytes} for a sheet in one format; the main file is named ``<sheet.name>.<fmt>``."""
    if fmt in ("tex", "pdf"):
        from . import tex
        text = tex.render(sheet)
        if fmt == "tex":
            return {f"{sheet.name}.tex": text}
        data, _ = tex.pdf(text)
        return {f"{sheet.name}.pdf": data}
    if fmt == "html":
        from . import html
        return {f"{sheet.name}.html": html.render(sheet)}
    if fmt == "md":
        from . import md
        text, extra = md.render(sheet)
        return {f"{sheet.name}.md": text, **extra}
    from gradproof.numeric.errors import unknown
    raise unknown("format", fmt, FORMATS)


def format_of(path):
    """The format a file name asks for, from its suffix; None when the suffix names none."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"markdown": "md", "htm": "html"}.get(suffix, suffix) if suffix in FORMATS + ("markdown", "htm") else None
