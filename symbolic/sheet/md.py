"""A sheet as GitHub-flavoured Markdown: ``$…$`` and ``$$…$$`` math, pipe tables, the diagram as an SVG file.

render() returns the Markdown and the files to write beside it ({file name: text}): the network's
SVG, linked as an image. The per-parameter pictures of the other formats become the numbered list of
paths each section already has.
"""
import re

from .diagram import svg
from .document import Code, Math
from .render import Renderer

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
        elif isinstance(c, Code):
            text = c.text.replace("|", r"\|") if in_table else c.text
            fence = "``" if "`" in text else "`"
            out.append(f"{fence}{text}{fence}")
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


class MarkdownRenderer(Renderer):
    """Each block as Markdown: ``_render_<Block>`` per block class (see render.py); ``files`` collects the
    files the text links (the network's SVG)."""

    format = "md"

    def __init__(self, sheet=None):
        super().__init__(sheet)
        self.files = {}

    def _render_Heading(self, block):
        return "#" * block.level + " " + inline(block.content)

    def _render_Paragraph(self, block):
        return inline(block.content)

    def _render_Display(self, block):
        rows = " \\\\\n".join(block.rows)
        return f"$$\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n$$"

    def _render_Items(self, block):
        marker = (lambda n: f"{n}.") if block.ordered else (lambda n: "-")
        return "\n".join(f"{marker(n)} {inline(i)}" for n, i in enumerate(block.items, 1))

    def _render_Table(self, block):
        return _table(block)

    def _render_Figure(self, block):
        if block.small:
            return None                 # the section's numbered list of paths says the same
        name = f"{self.sheet.name}.svg"
        self.files[name] = svg(block.model, block.param) + "\n"
        alt = "the network" if block.param is None else f"the paths of {block.param.name} to L"
        return f"![{escape(alt)}]({name})\n\n*{inline(block.caption)}*"

    def _render_Note(self, block):
        return "> **Note.** " + inline(block.content)


def render(sheet):
    """(Markdown text, {file name: content} of the files it links)."""
    renderer = MarkdownRenderer(sheet)
    out = [renderer.block(b) for b in sheet.blocks]
    return "\n\n".join(o for o in out if o is not None) + "\n", renderer.files


def files(sheet):
    """The sheet's Markdown and the files it links, as {file name: text}."""
    text, extra = render(sheet)
    return {f"{sheet.name}.md": text, **extra}
