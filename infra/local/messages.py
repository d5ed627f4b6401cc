"""What the local gateway and its local routes exchange: requests, responses, the error shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

Headers = list[tuple[str, str]]


@dataclass
class HttpResponse:
    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def json_response(status: int, body: Any, headers: Headers | None = None) -> HttpResponse:
    data = json.dumps(body, ensure_ascii=False).encode()
    return HttpResponse(status, [("Content-Type", "application/json"), *(headers or [])], data)


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Headers | None = None,
) -> HttpResponse:
    """An error in the contract's shape, for what the gateway itself refuses."""
    return json_response(
        status, {"error": {"code": code, "message": message, "details": details or {}}}, headers
    )


@dataclass
class Request:
    method: str
    raw_path: str  # path and query as sent
    headers: Headers
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    @property
    def path(self) -> str:
        return urlsplit(self.raw_path).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.raw_path).query

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


class BadJson(ValueError):
    pass


def json_body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadJson from None


def bad_json() -> HttpResponse:
    return error_response(400, "VALIDATION_ERROR", "body is not valid JSON", {"body": "not valid JSON"})
