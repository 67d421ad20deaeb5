"""`kpmodel simulate` and `kpmodel sweep`, and the reports of a run and of a sweep."""

import json

import attrs
import html5lib
import pytest
from click.testing import CliRunner

import kpmodel as kp
from kpmodel import report
from kpmodel.cli._app import cli, parse_levers

HOSTILE = "<script>alert(1)</script>"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_unusable(result, *words):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr


@pytest.fixture(scope="module")
def car_sweep():
    scenario = kp.simulation.builtin("car-2013")
    levers = {"origin_listing_on_mixed": [False, True]}
    return scenario, kp.simulation.sweep(scenario, levers=levers, seeds=1, progress=False)


def test_simulate_prints_the_metrics_of_a_seeded_run():
    table = invoke("simulate", "car-2013", "--seed", "3")
    assert table.exit_code == 0, table.output
    assert "laundering_rate" in table.stdout
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    rows = json.loads(invoke("simulate", "car-2013", "--seed", "3", "--format", "json").stdout)
    expected = kp.simulation.run(kp.simulation.builtin("car-2013"), seed=3).metrics
    assert len(rows) == len(expected)
    assert rows[0]["value"] == pytest.approx(float(expected["value"].iloc[0]))


def test_simulate_a_toml_file_with_a_lever(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(kp.simulation.builtin_text("congo-brazzaville-2004"), encoding="utf-8")
    result = invoke("simulate", path, "--lever", "border_controls=0.5", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("definition,metric,detector,value")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["simulate", "atlantis"], ["atlantis", "car-2013"]),
        (["simulate", "car-2013", "--lever", "nope=1"], ["nope", "levers"]),
        (["simulate", "car-2013", "--lever", "border_controls=2"], ["border_controls"]),
        (["simulate", "car-2013", "--lever", "border_controls"], ["NAME=V1,V2"]),
        (["simulate", "car-2013", "--lever", "border_controls=0,1"], ["sweep"]),
        (
            ["sweep", "car-2013", "--seeds", "1", "--workers", "2", "--scheduler", "x"],
            ["not both"],
        ),
        (["sweep", "car-2013", "--seeds", "0"], ["--seeds"]),
    ],
)
def test_simulation_commands_refuse_unusable_input(args, words):
    assert_unusable(invoke(*args), *words)


def test_simulate_a_broken_scenario_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nstart_year = "soon"\n', encoding="utf-8")
    assert_unusable(invoke("simulate", path), "broken.toml")


def test_sweep_table_and_json(tmp_path):
    args = ["sweep", "car-2013", "--lever", "origin_listing_on_mixed=false,true", "--seeds", "1"]
    table = invoke(*args, "--report", tmp_path)
    assert table.exit_code == 0, table.output
    assert "False" in table.stdout
    assert "True" in table.stdout
    assert "opacity" in table.stdout
    assert (tmp_path / "report.html").is_file()
    rows = json.loads(invoke(*args, "--format", "json").stdout)
    assert {r["run_id"] for r in rows} == {0, 1}


def test_parse_levers():
    assert parse_levers(["origin_listing_on_mixed=false,true", "border_controls=0,0.5"]) == {
        "origin_listing_on_mixed": [False, True],
        "border_controls": [0.0, 0.5],
    }
    assert parse_levers(["definition=EU_2023"]) == {"definition": ["EU_2023"]}


def test_simulation_reports_escape_a_hostile_scenario(car_sweep):
    scenario, table = car_sweep
    hostile = attrs.evolve(scenario, name=HOSTILE, title=HOSTILE, description=HOSTILE)
    result = kp.simulation.run(hostile, seed=1)
    sections = [
        report.simulation_section(result),
        report.sweep_section(table, hostile, levers=["origin_listing_on_mixed"]),
    ]
    page = report.render(sections, title=HOSTILE)
    tree = html5lib.HTMLParser(strict=True).parse(page)
    assert not [e for e in tree.iter() if isinstance(e.tag, str) and e.tag.endswith("script")]
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
    assert ("seed", "1") in sections[0].facts
    assert "<td>True</td>" in sections[1].body  # an on/off lever reads as typed
    assert page.count("<svg") == 2
    with pytest.raises(kp.errors.InvalidArgumentError):
        report.sweep_section(table, scenario, levers=["border_controls"])
    with pytest.raises(kp.errors.InvalidArgumentError):
        report.simulation_section(table)
