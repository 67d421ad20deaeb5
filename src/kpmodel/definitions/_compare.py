"""Put several definitions side by side on the same situations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from kpmodel._boundary import MAX_LISTED, guarded, show
from kpmodel._display import View
from kpmodel._limits import Limit, resolve_limit
from kpmodel.definitions._calling import judge, name_of, resolve_all
from kpmodel.definitions._casebook import CaseBook
from kpmodel.definitions._catalogue import KPCS_2003
from kpmodel.definitions._definition import Definition, Reason, Verdict, _words
from kpmodel.definitions._evidence import Period, Situation
from kpmodel.definitions._graph_lots import LotAmounts, LotVerdicts, check_table
from kpmodel.definitions._lots import Lots, lot_verdicts
from kpmodel.definitions._vocabulary import Outcome
from kpmodel.errors import InvalidArgumentError

IN, OUT, UNDETERMINED = Outcome.IN, Outcome.OUT, Outcome.UNDETERMINED


def _situations(subject: Any) -> tuple[dict[str, Situation], CaseBook | None]:
    if isinstance(subject, CaseBook):
        return subject.situations(), subject
    if isinstance(subject, Situation):
        subject = [subject]
    if isinstance(subject, Mapping):
        items = dict(subject)
    elif isinstance(subject, Iterable):
        items = {}
        for i, s in enumerate(subject):
            key = getattr(s, "title", "") or f"situation[{i}]"
            items[key if key not in items else f"{key} [{i}]"] = s
    else:
        items = {"": subject}
    for key, s in items.items():
        if not isinstance(s, Situation):
            msg = (
                f"compare() needs a CaseBook, a mapping of situations or a list of situations; "
                f"item {key!r} is {s!r}"
            )
            raise InvalidArgumentError(msg)
    return items, None


def decisive(verdict: Verdict) -> tuple[Reason, ...]:
    """Return the reasons that decided the verdict: what matched, failed or stayed open."""
    return verdict.why_not if verdict.outcome is OUT else verdict.because


def _reason_text(reasons: Iterable[Reason], top: str) -> str:
    parts = []
    for r in reasons:
        where = r.clause if r.definition == top else f"{r.definition} {r.clause}"
        parts.append(f"[{where}] {r.component}: {r.detail}")
    return "; ".join(parts)


def _grouped(reasons: Iterable[Reason]) -> dict[tuple[str, str], list[Reason]]:
    groups: dict[tuple[str, str], list[Reason]] = {}
    for r in reasons:
        groups.setdefault((r.definition, r.clause), []).append(r)
    return groups


@guarded
@attrs.frozen(kw_only=True)
class Comparison:
    """Verdicts of several definitions on the same situations, against a baseline.

    Build it with `kpmodel.compare`. `table` is tidy (one row per item and definition),
    `flips` lists what changes against the baseline and why, `summary` totals per
    definition, and `explain` tells one item's story in plain words.

    Examples
    --------
    >>> c = kp.compare(["CANADA_WDC_CSC_2018"], kp.definitions.CaseBook.default())
    >>> int(c.summary.loc["CANADA_WDC_CSC_2018", "in"])
    5

    .. versionadded:: 0.1
    """

    definitions: tuple[Any, ...]
    baseline: str
    items: Sequence[str]
    verdicts: Mapping[tuple[str, str], Verdict]
    situations: Mapping[str, Situation] = attrs.field(factory=dict)
    on: dt.date | Period | None = None
    casebook: CaseBook | None = None
    # The tidy amounts, or (for the lots of a graph) their columns, tabulated when asked.
    _amounts: pd.DataFrame | LotAmounts | None = attrs.field(
        default=None, eq=False, alias="amounts"
    )
    lots: Lots | None = attrs.field(default=None, eq=False)

    def _view(self) -> View:
        when = f", as of {self.on}" if self.on is not None else ""
        return View(
            kind="Comparison",
            summary=f"{len(self.definitions)} definitions x {len(self.items)} items, "
            f"baseline {self.baseline}{when}",
            more="see .summary, .matrix, .flips, .explain(item); "
            "kp.definitions.plot_matrix(comparison)",
            tables=lambda: [
                ("Verdicts per definition", self.summary.reset_index()),
                ("Items by definitions", self.matrix.reset_index()),
                ("What changes against the baseline", self.flips[["item", "definition", "why"]]),
            ],
        )

    def __repr__(self) -> str:
        return self._view().text()

    def _repr_html_(self) -> str:
        return self._view().html()

    @property
    def amounts(self) -> pd.DataFrame | None:
        """Per item and definition, the shares, carats and value in and undetermined (lots).

        None when the items are situations. For the lots of a provenance graph the table
        is built the first time it is read (after checking the memory it needs: a
        `kpmodel.errors.SizeLimitError` says how much, when above the limit); `summary`
        totals it without building it. A value is NaN only where the lot holds some of
        those carats and its value is not known: a lot holding none of them holds 0 USD.

        Examples
        --------
        >>> kp.compare("EU_2023", kp.definitions.CaseBook.default()).amounts is None
        True

        Botswana carats and Marange carats, neither with a recorded value: the Marange lot
        is IN, of a value not known; the Botswana lot holds no carats IN, worth 0 USD.

        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="BW", carats=10, on="2010-06-01")
        >>> _ = g.produce(country="ZW", zone="Marange", carats=30, on="2010-06-01")
        >>> lots = kp.definitions.Lots.from_graph(g, kp.definitions.CaseBook.default())
        >>> amounts = kp.compare("CANADA_WDC_CSC_2018", lots).amounts
        >>> amounts[["item", "definition", "in_carats", "in_value_usd"]]
          item           definition  in_carats  in_value_usd
        0    0            KPCS_2003        0.0           0.0
        1    1            KPCS_2003        0.0           0.0
        2    0  CANADA_WDC_CSC_2018        0.0           0.0
        3    1  CANADA_WDC_CSC_2018       30.0           NaN

        .. versionchanged:: 0.2
           A lot holding none of the carats shows 0.0, not NaN, when its value is not known.
        """
        if isinstance(self._amounts, LotAmounts):
            return self._amounts.frame()
        return self._amounts

    @property
    def names(self) -> list[str]:
        """The definition names, baseline first.

        Examples
        --------
        >>> kp.compare("EU_2023", kp.definitions.CaseBook.default()).names
        ['KPCS_2003', 'EU_2023']
        """
        return [name_of(d) for d in self.definitions]

    def verdict(self, item: str, definition: str) -> Verdict:
        """Return the verdict of `definition` on `item`.

        Examples
        --------
        >>> c = kp.compare("EU_2023", kp.definitions.CaseBook.default())
        >>> c.verdict("russia-2022", "EU_2023").outcome
        Outcome.IN
        """
        try:
            return self.verdicts[item, definition]
        except KeyError:
            msg = (
                f"no verdict for item {item!r} under {definition!r}; items: "
                f"{_listed(self.items)}, definitions: {self.names!r}"
            )
            raise InvalidArgumentError(msg) from None

    @property
    def table(self) -> pd.DataFrame:
        """Tidy table: item, definition, verdict (``in``/``out``/``undetermined``), reasons.

        For lots, the amounts follow (see `amounts`). For the lots of a provenance graph
        the memory the table needs (one row per lot and definition) is checked before any
        of it is made: a `kpmodel.errors.SizeLimitError` says how much, when above the
        limit (`summary` needs no table).

        Examples
        --------
        >>> t = kp.compare("EU_2023", kp.definitions.CaseBook.default()).table
        >>> list(t.columns)
        ['item', 'definition', 'verdict', 'reasons']
        """
        if isinstance(self.verdicts, LotVerdicts):
            # Its memory checked before any of it is made (the amounts' too).
            check_table(len(self.items), len(self.names), verdicts=True, limit=self.verdicts.limit)
            table = _lot_table(self.verdicts, self.names)
        else:
            rows = [
                {
                    "item": item,
                    "definition": name,
                    "verdict": self.verdicts[item, name].outcome.value,
                    "reasons": _reason_text(decisive(self.verdicts[item, name]), name),
                }
                for item in self.items
                for name in self.names
            ]
            table = pd.DataFrame(rows, columns=["item", "definition", "verdict", "reasons"])
        if self.amounts is not None:
            table = table.merge(self.amounts, on=["item", "definition"], how="left")
        return table

    @property
    def matrix(self) -> pd.DataFrame:
        """Items by definitions, each cell the verdict text.

        Examples
        --------
        >>> m = kp.compare("ADPA_2025", kp.definitions.CaseBook.default()).matrix
        >>> m.loc["zimbabwe-marange"].tolist()
        ['out', 'out']
        """
        table = self.table
        matrix = table.pivot(index="item", columns="definition", values="verdict")
        return matrix.loc[list(self.items), self.names]

    @property
    def flips(self) -> pd.DataFrame:
        """Items whose verdict differs from the baseline's, with the reasons on both sides.

        Examples
        --------
        >>> f = kp.compare("EU_2023", kp.definitions.CaseBook.default()).flips
        >>> f[["item", "baseline_verdict", "verdict"]].head(3).to_dict("records")
        ... # doctest: +NORMALIZE_WHITESPACE
        [{'item': 'cote-divoire-army-officer-2014', 'baseline_verdict': 'undetermined',
          'verdict': 'out'},
         {'item': 'zimbabwe-marange', 'baseline_verdict': 'out', 'verdict': 'undetermined'},
         {'item': 'car-armed-groups-2021', 'baseline_verdict': 'out',
          'verdict': 'undetermined'}]
        """
        if isinstance(self.verdicts, LotVerdicts):
            return _lot_flips(self.verdicts, self.names, self.baseline)
        rows = []
        for item in self.items:
            base = self.verdicts[item, self.baseline]
            for name in self.names:
                v = self.verdicts[item, name]
                if name == self.baseline or v.outcome is base.outcome:
                    continue
                rows.append(
                    {
                        "item": item,
                        "definition": name,
                        "baseline": self.baseline,
                        "baseline_verdict": base.outcome.value,
                        "verdict": v.outcome.value,
                        "why": _reason_text(decisive(v), name),
                        "baseline_why": _reason_text(decisive(base), self.baseline),
                    }
                )
        columns = ["item", "definition", "baseline", "baseline_verdict", "verdict", "why"]
        return pd.DataFrame(rows, columns=[*columns, "baseline_why"])

    @property
    def summary(self) -> pd.DataFrame:
        """Per definition: how many items are in, out and undetermined, and flips vs baseline.

        For lots, the totals of the `amounts` follow: ``in_carats`` and
        ``undetermined_carats`` (and, when the lots have a value, ``in_value_usd`` and
        ``undetermined_value_usd``), summed over the lots. A lot whose value is not known
        (no recorded production value for some of its carats, or carats of unknown
        source) adds nothing to a value total: ``in_value_unknown_lots`` and
        ``undetermined_value_unknown_lots`` count the lots holding such carats (a share
        above 0) whose value is not known, so a total is a lower bound when its count is
        above 0, and it is NaN when none of those lots has a known value (an unknown value
        is not zero dollars). A definition with no lot holding such carats totals 0.0.

        Examples
        --------
        >>> s = kp.compare("G7_RUSSIA_ORIGIN_2024", kp.definitions.CaseBook.default()).summary
        >>> s.loc["G7_RUSSIA_ORIGIN_2024"].to_dict()
        {'in': 1, 'undetermined': 0, 'out': 14, 'flips': 7}

        Marange carats with a recorded value, and Marange carats without one:

        >>> g = kp.ProvenanceGraph()
        >>> _ = g.produce(country="ZW", zone="Marange", carats=30, on="2010-06-01",
        ...               value_usd=1500)
        >>> _ = g.produce(country="ZW", zone="Marange", carats=10, on="2010-06-01")
        >>> lots = kp.definitions.Lots.from_graph(g, kp.definitions.CaseBook.default())
        >>> s = kp.compare("CANADA_WDC_CSC_2018", lots).summary
        >>> s[["in", "in_carats", "in_value_usd", "in_value_unknown_lots"]]
        ... # doctest: +NORMALIZE_WHITESPACE
                             in  in_carats  in_value_usd  in_value_unknown_lots
        definition
        KPCS_2003             0        0.0           0.0                      0
        CANADA_WDC_CSC_2018   2       40.0        1500.0                      1
        """
        if isinstance(self.verdicts, LotVerdicts):
            frame = _lot_summary(self.verdicts, self.names, self.baseline)
            if isinstance(self._amounts, LotAmounts):
                return frame.join(self._amounts.totals())
        else:
            frame = self._summary()
        if self.amounts is not None:
            frame = frame.join(_amount_totals(self.amounts))
        return frame

    def _summary(self) -> pd.DataFrame:
        flips = self.flips.groupby("definition").size()
        rows = {}
        for name in self.names:
            outcomes = [self.verdicts[item, name].outcome for item in self.items]
            rows[name] = {
                "in": outcomes.count(IN),
                "undetermined": outcomes.count(UNDETERMINED),
                "out": outcomes.count(OUT),
                "flips": int(flips.get(name, 0)),
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "definition"
        return frame

    def explain(self, item: str) -> str:
        """Return the reasoning for one item in plain words a teacher can read out.

        The text is a `str`; in a REPL or notebook it displays as plain lines.

        Examples
        --------
        >>> c = kp.compare("CANADA_WDC_CSC_2018", kp.definitions.CaseBook.default())
        >>> print(c.explain("zimbabwe-marange"))  # doctest: +ELLIPSIS
        Zimbabwe, Marange, 2008-2011
        ...
        Under KPCS_2003 (KPCS Core Document, Section I; in force since 2003): OUT.
        ...
        """
        if not isinstance(item, str) or item not in self.items:
            msg = f"no item {show(item)} in this comparison; items: {_listed(self.items)}"
            raise InvalidArgumentError(msg)
        if item not in self.situations:
            return _Text(_explain_lot(self, item))
        s = self.situations[item]
        case = self.casebook.case(item) if self.casebook is not None else None
        lines = [case.title if case and case.title else (s.title or item)]
        lines.append(f"Where and when: {s.place}, {s.period}.")
        lines.extend(_facts(s))
        if self.on is None:
            lines.append("Judged as of its own period, with the measures in force then.")
        else:
            lines.append(f"Judged as of {self.on}, with the measures in force then.")
        base = self.verdicts[item, self.baseline].outcome
        for definition in self.definitions:
            name = name_of(definition)
            v = self.verdicts[item, name]
            lines.append("")
            change = ""
            if name != self.baseline and v.outcome is not base:
                change = f" This changes the verdict against {self.baseline}."
            lines.append(f"Under {_heading(definition)}: {v.outcome.name}.{change}")
            lines.extend(_story(v))
            expected = case.expected.get(name) if case else None
            if expected is not None:
                note = f" ({expected.note})" if expected.note else ""
                lines.append(
                    f"  The case book records {_recorded_word(expected.outcome)}, "
                    f"{expected.reader}{note}."
                )
        return _Text("\n".join(lines))


def _amount_totals(amounts: pd.DataFrame) -> pd.DataFrame:
    """Return, per definition, the sums of the carat and value columns of a tidy table.

    As `LotAmounts.totals` reads them from the propagation: a value total sums the lots
    whose value is known; ``*_value_unknown_lots`` counts the lots holding such carats
    (a share above 0, of carats above 0 when the table has them) whose value is not
    known, and the total is NaN when none of the lots holding them has a known value.
    """
    columns = [c for c in amounts.columns if c.endswith(("_carats", "_value_usd"))]
    definition = amounts["definition"]
    totals = amounts.groupby(definition)[columns].sum()
    for prefix in ("in", "undetermined"):
        value, share = f"{prefix}_value_usd", f"{prefix}_share"
        if value not in amounts.columns or share not in amounts.columns:
            continue
        held = amounts[share] > 0
        carats = f"{prefix}_carats"
        if carats in amounts.columns:  # zero carats of anything are worth 0 USD
            held &= amounts[carats] > 0
        unknown = (held & amounts[value].isna()).groupby(definition).sum()
        known = (held & amounts[value].notna()).groupby(definition).sum()
        totals[value] = totals[value].where((unknown == 0) | (known > 0))
        totals[f"{prefix}_value_unknown_lots"] = unknown.astype(np.int64)
    return totals


def _listed(items: Sequence[str]) -> str:
    """Return the first `MAX_LISTED` items as text, with how many there are when more."""
    first = list(items[:MAX_LISTED])
    if len(items) <= MAX_LISTED:
        return repr(first)
    return f"{first!r} and {len(items) - MAX_LISTED} more ({len(items)} items)"


def _explain_lot(self: Comparison, item: str) -> str:
    """Tell one lot's story: its origins, and each definition's verdict and reasons."""
    lines = [f"Lot {item}"]
    if self.lots is not None:
        # The items are the lots' ids as text, row by row (a lookup, not a string per lot).
        shares = self.lots.shares.iloc[self.items.index(item)]
        parts = [f"{origin} {share:.0%}" for origin, share in shares.items() if share > 0]
        lines.append(f"Origins: {', '.join(parts) or 'none attributed'}.")
        if self.lots.graph is not None:
            lines.append(
                "Each origin's carats are judged at the event each definition judges "
                "(production, export or import)."
            )
    amounts: dict[tuple[str, str], dict[Any, Any]] = {}
    if isinstance(self._amounts, LotAmounts):
        for name, values in self._amounts.records(item).items():
            amounts[item, name] = dict(values)
    elif self.amounts is not None:
        for entry in self.amounts.to_dict("records"):
            amounts[str(entry["item"]), str(entry["definition"])] = entry
    for definition in self.definitions:
        name = name_of(definition)
        v = self.verdicts[item, name]
        lines.append("")
        lines.append(f"Under {_heading(definition)}: {v.outcome.name}.")
        if (item, name) in amounts:
            row = amounts[item, name]
            lines.append(
                f"  {row['in_share']:.0%} of the lot comes from origins that are IN, "
                f"{row['undetermined_share']:.0%} from origins that are undetermined."
            )
        if v.outcome is OUT:
            lines.append("  - None of its origins is caught.")
        else:
            lines.extend(_story(attrs.evolve(v, why_not=())))
    return "\n".join(lines)


_OUTCOME_TEXT = np.array([OUT.value, UNDETERMINED.value, IN.value], dtype=object)


def _lot_table(verdicts: LotVerdicts, names: list[str]) -> pd.DataFrame:
    """Return the tidy verdict table of lots, item by item, from their verdict codes."""
    outcome, reasons = [], []
    for name in names:
        distinct, which = verdicts.verdicts_of(name)
        outcome.append(_OUTCOME_TEXT[verdicts.codes(name)])
        texts = np.array([_reason_text(decisive(v), name) for v in distinct], dtype=object)
        reasons.append(texts[which])
    count = len(verdicts.lot_ids)
    return pd.DataFrame(
        {
            "item": np.repeat(verdicts.lot_ids.to_array(), len(names)),
            "definition": np.tile(np.array(names, dtype=object), count),
            "verdict": np.column_stack(outcome).reshape(-1) if names else [],
            "reasons": np.column_stack(reasons).reshape(-1) if names else [],
        },
        columns=["item", "definition", "verdict", "reasons"],
    )


def _lot_flips(verdicts: LotVerdicts, names: list[str], baseline: str) -> pd.DataFrame:
    """Return the flips of lots against the baseline, item by item, from verdict codes."""
    base_codes = verdicts.codes(baseline)
    base_distinct, base_which = verdicts.verdicts_of(baseline)
    base_text: dict[int, str] = {}
    found: list[tuple[int, int, dict[str, Any]]] = []
    for order, name in enumerate(names):
        if name == baseline:
            continue
        codes = verdicts.codes(name)
        distinct, which = verdicts.verdicts_of(name)
        texts: dict[int, str] = {}
        for row in np.flatnonzero(codes != base_codes).tolist():
            w, b = int(which[row]), int(base_which[row])
            if w not in texts:
                texts[w] = _reason_text(decisive(distinct[w]), name)
            if b not in base_text:
                base_text[b] = _reason_text(decisive(base_distinct[b]), baseline)
            found.append(
                (
                    row,
                    order,
                    {
                        "item": verdicts.lot_ids[row],
                        "definition": name,
                        "baseline": baseline,
                        "baseline_verdict": base_distinct[b].outcome.value,
                        "verdict": distinct[w].outcome.value,
                        "why": texts[w],
                        "baseline_why": base_text[b],
                    },
                )
            )
    found.sort(key=lambda entry: (entry[0], entry[1]))
    columns = ["item", "definition", "baseline", "baseline_verdict", "verdict", "why"]
    return pd.DataFrame([entry[2] for entry in found], columns=[*columns, "baseline_why"])


def _lot_summary(verdicts: LotVerdicts, names: list[str], baseline: str) -> pd.DataFrame:
    """Return the in/undetermined/out counts and flips per definition, from verdict codes."""
    base = verdicts.codes(baseline)
    rows = {}
    for name in names:
        codes = verdicts.codes(name)
        counts = np.bincount(codes, minlength=3)
        rows[name] = {
            "in": int(counts[2]),
            "undetermined": int(counts[1]),
            "out": int(counts[0]),
            "flips": 0 if name == baseline else int(np.count_nonzero(codes != base)),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "definition"
    return frame


class _Text(str):
    """Text that a REPL or notebook shows as plain lines rather than as a quoted string."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _recorded_word(outcome: Outcome) -> str:
    return "it as left open" if outcome is UNDETERMINED else outcome.name


