"""Certificates, shipments and import confirmations as records, and their exchange formats.

The records are frozen attrs classes validated on construction: `HSCode`, `Parcel`, `Party`,
`Certificate` (every Annex I, Part A element), `ImportConfirmation` and `Shipment`.
A record can break a KPCS rule (a missing expiry date, a wrong parcel count) but never its
own field constraints; `kpmodel.check` reports rule breaches.

JSON exchange format
--------------------
A file holds one record (a JSON object) or a list of records; the record type is told from
the keys: a certificate has ``number``, a shipment ``from_country``, an import confirmation
``certificate_number``. Decimals (carats, US dollars) are strings such as ``"125.40"``,
dates are ISO strings (``"2024-05-31"``), country codes are ISO 3166-1 alpha-2 (``"EU"`` is
also accepted where a participant is meant). Unknown keys are an error; the keys listed as
optional may be left out. The JSON Schema ships with the package (`json_schema`).

Certificate
    ``number``, ``issuing_authority`` (string or null), ``issuing_country``,
    ``destination_country``, ``exporter`` and ``importer`` (each ``{name, address,
    country}`` or null), ``issued``, ``expires`` (date or null), ``parcels`` (list of
    parcels), ``number_of_parcels``, ``kp_statement`` (bool), ``validated`` (bool);
    optional: ``language`` (default ``"en"``), ``english_translation`` (default false),
    ``forgery_resistant`` (default true).
Parcel
    ``hs_code`` (``"7102.10"``, ``"7102.21"`` or ``"7102.31"``), ``carats``, ``value_usd``,
    ``origin`` (a country code, ``"MIXED"``, or null when the certificate states none);
    optional: ``declared_origins`` (list of country codes, mixed parcels only), ``zone``.
Shipment
    ``certificate`` (a certificate object or null), ``from_country``, ``to_country``,
    ``parcels``, ``sealed`` (bool), ``departed`` (date); optional: ``arrived`` (date),
    ``transit_countries`` (list of country codes).
Import confirmation
    ``certificate_number``, ``received`` (date), ``number_of_parcels`` (int or null),
    ``carats`` (decimal string or null), ``importer`` and ``exporter`` (party or null);
    optional: ``importing_authority``.

Every problem in a file is reported at once, each with its field path, in one
`kpmodel.errors.LoadError`; loading is all-or-nothing. CSV ledgers are described in
`load_csv`.
"""

from kpmodel.certificates._csv import CSV_COLUMNS, load_csv
from kpmodel.certificates._examples import example_certificate
from kpmodel.certificates._json import Record, dumps, load, loads
from kpmodel.certificates._records import (
    KP_STATEMENT,
    MIXED,
    Certificate,
    DeclaredOrigin,
    HSCode,
    ImportConfirmation,
    Parcel,
    Party,
    Shipment,
)
from kpmodel.certificates._schema import json_schema

__all__ = [  # noqa: RUF022 (plain sorted(), as tests/test_public_api.py checks)
    "CSV_COLUMNS",
    "Certificate",
    "DeclaredOrigin",
    "HSCode",
    "ImportConfirmation",
    "KP_STATEMENT",
    "MIXED",
    "Parcel",
    "Party",
    "Record",
    "Shipment",
    "dumps",
    "example_certificate",
    "json_schema",
    "load",
    "load_csv",
    "loads",
]
