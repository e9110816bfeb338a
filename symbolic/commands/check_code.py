"""Check a student's numpy backprop code: run backward(W, b, x, y) -> (dW, db) in a separate, limited process
on random points (batches of 1 and more samples; a network with no square weight matrix too), compare every
layer's dW and db with backprop, and name the mistake when the arrays are those of a known one.

Contract: W[k-1] is the n_(k-1) x n_k weight matrix of layer k, b[k-1] its n_k biases (None without
biases; db is then not checked), x is N x n_0, y is N x n_L; dW and db are lists shaped like W and b.
Exit status: 0 the code is right, 1 it is wrong or fails (an exception, a time-out, the memory limit, a
wrong return type), 2 bad input (no such file or function, a bad spec).

With --batch DIR, every .py file of DIR is checked on every core; one row per file (file, verdict, score,
max_score, diagnosis, refused, ...) goes to -o (CSV, or JSON by the suffix .json) or to standard output.
The batch exits 0 when every file was checked, whatever the verdicts, and 1 when the checker itself could
not run some of them (their verdict is not_checked).

Examples:
  gradproof check-code student.py
  gradproof check-code student.py hw3.toml --points 6 --seed 1 --json
  gradproof check-code --batch submissions/ hw3.toml --max-score 10 -o results.csv
"""
import json
import sys

HELP = "check a student's numpy backward(W, b, x, y) layer by layer, and name the mistake"


def add_arguments(parser):
    from ..cli import add_spec_arguments
    _intermixed(parser)
    parser.add_argument("student", nargs="?", metavar="STUDENT.py", help="the student's file")
    add_spec_arguments(parser)
    parser.add_argument("--function", default="backward", metavar="NAME", help="the function to check (default backward)")
    parser.add_argument("--check-forward", nargs="?", const="forward", metavar="NAME",
                        help="also check forward(W, b, x) -> the output (or every layer's output)")
    parser.add_argument("--check-loss", nargs="?", const="loss", metavar="NAME",
                        help="also check loss(W, b, x, y) -> L")
    parser.add_argument("--points", type=int, default=4, metavar="N", help="random points on the network (default 4)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the random points (default 0)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="wall-clock and CPU limit per submission (default 10)")
    parser.add_argument("--memory", type=int, default=1024, metavar="MB", help="memory limit per submission (default 1024)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--batch", metavar="DIR", help="check every .py file in DIR")
    parser.add_argument("-o", "--output", metavar="FILE", help="with --batch: write results.csv or results.json here")
    parser.add_argument("--jobs", type=int, metavar="N", help="with --batch: submissions checked at once (default: every core)")
    parser.add_argument("--max-score", type=float, metavar="M",
                        help="what code with every layer right scores; the score is M times the share of the per-layer "
                             "tests passed (default: one point per test)")


def _intermixed(parser):
    """Let the two positionals (STUDENT.py, SPEC.toml) sit on either side of options, as in
    `check-code student.py --function backward hw3.toml`: argparse's ordinary parse takes both positionals
    from the first run of them, its intermixed parse does not."""
    base = type(parser)

    class Intermixed(base):
        def parse_known_args(self, args=None, namespace=None):
            if getattr(self, "_inside", False):
                return base.parse_known_args(self, args, namespace)
            self._inside = True
            try:
                return self.parse_known_intermixed_args(args, namespace)
            finally:
                self._inside = False

    parser.__class__ = Intermixed


def run(args):
    from gradproof.numeric.codecheck.sandbox import Limits
    from gradproof.numeric.errors import GradproofError

    from ..cli import spec_from_args

    if args.batch and args.student and not args.spec:
        args.spec, args.student = args.student, None          # check-code --batch DIR SPEC.toml
    spec = spec_from_args(args)
    if not 0 < args.timeout <= 3600:
        raise GradproofError(f"--timeout must lie between 0 and 3600 seconds; got {args.timeout:g}")
    if not 64 <= args.memory <= 1 << 20:
        raise GradproofError(f"--memory must be at least 64 (MB); got {args.memory}")
    if args.jobs is not None and args.jobs < 1:
        raise GradproofError(f"--jobs must be at least 1; got {args.jobs}")
    if args.max_score is not None and not 0 < args.max_score < 1e9:
        raise GradproofError(f"--max-score must be a positive number; got {args.max_score:g}")
    limits = Limits(seconds=args.timeout, memory_mb=args.memory)
    if (args.student is None) == (args.batch is None):
        raise GradproofError("give either a student's file or --batch DIR")
    if args.batch:
        return _batch(spec, args, limits)
    if args.output or args.jobs:
        raise GradproofError("-o and --jobs go with --batch")

    from gradproof.numeric.codecheck import check_file
    from gradproof.numeric.codecheck.report import text

    report = check_file(args.student, spec, args.function, args.points, args.seed, limits,
                        args.check_forward, args.check_loss)
    if report.failure and report.failure["kind"] == "no_function":
        raise GradproofError(f"{args.student}: {report.failure['message']}")
    print(json.dumps(report.to_json(args.max_score), indent=1, ensure_ascii=False) if args.json else _safe(text(report)))
    return report.exit_code


def _safe(value):
    from gradproof.numeric.batch import terminal_safe
    return terminal_safe(value)


def _batch(spec, args, limits):
    import time

    from gradproof.numeric.batch import json_text
    from gradproof.numeric.codecheck.batch import NOT_CHECKED, all_checked, check_folder, to_csv, to_json

    from ..output import write_output

    start = time.perf_counter()
    results = check_folder(args.batch, spec, args.function, args.points, args.seed, limits, args.jobs, "submissions",
                           args.check_forward, args.check_loss, args.max_score)
    as_json = args.json or (args.output and args.output.lower().endswith(".json"))
    body = json_text(to_json(results)) if as_json else to_csv(results)
    if args.output:
        write_output(body, args.output)
    else:
        sys.stdout.write(body if as_json else _safe(body))
    counts = {v: sum(1 for r in results if r["verdict"] == v) for v in ("correct", "wrong", "failed", NOT_CHECKED)}
    unchecked = f"; the checker could not run {counts[NOT_CHECKED]}" if counts[NOT_CHECKED] else ""
    print(f"checked {len(results) - counts[NOT_CHECKED]} submissions in {time.perf_counter() - start:.1f} s: "
          f"{counts['correct']} correct, {counts['wrong']} wrong, {counts['failed']} failed{unchecked}", file=sys.stderr)
    return 0 if all_checked(results) else 1
