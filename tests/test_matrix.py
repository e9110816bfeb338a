"""The matrix form: layer equations over a batch in both layouts, proven entry by entry against the scalar chain
rule, evaluated with numpy and compared with backprop and torch, printed with every shape."""
import json

import numpy as np
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.errors import GradproofError
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.check import check
from gradproof.symbolic.cli import main
from gradproof.symbolic.matrix import equations as eqs
from gradproof.symbolic.matrix.evaluate import gradients
from gradproof.symbolic.matrix.expr import Leaf, MatMul, T
from gradproof.symbolic.matrix.proof import prove

NOTES = Spec()
BIASED = Spec(layers=(3, 4, 4, 2), bias=True)


def entry_count(spec, samples=3):
    """Entries of every equation, counted from the sizes: forward Z, O; backward dO (output), dZ, dW, db, dO."""
    n, L = spec.layers, spec.depth
    count = sum(2 * samples * n[k] for k in range(1, L + 1)) + samples * n[L]
    for k in range(1, L + 1):
        count += samples * n[k] + n[k - 1] * n[k] + (n[k] if spec.bias else 0) + (samples * n[k - 1] if k > 1 else 0)
    return count


@pytest.mark.parametrize("spec", [NOTES, BIASED, BIASED.replace(activations=("tanh", "relu", "sigmoid"), loss="bce",
                                                                  reduction="mean", regularization="l2", lam=0.5)])
@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_every_equation_is_the_scalar_chain_rule_entry_by_entry(spec, layout):
    spec = spec.replace(layout=layout)
    proofs = prove(spec)
    assert all(p.holds for p in proofs), [p for p in proofs if not p.holds]
    assert sum(p.entries for p in proofs) == entry_count(spec)
    # the notes' network symbolically, larger ones at random points
    assert {p.method for p in proofs} == ({"symbolic"} if spec.layers == (4, 3, 2, 1) else {"points"})


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_a_wrong_equation_is_caught(monkeypatch, layout):
    """A missing transpose on the square W^2 of 3-4-4-2 conforms; the entrywise proof still fails it."""
    spec = BIASED.replace(layout=layout)
    original = eqs.backward

    def wrong(spec, k):
        out = original(spec, k)
        if k == 3:
            G, W = Leaf("dZ", 3), Leaf("W", 3)
            out[-1] = eqs.Equation(Leaf("dO", 2), MatMul(G, T(W)) if layout == "columns" else MatMul(T(W), G), 3,
                                   "backward")
        if k == 2:
            dO1 = [e for e in out if e.lhs == Leaf("dO", 1)][0]
            out[out.index(dO1)] = eqs.Equation(dO1.lhs, dO1.rhs.__class__(dO1.rhs.left, Leaf("W", 2))
                                               if layout == "rows" else dO1.rhs.__class__(Leaf("W", 2), dO1.rhs.right),
                                               2, "backward")
        return out

    monkeypatch.setattr(eqs, "backward", wrong)
    failed = {str(p.equation.lhs.text()) for p in prove(spec) if not p.holds}
    assert failed == {"∂L/∂O²", "∂L/∂O¹"}


def torch_gradients(spec, point):
    torch = pytest.importorskip("torch")
    x, y = torch.tensor(point.x), torch.tensor(point.y)
    W = [torch.tensor(w, requires_grad=True) for w in point.W]
    b = [torch.tensor(v, requires_grad=True) for v in point.b] if spec.bias else None
    O = x
    for k, w in enumerate(W):
        O = torch.sigmoid(O @ w + (b[k] if b else 0))
    ((y - O) ** 2).sum().backward()
    return [w.grad.numpy() for w in W]


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_matrix_form_agrees_with_backprop_and_torch_on_a_wide_network(layout):
    spec = Spec(layers=(256, 512, 512, 10), bias=True, layout=layout)
    point = random_point(spec, seed=3, samples=64)
    mine, theirs = gradients(spec, point), backprop(spec, point)
    reference = torch_gradients(spec, point)
    for k in range(1, 4):
        got = np.array([[mine[p] for p in spec.parameters() if p.is_weight and p.layer == k]]).reshape(reference[k - 1].shape)
        scale = np.abs(reference[k - 1]).max()
        assert np.abs(got - reference[k - 1]).max() <= 1e-12 * scale
        assert np.abs(got - theirs.dW[k - 1]).max() <= 1e-12 * scale


def test_check_has_a_matrix_row_that_a_wrong_equation_fails(monkeypatch):
    spec = Spec(layers=(2, 3, 2), bias=True, layout="columns")
    report = check(spec, [random_point(spec, seed=1, samples=3)])
    assert report.passed and "matrix" in report.methods
    assert all(r.values["matrix"] is not None for r in report.rows)
    original = eqs.forward
    monkeypatch.setattr(eqs, "forward", lambda spec, k: original(spec.replace(bias=False), k) if k == 2 else original(spec, k))
    report = check(spec, [random_point(spec, seed=1, samples=3)])
    assert {m for r in report.failures for m in r.failed_methods} == {"matrix"}


