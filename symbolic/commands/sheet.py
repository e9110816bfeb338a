"""Write a worked derivation sheet: the network drawn with the chosen parameter's paths highlighted, the
definitions, and per parameter its paths, the chain rule summed over the paths, each local derivative,
the closed form and the memoized delta form; with --at the value of every factor, the gradient beside
backprop and central differences, and the update w - eta dL/dw; and what memoization saves.

The format comes from --format, else from the suffix of -o (.tex, .pdf, .html, .md); without -o a
text format goes to standard output. Markdown writes the network's SVG beside the .md file. PDF needs
pdflatex (Debian: texlive-latex-base, texlive-latex-recommended, texlive-pictures).

Examples:
  gradproof sheet --at derivations/notes-point.json -o notes.html
  gradproof sheet --at derivations/notes-point.json -o notes.pdf
  gradproof sheet derivations/chain-tanh.toml --param w^1_11 --at derivations/chain-point.json --format md -o chain.md
  gradproof sheet --regenerate derivations          every sheet listed in derivations/sheets.toml
  gradproof sheet --claims -o claims.html            the notes' claims, measured, and their slips, corrected
  gradproof sheet --matrix -o matrix.html            the layer equations over a batch, with shapes, proven
  gradproof sheet --matrix --layout columns --net 3-4-4-2 --bias -o matrix.pdf
  gradproof sheet --regenerate derivations -o sheets    the same into the folder sheets (made if missing)
"""
import sys

HELP = "write a worked derivation sheet (LaTeX, PDF, HTML or Markdown)"


def add_arguments(parser):
    from ..cli import add_spec_arguments
    add_spec_arguments(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--param", nargs="+", metavar="NAME",
                       help="only these parameters (w^1_11, w^{1}_{11}, w1_11, b^2_1); default: all")
    which.add_argument("--all", action="store_true", help="every parameter (the default)")
    parser.add_argument("--at", metavar="POINT", help="a POINT file (JSON or TOML): adds every number and the update")
    parser.add_argument("--lr", type=float, metavar="η", default=None,
                        help="learning rate of the update w - η dL/dw shown with --at (default 0.1)")
    from ..sheet import FORMATS
    parser.add_argument("--format", choices=tuple(FORMATS), help="default: from the suffix of -o")
    parser.add_argument("-o", "--output", metavar="FILE", help="the file to write (default: standard output)")
    parser.add_argument("--title", help="the sheet's title")
    parser.add_argument("--claims", action="store_true",
                        help="the sheet of the course notes' claims, measured, and of their slips, corrected; "
                             "prints GD, SGD and mini-batch timings (which the sheet leaves out)")
    parser.add_argument("--matrix", action="store_true",
                        help="the matrix-form sheet: the shapes, each layer's forward and backward equations over a "
                             "batch (in the spec's --layout), each proven entry by entry, and one entry written out")
    parser.add_argument("--regenerate", metavar="DIR",
                        help="generate every sheet listed in DIR/sheets.toml (into -o DIR2 if given, made if "
                             "missing; else DIR)")


def run(args):
    from pathlib import Path

    from gradproof.numeric.errors import GradproofError

    from ..cli import wrote

    if args.regenerate:
        from ..sheet import manifest
        for path in manifest.regenerate(args.regenerate, args.output):
            wrote(path)
        return 0

    from gradproof.numeric.notation import parse_param
    from gradproof.numeric.point import load_point

    from ..cli import spec_from_args
    from ..output import write_output
    from ..sheet import FORMATS, content, files, format_of

    if args.matrix and (args.claims or args.at or args.param or args.lr is not None):
        raise GradproofError("--matrix makes the matrix-form sheet, which takes no --claims, --at, --param or --lr")
    if args.claims and (args.at or args.param or args.lr is not None):
        raise GradproofError("--claims makes the claims sheet, which takes no --at, --param or --lr")

    fmt = args.format or (format_of(args.output) if args.output else None)
    if fmt is None:
        if args.output:
            raise GradproofError(f"cannot tell the format from {args.output!r}: give --format "
                                 f"{', '.join(FORMATS)} or a file ending in one of them")
        fmt = "html"
    if args.output is None and not FORMATS[fmt].text:
        raise GradproofError(f"--format {fmt} writes files: give -o FILE")
    lr = content.DEFAULT_LR if args.lr is None else args.lr
    if not (lr > 0 and lr != float("inf")):
        raise GradproofError(f"--lr must be a finite number > 0; got {args.lr!r}")
    spec = spec_from_args(args)
    params = [spec.check_param(parse_param(name)) for name in args.param] if args.param else None
    point = load_point(args.at, spec) if args.at else None
    target = Path(args.output) if args.output else None
    name = target.stem if target is not None else "sheet"
    if args.matrix:
        from ..matrix import sheet as matrix_sheet
        sheet = matrix_sheet.build(spec, title=args.title, name=name)
    elif args.claims:
        from ..claims import sheet as claims_sheet
        sheet = claims_sheet.build(name=name, title=args.title or claims_sheet.TITLE)
    else:
        sheet = content.build(spec, params, point, lr, title=args.title, name=name)
    out = files(sheet, fmt)
    if target is None:
        sys.stdout.write(out[f"{name}.{fmt}"])
    else:
        for file_name, data in out.items():
            path = target if file_name == f"{name}.{fmt}" else target.with_name(file_name)
            write_output(data, path)
            wrote(path)
    if args.claims:
        _timings(sys.stderr if target is None else sys.stdout)
    return 0


def _timings(stream):
    """GD, mini-batch and SGD per second: wall-clock figures, printed because they cannot go into the sheet."""
    from ..claims.measure import DESCENT, timings

    print(f"GD, mini-batch and SGD per second ({DESCENT['data']}, {DESCENT['epochs']} epochs, lr {DESCENT['lr']:g}, "
          "best of 3 runs; these vary from run to run):", file=stream)
    rows = timings()
    gd = rows[0]
    for name, per_epoch, loss, target, epochs, seconds in rows:
        print(f"  {name:>10}: {per_epoch * 1e3:8.3f} ms per epoch ({per_epoch / gd[1]:5.1f}x GD's), final loss "
              f"{loss:.4g}; reaches {target:.4g} (GD's final loss) after {epochs} epoch{'s' * (epochs != 1)}, "
              f"{seconds * 1e3:.1f} ms ({seconds / gd[5]:.2f}x GD's time)", file=stream)
