"""Sourced statements the library must reproduce, each row citing its public source.

A KP working-group member or a civil-society analyst checks these first: how many
participants there were on a given date, who could trade when and in which direction, and
what each definition says about the historical cases, with its reasons. Each row names the
public source of the statement; the test fails when the library stops reproducing it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pandas as pd
import pytest

import kpmodel as kp
from kpmodel.certificates import Shipment, example_certificate

REG = kp.participants.Register.default()
BOOK = kp.definitions.CaseBook.default()

CHAIR_2003 = "Chair's Notice, Updated KP Participants List, 31 Oct 2003 (via Rapaport)"
PROF_JEWELER_2003 = "Professional Jeweler, 'Kimberley Confirms 53 Participants', 7 Aug 2003"
SUN_CITY_2003 = "KP Plenary, Sun City, Final Communiqué, 29-31 Oct 2003"
LEBANON_MOE = "Lebanese Ministry of Economy and Trade, 'Kimberley Process' (as of Nov 2013)"
RAPAPORT_2024 = "Rapaport, CAR reinstated (Nov 2024); Mines to Market, Nov 2024"
UN_SC8585 = "UN press release SC/8585, 15 Dec 2005 (resolution 1643 (2005))"
DW_2014 = "DW, 'UN lifts diamond export embargo for Ivory Coast' (Apr 2014)"
AFRAFF = "African Affairs, doi 10.1093/afraf/adq020 (Ghana's exports, Nov 2006 - Mar 2007)"
KP_PAGE = "Kimberley Process, 'Participants au processus de Kimberley et observateurs'"
VOA_2013 = "Voice of America (Reuters), May 2013, CAR suspended"
DIAMOND_LOUPE_2016 = "The Diamond Loupe, 27 Sep 2016 (Boda, Carnot and Nola compliant)"
GADZI = "Rapaport via Canadian Mining Report, 'Violence Limiting CAR Diamond Exports'"
RAPAPORT_2004 = "Rapaport, 11 Jul 2004, 'Republic of Congo off KP list'"
REUTERS_2007 = "Reuters, 8 Nov 2007, 'Congo Republic sheds blood diamond tag'"
GOE_2007 = "Rapaport, 21 Oct 2007 (UN Group of Experts: Mali not then a participant)"
TURKEY_2007 = "Rapaport, 22 Aug 2007, 'Turkey Becomes KP Participant No.47'"
LIBERIA_2007 = "Rapaport, 4 May 2007, 'Liberia Joins Kimberley Process'"
WASHINGTON_2012 = "KP Plenary, Washington, Final Communiqué, 30 Nov 2012"
BRUSSELS_2018 = "Kimberley Process, Brussels plenary 12-16 Nov 2018 (Gabon welcomed)"
ZIM_AD = "ICG 2010, 'Time to rethink the KP: the Zimbabwe case' (Marange AD, Nov 2009)"
GOLAN_2012 = "E. Golan, 'Expanding the Scope in the Name of Decency', Rubel & Ménasché, 2012"
KP_CHAIR_2013 = "mining.com (KP chair, May 2013): diamonds used by the rebels"
IDEX_2025 = "IDEX, May 2025 (ADPA wording as quoted)"
UN_2127 = "UN 2127 Committee narrative summary, BADICA/KARDIAM (listed 20 Aug 2015)"
CSC_2021 = "KP Civil Society Coalition, Moscow 2021 closing speech"
G7_2023 = "Politico via Republic of Mining, 6 Dec 2023 (G7 import ban from 1 Jan 2024)"
CANADA_2018 = "Rapaport, 14 Nov 2018, the WDC/CSC text tabled by Canada"
MOISEEV_2020 = "Rubel & Ménasché, Moiseev on Russia's priorities (Feb 2020)"
MARQUES_2011 = "R. Marques, Diamantes de Sangue (2011)"


# --- Participant counts, counted the KP way (the EU as one; Chinese Taipei not numbered) ------

COUNTS = [
    ("2003-10-31", 45, CHAIR_2003),
    ("2013-11-30", 54, LEBANON_MOE),
    ("2024-11-16", 60, RAPAPORT_2024),
]


@pytest.mark.parametrize(("on", "count", "source"), COUNTS)
def test_participant_counts(on, count, source):
    """The register counts as many participants as the source does on that date."""
    assert len(REG.participants_on(dt.date.fromisoformat(on))) == count, source


# --- Who was a participant when -----------------------------------------------------------------

MEMBERSHIP = [
    ("BR", "2003-09-01", False, PROF_JEWELER_2003),
    ("BR", "2003-11-01", True, SUN_CITY_2003),
    ("TG", "2003-09-01", False, PROF_JEWELER_2003),
    ("RO", "2003-11-01", True, SUN_CITY_2003),
    ("BG", "2003-09-01", False, PROF_JEWELER_2003),
    ("BG", "2003-11-01", True, CHAIR_2003),
    ("MY", "2003-09-01", False, PROF_JEWELER_2003),
    ("VN", "2003-11-01", True, CHAIR_2003),
    ("ML", "2007-10-21", False, GOE_2007),
    ("ML", "2013-11-30", True, LEBANON_MOE),
    ("TR", "2007-08-13", False, TURKEY_2007),
    ("TR", "2007-08-14", True, TURKEY_2007),
    ("LR", "2007-05-04", True, LIBERIA_2007),
    ("KZ", "2012-11-30", True, WASHINGTON_2012),
    ("GA", "2018-11-16", True, BRUSSELS_2018),
    ("BD", "2006-06-30", True, "Rapaport News, 19 Jul 2007 (Bangladesh did not submit 2006 data)"),
    ("CG", "2005-01-01", False, RAPAPORT_2004),
    ("CG", "2008-01-01", True, REUTERS_2007),
    ("CI", "2010-01-01", True, UN_SC8585),
    ("UZ", "2024-11-14", False, RAPAPORT_2024),
    ("UZ", "2024-11-15", True, RAPAPORT_2024),
]


@pytest.mark.parametrize(("code", "on", "member", "source"), MEMBERSHIP)
def test_who_was_a_participant(code, on, member, source):
    """Counted as a participant on the date, or not, as the source says."""
    day = dt.date.fromisoformat(on)
    assert (code in REG.participants_on(day)) is member, source


# --- Who could trade when, and in which direction ---------------------------------------------

TRADE = [
    # (code, date, flow, zone, allowed, source)
    ("CI", "2010-01-01", "exports", None, False, UN_SC8585),
    ("CI", "2010-01-01", "imports", None, True, UN_SC8585),
    ("CI", "2014-04-29", "exports", None, True, DW_2014),
    ("GH", "2007-01-15", "exports", None, False, AFRAFF),
    ("GH", "2007-01-15", "imports", None, True, AFRAFF),
    ("GH", "2007-06-01", "exports", None, True, AFRAFF),
    ("VE", "2012-01-01", "exports", None, False, KP_PAGE),
    ("VE", "2012-01-01", "imports", None, False, KP_PAGE),
    ("CF", "2013-06-01", "exports", None, False, VOA_2013),
    ("CF", "2013-06-01", "imports", None, False, VOA_2013),
    ("CF", "2017-01-01", "exports", "Nola", True, DIAMOND_LOUPE_2016),
    ("CF", "2017-01-01", "exports", "Bria", False, DIAMOND_LOUPE_2016),
    ("CF", "2020-03-01", "exports", "Gadzi", True, GADZI),
    ("CF", "2025-01-01", "exports", "Bria", True, RAPAPORT_2024),
    ("ZW", "2010-06-01", "exports", "Marange", False, ZIM_AD),
    ("ZW", "2010-06-01", "exports", "Murowa", True, ZIM_AD),
    ("CG", "2005-01-01", "imports", None, False, RAPAPORT_2004),
]


@pytest.mark.parametrize(("code", "on", "flow", "zone", "allowed", "source"), TRADE)
def test_who_could_trade(code, on, flow, zone, allowed, source):
    """Whether the participant could export (from the zone) or import on the date."""
    day = dt.date.fromisoformat(on)
    if flow == "exports":
        assert REG.may_export(code, on=day, zone=zone) is allowed, source
    else:
        assert REG.may_import(code, on=day) is allowed, source


def _shipment(frm: str, to: str, day: dt.date) -> Shipment:
    cert = attrs.evolve(
        example_certificate(),
        issuing_country=frm,
        number=frm + "0001",
        destination_country=to,
        issued=day,
        expires=day + dt.timedelta(days=60),
    )
    return Shipment(
        certificate=cert,
        from_country=frm,
        to_country=to,
        parcels=cert.parcels,
        sealed=True,
        departed=day,
        arrived=day,
    )


SHIPMENTS = [
    # (from, to, date, the rules that report it, source)
    ("BE", "CI", "2010-03-01", set(), UN_SC8585),
    ("CI", "BE", "2010-03-01", {("trade-measure-shipment", "error")}, UN_SC8585),
    ("CI", "BE", "2014-06-01", set(), DW_2014),
    ("CF", "BE", "2014-02-01", {("kp-decision-shipment", "error")}, VOA_2013),
    ("GH", "BE", "2007-01-10", {("kp-decision-shipment", "error")}, AFRAFF),
    ("BE", "KP", "2012-03-01", {("section-iii-c-shipment", "error")}, CHAIR_2003),
]


@pytest.mark.parametrize(("frm", "to", "on", "rules", "source"), SHIPMENTS)
def test_breaches_are_reported_under_the_rule_that_applies(frm, to, on, rules, source):
    """A UN ban on imports from Côte d'Ivoire bars its exports, not exports to it."""
    report = kp.check(_shipment(frm, to, dt.date.fromisoformat(on)))
    assert {(f.rule, f.severity) for f in report.findings} == rules, source


