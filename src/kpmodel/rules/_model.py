"""Rules, findings, reports, rulebooks and the context a check runs in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs

from kpmodel._boundary import guarded, one_of_validator
from kpmodel._display import View
from kpmodel.errors import InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover - pandas is imported only by Report.to_frame
    import pandas as pd

__all__ = ["Context", "Finding", "NotChecked", "Report", "Rule", "Rulebook", "Severity"]

Severity = Literal["error", "warning"]
"""How serious a finding is: an ``"error"`` breaks the KPCS; a ``"warning"`` falls short of
a best practice or cannot be checked fully."""

KINDS = ("certificate", "shipment", "import_confirmation", "ledger")

# The KPCS started international implementation on 1 January 2003 (KP Sun City plenary
# communiqué, October 2003; World Diamond Council, "FAQs: Kimberley Process").
KPCS_START = date(2003, 1, 1)


class RegisterLike(Protocol):
    """What the rules need from a register (`kpmodel.participants.Register` has it)."""

    def may_trade(self, code: str, *, on: date, zone: str | None = None) -> bool: ...

    def status(self, code: str, *, on: date) -> Any: ...

    def compliant_zones(self, code: str, *, on: date) -> frozenset[str]: ...


@guarded
@attrs.frozen(kw_only=True)
class Finding:
    """One breach of a rule found in a record.

    Parameters
    ----------
    rule : str
        The id of the rule that found it.
    severity : {"error", "warning"}
    message : str
        What is wrong, what was found, and what to do.
    path : str
        The field path in the checked object, such as ``"parcels[1].origin"``, or
        ``"[3].number"`` for the fourth record of a ledger; empty for the whole object.
    reference : str
        The KPCS reference of the rule, such as ``"Section III(c)"``.

    Examples
    --------
    >>> finding = kp.rules.Finding(rule="annex-i-dates", severity="error",
    ...     message="expires is missing", path="expires", reference="Annex I, A")
    >>> print(finding)
    error expires: expires is missing [annex-i-dates; Annex I, A]
    """

    rule: str
    severity: Severity
    message: str
    path: str
    reference: str

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}{where}: {self.message} [{self.rule}; {self.reference}]"


@guarded
@attrs.define(slots=True)
class Context:
    """What a rule's check may use besides the record: the date, the register, the links.

    Rules receive it as their second argument. Built by `kpmodel.check`; users writing
    their own rules only read it.

    Parameters
    ----------
    on : datetime.date
        The date the check is made for (the rules in force on it, the register status on it).
    register : Register
        The register of participants.
    shipment : Shipment or None
        When a certificate is checked as part of a shipment, that shipment.
    certificate : Certificate or None
        When an import confirmation is checked within a ledger, the certificate it confirms
        (None if the ledger has none with that number).
    in_ledger : bool
        Whether the record is checked as part of a ledger.
    receipts : dict or None
        For the ledger rules: when the ledger records confirmations of receipt (import
        confirmations among the records, or a ``received`` column), the date each
        certificate's receipt was confirmed, by the certificate's path (``"[3]"``), None
        where none was; None when the ledger records no confirmations at all.

    Examples
    --------
    >>> from datetime import date
    >>> ctx = kp.rules.Context(on=date(2014, 1, 10), register=kp.rules.default_register())
    >>> ctx.may_trade("CF")  # the Central African Republic was suspended in May 2013
    False
    """

    on: date
    register: RegisterLike
    shipment: Any = None
    certificate: Any = None
    in_ledger: bool = False
    receipts: dict[str, date | None] | None = None
    _memo: dict[tuple[str, date, str | None], bool] = attrs.field(factory=dict, repr=False)

    def may_trade(self, code: str, zone: str | None = None) -> bool:
        """Whether `code` may trade rough diamonds on `on` (from goods of `zone`, if given).

        Answers are remembered, since a ledger asks the same question many times.

        Examples
        --------
        >>> from datetime import date
        >>> ctx = kp.rules.Context(on=date(2023, 3, 1), register=kp.rules.default_register())
        >>> ctx.may_trade("BE"), ctx.may_trade("CF")  # CF: compliant zones only, in 2023
        (True, False)
        >>> ctx.may_trade("CF", zone="Berbérati")
        True
        """
        key = (code, self.on, zone)
        answer = self._memo.get(key)
        if answer is None:
            answer = self._memo[key] = bool(self.register.may_trade(code, on=self.on, zone=zone))
        return answer

    def at(self, on: date, **links: Any) -> Context:
        """Return a context for another date or other links, sharing the remembered answers.

        Examples
        --------
        >>> from datetime import date
        >>> ctx = kp.rules.Context(on=date(2023, 3, 1), register=kp.rules.default_register())
        >>> ctx.at(date(2010, 1, 1)).on
        datetime.date(2010, 1, 1)
        """
        return Context(
            on=on,
            register=self.register,
            shipment=links.get("shipment"),
            certificate=links.get("certificate"),
            in_ledger=links.get("in_ledger", self.in_ledger),
            receipts=links.get("receipts", self.receipts),
            memo=self._memo,
        )


Check = Callable[[Any, Context], Iterable[Finding]]
"""A rule's check: takes the record and the `Context`, yields the findings."""


