"""The shipped case book gives its recorded verdicts; user case books load all-or-nothing."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpmodel import definitions as d
from kpmodel.errors import LoadError
from kpmodel.testing.strategies import situations

BOOK = d.CaseBook.default()
EXPECTED = [
    (case.key, name, expected) for case in BOOK.cases for name, expected in case.expected.items()
]


@pytest.mark.parametrize(
    ("key", "name", "expected"), EXPECTED, ids=[f"{k}-{n}" for k, n, _ in EXPECTED]
)
def test_shipped_cases_give_the_verdicts_the_case_book_records(key, name, expected):
    """Each verdict the case book records is what the definition gives."""
    verdict = d.get(name)(BOOK[key])
    assert verdict.outcome is expected.outcome, [str(r) for r in verdict.reasons]


def test_the_issue_examples_hold():
    """Marange: OUT under KPCS, IN under Canada 2018 and OECD; Russia: OUT vs IN under G7."""
    assert d.KPCS_2003(BOOK["zimbabwe-marange"]).outcome is d.Outcome.OUT
    assert d.CANADA_WDC_CSC_2018(BOOK["zimbabwe-marange"]).outcome is d.Outcome.IN
    assert d.OECD_ANNEX_II(BOOK["zimbabwe-marange"]).outcome is d.Outcome.IN
    assert d.KPCS_2003(BOOK["russia-2022"]).outcome is d.Outcome.OUT
    assert d.G7_RUSSIA_ORIGIN_2024(BOOK["russia-2022"]).outcome is d.Outcome.IN


def test_ambiguous_cases_stay_undetermined_and_are_explained():
    """Where the text leaves a case open, the verdict is UNDETERMINED and its note says why."""
    ambiguous = [(k, n, e) for k, n, e in EXPECTED if e.outcome is d.Outcome.UNDETERMINED]
    assert len(ambiguous) >= 4
    for key, name, expected in ambiguous:
        assert expected.note, f"{key}/{name}: an undetermined verdict must say what is open"
        assert d.get(name)(BOOK[key]).because  # what stayed open is named


def test_every_case_is_sourced_and_covers_the_nine_episodes():
    """The nine historical episodes are all there, each situation with sources."""
    groups = {case.group for case in BOOK.cases}
    assert len(groups) == 9
    assert all(case.situation.sources for case in BOOK.cases)
    assert all(case.expected for case in BOOK.cases)


def test_json_round_trip(tmp_path):
    """A case book written as JSON loads back equal."""
    path = tmp_path / "book.json"
    path.write_text(json.dumps(BOOK.to_data(), ensure_ascii=False), "utf-8")
    assert d.CaseBook.load(path) == BOOK


def test_toml_file_loads(tmp_path):
    """A user's TOML case book loads, with year-precision dates."""
    path = tmp_path / "mine.toml"
    path.write_text(
        """
[[cases]]
key = "marange-2012"
[cases.situation]
place = "ZW/Marange"
period = { start = "2012", end = "2012" }
actor = "public_security_force"
harms = ["forced_labour"]
link = "acquired_through"
sources = ["my field notes"]
[cases.expected]
OECD_ANNEX_II = "in"
""",
        "utf-8",
    )
    book = d.CaseBook.load(path)
    assert book.keys() == ["marange-2012"]
    assert d.OECD_ANNEX_II(book["marange-2012"]).outcome is d.Outcome.IN


@given(st.lists(situations(), min_size=1, max_size=4))
def test_generated_situations_round_trip(items):
    """Any situation survives to_data and from_data unchanged."""
    book = d.CaseBook([d.Case(key=f"k{i}", situation=s) for i, s in enumerate(items)])
    again = d.CaseBook.from_data(json.loads(json.dumps(book.to_data())))
    assert again == book


def test_loading_reports_every_problem_with_its_path():
    """All problems are reported at once, each with its field path; nothing is loaded."""
    data = {
        "cases": [
            {
                "key": "a",
                "situation": {
                    "place": {"country": "XX"},
                    "period": {"start": "2011", "end": "2009"},
                    "actor": "army",
                    "harms": ["torture", "arson"],
                    "colour": "red",
                },
                "expected": {"KPCS_2003": "maybe"},
            },
            {"key": "a", "situation": {"period": {"start": "2009"}}},
            {"situation": {"place": "ZW", "period": {"start": "2009"}}},
            "not a table",
        ]
    }
    with pytest.raises(LoadError) as info:
        d.CaseBook.from_data(data, source="mine.json")
    paths = {p.path for p in info.value.problems}
    assert paths >= {
        "cases[0].situation.place.country",
        "cases[0].situation.period.end",
        "cases[0].situation.actor",
        "cases[0].situation.harms[1]",
        "cases[0].situation.colour",
        "cases[0].expected.KPCS_2003.outcome",
        "cases[1].key",
        "cases[1].situation.place",
        "cases[2].key",
        "cases[3]",
    }
    assert "mine.json" in str(info.value)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("book.yaml", "", "must end in .toml or .json"),
        ("book.json", "{", "not valid JSON"),
        ("book.toml", "cases = [", "not valid TOML"),
        ("book.json", '{"schema": 2, "cases": []}', "must be 1"),
    ],
)
def test_bad_files_raise_load_errors(tmp_path, name, text, message):
    """Unreadable files raise LoadError, never another exception."""
    path = tmp_path / name
    path.write_text(text, "utf-8")
    with pytest.raises(LoadError, match=message):
        d.CaseBook.load(path)


def test_missing_file_is_a_load_error(tmp_path):
    """A missing file raises LoadError naming the file."""
    with pytest.raises(LoadError, match="cannot read"):
        d.CaseBook.load(tmp_path / "nope.toml")


def test_unknown_case_key_lists_the_keys():
    """Looking up an unknown key says which keys exist."""
    with pytest.raises(KeyError, match="zimbabwe-marange"):
        BOOK["marange"]
