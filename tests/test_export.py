"""Exports to course platforms, each checked against the platform's own description of its format.

One 30-variant assignment with every kind of question is generated once (no PDFs). Then:
- Moodle: the XML is read back by a reader written from the field names of Moodle's importer
  (question/format/xml/format.php: import_headers, import_answer, import_numerical, import_essay,
  import_multianswer and the cloze syntax), and every answer, fraction, tolerance and feedback is checked
  against the key and against the key grader's own verdict on that value;
- Canvas: the zip has text2qti's structure (text2qti writes Canvas QTI known to import), element by element,
  for an equivalent numerical question in a question group;
- PrairieLearn: a harness calls server.py's generate, parse and grade as PrairieLearn does, with right,
  wrong and unreadable answers, importing gradproof and lark from the export's serverFilesCourse;
- Gradescope: run_autograder runs in a folder laid out like /autograder, and results.json has the fields
  and types of gradescope-utils' JSON test runner, with scores equal to the key grader's.
"""
import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gradproof.symbolic.cli import main
from gradproof.symbolic.exercise.grading import KeyGrader
from gradproof.symbolic.export import export, items
from gradproof.symbolic.export.items import FRACTIONS


@pytest.fixture(scope="module")
def folder(reference_exercise):
    return reference_exercise


@pytest.fixture(scope="module")
def key(folder):
    return json.loads((folder / "key.json").read_text())


@pytest.fixture(scope="module")
def grader(key):
    return KeyGrader(key)


def blanks(key):
    for v in key["variants"]:
        for q in v["questions"]:
            for b in q["blanks"]:
                yield v, q, b


# ---- Moodle -------------------------------------------------------------------------------------------
def read_moodle(path):
    """Questions as Moodle's importer reads them (format.php's paths: '#', name, 0, '#', text, ...)."""
    out = []
    for q in ET.parse(path).getroot().findall("question"):
        qtype = q.get("type")
        if qtype == "category":
            out.append({"qtype": "category", "category": q.findtext("category/text")})
            continue
        entry = {"qtype": qtype, "name": q.findtext("name/text"),
                 "questiontext": q.findtext("questiontext/text"), "questiontextformat": q.find("questiontext").get("format"),
                 "generalfeedback": q.findtext("generalfeedback/text"), "defaultmark": q.findtext("defaultgrade"),
                 "penalty": float(q.findtext("penalty")), "idnumber": q.findtext("idnumber"), "answers": []}
        for a in q.findall("answer"):
            entry["answers"].append({"answer": a.findtext("text"), "fraction": float(a.get("fraction")) / 100,
                                     "tolerance": float(a.findtext("tolerance") or 0),
                                     "feedback": a.findtext("feedback/text")})
        if qtype == "essay":
            entry["graderinfo"] = q.findtext("graderinfo/text")
        if qtype == "cloze":
            entry["subquestions"] = [cloze_answers(m) for m in re.findall(r"\{1:NUMERICAL:(.*?)(?<!\\)\}",
                                                                           entry["questiontext"])]
        out.append(entry)
    return out


def cloze_answers(body):
    """A NUMERICAL cloze blank's answers: =value:tol#feedback or %pct%value:tol#feedback, joined by ~."""
    answers = []
    for option in re.split(r"(?<!\\)~", body):
        m = re.match(r"(=|%([\d.]+)%)(-?[\d.e+-]+):([\d.e+-]+)#(.*)", option, re.S)
        fraction = 1.0 if m.group(1) == "=" else float(m.group(2)) / 100
        answers.append({"answer": m.group(3), "fraction": fraction, "tolerance": float(m.group(4)),
                        "feedback": re.sub(r"\\(.)", r"\1", m.group(5))})
    return answers


