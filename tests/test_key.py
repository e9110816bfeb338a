"""The exercise model: blank ids round-trip for any network, wide layers generate/grade/export, a new question kind
is one registry row."""
import json
import zipfile
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric.backprop import backprop
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.notation import Neuron
from gradproof.numeric.spec import Spec
from gradproof.symbolic.exercise import assignment as assignment_file
from gradproof.symbolic.exercise import generate, key, kinds, output, pages
from gradproof.symbolic.exercise.grading import KeyGrader
from gradproof.symbolic.export import export
from gradproof.symbolic.sheet.document import Math, Paragraph, parts


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 14), min_size=2, max_size=4))
def test_blank_ids_round_trip(layers):
    spec = Spec(layers=tuple(layers), bias=True)
    quantities = [key.Loss(), key.PathProduct(), key.PathBound()]
    quantities += [key.Delta(Neuron("O", k, j)) for k in range(1, spec.depth + 1) for j in range(1, layers[k] + 1)]
    for p in spec.parameters():
        quantities += [key.Gradient(p), key.NewWeight(p), key.Expression(p), key.PathCount(p)]
    ids = set()
    for n, q in enumerate(quantities, 1):
        text = key.blank_id(n % 12 + 1, q)
        assert key.parse_blank_id(text) == (n % 12 + 1, q)
        ids.add(text.split(".", 1)[1])
    assert len(ids) == len(quantities)            # no two quantities share an id


def test_bad_blank_ids_are_named():
    for text in ("3.delta 31", "x.loss", "3.dL/dv^1_11", "3.delta_{1,a}"):
        with pytest.raises(GradproofError, match="blank id"):
            key.parse_blank_id(text)


EVERY_KIND = """
[assignment]
title = "Wide"
seed = 11
variants = 1
[network]
layers = {layers}
[[question]]
kind = "expression"
param = "{first}"
points = 4
[[question]]
kind = "gradient"
param = "{first}"
points = 2
[[question]]
kind = "step"
lr = 0.5
points = 4
params = ["{first}", "{last}"]
[[question]]
kind = "paths"
param = "{first}"
points = 1
[[question]]
kind = "flow"
param = "{first}"
points = 2
[grading]
sign = 0.5
"""


def _make(tmp_path, text):
    path = tmp_path / "hw.toml"
    path.write_text(text)
    a = assignment_file.load(path)
    ctx = generate.Context(a)
    drawn = generate.variants(a, ctx)
    output.write(a, ctx, drawn, tmp_path / "hw", pdf=False, jobs=1)
    return tmp_path / "hw"


@pytest.mark.parametrize("layers, first, last", [([1, 10, 1], "w^1_{1,10}", "w^2_{10,1}"),
                                                 ([12, 12, 1], "w^1_{12,11}", "w^2_{12,1}")])
def test_wide_layers_generate_grade_and_export(tmp_path, layers, first, last):
    folder = _make(tmp_path, EVERY_KIND.format(layers=layers, first=first, last=last))
    assignment = key.load(folder / "key.json")
    assert key.from_json(json.loads(assignment.dumps())).dumps() == (folder / "key.json").read_text()  # one reader, one writer
    assert json.loads((folder / "key.json").read_text())["format"] == key.FORMAT
    grader = KeyGrader(assignment)
    v = assignment.variants[0]
    ids = [b.id for b in v.all_blanks()]
    assert "3.delta_{1,10}" in ids and f"3.dL/d{first}" in ids and f"3.{last}" in ids
    for b in v.all_blanks():
        answer = b.answer if isinstance(b.answer, str) else repr(b.answer)
        assert grader.grade(v.id, b.id, answer).verdict == "correct", b.id
    # the key's gradient is backprop's, independently of the generator
    spec = assignment.spec
    g = backprop(spec, v.point)
    (gradient,) = v.blanks[2]
    assert gradient.answer == pytest.approx(g.value(gradient.quantity.param), rel=1e-12)
    for platform in ("moodle", "canvas", "prairielearn", "gradescope"):
        out = export(folder, platform)
        assert out.exists()
    with zipfile.ZipFile(folder / "canvas-qti.zip") as z:
        assert any("delta_{1,10}" in z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))


