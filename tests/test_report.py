"""HTML reports: valid HTML5, self-contained, the expected sections and figures, escaped."""

import os
import shutil
import subprocess
from pathlib import Path

import html5lib
import matplotlib
import pytest

import kpmodel as kp
from kpmodel import report

matplotlib.use("Agg")

HOSTILE = '<script>alert("x")</script>'
NAMESPACE = "{http://www.w3.org/1999/xhtml}"


def parse(page):
    """Parse strictly as HTML5: any parse error fails the test."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(page)


def elements(tree, tag):
    return [e for e in tree.iter() if isinstance(e.tag, str) and e.tag.split("}")[-1] == tag]


def visible_text(tree):
    return "".join(tree.itertext())


@pytest.fixture(scope="module")
def demo_report(demo_run):
    result, folder = demo_run
    assert result.exit_code == 0, result.output
    return folder / "report.html"


def test_demo_report_parses_and_has_every_section(demo_report):
    page = demo_report.read_text(encoding="utf-8")
    tree = parse(page)
    headings = [visible_text(h) for h in elements(tree, "h2")]
    for title in (
        "The example certificate files",
        "A CAR parcel's journey through Cameroon and Dubai",
        "Conflict-diamond definitions compared",
        "The real KP statistics and the detectors",
        "Simulation: car-2013, seed 20130523",
        "car-2013 with and without origin listing (3 seeds)",
        "About this report",
    ):
        assert title in headings
    # Trace: flows and shares; comparison: the matrix; statistics: production and value/ct;
    # simulation: its statistics; sweep: opacity and laundering per lever value.
    figures = elements(tree, "figure")
    assert len(figures) == 7
    assert all(elements(f, "svg") and elements(f, "figcaption") for f in figures)
    text = visible_text(tree)
    assert "kpmodel" in text
    assert "numpy" in text
    assert "US Treasury" in text  # the CAR story's sources
    assert "USGS" in text  # the capacity estimates' source
    assert "20130523" in text  # the simulation's seed
    assert "un-poe-2015" in text  # the scenario's sources


def test_reports_are_self_contained(demo_report):
    """No script, no stylesheet or image from elsewhere: nothing to fetch, readable as is."""
    tree = parse(demo_report.read_text(encoding="utf-8"))
    assert not elements(tree, "script")
    assert not elements(tree, "link")
    assert not elements(tree, "iframe")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name.split("}")[-1] in ("src", "href"):
                assert value.startswith(("#", "data:")), (element.tag, value)
            assert not name.startswith("on"), (element.tag, name)
    for style in elements(tree, "style"):
        assert "url(" not in (style.text or "")
        assert "@import" not in (style.text or "")


def hostile_sections():
    cert = kp.certificates.example_certificate()
    book = kp.definitions.CaseBook.default()
    data = book.to_data()
    data["cases"][0]["title"] = HOSTILE
    data["cases"][0]["situation"]["sources"] = [HOSTILE]
    hostile_book = kp.definitions.CaseBook.from_data(data, source=HOSTILE)
    return [
        report.Section(title=HOSTILE, body="", facts=[(HOSTILE, HOSTILE)], sources=[HOSTILE]),
        report.check_section({HOSTILE: kp.check(cert)}, on=HOSTILE, register=HOSTILE),
        report.comparison_section(kp.compare("EU_2023", hostile_book), title=HOSTILE),
        report.text_section(HOSTILE, [HOSTILE]),
    ]


def test_hostile_strings_show_as_text(tmp_path):
    page = report.render(hostile_sections(), title=HOSTILE, inputs={HOSTILE: HOSTILE})
    tree = parse(page)
    assert not elements(tree, "script")
    assert HOSTILE in visible_text(tree)
    assert HOSTILE not in page  # only its escaped form is in the file


def test_hostile_text_in_figures_is_escaped():
    # A zone name may not hold '/' (origin labels join country, zone and site with it): the
    # markup without it, which an unescaped page would still read as a script element.
    hostile_zone = HOSTILE.replace("/", "")
    graph = kp.ProvenanceGraph()
    mine = graph.produce(country="CF", zone=hostile_zone, carats=10, on="2014-01-01")
    shipped = graph.ship(mine, to="AE", on="2014-02-01", certificate="CF-1")
    page = report.render([report.trace_section(graph, [shipped])])
    tree = parse(page)
    assert not elements(tree, "script")
    assert hostile_zone not in page


def test_sections_report_their_figures_and_facts():
    stats = kp.datasets.kp_statistics()
    flags = kp.statistics.detect(stats, capacity=kp.datasets.capacity_estimates())
    section = report.statistics_section(stats, flags, source="shipped", top=5)
    assert section.figures == 2
    assert section.body.count("<svg") == 2
    assert ("flags", str(len(flags))) in section.facts
    assert "first 5 of" in section.body
    with pytest.raises(kp.errors.InvalidArgumentError):
        report.comparison_section("not a comparison")


def test_figures_are_left_out_with_a_note_without_matplotlib(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            msg = "no matplotlib"
            raise ImportError(msg)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    section = report.comparison_section(kp.compare("EU_2023", kp.definitions.CaseBook.default()))
    assert "<svg" not in section.body
    assert "kpmodel[plot]" in section.body


def test_write_is_atomic(tmp_path, monkeypatch):
    target = report.write([], tmp_path / "out.html", title="first")
    assert target == tmp_path / "out.html"

    def fail(*args):
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        report.write([report.text_section("second", ["x"])], target, title="second")
    assert "<title>first</title>" in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html"]


def _chromium():
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def test_report_renders_in_headless_chromium_without_console_errors(demo_report, tmp_path):
    browser = _chromium()
    if browser is None:
        # CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail("Chromium not found in CI: .ci/run should have installed it")
        pytest.skip("Chromium not found (/usr/bin/chromium or chromium on PATH): not rendered")
    out = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            demo_report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "About this report" in out.stdout
    # The report has no script at all, so any console line (Chromium logs console.error
    # as "INFO:CONSOLE") is a defect.
    console = [line for line in out.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
