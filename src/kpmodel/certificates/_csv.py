from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from kpmodel._boundary import decode_text, display_path
from kpmodel.certificates._json import _CONVERTER, _Invalid, read_bytes
from kpmodel.certificates._records import Certificate
from kpmodel.errors import LoadError, Problem

_CERTIFICATE_COLUMNS = (
    "number",
    "issuing_authority",
    "issuing_country",
    "destination_country",
    "exporter_name",
    "exporter_address",
    "exporter_country",
    "importer_name",
    "importer_address",
    "importer_country",
    "issued",
    "expires",
    "number_of_parcels",
    "kp_statement",
    "validated",
)
_PARCEL_COLUMNS = ("hs_code", "carats", "value_usd", "origin")
_OPTIONAL_CERTIFICATE_COLUMNS = ("language", "english_translation", "forgery_resistant")
_OPTIONAL_PARCEL_COLUMNS = ("declared_origins", "zone")

CSV_COLUMNS: tuple[str, ...] = (
    _CERTIFICATE_COLUMNS
    + _PARCEL_COLUMNS
    + _OPTIONAL_CERTIFICATE_COLUMNS
    + _OPTIONAL_PARCEL_COLUMNS
)
"""The columns of a CSV certificate ledger, required ones first (see `load_csv`)."""

_REQUIRED = frozenset(_CERTIFICATE_COLUMNS + _PARCEL_COLUMNS)
_NULLABLE = frozenset({"issuing_authority", "expires", "origin", "zone"})
_BOOLEANS = frozenset({"kp_statement", "validated", "english_translation", "forgery_resistant"})
_TRUE, _FALSE = frozenset({"true", "yes", "1"}), frozenset({"false", "no", "0"})
_PARCEL_PATH = re.compile(r"parcels\[(\d+)\]\.?([a-z_]*)")


def load_csv(path: str | Path) -> list[Certificate]:
    r"""Load a certificate ledger from a CSV file with one row per parcel.

    The first row is the header. Required columns: ``number``, ``issuing_authority``,
    ``issuing_country``, ``destination_country``, ``exporter_name``, ``exporter_address``,
    ``exporter_country``, ``importer_name``, ``importer_address``, ``importer_country``,
    ``issued``, ``expires``, ``number_of_parcels``, ``kp_statement``, ``validated`` (the
    certificate, repeated on each of its parcel rows) and ``hs_code``, ``carats``,
    ``value_usd``, ``origin`` (the parcel). Optional columns: ``language``,
    ``english_translation``, ``forgery_resistant``, ``declared_origins`` (country codes
    separated by ``;``) and ``zone``. `CSV_COLUMNS` lists them all.

    Consecutive rows with the same ``number`` form one certificate, and their certificate
    columns must agree; the same number in two separate runs of rows gives two certificates
    (which `kpmodel.check` reports as a number used twice). Booleans are ``true``/``false``
    (or ``yes``/``no``, ``1``/``0``); an empty cell is a missing value (null); the exporter
    or importer is missing when its three cells are empty. Rows are numbered as in a
    spreadsheet (the header is row 1) in error messages. `kpmodel.check` on the loaded
    ledger names certificates by their index in the returned list (``[2]`` is the third).

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    list of Certificate

    Raises
    ------
    kpmodel.errors.LoadError
        Listing every problem with its row and column; nothing is loaded.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> header = ",".join(kp.certificates.CSV_COLUMNS[:19])
    >>> row = ("BW1,Authority,BW,BE,A Ltd,1 Road,BW,B BV,2 Street,BE,2023-03-01,2023-05-30,"
    ...        "1,true,true,7102.31,-3.5,100.00,BW")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ledger.csv"
    >>> _ = path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    >>> kp.certificates.load_csv(path)
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 1 problem in ...ledger.csv:
      row 2, column 'carats': must be greater than 0, got '-3.5'
    """
    path = Path(path)
    source = display_path(path)
    text = decode_text(read_bytes(path), source=source)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise LoadError([Problem("", f"not valid CSV: {error}")], source=source) from None
    if not rows:
        raise LoadError(
            [Problem("row 1", "the file is empty; expected a header row")], source=source
        )
    header = [name.strip() for name in rows[0]]
    problems = _header_problems(header)
    if problems:
        raise LoadError(problems, source=source)
    certificates: list[Certificate] = []
    for first, run in _runs(header, rows[1:]):
        try:
            certificates.append(_certificate(header, first, run, problems))
        except _Invalid as error:
            problems.extend(_locate(p, first, len(run)) for p in error.problems)
    if problems:
        raise LoadError(problems, source=source)
    return certificates


