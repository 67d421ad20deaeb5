from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_FILE = "kpmodel-records.schema.json"


@cache
def _schema_text() -> str:
    return resources.files("kpmodel.certificates").joinpath("data", SCHEMA_FILE).read_text("utf-8")


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of the exchange format, as shipped.

    The schema is the file ``kpmodel/certificates/data/kpmodel-records.schema.json``; use it
    to check files in other tools. kpmodel's own loader checks more than a schema can
    (existing ISO codes and calendar dates, positive carats, declared origins only on mixed
    parcels), so a file the loader accepts always validates, but not the other way round.

    Returns
    -------
    dict
        A fresh copy on each call.

    Examples
    --------
    >>> schema = kp.certificates.json_schema()
    >>> sorted(schema["$defs"])
    ['certificate', 'import_confirmation', 'parcel', 'party', 'record', 'shipment']
    """
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema
