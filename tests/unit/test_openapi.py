"""The committed OpenAPI document is the one the handlers generate: a drift fails here."""

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from furusato import topology
from furusato.api.errors import STATUS_OF
from furusato.domain.ids import PATH_PATTERNS
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


def _validator(spec: dict, schema: dict) -> Any:
    """A JSON Schema 2020-12 validator (the dialect of OpenAPI 3.1) resolving the components."""
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:furusato:openapi", resource)
    return Draft202012Validator(
        schema,
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _resolved(schema: dict) -> dict:
    return json.loads(json.dumps(schema).replace('"#/components/', '"urn:furusato:openapi#/components/'))


def test_the_document_is_valid_openapi_3_1() -> None:
    spec = json.loads(Path(OUTPUT).read_text(encoding="utf-8"))
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert "nullable" not in json.dumps(spec), "3.1 writes null as a type, never `nullable`"


def test_every_operation_has_a_sentence_examples_and_its_own_error_codes() -> None:
    spec = json.loads(Path(OUTPUT).read_text(encoding="utf-8"))
    error_sets = set()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            assert operation["description"].endswith("."), where
            for parameter in operation.get("parameters", []):
                _validator(spec, _resolved(parameter["schema"])).validate(parameter["example"])
                if parameter["in"] == "path" and parameter["name"] in PATH_PATTERNS:
                    assert parameter["schema"]["pattern"] == f"^{PATH_PATTERNS[parameter['name']]}$"
            if "requestBody" in operation:
                content = operation["requestBody"]["content"]["application/json"]
                _validator(spec, _resolved(content["schema"])).validate(content["example"])
            codes = []
            for status, response in operation["responses"].items():
                for media in response.get("content", {}).values():
                    if "example" in media:
                        _validator(spec, _resolved(media["schema"])).validate(media["example"])
                for code in response.get("x-error-codes", []):
                    assert STATUS_OF[code] == int(status), (where, code)
                    codes.append(code)
            error_sets.add(tuple(codes))
    assert len(error_sets) > 10, "routes declare their own error codes, not one generic set"


def test_timestamps_and_dates_carry_their_formats() -> None:
    spec = json.loads(Path(OUTPUT).read_text(encoding="utf-8"))
    text = json.dumps(spec["components"]["schemas"])
    assert '"format": "date-time"' in text and '"format": "date"' in text
    profile = spec["components"]["schemas"]["Me"]["properties"]["profile"]
    assert {"type": "null"} in profile["anyOf"], "a nullable object is anyOf its $ref and null"


def test_every_prose_field_of_a_request_takes_line_feeds() -> None:
    """Markdown bodies, messages, descriptions and reasons are written in paragraphs: a request
    field of free text long enough for prose must accept line feeds (the text rule refuses other
    control characters)."""
    from furusato.api.schema import Obj, Str
    from tests.support.lambda_api import handler_module

    single_line = []
    for fn in topology.FUNCTIONS:
        if not fn.routes:
            continue
        app = handler_module(fn.name).app
        for route in app._static_routes + app._dynamic_routes:
            body = route.func.__furusato_doc__.body
            for shape in body.nested() if isinstance(body, Obj) else []:
                for name, field in shape.fields.items():
                    if isinstance(field, Str) and field.free_text and (field.max_length or 0) >= 1000:
                        if not field.multiline:
                            single_line.append(f"{shape.name}.{name}")
    assert not single_line, single_line
