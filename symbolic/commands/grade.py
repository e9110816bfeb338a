"""Grade a student's answer for dL/dw^k_ij (the notes' notation, in any voice): correct, incorrect (with the
likely mistake and a point where the answer fails) or invalid (with what could not be read, and where).

The answer may be typed in LaTeX (by hand, or as MathQuill, MathLive, Desmos and Word write it), Python or
Maxima (2*(O31-y)*O31*(1-O31)*O21), AsciiMath (O_(31), sigma'(z_(31))), Word's linear format ((∂L)/(∂O_31),
〖σ〗^′) or phone text (2(ŷ – y)·ŷ(1 – ŷ)·O₂₁, 4.588·10⁻⁴); the voice is recognized from the answer itself. It
may use numbers, x_1, y, ŷ, O_kj, z_kj, δ_kj, w^k_ij, b^k_j, λ, η, + - * / ^, juxtaposition, brackets, σ, σ',
tanh, exp, ln, sqrt, max(0, .), ReLU, H(z), 𝟙[z > 0], f(z_kj), f'(z_kj), Leibniz partials ∂A/∂B (or dA/dB),
sums \\sum_{j=1}^{2}, and decoration ($...$, \\boxed{}, a full stop); a chain dL/dw = A = B needs every side
right. The message ends with the answer as it was read.
A number is compared with the gradient at --at POINT. Exit status: 0 correct, 1 incorrect, 2 invalid.

With --batch, a CSV with columns id,param,answer (param: w^k_ij, b^k_j, or a matrix W^k, b^k, Z^k, O^k as
below) is graded on every core; results id,param,verdict,
diagnosis,message go to -o (CSV, or JSON by the suffix .json) or to standard output. A row that cannot be
graded gets its own invalid result; CSV cells that a spreadsheet would read as formulas start with '.

With --key DIR/key.json (from `gradproof exercise`), --batch reads rows id,variant,question,answer
(question: a blank id of the key) and grades each at its own variant's point; results id,variant,question,
score,max_score,verdict,diagnosis,feedback (Markdown),counted go to -o; --totals writes each student's total
and one column per question, --report a class report (one HTML page); --roster roster.csv (id,variant)
names each student's variant. The key's [grading] rules score every output alike (see the README's
Homework section). With --answer, --points P adds the
score (P when correct, else 0) and max_score (P, or 0 when the answer is not gradable).

With --param W^k, b^k, Z^k or O^k the answer is a matrix expression for ∂L/∂W^k (∂L/∂b^k, ∂L/∂Z^k, ∂L/∂O^k)
over a batch, in the spec's --layout: W^k, O^k (A^k), Z^k, b^k, X, Y, Ŷ, δ^k (= ∂L/∂O^k), dZ^k (G^k, ∂L/∂Z^k),
1 (the ones vector), ᵀ (^T, ^\\top, '), ⊙ (\\odot, \\circ, *), the matrix product (juxtaposition, @, \\cdot),
f'(Z^k), σ'(Z^k), \\frac{1}{m}, \\sum_i; see the README's The matrix form.

Examples:
  gradproof grade --param w^3_11 --answer '-2(y-\\hat{y})\\hat{y}(1-\\hat{y}) O_{21}'
  gradproof grade --param w^1_11 --answer '0.0123' --at point.json --json
  gradproof grade --param W^2 --answer '(O^{1})^T (\\delta^{2} \\odot \\sigma'"'"'(Z^{2}))'
  gradproof grade spec.toml --batch answers.csv -o results.csv
  gradproof grade --key hw1/key.json --batch answers.csv -o scores.csv --totals totals.csv --report report.html
"""
import json
import sys

HELP = "grade an answer for dL/dw, in any voice (or a CSV of answers): correct, incorrect with a diagnosis, or invalid"


def add_arguments(parser):
    from ..cli import add_spec_arguments
    add_spec_arguments(parser)
    parser.add_argument("--param", metavar="NAME", help="the parameter asked about, e.g. w^1_11 (with --batch: "
                                                        "for rows whose param is empty)")
    parser.add_argument("--answer", metavar="ANSWER", help="the answer: LaTeX, Python, AsciiMath, UnicodeMath or phone text")
    parser.add_argument("--at", metavar="POINT", help="a POINT file: a numeric answer is compared with the gradient there")
    parser.add_argument("--rtol", type=float, default=1e-3, metavar="R",
                        help="relative tolerance for a numeric answer (default 1e-3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--batch", metavar="CSV", help="grade every row of a CSV with columns id,param,answer")
    parser.add_argument("-o", "--output", metavar="FILE", help="with --batch: write the results here, as .csv or .json (by the suffix)")
    parser.add_argument("--jobs", type=int, metavar="N", help="with --batch: worker processes (default: every core)")
    parser.add_argument("--key", metavar="KEY.json", help="with --batch: an exercise key; rows id,variant,question,answer")
    parser.add_argument("--totals", metavar="CSV", help="with --key: each student's total score here")
    parser.add_argument("--report", metavar="HTML", help="with --key: the class report here (one HTML page)")
    parser.add_argument("--roster", metavar="CSV", help="with --key: each student's variant (columns id,variant)")
    parser.add_argument("--points", type=float, metavar="P", help="with --answer: report score and max_score out of P")
    _json_usage_errors(parser)


