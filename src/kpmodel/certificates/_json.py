"""The JSON exchange format: structuring with cattrs, collecting every problem with its path."""

from __future__ import annotations

import json
import re
import types
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias, Union, get_args, get_origin

import attrs
import cattrs

from kpmodel import _boundary
from kpmodel.certificates._records import (
    Certificate,
    HSCode,
    ImportConfirmation,
    Parcel,
    Party,
    Shipment,
)
from kpmodel.errors import InvalidArgumentError, InvalidRecordError, LoadError, Problem

Record: TypeAlias = Certificate | Shipment | ImportConfirmation
"""A top-level record of the exchange format."""

RECORD_TYPES: tuple[type, ...] = (Certificate, Shipment, ImportConfirmation)

# The key that tells each record type apart: it is required in that type and absent in others.
_TYPE_KEYS: dict[str, type] = {
    "number": Certificate,
    "from_country": Shipment,
    "certificate_number": ImportConfirmation,
}

for _cls in (Parcel, Party, Certificate, ImportConfirmation, Shipment):
    attrs.resolve_types(_cls)


_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Invalid(Exception):  # noqa: N818 (internal signal, never escapes the loader)
    """Problems found while structuring one value; paths are relative to that value."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _fail(message: str) -> _Invalid:
    return _Invalid([Problem("", message)])


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    if not prefix:
        return path
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


def _prefixed(prefix: str, problems: Iterable[Problem]) -> list[Problem]:
    return [Problem(_join(prefix, p.path), p.message) for p in problems]


def _message(error: InvalidRecordError) -> str:
    text = str(error)
    return text[len(error.path) + 2 :] if error.path else text


def _got(value: object) -> str:
    """Describe a JSON value for a message: its kind and a short repr."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    kinds = {dict: "an object", list: "a list", str: "the string", int: "the number"}
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{kinds.get(type(value), 'the number')} {text}"


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _fail(f"must be a string, got {_got(value)}")
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"must be a whole number, got {_got(value)}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _fail(f"must be true or false, got {_got(value)}")
    return value


def _structure_decimal(value: object, _: type) -> Decimal:
    # Decimals travel as strings so no digit is lost to binary floating point.
    if not isinstance(value, str):
        raise _fail(f"must be a decimal number written as a string such as '12.50', got {value!r}")
    # Decimal() also takes '1_000' and 'Infinity'; the exchange format (and its schema) does not.
    if not _DECIMAL.fullmatch(value.strip()):
        raise _fail(f"must be a decimal number such as '12.50', got {value!r}")
    try:
        number = Decimal(value.strip())
    except ArithmeticError:
        raise _fail(f"must be a decimal number such as '12.50', got {value!r}") from None
    if not number.is_finite():
        raise _fail(f"must be a finite decimal number, got {value!r}")
    return number


def _structure_date(value: object, _: type) -> date:
    if not isinstance(value, str):
        raise _fail(f"must be an ISO date string such as '2024-05-31', got {value!r}")
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)  # fromisoformat also takes '20240531' and week dates
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"must be an existing date written YYYY-MM-DD, got {value!r}") from None


def _structure_hs_code(value: object, _: type) -> HSCode:
    if not isinstance(value, str):
        raise _fail(f"must be a string such as '7102.10', got {value!r}")
    try:
        return HSCode(value)
    except LookupError as error:
        raise _fail(str(error)) from None


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_optional(cls: Any) -> bool:
    return get_origin(cls) in (Union, types.UnionType) and type(None) in get_args(cls)


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(date, _structure_date)
    converter.register_structure_hook(HSCode, _structure_hs_code)

    def structure_optional(value: object, cls: Any) -> object:
        if value is None:
            return None
        (inner,) = (arg for arg in get_args(cls) if arg is not type(None))
        return converter.structure(value, inner)

    def structure_tuple(value: object, cls: Any) -> tuple[object, ...]:
        if not isinstance(value, list):
            raise _fail(f"must be a list, got {_got(value)}")
        item_type = get_args(cls)[0]
        problems: list[Problem] = []
        items = []
        for index, item in enumerate(value):
            try:
                items.append(converter.structure(item, item_type))
            except _Invalid as error:
                problems.extend(_prefixed(f"[{index}]", error.problems))
        if problems:
            raise _Invalid(problems)
        return tuple(items)

    converter.register_structure_hook_func(_is_optional, structure_optional)
    converter.register_structure_hook_func(_is_homogeneous_tuple, structure_tuple)
    converter.register_structure_hook_factory(attrs.has, lambda cls: _record_hook(converter, cls))

    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook(HSCode, lambda code: code.value)
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: _record_unstructure_hook(converter, cls)
    )
    return converter


