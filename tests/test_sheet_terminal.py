"""What the terminal shows: readable Unicode mathematics, never Python's ** or Abs( or a repr, and derive's
list of local derivatives (text and JSON)."""
import json
import re
from pathlib import Path

import pytest
import sympy as sp

from gradproof.symbolic.cli import main

ROOT = Path(__file__).resolve().parents[1]
POINT = str(ROOT / "derivations" / "notes-point.json")
PYTHONISMS = re.compile(r"\*\*|Abs\(|Spec\(|Heaviside|\bdelta_|Derivation\(|<[a-z_.]+ object")


@pytest.mark.parametrize("argv", [
    ["derive", "--at", POINT],
    ["derive", "--net", "2-2-1", "--act", "relu,tanh", "--reg", "l1", "--lam", "0.1", "--bias"],
    ["step", "--at", POINT, "--lr", "0.1"],
    ["check", "--at", POINT],
    ["flow", "--depth", "3", "--width", "1", "--act", "sigmoid"],
], ids=["derive", "derive-relu-l1", "step", "check", "flow"])
def test_terminal_output_reads_as_mathematics(argv, capsys):
    assert main(argv) in (0, 1)
    out = capsys.readouterr().out
    assert out and not PYTHONISMS.search(out), PYTHONISMS.search(out)


def test_the_loss_reads_as_the_notes_write_it(capsys):
    assert main(["derive", "--param", "w^3_11"]) == 0
    out = capsys.readouterr().out
    assert "L = (y₁ − O₃₁)²" in out and "∂L/∂w³₁₁" in out


def test_derive_lists_each_local_derivative_in_text_and_json(capsys):
    assert main(["derive", "--param", "w^1_11"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("local:"):out.index("closed form:")]
    # two paths through O_11: dL/dO_31, two edges per path between the layers, dO_11/dw: 6 distinct edges
    assert len(block.strip().splitlines()) == 6
    assert "∂O₁₁/∂w¹₁₁ = O₁₁·(1 − O₁₁)·x₁" in block and "∂L/∂O₃₁ = −2·(y₁ − O₃₁)" in block
    assert main(["derive", "--param", "w^1_11", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)["parameters"][0]
    factors = [d["factor"] for d in entry["local_derivatives"]]
    assert factors == ["∂L/∂O₃₁", "∂O₃₁/∂O₂₁", "∂O₂₁/∂O₁₁", "∂O₃₁/∂O₂₂", "∂O₂₂/∂O₁₁", "∂O₁₁/∂w¹₁₁"]
    assert entry["local_derivatives"][-1]["latex"] == r"O_{11} \cdot \left(1 - O_{11}\right) \cdot x_{1}"


def test_the_unicode_printer_keeps_the_value():
    """Printing reorders and re-signs (y - O first, the chain from the output back): the printed product, read back
    by hand, is the same number as sympy's."""
    from gradproof.numeric.notation import Neuron, Param
    from gradproof.symbolic.printing import symbol, terminal
    O, y, x, w = symbol(Neuron("O", 2, 1)), symbol(Neuron("y", 0, 1)), symbol(Neuron("x", 0, 1)), symbol(Param.weight(2, 1, 1))
    expr = sp.factor(2 * (O - y)) * O * (1 - O) * w * x
    assert terminal(expr) == "−2·(y₁ − O₂₁)·O₂₁·(1 − O₂₁)·w²₁₁·x₁"
    values = {O: 0.3, y: 1.0, x: 2.0, w: -0.5}
    by_hand = -2 * (1.0 - 0.3) * 0.3 * (1 - 0.3) * -0.5 * 2.0
    assert float(expr.subs(values)) == pytest.approx(by_hand, rel=1e-15)
