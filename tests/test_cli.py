"""The `kpmodel` command: every subcommand, exit codes, formats, and errors without tracebacks."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel import demo
from kpmodel._boundary import show
from kpmodel.cli._app import _progress, cli

DATA = kp.datasets.example_folder()
VALID = DATA / "certificate-valid-bw-be-2023.json"
DEFECTIVE = DATA / "certificate-defective-za-2019.json"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_unusable(result, *words):
    """Exit status 2, a short message on stderr that says what went wrong, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) <= 12
    for word in words:
        assert word in result.stderr


def assert_fits(text, width=80):
    assert text.strip(), "no output"
    assert max(len(line) for line in text.splitlines()) <= width


@pytest.fixture(scope="module")
def car_graph(tmp_path_factory):
    """The CAR parcel's graph as node-link JSON and GraphML, and its shipments."""
    folder = tmp_path_factory.mktemp("graphs")
    graph, shipments = demo.car_parcel()
    (folder / "car.json").write_text(json.dumps(graph.to_node_link()), encoding="utf-8")
    graph.write_graphml(folder / "car.graphml")
    return folder, shipments


# -- check ------------------------------------------------------------------------------


def test_check_exit_status_follows_the_findings(monkeypatch):
    # file names as given (relative here), so the width does not depend on the checkout path
    monkeypatch.chdir(DEFECTIVE.parent)
    clean = invoke("check", VALID.name)
    assert clean.exit_code == 0, clean.output
    assert "0 error(s), 0 warning(s)" in clean.stdout
    found = invoke("check", VALID.name, DEFECTIVE.name)
    assert found.exit_code == 1
    assert "number_of_parcels" in found.stdout
    assert DEFECTIVE.name in found.stdout
    assert_fits(found.stdout)


def test_check_a_folder_checks_its_json_and_csv_files():
    result = invoke("check", "--format", "json", DATA)
    assert result.exit_code == 1
    files = {Path(r["file"]).name for r in json.loads(result.stdout)}
    assert "ledger-bw-2023.csv" in files
    assert "8 file(s) checked" in result.stderr


def test_check_formats_give_the_same_findings():
    as_csv = invoke("check", "--format", "csv", DEFECTIVE, DATA / "ledger-bw-2023.csv")
    as_json = invoke("check", "--format", "json", DEFECTIVE, DATA / "ledger-bw-2023.csv")
    assert as_csv.exit_code == as_json.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    records = json.loads(as_json.stdout)
    assert [r["rule"] for r in rows] == [r["rule"] for r in records]
    assert {"file", "severity", "path", "message", "rule", "reference"} <= set(records[0])
    assert "ledger-unique-number" in {r["rule"] for r in records}
    # The summary goes to stderr, so the data on stdout stays machine-readable.
    assert "checked" in as_json.stderr


def test_check_on_a_date_and_with_a_register(tmp_path):
    suspended = DATA / "certificate-defective-car-suspended-2014.json"
    assert invoke("check", "--on", "2012-06-01", suspended).exit_code == 0
    assert invoke("check", "--on", "2014-02-10", suspended).exit_code == 1
    register = tmp_path / "register.json"
    register.write_text(kp.participants.Register.default().dumps(), encoding="utf-8")
    assert invoke("check", "--register", register, VALID).exit_code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--on", "2024-02-30", VALID], ["--on", "2024-05-31"]),
        ([DATA / "README.md"], ["README.md", "suffix"]),
        (["missing.json"], ["missing.json", "cannot read"]),
        (["--register", "nowhere.json", VALID], ["nowhere.json"]),
    ],
)
def test_check_unusable_input(args, words):
    assert_unusable(invoke("check", *args), *words)


def test_check_damaged_file_lists_its_problems(tmp_path):
    text = VALID.read_text(encoding="utf-8")
    damaged = tmp_path / "damaged.json"
    damaged.write_text(
        text.replace('"285.40"', '"-3.5"').replace('"2023-03-01"', '"2023-02-30"'),
        encoding="utf-8",
    )
    result = invoke("check", VALID, damaged)
    assert_unusable(result, "2 problems", "damaged.json", "Fix the file")