def check_answers(answers, blank, variant, grader, shares):
    correct = answers[0]
    assert correct["fraction"] == 1.0
    assert float(correct["answer"]) == pytest.approx(blank["answer"], rel=1e-11)
    assert correct["tolerance"] == pytest.approx(blank["rtol"] * abs(blank["answer"]), rel=0.01)
    for a in answers[1:]:
        assert round(a["fraction"] * 100, 5) in FRACTIONS
        # the key grader, given the mistake's value, names a mistake and keeps the share Moodle gives
        graded = grader.grade(variant, blank["blank"], np.format_float_positional(float(a["answer"])))
        assert graded.verdict == "incorrect"
        assert graded.diagnosis, a
        kept = math.prod(shares.get(c, 0) for c in graded.diagnosis)
        assert items.moodle_fraction(kept) == pytest.approx(a["fraction"] * 100)
        assert a["feedback"].split(" Partial credit")[0].strip()


def test_moodle(folder, key, grader):
    path = export(folder, "moodle")
    questions = read_moodle(path)
    categories = [q for q in questions if q["qtype"] == "category"]
    assert len(categories) == 5 and all(c["category"].startswith("$course$/top/Backpropagation") for c in categories)
    shares = key["grading"]
    by_id = {q["idnumber"]: q for q in questions if q["qtype"] != "category"}
    assert len(by_id) == 5 * 30
    for v, q, b in blanks(key):
        m = by_id[f"{v['variant']}-q{q['question']}"]
        assert m["questiontextformat"] == "html" and "\\(" in m["questiontext"]
        assert "\\(" in m["generalfeedback"] or "\\[" in m["generalfeedback"]
        if q["kind"] == "expression":
            assert m["qtype"] == "essay" and b["answer"] in m["graderinfo"].replace("&amp;", "&")
            assert float(m["defaultmark"]) == q["points"]
        elif len(q["blanks"]) == 1:
            assert m["qtype"] == "numerical" and float(m["defaultmark"]) == q["points"]
            if q["kind"] == "paths":
                assert m["answers"][0]["tolerance"] == 0 and int(m["answers"][0]["answer"]) == b["answer"]
            else:
                check_answers(m["answers"], b, v["variant"], grader, shares)
        else:
            assert m["qtype"] == "cloze" and len(m["subquestions"]) == len(q["blanks"])
            check_answers(m["subquestions"][q["blanks"].index(b)], b, v["variant"], grader, shares)
    # a gradient question lists the diagnosed mistakes with credit (a sign slip keeps half)
    gradient = by_id[f"{key['variants'][0]['variant']}-q2"]
    assert any(a["fraction"] == 0.5 and "sign" in a["feedback"].lower() for a in gradient["answers"])
    assert any(a["fraction"] == 0.25 for a in gradient["answers"])        # a missing path keeps a quarter


# ---- Canvas -------------------------------------------------------------------------------------------
TEXT2QTI_QUIZ = """\
Quiz title: Backpropagation, homework 1
Quiz description: reference

GROUP
pick: 1
points per question: 2

1.  Compute the gradient at the point of variant 1.
... The worked solution.
=   0.0123 +- 0.0000123

2.  Compute the gradient at the point of variant 2.
... The worked solution.
=   -0.0456 +- 0.0000456
END_GROUP
"""


def shape(element):
    """The element's tag paths (namespaces included, text ignored): the structure to compare."""
    out = set()

    def walk(e, prefix):
        path = f"{prefix}/{e.tag}"
        out.add((path, tuple(sorted(a for a in e.attrib if not a.startswith("{")))))
        for child in e:
            walk(child, path)
    walk(element, "")
    return out


