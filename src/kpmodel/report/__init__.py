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
    REGISTER_SOURCE,
    check_section,
    comparison_section,
    statistics_section,
    text_section,
    trace_section,
)
from kpmodel.report._simulation import simulation_section, sweep_section
from kpmodel.report._text import text_table

Section.__module__ = __name__

__all__ = [
    "REGISTER_SOURCE",
    "Section",
    "check_section",
    "comparison_section",
    "render",
    "simulation_section",
    "statistics_section",
    "sweep_section",
    "text_section",
    "text_table",
    "trace_section",
    "write",
]
