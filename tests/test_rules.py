"""The KPCS core document as code: rules, dated rulebooks, check() and reports."""

from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given

import kpmodel as kp
from kpmodel.certificates import MIXED, ImportConfirmation, Shipment, example_certificate
from kpmodel.errors import InvalidArgumentError, UnknownCodeError
from kpmodel.rules import ORIGIN_LISTING_START, RULES, Finding, Report, Rule, Rulebook, check
from kpmodel.testing.strategies import (
    DEFECTS,
    certificates,
    defective_certificates,
    ledgers,
    shipments,
)


def _rules(report):
    return sorted({finding.rule for finding in report.findings})


def _shipment(**changes):
    cert = example_certificate()
    fields = {
        "certificate": cert,
        "from_country": "BW",
        "to_country": "BE",
        "parcels": cert.parcels,
        "sealed": True,
        "departed": date(2023, 3, 2),
    }
    return Shipment(**{**fields, **changes})


def _confirmation(**changes):
    cert = example_certificate()
    fields = {
        "certificate_number": cert.number,
        "received": date(2023, 3, 6),
        "number_of_parcels": 2,
        "carats": cert.carats,
        "importer": cert.importer,
        "exporter": cert.exporter,
    }
    return ImportConfirmation(**{**fields, **changes})


class TestProperties:
    @given(certificates())
    def test_valid_certificates_pass_every_rule(self, cert):
        """A valid certificate has no finding at all, not even a warning."""
        assert check(cert).findings == ()

    @given(defective_certificates())
    def test_each_defect_is_reported_by_its_rule_and_no_other(self, pair):
        """An injected defect is found by the rule for it, and by that rule alone."""
        cert, defect = pair
        report = check(cert)
        assert _rules(report) == [DEFECTS[defect]]

    @given(shipments())
    def test_valid_shipments_pass(self, shipment):
        """A valid shipment with its certificate has no finding."""
        assert check(shipment).findings == ()

    @given(ledgers(max_size=4))
    def test_valid_ledgers_pass(self, ledger):
        """A valid ledger (certificates, shipments, matching confirmations) has no finding."""
        assert check(ledger).findings == ()

    @given(ledgers(min_size=1, max_size=4))
    def test_ledger_findings_are_the_records_findings(self, ledger):
        """Breaking one element of each certificate gives one error per certificate."""
        broken = [
            attrs.evolve(r, validated=False) if isinstance(r, kp.certificates.Certificate) else r
            for r in ledger
        ]
        expected = sum(isinstance(r, kp.certificates.Certificate) for r in ledger)
        assert len(check(broken).errors) == expected


class TestRulebook:
    def test_defects_name_real_rules(self):
        """Every defect kind maps to a built-in rule."""
        ids = {rule.id for rule in RULES}
        assert set(DEFECTS.values()) <= ids

    def test_every_rule_cites_the_kpcs_and_its_sources(self):
        """Each rule has a reference, a summary and its public sources."""
        for rule in RULES:
            assert rule.reference
            assert rule.summary
            assert rule.sources

    def test_container_rule_says_section_unconfirmed(self):
        """The sources leave the container rule's section letter unconfirmed; so does the rule."""
        assert "not confirmed" in Rulebook.default().rule("sealed-container").reference

    def test_origin_listing_is_a_later_rule(self):
        """The May 2024 listing of mining origins applies only from May 2024."""
        book = Rulebook.default()
        assert "mixed-origin-listing" not in {r.id for r in book.in_force(date(2024, 4, 30))}
        assert "mixed-origin-listing" in {r.id for r in book.in_force(ORIGIN_LISTING_START)}
        assert book.rule("mixed-origin-listing").date_uncertain

    def test_check_on_a_date_applies_the_rules_of_that_date(self):
        """The same mixed parcel warns after May 2024 and not before; `on` overrides."""
        cert = example_certificate()
        mixed = attrs.evolve(cert.parcels[0], origin=MIXED)
        later = attrs.evolve(
            cert, parcels=[mixed, cert.parcels[1]], issued=date(2024, 6, 3),
            expires=date(2024, 8, 1),
        )  # fmt: skip
        report = check(later)
        assert _rules(report) == ["mixed-origin-listing"]
        assert report.ok  # a warning only
        assert check(later, on=date(2024, 1, 15)).findings == ()

    def test_listing_judges_the_certificate_as_issued(self):
        """A certificate issued in April 2024 and shipped in May is not held to the May practice.

        The cause of a flaky property (`test_valid_shipments_pass`): a shipment is checked on
        its departure date, and the listing rule then judged a certificate issued before the
        practice existed.
        """
        cert = example_certificate()
        mixed = attrs.evolve(cert.parcels[0], origin=MIXED)
        april = attrs.evolve(
            cert, parcels=[mixed, cert.parcels[1]], issued=date(2024, 4, 20),
            expires=date(2024, 6, 20),
        )  # fmt: skip
        shipment = _shipment(certificate=april, parcels=april.parcels, departed=date(2024, 5, 3))
        assert check(shipment).findings == ()
        assert check([shipment]).findings == ()
        june = attrs.evolve(april, issued=date(2024, 6, 3), expires=date(2024, 8, 1))
        later = _shipment(certificate=june, parcels=june.parcels, departed=date(2024, 6, 4))
        assert _rules(check(later)) == ["mixed-origin-listing"]

    def test_before_the_kpcs_no_rule_applies(self):
        """Before international implementation (2003) nothing is in force."""
        assert Rulebook.default().in_force(date(2002, 12, 31)) == ()

    def test_unique_ids_and_lookup(self):
        """Rule ids are unique in a rulebook; an unknown id is an UnknownCodeError."""
        with pytest.raises(InvalidArgumentError):
            Rulebook([RULES[0], RULES[0]])
        with pytest.raises(UnknownCodeError):
            Rulebook.default().rule("no-such-rule")

    def test_custom_rulebook(self):
        """Users can add their own rule; it runs beside the built-ins."""

        def short_validity(cert, context):
            if cert.expires and cert.expires - cert.issued < timedelta(days=120):
                yield rule.warning("expires", "valid for less than 120 days")

        rule = Rule(
            id="my-validity", reference="national practice", summary="Long validity.",
            applies_to="certificate", check=short_validity, in_force_from=date(2003, 1, 1),
        )  # fmt: skip
        book = Rulebook([*RULES, rule])
        assert _rules(check(example_certificate(), rulebook=book)) == ["my-validity"]
        assert len(book.to_frame()) == len(RULES) + 1


