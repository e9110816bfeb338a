"""A sheet as one self-contained HTML page: MathML from latex2mathml, inline SVG, no script, no network.

Every formula is converted to MathML here (a formula latex2mathml cannot convert is an error, never
raw LaTeX left on the page). The stylesheet is inline: one column that fits a phone, wide formulas
and tables scroll inside their own box rather than the page, and print styles drop the colours.
"""
import functools
import os
import re
from html import escape

from gradproof.numeric.errors import GradproofError

from .diagram import svg
from .document import Code, Heading, Math
from .render import Renderer

CSS = """
:root { color-scheme: light; --ink: #1f2933; --muted: #5b6472; --rule: #d5d9e0; --accent: #c2410c; --note: #f3f4f6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: #fff; color: var(--ink);
       font: 17px/1.55 "Iowan Old Style", "Palatino Linotype", Palatino, Georgia, "DejaVu Serif", serif; }
main { max-width: 50rem; margin: 0 auto; padding: 1.5rem 1.1rem 4rem; min-width: 0; }
a { color: #9a3412; }
nav.toc { font-size: 0.92rem; line-height: 1.35; }
nav.toc ol { list-style: none; padding-left: 0; margin: 0.3rem 0; } nav.toc ol ol { padding-left: 1rem; }
nav.toc li { margin: 0.2rem 0; } nav.toc a { text-decoration: none; } nav.toc a:hover { text-decoration: underline; }
.toc-side { display: none; }
.toc-top { margin: 0.8rem 0 1.2rem; padding: 0.4rem 0.8rem; border: 1px solid var(--rule); border-radius: 4px; }
.toc-top summary { cursor: pointer; font-weight: 600; }
@media (min-width: 1100px) {
  .layout { display: grid; grid-template-columns: 16rem minmax(0, 50rem); justify-content: center; column-gap: 1.5rem; }
  .toc-side { display: block; position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto;
              padding: 1.5rem 0.5rem 2rem 1rem; border-right: 1px solid var(--rule); }
  .toc-side .title { font-weight: 600; margin: 0 0 0.4rem; }
  .toc-top { display: none; }
  main { margin: 0; }
}
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0.5rem 0 0.8rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 0.6rem; padding-bottom: 0.2rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.15rem; margin: 2rem 0 0.4rem; }
h3 math { font-size: 1.15em; }
p { margin: 0.55rem 0; }
math { font-size: 1.08em; font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", "DejaVu Math TeX Gyre", math; }
.display { margin: 0.7rem 0; padding: 0.25rem 0; }
/* aligned rows: the left-hand sides right-aligned in one column, "= ..." left-aligned in the next, so every "="
   of a display stands at one x (MathML Core ignores mtable's columnalign, so the grid does the aligning) */
.eqs { display: grid; grid-template-columns: max-content max-content; column-gap: 0; row-gap: 0.3rem;
       align-items: baseline; width: max-content; margin: 0 auto; }
.eqs .lhs { text-align: right; } .eqs .rhs { text-align: left; }
.eqs math { font-size: 1.08em; }
/* a box wider than the screen scrolls inside itself; a shadow on the side where more is hidden shows that it does */
.scroll { overflow-x: auto; overflow-y: hidden; scrollbar-width: thin;
  background: linear-gradient(to right, #fff 30%, rgba(255, 255, 255, 0)) left / 2.5rem 100% no-repeat local,
              linear-gradient(to left, #fff 30%, rgba(255, 255, 255, 0)) right / 2.5rem 100% no-repeat local,
              radial-gradient(farthest-side at 0 50%, rgba(31, 41, 51, 0.35), rgba(31, 41, 51, 0)) left / 0.8rem 100% no-repeat scroll,
              radial-gradient(farthest-side at 100% 50%, rgba(31, 41, 51, 0.35), rgba(31, 41, 51, 0)) right / 0.8rem 100% no-repeat scroll; }
figure { margin: 1rem 0; text-align: center; }
figure svg { max-width: 100%; height: auto; }
figure.small svg { max-width: min(100%, 26rem); }
figcaption { color: var(--muted); font-size: 0.92rem; margin-top: 0.3rem; }
.table { margin: 0.8rem 0; }
figure.table { text-align: left; }
table { border-collapse: collapse; margin: 0 auto; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.7rem; border-bottom: 1px solid var(--rule); vertical-align: middle; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }
td .label { display: none; }
td.r, th.r { text-align: right; } td.l, th.l { text-align: left; } td.c, th.c { text-align: center; }
figure.table figcaption { text-align: center; font-size: 0.9rem; padding-top: 0.1rem; }
ol, ul { padding-left: 1.6rem; } li { margin: 0.15rem 0; }
code { font-family: "DejaVu Sans Mono", "Latin Modern Mono", monospace; font-size: 0.86em; }
code.cmd span, .nw { white-space: nowrap; }
.blank { display: inline-block; max-width: 100%; height: 1.2em; vertical-align: -0.3em; border-bottom: 1px solid var(--ink); }
.answer { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 0.6em; margin: 0.6rem 0 1.2rem; }
.answer .fill { flex: 1 1 10em; } .answer .whole { flex: 0 0 100%; margin-top: 1.4em; }
.note { background: var(--note); border-left: 4px solid var(--accent); padding: 0.6rem 0.9rem; margin: 0.9rem 0; }
@media (max-width: 600px) {
  body { font-size: 16px; }
  main { padding: 1rem 0.75rem 3rem; }
  h1 { font-size: 1.45rem; }
  th, td { padding: 0.25rem 0.45rem; }
  /* a table too wide for the screen: one card per row, the first cell its title, every value labelled */
  table.cards, table.cards tbody, table.cards tr { display: block; width: 100%; }
  table.cards thead { display: none; }
  table.cards tr { border: 1px solid var(--rule); border-radius: 4px; margin: 0 0 0.5rem; padding: 0.2rem 0.6rem; }
  table.cards td { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 0.8rem; border: 0;
                   padding: 0.12rem 0; text-align: left; }
  table.cards td .label { display: inline; color: var(--muted); font-size: 0.9rem; }
  table.cards td .value { margin-left: auto; max-width: 100%; }
  table.cards td:first-child { border-bottom: 1px solid var(--rule); font-weight: 600; }
  table.cards td:first-child .label { display: none; }
  table.cards td:first-child .value { margin-left: 0; }
  /* a long equation wraps at its relations and operators, continuation lines indented under the "=" */
  .eqs { width: auto; grid-template-columns: max-content minmax(0, max-content); margin: 0; }
  .eqs .rhs { padding-left: 1.2em; text-indent: -1.2em; }
}
@media print {
  body { font-size: 10.5pt; color: #000; }
  main { max-width: none; padding: 0; }
  .layout { display: block; }
  .scroll { overflow: visible; background: none; }
  nav.toc { display: none; }
  .display, table, figure, .note { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .note { background: none; border: 1px solid #888; }
}
"""


