"""`gradproof sheet`: what a sheet says, how formulas break, and the HTML, Markdown and LaTeX it writes."""
import html as html_module
import json
import re
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numeric.notation import Param
from gradproof.numeric.point import random_point
from gradproof.numeric.spec import Spec
from gradproof.symbolic.chain import derive
from gradproof.symbolic.cli import main
from gradproof.symbolic.sheet import content, format_of, html, tex
from gradproof.symbolic.sheet.document import Display, Note, Paragraph, Table
from gradproof.symbolic.sheet.layout import lines, width

ROOT = Path(__file__).resolve().parents[1]
NOTES_POINT = ROOT / "derivations" / "notes-point.json"


def visible_text(page):
    """The text a reader sees: MathML, tags and the stylesheet removed, entities decoded."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r"<math.*?</math>", " ", page, flags=re.S)
    page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", page))


def blocks_of(sheet, kind):
    return [b for b in sheet.blocks if isinstance(b, kind)]


def text_of(block):
    return "".join(c if isinstance(c, str) else c.tex for c in block.content)


# ---- line breaking ------------------------------------------------------------------------------
def test_width_counts_glyphs_and_fractions():
    assert width("abc") == 3
    assert width(r"\frac{a}{bcd}") == pytest.approx(3.4)
    assert width("x^{n}") == pytest.approx(1.7)
    assert width("0.5") == pytest.approx(2.4)            # digits and points are narrower than letters
    assert width(r"\left(a\right)") == 3


@pytest.mark.parametrize("layers", [(4, 3, 2, 1), (3, 3, 3, 2), (2, 4, 4, 1)])
def test_closed_forms_break_into_lines_that_fit(layers):
    spec = Spec(layers=layers)
    for param in (Param.weight(1, 1, 1), Param.weight(2, 1, 1)):
        d = derive(spec, param)
        for form in (d.leibniz, d.closed_form):
            broken = lines(form, 60)
            assert all(width(line) <= 60 for line in broken), broken
            # the pieces are the formula: same symbols, nothing dropped
            joined = " ".join(broken)
            for s in form.free_symbols:
                assert content.latex(s) in joined


def test_a_long_sum_breaks_before_its_signs():
    a, b, c, d = sp.symbols("a b c d")
    broken = lines(sp.Add(a, b, -c, d, evaluate=False), limit=6)
    assert broken == ["a + b", "- c + d"]


# ---- what the sheet says ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def notes_sheet():
    from gradproof.numeric.point import load_point
    spec = Spec()
    return content.build(spec, [Param.weight(1, 1, 1), Param.weight(3, 2, 1)], load_point(NOTES_POINT, spec), 0.1)


def test_sheet_has_every_part_of_the_derivation(notes_sheet):
    text = " ".join(text_of(b) for b in notes_sheet.blocks if hasattr(b, "content"))
    displays = " ".join(" ".join(b.rows) for b in blocks_of(notes_sheet, Display))
    for heading in ("The network", "Definitions", "The point", "Memoization", "The weight ", "Summary",
                    "What memoization saves"):
        assert heading in text
    # the notes' multi-path sum for w^1_11: two products inside the bracket
    assert r"\frac{\partial O_{31}}{\partial O_{21}}" in displays and r"\frac{\partial O_{22}}{\partial O_{11}}" in displays
    assert r"\delta_{11}" in displays
    assert r"w^{1}_{11} - \eta" in displays                 # the update, with the learning rate stated
    assert r"\eta = 0.1" in text


def test_reuse_names_the_parameters_sharing_each_delta(notes_sheet):
    paragraphs = [text_of(p) for p in blocks_of(notes_sheet, Paragraph) if text_of(p).startswith("It needs")]
    first = paragraphs[0]
    # delta_11 is shared by every weight into O_11: w^1_i1 for the other inputs i
    for i in (2, 3, 4):
        assert f"w^{{1}}_{{{i}1}}" in first
    assert "w^{1}_{11}," not in first
    assert r"\delta_{21}" in first and r"\delta_{22}" in first


def test_every_factor_value_matches_backprop_quantities(notes_sheet):
    """The local-derivative table's numbers, checked against numpy's forward pass and its deltas."""
    from gradproof.numeric.backprop import backprop
    from gradproof.numeric.point import load_point
    spec = Spec()
    grads = backprop(spec, load_point(NOTES_POINT, spec))
    O = grads.forward.O
    table = [t for t in blocks_of(notes_sheet, Table) if text_of_cell(t.header[0]) == "factor"][0]
    values = {text_of_cell(row[0]): float(text_of_cell(row[2])) for row in table.rows}
    o31, o21, o11, x1 = O[3][0, 0], O[2][0, 0], O[1][0, 0], O[0][0, 0]
    assert values[r"\frac{\partial L}{\partial O_{31}}"] == pytest.approx(-2 * (1.0 - o31), rel=1e-5)
    assert values[r"\frac{\partial O_{31}}{\partial O_{21}}"] == pytest.approx(o31 * (1 - o31) * 1.2, rel=1e-5)
    assert values[r"\frac{\partial O_{21}}{\partial O_{11}}"] == pytest.approx(o21 * (1 - o21) * 0.6, rel=1e-5)
    assert values[r"\frac{\partial O_{11}}{\partial w^{1}_{11}}"] == pytest.approx(o11 * (1 - o11) * x1, rel=1e-5)


def text_of_cell(cell):
    return "".join(c if isinstance(c, str) else c.tex for c in cell)


def test_too_many_paths_says_so_and_shows_the_delta_form():
    spec = Spec(layers=(2, 2, 9, 9, 1))         # 81 paths from a first-layer weight: over the 64 limit
    sheet = content.build(spec, [Param.weight(1, 1, 1)])
    notes = [text_of(n) for n in blocks_of(sheet, Note)]
    assert any("81 paths" in n and "δ form" in n for n in notes)
    displays = " ".join(" ".join(b.rows) for b in blocks_of(sheet, Display))
    assert r"\delta_{11}" in displays


def test_a_closed_form_too_long_to_read_is_replaced_by_a_note():
    spec = Spec(layers=(2, 2, 6, 6, 1))         # 36 paths: buildable, but pages long written out
    sheet = content.build(spec, [Param.weight(1, 1, 1)])
    assert any("too long to read" in text_of(n) for n in blocks_of(sheet, Note))


def test_regularization_adds_its_direct_path():
    from gradproof.numeric.point import load_point
    spec = Spec.from_toml(ROOT / "derivations" / "l2.toml")
    sheet = content.build(spec, [Param.weight(2, 1, 1)], load_point(ROOT / "derivations" / "l2-point.json", spec))
    displays = " ".join(" ".join(b.rows) for b in blocks_of(sheet, Display))
    assert r"\frac{\partial R}{\partial w^{2}_{11}}" in displays
    assert re.search(r"\+ 2 \\cdot (w\^\{2\}_\{11\} \\cdot \\lambda|\\lambda \\cdot w\^\{2\}_\{11\})", displays)


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_numbers_print_as_latex_and_as_the_same_mathml_latex2mathml_gives(value):
    from latex2mathml.converter import convert
    tex_number = content.number(value)
    assert re.fullmatch(r"-?\d+(\.\d+)?( \\times 10\^\{-?\d+\})?", tex_number)
    assert re.sub(r' alttext="[^"]*"', "", html._math(tex_number)) == html._typeset(convert(tex_number))
    mantissa, _, exponent = tex_number.partition(r" \times 10^")
    back = float(mantissa) * 10.0 ** int(exponent.strip("{}")) if exponent else float(mantissa)
    assert back == pytest.approx(value, rel=1e-5, abs=1e-300)


# ---- HTML ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def notes_html(notes_sheet):
    return html.render(notes_sheet)


def test_html_is_self_contained_with_no_script_and_no_network(notes_html):
    lowered = notes_html.lower()
    assert "<script" not in lowered and "javascript:" not in lowered and " on" + "load=" not in lowered
    for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", notes_html):
        assert url.startswith("#"), url
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", notes_html))
    assert urls <= {"http://www.w3.org/1998/Math/MathML", "http://www.w3.org/2000/svg"}, urls
    assert '<meta name="viewport"' in notes_html and "@media print" in notes_html and "@media (max-width" in notes_html


def test_html_leaves_no_raw_latex(notes_html):
    text = visible_text(notes_html)
    assert "$" not in text
    assert not re.search(r"\\[A-Za-z]+", text), re.search(r".{40}\\[A-Za-z]+.{40}", text)
    assert notes_html.count("<math") > 100
    assert "merror" not in notes_html


def test_html_fails_loudly_when_latex2mathml_cannot_convert():
    from gradproof.numeric.errors import GradproofError
    with pytest.raises(GradproofError, match="latex2mathml"):
        html._math(r"\frac{")
    with pytest.raises(GradproofError, match="unconverted"):
        html._math(r"\notacommand{x}")


def test_text_is_escaped_in_every_format(tmp_path, capsys):
    title = "<b>50% & {δ}</b> $x$"
    assert main(["sheet", "--net", "1-1", "--title", title, "-o", str(tmp_path / "s.html")]) == 0
    page = (tmp_path / "s.html").read_text()
    assert "<b>50%" not in page and "&lt;b&gt;50% &amp; {δ}&lt;/b&gt; $x$" in page
    assert main(["sheet", "--net", "1-1", "--title", title, "--format", "tex"]) == 0
    assert r"<b>50\% \& \{$\delta$\}</b> \$x\$" in capsys.readouterr().out.replace(r"$<$", "<").replace(r"$>$", ">")


# ---- Markdown, LaTeX, the command ---------------------------------------------------------------
def test_markdown_has_display_math_tables_and_the_svg_beside_it(tmp_path):
    out = tmp_path / "chain.md"
    assert main(["sheet", "--net", "1-1-1", "--bias", "--param", "w^1_11", "--at",
                 str(write_point(tmp_path, Spec(layers=(1, 1, 1), bias=True))), "-o", str(out)]) == 0
    text = out.read_text()
    assert "$$\n\\begin{aligned}" in text                  # display math
    assert "| ---:" in text or "| :--- |" in text              # and a table (right- or left-aligned columns)
    assert "![the paths of w^1\\_11 to L](chain.svg)" in text
    picture = (tmp_path / "chain.svg").read_text()
    assert picture.startswith("<svg") and "<script" not in picture


def write_point(tmp_path, spec):
    path = tmp_path / "point.json"
    path.write_text(json.dumps(random_point(spec, seed=3).to_json()))
    return path


def test_tex_has_the_tikz_diagram_with_the_parameter_highlighted():
    sheet = content.build(Spec(), [Param.weight(2, 3, 1)])
    document = tex.render(sheet)
    assert document.startswith(r"\documentclass") and document.rstrip().endswith(r"\end{document}")
    assert r"\begin{tikzpicture}" in document and r"{$w^{2}_{31}$}" in document
    # the plain network is drawn once into a box: 4*3 + 3*2 + 2*1 edges and one into L, all muted
    network = document[document.index(r"\sbox"):document.index(r"\end{tikzpicture}")]
    assert network.count(r"\draw[edge]") == 21 and "hotedge]" not in network
    # each picture overlays the highlighted part: w^2_31's own edge (O_13 -> O_21), O_21 -> O_31 and O_31 -> L;
    # O_22 -> O_31 is not on its paths
    pictures = document.split(r"\usebox")[1:]
    assert pictures and all(p[:p.index(r"\end{tikzpicture}")].count(r"\draw[hotedge]") == 3 for p in pictures)
    assert all(r"\draw[edge]" not in p[:p.index(r"\end{tikzpicture}")] for p in pictures)


@pytest.mark.parametrize("name, fmt", [("a.tex", "tex"), ("a.pdf", "pdf"), ("a.HTML", "html"), ("a.md", "md"),
                                       ("a.txt", None), ("a", None)])
def test_format_from_the_suffix(name, fmt):
    assert format_of(name) == fmt


def test_command_errors_exit_2_without_writing(tmp_path, capsys):
    assert main(["sheet", "-o", str(tmp_path / "x.docx")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert main(["sheet", "--lr", "-1", "-o", str(tmp_path / "x.html")]) == 2
    assert main(["sheet", "--param", "w^9_11", "-o", str(tmp_path / "x.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_pdf_without_pdflatex_names_the_debian_package(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["sheet", "--net", "1-1", "-o", str(tmp_path / "x.pdf")]) == 2
    assert "texlive-latex-base" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_jupyter_shows_a_derivation_and_an_evaluation_as_math():
    from gradproof.symbolic.evaluate import Compiled
    from gradproof.symbolic.model import Model
    spec = Spec(layers=(2, 2, 1))
    d = derive(spec, Param.weight(1, 1, 1))
    shown = d._repr_latex_()
    assert shown.startswith("$$") and r"\frac{\partial L}{\partial w^{1}_{11}}" in shown and r"\delta_{11}" in shown
    shown_html = d._repr_html_()
    assert "<math" in shown_html and "\\" not in re.sub(r' alttext="[^"]*"', "", shown_html)
    # styled like the sheet: its fonts and the aligned grid, the rules scoped to the output's element
    assert shown_html.startswith('<div class="gradproof-sheet"><style>') and ".gradproof-sheet .eqs" in shown_html
    assert all(rule.strip().startswith(".gradproof-sheet") for rule in re.findall(r"(?:^|\})\s*([^{}]+)\{", shown_html.split("</style>")[0].split("<style>")[1]))
    point = random_point(spec, seed=1)
    evaluation = Compiled(Model(spec)).evaluate(point)
    assert content.number(evaluation.gradients[Param.weight(1, 1, 1)]) in evaluation._repr_latex_()


# ---- renderers dispatch on the block's class ---------------------------------------------------
@pytest.mark.parametrize("fmt", ["tex", "html", "md"])
def test_a_block_subclass_renders_like_its_base_and_an_unknown_block_is_named(fmt):
    """Each renderer finds _render_<Class> along the block's MRO; a block no format knows is an error naming it."""
    from dataclasses import dataclass

    from gradproof.numeric.errors import GradproofError
    from gradproof.symbolic.sheet import FORMATS
    from gradproof.symbolic.sheet.document import Sheet

    @dataclass(frozen=True)
    class Aside(Paragraph):
        pass

    @dataclass(frozen=True)
    class Widget:
        pass

    def render(block):
        out = FORMATS[fmt].files(Sheet("t", [block], name="t"))[f"t.{fmt}"]
        return out

    assert render(Aside(("plain words",))) == render(Paragraph(("plain words",)))
    with pytest.raises(GradproofError, match=rf"the {fmt} format has no rendering for a Widget block; "
                                             r"it renders: .*Paragraph"):
        render(Widget())


