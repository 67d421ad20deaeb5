"""HTML building blocks: paragraphs, figures, the page and the atomic write.

Escaping and tables come from `kpmodel._display`, which the notebook views use too.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import io
import os
import platform
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

import kpmodel
from kpmodel._boundary import atomic_write, guarded
from kpmodel._display import definition_list, text
from kpmodel._plotting import detached

#: The libraries whose versions a report names (a reader needs them to reproduce it).
VERSIONED = ("numpy", "pandas", "scipy", "networkx", "matplotlib")

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #1b1b1b; background: #fff; }
h1 { border-bottom: 2px solid #444; padding-bottom: .3rem; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #444; }
.note { color: #555; font-size: .9rem; }
.error { color: #a40000; font-weight: bold; }
.warning { color: #8a5a00; font-weight: bold; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .6rem; }
nav ol { columns: 2; }
"""


def paragraph(value: object, *, css: str = "") -> str:
    """Return an escaped paragraph."""
    klass = f' class="{text(css)}"' if css else ""
    return f"<p{klass}>{text(value)}</p>"


def preformatted(value: object) -> str:
    """Return escaped preformatted text (explanations keep their line breaks)."""
    return f"<pre>{text(value)}</pre>"


def items(values: Iterable[object]) -> str:
    """Return an escaped bulleted list."""
    return "<ul>" + "".join(f"<li>{text(v)}</li>" for v in values) + "</ul>"


_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)


def figure(make: Any, *, caption: str) -> str:
    """Return a figure as inline SVG, or a note when matplotlib is not installed.

    `make` is called with no arguments and returns a matplotlib Figure or Axes; it is only
    called when matplotlib can be imported, so the report needs no optional dependency.
    It runs inside `kpmodel._plotting.detached`: the ``plot_*`` functions then draw on a
    figure of their own, with its own canvas, that pyplot and the user's backend never see.
    """
    try:
        import matplotlib
    except ImportError:
        return paragraph(
            f"Figure left out ({caption}): figures need matplotlib, pip install 'kpmodel[plot]'.",
            css="note",
        )
    # Text stays text (small files, searchable); a fixed hash salt keeps the ids stable.
    # Layout warnings (an empty log axis, tight layout) are about drawing, not the data.
    with (
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kpmodel"}),
        warnings.catch_warnings(),
        detached(),
    ):
        warnings.simplefilter("ignore", UserWarning)
        made = make()
        fig = getattr(made, "figure", made)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    svg = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    label = text(caption)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return f"<figure>{svg}<figcaption>{label}</figcaption></figure>"


def _pairs(values: Iterable[tuple[object, object]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in values)


def _strings(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


@guarded
@attrs.frozen(kw_only=True)
class Section:
    """One part of a report: a titled block of HTML, the facts behind it and its sources.

    Build sections with the ``*_section`` functions of `kpmodel.report`; they escape every
    string taken from data. `body` is HTML and is written as it is, so build it only from
    text you escaped (`html.escape`).

    Attributes
    ----------
    title : str
        The heading (escaped when rendered).
    body : str
        The section's HTML.
    facts : tuple of (str, str)
        What a reader needs to reproduce it: files, dates, scenario, seed (escaped).
    sources : tuple of str
        The sources cited (escaped).
    figures : int
        How many figures the body holds.

    Examples
    --------
    >>> s = kp.report.Section(title="Notes", body="<p>Nothing to add.</p>")
    >>> s.title
    'Notes'
    """

    title: str
    body: str
    facts: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_pairs)
    sources: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    figures: int = 0


def _anchor(index: int) -> str:
    return f"section-{index + 1}"


def _versions() -> list[tuple[str, str]]:
    found = [("kpmodel", kpmodel.__version__), ("Python", platform.python_version())]
    for name in VERSIONED:
        try:
            found.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            found.append((name, "not installed"))
    return found


def render(
    sections: Sequence[Section],
    *,
    title: str = "kpmodel report",
    inputs: Mapping[str, object] | None = None,
) -> str:
    """Return a whole report as one self-contained HTML5 page.

    The page holds its style and figures inline: no script, no external file, no
    network request. Every string from data is escaped.

    Parameters
    ----------
    sections : sequence of Section
    title : str
        The page title (escaped).
    inputs : mapping, optional
        What the report was made from (files, options), shown in "About this report".

    Returns
    -------
    str

    Examples
    --------
    >>> page = kp.report.render([kp.report.Section(title="<b>", body="")], title="Demo")
    >>> page.startswith("<!DOCTYPE html>"), "&lt;b&gt;" in page
    (True, True)
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(
        f'<li><a href="#{_anchor(i)}">{text(s.title)}</a></li>' for i, s in enumerate(sections)
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{text(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{text(title)}</h1>",
        paragraph(f"Made by kpmodel {kpmodel.__version__} on {stamp}.", css="note"),
        f"<nav><h2>Contents</h2><ol>{toc}",
        '<li><a href="#about">About this report</a></li></ol></nav></header><main>',
    ]
    for index, section in enumerate(sections):
        parts.append(f'<section id="{_anchor(index)}"><h2>{text(section.title)}</h2>')
        if section.facts:
            parts.append(definition_list(section.facts))
        parts.append(section.body)
        if section.sources:
            parts.append("<h3>Sources</h3>" + items(section.sources))
        parts.append("</section>")
    about = list((inputs or {}).items())
    parts.append('<section id="about"><h2>About this report</h2>')
    parts.append("<h3>Inputs</h3>")
    parts.append(definition_list(about) if about else paragraph("No inputs recorded."))
    parts.append("<h3>Versions</h3>" + definition_list(_versions()))
    parts.append(
        paragraph(
            "Facts in kpmodel come from public sources and shipped data, each cited where it "
            "is used; parties in the example files are fictional.",
            css="note",
        )
    )
    parts.append("</section></main></body></html>")
    return "\n".join(parts) + "\n"


def write(
    sections: Sequence[Section],
    path: str | os.PathLike[str],
    *,
    title: str = "kpmodel report",
    inputs: Mapping[str, object] | None = None,
) -> Path:
    """Write a report to `path` atomically (a temporary file, then a rename); return the path.

    A directory (an existing one, or a path without a suffix) gets ``report.html`` inside;
    missing parent directories are created.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = kp.report.write([], pathlib.Path(tempfile.mkdtemp()) / "out")
    >>> out.name, out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    ('report.html', True)
    """
    target = Path(path)
    if target.is_dir() or not target.suffix:
        target = target / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    page = render(sections, title=title, inputs=inputs)
    return atomic_write(target, page)  # permissions follow the umask: 0644 under 022
