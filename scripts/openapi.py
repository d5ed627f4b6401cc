"""Generate the OpenAPI document of the whole API from the handlers' own models.

Each function's Powertools resolver describes its routes (enable_validation=True); this merges
them, adds the contract's error shape and each route's security from the topology.

    python scripts/openapi.py --write   # regenerate docs/openapi.json
    python scripts/openapi.py --check   # exit 1 when the committed document drifted
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from furusato import topology  # noqa: E402
from furusato.api.endpoint import EndpointDoc  # noqa: E402
from furusato.api.schema import Obj  # noqa: E402
from tests.support.lambda_api import handler_module  # noqa: E402

OUTPUT = ROOT / "docs" / "openapi.json"
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "VALIDATION_ERROR"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}
ERRORS = {
    "400": "VALIDATION_ERROR (details name each bad field) or a rule's code",
    "401": "UNAUTHENTICATED",
    "403": "FORBIDDEN",
    "404": "NOT_FOUND",
    "409": "A conflict; the code says which rule",
    "413": "PAYLOAD_TOO_LARGE",
    "429": "RATE_LIMITED",
    "503": "UNAVAILABLE (see Retry-After)",
}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "registrant": [{"registrantPool": []}],
    "staff": [{"staffPool": []}],
    "operator": [{"staffPool": []}],
}


def _responses(doc: EndpointDoc, auth: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, shape in sorted(doc.responses.items()):
        entry: dict[str, Any] = {"description": "OK" if status < 300 else ""}
        if status == 204:
            entry["description"] = "No content"
        elif doc.media and shape is None:
            entry["content"] = {doc.media: {"schema": {"type": "string", "format": "binary"}}}
        elif shape is not None:
            entry["content"] = {"application/json": {"schema": shape.json_schema()}}
        out[str(status)] = entry
    for code, description in ERRORS.items():
        if code == "401" and auth == "public":
            continue
        out.setdefault(
            code,
            {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
    return out


def _operation(
    fn: topology.Function, route: topology.Route, doc: EndpointDoc
) -> tuple[dict[str, Any], list[Obj]]:
    shapes: list[Obj] = []
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{(\w+)\}", route.path)
    ]
    if doc.query is not None:
        parameters += [
            {"name": name, "in": "query", "required": field.required, "schema": field.json_schema()}
            for name, field in doc.query.fields.items()
        ]
    if doc.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 128},
            }
        )
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "operationId": f"{route.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', route.path.lower()).strip('_')}",
        "tags": [fn.name],
        "x-function": fn.name,
        "security": SECURITY.get(route.auth, []),
    }
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": doc.body.json_schema()}},
        }
        shapes.append(doc.body)
    operation["responses"] = _responses(doc, route.auth)
    shapes += [shape for shape in doc.responses.values() if shape is not None]
    return operation, shapes


def build() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for fn in topology.FUNCTIONS:
        if not fn.routes:
            continue
        app = handler_module(fn.name).app
        docs = {
            (r.method, r.openapi_path): r.func.__furusato_doc__
            for r in app._static_routes + app._dynamic_routes
        }
        for route in fn.routes:
            operation, shapes = _operation(fn, route, docs[(route.method, route.path)])
            paths.setdefault(route.path, {})[route.method.lower()] = operation
            for shape in shapes:
                for obj in shape.nested():
                    schemas[obj.name] = obj.component()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "furusato: Furusato Resident Registration API",
            "version": "1",
            "description": "The contract of docs/api.md, generated from the handlers' declared shapes.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "registrantPool": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT (registrant pool)",
                },
                "staffPool": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (staff pool)"},
            },
        },
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = render()
    if args.write:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
        return 0
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print("docs/openapi.json is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
