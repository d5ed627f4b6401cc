"""Fuzzing every write route of the local stack from the OpenAPI document: no request, however
hostile, gets a 5xx.

Requests are generated with Hypothesis from each route's request schema in docs/openapi.json,
mixed with hostile values (control characters, lone surrogates, individual numbers, blanks,
huge numbers, unknown fields, wrong types, deep nesting, bodies that are not JSON), and sent
over real HTTP as the route's own audience (so they reach validation and the handlers, not
only the gateway's 401).

`make test` sends FUZZ_EXAMPLES = 100 requests per route (2,000 in all, about 2.5 minutes on the
shared 2-core machine); FURUSATO_FUZZ_EXAMPLES=1000 is the full run (docs/security.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import StackClient, running_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text())
FUZZ_EXAMPLES = int(os.environ.get("FURUSATO_FUZZ_EXAMPLES", "100"))
WRITE_METHODS = ("post", "put", "patch", "delete")
LG_CODE = "212172"  # 飛騨市, seeded


@pytest.fixture(scope="module")
def stack() -> Iterator[StackClient]:
    """A stack of its own: the fuzz writes random pages, settings and surveys into the government
    it targets, and the other stories must find the seed as it was."""
    yield from running_stack()


HOSTILE_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "\u3000",
        "山田\u0000花子",
        "x\ud800y",
        "\udfff",
        "\x1b[31m",
        "\x85",
        "私の個人番号は 123456789012 です",
        "1234.5678.9012",
        '=HYPERLINK("x")',
        "a" * 5000,
        "か\u3099",
        "\ufeff",
        "../../etc/passwd",
        "'; DROP TABLE x; --",
    ]
)
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
STRINGS = st.one_of(ANY_TEXT, HOSTILE_STRINGS)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    STRINGS,
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(STRINGS, inner, max_size=4)),
    max_leaves=12,
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return dict(DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return schema


def _strategy(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the schema, mostly valid, sometimes anything at all."""
    schema = _resolve(schema)
    kind = schema.get("type")
    if "enum" in schema:
        valid: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif kind == "string" and schema.get("format") == "date":
        valid = st.dates().map(lambda d: d.isoformat())
    elif kind == "string" and schema.get("format") == "date-time":
        valid = st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
    elif kind == "string" and "pattern" in schema:
        valid = st.from_regex(schema["pattern"], fullmatch=True)
    elif kind == "string":
        valid = st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 50), 50))
    elif kind == "integer":
        valid = st.integers(schema.get("minimum", -1000), schema.get("maximum", 1000))
    elif kind == "number":
        valid = st.floats(allow_nan=False, allow_infinity=False)
    elif kind == "boolean":
        valid = st.booleans()
    elif kind == "array":
        valid = st.lists(_strategy(schema.get("items", {}), depth + 1), max_size=4)
    elif kind == "object" and "properties" in schema and depth < 4:
        properties = {k: _strategy(v, depth + 1) for k, v in schema["properties"].items()}
        required = set(schema.get("required", ()))
        valid = st.fixed_dictionaries(
            {k: v for k, v in properties.items() if k in required},
            optional={k: v for k, v in properties.items() if k not in required},
        )
    elif kind == "object":
        valid = st.dictionaries(STRINGS, ANY_JSON, max_size=5)
    else:
        valid = ANY_JSON
    if schema.get("nullable"):
        valid = st.one_of(valid, st.none())
    return st.one_of(valid, valid, valid, STRINGS, SCALARS)


def _deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def _body(operation: dict[str, Any]) -> st.SearchStrategy[str | None]:
    """The raw request body: JSON of the schema (with an unknown field now and then), any JSON,
    deep nesting, or bytes that are not JSON."""
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    shaped = _strategy(content["schema"]) if content else ANY_JSON
    with_extra = st.tuples(shaped, STRINGS, ANY_JSON).map(
        lambda t: {**t[0], t[1]: t[2]} if isinstance(t[0], dict) else t[0]
    )
    as_json = st.one_of(shaped, shaped, shaped, with_extra, ANY_JSON).map(json.dumps)
    broken = st.one_of(
        st.sampled_from([_deep(40), _deep(1000), "[" * 5000, "{", "null", "", '{"a": NaN}', "1e999999"]),
        ANY_TEXT,
    )
    return st.one_of(as_json, as_json, as_json, as_json, broken, st.none())


def _path_value(name: str) -> st.SearchStrategy[str]:
    if name == "lg_code":
        return st.one_of(st.just(LG_CODE), st.just(LG_CODE), st.from_regex(r"[0-9]{6}", fullmatch=True))
    return st.one_of(st.from_regex(r"[a-z]{3}_[0-9a-z]{26}", fullmatch=True), ANY_TEXT.filter(bool))


WRITE_ROUTES = [
    (method, path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if method in WRITE_METHODS
]


def _audience(stack: StackClient, path: str) -> str:
    if path.startswith("/v1/admin/"):
        return stack.token("fuzz-admin", "staff", lg_code=LG_CODE, staff_role="admin")
    if path.startswith("/v1/operator/"):
        return stack.token("fuzz-operator", "operator")
    return stack.token("fuzz-registrant", "registrant")


@pytest.mark.parametrize(
    ("method", "path", "operation"), WRITE_ROUTES, ids=[f"{m} {p}" for m, p, _ in WRITE_ROUTES]
)
def test_no_generated_request_gets_a_5xx(
    stack: StackClient, method: str, path: str, operation: dict[str, Any]
) -> None:
    token = _audience(stack, path)
    names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"]
    statuses: dict[int, int] = {}

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(body=_body(operation), params=st.fixed_dictionaries({n: _path_value(n) for n in names}))
    def one(body: str | None, params: dict[str, str]) -> None:
        url = path
        for name, value in params.items():
            url = url.replace("{" + name + "}", quote(value.encode("utf-8", "surrogatepass"), safe=""))
        response = stack.http.request(
            method.upper(),
            stack.base_url + url,
            data=None if body is None else body.encode("utf-8", "surrogatepass"),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=30,
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (method, url, body and body[:200], response.text[:300])

    one()
    assert sum(statuses.values()) >= FUZZ_EXAMPLES
