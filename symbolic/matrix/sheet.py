"""The matrix-form sheet: the shapes table, each layer's forward and backward equations with their shapes and
proofs, and the correspondence written out for one entry (δ_kj and its row of the matrix), as document blocks
for the sheet renderers (HTML, PDF, Markdown, LaTeX)."""
from gradproof.numeric.layouts import layout as layout_row
from gradproof.numeric.notation import Param

from ..chain import delta_definition, derive
from ..printing import latex
from ..sheet.content import describe
from ..sheet.document import Code, Display, Heading, Math, Paragraph, Sheet, Table, parts
from ..sheet.layout import rows as display_rows
from .equations import equations
from .expr import Leaf, shape_text
from .proof import NOTES_SIZE, SAMPLES, Batch, prove
from .report import shape_env
from .report import shapes as shape_rows


def title_of(spec):
    return f"The matrix form of backprop for the {spec.layers_text} network ({spec.layout} layout)"


def build(spec, title=None, name="matrix", proofs=None):
    """The sheet of the spec's matrix form (proving every equation unless proofs are given)."""
    proofs = prove(spec) if proofs is None else proofs
    title = title or title_of(spec)
    sheet = Sheet(title, [Heading(1, parts(title))], name)
    rows = layout_row(spec.layout).samples_in_rows
    weights = r"n_{k-1} \times n_k" if rows else r"n_k \times n_{k-1}"
    entry = r"(W^{k})_{ij} = w^{k}_{ij}" if rows else r"(W^{k})_{ji} = w^{k}_{ij}"
    sheet.add(Paragraph(parts(describe(spec), " A batch of ", Math("m"), " samples is laid out with ",
                              "one row per sample (the notes' layout)" if rows else
                              "one column per sample (as in Ng's course)", ": ", Math("W^{k}"), " has the shape ",
                              Math(weights), " with ", Math(entry), ", and each gradient ",
                              Math(r"\partial L / \partial M"), " has the shape of its matrix ", Math("M"), ".")))
    _shapes(sheet, spec)
    _layers(sheet, spec, proofs)
    _entry(sheet, spec)
    _proof(sheet, spec, proofs)
    return sheet


def _shapes(sheet, spec):
    sheet.add(Heading(2, parts("Shapes"), "shapes"))
    sheet.add(Table((parts("matrix"), parts("shape"), parts("what it holds")),
                    tuple((parts(Math(leaf.latex())), parts(Math(shape_text_tex(shape))), parts(*what))
                          for leaf, shape, what in shape_rows(spec, Math)), "lcl"))


def shape_text_tex(text):
    return text.replace("×", r" \times ")


def _layers(sheet, spec, proofs):
    env = shape_env(spec)
    by_equation = {str(p.equation): p for p in proofs}
    sheet.add(Heading(2, parts("The equations, layer by layer"), "equations"))
    sheet.add(Paragraph(parts(
        "Forward from the input, then backward from the output. ", Math(r"\odot"), " multiplies entry by entry, ",
        Math(r"\oslash"), " divides entry by entry, ", Math(r"\mathbf{1}"), " is the column of m ones, and ",
        Math(r"f_k'"), " is applied entry by entry. Each equation's shape is beside it; each is proven entry by "
        "entry (see the last section).")))
    current, block = None, []
    for e in equations(spec):
        if (e.layer, e.part) != current:
            if current is not None:
                _flush(sheet, block, env)
            current, block = (e.layer, e.part), []
            sheet.add(Heading(3, parts(f"Layer {e.layer}, {e.part}"), f"layer-{e.layer}-{e.part}"))
        p = by_equation[str(e)]
        block.append((e, shape_text(e.lhs.shape(env)), p))
    _flush(sheet, block, env)


def _flush(sheet, block, env):
    sheet.add(Display(tuple(rf"{e.lhs.latex()} &= {e.rhs.latex()}" for e, _, _ in block)))
    sheet.add(Table((parts("matrix"), parts("shape"), parts("proven")),
                    tuple((parts(Math(e.lhs.latex())), parts(Math(shape_text_tex(shape))),
                           parts(f"{p.entries} entries" if p.holds else "FAILS"))
                          for e, shape, p in block), "lcl"))


