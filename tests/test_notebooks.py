"""Notebooks run in a real Jupyter kernel, and what they display is what a user should see.

`test_every_display_in_a_kernel` builds a notebook cell by cell, runs it with nbclient in an
IPython kernel (as Jupyter would), and checks every output: each plot cell shows exactly one
image; each result shows a small HTML table and a short text repr; no cell writes an error.
`test_analyst_notebook_runs` runs the shipped analyst notebook from top to bottom; any error
in any cell fails it. `test_gallery_notebook` makes the notebook each gallery page offers for
download and runs it: one image per figure the example saves.
"""

import json
import os
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import kpmodel as kp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.fspath(ROOT / "docs" / "_ext"))

import kpmodel_gallery  # noqa: E402

ANALYST = ROOT / "examples" / "notebooks" / "analyst.ipynb"
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))
# Run in a kernel; the last example (a sweep, 20-odd seconds) is tested as a script only.
IN_KERNEL = {p.name for p in EXAMPLES[:4]}
TIMEOUT = 600

SETUP = """\
import kpmodel as kp
book = kp.definitions.CaseBook.default()
comparison = kp.compare(["KPCS_2003", "EU_2023", "CANADA_WDC_CSC_2018"], book)
stats = kp.datasets.kp_statistics()
scenario = kp.simulation.builtin("congo-brazzaville-2004")
result = kp.simulation.run(scenario, seed=1)
graph = result.provenance
g = kp.ProvenanceGraph()
mine = g.produce(country="CF", carats=10, on="2014-01-01", zone="Nola")
shipped = g.ship(g.smuggle(mine, to="CM", on="2014-02-01"), to="AE", on="2014-03-01",
                 certificate="CM-$1$")
table = kp.simulation.sweep(
    scenario, levers={"border_controls": [0.0, 0.5]}, seeds=2, progress=False
)
indices = kp.simulation.sensitivity(
    kp.simulation.sweep(scenario, uncertainties={"controls.border_controls": (0.0, 0.6),
                        "hubs[0].markup": (1.0, 1.5)}, design="sobol", samples=4,
                        progress=False),
    metric="seized_carats_border",
)
"""

# Cells whose last expression is a result: it must show as a compact table.
RESULTS = [
    "comparison",
    "book",
    'kp.check(kp.certificates.load(kp.datasets.example_file("certificate-defective-za-2019.json")))',
    "stats",
    "result",
    "kp.origin_shares(graph)",
    "graph",
    "scenario",
    "kp.participants.Register.default()",
    "kp.simulation.summarise(table)",
    "kp.Ledger.read(kp.datasets.example_file('ledger-bw-2023.csv'))",
]

# Cells that draw: each must show exactly one figure.
PLOTS = [
    "kp.definitions.plot_matrix(comparison)",
    "kp.definitions.plot_coverage(comparison)",
    "kp.provenance.plot_flows(g)",
    "kp.provenance.plot_case(g)",
    "kp.provenance.plot_shares(kp.origin_shares(g), [shipped])",
    "kp.statistics.plot_production(stats)",
    'kp.statistics.plot_value_per_carat(stats, kp.statistics.detect(stats), participants=["GN"])',
    "kp.statistics.plot_mirror_gap(kp.statistics.mirror(kp.datasets.trade_hs7102()))",
    'kp.simulation.plot_summary(kp.simulation.summarise(table), metric="opacity")',
    "kp.simulation.plot_sensitivity(indices)",
    # Two plots on axes of the user's own figure: still one image.
    "import matplotlib.pyplot as plt\n"
    "fig, (left, right) = plt.subplots(1, 2)\n"
    "kp.definitions.plot_coverage(comparison, ax=left)\n"
    "kp.provenance.plot_case(g, ax=right)",
]


PROGRESS = "_ = kp.simulation.run(scenario, seed=2, progress=True)"
REPORT = """\
import matplotlib
backend = matplotlib.get_backend()
page = kp.report.render([kp.report.comparison_section(comparison)])
backend == matplotlib.get_backend(), page.count("<svg")"""


def execute(notebook, cwd):
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": os.fspath(cwd)}},
    )
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def displayed(tmp_path_factory):
    cells = [nbformat.v4.new_code_cell(SETUP)]
    cells += [nbformat.v4.new_code_cell(code) for code in [*RESULTS, *PLOTS, PROGRESS, REPORT]]
    notebook = nbformat.v4.new_notebook(cells=cells)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MPLBACKEND", raising=False)  # the kernel's own inline backend, as in Jupyter
        return execute(notebook, tmp_path_factory.mktemp("display")).cells


def outputs_of(cells, code):
    (cell,) = [c for c in cells if c.source == code]
    return cell.outputs


def test_setup_cell_is_silent(displayed):
    assert displayed[0].outputs == []


