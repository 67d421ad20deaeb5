"""The architecture holds: one-way layers, and no part reaching into another's privates.

`lint-imports` (run by `make test`, configured in pyproject.toml) enforces the layers and that
private modules are imported only inside their package. These tests add what it cannot see:
private *names* imported from another package, private attributes that one package defines
and another uses, the shared base importing nothing above it, and a layers list that names
every part, so that a new package cannot slip past the contract.
"""

import ast
import re
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "kpmodel"


def _part(path: Path) -> str:
    """Return the part a source file belongs to: its package, or its root module."""
    relative = path.relative_to(SOURCE).parts
    return relative[0] if len(relative) > 1 else relative[0].removesuffix(".py")


def _base(part: str) -> bool:
    """Tell whether a part is the shared base: a root private module such as `_dates`."""
    return part.startswith("_") and not part.startswith("__")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


FILES = sorted(SOURCE.rglob("*.py"))
TREES: dict[Path, ast.AST] = {path: ast.parse(path.read_text(encoding="utf-8")) for path in FILES}


def _imports(tree: ast.AST) -> list[tuple[int, list[str], list[str]]]:
    """Return (line, module parts, imported names) of every kpmodel import in `tree`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "kpmodel":
                found.append((node.lineno, parts, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "kpmodel":
                    found.append((node.lineno, parts, []))
    return found


def _defined_privates(trees: dict[Path, ast.AST]) -> dict[str, set[str]]:
    """Return, per part, the private names it defines: functions, methods, attributes."""
    defined: dict[str, set[str]] = defaultdict(set)
    for path, tree in trees.items():
        part = _part(path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = node.name
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                name = node.attr
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                name = node.id
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name = node.target.id
            else:
                continue
            if _private(name):
                defined[part].add(name)
    return defined


def private_imports(trees: dict[Path, ast.AST]) -> list[str]:
    """Return the imports of another part's private modules or names, one line each."""
    offences = []
    for path, tree in trees.items():
        part = _part(path)
        for line, parts, names in _imports(tree):
            target = parts[1] if len(parts) > 1 else None
            if target is None or target == part or _base(target):
                continue
            private = [p for p in parts[1:] if _private(p)] + [n for n in names if _private(n)]
            if private:
                offences.append(f"{path.relative_to(SOURCE)}:{line}: {'.'.join(parts)} {private}")
    return offences


def private_attributes(trees: dict[Path, ast.AST]) -> list[str]:
    """Return the uses of private attributes that only another part defines, one line each."""
    defined = _defined_privates(trees)
    offences = []
    for path, tree in trees.items():
        part = _part(path)
        others = set().union(*(names for owner, names in defined.items() if owner != part))
        own = defined[part]
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if node.attr in others and node.attr not in own:
                offences.append(f"{path.relative_to(SOURCE)}:{node.lineno}: .{node.attr}")
    return offences


def test_no_part_imports_another_parts_private_names():
    """`from kpmodel.x import _name` and `kpmodel.x._module` are for x's own modules."""
    assert private_imports(TREES) == []


def test_no_part_uses_private_attributes_another_part_defines():
    """`graph._column(...)` belongs to provenance; other parts use its public functions."""
    assert private_attributes(TREES) == []


def test_the_scans_see_what_they_look_for():
    """On a made-up package reaching into provenance, both scans report it."""
    made_up = {
        SOURCE / "provenance" / "_graph.py": ast.parse(
            "class G:\n    def _column(self):\n        return self._lots\n"
        ),
        SOURCE / "definitions" / "_lots.py": ast.parse(
            "from kpmodel.provenance._shares import propagate\n"
            "from kpmodel.certificates import _iso_codes\n"
            "from kpmodel._dates import parse_date\n"
            "def f(graph):\n    return graph._column('carats')\n"
        ),
    }
    assert private_imports(made_up) == [
        "definitions/_lots.py:1: kpmodel.provenance._shares ['_shares']",
        "definitions/_lots.py:2: kpmodel.certificates ['_iso_codes']",
    ]
    assert private_attributes(made_up) == ["definitions/_lots.py:5: ._column"]


def test_the_shared_base_imports_only_errors_and_the_base():
    """Root private modules (`kpmodel._dates`, ...) sit below every part: they import none."""
    offences = []
    for path, tree in TREES.items():
        part = _part(path)
        if not _base(part):
            continue
        for line, parts, names in _imports(tree):
            targets = [parts[1]] if len(parts) > 1 else names
            for target in targets:
                if target != "errors" and not _base(target):
                    offences.append(f"{path.relative_to(ROOT)}:{line}: imports kpmodel.{target}")
    assert not offences, "\n".join(offences)


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return list(contract["layers"])


def test_the_layers_name_every_part():
    """Every package and public root module is in a layer, so none escapes the contract."""
    named = set(re.findall(r"kpmodel\.(\w+)", " ".join(_layers())))
    parts = {
        _part(path) for path in FILES if path.parent != SOURCE or not path.name.startswith("_")
    }
    assert parts - named == set()


def test_the_architecture_page_shows_the_layers():
    """docs/explanation/architecture.md lists the same layers, top to bottom."""
    page = (ROOT / "docs" / "explanation" / "architecture.md").read_text(encoding="utf-8")
    positions = []
    for layer in _layers():
        module = re.search(r"kpmodel\.\w+", layer)
        assert module is not None
        found = page.find(f"`{module.group(0)}`")
        assert found >= 0, f"{module.group(0)} is not on the architecture page"
        positions.append(found)
    assert positions == sorted(positions), "the page lists the layers in another order"