def _header_problems(header: list[str]) -> list[Problem]:
    problems = [
        Problem(f"row 1, column {name!r}", f"unknown column; the columns are {list(CSV_COLUMNS)}")
        for name in header
        if name not in CSV_COLUMNS
    ]
    problems += [
        Problem("row 1", f"missing required column {name!r}")
        for name in CSV_COLUMNS
        if name in _REQUIRED and name not in header
    ]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    problems += [
        Problem("row 1", f"column {name!r} appears more than once") for name in duplicated
    ]
    return problems


def _runs(header: list[str], rows: list[list[str]]) -> list[tuple[int, list[dict[str, str]]]]:
    """Group consecutive rows with the same number; return (first row number, rows) pairs."""
    runs: list[tuple[int, list[dict[str, str]]]] = []
    for offset, cells in enumerate(rows):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not parcels
        row = {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)}
        row_number = offset + 2
        if runs and runs[-1][1][-1]["number"] == row["number"]:
            runs[-1][1].append(row)
        else:
            runs.append((row_number, [row]))
    return runs


def _cell(name: str, text: str) -> object:
    """Turn a cell into the JSON value the exchange format uses for that key."""
    if text == "" and name in _NULLABLE:
        return None
    if name in _BOOLEANS and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if name == "number_of_parcels" and re.fullmatch(r"[0-9]+", text):
        return int(text)
    if name == "declared_origins":
        return [code.strip() for code in text.split(";") if code.strip()]
    return text


def _party(row: dict[str, str], role: str) -> object:
    cells = {key: row[f"{role}_{key}"] for key in ("name", "address", "country")}
    return None if not any(cells.values()) else cells


def _certificate(
    header: list[str], first: int, run: list[dict[str, str]], problems: list[Problem]
) -> Certificate:
    head = run[0]
    for index, row in enumerate(run[1:], start=1):
        for name in _CERTIFICATE_COLUMNS + _OPTIONAL_CERTIFICATE_COLUMNS:
            if name in header and row[name] != head[name]:
                msg = (
                    f"differs from row {first} ({head[name]!r}) within certificate "
                    f"{head['number']!r}, got {row[name]!r}; repeat the certificate's columns "
                    "on each of its parcel rows"
                )
                problems.append(Problem(f"row {first + index}, column {name!r}", msg))
    data: dict[str, object] = {
        name: _cell(name, head[name])
        for name in _CERTIFICATE_COLUMNS + _OPTIONAL_CERTIFICATE_COLUMNS
        if name in header
        and not name.startswith(("exporter_", "importer_"))
        and (name in _REQUIRED or head[name] != "")
    }
    data["exporter"] = _party(head, "exporter")
    data["importer"] = _party(head, "importer")
    data["parcels"] = [
        {
            name: _cell(name, row[name])
            for name in _PARCEL_COLUMNS + _OPTIONAL_PARCEL_COLUMNS
            if name in header and (name in _REQUIRED or row[name] != "")
        }
        for row in run
    ]
    certificate: Certificate = _CONVERTER.structure(data, Certificate)
    return certificate


def _locate(problem: Problem, first: int, size: int) -> Problem:
    """Translate a field path inside one certificate into a row and a column."""
    path = problem.path
    match = _PARCEL_PATH.match(path)
    if match and int(match[1]) < size:
        row, column = first + int(match[1]), match[2] or "hs_code"
    elif path.startswith(("exporter", "importer")):
        role, _, key = path.partition(".")
        row, column = first, f"{role}_{key or 'name'}"
    else:
        row, column = first, re.split(r"[.\[]", path, maxsplit=1)[0] or "number"
    return Problem(f"row {row}, column {column!r}", problem.message)
