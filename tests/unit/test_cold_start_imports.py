"""What a function's cold start (importing its handler) loads, pinned.

Route modules import their capability inside the route, so a cold start loads only what its
own request needs; what every request of an API function needs (the table's models) loads with
the handler, so that the cold start benchmark (bench/coldstart.py) counts it. The lists below
are the capabilities each function's cold start may load: a module-level import that drags
another function's or another route's capability back into a cold start fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Capability modules a function's handler import may load (every route of the function uses them).
ALLOWED_CAPABILITIES: dict[str, set[str]] = {
    "registration": set(),
    "checkin": set(),
    "content": set(),
    "admin": set(),
    "support": {"support", "deleted_accounts"},
    "imports": {"imports", "imports.jobs"},  # not the run, the trigger or backfill: S3 events only
    "sweeps": {"sweeps", "premium"},
    "streams": set(),
}
API_FUNCTIONS = ("registration", "checkin", "content", "admin", "support", "imports")

# Domain modules that only some requests of a function need (they load inside those routes).
NOT_AT_COLD_START: dict[str, set[str]] = {
    # The scan's domain: the shapes list the participation statuses from domain/checkin_status.py.
    "checkin": {"furusato.domain.checkin", "furusato.domain.tokens", "furusato.domain.registration"},
}


def cold_start_modules(function: str) -> list[str]:
    handler = str(ROOT / "functions" / function / "handler.py")
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('handler', {handler!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(json.dumps([m for m in sys.modules if m.startswith('furusato')]))\n"
    )
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'layers/core/python'}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("function", sorted(ALLOWED_CAPABILITIES))
def test_a_cold_start_loads_only_the_capabilities_every_request_of_the_function_needs(function: str) -> None:
    loaded = cold_start_modules(function)
    prefix = "furusato.capabilities."
    capabilities = {m.removeprefix(prefix) for m in loaded if m.startswith(prefix)}
    allowed = ALLOWED_CAPABILITIES[function]
    assert capabilities <= allowed, sorted(capabilities - allowed)
    if function in API_FUNCTIONS:
        assert "furusato.store.models" in loaded  # loaded with the handler, not deferred to the first request


@pytest.mark.parametrize("function", sorted(NOT_AT_COLD_START))
def test_a_cold_start_does_not_load_the_domain_of_some_requests_only(function: str) -> None:
    loaded = set(cold_start_modules(function))
    assert not loaded & NOT_AT_COLD_START[function], sorted(loaded & NOT_AT_COLD_START[function])


# What may load before the table's models: the resolver's own modules (furusato.api.*), the
# settings they read, and the packages around them.
BEFORE_MODELS = {
    "furusato",
    "furusato.clock",
    "furusato.domain",
    "furusato.domain.errors",
    "furusato.settings",
    "furusato.store",
    "furusato.topology",
}


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_an_api_cold_start_loads_the_models_before_the_function_s_own_modules(function: str) -> None:
    """The order matters, not only the set: the imports function loading its routes' modules
    before botocore and urllib3 left CPython's allocator mapping and unmapping an arena ~5,800
    times while urllib3 compiled its URL patterns (12,700 page faults instead of 6,800, about
    +15% of its cold start). With the models first, every API function loads the framework as
    the benchmark's baseline does, and its own modules after."""
    loaded = cold_start_modules(function)  # in the order they were imported
    before = loaded[: loaded.index("furusato.store.models")]
    early = [m for m in before if m not in BEFORE_MODELS and not m.startswith("furusato.api")]
    assert not early, early
