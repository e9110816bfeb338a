"""PrairieLearn: a ``questions/`` folder with one question per assignment question, and the grader in
``serverFilesCourse/``.

Each question folder holds ``info.json`` (a uuid stable per assignment and question, ``type: "v3"``, title,
topic, tags), ``question.html`` (the variant's text and the network drawn, ``pl-number-input`` /
``pl-integer-input`` for numbers and ``pl-string-input`` for LaTeX expressions), ``server.py`` and
``data.json`` (the question's variants: points, key entries, texts). ``server.py``'s ``generate`` draws
the variant from PrairieLearn's seed, ``parse`` turns an answer gradproof cannot read into a format error
(not graded, no attempt spent), and ``grade`` sets ``partial_scores`` with gradproof's score and feedback.

PrairieLearn's question runtime has numpy and sympy but no lark, so the export carries gradproof and lark
in ``serverFilesCourse/`` (a course's own server files, which PrairieLearn puts on ``sys.path``): copy both
folders into the course repository.
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

from gradproof.symbolic.export import runtime

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.json"), encoding="utf-8") as f:
    BUNDLE = json.load(f)


def generate(data):
    runtime.pl_generate(data, BUNDLE)


def parse(data):
    runtime.pl_parse(data, BUNDLE)


def grade(data):
    runtime.pl_grade(data, BUNDLE)
'''


def answer_name(blank):
    """A PrairieLearn answers-name for a blank id ("3.dL/dw^2_11" -> "b3_dLdw2_11")."""
    return "b" + re.sub(r"[^A-Za-z0-9_]", "", blank.replace(".", "_"))


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "assignment"


def _input(blank, label):
    name = answer_name(blank.id)
    if blank.type == "expression":
        return (f'<pl-string-input answers-name="{name}" label="{escape(label)}" size="60" '
                f'placeholder="LaTeX, e.g. 2(O_{{31}} - y_1) O_{{31}}(1 - O_{{31}}) O_{{21}}" '
                f'remove-spaces="false" allow-blank="false"></pl-string-input>')
    if blank.type == "integer":
        return f'<pl-integer-input answers-name="{name}" label="{escape(label)}"></pl-integer-input>'
    return (f'<pl-number-input answers-name="{name}" label="{escape(label)}" comparison="relabs" '
            f'rtol="{blank.rtol:g}" atol="0"></pl-number-input>')


def question_html(question, diagram):
    blanks = question.items[0].blanks
    rows = "\n".join(_input(b, f"\\({b.label_latex}\\) =" if b.label_latex else "=") for b in blanks)
    names = [answer_name(b.id) for b in blanks]
    feedback = "\n".join(f"  {{{{#feedback.{n}}}}}<p>{{{{{{feedback.{n}}}}}}}</p>{{{{/feedback.{n}}}}}" for n in names)
    return (f"<pl-question-panel>\n  {{{{{{params.text}}}}}}\n  <figure>{diagram}</figure>\n</pl-question-panel>\n"
            f"{rows}\n<pl-submission-panel>\n{feedback}\n</pl-submission-panel>\n"
            f"<pl-answer-panel>\n  {{{{{{params.solution}}}}}}\n</pl-answer-panel>\n")


def question_data(assignment, question):
    """data.json: what server.py needs for one question, every variant."""
    variants = []
    for item, v in zip(question.items, assignment.key["variants"]):
        entry = next(q for q in v["questions"] if q["question"] == question.id)
        variants.append({"variant": v["variant"], "point": v["point"], "questions": [entry]})
    first = question.items[0].blanks
    data = {"title": assignment.title, "network": assignment.key["network"],
            "grading": assignment.key.get("grading") or {}, "variants": variants,
            "names": {b.id: answer_name(b.id) for b in first}, "points": {b.id: b.points for b in first},
            "texts": {i.variant: i.text_html for i in question.items},
            "solutions": {i.variant: i.solution_html for i in question.items}}
    data["digest"] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    return data


def files(assignment, diagram):
    """{relative path: text or bytes} of the export: questions/ and serverFilesCourse/."""
    out = {}
    base = slug(assignment.title)
    for question in assignment.questions:
        qid = f"{base}-q{question.id}"
        info = {"uuid": str(uuid.uuid5(NAMESPACE, f"{assignment.title}\x1f{assignment.seed}\x1f{question.id}")),
                "type": "v3", "title": question.title, "topic": "Backpropagation",
                "tags": ["gradproof", question.kind, base], "singleVariant": False}
        out[f"questions/{qid}/info.json"] = json.dumps(info, indent=2) + "\n"
        out[f"questions/{qid}/question.html"] = question_html(question, diagram)
        out[f"questions/{qid}/server.py"] = SERVER_PY
        out[f"questions/{qid}/data.json"] = json.dumps(question_data(assignment, question), indent=1,
                                                       ensure_ascii=False, allow_nan=False) + "\n"
    for path, content in runtime_files().items():
        out[f"serverFilesCourse/{path}"] = content
    return out