def test_debug_shows_the_traceback():
    result = invoke("--debug", "check", "missing.json")
    assert isinstance(result.exception, kp.errors.LoadError)


def test_an_internal_error_is_reported_without_traceback(monkeypatch):
    def broken(*args, **kwargs):
        msg = "boom"
        raise RuntimeError(msg)

    monkeypatch.setattr(kp, "check", broken)
    result = invoke("check", VALID)
    assert_unusable(result, "internal error", "boom", "--debug")


# -- trace ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["car.json", "car.graphml"])
def test_trace_shows_origins_and_paths(car_graph, name):
    folder, shipments = car_graph
    lot = shipments["AE -> IN"]
    result = invoke("trace", folder / name, "--lot", lot, "--by", "zone")
    assert result.exit_code == 0, result.output
    assert "CF/Bria" in result.stdout
    assert_fits(result.stdout)
    rows = json.loads(invoke("trace", folder / name, "--lot", lot, "--format", "json").stdout)
    shares = {r["origin"]: r["share"] for r in rows}
    graph = kp.ProvenanceGraph.from_node_link(
        json.loads((folder / "car.json").read_text(encoding="utf-8"))
    )
    assert shares == pytest.approx(kp.origin_shares(graph).of(lot))
    assert all(r["path"].endswith(str(lot)) for r in rows)


def test_trace_unusable_input(car_graph, tmp_path):
    folder, _ = car_graph
    assert_unusable(invoke("trace", folder / "car.json", "--lot", "nope"), "nope")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    assert_unusable(invoke("trace", tmp_path / "list.json", "--lot", "1"), "node-link")
    (tmp_path / "bad.graphml").write_text("<graphml", encoding="utf-8")
    assert_unusable(invoke("trace", tmp_path / "bad.graphml", "--lot", "1"), "bad.graphml")
    (tmp_path / "bad.json").write_text("{nodes", encoding="utf-8")
    assert_unusable(invoke("trace", tmp_path / "bad.json", "--lot", "1"), "bad.json")
    # Node-link JSON that is no provenance graph: the file is named beside the reason.
    data = json.loads((folder / "car.json").read_text(encoding="utf-8"))
    data["nodes"].append(dict(data["nodes"][0]))
    (tmp_path / "twice.json").write_text(json.dumps(data), encoding="utf-8")
    result = invoke("trace", tmp_path / "twice.json", "--lot", "1")
    assert_unusable(result, "twice.json")
    assert "is also nodes[0]" in result.stderr
    assert_unusable(invoke("trace", tmp_path / "missing.json", "--lot", "1"), "missing.json")


@settings(max_examples=60, deadline=None)
@given(
    lot=st.one_of(
        st.text(max_size=6),
        st.integers(-3, 40).map(str),
        st.sampled_from(["\u00b2", "--3", "9" * 5000, "\u0663", "-0", "03", "+3", " 3", "3.0"]),
    )
)
def test_trace_lot_names_a_lot_or_is_a_usage_error(car_graph, lot):
    """``--lot`` is a lot id of the graph (digits for an int id), or a usage error naming
    it. '²' (a digit to str.isdigit), '--3' and 5,000 digits used to end in "internal
    error (ValueError)", and '٣' traced lot 3."""
    folder, _ = car_graph
    size = len(kp.ProvenanceGraph.from_node_link(json.loads((folder / "car.json").read_text())))
    result = invoke("trace", folder / "car.json", "--lot", lot, "--format", "json")
    if re.fullmatch(r"-?[0-9]{1,20}", lot) and 0 <= int(lot) < size:  # (longer: no lot)
        assert result.exit_code == 0, result.output
        assert all(row["path"].endswith(str(int(lot))) for row in json.loads(result.stdout))
    else:
        refused = f"Invalid value for '--lot': {show(lot)} is not in the graph "
        assert_unusable(result, refused, "lots, such as ", "its digits (0-9")
        assert "internal error" not in result.stderr


# -- compare ----------------------------------------------------------------------------


def test_compare_defaults_to_every_definition_on_the_case_book():
    result = invoke("compare")
    assert result.exit_code == 0, result.output
    for name in kp.definitions.BUILTIN_NAMES:
        assert name in result.stdout
    assert_fits(result.stdout)


