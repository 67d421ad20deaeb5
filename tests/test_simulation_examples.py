"""The simulation teaching example runs and produces its findings and figure."""

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_what_if_mixed_listed_origins(tmp_path, monkeypatch, capsys):
    """'What if mixed-origin certificates listed their origins?' prints and saves its figure."""
    monkeypatch.setenv("KPMODEL_FIGURES", str(tmp_path))
    runpy.run_path(str(EXAMPLES / "60_what_if_mixed_listed_origins.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "conflict carats laundered" in out
    assert "opacity at destinations" in out
    assert (tmp_path / "60_listing_laundering.png").stat().st_size > 0
