"""The e2e exchange check (tests/support/contract.py) catches a drift in either direction."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.support import contract

BASE = "http://127.0.0.1:9"


def exchange(
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    request_json: Any = None,
    media: str = "application/json",
) -> requests.Response:
    prepared = requests.Request(
        method, BASE + path, json=request_json, headers={"Authorization": "Bearer x"}
    ).prepare()
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers["Content-Type"] = media
    response.request = prepared
    response.url = prepared.url or ""
    return response


def error(code: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": "m", "details": {}}}


def test_a_documented_exchange_passes() -> None:
    contract.check(exchange("GET", "/health", 200, {"status": "ok"}))
    contract.check(
        exchange(
            "PUT",
            "/v1/me/registrations/131016",
            409,
            error("NOT_ENOUGH_ACTIVITIES"),
            request_json={"plan": "premium"},
        )
    )


def test_an_error_code_the_route_does_not_declare_fails() -> None:
    with pytest.raises(AssertionError, match="not declared"):
        contract.check(exchange("GET", "/v1/me", 409, error("NOT_ENOUGH_ACTIVITIES")))


def test_a_status_the_route_does_not_declare_fails() -> None:
    with pytest.raises(AssertionError, match="status not declared"):
        contract.check(exchange("GET", "/health", 418, error("VALIDATION_ERROR")))


def test_a_body_off_its_schema_fails() -> None:
    with pytest.raises(AssertionError, match="off the document"):
        contract.check(exchange("GET", "/v1/me", 200, {"profile": None, "unexpected": 1}))


def test_an_accepted_request_the_document_refuses_fails() -> None:
    with pytest.raises(AssertionError, match="refuses this request"):
        contract.check(exchange("GET", "/v1/local-governments/12345", 200, {}))


def test_an_undocumented_route_may_only_be_refused() -> None:
    contract.check(exchange("GET", "/v1/nowhere", 404, error("NOT_FOUND")))
    with pytest.raises(AssertionError, match="undocumented route"):
        contract.check(exchange("GET", "/v1/nowhere", 200, {}))
