"""A user's file read whole, with one error naming the file: missing, unreadable, or not valid TOML or JSON.

Every command that reads a spec, a POINT, an assignment, a key, an answers or data CSV reads it here, so the
messages say the same thing the same way. TOML comes from tomllib, or tomli on Python 3.10 (Gradescope's
default image runs the bundled grader there), loaded on first use.

Examples
========
>>> from gradproof.numeric.files import read_text
>>> read_text("/no/such/spec.toml", "spec file")
Traceback (most recent call last):
...
gradproof.numeric.errors.GradproofError: spec file '/no/such/spec.toml' not found
"""
import json

from .errors import GradproofError


def toml():
    """The TOML parser: tomllib, or the same parser as tomli where Python is older than 3.11."""
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    return tomllib


def read_text(path, what, encoding="utf-8", newline=None):
    """The file's text; ``what`` names it in the error ("spec file", "POINT file", ...)."""
    try:
        with open(path, encoding=encoding, newline=newline) as handle:
            return handle.read()
    except FileNotFoundError:
        raise GradproofError(f"{what} {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GradproofError(f"cannot read {what} {str(path)!r}: {error}") from None


def parse_toml(path, text):
    """TOML text read from ``path``; a syntax error is reported with the file, line and column."""
    tomllib = toml()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GradproofError(f"{path}: not valid TOML: {error}") from None


def parse_json(path, text):
    """JSON text read from ``path``; a syntax error is reported with the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise GradproofError(f"{path}: not valid JSON: {error}") from None


def read_toml(path, what):
    return parse_toml(path, read_text(path, what))


def read_json(path, what):
    return parse_json(path, read_text(path, what))
