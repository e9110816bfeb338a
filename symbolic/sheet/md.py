"""A sheet as GitHub-flavoured Markdown: ``$…$`` and ``$$…$$`` math, pipe tables, the diagram as an SVG file.

render() returns the Markdown and the files to write beside it ({file name: text}): the network's
SVG, linked as an image. The per-parameter pictures of the other formats become the numbered list of
paths each section already has.
"""
import re

from .diagram import svg
from .document import Display, Figure, Heading, Items, Math, Note, Paragraph, Table

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def escape(text):
    r"""Plain text made literal in Markdown.

    Examples
    ========
    >>> from gradproof.symbolic.sheet.md import escape
    >>> print(escape("a_1 * b"))
    a\_1 \* b
    """
    return _MD_SPECIAL.sub(r"\\\1", text)


def inline(content, in_table=False):
    out = []
    for c in content:
        if isinstance(c, Math):
            tex = c.tex.replace("|", r"\vert ") if in_table else c.tex
            out.append(f"${tex}$")
        else:
            out.append(escape(c))
    return "".join(out)


def _table(block):
    align = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(inline(c, True) for c in block.header) + " |",
             "| " + " | ".join(align[a] for a in block.align) + " |"]
    lines += ["| " + " | ".join(inline(c, True) for c in row) + " |" for row in block.rows]
    if block.caption:
        lines += ["", "*" + inline(block.caption) + "*"]
    return "\n".join(lines)


def render(sheet):
    """(Markdown text, {file name: content} of the files it links)."""
    files, out = {}, []
    for block in sheet.blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + inline(block.content))
        elif isinstance(block, Paragraph):
            out.append(inline(block.content))
        elif isinstance(block, Display):
            rows = " \\\\\n".join(block.rows)
            out.append(f"$$\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n$$")
        elif isinstance(block, Items):
            marker = (lambda n: f"{n}.") if block.ordered else (lambda n: "-")
            out.append("\n".join(f"{marker(n)} {inline(i)}" for n, i in enumerate(block.items, 1)))
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Figure):
            if block.small:
                continue
            name = f"{sheet.name}.svg"
            files[name] = svg(block.model, block.param) + "\n"
            alt = "the network" if block.param is None else f"the paths of {block.param.name} to L"
            out.append(f"![{escape(alt)}]({name})\n\n*{inline(block.caption)}*")
        elif isinstance(block, Note):
            out.append("> **Note.** " + inline(block.content))
        else:
            raise TypeError(f"no Markdown for {type(block).__name__}")
    return "\n\n".join(out) + "\n", files
