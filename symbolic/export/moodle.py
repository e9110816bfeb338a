"""Moodle XML: one category per assignment question, one question per variant.

Written against the importer in Moodle's ``question/format/xml/format.php``: a ``category`` question puts
the following questions in one category (a quiz's "random question from category" then gives each student
one variant); ``numerical`` questions carry the correct answer (fraction 100, an absolute tolerance) and each
diagnosed mistake's value as a further answer whose fraction is that mistake's share of the points and whose
feedback names the mistake; several values (a step, a flow question) make a ``cloze`` question with one
NUMERICAL blank per value. Moodle cannot grade an expression: expression questions become ``essay``
questions whose grader information holds the key and how to check an answer with ``gradproof grade``.
Math is written in ``\\( \\)`` for Moodle's MathJax filter.
"""
import xml.etree.ElementTree as ET

PENALTY = 0.1          # the share lost per retry in interactive quizzes


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


def _numerical(root, item):
    blank = item.blanks[0]
    q = _header(root, "numerical", item)
    ET.SubElement(q, "defaultgrade").text = _num(item.points)
    ET.SubElement(q, "penalty").text = _num(PENALTY)
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = item.idnumber
    for value, fraction, feedback in blank.graded_answers():
        answer = ET.SubElement(q, "answer", {"fraction": _num(fraction), "format": "moodle_auto_format"})
        ET.SubElement(answer, "text").text = _num(value)
        ET.SubElement(answer, "tolerance").text = _num(blank.tolerance)
        _text(answer, "feedback", feedback, html=True)
    ET.SubElement(q, "unitgradingtype").text = "0"
    ET.SubElement(q, "unitpenalty").text = "0.1"
    ET.SubElement(q, "showunits").text = "3"
    ET.SubElement(q, "unitsleft").text = "0"


def cloze_blank(blank):
    """{1:NUMERICAL:=answer:tol#feedback~%share%mistake:tol#feedback...}, Moodle's cloze syntax.

    Every blank weighs 1 (a question's points are shared equally among its blanks); only the mistakes
    that keep a share are listed, to keep the blank readable.
    """
    options = []
    for value, fraction, feedback in blank.graded_answers():
        if fraction == 0:
            continue
        mark = "=" if fraction == 100 else f"%{_num(fraction)}%"
        options.append(f"{mark}{_num(value)}:{_num(blank.tolerance)}#{_cloze_escape(feedback)}")
    return "{1:NUMERICAL:" + "~".join(options) + "}"


def _cloze_escape(text):
    # characters with a meaning inside a cloze blank are escaped with a backslash
    for ch in "\\}#~/\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _cloze(root, item):
    lines = [item.text_html, "<table>"]
    for blank in item.blanks:
        lines.append(f"<tr><td>{blank.label_html}</td><td>{cloze_blank(blank)}</td></tr>")
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


def _num(value):
    return format(value, ".12g") if isinstance(value, float) else str(value)


def write(assignment, path):
    """Write the Moodle XML of an assignment (items.Export) to path."""
    root = ET.Element("quiz")
    for question in assignment.questions:
        category = ET.SubElement(root, "question", {"type": "category"})
        # a '/' in a name would open a sub-category
        where = "/".join(part.replace("/", "-") for part in (assignment.title, question.title))
        _text(category, "category", f"$course$/top/{where}")
        _text(category, "info", question.summary_html, html=True)
        for item in question.items:
            if item.essay:
                _essay(root, item)
            elif len(item.blanks) == 1:
                _numerical(root, item)
            else:
                _cloze(root, item)
    ET.indent(root)
    data = ET.tostring(root, encoding="unicode", xml_declaration=False)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + data + "\n", encoding="utf-8")



