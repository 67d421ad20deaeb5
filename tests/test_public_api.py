"""The public surface is curated: every package has a sorted `__all__` of real names."""

import importlib
import pkgutil

import pytest

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
