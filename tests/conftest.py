"""Fixtures shared by the CLI, demo and report tests."""

import pytest
from click.testing import CliRunner

import kpmodel as kp
from kpmodel.cli._app import cli

DATA = kp.datasets.example_folder()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """One run of `kpmodel demo` (it takes seconds): the click result and its output folder."""
    folder = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "--output", str(folder), "--data", str(DATA)])
    return result, folder