def _heading(definition: Any) -> str:
    if not isinstance(definition, Definition):
        return name_of(definition)
    since = f" since {definition.date.year}" if definition.date else ""
    when = (
        f"in force{since}"
        if definition.status.value == "in_force"
        else (
            f"{_words(definition.status)}, {definition.date.year}"
            if definition.date
            else _words(definition.status)
        )
    )
    return f"{definition.name} ({definition.title or definition.name}; {when})"


def _facts(s: Situation) -> list[str]:
    def listing(values: Any) -> str:
        if values is None:
            return "not known"
        if isinstance(values, frozenset):
            return ", ".join(sorted(_words(v) for v in values)) or "none found"
        return _words(values)

    lines = [
        f"Who: {listing(s.actor)}. What: {listing(s.harms)}.",
        f"How the diamonds are tied to it: {listing(s.link)}. Aimed at: {listing(s.target)}. "
        f"Scale: {listing(s.scale)}.",
    ]
    for d in s.designations:
        lines.append(f"Measure on record: {d.authority}, {d.reference} ({d.period}).")
    return lines


def _story(verdict: Verdict) -> list[str]:
    lines = []
    if verdict.outcome is IN:
        for (leaf, clause), reasons in _grouped(verdict.because).items():
            details = "; ".join(r.detail for r in reasons) or "it has no conditions"
            lines.append(f"  - It fits {_clause_name(leaf, clause, verdict)}: {details}.")
        return lines
    if verdict.outcome is UNDETERMINED:
        for (leaf, clause), reasons in _grouped(verdict.because).items():
            details = "; ".join(r.detail for r in reasons)
            lines.append(f"  - Open in {_clause_name(leaf, clause, verdict)}: {details}.")
    for (leaf, clause), reasons in _grouped(verdict.why_not).items():
        details = "; ".join(r.detail for r in reasons)
        lines.append(f"  - It does not fit {_clause_name(leaf, clause, verdict)}: {details}.")
    if not lines:
        lines.append("  - The definition has no clause that could apply.")
    return lines


