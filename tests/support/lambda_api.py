"""Drive the real `lambda_handler`s in process with the REST proxy events the local gateway builds
(infra/local/gateway.py: its router and its event builder, as API Gateway routes and sends)."""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

from furusato import topology
from infra.local.context import LambdaContext
from infra.local.gateway import Router, build_event, topology_targets
from infra.local.messages import Request
from tests.support import leading_keys

ROOT = Path(__file__).resolve().parents[2]
_modules: dict[str, ModuleType] = {}


def handler_module(function: str) -> ModuleType:
    if function not in _modules:
        path = ROOT / "functions" / function / "handler.py"
        spec = importlib.util.spec_from_file_location(f"furusato_fn_{function}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _modules[function] = module
    return _modules[function]


ROUTER = Router(topology_targets())


def match_route(method: str, path: str) -> tuple[topology.Function, topology.Route, dict[str, str]]:
    """The function and route the local gateway (and API Gateway) picks: literal segments win."""
    found = ROUTER.resolve(path)
    target = found[0].methods.get(method) if found else None
    if found is None or target is None or target.function is None:
        raise LookupError(f"no route for {method} {path}")
    return target.function, target.route, found[1]


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and "error" in self.body:
            return str(self.body["error"]["code"])
        return None


def registrant_claims(sub: str) -> dict[str, str]:
    return {"sub": sub, "token_use": "id"}


def staff_claims(
    sub: str, lg_code: str, staff_role: str = "admin", org_id: str | None = None
) -> dict[str, str]:
    claims = {"sub": sub, "token_use": "id", "custom:lg_code": lg_code, "custom:staff_role": staff_role}
    if org_id:
        claims["custom:org_id"] = org_id
    return claims


def operator_claims(sub: str = "operator-1") -> dict[str, str]:
    return {"sub": sub, "token_use": "id", "cognito:groups": "operator"}


def call(
    method: str,
    path: str,
    body: Any = None,
    *,
    claims: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
    context: Any = None,
) -> Reply:
    fn, route, params = match_route(method, path)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if raw_body is not None:
        data = raw_body.encode()
    else:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    # As a client would send them: percent-encoded bytes (a lone surrogate as its raw bytes).
    raw_path = f"{path}?{urlencode(query, errors='surrogatepass')}" if query else path
    request = Request(method, raw_path, list(sent.items()), data)
    event = build_event(request, route, params, claims)
    invoke = handler_module(fn.name).lambda_handler
    if fn.main_key_prefixes:
        # IAM's LeadingKeys condition, which moto does not apply (tests/support/leading_keys.py).
        with leading_keys.enforced(fn.main_key_prefixes, os.environ[topology.MAIN_TABLE.env_var]):
            result = invoke(event, context or LambdaContext.of(fn))
    else:
        result = invoke(event, context or LambdaContext.of(fn))
    headers_out = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers_out[name] = values[-1]
    text = result.get("body") or ""
    is_json = headers_out.get("Content-Type", "").startswith("application/json")
    return Reply(result["statusCode"], json.loads(text) if text and is_json else text, headers_out)
