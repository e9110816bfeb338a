"""The many spellings of one answer: rewrite what students type, in whatever voice, to the forms the grammar reads.

Students write the same mathematics in many ways and from many devices: LaTeX by hand (``\\frac12``,
``{1 \\over 2}``, ``w^{(3)}_{11}``, a ``\\boxed{}`` around it, a sum ``\\sum_{j=1}^{2}``), as the platforms'
widgets emit it (MathQuill's and MathLive's ``w_{11}^{\\left(3\\right)}``, ``\\mleft(``, Word's ``{O}_{31}`` and
``\\sigma^\\prime``), Python and Maxima (``2*(O31-y)*O31*(1-O31)``, ``np.exp``, ``**``, ``%e``), AsciiMath
(``O_(31)``, ``sigma'(z_(11))``, ``hat y``, ``xx``), UnicodeMath (``〖σ〗^′``, U+2061, math italic letters,
``(∂L)/(∂O_31)``) and phone text (``σ′(z₃₁)``, en dashes for minus, ``10⁻⁴``, no-break spaces, decimal commas).
The voice is never declared: each rewrite below applies where its own spelling appears (a cheap test of the
text first), and they do not disturb one another. This module rewrites each spelling to the one the grammar
(grammar.lark) reads, as plain text edits: nothing is evaluated, and the rewritten text is then parsed under
the same limits as any answer. Every character of the result remembers the column it came from, so that an
error still points into what the student typed. A new spelling is one row of a table (KEYBOARDS, DECORATION,
UNICODE, WORDS) and its test.
"""
import difflib
import re
import unicodedata

from .vocabulary import FUNCTIONS, AnswerError, plain

MAX_SUM_TERMS = 64          # terms one \sum may expand to
MAX_SUMS = 16               # \sum signs in one answer
MAX_EXPANDED = 20000        # characters after expansion (the parser's own limit applies to what was typed)


class SpellingError(AnswerError):
    """A spelling that cannot be rewritten (a sum without bounds, too large a sum); ``column`` in the typed text."""

    def __init__(self, message, column=None):
        super().__init__(message + (f" (column {column})" if column else ""))


class Text:
    """A string with, for each character, the index in the typed answer it comes from."""

    def __init__(self, text, origin=None):
        self.text = text
        self.origin = list(range(len(text))) if origin is None else origin
        self.notes = []          # how a spelling whose reading depends on the voice was read

    def column(self, index):
        """The typed answer's 1-based column of the rewritten text's 0-based index."""
        if not self.origin:
            return 1
        return self.origin[min(max(index, 0), len(self.origin) - 1)] + 1

    def edit(self, spans):
        """Replace each (start, end, new text) span (sorted, not overlapping); new text maps to the span's start,
        or takes a list of origins when given as (start, end, text, origin)."""
        out, origin, last = [], [], 0
        for span in spans:
            start, end, new = span[:3]
            out.append(self.text[last:start])
            origin += self.origin[last:start]
            out.append(new)
            where = self.origin[start] if start < len(self.origin) else (self.origin[-1] + 1 if self.origin else 0)
            origin += span[3] if len(span) > 3 else [where] * len(new)
            last = end
        out.append(self.text[last:])
        origin += self.origin[last:]
        edited = Text("".join(out), origin)
        edited.notes = list(self.notes)
        return edited

    def sub(self, pattern, replace):
        """re.sub with the origins kept: replace is a string (with \\1 groups) or a function of the match."""
        spans = []
        for m in re.finditer(pattern, self.text):
            new = replace(m) if callable(replace) else m.expand(replace)
            if new is not None:
                spans.append((m.start(), m.end(), new))
        return self.edit(spans) if spans else self


