"""derivations/: the committed sheets are what the manifest generates, and their numbers are right."""
import re
import tomllib
from pathlib import Path

import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.notation import parse_param
from gradproof.numeric.point import load_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.cli import main

ROOT = Path(__file__).resolve().parents[1]
DERIVATIONS = ROOT / "derivations"
ENTRIES = tomllib.loads((DERIVATIONS / "sheets.toml").read_text())["sheet"]
MANIFEST = [entry for entry in ENTRIES if entry.get("kind", "derivation") == "derivation"]     # derivation sheets


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("derivations")
    assert main(["sheet", "--regenerate", str(DERIVATIONS), "-o", str(out)]) == 0
    return out


def test_the_manifest_covers_the_issue(fresh):
    specs = {entry["name"]: Spec.from_toml(DERIVATIONS / entry["spec"]) for entry in MANIFEST}
    assert specs["notes"].layers == (4, 3, 2, 1) and len(specs["notes"].parameters()) == 20
    assert specs["step"].layers == (2, 2, 2) and specs["step"].bias and specs["step"].loss == "half_squared"
    chains = [s for s in specs.values() if s.layers == (1, 1, 1, 1) and s.bias]
    assert {s.activations[0] for s in chains} >= {"sigmoid", "tanh", "relu"}
    assert any(s.regularization == "l2" for s in specs.values())


def test_committed_sheets_are_byte_identical_to_a_fresh_generation(fresh):
    generated = sorted(p.name for p in fresh.iterdir())
    assert generated, "nothing generated"
    for name in generated:
        committed = DERIVATIONS / name
        assert committed.exists(), f"{name} is generated but not committed: run gradproof sheet --regenerate derivations"
        assert committed.read_bytes() == (fresh / name).read_bytes(), (
            f"derivations/{name} differs from a fresh generation: run gradproof sheet --regenerate derivations")


def test_generation_is_deterministic(fresh, tmp_path):
    assert main(["sheet", "--regenerate", str(DERIVATIONS), "-o", str(tmp_path)]) == 0
    for path in fresh.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _number(cell):
    """A table cell's number: $-2.5 \\times 10^{-7}$ -> -2.5e-07."""
    tex = cell.strip("$ ")
    mantissa, _, exponent = tex.partition(r" \times 10^")
    return float(mantissa) * 10.0 ** int(exponent.strip("{}")) if exponent else float(mantissa)


def summary_rows(markdown):
    """The rows of a Markdown sheet's summary table: parameter -> (value, gradient, backprop, central, updated)."""
    section = markdown.split("## Summary at the point", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = _cells(line) if line.startswith("| $") else None
        if cells and len(cells) == 6:
            rows[parse_param(cells[0].strip("$"))] = tuple(_number(c) for c in cells[1:])
    return rows


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["name"] for e in MANIFEST])
def test_every_sheets_numbers_agree_with_backprop(entry):
    spec = Spec.from_toml(DERIVATIONS / entry["spec"])
    point = load_point(DERIVATIONS / entry["at"], spec)
    lr = float(entry.get("lr", 0.1))
    grads = backprop(spec, point)
    markdown = (DERIVATIONS / f"{entry['name']}.md").read_text()
    rows = summary_rows(markdown)
    assert set(rows) == set(spec.parameters())
    for param, (value, gradient, bp, central, updated) in rows.items():
        expected = grads.value(param)
        assert value == pytest.approx(point.param_value(param), rel=1e-6)
        for shown in (gradient, bp, central):
            assert shown == pytest.approx(expected, rel=5e-6, abs=1e-12), param
        assert updated == pytest.approx(point.param_value(param) - lr * expected, rel=5e-6, abs=1e-9), param
    loss = float(re.search(r"^L &= (\S+)$", markdown, re.M).group(1))
    assert loss == pytest.approx(grads.loss, rel=5e-6)
    assert f"\\eta = {lr:g}" in markdown


# Matt Mazur, "A Step by Step Backpropagation Example" (2015): the same 2-2-2 network, point and eta = 0.5.
# His w1, w5 are w^1_11, w^2_11 here (w^k_ij from neuron i of layer k-1 to neuron j of layer k).
MAZUR = {"loss": 0.298371109, "w^2_11": (0.082167041, 0.35891648), "w^1_11": (0.000438568, 0.149780716)}


def test_the_step_sheet_reproduces_a_published_worked_example():
    markdown = (DERIVATIONS / "step.md").read_text()
    rows = summary_rows(markdown)
    assert float(re.search(r"^L &= (\S+)$", markdown, re.M).group(1)) == pytest.approx(MAZUR["loss"], rel=1e-6)
    for name in ("w^2_11", "w^1_11"):
        gradient, updated = MAZUR[name]
        _, shown_gradient, _, _, shown_updated = rows[parse_param(name)]
        assert shown_gradient == pytest.approx(gradient, rel=1e-5)
        assert shown_updated == pytest.approx(updated, rel=5e-6)


def test_the_chain_sheets_discuss_the_vanishing_gradient_with_numbers():
    for name in ("chain-sigmoid", "chain-tanh", "chain-relu"):
        markdown = (DERIVATIONS / f"{name}.md").read_text()
        assert "## Back through the chain: vanishing gradients" in markdown
        assert "slopes multiply to" in markdown
    sigmoid = (DERIVATIONS / "chain-sigmoid.md").read_text()
    spec = Spec.from_toml(DERIVATIONS / "chain-sigmoid.toml")
    grads = backprop(spec, load_point(DERIVATIONS / "chain-point.json", spec))
    first, last = abs(grads.dW[0][0, 0]), abs(grads.dW[2][0, 0])
    assert first < last                                  # the point shows the gradient vanishing
    assert f"{first / last:.3g} times the last one's" in sigmoid
