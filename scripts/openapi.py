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
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from furusato import topology  # noqa: E402
from furusato.api.endpoint import EndpointDoc  # noqa: E402
from furusato.api.errors import STATUS_OF  # noqa: E402
from furusato.api.schema import Bool, Date, Field, FreeMap, Instant, Int, List, Number, Obj, Str  # noqa: E402
from furusato.domain.ids import PATH_PATTERNS  # noqa: E402
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
STATUS_TEXT = {
    400: "The request is invalid",
    401: "No valid token",
    403: "The token may not do this",
    404: "Not found",
    409: "A rule refuses the request in its current state",
    413: "The body is too large",
    429: "Too many attempts (see Retry-After)",
    503: "Storage is unavailable (see Retry-After)",
}
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "registrant": [{"registrantPool": []}],
    "staff": [{"staffPool": []}],
    "operator": [{"staffPool": []}],
}


# Deterministic examples, derived from the shapes (each one validates against its schema).
EXAMPLE_DATE = date(2026, 5, 10)
EXAMPLE_INSTANT = datetime.fromisoformat("2026-05-10T09:00:00+09:00")
EXAMPLE_TEXTS = {PATH_PATTERNS["lg_code"]: "131016"}  # 千代田区: a real code with its check digit


def sample(pattern: str) -> str:
    """The first string the regular expression matches (first choice, fewest repeats >= 1)."""
    from re import _parser as sre_parse  # type: ignore[attr-defined]

    def walk(items: Any) -> str:
        out = []
        for op, arg in items:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name == "NOT_LITERAL":
                out.append("a" if chr(arg) != "a" else "b")
            elif name == "IN":
                out.append(first_in(arg))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, _high, inner = arg
                out.append(walk(inner) * max(low, 1))
            elif name == "SUBPATTERN":
                out.append(walk(arg[-1]))
            elif name == "BRANCH":
                out.append(walk(arg[1][0]))
            elif name == "ANY":
                out.append("a")
            elif name == "CATEGORY":
                out.append(category(str(arg)))
            else:
                raise ValueError(f"no example for {name} in {pattern}")
        return "".join(out)

    def category(name: str) -> str:
        return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a"}.get(name, "a")

    def first_in(items: Any) -> str:
        if items and str(items[0][0]) == "NEGATE":
            banned = {chr(a) for op, a in items[1:] if str(op) == "LITERAL"}
            return next(c for c in "abcxyz" if c not in banned)
        op, arg = items[0]
        if str(op) == "LITERAL":
            return chr(arg)
        if str(op) == "RANGE":
            return chr(arg[0])
        return category(str(arg))

    return EXAMPLE_TEXTS.get(pattern) or walk(sre_parse.parse(pattern))


def example(field: Field) -> Any:
    if isinstance(field, Obj):
        return {name: example(inner) for name, inner in field.fields.items()}
    if isinstance(field, List):
        return [example(field.item)] * max(field.min_items, 1)
    if isinstance(field, Str):
        if field.choices:
            return field.choices[0]
        if field.pattern is not None:
            return sample(field.pattern.pattern)
        return "テキスト".ljust(max(field.min_length, 1), "テ")[: field.max_length]
    if isinstance(field, Int):
        return field.ge if field.ge is not None else 1
    if isinstance(field, Number):
        return 1.5
    if isinstance(field, Bool):
        return True
    if isinstance(field, Date):
        return EXAMPLE_DATE.isoformat()
    if isinstance(field, Instant):
        return EXAMPLE_INSTANT.isoformat()
    if isinstance(field, FreeMap):
        return {}
    return None


def error_codes(route: topology.Route, doc: EndpointDoc) -> list[str]:
    """The codes a route can answer: those every route of its kind can, then its own rules."""
    codes = ["VALIDATION_ERROR"]  # unknown query parameters or an unexpected body, at least
    if route.auth != "public":
        codes += ["UNAUTHENTICATED", "FORBIDDEN"]
    if "{" in route.path:
        codes.append("NOT_FOUND")
    if doc.body is not None:
        codes.append("PAYLOAD_TOO_LARGE")
    if doc.replays:
        codes.append("IDEMPOTENCY_KEY_REUSED")
    if route.path != "/health":
        codes.append("UNAVAILABLE")
    return codes + [code for code in doc.errors if code not in codes]