# ---- characters: phones, Word, widgets --------------------------------------------------------
UNICODE = {
    "σ": r"\sigma ", "∂": r"\partial ", "ŷ": r"\hat{y}", "·": r"\cdot ", "⋅": r"\cdot ", "∙": r"\cdot ",
    "•": r"\cdot ", "×": r"\times ", "✕": r"\times ", "⨯": r"\times ", "∗": "*", "÷": "/", "∕": "/", "⁄": "/",
    "′": "'", "’": "'", "ʹ": "'", "‘": "'", "″": "''", "δ": r"\delta", "λ": r"\lambda ", "η": r"\eta ",
    "∑": r"\sum", "Σ": r"\sum", "≈": r"\approx ", "√": r"\sqrt ", "〖": "{", "〗": "}", "ℯ": "e", "ℓ": "L",
    "½": "(1/2)", "¼": "(1/4)", "¾": "(3/4)", "⅓": "(1/3)", "⅔": "(2/3)",
    "\u2062": " ",                                  # UnicodeMath's invisible times: a product
}
# what a character was read as, for a message that points at it
DASHES = {"−": "a minus sign", "–": "an en dash", "—": "an em dash", "‐": "a hyphen", "‑": "a non-breaking hyphen",
          "‒": "a figure dash", "﹣": "a small hyphen-minus", "－": "a fullwidth hyphen-minus"}
UNICODE.update({dash: "-" for dash in DASHES})
INVISIBLE = "\u200b\u200c\u200d\u2060\u2061\u2063\u2064\ufeff"   # zero widths, UnicodeMath's function application
SUBSCRIPT = "₀₁₂₃₄₅₆₇₈₉₊₋₍₎"      # (a phone has few script letters: e⁻ᶻ³¹ is e^{-z31})
SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ᶻˣʸʷ"
PLAIN_SCRIPT = "0123456789+-()zxyw"


def _scripts(chars, table):
    return "".join(PLAIN_SCRIPT[table.index(c)] for c in chars)


def _compatible(m):
    """Word's math italic letters (𝑂, 𝜎, 𝑤) and fullwidth forms as the plain letters they stand for."""
    plain_ = unicodedata.normalize("NFKC", m.group())
    return "".join(UNICODE.get(c, c) for c in plain_)


def _unicode(t):
    if t.text.isascii():
        return t
    t = t.sub("[\U0001D400-\U0001D7FF\uFF01-\uFF5E\u210E]", _compatible)
    t = t.sub("y\u0302", r"\\hat{y}")                                # y with a combining circumflex
    t = t.sub(f"[{INVISIBLE}]", "")
    t = t.sub(r"[^\S\n]", " ")                                       # no-break, thin, narrow and other blanks
    t = t.sub(f"[{SUBSCRIPT}]+", lambda m: "_{" + _scripts(m.group(), SUBSCRIPT) + "}")
    t = t.sub(f"[{SUPERSCRIPT}]+", lambda m: "^{" + _scripts(m.group(), SUPERSCRIPT) + "}")
    return t.sub("[" + "".join(re.escape(c) for c in UNICODE) + "]", lambda m: UNICODE[m.group()])


def described(ch):
    """A character of an answer for a message: itself (a code point for an invisible or markup one), its name,
    and what to write instead where that is known.

    Examples
    ========
    >>> from gradproof.symbolic.grade.spelling import described
    >>> described("±"), described("\\u200e")
    ("'±' (plus-minus sign: choose + or -)", 'U+200E (left-to-right mark)')
    """
    name = unicodedata.name(ch, "").lower() or "an unnamed character"
    hint = HINTS.get(ch)
    if ch in "<>&\"`" or not ch.isprintable():
        return f"U+{ord(ch):04X} ({name}{': ' + hint if hint else ''})"
    return f"'{ch}' ({name}{': ' + hint if hint else ''})"


HINTS = {
    "±": "choose + or -", "∓": "choose + or -", "≠": "write the answer only", "∫": "the answer is a derivative, "
    "write it without integrals", "…": "write every term, or a sum \\sum_{j=1}^{2}", "|": "write sign(w) for the "
    "derivative of |w|", "°": "not an answer's symbol", "%": "write the number itself", "#": "not an answer's symbol",
    "?": "not an answer's symbol", "!": "no factorials in a gradient", "@": "write * for a product",
    "<": "comparisons only in the step's indicator, 1[z \\gt 0]", ">": "comparisons only in the step's indicator, 1[z \\gt 0]", "\"": "no quotes",
    "`": "no quotes", "&": "not an answer's symbol",
}


