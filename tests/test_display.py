"""Results show themselves well: short reprs, small escaped HTML, one plotting convention.

The notebook itself, run in a real kernel, is checked in `test_notebooks.py`; here the same
promises are checked object by object, and against hostile strings.
"""

import ast
import inspect
import io
import subprocess
import sys
import types
import warnings
from pathlib import Path
from typing import Any, ClassVar

import html5lib
import matplotlib
import pandas as pd
import pytest

import kpmodel as kp
from kpmodel import _display, _plotting, _progress

matplotlib.use("Agg")

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = '<script>alert("x")</script>'
MATH = r"Zone $\frac{1}{0$ & $x^_$"  # unbalanced mathtext: a parse error if not escaped


def parse(fragment):
    """Parse an HTML fragment strictly: any parse error fails the test."""
    return html5lib.HTMLParser(strict=True).parseFragment(fragment)


def small_graph(zone="Nola", certificate="CM-1"):
    g = kp.ProvenanceGraph()
    mine = g.produce(country="CF", carats=10, on="2014-01-01", zone=zone)
    other = g.produce(country="CM", carats=30, on="2014-01-01")
    smuggled = g.smuggle(mine, to="CM", on="2014-02-01")
    shipped = g.ship(g.mix([smuggled, other]), to="AE", on="2014-03-01", certificate=certificate)
    return g, shipped


@pytest.fixture(scope="module")
def results():
    """One of every result object a user displays."""
    book = kp.definitions.CaseBook.default()
    scenario = kp.simulation.builtin("congo-brazzaville-2004")
    run = kp.simulation.run(scenario, seed=1, progress=False)
    defective = kp.certificates.load(
        kp.datasets.example_file("certificate-defective-za-2019.json")
    )
    return {
        "Comparison": kp.compare(["KPCS_2003", "EU_2023", "CANADA_WDC_CSC_2018"], book),
        "CaseBook": book,
        "Report": kp.check(defective),
        "KPStatistics": kp.datasets.kp_statistics(),
        "SimulationResult": run,
        "OriginShares": kp.origin_shares(run.provenance),
        "ProvenanceGraph": run.provenance,
        "Scenario": scenario,
        "Register": kp.participants.Register.default(),
        "Ledger": run.ledger,
        "SweepSummary": kp.simulation.summarise(
            kp.simulation.sweep(
                scenario, levers={"border_controls": [0.0, 0.5]}, seeds=2, progress=False
            )
        ),
    }


KINDS = [
    "Comparison",
    "CaseBook",
    "Report",
    "KPStatistics",
    "SimulationResult",
    "OriginShares",
    "ProvenanceGraph",
    "Scenario",
    "Register",
    "SweepSummary",
]


@pytest.mark.parametrize("kind", KINDS)
def test_repr_is_one_short_line_saying_what_and_where_next(results, kind):
    text = repr(results[kind])
    assert "\n" not in text
    assert len(text) < 200, text
    assert text.startswith(f"<{kind}: ")
    assert text.endswith(">")
    assert "; see " in text  # how to see more


@pytest.mark.parametrize("kind", [*KINDS, "Ledger"])
def test_html_view_is_small_valid_and_has_a_table(results, kind):
    page = results[kind]._repr_html_()
    assert len(page) < 20_000, len(page)
    tree = parse(page)
    tags = {e.tag.split("}")[-1] for e in tree.iter() if isinstance(e.tag, str)}
    assert "table" in tags
    assert "script" not in tags
    assert "style" not in tags


def test_a_summary_is_still_a_dataframe_and_what_it_gives_is_plain(results):
    """A SweepSummary selects, compares and writes as a DataFrame; selections show in full."""
    summary = results["SweepSummary"]
    assert isinstance(summary, pd.DataFrame)
    assert summary.attrs["by"] == ["border_controls"]
    selected = summary.query("metric == 'opacity'")
    assert type(selected) is pd.DataFrame
    assert "ci_low" in repr(selected)
    assert summary.to_string().count("\n") == len(summary)  # a header line, then every row
    assert "2 groups (border_controls)" in repr(summary)


def test_large_results_stay_small(results):
    """151,000 lots, 1,479 statistics rows: the views still show a few rows only."""
    shares = results["OriginShares"]
    assert len(shares.lots) > 100_000
    page = shares._repr_html_()
    assert page.count("<tr>") <= _display.ROWS + 2
    assert "first 8 of" not in page  # built from the first rows, not from the whole frame
    stats = results["KPStatistics"]._repr_html_()
    assert "(first 8 of 1,479 rows)" in stats


