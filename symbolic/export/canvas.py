"""Canvas: a QTI 1.2 zip as Canvas imports it, one quiz per variant, laid out element by element like
text2qti's (a writer of Canvas QTI known to import).

The zip holds ``imsmanifest.xml`` (IMS Content Packaging) and per variant a folder with the QTI file and
Canvas's ``assessment_meta.xml``: Canvas imports each as its own quiz, "TITLE (VARIANT)", which the teacher
assigns to that variant's students (Canvas draws question groups independently of each other, so groups cannot
keep one network per student). In a quiz, each assignment question is a text-only item with its text, then
one ``numerical_question`` per value asked; an expression is an ``essay_question`` (Canvas cannot grade one).

Canvas's quiz page rounds a typed number to 4 decimals before grading (``toFixed(4)`` in the take-quiz code)
and the importer turns a range into an exact value with a margin (qti_exporter's numeric_interaction.rb). So a
value is asked in units that make those 4 decimals harmless: "in units of 10⁻³" (the value times 1000),
chosen so that its margin is at least 5 × 10⁻⁴ and what the page asks (four significant digits, or eight
decimals of a new weight) survives the rounding. Points are whole cents shared out so that a question's
values add up to its points exactly. Canvas grades each number all or nothing: diagnoses, partial credit and
carried-forward errors come from ``gradproof grade --key`` on the answers Canvas collects.
"""
import hashlib
import math
import xml.etree.ElementTree as ET
from fractions import Fraction
from html import escape

from .bundle import write_zip

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI_SCHEMA = QTI_NS + " http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
IMSMD_NS = "http://www.imsglobal.org/xsd/imsmd_v1p2"
META_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ROUNDING = 5e-5         # the most Canvas's 4-decimal rounding moves a typed number
MIN_MARGIN = 10 * ROUNDING


def ident(*parts):
    """A stable identifier from its parts (Canvas wants identifiers unique within the package)."""
    return "g" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def _field(parent, label, entry):
    f = ET.SubElement(parent, "qtimetadatafield")
    ET.SubElement(f, "fieldlabel").text = label
    ET.SubElement(f, "fieldentry").text = entry


def _mattext(parent, html):
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", {"texttype": "text/html"}).text = html


def _num(value):
    return format(value, ".12g") if isinstance(value, float) else str(value)


def unit_exponent(answer, tolerance):
    """The power of ten e (a multiple of 3) whose units the value is asked in: the value over 10^e is at least 1
    where it can be, and its margin over 10^e at least MIN_MARGIN."""
    if not answer or not tolerance:
        return 0
    e = 3 * math.floor(math.log10(abs(answer)) / 3)
    while tolerance / 10.0 ** e < MIN_MARGIN:
        e -= 3
    return e


def scaled(blank):
    """(exponent, value in those units, margin in those units) of a numeric blank."""
    if blank.whole:
        return 0, blank.answer, 0
    e = unit_exponent(float(blank.answer), blank.tolerance)
    return e, float(blank.answer) / 10.0 ** e, float(f"{blank.tolerance / 10.0 ** e:.3g}")


def unit_html(e):
    if e == 0:
        return ""
    return f" in units of \\(10^{{{e}}}\\) (that is, the value times \\(10^{{{-e}}}\\))"


def cents(points):
    """Points in whole cents, shared out so that they add up to the total exactly (largest remainders first)."""
    exact = [Fraction(p).limit_denominator(10 ** 6) * 100 for p in points]
    total = round(sum(exact))
    floor = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floor[i]), i))
    for i in order[:total - sum(floor)]:
        floor[i] += 1
    return [c / 100 for c in floor]


