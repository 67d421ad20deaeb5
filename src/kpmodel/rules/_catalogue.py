"""The built-in rules: the KPCS core document as code.

Every rule cites its KPCS reference and the source keys of the domain brief
(`shared/domain/kpcs-rules.md`). The rules are in force from 1 January 2003, the start of
international implementation [Sun-City-2003; WDC-FAQ], unless they say otherwise.
Checks are small generator functions that yield nothing for a sound record: the common case
costs one call each, so a ledger of 100,000 certificates checks in seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from kpmodel.certificates import (
    MIXED,
    Certificate,
    ImportConfirmation,
    Parcel,
    Shipment,
)
from kpmodel.rules._model import KPCS_START, Context, Finding, Rule, Rulebook

# Month of the Dubai intersessional (May 2024) [Krawitz-2024; WDC-2024-close; WDC-2024-open];
# the brief gives no day, so the rule starts on the first of the month and says so.
ORIGIN_LISTING_START = date(2024, 5, 1)

_ANNEX_I = "Annex I, A"
_ANNEX_I_SOURCES = ("31CFR-592.307", "AU-9AA", "GPO-2004")
# The ledger columns a rule reads (kpmodel.Ledger); a ledger without them leaves it unchecked.
_PARTY_COLUMNS = tuple(f"{role}_{key}" for role in ("exporter", "importer")
                       for key in ("name", "address", "country"))  # fmt: skip


def _annex_i(
    rule_id: str, element: str, summary: str, check: object, columns: tuple[str, ...] = ()
) -> Rule:
    return Rule(
        id=rule_id,
        reference=f"{_ANNEX_I} ({element})",
        summary=summary,
        applies_to="certificate",
        check=check,  # type: ignore[arg-type]
        in_force_from=KPCS_START,
        sources=_ANNEX_I_SOURCES,
        columns=columns,
    )


# --- Annex I, Part A: the minimum content of a certificate -----------------------------------


def _statement(cert: Certificate, _: Context) -> Iterator[Finding]:
    if not cert.kp_statement:
        yield STATEMENT.error(
            "kp_statement",
            "the certificate does not carry the title 'Kimberley Process Certificate' and the "
            "statement that the rough diamonds were handled in accordance with the KPCS",
        )


def _origin(cert: Certificate, _: Context) -> Iterator[Finding]:
    for index, parcel in enumerate(cert.parcels):
        if parcel.origin is None:
            yield ORIGIN.error(
                f"parcels[{index}].origin",
                "no origin stated; an unmixed parcel must name its country of origin and a "
                "mixed parcel must say 'MIXED'",
            )
        elif parcel.origin == MIXED and len(parcel.declared_origins) == 1:
            (only,) = parcel.declared_origins
            yield ORIGIN.error(
                f"parcels[{index}].origin",
                f"marked 'MIXED' but its only declared origin is {only!r}; a parcel from one "
                f"country is unmixed and must state that country ({only!r}) as its origin",
            )


def _language(cert: Certificate, _: Context) -> Iterator[Finding]:
    if cert.language != "en" and not cert.english_translation:
        yield LANGUAGE.error(
            "english_translation",
            f"issued in {cert.language!r} without an English translation; a certificate may be "
            "issued in any language provided an English translation is incorporated",
        )


def _number(cert: Certificate, _: Context) -> Iterator[Finding]:
    if not cert.number.startswith(cert.issuing_country):
        yield NUMBER.error(
            "number",
            f"{cert.number!r} does not start with the issuing country's code "
            f"{cert.issuing_country!r}; certificates are numbered with the ISO 3166-1 alpha-2 "
            "code",
        )


def _forgery(cert: Certificate, _: Context) -> Iterator[Finding]:
    if not cert.forgery_resistant:
        yield FORGERY.error(
            "forgery_resistant", "the certificate is not tamper- and forgery-resistant"
        )


def _dates(cert: Certificate, _: Context) -> Iterator[Finding]:
    if cert.expires is None:
        yield DATES.error("expires", "no date of expiry; every certificate must state one")
    elif cert.expires <= cert.issued:
        yield DATES.error(
            "expires",
            f"expires on {cert.expires}, not after its date of issuance {cert.issued}",
        )


def _authority(cert: Certificate, _: Context) -> Iterator[Finding]:
    if cert.issuing_authority is None:
        yield AUTHORITY.error("issuing_authority", "the issuing authority is not named")


def _parties(cert: Certificate, _: Context) -> Iterator[Finding]:
    if cert.exporter is None:
        yield PARTIES.error("exporter", "the exporter is not identified")
    if cert.importer is None:
        yield PARTIES.error("importer", "the importer is not identified")


def _parcel_count(cert: Certificate, _: Context) -> Iterator[Finding]:
    if not cert.parcels:
        yield PARCELS.error(
            "parcels", "no parcels listed; a certificate covers a shipment of parcels"
        )
    elif cert.number_of_parcels != len(cert.parcels):
        yield PARCELS.error(
            "number_of_parcels",
            f"states {cert.number_of_parcels} parcels but lists {len(cert.parcels)}",
        )


def _validation(cert: Certificate, _: Context) -> Iterator[Finding]:
    if not cert.validated:
        yield VALIDATION.error(
            "validated",
            "not validated by the exporting authority; each shipment must travel with a duly "
            "validated certificate",
        )


STATEMENT = _annex_i(
    "annex-i-statement",
    "title and KPCS statement",
    "The certificate carries the title 'Kimberley Process Certificate' and the KPCS statement.",
    _statement,
    ("kp_statement",),
)
ORIGIN = _annex_i(
    "annex-i-origin",
    "country of origin for parcels of unmixed origin",
    "Unmixed parcels state their country of origin; 'MIXED' is used only for mixed parcels.",
    _origin,
    ("origin", "declared_origins"),
)
LANGUAGE = _annex_i(
    "annex-i-language",
    "language",
    "A certificate in another language incorporates an English translation.",
    _language,
    ("language", "english_translation"),
)
NUMBER = _annex_i(
    "annex-i-number",
    "unique numbering with the ISO 3166-1 alpha-2 code",
    "The certificate number starts with the issuing country's ISO alpha-2 code.",
    _number,
    ("number", "issuing_country"),
)
FORGERY = _annex_i(
    "annex-i-forgery-resistant",
    "tamper- and forgery-resistant",
    "The certificate is tamper- and forgery-resistant.",
    _forgery,
    ("forgery_resistant",),
)
DATES = _annex_i(
    "annex-i-dates",
    "dates of issuance and expiry",
    "The certificate states a date of expiry after its date of issuance.",
    _dates,
    ("issued", "expires"),
)
AUTHORITY = _annex_i(
    "annex-i-authority",
    "issuing authority",
    "The certificate names its issuing authority.",
    _authority,
    ("issuing_authority",),
)
PARTIES = _annex_i(
    "annex-i-parties",
    "identification of exporter and importer",
    "The certificate identifies the exporter and the importer.",
    _parties,
    _PARTY_COLUMNS,
)
PARCELS = _annex_i(
    "annex-i-parcels",
    "number of parcels in the shipment",
    "The stated number of parcels equals the parcels listed (at least one).",
    _parcel_count,
    ("number_of_parcels",),
)
VALIDATION = Rule(
    id="annex-i-validation",
    reference="Annex I, A (validation of certificate by the Exporting Authority); Section III(a)",
    summary="The certificate is validated by the exporting authority.",
    applies_to="certificate",
    check=_validation,
    in_force_from=KPCS_START,
    sources=("31CFR-592.307", "UK-2368-Annex"),
    columns=("validated",),
)


# --- May 2024: voluntary listing of mining origins on mixed parcels --------------------------


def _origin_listing(cert: Certificate, _: Context) -> Iterator[Finding]:
    for index, parcel in enumerate(cert.parcels):
        if parcel.origin == MIXED and not parcel.declared_origins:
            yield ORIGIN_LISTING.warning(
                f"parcels[{index}].declared_origins",
                "a mixed parcel without its countries of mining origin; since May 2024 listing "
                "them is the recognised best practice (voluntary, beyond the Annex I minimum)",
            )


ORIGIN_LISTING = Rule(
    id="mixed-origin-listing",
    reference=(
        "KP intersessional, Dubai, May 2024: voluntary listing of countries of mining origin "
        "on mixed parcels (best practice beyond Annex I, A; day of the month not sourced)"
    ),
    summary="Mixed parcels list their countries of mining origin (voluntary best practice).",
    applies_to="certificate",
    check=_origin_listing,
    in_force_from=ORIGIN_LISTING_START,
    severity="warning",
    sources=("Krawitz-2024", "WDC-2024-close", "WDC-2024-open"),
    date_uncertain=True,
    columns=("origin", "declared_origins"),
)


# --- Section III(c): no trade with non-participants -------------------------------------------


def _status(context: Context, code: str) -> str:
    status = context.register.status(code, on=context.on)
    return str(getattr(status, "value", status))


def _trade_findings(
    rule: Rule, context: Context, code: str, path: str, role: str, parcels: tuple[Parcel, ...]
) -> Iterator[Finding]:
    """Yield the findings for one side of a trade; the exporter passes its parcels' zones."""
    if context.may_trade(code):
        return
    status = _status(context, code)
    if status == "restricted" and parcels:
        allowed = sorted(context.register.compliant_zones(code, on=context.on))
        for index, parcel in enumerate(parcels):
            zone = parcel.zone
            if not context.may_trade(code, zone):
                yield rule.error(
                    f"parcels[{index}].zone",
                    f"{role} {code!r} is restricted to compliant zones {allowed} on "
                    f"{context.on}; goods from zone {zone!r} may not be traded",
                )
        return
    yield rule.error(
        path,
        f"{role} {code!r} may not trade rough diamonds on {context.on} (status {status!r}); "
        "no shipment may be imported from or exported to a non-participant",
    )


