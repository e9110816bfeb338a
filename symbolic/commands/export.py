"""Export a folder written by 'gradproof exercise' to a course platform, with its variants, answer key,
partial credit and feedback:

  moodle        moodle.xml: a category per question, a numerical question per variant (the diagnosed
                mistakes as further answers with their share of the points and feedback naming them),
                a cloze question for several values, an essay question for an expression (the key in
                the grader information: Moodle cannot grade an expression)
  canvas        canvas-qti.zip: QTI 1.2, a question group ("pick 1") of the variants per question and value
                (numerical, exact ± margin; an expression is an essay question)
  prairielearn  a folder with questions/ (info.json, question.html, server.py grading with gradproof)
                and serverFilesCourse/ (gradproof and lark, which the question runtime lacks): copy both
                into the course repository
  gradescope    gradescope-autograder.zip: setup.sh, run_autograder, the key; students submit
                answers.json or answers.csv (question,answer); --roster student,variant names variants

Without -o the export is written into DIR under the name above.

Examples:
  gradproof export homework --to moodle
  gradproof export homework --to gradescope --roster roster.csv -o autograder.zip
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
