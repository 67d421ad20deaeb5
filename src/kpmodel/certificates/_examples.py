from __future__ import annotations

from datetime import date
from decimal import Decimal

from kpmodel.certificates._records import Certificate, HSCode, Parcel, Party


def example_certificate() -> Certificate:
    """Return a small, valid certificate with fictional parties, for examples and docs.

    Botswana exports two unmixed parcels to Belgium (inside the EU participant) in
    March 2023. Every name and address is invented.

    Returns
    -------
    Certificate

    Examples
    --------
    >>> cert = kp.certificates.example_certificate()
    >>> cert.number, cert.issuing_country, cert.destination_country, len(cert.parcels)
    ('BW000123', 'BW', 'BE', 2)
    >>> kp.check(cert).ok
    True
    """
    return Certificate(
        number="BW000123",
        issuing_authority="Example Diamond Hub Authority (fictional)",
        issuing_country="BW",
        destination_country="BE",
        exporter=Party(
            name="Kalahari Example Rough (Pty) Ltd",
            address="1 Example Road, Gaborone",
            country="BW",
        ),
        importer=Party(
            name="Fictional Rough Traders BV", address="10 Sample Street, Antwerp", country="BE"
        ),
        issued=date(2023, 3, 1),
        expires=date(2023, 5, 30),
        parcels=(
            Parcel(
                hs_code=HSCode.NON_INDUSTRIAL,
                carats=Decimal("1000.00"),
                value_usd=Decimal("200000.00"),
                origin="BW",
            ),
            Parcel(
                hs_code=HSCode.INDUSTRIAL,
                carats=Decimal("285.40"),
                value_usd=Decimal("36120.00"),
                origin="BW",
            ),
        ),
        number_of_parcels=2,
        kp_statement=True,
        validated=True,
    )
