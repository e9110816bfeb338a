"""Softmax with categorical cross-entropy, symbolically: the paths through every O_nm listed and summed, the delta
form, the collapse to O_nj - y_j against sympy.diff, and the stable (log-softmax) evaluation at |z| = 1000 while the
readable forms are what is printed."""
import numpy as np
import pytest
import sympy as sp

from gradproof.numeric.backprop import backprop
from gradproof.numeric.notation import Param
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.chain import derive, derive_all
from gradproof.symbolic.evaluate import Compiled, Evaluable
from gradproof.symbolic.model import Model
from gradproof.symbolic.printing import text
from gradproof.symbolic.proof import prove_all, prove_collapse

SPEC = Spec(layers=(2, 3, 3), activations=("sigmoid", "softmax"), loss="ce", bias=True)


def test_the_paths_of_an_output_weight_pass_every_output():
    d = derive(SPEC, Param.weight(2, 1, 2))
    assert [[str(s) for s in p] for p in d.paths] == [["w^2_12", "z_22", f"O_2{m}", "L"] for m in (1, 2, 3)]
    assert text(d.leibniz) == ("[∂L/∂O_21 · ∂O_21/∂z_22 + ∂L/∂O_22 · ∂O_22/∂z_22 + ∂L/∂O_23 · ∂O_23/∂z_22]"
                               " · ∂z_22/∂w^2_12")
    locals_ = {text(p): text(v) for p, v in d.local_derivatives}
    # the Jacobian O_m (1[m = j] - O_j): the diagonal and the cross terms
    assert locals_["∂O_22/∂z_22"] == "O_22*(1 - O_22)" and locals_["∂O_21/∂z_22"] == "-O_21*O_22"


def test_a_hidden_weight_has_width_squared_paths():
    d = derive(SPEC, Param.weight(1, 1, 2))
    assert d.path_count == 9 and len(d.paths) == 9
    assert {tuple(str(s) for s in p[2:4]) for p in d.paths} == {(f"z_2{a}", f"O_2{m}") for a in (1, 2, 3) for m in (1, 2, 3)}


def test_every_form_equals_sympy_diff_the_collapse_included():
    proofs = prove_all(derive_all(SPEC))
    forms = {p.form for p in proofs}
    assert forms == {"chain-rule", "memoized", "collapsed"}
    assert sum(p.form == "collapsed" for p in proofs) == 3 * 3 + 3          # every w^2_ij and b^2_j
    assert all(p.holds for p in proofs), [p for p in proofs if not p.holds]


def test_the_collapse_is_proven_symbolically_and_only_on_the_simplex():
    model = Model(Spec(layers=(2, 3), activations="softmax", loss="ce"))
    assert [(p.method, p.holds) for p in prove_collapse(model)] == [("symbolic", True)] * 3
    # the same difference without y_3 = 1 - y_1 - y_2 is not 0: the collapse needs targets that sum to 1
    zs = model.z[1][1:]
    in_z = {model.O[1][m]: sp.exp(zs[m - 1]) / sum(sp.exp(z) for z in zs) for m in (1, 2, 3)}
    loss = model.data_loss().xreplace(in_z)
    off = sp.diff(loss, zs[0]) - (model.O[1][1] - model.y[1]).xreplace(in_z)
    at = {zs[0]: 0.3, zs[1]: -0.2, zs[2]: 1.1, model.y[1]: 0.5, model.y[2]: 0.5, model.y[3]: 0.5}
    assert abs(float(off.subs(at))) > 0.01
    # and the elementwise form (no cross terms) is not the derivative even on the simplex
    elementwise = (-model.y[1] / model.O[1][1] * model.O[1][1] * (1 - model.O[1][1])).xreplace(in_z)
    at[model.y[3]] = 0.0
    assert abs(float((sp.diff(loss, zs[0]) - elementwise).subs(at))) > 0.01


def test_the_delta_form_sums_over_the_outputs():
    d = derive(SPEC, Param.weight(2, 3, 1))
    model = d.model
    assert {s for s in d.memoized.free_symbols if model.neuron_of(s) and model.neuron_of(s)[0] == "delta"} == \
        {model.delta[2][m] for m in (1, 2, 3)}
    assert [str(s) for s, _, _ in d.deltas] == ["delta_21", "delta_22", "delta_23"]


@pytest.mark.parametrize("digits", [None, 50])
def test_stable_at_z_1000_while_the_printed_forms_stay_readable(digits):
    point = random_point(SPEC, seed=8, samples=2)
    point.b[1][:] = [1000.0, -1000.0, 0.0]
    model = Model(SPEC)
    values = Compiled(model, digits=digits).evaluate(point)
    bp = backprop(SPEC, point)
    assert float(values.loss) == pytest.approx(bp.loss, rel=1e-12) and bp.loss > 500
    for p in SPEC.parameters():
        assert float(values.gradients[p]) == pytest.approx(bp.value(p), rel=1e-10, abs=1e-13), p
    # printed: ln O; evaluated: z - logsumexp(z), nowhere e^z of its own
    assert text(model.data_loss()) == "-y_1*log(O_21) - y_2*log(O_22) - y_3*log(O_23)"
    evaluated = Evaluable.of(model)(model.data_loss())
    assert "LogSumExp" in str(evaluated) and not evaluated.has(sp.exp)
    assert np.isfinite(float(values.loss))


def test_the_sheet_shows_the_jacobian_the_sum_over_m_and_the_collapse(capsys, tmp_path):
    from gradproof.symbolic.cli import main
    spec = tmp_path / "s.toml"
    spec.write_text('[network]\nlayers = [2, 3, 3]\nactivation = ["sigmoid", "softmax"]\n[loss]\nkind = "ce"\n')
    assert main(["sheet", str(spec), "--param", "w^2_12", "--format", "tex"]) == 0
    tex = capsys.readouterr().out
    # the Jacobian as the row writes it, and its 3 x 3 table: diagonal O(1 - O), cross terms -O_m O_j
    assert r"\frac{\partial O_{2m}}{\partial z_{2j}} &= O_{2m} \cdot \left(\mathbb{1}[m = j] - O_{2j}\right)" in tex
    assert tex.count(r"O_{22} \cdot \left(1 - O_{22}\right)") >= 1 and r"- O_{21} \cdot O_{23}" in tex
    # the sum over m for the weight, one product per path through O_21, O_22, O_23
    assert all(rf"w^{{2}}_{{12}} \to z_{{22}} \to O_{{2{m}}} \to L" in tex for m in (1, 2, 3))
    # the collapse, step by step, ending at O - y because the targets sum to 1
    assert "The sum over the outputs collapses" in tex
    assert r"&= O_{21} - y_{1} \quad\text{since } y_{1} + y_{2} + y_{3} = 1" in tex
    assert r"\left(O_{2j} - y_{j}\right)\, O_{1i}" in tex
