"""Definitions over mixed-origin lots and over real production: conflict shares and coverage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

from kpmodel._boundary import (
    MAX_LISTED,
    MAX_QUANTITY,
    MAX_YEAR,
    MIN_YEAR,
    guarded,
    participant_code,
    show,
)
from kpmodel._limits import Limit
from kpmodel.definitions._calling import judge, name_of, resolve_all
from kpmodel.definitions._definition import Verdict
from kpmodel.definitions._evidence import Period, Place, Situation
from kpmodel.definitions._graph_lots import (
    FloatArray,
    LotAmounts,
    LotVerdicts,
    _value_column,
    check_by,
    check_graph,
    graph_lots,
    graph_verdicts,
)
from kpmodel.definitions._origins import (
    UNKNOWN_VERDICT,
    kleene_any,
    origin_verdict,
    situation_list,
)
from kpmodel.definitions._vocabulary import Outcome
from kpmodel.errors import InvalidArgumentError, InvalidRecordError
from kpmodel.participants import Register, Status
from kpmodel.provenance import ProvenanceGraph
from kpmodel.statistics import KPStatistics

IN, OUT, UNDETERMINED = Outcome.IN, Outcome.OUT, Outcome.UNDETERMINED

#: The column name `conflict_shares` reads as "origin not known".
UNKNOWN_ORIGIN = "unknown"


def _origin_places(columns: Iterable[Any]) -> list[Place | None]:
    places: list[Place | None] = []
    for column in columns:
        if isinstance(column, Place):
            places.append(column)
        elif str(column).strip().lower() == UNKNOWN_ORIGIN:
            places.append(None)
        else:
            try:
                places.append(Place.parse(str(column)))
            except InvalidRecordError as exc:
                msg = (
                    f"shares column {column!r} must name an origin as 'CC' or 'CC/zone' "
                    f"(ISO 3166-1 alpha-2), or be {UNKNOWN_ORIGIN!r}: {exc}"
                )
                raise InvalidArgumentError(msg) from None
    return places


def _check_shares(shares: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    if not isinstance(shares, pd.DataFrame):
        msg = f"shares must be a pandas DataFrame (lots by origins); got {type(shares).__name__}"
        raise InvalidArgumentError(msg)
    try:
        values = shares.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        msg = "shares must hold numbers (the share of each origin in each lot)"
        raise InvalidArgumentError(msg) from None
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        msg = (
            f"shares must be finite and non-negative; lot {shares.index[row]!r}, origin "
            f"{shares.columns[col]!r} is {values[row, col]!r}"
        )
        raise InvalidArgumentError(msg)
    over = values.sum(axis=1) > 1 + 1e-9
    if over.any():
        lot = shares.index[int(np.argmax(over))]
        msg = f"the shares of lot {lot!r} sum to more than 1; each row must sum to at most 1"
        raise InvalidArgumentError(msg)
    return values


def _outcome_vectors(
    definition: Any,
    places: list[Place | None],
    situations: list[Situation],
    on: dt.date | Period | None,
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
    is_in = np.zeros(len(places))
    is_open = np.zeros(len(places))
    for j, place in enumerate(places):
        if place is None:
            is_open[j] = 1.0
            continue
        outcome = origin_verdict(definition, place, situations, on).outcome
        is_in[j] = outcome is IN
        is_open[j] = outcome is UNDETERMINED
    return is_in, is_open


def _check_items(instance: Any, attribute: Any, shares: Any) -> None:
    """Refuse lots a comparison could not tell apart: each lot once, each id its own text.

    A comparison names its items by the text of the lot ids (``str(lot)``): two rows of
    the same lot would be judged and counted twice, and two ids with the same text (the
    int ``1`` and the text ``"1"``) would have their amounts matched to the wrong verdicts.
    A frame that is not a DataFrame is refused when the lots are judged.
    """
    if not isinstance(shares, pd.DataFrame):
        return
    index = shares.index
    # Distinct ints, or distinct strings, read differently as text: no text to make. A
    # graph's own ids are distinct (no hashing of every id of a big graph to check it).
    graph = getattr(instance, "graph", None)
    own = isinstance(graph, ProvenanceGraph) and index is graph.lots
    if (own or index.is_unique) and index.inferred_type in ("integer", "string", "empty"):
        return
    if not index.is_unique:
        repeated = index[index.duplicated()].unique()
        shown = ", ".join(repr(lot) for lot in repeated[:MAX_LISTED].tolist())
        more = f" and {len(repeated) - MAX_LISTED} more" if len(repeated) > MAX_LISTED else ""
        msg = (
            f"Lots: shares lists a lot more than once: {shown}{more}. A comparison judges "
            "each lot once (a lot listed twice would count its carats twice): keep one row "
            "per lot, for example shares[~shares.index.duplicated()]"
        )
        raise InvalidArgumentError(msg)
    text = pd.Index([str(lot) for lot in index.tolist()], dtype=object)
    clashing = text.duplicated(keep=False)
    if clashing.any():
        groups: dict[str, list[Any]] = {}
        for lot, label in zip(index[clashing].tolist(), text[clashing].tolist(), strict=True):
            groups.setdefault(label, []).append(lot)
        shown = "; ".join(
            f"{' and '.join(f'{lot!r} ({type(lot).__name__})' for lot in lots)} read {label!r}"
            for label, lots in list(groups.items())[:MAX_LISTED]
        )
        more = f" and {len(groups) - MAX_LISTED} more" if len(groups) > MAX_LISTED else ""
        msg = (
            f"Lots: different lot ids read the same as text: {shown}{more}. A comparison "
            "names each lot by its text (Comparison.items, verdict(), explain()), so it "
            "could not tell them apart: give the lots ids that read differently (for a "
            "provenance graph, read every lot_id as text, or rename the clashing ones, "
            "before ProvenanceGraph.from_frames), or judge only one of each (lots= of "
            "Lots.from_graph)"
        )
        raise InvalidArgumentError(msg)


def _kept(situations: Any) -> Any:
    """Return `situations`, a one-shot iterator read into a tuple (it is read at each use)."""
    return tuple(situations) if isinstance(situations, Iterator) else situations


@guarded
@attrs.frozen(kw_only=True, eq=False)
class Lots:
    """Mixed-origin lots and the evidence about their origins: a subject for `compare`.

    Build it from a table of origin shares, or from a provenance graph with `from_graph`,
    which judges each origin's carats at the event each definition judges (production,
    export or import; see `Definition.judges`).

    Parameters
    ----------
    shares : pandas.DataFrame
        Lots by origins, as `conflict_shares` reads them (what provenance origin attribution
        produces), one row per lot. A comparison names each lot by the text of its id, so
        a lot listed twice, or two ids that read the same as text (the int ``1`` and the
        text ``"1"``), are refused.
    situations : CaseBook, mapping or iterable of Situation
        The evidence about the origins (an iterator is read once, into a tuple).
    carats, value_usd : pandas.Series, optional
        Weight and value of each lot, indexed like `shares`: finite numbers >= 0 (a value
        not known is NaN: `Comparison.summary` counts those lots apart from its value
        totals). Checked when the lots are judged.
    produced : pandas.Series, optional
        Production date of each lot (every origin of a lot is judged on that date).
    graph : kpmodel.ProvenanceGraph, optional
        The graph the lots come from (set by `from_graph`). When set, each origin's carats
        are judged on the date of the event each definition judges (their production, their
        first export, or their latest import), and `produced` is not used.
    by : {"country", "zone", "site"}
        The origin level of the production lots (with `graph`).

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If `shares` lists a lot twice or two lot ids read the same as text, or `by` or
        `graph` is not one.

    Examples
    --------
    >>> import pandas as pd
    >>> lots = kp.definitions.Lots(
    ...     shares=pd.DataFrame({"RU": [1.0, 0.0], "BW": [0.0, 1.0]}, index=["a", "b"]),
    ...     situations=kp.definitions.CaseBook.default(),
    ...     carats=pd.Series([10.0, 5.0], index=["a", "b"]))
    >>> c = kp.compare("G7_RUSSIA_ORIGIN_2024", lots)
    >>> c.table[["item", "definition", "verdict", "in_carats"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'item': 'a', 'definition': 'KPCS_2003', 'verdict': 'out', 'in_carats': 0.0},
     {'item': 'a', 'definition': 'G7_RUSSIA_ORIGIN_2024', 'verdict': 'in', 'in_carats': 10.0},
     {'item': 'b', 'definition': 'KPCS_2003', 'verdict': 'out', 'in_carats': 0.0},
     {'item': 'b', 'definition': 'G7_RUSSIA_ORIGIN_2024', 'verdict': 'out', 'in_carats': 0.0}]

    .. versionadded:: 0.1
    """

    shares: pd.DataFrame = attrs.field(validator=_check_items)
    situations: Any = attrs.field(converter=_kept)
    carats: pd.Series | None = None
    value_usd: pd.Series | None = None
    produced: pd.Series | None = None
    graph: ProvenanceGraph | None = attrs.field(default=None, validator=check_graph)
    by: str = attrs.field(default="zone", validator=check_by)

    @classmethod
    def from_graph(
        cls,
        graph: ProvenanceGraph,
        situations: Any,
        *,
        by: str = "zone",
        lots: Iterable[Any] | None = None,
        max_memory: Limit = None,
    ) -> Lots:
        """Return the lots of a provenance graph with the evidence about their origins.

        Each origin's carats are judged by the situations at its place (its country, zone
        or site, as `by` says) in force on the date of the event the definition judges
        (`Definition.judges`): for production (the KPCS and most texts), the production
        date, whatever lot the carats later end up in (a Marange lot mined in 2010 stays
        judged as of 2010 after it is mixed in Dubai in 2013); for import (the G7/EU ban on
        Russian-origin diamonds), the date of their latest shipment into the country where
        the lot is (a lot mined in Russia in 2023, mixed in Dubai and imported into Belgium
        on 1 March 2024 is IN); for export, the date of their first shipment out of the
        country of production. Carats never shipped are judged at production. A lot's
        conflict share under a definition is the share of its carats (by mass balance, as
        `kpmodel.origin_shares` traces them) whose verdict is IN; carats of unknown source
        are UNDETERMINED. A lot with no date is judged over each situation's own period.
        Passing ``on=`` to `kpmodel.compare` judges every carat as of that date instead.

        Carats are each lot's carats in the graph. Values are production values carried
        with the carats: each production lot's value per carat, averaged by mass balance
        (NaN where some carats come from a lot with no recorded value, or of unknown
        source; `Comparison.summary` counts such lots apart from its value totals, and a
        total none of whose lots has a known value is NaN, not 0); values recorded on
        later lots (hub prices) are not used.

        Parameters
        ----------
        graph : kpmodel.ProvenanceGraph
        situations : CaseBook, mapping or iterable of Situation
            The evidence, attached to places and periods.
        by : {"country", "zone", "site"}, default "zone"
            The origin level at which situations are matched: a zone-level situation
            judges production recorded in that zone, and makes production recorded only
            for the country UNDETERMINED, or at a site whose zone is not recorded (by
            ``"site"``: the site may lie in that zone).
        lots : iterable of lot ids, optional
            The lots to judge (for example those reaching their destinations), each once;
            all by default. An iterable of single ids: one id, a string, bytes, a table or
            an array of other than one dimension is refused.
            An id names a lot only if it is of the lot id's kind: an int (numpy's too) for
            an int id, text for a text id. ``4.0``, ``True`` and ``Decimal(4)`` equal ``4``
            but are not lot 4, and an id that is neither an int nor text (a tuple, bytes)
            names no lot.
            These are the rules of `kpmodel.origin_shares`' ``lots=``, with the same
            messages, but for repeats: a lot listed twice (or by two ids of the same lot,
            such as ``4`` and ``numpy.int64(4)``) is refused rather than dropped, though
            `origin_shares` gives it twice: a comparison would count its carats twice, and a
            list with repeats is often a mistake upstream; pass
            ``list(dict.fromkeys(lots))`` to keep the first of each.
        max_memory : int, float, Decimal or str, optional
            The most memory the computation may need, by an estimate made before it starts,
            the result included; a larger estimate is refused with a
            `kpmodel.errors.SizeLimitError` that says what to do.
            A number of bytes (an int, float or Decimal), a size such as ``"64 GiB"`` or
            ``"1e3 MiB"``, or ``"none"`` for no limit. Default (None): the environment variable
            ``KPMODEL_MAX_MEMORY``, else 60% of the machine's memory.
            It limits the origin attribution (`kpmodel.origin_shares`); `kpmodel.compare`
            takes its own.

        Returns
        -------
        Lots

        Raises
        ------
        kpmodel.errors.InvalidArgumentError
            If `graph` is not a ProvenanceGraph, `situations` are not situations, `by` is
            not a level, `lots` is not an iterable of single ids, an id names no lot of the
            graph (``4.0`` names no lot 4) or a lot is listed twice, or two of the lots
            judged have ids that read the same as text (the int ``1`` and the text ``"1"``,
            which `ProvenanceGraph.from_frames` accepts as two lots: a comparison names its
            items by that text, so it could not tell them apart), or `max_memory` is not a
            size.
        kpmodel.errors.SizeLimitError
            If the origin attribution is estimated to need more than `max_memory`.

        Examples
        --------
        >>> g = kp.ProvenanceGraph()
        >>> zw = g.produce(country="ZW", zone="Marange", carats=30, on="2010-06-01",
        ...                value_usd=1500)
        >>> bw = g.produce(country="BW", carats=70, on="2010-06-01", value_usd=14000)
        >>> hub = g.mix([g.ship(zw, to="AE", on="2010-07-01"),
        ...              g.ship(bw, to="AE", on="2010-07-01")])
        >>> lots = kp.definitions.Lots.from_graph(g, kp.definitions.CaseBook.default(),
        ...                                       lots=[hub])
        >>> c = kp.compare("CANADA_WDC_CSC_2018", lots)
        >>> columns = ["definition", "verdict", "in_share", "in_carats", "in_value_usd"]
        >>> c.table[columns].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
        [{'definition': 'KPCS_2003', 'verdict': 'out', 'in_share': 0.0, 'in_carats': 0.0,
          'in_value_usd': 0.0},
         {'definition': 'CANADA_WDC_CSC_2018', 'verdict': 'in', 'in_share': 0.3,
          'in_carats': 30.0, 'in_value_usd': 1500.0}]

        The hub is lot 4, not lot 4.0:

        >>> kp.definitions.Lots.from_graph(g, kp.definitions.CaseBook.default(),
        ...                                lots=[4.0])
        Traceback (most recent call last):
        ...
        kpmodel.errors.InvalidArgumentError: lots: 1 of the 1 ids asked for is not in the graph...

        The G7/EU ban judges imports: Russian carats mined in 2023 and imported into
        Belgium in 2024 are caught, though mined before the ban.

        >>> g = kp.ProvenanceGraph()
        >>> ru = g.produce(country="RU", carats=10, on="2023-06-01")
        >>> bw = g.produce(country="BW", carats=30, on="2023-06-01")
        >>> dubai = g.mix([g.ship(ru, to="AE", on="2023-09-01"),
        ...                g.ship(bw, to="AE", on="2023-09-01")])
        >>> antwerp = g.ship(dubai, to="BE", on="2024-03-01")
        >>> lots = kp.definitions.Lots.from_graph(g, kp.definitions.CaseBook.default(),
        ...                                       lots=[dubai, antwerp])
        >>> c = kp.compare("G7_RUSSIA_ORIGIN_2024", lots)
        >>> g7 = c.table[c.table.definition == "G7_RUSSIA_ORIGIN_2024"]
        >>> g7[["verdict", "in_share"]].to_dict("records")
        [{'verdict': 'out', 'in_share': 0.0}, {'verdict': 'in', 'in_share': 0.25}]

        Each lot is judged once:

        >>> kp.definitions.Lots.from_graph(g, kp.definitions.CaseBook.default(),
        ...                                lots=[dubai, antwerp, dubai])
        Traceback (most recent call last):
        ...
        kpmodel.errors.InvalidArgumentError: lots names the same lot more than once: ...
        """
        return graph_lots(cls, graph, situations, by=by, lots=lots, max_memory=max_memory)


def lot_verdicts(
    definitions: list[Any],
    lots: Lots,
    on: dt.date | Period | None,
    max_memory: Limit = None,
) -> tuple[dict[tuple[str, str], Verdict] | LotVerdicts, pd.DataFrame | LotAmounts]:
    """Return a verdict per lot and definition, and the tidy shares, carats and value.

    A lot is IN when some of it comes from an origin that is IN, UNDETERMINED when none does
    but some comes from an origin that is UNDETERMINED (or unknown), and OUT otherwise.
    """
    if lots.graph is not None:
        return graph_verdicts(definitions, lots, on, max_memory)
    amounts = conflict_shares(
        definitions,
        lots.shares,
        lots.situations,
        on=on,
        produced=lots.produced,
        carats=lots.carats,
        value_usd=lots.value_usd,
    )
    values = _check_shares(lots.shares)
    places = _origin_places(lots.shares.columns)
    evidence = situation_list(lots.situations)
    when: list[Any] = [on] * len(lots.shares)
    if lots.produced is not None:
        when = [t.date() for t in pd.to_datetime(lots.produced.reindex(lots.shares.index))]
    verdicts = {}
    for definition in definitions:
        name = name_of(definition)
        cache: dict[tuple[int, Any], Verdict] = {}
        for row, lot in enumerate(lots.shares.index):
            parts = []
            for column in np.flatnonzero(values[row] > 0):
                place = places[column]
                key = (int(column), when[row])
                if key not in cache:
                    cache[key] = (
                        UNKNOWN_VERDICT
                        if place is None
                        else origin_verdict(definition, place, evidence, when[row])
                    )
                parts.append(cache[key])
            verdicts[str(lot), name] = kleene_any(parts, name)
    amounts["lot"] = amounts["lot"].astype(str)
    return verdicts, amounts.rename(columns={"lot": "item"})


def conflict_shares(
    definitions: Any,
    shares: pd.DataFrame | Lots,
    situations: Any = None,
    *,
    on: dt.date | Period | None = None,
    produced: pd.Series | None = None,
    carats: pd.Series | None = None,
    value_usd: pd.Series | None = None,
) -> pd.DataFrame:
    """Return the conflict share of each lot under each definition, UNDETERMINED kept apart.

    The conflict share of a lot is the sum of its origin shares whose situation is IN; the
    shares whose situation is UNDETERMINED are reported separately, never folded in.

    Parameters
    ----------
    definitions : Definition, str, or iterable of them
    shares : pandas.DataFrame or Lots
        Lots by origins: indexed by lot id, one column per origin written ``"CC"`` or
        ``"CC/zone"`` (or a `Place`), values the share of the lot from that origin (each row
        sums to at most 1). A column ``"unknown"`` is origin not known: UNDETERMINED under
        every definition. This is what provenance origin attribution produces.
        Or `Lots` (for example `Lots.from_graph`), which carry their own situations,
        carats, value and production dates; then pass no other argument but `on`.
    situations : CaseBook, mapping or iterable of Situation
        The evidence, attached to places and periods. An origin with no situation is OUT.
        Only a situation running on the day judged counts for that day.
    on : datetime.date or Period, optional
        Judge as of this time (only situations running then count). Default: each
        situation as of its own period.
    produced : pandas.Series, optional
        Production date of each lot (indexed like `shares`); when given, each lot is judged
        on its own production date, overriding `on`.
    carats, value_usd : pandas.Series, optional
        Weight and value of each lot (indexed like `shares`, an entry for every lot):
        adds the carats and value covered (IN) and undetermined. Finite numbers >= 0; a
        value not known is NaN (its lot's value columns are then NaN).

    Returns
    -------
    pandas.DataFrame
        Tidy: ``lot, definition, in_share, undetermined_share, out_share`` (and
        ``in_carats, undetermined_carats, in_value_usd, undetermined_value_usd`` when given).

    Raises
    ------
    kpmodel.errors.InvalidArgumentError
        If a share is negative, a row sums to more than 1, or a column is not an origin;
        if `carats`, `value_usd` or `produced` is not a Series with an entry for every
        lot, or holds a negative, infinite or non-numeric amount, a missing carat weight
        or a date that cannot be read (every such lot is named).

    Examples
    --------
    >>> import pandas as pd
    >>> d = kp.definitions
    >>> lots = pd.DataFrame({"ZW/Marange": [0.5, 0.0], "BW": [0.5, 1.0]}, index=["lot-1", "lot-2"])
    >>> out = d.conflict_shares(["KPCS_2003", "CANADA_WDC_CSC_2018"], lots, d.CaseBook.default())
    >>> out[["lot", "definition", "in_share"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'lot': 'lot-1', 'definition': 'KPCS_2003', 'in_share': 0.0},
     {'lot': 'lot-2', 'definition': 'KPCS_2003', 'in_share': 0.0},
     {'lot': 'lot-1', 'definition': 'CANADA_WDC_CSC_2018', 'in_share': 0.5},
     {'lot': 'lot-2', 'definition': 'CANADA_WDC_CSC_2018', 'in_share': 0.0}]

    From a provenance graph, each origin's carats judged at the event the definition
    judges. The G7/EU ban judges imports: Russian carats mined in 2023 and in 2024, both
    imported into the hub in July 2024, are all caught; judged at production, the 2023 carats
    would not be.

    >>> g = kp.ProvenanceGraph()
    >>> ru = g.produce(country="RU", carats=40, on="2023-06-01")
    >>> later = g.produce(country="RU", carats=60, on="2024-06-01")
    >>> hub = g.mix([g.ship(ru, to="AE", on="2024-07-01"),
    ...              g.ship(later, to="AE", on="2024-07-01")])
    >>> lots = d.Lots.from_graph(g, d.CaseBook.default(), lots=[hub])
    >>> d.conflict_shares("G7_RUSSIA_ORIGIN_2024", lots)[["lot", "in_share", "in_carats"]]
       lot  in_share  in_carats
    0    4       1.0      100.0

    .. versionadded:: 0.1
    """
    if isinstance(shares, Lots):
        given = {"situations": situations, "produced": produced, "carats": carats}
        extra = [
            key for key, value in {**given, "value_usd": value_usd}.items() if value is not None
        ]
        if extra:
            msg = (
                f"Lots carry their own situations, carats, value and dates; do not pass {extra!r}"
            )
            raise InvalidArgumentError(msg)
        _, tabulated = lot_verdicts(resolve_all(definitions), shares, on)
        amounts = tabulated.frame() if isinstance(tabulated, LotAmounts) else tabulated
        lot_ids = np.tile(
            np.asarray(shares.shares.index, dtype=object),
            len(amounts) // max(len(shares.shares), 1),
        )
        return amounts.drop(columns="item").assign(lot=lot_ids)[["lot", *amounts.columns[1:]]]
    if situations is None:
        msg = "pass the situations (a CaseBook, mapping or iterable of Situation) with shares"
        raise InvalidArgumentError(msg)
    values = _check_shares(shares)
    places = _origin_places(shares.columns)
    evidence = situation_list(situations)
    extras = {
        "carats": _per_lot("carats", carats, shares.index),
        "value_usd": _per_lot("value_usd", value_usd, shares.index),
    }
    for label, series in extras.items():
        if series is not None:
            extras[label] = _check_amounts(label, series, unknown=label == "value_usd")
    if produced is not None:
        when = _dates(_per_lot("produced", produced, shares.index))
        if when.isna().any():
            msg = "produced must give a production date for every lot in shares"
            raise InvalidArgumentError(msg)
        groups: dict[Any, Any] = {
            day.date(): np.flatnonzero((when == day).to_numpy()) for day in when.unique()
        }
    else:
        groups = {on: np.arange(len(shares))}
    carats_given = extras["carats"]
    weight = None if carats_given is None else carats_given.to_numpy(dtype=np.float64)
    frames = []
    for definition in resolve_all(definitions):
        in_share = np.zeros(len(shares))
        open_share = np.zeros(len(shares))
        for when_, rows in groups.items():
            is_in, is_open = _outcome_vectors(definition, places, evidence, when_)
            # row sums without BLAS (its result depends on the thread count): see _row_dot
            in_share[rows] = _row_dot(values[rows], is_in)
            open_share[rows] = _row_dot(values[rows], is_open)
        frame = pd.DataFrame(
            {
                "lot": shares.index,
                "definition": name_of(definition),
                "in_share": in_share,
                "undetermined_share": open_share,
                "out_share": values.sum(axis=1) - in_share - open_share,
            }
        )
        for label, series in extras.items():
            if series is not None:
                amount = series.to_numpy(dtype=np.float64)
                for prefix, share in (("in", in_share), ("undetermined", open_share)):
                    frame[f"{prefix}_{label}"] = _held_amount(share, amount, carats=weight)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _held_amount(
    share: FloatArray, amount: FloatArray, *, carats: FloatArray | None
) -> FloatArray:
    """Return each lot's `share` of its `amount` (carats or value), NaN only if not known.

    An amount not known (NaN) leaves the lot's part NaN only when the lot holds some of
    the carats (a share above 0, of `carats` above 0 when given): zero carats of anything
    are worth 0 USD, the rule `_value_column` applies to a graph's lots.
    """
    unknown = np.isnan(amount)
    held = share > 0
    if carats is not None:
        held &= carats > 0
    return _value_column(share * np.where(unknown, 0.0, amount), held, unknown)


def _per_lot(label: str, series: Any, index: pd.Index[Any]) -> pd.Series | None:
    """Return `series` (one entry per lot) in the order of `index`, or None when not given.

    Every lot of `index` must have an entry (NaN, for a value not known, is an entry).
    """
    if series is None:
        return None
    if not isinstance(series, pd.Series):
        msg = (
            f"{label} must be a pandas Series indexed like shares (one entry per lot); got "
            f"{type(series).__name__}: pass pd.Series(values, index=shares.index)"
        )
        raise InvalidArgumentError(msg)
    if series.index.equals(index):
        return series
    if not series.index.is_unique:
        repeated = series.index[series.index.duplicated()].unique()[:MAX_LISTED].tolist()
        msg = f"{label} lists a lot more than once: {repeated!r}; give one entry per lot"
        raise InvalidArgumentError(msg)
    missing = ~index.isin(series.index)
    if missing.any():
        absent = index[missing][:MAX_LISTED].tolist()
        more = f" and {int(missing.sum()) - MAX_LISTED} more" if missing.sum() > MAX_LISTED else ""
        msg = (
            f"{label} must give an entry for every lot in shares (indexed by the same lot "
            f"ids); none for lots {absent!r}{more}"
        )
        raise InvalidArgumentError(msg)
    return series.reindex(index)


def _check_amounts(label: str, series: pd.Series, *, unknown: bool) -> pd.Series:
    """Return per-lot amounts as floats; refuse any not a finite number >= 0 (NaN if `unknown`).

    Every bad lot is named: text that is not a number, a negative or infinite amount, or
    (unless `unknown`: a value not known) a missing one.
    """
    numbers = pd.to_numeric(series, errors="coerce").astype(np.float64)
    given = series.notna().to_numpy()
    values = numbers.to_numpy()
    bad = (given & np.isnan(values)) | np.isinf(values) | (values < 0)
    if not unknown:
        bad |= np.isnan(values)
    if bad.any():
        shown = ", ".join(
            f"lot {lot!r}: {value!r}"
            for lot, value in zip(
                series.index[bad][:MAX_LISTED].tolist(),
                series[bad][:MAX_LISTED].tolist(),
                strict=True,
            )
        )
        more = f" and {int(bad.sum()) - MAX_LISTED} more" if bad.sum() > MAX_LISTED else ""
        missing = "" if unknown else " for every lot in shares"
        msg = (
            f"{label} must give a finite number >= 0{missing}"
            f"{' (NaN where not known)' if unknown else ''}; got {shown}{more}"
        )
        raise InvalidArgumentError(msg)
    return numbers


def _dates(series: pd.Series | None) -> pd.Series:
    """Return production dates as timestamps (NaT where missing), naming a lot's bad date."""
    assert series is not None
    try:
        return pd.to_datetime(series)
    except (TypeError, ValueError, OverflowError):
        pass
    bad = []
    for lot, value in series.items():
        try:
            pd.to_datetime(value)
        except (TypeError, ValueError, OverflowError):
            bad.append(f"lot {lot!r}: {value!r}")
    shown = ", ".join(bad[:MAX_LISTED]) or "dates pandas cannot read together"
    msg = (
        "produced must give a production date for every lot in shares (a date, or ISO text "
        f"such as '2010-06-01'); got {shown}"
    )
    raise InvalidArgumentError(msg)


_STATS_COLUMNS = ("participant", "year", "carats", "value_usd")
_ZONE_COLUMNS = ("country", "zone", "year", "share", "source")


def _check_stats(stats: Any) -> pd.DataFrame:
    if not isinstance(stats, pd.DataFrame):
        msg = f"stats must be a pandas DataFrame; got {type(stats).__name__}"
        raise InvalidArgumentError(msg)
    missing = [c for c in _STATS_COLUMNS if c not in stats.columns]
    if missing:
        msg = (
            f"stats must have the columns {list(_STATS_COLUMNS)!r} (participant as ISO alpha-2 "
            f"or 'EU'); missing {missing!r}"
        )
        raise InvalidArgumentError(msg)
    frame = stats[list(_STATS_COLUMNS)].copy()
    for code in frame["participant"].unique():
        try:
            Place(str(code))
        except InvalidRecordError:
            msg = f"stats participant must be an ISO 3166-1 alpha-2 code or 'EU'; got {show(code)}"
            raise InvalidArgumentError(msg) from None
    for column in ("carats", "value_usd"):
        numbers = pd.to_numeric(frame[column], errors="coerce").astype(float)
        if not (np.isfinite(numbers) & numbers.between(0, MAX_QUANTITY)).all():
            msg = f"stats column {column!r} must hold finite numbers from 0 to {MAX_QUANTITY:.0e}"
            raise InvalidArgumentError(msg)
        frame[column] = numbers
    years = pd.to_numeric(frame["year"], errors="coerce").astype(float)
    if not (years.between(MIN_YEAR, MAX_YEAR) & (years % 1 == 0)).all():
        msg = f"stats column 'year' must hold whole years from {MIN_YEAR} to {MAX_YEAR}"
        raise InvalidArgumentError(msg)
    frame["participant"] = frame["participant"].astype(str)
    frame["year"] = years.astype(int)
    return frame.groupby(["participant", "year"], as_index=False)[["carats", "value_usd"]].sum()


def _zone_table(zone_shares: Any) -> dict[tuple[str, str, int], tuple[float, str]]:
    if zone_shares is None:
        return {}
    if not isinstance(zone_shares, pd.DataFrame) or any(
        c not in zone_shares.columns for c in _ZONE_COLUMNS
    ):
        msg = f"zone_shares must be a DataFrame with the columns {list(_ZONE_COLUMNS)!r}"
        raise InvalidArgumentError(msg)
    table = {}
    for record in zone_shares.to_dict("records"):
        country = participant_code(
            record["country"], path="zone_shares country", error=InvalidArgumentError
        )
        zone, year = str(record["zone"]), record["year"]
        where = f"{country}/{zone} {year}"
        try:
            share, year = float(record["share"]), int(year)
        except (TypeError, ValueError):
            msg = f"zone share for {where} needs a numeric share and an integer year"
            raise InvalidArgumentError(msg) from None
        source = str(record["source"] or "").strip()
        if not 0 <= share <= 1:
            msg = f"zone share for {where} must be in [0, 1]; got {show(share)}"
            raise InvalidArgumentError(msg)
        if not source or source.lower() == "nan":
            msg = f"zone share for {where} must cite its source"
            raise InvalidArgumentError(msg)
        table[country, zone, year] = (share, source)
    return table


def _register_states(register: Register, country: str, window: Period) -> set[str]:
    """Return what the register let `country` do over `window`: open, zones or barred.

    "zones": exports only from compliant zones (a KP zone decision); "open": exports
    certified without a zone restriction; "barred": no exports (a suspension, a UN ban, not
    a participant). The register changes only on its event and measure dates, so the window
    is sampled on those dates alone.
    """
    assert window.end is not None
    governing = register.participant_of(country, on=window.start)
    days = {window.start}
    if governing is not None and governing in register:
        participant = register.participant(governing)
        dates = [e.on for e in participant.events]
        for m in participant.measures:
            dates.append(m.start)
            if m.end is not None:
                dates.append(m.end + dt.timedelta(days=1))
        days.update(d for d in dates if window.start <= d <= window.end)
    states = set()
    for day in days:
        if register.status(country, on=day) is Status.RESTRICTED:
            states.add("zones")
        elif register.may_export(country, on=day):
            states.add("open")
        else:
            states.add("barred")
    return states


def _year_bounds(
    definition: Any,
    country: str,
    year: int,
    situations: list[Situation],
    zones: Mapping[tuple[str, str, int], tuple[float, str]],
    register: Register,
) -> tuple[float, float, list[str], bool]:
    """Return the lower and upper share of a country-year covered, and how it was reached.

    The last item is True when a zone whose share is not known was counted 0 to all.
    Evidence about a whole country does not override the register's decisions: while the
    KP certified only exports from compliant zones it is not applied, and in a year when
    the register's decisions changed it counts only in the upper bound.
    """
    window = Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    # By part of the country: (zone, site), (None, None) the whole country.
    by_part: dict[tuple[str | None, str | None], Outcome] = {}
    notes: list[str] = []
    for s in situations:
        if s.place.country != country:
            continue
        overlap = s.period.intersection(window)
        if overlap is None:
            continue
        outcome = judge(definition, s, overlap).outcome
        if s.place.zone is None and s.place.site is None and outcome is not OUT:
            states = _register_states(register, country, overlap)
            if states == {"zones"}:
                notes.append(
                    f"{country}: whole-country evidence not applied: the KP certified only "
                    "exports from compliant zones (register)"
                )
                continue
            if len(states) > 1:
                notes.append(
                    f"{country}: whole-country evidence counted in the upper bound only: the "
                    "register's decisions changed during the year, and the recorded "
                    "production may come from the days they allowed"
                )
                outcome = UNDETERMINED
        part = (s.place.zone, s.place.site)
        by_part[part] = by_part.get(part, OUT) | outcome
    whole = by_part.pop((None, None), OUT)
    if whole is IN:
        return 1.0, 1.0, [f"{country}: whole country"], False
    low, high, guessed = 0.0, 1.0 if whole is UNDETERMINED else 0.0, False
    basis = list(dict.fromkeys(notes))
    if whole is UNDETERMINED and not notes:
        basis.append(f"{country}: undetermined, counted 0 to the whole country")
    for (zone, site), outcome in by_part.items():
        if outcome is OUT:
            continue
        where = str(Place(country, zone, site))
        known = None if zone is None else zones.get((country, zone, year))
        if known is not None:
            # A site's share of its zone is not known: it counts from 0 to the zone's share.
            share, source = known
            low += share if outcome is IN and site is None else 0.0
            high += share
            of = "zone share" if site is None else f"a site of {country}/{zone}, zone share"
            basis.append(f"{where}: {of} {share:g} ({source})")
        else:
            high, guessed = 1.0, True
            word = "in" if outcome is IN else "undetermined"
            level = "zone" if site is None else "site"
            basis.append(f"{where}: {word}; {level} share unknown, counted 0 to all of {country}")
    return min(low, 1.0), min(high, 1.0), basis, guessed


def _production_table(stats: Any) -> Any:
    """Return the annual production of `KPStatistics` as coverage reads it; else `stats`."""
    if not isinstance(stats, KPStatistics):
        return stats
    if stats.has_replications:
        msg = (
            "coverage() reads one statistics table; these statistics hold several simulated "
            "replications: select one, e.g. KPStatistics.from_frame(stats.to_frame()"
            ".query('replication == 0').drop(columns='replication'))"
        )
        raise InvalidArgumentError(msg)
    annual = stats.annual()
    production = annual[annual["flow"] == "production"]
    return production[list(_STATS_COLUMNS)]


def coverage(
    definitions: Any,
    stats: pd.DataFrame | KPStatistics,
    casebook: Any,
    *,
    zone_shares: pd.DataFrame | None = None,
    register: Register | None = None,
) -> pd.DataFrame:
    """Return, year by year, the production each definition would have covered, as bounds.

    Each situation is judged for each year it overlaps, with the rules and designations in
    force in that year. Production data is per country while situations are often per zone:
    where no zone share is known, a zone-level situation counts from 0 to the whole country's
    production (lower and upper bound), and the `basis` column says so. Where a source gives
    a zone's share, pass it in `zone_shares` with its citation. (The sources used give no
    zone share, so none is shipped.) A situation recorded at a site counts from 0 to its
    zone's share, or to the whole country's production when that share (or the zone) is not
    known. UNDETERMINED verdicts count only in the upper bound.
    A country with no production row in a year (not reported) adds nothing to either bound.

    The statistics record production the KP certified, so evidence about a whole country
    does not override the register's decisions: while the KP certified only exports from
    compliant zones (the Central African Republic, 2015-2024) it is not applied to the
    recorded production, and in a year when the register's decisions changed (Côte
    d'Ivoire in 2014, when the UN ban ended on 29 April) it counts only in the upper bound.

    Parameters
    ----------
    definitions : Definition, str, or iterable of them
    stats : kpmodel.statistics.KPStatistics or pandas.DataFrame
        Statistics whose production flow is read as annual totals (for example
        `kpmodel.datasets.kp_statistics()`, the KP's own figures), or a production table
        with columns ``participant, year, carats, value_usd`` (participant: ISO 3166-1
        alpha-2 code or ``"EU"``); rows of the same participant and year are summed.
    casebook : CaseBook, mapping or iterable of Situation
    zone_shares : pandas.DataFrame, optional
        Columns ``country, zone, year, share, source``: the share of a country's production
        from a zone in a year, and the citation.
    register : kpmodel.participants.Register, optional
        The register whose decisions bound the evidence; the shipped one by default.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per year and definition: ``year, definition, carats_low, carats_high,
        value_usd_low, value_usd_high, total_carats, total_value_usd, share_low, share_high,
        zone_share_unknown, basis``. The shares are of carats. ``zone_share_unknown`` is
        True when a zone or site with no known share was counted from 0 to its whole
        country (the gap between the bounds then comes from not knowing where in the
        country the diamonds were mined); ``basis`` names every country, zone and site
        counted and how.

    Examples
    --------
    >>> import pandas as pd
    >>> stats = pd.DataFrame({"participant": ["ZW", "BW"], "year": [2010, 2010],
    ...                       "carats": [8.0, 24.0], "value_usd": [400.0, 3000.0]})
    >>> cov = kp.definitions.coverage(["KPCS_2003", "CANADA_WDC_CSC_2018"], stats,
    ...                               kp.definitions.CaseBook.default())
    >>> cov[["definition", "carats_low", "carats_high"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'definition': 'KPCS_2003', 'carats_low': 0.0, 'carats_high': 0.0},
     {'definition': 'CANADA_WDC_CSC_2018', 'carats_low': 0.0, 'carats_high': 8.0}]
    >>> cov.loc[1, "basis"]
    'ZW/Marange: in; zone share unknown, counted 0 to all of ZW'

    The headline question on the KP's own statistics: how much of the world's production
    would the 2018 text have covered in 2010, against the definition in force?

    >>> cov = kp.definitions.coverage(["KPCS_2003", "CANADA_WDC_CSC_2018"],
    ...                               kp.datasets.kp_statistics(),
    ...                               kp.definitions.CaseBook.default())
    >>> y2010 = cov[cov.year == 2010].set_index("definition")
    >>> (y2010[["share_low", "share_high"]] * 100).round(1)
    ... # doctest: +NORMALIZE_WHITESPACE
                         share_low  share_high
    definition
    KPCS_2003                  0.0         0.0
    CANADA_WDC_CSC_2018        0.0        13.1

    .. versionadded:: 0.1
    """
    frame = _check_stats(_production_table(stats))
    evidence = situation_list(casebook)
    given: object = Register.default() if register is None else register
    if not isinstance(given, Register):
        msg = f"register must be a kpmodel.participants.Register; got {type(given).__name__}"
        raise InvalidArgumentError(msg)
    register = given
    zones = _zone_table(zone_shares)
    rows = []
    for definition in resolve_all(definitions):
        name = name_of(definition)
        for year, group in frame.groupby("year", sort=True):
            totals = {"carats": group["carats"].sum(), "value_usd": group["value_usd"].sum()}
            low = {"carats": 0.0, "value_usd": 0.0}
            high = {"carats": 0.0, "value_usd": 0.0}
            basis: list[str] = []
            guessed = False
            for record in group.to_dict("records"):
                participant, amounts = str(record["participant"]), record
                lo, hi, why, unknown_zone = _year_bounds(
                    definition, participant, int(str(year)), evidence, zones, register
                )
                guessed = guessed or (unknown_zone and float(amounts["carats"]) > 0)
                for key in low:
                    low[key] += lo * float(amounts[key])
                    high[key] += hi * float(amounts[key])
                basis.extend(why)
            rows.append(
                {
                    "year": int(str(year)),
                    "definition": name,
                    "carats_low": low["carats"],
                    "carats_high": high["carats"],
                    "value_usd_low": low["value_usd"],
                    "value_usd_high": high["value_usd"],
                    "total_carats": totals["carats"],
                    "total_value_usd": totals["value_usd"],
                    "share_low": low["carats"] / totals["carats"] if totals["carats"] else 0.0,
                    "share_high": high["carats"] / totals["carats"] if totals["carats"] else 0.0,
                    "zone_share_unknown": guessed,
                    "basis": "; ".join(basis),
                }
            )
    return pd.DataFrame(rows)


def _row_dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Return ``matrix @ vector`` by numpy's pairwise row sums: the same on any machine."""
    result: np.ndarray = np.ascontiguousarray(matrix * vector).sum(axis=1)
    return result
