"""Every request and response over HTTP, checked against the committed OpenAPI document.

A response the document does not describe (an undeclared status, a body off its schema, an error
code the operation does not list) fails, and so does a request the document refuses that the API
accepted: a drift in either direction fails the test that made the call.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from scripts.openapi import OUTPUT

# Served by the local stack or the site, outside the API contract.
UNDOCUMENTED_PREFIXES = ("/local/", "/checkin")


@cache
def document() -> dict[str, Any]:
    return dict(json.loads(OUTPUT.read_text(encoding="utf-8")))


@cache
def openapi() -> OpenAPI:
    # The document's own validity is a unit test (tests/unit/test_openapi.py): not again here.
    return OpenAPI.from_dict(document(), config=Config(spec_validator_cls=None))


def _operation(request: RequestsOpenAPIRequest) -> dict[str, Any] | None:
    for template, methods in document()["paths"].items():
        parts, wanted = template.strip("/").split("/"), request.path.strip("/").split("/")
        if len(parts) == len(wanted) and all(
            p.startswith("{") or p == w for p, w in zip(parts, wanted, strict=True)
        ):
            found = methods.get(request.method)
            if found is not None:
                return dict(found)
    return None


def check(response: requests.Response) -> None:
    """Raise AssertionError when the exchange and the document disagree."""
    request = RequestsOpenAPIRequest(response.request)
    path = request.path
    if path.startswith(UNDOCUMENTED_PREFIXES):
        return
    where = f"{request.method.upper()} {path} -> {response.status_code}"
    operation = _operation(request)
    if operation is None:
        # No such operation: only the gateway's own refusal may answer.
        assert response.status_code in (403, 404, 405), f"{where}: undocumented route answered"
        return
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{where}: status not declared ({sorted(operation['responses'])})"
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    if response.content and media != "application/json":
        # A file (poster, spreadsheet): its type must be declared; its bytes are not JSON.
        assert media in declared.get("content", {}), f"{where}: {media} not declared"
        return
    request_errors = list(openapi().iter_request_errors(request))
    if request_errors and response.status_code < 400:
        raise AssertionError(f"{where}: the document refuses this request: {request_errors[0]}")
    errors = list(openapi().iter_response_errors(request, RequestsOpenAPIResponse(response)))
    if errors:
        detail = getattr(errors[0], "__cause__", None) or errors[0]
        raise AssertionError(f"{where}: response off the document: {errors[0]} ({detail})")
    if response.status_code >= 400:
        codes = declared.get("x-error-codes", [])
        code = response.json()["error"]["code"]
        assert code in codes, f"{where}: error code {code} is not declared (declared: {codes})"