# ---- decoration: math delimiters, labels, boxes, alignment ---------------------------------------
def _text_command(m):
    """\\text{...}, \\mathrm{...}, \\operatorname{...}: a function name stays, d and e are the letters, else a label."""
    word = m.group(2).strip()
    if word == "d":
        return r"\partial "
    if word == "e":
        return " e "
    if plain(word.replace("\\", "")) in FUNCTIONS:
        return rf"\operatorname{{{word}}}"
    if m.group(1) in ("mathrm", "mathit", "operatorname"):
        # \mathrm{L}: the letter; another name stays a function's, for the parser to accept or name
        return word if re.fullmatch(r"[A-Za-z]", word) else None
    return " "                                                       # a label: \text{(chain rule)}


DECORATION = [
    ("_", r"(?<![A-Za-z\\])y_\{?(?:\\text\{|\\mathrm\{)?(pred|hat|out)\}?\}?(?![A-Za-z])", r"\\hat{y}"),  # y_pred
    ("_", r"(?<![A-Za-z\\])y_\{?(?:\\text\{|\\mathrm\{)?(true|target)\}?\}?(?![A-Za-z])", "y"),        # y_true
    ("\\", r"\\begin\s*\{[a-z*]*\}|\\end\s*\{[a-z*]*\}|\\(nonumber|notag)(?![A-Za-z])", " "),
    ("$", r"\$\$?", " "),                                                  # $...$
    ("\\", r"\\[()]|\\\[|\\\]", " "),                                       # \(...\), \[...\]
    ("\\\\", r"\\\\", " "),                                                # a line break in an aligned answer
    ("&", r"&", " "),                                                      # &= of an aligned answer
    ("\\", r"\\(text|textrm|textit|textbf|mbox|mathrm|mathit|operatorname)\s*\{([^{}]*)\}", _text_command),
    ("\\", r"\\(boxed|displaystyle|textstyle|limits|mathstrut)(?![A-Za-z])", " "),
    ("\\", r"\\(left|right|bigl?|bigr?|Bigl?|Bigr?)\s*\.", " "),           # \left. and \right. are invisible
    ("\\", r"\\(cdotp|ast|centerdot|bullet)(?![A-Za-z])", r"\\cdot "),
    ("\\", r"\\(approx|simeq|doteq)(?![A-Za-z])", "="),
    ("hat", r"\\(widehat|hat)\s*\{\s*y\s*_\s*(\{\s*\d+\s*\}|\d)\s*\}", r"\\hat{y}_\2"),   # \hat{y_1}
    ("widehat", r"\\widehat(?![A-Za-z])", r"\\hat"),
    ("exponentialE", r"\\exponentialE(?![A-Za-z])", " e "),                 # MathLive's keyboard e
    ("differentialD", r"\\differentialD(?![A-Za-z])", "d"),
    ("placeholder", r"\\placeholder\s*(\[[^\]]*\])?\s*\{\s*\}", " "),
    ("\\", r"\\(mathcal|mathscr|mathbf|mathit|boldsymbol|bm)\s*\{\s*([A-Za-z])\s*\}", r"\2"),   # \mathcal{L}
    ("ell", r"\\ell(?![A-Za-z])", "L"),                                   # the loss as ℓ
]


def _decoration(t):
    return _rewrite(t, DECORATION)