def _record_hook(converter: cattrs.Converter, cls: type) -> Callable[[object, type], object]:
    """Structure an attrs record field by field, collecting every problem before raising."""
    fields = attrs.fields(cls)
    known = [field.name for field in fields]

    def structure(data: object, _: type) -> object:
        if not isinstance(data, dict):
            raise _fail(f"must be an object with keys {known}, got {_got(data)}")
        problems: list[Problem] = [
            Problem(str(key), f"unknown key; the keys of a {cls.__name__} are {known}")
            for key in data
            if key not in known
        ]
        values: dict[str, object] = {}
        for field in fields:
            if field.name not in data:
                if field.default is attrs.NOTHING:
                    problems.append(Problem(field.name, "is required but missing"))
                continue
            try:
                value = converter.structure(data[field.name], field.type)
                if field.validator is not None and value is not None:
                    field.validator(None, field, value)
            except _Invalid as error:
                problems.extend(_prefixed(field.name, error.problems))
                continue
            except InvalidRecordError as error:
                problems.append(
                    Problem(_join(field.name, _subpath(error, field.name)), _message(error))
                )
                continue
            values[field.name] = value
        if problems:
            raise _Invalid(problems)
        try:
            return cls(**values)
        except InvalidRecordError as error:
            raise _Invalid([Problem(error.path, _message(error))]) from None

    return structure


def _subpath(error: InvalidRecordError, field_name: str) -> str:
    # Validators name their own field; keep only what lies below it (an index, say).
    return error.path[len(field_name) :].lstrip(".") if error.path.startswith(field_name) else ""


def _record_unstructure_hook(
    converter: cattrs.Converter, cls: type
) -> Callable[[object], dict[str, object]]:
    fields = attrs.fields(cls)

    def unstructure(record: object) -> dict[str, object]:
        data: dict[str, object] = {}
        for field in fields:
            value = getattr(record, field.name)
            # Optional keys at their default are left out, so files stay short.
            if field.default is not attrs.NOTHING and value == field.default:
                continue
            if isinstance(value, tuple):
                data[field.name] = [converter.unstructure(item) for item in value]
            else:
                data[field.name] = converter.unstructure(value)
        return data

    return unstructure


_CONVERTER = _make_converter()


def record_type(data: object) -> type:
    """Tell the record type of one JSON object from its keys; raise `_Invalid` if unclear."""
    if not isinstance(data, dict):
        raise _fail(f"must be a record (a JSON object), got {_got(data)}")
    found = [cls for key, cls in _TYPE_KEYS.items() if key in data]
    if len(found) != 1:
        hint = (
            "a certificate has the key 'number', a shipment 'from_country', "
            "an import confirmation 'certificate_number'"
        )
        raise _fail(f"cannot tell the record type ({hint}); got keys {sorted(data)}")
    return found[0]


def structure_records(data: object) -> Record | list[Record]:
    """Structure parsed JSON: one record or a list of records; raise `_Invalid` on problems."""
    if isinstance(data, list):
        problems: list[Problem] = []
        records: list[Record] = []
        for index, item in enumerate(data):
            try:
                records.append(_structure_one(item))
            except _Invalid as error:
                problems.extend(_prefixed(f"[{index}]", error.problems))
        if problems:
            raise _Invalid(problems)
        return records
    return _structure_one(data)


def _structure_one(data: object) -> Record:
    cls = record_type(data)
    record: Record = _CONVERTER.structure(data, cls)
    return record


def unstructure(record: object) -> object:
    """Turn a record, or a list of records, into plain JSON values."""
    if isinstance(record, list | tuple):
        return [unstructure(item) for item in record]
    if not isinstance(record, RECORD_TYPES):
        msg = (
            "dumps() takes a Certificate, Shipment or ImportConfirmation, or a list of them; "
            f"got {record!r} (type={type(record).__name__})"
        )
        raise InvalidArgumentError(msg)
    return _CONVERTER.unstructure(record)