def test_the_command_offers_exactly_the_registered_formats(capsys):
    from gradproof.symbolic.sheet import FORMATS
    with pytest.raises(SystemExit):
        main(["sheet", "--format", "docx"])
    err = capsys.readouterr().err
    assert all(f"'{name}'" in err for name in FORMATS) and "docx" in err


# ---- the notes' forms --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def notes_w111():
    return content.build(Spec(), [Param.weight(1, 1, 1)], random_point(Spec(), seed=3), 0.1)


def _displays_after(sheet, text):
    """The Display blocks between the paragraph containing ``text`` and the next paragraph."""
    out, on = [], False
    for block in sheet.blocks:
        if isinstance(block, Paragraph):
            on = text in text_of(block)
        elif on and isinstance(block, Display):
            out.append(block)
    return out


def test_no_equality_chain_repeats_a_step(notes_w111):
    for display in blocks_of(notes_w111, Display):
        for row in display.rows:
            steps = [step.strip(" &") for step in row.split("=")]
            assert all(a != b for a, b in zip(steps, steps[1:]) if a), row


def test_the_output_is_named_y_hat_and_the_residual_reads_y_minus_y_hat(notes_w111):
    page = "\n".join(text_of(b) for b in blocks_of(notes_w111, Paragraph))
    assert r"\hat{y}_{1} = O_{31}" in page
    deltas = _displays_after(notes_w111, "Backpropagation computes")[0]
    assert deltas.rows[0].startswith(r"\delta_{31} &= \frac{\partial L}{\partial O_{31}} = - 2 \cdot \left(y_{1} - O_{31}\right)")


