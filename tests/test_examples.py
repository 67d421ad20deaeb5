"""The teaching examples run as scripts, print their findings and save their figures."""

import os
import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GALLERY = ROOT / "docs" / "gallery"

# Each example: what its output must say, and the figures it must save.
EXPECTED = {
    "01_anatomy_of_a_certificate.py": (
        [
            "14. Validation by the exporting authority",
            "kp.check: no findings",
            "kp.check finds 4 errors",
            "rule annex-i-dates",
            "status 'suspended'",
            "InvalidRecordError",
        ],
        ["01_annex_i_checklist.png"],
    ),
    "02_car_parcel_journey.py": (
        ["declares 'MIXED'", "[non-compliant-zone]", "[suspended]"],
        ["02_case.png", "02_flows.png", "02_shares.png"],
    ),
    "03_marange_in_or_out.py": (
        [
            "Under KPCS_2003",
            "Under CANADA_WDC_CSC_2018",
            "still fails on harm",
            "Each origin is judged by the situation when it was mined",
            "World production in 2010 covered by each definition",
            "8.44",
        ],
        ["03_case_coverage.png", "03_verdict_matrix.png"],
    ),
    "04_congo_2004_guinea_2008.py": (
        ["5,200,000 ct", "2008:  3.10 Mct", "$ 17.33/ct"],
        ["04_mirror_gap.png", "04_production.png", "04_value_per_carat.png"],
    ),
    "05_what_if_mixed_listed_origins.py": (
        ["conflict carats laundered", "... of which through hubs", "opacity at destinations"],
        ["05_listing_laundering.png"],
    ),
    "06_what_does_monitoring_buy.py": (
        [
            "anomalies the detectors flag",
            "conflict carats seized",
            "What does interdiction depend on?",
            "controls.monitoring_coverage",
            "What the model cannot say",
        ],
        ["06_monitoring.png"],
    ),
}


def examples() -> list[str]:
    return sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))


def test_examples_are_numbered_in_class_order():
    """The teaching path is 01, 02, ... with no gap and no repeated number."""
    numbers = [int(name[:2]) for name in examples()]
    assert numbers == list(range(1, len(numbers) + 1))


def test_every_example_is_tested_and_has_a_gallery_page():
    """A new example needs its expectations here and its page in the docs gallery."""
    assert set(examples()) <= set(EXPECTED)
    for name in examples():
        page = GALLERY / f"{Path(name).stem}.md"
        assert page.exists(), f"docs/gallery/{page.name} is missing"
        assert name in page.read_text(encoding="utf-8")
        assert f"{Path(name).stem}\n" in (GALLERY / "index.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, tmp_path, monkeypatch, capsys):
    """The example runs as __main__, prints what it finds and saves exactly its figures."""
    monkeypatch.setenv("KPMODEL_FIGURES", os.fspath(tmp_path))
    runpy.run_path(os.fspath(EXAMPLES / name), run_name="__main__")
    out = capsys.readouterr().out
    phrases, figures = EXPECTED[name]
    for phrase in phrases:
        assert phrase in out
    assert sorted(p.name for p in tmp_path.iterdir()) == figures
    for figure in figures:
        assert (tmp_path / figure).stat().st_size > 0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_no_code_reads_the_shared_source_directory():
    """Package, examples, scripts and benchmarks use kpmodel.datasets, never /work/shared."""
    root = Path(__file__).parent.parent
    offenders = [
        str(path.relative_to(root))
        for folder in ("src", "examples", "scripts", "benchmarks", "docs")
        for path in (root / folder).rglob("*.py")
        if "/work/shared" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