def test_derive_matrix_json_gives_every_shape(capsys):
    assert main(["derive", "--matrix", "--net", "3-4-4-2", "--bias", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["matrix"]
    rows = {e["lhs"]: e for layer in data["layers"] for e in layer["forward"] + layer["backward"]}
    assert data["layout"] == "rows" and data["proven"]
    assert rows["∂L/∂W²"]["shape"] == "4×4" and rows["∂L/∂W¹"]["shape"] == "3×4" and rows["∂L/∂b³"]["shape"] == "1×2"
    assert rows["Z¹"]["operands"] == {"X": "m×3", "W¹": "3×4", "1": "m×1", "b¹": "4×1"}
    assert main(["derive", "--matrix", "--net", "3-4-4-2", "--bias", "--layout", "columns", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["matrix"]
    rows = {e["lhs"]: e for layer in data["layers"] for e in layer["forward"] + layer["backward"]}
    assert rows["∂L/∂W¹"]["shape"] == "4×3" and rows["∂L/∂b³"]["shape"] == "2×1" and rows["Z²"]["shape"] == "4×m"
    assert rows["∂L/∂O¹"]["text"] == "∂L/∂O¹ = (W²)ᵀ ∂L/∂Z²"


def test_derive_matrix_text_and_layout_errors(capsys, tmp_path):
    assert main(["derive", "--matrix"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂W² = (O¹)ᵀ ∂L/∂Z²" in out and "∂L/∂O² = ∂L/∂Z³ (W³)ᵀ" in out and "92 entries, symbolically" in out
    spec = tmp_path / "net.toml"
    spec.write_text('[matrix]\nlayout = "columns"\n')
    assert main(["derive", str(spec), "--matrix"]) == 0
    assert "∂L/∂W² = ∂L/∂Z² (O¹)ᵀ" in capsys.readouterr().out
    assert main(["derive", "--matrix", "--layout", "diagonal"]) == 2
    assert "unknown layout 'diagonal'; valid: rows, columns" in capsys.readouterr().err
    with pytest.raises(GradproofError, match="layout must be a str"):
        Spec.from_mapping({"matrix": {"layout": 3}})


def test_the_matrix_sheet_states_shapes_equations_one_entry_and_the_proof(tmp_path, capsys):
    from gradproof.symbolic.chain import delta_definition
    from gradproof.symbolic.matrix.sheet import build
    from gradproof.symbolic.model import Model
    from gradproof.symbolic.printing import latex
    from gradproof.symbolic.sheet import files

    spec = BIASED.replace(layout="columns", reduction="mean")
    markdown = files(build(spec, name="m"), "md")["m.md"]
    assert "## Shapes" in markdown and r"| $W^{2}$ | $4 \times 4$ |" in markdown and r"| $b^{3}$ | $2 \times 1$ |" in markdown
    for e in eqs.equations(spec):
        assert e.latex().split(" = ")[1] in markdown, str(e)
    assert latex(delta_definition(Model(spec), 2, 1)) in markdown          # δ_21 and its column, written out
    assert r"\frac{1}{m} \sum_{q=1}^{2}" in markdown                        # the mean's 1/m in the entry
    assert "18 equations, 166 entries: every entry equals the scalar chain rule's" in markdown
    out = tmp_path / "matrix.html"
    assert main(["sheet", "--matrix", "-o", str(out)]) == 0 and "<math" in out.read_text()
    assert main(["sheet", "--matrix", "--param", "w^1_11"]) == 2
    assert "--matrix makes the matrix-form sheet" in capsys.readouterr().err


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_softmax_joins_with_its_jacobian_vector_form(layout):
    from gradproof.symbolic.matrix.grade import MatrixGrader
    spec = Spec(layers=(3, 4, 3), activations=("tanh", "softmax"), loss="ce", bias=True, reduction="mean", layout=layout)
    dZ = [e for e in eqs.equations(spec) if e.lhs == Leaf("dZ", 2)][0]
    assert "1ₙ²" in str(dZ) and "⊙" in str(dZ)                     # O ⊙ (∂L/∂O − (∂L/∂O ⊙ O) 1 1ᵀ), no slope
    proofs = prove(spec)
    assert all(p.holds for p in proofs) and sum(p.entries for p in proofs) == 115
    point = random_point(spec, seed=4, samples=6)
    mine, theirs = gradients(spec, point), backprop(spec, point)
    assert max(abs(v - theirs.value(p)) for p, v in mine.items()) < 1e-14
    grader = MatrixGrader(spec)
    assert grader.grade("Z^2", r"\frac{1}{m}(\hat{Y} - Y)").verdict == "correct"     # cross-entropy on softmax
    assert grader.grade("Z^2", r"\hat{Y} - Y").diagnosis == ["mean_missing"]
    assert grader.grade("Z^2", "softmax'(Z^2)").verdict == "invalid"