# --- The case book's verdicts, with their reasons ---------------------------------------------

VERDICTS = [
    # (case, definition, outcome, a component in the reasons, source)
    ("zimbabwe-marange", "KPCS_2003", "out", "actor", GOLAN_2012),
    ("zimbabwe-marange", "CANADA_WDC_CSC_2018", "in", "link", CANADA_2018),
    ("car-seleka-2013", "KPCS_2003", "in", "target", KP_CHAIR_2013),
    ("russia-2022", "KPCS_2003", "out", "actor", GOLAN_2012),
    ("russia-2022", "G7_RUSSIA_ORIGIN_2024", "in", "geography", G7_2023),
    ("car-mercenaries-2021", "KPCS_2003", "out", "actor", CSC_2021),
    ("car-mercenaries-2021", "RUSSIA_2019", "undetermined", "actor", MOISEEV_2020),
    ("car-armed-groups-2021", "ADPA_2025", "undetermined", "harm", CSC_2021),
    ("car-criminal-elements-2021", "KPCS_2003", "out", "actor", CSC_2021),
    ("angola-lunda-norte-teleservice", "ADPA_2025", "out", "link", IDEX_2025),
    ("angola-lunda-norte-faa", "CANADA_WDC_CSC_2018", "undetermined", "threshold", MARQUES_2011),
    ("angola-lunda-norte-faa", "CSC_POSITION", "in", "threshold", MARQUES_2011),
    ("car-badica-kardiam-2014", "ADPA_2025", "undetermined", "link", UN_2127),
]