# Jupyter's HTML repr: the sheet's look for one display, every rule scoped to the output's own element
NOTEBOOK_CSS = """
.gradproof-sheet { color: #1f2933; background: #fff; padding: 0.3rem 0.6rem;
  font: 16px/1.5 "Iowan Old Style", "Palatino Linotype", Palatino, Georgia, "DejaVu Serif", serif; }
.gradproof-sheet math { font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", "DejaVu Math TeX Gyre", math;
  font-size: 1.08em; }
.gradproof-sheet .display { margin: 0.4rem 0; overflow-x: auto; overflow-y: hidden; }
.gradproof-sheet .eqs { display: grid; grid-template-columns: max-content max-content; column-gap: 0.28em;
  row-gap: 0.3rem; align-items: baseline; width: max-content; }
.gradproof-sheet .eqs .lhs { text-align: right; } .gradproof-sheet .eqs .rhs { text-align: left; }
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


# latex2mathml writes \mathbb{1} as a double-struck "1" that Chromium draws as a plain 1 (reading 1[z > 0] as a
# product); the indicator's own character, U+1D7D9, is in the math fonts the stylesheet names
_INDICATOR = ('<mn mathvariant="double-struck">1</mn>', "<mn>&#x1D7D9;</mn>")


_OPEN = set("([{|‖⌊⌈⟨")
_TIGHT = set("|‖/")                 # ordinary symbols in TeX: no space either side, whatever their position
_TALL = {"mfrac", "munder", "mover", "munderover", "mtable", "msqrt", "mroot"}
_LARGE = {"∑", "∏", "sup", "inf", "max", "min", "lim"}


def _tag(node):
    return node.tag.removeprefix(_MATHML)


def _typeset(mathml, joined=False):
    """latex2mathml's MathML as TeX would set it (MathML Core spaces an operator by its form in the row):
    a sign is a prefix operator, bars and slashes are tight, fences are unpadded, ∂ is a letter, primes are
    full-size characters, the dot is the dot operator, large operators take their limits below and above in display
    style, an operator in a script is unspaced, and an underbrace keeps its distance from a fraction above it."""
    import xml.etree.ElementTree as ET
    ET.register_namespace("", _MATHML.strip("{}"))
    root = ET.fromstring(mathml)
    if joined:                        # the piece continues a formula: its first operator is infix, not a sign
        first = next((n for n in root.iter() if _tag(n) not in ("math", "mrow", "mstyle", "mspace")), None)
        if first is not None and _tag(first) == "mo":
            first.set("form", "infix")
    for parent in root.iter():
        previous = None
        for n, node in enumerate(list(parent)):
            tag, text = _tag(node), (node.text or "")
            if tag == "mo":
                if text == "·":
                    node.text = text = "⋅"
                if text in ("−", "+") and node.get("form") != "infix" and (previous is None or (_tag(previous) == "mo" and (
                        previous.get("form") != "postfix" and previous.text not in (")", "]", "}", "|")))):
                    node.set("form", "prefix")
                if text in _TIGHT or (text in _OPEN | set(")]}⌋⌉⟩") and node.get("stretchy") == "false"):
                    node.set("lspace", "0")
                    node.set("rspace", "0")
                if text == "∂":
                    node.tag, node.attrib = _MATHML + "mi", {"mathvariant": "normal"}
            if tag == "msup" and (node[1].text or "").strip("′″‴") == "" and len(node[1]) == 0:
                # a prime follows its symbol at full size (the font's ′ is already raised), as TeX sets f'
                prime = ET.Element(_MATHML + "mo", {"lspace": "0", "rspace": "0"})
                prime.text = node[1].text
                node.tag, node.attrib = _MATHML + "mrow", {}
                node.remove(node[1])
                node.append(prime)
            if tag == "mrow" and len(node) >= 2 and node[0].get("fence") == "true" and not any(
                    _tag(d) in _TALL for d in node.iter()):
                node[0].set("stretchy", "false")             # a stretched glyph is wider: pads a short fence
                node[-1].set("stretchy", "false")
            if tag in ("msub", "msubsup") and _tag(node[0]) == "mo" and (node[0].text or "") in _LARGE:
                node.tag = _MATHML + ("munder" if tag == "msub" else "munderover")
                node[0].set("movablelimits", "true")
            if tag == "munder" and len(node) == 2 and _tag(node[1]) == "mo" and node[1].text == "⏟":
                node[0].append(ET.Element(_MATHML + "mspace", {"depth": "0.35em"}))
            previous = node
    for node in root.iter():              # TeX spaces no operator in a script (j=1 under a sum, not j = 1)
        if _tag(node) in ("msub", "msup", "msubsup", "munder", "mover", "munderover"):
            for script in list(node)[1:]:
                for mo in script.iter(_MATHML + "mo"):
                    mo.set("lspace", "0")
                    mo.set("rspace", "0")
    return ET.tostring(root, encoding="unicode")


@functools.lru_cache(maxsize=None)
def _math(tex, display=False, style=False, joined=False):
    """A formula as MathML carrying its LaTeX as ``alttext`` (for screen readers and copying); ``style`` sets it
    in display style (full-size fractions) inside a line; ``joined`` marks a piece that continues a formula (its
    leading operator is binary, not a sign)."""
    match = _NUMBER.match(tex) if not display else None
    if match:
        out = _number(match)
    else:
        from latex2mathml.converter import convert
        try:
            out = convert((r"\displaystyle " if style else "") + tex, display="block" if display else "inline")
        except Exception as error:                       # latex2mathml raises many types; name the formula
            raise GradproofError(f"latex2mathml cannot convert {tex!r}: {error!r}") from None
        if "\\" in out:                                  # an unknown command comes through as raw text
            raise GradproofError(f"latex2mathml left LaTeX unconverted in {tex!r}")
        out = out.replace(*_INDICATOR)
    out = _typeset(out, joined)
    return out.replace("<math ", f'<math alttext="{escape(tex.strip(), quote=True)}" ', 1)


def _code(code):
    """A command in a fixed-width font; each word unbreakable, so a line breaks only at the command's spaces."""
    words = " ".join(f"<span>{escape(w)}</span>" for w in code.text.split(" "))
    return f'<code class="cmd">{words}</code>'


