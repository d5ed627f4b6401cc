"""Drive the real `lambda_handler`s with API Gateway REST proxy events built from events/."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from furusato import topology
from tests.support import leading_keys

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = json.loads((ROOT / "events" / "apigw_rest_request.json").read_text())
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


def match_route(method: str, path: str) -> tuple[topology.Function, topology.Route, dict[str, str]]:
    for fn, route in topology.all_routes():
        if route.method != method:
            continue
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path) + "$"
        found = re.match(pattern, path)
        if found:
            return fn, route, found.groupdict()
    raise LookupError(f"no route for {method} {path}")


class LambdaContext:
    function_name = "furusato-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-northeast-1:123456789012:function:furusato-test"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


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
    event = copy.deepcopy(TEMPLATE)
    event["resource"] = route.path
    event["path"] = path
    event["httpMethod"] = method
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    event["headers"] = all_headers
    event["multiValueHeaders"] = {k: [v] for k, v in all_headers.items()}
    event["queryStringParameters"] = query or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    event["pathParameters"] = params or None
    event["requestContext"]["resourcePath"] = route.path
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    if claims is None:
        event["requestContext"].pop("authorizer", None)
    else:
        event["requestContext"]["authorizer"] = {"claims": claims}
    if raw_body is not None:
        event["body"] = raw_body
    else:
        event["body"] = None if body is None else json.dumps(body, ensure_ascii=False)
    invoke = handler_module(fn.name).lambda_handler
    if fn.main_key_prefixes:
        # IAM's LeadingKeys condition, which moto does not apply (tests/support/leading_keys.py).
        with leading_keys.enforced(fn.main_key_prefixes, os.environ[topology.MAIN_TABLE.env_var]):
            result = invoke(event, context or LambdaContext())
    else:
        result = invoke(event, context or LambdaContext())
    headers_out = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers_out[name] = values[-1]
    text = result.get("body") or ""
    is_json = headers_out.get("Content-Type", "").startswith("application/json")
    return Reply(result["statusCode"], json.loads(text) if text and is_json else text, headers_out)
