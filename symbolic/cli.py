"""The ``gradproof`` command line: a thin layer of subcommands over the library.

Each subcommand lives in ``symbolic/commands/<name>.py`` with ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; those modules import heavy libraries inside ``run`` only, so that
``gradproof --help`` and every command start fast.
"""
import argparse
import gc
import importlib
import math
import sys

from gradproof.numeric.errors import GradproofError

COMMANDS = ("derive", "check", "sheet", "grade", "step", "train", "flow", "sweep", "exercise", "export", "bench",
            "check-code")


def add_spec_arguments(parser, without=()):
    """The network spec, from a TOML file and/or flags (flags win); `without` leaves out flags (by name,
    e.g. ("--reg", "--lam")) that a command defines its own way."""
    from gradproof.numeric.activations import ACTIVATIONS
    from gradproof.numeric.losses import LOSSES
    group = parser.add_argument_group("network spec (default: the notes' 4-3-2-1 sigmoid network)")
    flags = {
        "--net": dict(metavar="4-3-2-1", help="layer sizes, input first"),
        "--act": dict(metavar="NAME[,NAME...]",
                      help="activation for every non-input layer, or one per layer: " + ", ".join(ACTIVATIONS)),
        "--bias": dict(action=argparse.BooleanOptionalAction, default=None,
                       help="give every neuron a bias b^k_j (--no-bias: none, whatever the spec file says)"),
        "--loss": dict(metavar="KIND", help=f"{', '.join(LOSSES)} (default: squared)"),
        "--reduction": dict(metavar="HOW", help="sum (default) or mean over samples"),
        "--reg": dict(metavar="KIND", help="regularization: none (default), l1 or l2; l1 and l2 need --lam "
                                           "(or a spec file's lambda)"),
        "--layout": dict(metavar="HOW", help="the matrix form's layout: rows (samples as rows, the notes'; default) "
                                             "or columns (samples as columns, as in Ng's course)"),
        "--lam": dict(type=float, metavar="λ", help="regularization strength (weights only); needs --reg l1 or l2 "
                                                    "(or a spec file's): with none it is an error, not ignored"),
    }
    unknown = set(without) - set(flags)
    if unknown:
        raise ValueError(f"no spec flag {sorted(unknown)}; the spec flags are {', '.join(flags)}")
    group.add_argument("spec", nargs="?", metavar="SPEC.toml", help="a spec file; flags below override it")
    for flag, options in flags.items():
        if flag not in without:
            group.add_argument(flag, **options)
    return group


def spec_from_args(args, base=None):
    """The spec file (or ``base``, or the notes' network) with the flags applied."""
    from gradproof.numeric.spec import Spec, parse_layers
    spec = base if base is not None else Spec.from_toml(args.spec) if args.spec else Spec()
    changes = {}
    if args.net:
        changes["layers"] = parse_layers(args.net)
        if len(changes["layers"]) != len(spec.layers) and not args.act:
            if len(set(spec.activations)) > 1:
                raise GradproofError(f"--net {args.net} changes the depth of the spec's {spec.layers_text} network, "
                                     "whose layers have different activations; give --act for the new layers too")
            changes["activations"] = spec.activations[:1]
    if args.act:
        changes["activations"] = tuple(a.strip() for a in args.act.split(","))
    for flag, field in (("bias", "bias"), ("loss", "loss"), ("reduction", "reduction"),
                        ("reg", "regularization"), ("lam", "lam"), ("layout", "layout")):
        if getattr(args, flag, None) is not None:
            changes[field] = getattr(args, flag)
    _regularization_flags(args, spec, changes)
    return spec.replace(**changes) if changes else spec


def _regularization_flags(args, spec, changes):
    """--reg and --lam go together: l1 or l2 needs a lambda (from --lam or the spec file), and a lambda
    other than 0 needs l1 or l2 (it is never silently ignored). --reg none over a spec file's l1 or l2
    drops its lambda."""
    from gradproof.numeric.regularizations import REGULARIZATIONS, penalties
    reg, lam = getattr(args, "reg", None), getattr(args, "lam", None)
    if lam is not None and not (math.isfinite(lam) and lam >= 0):
        return                                   # the spec names a bad lambda
    choices = " or ".join(f"--reg {name}" for name in penalties())
    if reg is None and lam and not spec.regularizer.present:
        raise GradproofError(f"--lam {lam:g} needs a regularization to weigh: give {choices}")
    if reg not in REGULARIZATIONS:
        return                                   # no --reg, or one the spec names as unknown
    weighs = REGULARIZATIONS[reg].present
    if not weighs and lam:
        raise GradproofError(f"--lam {lam:g} is given with --reg {reg}, which would ignore it; "
                             f"choose {choices}, or drop --lam")
    if not weighs:
        changes["lam"] = 0.0
    elif lam is None and not spec.regularizer.present:
        raise GradproofError(f"--reg {reg} needs its strength: give --lam λ (e.g. --lam 0.01)")


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (the problem and where to read more), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _version():
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("gradproof")
    except PackageNotFoundError:          # run from the folders without an install
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """--version: the installed version, looked up only when asked (importlib.metadata takes tens of ms to load)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default,
                         help=help or "show the program's version number and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        sys.stdout.write(f"gradproof {_version()}\n")      # on stdout, as argparse's own version action
        parser.exit()


def build_parser(commands=COMMANDS):
    """The parser. Every command is listed with its one-line help; only the options of ``commands`` are added
    (main passes the one command on the line, or none), because adding a command's options may import what
    that command needs, and `gradproof --version` or one `gradproof grade` should not pay for every other
    command's imports."""
    parser = _Parser(
        prog="gradproof",
        description="Derive, explain and verify the gradients of multilayer perceptrons.",
        epilog="'gradproof COMMAND --help' shows a command's options and examples.")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"gradproof.symbolic.commands.{name.replace('-', '_')}")
        parsers = sub.add_parser(name, help=module.HELP, description=module.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        if name in commands:
            module.add_arguments(parsers)
        parsers.set_defaults(run=module.run)
    return parser


def _command_in(argv):
    """The command argv names: its first word that is not an option (the top level has options only)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


# options whose value is free text that may begin with '-' (an answer such as -2(y - \hat{y})): argparse
# would take such a value for an option, so it is glued to its flag before parsing
TEXT_OPTIONS = ("--answer",)


def _glue_text_options(argv):
    out, rest = [], list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in TEXT_OPTIONS and rest:
            arg = f"{arg}={rest.pop(0)}"
        out.append(arg)
    return out


def wrote(path):
    """Say on stderr which file a command wrote (stdout keeps the command's own output)."""
    print(f"wrote {path}", file=sys.stderr)


def main(argv=None):
    argv = _glue_text_options(sys.argv[1:] if argv is None else argv)
    parser = build_parser((_command_in(argv),))
    args = parser.parse_args(argv)
    if args.command is None:                 # bare `gradproof`: the list of commands
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except GradproofError as error:
        print(f"gradproof {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 1


def program():
    """The ``gradproof`` program: main on the process's own command line, then the exit."""
    status = main()
    # the command's objects live until the process ends, sympy's alone some 70,000: the collections the
    # interpreter runs at exit would walk them all for nothing (about 0.1 s), so they are moved out of the
    # collector's sight first; they are still freed, and atexit handlers still run
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(program())
