"""The statistics teaching example runs and tells the real numbers."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_congo_and_guinea_example(tmp_path, monkeypatch, capsys):
    """The example prints both cases with the real numbers and saves three figures."""
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("KPMODEL_FIGURES", str(tmp_path))
    runpy.run_path(str(EXAMPLES / "05_congo_2004_guinea_2008.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "5,200,000 ct" in out
    assert "2008:  3.10 Mct" in out
    assert "$ 17.33/ct" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mirror_gap.png",
        "production.png",
        "value_per_carat.png",
    ]
