"""Canvas: the exported QTI imported as Canvas imports it, typed as Canvas's quiz page saves it, graded as
Canvas grades it.

- Import: Canvas converts QTI 1.2 with instructure/QTIMigrationTool (migrate.py --ucvars --nogui), run here
  from GRADPROOF_QTI_MIGRATION or ~/.cache/gradproof/platforms/qti with a Python that has lxml (GRADPROOF_QTI_PYTHON,
  else PrairieLearn's test Python, else this one); its QTI 2.1 items are then read as canvas-lms's
  qti_exporter numeric_interaction.rb reads them (mirrored here: exact value and margin = varlte - exact in
  BigDecimal). Without the tool (not on a package index) the QTI 1.2 is read the same way and the tool's part
  is skipped with the reason.
- Typing: node runs the take-quiz page's own handling of a typed number (parseFloat, toFixed(4)).
- Grading: numerical_question.rb's rule, mirrored: BigDecimal(saved) within [exact - margin, exact + margin].
- Layout: the same structure as text2qti's output (a writer of Canvas QTI known to import).
For the reference assignment, every value of every variant typed as its item asks scores its points.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from gradproof.symbolic.exercise import key as exercise_key
from gradproof.symbolic.export import canvas, export, items

CACHE = Path(os.environ.get("GRADPROOF_PLATFORMS", Path.home() / ".cache" / "gradproof" / "platforms"))
TOOL = Path(os.environ.get("GRADPROOF_QTI_MIGRATION", CACHE / "qti"))
NODE = shutil.which("node")
TAKE_QUIZ = Path(__file__).parent / "platforms" / "canvas_take_quiz.js"
Q1 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
Q2 = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"


def lxml_python():
    for candidate in (os.environ.get("GRADPROOF_QTI_PYTHON"), CACHE / "pl-venv-3.13" / "bin" / "python",
                      sys.executable):
        if candidate and Path(candidate).is_file() and subprocess.run(
                [str(candidate), "-c", "import lxml"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


@pytest.fixture(scope="module")
def model(reference_exercise):
    return items.load(reference_exercise)


@pytest.fixture(scope="module")
def package(reference_exercise, tmp_path_factory):
    root = tmp_path_factory.mktemp("canvas")
    path = export(reference_exercise, "canvas", root / "canvas-qti.zip")
    with zipfile.ZipFile(path) as z:
        z.extractall(root / "in")
    return path, root


def typed(blank):
    """What a student types for a value, as its item asks: in the item's units, four significant digits (a
    new weight: the page's eight decimals, in those units)."""
    e, value, _ = canvas.scaled(blank)
    if blank.whole:
        return str(blank.answer)
    if isinstance(blank.blank.quantity, exercise_key.NewWeight):
        return format(Decimal(f"{float(blank.answer):.8f}").scaleb(-e), "f")
    return format(Decimal(f"{value:#.4g}"), "f")


