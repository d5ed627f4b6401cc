"""The committed OpenAPI document is the one the handlers generate: a drift fails here."""

import json
from pathlib import Path

from furusato import topology
from scripts.openapi import OUTPUT, render


def test_committed_openapi_matches_the_code() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == render(), "run `make openapi` and commit docs/openapi.json"


def test_every_declared_route_is_documented_with_its_security() -> None:
    spec = json.loads(Path(OUTPUT).read_text(encoding="utf-8"))
    for _, route in topology.all_routes():
        operation = spec["paths"][route.path][route.method.lower()]
        if route.auth == "public":
            assert operation["security"] == []
        else:
            assert operation["security"], route
            assert "401" in operation["responses"]