def _braced(text, start):
    """The index after the brace group opening at text[start] == '{' (its matching '}'), or None."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif text[i] == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _underbrace(t):
    """\\underbrace{X}_{label} and \\overbrace{X}^{label}: X."""
    while True:
        m = re.search(r"\\(underbrace|overbrace)\s*(?=\{)", t.text)
        if not m:
            return t
        close = _braced(t.text, m.end())
        if close is None:
            return t.edit([(m.start(), m.end(), " ")])
        spans = [(m.start(), m.end(), " ")]
        label = re.match(r"\s*[_^]\s*", t.text[close:])
        if label:
            after = close + label.end()
            if after < len(t.text) and t.text[after] == "{":
                end = _braced(t.text, after)
            else:
                token = re.match(r"\\[A-Za-z]+|.", t.text[after:])
                end = after + (token.end() if token else 0)
            if end is not None:
                spans.append((close, end, " "))
        t = t.edit(spans)


# ---- fractions and derivatives ------------------------------------------------------------------
def _argument(text, i):
    """(start, end, braced) of a \\frac argument starting at or after i: a {group}, a digit or a letter."""
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        end = _braced(text, i)
        return (i, end, True) if end else None
    if text[i].isalnum():
        return (i, i + 1, False)
    return None


def _fractions(t):
    """\\frac12, \\frac 12, \\frac1{x}: each argument braced."""
    spans, pos = [], 0
    for m in re.finditer(r"\\[dtc]?frac(?![A-Za-z])", t.text):
        if m.start() < pos:
            continue
        first = _argument(t.text, m.end())
        if first is None:
            continue
        second = _argument(t.text, first[1])
        if second is None:
            continue
        for start, end, braced in (first, second):
            if not braced:
                spans.append((start, end, "{" + t.text[start:end] + "}"))
        pos = second[1]
    return t.edit(sorted(spans)) if spans else t


def _over(t):
    """{a \\over b} as \\frac{a}{b} (and a \\over b at the top level)."""
    for _ in range(20):
        m = re.search(r"\\over(?![A-Za-z])", t.text)
        if not m:
            return t
        # the innermost group around \over
        depth, open_at = 0, None
        for i in range(m.start() - 1, -1, -1):
            ch = t.text[i]
            if ch == "}" and (i == 0 or t.text[i - 1] != "\\"):
                depth += 1
            elif ch == "{" and (i == 0 or t.text[i - 1] != "\\"):
                if depth == 0:
                    open_at = i
                    break
                depth -= 1
        if open_at is None:
            t = t.edit([(0, 0, r"\frac{"), (m.start(), m.end(), "}{"), (len(t.text), len(t.text), "}")])
            continue
        close = _braced(t.text, open_at)
        if close is None:
            return t
        t = t.edit([(open_at, open_at + 1, r"{\frac{"), (m.start(), m.end(), "}{"), (close - 1, close, "}}")])
    return t


def _leibniz_d(t):
    """dL/dw and \\frac{dL}{dO_{31}}: a lone d before a name of the network is the Leibniz ∂."""
    return t.sub(r"(?<![A-Za-z\\])d(?=\s*(L|O|o|z|w|W|b|y|x|\\hat|\\widehat|\{))", r"\\partial ")


# ---- plain keyboards: Python, Maxima, AsciiMath, UnicodeMath, widgets' LaTeX --------------------------
# words an answer may spell without a backslash (functions come from the activation table: FUNCTIONS)
WORDS = {"sigma": r"\sigma", "lambda": r"\lambda", "lam": r"\lambda", "eta": r"\eta", "delta": r"\delta",
         "partial": r"\partial", "del": r"\partial", "hat": r"\hat", "cdot": r"\cdot", "xx": r"\times",
         "times": r"\times", "max": r"\max", "frac": r"\frac", "dfrac": r"\frac", "sum": r"\sum", "sqrt": r"\sqrt",
         "yhat": r"\hat{y}", "exp": r"\exp", "tanh": r"\tanh", "ln": r"\ln", "log": r"\log", "prime": "'"}
SIZING = r"\\(left|right|mleft|mright|bigl?|bigr?|Bigl?|Bigr?|biggl?|biggr?|Biggl?|Biggr?)(?![A-Za-z])\s*"


def _word(m):
    """A plain word: a command, an activation's name, or left alone for the parser to name."""
    if m.group(1):
        return None                                    # a LaTeX command with its argument: as written
    word = m.group(2)
    if word in WORDS:
        return WORDS[word] + " "
    if len(word) > 1 and plain(word) in FUNCTIONS:
        return rf"\operatorname{{{word}}}"
    return None


def _unbraced(m):
    """{w}_{11}^{3}, {\\sigma}^{\\prime}, Word's 〖sech〗^2: a name or function in braces before its scripts is the
    name itself ({ab}^2 stays: it is (ab)²)."""
    name = m.group(1)
    word = name.lstrip("\\")
    if len(word) == 1 or name.startswith(r"\hat") or word in WORDS or plain(word) in FUNCTIONS:
        return name
    return None


