"""Shared test settings.

Under CI (CI=true) hypothesis runs derandomized: the same examples every run, so that main's result
depends on the code alone; locally each run draws new examples, which is how new failures are found.
"""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
