"""The public surface is curated: every package has a sorted `__all__` of real names."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from packaging.version import Version

import kpmodel

PUBLIC_MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(kpmodel.__path__, prefix="kpmodel.")
    if not any(part.startswith("_") for part in name.split(".")) and not name.endswith("conftest")
)


@pytest.mark.parametrize("module_name", ["kpmodel", *PUBLIC_MODULES])
def test_all_is_sorted_and_resolves(module_name):
    """Every public module lists its names in a sorted `__all__`, and each name exists."""
    module = importlib.import_module(module_name)
    names = module.__all__
    assert list(names) == sorted(names), f"{module_name}.__all__ is not sorted"
    for name in names:
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name!r}"


@pytest.mark.parametrize("module_name", ["kpmodel", *PUBLIC_MODULES])
def test_public_names_are_documented(module_name):
    """Every public function and class has a docstring with an Examples section."""
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj) and not isinstance(obj, type(kpmodel)):
            doc = obj.__doc__ or ""
            assert "Examples" in doc, f"{module_name}.{name} has no Examples section"


def test_import_does_not_import_hypothesis():
    """`import kpmodel` never pulls in Hypothesis, an optional extra."""
    import subprocess
    import sys

    code = "import sys, kpmodel; print('hypothesis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_version_is_the_one_the_change_notes_name():
    """The package said 0.1.0 while its docstrings and docs told what changed in 0.2
    (``versionadded:: 0.2``, "What changed in 0.2"; 18-review9, 11): the version is a
    PEP 440 version, and no note names a release after the one in development."""
    root = Path(kpmodel.__file__).resolve().parents[2]
    version = Version(kpmodel.__version__)
    assert str(version) == kpmodel.__version__  # written in PEP 440's normal form
    named = {
        Version(found)
        for folder, pattern in ((root / "src", "*.py"), (root / "docs", "*.md"))
        for path in folder.rglob(pattern)
        if "_build" not in path.parts
        for found in re.findall(
            r"(?:version(?:added|changed)::|deprecated::|What changed in) (\d+\.\d+)",
            path.read_text(encoding="utf-8"),
        )
    }
    assert named, "no change notes found"
    assert max(named) <= Version(version.base_version)
