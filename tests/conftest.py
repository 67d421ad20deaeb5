"""Fixtures shared by the CLI, demo and report tests."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from kpmodel.cli._app import cli

DATA = Path(__file__).resolve().parents[1] / "examples" / "data"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One run of `kpmodel demo` (it takes seconds): the click result and its output folder."""
    folder = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--output", str(folder), "--data", str(DATA)])
    return result, folder
