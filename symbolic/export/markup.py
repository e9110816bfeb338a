"""The exercise pages' Markdown as HTML fragments for platforms that typeset LaTeX with MathJax.

``gradproof exercise`` writes each variant's question and solution as Markdown with ``$…$`` and
``$$…$$`` math (the sheets' Markdown renderer). Moodle, Canvas and PrairieLearn show HTML and typeset
``\\( … \\)`` and ``\\[ … \\]``: this turns the subset those pages use (headings, paragraphs, pipe tables,
lists, emphasis, backslash escapes) into HTML, math kept as LaTeX. Text outside math is HTML-escaped.

Examples
========
>>> html("Compute $\\\\frac{a}{b}$ at *your* point.")
'<p>Compute \\\\(\\\\frac{a}{b}\\\\) at <em>your</em> point.</p>'
>>> sections("intro\\n## Question 1 (2 points)\\nask\\n## Question 2 (1 point)\\nmore")["2"]
'## Question 2 (1 point)\\nmore'
"""
import html as _html
import re

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.S)
_BULLET = re.compile(r"^\s*([-*]|\d+\.)\s+")
_QUESTION = re.compile(r"^## Question (\S+?)\b.*$", re.M)


def _inline(text):
    """Escape text, keep math as \\( \\) / \\[ \\], and turn **bold**, *italic* and `code` into HTML."""
    out, last = [], 0
    for m in _MATH.finditer(text):
        out.append(_plain(text[last:m.start()]))
        display, inline = m.group(1), m.group(2)
        # math stays LaTeX, escaped as HTML text (MathJax reads the text, so z < 0 survives as &lt;)
        out.append(f"\\[{_html.escape(display, quote=False)}\\]" if display is not None
                   else f"\\({_html.escape(inline, quote=False)}\\)")
        last = m.end()
    out.append(_plain(text[last:]))
    return "".join(out)


def _plain(text):
    text = re.sub(r"\\([\\`*_\[\]<>#|{}()+\-.!])", lambda m: f"\x00{ord(m.group(1))}\x00", text)
    text = _html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"<em>\1</em>", text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: _html.escape(chr(int(m.group(1))), quote=False), text)


def _cells(line):
    body = line.strip()[1:-1] if line.strip().startswith("|") else line.strip()
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


# the pages' column of lines to write on: on a platform the answer goes into the platform's own input
ANSWER_COLUMN = "your answer"


def _table(lines):
    head, rule, *rows = lines
    aligns = ["right" if c.endswith(":") and not c.startswith(":") else "left" for c in _cells(rule)]
    keep = [c.strip().lower() != ANSWER_COLUMN for c in _cells(head)]

    def row(line, tag):
        cells = "".join(f'<{tag} style="text-align:{a}">{_inline(c)}</{tag}>'
                        for c, a, k in zip(_cells(line), aligns, keep) if k)
        return f"<tr>{cells}</tr>"
    body = "".join(row(r, "td") for r in rows)
    return f"<table><thead>{row(head, 'th')}</thead><tbody>{body}</tbody></table>"


def html(markdown, shift=0):
    """HTML of a Markdown fragment; ``shift`` lowers every heading by that many levels (h1 → h(1+shift))."""
    blocks, lines = [], markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = min(6, len(line) - len(line.lstrip("#")) + shift)
            blocks.append(f"<h{level}>{_inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.lstrip().startswith("|"):
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            blocks.append(_table(lines[i:j]))
            i = j
        elif re.match(r"\s*([-*]|\d+\.)\s", line):
            ordered = bool(re.match(r"\s*\d+\.", line))
            items = []
            while i < len(lines) and re.match(r"\s*([-*]|\d+\.)\s", lines[i]):
                items.append("<li>" + _inline(_BULLET.sub("", lines[i])) + "</li>")
                i += 1
            tag = "ol" if ordered else "ul"
            blocks.append(f"<{tag}>{''.join(items)}</{tag}>")
        else:
            j = i
            while j < len(lines) and lines[j].strip() and not lines[j].startswith("#") \
                    and not lines[j].lstrip().startswith("|"):
                j += 1
            blocks.append(f"<p>{_inline(' '.join(l.strip() for l in lines[i:j]))}</p>")
            i = j
    return "\n".join(blocks)


def sections(markdown):
    """{"" : the text before the first question, "N": the section "## Question N …" up to the next one}."""
    marks = list(_QUESTION.finditer(markdown))
    out = {"": markdown[:marks[0].start()].rstrip() if marks else markdown.rstrip()}
    for m, nxt in zip(marks, marks[1:] + [None]):
        out[m.group(1)] = markdown[m.start():nxt.start() if nxt else len(markdown)].rstrip()
    return out