def _participants(cert: Certificate, context: Context) -> Iterator[Finding]:
    if context.shipment is not None:
        return  # the shipment's own rule judges the trade on the shipment date
    yield from _trade_findings(
        PARTICIPANTS,
        context,
        cert.issuing_country,
        "issuing_country",
        "issuing country",
        cert.parcels,
    )
    yield from _trade_findings(
        PARTICIPANTS, context, cert.destination_country, "destination_country", "destination", ()
    )


PARTICIPANTS = Rule(
    id="section-iii-c-certificate",
    reference="Section III(c)",
    summary="The issuing and destination countries may trade rough diamonds on the date.",
    applies_to="certificate",
    check=_participants,
    in_force_from=KPCS_START,
    sources=("UK-2368-Annex", "WDC-FAQ", "Wikipedia-KPCS", "AWDC"),
    columns=("issuing_country", "destination_country", "issued"),
)


def _shipment_participants(shipment: Shipment, context: Context) -> Iterator[Finding]:
    yield from _trade_findings(
        SHIPMENT_PARTICIPANTS,
        context,
        shipment.from_country,
        "from_country",
        "exporter",
        shipment.parcels,
    )
    yield from _trade_findings(
        SHIPMENT_PARTICIPANTS, context, shipment.to_country, "to_country", "importer", ()
    )


