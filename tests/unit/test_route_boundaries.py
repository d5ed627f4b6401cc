"""Routes parse, call a capability and return: the store and the idempotency mechanics stay
out of them (api/endpoint.py wraps idempotent calls)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROUTES = Path(__file__).resolve().parents[2] / "layers/core/python/furusato/routes"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(ROUTES.glob("*.py")), ids=lambda p: p.name)
def test_a_route_module_reaches_no_store_and_runs_no_idempotency_itself(path: Path) -> None:
    imported = _imports(path)
    assert not [name for name in imported if name == "furusato.store" or name.startswith("furusato.store.")]
    assert "idempotency.run" not in path.read_text(encoding="utf-8")