_HYPHENATED = re.compile(r"(?<![\w-])(\w+(?:-\w+)+)")


def prose(text):
    """Plain text as HTML, typeset: apostrophes and single quotes curly, a hyphenated name (4-3-2-1, v01-56ea6a)
    never broken at its hyphens.

    Examples
    ========
    >>> from gradproof.symbolic.sheet.html import prose
    >>> print(prose("the notes' 4-3-2-1 network, a '+' <here>"))
    the notes’ <span class="nw">4-3-2-1</span> network, a ‘+’ &lt;here&gt;
    """
    text = re.sub(r"(?<=[^\s(\[])'", "’", text).replace("'", "‘")
    text = _HYPHENATED.sub(r'<span class="nw">\1</span>', escape(text))
    # a run of underscores is a line to write on, about a character per underscore
    return re.sub(r"_{3,}", lambda m: f'<span class="blank" style="width:{len(m.group(0)) / 2:g}em"></span>', text)


def inline(content):
    return "".join(_math(c.tex) if isinstance(c, Math) else _code(c) if isinstance(c, Code) else prose(c)
                   for c in content)


def _cell(tag, align, content, wrap=False):
    """A table cell; fractions of partials in display style, as in the LaTeX tables, so that they stay legible.
    ``wrap``: a formula may wrap at its operators (a phone's card has no room for a long one)."""
    def one(c):
        if isinstance(c, Math) and wrap:
            return _pieces_html(c.tex, style=r"\frac" in c.tex, joined=False)
        if isinstance(c, Math) and r"\frac" in c.tex:
            return _math(c.tex, style=True)
        return inline((c,))
    return f"<{tag} class=\"{align}\">{''.join(one(c) for c in content)}</{tag}>"


