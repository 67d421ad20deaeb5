"""kp.check on a Ledger: the findings of its records, and the rules it cannot check, named."""

from __future__ import annotations

from datetime import date

import attrs
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpmodel as kp
from kpmodel.ledger import REQUIRED_COLUMNS, Ledger
from kpmodel.rules import NotChecked, Report, Rule, Rulebook
from kpmodel.testing.strategies import certificates, defective_certificates, ledger_tables

RECORD_KINDS = {"shipment", "import_confirmation"}


def numbered(certs):
    """The certificates with distinct numbers, keeping each issuer's prefix."""
    return [attrs.evolve(c, number=f"{c.number}-{i}") for i, c in enumerate(certs)]


@st.composite
def mixed_ledgers(draw):
    """Certificates, some with one defect each; sometimes a number used twice."""
    good = draw(st.lists(certificates(), max_size=3))
    bad = [pair[0] for pair in draw(st.lists(defective_certificates(), max_size=3))]
    certs = numbered(draw(st.permutations(good + bad)))
    if len(certs) >= 3 and draw(st.booleans()):
        certs[2] = attrs.evolve(certs[2], number=certs[0].number)  # a number used again
    return certs


class TestAgreement:
    @settings(max_examples=40, deadline=None)
    @given(mixed_ledgers(), st.sampled_from([None, date(2010, 6, 1), date(2025, 1, 1)]))
    def test_same_findings_as_the_records(self, certs, on):
        """With every column, a ledger's findings are exactly those of its records."""
        ledger = Ledger.from_records(certs)
        mine = kp.check(ledger, on=on)
        theirs = kp.check(ledger.records(), on=on)
        assert mine.findings == theirs.findings
        assert {n.rule for n in mine.not_checked} <= {
            r.id for r in kp.rules.RULES if r.applies_to in RECORD_KINDS
        }

    @settings(max_examples=30, deadline=None)
    @given(ledger_tables(max_size=4))
    def test_missing_columns_are_not_checked(self, ledger):
        """A rule reading an absent column is listed as not checked and reports nothing."""
        report = kp.check(ledger)
        skipped = {n.rule for n in report.not_checked}
        book = Rulebook.default()
        for rule in book.rules:
            absent = [c for c in rule.columns if c not in ledger.columns]
            in_force = any(rule.in_force(c.issued) for c in ledger.records())
            if absent and in_force and rule.applies_to not in RECORD_KINDS:
                assert rule.id in skipped
        assert not {f.rule for f in report.findings} & skipped
        full = kp.check(ledger.records())
        expected = tuple(f for f in full.findings if f.rule not in skipped)
        assert report.findings == expected


class TestNotChecked:
    def test_a_trade_table(self):
        """The nine required columns: origin, numbering and participants are checked."""
        cert = kp.certificates.example_certificate()
        frame = Ledger.from_records([cert]).to_frame()[list(REQUIRED_COLUMNS)]
        report = kp.check(Ledger.from_frame(frame))
        assert report.ok
        assert report.findings == ()
        skipped = {n.rule: n.reason for n in report.not_checked}
        assert skipped["annex-i-authority"] == "the ledger has no column 'issuing_authority'"
        assert skipped["sealed-container"] == "a ledger holds no shipments; check those records"
        for checked in ("annex-i-origin", "annex-i-number", "section-iii-c-certificate"):
            assert checked not in skipped
        text = str(report)
        assert text.startswith("no findings\nnot checked: the ledger has no column 'kp_statement'")

    def test_suspended_participant_in_a_trade_table(self):
        """A certificate issued by a suspended participant is found from the table alone."""
        frame = pd.DataFrame(
            {
                "number": ["CF-1"], "issuing_country": ["CF"], "destination_country": ["AE"],
                "issued": ["2014-01-10"], "hs_code": ["7102.10"], "carats": [10.0],
                "value_usd": [1000.0], "origin": ["CF"], "declared_origins": [""],
            }
        )  # fmt: skip
        ledger = Ledger.from_frame(frame)
        report = kp.check(ledger)
        assert report.findings
        skipped = {n.rule for n in report.not_checked}
        full = kp.check(ledger.records()).findings
        assert report.findings == tuple(f for f in full if f.rule not in skipped)
        assert all(f.path == "[0].issuing_country" for f in report.findings)

    def test_a_look_alike_rule_runs_as_written(self):
        """A user's rule with a built-in id is not answered by the built-in shortcut."""

        def always(cert, context):
            yield LOOK_ALIKE.error("number", "looked at")

        LOOK_ALIKE = Rule(  # noqa: N806 (a rule, named like the catalogue's)
            id="annex-i-number", reference="mine", summary="mine", applies_to="certificate",
            check=always, in_force_from=date(2003, 1, 1), columns=("number",),
        )  # fmt: skip
        ledger = Ledger.from_records([kp.certificates.example_certificate()])
        report = kp.check(ledger, rulebook=Rulebook([LOOK_ALIKE]))
        assert [str(f) for f in report.findings] == [
            "error [0].number: looked at [annex-i-number; mine]"
        ]

    def test_report_shape(self):
        """A report without notes prints as before; notes follow the findings."""
        note = NotChecked(rule="r", reason="why", reference="ref")
        assert str(Report(())) == "no findings"
        assert str(Report((), not_checked=[note])) == "no findings\nnot checked: why [r; ref]"
        assert Report(()).not_checked == ()

    def test_empty_ledger(self):
        """An empty ledger has nothing to find and nothing left unchecked."""
        empty = Ledger.from_records([])
        assert kp.check(empty) == Report(())

    @pytest.mark.parametrize("on", ["2014-01-10", date(2014, 1, 10)])
    def test_on(self, on):
        """`on` judges every certificate on one day, as for records."""
        cert = kp.certificates.example_certificate()
        ledger = Ledger.from_records([attrs.evolve(cert, issuing_country="CF", number="CF1")])
        assert kp.check(ledger, on=on).findings == kp.check(ledger.records(), on=on).findings