@pytest.mark.parametrize(("key", "name", "outcome", "component", "source"), VERDICTS)
def test_case_verdicts_and_their_reasons(key, name, outcome, component, source):
    """The verdict is the one the case book records, for the reason the source gives."""
    verdict = kp.definitions.get(name)(BOOK[key])
    assert verdict.outcome.value == outcome, source
    assert component in {r.component for r in verdict.reasons}, source
    assert BOOK.case(key).expected[name].outcome.value == outcome
    assert BOOK.case(key).expected[name].reading


def test_every_recorded_verdict_says_whose_reading_it_is():
    """A named publication, or kpmodel's own reading with its reasoning in the note."""
    for case in BOOK.cases:
        for name, expected in case.expected.items():
            assert expected.reading, (case.key, name)
            if expected.reading == "kpmodel":
                assert expected.note, (case.key, name)


# --- What a sanction judges ---------------------------------------------------------------------


def test_g7_ban_judges_imports():
    """Mined in Russia in 2023, mixed in Dubai, imported into Belgium on 1 March 2024: IN."""
    g = kp.ProvenanceGraph()
    russia = g.produce(country="RU", carats=100, on="2023-06-01")
    botswana = g.produce(country="BW", carats=300, on="2023-06-01")
    dubai = g.mix(
        [g.ship(russia, to="AE", on="2023-09-01"), g.ship(botswana, to="AE", on="2023-09-01")]
    )
    antwerp = g.ship(dubai, to="BE", on="2024-03-01")
    lots = kp.definitions.Lots.from_graph(g, BOOK, lots=[dubai, antwerp])
    table = kp.compare("G7_RUSSIA_ORIGIN_2024", lots).table.set_index(["item", "definition"])
    assert table.loc[(str(antwerp), "G7_RUSSIA_ORIGIN_2024"), "in_carats"] == 100.0, G7_2023
    assert table.loc[(str(dubai), "G7_RUSSIA_ORIGIN_2024"), "verdict"] == "out", G7_2023
    assert table.loc[(str(antwerp), "KPCS_2003"), "verdict"] == "out", GOLAN_2012