# (what must appear for the rule to apply, pattern, replacement): the cheap test keeps a plain answer fast
KEYBOARDS = [
    ("\\", SIZING + r"(?=[()\[\]]|\\[{}])", ""),                          # \left( \mleft( \bigl[: the bracket
    ("{", r"(?<!\\)\{\s*\}", " "),                                         # Word's and MathLive's empty {} before ^
    ("{", r"(?<![\\A-Za-z])\{\s*(\\hat\s*\{\s*y\s*\}|\\?[A-Za-z]+)\s*\}(?=\s*[_^'])", _unbraced),
    ("**", r"\*\*", "^"),                                                  # Python's power
    (".", r"(?<![A-Za-z])(?:np|numpy|math|torch|sympy|sp)\s*\.\s*(?=[A-Za-z])", ""),   # np.exp
    ("%", r"%e(?![A-Za-z])", "e"),                                         # Maxima's e
    ("_", r"_\s*\(([\d\s,]+)\)", lambda m: "_{" + m.group(1).strip() + "}"),      # AsciiMath's O_(31)
    ("_", r"_\s*(\d+)\s*,\s*(\d+)(?![\d.])", r"_{\1,\2}"),                    # O_3,1
    ("hat", r"(?<![A-Za-z\\])hat\s*(?:\(\s*y\s*\)|\{\s*y\s*\})", r"\\hat{y}"),        # AsciiMath's hat(y)
    ("hat", r"(?<![A-Za-z\\])y_?hat(?![A-Za-z])", r"\\hat{y}"),           # y_hat, yhat
    ("", r"(?<![A-Za-z\\])(sigma|sigmoid|tanh|relu|f)_?(?:prime|deriv|derivative|grad)(?![A-Za-z])", r"\1'"),
    ("", r"(?<![A-Za-z\\])d_?(sigma|sigmoid|tanh|relu)(?![A-Za-z])", r"\1'"),          # dsigmoid(z)
    ("", r"(\\[A-Za-z]+(?:\s*\{[^{}]*\})?)|(?<![A-Za-z\\])([A-Za-z]{2,})(?![A-Za-z])", _word),
    ("_", r"(?<![A-Za-z\\])([wWb])\s*(\d+)\s*_", r"\1^{\2}_"),             # w3_11: the layer first
    ("a", r"(?<![A-Za-z\\])a(?=\s*(\d|_\s*\{?\s*\d))", "O"),                 # a31, a_{31}: the activation O_31
    ("", r"(?<![A-Za-z\\])(O|o|z|x|y|w|W|b|\\delta)\s*(\d+)(?![\d.])", r"\1_{\2}"),   # O31, delta31
    ("", r"(?<![A-Za-z\\])(?:g|\\phi|\\varphi|φ)(?=\s*(_\s*\{?\s*\d+\s*\}?)?\s*['(])", "f"),   # g'(z), φ(z)
    ("'", r"\^\s*'", "'"),                                                 # Word's σ^′
    # Python's indexing, a name right before it: O[3,1], O[3][1], delta[3][1], x[1], w[3][1][1], w[3][1,1]
    ("[", r"(?<![A-Za-z\\])([wWb])\[\s*(\d+)\s*\]\s*\[\s*(\d+)\s*(?:\]\s*\[|,)\s*(\d+)\s*\]", r"\1^{\2}_{\3,\4}"),
    ("[", r"(?<![A-Za-z\\])(O|o|z|\\delta\s?)\[\s*(\d+)\s*(?:\]\s*\[|,)\s*(\d+)\s*\]", r"\1_{\2,\3}"),
    ("[", r"(?<![A-Za-z\\])([xy])\[\s*(\d+)\s*\]", r"\1_{\2}"),
]


def _rewrite(t, rules):
    for when, pattern, replace in rules:
        if when in t.text:
            t = t.sub(pattern, replace)
    return t


# a phone's ŷ typed as y^: certain where no exponent can follow (y^), y^*, y^ at the end); then every y^ not
# followed by an exponent's digit or brace is ŷ too, y^(1 - y^) included, and a note says how it was read
HAT_ALONE = re.compile(r"(?<![A-Za-z\\])y\s*\^(?=\s*(?:$|[)\]}*/,=;]|\\cdot|\\times))")
HAT_TYPED = r"(?<![A-Za-z\\])y\s*\^(?!\s*[\d{.])"