def to_fixed_4(text):
    """JavaScript's parseFloat(text).toFixed(4), for a machine without node: the double's exact decimal value
    rounded half away from zero (ECMA-262 Number.prototype.toFixed, |x| < 1e21)."""
    from decimal import ROUND_HALF_UP, InvalidOperation
    try:
        return str(Decimal(float(text)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
    except (ValueError, InvalidOperation):
        return ""


def saved(texts):
    """The strings Canvas's quiz page saves for what was typed (node runs the page's own rounding)."""
    if NODE is None:
        return [to_fixed_4(t) for t in texts]
    done = subprocess.run([NODE, str(TAKE_QUIZ)], input=json.dumps(texts), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def canvas_correct(answer_text, exact, margin):
    """numerical_question.rb: BigDecimal(answer) within [exact - margin, exact + margin]."""
    if answer_text == "":
        return False
    number = Decimal(answer_text)
    return exact - margin <= number <= exact + margin


def items_of_qti12(root):
    """(quiz title, [(title, question_type, points, exact, margin)]) per quiz, from the QTI 1.2 files."""
    quizzes = {}
    for path in sorted(root.glob("*/*.xml")):
        if path.name == "assessment_meta.xml":
            continue
        assessment = ET.parse(path).getroot().find(f"{Q1}assessment")
        rows = []
        for item in assessment.iter(f"{Q1}item"):
            fields = {f.findtext(f"{Q1}fieldlabel"): f.findtext(f"{Q1}fieldentry")
                      for f in item.iter(f"{Q1}qtimetadatafield")}
            exact = item.findtext(f".//{Q1}varequal")
            upper = item.findtext(f".//{Q1}varlte")
            rows.append((item.get("title"), fields["question_type"], Decimal(fields["points_possible"]),
                         None if exact is None else Decimal(exact),
                         None if exact is None else Decimal(upper) - Decimal(exact)))
        quizzes[assessment.get("title")] = rows
    return quizzes


def items_of_qti21(out):
    """The same from QTIMigrationTool's QTI 2.1 output, read as numeric_interaction.rb reads an item."""
    quizzes = {}
    for test in sorted((out / "assessmentTests").glob("*.xml")):
        doc = ET.parse(test).getroot()
        rows = []
        for ref in doc.iter(f"{Q2}assessmentItemRef"):
            item = ET.parse(test.parent / ref.get("href")).getroot()
            fields = {f.get("name"): f.get("value") for f in item.iter(f"{Q2}instructureField")}
            exact = margin = None
            for branch in [*item.iter(f"{Q2}responseIf"), *item.iter(f"{Q2}responseElseIf")]:
                either = branch.find(f"{Q2}or")
                if either is None:
                    continue
                exact = Decimal(either.find(f"{Q2}stringMatch/{Q2}baseValue").text)
                upper = either.find(f"{Q2}and/{Q2}customOperator[@class='varlte']/{Q2}baseValue")
                margin = Decimal(upper.text) - exact
                lower = either.find(f"{Q2}and/{Q2}customOperator[@class='vargt']/{Q2}baseValue")
                assert lower is None       # the importer's "precision answer" guess needs vargt: never taken here
            rows.append((item.get("title"), fields["question_type"], Decimal(fields["points_possible"]), exact,
                         margin))
        quizzes[doc.get("title")] = rows
    return quizzes


@pytest.fixture(scope="module")
def imported(package):
    """Per quiz title, its items as Canvas's importer sees them (through QTIMigrationTool when it is here)."""
    path, root = package
    python = lxml_python()
    if not (TOOL / "migrate.py").is_file() or python is None:
        return items_of_qti12(root / "in"), False
    out = root / "qti21"
    done = subprocess.run([python, "migrate.py", "--ucvars", "--nogui", "--overwrite", f"--cpout={out}/",
                           f"{root / 'in'}/"], cwd=TOOL, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return items_of_qti21(out), True


def test_converted_by_qti_migration_tool(imported):
    quizzes, converted = imported
    if not converted:
        pytest.skip(f"instructure/QTIMigrationTool or a Python with lxml is not here ({TOOL})")
    assert len(quizzes) == 30


def test_one_quiz_per_variant_with_its_points(imported, model):
    quizzes, _ = imported
    variants = [i.variant for i in model.questions[0].items]
    assert sorted(quizzes) == sorted(canvas.quiz_title(model, v) for v in variants)
    for v in variants:
        rows = quizzes[canvas.quiz_title(model, v)]
        assert all(v in title for title, *_ in rows)         # one network throughout: this variant's items only
        assert sum(points for _, _, points, _, _ in rows) == Decimal(str(model.points))
        for bank in model.questions:
            mine = [r for r in rows if r[0].startswith(bank.title + ",")]
            assert sum(points for _, _, points, _, _ in mine) == Decimal(str(bank.points))


def test_every_value_typed_as_asked_scores_on_canvas(imported, model):
    quizzes, _ = imported
    cases = []
    for bank in model.questions:
        for item in bank.items:
            if item.essay:
                continue
            rows = {title: (exact, margin) for title, qtype, _, exact, margin in quizzes[canvas.quiz_title(
                model, item.variant)] if qtype == "numerical_question"}
            for blank in item.blanks:
                title = item.name if len(item.blanks) == 1 else f"{item.name}, blank {blank.id}"
                cases.append((item.variant, blank.id, typed(blank), *rows[title]))
    stored = saved([c[2] for c in cases])
    wrong = [(c, s) for c, s in zip(cases, stored) if not canvas_correct(s, c[3], c[4])]
    per_variant = sum(len(b.items[0].blanks) for b in model.questions if not b.essay)
    assert not wrong and len(cases) == 30 * per_variant == 450, wrong[:5]


@pytest.mark.skipif(NODE is None, reason="needs node, to run the quiz page's rounding in JavaScript")
def test_rounding_mirror_is_javascripts():
    texts = ["0.003841", "-0.00005", "0.03125", "-0.03125", "823.0", "1e-7", "12.34565", "2.5e-5", "x"]
    assert saved(texts) == [to_fixed_4(t) for t in texts]


def test_margins_survive_the_rounding(model):
    for bank in model.questions:
        for item in bank.items:
            for blank in item.blanks:
                if not (blank.expression or blank.whole):
                    e, value, margin = canvas.scaled(blank)
                    assert margin >= canvas.MIN_MARGIN and e % 3 == 0
                    assert margin == pytest.approx(blank.tolerance / 10.0 ** e, rel=5e-3)


def test_size(package):
    path, _ = package
    assert path.stat().st_size <= 5 * 2 ** 20


def test_points_in_cents_add_up():
    shares = canvas.cents([Fraction(4, 11)] * 11)
    assert sum(round(s * 100) for s in shares) == 400 and set(shares) == {0.36, 0.37}


TEXT2QTI_QUIZ = """\
Quiz title: Backpropagation, homework 1 (v01)
Quiz description: reference

Text: The question, with the point of variant 1.

1.  Give the loss.
... The worked solution.
=   12.34 +- 0.0123

2.  Give the first delta.
=   -45.6 +- 0.0456

3.  Write dL/dw by the chain rule.
... The worked solution.
____
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


def test_layout_is_text2qtis(package, tmp_path):
    pytest.importorskip("text2qti")
    (tmp_path / "ref.txt").write_text(TEXT2QTI_QUIZ)
    done = subprocess.run([sys.executable, "-c", "import sys; from text2qti.cmdline import main; sys.argv = "
                           "['text2qti', 'ref.txt']; main()"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    path, root = package
    with zipfile.ZipFile(tmp_path / "ref.zip") as z:
        ref = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path) as z:
        ours = {n: z.read(n) for n in z.namelist()}

    def layout(names):
        return {re.sub(r"^[^/]+/[^/]+\.xml$", "ID/ID.xml", re.sub(r"^[^/]+/assessment_meta", "ID/assessment_meta", n))
                for n in names}
    assert layout(ours) == layout(ref)
    ref_quiz = ET.fromstring(next(v for n, v in ref.items() if n.count("/") == 1 and "meta" not in n and n.endswith(".xml")))
    by_type = {}
    for item in ref_quiz.iter(f"{Q1}item"):
        qtype = next(f.findtext(f"{Q1}fieldentry") for f in item.iter(f"{Q1}qtimetadatafield")
                     if f.findtext(f"{Q1}fieldlabel") == "question_type")
        by_type.setdefault(qtype, []).append(shape(item))
    quiz = ET.fromstring(next(v for n, v in ours.items() if n.count("/") == 1 and "meta" not in n and n.endswith(".xml")))
    for item in quiz.iter(f"{Q1}item"):
        qtype = next(f.findtext(f"{Q1}fieldentry") for f in item.iter(f"{Q1}qtimetadatafield")
                     if f.findtext(f"{Q1}fieldlabel") == "question_type")
        assert shape(item) in by_type[qtype], qtype
