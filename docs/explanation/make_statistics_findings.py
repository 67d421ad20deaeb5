"""Regenerate docs/explanation/statistics-findings.md: the built-in detectors on the real data.

Run from the repository root: ``.venv/bin/python docs/explanation/make_statistics_findings.py``.
tests/test_statistics_findings.py checks that the committed page equals what this prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import kpmodel as kp

PAGE = Path(__file__).with_name("statistics-findings.md")
TOP = 25

HEADER = Path(__file__).with_name("statistics-findings-header.txt").read_text(encoding="utf-8")


def render() -> str:
    """Return the page's Markdown."""
    flags = kp.statistics.detect(
        kp.datasets.kp_statistics(), capacity=kp.datasets.capacity_estimates()
    )
    flags = kp.statistics.match_episodes(flags, kp.datasets.known_episodes())
    lines = [
        HEADER,
        f"## Top {TOP} findings\n",
        "| rank | participant | year | half | detector | severity | reason | known episode |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rank, row in enumerate(flags.head(TOP).itertuples(), start=1):
        half = "" if row.half is None or str(row.half) == "<NA>" else f"H{row.half}"
        lines.append(
            f"| {rank} | {row.participant} | {row.year} | {half} | `{row.detector}` | "
            f"{row.severity:.2f} | {row.reason} | {row.episode} |"
        )
    counts = flags["detector"].value_counts()
    known = (flags["episode"] != "no known episode").sum()
    lines += [
        "",
        "## All findings, in numbers\n",
        f"{len(flags)} flags in all, {known} of them in a known episode; by detector: "
        + ", ".join(f"`{name}` {count}" for name, count in counts.items())
        + ".",
        "",
        "Botswana and Russia: "
        + (
            "; ".join(
                f"{r.participant} {r.year}{'' if str(r.half) == '<NA>' else f' H{r.half}'} "
                f"(`{r.detector}`)"
                for r in flags[flags["participant"].isin(["BW", "RU"])].itertuples()
            )
            or "no flags"
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """Write the page (or, with --check, fail when it is out of date)."""
    text = render()
    if "--check" in argv:
        sys.exit(0 if PAGE.read_text(encoding="utf-8") == text else 1)
    PAGE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
