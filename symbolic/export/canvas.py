"""Canvas: a QTI 1.2 zip as Canvas imports it, laid out element by element like text2qti's (a writer of
Canvas QTI known to import).

The zip holds ``imsmanifest.xml`` (IMS Content Packaging) and one folder per assessment with the QTI file
and Canvas's ``assessment_meta.xml``. Each assignment question is a question group ("pick 1") of its
variants, so each student gets one variant; a value is a ``numerical_question`` whose answer is the exact
value with its margin (``vargte``/``varlte``), the worked solution its general feedback. A question with
several values (a step, a flow question) is one group per value, each item stating its variant's point.
Canvas grades numbers all-or-nothing and cannot grade an expression: expression questions are
``essay_question`` items for manual grading, with the worked solution as feedback (grade the collected
answers with ``gradproof grade --key`` for diagnoses and partial credit).
"""
import hashlib
import xml.etree.ElementTree as ET

from .bundle import write_zip

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI_SCHEMA = QTI_NS + " http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
IMSMD_NS = "http://www.imsglobal.org/xsd/imsmd_v1p2"
META_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


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


def _item(section, item_id, title, qtype, points, text_html, solution_html, blank=None):
    item = ET.SubElement(section, "item", {"ident": item_id, "title": title})
    meta = ET.SubElement(ET.SubElement(item, "itemmetadata"), "qtimetadata")
    _field(meta, "question_type", qtype)
    _field(meta, "points_possible", _num(points))
    if blank is not None:
        _field(meta, "original_answer_ids", item_id + "_answer")
    _field(meta, "assessment_question_identifierref", item_id + "_ref")
    presentation = ET.SubElement(item, "presentation")
    _mattext(presentation, text_html)
    response = ET.SubElement(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
    if blank is not None:
        fib = ET.SubElement(response, "render_fib", {"fibtype": "Decimal"})
    else:
        fib = ET.SubElement(response, "render_fib")
    ET.SubElement(fib, "response_label", {"ident": "answer1", "rshuffle": "No"} if blank is None else
                  {"ident": "answer1"})
    processing = ET.SubElement(item, "resprocessing")
    ET.SubElement(ET.SubElement(processing, "outcomes"), "decvar",
                  {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    general = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
    ET.SubElement(ET.SubElement(general, "conditionvar"), "other")
    ET.SubElement(general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    if blank is not None:
        right = ET.SubElement(processing, "respcondition", {"continue": "No"})
        either = ET.SubElement(ET.SubElement(right, "conditionvar"), "or")
        ET.SubElement(either, "varequal", {"respident": "response1"}).text = _num(blank.answer)
        both = ET.SubElement(either, "and")
        ET.SubElement(both, "vargte", {"respident": "response1"}).text = _num(blank.answer - blank.tolerance)
        ET.SubElement(both, "varlte", {"respident": "response1"}).text = _num(blank.answer + blank.tolerance)
        ET.SubElement(right, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    feedback = ET.SubElement(item, "itemfeedback", {"ident": "general_fb"})
    _mattext(ET.SubElement(feedback, "flow_mat"), solution_html)


def _group(root_section, group_id, title, points):
    section = ET.SubElement(root_section, "section", {"ident": group_id, "title": title})
    selection = ET.SubElement(ET.SubElement(section, "selection_ordering"), "selection")
    ET.SubElement(selection, "selection_number").text = "1"
    ET.SubElement(ET.SubElement(selection, "selection_extension"), "points_per_item").text = _num(points)
    return section


def assessment_xml(assignment, quiz_id):
    root = ET.Element("questestinterop", {"xmlns": QTI_NS, "xmlns:xsi": XSI, "xsi:schemaLocation": QTI_SCHEMA})
    assessment = ET.SubElement(root, "assessment", {"ident": quiz_id, "title": assignment.title})
    meta = ET.SubElement(assessment, "qtimetadata")
    _field(meta, "cc_maxattempts", "1")
    top = ET.SubElement(assessment, "section", {"ident": "root_section"})
    for question in assignment.questions:
        if question.essay:
            group = _group(top, ident(quiz_id, question.id), question.title, question.points)
            for item in question.items:
                _item(group, ident(quiz_id, item.idnumber), item.name, "essay_question", question.points,
                      item.text_html, item.solution_html)
            continue
        for b, blank in enumerate(question.items[0].blanks):
            title = question.title if len(question.items[0].blanks) == 1 else f"{question.title}, {blank.label_text}"
            group = _group(top, ident(quiz_id, question.id, blank.id), title, blank.points)
            for item in question.items:
                mine = item.blanks[b]
                text = item.text_html if len(item.blanks) == 1 else \
                    f"{item.text_html}<p>Give {mine.label_html}.</p>"
                _item(group, ident(quiz_id, item.idnumber, mine.id), f"{item.name} {mine.id}", "numerical_question",
                      mine.points, text, item.solution_html, blank=mine)
    return _serialise(root)


def meta_xml(assignment, quiz_id):
    root = ET.Element("quiz", {"identifier": quiz_id, "xmlns": META_NS, "xmlns:xsi": XSI,
                               "xsi:schemaLocation": META_NS + " https://canvas.instructure.com/xsd/cccv1p0.xsd"})
    ET.SubElement(root, "title").text = assignment.title
    ET.SubElement(root, "description").text = assignment.description_html
    for tag, value in (("shuffle_answers", "false"), ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                       ("points_possible", _num(float(assignment.points))), ("allowed_attempts", "1"),
                       ("show_correct_answers", "true"), ("one_question_at_a_time", "false"),
                       ("cant_go_back", "false"), ("available", "false")):
        ET.SubElement(root, tag).text = value
    return _serialise(root)


def manifest_xml(quiz_id, title):
    root = ET.Element("manifest", {"identifier": quiz_id + "_manifest", "xmlns": CP_NS, "xmlns:imsmd": IMSMD_NS})
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    lom_title = ET.SubElement(ET.SubElement(ET.SubElement(metadata, "imsmd:lom"), "imsmd:general"), "imsmd:title")
    ET.SubElement(lom_title, "imsmd:string").text = title
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
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


def write(assignment, path):
    """Write the Canvas QTI zip of an assignment (items.Export) to path."""
    quiz_id = ident("gradproof", assignment.title, assignment.seed, assignment.key_digest)
    files = {"imsmanifest.xml": manifest_xml(quiz_id, assignment.title),
             "non_cc_assessments/": b"",        # Canvas's own exports carry this folder; text2qti writes it too
             f"{quiz_id}/{quiz_id}.xml": assessment_xml(assignment, quiz_id),
             f"{quiz_id}/assessment_meta.xml": meta_xml(assignment, quiz_id)}
    write_zip(path, files)
