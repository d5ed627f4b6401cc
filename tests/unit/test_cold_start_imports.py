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


def cold_start_modules(function: str) -> list[str]:
    handler = str(ROOT / "functions" / function / "handler.py")
    code = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('handler', {handler!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('furusato'))))\n"
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