def _json_usage_errors(parser):
    """With --json among the arguments, an argparse usage error (--jobs x) is JSON on stdout as well."""
    parse, error = parser.parse_known_args, parser.error
    wanted = {"json": False}

    def parse_known_args(args=None, namespace=None):
        wanted["json"] = "--json" in (args or [])
        return parse(args, namespace)

    def json_error(message):
        if wanted["json"]:
            print(as_json({"error": message, "exit_status": 2}))
        error(message)

    parser.parse_known_args, parser.error = parse_known_args, json_error


def run(args):
    from gradproof.numeric.errors import GradproofError
    try:
        return _run(args)
    except GradproofError as error:
        if not args.json:
            raise
        # a program reading --json gets JSON even for a usage error (and the person, the line on stderr)
        print(as_json({"error": str(error), "exit_status": 2}))
        from gradproof.numeric.batch import terminal_safe
        print(f"gradproof grade: error: {terminal_safe(error)}", file=sys.stderr)
        return 2


def as_json(data):
    """JSON whose text is escaped: non-ASCII, control characters and markup (< > &) as \\u escapes."""
    text = json.dumps(data, indent=1, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


RESULT_FORMATS = ("csv", "json")          # what -o writes: its suffix chooses


def _run(args):
    from gradproof.numeric.errors import GradproofError
    from gradproof.numeric.notation import parse_param
    from gradproof.numeric.point import load_point

    from ..cli import spec_from_args

    if args.output is not None and args.output.lower().rsplit(".", 1)[-1] not in RESULT_FORMATS:
        raise GradproofError(f"-o {args.output}: the results are written as CSV or JSON; give a file ending in "
                             f"{' or '.join('.' + f for f in RESULT_FORMATS)}")
    if args.key is not None or args.totals or args.report or args.roster:
        return _keyed(args)
    spec = spec_from_args(args)
    if (args.answer is None) == (args.batch is None):
        raise GradproofError("give either --answer LATEX (with --param) or --batch answers.csv")
    if not (args.rtol > 0 and args.rtol < 1):
        raise GradproofError(f"--rtol must lie between 0 and 1; got {args.rtol:g}")
    if args.jobs is not None and args.jobs < 1:
        raise GradproofError(f"--jobs must be at least 1; got {args.jobs}")
    at = load_point(args.at, spec) if args.at else None
    if args.batch is not None:
        return _batch(spec, args, at)
    if args.output or args.jobs:
        raise GradproofError("-o and --jobs go with --batch")
    if args.param is None:
        raise GradproofError("--answer needs --param NAME (the parameter asked about, e.g. w^1_11)")
    from ..matrix.targets import matrix_target
    if matrix_target(args.param, spec) is not None:     # W^2, b^2, Z^2, O^1: a matrix answer
        return _matrix(spec, args)
    param = spec.check_param(parse_param(args.param))

    from ..grade import Grader
    result = Grader(spec).grade(param, args.answer, at, args.rtol)
    data = _scored(result, args.points)
    text = _text(result) + (f"\n  score:      {data['score']:g} of {data['max_score']:g}" if "score" in data else "")
    print(as_json(data) if args.json else text)
    return result.exit_code


def _scored(result, points):
    """The result's JSON, with score and max_score out of --points when given."""
    from gradproof.numeric.errors import GradproofError
    data = result.to_json()
    if points is not None:
        if not (points > 0 and points != float("inf")):
            raise GradproofError(f"--points must be a finite number > 0; got {points:g}")
        data["max_score"] = 0.0 if result.verdict == "invalid" else points
        data["score"] = points if result.correct else 0.0
    return data


def _matrix(spec, args):
    from gradproof.numeric.batch import terminal_safe
    from gradproof.numeric.errors import GradproofError

    from ..matrix.grade import MatrixGrader
    if args.at:
        raise GradproofError("--at goes with a scalar parameter (w^k_ij); a matrix answer is checked on random batches")
    result = MatrixGrader(spec).grade(args.param, args.answer)
    data = _scored(result, args.points)
    if args.json:
        print(as_json(data))
        return result.exit_code
    lines = [f"∂L/∂{result.param}: {result.verdict}"]
    if result.read_as is not None:
        lines.append(f"  read as:    {result.read_as}" + (f"   ({result.shape})" if result.shape else ""))
    lines.append(f"  {result.message}")
    if result.diagnosis:
        lines.append(f"  diagnosis:  {', '.join(result.diagnosis)}")
    c = result.counterexample
    if c is not None:
        lines.append(f"  entry {tuple(c['entry'])} at a random batch: expected {c['expected']:.12g}, got {c['got']:.12g}")
    if "score" in data:
        lines.append(f"  score:      {data['score']:g} of {data['max_score']:g}")
    print(terminal_safe("\n".join(lines)))
    return result.exit_code


def _keyed(args):
    """--key: grade rows id,variant,question,answer against an exercise key; results, totals, report."""
    import time

    from gradproof.numeric.batch import json_text
    from gradproof.numeric.errors import GradproofError

    from ..cli import wrote
    from ..exercise import batch
    from ..output import write_output

    if args.key is None:
        raise GradproofError("--totals, --report and --roster go with --key KEY.json")
    if args.batch is None:
        raise GradproofError("--key goes with --batch answers.csv (rows id,variant,question,answer)")
    if args.answer is not None or args.param or args.at or args.points is not None:
        raise GradproofError("with --key the key gives the questions and points: --param, --answer, --at and "
                             "--points do not apply")
    if args.jobs is not None and args.jobs < 1:
        raise GradproofError(f"--jobs must be at least 1; got {args.jobs}")
    grader = batch.KeyGrader.from_file(args.key)
    rows = batch.read_rows(args.batch)
    roster = batch.read_roster(args.roster) if args.roster else None
    start = time.perf_counter()
    results, totals = batch.score(grader, rows, batch.grade_rows(grader, rows, args.jobs, progress="answers"), roster)
    seconds = time.perf_counter() - start
    outputs = {}
    want_json = args.json or (args.output and args.output.lower().endswith(".json"))
    outputs[args.output] = json_text(batch.to_json(results)) if want_json else batch.to_csv(results)
    if args.totals:
        outputs[args.totals] = batch.totals_csv(grader, totals)
    if args.report:
        from ..exercise import report
        outputs[args.report] = report.render(report.build(grader, results, totals))
    for path, text in outputs.items():
        if path is None:
            sys.stdout.write(text)
        else:
            write_output(text, path)
            wrote(path)
    counts = {v: sum(1 for r in results if r.verdict == v) for v in ("correct", "incorrect", "invalid")}
    print(f"graded {len(results)} answers in {seconds:.1f} s: {counts['correct']} correct, "
          f"{counts['incorrect']} incorrect, {counts['invalid']} invalid", file=sys.stderr)
    return 0


def _text(result):
    from gradproof.numeric.batch import terminal_safe
    lines = [f"∂L/∂{result.param}: {result.verdict}"]
    if result.parsed_latex is not None:
        lines.append(f"  read as:    {result.parsed_latex}")
    lines.append(f"  {result.message}")
    if result.diagnosis:
        lines.append(f"  diagnosis:  {', '.join(result.diagnosis)}")
    c = result.counterexample
    if c is not None:
        point = c["point"]
        flat = all(isinstance(v, float) for v in point.values())
        where = ", ".join(f"{k} = {v:.6g}" for k, v in point.items()) if flat else "the --at POINT"
        got = "undefined" if c["got"] is None else f"{c['got']:.12g}"
        lines.append(f"  counterexample: at {where}")
        lines.append(f"                  expected {c['expected']:.12g}, got {got}")
    return terminal_safe("\n".join(lines))


def _batch(spec, args, at):
    import time

    from gradproof.numeric.batch import json_text

    from ..cli import wrote
    from ..grade.batch import grade_rows, read_answers, to_csv, to_json
    from ..output import write_output

    rows = read_answers(args.batch, args.param)
    start = time.perf_counter()
    results = grade_rows(spec, rows, at, args.rtol, args.jobs, progress="answers", dedupe=True)
    seconds = time.perf_counter() - start
    want_json = args.json or (args.output and args.output.lower().endswith(".json"))
    if args.output:
        write_output(json_text(to_json(results)) if want_json else to_csv(results), args.output)
        wrote(args.output)
    else:
        sys.stdout.write(json_text(to_json(results)) if want_json else to_csv(results, terminal=True))
    counts = {v: sum(1 for r in results if r["verdict"] == v) for v in ("correct", "incorrect", "invalid")}
    print(f"graded {len(results)} answers in {seconds:.1f} s: {counts['correct']} correct, "
          f"{counts['incorrect']} incorrect, {counts['invalid']} invalid", file=sys.stderr)
    return 0
