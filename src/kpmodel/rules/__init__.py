"""The KPCS core document as code: rules, findings, reports and dated rulebooks.

A `Rule` has an id, the KPCS reference it encodes, a one-line summary, the dates it is in
force and a check that yields `Finding` objects. A `Rulebook` is dated like legislation:
`Rulebook.in_force` gives the rules that apply on a day, so the May 2024 listing of mining
origins on mixed parcels applies only to later certificates. `check` runs the rules in force
over a certificate, a shipment with its certificate, an import confirmation, or a whole
ledger, and returns a `Report`.

The built-in rules (`RULES`), each citing its public sources. No rule is stricter than the
core document: where the sources do not confirm a requirement, the finding is a warning.

======================================  =====================================================
id                                      reference
======================================  =====================================================
``annex-i-statement``                   Annex I, A (title and KPCS statement)
``annex-i-origin``                      Annex I, A (origin of unmixed parcels; MIXED with one
                                        declared origin: warning)
``annex-i-language``                    Annex I, A (language; English translation)
``annex-i-number``                      Annex I, A (numbering with the ISO alpha-2 code; not
                                        as a prefix: warning)
``annex-i-forgery-resistant``           Annex I, A (tamper- and forgery-resistant)
``annex-i-dates``                       Annex I, A (dates of issuance and expiry)
``annex-i-authority``                   Annex I, A (issuing authority)
``annex-i-parties``                     Annex I, A (exporter and importer)
``annex-i-parcels``                     Annex I, A (number of parcels)
``annex-i-validation``                  Annex I, A (validation); Section III(a)
``mixed-origin-listing``                May 2024 intersessional (warning; from May 2024)
``section-iii-c-certificate``           Section III(c) (no non-participant, on the issue date)
``kp-decision-certificate``             KP decisions on a participant, in their direction
``trade-measure-certificate``           UN or national measures, in their direction
``section-ii-a-certificate``            Section II(a) (a certificate with each export)
``section-iii-a-certificate-matches``   Section III(a) (certificate describes the shipment)
``sealed-container``                    tamper-resistant container (section letter unconfirmed)
``certificate-expired``                 Annex I, A (not used before issue; after expiry:
                                        warning, validity is national)
``section-iii-d-transit``               Section III(d) (transit; warnings only)
``section-iii-c-shipment``              Section III(c) (no non-participant, shipment date)
``kp-decision-shipment``                KP decisions on a participant, in their direction
``trade-measure-shipment``              UN or national measures, in their direction
``section-iii-b-confirmation-content``  Section III(b) (what a confirmation refers to)
``section-iii-b-confirmation-matches``  Section III(b) (confirmation matches certificate)
``section-iii-b-receipt-confirmed``     Section III(b) (each shipment's receipt confirmed,
                                        not before issue; none recorded: warning; a ledger
                                        without ``received`` leaves it unchecked)
``ledger-unique-number``                Annex I, A (a certificate number is used once)
======================================  =====================================================

Carats, values and HS codes are Annex I elements too; the records refuse to exist without
them (`kpmodel.certificates.Parcel`), so no rule needs to look for them.
"""

from kpmodel.rules._catalogue import ORIGIN_LISTING_START, RULES
from kpmodel.rules._check import check, default_register
from kpmodel.rules._findings import findings_frame
from kpmodel.rules._model import Context, Finding, NotChecked, Report, Rule, Rulebook

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py checks)
    "Context",
    "Finding",
    "NotChecked",
    "ORIGIN_LISTING_START",
    "RULES",
    "Report",
    "Rule",
    "Rulebook",
    "check",
    "default_register",
    "findings_frame",
]
