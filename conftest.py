"""Shared test configuration: Hypothesis profiles and the `kp` doctest namespace."""

import gc
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

import kpmodel

# `dev` is the quick loop and CI default; `slow` runs many more examples (`make test-slow`).
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "slow",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave what the imports and the collection made out of the collector's full passes.

    They hold some 600,000 objects that live as long as the test process, and each full
    collection walked them all again: 25 s of full collections in each of the two
    pytest-xdist workers of a whole run (a loaded 2-core machine, 2026-11-29). Objects the
    tests make are collected as before.
    """
    gc.freeze()


@pytest.fixture(autouse=True)
def _add_kp(doctest_namespace: dict[str, object]) -> None:
    doctest_namespace["kp"] = kpmodel


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the pyplot figures a test or doctest opened (plot_* draw on new ones)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
