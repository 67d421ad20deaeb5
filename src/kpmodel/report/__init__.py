"""Self-contained HTML reports of checks, traces, comparisons, statistics and simulations.

A report is one HTML5 file: style and figures (inline SVG) inside it, no script, no network
request, readable in any browser or mail client. It is made of `Section` objects, one per
piece of work, each with the facts a reader needs to reproduce it (files, dates, scenario,
seed) and the sources it cites; `render` adds the versions used. Every string taken from
data is escaped, so a scenario named ``<script>`` shows as text.

>>> cert = kp.certificates.example_certificate()
>>> page = kp.report.render([kp.report.check_section({"example": kp.check(cert)})])
>>> "Certificate check" in page
True
"""

from kpmodel.report._html import Section, render, write
from kpmodel.report._sections import (
    check_section,
    comparison_section,
    statistics_section,
    text_section,
    trace_section,
)
from kpmodel.report._simulation import simulation_section, sweep_section

Section.__module__ = __name__

__all__ = [
    "Section",
    "check_section",
    "comparison_section",
    "render",
    "simulation_section",
    "statistics_section",
    "sweep_section",
    "text_section",
    "trace_section",
    "write",
]
