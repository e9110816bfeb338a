"""Moodle XML: one question category per variant, in files small enough to import on a default site.

Moodle draws each random question on its own, so a quiz built from "random question from category" slots
would give a student one network in Q1 and another in Q3. Instead every variant's questions sit in a category
of their own (``$course$/top/TITLE/VARIANT``): the teacher makes one quiz per variant from its category and
opens it to that variant's group (the README gives the steps; ``groups.csv`` creates the groups).

Written against Moodle's own code (moodle/moodle): the importer ``question/format/xml/format.php``, the cloze
parser ``question/type/multianswer/questiontype.php`` (``qtype_multianswer_extract_question``) and the
numerical question's matching (``question/type/numerical/question.php``: the first answer in file order whose
tolerance holds the response wins):
- ``numerical`` questions carry the correct answer (fraction 100) and each diagnosed mistake's value, each with
  a tolerance fitted to its own value, with the share of the points the mistake keeps and feedback naming it;
- several values (a step, a flow question) make a ``cloze`` question, one NUMERICAL blank per value, weighted
  by its points. A cloze question's mark is the sum of its blanks' weights (the importer reads no
  defaultgrade): the weights add up to the question's points where whole numbers can (2 points over 2
  blanks); otherwise (4 points over 11 blanks) the question carries 11 marks and the quiz slot is set to 4;
- the cloze parser takes feedback up to the first ``~`` or ``}`` not after a backslash, unescapes only ``\\}``
  and ``\\#``, and decodes HTML entities: feedback is written for exactly that;
- an expression becomes an ``essay`` question (Moodle cannot grade one) with the key in its grader information.
A file stays under 1.5 MB (PHP's default upload limit is 2 MB); a large class has several files.
"""
import math
import xml.etree.ElementTree as ET
from fractions import Fraction
from html import escape

PENALTY = 0.1          # the share lost per retry in interactive quizzes
MAX_BYTES = 1_500_000  # one imported file: under PHP's default upload_max_filesize (2 MB), with room to spare


def _text(parent, tag, content, html=False, **attrs):
    node = ET.SubElement(parent, tag, attrs)
    if html:
        node.set("format", "html")
    ET.SubElement(node, "text").text = content
    return node


def _header(root, qtype, item):
    q = ET.SubElement(root, "question", {"type": qtype})
    _text(q, "name", item.name)
    _text(q, "questiontext", item.text_html, html=True)
    _text(q, "generalfeedback", item.solution_html, html=True)
    return q


def _num(value):
    return format(value, ".12g") if isinstance(value, float) else str(value)


def percent(share):
    """A share in [0, 1] as Moodle's percentage, exact to 7 significant figures (0.125 -> "12.5")."""
    return format(100 * float(share), ".7g")


def tolerance(value, rtol, floor=0.0):
    """The absolute tolerance of one answer: rtol of its own value, to 3 significant figures, at least floor."""
    if not rtol:
        return 0.0
    return max(float(f"{rtol * abs(value):.3g}"), floor) if value else rtol


def graded_answers(blank):
    """(value, percent, tolerance, feedback text) for the correct answer, then each diagnosed mistake."""
    rows = [(blank.answer, "100", blank.tolerance, "Correct.")]
    for m in blank.mistakes:
        if m.share <= 0:
            continue         # a mistake that keeps nothing scores as any wrong answer: no answer of its own
        rows.append((m.value, percent(m.share), tolerance(m.value, blank.rtol),
                     f"{m.sentence} Partial credit: {percent(m.share)}% of the points."))
    return rows


def _numerical(root, item):
    blank = item.blanks[0]
    q = _header(root, "numerical", item)
    ET.SubElement(q, "defaultgrade").text = _num(item.points)
    ET.SubElement(q, "penalty").text = _num(PENALTY)
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = item.idnumber
    for value, share, tol, feedback in graded_answers(blank):
        answer = ET.SubElement(q, "answer", {"fraction": share, "format": "moodle_auto_format"})
        ET.SubElement(answer, "text").text = _num(value)
        ET.SubElement(answer, "tolerance").text = _num(tol)
        _text(answer, "feedback", escape(feedback, quote=False), html=True)
    ET.SubElement(q, "unitgradingtype").text = "0"
    ET.SubElement(q, "unitpenalty").text = "0.1"
    ET.SubElement(q, "showunits").text = "3"
    ET.SubElement(q, "unitsleft").text = "0"