def test_compare_views_and_formats():
    summary = json.loads(invoke("compare", "--definitions", "EU_2023", "--format", "json").stdout)
    assert [r["definition"] for r in summary] == ["KPCS_2003", "EU_2023"]
    expected = kp.compare("EU_2023", kp.definitions.CaseBook.default())
    assert summary[1]["flips"] == int(expected.summary.loc["EU_2023", "flips"])
    flips = invoke("compare", "--definitions", "EU_2023", "--show", "flips", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(flips.stdout)))
    assert len(rows) == len(expected.flips)
    assert {"why", "baseline_why"} <= set(rows[0])
    verdicts = invoke("compare", "--definitions", "KPCS_2003,ADPA_2025", "--show", "verdicts")
    assert verdicts.exit_code == 0
    assert "zimbabwe-marange" in verdicts.stdout
    assert_fits(verdicts.stdout)


def test_compare_a_case_book_file_and_a_graph(tmp_path, car_graph):
    book = tmp_path / "book.json"
    book.write_text(json.dumps(kp.definitions.CaseBook.default().to_data()), encoding="utf-8")
    result = invoke("compare", book, "--show", "verdicts", "--format", "json")
    cases = len(kp.definitions.CaseBook.default())
    assert len(json.loads(result.stdout)) == cases * len(kp.definitions.BUILTIN_NAMES)
    folder, shipments = car_graph
    for name in ("car.json", "car.graphml"):
        result = invoke(
            "compare",
            folder / name,
            "--definitions",
            "US_CHAIR_2012",
            "--show",
            "verdicts",
            "--format",
            "json",
        )
        assert result.exit_code == 0, result.output
        items = {r["item"] for r in json.loads(result.stdout)}
        assert str(shipments["AE -> IN"]) in items


@pytest.mark.parametrize("shipped", [True, False])
def test_compare_a_graph_whose_judged_lots_read_the_same(tmp_path, shipped):
    """Lots 1 and "1" of a node-link graph, shipped (only they are judged) or not (every lot
    is): the command says what its user can do (rename them in the file), not ``lots=`` of
    Lots.from_graph, which the command has not."""
    graph = kp.ProvenanceGraph()
    mined = [graph.produce(country=c, carats=10, on="2010-06-01") for c in ("ZW", "BW")]
    rename = {mined[0]: 1, mined[1]: "1"}
    if shipped:
        ships = [graph.ship(lot, to="AE", on="2010-07-01") for lot in mined]
        rename = {mined[0]: "a", mined[1]: "b", ships[0]: 1, ships[1]: "1"}
    data = graph.to_node_link()
    for node in data["nodes"]:
        node["id"] = rename[node["id"]]
    for link in data["edges"]:
        link["source"], link["target"] = rename[link["source"]], rename[link["target"]]
    path = tmp_path / "clash.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("compare", path)
    assert_unusable(result, "1 (int), '1' (str)", "read the same as text", "graph file")
    assert "lots=" not in result.stderr


def test_compare_unusable_input(tmp_path):
    assert_unusable(invoke("compare", "--definitions", "NOPE"), "NOPE", "available")
    assert_unusable(invoke("compare", "--definitions", ","), "--definitions")
    bad = tmp_path / "book.toml"
    bad.write_text('[[cases]]\nkey = "x"\nsituation = { actor = "army" }\n', encoding="utf-8")
    assert_unusable(invoke("compare", bad), "book.toml", "actor")
    assert_unusable(invoke("compare", tmp_path / "book.txt"), ".toml or .json")


# -- statistics -------------------------------------------------------------------------


def test_statistics_world_totals_and_detectors():
    world = invoke("statistics")
    assert world.exit_code == 0
    assert "2008" in world.stdout
    assert_fits(world.stdout)
    top = invoke("statistics", "--detect", "--top", "5")
    assert "more flags" in top.stdout
    assert_fits(top.stdout)
    flags = json.loads(invoke("statistics", "--detect", "--format", "json").stdout)
    guinea = [f for f in flags if f["participant"] == "GN" and f["year"] == 2008]
    assert guinea
    assert guinea[0]["episode"].startswith("Guinea 2008")


