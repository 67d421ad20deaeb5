"""The canonical columns of a ledger: their names, kinds, and level (certificate or parcel)."""

from __future__ import annotations

import attrs


@attrs.frozen
class Column:
    """One canonical column: its name, the kind of value it holds, and where it belongs."""

    name: str
    kind: str  # text, participant, country, date, hs_code, positive, amount, origin, listed,
    #            boolean, count
    level: str  # "certificate" (repeated on each parcel row) or "parcel"
    nullable: bool = False


COLUMNS: tuple[Column, ...] = (
    # required
    Column("number", "text", "certificate"),
    Column("issuing_country", "participant", "certificate"),
    Column("destination_country", "participant", "certificate"),
    Column("issued", "date", "certificate"),
    Column("hs_code", "hs_code", "parcel"),
    Column("carats", "positive", "parcel"),
    Column("value_usd", "amount", "parcel"),
    Column("origin", "origin", "parcel", nullable=True),
    Column("declared_origins", "listed", "parcel"),
    # optional
    Column("issuing_authority", "text", "certificate", nullable=True),
    Column("exporter_name", "text", "certificate", nullable=True),
    Column("exporter_address", "text", "certificate", nullable=True),
    Column("exporter_country", "country", "certificate", nullable=True),
    Column("importer_name", "text", "certificate", nullable=True),
    Column("importer_address", "text", "certificate", nullable=True),
    Column("importer_country", "country", "certificate", nullable=True),
    Column("expires", "date", "certificate", nullable=True),
    Column("number_of_parcels", "count", "certificate", nullable=True),
    Column("kp_statement", "boolean", "certificate"),
    Column("validated", "boolean", "certificate"),
    Column("language", "text", "certificate"),
    Column("english_translation", "boolean", "certificate"),
    Column("forgery_resistant", "boolean", "certificate"),
    Column("zone", "text", "parcel", nullable=True),
    Column("departed", "date", "certificate", nullable=True),
    Column("received", "date", "certificate", nullable=True),
)

BY_NAME = {column.name: column for column in COLUMNS}
NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
REQUIRED: tuple[str, ...] = NAMES[:9]
OPTIONAL: tuple[str, ...] = NAMES[9:]
CERTIFICATE_LEVEL: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.level == "certificate")
PARTIES = {
    role: (f"{role}_name", f"{role}_address", f"{role}_country")
    for role in ("exporter", "importer")
}
