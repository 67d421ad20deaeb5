"""The built-in rules: the KPCS core document as code.

Every rule cites its KPCS reference and the public sources it rests on (title, publisher,
URL). The rules are in force from 1 January 2003, the start of international
implementation (Sun City plenary communiqué, 2003), unless they say otherwise.

No rule is stricter than the core document: where the sources found do not confirm a
requirement (a maximum validity, a definition of a parcel of mixed origin, where the
country code stands in a certificate number), the finding is a warning that says why.
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

# --- Public sources the rules rest on -------------------------------------------------------

CFR_592_307 = (
    "31 CFR 592.307, US Rough Diamonds Control Regulations, 'Kimberley Process Certificate' "
    "(the Annex I, Part A elements): https://www.lexfed.com/cfr/31/b/v/592/c/592-307"
)
GPO_2004 = (
    "31 CFR 592.307 (2004 edition), US Government Publishing Office: "
    "http://edocket.access.gpo.gov/cfr_2004/julqtr/31cfr592.307.htm"
)
AU_9AA = (
    "Australia, Customs (Prohibited Exports) Regulations 1958, reg. 9AA (the minimum "
    "requirements of Part A of Annex 1): "
    "http://classic.austlii.edu.au/au/legis/cth/consol_reg/cer1958439/s9aa.html"
)
ECFR_MIXED = (
    "31 CFR 592.307, note to paragraph (b): a parcel of mixed origin need not state its "
    "countries of origin; the field is filled with asterisks (eCFR copy, GitHub repository "
    "AlextheYounga/ecfr, part 592, section 592.307)"
)
KPCS_EU_ANNEX = (
    "KPCS core document as Annex I of Council Regulation (EC) No 2368/2002, "
    "legislation.gov.uk: "
    "https://legislation.gov.uk/cy/eur/2002/2368/annexes/2007-10-21/data.xht?view=snippet&wrap=true"
)
EU_2368_TRANSIT = (
    "Council Regulation (EC) No 2368/2002 as amended, transit provision (rough diamonds "
    "entering solely for transit, container and certificate not tampered with), bilingual "
    "text at Wordscope: http://wordscope.be/anglais/francais/territories+is+neither.html"
)
WDC_FAQ = "World Diamond Council, 'FAQs: Kimberley Process': https://www.worlddiamondcouncil.org/faqs-kp/"
WIKIPEDIA_KPCS = (
    "Wikipedia, 'Kimberley Process Certification Scheme': "
    "https://en.wikipedia.org/wiki/Kimberley_Process_Certification_Scheme"
)
AWDC = (
    "Antwerp World Diamond Centre, 'Kimberley Process Certification Scheme' (copy): "
    "https://awdc.androidlabs.be/kimberley-process-certification-scheme"
)
WDC_GUIDE = (
    "World Diamond Council, 'The Essential Guide to Implementing the Kimberley Process': "
    "https://wixlib.com/document/11751_the-essential-guide-to-implementing-the-kimberley.html"
)
KRAWITZ_2024 = (
    "Avi Krawitz, 'A Giant Leap Toward Diamond Source Disclosure' (2024): "
    "https://www.avikrawitz.com/post/a-giant-leap-toward-diamond-source-disclosure"
)
WDC_2024_CLOSE = (
    "Gems & Jewellery, 'WDC welcomes support for listing countries of mining origin on KP "
    "certificates' (May 2024): https://gems2jewellery.com/wdc-welcomes-support-for-listing-"
    "countries-of-mining-origin-on-kp-certificates"
)
WDC_2024_OPEN = (
    "Heera Zhaveraat, 'WDC addresses KP intersessional 2024': "
    "https://heerazhaveraat.com/wdc-at-addresses-kp-the-intersessional-2024/"
)
KP_WG_2012 = (
    "Kimberley Process, April 2012 working group public summaries (an Administrative "
    "Decision on Import Confirmation exists; its text was not retrieved): "
    "https://www.kimberleyprocess.com/en/april-2012-working-group-public-summaries-0"
)
VOA_2013_CAR = (
    "Voice of America (Reuters), May 2013, 'Central African Republic Suspended From World "
    "Diamond Body': https://www.voanews.com/a/central-african-republic-suspended-from-world-"
    "diamond-body/1669168.html"
)
DIAMOND_LOUPE_2015 = (
    "The Diamond Loupe, 29 July 2015, 'KP Gives Green Light for Central African Republic to "
    "Resume Diamond Exports': https://www.thediamondloupe.com/articles/2015-07-29/kp-gives-"
    "green-light-central-african-republic-resume-diamond-exports"
)
UN_SC8585 = (
    "United Nations, press release SC/8585, 15 December 2005 (resolution 1643 (2005) bans the "
    "import of rough diamonds from Côte d'Ivoire): https://press.un.org/en/2005/sc8585.doc.htm"
)

# Month of the Dubai intersessional (May 2024) (Krawitz 2024; WDC, May 2024); the sources
# give no day, so the rule starts on the first of the month and says so.
ORIGIN_LISTING_START = date(2024, 5, 1)

_ANNEX_I = "Annex I, A"
_ANNEX_I_SOURCES = (CFR_592_307, AU_9AA, GPO_2004)
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
            yield ORIGIN.warning(
                f"parcels[{index}].origin",
                f"marked 'MIXED' but its only declared origin is {only!r}; if the parcel is "
                f"from one country it is unmixed and should state {only!r} as its origin. A "
                "warning, not an error: the core document's definition of a parcel of mixed "
                "origin was not confirmed by the sources, and a listed origin may be partial",
            )


def _language(cert: Certificate, _: Context) -> Iterator[Finding]:
    if cert.language != "en" and not cert.english_translation:
        yield LANGUAGE.error(
            "english_translation",
            f"issued in {cert.language!r} without an English translation; a certificate may be "
            "issued in any language provided an English translation is incorporated",
        )


def _number(cert: Certificate, _: Context) -> Iterator[Finding]:
    code = cert.issuing_country
    if code not in cert.number.upper():
        yield NUMBER.error(
            "number",
            f"{cert.number!r} does not contain the issuing country's code {code!r}; "
            "certificates are uniquely numbered with the ISO 3166-1 alpha-2 code",
        )
    elif not cert.number.upper().startswith(code):
        yield NUMBER.warning(
            "number",
            f"{cert.number!r} contains {code!r} but does not start with it; Annex I asks for "
            "numbering with the code, not for a prefix, so this is a warning: a national "
            "rule may require the prefix",
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
    "Unmixed parcels state their country of origin; 'MIXED' with a single declared origin is "
    "a warning (the definition of a parcel of mixed origin was not confirmed).",
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
    "The certificate number carries the issuing country's ISO alpha-2 code (as a prefix: a "
    "warning only, since Annex I does not say where the code stands).",
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
    sources=(CFR_592_307, KPCS_EU_ANNEX),
    columns=("validated",),
)


# --- May 2024: voluntary listing of mining origins on mixed parcels --------------------------


def _origin_listing(cert: Certificate, _: Context) -> Iterator[Finding]:
    # The practice is the issuer's: it asks what a certificate says when it is issued. A
    # certificate issued before May 2024 that travels after it (a shipment is checked on
    # its departure date) could not have followed it, so it is not reported.
    if cert.issued < ORIGIN_LISTING_START:
        return
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
    summary=(
        "Mixed parcels on certificates issued from May 2024 list their countries of mining "
        "origin (voluntary best practice)."
    ),
    applies_to="certificate",
    check=_origin_listing,
    in_force_from=ORIGIN_LISTING_START,
    severity="warning",
    sources=(KRAWITZ_2024, WDC_2024_CLOSE, WDC_2024_OPEN),
    date_uncertain=True,
    columns=("origin", "declared_origins"),
)


# --- Who may trade: Section III(c), KP decisions, and measures on other bases ----------------
#
# Three rules, so that each breach is reported under the rule that applies: trade with a
# non-participant (Section III(c)); trade against a KP decision on a participant (suspension,
# self-suspension, compliant zones, a barred zone), in the direction the decision limits; and
# trade against a measure outside the KP recorded in the register (a UN Security Council ban
# on imports from a participant bars its exports, not its imports).

_OUTSIDE = ("not-participant", "removed")


def _status(context: Context, code: str) -> str:
    status = context.register.status(code, on=context.on)
    return str(getattr(status, "value", status))


def _non_participant(
    rule: Rule, context: Context, code: str, path: str, role: str
) -> Iterator[Finding]:
    status = _status(context, code)
    if status in _OUTSIDE:
        yield rule.error(
            path,
            f"{role} {code!r} is not a KP participant on {context.on} (status {status!r}); no "
            "shipment may be imported from or exported to a non-participant",
        )


def _zone_findings(
    rule: Rule, context: Context, code: str, event: object, parcels: tuple[Parcel, ...]
) -> Iterator[Finding]:
    allowed = sorted(context.register.compliant_zones(code, on=context.on))
    unnamed = int(getattr(event, "unnamed_zones", 0))
    for index, parcel in enumerate(parcels):
        zone = parcel.zone
        if context.may_trade(code, zone):
            continue
        if unnamed and zone is not None:
            yield rule.warning(
                f"parcels[{index}].zone",
                f"exporter {code!r} may export only from its compliant zones on {context.on}; "
                f"zone {zone!r} is not among those the sources name ({allowed}), but {unnamed} "
                "more compliant zones are counted and not named: check the KP's list",
            )
            continue
        yield rule.error(
            f"parcels[{index}].zone",
            f"exporter {code!r} is restricted to compliant zones {allowed} on {context.on} by a "
            f"KP decision ({getattr(event, 'summary', '')}); goods from zone {zone!r} may not "
            "be exported",
        )


def _kp_decision(
    rule: Rule,
    context: Context,
    code: str,
    path: str,
    flow: str,
    parcels: tuple[Parcel, ...],
) -> Iterator[Finding]:
    """Yield findings for one side of a trade against the KP decisions on a participant."""
    status = _status(context, code)
    if status in _OUTSIDE:
        return  # Section III(c) reports it
    event_of = getattr(context.register, "event", None)
    event = event_of(code, on=context.on) if event_of is not None else None
    role = "exporter" if flow == "exports" else "importer"
    if status == "participant":
        if flow == "exports" and parcels:
            for index, parcel in enumerate(parcels):
                if parcel.zone is not None and not context.may_trade(code, parcel.zone):
                    yield rule.error(
                        f"parcels[{index}].zone",
                        f"goods from zone {parcel.zone!r} of {code!r} may not be exported on "
                        f"{context.on} under a KP decision "
                        f"({getattr(event, 'summary', '')})",
                    )
        return
    direction = str(getattr(event, "direction", "both"))
    if direction not in (flow, "both"):
        doubt = str(getattr(event, "direction_text", ""))
        if doubt:
            yield rule.warning(
                path,
                f"{role} {code!r} has KP status {status!r} on {context.on}, which limits its "
                f"{direction}; {doubt}",
            )
        return
    if status == "restricted" and flow == "exports" and parcels:
        yield from _zone_findings(rule, context, code, event, parcels)
        return
    summary = str(getattr(event, "summary", "")) or f"status {status!r}"
    yield rule.error(
        path,
        f"{role} {code!r} may not trade rough diamonds on {context.on} under a KP decision "
        f"(status {status!r}: {summary})",
    )


def _measure_findings(
    rule: Rule, context: Context, code: str, path: str, flow: str
) -> Iterator[Finding]:
    measures_of = getattr(context.register, "measures", None)
    if measures_of is None:
        return
    role = "exporter" if flow == "exports" else "importer"
    for measure in measures_of(code, on=context.on):
        if measure.direction in (flow, "both"):
            yield rule.error(
                path,
                f"{role} {code!r}: its {flow} are barred on {context.on} by a "
                f"{measure.basis.replace('-', ' ')} ({measure.reference}); {code!r} stays a "
                "KP participant",
            )


def _sides(
    record: Certificate | Shipment,
) -> tuple[tuple[str, str, tuple[Parcel, ...]], tuple[str, str, tuple[Parcel, ...]]]:
    if isinstance(record, Shipment):
        return (
            (record.from_country, "from_country", record.parcels),
            (record.to_country, "to_country", ()),
        )
    return (
        (record.issuing_country, "issuing_country", record.parcels),
        (record.destination_country, "destination_country", ()),
    )


def _participants(cert: Certificate, context: Context) -> Iterator[Finding]:
    if context.shipment is not None:
        return  # the shipment's own rule judges the trade on the shipment date
    (exporter, epath, _), (importer, ipath, _) = _sides(cert)
    yield from _non_participant(PARTICIPANTS, context, exporter, epath, "issuing country")
    yield from _non_participant(PARTICIPANTS, context, importer, ipath, "destination")


PARTICIPANTS = Rule(
    id="section-iii-c-certificate",
    reference="Section III(c)",
    summary="The issuing and destination countries are KP participants on the issue date.",
    applies_to="certificate",
    check=_participants,
    in_force_from=KPCS_START,
    sources=(KPCS_EU_ANNEX, WDC_FAQ, WIKIPEDIA_KPCS, AWDC),
    columns=("issuing_country", "destination_country", "issued"),
)


def _shipment_participants(shipment: Shipment, context: Context) -> Iterator[Finding]:
    (exporter, epath, _), (importer, ipath, _) = _sides(shipment)
    yield from _non_participant(SHIPMENT_PARTICIPANTS, context, exporter, epath, "exporter")
    yield from _non_participant(SHIPMENT_PARTICIPANTS, context, importer, ipath, "importer")


SHIPMENT_PARTICIPANTS = Rule(
    id="section-iii-c-shipment",
    reference="Section III(c)",
    summary="The exporting and importing countries are KP participants on the shipment date.",
    applies_to="shipment",
    check=_shipment_participants,
    in_force_from=KPCS_START,
    sources=(KPCS_EU_ANNEX, WDC_FAQ, WIKIPEDIA_KPCS, AWDC),
)


def _decisions(rule: Rule, record: Certificate | Shipment, context: Context) -> Iterator[Finding]:
    (exporter, epath, parcels), (importer, ipath, _) = _sides(record)
    yield from _kp_decision(rule, context, exporter, epath, "exports", parcels)
    yield from _kp_decision(rule, context, importer, ipath, "imports", ())


def _certificate_decisions(cert: Certificate, context: Context) -> Iterator[Finding]:
    if context.shipment is None:
        yield from _decisions(KP_DECISIONS, cert, context)


def _shipment_decisions(shipment: Shipment, context: Context) -> Iterator[Finding]:
    yield from _decisions(SHIPMENT_KP_DECISIONS, shipment, context)


_KP_DECISION_REFERENCE = (
    "KP decisions on a participant (Section VI; Administrative Decisions on suspension, "
    "compliant zones and barred zones; a participant's self-suspension recorded by the KP)"
)
_KP_DECISION_SOURCES = (VOA_2013_CAR, DIAMOND_LOUPE_2015, KPCS_EU_ANNEX)

KP_DECISIONS = Rule(
    id="kp-decision-certificate",
    reference=_KP_DECISION_REFERENCE,
    summary="No certificate for trade a KP decision on a participant bars, in its direction.",
    applies_to="certificate",
    check=_certificate_decisions,
    in_force_from=KPCS_START,
    sources=_KP_DECISION_SOURCES,
)

SHIPMENT_KP_DECISIONS = Rule(
    id="kp-decision-shipment",
    reference=_KP_DECISION_REFERENCE,
    summary="No shipment a KP decision on a participant bars, in its direction.",
    applies_to="shipment",
    check=_shipment_decisions,
    in_force_from=KPCS_START,
    sources=_KP_DECISION_SOURCES,
)


def _measures(rule: Rule, record: Certificate | Shipment, context: Context) -> Iterator[Finding]:
    (exporter, epath, _), (importer, ipath, _) = _sides(record)
    yield from _measure_findings(rule, context, exporter, epath, "exports")
    yield from _measure_findings(rule, context, importer, ipath, "imports")


def _certificate_measures(cert: Certificate, context: Context) -> Iterator[Finding]:
    if context.shipment is None:
        yield from _measures(MEASURES, cert, context)


def _shipment_measures(shipment: Shipment, context: Context) -> Iterator[Finding]:
    yield from _measures(SHIPMENT_MEASURES, shipment, context)


_MEASURE_REFERENCE = (
    "Measures outside the KP recorded in the register (UN Security Council sanctions, "
    "national law), in the direction each bars"
)

MEASURES = Rule(
    id="trade-measure-certificate",
    reference=_MEASURE_REFERENCE,
    summary="No certificate for trade a UN or national measure on a participant bars.",
    applies_to="certificate",
    check=_certificate_measures,
    in_force_from=KPCS_START,
    sources=(UN_SC8585,),
)

SHIPMENT_MEASURES = Rule(
    id="trade-measure-shipment",
    reference=_MEASURE_REFERENCE,
    summary="No shipment a UN or national measure on a participant bars.",
    applies_to="shipment",
    check=_shipment_measures,
    in_force_from=KPCS_START,
    sources=(UN_SC8585,),
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
    sources=(KPCS_EU_ANNEX,),
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
    sources=(KPCS_EU_ANNEX,),
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
    sources=(WDC_GUIDE, AWDC),
)


def _expired(shipment: Shipment, _: Context) -> Iterator[Finding]:
    cert = shipment.certificate
    if cert is None:
        return
    if cert.expires is not None and shipment.departed > cert.expires:
        yield EXPIRED.warning(
            "departed",
            f"the shipment left on {shipment.departed}, after its certificate expired "
            f"({cert.expires}). A warning: Annex I requires a certificate to state a date of "
            "expiry, but validity is set by national rules (no KP-wide period was found), so "
            "whether the use is a breach depends on the issuing participant's law",
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
    summary=(
        "A certificate is not used before its issue (error) or after its expiry (warning: "
        "validity is national)."
    ),
    applies_to="shipment",
    check=_expired,
    in_force_from=KPCS_START,
    sources=(CFR_592_307,),
)


# --- Section III(d): transit ------------------------------------------------------------------


def _transit(shipment: Shipment, context: Context) -> Iterator[Finding]:
    if not shipment.transit_countries:
        return
    if not shipment.sealed:
        yield TRANSIT.warning(
            "sealed",
            f"the shipment transits {list(shipment.transit_countries)} without a sealed "
            "container: the transit exemption applies only to shipments that leave the transit "
            "country unopened and untampered with, so the transit country's import and export "
            "requirements may apply",
        )
    for index, code in enumerate(shipment.transit_countries):
        if _status(context, code) in _OUTSIDE:
            yield TRANSIT.warning(
                f"transit_countries[{index}]",
                f"the shipment transits {code!r}, not a KP participant on {context.on}; the "
                "core document's transit wording was not retrieved, so this is a warning: "
                "check the rules of the participants at each end",
            )


TRANSIT = Rule(
    id="section-iii-d-transit",
    reference=(
        "Section III(d) (transit; KPCS wording not retrieved, encoded from the EU implementation)"
    ),
    summary=(
        "A shipment in transit leaves the transit country unopened and untampered with "
        "(warnings only: the core document's wording was not confirmed)."
    ),
    applies_to="shipment",
    check=_transit,
    in_force_from=KPCS_START,
    severity="warning",
    sources=(EU_2368_TRANSIT, KPCS_EU_ANNEX),
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
    sources=(KPCS_EU_ANNEX,),
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


CONFIRMATION_MATCHES = Rule(
    id="section-iii-b-confirmation-matches",
    reference="Section III(b)",
    summary="A confirmation of receipt matches the certificate it confirms.",
    applies_to="import_confirmation",
    check=_confirmation_matches,
    in_force_from=KPCS_START,
    sources=(KPCS_EU_ANNEX,),
)


def _receipt_confirmed(
    ledger: list[tuple[str, Certificate]], context: Context
) -> Iterator[Finding]:
    receipts = context.receipts
    if receipts is None:
        return  # the ledger records no confirmations: nothing to compare
    for path, cert in ledger:
        received = receipts.get(path)
        if received is None:
            yield RECEIPT_CONFIRMED.warning(
                f"{path}.received",
                f"no confirmation of receipt is recorded for certificate {cert.number!r}; the "
                "importing participant should confirm receipt to the exporting authority "
                "expeditiously. A warning: the core document sets no deadline, so the shipment "
                "may still be on its way",
            )
        elif received < cert.issued:
            yield RECEIPT_CONFIRMED.error(
                f"{path}.received",
                f"receipt confirmed on {received}, before certificate {cert.number!r} was issued "
                f"({cert.issued})",
            )


RECEIPT_CONFIRMED = Rule(
    id="section-iii-b-receipt-confirmed",
    reference="Section III(b) (confirmation of receipt of each shipment imported)",
    summary=(
        "The receipt of each shipment is confirmed to the exporting authority, on or after "
        "the certificate's issue (no confirmation recorded: a warning, as no deadline is set)."
    ),
    applies_to="ledger",
    check=_receipt_confirmed,
    in_force_from=KPCS_START,
    sources=(KPCS_EU_ANNEX, KP_WG_2012),
    columns=("received",),
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
    sources=(CFR_592_307, WDC_GUIDE),
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
    KP_DECISIONS,
    MEASURES,
    WITH_CERTIFICATE,
    MATCHES,
    SEALED,
    EXPIRED,
    TRANSIT,
    SHIPMENT_PARTICIPANTS,
    SHIPMENT_KP_DECISIONS,
    SHIPMENT_MEASURES,
    CONFIRMATION_CONTENT,
    CONFIRMATION_MATCHES,
    RECEIPT_CONFIRMED,
    UNIQUE_NUMBER,
)
"""The built-in rules, in the order the checks run."""

DEFAULT_RULEBOOK = Rulebook(RULES)
