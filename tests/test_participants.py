"""The register: sourced, dated status history; who may trade where and when."""

import contextlib
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpmodel.errors import InvalidRecordError, KPModelError, LoadError, UnknownCodeError
from kpmodel.participants import Register, Status, StatusEvent

REG = Register.default()
dates = st.dates(min_value=dt.date(2002, 1, 1), max_value=dt.date(2026, 12, 31))
codes = st.sampled_from(REG.codes)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@pytest.mark.parametrize(
    ("code", "on", "expected"),
    [
        ("CF", "2013-05-22", Status.PARTICIPANT),
        ("CF", "2013-05-23", Status.SUSPENDED),
        ("CF", "2015-07-17", Status.RESTRICTED),
        ("CF", "2024-11-14", Status.RESTRICTED),
        ("CF", "2024-11-15", Status.PARTICIPANT),
        ("CG", "2004-07-08", Status.PARTICIPANT),
        ("CG", "2004-07-09", Status.REMOVED),
        ("CG", "2008-01-01", Status.PARTICIPANT),
        ("VE", "2007-01-01", Status.PARTICIPANT),
        ("VE", "2010-01-01", Status.SELF_SUSPENDED),
        ("VE", "2017-01-01", Status.PARTICIPANT),
        ("CI", "2010-01-01", Status.PARTICIPANT),
        ("CI", "2014-04-29", Status.PARTICIPANT),
        ("UZ", "2024-11-14", Status.NOT_PARTICIPANT),
        ("UZ", "2024-11-15", Status.PARTICIPANT),
        ("KP", "2010-01-01", Status.NOT_PARTICIPANT),
        ("GB", "2015-01-01", Status.PARTICIPANT),
    ],
)
def test_documented_history(code, on, expected):
    """The shipped register carries the status events its public sources document."""
    assert REG.status(code, on=dt.date.fromisoformat(on)) is expected


def test_car_compliant_zones_grow_then_lift():
    """CAR trades only from compliant zones: none in 2015, Berbérati in 2016, four by 2017."""
    assert REG.compliant_zones("CF", on=dt.date(2015, 8, 1)) == frozenset()
    assert REG.compliant_zones("CF", on=dt.date(2016, 7, 1)) == {"Berbérati"}
    assert REG.compliant_zones("CF", on=dt.date(2017, 1, 1)) == {
        "Berbérati",
        "Boda",
        "Carnot",
        "Nola",
    }
    assert REG.may_trade("CF", on=dt.date(2017, 1, 1), zone="Nola")
    assert not REG.may_trade("CF", on=dt.date(2017, 1, 1), zone="Bria")
    assert not REG.may_trade("CF", on=dt.date(2017, 1, 1))
    assert REG.may_trade("CF", on=dt.date(2025, 1, 1), zone="Bria")


def test_marange_barred_2009_to_2011():
    """Zimbabwe may trade, but not Marange goods, between the 2009 and 2011 decisions."""
    assert REG.may_trade("ZW", on=dt.date(2008, 1, 1), zone="Marange")
    assert not REG.may_trade("ZW", on=dt.date(2010, 1, 1), zone="Marange")
    assert REG.may_trade("ZW", on=dt.date(2010, 1, 1), zone="Murowa")
    assert REG.may_trade("ZW", on=dt.date(2012, 1, 1), zone="Marange")


@pytest.mark.parametrize(
    ("country", "on", "expected"),
    [
        ("BE", "2003-06-01", "EU"),
        ("GL", "2010-01-01", "EU"),
        ("HR", "2013-06-30", "HR"),
        ("HR", "2013-07-01", "EU"),
        ("RO", "2006-12-31", "RO"),
        ("RO", "2007-01-01", "EU"),
        ("GB", "2020-12-31", "EU"),
        ("GB", "2021-01-01", "GB"),
        ("ZW", "2010-01-01", "ZW"),
        ("QA", "2020-01-01", None),
        ("KP", "2020-01-01", None),
    ],
)
def test_participant_of(country, on, expected):
    """Member states trade through the EU while members; others through themselves."""
    assert REG.participant_of(country, on=dt.date.fromisoformat(on)) == expected


def test_every_event_is_sourced_and_uncertain_dates_say_why():
    """Every event names known sources; every uncertain date keeps the sources' words."""
    for code in REG.codes:
        for event in REG.events(code):
            assert event.sources
            assert set(event.sources) <= set(REG.sources)
            assert bool(event.date_text) == event.date_uncertain, (code, event.on)


@given(codes, dates)
def test_may_trade_agrees_with_status(code, on):
    """Without a zone, trade is allowed exactly when the status is 'participant'."""
    assert REG.may_trade(code, on=on) == (REG.status(code, on=on) is Status.PARTICIPANT)


