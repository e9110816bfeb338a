"""The house: what is installed, under which names, and the docstring examples of every module.

The folders symbolic/ and numeric/ install as gradproof.symbolic and gradproof.numeric. Their docstring
examples run here, imported under those names (pytest's --doctest-modules would import the folders as
top-level packages, a second copy under the wrong name).
"""
import doctest
import importlib
import os
import pkgutil
import tomllib
from pathlib import Path

import pytest

import gradproof.numeric
import gradproof.symbolic

ROOT = Path(__file__).resolve().parents[1]
INSTALL = "GRADPROOF_TEST_INSTALL"       # "wheel" when CI runs the tests against a normal install


def _modules():
    for package in (gradproof.numeric, gradproof.symbolic):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith(".__main__"):  # importing it would run the CLI
                yield info.name


MODULES = sorted(set(_modules()))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert failures == 0, f"{failures} docstring example(s) of {name} failed (run with -s to see them)"


def test_every_package_folder_is_installed():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = {"gradproof." + ".".join(p.parent.relative_to(ROOT).parts)
               for top in ("symbolic", "numeric") for p in (ROOT / top).rglob("__init__.py")}
    assert folders == listed, f"pyproject.toml lists {sorted(listed)}; the folders are {sorted(folders)}"


def test_installed_from_this_checkout():
    where = [Path(package.__file__).resolve().parent for package in (gradproof.symbolic, gradproof.numeric)]
    if os.environ.get(INSTALL) == "wheel":
        # CI's second run: a normal install of the wheel, in its site-packages, nothing reached in the checkout
        assert all("site-packages" in p.parts and not p.is_relative_to(ROOT) for p in where), where
    else:
        # the editable install maps gradproof.* onto these folders, not onto a stale copy elsewhere
        assert where == [ROOT / "symbolic", ROOT / "numeric"]


def test_ci_runs_the_readmes_test_command_and_ruff():
    # the README's second command (install, ruff, tests) is the one CI runs, character for character
    readme = (ROOT / "README.md").read_text()
    commands = [line.strip() for line in readme.splitlines() if line.startswith("    python3 -m pip install")]
    test_command = next(c for c in commands if "pytest" in c)
    assert "python3 -m ruff check ." in test_command
    ci = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines() if "pytest" in line
          and not line.lstrip().startswith("#")]
    assert ci[0] == test_command
    # and then the same tests against a normal install of the wheel, run from outside the checkout
    assert len(ci) == 2 and f"{INSTALL}=wheel" in ci[1] and "pip wheel" in (ROOT / ".ci/run").read_text()
    assert test_command.split("python3 -m pytest", 1)[1].strip() in ci[1]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert {"F", "I"} <= set(config["tool"]["ruff"]["lint"]["select"])
    test_extra = config["project"]["optional-dependencies"]["test"]
    assert any(dep.startswith("ruff") for dep in test_extra)
    assert " -n " not in test_command or any(dep.startswith("pytest-xdist") for dep in test_extra)


def _registry_names():
    """{name: which table} for the rows of every registry a library module could be tempted to compare with."""
    from gradproof.numeric.activations import ACTIVATIONS
    from gradproof.numeric.layouts import LAYOUTS
    from gradproof.numeric.losses import LOSSES
    from gradproof.numeric.regularizations import REGULARIZATIONS
    from gradproof.symbolic.check.policy import METHODS
    from gradproof.symbolic.exercise.key import FORMS, KINDS
    from gradproof.symbolic.export import PLATFORMS
    from gradproof.symbolic.sheet.manifest import KINDS as SHEET_KINDS
    tables = {"activation": ACTIVATIONS, "loss": LOSSES, "regularization": REGULARIZATIONS, "layout": LAYOUTS,
              "question kind": KINDS, "check method": METHODS, "platform": PLATFORMS, "sheet kind": SHEET_KINDS,
              "expression form": FORMS}
    # other vocabularies use two of the names: 'none' (sympy's printing order, a diagnosis's "derivative left out")
    # and 'delta' (the notation's letter of a delta_kj symbol)
    return {name: table for table, rows in tables.items() for name in rows if name not in ("none", "delta")}


def test_no_library_module_compares_a_registry_name_with_a_string_literal():
    """Behaviour hangs on a registry row's fields, never on its name: `if kind == "matrix"` is how a new row
    ends up needing edits all over the library. Registries may still key their own rows by name."""
    import ast
    names = _registry_names()
    found = []
    for package in (gradproof.numeric, gradproof.symbolic):
        for path in sorted(Path(package.__path__[0]).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Compare) and
                        any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)) for op in node.ops)):
                    continue
                for side in [node.left, *node.comparators]:
                    items = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                    found += [f"{path.name}:{node.lineno}: {names[c.value]} {c.value!r} in `{ast.unparse(node)}`"
                              for c in items if isinstance(c, ast.Constant) and c.value in names]
    assert found == []
