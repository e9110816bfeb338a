"""The spellings students use read with the same meaning as the grammar's own: each variant below is graded
like its plain form (the plain forms are checked against the notes' mathematics in test_grade.py)."""
import pytest

from gradproof.numeric.backprop import backprop
from gradproof.numeric.notation import parse_param
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.grade import Grader
from gradproof.symbolic.grade.parser import read
from gradproof.symbolic.model import Model

NOTES = Spec()
D = r"(y-\hat{y})\hat{y}(1-\hat{y})"            # dL/dO_31 = -2(y - yhat), sigma'(z_31) = yhat(1 - yhat)

SAME = [
    ("w^3_11", rf"-2{D} O_{{21}}", [
        rf"-2{D} O_{{21}}.", rf"= -2{D} O_{{21}},", rf"\frac12 (-4){D} O_{{21}}", rf"\frac 12 \cdot (-4){D} O_{{21}}",
        rf"{{1 \over 2}} (-4){D} O_{{21}}", rf"\tfrac{{1}}{{2}}(-4){D} O_{{21}}", rf"\dfrac12(-4){D} O_{{21}}",
        r"-2(y-\widehat{y})\hat{y}_1(1-\hat{y}) o_{21}", rf"\text{{gradient: }} -2{D} O_{{21}} \text{{ (chain rule)}}",
        rf"\boxed{{-2{D} O_{{21}}}}", rf"$-2{D} O_{{21}}$", rf"\(-2{D} O_{{21}}\)", rf"\[-2{D} O_{{21}}\]",
        r"\underbrace{-2(y-\hat{y})}_{\partial L/\partial \hat y}\underbrace{\hat{y}(1-\hat{y})}_{\sigma'} O_{21}",
        r"-2\:(y-\hat{y})\:\hat{y}(1-\hat{y}) \cdotp O_{21}", r"-2 \ast \left.(y-\hat{y})\right. \hat{y}(1-\hat{y}) O_{21}",
        "−2(y − ŷ)·ŷ(1 − ŷ)·O_{21}", "−2(y − ŷ)σ′(z_{31})×O₂₁", "∂L/∂O_{31} · ∂O_{31}/∂w^3_{11}",
        r"\frac{dL}{dO_{31}} \frac{dO_{31}}{dw^3_{11}}", r"dL/dO_{31} \cdot dO_{31}/dw^3_{11}",
        r"\frac{\mathrm{d}L}{\mathrm{d}O_{31}} \cdot \frac{\mathrm{d}O_{31}}{\mathrm{d}w^{(3)}_{11}}",
        r"-2(y-\hat{y}) \frac{\mathrm{e}^{-z_{31}}}{(1+\mathrm{e}^{-z_{31}})^2} O_{21}",
        r"-2(y-\hat{y}) \frac{\exp(-z_{31})}{(1+\exp(-z_{31}))^2} O_{21}",
        rf"\frac{{\partial L}}{{\partial w^{{3}}_{{11}}}} &= -2{D} O_{{21}} \\ &= 2(\hat y - y)\hat y(1-\hat y)O_{{21}}",
    ]),
    ("w^2_11", rf"-2{D} w^{{3}}_{{11}} O_{{21}}(1-O_{{21}}) O_{{11}}", [
        rf"-2{D} W^{{3}}_{{11}} \sigma^{{\prime}}(z_{{21}}) O_{{11}}", rf"-2{D} w_{{11}}^{{(3)}} f^{{\prime}}(z_{{21}}) O_{{11}}",
        rf"-2{D} w^{{(3)}}_{{11}} \dot\sigma(z_{{21}}) o_{{11}}", rf"-2{D} w^{{3}}_{{11}} \dot{{\sigma}}(z_{{21}}) O_{{11}}",
    ]),
    ("w^1_11", rf"-2{D} \left[w^{{3}}_{{11}} O_{{21}}(1-O_{{21}}) w^{{2}}_{{11}} + w^{{3}}_{{21}} O_{{22}}(1-O_{{22}}) w^{{2}}_{{12}}\right] O_{{11}}(1-O_{{11}}) x_1", [
        rf"-2{D} \sum_{{j=1}}^{{2}} w^{{3}}_{{j1}} O_{{2j}}(1-O_{{2j}}) w^{{2}}_{{1j}} \, O_{{11}}(1-O_{{11}}) x_1",
        rf"-2{D} \left(\sum_{{j=1}}^{{2}} w^{{3}}_{{j1}} O_{{2j}}(1-O_{{2j}}) w^{{2}}_{{1j}}\right) O_{{11}}(1-O_{{11}}) x_1",
        rf"-2{D} \sum\limits_{{k = 1}}^2 w_{{k1}}^{{(3)}} \sigma'(z_{{2k}}) w^{{(2)}}_{{1k}} \cdot \sigma'(z_{{11}}) x_{{1}}",
    ]),
]


