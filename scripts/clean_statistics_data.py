"""Make the cleaned copies of the two statistics CSV files shipped inside kpmodel.

Run from the repository root::

    python scripts/clean_statistics_data.py SOURCE_DIR

where SOURCE_DIR holds the source ``kp_production_halfyear.csv`` and
``itc_trademap_hs7102_values.csv``.

The cleaning never touches a number: every field is copied as the same text, except

* ``kp_production_halfyear.csv``: the statistics system's record stamps ``created`` and
  ``last_modified`` (``20Apr12:13:13:01``) are rewritten as ISO 8601 (``2012-04-20T13:13:01``),
  so they load as typed timestamps;
* both files: leading and trailing blanks around fields are removed (the current files have
  none) and every line ends in a newline.

Rows are kept in their order, including rows that repeat a key (several submissions for one
participant and half year, summed by `kpmodel.statistics.KPStatistics`).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "src" / "kpmodel" / "datasets" / "data"
FILES = ("kp_production_halfyear.csv", "itc_trademap_hs7102_values.csv")
STAMPS = ("created", "last_modified")


def iso_stamp(text: str) -> str:
    """Return the KP record stamp ``20Apr12:13:13:01`` as ISO 8601, or '' when empty."""
    if not text:
        return ""
    return dt.datetime.strptime(text, "%d%b%y:%H:%M:%S").isoformat()


def clean(source: Path, target: Path) -> int:
    """Copy one CSV file with the cleaning described above; return the number of rows."""
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            cleaned = {key: (value or "").strip() for key, value in row.items()}
            for stamp in STAMPS:
                if stamp in cleaned:
                    cleaned[stamp] = iso_stamp(cleaned[stamp])
            writer.writerow(cleaned)
    return len(rows)


def main(argv: list[str]) -> None:
    """Clean every shipped statistics file from the directory given on the command line."""
    if len(argv) != 2:  # no default: nothing in the repository reads the source data itself
        sys.exit(f"usage: python {argv[0]} SOURCE_DIR (the directory of the source CSV files)")
    source_dir = Path(argv[1])
    for name in FILES:
        count = clean(source_dir / name, TARGET / name)
        print(f"{name}: {count} rows")  # noqa: T201 - a script's report


if __name__ == "__main__":
    main(sys.argv)
