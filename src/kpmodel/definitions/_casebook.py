"""The case book: sourced historical situations, loadable from TOML or JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from kpmodel._boundary import display_path, guarded, parse_json, parse_toml, read_text, show
from kpmodel._display import View
from kpmodel.definitions._evidence import Designation, Period, Place, Situation
from kpmodel.definitions._vocabulary import Outcome
from kpmodel.errors import InvalidRecordError, LoadError, Problem

_SITUATION_FIELDS = (
    "place",
    "period",
    "actor",
    "harms",
    "link",
    "target",
    "scale",
    "designations",
    "sources",
    "title",
    "notes",
)


def _outcome(value: object) -> Outcome:
    return Outcome(Outcome._of_field(value, path="outcome"))


@guarded
@attrs.frozen(kw_only=True)
class Expected:
    """The verdict a case book records for a case under a definition, and whose reading it is.

    Parameters
    ----------
    outcome : Outcome
        The verdict.
    note : str
        The reasoning, or the reader's words; where a publication reads the case
        differently, that reading too.
    reading : str
        Whose reading the verdict is: a named publication, or ``"kpmodel"`` (the default)
        for kpmodel's own reading of the definition's text against the case's sources.

    Examples
    --------
    >>> e = kp.definitions.CaseBook.default().case("zimbabwe-marange").expected["KPCS_2003"]
    >>> e.outcome, e.reading
    (Outcome.OUT, 'E. Golan, Rubel & Ménasché, 2012')

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``reading`` added.
    """

    outcome: Outcome = attrs.field(converter=_outcome)
    note: str = ""
    reading: str = "kpmodel"

    @property
    def reader(self) -> str:
        """The reading in words, for explanations.

        Examples
        --------
        >>> kp.definitions.Expected(outcome="in").reader
        "kpmodel's reading"
        """
        return "kpmodel's reading" if self.reading == "kpmodel" else self.reading


def _expected_map(value: Mapping[str, Expected]) -> dict[str, Expected]:
    return dict(value)


@guarded
@attrs.frozen(kw_only=True)
class Case:
    """One entry of a case book: a keyed situation, its group, and the recorded verdicts.

    Examples
    --------
    >>> case = kp.definitions.CaseBook.default().case("russia-2022")
    >>> case.title, case.situation.place.country
    ('Russia, 2022 onwards', 'RU')

    .. versionadded:: 0.1
    """

    key: str = attrs.field(validator=attrs.validators.min_len(1))
    situation: Situation
    title: str = ""
    group: str = ""
    expected: Mapping[str, Expected] = attrs.field(factory=dict, converter=_expected_map)


def _message(exc: InvalidRecordError) -> str:
    text = str(exc)
    prefix = f"{exc.path}: "
    return text[len(prefix) :] if exc.path and text.startswith(prefix) else text


class _Collector:
    """Collects problems with their field paths instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def build(self, path: str, make: Callable[[], Any]) -> Any:
        try:
            return make()
        except InvalidRecordError as exc:
            where = f"{path}.{exc.path}" if exc.path else path
            self.add(where, _message(exc))
        except (TypeError, ValueError) as exc:
            self.add(path, str(exc))
        return None

    def table(self, path: str, value: object) -> dict[str, Any] | None:
        if isinstance(value, Mapping):
            return dict(value)
        self.add(path, f"must be a table (mapping); got {value!r}")
        return None

    def unknown(self, path: str, data: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for key in data:
            if key not in known:
                self.add(f"{path}.{key}", f"is not a known field; expected one of {known!r}")


def _place(c: _Collector, path: str, value: object) -> Any:
    if isinstance(value, str):
        return c.build(path, lambda: Place.parse(value))
    data = c.table(path, value)
    if data is None:
        return None
    c.unknown(path, data, ("country", "zone", "site"))
    if "country" not in data:
        c.add(f"{path}.country", "is required (an ISO 3166-1 alpha-2 code such as 'ZW')")
        return None
    return c.build(
        path, lambda: Place(data["country"], zone=data.get("zone"), site=data.get("site"))
    )


def _dated(
    c: _Collector, path: str, value: object, make: Callable[..., Any], keys: tuple[str, ...]
) -> Any:
    data = c.table(path, value)
    if data is None:
        return None
    c.unknown(path, data, keys)
    missing = [k for k in keys if k != "end" and k not in data]
    for key in missing:
        c.add(f"{path}.{key}", "is required")
    if missing:
        return None
    return c.build(path, lambda: make(**{k: data[k] for k in keys if k in data}))


def _situation(c: _Collector, path: str, value: object) -> Situation | None:
    data = c.table(path, value)
    if data is None:
        return None
    start = len(c.problems)
    c.unknown(path, data, _SITUATION_FIELDS)
    fields: dict[str, Any] = {}
    for key in ("place", "period"):
        if key not in data:
            c.add(f"{path}.{key}", "is required")
    if "place" in data:
        fields["place"] = _place(c, f"{path}.place", data["place"])
    if "period" in data:
        fields["period"] = _dated(c, f"{path}.period", data["period"], Period, ("start", "end"))
    designations = data.get("designations", [])
    if isinstance(designations, list):
        keys = ("authority", "reference", "start", "end")
        fields["designations"] = [
            _dated(c, f"{path}.designations[{i}]", d, Designation, keys)
            for i, d in enumerate(designations)
        ]
    else:
        c.add(f"{path}.designations", f"must be a list of tables; got {designations!r}")
    # Convert each simple field on its own, so every bad field is reported, not only the first.
    for key in ("actor", "harms", "link", "target", "scale", "sources", "title", "notes"):
        if key not in data:
            continue
        fields[key] = data[key]
        convert = attrs.fields_dict(Situation)[key].converter
        if convert is not None:
            c.build(path, lambda convert=convert, v=data[key]: convert(v))  # type: ignore[misc]
        elif not isinstance(data[key], str):
            c.add(f"{path}.{key}", f"must be a text; got {data[key]!r}")
    if len(c.problems) > start:
        return None
    result: Situation | None = c.build(path, lambda: Situation(**fields))
    return result


def _expected(c: _Collector, path: str, value: object) -> dict[str, Expected]:
    data = c.table(path, value)
    out: dict[str, Expected] = {}
    for name, entry in (data or {}).items():
        where = f"{path}.{name}"
        if isinstance(entry, str):
            entry = {"outcome": entry}
        table = c.table(where, entry)
        if table is None:
            continue
        c.unknown(where, table, ("outcome", "note", "reading"))
        try:
            out[name] = Expected(
                outcome=table.get("outcome"),
                note=str(table.get("note", "")),
                reading=str(table.get("reading", "kpmodel")),
            )
        except ValueError as exc:
            c.add(f"{where}.outcome", str(exc))
    return out


def _cases(data: object, source: str) -> tuple[Case, ...]:
    c = _Collector()
    root = c.table("", data) or {}
    c.unknown("", root, ("schema", "cases"))
    if root.get("schema", 1) != 1:
        c.add("schema", f"must be 1 (the only case-book format so far); got {root['schema']!r}")
    items = root.get("cases")
    if not isinstance(items, list):
        c.add("cases", f"must be a list of case tables; got {items!r}")
        items = []
    cases, seen = [], set()
    for i, item in enumerate(items):
        path = f"cases[{i}]"
        entry = c.table(path, item)
        if entry is None:
            continue
        c.unknown(path, entry, ("key", "title", "group", "situation", "expected"))
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            c.add(f"{path}.key", f"must be a non-empty text; got {key!r}")
        elif key in seen:
            c.add(f"{path}.key", f"repeats the key {key!r}; keys must be unique")
        else:
            seen.add(key)
        for text in ("title", "group"):
            if not isinstance(entry.get(text, ""), str):
                c.add(f"{path}.{text}", f"must be a text; got {entry[text]!r}")
        if "situation" not in entry:
            c.add(f"{path}.situation", "is required")
        situation = _situation(c, f"{path}.situation", entry.get("situation", {}))
        expected = _expected(c, f"{path}.expected", entry.get("expected", {}))
        if situation is not None and isinstance(key, str) and key.strip():
            cases.append(
                Case(
                    key=key,
                    situation=situation,
                    title=str(entry.get("title", "")),
                    group=str(entry.get("group", "")),
                    expected=expected,
                )
            )
    if c.problems:
        raise LoadError(c.problems, source=source)
    return tuple(cases)


def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _situation_data(s: Situation) -> dict[str, Any]:
    data: dict[str, Any] = {
        "place": {k: v for k, v in attrs.asdict(s.place).items() if v is not None},
        "period": {"start": _day(s.period.start), "end": _day(s.period.end)},
    }
    if s.actor is not None:
        data["actor"] = s.actor.value
    for key in ("harms", "link"):
        members = getattr(s, key)
        if members is not None:
            data[key] = sorted(m.value for m in members)
    for key in ("target", "scale"):
        if getattr(s, key) is not None:
            data[key] = getattr(s, key).value
    data["designations"] = [
        {
            "authority": d.authority,
            "reference": d.reference,
            "start": _day(d.start),
            "end": _day(d.end),
        }
        for d in s.designations
    ]
    data["sources"] = list(s.sources)
    data["title"], data["notes"] = s.title, s.notes
    data["period"] = {k: v for k, v in data["period"].items() if v is not None}
    for d in data["designations"]:
        if d["end"] is None:
            del d["end"]
    return data


def _case_tuple(value: Iterable[Case]) -> tuple[Case, ...]:
    return tuple(value)


@guarded
@attrs.frozen
class CaseBook:
    """A keyed collection of sourced situations, with the verdicts their sources record.

    ``book[key]`` is the `Situation`; `case` gives the whole `Case`. Iterating yields the keys,
    in file order. Load your own with `load` (TOML or JSON, the same layout as the shipped
    file); loading is all-or-nothing and reports every problem with its field path.

    Examples
    --------
    >>> book = kp.definitions.CaseBook.default()
    >>> len(book), "zimbabwe-marange" in book
    (15, True)
    >>> book["zimbabwe-marange"].place
    Place(country='ZW', zone='Marange', site=None)

    .. versionadded:: 0.1
    """

    cases: tuple[Case, ...] = attrs.field(converter=_case_tuple)
    source: str = attrs.field(default="", eq=False)

    def _view(self) -> View:
        rows = [
            {
                "key": case.key,
                "title": case.title,
                "place": str(case.situation.place),
                "period": str(case.situation.period),
                "actor": case.situation.actor.value if case.situation.actor else "",
            }
            for case in self.cases
        ]
        return View(
            kind="CaseBook",
            summary=f"{len(self.cases)} cases" + (f" from {self.source}" if self.source else ""),
            more="see book[key] (a Situation), .case(key), .keys(); kp.compare(definitions, book)",
            tables=lambda: [("Cases", pd.DataFrame(rows))],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    @classmethod
    def default(cls) -> CaseBook:
        """Return the shipped case book: the historical cases that separate the definitions.

        Examples
        --------
        >>> kp.definitions.CaseBook.default().keys()[:2]
        ['sierra-leone-ruf', 'angola-unita']
        """
        text = (
            resources.files("kpmodel.definitions")
            .joinpath("data/casebook.toml")
            .read_text("utf-8")
        )
        return cls.loads(text, format="toml", source="kpmodel.definitions/data/casebook.toml")

    @classmethod
    def load(cls, path: str | Path) -> CaseBook:
        """Load a case book file; the format follows the suffix (``.toml`` or ``.json``).

        Raises
        ------
        kpmodel.errors.LoadError
            Listing every problem with its field path; nothing is loaded.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "mine.json"
        >>> _ = path.write_text('{"cases": [{"key": "x", "situation": '
        ...                     '{"place": {"country": "ZW"}, "period": {"start": "2009"}}}]}')
        >>> kp.definitions.CaseBook.load(path).keys()
        ['x']
        """
        path = Path(path)
        suffix = path.suffix.lower().lstrip(".")
        if suffix not in ("toml", "json"):
            raise LoadError(
                [Problem("", f"the file must end in .toml or .json; got {path.name!r}")],
                source=str(path),
            )
        source = display_path(path)
        return cls.loads(read_text(path, source=source), format=suffix, source=source)

    @classmethod
    def loads(cls, text: str, *, format: str = "toml", source: str = "") -> CaseBook:
        """Load a case book from TOML or JSON text.

        Examples
        --------
        >>> book = kp.definitions.CaseBook.loads('''
        ... [[cases]]
        ... key = "marange"
        ... situation = { place = "ZW/Marange", period = { start = "2008-10" }, actor = "army" }
        ... ''')
        Traceback (most recent call last):
        ...
        kpmodel.errors.LoadError: 1 problem:
          cases[0].situation.actor: must be one of 'rebel_movement', ...; got 'army'
        """
        if format == "toml":
            data: object = parse_toml(text, source=source)
        elif format == "json":
            data = parse_json(text, source=source)
        else:
            raise LoadError(
                [Problem("", f"format must be 'toml' or 'json'; got {show(format)}")],
                source=source,
            )
        return cls.from_data(data, source=source)

    @classmethod
    def from_data(cls, data: object, *, source: str = "") -> CaseBook:
        """Build a case book from plain data (the parsed file), validating everything.

        Examples
        --------
        >>> book = kp.definitions.CaseBook.default()
        >>> kp.definitions.CaseBook.from_data(book.to_data()) == book
        True
        """
        return cls(_cases(data, source), source)

    def to_data(self) -> dict[str, Any]:
        """Return the case book as plain data, ready for ``json.dumps`` (inverse of `from_data`).

        Examples
        --------
        >>> kp.definitions.CaseBook.default().to_data()["schema"]
        1
        """
        return {
            "schema": 1,
            "cases": [
                {
                    "key": case.key,
                    "title": case.title,
                    "group": case.group,
                    "situation": _situation_data(case.situation),
                    "expected": {
                        name: {"outcome": e.outcome.value, "note": e.note, "reading": e.reading}
                        for name, e in case.expected.items()
                    },
                }
                for case in self.cases
            ],
        }

    def keys(self) -> list[str]:
        """Return the case keys in order.

        Examples
        --------
        >>> "russia-2022" in kp.definitions.CaseBook.default().keys()
        True
        """
        return [case.key for case in self.cases]

    def case(self, key: str) -> Case:
        """Return the case with this key.

        Examples
        --------
        >>> kp.definitions.CaseBook.default().case("car-seleka-2013").group
        'CAR, Séléka, 2013'
        """
        for case in self.cases:
            if case.key == key:
                return case
        msg = f"no case {key!r} in this case book; keys: {self.keys()!r}"
        raise KeyError(msg)

    def situations(self) -> dict[str, Situation]:
        """Return ``{key: situation}`` in order.

        Examples
        --------
        >>> len(kp.definitions.CaseBook.default().situations())
        15
        """
        return {case.key: case.situation for case in self.cases}

    def __getitem__(self, key: str) -> Situation:
        return self.case(key).situation

    def __contains__(self, key: object) -> bool:
        return any(case.key == key for case in self.cases)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.cases)
