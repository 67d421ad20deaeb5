"""The findings page is generated from the detectors and names the required episodes."""

import runpy
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "explanation"


def render():
    namespace = runpy.run_path(str(PAGE / "make_statistics_findings.py"))
    return namespace["render"]()


def test_page_is_current():
    """The committed page equals what the generator writes now (regenerate it if not)."""
    assert (PAGE / "statistics-findings.md").read_text(encoding="utf-8") == render()


def test_page_names_the_episodes():
    """Guinea 2008 and the CAR in 2013 and 2016 appear with their known episodes."""
    text = render()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    found = {(cells[1], cells[2]) for cells in (row.split(" | ") for row in rows)}
    assert {("GN", "2008"), ("CF", "2013"), ("CF", "2016")} <= found
    assert "Central African Republic suspended by the KP in May 2013" in text
