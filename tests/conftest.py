"""Shared test settings.

Under CI (CI=true) hypothesis runs derandomized: the same examples every run, so that main's result
depends on the code alone; locally each run draws new examples, which is how new failures are found.
"""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# ---- the reference assignment the platform exports are checked on (30 variants, every kind of question) ----
import pytest  # noqa: E402

REFERENCE_ASSIGNMENT = """
[assignment]
title = "Backpropagation, homework 1"
seed = 2026
variants = 30
[[question]]
kind = "expression"
param = "w^1_11"
points = 4
[[question]]
kind = "gradient"
param = "w^1_21"
points = 2
rtol = 1e-3
[[question]]
kind = "step"
lr = 0.5
points = 4
params = ["w^3_11", "w^2_11"]
[[question]]
kind = "paths"
param = "w^1_21"
points = 1
[[question]]
kind = "flow"
param = "w^1_11"
points = 2
[grading]
sign = 0.5
factor = 0.5
missing_path = 0.25
"""


@pytest.fixture(scope="session")
def reference_exercise(tmp_path_factory):
    """The folder `gradproof exercise` writes for REFERENCE_ASSIGNMENT (no PDFs), made once per run."""
    from gradproof.symbolic.exercise import assignment as assignment_file
    from gradproof.symbolic.exercise import generate, output
    root = tmp_path_factory.mktemp("reference")
    (root / "hw.toml").write_text(REFERENCE_ASSIGNMENT)
    a = assignment_file.load(root / "hw.toml")
    ctx = generate.Context(a)
    output.write(a, ctx, generate.variants(a, ctx), root / "hw", pdf=False)
    return root / "hw"
