"""The dependency direction of ARCHITECTURE.md, held by a test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "crisis"
DOMAIN = (
    "competences",
    "courses",
    "credentials",
    "exercises",
    "learners",
    "simulation",
    "workbench",
)
FORBIDDEN = ("crisis.store", "crisis.web", "crisis.cli")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_do_not_import_outer_layers(package: str) -> None:
    offences = [
        f"{path.relative_to(SRC)}:{line}: imports {name}"
        for path in sorted((SRC / package).rglob("*.py"))
        for line, name in _imports(path)
        if name.startswith(FORBIDDEN)
    ]
    assert offences == []


def test_store_does_not_import_web_or_cli() -> None:
    offences = [
        f"{path.relative_to(SRC)}:{line}: imports {name}"
        for path in sorted((SRC / "store").rglob("*.py"))
        for line, name in _imports(path)
        if name.startswith(("crisis.web", "crisis.cli"))
    ]
    assert offences == []


def test_every_package_declares_its_offer() -> None:
    for init in sorted(SRC.rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init.relative_to(SRC)} lacks a docstring"