@pytest.fixture(scope="module")
def notes():
    return Grader(NOTES)


@pytest.mark.parametrize("param, plain, variant", [(p, plain, v) for p, plain, vs in SAME for v in vs])
def test_a_spelling_reads_like_the_plain_form(notes, param, plain, variant):
    assert notes.grade(param, plain).verdict == "correct"
    r = notes.grade(param, variant)
    assert r.verdict == "correct", (variant, r.message)
    wrong = notes.grade(param, "-(" + variant.strip(" .,$") + ")") if "=" not in variant and "\\[" not in variant \
        and "\\(" not in variant and "boxed" not in variant else None
    if wrong is not None:
        assert wrong.verdict == "incorrect", (variant, wrong.message)


def test_the_step_function_and_sech():
    g = Grader(Spec(layers=(2, 2, 1), activations=("relu", "linear")))
    for step in [r"H(z_{11})", r"\mathbb{1}_{z_{11}>0}", r"\mathbb{1}\{z_{11} > 0\}", r"\mathbf{1}_{0 < z_{11}}",
                 r"\mathbb{1}(z_{11} \geq 0)"]:
        assert g.grade("w^1_11", rf"-2(y - \hat y) w^2_{{11}} {step} x_1").verdict == "correct", step
    t = Grader(Spec(layers=(2, 1, 1), activations=("tanh", "linear"), loss="half_squared"))
    for form in [r"\operatorname{sech}^2(z_{11})", r"\text{sech}^2(z_{11})", r"\sech^{2}(z_{11})", r"\frac{1}{\cosh^2(z_{11})}"]:
        assert t.grade("w^1_11", rf"(\hat y - y) w^2_{{11}} {form} x_1").verdict == "correct", form


def test_a_chain_names_the_side_that_is_wrong(notes):
    right, wrong = rf"-2{D} O_{{21}}", rf"2{D} O_{{21}}"
    lhs = r"\frac{\partial L}{\partial w^{3}_{11}}"
    leibniz = r"\frac{\partial L}{\partial O_{31}} \frac{\partial O_{31}}{\partial w^{3}_{11}}"
    assert notes.grade("w^3_11", f"{lhs} = {leibniz} = {right}").verdict == "correct"
    r = notes.grade("w^3_11", f"{lhs} = {leibniz} = {wrong}")
    assert r.verdict == "incorrect" and r.diagnosis == ["sign"] and "the last" in r.message
    r = notes.grade("w^3_11", f"{lhs} = {wrong} = {right}")
    assert r.verdict == "incorrect" and "the first" in r.message
    assert notes.grade("w^3_11", f"{lhs} = {lhs}").verdict == "invalid"


def test_the_question_restated_stays_invalid(notes):
    for answer in [r"\frac{\partial L}{\partial w^{1}_{11}}", r"2\frac{\partial L}{\partial w^{1}_{11}} - \frac{\partial L}{\partial w^{1}_{11}}",
                   r"\frac{dL}{dw^{1}_{11}}", "∂L/∂w^1_{11}", r"2 \frac{dL}{dw^{(1)}_{11}} - \frac{dL}{dW^{1}_{11}}"]:
        assert notes.grade("w^1_11", answer).verdict == "invalid", answer


@pytest.mark.parametrize("typed, value", [("-7.92178e-03", -7.92178e-3), ("7.9E-3", 7.9e-3), ("7.9e+2", 790.0),
                                          (r"-7.92178 \times 10^{-3}", -7.92178e-3), (r"\approx -0.00792", -0.00792),
                                          ("≈ -0.00792", -0.00792), (r"-7.92178 \cdot 10^-3", -7.92178e-3)])
def test_numbers_in_scientific_notation(typed, value):
    assert float(read(typed, Model(NOTES)).math) == pytest.approx(value, rel=1e-12)


def test_a_number_rounded_too_early(notes):
    point = random_point(NOTES, seed=3)
    value = backprop(NOTES, point).value(parse_param("w^2_11"))
    assert notes.grade("w^2_11", f"{value:.4g}", at=point).verdict == "correct"
    assert notes.grade("w^2_11", f"{value:.5e}", at=point).verdict == "correct"
    r = notes.grade("w^2_11", f"{value:.2g}", at=point)
    assert (r.verdict, r.diagnosis) == ("incorrect", ["rounding"])
    assert "matches to 2 significant figures; give at least 4" in r.message
    r = notes.grade("w^2_11", f"{-value:.2g}", at=point)
    assert r.diagnosis == ["sign", "rounding"]
    r = notes.grade("w^2_11", f"{value:.2g}", at=point, rtol=0.05)       # 2 figures are enough for 5 %
    assert r.verdict == "correct"