def test_statistics_of_a_user_file(tmp_path):
    path = tmp_path / "stats.csv"
    path.write_text(
        "participant,year,half,flow,carats,value_usd\n"
        "CG,2004,1,production,52000,0\nCG,2004,1,export,5200000,0\n",
        encoding="utf-8",
    )
    result = invoke("statistics", path, "--detect", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "capacity" in result.stdout
    path.write_text("participant,year,half,flow,carats,value_usd\nCG,2004,3,x,-1,0\n")
    assert_unusable(invoke("statistics", path), "stats.csv", "half")


# -- data, demo, main -------------------------------------------------------------------


def test_data_lists_and_describes_the_shipped_data():
    listing = invoke("data")
    assert listing.exit_code == 0
    assert_fits(listing.stdout)
    for name in [*kp.datasets.TABLES, "casebook", "register"]:
        assert name in listing.stdout
    described = invoke("data", "capacity_estimates")
    assert "USGS" in described.stdout
    rows = list(
        csv.DictReader(io.StringIO(invoke("data", "kp_production", "--format", "csv").stdout))
    )
    assert len(rows) == len(kp.datasets.kp_production())
    shipped = json.loads(invoke("data", "casebook", "--format", "json").stdout)
    assert len(shipped) == len(kp.definitions.CaseBook.default())
    assert_unusable(invoke("data", "nope"), "nope", "kp_production")


def test_reports_from_table_commands(tmp_path, car_graph):
    folder, shipments = car_graph
    runs = {
        "check": ["check", DEFECTIVE],
        "trace": ["trace", folder / "car.json", "--lot", shipments["CM -> AE"]],
        "compare": ["compare", "--definitions", "EU_2023"],
        "statistics": ["statistics", "--detect"],
    }
    for name, args in runs.items():
        result = invoke(*args, "--report", tmp_path / name)
        assert result.exit_code in (0, 1), result.output
        page = (tmp_path / name / "report.html").read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert "report written to" in result.stderr


def test_demo_command_writes_the_report(demo_run, tmp_path):
    result, folder = demo_run
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file()
    assert (folder / "car-parcel.json").is_file()
    # The saved graph is what `kpmodel trace` reads, as the demo tells the reader.
    assert (
        invoke("trace", folder / "car-parcel.json", "--lot", "12", "--by", "zone").exit_code == 0
    )
    assert invoke("demo", "--output", tmp_path, "--data", tmp_path / "none").exit_code == 2


def test_main_returns_the_exit_status(capsys):
    assert kp.cli.main(["check", str(VALID)]) == 0
    assert kp.cli.main(["check", str(DEFECTIVE)]) == 1
    assert kp.cli.main(["check", "missing.json"]) == 2
    assert kp.cli.main(["nope"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_python_dash_m_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "kpmodel", "check", str(DEFECTIVE)], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "number_of_parcels" in out.stdout


def test_progress_bar_only_on_a_terminal(capsys):
    assert list(_progress([1, 2, 3], "counting")) == [1, 2, 3]
    assert "counting" not in capsys.readouterr().err


def test_progress_bar_is_the_library_s_on_a_terminal(capsys, monkeypatch):
    """The command's bar is kpmodel._progress's tqdm bar: shown once work lasts a second."""
    from kpmodel import _progress as progress

    monkeypatch.setattr(progress, "interactive", lambda: True)
    assert list(_progress(_Slow([1, 2, 3]), "counting")) == [1, 2, 3]
    err = capsys.readouterr().err
    assert "counting" in err
    assert "3/3" in err  # tqdm's count, total known


class _Slow(list):
    """A list whose iteration takes 0.6 s a value (a sequence, so the bar knows its total)."""

    def __iter__(self):
        import time

        for value in super().__iter__():
            time.sleep(0.6)
            yield value


def test_text_tables_wrap_to_80_columns():
    import pandas as pd

    frame = pd.DataFrame(
        {"a": ["x" * 5, "y"], "b": [1.5, 2000.0], "text": ["word " * 60, "short"]}
    )
    table = kp.report.text_table(frame)
    assert_fits(table)
    assert "".join(table.split()).count("word") == 60