# --- Coverage respects the register's zone decisions ---------------------------------------------


def test_coverage_respects_compliant_zones_and_the_end_of_the_ivorian_ban():
    """The KP certified only compliant-zone exports from the CAR (2015-2024), and Côte
    d'Ivoire's recorded production of 2014 came after the UN ban ended on 29 April."""
    stats = pd.DataFrame(
        {
            "participant": ["CF", "CI"],
            "year": [2021, 2014],
            "carats": [100.0, 1074.0],
            "value_usd": [10_000.0, 112_223.0],
        }
    )
    country_wide = attrs.evolve(
        BOOK.case("car-seleka-2013"),
        key="car-country-wide-2021",
        situation=attrs.evolve(
            BOOK["car-seleka-2013"], period=kp.definitions.Period("2021", "2021")
        ),
    )
    rich = (*BOOK.cases, country_wide)
    cov = kp.definitions.coverage(
        "KPCS_2003", stats, kp.definitions.CaseBook(cases=rich)
    ).set_index("year")
    assert cov.loc[2021, "carats_high"] == 0.0, DIAMOND_LOUPE_2016
    assert "compliant zones" in cov.loc[2021, "basis"]
    assert (cov.loc[2014, "carats_low"], cov.loc[2014, "carats_high"]) == (0.0, 1074.0), DW_2014


# --- Not a definition --------------------------------------------------------------------------


def test_frame_7_is_a_non_binding_checklist_not_a_definition():
    """Moscow 2021: non-binding responsible-sourcing principles (JCK, Nov 2021)."""
    frame = kp.definitions.FRAME_7
    assert not frame.binding
    assert not isinstance(frame, kp.definitions.Definition)
    assert "FRAME_7" not in kp.definitions.BUILTIN_NAMES
    assert "not a definition" in frame.describe()


def test_no_text_cites_documents_users_do_not_have():
    """Facts cite their public sources, never kpmodel's internal research notes."""
    root = Path(__file__).resolve().parents[1]
    banned = ("domain brief", "the brief", "brief section", "brief table", "shared/domain")
    offenders = []
    for folder in ("src", "docs", "examples"):
        for path in (root / folder).rglob("*"):
            if "_build" in path.parts or path.suffix not in TEXT_SUFFIXES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            offenders += [f"{path.relative_to(root)}: {b!r}" for b in banned if b in text]
    assert offenders == []


TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".csv", ".json", ".rst", ".ipynb"}