def test_errors_point_into_what_was_typed(notes):
    r = notes.grade("w^1_11", r"$\frac12 x_1 + * x_2$")
    assert "column 16" in r.message
    r = notes.grade("w^1_11", r"\sum_j x_j")
    assert r.verdict == "invalid" and "bounds" in r.message
    r = notes.grade("w^1_11", r"\sum_{j=1}^{500} x_1")
    assert r.verdict == "invalid" and "at most 64 terms" in r.message


def test_nested_sums():
    g = Grader(Spec(layers=(2, 3, 2, 1), activations="linear", loss="half_squared"))
    # d yhat / d w^1_11 for a linear 2-3-2-1 network: sum over the second layer of w^3_j1 w^2_1j, times x_1
    written = r"(\hat y - y) \sum_{j=1}^{2} w^{3}_{j1} w^{2}_{1j} x_1"
    assert g.grade("w^1_11", written).verdict == "correct"
    nested = r"(\hat y - y) x_1 \sum_{j=1}^{2} \sum_{k=1}^{1} w^{3}_{jk} w^{2}_{1j}"
    assert g.grade("w^1_11", nested).verdict == "correct"


@pytest.mark.parametrize("hostile", [r"\sum_{a=1}^{60} \sum_{b=1}^{60} \sum_{c=1}^{60} x_{1}", r"\underbrace{" * 1200,
                                     r"{1 \over {2 \over {3 \over 4}}}" * 100, r"\frac" * 1500, r"\sum_{a=1}^{60}" * 8 + "x_1",
                                     "²" * 2000, "d" * 3000 + "L", r"\mathbb{1}_{" * 500, "$" * 4000])
def test_hostile_spellings_stay_invalid(notes, hostile):
    assert notes.grade("w^1_11", hostile).verdict == "invalid"


# ---- the README's promises -----------------------------------------------------------------------------
def _readme_grading():
    from pathlib import Path
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    return text[text.index("**What an answer may say.**"):text.index("Restating the question (")]


def test_every_spelling_in_the_readme_reads():
    import re
    spans = re.findall(r"`([^`]+)`", _readme_grading())
    assert len(spans) >= 90
    model = Model(NOTES)
    unread = []
    for span in spans:
        try:
            read(span, model)
        except Exception as error:                        # noqa: BLE001 - any failure is a broken promise
            unread.append((span, str(error)[:120]))
    assert unread == []


def test_the_readme_lists_every_voice_with_a_correct_example():
    import re
    rows = [line.split("|") for line in _readme_grading().splitlines() if line.startswith("| ") and "`" in line]
    voices = {cells[1].strip(): re.search(r"`([^`]+)`", cells[3]).group(1) for cells in rows}
    assert set(voices) == {"LaTeX", "Python / Maxima", "AsciiMath", "UnicodeMath", "phone text"}
    grader = Grader(NOTES)
    assert {v: grader.grade("w^3_11", a).verdict for v, a in voices.items()} == {v: "correct" for v in voices}


# ---- messages a student understands --------------------------------------------------------------------
@pytest.mark.parametrize("answer, said", [
    ("x_1 ± 2", ["column 5", "'±'", "plus-minus sign", "choose + or -"]),
    ("2(ŷ – y)·ŷ(1 – ŷ)·O₂₁ –", ["ends too early", "'–'", "en dash", "write - for minus"]),
    ("sigm(z_31)", ["unknown name 'sigm'", "did you mean sigma?"]),
    ("s(z_31)", ["unknown symbol s", "\\sigma"]),
    ("x_1 \u202e 2", ["U+202E", "right-to-left override"]),
    ("2(O31-y)O31(1-O31)w3_12", ["w^3_12 does not exist", "did you mean w^3_21?"]),
])
def test_messages_name_the_character_and_the_symbol_meant(answer, said):
    r = Grader(NOTES).grade("w^3_11", answer)
    assert r.verdict == "invalid"
    for part in said:
        assert part in r.message, (part, r.message)
    assert "\\u" not in r.message and "\\x" not in r.message


