from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

import attrs

from kpmodel._boundary import as_date, show
from kpmodel.certificates import Certificate, ImportConfirmation, Shipment
from kpmodel.errors import InvalidArgumentError
from kpmodel.ledger import Ledger
from kpmodel.rules._ledger import check_ledger
from kpmodel.rules._model import Context, Finding, RegisterLike, Report, Rulebook

_CHECKABLE = (
    "a kpmodel.Ledger, a Certificate, a Shipment, an ImportConfirmation, or a sequence of "
    "them (a ledger of records)"
)


@cache
def default_register() -> Any:
    """Return the shipped register of participants, loaded once.

    `kpmodel.check` uses it when no register is given.

    Returns
    -------
    kpmodel.participants.Register

    Examples
    --------
    >>> from datetime import date
    >>> kp.rules.default_register().may_trade("BW", on=date(2023, 3, 1))
    True
    """
    from kpmodel.participants import Register

    return Register.default()


def check(
    obj: object,
    *,
    register: RegisterLike | None = None,
    on: date | None = None,
    rulebook: Rulebook | None = None,
) -> Report:
    """Check a ledger, a certificate, a shipment or an import confirmation against the KPCS.

    Applies the rules in force on `on`; without `on`, each record's own date: a certificate's
    date of issuance, a shipment's date of departure, a confirmation's date of receipt.
    A shipment is checked with its certificate (the certificate's findings have paths
    starting ``certificate.``). In a ledger (any list or tuple of records), each record is
    checked, import confirmations are checked against the certificate with their number,
    and certificate numbers must be unique; paths start with the record's index (``[3].``).

    A `kpmodel.Ledger` is checked like the list of its certificate records
    (`kpmodel.Ledger.records`; paths start with the certificate's index), with two
    differences: a rule that reads a column the ledger lacks (`Rule.columns`) is not
    checked, and the rules about shipments and import confirmations, which a ledger does
    not hold, are not checked either; the report lists them in ``not_checked``. A ledger of
    a million parcels checks in seconds.

    Parameters
    ----------
    obj : Ledger, Certificate, Shipment, ImportConfirmation, or a sequence of them
    register : kpmodel.participants.Register, optional
        Who may trade when (Section III(c)). Defaults to the shipped register.
    on : datetime.date or str, optional
        The date to judge on: a date or ISO text such as "2013-05-23".
    rulebook : Rulebook, optional
        The rules to apply; defaults to `Rulebook.default`.

    Returns
    -------
    Report

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `obj` is none of the above or `on` is not a date.

    Examples
    --------
    >>> import attrs
    >>> cert = kp.certificates.example_certificate()
    >>> kp.check(cert).ok
    True
    >>> bad = attrs.evolve(cert, number_of_parcels=3, expires=None)
    >>> print(kp.check(bad))
    error expires: no date of expiry; every certificate must state one [annex-i-dates; ...]
    error number_of_parcels: states 3 parcels but lists 2 [annex-i-parcels; ...]

    A trade table without parties or authorities is checked as far as it goes:

    >>> columns = list(kp.ledger.REQUIRED_COLUMNS)
    >>> table = kp.Ledger.from_records([bad]).to_frame()[columns]
    >>> report = kp.check(kp.Ledger.from_frame(table))
    >>> report.ok, [n.rule for n in report.not_checked][:4]
    (True, ['annex-i-statement', 'annex-i-language', 'annex-i-forgery-resistant', 'annex-i-dates'])
    """
    on = None if on is None else as_date(on)
    book = rulebook if rulebook is not None else Rulebook.default()
    register = register if register is not None else default_register()
    _check_plugins(register, book)
    if isinstance(obj, Ledger):
        found, not_checked = check_ledger(
            obj, register=register, on=on, book=book, memo=_memo_for(register)
        )
        return Report(found, not_checked=not_checked)
    findings: list[Finding] = []
    if isinstance(obj, Certificate):
        # The common case, kept short: a ledger checked one certificate at a time.
        day = on or obj.issued
        context = Context(on=day, register=register, memo=_memo_for(register))
        for rule in book.in_force(day, "certificate"):
            findings.extend(rule.check(obj, context))
        return Report(findings)
    context = Context(on=on or date.min, register=register, memo=_memo_for(register))
    if isinstance(obj, Shipment | ImportConfirmation):
        _check_record(obj, "", findings, book, context, on)
    elif isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        _check_ledger(obj, findings, book, context, on)
    else:
        msg = f"check() takes {_CHECKABLE}; got {show(obj)} (type={type(obj).__name__})"
        raise InvalidArgumentError(msg)
    return Report(findings)


def _check_plugins(register: object, book: object) -> None:
    """Refuse a register or rulebook that is not one, before any rule runs."""
    missing = [m for m in ("may_trade", "status", "compliant_zones") if not _has(register, m)]
    if missing:
        msg = (
            "register must be a kpmodel.participants.Register (or have may_trade, status and "
            f"compliant_zones methods); got {show(register)} (type={type(register).__name__}), "
            f"which lacks {', '.join(missing)}"
        )
        raise InvalidArgumentError(msg)
    if not isinstance(book, Rulebook):
        msg = f"rulebook must be a kpmodel.rules.Rulebook; got {show(book)}"
        raise InvalidArgumentError(msg)