def _clause_name(leaf: str, clause: str, verdict: Verdict) -> str:
    return f"'{clause}'" if leaf == verdict.definition else f"{leaf} '{clause}'"


def compare(
    definitions: Any,
    subject: Any,
    *,
    baseline: Any = KPCS_2003,
    on: dt.date | Period | None = None,
    max_memory: Limit = None,
) -> Comparison:
    """Judge `subject` under each definition and under the baseline, side by side.

    Parameters
    ----------
    definitions : Definition, str, or iterable of them
        Definitions (or registered names, or any callable ``(situation, *, on) -> Verdict``).
    subject : CaseBook, mapping of situations, iterable of Situation, or Lots
        What to judge. Items of a list are keyed by their title. For `Lots` (mixed-origin
        lots with their evidence, for example ``Lots.from_graph(graph, situations)`` for
        the lots of a provenance graph, each origin judged as of its production date) the
        items are the lots, a lot is IN when part of it comes from an origin that is IN, and
        the table adds the shares, carats and value covered (``in_*``) and undetermined
        (``undetermined_*``), which `summary` totals per definition (counting apart the
        lots whose value is not known: see `Comparison.summary`). Each lot is one item,
        named by the text of its id.
    baseline : Definition or str, optional
        The definition flips are measured against; `KPCS_2003` (the one in force) by default.
        It is always included, first.
    on : datetime.date, str or Period, optional
        Judge every situation as of this time. Default: each situation as of its own
        period, with the designations and rules in force then.
    max_memory : int, float, Decimal or str, optional
        The most memory the computation may need, by an estimate made before it starts,
        the result included; a larger estimate is refused with a
        `kpmodel.errors.SizeLimitError` that says what to do.
        A number of bytes (an int, float or Decimal), a size such as ``"64 GiB"`` or
        ``"1e3 MiB"``, or ``"none"`` for no limit. Default (None): the environment variable
        ``KPMODEL_MAX_MEMORY``, else 60% of the machine's memory.
        For the lots of a provenance graph it also limits what is read from the
        comparison later (its `Comparison.table`, `amounts`, verdicts and reasons), each
        checked when first read; other subjects need no estimate.

    Returns
    -------
    Comparison

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `max_memory` is not a size, a definition is not callable, returns something
        other than a Verdict, or the subject holds something other than situations (lots
        listing a lot twice, or two lot ids that read the same as text, are refused when
        the `Lots` are built).
    kpmodel.errors.UnknownCodeError
        If a name is not a registered definition.
    kpmodel.errors.SizeLimitError
        For the lots of a provenance graph, if judging them is estimated to need more than
        `max_memory`.

    See Also
    --------
    kpmodel.definitions.conflict_shares : the same question over mixed-origin lots.

    Examples
    --------
    >>> book = kp.definitions.CaseBook.default()
    >>> c = kp.compare(["CANADA_WDC_CSC_2018", "ADPA_2025"], book)
    >>> c.matrix.loc["zimbabwe-marange"].to_dict()
    {'KPCS_2003': 'out', 'CANADA_WDC_CSC_2018': 'in', 'ADPA_2025': 'out'}
    >>> import datetime as dt
    >>> c = kp.compare("G7_RUSSIA_ORIGIN_2024", book, on=dt.date(2023, 6, 1))
    >>> c.verdict("russia-2022", "G7_RUSSIA_ORIGIN_2024").outcome
    Outcome.OUT

    .. versionadded:: 0.1
    """
    resolve_limit(max_memory)  # a size, or an InvalidArgumentError before any work
    more = [definitions] if isinstance(definitions, (str, Definition)) else definitions
    defs = resolve_all([baseline, *(more if isinstance(more, Iterable) else [more])])
    if isinstance(subject, Lots):
        verdicts, amounts = lot_verdicts(defs, subject, on, max_memory)
        return Comparison(
            definitions=tuple(defs),
            baseline=name_of(defs[0]),
            items=verdicts.lot_ids
            if isinstance(verdicts, LotVerdicts)
            else tuple(str(lot) for lot in subject.shares.index),
            verdicts=verdicts,
            on=on,
            amounts=amounts,
            lots=subject,
        )
    situations, casebook = _situations(subject)
    verdicts = {
        (item, name_of(d)): judge(d, s, on) for item, s in situations.items() for d in defs
    }
    return Comparison(
        definitions=tuple(defs),
        baseline=name_of(defs[0]),
        items=tuple(situations),
        verdicts=verdicts,
        situations=situations,
        on=on,
        casebook=casebook,
    )