SHIPMENT_PARTICIPANTS = Rule(
    id="section-iii-c-shipment",
    reference="Section III(c)",
    summary="The exporting and importing countries may trade rough diamonds on the shipment date.",
    applies_to="shipment",
    check=_shipment_participants,
    in_force_from=KPCS_START,
    sources=("UK-2368-Annex", "WDC-FAQ", "Wikipedia-KPCS", "AWDC"),
)


# --- Shipments: Section II(a), III(a), sealed containers, expiry ------------------------------


def _has_certificate(shipment: Shipment, _: Context) -> Iterator[Finding]:
    if shipment.certificate is None:
        yield WITH_CERTIFICATE.error(
            "certificate", "the shipment travels without a KP certificate"
        )


WITH_CERTIFICATE = Rule(
    id="section-ii-a-certificate",
    reference="Section II(a)",
    summary="A KP certificate accompanies each shipment of rough diamonds on export.",
    applies_to="shipment",
    check=_has_certificate,
    in_force_from=KPCS_START,
    sources=("UK-2368-Annex",),
)


def _matches(shipment: Shipment, _: Context) -> Iterator[Finding]:
    cert = shipment.certificate
    if cert is None:
        return
    if cert.issuing_country != shipment.from_country:
        yield MATCHES.error(
            "from_country",
            f"the shipment leaves {shipment.from_country!r} but its certificate was issued by "
            f"{cert.issuing_country!r}",
        )
    if cert.destination_country != shipment.to_country:
        yield MATCHES.error(
            "to_country",
            f"the shipment enters {shipment.to_country!r} but its certificate is for "
            f"{cert.destination_country!r}",
        )
    if cert.parcels != shipment.parcels:
        yield MATCHES.error(
            "parcels",
            f"the shipment's {len(shipment.parcels)} parcels ({_shipment_carats(shipment)} ct) "
            f"differ from the {len(cert.parcels)} its certificate lists ({cert.carats} ct)",
        )


def _shipment_carats(shipment: Shipment) -> object:
    """Total carats of the parcels of a shipment."""
    return sum(parcel.carats for parcel in shipment.parcels)


MATCHES = Rule(
    id="section-iii-a-certificate-matches",
    reference="Section III(a)",
    summary="The certificate describes the shipment it accompanies (route and parcels).",
    applies_to="shipment",
    check=_matches,
    in_force_from=KPCS_START,
    sources=("UK-2368-Annex",),
)


def _sealed(shipment: Shipment, _: Context) -> Iterator[Finding]:
    if not shipment.sealed:
        yield SEALED.error(
            "sealed", "the shipment does not travel in a sealed tamper-resistant container"
        )


SEALED = Rule(
    id="sealed-container",
    reference=(
        "KPCS requirement of a tamper-resistant container for each exported shipment "
        "(section letter not confirmed by the sources; believed Section IV(c))"
    ),
    summary="Each exported shipment travels in a sealed, tamper-resistant container.",
    applies_to="shipment",
    check=_sealed,
    in_force_from=KPCS_START,
    sources=("WDC-Guide", "AWDC"),
)


