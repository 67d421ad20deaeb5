"""Checking a `Ledger`: the rules over a table of parcels, without a record per certificate.

The rules are written for records (`kpmodel.certificates.Certificate`). A ledger of a million
parcels would cost seconds to turn into records, so `check` first asks, for each built-in
rule, a vectorised question over the whole table: which certificates certainly pass? Only the
others (usually few) become records and go through the rule's own check, so the findings,
their paths and messages are exactly those of the records (a property test compares the
two). Rules without such a question run on every certificate's record. A rule whose input
columns the ledger lacks is reported as not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from kpmodel.certificates import MIXED, Certificate
from kpmodel.ledger import Ledger
from kpmodel.rules import _catalogue as catalogue
from kpmodel.rules._model import Context, Finding, NotChecked, RegisterLike, Rule, Rulebook

BoolArray = np.ndarray[Any, np.dtype[np.bool_]]

_RECORD_KINDS = {"shipment": "shipments", "import_confirmation": "import confirmations"}


class _Table:
    """The ledger's frame with one row per certificate beside it."""

    def __init__(self, ledger: Ledger, context: Context, on: date | None) -> None:
        frame = ledger.to_frame()
        self.frame = frame
        number = frame["number"].to_numpy(dtype=object)
        starts = np.ones(len(frame), dtype=bool)
        if len(frame) > 1:
            starts[1:] = number[1:] != number[:-1]
        self.starts = np.flatnonzero(starts)
        self.size = self.starts.size
        self.parcels = np.diff(np.r_[self.starts, len(frame)])
        self.first = frame.iloc[self.starts].reset_index(drop=True)
        issued = self.first["issued"].to_numpy(dtype="datetime64[D]")
        self.day64 = issued if on is None else np.full(self.size, np.datetime64(on, "D"))
        self.context = context
        self.changes = _change_days(context.register)

    def every(self, row_mask: BoolArray) -> BoolArray:
        """Per certificate: whether `row_mask` holds on every one of its parcel rows."""
        if self.size == 0:
            return np.zeros(0, dtype=bool)
        every: BoolArray = np.logical_and.reduceat(row_mask, self.starts)
        return every

    def column(self, name: str) -> pd.Series:
        return self.first[name]

    def day(self, index: int) -> date:
        """Return the day certificate `index` is judged on."""
        day: date = self.day64[index].astype(object)
        return day

    def ask(self, name: str, question: Callable[[Context, str], bool]) -> BoolArray:
        """Per certificate: `question` about its country in column `name`, on its day.

        The register is asked once per country and stretch of days between two changes
        of any status, membership or measure in it (its answers are the same within
        one), or once per country and day when the register does not tell its changes.
        """
        if self.size == 0:
            return np.zeros(0, dtype=bool)
        country = pd.factorize(self.column(name), use_na_sentinel=False)[0]
        stretch = (
            np.searchsorted(self.changes, self.day64, side="right")
            if self.changes is not None
            else pd.factorize(self.day64)[0]
        )
        keys = country.astype(np.int64) * (int(stretch.max()) + 1) + stretch
        _, where, inverse = np.unique(keys, return_index=True, return_inverse=True)
        codes = self.column(name).to_numpy(dtype=object)
        answers: BoolArray = np.array(
            [question(self.context.at(self.day(i)), codes[i]) for i in where.tolist()],
            dtype=bool,
        )
        asked: BoolArray = answers[inverse.ravel()]
        return asked

    def both(self, question: Callable[[Context, str], bool]) -> BoolArray:
        """Per certificate: `question` holds for its issuing and its destination country."""
        issuing: BoolArray = self.ask("issuing_country", question)
        return issuing & self.ask("destination_country", question)

    def without_zones(self) -> BoolArray:
        """Per certificate: whether none of its parcels names a zone."""
        if "zone" not in self.frame.columns:
            return np.ones(self.size, dtype=bool)
        return self.every(self.frame["zone"].isna().to_numpy(dtype=bool))


def _flag(name: str) -> Callable[[_Table], BoolArray]:
    def clean(table: _Table) -> BoolArray:
        return table.column(name).to_numpy(dtype=bool)

    return clean


