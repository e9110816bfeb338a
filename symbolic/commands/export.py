"""Export a folder written by 'gradproof exercise' to a course platform, one variant per student, with the
answer key, partial credit and feedback:

  moodle        a folder: questions-N.xml (one question category per variant, each file under 1.5 MB: PHP's
                default upload limit is 2 MB) and groups.csv (one group per variant); a numerical question
                per value (each diagnosed mistake a further answer with its share and tolerance), a cloze
                question for several values, an essay question for an expression
  canvas        canvas-qti.zip: QTI 1.2, one quiz per variant to assign to its students; each value a
                numerical question asked in units that survive Canvas's 4-decimal rounding
  prairielearn  a folder with questions/, assessments/ and serverFilesCourse/ (gradproof and lark): the
                variant comes from the student's UID (or the roster), so every question shows one network
  gradescope    gradescope-autograder.zip: setup.sh (a virtual environment), run_autograder, the key; students
                submit answers.json or answers.csv (question,answer); the roster (email) names variants

--roster CSV (id,variant) gives each student's variant: the UID on PrairieLearn, the email on Gradescope.
Without -o the export is written into DIR under the name above.

Examples:
  gradproof export homework --to moodle
  gradproof export homework --to prairielearn --roster roster.csv
  gradproof export homework --to gradescope --roster roster.csv --code backprop.py -o autograder.zip
"""

HELP = "export an exercise folder to Moodle, Canvas, PrairieLearn or Gradescope"


def add_arguments(parser):
    from ..export import PLATFORMS
    parser.add_argument("folder", metavar="DIR", help="a folder written by 'gradproof exercise'")
    parser.add_argument("--to", required=True, metavar="PLATFORM", help="one of: " + ", ".join(PLATFORMS))
    parser.add_argument("-o", "--output", metavar="OUT", help="the file (or folder, for prairielearn) to write")
    parser.add_argument("--roster", metavar="CSV",
                        help="id,variant: each student's variant (gradescope: the email; prairielearn: the UID)")
    parser.add_argument("--code", metavar="FILE",
                        help="gradescope: the file name under which students submit their own backward(W, b, x, y)")


def run(args):
    import sys

    from ..export import export
    options = {k: v for k, v in (("roster", args.roster), ("code", args.code)) if v}
    path = export(args.folder, args.to, args.output, **options)
    print(f"wrote {path}", file=sys.stderr)
    return 0