def cloze_feedback(text):
    """Feedback text as it must stand inside a cloze blank so that the parser stores it as HTML showing text.

    The parser decodes HTML entities once, so the HTML is escaped once more; ``}`` and ``#`` get the backslash
    the parser removes; ``~`` (which would end the feedback) is written as an entity the decoding restores.
    """
    html = escape(escape(text, quote=False), quote=False)
    html = html.replace("\\", "&#92;").replace("}", "\\}").replace("#", "\\#").replace("~", "&#126;")
    return html.replace("&\\#", "&#")        # the entities written just above keep their own '#'


def weights(points):
    """Whole-number cloze weights in the proportion of the blanks' points (Moodle's {N:NUMERICAL:...}), adding
    up to the question's points whenever whole numbers can."""
    shares = [Fraction(p).limit_denominator(10 ** 6) for p in points]
    scale = math.lcm(*(s.denominator for s in shares))
    whole = [int(s * scale) for s in shares]
    common = math.gcd(*whole) or 1
    whole = [w // common for w in whole]
    times = sum(shares) / sum(whole)
    return [w * int(times) for w in whole] if times.denominator == 1 else whole


def cloze_blank(blank, weight):
    options = []
    for value, share, tol, feedback in graded_answers(blank):
        mark = "=" if share == "100" else f"%{share}%"
        options.append(f"{mark}{_num(value)}:{_num(tol)}#{cloze_feedback(feedback)}")
    return f"{{{weight}:NUMERICAL:" + "~".join(options) + "}"


def _cloze(root, item):
    lines = [item.text_html, "<table>"]
    for blank, weight in zip(item.blanks, weights([b.points for b in item.blanks])):
        lines.append(f"<tr><td>{blank.label_html}</td><td>{cloze_blank(blank, weight)}</td></tr>")
    lines.append("</table>")
    q = ET.SubElement(root, "question", {"type": "cloze"})
    _text(q, "name", item.name)
    _text(q, "questiontext", "\n".join(lines), html=True)
    _text(q, "generalfeedback", item.solution_html, html=True)
    ET.SubElement(q, "penalty").text = _num(PENALTY)
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = item.idnumber


def _essay(root, item):
    q = _header(root, "essay", item)
    ET.SubElement(q, "defaultgrade").text = _num(item.points)
    ET.SubElement(q, "penalty").text = "0"
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = item.idnumber
    ET.SubElement(q, "responseformat").text = "plain"
    ET.SubElement(q, "responserequired").text = "1"
    ET.SubElement(q, "responsefieldlines").text = "5"
    ET.SubElement(q, "attachments").text = "0"
    _text(q, "graderinfo", item.grader_info_html, html=True)
    _text(q, "responsetemplate", "")


def category(export, variant):
    """The question category of one variant ('/' in a name would open a sub-category)."""
    return "$course$/top/" + "/".join(part.replace("/", "-") for part in (export.title, variant))


def variant_xml(export, variant):
    """The <question> elements of one variant: its category, then its questions in the assignment's order."""
    root = ET.Element("quiz")
    head = ET.SubElement(root, "question", {"type": "category"})
    _text(head, "category", category(export, variant))
    _text(head, "info", f"<p>{escape(export.title, quote=False)}: the questions of variant {variant}.</p>",
          html=True)
    for bank in export.questions:
        item = next(i for i in bank.items if i.variant == variant)
        if item.essay:
            _essay(root, item)
        elif len(item.blanks) == 1:
            _numerical(root, item)
        else:
            _cloze(root, item)
    ET.indent(root, level=1)
    return "".join(ET.tostring(q, encoding="unicode") for q in root)


def _document(parts):
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n  ' + "  ".join(parts).rstrip() + "\n</quiz>\n"


def files(export):
    """{file name: text}: questions-N.xml (whole variants, each file under MAX_BYTES) and groups.csv."""
    variants = [i.variant for i in export.questions[0].items]
    out, parts, size, n = {}, [], 0, 1
    for v in variants:
        part = variant_xml(export, v)
        if parts and size + len(part.encode()) > MAX_BYTES:
            out[f"questions-{n}.xml"] = _document(parts)
            parts, size, n = [], 0, n + 1
        parts.append(part)
        size += len(part.encode())
    out[f"questions-{n}.xml"] = _document(parts)
    out["groups.csv"] = "groupname,description\n" + "".join(f"{v},gradproof variant {v}\n" for v in variants)
    return out


def write(export, path):
    """Write the Moodle export of an exercise (items.Export) into the folder path."""
    for name, text in files(export).items():
        (path / name).write_text(text, encoding="utf-8")
