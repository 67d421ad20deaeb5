"""The fuzz suite: every loader and public constructor turns any input into a valid object
or a KPModelError, never a raw exception; a refused change leaves a graph unchanged.

The strategies are the public ones in `kpmodel.testing.strategies`. The default profile runs
each target for a few seconds; ``make test-slow`` (the ``slow`` Hypothesis profile) runs them
for thousands of examples. Set ``KPMODEL_FUZZ_CENSUS=path.json`` to write how many inputs each
target got and how each class of outcome ended.
"""

import collections
import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import attrs
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.errors import KPModelError
from kpmodel.testing.strategies import (
    hostile_bytes,
    hostile_csv,
    hostile_documents,
    hostile_frames,
    hostile_json,
    hostile_toml,
    hostile_values,
)

CENSUS: collections.Counter[tuple[str, str]] = collections.Counter()
TMP = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", autouse=True)
def _census():
    yield
    target = os.environ.get("KPMODEL_FUZZ_CENSUS")
    if target:
        rows = [{"target": t, "outcome": o, "count": n} for (t, o), n in sorted(CENSUS.items())]
        Path(target).write_text(json.dumps(rows, indent=1), encoding="utf-8")


def outcome(target, call, *, valid=None):
    """Call `call()`: a valid object or a KPModelError pass; anything else fails the test."""
    try:
        result = call()
    except KPModelError as error:
        CENSUS[target, type(error).__name__] += 1
        message = str(error)
        assert message, f"{target}: an error without a message"
        message.encode("utf-8")  # printable whatever the input
        return error
    except Exception as error:  # the failure this suite exists to find
        CENSUS[target, f"RAW {type(error).__name__}"] += 1
        pytest.fail(f"{target} raised a raw {type(error).__name__}: {error!r}")
    CENSUS[target, "valid"] += 1
    if valid is not None:
        assert valid(result), f"{target} returned an invalid object: {result!r}"
    return result


# -- inputs ------------------------------------------------------------------------------------

CERT = kp.certificates.example_certificate()
CERT_DATA = json.loads(kp.certificates.dumps(CERT))
REGISTER_DATA = json.loads(kp.participants.Register.default().dumps())
SMALL_REGISTER = {**REGISTER_DATA, "participants": REGISTER_DATA["participants"][:3]}
BOOK_DATA = kp.definitions.CaseBook.default().to_data()
SMALL_BOOK = {**BOOK_DATA, "cases": BOOK_DATA["cases"][:2]}
BOOK_TOML = """
[[cases]]
key = "marange"
title = "Marange"
situation = { place = "ZW/Marange", period = { start = "2008-10", end = "2009" } }

[[cases]]
key = "car"
situation = { place = { country = "CF", zone = "Berbérati" }, period = { start = "2013-05-23" } }
"""
SCENARIO_TOML = kp.simulation.builtin_text("congo-brazzaville-2004")
STATS_HEADER = ["participant", "year", "half", "flow", "carats", "value_usd", "partner"]
STATS_ROWS = [
    ["BW", 2013, 1, "production", 100.5, 1000, ""],
    ["BW", 2013, 1, "export", 50, 600, "BE"],
    ["BE", 2013, 2, "import", 50, 600, "BW"],
]
STATS_FRAME = pd.DataFrame(STATS_ROWS, columns=STATS_HEADER)


def _graph():
    graph = kp.ProvenanceGraph()
    mine = graph.produce(country="BW", carats=10, on="2023-05-01", value_usd=1000)
    other = graph.produce(country="ZA", carats=5, on="2023-05-02", zone="Kimberley")
    graph.ship(other, to="BW", on="2023-05-03", certificate="ZA-1")
    return graph, mine


GRAPH, LOT = _graph()
NODE_LINK = json.loads(json.dumps(GRAPH.to_node_link(), default=str))