PHONE_EM = 21            # what a 390 px screen holds across, in ems of the body text (less the page's margins)


def _em(content):
    """An estimate of how wide inline content sets, in ems (text about half an em a character, a formula about
    0.6 em a unit of layout.width)."""
    from .layout import width
    return sum(0.6 * width(c.tex) if isinstance(c, Math) else 0.5 * len(c.text if isinstance(c, Code) else c)
               for c in content)


def _cards(block):
    """Whether a table is too wide for a phone: there it becomes one card per row, each value labelled."""
    columns = zip(block.header, *block.rows)
    return sum(max(_em(cell) for cell in column) + 1.4 for column in columns) > PHONE_EM


def _table(block):
    align = block.align
    head = "".join(_cell("th", a, c) for a, c in zip(align, block.header))
    if _cards(block):
        labels = [f'<span class="label">{inline(h)}</span>' for h in block.header]
        cell = lambda a, c, n: _cell("td", a, c, wrap=True).replace(                                       # noqa: E731
            f'class="{a}">', f'class="{a}">{labels[n]}<span class="value">', 1).replace("</td>", "</span></td>")
        classes, table = "table cards scroll", '<table class="cards">'
    else:
        cell = lambda a, c, n: _cell("td", a, c)                                                 # noqa: E731
        classes, table = "table scroll", "<table>"
    body = "\n".join("<tr>" + "".join(cell(a, c, n) for n, (a, c) in enumerate(zip(align, row))) + "</tr>"
                     for row in block.rows)
    # the caption below the table at the width of the text, not squeezed to a narrow table's width
    caption = f"<figcaption>{inline(block.caption)}</figcaption>" if block.caption else ""
    return (f'<figure class="{classes}">{table}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'
            f'{caption}</figure>')