class TestShipments:
    def test_without_certificate(self):
        """Section II(a): a shipment needs a certificate."""
        assert _rules(check(_shipment(certificate=None))) == ["section-ii-a-certificate"]

    def test_unsealed(self):
        """A shipment travels in a sealed tamper-resistant container."""
        assert _rules(check(_shipment(sealed=False))) == ["sealed-container"]

    def test_used_after_expiry(self):
        """A certificate used after its expiry date is reported."""
        report = check(_shipment(departed=date(2023, 6, 1)))
        assert _rules(report) == ["certificate-expired"]

    def test_certificate_describes_another_shipment(self):
        """Section III(a): the certificate must describe the shipment's route and parcels."""
        cert = example_certificate()
        report = check(_shipment(to_country="AE", parcels=cert.parcels[:1]))
        assert {f.path for f in report.findings} == {"to_country", "parcels"}

    def test_certificate_findings_are_prefixed(self):
        """The certificate's own findings name their path inside the shipment."""
        cert = attrs.evolve(example_certificate(), validated=False)
        report = check(_shipment(certificate=cert))
        assert [f.path for f in report.findings] == ["certificate.validated"]

    def test_suspended_participant_on_the_shipment_date(self):
        """A KP decision: the Central African Republic could not trade after 23 May 2013."""
        cert = attrs.evolve(
            example_certificate(), destination_country="CF", issued=date(2013, 5, 1),
            expires=date(2013, 7, 1),
        )  # fmt: skip
        before = _shipment(certificate=cert, to_country="CF", departed=date(2013, 5, 20))
        after = attrs.evolve(before, departed=date(2013, 6, 1))
        assert check(before).findings == ()
        assert _rules(check(after)) == ["kp-decision-shipment"]

    def test_compliant_zones(self):
        """A restricted participant may export only goods from its compliant zones."""
        cert = example_certificate()
        boda = attrs.evolve(cert.parcels[0], origin="CF", zone="Boda")
        elsewhere = attrs.evolve(cert.parcels[1], origin="CF", zone="Bria")
        car = attrs.evolve(
            cert, number="CF1", issuing_country="CF", issued=date(2018, 1, 10),
            expires=date(2018, 3, 1), parcels=[boda, elsewhere],
        )  # fmt: skip
        report = check(car)
        assert [f.path for f in report.findings] == ["parcels[1].zone"]
        assert "Boda" in report.findings[0].message

    def test_suspended_issuer(self):
        """Venezuela's certificates during its self-suspension are reported."""
        cert = attrs.evolve(
            example_certificate(), number="VE1", issuing_country="VE", issued=date(2012, 1, 5),
            expires=date(2012, 3, 1),
        )  # fmt: skip
        report = check(cert)
        assert [f.path for f in report.findings] == ["issuing_country"]