def _csv(header, rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def _certificate_csv():
    row = dict.fromkeys(kp.certificates.CSV_COLUMNS, "")
    row.update(
        number="BW1",
        issuing_authority="Authority",
        issuing_country="BW",
        destination_country="BE",
        exporter_name="A Ltd",
        exporter_address="1 Road",
        exporter_country="BW",
        importer_name="B BV",
        importer_address="2 Street",
        importer_country="BE",
        issued="2023-03-01",
        expires="2023-05-30",
        number_of_parcels="1",
        kp_statement="true",
        validated="true",
        hs_code="7102.31",
        carats="3.5",
        value_usd="100.00",
        origin="BW",
    )
    return list(row), [list(row.values())]


CERT_CSV_HEADER, CERT_CSV_ROWS = _certificate_csv()


def _write(tmp_path_factory, name, data):
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return path


# -- loaders -----------------------------------------------------------------------------------


class TestLoaders:
    @given(hostile_json(CERT_DATA))
    def test_certificates_loads_json(self, text):
        """Certificate JSON: records or a LoadError."""
        outcome(
            "certificates.loads (JSON)",
            lambda: kp.certificates.loads(text),
            valid=lambda r: isinstance(r, list | kp.certificates.Record),
        )

    @given(hostile_bytes(kp.certificates.dumps(CERT)))
    def test_certificates_loads_bytes(self, raw):
        """Certificate bytes in any encoding: records or a LoadError naming the encoding."""
        error = outcome("certificates.loads (bytes)", lambda: kp.certificates.loads(raw))
        if isinstance(error, kp.errors.LoadError) and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            assert "UTF-16" in str(error) or "UTF-32" in str(error)

    @TMP
    @given(text=hostile_csv(CERT_CSV_HEADER, CERT_CSV_ROWS))
    def test_certificates_load_csv(self, tmp_path_factory, text):
        """Certificate CSV ledgers: certificates or a LoadError."""
        path = _write(tmp_path_factory, "ledger.csv", text)
        outcome("certificates.load_csv", lambda: kp.certificates.load_csv(path))

    @given(hostile_json(SMALL_REGISTER))
    def test_register_loads(self, text):
        """Register JSON: a Register or a LoadError."""
        outcome(
            "Register.loads",
            lambda: kp.participants.Register.loads(text),
            valid=lambda r: isinstance(r, kp.participants.Register),
        )

    @TMP
    @given(raw=hostile_bytes(json.dumps(SMALL_REGISTER, ensure_ascii=False)))
    def test_register_load_bytes(self, tmp_path_factory, raw):
        """Register files in any encoding: a Register or a LoadError."""
        path = _write(tmp_path_factory, "register.json", raw)
        outcome("Register.load (bytes)", lambda: kp.participants.Register.load(path))

    @given(hostile_toml(BOOK_TOML))
    def test_case_book_loads_toml(self, text):
        """Case book TOML: a CaseBook or a LoadError."""
        outcome(
            "CaseBook.loads (TOML)",
            lambda: kp.definitions.CaseBook.loads(text),
            valid=lambda b: isinstance(b, kp.definitions.CaseBook),
        )

    @given(hostile_json(SMALL_BOOK))
    def test_case_book_loads_json(self, text):
        """Case book JSON: a CaseBook or a LoadError."""
        outcome(
            "CaseBook.loads (JSON)", lambda: kp.definitions.CaseBook.loads(text, format="json")
        )

    @given(hostile_documents(SMALL_BOOK, leaves=hostile_values()))
    def test_case_book_from_data(self, data):
        """Case book data with Python values of any type: a CaseBook or a LoadError."""
        outcome("CaseBook.from_data", lambda: kp.definitions.CaseBook.from_data(data))

    @TMP
    @given(raw=hostile_bytes(BOOK_TOML))
    def test_case_book_load_bytes(self, tmp_path_factory, raw):
        """Case book files in Latin-1, UTF-16, with NULs...: a CaseBook or a LoadError."""
        path = _write(tmp_path_factory, "book.toml", raw)
        outcome("CaseBook.load (bytes)", lambda: kp.definitions.CaseBook.load(path))

    @given(hostile_toml(SCENARIO_TOML))
    def test_scenario_from_toml_text(self, text):
        """Scenario TOML: a valid Scenario or a LoadError; nothing non-finite gets through."""
        scenario = outcome(
            "Scenario.from_toml_text", lambda: kp.simulation.Scenario.from_toml_text(text)
        )
        if isinstance(scenario, kp.simulation.Scenario):
            assert scenario.steps_per_year in (2, 4, 12)
            for producer in scenario.producers:
                for zone in producer.zones:
                    assert zone.annual_carats.is_finite()
                    assert zone.annual_carats > 0

    @TMP
    @given(raw=hostile_bytes(SCENARIO_TOML[:400]))
    def test_scenario_from_toml_bytes(self, tmp_path_factory, raw):
        """Scenario files in any encoding: a Scenario or a LoadError."""
        path = _write(tmp_path_factory, "scenario.toml", raw)
        outcome("Scenario.from_toml (bytes)", lambda: kp.simulation.Scenario.from_toml(path))

    @given(hostile_documents(NODE_LINK))
    def test_graph_from_node_link(self, data):
        """Node-link data with lists or numbers where strings belong: a graph or an error."""
        outcome(
            "ProvenanceGraph.from_node_link",
            lambda: kp.ProvenanceGraph.from_node_link(data),
            valid=lambda g: isinstance(g, kp.ProvenanceGraph),
        )

    @given(hostile_documents())
    def test_graph_from_anything(self, data):
        """Arbitrary data given as node-link: an error, never a crash."""
        outcome(
            "ProvenanceGraph.from_node_link (any)", lambda: kp.ProvenanceGraph.from_node_link(data)
        )

    @TMP
    @given(data=st.data())
    def test_graph_read_graphml(self, tmp_path_factory, data):
        """GraphML files, damaged or badly encoded: a graph or an error."""
        folder = tmp_path_factory.mktemp("graphml")
        GRAPH.write_graphml(folder / "g.graphml")
        text = (folder / "g.graphml").read_text(encoding="utf-8")
        raw = data.draw(
            hostile_bytes(text)
            | hostile_bytes(
                text.replace(
                    '"country">BW<',
                    data.draw(
                        st.sampled_from(
                            ['"country">bw<', '"country">=1+1<', '"carats">nan<', '"country"><']
                        )
                    ),
                )
            )
        )
        (folder / "g.graphml").write_bytes(raw)
        outcome(
            "ProvenanceGraph.read_graphml",
            lambda: kp.ProvenanceGraph.read_graphml(folder / "g.graphml"),
        )

    @TMP
    @given(text=hostile_csv(STATS_HEADER, STATS_ROWS))
    def test_statistics_from_csv(self, tmp_path_factory, text):
        """Statistics CSV: valid statistics (finite, real years, known codes) or a LoadError."""
        path = _write(tmp_path_factory, "stats.csv", text)
        stats = outcome("KPStatistics.from_csv", lambda: kp.statistics.KPStatistics.from_csv(path))
        if isinstance(stats, kp.statistics.KPStatistics):
            _valid_statistics(stats)

    @given(hostile_frames(STATS_FRAME))
    def test_statistics_from_frame(self, frame):
        """Statistics frames with hostile cells: valid statistics or a LoadError."""
        stats = outcome(
            "KPStatistics.from_frame", lambda: kp.statistics.KPStatistics.from_frame(frame)
        )
        if isinstance(stats, kp.statistics.KPStatistics):
            _valid_statistics(stats)


def _valid_statistics(stats):
    table = stats.table
    assert table["year"].between(1900, 2200).all()
    assert pd.Series(table["carats"]).map(lambda v: v == v and abs(v) < float("inf")).all()
    assert all(kp.participants.is_country_code(p) for p in stats.participants)
    key = ["replication", "participant", "year", "half", "flow"]
    assert not table.duplicated(subset=key).any()


# -- constructors ------------------------------------------------------------------------------


def _same(graph, before):
    lots, flows = graph.to_frames()
    return lots.equals(before[0]) and flows.equals(before[1]) and len(graph) == before[2]


def _frames(graph):
    lots, flows = graph.to_frames()
    return lots, flows, len(graph)


GRAPH_CALLS = {
    "produce country": lambda g, lot, v: g.produce(country=v, carats=1, on="2023-01-01"),
    "produce carats": lambda g, lot, v: g.produce(country="BW", carats=v, on="2023-01-01"),
    "produce on": lambda g, lot, v: g.produce(country="BW", carats=1, on=v),
    "produce value_usd": lambda g, lot, v: g.produce(
        country="BW", carats=1, on="2023-01-01", value_usd=v
    ),
    "produce zone": lambda g, lot, v: g.produce(country="BW", carats=1, on="2023-01-01", zone=v),
    "split carats": lambda g, lot, v: g.split(lot, v),
    "split one amount": lambda g, lot, v: g.split(lot, [v]),
    "split on": lambda g, lot, v: g.split(lot, [1], on=v),
    "mix lots": lambda g, lot, v: g.mix(v),
    "mix at": lambda g, lot, v: g.mix([lot], at=v),
    "ship to": lambda g, lot, v: g.ship(lot, to=v, on="2023-06-01"),
    "ship on": lambda g, lot, v: g.ship(lot, to="BE", on=v),
    "ship declared_origin": lambda g, lot, v: g.ship(
        lot, to="BE", on="2023-06-01", declared_origin=v
    ),
    "ship certificate": lambda g, lot, v: g.ship(lot, to="BE", on="2023-06-01", certificate=v),
    "smuggle to": lambda g, lot, v: g.smuggle(lot, to=v, on="2023-06-01"),
    "seize on": lambda g, lot, v: g.seize(lot, on=v),
    "lot id": lambda g, lot, v: g.ship(v, to="BE", on="2023-06-01"),
}


class TestConstructors:
    @pytest.mark.parametrize("call", GRAPH_CALLS.values(), ids=GRAPH_CALLS.keys())
    @given(value=hostile_values())
    def test_graph_methods_refuse_cleanly_and_change_nothing(self, call, value):
        """Any value in any argument: a new lot, or an error and the graph as it was."""
        graph, lot = _graph()
        before = _frames(graph)
        result = outcome("ProvenanceGraph methods", lambda: call(graph, lot, value))
        if isinstance(result, KPModelError):
            assert _same(graph, before)
        else:
            lots, _ = graph.to_frames()
            assert lots["carats"].map(lambda c: 0 < c < float("inf")).all()
            assert all(kp.participants.is_country_code(c) for c in lots["origin"].dropna())

    @pytest.mark.parametrize(
        "field",
        [f.name for f in attrs.fields(kp.certificates.Certificate)],
    )
    @given(value=hostile_values())
    def test_certificate_fields(self, field, value):
        """Any value in any certificate field: a certificate or an InvalidRecordError."""
        outcome("Certificate fields", lambda: attrs.evolve(CERT, **{field: value}))

    @pytest.mark.parametrize("field", [f.name for f in attrs.fields(kp.certificates.Parcel)])
    @given(value=hostile_values())
    def test_parcel_fields(self, field, value):
        """Any value in any parcel field: a parcel or an InvalidRecordError."""
        outcome("Parcel fields", lambda: attrs.evolve(CERT.parcels[0], **{field: value}))

    @given(value=hostile_values(), which=st.sampled_from(["register", "on", "rulebook", "obj"]))
    def test_check_arguments(self, value, which):
        """check(...) with any argument: a report or an InvalidArgumentError."""
        args = {"register": None, "on": None, "rulebook": None}
        obj = CERT
        if which == "obj":
            obj = value
        else:
            args[which] = value
        outcome("check", lambda: kp.check(obj, **args))

    @given(value=hostile_values(), field=st.sampled_from(["country", "zone", "site"]))
    def test_place(self, value, field):
        """Places: valid or an InvalidRecordError."""
        args = {"country": "ZW", field: value}
        outcome("Place", lambda: kp.definitions.Place(**args))

    @given(start=hostile_values(), end=hostile_values())
    def test_period(self, start, end):
        """Periods: valid or an InvalidRecordError."""
        outcome("Period", lambda: kp.definitions.Period(start, end))

    @given(
        value=hostile_values(),
        method=st.sampled_from(["status", "may_trade", "participant_of", "compliant_zones"]),
        where=st.sampled_from(["code", "on"]),
    )
    def test_register_questions(self, value, method, where):
        """Register questions with any code or date: an answer or a KPModelError."""
        register = kp.participants.Register.default()
        code, on = ("CF", "2014-01-01")
        code, on = (value, on) if where == "code" else (code, value)
        outcome("Register questions", lambda: getattr(register, method)(code, on=on))


# -- the cases the issue lists -------------------------------------------------------------------


ISSUE_CASES = {
    "latin-1 case book": (
        lambda tmp: kp.definitions.CaseBook.load(
            _put(tmp / "book.toml", BOOK_TOML.encode("latin-1"))
        ),
        "Latin-1",
    ),
    "utf-16 case book": (
        lambda tmp: kp.definitions.CaseBook.load(
            _put(tmp / "book.json", json.dumps(SMALL_BOOK).encode("utf-16"))
        ),
        "UTF-16",
    ),
    "latin-1 register": (
        lambda tmp: kp.participants.Register.load(
            _put(tmp / "r.json", json.dumps(SMALL_REGISTER, ensure_ascii=False).encode("cp1252"))
        ),
        "Latin-1",
    ),
    "utf-16 register": (
        lambda tmp: kp.participants.Register.load(
            _put(tmp / "r.json", json.dumps(SMALL_REGISTER).encode("utf-16"))
        ),
        "UTF-16",
    ),
    "deep JSON register": (
        lambda tmp: kp.participants.Register.loads("[" * 100_000 + "]" * 100_000),
        "levels deep",
    ),
    "deep TOML scenario": (
        lambda tmp: kp.simulation.Scenario.from_toml_text("a = " + "[" * 100_000 + "]" * 100_000),
        "levels deep",
    ),
    "huge integer in a scenario": (
        lambda tmp: kp.simulation.Scenario.from_toml_text(
            SCENARIO_TOML.replace("start_year = 2004", "start_year = " + "1" * 5000)
        ),
        "too long",
    ),
    "huge integer in JSON": (
        lambda tmp: kp.certificates.loads('{"number": ' + "1" * 5000 + "}"),
        "5000 characters",
    ),
    "NaN in a scenario": (
        lambda tmp: kp.simulation.Scenario.from_toml_text(
            SCENARIO_TOML.replace("annual_carats = 52_000", "annual_carats = nan")
        ),
        "finite",
    ),
    "inf in a scenario": (
        lambda tmp: kp.simulation.Scenario.from_toml_text(
            SCENARIO_TOML.replace("annual_carats = 52_000", "annual_carats = inf")
        ),
        "finite",
    ),
    "steps_per_year = 0": (
        lambda tmp: kp.simulation.Scenario.from_toml_text(
            SCENARIO_TOML.replace("steps_per_year = 2", "steps_per_year = 0")
        ),
        "steps_per_year: must be one of 2, 4, 12",
    ),
    "year 1e300 in a scenario": (
        lambda tmp: kp.simulation.Scenario.from_toml_text(
            SCENARIO_TOML.replace("start_year = 2004", "start_year = 3000")
        ),
        "start_year",
    ),
    "NaN carats in produce": (
        lambda tmp: kp.ProvenanceGraph().produce(
            country="BW", carats=float("nan"), on="2023-01-01"
        ),
        "finite",
    ),
    "sNaN carats in produce": (
        lambda tmp: kp.ProvenanceGraph().produce(
            country="BW", carats=Decimal("sNaN"), on="2023-01-01"
        ),
        "finite",
    ),
    "Decimal Infinity carats in produce": (
        lambda tmp: kp.ProvenanceGraph().produce(
            country="BW", carats=Decimal("Infinity"), on="2023-01-01"
        ),
        "finite",
    ),
    "huge carats in produce": (
        lambda tmp: kp.ProvenanceGraph().produce(country="BW", carats=10**5000, on="2023-01-01"),
        "5001 digits",
    ),
    "non-string declared origin": (
        lambda tmp: _graph()[0].ship(0, to="BE", on="2023-06-01", declared_origin=["BW"]),
        "declared_origin must be",
    ),
    "mix(None)": (lambda tmp: _graph()[0].mix(None), "lots must be"),
    "lower-case code in produce": (
        lambda tmp: kp.ProvenanceGraph().produce(country="bw", carats=1, on="2023-01-01"),
        "'BW'",
    ),
    "lower-case code in a place": (lambda tmp: kp.definitions.Place("bw"), "'BW'"),
    "lower-case code in a certificate": (
        lambda tmp: attrs.evolve(CERT, issuing_country="bw"),
        "'BW'",
    ),
    "lower-case code in statistics": (
        lambda tmp: kp.statistics.KPStatistics.from_frame(
            STATS_FRAME.assign(participant=["bw", "BW", "BE"])
        ),
        "upper-case participant code",
    ),
    "formula as a participant": (
        lambda tmp: kp.statistics.KPStatistics.from_frame(
            STATS_FRAME.assign(participant=["=cmd|' /C calc'!A0", "BW", "BE"])
        ),
        "participant code",
    ),
    "year 1e300 in statistics": (
        lambda tmp: kp.statistics.KPStatistics.from_frame(STATS_FRAME.assign(year=1e300)),
        "whole year",
    ),
    "year 1800 in statistics": (
        lambda tmp: kp.statistics.KPStatistics.from_frame(STATS_FRAME.assign(year=1800)),
        "whole year",
    ),
    "duplicate statistics rows": (
        lambda tmp: kp.statistics.KPStatistics.from_frame(
            pd.concat([STATS_FRAME, STATS_FRAME.iloc[[0]]])
        ),
        "repeats",
    ),
    "carats overflowing to inf": (
        lambda tmp: kp.statistics.KPStatistics.from_frame(
            pd.concat([STATS_FRAME.assign(carats=1e308)] * 2).assign(half=[1, 1, 2, 2, 2, 1])
        ),
        "carats",
    ),
    "duplicate JSON keys": (
        lambda tmp: kp.certificates.loads('{"number": "A", "number": "B"}'),
        "more than once",
    ),
    "node-link with numbers for strings": (
        lambda tmp: kp.ProvenanceGraph.from_node_link(
            {**NODE_LINK, "nodes": [{**NODE_LINK["nodes"][0], "country": 5}]}
        ),
        "",
    ),
    "node-link with lists for strings": (
        lambda tmp: kp.ProvenanceGraph.from_node_link(
            {**NODE_LINK, "nodes": [{**n, "kind": ["produce"]} for n in NODE_LINK["nodes"]]}
        ),
        "",
    ),
    "check(register='nope')": (lambda tmp: kp.check(CERT, register="nope"), "register must be"),
    "datetime as on=": (
        lambda tmp: kp.check(CERT, on=dt.datetime(2023, 3, 1, 12)),
        "value.date()",
    ),
}


def _put(path, raw):
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("case", ISSUE_CASES.values(), ids=ISSUE_CASES.keys())
def test_issue_cases_end_in_a_kpmodel_error(case, tmp_path):
    """Each hostile input the issue lists is refused with a KPModelError that says why."""
    call, says = case
    error = outcome("issue cases", lambda: call(tmp_path))
    assert isinstance(error, KPModelError), f"accepted: {error!r}"
    assert says in str(error)


def test_damaged_sweep_manifest_is_a_load_error(tmp_path):
    """A damaged sweep.json is refused as a LoadError naming it; nothing is deleted."""
    scenario = kp.simulation.builtin("congo-brazzaville-2004")
    for damage in (b"\xff\xfe{", b'{"fingerprint": NaN}', b"[" * 10_000, b""):
        (tmp_path / "sweep.json").write_bytes(damage)
        error = outcome(
            "sweep (damaged sweep.json)",
            lambda: kp.simulation.sweep(scenario, levers={}, seeds=1, checkpoint=tmp_path),
        )
        assert isinstance(error, kp.errors.LoadError)
        assert "sweep.json" in str(error)
        assert (tmp_path / "sweep.json").read_bytes() == damage


# -- the command line --------------------------------------------------------------------------


def test_check_of_an_empty_folder_is_an_error(tmp_path, capsys):
    """`kpmodel check` of a folder with nothing to check exits 2, not 0."""
    assert kp.cli.main(["check", os.fspath(tmp_path)]) == 2
    assert "no ledger or record files" in capsys.readouterr().err


def test_check_with_a_file_name_that_is_not_utf8(tmp_path):
    """A file name that is not valid UTF-8 is checked and named with escapes."""
    name = os.fsencode(tmp_path) + b"/caf\xe9.json"
    with open(name, "w", encoding="utf-8") as file:
        file.write(kp.certificates.dumps(CERT).replace('"BW"', '"bw"', 1))
    # A real process: the terminal's encoding, not pytest's capture, must print the name.
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"kpmodel", b"check", name],
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 2, done.stderr
    assert b"caf\\xe9.json" in done.stdout + done.stderr
    assert b"Traceback" not in done.stderr


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=hostile_bytes(kp.certificates.dumps(CERT)))
def test_check_command_never_crashes(tmp_path_factory, capsys, raw):
    """`kpmodel check` of any file exits 0, 1 or 2 with a message, never an internal error."""
    path = tmp_path_factory.mktemp("cli") / "input.json"
    path.write_bytes(raw)
    status = kp.cli.main(["check", os.fspath(path)])
    CENSUS["kpmodel check (bytes)", f"exit {status}"] += 1
    err = capsys.readouterr().err
    assert status in (0, 1, 2)
    assert "internal error" not in err
    assert "Traceback" not in err