_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.S)
_RELATIONS = {"=", r"\approx", r"\le", r"\ge", r"\leftarrow", r"\to", "<", ">"}
_BINARIES = {"+", "-", r"\cdot", r"\times", r"\pm"}


_SHORT_GROUP = re.compile(r"\\left([(\[])((?:(?!\\left|\\right|\\frac|\\sum|\\prod|\\underbrace).)*?)\\right([)\]])")


def _unstretched(tex):
    r"""``\left( ... \right)`` around nothing taller than a line as plain brackets, which a line may break inside
    (they are set unstretched in any case).

    Examples
    ========
    >>> from gradproof.symbolic.sheet.html import _unstretched
    >>> print(_unstretched(r"a \left(b + \left(-1\right)\right) \left(\frac{1}{2}\right)"))
    a (b + (-1)) \left(\frac{1}{2}\right)
    """
    while True:
        shorter = _SHORT_GROUP.sub(r"\1\2\3", tex)
        if shorter == tex:
            return tex
        tex = shorter


def pieces(tex):
    r"""A formula cut before each relation and each binary operator outside any group, so that a narrow screen can
    wrap it there (each piece is its own formula; a sign after an operator or an opening stays with its number).

    Examples
    ========
    >>> from gradproof.symbolic.sheet.html import pieces
    >>> pieces(r"= \frac{a + b}{c} - \left(\frac{x}{2} + y\right) \cdot -2")
    ['= \\frac{a + b}{c}', '- \\left(\\frac{x}{2} + y\\right)', '\\cdot -2']
    """
    out, current, depth, operand = [], "", 0, False
    for token in _TOKEN.findall(_unstretched(tex)):
        depth += {"{": 1, "}": -1, r"\left": 1, r"\right": -1}.get(token, 0)
        cut = depth == 0 and (token in _RELATIONS or (token in _BINARIES and operand))
        if cut and current.strip():
            out.append(current.strip())
            current = ""
        current += token
        if not token.isspace():
            operand = not (depth == 0 and (token in _RELATIONS | _BINARIES or token in "([," or token in (
                r"\left", r"\biggl(", r"\Bigl(", r"\quad")))
            if token in (r"\biggl", r"\Bigl", r"\bigl", r"\Biggl"):
                operand = False
    out.append(current.strip())
    return [w for p in out if p for w in _words(p)]


def _words(piece):
    """A piece of prose (``\\text{...}``) as one piece per word (each keeping the space after it)."""
    match = re.fullmatch(r"\\text\{([^{}]*)\}", piece)
    if not match or " " not in match.group(1):
        return [piece]
    words = match.group(1).split(" ")
    return [f"\\text{{{w}\u00a0}}" for w in words[:-1]] + [f"\\text{{{words[-1]}}}"]


def _pieces_html(tex, style=True, joined=True):
    """The right-hand side of an aligned row as formulas a line may break between (at <wbr>), each in display
    style; each continues what stands before it, so an operator that opens a piece is binary."""
    return "<wbr>".join(_math(p, style=style, joined=joined or n > 0) for n, p in enumerate(pieces(tex)))