def _entry(sheet, spec):
    """δ_kj and its row: one entry of ∂L/∂O^k and ∂L/∂W^k, from the matrix product to the scalar chain rule."""
    k = max(1, spec.depth - 1)
    j = 1
    batch = Batch(spec, samples=SAMPLES)
    model = batch.model
    rows = batch.env.layout.samples_in_rows
    c = "" if spec.reduction == "sum" else r"\frac{1}{m} "
    sheet.add(Heading(2, parts("One entry, written out: ", Math(rf"\delta_{{{k}{j}}}"), " and its row"), "entry"))
    here = "row" if rows else "column"
    sheet.add(Paragraph(parts(
        "Sample s of the batch is ", f"{here} s", " of every batch matrix. Its ", here, " of ",
        Math(rf"\frac{{\partial L}}{{\partial O^{{{k}}}}}"), " holds that sample's δ's, the notes' ",
        Math(r"\delta_{kj} = \partial L / \partial O_{kj}"),
        " (times 1/m for a mean loss):" if spec.reduction == "mean" else ":")))
    separator = " & " if rows else r" \\ "
    deltas = separator.join(latex(model.delta[k][i]) for i in range(1, spec.layers[k] + 1))
    vector = rf"\begin{{pmatrix}} {deltas} \end{{pmatrix}}"
    index = "s,:" if rows else ":,s"
    sheet.add(Display((rf"\left(\frac{{\partial L}}{{\partial O^{{{k}}}}}\right)_{{{index}}} &= {c}{vector}"
                       r"\quad\text{of sample } s",)))
    if k < spec.depth:
        n_next = spec.layers[k + 1]
        G = rf"\left(\frac{{\partial L}}{{\partial Z^{{{k + 1}}}}}\right)"
        product = rf"\sum_{{q=1}}^{{{n_next}}} {G}_{{sq}} \left(W^{{{k + 1}}}\right)_{{{j}q}}" if rows else \
            rf"\sum_{{q=1}}^{{{n_next}}} \left(W^{{{k + 1}}}\right)_{{q{j}}} {G}_{{qs}}"
        entry = f"s{j}" if rows else f"{j}s"
        # the two factors' entries in a display of their own: inline, beside the product, they overran the line
        sheet.add(Paragraph(parts(
            "Its entry for neuron ", str(j), " comes from the matrix product ", Math(_equation_of(spec, "dO", k)),
            ", whose factors hold")))
        sheet.add(Display((rf"{G}_{{{'sq' if rows else 'qs'}}} &= {c}\delta_{{{k + 1}q}} f_{{{k + 1}}}'(z_{{{k + 1}q}})",
                           rf"\left(W^{{{k + 1}}}\right)_{{{j}q}} &= w^{{{k + 1}}}_{{{j}q}}" if rows else
                           rf"\left(W^{{{k + 1}}}\right)_{{q{j}}} &= w^{{{k + 1}}}_{{{j}q}}")))
        sheet.add(Paragraph(parts("so that")))
        lhs = rf"\left(\frac{{\partial L}}{{\partial O^{{{k}}}}}\right)_{{{entry}}}"
        general = rf"\sum_{{q=1}}^{{{n_next}}} \delta_{{{k + 1}q}} f_{{{k + 1}}}'(z_{{{k + 1}q}}) w^{{{k + 1}}}_{{{j}q}}"
        sheet.add(Display((f"{lhs} &= {product}", f"&= {c}{general}", f"&= {c}{latex(model.delta[k][j])}")))
        sheet.add(Paragraph(parts("where, with the local derivatives in place,")))
        sheet.add(Display(tuple(display_rows(latex(model.delta[k][j]), [delta_definition(model, k, j)]))))
        neurons = "the neuron" if n_next == 1 else f"the {n_next} neurons"
        sheet.add(Paragraph(parts("which is the notes' δ by the chain rule, summed over ", neurons, " of layer ",
                                  str(k + 1), " that ", Math(f"O_{{{k}{j}}}"), " feeds.")))
    param = Param.weight(k, 1, j)
    d = derive(spec, param, model)
    memo = d.memoized - model.regularization_derivative(param)
    O = "X" if k == 1 else f"O^{{{k - 1}}}"
    G = rf"\left(\frac{{\partial L}}{{\partial Z^{{{k}}}}}\right)"
    summed = rf"\sum_{{s=1}}^{{m}} \left({O}\right)_{{s1}} {G}_{{s{j}}}" if rows else \
        rf"\sum_{{s=1}}^{{m}} {G}_{{{j}s}} \left({O}\right)_{{1s}}"
    at = f"1{j}" if rows else f"{j}1"
    sheet.add(Paragraph(parts("The gradient of one weight is one entry of ", Math(_equation_of(spec, "dW", k)),
                              ": the δ form of ", Math(rf"\partial L / \partial {latex(model.symbols[param])}"),
                              " summed over the samples (", Math(r"[\,\cdot\,]_s"), ": the value at sample s).")))
    sheet.add(Display((
        rf"\left(\frac{{\partial L}}{{\partial W^{{{k}}}}}\right)_{{{at}}} &= {summed}",
        rf"&= \sum_{{s=1}}^{{m}} {c}\left[{latex(memo)}\right]_{{s}}"
        + (rf" + {latex(model.regularization_derivative(param))}" if spec.regularizer.present else ""),
    )))


