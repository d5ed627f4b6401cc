"""Routes parse, call a capability and return: the store and the idempotency mechanics stay
out of them (api/endpoint.py wraps idempotent calls). Response views are built in views/ only."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
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


FURUSATO = ROUTES.parent
VIEWS = FURUSATO / "views"
# A response view is built in views/<aggregate>.py. Outside it, a function named like a view
# (`view`, `*_view`, `*_views`) or a method `*_dict` other than the storage forms (`to_dict`,
# `from_dict`, `as_dict`) is a view built in the wrong place.
VIEW_NAME = re.compile(r"_?(view|\w+_views?)|\w+_dict")
STORAGE_FORMS = {"to_dict", "from_dict", "as_dict"}


def _functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


@pytest.mark.parametrize(
    "path",
    sorted(p for p in FURUSATO.rglob("*.py") if VIEWS not in p.parents),
    ids=lambda p: str(p.relative_to(FURUSATO)),
)
def test_no_response_view_is_built_outside_views(path: Path) -> None:
    misplaced = [name for name in _functions(path) if VIEW_NAME.fullmatch(name) and name not in STORAGE_FORMS]
    assert not misplaced, f"move {misplaced} into furusato/views/"


@pytest.mark.parametrize("path", sorted(VIEWS.glob("*.py")), ids=lambda p: p.name)
def test_a_view_reads_records_and_makes_no_storage_call(path: Path) -> None:
    """Views import record types from the store, never a store module: links that need signing
    (S3) are signed by the capability and passed in."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            assert not [a.name for a in node.names if a.name.startswith("furusato.store")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("furusato.store"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                record = getattr(module, alias.name)
                assert inspect.isclass(record), f"{node.module}.{alias.name} is not a record type"
