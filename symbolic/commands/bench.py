"""Measure gradproof's speed beside what a user would otherwise use, and print the ratios.

1. every gradient of networks from 4-3-2-1 up to ~10,000 parameters, memoized, compiled and verified,
   against sympy.diff of the nested loss (killed at a time cap), and against symengine's diff and Lambdify
   (the fastest symbolic peer; pip install 'gradproof[bench]'), both results compared at one point;
2. numeric backprop against PyTorch's CPU autograd (pip install 'gradproof[bench]'; without torch the
   row says so), and against the machine's matrix-product peak measured in the same run;
3. central differences and the complex step over an ~8,000-parameter network;
4. grading throughput; 5. the seconds from `gradproof sheet -o notes.html` to the file.

The machine is described in the output (CPU, cores, BLAS and its kernel, versions, load average).

Examples:
  gradproof bench --quick          under a minute
  gradproof bench --json > bench.json
  gradproof bench --only symbolic,symengine
"""
import argparse
import json
import sys

HELP = "measure the speed of derivation, backprop, gradient checks, grading and sheets"


def add_arguments(parser):
    parser.add_argument("--quick", action="store_true", help="smaller sizes: finishes in under a minute")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON instead of tables")
    parser.add_argument("--only", metavar="NAME[,NAME...]",
                        help="run only these benchmarks (by their JSON key: symbolic, symengine, backprop, ...)")
    # tiny sizes for the test suite only
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)


def run(args):
    from .. import bench

    sizes = bench.SIZES["tiny" if args.tiny else "quick" if args.quick else "full"]
    progress = None if args.json else (lambda message: print(f"  … {message}", file=sys.stderr, flush=True))
    only = None
    if args.only:
        from gradproof.numeric.errors import unknown
        only = [name.strip() for name in args.only.split(",")]
        keys = [row.key for row in bench.BENCHMARKS]
        for name in only:
            if name not in keys:
                raise unknown("benchmark", name, keys)
    report = bench.run(sizes, progress, only)
    print(json.dumps(report, indent=1) if args.json else bench.text(report))
    return 0