@given(codes, dates)
def test_restricted_participants_trade_only_compliant_zones(code, on):
    """A restricted participant may trade goods from each compliant zone, and nothing else."""
    zones = REG.compliant_zones(code, on=on)
    if REG.status(code, on=on) is Status.RESTRICTED:
        assert all(REG.may_trade(code, on=on, zone=zone) for zone in zones)
        assert not REG.may_trade(code, on=on, zone="an unlisted zone")
    else:
        assert zones == frozenset()


def test_json_round_trip_is_identity():
    """Dumping and loading the register gives an equal register."""
    again = Register.loads(REG.dumps())
    assert again == REG
    assert again.sources == REG.sources
    assert again.dumps() == REG.dumps()


def test_every_problem_is_reported_at_once():
    """A file with several defects lists each with its path, and loads nothing."""
    data = json.loads(REG.dumps())
    data["participants"][0]["code"] = "XX"
    data["participants"][1]["events"][0]["on"] = "2003-02-30"
    data["participants"][2]["events"][0]["status"] = "banned"
    data["participants"][3]["colour"] = "blue"
    with pytest.raises(LoadError) as info:
        Register.loads(json.dumps(data))
    paths = [problem.path for problem in info.value.problems]
    assert sorted(paths) == [
        "participants[0].code",
        "participants[1].events[0].on",
        "participants[2].events[0].status",
        "participants[3].colour",
    ]


def test_missing_file_is_a_load_error(tmp_path):
    """A file that cannot be read gives a LoadError naming the file."""
    with pytest.raises(LoadError, match=r"missing\.json"):
        Register.load(tmp_path / "missing.json")


def test_out_of_order_events_are_refused():
    """Events must be in date order; the error names the event."""
    data = json.loads(REG.dumps())
    events = data["participants"][0]["events"]
    events.append(dict(events[0]))
    with pytest.raises(LoadError, match=r"events\[1\]\.on"):
        Register.loads(json.dumps(data))


@given(json_values)
def test_any_json_value_loads_or_raises_kpmodel_error(value):
    """Any JSON document either loads or raises a KPModelError, never anything else."""
    with contextlib.suppress(KPModelError):
        Register.loads(json.dumps(value))


def test_unknown_codes_are_clear_errors():
    """A code that is no country raises UnknownCodeError naming the code."""
    with pytest.raises(UnknownCodeError, match="'XX'"):
        REG.status("XX", on=dt.date(2010, 1, 1))
    with pytest.raises(UnknownCodeError, match="participant_of"):
        REG.participant("BE")


def test_zones_only_on_restricted_events():
    """A compliant zone on a non-restricted event is an invalid record."""
    with pytest.raises(InvalidRecordError, match="zones"):
        StatusEvent(
            on=dt.date(2020, 1, 1),
            status=Status.PARTICIPANT,
            summary="",
            sources=(),
            zones={"Nola"},
        )


def test_zone_names_match_without_accents_or_case():
    """Sources spell zones with and without accents; both name the same compliant zone."""
    on = dt.date(2017, 1, 1)
    assert REG.may_trade("CF", on=on, zone="Berberati")
    assert REG.may_trade("CF", on=on, zone="berbérati ")
    assert not REG.may_trade("ZW", on=dt.date(2010, 1, 1), zone="MARANGE")


def test_measures_load_and_report_every_problem():
    """A measure with a bad direction, basis and date is refused with every problem named."""
    data = json.loads(REG.dumps())
    ci = next(p for p in data["participants"] if p["code"] == "CI")
    ci["measures"][0].update(direction="sideways", basis="rumour", until="not a date")
    with pytest.raises(LoadError) as caught:
        Register.loads(json.dumps(data))
    paths = {problem.path for problem in caught.value.problems}
    assert {p.rsplit(".", 1)[-1] for p in paths} >= {"direction", "basis", "until"}


def test_statuses_limit_the_direction_the_sources_give():
    """Ghana stopped its exports in 2006-07; Venezuela stopped both; a UN ban bars CI exports."""
    on = dt.date(2007, 1, 15)
    assert not REG.may_export("GH", on=on)
    assert REG.may_import("GH", on=on)
    assert not REG.may_export("VE", on=dt.date(2012, 1, 1))
    assert not REG.may_import("VE", on=dt.date(2012, 1, 1))
    assert REG.may_import("CI", on=dt.date(2010, 1, 1))
    assert not REG.may_export("CI", on=dt.date(2010, 1, 1))
    assert REG.may_export("CI", on=dt.date(2014, 4, 29))
