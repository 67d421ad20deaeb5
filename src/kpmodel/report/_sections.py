"""Report sections for a check, a trace, a comparison and a statistics run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from kpmodel._display import table
from kpmodel.definitions import Comparison
from kpmodel.errors import InvalidArgumentError
from kpmodel.provenance import ProvenanceGraph, audit, describe_lot, origin_shares, trace
from kpmodel.report._html import Section, figure, paragraph, preformatted
from kpmodel.rules import Report, findings_frame
from kpmodel.statistics import KPStatistics, plot_production, plot_value_per_carat

#: The shipped register of participants, as check() and audit() use it by default.
REGISTER_SOURCE = "kpmodel.participants/data/register.json (the shipped KP register)"


def _unique(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v) for v in values if v))


def _core_document(reference: str) -> str:
    """Name the document of a rule's reference ("Section III(c)" is the core document's)."""
    return reference if reference.startswith("KP") else f"KPCS Core Document, {reference}"


def check_section(
    reports: Mapping[str, Report],
    *,
    on: object = None,
    register: str = REGISTER_SOURCE,
    title: str = "Certificate check",
) -> Section:
    """Return a report section for the findings of `kpmodel.check` on one or more inputs.

    Parameters
    ----------
    reports : mapping of str to kpmodel.rules.Report
        The report of each checked input, keyed by its name (a file name).
    on : date, optional
        The date the rules were applied on, when one was given.
    register : str
        Where the register of participants came from.
    title : str

    Returns
    -------
    Section

    Examples
    --------
    >>> cert = kp.certificates.example_certificate()
    >>> s = kp.report.check_section({"cert.json": kp.check(cert)})
    >>> s.title, s.figures
    ('Certificate check', 0)
    """
    summary = pd.DataFrame(
        [
            {
                "input": name,
                "verdict": "no findings" if not r.findings else ("passes" if r.ok else "fails"),
                "errors": len(r.errors),
                "warnings": len(r.warnings),
            }
            for name, r in reports.items()
        ],
        columns=["input", "verdict", "errors", "warnings"],
    )
    findings = findings_frame(reports)
    body = [
        paragraph(
            "Each input is checked against the KPCS rules in force on "
            + (f"{on}" if on is not None else "its own date (issue, departure or receipt)")
            + ". Errors break a rule; warnings flag what the rules recommend."
        ),
        table(summary, caption="Verdict per input"),
    ]
    if len(findings):
        body.append(table(findings.drop(columns="reference"), caption="Findings"))
    else:
        body.append(paragraph("No findings."))
    facts = [("rules applied on", str(on) if on is not None else "each record's own date")]
    facts.append(("register of participants", register))
    return Section(
        title=title,
        body="".join(body),
        facts=tuple(facts),
        sources=_unique(_core_document(r) for r in findings["reference"])
        or ("KPCS Core Document, Annex I and Section III",),
    )


def trace_section(
    graph: ProvenanceGraph,
    lots: Sequence[Any],
    *,
    by: str = "zone",
    title: str = "Provenance trace",
    source: str = "",
    sources: Sequence[str] = (),
) -> Section:
    """Return a report section tracing `lots` back to their origins, with the audit.

    Parameters
    ----------
    graph : kpmodel.ProvenanceGraph
    lots : sequence of lot ids
        The lots to trace (shipments, usually).
    by : {"country", "zone", "site"}
    title : str
    source : str
        Where the graph came from (a file name), shown with the section.
    sources : sequence of str
        Sources to cite for the graph's story.

    Returns
    -------
    Section

    Examples
    --------
    >>> g = kp.ProvenanceGraph()
    >>> mine = g.produce(country="CF", carats=10, on="2014-01-01", zone="Nola")
    >>> cm = g.ship(g.smuggle(mine, to="CM", on="2014-02-01"), to="AE", on="2014-03-01",
    ...             certificate="CM-1")
    >>> s = kp.report.trace_section(g, [cm])
    >>> s.figures
    2
    """
    shares = origin_shares(graph, by=by)  # type: ignore[arg-type]
    body = [
        paragraph(
            "Origin shares follow every carat back through mixing, splitting and shipping "
            f"(mass balance, by {by}); paths show the largest routes each origin took."
        )
    ]
    for lot in lots:
        frame = trace(graph, lot, by=by)
        body.append(table(frame, caption=describe_lot(graph, lot)))
    findings = audit(graph, register=None)
    if findings:
        rows = pd.DataFrame(
            [
                {
                    "certificate": f.certificate,
                    "exporter": f.exporter,
                    "importer": f.importer,
                    "declares": f.declared_origin,
                    "origin": f.origin,
                    "share": f.share,
                    "reason": f.reason,
                }
                for f in findings
            ]
        )
        body.append(table(rows, caption="Audit: clean-looking certificates, true origins"))
    else:
        body.append(paragraph("The audit finds no certificate hiding an offending origin."))
    body.append(figure(lambda: _flows(graph), caption="Certified shipments: origin to importer"))
    body.append(figure(lambda: _shares(shares, lots), caption="Origin shares of the traced lots"))
    facts = [("graph", source or "built in memory"), ("origins by", by)]
    cited = (*sources, *_unique(f.reference for f in findings))
    return Section(title=title, body="".join(body), facts=tuple(facts), sources=cited, figures=2)


def _flows(graph: ProvenanceGraph) -> Any:
    from kpmodel.provenance import plot_flows

    return plot_flows(graph)


def _shares(shares: Any, lots: Sequence[Any]) -> Any:
    from kpmodel.provenance import plot_shares

    return plot_shares(shares, list(lots))


def comparison_section(
    comparison: Comparison, *, title: str = "Conflict-diamond definitions compared"
) -> Section:
    """Return a report section for a `kpmodel.compare` result: summary, matrix and flips.

    Parameters
    ----------
    comparison : kpmodel.definitions.Comparison
    title : str

    Returns
    -------
    Section

    Examples
    --------
    >>> c = kp.compare("EU_2023", kp.definitions.CaseBook.default())
    >>> kp.report.comparison_section(c).figures
    1
    """
    given: object = comparison
    if not isinstance(given, Comparison):
        msg = f"comparison_section() needs a Comparison; got {type(given).__name__}."
        raise InvalidArgumentError(msg)
    summary = comparison.summary.reset_index()
    flips = comparison.flips[["item", "definition", "baseline_verdict", "verdict", "why"]]
    body = [
        paragraph(
            f"Each item is judged under every definition; flips are changes against "
            f"{comparison.baseline}, the definition in force. Undetermined means the evidence "
            "does not settle a clause the definition needs."
        ),
        table(summary, caption="Verdicts per definition"),
        figure(lambda: _matrix(comparison), caption="Verdicts: items by definitions"),
        table(flips, caption=f"What changes against {comparison.baseline}, and why"),
    ]
    facts = [
        ("baseline", comparison.baseline),
        ("definitions", ", ".join(comparison.names)),
        ("judged as of", str(comparison.on) if comparison.on else "each item's own period"),
    ]
    if comparison.casebook is not None:
        facts.append(("case book", comparison.casebook.source or "in memory"))
    cited = [r for d in comparison.definitions for r in getattr(d, "references", ())]
    cited += [r for s in comparison.situations.values() for r in s.sources]
    return Section(
        title=title, body="".join(body), facts=tuple(facts), sources=_unique(cited), figures=1
    )


def _matrix(comparison: Comparison) -> Any:
    from kpmodel.definitions import plot_matrix

    return plot_matrix(comparison)


def statistics_section(
    stats: KPStatistics,
    flags: pd.DataFrame | None = None,
    *,
    source: str = "",
    sources: Sequence[str] = (),
    top: int = 25,
    title: str = "Statistics and detectors",
) -> Section:
    """Return a report section for KP statistics and the detectors' flags.

    Parameters
    ----------
    stats : kpmodel.statistics.KPStatistics
    flags : pandas.DataFrame, optional
        Output of `kpmodel.statistics.detect` (with an ``episode`` column when matched with
        `kpmodel.statistics.match_episodes`).
    source : str
        Where the statistics came from.
    sources : sequence of str
        Sources to cite (the data set's, the capacity estimates', the episodes').
    top : int
        Show at most this many flags.
    title : str

    Returns
    -------
    Section

    Examples
    --------
    >>> stats = kp.datasets.kp_statistics()
    >>> kp.report.statistics_section(stats, source="shipped").figures
    1
    """
    world = stats.world(annual=True)
    keep = ["year", "carats", "value_usd", "value_per_carat", "participants"]
    body = [
        paragraph(
            f"{len(stats.participants)} participants; world production per year below. "
            "A missing period means not reported; zero carats means reported none."
        ),
        table(world[[c for c in keep if c in world.columns]], caption="World production"),
        figure(lambda: plot_production(stats), caption="Production by participant"),
    ]
    figures = 1
    if flags is not None:
        columns = [
            c
            for c in ("participant", "year", "half", "detector", "severity", "reason", "episode")
            if c in flags.columns
        ]
        body.append(
            paragraph(
                f"{len(flags)} flags; severity is score over threshold, so detectors with "
                "different units can be ranked together. A flag is a lead to check, not a "
                "finding of smuggling."
            )
        )
        body.append(table(flags[columns], caption="Detector flags, most severe first", limit=top))
        flagged = list(dict.fromkeys(flags["participant"]))[:4]
        if flagged:
            body.append(
                figure(
                    lambda: plot_value_per_carat(stats, flags, participants=flagged),
                    caption=f"Value per carat, flagged periods marked ({', '.join(flagged)})",
                )
            )
            figures += 1
    counted = "none run" if flags is None else str(len(flags))
    facts = [("statistics", source or repr(stats)), ("flags", counted)]
    return Section(
        title=title,
        body="".join(body),
        facts=tuple(facts),
        sources=_unique(sources),
        figures=figures,
    )


def text_section(title: str, lines: Iterable[str], *, sources: Sequence[str] = ()) -> Section:
    """Return a section of plain text (escaped), such as an explanation read aloud.

    Examples
    --------
    >>> kp.report.text_section("Note", ["<script>alert(1)</script>"]).body
    '<pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre>'
    """
    return Section(title=title, body=preformatted("\n".join(lines)), sources=tuple(sources))
