"""A small Sphinx extension: run the teaching examples and show their output and figures.

``.. kpmodel-example:: 01_anatomy_of_a_certificate.py`` (MyST: a ``{kpmodel-example}``
fence) renders one script from ``examples/``: its docstring, links to download it as a
Jupyter notebook and as a script, what it prints, the figures it saves and its source. When
the build starts, every example runs once, as a script in its own process (two at a time),
with ``KPMODEL_FIGURES`` pointing into ``docs/_build/gallery``; an example that fails is a
build warning, so ``make docs`` (warnings as errors) fails with it.

The examples stay plain Python (tested as scripts by ``tests/test_examples.py``); the
notebooks are made from them by sphinx-gallery's converter: the docstring and each comment
block that follows a ``# %%`` line become Markdown cells, the code between them code cells.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

FIGURE_SUFFIXES = (".png", ".svg")
# Relative to the docs source directory; images must live under it for Sphinx to copy them.
GALLERY_BUILD = Path("_build") / "gallery"


class Run:
    """What one example printed, and the figures it saved (paths relative to the docs)."""

    def __init__(self, stdout: str, figures: list[str], error: str | None) -> None:
        self.stdout = stdout
        self.figures = figures
        self.error = error


RUNS: dict[str, Run] = {}


def examples_dir(app: Sphinx) -> Path:
    return Path(app.srcdir).parent / "examples"


def run_example(app: Sphinx, script: Path) -> Run:
    """Run one example as a script, its figures written under docs/_build/gallery."""
    workdir = Path(app.srcdir) / GALLERY_BUILD / script.stem
    figures = workdir / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    for old in figures.iterdir():
        old.unlink()
    # A relative KPMODEL_FIGURES keeps build-machine paths out of the printed output.
    env = {**os.environ, "KPMODEL_FIGURES": "figures", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, os.fspath(script)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    saved = sorted(p.name for p in figures.iterdir() if p.suffix in FIGURE_SUFFIXES)
    uris = [f"/{(GALLERY_BUILD / script.stem / 'figures' / name).as_posix()}" for name in saved]
    error = None if done.returncode == 0 else done.stderr[-3000:]
    return Run(done.stdout, uris, error)


def write_notebook(script: Path, target: Path) -> None:
    """Convert one example to a Jupyter notebook with sphinx-gallery's converter."""
    from sphinx_gallery.gen_gallery import DEFAULT_GALLERY_CONF
    from sphinx_gallery.notebook import jupyter_notebook, save_notebook
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    conf = {**DEFAULT_GALLERY_CONF, "first_notebook_cell": None, "last_notebook_cell": None}
    _, blocks = split_code_and_text_blocks(os.fspath(script))
    save_notebook(jupyter_notebook(blocks, conf, os.fspath(target.parent)), os.fspath(target))


def downloads(app: Sphinx, script: Path) -> dict[str, str]:
    """Write the notebook and a copy of the script beside the figures; return their targets."""
    folder = Path(app.srcdir) / GALLERY_BUILD / script.stem
    folder.mkdir(parents=True, exist_ok=True)
    write_notebook(script, folder / f"{script.stem}.ipynb")
    shutil.copyfile(script, folder / script.name)
    base = f"/{(GALLERY_BUILD / script.stem).as_posix()}"
    return {
        "Download as a Jupyter notebook": f"{base}/{script.stem}.ipynb",
        "Download the script": f"{base}/{script.name}",
    }


DOWNLOADS: dict[str, dict[str, str]] = {}


def run_all(app: Sphinx) -> None:
    """Run every example once, two at a time (the build machine has two cores)."""
    scripts = sorted(examples_dir(app).glob("[0-9][0-9]_*.py"))
    for script in scripts:
        DOWNLOADS[script.name] = downloads(app, script)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for script, result in zip(
            scripts, pool.map(lambda s: run_example(app, s), scripts), strict=True
        ):
            RUNS[script.name] = result


def docstring_of(script: Path) -> str:
    import ast

    return ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""


class ExampleDirective(SphinxDirective):
    """Render one teaching example: docstring, output, figures, source."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"no-docstring": directives.flag}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        script = examples_dir(self.env.app) / name
        self.env.note_dependency(os.fspath(script))
        if name not in RUNS:
            logger.warning("no example called %s in examples/", name, location=self.get_location())
            return []
        result = RUNS[name]
        if result.error is not None:
            logger.warning(
                "example %s failed:\n%s", name, result.error, location=self.get_location()
            )
        out: list[nodes.Node] = []
        if "no-docstring" not in self.options:
            out += self.parse_rst(docstring_of(script))
        out.append(self.download_links(DOWNLOADS.get(name, {})))
        out.append(nodes.rubric(text="What it prints"))
        out.append(nodes.literal_block(result.stdout, result.stdout, language="text"))
        if result.figures:
            out.append(nodes.rubric(text="The figures it saves"))
        for uri in result.figures:
            out.append(nodes.image(uri=uri, alt=Path(uri).name))
        source = script.read_text(encoding="utf-8")
        out.append(nodes.rubric(text="The script"))
        out.append(nodes.literal_block(source, source, language="python"))
        return out

    def download_links(self, targets: dict[str, str]) -> nodes.Node:
        """A paragraph of download links (Sphinx copies each file into ``_downloads``)."""
        paragraph = nodes.paragraph(classes=["kpmodel-downloads"])
        for number, (title, target) in enumerate(targets.items()):
            if number:
                paragraph += nodes.Text(" · ")
            link = addnodes.download_reference(
                "", "", reftarget=target, refdoc=self.env.docname, refexplicit=True
            )
            link += nodes.literal(title, title, classes=["xref", "download"])
            paragraph += link
        return paragraph

    def parse_rst(self, text: str) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(text.splitlines()), self.content_offset, container)
        return list(container.children)


def always_reread(
    app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read the gallery pages again on every build: the output depends on all of kpmodel."""
    return [doc for doc in env.found_docs if doc.startswith("gallery/")]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("kpmodel-example", ExampleDirective)
    app.connect("builder-inited", run_all)
    app.connect("env-get-outdated", always_reread)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
