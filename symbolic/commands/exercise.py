"""Draw seeded exercise variants from an assignment file, with their answer key and worked solutions.

The assignment (TOML) gives a title, a seed, the number of variants, the questions (kinds:
expression, gradient, step, paths, flow, matrix) and the shares of partial credit per diagnosed mistake; the
network comes from its own [network] table or the spec flags. Each variant gets its own point in
round numbers (poor draws rejected: saturated sigmoids, vanishing gradients, ReLU inputs near the
kink, and any draw where a common mistake's value would pass for the answer) and a stable id.

DIR receives key.json, questions.html/.pdf and solutions.html/.pdf (one variant per page) and
variants/<id>/ with question and solution as HTML, PDF and Markdown. Same inputs, same bytes.

Examples:
  gradproof exercise homework.toml -o hw1
  gradproof exercise homework.toml -o hw1 --no-pdf
  gradproof grade --key hw1/key.json --batch answers.csv -o scores.csv --totals totals.csv --report report.html
"""
import sys
import time

HELP = "draw seeded exercise variants: questions, answer key and worked solutions"


def add_arguments(parser):
    from ..cli import add_spec_arguments
    add_spec_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write")
    parser.add_argument("--no-pdf", action="store_true", help="HTML and Markdown only (no pdflatex)")
    parser.add_argument("--jobs", type=int, metavar="N", help="worker processes for the pages (default: every core)")


def run(args):
    from gradproof.numeric.errors import GradproofError

    from ..cli import spec_from_args
    from ..exercise import assignment as assignment_file
    from ..exercise import generate, output

    if args.spec is None:
        raise GradproofError("give the assignment file: gradproof exercise ASSIGNMENT.toml -o DIR")
    if args.jobs is not None and args.jobs < 1:
        raise GradproofError(f"--jobs must be at least 1; got {args.jobs}")
    path = args.spec
    flags = [f for f in ("net", "act", "bias", "loss", "reduction", "reg", "lam") if getattr(args, f) is not None]
    spec = None
    if flags:
        from gradproof.numeric.spec import Spec
        base = Spec.from_mapping(assignment_file.spec_tables(path), source=path)
        spec = spec_from_args(args, base=base)
    start = time.perf_counter()
    task = assignment_file.load(path, spec)
    ctx = generate.Context(task)
    variants = generate.variants(task, ctx)
    warnings = output.write(task, ctx, variants, args.output, pdf=not args.no_pdf, jobs=args.jobs)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"{len(variants)} variants of {len(task.questions)} questions written to {args.output} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0
