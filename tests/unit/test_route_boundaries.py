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


CAPABILITIES = FURUSATO / "capabilities"
DOMAIN = FURUSATO / "domain"


def _dicts_bound(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names the function binds to a dict it spells out (a display or a comprehension)."""
    names: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict | ast.DictComp):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.value, ast.Dict | ast.DictComp)
            and isinstance(node.target, ast.Name)
        ):
            names.add(node.target.id)
    return names


def _spelled(value: ast.expr, bound: set[str]) -> bool:
    """A returned dict spelled out here: a non-empty display, a comprehension, one inside a
    returned tuple (status, body), or a name bound to one."""
    if isinstance(value, ast.Dict):
        return bool(value.keys)
    if isinstance(value, ast.DictComp):
        return True
    if isinstance(value, ast.Tuple):
        return any(_spelled(e, bound) for e in value.elts)
    return isinstance(value, ast.Name) and value.id in bound


def _returns(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    return [node.value for node in ast.walk(fn) if isinstance(node, ast.Return) and node.value is not None]


def spelled_answers(source: str) -> list[str]:
    """The functions of a capability module that return a JSON answer (`dict[str, Any]`, alone or
    in a tuple) spelled out in the module instead of built by a view: the public ones, and the
    private helpers whose result they return (`return _write(...)`), at any depth."""
    functions = {
        node.name: node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    answering = [
        name
        for name, fn in functions.items()
        if not name.startswith("_") and fn.returns is not None and "dict[str, Any]" in ast.unparse(fn.returns)
    ]
    reached = set(answering)
    while answering:
        for value in _returns(functions[answering.pop()]):
            for call in ast.walk(value):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                    name = call.func.id
                    if name.startswith("_") and name in functions and name not in reached:
                        reached.add(name)
                        answering.append(name)
    return sorted(
        name
        for name in reached
        if any(_spelled(value, _dicts_bound(functions[name])) for value in _returns(functions[name]))
    )


@pytest.mark.parametrize(
    "path", sorted(CAPABILITIES.rglob("*.py")), ids=lambda p: str(p.relative_to(CAPABILITIES))
)
def test_a_capability_answers_with_views_only(path: Path) -> None:
    """A capability returns what views/ built from its results, never a dict it spells out."""
    assert spelled_answers(path.read_text(encoding="utf-8")) == []


def test_the_answer_check_finds_a_spelled_answer_however_it_is_returned() -> None:
    source = """
def staff_check_in(actor) -> tuple[int, dict[str, Any]]:
    status, body = _write(actor)
    return status, {"status": body["status"]}

def check_in(sub) -> tuple[int, dict[str, Any]]:
    return _write(sub)

def _write(sub):
    body = {"status": "recorded"}
    return 201, body

def run(request) -> dict[str, Any]:
    if request.resume:
        return {"status": "nothing_to_resume"}
    return _drive(request)

def _drive(request):
    return _summary(request)

def _summary(request):
    return {k: request[k] for k in ("sweep", "status")}

def _first_position(day) -> dict[str, Any]:
    return {"day": day}  # not an answer: no answering function returns it

def readers(record) -> dict[str, Reader]:
    return {code: reader(r) for code, r in record.items()}  # not JSON

def create(owner) -> dict[str, Any]:
    return upload_view(*start(owner))
"""
    assert spelled_answers(source) == ["_summary", "_write", "run", "staff_check_in"]


def _calls(path: Path, method: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method
    ]


@pytest.mark.parametrize(
    "path",
    sorted([*VIEWS.glob("*.py"), *CAPABILITIES.rglob("*.py")]),
    ids=lambda p: str(p.relative_to(FURUSATO)),
)
def test_no_answer_is_a_storage_form(path: Path) -> None:
    """Views spell out the contract's shapes: a storage form (`to_dict`, `from_dict`) changes
    with the table, the answer must not change with it."""
    assert _calls(path, "to_dict") == [] and _calls(path, "from_dict") == []


# The payload of the next invocation of a sweep (an event this code sends itself, not an answer).
SENT_EVENTS = {("sweeps.py", "SweepRequest", "payload")}


def test_the_domain_spells_out_no_dict_of_its_records() -> None:
    """A record's storage form is written by the store that keeps it, and its answers by views/:
    a domain class has no `to_dict`, `report` or the like."""
    found = []
    for path in sorted(DOMAIN.rglob("*.py")):
        for cls in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(cls, ast.ClassDef):
                continue
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and (path.name, cls.name, fn.name) not in SENT_EVENTS:
                    bound = _dicts_bound(fn)
                    if any(_spelled(value, bound) for value in _returns(fn)):
                        found.append(f"{path.name}: {cls.name}.{fn.name}")
    assert found == []