def _expired(shipment: Shipment, _: Context) -> Iterator[Finding]:
    cert = shipment.certificate
    if cert is None:
        return
    if cert.expires is not None and shipment.departed > cert.expires:
        yield EXPIRED.error(
            "departed",
            f"the shipment left on {shipment.departed}, after its certificate expired "
            f"({cert.expires})",
        )
    if shipment.departed < cert.issued:
        yield EXPIRED.error(
            "departed",
            f"the shipment left on {shipment.departed}, before its certificate was issued "
            f"({cert.issued})",
        )


EXPIRED = Rule(
    id="certificate-expired",
    reference="Annex I, A (date of issuance, date of expiry)",
    summary="A certificate is used between its dates of issuance and expiry.",
    applies_to="shipment",
    check=_expired,
    in_force_from=KPCS_START,
    sources=("31CFR-592.307",),
)


# --- Section III(b): import confirmation ------------------------------------------------------


def _confirmation_content(confirmation: ImportConfirmation, _: Context) -> Iterator[Finding]:
    for name in ("number_of_parcels", "carats", "importer", "exporter"):
        if getattr(confirmation, name) is None:
            yield CONFIRMATION_CONTENT.error(
                name,
                f"the confirmation of receipt does not state {name.replace('_', ' ')}; it must "
                "refer to the certificate number, the number of parcels, the carat weight and "
                "the importer and exporter",
            )


CONFIRMATION_CONTENT = Rule(
    id="section-iii-b-confirmation-content",
    reference="Section III(b)",
    summary=(
        "A confirmation of receipt refers to the certificate number, number of parcels, "
        "carat weight, importer and exporter."
    ),
    applies_to="import_confirmation",
    check=_confirmation_content,
    in_force_from=KPCS_START,
    sources=("UK-2368-Annex",),
)


def _confirmation_matches(confirmation: ImportConfirmation, context: Context) -> Iterator[Finding]:
    cert = context.certificate
    if cert is None:
        if context.in_ledger:
            yield CONFIRMATION_MATCHES.warning(
                "certificate_number",
                f"no certificate {confirmation.certificate_number!r} in the ledger to confirm",
            )
        return
    pairs = (
        ("number_of_parcels", confirmation.number_of_parcels, len(cert.parcels)),
        ("carats", confirmation.carats, cert.carats),
        ("importer", confirmation.importer, cert.importer),
        ("exporter", confirmation.exporter, cert.exporter),
    )
    for name, confirmed, certified in pairs:
        if confirmed is not None and confirmed != certified:
            yield CONFIRMATION_MATCHES.error(
                name,
                f"confirms {confirmed!r} but certificate {cert.number!r} states {certified!r}",
            )
    if confirmation.received < cert.issued:
        yield CONFIRMATION_MATCHES.error(
            "received",
            f"received on {confirmation.received}, before certificate {cert.number!r} was issued "
            f"({cert.issued})",
        )


CONFIRMATION_MATCHES = Rule(
    id="section-iii-b-confirmation-matches",
    reference="Section III(b)",
    summary="A confirmation of receipt matches the certificate it confirms.",
    applies_to="import_confirmation",
    check=_confirmation_matches,
    in_force_from=KPCS_START,
    sources=("UK-2368-Annex",),
)


# --- Ledgers: unique certificate numbers ------------------------------------------------------


def _unique_numbers(ledger: list[tuple[str, Certificate]], _: Context) -> Iterator[Finding]:
    first_use: dict[str, str] = {}
    for path, cert in ledger:
        earlier = first_use.setdefault(cert.number, path)
        if earlier != path:
            yield UNIQUE_NUMBER.error(
                f"{path}.number",
                f"certificate number {cert.number!r} is used again (first at {earlier or 'top'}); "
                "each certificate number is unique and accompanies one shipment",
            )


UNIQUE_NUMBER = Rule(
    id="ledger-unique-number",
    reference="Annex I, A (unique numbering)",
    summary="No certificate number is used twice in a ledger.",
    applies_to="ledger",
    check=_unique_numbers,
    in_force_from=KPCS_START,
    sources=("31CFR-592.307", "WDC-Guide"),
    columns=("number",),
)


RULES: tuple[Rule, ...] = (
    STATEMENT,
    ORIGIN,
    LANGUAGE,
    NUMBER,
    FORGERY,
    DATES,
    AUTHORITY,
    PARTIES,
    PARCELS,
    VALIDATION,
    ORIGIN_LISTING,
    PARTICIPANTS,
    WITH_CERTIFICATE,
    MATCHES,
    SEALED,
    EXPIRED,
    SHIPMENT_PARTICIPANTS,
    CONFIRMATION_CONTENT,
    CONFIRMATION_MATCHES,
    UNIQUE_NUMBER,
)
"""The built-in rules, in the order the checks run."""

DEFAULT_RULEBOOK = Rulebook(RULES)
