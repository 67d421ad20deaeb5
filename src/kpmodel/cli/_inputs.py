"""What the command reads and writes: paperwork from files or stdin, column maps, atomic output."""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import click

import kpmodel as kp
from kpmodel._boundary import atomic_write
from kpmodel.errors import InvalidArgumentError, LoadError, Problem

#: What `-` stands for, in messages and in the tables.
STDIN = "<stdin>"
#: Suffixes of ledgers (one row per parcel); ``.json`` files hold records.
TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")
PAPERWORK_SUFFIXES = (".json", *TABLE_SUFFIXES)
#: The first bytes of a ZIP archive, which an .xlsx workbook is.
_ZIP = b"PK\x03\x04"


# -- --columns ----------------------------------------------------------------------------


def _mapping_file(path: Path) -> dict[str, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        msg = f"cannot read the column map {str(path)!r}: {error}"
        raise click.BadParameter(msg, param_hint="'--columns'") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except ValueError as error:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        msg = f"the column map {str(path)!r} is not valid {kind}: {error}"
        raise click.BadParameter(msg, param_hint="'--columns'") from None
    if not isinstance(data, dict):
        msg = (
            f"the column map {str(path)!r} must hold one object of your column names to "
            f'canonical ones, such as {{"Cert No": "number"}}; got {type(data).__name__}'
        )
        raise click.BadParameter(msg, param_hint="'--columns'")
    mapping: dict[str, str | None] = {}
    for yours, canonical in data.items():
        if canonical is not None and not isinstance(canonical, str):
            msg = (
                f"in {str(path)!r}, {yours!r} must map to a canonical column name (text), "
                f'or to "" or null to leave the column out; got {canonical!r}'
            )
            raise click.BadParameter(msg, param_hint="'--columns'")
        mapping[str(yours)] = canonical.strip() or None if canonical is not None else None
    return mapping


def parse_columns(value: str | None) -> dict[str, str | None] | None:
    """Parse ``--columns``: ``YOURS=CANONICAL,...`` pairs, or a .json or .toml map file.

    In a pair, the last ``=`` separates the names, so your name may contain ``=`` (not
    ``,``: use a file for that); an empty canonical name (``Notes=``) leaves the column out.
    """
    if value is None:
        return None
    path = Path(value)
    if path.suffix.lower() in (".json", ".toml") or path.is_file():
        return _mapping_file(path)
    mapping: dict[str, str | None] = {}
    for pair in value.split(","):
        yours, sep, canonical = pair.rpartition("=")
        yours, canonical = yours.strip(), canonical.strip()
        if not sep or not yours:
            msg = (
                "expected YOUR_NAME=CANONICAL pairs separated by commas, such as "
                f"'Cert No=number,Weight (ct)=carats', or a .json or .toml file; got {pair!r}"
            )
            raise click.BadParameter(msg, param_hint="'--columns'")
        if yours in mapping:
            msg = f"the column {yours!r} is mapped twice"
            raise click.BadParameter(msg, param_hint="'--columns'")
        mapping[yours] = canonical or None
    return mapping


# -- reading paperwork --------------------------------------------------------------------


def read_stdin() -> bytes:
    """Return the bytes piped into the command; refuse a terminal or an empty stream."""
    stream: BinaryIO = sys.stdin.buffer
    if stream.isatty():
        msg = (
            "'-' reads the paperwork from standard input, but nothing is piped in; "
            "use: cat ledger.csv | kpmodel check -"
        )
        raise LoadError([Problem("", msg)], source=STDIN)
    data: bytes = stream.read()
    if not data.strip():
        msg = "standard input is empty; pipe a file into it: cat ledger.csv | kpmodel check -"
        raise LoadError([Problem("", msg)], source=STDIN)
    return data


def sniff(data: bytes) -> str:
    """Return the format of piped-in bytes: xlsx and parquet by signature, JSON or CSV."""
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    return "csv"


def expand(given: Iterable[str]) -> Iterator[str]:
    """Yield the inputs given, a folder standing for its paperwork files (sorted)."""
    for name in given:
        path = Path(name)
        if name != "-" and path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in PAPERWORK_SUFFIXES)
            yield from (str(p) for p in found)
        else:
            yield name


def load_paperwork(name: str, *, columns: Mapping[str, str | None] | None) -> Any:
    """Return what `kp.check` takes for one input: a `Ledger`, or JSON exchange records.

    ``-`` reads standard input (its format told by its first bytes); ``.csv``, ``.xlsx``
    and ``.parquet`` files are ledgers, read with `columns`; ``.json`` files hold
    certificates, shipments and import confirmations, checked as they are.
    """
    if name == "-":
        data = read_stdin()
        kind = sniff(data)
        if kind == "json":
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                problem = (
                    f"not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
                )
                raise LoadError([Problem("", problem)], source=STDIN) from None
            return kp.certificates.loads(text, source=STDIN)
        return kp.Ledger.loads(data, format=kind, columns=columns, source=STDIN)
    path = Path(name)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return kp.certificates.load(path)
    if suffix in TABLE_SUFFIXES:
        return kp.Ledger.read(path, columns=columns)
    msg = (
        f"cannot tell what {name!r} holds from its suffix {path.suffix!r}: give a ledger "
        "(.csv, .xlsx, .parquet), records (.json), a folder of them, or - for standard input"
    )
    raise InvalidArgumentError(msg)


# -- writing the result -------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` as UTF-8, all or nothing (`kpmodel._boundary.atomic_write`)."""
    atomic_write(path, text, newline="")


def writable(path: Path) -> None:
    """Refuse an output path whose folder does not exist, before any work is done."""
    folder = path.parent
    if not folder.is_dir():
        msg = f"the folder {str(folder)!r} does not exist; create it first"
        raise click.BadParameter(msg, param_hint="'--output'")
    if path.is_dir():
        msg = f"{str(path)!r} is a folder; give a file name"
        raise click.BadParameter(msg, param_hint="'--output'")