def test_hostile_strings_are_escaped_in_every_view():
    book = kp.definitions.CaseBook.from_data(
        {
            "cases": [
                {
                    "key": HOSTILE,
                    "title": HOSTILE,
                    "situation": {
                        "place": {"country": "ZW", "zone": HOSTILE},
                        "period": {"start": "2009"},
                    },
                }
            ]
        }
    )
    for shown in (book._repr_html_(), kp.compare("EU_2023", book)._repr_html_()):
        assert "<script>" not in shown
        assert "&lt;script&gt;" in shown
        parse(shown)


def test_views_cut_long_cells_and_too_many_tables():
    long = "x" * 5000
    view = _display.View(
        kind="Thing",
        summary="big",
        tables=lambda: [("t", pd.DataFrame({"a": [long] * 100}))] * 200,
    )
    page = view.html()
    assert len(page) < _display.HTML_LIMIT
    assert "Tables left out" in page
    one = _display.table(pd.DataFrame({"a": [long]}), width=_display.WIDTH)
    assert "x" * _display.WIDTH not in one
    assert "…" in one


# -- plotting -------------------------------------------------------------------------------


def plot_functions():
    """Every public plot_* function, in every package (a new package's too)."""
    found = []
    for name in kp.__all__:
        package = getattr(kp, name)
        if inspect.ismodule(package):
            found += [getattr(package, n) for n in package.__all__ if n.startswith("plot_")]
    return found