@pytest.mark.parametrize("act, forms", [
    ("sigmoid", [r"\sigma'\left(z_{11}\right)", r"\sigma{\left(z_{11} \right)} \cdot \left(1 - \sigma{\left(z_{11} \right)}\right)",
                 r"O_{11} \cdot \left(1 - O_{11}\right)"]),
    ("tanh", [r"\tanh'\left(z_{11}\right)", r"1 - \tanh^{2}{\left(z_{11} \right)}", r"1 - O_{11}^{2}"]),
    ("relu", [r"\operatorname{ReLU}'\left(z_{11}\right)", r"\mathbb{1}\left[z_{11} > 0\right]"]),
])
def test_each_activation_derivative_in_the_notes_words(act, forms):
    sheet = content.build(Spec(layers=(2, 2, 1), activations=act), [Param.weight(1, 1, 1)])
    row = _displays_after(sheet, "The derivative of each activation")[0].rows[0]
    assert [step.strip() for step in row.split("&=")[1].split(" = ")] == forms


def test_the_per_path_form_stands_beside_the_factored_form(notes_w111):
    chain = _displays_after(notes_w111, "one full product of local derivatives per path")[0]
    per_path, factored = chain.rows[0], chain.rows[-1]
    # two paths of four edges each, nothing factored out: eight partials after the left-hand side
    assert per_path.split("&=")[1].count(r"\frac") == 8 and per_path.count("+") == 1
    assert r"\left[" in factored and factored.count(r"\frac") == 6