def _hat_after(t):
    if "^" not in t.text or not HAT_ALONE.search(t.text):
        return t
    out = t.sub(HAT_TYPED, r"\\hat{y}")
    out.notes.append("y^ is read as ŷ (a hat typed after the y)")
    return out


def _keyboards(t):
    """The spellings of plain keyboards and of the widgets' LaTeX, rewritten to the grammar's."""
    t = _rewrite(t, KEYBOARDS)
    if "," in t.text and "max" not in t.text:
        # a decimal comma (4,588·10⁻⁴) where no comma separates anything (max(a, b), O_{1,12})
        t = t.sub(r"(?<![\d.,{_])(\d+),(\d+)(?![\d,])", r"\1.\2")
    return t


# ---- names --------------------------------------------------------------------------------------
LAYER = r"\^\s*(?:\{\s*[(\[]\s*(\d+)\s*[)\]]\s*\}|[(\[]\s*(\d+)\s*[)\]])"      # ^{(3)}, ^{[3]}, ^(3), ^[3]
INDEX = r"_\s*(?:\{\s*(\d+)\s*\}|(\d))"


def _textbook(m):
    """O^{(2)}_{1}, a^{[2]}_1, z_1^{(2)}, \\delta^{(3)}_1: the notes' O_21, z_21, delta_31."""
    letter = "O" if m.group("letter") in ("a", "O", "o") else m.group("letter")
    k = next(g for g in m.group("k1", "k2", "k3", "k4") if g)
    j = next(g for g in m.group("j1", "j2", "j3", "j4") if g)
    return f"{letter}_{{{k},{j}}}"


TEXTBOOK = re.compile(
    r"(?<![A-Za-z\\])(?P<letter>[Ooaz]|\\delta)\s*(?:"
    r"\^\s*(?:\{\s*[(\[]\s*(?P<k1>\d+)\s*[)\]]\s*\}|[(\[]\s*(?P<k2>\d+)\s*[)\]])\s*_\s*(?:\{\s*(?P<j1>\d+)\s*\}|(?P<j2>\d))"
    r"|_\s*(?:\{\s*(?P<j3>\d+)\s*\}|(?P<j4>\d))\s*\^\s*(?:\{\s*[(\[]\s*(?P<k3>\d+)\s*[)\]]\s*\}|[(\[]\s*(?P<k4>\d+)\s*[)\]]))")


def _names(t):
    if "^" in t.text and "_" in t.text:
        t = t.sub(TEXTBOOK, _textbook)
    t = t.sub(LAYER, lambda m: "^{" + (m.group(1) or m.group(2)) + "}")     # w^{(3)}_{11}, W^{[3]}_{11}
    t = t.sub(r"(?<![A-Za-z\\])W(?=\s*[\^_])", "w")                    # W^{3}_{11}: the weight w^3_11
    t = t.sub(r"(?<![A-Za-z\\])o(?=\s*_)", "O")                        # o_{21}: the notes' lower case
    t = t.sub(r"\^\s*(\{\s*\\prime\s*\}|\\prime(?![A-Za-z])|\{\s*'\s*\})", "'")      # \sigma^{\prime}
    t = t.sub(r"\\dot\s*(\{\s*(\\sigma|f)\s*\}|(\\sigma)(?![A-Za-z])|f)", lambda m: (m.group(2) or m.group(3) or "f") + "'")
    return t


# ---- sums over an index -------------------------------------------------------------------------
SUM = re.compile(r"\\sum\s*(?:_\s*\{\s*([A-Za-z])\s*=\s*(\d+)\s*\}|_\s*([A-Za-z])(?![A-Za-z]))?\s*"
                 r"(?:\^\s*(?:\{\s*(\d+)\s*\}|(\d)))?")


