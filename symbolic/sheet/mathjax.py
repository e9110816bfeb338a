"""A sheet's blocks as HTML fragments whose math is left as LaTeX for MathJax: ``\\( … \\)`` inline, ``\\[ … \\]``
displayed. Course platforms (Moodle, Canvas, PrairieLearn) typeset that themselves; the text is HTML-escaped.

Headings are lowered by ``shift`` levels (a platform's question sits under the platform's own title); the
small network figure is left out (a platform page draws the network once, or not at all).

Examples
========
>>> from gradproof.symbolic.sheet.document import Paragraph, Math, parts
>>> from gradproof.symbolic.sheet.mathjax import fragment
>>> print(fragment([Paragraph(parts("Compute ", Math(r"\\frac{a}{b}"), " for z < 0."))]))
<p>Compute \\(\\frac{a}{b}\\) for z &lt; 0.</p>
"""
from html import escape

from .document import Code, Math
from .render import Renderer


def _math(tex, display=False):
    # math stays LaTeX, escaped as HTML text (MathJax reads the text, so z < 0 survives as &lt;)
    tex = escape(tex, quote=False)
    return f"\\[{tex}\\]" if display else f"\\({tex}\\)"


def inline(content, in_table=False):
    out = []
    for c in content:
        if isinstance(c, Math):
            out.append(_math(c.tex.replace("|", r"\vert ") if in_table else c.tex))
        elif isinstance(c, Code):
            out.append(f"<code>{escape(c.text, quote=False)}</code>")
        else:
            out.append(escape(c, quote=False))
    return "".join(out)


class MathJaxRenderer(Renderer):
    """Each block as an HTML fragment with LaTeX math: ``_render_<Block>`` per block class (see render.py)."""

    format = "mathjax"

    def __init__(self, sheet=None, shift=0):
        super().__init__(sheet)
        self.shift = shift

    def _render_Heading(self, block):
        level = min(6, block.level + self.shift)
        return f"<h{level}>{inline(block.content)}</h{level}>"

    def _render_Paragraph(self, block):
        return f"<p>{inline(block.content)}</p>"

    def _render_Display(self, block):
        rows = " \\\\ ".join(r.strip() for r in block.rows)
        aligned = " \\begin{aligned} " + rows + " \\end{aligned} "
        return "<p>" + _math(aligned, display=True) + "</p>"

    def _render_Items(self, block):
        tag = "ol" if block.ordered else "ul"
        return f"<{tag}>" + "".join(f"<li>{inline(i)}</li>" for i in block.items) + f"</{tag}>"

    def _render_Table(self, block):
        aligns = ["right" if a == "r" else "left" for a in block.align]

        def row(cells, tag):
            return "<tr>" + "".join(f'<{tag} style="text-align:{a}">{inline(c, True)}</{tag}>'
                                    for c, a in zip(cells, aligns)) + "</tr>"
        body = "".join(row(r, "td") for r in block.rows)
        out = f"<table><thead>{row(block.header, 'th')}</thead><tbody>{body}</tbody></table>"
        if block.caption:
            out += f"\n<p><em>{inline(block.caption)}</em></p>"
        return out

    def _render_Figure(self, block):
        return None

    def _render_Note(self, block):
        return f"<p><strong>Note.</strong> {inline(block.content)}</p>"


def fragment(blocks, shift=0):
    """The HTML of a run of blocks (a sheet's section), one block a line."""
    renderer = MathJaxRenderer(shift=shift)
    out = [renderer.block(b) for b in blocks]
    return "\n".join(o for o in out if o is not None)