def display(rows):
    """Aligned rows (``lhs & = rhs``) as a grid of two columns: the left-hand sides right-aligned, the right-hand
    sides as pieces a phone's screen wraps at their relations and operators."""
    cells = []
    for row in rows:
        lhs, _, rhs = row.partition("&")
        lhs, rhs = lhs.strip(), rhs.strip()
        kind = "rel" if rhs.startswith("=") else "cont"
        cells.append(f'<span class="lhs">{_math(lhs, style=True) if lhs else ""}</span>'
                     f'<span class="rhs {kind}">{_pieces_html(rhs)}</span>')
    return f'<div class="display scroll"><div class="eqs">{"".join(cells)}</div></div>'


_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_SUBSCRIPT = str.maketrans("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUPERSCRIPT = str.maketrans("0123456789+-−=()inT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁱⁿᵀ")
_SPACED = set("=≤≥<>+−×⋅·→←≈∈∑∏")
_ACCENTS = {"^": "\u0302", "ˆ": "\u0302", "~": "\u0303", "˜": "\u0303", "¯": "\u0304", "‾": "\u0304",
            "˙": "\u0307", "→": "\u20d7"}


def _script(text, table, mark):
    """A script in Unicode sub- or superscript characters where every one has its own, else mark and brackets."""
    if text and all(c in table for c in map(ord, text)) or text == "′":
        return text.translate(table)
    return mark + (text if len(text) == 1 else f"({text})")


def _text(node):
    """The plain text of a MathML element, as a reader would type the formula in prose."""
    tag = node.tag.removeprefix(_MATHML)
    kids = list(node)
    if tag in ("mi", "mn", "mtext", "ms"):
        return node.text or ""
    if tag == "mo":
        op = (node.text or "").replace("\u2061", "").replace("\u2062", "").replace("·", "⋅")
        return f" {op} " if op in _SPACED else ", " if op == "," else op
    if tag == "mspace":
        return " "
    parts = [_text(k) for k in kids]
    if tag == "mfrac":
        top, bottom = (p.strip() for p in parts)
        wrap = lambda p: f"({p})" if " " in p else p                     # noqa: E731
        return f"{wrap(top)}/{wrap(bottom)}"
    if tag == "msqrt":
        return f"√({''.join(parts).strip()})"
    base, trail = parts[0].rstrip(), " " if parts[0].endswith(" ") else ""     # a spaced operator keeps its space
    scripts = [p.replace(" ", "") for p in parts[1:]]
    if tag in ("msub", "munder"):
        return base + ("" if scripts[0] in ("⏟", "_") else _script(scripts[0], _SUBSCRIPT, "_")) + trail
    if tag in ("msup", "mover"):
        if tag == "mover" and scripts[0] in _ACCENTS:
            return base + _ACCENTS[scripts[0]] + trail
        return base + _script(scripts[0], _SUPERSCRIPT, "^") + trail
    if tag in ("msubsup", "munderover"):
        return base + _script(scripts[1], _SUPERSCRIPT, "^") + _script(scripts[0], _SUBSCRIPT, "_") + trail
    return "".join(parts)


def plain_text(tex):
    """A formula as plain text, read from its MathML (never from the LaTeX): for the contents and for labels.

    Examples
    ========
    >>> from gradproof.symbolic.sheet.html import plain_text
    >>> plain_text(r"\\sigma' \\le \\tfrac14"), plain_text("w^1_{11}"), plain_text(r"\\partial h/\\partial h")
    ('σ′ ≤ 1/4', 'w¹₁₁', '∂h/∂h')
    """
    import xml.etree.ElementTree as ET
    text = _text(ET.fromstring(_math(tex)))
    text = re.sub(r"(^|[(\[,=≤<>] ?) ?− ", r"\1−", re.sub(" +", " ", text).strip())   # a leading minus is a sign
    return text.replace("( ", "(").replace(" )", ")")


def _plain(content):
    """Inline content as plain text (for the contents: no formula to lay out in a list one screen or the other
    hides)."""
    return "".join(plain_text(c.tex) if isinstance(c, Math) else c.text if isinstance(c, Code) else c
                   for c in content)


def _slug(text):
    return re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower() or "part"


def _scoped(blocks):
    """The blocks with every heading's anchor unique on the page, and the contents' label of each heading.

    A page of several parts (each opened by a title, as the combined questions of every variant) scopes each part's
    anchors by the part's name: the title less what all titles share (``hw: v1`` and ``hw: v2`` are ``v1``,
    ``v2``); the titles themselves get anchors and open the contents' entries. A name that still repeats is
    numbered."""
    import dataclasses
    titles = [_plain(b.content) for b in blocks if isinstance(b, Heading) and b.level == 1]
    parts = len(titles) > 1
    shared = ""
    if parts:
        shared = os.path.commonprefix(titles)
        shared = shared[:shared.rfind(": ") + 2] if ": " in shared else ""
    out, labels, seen, scope = [], {}, set(), ""

    def unique(anchor):
        name, n = anchor, 1
        while name in seen:
            n += 1
            name = f"{anchor}-{n}"
        seen.add(name)
        return name

    for block in blocks:
        if isinstance(block, Heading) and parts and block.level == 1:
            name = _plain(block.content)[len(shared):]
            scope = _slug(name)
            block = dataclasses.replace(block, anchor=unique(scope))
            labels[len(out)] = name
        elif isinstance(block, Heading) and block.anchor:
            block = dataclasses.replace(block, anchor=unique(f"{scope}-{block.anchor}" if scope else block.anchor))
            labels[len(out)] = _plain(block.content)
        out.append(block)
    return out, labels


def _contents(blocks, labels):
    """The table of contents: the page's parts (when it has several), their sections, and the sections' parameters,
    each level nested in the one above."""
    from urllib.parse import quote
    root = []
    stack = [(0, root)]
    for n, label in labels.items():
        block = blocks[n]
        while stack[-1][0] >= block.level:
            stack.pop()
        entry = (f'<a href="#{quote(block.anchor)}">{prose(label)}</a>', [])
        stack[-1][1].append(entry)
        stack.append((block.level, entry[1]))

    def items(entries):
        return "<ol>" + "".join(f"<li>{link}{items(subs) if subs else ''}</li>" for link, subs in entries) + "</ol>"
    return items(root) if root else ""


class HtmlRenderer(Renderer):
    """Each block as HTML: ``_render_<Block>`` per block class (see render.py)."""

    format = "html"

    def _render_Heading(self, block):
        anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{inline(block.content)}</h{block.level}>"

    def _render_Paragraph(self, block):
        return f"<p>{inline(block.content)}</p>"

    def _render_Display(self, block):
        return display(block.rows)

    def _render_Answer(self, block):
        first = f'class="blank" style="width:{block.chars / 2:g}em"' if block.chars else 'class="blank fill"'
        more = '<span class="blank whole"></span>' * (block.lines - 1)
        return f'<div class="answer">{_code(Code(block.blank))}<span {first}></span>{more}</div>'

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
    """The sheet as one HTML page: the contents beside the text on a wide screen (sticky), above it on a phone."""
    renderer = (renderer or HtmlRenderer)(sheet)      # a subclass may render blocks of its own
    scoped, labels = _scoped(sheet.blocks)
    blocks = [renderer.block(b) for b in scoped]
    contents = _contents(scoped, labels)
    side = top = ""
    if contents:
        side = f'<nav class="toc toc-side" aria-label="Contents"><p class="title">Contents</p>{contents}</nav>\n'
        top = f'<details class="toc toc-top"><summary>Contents</summary><nav aria-label="Contents">{contents}</nav></details>\n'
        blocks.insert(1 if blocks and isinstance(sheet.blocks[0], Heading) else 0, top.rstrip())
    body = "\n".join(blocks)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(sheet.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<div class=\"layout\">\n"
            f"{side}<main>\n{body}\n</main>\n</div>\n</body>\n</html>\n")


def files(sheet):
    """The sheet's page as {``<name>.html``: text}."""
    return {f"{sheet.name}.html": render(sheet)}