def _summand_end(text, start):
    """The end of the product after a \\sum: the next + - = at the same bracket depth, or a closing bracket."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif ch in "+-=" and depth == 0 and text[start:i].strip():
            return i
        elif text.startswith(r"\right", i) and depth == 0:
            return i
        i += 1
    return len(text)


def _substitute(text, origin, letter, value):
    """The summand with the index letter replaced by its value in every sub- and superscript."""
    spans = []
    pattern = r"([_^])\s*(\{[^{}]*\}|[A-Za-z0-9])"
    for m in re.finditer(pattern, text):
        inner = m.group(2).strip("{}")
        if not re.fullmatch(r"[A-Za-z0-9,\s]+", inner):
            continue                                   # not an index list (the sum's own j=1, a power)
        parts = [p.strip() for p in inner.split(",")] if "," in inner else [c for c in inner if not c.isspace()]
        if letter not in parts:
            continue
        parts = [str(value) if p == letter else p for p in parts]
        joined = ",".join(parts) if any(len(p) > 1 for p in parts) else "".join(parts)
        spans.append((m.start(), m.end(), m.group(1) + "{" + joined + "}"))
    return Text(text, origin).edit(spans)


def _sums(t):
    for count in range(MAX_SUMS + 1):
        m = re.search(r"\\sum(?![A-Za-z])", t.text)
        if not m:
            return t
        if count == MAX_SUMS:
            raise SpellingError(f"more than {MAX_SUMS} sums in one answer", t.column(m.start()))
        b = SUM.match(t.text, m.start())
        letter, low = (b.group(1), b.group(2)) if b.group(1) else (b.group(3), None)
        high = b.group(4) or b.group(5)
        if not (letter and low is not None and high is not None):
            raise SpellingError(r"a sum needs its index and numeric bounds, e.g. \sum_{j=1}^{2}", t.column(m.start()))
        low, high = int(low), int(high)
        if not 0 <= high - low < MAX_SUM_TERMS:
            raise SpellingError(f"a sum from {low} to {high}: give at most {MAX_SUM_TERMS} terms", t.column(m.start()))
        end = _summand_end(t.text, b.end())
        body, origin = t.text[b.end():end], t.origin[b.end():end]
        if not body.strip():
            raise SpellingError("a sum with nothing after it", t.column(m.start()))
        text, where = "(", [t.origin[m.start()]]
        for value in range(low, high + 1):
            term = _substitute(body, origin, letter, value)
            text += ("+" if value > low else "") + "(" + term.text + ")"
            where += ([t.origin[m.start()]] if value > low else []) + [origin[0]] + term.origin + [origin[-1]]
        text += ")"
        where.append(origin[-1])
        t = t.edit([(m.start(), end, text, where)])
        if len(t.text) > MAX_EXPANDED:
            raise SpellingError(f"the sums expand to more than {MAX_EXPANDED} characters")
    return t


# ---- the ends -----------------------------------------------------------------------------------
def _ends(t):
    """A full stop or comma after the answer and an '=' before it say nothing."""
    t = t.sub(r"[.,;]\s*$", "")
    return t.sub(r"^\s*=", " ")


def respell(text):
    """The answer rewritten to the grammar's spellings, as a Text (the rewritten string and its columns).

    Examples
    ========
    >>> from gradproof.symbolic.grade.spelling import respell
    >>> print(" ".join(respell(r"$\\frac12 \\sum_{j=1}^{2} W^{(3)}_{j1} o_{2j}$.").text.split()))
    \\frac{1}{2} (( w^{3}_{11} O_{21} )+( w^{3}_{21} O_{22} ))
    >>> respell(r"\\sum_j x_j")
    Traceback (most recent call last):
    ...
    gradproof.symbolic.grade.spelling.SpellingError: a sum needs its index and numeric bounds, e.g. \\sum_{j=1}^{2} (column 1)
    """
    t = Text(text)
    for step in (_unicode, _decoration, _underbrace, _over, _fractions, _leibniz_d, _hat_after, _keyboards, _names,
                 _ends, _sums):
        t = step(t)
    if LINEAR_FORMAT.search(text):
        t = _linear_fractions(t, text)
    return t


# ---- a fraction in Word's linear format ---------------------------------------------------------------------
# UnicodeMath's marks: 〖 〗, function application and invisible times, math italic letters, Word's ^′
LINEAR_FORMAT = re.compile("[〖〗\u2061\u2062\u2063\U0001D400-\U0001D7FF]|\\^\\s*′")
FUNCTION_HEAD = re.compile(r"(\\(sigma|tanh|exp|ln|log|sqrt|sech|cosh|max)(?![A-Za-z])|\\operatorname\s*\{[^{}]*\})"
                           r"\s*('|\^\s*(\{[^{}]*\}|\d))?\s*")


def _closing(text, i):
    """The index after the bracket group opening at text[i]."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] in "([{":
            depth += 1
        elif text[j] in ")]}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(text)


def _operands(run):
    """How many factors a run of text without blanks holds: 2x is two, e^(−z) one, σ(z) one (a call)."""
    count, i = 0, 0
    while i < len(run):
        head = FUNCTION_HEAD.match(run, i)
        if head:
            i = head.end()
            i = _closing(run, i) if i < len(run) and run[i] in "([{" else i
        elif run[i] in "([{":
            i = _closing(run, i)
        elif run[i] == "\\":
            i = re.match(r"\\[A-Za-z]+(\{[^{}]*\})?", run[i:]).end() + i if re.match(r"\\[A-Za-z]", run[i:]) else i + 1
        else:
            m = re.match(r"\d+(\.\d*)?|[A-Za-z](\s*_\s*(\{[^{}]*\}|\d+))?", run[i:])
            i += m.end() if m else 1
        count += 1
        while i < len(run) and run[i] in "^'_":         # scripts and primes stay with their factor
            if run[i] == "'":
                i += 1
                continue
            i += 1
            i = _closing(run, i) if i < len(run) and run[i] in "([{" else i + 1
    return count


def _linear_fractions(t, typed):
    """In Word's linear format a '/' takes the whole run of factors written without a blank on its right:
    1/2x is 1/(2x), a/b c is (a/b)·c. The run is braced, and a note says so where it holds several factors."""
    spans, notes = [], []
    for m in re.finditer(r"(?<!\\)/", t.text):
        start = end = m.end()
        depth = 0
        while end < len(t.text):
            ch = t.text[end]
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif ch.isspace() and re.search(r"\\[A-Za-z]+\s*$", t.text[start:end]):
                pass                           # the blank the respelling put after a command (σ -> \sigma )
            elif depth == 0 and (ch.isspace() or ch in "+=*/,;" or (ch == "-" and end > start and t.text[end - 1] not in "^_")
                                 or t.text.startswith(("\\cdot", "\\times"), end)):
                break
            end += 1
        run = t.text[start:end]
        if not run or "\\partial" in run or _operands(run) < 2:
            continue
        spans += [(start, start, "{"), (end, end, "}")]
        written = typed[t.column(start) - 1:t.column(end - 1)]
        notes.append(f"in Word's linear format a/bc is a/(bc): the '/' at column {t.column(m.start())} divides by "
                     f"everything written after it without a blank ({written if len(written) <= 40 else written[:40] + '…'})")
    if not spans:
        return t
    out = t.edit(spans)
    out.notes += notes
    return out



# names a word of an answer was probably meant to be
LIKELY = {"s": r"\sigma", "o": "O_{kj}", "d": r"\delta_{kj} or d in dL/dw", "l": r"\lambda", "n": r"\eta",
          "h": r"\hat{y}", "X": "x_i", "Y": "y", "Z": "z_kj", "a": "O_{kj} (the notes' output)", "W": "w^k_ij"}


def unknown_name(spelled, index, letter):
    """'unknown symbol s' said better: the whole word the letter starts, and the name probably meant."""
    text = spelled.text if spelled is not None else letter
    start = index if spelled is not None else 0
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    end = start
    while end < len(text) and text[end].isalpha():
        end += 1
    word = text[start:end] or letter
    known = sorted(set(WORDS) | {k for k in FUNCTIONS if len(k) > 1})
    close = difflib.get_close_matches(word.lower(), known, n=1, cutoff=0.6)
    if len(word) > 1:
        meant = f"; did you mean {close[0]}?" if close else ""
        return f"unknown name {word!r}{meant}"
    meant = f" (did you mean {LIKELY[word]}?)" if word in LIKELY else ""
    return f"unknown symbol {word}{meant}"
