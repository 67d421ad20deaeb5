"""The code in the README and in the documentation pages runs and prints what they show.

In Markdown, a ```python block is executed; a ```pycon block is a doctest whose output must
match (ELLIPSIS and NORMALIZE_WHITESPACE on). Blocks of one page run in order, in one
namespace, in a temporary directory that links to the repository's examples/ (so the code
may read examples/data, and the files it writes land in the temporary directory).
"""

import doctest
import os
import re
import sys
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import kpmodel

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(python|pycon|toml|text)\n(.*?)^```", re.MULTILINE | re.DOTALL)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def code_blocks(path: Path, kinds: tuple[str, ...] = ("python", "pycon")) -> list[tuple[str, str]]:
    return [(k, code) for k, code in FENCE.findall(path.read_text(encoding="utf-8")) if k in kinds]


def run_blocks(path: Path, namespace: dict) -> None:
    """Execute every python block and doctest every pycon block of the page, in order."""
    for number, (kind, code) in enumerate(code_blocks(path), start=1):
        name = f"{path.relative_to(ROOT)} block {number}"
        if kind == "python":
            exec(compile(code, name, "exec"), namespace)
            continue
        test = doctest.DocTestParser().get_doctest(code, namespace, name, name, 0)
        report: list[str] = []
        runner = doctest.DocTestRunner(optionflags=FLAGS)
        runner.run(test, out=report.append, clear_globs=False)
        assert runner.failures == 0, "".join(report)
        namespace.update(test.globs)  # the doctest ran on a copy of the namespace


def pages() -> list[Path]:
    found = sorted((ROOT / "docs").glob("*/*.md"))
    return [p for p in found if "_build" not in p.parts and code_blocks(p)]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A temporary working directory where examples/ is the repository's."""
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KPMODEL_FIGURES", os.fspath(tmp_path / "figures"))
    yield tmp_path
    plt.close("all")


def test_readme_script_runs(workdir, capsys):
    """The README's first-comparison script runs and prints exactly what the README shows."""
    readme = ROOT / "README.md"
    assert [kind for kind, _ in code_blocks(readme)] == ["python"]
    run_blocks(readme, {"__name__": "__main__"})
    out = capsys.readouterr().out
    (shown,) = code_blocks(readme, ("text",))
    assert [line.rstrip() for line in out.splitlines()] == shown[1].splitlines()


def test_pages_with_code_are_found():
    """The tutorial and every how-to guide hold code that this test runs."""
    names = {p.relative_to(ROOT / "docs").as_posix() for p in pages()}
    assert "tutorial/first-comparison.md" in names
    guides = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs/how-to").glob("*.md")}
    assert guides <= names


def install_plugin(page: Path, directory: Path) -> None:
    """Install the page's definition module and entry point as pip would, in `directory`.

    The module is the page's first python block; the entry points come from its toml block.
    """
    (module_code,) = [code for _, code in code_blocks(page, ("python",))][:1]
    (toml,) = [code for _, code in code_blocks(page, ("toml",))]
    points = tomllib.loads(toml)["project"]["entry-points"]["kpmodel.definitions"]
    module = next(iter(points.values())).split(":")[0]
    (directory / f"{module}.py").write_text(module_code, encoding="utf-8")
    info = directory / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    lines = [f"{name} = {target}" for name, target in points.items()]
    (info / "entry_points.txt").write_text("[kpmodel.definitions]\n" + "\n".join(lines) + "\n")
    sys.path.insert(0, os.fspath(directory))


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT / "docs").as_posix())
def test_page_code_runs(page, workdir, monkeypatch):
    """Each page's code runs and prints what the page shows."""
    if page.name == "register-a-definition.md":
        monkeypatch.setattr(sys, "path", list(sys.path))
        monkeypatch.setattr(sys, "modules", dict(sys.modules))
        install_plugin(page, workdir)
    # As in the docstrings' doctests, `kp` is there; the README's script must import it.
    run_blocks(page, {"__name__": "__main__", "kp": kpmodel})