def parse_json(text: str, *, source: str = "") -> object:
    """Parse JSON text into plain values, turning every parsing failure into `LoadError`."""
    return _boundary.parse_json(text, source=source)


def loads(text: str | bytes, *, source: str = "") -> Record | list[Record]:
    """Load one record or a list of records from JSON text.

    The record type (certificate, shipment or import confirmation) is told from the keys:
    a certificate has ``number``, a shipment ``from_country``, an import confirmation
    ``certificate_number``. Loading is all-or-nothing: every problem is collected and
    reported at once in one `kpmodel.errors.LoadError`, each with its field path.

    Parameters
    ----------
    text : str or bytes
        JSON text (bytes are decoded as UTF-8).
    source : str, optional
        Where the text comes from, for the error message.

    Returns
    -------
    Certificate, Shipment, ImportConfirmation, or a list of them

    Raises
    ------
    kpmodel.errors.LoadError
        If the text is not valid JSON or any record in it is invalid.

    Examples
    --------
    >>> text = kp.certificates.dumps(kp.certificates.example_certificate())
    >>> kp.certificates.loads(text) == kp.certificates.example_certificate()
    True
    >>> bad = text.replace('"1000.00"', '"-3.5"').replace('"BW"', '"Botswana"', 1)
    >>> kp.certificates.loads(bad)
    Traceback (most recent call last):
    ...
    kpmodel.errors.LoadError: 2 problems:
      issuing_country: must be an ISO 3166-1 alpha-2 country code or 'EU' ..., got 'Botswana'; ...
      parcels[0].carats: must be greater than 0, got '-3.5'
    """
    if isinstance(text, bytes | bytearray):
        text = _boundary.decode_text(bytes(text), source=source)
    if not isinstance(text, str):
        msg = f"loads() takes JSON text (str or bytes), got {type(text).__name__}"  # type: ignore[unreachable]
        raise InvalidArgumentError(msg)
    return load_data(parse_json(text, source=source), source=source)


def load_data(data: object, *, source: str = "") -> Record | list[Record]:
    """Structure already-parsed JSON values; raise `LoadError` listing every problem."""
    try:
        return structure_records(data)
    except _Invalid as error:
        raise LoadError(error.problems, source=source) from None
    except RecursionError:
        raise LoadError([Problem("", "nested too deeply")], source=source) from None


def dumps(record: Record | Iterable[Record], *, indent: int | None = 2) -> str:
    """Write a record, or a list of records, as JSON text in the exchange format.

    Decimals are written as strings and dates as ISO strings; optional keys at their default
    value are left out. ``loads(dumps(x)) == x`` for every record.

    Parameters
    ----------
    record : Certificate, Shipment, ImportConfirmation, or a list of them
    indent : int or None, default 2
        Indentation of the JSON text; None writes one line.

    Returns
    -------
    str

    Examples
    --------
    >>> print(kp.certificates.dumps(kp.certificates.example_certificate()).splitlines()[1])
      "number": "BW000123",
    >>> kp.certificates.dumps(kp.certificates.example_certificate(), indent=None)[:22]
    '{"number": "BW000123",'
    """
    if not isinstance(record, RECORD_TYPES) and not isinstance(record, list | tuple):
        record = list(record)  # type: ignore[arg-type]
    return json.dumps(unstructure(record), indent=indent, ensure_ascii=False)


def load(path: str | Path) -> Record | list[Record]:
    """Load one record or a list of records from a JSON file, or a ledger from a CSV file.

    Files ending in ``.csv`` are read as certificate ledgers (see `load_csv`); any other file
    is read as JSON (see `loads`).

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    Certificate, Shipment, ImportConfirmation, or a list of them

    Raises
    ------
    kpmodel.errors.LoadError
        If the file cannot be read or any record in it is invalid; nothing is loaded.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "cert.json").write_text(
    ...     kp.certificates.dumps(kp.certificates.example_certificate()), encoding="utf-8")
    >>> kp.certificates.load(folder / "cert.json").number
    'BW000123'
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        from kpmodel.certificates._csv import load_csv

        return [*load_csv(path)]
    return loads(read_bytes(path), source=_boundary.display_path(path))


def read_bytes(path: Path) -> bytes:
    """Read a file, turning operating-system errors into `LoadError`."""
    return _boundary.read_bytes(path)
