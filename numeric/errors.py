"""The one error type that gradproof's command line turns into a one-line message and exit status 2."""


class GradproofError(ValueError):
    """Bad input from a user: a spec, a parameter name, a POINT file, a data file or an answer."""


def unknown(kind, name, valid):
    """The error for an unknown name, listing the valid ones.

    Examples
    ========
    >>> from gradproof.numeric.errors import unknown
    >>> print(unknown("activation", "sigmod", ["sigmoid", "tanh"]))
    unknown activation 'sigmod'; valid: sigmoid, tanh
    """
    return GradproofError(f"unknown {kind} {name!r}; valid: {', '.join(valid)}")