def test_products_read_from_the_output_back(notes_w111):
    table = next(b for b in blocks_of(notes_w111, Table) if b.header[1] == ("local derivative",))
    assert text_of(Paragraph(table.rows[-1][1])) == r"O_{11} \cdot \left(1 - O_{11}\right) \cdot x_{1}"
    memo = _displays_after(notes_w111, "Memoized")[0].rows[0]
    assert memo.endswith(r"\delta_{11} \cdot O_{11} \cdot \left(1 - O_{11}\right) \cdot x_{1}")


def test_every_figure_of_the_savings_table_is_explained():
    from gradproof.numeric.paths import multiplication_counts
    spec = Spec(layers=(3, 4, 2, 1), bias=True)
    sheet = content.build(spec, [Param.weight(1, 1, 1)])
    explained = sheet.blocks[-1]
    counts = multiplication_counts(spec)
    assert len(explained.items) == len(counts["layers"]) + 1
    for item, row in zip(explained.items, counts["layers"] + [counts["total"]]):
        words = text_of(Paragraph(item))
        assert str(row["per_path"]) in words and str(row["backprop"]) in words


# ---- accessibility -------------------------------------------------------------------------------
def test_every_formula_carries_its_latex(notes_w111):
    page = html.render(notes_w111)
    maths = re.findall(r"<math[^>]*>", page)
    assert len(maths) > 50
    alts = [re.search(r'alttext="([^"]*)"', m) for m in maths]
    assert all(a and a.group(1).strip() for a in alts)
    # the alttexts are the formula's own LaTeX: the pieces of a row (a phone wraps between them) read in turn as
    # the delta of the output is written (its short brackets unstretched)
    rows = re.findall(r'<span class="rhs [a-z]+">(.*?)</span>', page)
    read = [" ".join(html_module.unescape(a) for a in re.findall(r'alttext="([^"]*)"', row)) for row in rows]
    assert any(r.startswith(r"= \frac{\partial L}{\partial O_{31}} = - 2 \cdot (y_{1} - O_{31}) = ") for r in read), read[:3]


