"""A sheet as a LaTeX document (article class, amsmath, booktabs, TikZ), and as a PDF through pdflatex.

Only packages of Debian's texlive-latex-base, texlive-latex-recommended and texlive-pictures are used.
Displays are ``align*`` environments whose rows the content already broke to fit the line, so no
formula runs into the margin; pdf() reports any overfull box pdflatex still finds.
"""
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from gradproof.numeric.errors import GradproofError

from .diagram import tikz, tikz_network
from .document import Answer, Code, Display, Figure, Heading, Items, Math, PageBreak, Paragraph, Table
from .render import Renderer

PDFLATEX_PACKAGES = "texlive-latex-base, texlive-latex-recommended and texlive-pictures"

PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{array,booktabs,longtable}
\usepackage{xcolor}
\usepackage{tikz}
\definecolor{accent}{HTML}{C2410C}
\definecolor{muted}{HTML}{B8BEC8}
\definecolor{notebg}{HTML}{F3F4F6}
% sympy prints ReLU's step as the indicator \mathbb{1}[z > 0]; amssymb has no blackboard digits
\let\amsmathbb\mathbb
\renewcommand{\mathbb}[1]{\ifx1#1\mathbf{1}\else\amsmathbb{#1}\fi}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.55em}
% pages end where a block ends, not stretched to the foot; no paragraph leaves one line alone; a list stays with the
% sentence that introduces it; a display breaks only where it is long (\gpbreakable), a short list never (\gpkeep)
\raggedbottom
\widowpenalty=10000
\clubpenalty=10000
\makeatletter
\@beginparpenalty=10000
\newcommand{\gpkeep}{\@itempenalty=10000\relax}
\makeatother
\newcommand{\gpbreakable}{\interdisplaylinepenalty=0\relax}
\pagestyle{plain}
"""

_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            # the roman font (OT1) has accents at ^ and ~: the typewriter's ASCII glyphs, so a typed id reads as typed
            "~": r"\texttt{\char126}", "^": r"\texttt{\char94}", "\\": r"\textbackslash{}",
            "δ": r"$\delta$", "−": "--", "×": r"$\times$", "—": "---", "–": "--", "→": r"$\to$", "±": r"$\pm$",
            "’": "'", "<": r"$<$", ">": r"$>$", "|": r"$|$", "λ": r"$\lambda$", "η": r"$\eta$", "σ": r"$\sigma$", "≤": r"$\le$",
            "·": r"$\cdot$", "′": r"$'$"}


_BLANK = re.compile(r"(_{3,})")
EM_PER_CHAR = 0.5            # a written character takes about half an em


def _rule(chars):
    """A line to write on: about ``chars`` characters long, at most the text's width."""
    width = rf"{EM_PER_CHAR * chars:g}em" if chars else r"\linewidth"
    return rf"\rule[-0.35ex]{{{width}}}{{0.4pt}}"


def escape(text):
    """Plain text made safe for LaTeX; a run of three or more underscores is a line to write on."""
    return "".join(_rule(len(part)) if _BLANK.fullmatch(part) else _escape(part) for part in _BLANK.split(text))


def _escape(text):
    """Plain text made safe for LaTeX.

    Examples
    ========
    >>> from gradproof.symbolic.sheet.tex import escape
    >>> print(escape("50% of δ_1 & more"))
    50\\% of $\\delta$\\_1 \\& more
    """
    out = []
    for c in text:
        if c in _SPECIAL:
            out.append(_SPECIAL[c])
        elif ord(c) > 127:
            raise GradproofError(f"the sheet's text has a character LaTeX cannot set: {c!r}")
        else:
            out.append(c)
    return "".join(out)


# in the typewriter font (OT1 cmtt) every ASCII character has its own glyph at its own code: ^ is a caret, not an
# accent, and no "-" is a place to break the line
_TT_SPECIAL = set("\\{}^_~$%#&")


def code(text):
    r"""A command as LaTeX: typewriter, broken only at its spaces.

    Examples
    ========
    >>> from gradproof.symbolic.sheet.tex import code
    >>> print(code("dL/dw^2_12 --lr"))
    \texttt{dL/dw\char94{}2\char95{}12 --lr}
    """
    return r"\texttt{" + "".join(rf"\char{ord(c)}{{}}" if c in _TT_SPECIAL else escape(c) for c in text) + "}"


def inline(content):
    return "".join(f"${c.tex}$" if isinstance(c, Math) else code(c.text) if isinstance(c, Code) else escape(c)
                   for c in content)


TAIL = 3                   # blocks after the one that follows: the end of a part kept together (4 blocks)
SHORT_LIST = 6             # items: a list this short is never broken
LONG_DISPLAY = 8           # rows: a display this long may break across pages, a shorter one never
SHORT_TABLE = 14           # rows: a table this short is set whole (with its caption), a longer one breaks


def _display(block):
    body = "\\begin{align*}\n" + " \\\\\n".join(block.rows) + "\n\\end{align*}"
    return "{\\gpbreakable" + body + "}" if len(block.rows) > LONG_DISPLAY else body


def _cell(content):
    """A table cell: formulas in display style, so that fractions of partials stay legible."""
    return "".join(rf"$\displaystyle {c.tex}$" if isinstance(c, Math) else inline((c,)) for c in content)


_STRUT = r"\rule[-2.7ex]{0pt}{6.8ex}"       # room above and below a row of display-style fractions


def _tall(row):
    return any(isinstance(c, Math) and r"\frac" in c.tex for cell in row for c in cell)


def _caption(block):
    return r"{\centering\small " + inline(block.caption) + r"\par}"


def _table(block):
    """A short table in one unbreakable box with its caption; a long one as a longtable that breaks across pages
    (its header repeated), never after its first row nor before its last two, its caption kept with its end."""
    head = " & ".join(r"\textbf{" + inline(c) + "}" for c in block.header) + r" \\"
    rows = [" & ".join(_cell(c) for c in row) + (_STRUT if _tall(row) else "") for row in block.rows]
    if len(rows) <= SHORT_TABLE:
        out = [r"\par\noindent\begin{minipage}{\linewidth}\centering\renewcommand{\arraystretch}{1.35}",
               rf"\begin{{tabular}}{{{block.align}}}", r"\toprule", head, r"\midrule",
               *[r + r" \\" for r in rows], r"\bottomrule", r"\end{tabular}"]
        if block.caption:
            out += [r"\par\vspace{0.35em}" + _caption(block)]
        return "\n".join(out + [r"\end{minipage}\par\medskip"])
    keep = {0, len(rows) - 3, len(rows) - 2}          # \\* : no page break after this row
    body = [r + (r" \\*" if n in keep else r" \\") for n, r in enumerate(rows)]
    out = [r"\begingroup\renewcommand{\arraystretch}{1.35}",
           rf"\begin{{longtable}}{{{block.align}}}", r"\toprule", head, r"\midrule", r"\endfirsthead",
           r"\toprule", head, r"\midrule", r"\endhead", r"\bottomrule", r"\endlastfoot",
           *body, r"\end{longtable}", r"\endgroup"]
    if block.caption:
        out.append(r"\nopagebreak\vspace{-0.6em}" + _caption(block))
    return "\n".join(out)


class TexRenderer(Renderer):
    """Each block as LaTeX: ``_render_<Block>`` per block class (see render.py)."""

    format = "tex"

    def __init__(self, sheet=None):
        super().__init__(sheet)
        self.preamble, self.boxes = [], {}     # the network's pictures, drawn once as the document starts

    def _render_Heading(self, block):
        if block.level == 1:
            return r"{\LARGE\bfseries " + inline(block.content) + r"\par}\vspace{0.6em}"
        command = "section" if block.level == 2 else "subsection"
        return rf"\{command}*{{{inline(block.content)}}}"

    def _render_Paragraph(self, block):
        if _ragged(block):
            # a command breaks only at its spaces, which do not stretch: set the paragraph ragged right
            return r"{\raggedright " + inline(block.content) + r"\par}"
        return inline(block.content)

    def _render_PageBreak(self, block):
        return r"\clearpage"

    def _render_Answer(self, block):
        first = r"\hrulefill" if not block.chars else _rule(block.chars)
        more = "".join(r"\par\vspace{1.4em}\noindent" + _rule(0) for _ in range(block.lines - 1))
        return rf"\par\smallskip\noindent {code(block.blank)}\enspace {first}{more}\par\medskip"

    def _render_Display(self, block):
        return _display(block)

    def _render_Items(self, block):
        env = "enumerate" if block.ordered else "itemize"
        items = "\n".join(r"  \item " + inline(i) for i in block.items)
        keep = r"\gpkeep" if len(block.items) <= SHORT_LIST else ""
        return rf"\begin{{{env}}}{keep}\setlength{{\itemsep}}{{0pt}}" + "\n" + items + f"\n\\end{{{env}}}"

    def _render_Table(self, block):
        return _table(block)

    def _render_Figure(self, block):
        scale = 0.8 if block.small else 1.0
        picture = tikz(block.model, block.param, scale, self._network_box(block.model, scale))
        # one box: the picture and its caption on the same page
        caption = r"\par\vspace{0.4em}{\small " + inline(block.caption) + r"\par}" if block.caption else ""
        return "\n".join([r"\par\medskip\noindent\begin{minipage}{\linewidth}\centering", picture, caption,
                          r"\end{minipage}\par\medskip"])

    def _network_box(self, model, scale):
        """The name of a box holding the plain network at this scale, drawn into it before its first use."""
        if scale not in self.boxes:
            name = r"\gpnetwork" + "ABCDEFGH"[len(self.boxes)]
            self.boxes[scale] = name
            self.preamble.append(rf"\newsavebox{{{name}}}\sbox{{{name}}}{{%" + "\n" + tikz_network(model, scale) + "}")
        return self.boxes[scale]

    def _render_Note(self, block):
        return (r"\par\noindent\colorbox{notebg}{\parbox{\dimexpr\linewidth-2\fboxsep\relax}{\textbf{Note.} "
                + inline(block.content) + "}}")


_INTRODUCED = (Display, Table, Figure, Items)


def _ragged(block):
    """Whether a paragraph is set ragged right (it holds a command) and so ends before what follows it."""
    return isinstance(block, Paragraph) and any(isinstance(c, Code) for c in block.content)


def _between(block, after, left):
    """What separates two blocks: a lead-in paragraph and the display it introduces are one paragraph (TeX breaks
    no page just before a display); a lead-in and its table, figure or list, a heading and what follows it, a
    question and the room to answer it, and the last three blocks of a part (``left``: the blocks after ``after``
    before a page break or the end) are kept on one page, so that no part ends on a page of a few lines."""
    if isinstance(block, Paragraph) and isinstance(after, Display) and not _ragged(block):
        return "\n"
    if isinstance(block, (Heading, Paragraph)) and isinstance(after, _INTRODUCED + (Answer,)) \
            or isinstance(block, Heading) or (left < TAIL and not isinstance(after, PageBreak)):
        return "\n\n\\nopagebreak\n\n"
    return "\n\n"


def render(sheet, renderer=None):
    """The sheet as a complete LaTeX document."""
    renderer = (renderer or TexRenderer)(sheet)      # a subclass may render blocks of its own
    blocks = sheet.blocks
    body = ""
    ends = [n for n, b in enumerate(blocks) if isinstance(b, PageBreak)] + [len(blocks)]
    for n, block in enumerate(blocks):
        text = renderer.block(block)
        if n + 1 < len(blocks):
            left = next(e for e in ends if e > n + 1) - (n + 2) if not isinstance(blocks[n + 1], PageBreak) else 0
            between = _between(block, blocks[n + 1], left)
            if isinstance(block, Display) and "nopagebreak" in between:
                # TeX may break just after a display (\postdisplaypenalty) before any \nopagebreak comes
                text = r"{\postdisplaypenalty=10000 " + text + "}"
            if text.endswith(r"\par\medskip") and "nopagebreak" in between:
                # the space after a box is a place to break: it goes after the \nopagebreak
                text, between = text.removesuffix(r"\medskip"), between.replace(r"\nopagebreak", r"\nopagebreak\medskip")
            text += between
        body += text
    boxes = "".join(line + "\n" for line in renderer.preamble)
    return PREAMBLE + "\\begin{document}\n" + boxes + "\n" + body + "\n\n\\end{document}\n"


def pdflatex():
    """The pdflatex binary, or an error naming the Debian packages that provide it."""
    found = shutil.which("pdflatex")
    if not found:
        raise GradproofError(f"pdflatex not found: install the Debian packages {PDFLATEX_PACKAGES} "
                             "(apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures)")
    return found


def pdf(tex):
    """Compile a LaTeX document: (the PDF's bytes, pdflatex's log). An error names the first LaTeX error."""
    binary = pdflatex()
    with tempfile.TemporaryDirectory(prefix="gradproof-sheet-") as tmp:
        Path(tmp, "sheet.tex").write_text(tex, encoding="utf-8")
        # longtable sets its columns from widths the previous run measured: run again while it asks (twice at most)
        for _ in range(3):
            done = subprocess.run([binary, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                   "sheet.tex"], cwd=tmp, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
            log_path = Path(tmp, "sheet.log")
            log = log_path.read_text(encoding="latin-1") if log_path.exists() else done.stdout.decode("latin-1")
            out = Path(tmp, "sheet.pdf")
            if done.returncode != 0 or not out.exists():
                first = re.search(r"^! .*$(\n.*){0,3}", log, re.M)
                raise GradproofError("pdflatex failed: " + (first.group(0).strip() if first else "see its log"))
            if "Rerun LaTeX" not in log:
                break
        return out.read_bytes(), log


def overfull(log):
    """The overfull-box warnings in a pdflatex log."""
    return re.findall(r"^Overfull \\[hv]box.*$", log, re.M)


def tex_files(sheet):
    """The sheet's LaTeX as {``<name>.tex``: text}."""
    return {f"{sheet.name}.tex": render(sheet)}


def pdf_files(sheet):
    """The sheet compiled by pdflatex, as {``<name>.pdf``: bytes}."""
    data, _ = pdf(render(sheet))
    return {f"{sheet.name}.pdf": data}
