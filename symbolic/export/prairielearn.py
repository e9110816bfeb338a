"""PrairieLearn: ``questions/`` (one question per assignment question), an assessment that lists them, and the
grader in ``serverFilesCourse/``.

Each question folder holds ``info.json`` (a uuid stable per assignment and question, ``type: "v3"``),
``question.html``, ``server.py`` (a few lines calling :mod:`pl_runtime`) and ``data.json`` (the question's
variants: points, key entries, texts, solutions, and the roster). The variant is chosen from the student
(pl_runtime.choose), so one student sees one network in every question; ``assessments/SLUG/
infoAssessment.json`` lists the questions with their points, for a course instance's ``assessments/``.

Blanks are ``pl-string-input`` elements that only collect the text: gradproof reads it (numbers in any
notation it reads, LaTeX expressions) and grades it; the page prints each blank's feedback once, as text
with math for MathJax. PrairieLearn's question runtime has numpy and sympy but no lark, so the export
carries gradproof and lark in ``serverFilesCourse/``, which PrairieLearn puts on ``sys.path``.
"""
import hashlib
import json
import re
import uuid
from html import escape

from .bundle import runtime_files

NAMESPACE = uuid.UUID("5b0c6a52-5f0e-4d4e-9c1e-6b1f3c2a9d70")    # gradproof's: uuids stable per question

SERVER_PY = '''\
"""A gradproof question: the variant and its grading come from gradproof (serverFilesCourse/gradproof)."""
import json
import os

from gradproof.symbolic.export import pl_runtime

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.json"), encoding="utf-8") as f:
    BUNDLE = json.load(f)


def generate(data):
    pl_runtime.generate(data, BUNDLE)


def parse(data):
    pl_runtime.parse(data, BUNDLE)


def grade(data):
    pl_runtime.grade(data, BUNDLE)


def test(data):
    pl_runtime.test(data, BUNDLE)
'''


def answer_name(blank):
    """A PrairieLearn answers-name for a blank id ("3.dL/dw^2_11" -> "b3_dLdw2_11")."""
    return "b" + re.sub(r"[^A-Za-z0-9_]", "", blank.replace(".", "_"))


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "assignment"


def _input(blank):
    name = answer_name(blank.id)
    label = f"\\({blank.label_latex}\\) =" if blank.label_latex else "="
    if blank.expression:
        hint = "LaTeX, e.g. 2(O_{31} - y_1) O_{31}(1 - O_{31}) O_{21}"
        size = 60
    else:
        hint = "a whole number" if blank.whole else "a number, e.g. -0.00412 or 4.12 \\times 10^{-3}"
        size = 24
    return (f'<p><pl-string-input answers-name="{name}" label="{escape(label)}" size="{size}" '
            f'placeholder="{escape(hint)}" allow-blank="true" remove-leading-trailing="true" '
            f'show-help-text="false"></pl-string-input></p>')


def question_html(question, diagram):
    blanks = question.items[0].blanks
    rows = "\n".join(_input(b) for b in blanks)
    feedback = "\n".join(f"  {{{{#feedback.{n}}}}}<p>{escape(b.label_text)}: {{{{feedback.{n}}}}}</p>"
                         f"{{{{/feedback.{n}}}}}" for b in blanks for n in [answer_name(b.id)])
    return (f"<pl-question-panel>\n  {{{{{{params.text}}}}}}\n  <figure>{diagram}</figure>\n"
            f"  {{{{#params.seeded}}}}<p><em>{SEEDED}</em></p>{{{{/params.seeded}}}}\n</pl-question-panel>\n"
            f"{rows}\n<pl-submission-panel>\n{feedback}\n</pl-submission-panel>\n"
            f"<pl-answer-panel>\n  {{{{{{params.solution}}}}}}\n</pl-answer-panel>\n")


SEEDED = ("This variant was drawn for this question alone: the course does not pass the student's identity to "
          "questions, so other questions may show another network (course settings: allow questions to access "
          "user identity).")


def question_data(assignment, question, roster):
    """data.json: what server.py needs for one question, every variant."""
    variants = []
    for v in assignment.key["variants"]:
        entry = next(q for q in v["questions"] if q["question"] == question.id)
        variants.append({"variant": v["variant"], "point": v["point"], "questions": [entry]})
    first = question.items[0].blanks
    data = {"title": assignment.title, "network": assignment.key["network"],
            "grading": assignment.key.get("grading") or {}, "variants": variants,
            "names": {b.id: answer_name(b.id) for b in first}, "points": {b.id: b.points for b in first},
            "texts": {i.variant: i.text_html for i in question.items},
            "solutions": {i.variant: i.solution_html for i in question.items},
            "roster": {s.strip().lower(): v for s, v in sorted((roster or {}).items())}}
    data["digest"] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    return data


def assessment(assignment, qids):
    """infoAssessment.json: a Homework listing the questions with their points."""
    base = slug(assignment.title)
    return {"uuid": str(uuid.uuid5(NAMESPACE, f"{assignment.title}\x1f{assignment.seed}\x1fassessment")),
            "type": "Homework", "title": assignment.title, "set": "Homework", "number": "1",
            "zones": [{"questions": [{"id": qid, "autoPoints": _points(q.points), "maxAutoPoints": _points(q.points)}
                                     for q, qid in zip(assignment.questions, qids)]}],
            "comment": f"gradproof export of {base}: the variant of each student comes from the roster or the UID"}


def _points(value):
    return int(value) if float(value).is_integer() else float(value)


def files(assignment, diagram, roster=None):
    """{relative path: text or bytes} of the export: questions/, assessments/ and serverFilesCourse/."""
    out = {}
    base = slug(assignment.title)
    qids = []
    for question in assignment.questions:
        qid = f"{base}-q{question.id}"
        qids.append(qid)
        info = {"uuid": str(uuid.uuid5(NAMESPACE, f"{assignment.title}\x1f{assignment.seed}\x1f{question.id}")),
                "type": "v3", "title": question.title, "topic": "Backpropagation",
                "tags": ["gradproof", question.kind, base], "singleVariant": False, "partialCredit": True}
        out[f"questions/{qid}/info.json"] = json.dumps(info, indent=2) + "\n"
        out[f"questions/{qid}/question.html"] = question_html(question, diagram)
        out[f"questions/{qid}/server.py"] = SERVER_PY
        out[f"questions/{qid}/data.json"] = json.dumps(question_data(assignment, question, roster), indent=1,
                                                       ensure_ascii=False, allow_nan=False) + "\n"
    out[f"assessments/{base}/infoAssessment.json"] = json.dumps(assessment(assignment, qids), indent=2) + "\n"
    for path, content in runtime_files().items():
        out[f"serverFilesCourse/{path}"] = content
    return out