def _responses(route: topology.Route, doc: EndpointDoc) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, shape in sorted(doc.responses.items()):
        entry: dict[str, Any] = {"description": "OK"}
        if status == 204:
            entry["description"] = "No content"
        elif status == 201:
            entry["description"] = "Created"
        elif status == 202:
            entry["description"] = "Accepted"
        content: dict[str, Any] = {}
        if shape is not None:
            content["application/json"] = {"schema": shape.json_schema(), "example": example(shape)}
        if status != 204:
            for media in doc.media:
                content[media] = {"schema": {"type": "string", "format": "binary"}}
        if content:
            entry["content"] = content
        out[str(status)] = entry
    by_status: dict[int, list[str]] = {}
    for code in error_codes(route, doc):
        by_status.setdefault(STATUS_OF[code], []).append(code)
    for status, codes in sorted(by_status.items()):
        first = codes[0]
        out[str(status)] = {
            "description": f"{STATUS_TEXT[status]}: {', '.join(codes)}",
            "x-error-codes": codes,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"},
                    "example": {
                        "error": {"code": first, "message": first.lower().replace("_", " "), "details": {}}
                    },
                }
            },
        }
    return out


AUDIENCE = {
    "public": "No token is needed.",
    "registrant": "Needs a registrant's ID token.",
    "staff": "Needs the ID token of staff of the local government in the path.",
    "operator": "Needs an operator's ID token.",
}


def answers(shape: Obj | None, media: tuple[str, ...]) -> list[str]:
    return ([shape.name] if shape is not None else []) + list(media)


def _description(route: topology.Route, doc: EndpointDoc) -> str:
    answer = ", ".join(
        f"{status} with {' or '.join(answers(shape, doc.media)) or 'no body'}"
        for status, shape in sorted(doc.responses.items())
    )
    text = f"{doc.summary}. {AUDIENCE[route.auth]} Answers {answer}"
    if doc.replays:
        text += "; a retry with the same Idempotency-Key answers the first outcome"
    elif doc.idempotent:
        text += "; a retry answers the first record by itself (an Idempotency-Key is only checked)"
    return text + "."


def _operation(
    fn: topology.Function, route: topology.Route, doc: EndpointDoc
) -> tuple[dict[str, Any], list[Obj]]:
    shapes: list[Obj] = []
    parameters: list[dict[str, Any]] = []
    for name in re.findall(r"\{(\w+)\}", route.path):
        schema: dict[str, Any] = {"type": "string", "maxLength": 128}
        if name in PATH_PATTERNS:
            schema = {"type": "string", "pattern": f"^{PATH_PATTERNS[name]}$"}
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema, "example": sample_path(name)}
        )
    if doc.query is not None:
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": field.required,
                "schema": field.json_schema(),
                "example": example(field),
            }
            for name, field in doc.query.fields.items()
        ]
    if doc.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "the same key with the same request answers the first response; "
                "with another request, 409 IDEMPOTENCY_KEY_REUSED"
                if doc.replays
                else "checked (1-128 characters); a retry is harmless without it",
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                "example": "9f2c1d4e-retry-safe",
            }
        )
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "description": _description(route, doc),
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
            "content": {"application/json": {"schema": doc.body.json_schema(), "example": example(doc.body)}},
        }
        shapes.append(doc.body)
    operation["responses"] = _responses(route, doc)
    shapes += [shape for shape in doc.responses.values() if shape is not None]
    return operation, shapes


def sample_path(name: str) -> str:
    return sample(PATH_PATTERNS[name]) if name in PATH_PATTERNS else f"{name.removesuffix('_id')}_1"


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
        "openapi": "3.1.0",
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
