"""The definitions teaching examples run and produce their findings and figures."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_marange_in_or_out(tmp_path, monkeypatch, capsys):
    """'Marange, in or out?' explains every verdict and saves the two figures."""
    monkeypatch.setenv("KPMODEL_FIGURES", str(tmp_path))
    runpy.run_path(str(EXAMPLES / "40_marange_in_or_out.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "Under KPCS_2003" in out
    assert "Under CANADA_WDC_CSC_2018" in out
    assert "still fails on harm" in out
    assert "World production in 2010 covered by each definition" in out
    assert "Zimbabwe's reported production covered" in out  # shipped data: always runs
    assert "Each origin is judged by the situation when it was mined" in out
    assert (tmp_path / "40_verdict_matrix.png").stat().st_size > 0
    assert (tmp_path / "40_case_coverage.png").stat().st_size > 0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_no_code_reads_the_shared_source_directory():
    """Package, examples, scripts and benchmarks use kpmodel.datasets, never /work/shared."""
    root = EXAMPLES.parent
    offenders = [
        str(path.relative_to(root))
        for folder in ("src", "examples", "scripts", "benchmarks", "docs")
        for path in (root / folder).rglob("*.py")
        if "/work/shared" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