def layer_part(sheet, spec, k):
    """The matrix sheet's part for layer k (a worked solution's): the shapes of its matrices and its equations,
    forward and backward, each with its shape."""
    env = shape_env(spec)
    names = [Leaf("X") if k == 1 else Leaf("O", k - 1), Leaf("W", k), Leaf("Z", k), Leaf("O", k)]
    sheet.add(Paragraph(parts("The shapes: ", *[item for n, leaf in enumerate(names) for item in
                                                ([", "] if n else []) + [Math(rf"{leaf.latex()}: "
                                                 rf"{shape_text_tex(shape_text(leaf.shape(env)))}")]],
                              ". The layer's equations (forward, then backward):")))
    mine = [e for e in equations(spec) if e.layer == k]
    sheet.add(Display(tuple(rf"{e.lhs.latex()} &= {e.rhs.latex()}" for e in mine)))


def _equation_of(spec, kind, k):
    return next(e.latex() for e in equations(spec) if e.lhs == Leaf(kind, k))


def _proof(sheet, spec, proofs):
    sheet.add(Heading(2, parts("Proof, entry by entry"), "proof"))
    count = sum(p.entries for p in proofs)
    symbolic = len(spec.parameters()) <= NOTES_SIZE
    how = ("sympy expands the difference of every entry to 0" if symbolic else
           "the difference of every entry is evaluated exactly at random rational values of every symbol "
           f"(the network has more than the notes' {NOTES_SIZE} parameters)")
    verdict = "every entry equals the scalar chain rule's" if all(p.holds for p in proofs) else \
        f"{sum(not p.holds for p in proofs)} equations FAIL"
    sheet.add(Paragraph(parts(
        f"For a batch of {SAMPLES} samples, every scalar of each sample (", Math("x, y, O, z, \\delta"),
        ") is its own symbol and the weights are shared. Each equation's right-hand side is computed as a matrix of "
        "those symbols, and every entry is compared with the scalar derivation's form of that entry (",
        Math("z_{kj}"), ", ", Math("f_k(z_{kj})"), ", ", Math("\\delta_{kj} f_k'(z_{kj})"),
        ", the δ form of each weight's gradient summed over the samples), itself proven equal to sympy.diff of the "
        f"loss: {how}. {len(proofs)} equations, {count} entries: {verdict}. The same equations, run with numpy, are ",
        Code("gradproof check"), "'s matrix row.")))

