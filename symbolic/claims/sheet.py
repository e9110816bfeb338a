"""The claims sheet: the notes' claims with their measurements and verdicts, then the notes' slips with the
correct forms, as document blocks for the sheet renderers (HTML, Markdown, LaTeX)."""
from ..sheet.document import (
    Code,
    Display,
    Heading,
    Math,
    Note,
    Paragraph,
    Sheet,
    Table,
    parts,
)

TITLE = "The course notes' claims, measured"
INTRO = ("Every quantitative claim of the course notes, beside the gradproof command that measures it, what it "
         "measured and a verdict: pass when the measurement bears the claim out, fail when it does not. Then the "
         "notes' slips: formulas that are wrong as written, each with the correct form, its derivation, the proof "
         "and a measurement that tells the two apart. Every figure comes from fixed data and fixed seeds, so this "
         "sheet regenerates byte for byte (")
COMMANDS = ("gradproof sheet --claims -o claims.html", "gradproof sheet --regenerate derivations")


def build(claims=None, slips=None, name="claims", title=TITLE):
    """The sheet (measuring every claim and slip unless given)."""
    from . import measure
    from . import slips as slip_module

    claims = measure.measure_all() if claims is None else claims
    slips = slip_module.measure_all() if slips is None else slips
    sheet = Sheet(title, [Heading(1, parts(title))], name)
    sheet.add(Paragraph(parts(INTRO, Code(COMMANDS[0]), ", or ", Code(COMMANDS[1]), ").")))
    _claims(sheet, claims)
    _slips(sheet, slips)
    return sheet


def _claims(sheet, claims):
    sheet.add(Heading(2, parts("The claims"), "claims"))
    passed = sum(c.holds for c in claims)
    sheet.add(Paragraph(parts(f"{len(claims)} claims measured: {passed} pass, {len(claims) - passed} fail.")))
    sheet.add(Table((parts("claim"), parts("verdict")),
                    tuple((_label(n, c.key), parts(c.verdict)) for n, c in enumerate(claims, 1)), "lc"))
    for n, c in enumerate(claims, 1):
        sheet.add(Heading(3, _label(n, c.key), f"claim-{c.key}"))
        sheet.add(Paragraph(parts("The notes (", c.where, "): ", *c.says)))
        sheet.add(Paragraph(parts("Measured by: ", Code(c.command))))
        sheet.add(Paragraph(parts("Measured: ", *c.measured)))
        sheet.add(Paragraph(parts(f"Verdict: {c.verdict}.")))
    sheet.add(Note(parts("GD, SGD and mini-batch per second: ", Code("gradproof sheet --claims"), " times the three "
                         "runs of the descent claim and prints the time per epoch of each and the time each takes to reach GD's "
                         "final loss. Timings change from run to run and machine to machine, so they are printed, not "
                         "written into the sheet.")))


LABELS = {
    "sigmoid_slope": parts(Math(r"\sigma' \le \tfrac14"), ", largest at ", Math("z = 0")),
    "tanh_slope": parts(Math(r"\tanh' \le 1")),
    "chain_bound": parts("a chain of n sigmoid units: ", Math(r"|\partial O_n/\partial x| \le (\tfrac14)^n \prod |w_k|")),
    "two_paths": parts(Math("w^1_{11}"), " has two paths"),
    "memoization": parts("memoization saves multiplications"),
    "descent": parts("GD, SGD and mini-batch on the same data"),
    "l1_zeros": parts("L1 gives exact zeros, L2 does not"),
    "bias_variance": parts("a larger λ: less variance, more bias (a U)"),
    "depth_bias": parts("one layer under-fits"),
    "depth_variance": parts("more layers over-fit more"),
    "sum_for_product": parts("a '+' where the chain rule multiplies"),
    "outer_factor": parts(Math(r"\partial h/\partial h"), " where ", Math(r"\partial K/\partial h"), " belongs"),
    "weight_shapes": parts("the shapes of the weight matrices"),
    "w2_reach": parts("what ", Math("w^2_{11}"), " changes"),
    "plus_for_times": parts(Math(r"\sigma'(z_2) + w_2"), " where ", Math(r"\sigma'(z_2)\cdot w_2"), " belongs"),
    "chain_zero": parts("the chain's ", Math("o_4"), ", and its product called 0"),
    "path_range": parts("path products said to lie in ", Math("[0, 1)")),
    "exploding_cause": parts("what makes a gradient explode"),
    "missing_lambda": parts("the penalty written without λ"),
}


def _label(n, key):
    """'n. ' and the claim's or slip's short name, as inline content."""
    return parts(f"{n}. ", *LABELS.get(key, (key.replace("_", " "),)))


def _slips(sheet, slips):
    sheet.add(Heading(2, parts("The notes' slips"), "slips"))
    sheet.add(Paragraph(parts(
        f"{len(slips)} formulas of the notes are wrong as written. For each: the notes' form (verdict fail: the "
        "measurement tells it apart from the truth), the correct form (verdict pass: derived and proven)."),))
    sheet.add(Table((parts("slip"), parts("notes' form"), parts("correct form")),
                    tuple((_label(n, s.key), parts("holds" if s.notes_hold else "fail"),
                           parts("proven" if s.proven else "NOT PROVEN")) for n, s in enumerate(slips, 1)), "lcc"))
    for n, s in enumerate(slips, 1):
        sheet.add(Heading(3, _label(n, s.key), f"slip-{s.key}"))
        sheet.add(Paragraph(parts(f"The notes ({s.where}) write:")))
        sheet.add(Display((f"& {s.notes}",)))
        sheet.add(Paragraph(parts("Correct:")))
        sheet.add(Display((f"& {s.correct}",)))
        sheet.add(Paragraph(parts("Derivation:")))
        sheet.add(Display(s.derivation))
        sheet.add(Paragraph(parts("Proof and measurement: ", *s.evidence)))
        sheet.add(Paragraph(parts("Shown by: ", Code(s.command))))
        sheet.add(Paragraph(parts(f"Verdict: the notes' form {'holds' if s.notes_hold else 'fails'}; the correct "
                                  f"form is {'proven' if s.proven else 'NOT proven'}.")))