@pytest.mark.parametrize("code", RESULTS)
def test_results_show_a_small_table_and_a_short_repr(displayed, code):
    outputs = outputs_of(displayed, code)
    assert [o.output_type for o in outputs] == ["execute_result"]
    data = outputs[0].data
    html = data["text/html"]
    assert "<table>" in html
    assert len(html) < 100_000
    assert "\n" not in data["text/plain"]
    assert len(data["text/plain"]) < 200


@pytest.mark.parametrize("code", PLOTS)
def test_each_plot_cell_shows_exactly_one_image(displayed, code):
    outputs = outputs_of(displayed, code)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, json.dumps(outputs, default=str)[:2000]
    errors = [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert errors == []


def test_progress_shows_as_a_notebook_widget(displayed):
    outputs = outputs_of(displayed, PROGRESS)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


WITHOUT_IPYWIDGETS = """\
import sys
for name in [name for name in sys.modules if name.partition(".")[0] == "ipywidgets"]:
    del sys.modules[name]
sys.modules["ipywidgets"] = None  # as in a kernel without it: imports fail"""
SHARES_WITH_A_BAR = """\
import kpmodel as kp
g = kp.ProvenanceGraph()
mine = g.produce(country="BW", carats=10, on="2024-01-01")
_ = kp.origin_shares(g, progress=True)"""


def test_progress_without_ipywidgets_is_a_text_bar_with_no_warning(tmp_path):
    """tqdm.auto warned "IProgress not found" in a kernel without ipywidgets; no more."""
    cells = [nbformat.v4.new_code_cell(code) for code in (WITHOUT_IPYWIDGETS, SHARES_WITH_A_BAR)]
    blocked, shares = execute(nbformat.v4.new_notebook(cells=cells), tmp_path).cells
    assert blocked.outputs == []
    assert [o.output_type for o in shares.outputs] == ["stream"] * len(shares.outputs)
    text = "".join(o.text for o in shares.outputs)
    assert "origin shares: 100%" in text
    assert "IProgress" not in text
    assert "Warning" not in text


def test_a_report_leaves_the_notebook_backend_alone_and_shows_nothing(displayed):
    outputs = outputs_of(displayed, REPORT)
    assert [o.output_type for o in outputs] == ["execute_result"]
    assert outputs[0].data["text/plain"] == "(True, 1)"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_gallery_notebook(script, tmp_path, monkeypatch):
    target = tmp_path / f"{script.stem}.ipynb"
    kpmodel_gallery.write_notebook(script, target)
    notebook = nbformat.read(target, as_version=4)
    nbformat.validate(notebook)
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert kpmodel_gallery.docstring_of(script).splitlines()[0] in first.source
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    compile(code, script.name, "exec")
    assert "matplotlib.use" not in code  # would turn the notebook's figures off
    if script.name not in IN_KERNEL:
        return
    figures = tmp_path / "figures"
    monkeypatch.setenv("KPMODEL_FIGURES", os.fspath(figures))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    execute(notebook, ROOT / "examples")
    shown = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert [o for o in shown if o.output_type == "error"] == []
    images = [o for o in shown if "image/png" in o.get("data", {})]
    saved = list(figures.glob("*.png"))
    assert saved
    assert len(images) == len(saved)


def test_analyst_notebook_runs(tmp_path, monkeypatch):
    """Load, check, trace a hub, compare, detect, export: every cell runs, each plot once."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(ANALYST, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert not any(c.outputs for c in code)  # shipped clean: outputs come from the run
    execute(notebook, tmp_path)  # raises CellExecutionError on any error
    for cell in code:
        kinds = [o.output_type for o in cell.outputs]
        assert "error" not in kinds, cell.source
        assert [o for o in cell.outputs if o.get("name") == "stderr"] == [], cell.source
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) == (1 if ".plot_" in cell.source else 0), cell.source
        for output in cell.outputs:
            html = output.get("data", {}).get("text/html", "")
            assert len(html) < 100_000, cell.source
            if 'class="kpmodel-repr"' in html:
                assert len(output.data["text/plain"]) < 200
    views = [c for c in code if any("kpmodel-repr" in str(o) for o in c.outputs)]
    # ledger, its check, scenario, result, the paperwork's check, graph, shares, comparison,
    # statistics
    assert len(views) >= 9
    source = "\n".join(c.source for c in code)
    for step in ("kp.Ledger.read(", "kp.check(ledger)", "ProvenanceGraph.from_ledger(",
                 "kp.compare(", "kp.statistics.detect(", "ledger.write("):  # fmt: skip
        assert step in source, step
    assert kp.Ledger.read(tmp_path / "ledger.xlsx") == kp.Ledger.read(
        kp.datasets.example_file("ledger-bw-2023.csv")
    )
    workbook = pd.read_excel(tmp_path / "kpmodel-findings.xlsx", sheet_name=None)
    assert set(workbook) == {
        "ledger check",
        "Dubai exports",
        "Dubai origin estimate",
        "definitions",
        "statistics flags",
    }
    assert "ledger-unique-number" in set(workbook["ledger check"]["rule"])
    assert (workbook["Dubai exports"]["issuing_country"] == "AE").all()