def _names_tuple(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


@guarded
@attrs.frozen(kw_only=True)
class Rule:
    """A rule of the KPCS as code: what it checks, where it comes from, when it is in force.

    Parameters
    ----------
    id : str
        A short stable identifier, such as ``"annex-i-dates"``.
    reference : str
        The KPCS reference: section and paragraph, such as ``"Section III(b)"`` or
        ``"Annex I, A (date of expiry)"``, with a note where the sources leave it unconfirmed.
    summary : str
        One line saying what the rule asks.
    applies_to : {"certificate", "shipment", "import_confirmation", "ledger"}
        The kind of object the check takes.
    check : callable
        ``check(record, context)`` yields `Finding` objects (a generator is fine); build them
        with `Rule.error` and `Rule.warning`.
    in_force_from : datetime.date
        First day the rule applies.
    in_force_until : datetime.date or None, default None
        First day it no longer applies; None while it is in force.
    severity : {"error", "warning"}, default "error"
        The usual severity of its findings.
    sources : tuple of str, default ()
        The public sources behind the rule (title, publisher, URL).
    date_uncertain : bool, default False
        True when the sources give the start date only approximately (the month, say).
    columns : tuple of str, default ()
        The `kpmodel.Ledger` columns the check reads. When a ledger lacks one of them,
        `kpmodel.check` reports the rule as not checked (`NotChecked`) rather than judging
        a default. Empty means the required columns only.

    Examples
    --------
    >>> from datetime import date
    >>> def must_be_validated(cert, context):
    ...     if not cert.validated:
    ...         yield MY_RULE.error("validated", "the certificate is not validated")
    >>> MY_RULE = kp.rules.Rule(id="my-validation", reference="Section III(a)",
    ...     summary="Certificates are validated.", applies_to="certificate",
    ...     check=must_be_validated, in_force_from=date(2003, 1, 1))
    >>> MY_RULE.in_force(date(2002, 12, 31)), MY_RULE.in_force(date(2003, 1, 1))
    (False, True)
    """

    id: str
    reference: str
    summary: str
    applies_to: str = attrs.field(
        validator=one_of_validator(KINDS, error=InvalidArgumentError, owner="Rule")
    )
    check: Check = attrs.field(eq=False, repr=False)
    in_force_from: date
    in_force_until: date | None = None
    severity: Severity = attrs.field(
        default="error",
        validator=one_of_validator(("error", "warning"), error=InvalidArgumentError, owner="Rule"),
    )
    sources: tuple[str, ...] = ()
    date_uncertain: bool = False
    columns: tuple[str, ...] = attrs.field(default=(), converter=_names_tuple)

    def in_force(self, on: date) -> bool:
        """Whether the rule applies on `on`.

        Examples
        --------
        >>> from datetime import date
        >>> rule = kp.rules.Rulebook.default().rule("mixed-origin-listing")
        >>> rule.in_force(date(2023, 12, 31)), rule.in_force(date(2024, 6, 1))
        (False, True)
        """
        return self.in_force_from <= on and (
            self.in_force_until is None or on < self.in_force_until
        )

    def finding(self, path: str, message: str, *, severity: Severity | None = None) -> Finding:
        """Return a finding of this rule at `path`, with the rule's severity unless given.

        Examples
        --------
        >>> rule = kp.rules.Rulebook.default().rule("annex-i-dates")
        >>> rule.finding("expires", "expires is missing").severity
        'error'
        """
        return Finding(
            rule=self.id,
            severity=severity or self.severity,
            message=message,
            path=path,
            reference=self.reference,
        )

    def error(self, path: str, message: str) -> Finding:
        """Return an error finding of this rule at `path`.

        Examples
        --------
        >>> rule = kp.rules.Rulebook.default().rule("annex-i-dates")
        >>> print(rule.error("expires", "expires is missing"))
        error expires: expires is missing [annex-i-dates; Annex I, A (dates of ...)]
        """
        return self.finding(path, message, severity="error")

    def warning(self, path: str, message: str) -> Finding:
        """Return a warning finding of this rule at `path`.

        Examples
        --------
        >>> rule = kp.rules.Rulebook.default().rule("mixed-origin-listing")
        >>> rule.warning("parcels[0]", "no origins listed").severity
        'warning'
        """
        return self.finding(path, message, severity="warning")


def _rules_tuple(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(rules)


def _findings_tuple(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(findings)


def _not_checked_tuple(rules: Iterable[NotChecked]) -> tuple[NotChecked, ...]:
    return tuple(rules)


@guarded
@attrs.frozen(kw_only=True)
class NotChecked:
    """A rule a check could not apply, and why: it is neither passed nor broken.

    `kpmodel.check` on a `kpmodel.Ledger` reports a rule as not checked when the ledger
    lacks a column the rule reads (a trade table without party names cannot show that
    certificates identify the parties), or when the rule checks records a ledger does not
    hold (shipments, import confirmations).

    Parameters
    ----------
    rule : str
        The id of the rule.
    reason : str
        Why it was not checked.
    reference : str
        The KPCS reference of the rule.

    Examples
    --------
    >>> rule = kp.rules.Rulebook.default().rule("annex-i-authority")
    >>> print(kp.rules.NotChecked.of(rule, "the ledger has no column 'issuing_authority'"))
    not checked: the ledger has no column 'issuing_authority' [annex-i-authority; Annex I, ...]
    """

    rule: str
    reason: str
    reference: str

    @classmethod
    def of(cls, rule: Rule, reason: str) -> NotChecked:
        """Return the note that `rule` was not checked, for `reason`.

        Examples
        --------
        >>> rule = kp.rules.Rulebook.default().rule("sealed-container")
        >>> kp.rules.NotChecked.of(rule, "no shipments").rule
        'sealed-container'
        """
        return cls(rule=rule.id, reason=reason, reference=rule.reference)

    def __str__(self) -> str:
        return f"not checked: {self.reason} [{self.rule}; {self.reference}]"


@guarded
@attrs.frozen
class Rulebook:
    """A set of dated rules; `in_force` gives those that apply on a date, like legislation.

    Parameters
    ----------
    rules : tuple of Rule
        Rule ids must be unique.

    Examples
    --------
    >>> from datetime import date
    >>> book = kp.rules.Rulebook.default()
    >>> before = {r.id for r in book.in_force(date(2023, 1, 1))}
    >>> after = {r.id for r in book.in_force(date(2025, 1, 1))}
    >>> sorted(after - before)
    ['mixed-origin-listing']
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_rules_tuple)
    _by_date: dict[tuple[date, str], tuple[Rule, ...]] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            msg = f"rule ids must be unique in a Rulebook, got duplicates {duplicated}"
            raise InvalidArgumentError(msg)

    @classmethod
    def default(cls) -> Rulebook:
        """Return the built-in rulebook of the KPCS core document (`kpmodel.rules.RULES`).

        Examples
        --------
        >>> len(kp.rules.Rulebook.default().rules) == len(kp.rules.RULES)
        True
        """
        from kpmodel.rules import _catalogue  # the catalogue builds Rule objects: import late

        return _catalogue.DEFAULT_RULEBOOK

    def in_force(self, on: date, kind: str | None = None) -> tuple[Rule, ...]:
        """Return the rules in force on `on`, for one kind of object if `kind` is given.

        Results are remembered per date, so a ledger pays for the selection once per day.

        Examples
        --------
        >>> from datetime import date
        >>> rules = kp.rules.Rulebook.default().in_force(date(2010, 1, 1), "shipment")
        >>> sorted(rule.id for rule in rules)[:2]
        ['certificate-expired', 'kp-decision-shipment']
        """
        key = (on, kind or "")
        rules = self._by_date.get(key)
        if rules is None:
            rules = tuple(
                rule
                for rule in self.rules
                if rule.in_force(on) and (kind is None or rule.applies_to == kind)
            )
            self._by_date[key] = rules
        return rules

    def rule(self, rule_id: str) -> Rule:
        """Return the rule with id `rule_id`.

        Raises
        ------
        kpmodel.errors.UnknownCodeError
            If there is none.

        Examples
        --------
        >>> kp.rules.Rulebook.default().rule("section-iii-c-certificate").reference
        'Section III(c)'
        """
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        from kpmodel.errors import UnknownCodeError

        msg = f"no rule {rule_id!r} in this rulebook; the ids are {[r.id for r in self.rules]}"
        raise UnknownCodeError(msg)

    def to_frame(self) -> pd.DataFrame:
        """Return the rules as a table: id, reference, summary, applies_to, dates, severity.

        Examples
        --------
        >>> kp.rules.Rulebook.default().to_frame().columns.tolist()[:3]
        ['id', 'reference', 'summary']
        """
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "id": rule.id,
                    "reference": rule.reference,
                    "summary": rule.summary,
                    "applies_to": rule.applies_to,
                    "in_force_from": rule.in_force_from,
                    "in_force_until": rule.in_force_until,
                    "severity": rule.severity,
                    "date_uncertain": rule.date_uncertain,
                }
                for rule in self.rules
            ]
        )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@guarded
@attrs.frozen
class Report:
    """The findings of a check.

    Parameters
    ----------
    findings : tuple of Finding
    not_checked : tuple of NotChecked, default ()
        The rules the check could not apply (see `NotChecked`): not passed, not broken.

    Examples
    --------
    >>> report = kp.check(kp.certificates.example_certificate())
    >>> report.ok, report.findings
    (True, ())
    >>> print(report)
    no findings
    """

    findings: tuple[Finding, ...] = attrs.field(converter=_findings_tuple)
    not_checked: tuple[NotChecked, ...] = attrs.field(default=(), converter=_not_checked_tuple)

    def _view(self) -> View:
        summary = "no findings"
        if self.findings:
            verdict = "passes" if self.ok else "fails"
            counts = [(len(self.errors), "error"), (len(self.warnings), "warning")]
            summary = f"{_count(len(self.findings), 'finding')}: " + ", ".join(
                _count(n, word) for n, word in counts
            )
            summary += f" ({verdict})"
        columns = ["severity", "path", "message", "rule"]
        return View(
            kind="Report",
            summary=summary,
            more="see .findings, .errors, .warnings, .to_frame(); print(report) lists them all",
            tables=lambda: [("Findings", self.to_frame()[columns])] if self.findings else [],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    @property
    def ok(self) -> bool:
        """True when no finding is an error (warnings do not count).

        Examples
        --------
        >>> kp.rules.Report(()).ok
        True
        """
        return not any(finding.severity == "error" for finding in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity ``"error"``.

        Examples
        --------
        >>> kp.rules.Report(()).errors
        ()
        """
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The findings of severity ``"warning"``.

        Examples
        --------
        >>> kp.rules.Report(()).warnings
        ()
        """
        return tuple(f for f in self.findings if f.severity == "warning")

    def to_frame(self) -> pd.DataFrame:
        """Return the findings as a tidy table: rule, severity, path, message, reference.

        Examples
        --------
        >>> kp.check(kp.certificates.example_certificate()).to_frame().columns.tolist()
        ['rule', 'severity', 'path', 'message', 'reference']
        """
        import pandas as pd

        columns = ["rule", "severity", "path", "message", "reference"]
        return pd.DataFrame(
            [[getattr(f, column) for column in columns] for f in self.findings],
            columns=columns,
            dtype=object,
        )

    def __str__(self) -> str:
        lines = [str(finding) for finding in self.findings] or ["no findings"]
        return "\n".join(lines + [str(rule) for rule in self.not_checked])