def test_every_plot_function_takes_a_keyword_ax():
    functions = plot_functions()
    assert len(functions) >= 10
    for function in functions:
        parameter = inspect.signature(function).parameters["ax"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, function.__name__
        assert parameter.default is None, function.__name__


def plot_calls():
    """One call of every plot_* function, as (name, call(ax))."""
    stats = kp.datasets.kp_statistics()
    flags = kp.statistics.detect(stats)
    trade = kp.datasets.trade_hs7102().query("kp_rough")
    comparison = kp.compare("EU_2023", kp.definitions.CaseBook.default())
    graph, shipped = small_graph()
    shares = kp.origin_shares(graph)
    summary = pd.DataFrame(
        {
            "border_controls": [0.0, 0.5],
            "definition": ["all", "all"],
            "metric": ["opacity", "opacity"],
            "detector": ["", ""],
            "mean": [0.4, 0.3],
            "ci_low": [0.35, 0.25],
            "ci_high": [0.45, 0.35],
            "n": [3, 3],
        }
    )
    indices = pd.DataFrame(
        {"input": ["hubs[0].markup"], "S1": [0.6], "S1_conf": [0.1], "ST": [0.7], "ST_conf": [0.1]}
    )
    return {
        "plot_matrix": lambda ax: kp.definitions.plot_matrix(comparison, ax=ax),
        "plot_coverage": lambda ax: kp.definitions.plot_coverage(comparison, ax=ax),
        "plot_flows": lambda ax: kp.provenance.plot_flows(graph, ax=ax),
        "plot_case": lambda ax: kp.provenance.plot_case(graph, ax=ax),
        "plot_shares": lambda ax: kp.provenance.plot_shares(shares, [shipped], ax=ax),
        "plot_production": lambda ax: kp.statistics.plot_production(stats, ax=ax),
        "plot_value_per_carat": lambda ax: kp.statistics.plot_value_per_carat(
            stats, flags, participants=["GN"], ax=ax
        ),
        "plot_mirror_gap": lambda ax: kp.statistics.plot_mirror_gap(
            kp.statistics.mirror(trade), ax=ax
        ),
        "plot_summary": lambda ax: kp.simulation.plot_summary(summary, metric="opacity", ax=ax),
        "plot_sensitivity": lambda ax: kp.simulation.plot_sensitivity(indices, ax=ax),
    }


def test_plot_calls_cover_every_plot_function():
    assert {f.__name__ for f in plot_functions()} == set(plot_calls())


@pytest.mark.parametrize("name", sorted(plot_calls()))
def test_plot_draws_on_one_new_pyplot_figure_or_on_the_given_axes(name):
    call = plot_calls()[name]
    plt.close("all")
    ax = call(None)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert plt.get_fignums() == [ax.figure.number]  # exactly one figure, known to pyplot
    figure, given = plt.subplots()
    assert call(given) is given
    assert plt.get_fignums() == [ax.figure.number, figure.number]  # nothing new
    assert given.has_data() or given.patches or given.collections or given.texts


def test_report_figures_never_touch_pyplot_or_the_backend():
    """In a fresh interpreter with its own backend: a report with figures changes neither."""
    code = """
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
import kpmodel as kp
c = kp.compare("EU_2023", kp.definitions.CaseBook.default())
page = kp.report.render([kp.report.comparison_section(c)])
assert "<svg" in page
print(matplotlib.get_backend(), plt.get_fignums())
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["svg", "[]"]


def test_the_library_never_calls_matplotlib_use():
    for path in (ROOT / "src" / "kpmodel").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "use":
                base = node.value
                assert not (isinstance(base, ast.Name) and base.id == "matplotlib"), path


def test_only_the_plotting_helper_makes_figures():
    """Every plot_* gets its axes from kpmodel._plotting.new_axes: no other pyplot use."""
    for path in (ROOT / "src" / "kpmodel").rglob("*.py"):
        if path.name == "_plotting.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
                assert not any("pyplot" in n for n in names), path


def test_dollars_in_zone_names_and_certificates_do_not_break_figures_or_reports():
    graph, shipped = small_graph(zone=MATH, certificate="CM-$1$^{")
    for name in ("plot_flows", "plot_case"):
        ax = getattr(kp.provenance, name)(graph)
        ax.figure.canvas.draw()  # mathtext would raise here
    ax = kp.provenance.plot_shares(kp.origin_shares(graph, by="zone"), title="US$ 5 and $6")
    ax.figure.canvas.draw()
    assert ax.get_title() == _plotting.plain("US$ 5 and $6")
    section = kp.report.trace_section(graph, [shipped], by="zone")
    page = kp.report.render([section])
    assert page.count("<svg") == 2
    assert "CM-$1$^{" in page  # the certificate, as text in the SVG


def test_dollars_in_case_keys_do_not_break_the_matrix():
    book = kp.definitions.CaseBook.from_data(
        {
            "cases": [
                {
                    "key": "$a$_{$",
                    "situation": {"place": {"country": "ZW"}, "period": {"start": "2009"}},
                }
            ]
        }
    )
    ax = kp.definitions.plot_matrix(kp.compare("EU_2023", book))
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == [_plotting.plain("$a$_{$")]


def test_plain_text_for_tex_and_for_no_math():
    with matplotlib.rc_context({"text.parse_math": False}):
        assert _plotting.plain("a $ b") == "a $ b"
    with matplotlib.rc_context({"text.usetex": True}):
        assert _plotting.plain("50% & $") == r"50\% \& \$"


# -- progress -------------------------------------------------------------------------------


def test_progress_is_off_when_nobody_watches_and_on_when_asked():
    assert not _progress.interactive()  # pytest captures stderr: not a terminal
    assert _progress.progress_bar(3, enabled=None) is None
    assert _progress.progress_bar(3, enabled=False) is None
    bar = _progress.progress_bar(3, enabled=True, disable=True)
    assert type(bar).__module__.startswith("tqdm")
    bar.close()
    assert list(_progress.track([1, 2], enabled=True, disable=True)) == [1, 2]
    with pytest.raises(kp.errors.InvalidArgumentError, match="progress must be"):
        _progress.progress_bar(3, enabled="yes")


def test_progress_is_on_in_a_jupyter_kernel(monkeypatch):
    class Shell:
        def __init__(self):
            self.config = {"IPKernelApp": {}}

    class IPython:
        @staticmethod
        def get_ipython():
            return Shell()

    monkeypatch.setitem(sys.modules, "IPython", IPython)
    assert _progress.interactive()


def test_a_notebook_without_ipywidgets_gets_a_text_bar_and_no_warning(monkeypatch):
    """In a Jupyter kernel without ipywidgets, tqdm.auto warned "IProgress not found"."""
    import IPython
    from tqdm.std import tqdm as text_bar

    class ZMQInteractiveShell:  # what tqdm.auto looks for: a notebook's kernel
        config: ClassVar[dict[str, Any]] = {"IPKernelApp": {}}

    monkeypatch.setattr(IPython, "get_ipython", ZMQInteractiveShell)
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("zmqshell"))
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed: imports fail
    for name in ("tqdm.auto", "tqdm.autonotebook", "tqdm.notebook"):  # imported afresh
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert _progress.interactive()
    # Recorded, not raised: tqdm.auto catches what it raises while it imports.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bar = _progress.progress_bar(3, enabled=None, file=io.StringIO())
        bar.update(3)
        bar.close()
    assert [str(w.message) for w in caught] == []
    assert type(bar) is text_bar


def test_long_calls_take_progress():
    for function in (
        kp.simulation.run,
        kp.simulation.sweep,
        kp.provenance.audit,
        kp.provenance.opacity,
        kp.origin_shares,
    ):
        parameter = inspect.signature(function).parameters["progress"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is None
    graph, _ = small_graph()
    assert len(kp.provenance.audit(graph, register=None, progress=False)) == 1