def _has(obj: object, name: str) -> bool:
    return callable(getattr(obj, name, None))


# Answers of may_trade(code, on, zone), kept per register across calls: a register lookup
# costs microseconds, and checking a ledger one certificate at a time asks the same questions.
_MEMOS: dict[int, tuple[object, dict[tuple[str, date, str | None], bool]]] = {}


def _memo_for(register: object) -> dict[tuple[str, date, str | None], bool]:
    entry = _MEMOS.get(id(register))
    if entry is None or entry[0] is not register:
        if len(_MEMOS) > 16:
            _MEMOS.clear()
        entry = _MEMOS[id(register)] = (register, {})
    memo = entry[1]
    if len(memo) > 1_000_000:
        memo.clear()
    return memo


def _own_date(record: object) -> date:
    if isinstance(record, Certificate):
        return record.issued
    if isinstance(record, Shipment):
        return record.departed
    assert isinstance(record, ImportConfirmation)
    return record.received


def _run(
    rules: Sequence[Any], record: object, context: Context, prefix: str, findings: list[Finding]
) -> None:
    if not prefix:
        for rule in rules:
            findings.extend(rule.check(record, context))
        return
    for rule in rules:
        for finding in rule.check(record, context):
            path = f"{prefix}{'' if finding.path.startswith('[') else '.'}{finding.path}"
            findings.append(attrs.evolve(finding, path=path.rstrip(".")))


def _check_record(
    record: object,
    prefix: str,
    findings: list[Finding],
    book: Rulebook,
    context: Context,
    on: date | None,
    certificate: Certificate | None = None,
) -> None:
    day = on or _own_date(record)
    if isinstance(record, Certificate):
        here = context if context.on == day else context.at(day)
        _run(book.in_force(day, "certificate"), record, here, prefix, findings)
    elif isinstance(record, Shipment):
        here = context.at(day)
        _run(book.in_force(day, "shipment"), record, here, prefix, findings)
        if record.certificate is not None:
            inner = f"{prefix}.certificate" if prefix else "certificate"
            cert_context = context.at(day, shipment=record)
            _run(
                book.in_force(day, "certificate"),
                record.certificate,
                cert_context,
                inner,
                findings,
            )
    else:
        here = context.at(day, certificate=certificate)
        _run(book.in_force(day, "import_confirmation"), record, here, prefix, findings)


def _check_ledger(
    ledger: Sequence[object],
    findings: list[Finding],
    book: Rulebook,
    context: Context,
    on: date | None,
) -> None:
    for index, record in enumerate(ledger):
        if not isinstance(record, Certificate | Shipment | ImportConfirmation):
            msg = (
                f"a ledger holds Certificate, Shipment and ImportConfirmation records; "
                f"item [{index}] is {record!r} (type={type(record).__name__})"
            )
            raise InvalidArgumentError(msg)
    by_number: dict[str, Certificate] = {}
    uses: list[tuple[str, Certificate]] = []
    shipped: dict[str, list[Certificate]] = {}
    for record in ledger:
        if isinstance(record, Shipment) and record.certificate is not None:
            shipped.setdefault(record.certificate.number, []).append(record.certificate)
    for index, record in enumerate(ledger):
        if isinstance(record, Shipment) and record.certificate is not None:
            uses.append((f"[{index}].certificate", record.certificate))
            by_number.setdefault(record.certificate.number, record.certificate)
        elif isinstance(record, Certificate):
            by_number.setdefault(record.number, record)
            # A certificate listed beside the shipment it accompanies is one use, not two.
            # (Compared only when the numbers agree: hashing every certificate is costly.)
            if record not in shipped.get(record.number, ()):
                uses.append((f"[{index}]", record))
    ledger_context = attrs.evolve(context, in_ledger=True)
    by_day: dict[date, Context] = {}
    for index, record in enumerate(ledger):
        if isinstance(record, Certificate):
            # The common case inline, with one context per day rather than per record.
            day = on or record.issued
            here = by_day.get(day)
            if here is None:
                here = by_day[day] = ledger_context.at(day)
            _run(book.in_force(day, "certificate"), record, here, f"[{index}]", findings)
            continue
        certificate = (
            by_number.get(record.certificate_number)
            if isinstance(record, ImportConfirmation)
            else None
        )
        _check_record(record, f"[{index}]", findings, book, ledger_context, on, certificate)
    day = on or max((_own_date(record) for record in ledger), default=date.today())
    receipts = _receipts(ledger, uses)
    _run(
        book.in_force(day, "ledger"), uses, ledger_context.at(day, receipts=receipts), "", findings
    )


def _receipts(
    ledger: Sequence[object], uses: list[tuple[str, Certificate]]
) -> dict[str, date | None] | None:
    """Return the confirmed receipt of each certificate use (the earliest); None without any."""
    confirmed: dict[str, date] = {}
    for record in ledger:
        if isinstance(record, ImportConfirmation):
            earlier = confirmed.get(record.certificate_number)
            if earlier is None or record.received < earlier:
                confirmed[record.certificate_number] = record.received
    if not confirmed:
        return None
    return {path: confirmed.get(cert.number) for path, cert in uses}