def _item(section, item_id, title, qtype, points, text_html, solution_html=None, answer=None):
    item = ET.SubElement(section, "item", {"ident": item_id, "title": title})
    meta = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
    _field(meta, "question_type", qtype)
    _field(meta, "points_possible", _num(points))
    if answer is not None:
        _field(meta, "original_answer_ids", item_id + "_answer")
    _field(meta, "assessment_question_identifierref", item_id + "_ref")
    presentation = ET.SubElement(item, "presentation")
    _mattext(presentation, text_html)
    if qtype == "text_only_question":
        return
    response = ET.SubElement(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
    fib = ET.SubElement(response, "render_fib", {"fibtype": "Decimal"} if answer is not None else {})
    ET.SubElement(fib, "response_label", {"ident": "answer1"} if answer is not None else
                  {"ident": "answer1", "rshuffle": "No"})
    processing = ET.SubElement(item, "resprocessing")
    ET.SubElement(ET.SubElement(processing, "outcomes"), "decvar",
                  {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    if solution_html:
        general = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
        ET.SubElement(ET.SubElement(general, "conditionvar"), "other")
        ET.SubElement(general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    if answer is not None:
        value, margin = answer
        right = ET.SubElement(processing, "respcondition", {"continue": "No"})
        either = ET.SubElement(ET.SubElement(right, "conditionvar"), "or")
        ET.SubElement(either, "varequal", {"respident": "response1"}).text = _num(value)
        both = ET.SubElement(either, "and")
        ET.SubElement(both, "vargte", {"respident": "response1"}).text = _num(value - margin)
        ET.SubElement(both, "varlte", {"respident": "response1"}).text = _num(value + margin)
        ET.SubElement(right, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    if solution_html:
        feedback = ET.SubElement(item, "itemfeedback", {"ident": "general_fb"})
        _mattext(ET.SubElement(feedback, "flow_mat"), solution_html)


def value_html(blank):
    """What one numerical item asks: the value, its unit, and the precision the page asks for."""
    e, _, _ = scaled(blank)
    what = blank.label_html if blank.label_latex else f"blank {escape(blank.id, quote=False)}"
    return f"<p>Give {what}{unit_html(e)}.</p>"


def assessment_xml(export, variant, quiz_id):
    root = ET.Element("questestinterop", {"xmlns": QTI_NS, "xmlns:xsi": XSI, "xsi:schemaLocation": QTI_SCHEMA})
    assessment = ET.SubElement(root, "assessment", {"ident": quiz_id, "title": quiz_title(export, variant)})
    meta = ET.SubElement(assessment, "qtimetadata")
    _field(meta, "cc_maxattempts", "1")
    top = ET.SubElement(assessment, "section", {"ident": "root_section"})
    for bank in export.questions:
        item = next(i for i in bank.items if i.variant == variant)
        if item.essay:
            _item(top, ident(quiz_id, item.idnumber), item.name, "essay_question", item.points, item.text_html,
                  item.solution_html)
            continue
        if len(item.blanks) == 1:
            [blank] = item.blanks
            _, value, margin = scaled(blank)
            _item(top, ident(quiz_id, item.idnumber, blank.id), item.name, "numerical_question", item.points,
                  item.text_html + value_html(blank), item.solution_html, answer=(value, margin))
            continue
        _item(top, ident(quiz_id, item.idnumber), item.name, "text_only_question", 0, item.text_html)
        for n, (blank, points) in enumerate(zip(item.blanks, cents([b.points for b in item.blanks]))):
            _, value, margin = scaled(blank)
            _item(top, ident(quiz_id, item.idnumber, blank.id), f"{item.name}, blank {blank.id}", "numerical_question",
                  points, value_html(blank), item.solution_html if n == 0 else None, answer=(value, margin))
    return _serialise(root)


def quiz_title(export, variant):
    return f"{export.title} ({variant})"


def meta_xml(export, variant, quiz_id):
    root = ET.Element("quiz", {"identifier": quiz_id, "xmlns": META_NS, "xmlns:xsi": XSI,
                               "xsi:schemaLocation": META_NS + " https://canvas.instructure.com/xsd/cccv1p0.xsd"})
    ET.SubElement(root, "title").text = quiz_title(export, variant)
    ET.SubElement(root, "description").text = (
        f"<p>{escape(export.title, quote=False)}, variant {variant}: assign this quiz to the students whose "
        f"variant is {variant}.</p>")
    for tag, value in (("shuffle_answers", "false"), ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                       ("points_possible", _num(float(export.points))), ("allowed_attempts", "1"),
                       ("show_correct_answers", "true"), ("one_question_at_a_time", "false"),
                       ("cant_go_back", "false"), ("available", "false"), ("only_visible_to_overrides", "true")):
        ET.SubElement(root, tag).text = value
    return _serialise(root)


def manifest_xml(package_id, title, quiz_ids):
    root = ET.Element("manifest", {"identifier": package_id + "_manifest", "xmlns": CP_NS, "xmlns:imsmd": IMSMD_NS})
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    lom_title = ET.SubElement(ET.SubElement(ET.SubElement(metadata, "imsmd:lom"), "imsmd:general"), "imsmd:title")
    ET.SubElement(lom_title, "imsmd:string").text = title
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    for quiz_id in quiz_ids:
        main = ET.SubElement(resources, "resource", {"identifier": quiz_id, "type": "imsqti_xmlv1p2"})
        ET.SubElement(main, "file", {"href": f"{quiz_id}/{quiz_id}.xml"})
        ET.SubElement(main, "dependency", {"identifierref": quiz_id + "_meta"})
        meta = ET.SubElement(resources, "resource", {
            "identifier": quiz_id + "_meta", "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
            "href": f"{quiz_id}/assessment_meta.xml"})
        ET.SubElement(meta, "file", {"href": f"{quiz_id}/assessment_meta.xml"})
    return _serialise(root)


def _serialise(root):
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def files(export):
    """{path in the zip: text}: the manifest and, per variant, its quiz and Canvas's quiz settings."""
    package_id = ident("gradproof", export.title, export.seed, export.key_digest)
    variants = [i.variant for i in export.questions[0].items]
    quiz_ids = [ident(package_id, v) for v in variants]
    out = {"imsmanifest.xml": manifest_xml(package_id, export.title, quiz_ids),
           "non_cc_assessments/": b""}        # Canvas's own exports carry this folder; text2qti writes it too
    for v, quiz_id in zip(variants, quiz_ids):
        out[f"{quiz_id}/{quiz_id}.xml"] = assessment_xml(export, v, quiz_id)
        out[f"{quiz_id}/assessment_meta.xml"] = meta_xml(export, v, quiz_id)
    return out


def write(export, path):
    """Write the Canvas QTI zip of an exercise (items.Export) to path."""
    write_zip(path, files(export))