def unzip(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def qti_parts(files):
    quiz = next(n for n in files if n.count("/") == 1 and not n.endswith("assessment_meta.xml") and n.endswith(".xml"))
    return ET.fromstring(files["imsmanifest.xml"]), ET.fromstring(files[quiz]), \
        ET.fromstring(files[quiz.rsplit("/", 1)[0] + "/assessment_meta.xml"])


def test_canvas_has_text2qti_structure(folder, key, tmp_path):
    pytest.importorskip("text2qti")
    (tmp_path / "ref.txt").write_text(TEXT2QTI_QUIZ)
    done = subprocess.run([sys.executable, "-c", "import sys; from text2qti.cmdline import main; sys.argv = "
                           "['text2qti', 'ref.txt']; main()"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ref = unzip(tmp_path / "ref.zip")
    ours = unzip(export(folder, "canvas"))
    assert {re.sub(r"^[^/]+/[^/]+\.xml$", "ID/ID.xml", re.sub(r"^[^/]+/assessment_meta", "ID/assessment_meta", n))
            for n in ours} == \
        {re.sub(r"^[^/]+/[^/]+\.xml$", "ID/ID.xml", re.sub(r"^[^/]+/assessment_meta", "ID/assessment_meta", n))
         for n in ref}
    ref_manifest, ref_quiz, ref_meta = qti_parts(ref)
    manifest, quiz, meta = qti_parts(ours)
    ns = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2", "cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
    assert [r.get("type") for r in manifest.iter(f"{{{ns['cp']}}}resource")] == \
        [r.get("type") for r in ref_manifest.iter(f"{{{ns['cp']}}}resource")]
    assert ref_meta.tag == meta.tag
    # every group: a section picking one item, as text2qti writes a GROUP with pick: 1
    ref_group = ref_quiz.find(".//q:section/q:section", ns)
    groups = quiz.findall(".//q:section/q:section", ns)
    for g in groups:
        assert g.findtext("q:selection_ordering/q:selection/q:selection_number", namespaces=ns) == "1"
    ref_item = ref_group.find("q:item", ns)
    numerical = [i for g in groups for i in g.findall("q:item", ns)
                 if any(f.findtext("q:fieldentry", namespaces=ns) == "numerical_question"
                        for f in i.iter(f"{{{ns['q']}}}qtimetadatafield"))]
    assert numerical
    for item in numerical:
        assert shape(item) == shape(ref_item)
    group_shape = {p for p in shape(groups[1]) if "/item" not in p[0]}
    assert group_shape == {p for p in shape(ref_group) if "/item" not in p[0]}
    # the values: one group per numeric value, 30 variants each, every range around the key's answer
    answers = {(v["variant"], b["blank"]): b for v, q, b in blanks(key) if q["kind"] not in ("expression",)}
    ranges = [(float(i.findtext(".//q:vargte", namespaces=ns)), float(i.findtext(".//q:varlte", namespaces=ns)))
              for i in numerical]
    assert len(numerical) == len(answers)
    for b in answers.values():
        assert any(low <= b["answer"] <= high and high - low <= 2.01 * max(b.get("rtol", 0) * abs(b["answer"]), 0)
                   + 1e-15 for low, high in ranges)


# ---- Gradescope ---------------------------------------------------------------------------------------
class _Reference(unittest.TestCase):
    """A two-test suite run through gradescope-utils' JSON test runner: the reference for results.json."""

    __test__ = False            # run by reference_results, not collected by pytest

    def test_right(self):
        pass

    def test_wrong(self):
        self.fail("wrong")


def reference_results():
    weighted = pytest.importorskip("gradescope_utils.autograder_utils.decorators").weight
    runner = pytest.importorskip("gradescope_utils.autograder_utils.json_test_runner").JSONTestRunner
    suite_class = type("Ref", (_Reference,), {
        "test_right": weighted(1)(_Reference.test_right), "test_wrong": weighted(2)(_Reference.test_wrong)})
    stream = io.StringIO()
    runner(stream=stream, visibility="visible").run(unittest.defaultTestLoader.loadTestsFromTestCase(suite_class))
    return json.loads(stream.getvalue())


def run_autograder(folder, root, submission, roster=None, metadata=None):
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    zip_path = export(folder, "gradescope", root / "autograder.zip", **({"roster": roster} if roster else {}))
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    for name, text in submission.items():
        (root / "submission" / name).write_text(text)
    if metadata:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    env = {"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_gradescope(folder, key, grader, tmp_path):
    reference = reference_results()
    v = key["variants"][4]
    answers = {b["blank"]: str(b["answer"]) for q in v["questions"] for b in q["blanks"]}
    answers["2"] = np.format_float_positional(-v["questions"][1]["blanks"][0]["answer"])     # a sign slip
    answers["3.loss"] = "\\frac{1}{"                                         # unreadable
    results = run_autograder(folder, tmp_path / "a", {"answers.json": json.dumps({"variant": v["variant"],
                                                                                  "answers": answers})})
    # every field gradescope-utils writes, with the same type (a leaderboard is optional, and none is kept;
    # execution_time is a number of seconds in docs/specs.md, which gradescope-utils writes as text)
    for field_name, value in reference.items():
        if field_name == "execution_time":
            assert isinstance(results[field_name], (int, float)) and float(value) >= 0
        elif field_name not in ("tests", "leaderboard"):
            assert isinstance(results[field_name], type(value)), field_name
    def kind(value):
        return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__
    for field_name, value in reference["tests"][0].items():
        for t in results["tests"]:
            assert kind(t[field_name]) == kind(value), field_name
    assert all(t["output_format"] == "md" and t["status"] in ("passed", "failed") for t in results["tests"])
    total = 0.0
    for t in results["tests"]:
        mine = grader.grade(v["variant"], t["number"], answers.get(t["number"]))
        assert t["extra_data"]["verdict"] == mine.verdict
        assert t["score"] == pytest.approx(mine.score)
        total += mine.score
        if mine.verdict == "invalid":
            assert t["score"] == 0 and t["output"].startswith("Could not read") and t["max_score"] > 0
    assert results["score"] == pytest.approx(total)
    sign = next(t for t in results["tests"] if t["number"] == "2")
    assert sign["score"] == pytest.approx(0.5 * sign["max_score"]) and "sign" in sign["extra_data"]["diagnosis"]


def test_gradescope_csv_and_roster(folder, key, grader, tmp_path):
    v = key["variants"][7]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["question", "answer"])
    for q in v["questions"]:
        for b in q["blanks"]:
            writer.writerow([b["blank"], b["answer"]])
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student,variant\nsomeone@example.edu,{key['variants'][0]['variant']}\n"
                      f"ada@example.edu,{v['variant']}\n")
    results = run_autograder(folder, tmp_path / "b", {"answers.csv": buffer.getvalue()}, roster=str(roster),
                             metadata={"users": [{"email": "Ada@example.edu", "name": "Ada", "sid": "7"}]})
    assert results["extra_data"]["variant"] == v["variant"]
    assert results["score"] == pytest.approx(sum(float(q["points"]) for q in v["questions"]))
    unknown = run_autograder(folder, tmp_path / "c", {"answers.csv": buffer.getvalue()})
    assert unknown["score"] == 0 and "variant" in unknown["output"]


# ---- all platforms ------------------------------------------------------------------------------------
def tree_bytes(path):
    path = Path(path)
    if path.is_file():
        return path.read_bytes()
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("platform", ["moodle", "canvas", "prairielearn", "gradescope"])
def test_same_inputs_same_bytes(folder, tmp_path, platform):
    first = tree_bytes(export(folder, platform, tmp_path / "one"))
    second = tree_bytes(export(folder, platform, tmp_path / "two"))
    assert first == second


def test_bad_input(folder, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["export", str(tmp_path / "empty"), "--to", "moodle"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "was not written by 'gradproof exercise'" in err and "Traceback" not in err
    assert main(["export", str(folder), "--to", "blackboard"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown platform 'blackboard'; valid: moodle, canvas, prairielearn, gradescope" in err
    assert main(["export", str(tmp_path / "nowhere"), "--to", "canvas"]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["export", str(folder), "--to", "moodle", "-o", str(tmp_path / "no" / "dir" / "m.xml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.tmp")) and not (tmp_path / "no").exists()