def _per_value(column: pd.Series, question: Callable[[Any], bool]) -> BoolArray:
    """Per row: `question` about its cell, asked once per distinct value (None if missing)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    answers = [question(value) for value in uniques.tolist()]
    table: BoolArray = np.array([*answers, question(None)], dtype=bool)
    answered: BoolArray = table[codes]
    return answered


def _origin(table: _Table) -> BoolArray:
    mixed = _per_value(table.frame["origin"], lambda value: value == MIXED)
    missing = _per_value(table.frame["origin"], lambda value: value is None)
    single_listed = _per_value(
        table.frame["declared_origins"], lambda value: bool(value) and ";" not in value
    )
    return table.every(~(missing | (mixed & single_listed)))


def _origin_listing(table: _Table) -> BoolArray:
    mixed = table.frame["origin"].eq(MIXED).fillna(False)
    unlisted = table.frame["declared_origins"].fillna("").eq("")
    return table.every(~(mixed & unlisted).to_numpy(dtype=bool))


def _language(table: _Table) -> BoolArray:
    english = table.column("language").eq("en").fillna(False).to_numpy(dtype=bool)
    translated: BoolArray = table.column("english_translation").to_numpy(dtype=bool)
    return english | translated


def _number(table: _Table) -> BoolArray:
    numbers = table.column("number").to_numpy(dtype=object)
    issuers = table.column("issuing_country").to_numpy(dtype=object)
    return np.array([n.startswith(c) for n, c in zip(numbers, issuers, strict=True)], dtype=bool)


def _dates(table: _Table) -> BoolArray:
    expires, issued = table.column("expires"), table.column("issued")
    return (expires.notna() & (expires > issued)).to_numpy(dtype=bool)


def _authority(table: _Table) -> BoolArray:
    return table.column("issuing_authority").notna().to_numpy(dtype=bool)


def _parties(table: _Table) -> BoolArray:
    exporter = table.column("exporter_name").notna()
    importer = table.column("importer_name").notna()
    return (exporter & importer).to_numpy(dtype=bool)


def _parcel_count(table: _Table) -> BoolArray:
    stated = table.column("number_of_parcels")
    return (stated.isna() | stated.eq(table.parcels)).fillna(True).to_numpy(dtype=bool)


def _participating(context: Context, code: str) -> bool:
    status = context.register.status(code, on=context.on)
    return str(getattr(status, "value", status)) == "participant"


def _unmeasured(context: Context, code: str) -> bool:
    measures = getattr(context.register, "measures", None)
    return measures is None or not measures(code, on=context.on)


def _participants(table: _Table) -> BoolArray:
    return table.both(_participating)


def _decisions(table: _Table) -> BoolArray:
    return table.both(_participating) & table.without_zones()


def _measures(table: _Table) -> BoolArray:
    return table.both(_unmeasured)


# Which certificates certainly pass each built-in rule (an answer may only err on the side
# of asking the rule itself). Used only for the catalogue's own rule objects.
_CLEAN: dict[str, Callable[[_Table], BoolArray]] = {
    "annex-i-statement": _flag("kp_statement"),
    "annex-i-origin": _origin,
    "annex-i-language": _language,
    "annex-i-number": _number,
    "annex-i-forgery-resistant": _flag("forgery_resistant"),
    "annex-i-dates": _dates,
    "annex-i-authority": _authority,
    "annex-i-parties": _parties,
    "annex-i-parcels": _parcel_count,
    "annex-i-validation": _flag("validated"),
    "mixed-origin-listing": _origin_listing,
    "section-iii-c-certificate": _participants,
    "kp-decision-certificate": _decisions,
    "trade-measure-certificate": _measures,
}


def _builtin(rule: Rule) -> bool:
    """Whether `rule` is the catalogue's own rule of that id (not a user's look-alike)."""
    try:
        return catalogue.DEFAULT_RULEBOOK.rule(rule.id) is rule
    except LookupError:
        return False


def _in_force(rule: Rule, days: np.ndarray[Any, Any]) -> BoolArray:
    """Per day (datetime64[D]): whether `rule` is in force."""
    mask: BoolArray = days >= np.datetime64(rule.in_force_from, "D")
    if rule.in_force_until is not None:
        mask &= days < np.datetime64(rule.in_force_until, "D")
    return mask


def _change_days(register: object) -> np.ndarray[Any, Any] | None:
    """Every day on which something in `register` changes (kpmodel's Register), sorted.

    The answers of ``may_trade(code, on=day)`` without a zone are the same for all days
    between two of these. None for a register that does not list its participants.
    """
    participants = getattr(register, "participants", None)
    if participants is None:
        return None
    days: set[date] = set()
    try:
        for participant in participants:
            days.update(event.on for event in participant.events)
            spans = [*participant.members, *getattr(participant, "measures", ())]
            for span in spans:
                if span.start is not None:
                    days.add(span.start)
                if span.end is not None:
                    days.add(span.end + timedelta(days=1))
    except (AttributeError, TypeError):
        return None
    return np.array(sorted(days), dtype="datetime64[D]")


def check_ledger(
    ledger: Ledger,
    *,
    register: RegisterLike,
    on: date | None,
    book: Rulebook,
    memo: dict[tuple[str, date, str | None], bool],
) -> tuple[list[Finding], list[NotChecked]]:
    """Return the findings and the rules not checked for `ledger`; see `kpmodel.check`."""
    base = Context(on=on or date.min, register=register, memo=memo, in_ledger=True)
    table = _Table(ledger, base, on)
    present = set(ledger.columns)
    distinct_days: list[date] = np.unique(table.day64).astype(object).tolist()
    by_day: dict[date, Context] = {}
    records: dict[int, Certificate] = {}

    def context_on(day: date) -> Context:
        if day not in by_day:
            by_day[day] = base.at(day)
        return by_day[day]

    def record(indices: list[int]) -> None:
        wanted = [i for i in indices if i not in records]
        if wanted:
            records.update(zip(wanted, ledger.records(only=wanted), strict=True))

    keyed: list[tuple[int, int, int, Finding]] = []
    not_checked: list[NotChecked] = []
    ledger_day = on or (max(distinct_days) if distinct_days else None)
    for order, rule in enumerate(book.rules):
        if rule.applies_to in _RECORD_KINDS:
            if any(rule.in_force(day) for day in distinct_days):
                not_checked.append(
                    NotChecked.of(
                        rule,
                        f"a ledger holds no {_RECORD_KINDS[rule.applies_to]}; check those records",
                    )
                )
            continue
        if ledger_day is None:
            continue
        if rule.applies_to == "certificate":
            suspects = _in_force(rule, table.day64)
            if not suspects.any():
                continue
        elif not rule.in_force(ledger_day):
            continue
        missing = [name for name in rule.columns if name not in present]
        if missing:
            not_checked.append(
                NotChecked.of(
                    rule,
                    f"the ledger has no column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(repr(m) for m in missing)}",
                )
            )
            continue
        if rule.applies_to == "ledger":
            keyed += _ledger_rule(rule, order, table, ledger, context_on(ledger_day))
            continue
        if rule.id in _CLEAN and _builtin(rule):
            suspects &= ~_CLEAN[rule.id](table)
        chosen = np.flatnonzero(suspects).tolist()
        record(chosen)
        for index in chosen:
            here = context_on(table.day(index))
            for seq, finding in enumerate(rule.check(records[index], here)):
                keyed.append((index, order, seq, _prefixed(finding, f"[{index}]")))
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    return [k[3] for k in keyed], not_checked


def _ledger_rule(
    rule: Rule,
    order: int,
    table: _Table,
    ledger: Ledger,
    context: Context,
) -> list[tuple[int, int, int, Finding]]:
    """Run a rule over the whole ledger (certificate uses), on the ledger's day."""
    if rule.id == "ledger-unique-number" and _builtin(rule):
        numbers = table.column("number")
        chosen = np.flatnonzero(numbers.duplicated(keep=False).to_numpy(dtype=bool)).tolist()
    else:
        chosen = list(range(table.size))
    if not chosen:
        return []
    full = ledger.records(only=chosen)
    uses = [(f"[{i}]", cert) for i, cert in zip(chosen, full, strict=True)]
    return [
        (table.size, order, seq, finding) for seq, finding in enumerate(rule.check(uses, context))
    ]


def _prefixed(finding: Finding, prefix: str) -> Finding:
    import attrs

    path = f"{prefix}{'' if finding.path.startswith('[') else '.'}{finding.path}"
    return attrs.evolve(finding, path=path.rstrip("."))