# ---- a new kind is one row ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Output(key.Quantity):
    """O_kj at the variant's point (the throwaway kind's one blank)."""

    neuron: Neuron

    @property
    def tail(self):
        return f"output_{self.neuron.name}"

    def label(self, model=None):
        return self.neuron.name, self.neuron.latex


def _draw_output(draws, q):
    k, j = q.param.layer, q.param.j
    return [[(float(g.forward.O[k][0, j - 1]), q.rtol)] for g in draws.grads], np.zeros(draws.n, dtype=bool)


def _ask_output(model, q, blanks, paper=True):
    n = Neuron("O", q.param.layer, q.param.j)
    return [pages._head(q), Paragraph(parts("Compute ", Math(n.latex), " at your point. Answer blank ", blanks[0].id, "."))]


def _solve_output(sheet, model, q, blanks, values, derivations):
    sheet.add(Paragraph(parts("The answer: ", Math(f"{blanks[0].answer:.6g}"), ".")))


@pytest.fixture
def output_kind():
    row = kinds.register(key.Kind("output", "a neuron's output at the point", "the output after",
                                  {"param": key.REQUIRED}, lambda q, spec: (Output(Neuron("O", q.param.layer, q.param.j)),),
                                  _draw_output, _ask_output, _solve_output))
    yield row
    del key.KINDS["output"]


def test_a_new_kind_is_one_registry_row(tmp_path, output_kind):
    folder = _make(tmp_path, "[assignment]\ntitle = \"O\"\nseed = 3\nvariants = 2\n[network]\nlayers = [2, 2, 1]\n"
                             "[[question]]\nkind = \"output\"\nparam = \"w^1_12\"\npoints = 1\n[grading]\nsign = 0.5\n")
    grader = KeyGrader.from_file(folder / "key.json")
    for v in grader.assignment.variants:
        (b,) = v.blanks[1]
        expected = float(backprop(grader.spec, v.point).forward.O[1][0, 1])
        assert b.answer == pytest.approx(expected)
        assert grader.grade(v.id, "1", repr(expected)).verdict == "correct"
        wrong = grader.grade(v.id, "1", repr(-expected))
        assert wrong.verdict == "incorrect" and wrong.diagnosis == ["sign"] and wrong.score == 0.5 * b.points
    assert "Compute" in (folder / "variants" / grader.assignment.variants[0].id / "question.html").read_text()
    assert "the output after" in "".join(p.read_text() for p in export(folder, "moodle").glob("*.xml"))


def test_the_exercise_help_names_every_built_in_kind():
    import re

    from gradproof.symbolic.commands import exercise
    named = re.search(r"\(kinds:\s*([^)]*)\)", exercise.__doc__).group(1)
    built_in = [name for name, row in key.KINDS.items() if row.draw.__module__ == generate.__name__]
    assert [n.strip() for n in named.replace("\n", " ").split(",")] == built_in


def test_the_platform_graders_load_only_grading():
    """Gradescope's and PrairieLearn's graders import grading and the kinds' rows; the pages (and the sheets under
    them), the exporters and the code checker load only when they are used."""
    import subprocess
    import sys
    code = ("import sys; from gradproof.symbolic.exercise.grading import KeyGrader; "
            "from gradproof.symbolic.export import runtime, pl_runtime; "
            "print(sorted(m for m in sys.modules if m.startswith(('gradproof.symbolic.sheet', "
            "'gradproof.symbolic.exercise.pages', 'gradproof.symbolic.export.', 'gradproof.numeric.codecheck', "
            "'matplotlib', 'latex2mathml')) and not m.endswith(('.runtime', '.pl_runtime'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_unknown_kind_lists_the_registry(tmp_path):
    path = tmp_path / "hw.toml"
    path.write_text("[assignment]\ntitle = \"O\"\n[[question]]\nkind = \"outptu\"\nparam = \"w^1_11\"\n")
    with pytest.raises(GradproofError, match="unknown kind 'outptu'; valid: expression, gradient, step, paths, flow"):
        assignment_file.load(path)
