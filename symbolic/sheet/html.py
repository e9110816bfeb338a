"""A sheet as one self-contained HTML page: MathML from latex2mathml, inline SVG, no script, no network.

Every formula is converted to MathML here (a formula latex2mathml cannot convert is an error, never
raw LaTeX left on the page). The stylesheet is inline: one column that fits a phone, wide formulas
and tables scroll inside their own box rather than the page, and print styles drop the colours.
"""
import functools
import re
from html import escape

from gradproof.numeric.errors import GradproofError

from .diagram import svg
from .document import Math
from .render import Renderer

CSS = """
:root { color-scheme: light; --ink: #1f2933; --muted: #5b6472; --rule: #d5d9e0; --accent: #c2410c; --note: #f3f4f6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: var(--ink);
       font: 17px/1.55 "Iowan Old Style", "Palatino Linotype", Palatino, Georgia, "DejaVu Serif", serif; }
main { max-width: 50rem; margin: 0 auto; padding: 1.5rem 1.1rem 4rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0.5rem 0 0.8rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.15rem; margin: 2rem 0 0.4rem; }
h3 math { font-size: 1.15em; }
p { margin: 0.55rem 0; }
math { font-size: 1.08em; font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", "DejaVu Math TeX Gyre", math; }
.display { overflow-x: auto; overflow-y: hidden; margin: 0.7rem 0; padding: 0.25rem 0; }
.display math { display: block; font-size: 1.08em; }
.display mtd { padding: 0.18rem 0; }
.display mtd:nth-child(odd) { text-align: right; }      /* MathML Core ignores columnalign */
.display mtd:nth-child(even) { text-align: left; }
figure { margin: 1rem 0; text-align: center; }
figure svg { max-width: 100%; height: auto; }
figure.small svg { max-width: min(100%, 26rem); }
figcaption { color: var(--muted); font-size: 0.92rem; margin-top: 0.3rem; }
.table { overflow-x: auto; margin: 0.8rem 0; }
table { border-collapse: collapse; margin: 0 auto; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.7rem; border-bottom: 1px solid var(--rule); vertical-align: middle; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }
td.r, th.r { text-align: right; } td.l, th.l { text-align: left; } td.c, th.c { text-align: center; }
caption { caption-side: bottom; color: var(--muted); font-size: 0.9rem; padding-top: 0.4rem; }
ol, ul { padding-left: 1.6rem; } li { margin: 0.15rem 0; }
.note { background: var(--note); border-left: 4px solid var(--accent); padding: 0.6rem 0.9rem; margin: 0.9rem 0; }
@media (max-width: 600px) {
  body { font-size: 16px; }
  main { padding: 1rem 0.75rem 3rem; }
  h1 { font-size: 1.45rem; }
  th, td { padding: 0.25rem 0.45rem; }
}
@media print {
  body { font-size: 10.5pt; color: #000; }
  main { max-width: none; padding: 0; }
  .display, .table { overflow: visible; }
  .display, table, figure, .note { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .note { background: none; border: 1px solid #888; }
}
"""


_NUMBER = re.compile(r"^(-?)(\d+(?:\.\d+)?)(?: \\times 10\^\{(-?\d+)\})?$")


def _number(match):
    """A number as MathML, written directly: a sheet has hundreds, and latex2mathml gives the same tree."""
    sign, digits, exponent = match.groups()
    out = ("<mo>&#x02212;</mo>" if sign else "") + f"<mn>{digits}</mn>"
    if exponent is not None:
        power = f"<mo>&#x02212;</mo><mn>{exponent[1:]}</mn>" if exponent.startswith("-") else f"<mn>{exponent}</mn>"
        out += f"<mo>&#x000D7;</mo><msup><mn>10</mn><mrow>{power}</mrow></msup>"
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow>{out}</mrow></math>'


@functools.lru_cache(maxsize=None)
def _math(tex, display=False):
    if not display:
        match = _NUMBER.match(tex)
        if match:
            return _number(match)
    from latex2mathml.converter import convert
    try:
        out = convert(tex, display="block" if display else "inline")
    except Exception as error:                       # latex2mathml raises many types; name the formula
        raise GradproofError(f"latex2mathml cannot convert {tex!r}: {error!r}") from None
    if "\\" in out:                                  # an unknown command comes through as raw text
        raise GradproofError(f"latex2mathml left LaTeX unconverted in {tex!r}")
    return out


def inline(content):
    return "".join(_math(c.tex) if isinstance(c, Math) else escape(c) for c in content)


def _cell(tag, align, content):
    # fractions of partials in display style, as in the LaTeX tables, so that they stay legible
    cell = "".join(_math(r"\displaystyle " + c.tex) if isinstance(c, Math) and r"\frac" in c.tex
                   else _math(c.tex) if isinstance(c, Math) else escape(c) for c in content)
    return f"<{tag} class=\"{align}\">{cell}</{tag}>"


def _table(block):
    align = block.align
    head = "".join(_cell("th", a, c) for a, c in zip(align, block.header))
    body = "\n".join("<tr>" + "".join(_cell("td", a, c) for a, c in zip(align, row)) + "</tr>" for row in block.rows)
    caption = f"<caption>{inline(block.caption)}</caption>" if block.caption else ""
    return f'<div class="table"><table>{caption}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>'


class HtmlRenderer(Renderer):
    """Each block as HTML: ``_render_<Block>`` per block class (see render.py)."""

    format = "html"

    def _render_Heading(self, block):
        anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{inline(block.content)}</h{block.level}>"

    def _render_Paragraph(self, block):
        return f"<p>{inline(block.content)}</p>"

    def _render_Display(self, block):
        tex = r"\begin{align*}" + r" \\ ".join(block.rows) + r"\end{align*}"
        return f'<div class="display">{_math(tex, display=True)}</div>'

    def _render_Items(self, block):
        tag = "ol" if block.ordered else "ul"
        return f"<{tag}>" + "".join(f"<li>{inline(i)}</li>" for i in block.items) + f"</{tag}>"

    def _render_Table(self, block):
        return _table(block)

    def _render_Figure(self, block):
        picture = svg(block.model, block.param, unit=52 if block.small else 64)
        caption = f"<figcaption>{inline(block.caption)}</figcaption>" if block.caption else ""
        return f'<figure class="{"small" if block.small else "network"}">{picture}{caption}</figure>'

    def _render_Note(self, block):
        return f'<div class="note" role="note">{inline(block.content)}</div>'


def render(sheet, renderer=None):
    """The sheet as one HTML page."""
    renderer = (renderer or HtmlRenderer)(sheet)      # a subclass may render blocks of its own
    body = "\n".join(renderer.block(b) for b in sheet.blocks)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(sheet.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n"
            "</main>\n</body>\n</html>\n")


def files(sheet):
    """The sheet's page as {``<name>.html``: text}."""
    return {f"{sheet.name}.html": render(sheet)}