def test_every_verdict_says_how_the_answer_was_read():
    g = Grader(NOTES)
    r = g.grade("w^3_11", "2*(O31-y)*O31*(1-O31)*O21")
    assert r.verdict == "correct" and r.message.endswith("Read as: 2·(O₃₁ − y)·O₃₁·(1 − O₃₁)·O₂₁.")
    r = g.grade("w^3_11", "2(O31-y)O31(1-O31)+O21")
    assert r.diagnosis == ["sum_for_product"] and "Read as: 2·(O₃₁ − y)·O₃₁·(1 − O₃₁) + O₂₁." in r.message


def test_a_fraction_followed_by_a_factor_is_read_as_students_mean_it_and_said():
    g = Grader(NOTES)
    answer = r"2(\hat{y}-y) \exp(-z_{31})/(1+\exp(-z_{31}))^2 O_{21}"
    r = g.grade("w^3_11", answer)
    assert r.verdict == "correct"
    assert "a/b c is read as (a/b)·c" in r.message
    # where the other reading could not differ, nothing is said
    assert "a/b c" not in g.grade("w^3_11", r"2(\hat{y}-y)\hat{y}(1-\hat{y}) O_{21}/1 1").message


def test_a_fraction_in_words_linear_format_is_read_as_word_builds_it():
    g = Grader(NOTES)
    # 〖σ〗^′ marks Word's linear format: '/' divides by the run 2O_21 written without a blank
    word = g.grade("w^3_11", "2(ŷ−y)〖σ〗^′(z_31)/(1/2)O_21")
    assert word.verdict == "incorrect"                          # 2(ŷ-y)σ'/((1/2)·O_21), not ·O_21
    assert "a/bc is a/(bc)" in word.message and "(1/2)O_21" in word.message
    assert g.grade("w^3_11", "2(ŷ−y)〖σ〗^′(z_31)/(1/2) O_21").verdict == "incorrect"   # (… /(1/2))·O_21 = 2× too big
    assert g.grade("w^3_11", "4(ŷ−y)〖σ〗^′(z_31)/2 O_21").verdict == "correct"
    assert g.grade("w^3_11", "4(ŷ−y)〖σ〗^′(z_31)O_21/2O_21 O_21").verdict == "correct"   # the run 2O_21 is below
    # the same without the linear format's marks: left to right, and said
    plain = g.grade("w^3_11", "4(ŷ−y)σ′(z₃₁)O₂₁/2O₂₁ O₂₁")
    assert plain.verdict == "incorrect" and "a/b c is read as (a/b)·c" in plain.message


# ---- the reader's state is its own ---------------------------------------------------------------------
def test_each_network_reads_with_its_own_reader():
    wide, notes = Model(Spec(layers=(12, 12, 1))), Model(NOTES)
    assert read("O112", wide).math == wide.O[1][12]          # only (1, 12) names a neuron of 12-12-1
    assert read("O_{1,12}", wide).math == wide.O[1][12]
    assert read("O31", notes).math == notes.O[3][1]
    with pytest.raises(Exception, match="unknown symbol"):
        read("O112", notes)
    assert read("w^2_{121}", wide).math == wide.w(2, 12, 1)  # (12, 1), as (1, 21) is no weight of layer 2
    with pytest.raises(Exception, match="w\\^1_\\{1,12\\} or w\\^1_\\{11,2\\}"):
        read("w^1_{112}", wide)                              # both cuts are weights: the message says so
    assert read("3.50", notes).figures == 3 and read("x_1", notes).figures is None   # nothing left from the last answer


@pytest.mark.parametrize("typed", ["-2(y - y^)y^(1-y^) O_21", "-2(y-y^)*y^*(1-y^)*O_21", "2 (y^ - y) y^ (1 - y^) O21",
                                   "-2(y - y^) y^(1 - y^) O_{21}"])
def test_a_hat_typed_after_the_y_is_y_hat_and_said_so(notes, typed):
    r = notes.grade("w^3_11", typed)
    assert r.verdict == "correct", r.message
    assert "y^ is read as ŷ" in r.message
    flipped = notes.grade("w^3_11", f"-({typed})")
    assert flipped.verdict == "incorrect" and flipped.diagnosis == ["sign"], flipped.message


def test_a_power_of_y_stays_a_power(notes):
    # no y^ that only a hat can explain: y^2 and y^{2} are squares, and nothing is said about hats
    for typed in ("y^2 O_21", "y^{2} O_{21}"):
        r = notes.grade("w^3_11", typed)
        assert r.verdict == "incorrect" and "read as ŷ" not in r.message
        assert "y²" in r.message or "y^{2}" in (r.parsed_latex or "")