def _contrast(a, b):
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def luminance(colour):
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_contrast_is_at_least_4_5():
    from gradproof.symbolic.sheet import diagram
    colours = dict(re.findall(r"--(\w+): (#[0-9a-f]{6})", html.CSS))
    links = re.findall(r"\ba \{ color: (#[0-9a-f]{6})", html.CSS)
    for text in [colours["ink"], colours["muted"], colours["accent"], *links]:
        assert _contrast(text, "#ffffff") >= 4.5 and _contrast(text, colours["note"]) >= 4.5, text
    assert _contrast(diagram.INK, "#ffffff") >= 4.5 and _contrast(diagram.ACCENT, "#ffffff") >= 4.5


def test_highlighted_paths_differ_by_line_width_not_colour_alone():
    from gradproof.symbolic.model import Model
    from gradproof.symbolic.sheet import diagram
    picture = diagram.svg(Model(Spec()), Param.weight(1, 1, 1))
    widths = {colour: set(re.findall(rf'stroke="{colour}" stroke-width="([\d.]+)"', picture))
              for colour in (diagram.ACCENT, diagram.MUTED)}
    assert widths[diagram.ACCENT] and widths[diagram.MUTED]
    assert min(map(float, widths[diagram.ACCENT])) >= 2 * max(map(float, widths[diagram.MUTED]))


@pytest.mark.parametrize("tex, wanted, unwanted", [
    (r"\frac{\partial L}{\partial O_{31}} = -0.740328", ['<mo form="prefix">−</mo>', '<mi mathvariant="normal">∂</mi>'],
     ["<mo>∂</mo>"]),
    (r"\sigma'(z_{11}) \cdot \sigma\left(z_{11}\right)", ['<mi>σ</mi><mo lspace="0" rspace="0">′</mo>', "<mo>⋅</mo>",
                                                          '<mo stretchy="false" fence="true" form="prefix" lspace="0" rspace="0">('],
     ["<msup>", "·", 'stretchy="true"']),
    (r"|\partial O_n/\partial x| \le \prod_k |w_k|", ['<mo lspace="0" rspace="0">/</mo>',
                                                      '<mo stretchy="false" lspace="0" rspace="0">|</mo>',
                                                      '<munder><mo movablelimits="true">∏</mo>'], ["<msub><mo>"]),
    (r"\sum_{j=1}^{2} a_j - b", ['<munderover><mo movablelimits="true">∑</mo>', "<mo>−</mo>"], ['form="prefix"']),
    (r"\left(\frac{a}{b}\right)", ['stretchy="true"'], []),
])
def test_mathml_is_set_as_tex_sets_it(tex, wanted, unwanted):
    """A sign is a prefix operator (a minus between terms is not), bars and slashes carry no space, a fence around
    no tall content is not stretched (a stretched glyph is wider), ∂ is a letter, a prime follows its symbol at full
    size, sums and products take movable limits."""
    out = html._math(tex)
    assert all(w in out for w in wanted), out
    assert not any(u in out for u in unwanted), out