class TestConfirmations:
    def test_matching_confirmation(self):
        """A confirmation that matches its certificate in a ledger has no finding."""
        assert check([example_certificate(), _confirmation()]).findings == ()

    def test_mismatches(self):
        """Section III(b): parcels, carats and parties must match the certificate."""
        bad = _confirmation(number_of_parcels=3, carats=Decimal("1"))
        report = check([example_certificate(), bad])
        assert {f.path for f in report.findings} == {"[1].number_of_parcels", "[1].carats"}

    def test_missing_references(self):
        """Section III(b): a confirmation must refer to parcels, carats and parties."""
        report = check(_confirmation(carats=None, importer=None))
        assert _rules(report) == ["section-iii-b-confirmation-content"]
        assert len(report.findings) == 2

    def test_unmatched_confirmation_warns(self):
        """A confirmation with no certificate in the ledger is a warning."""
        report = check([_confirmation()])
        assert report.ok
        assert [f.severity for f in report.findings] == ["warning"]


class TestLedger:
    def test_number_used_twice(self):
        """The same certificate number on two shipments is reported once, at the second."""
        first = _shipment()
        second = attrs.evolve(first, departed=date(2023, 4, 2))
        report = check([first, second])
        assert [f.path for f in report.findings] == ["[1].certificate.number"]

    def test_certificate_beside_its_shipment_is_one_use(self):
        """Listing a certificate and the shipment it accompanies is not a reuse."""
        assert check([example_certificate(), _shipment()]).findings == ()

    def test_each_shipments_receipt_is_confirmed(self):
        """Section III(b): in a ledger that records confirmations, an unconfirmed one warns."""
        other = attrs.evolve(example_certificate(), number="BW000124")
        report = check([example_certificate(), other, _confirmation()])
        assert [(f.rule, f.severity, f.path) for f in report.findings] == [
            ("section-iii-b-receipt-confirmed", "warning", "[1].received")
        ]
        assert report.ok  # the core document sets no deadline: a warning
        assert check([example_certificate(), other]).findings == ()  # no confirmations kept

    def test_receipt_before_issue_is_an_error_of_the_receipt_rule(self):
        """A receipt confirmed before the certificate was issued, reported once."""
        early = _confirmation(received=date(2023, 2, 1))
        report = check([example_certificate(), early])
        assert [(f.rule, f.severity, f.path) for f in report.findings] == [
            ("section-iii-b-receipt-confirmed", "error", "[0].received")
        ]

    def test_receipts_in_a_ledger_table(self):
        """The ``received`` column: empty cells warn, earlier dates fail, no column: unchecked."""
        other = attrs.evolve(example_certificate(), number="BW000124")
        early = attrs.evolve(example_certificate(), number="BW000125")
        records = [
            example_certificate(), other, early, _confirmation(),
            _confirmation(certificate_number="BW000125", received=date(2023, 2, 1)),
        ]  # fmt: skip
        ledger = kp.Ledger.from_records(records)
        found = [(f.rule, f.severity, f.path) for f in check(ledger).findings]
        assert found == [
            ("section-iii-b-receipt-confirmed", "warning", "[1].received"),
            ("section-iii-b-receipt-confirmed", "error", "[2].received"),
        ]
        assert found == [(f.rule, f.severity, f.path) for f in check(records).findings]
        table = kp.Ledger.from_frame(ledger.to_frame().drop(columns="received"))
        report = check(table)
        assert report.findings == ()
        skipped = {n.rule: n.reason for n in report.not_checked}
        assert skipped["section-iii-b-receipt-confirmed"] == "the ledger has no column 'received'"

    def test_bad_items_and_arguments(self):
        """Anything but records, and dates that do not exist, are InvalidArgumentError."""
        with pytest.raises(InvalidArgumentError):
            check([example_certificate(), "BW1"])
        with pytest.raises(InvalidArgumentError):
            check(42)
        with pytest.raises(InvalidArgumentError):
            check(example_certificate(), on="2023-02-30")


class TestReport:
    def test_to_frame(self):
        """to_frame has one row per finding and the documented columns."""
        cert = attrs.evolve(example_certificate(), validated=False, kp_statement=False)
        frame = check(cert).to_frame()
        assert list(frame.columns) == ["rule", "severity", "path", "message", "reference"]
        assert len(frame) == 2

    def test_ok_counts_errors_only(self):
        """ok is false when any finding is an error."""
        warning = Finding(rule="r", severity="warning", message="m", path="", reference="x")
        error = attrs.evolve(warning, severity="error")
        assert Report([warning]).ok
        assert not Report([warning, error]).ok
        assert Report([warning, error]).errors == (error,)
