"""Fuzzing every write route of the local stack from the OpenAPI document: no request, however
hostile, gets a 5xx.

Requests are generated (seeded, see `Fuzz`) from each route's request schema in docs/openapi.json,
mixed with hostile values (control characters, lone surrogates, individual numbers, blanks,
huge numbers, unknown fields, wrong types, deep nesting, bodies that are not JSON), and sent
over real HTTP as the route's own audience (so they reach validation and the handlers, not
only the gateway's 401).

`make test` sends 1,000 requests per route, FUZZ_CLIENTS at a time (docs/security.md gives the
counts and times); FURUSATO_FUZZ_EXAMPLES=N sends N instead.
"""

from __future__ import annotations

import functools
import json
import os
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import StackClient, running_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "docs" / "openapi.json").read_text())
FUZZ_EXAMPLES = int(os.environ.get("FURUSATO_FUZZ_EXAMPLES", "1000"))
# Requests in flight at once: the local stack serves each function with a pool of instances, as
# Lambda does, so concurrent requests also probe races a client could cause.
FUZZ_CLIENTS = int(os.environ.get("FURUSATO_FUZZ_CLIENTS", "6"))
WRITE_METHODS = ("post", "put", "patch", "delete")
LG_CODE = "212172"  # 飛騨市, seeded


@pytest.fixture(scope="module")
def stack() -> Iterator[StackClient]:
    """A stack of its own: the fuzz writes random pages, settings and surveys into the government
    it targets, and the other stories must find the seed as it was."""
    yield from running_stack()


HOSTILE_STRINGS = [
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
BROKEN_BODIES = ["{", "null", "", '{"a": NaN}', "1e999999", "[" * 5000]
# Code points drawn for free text: ASCII, controls (C0, C1), kana and kanji, lone surrogates,
# combining marks, emoji, private use.
CHARACTER_RANGES = [
    (0x20, 0x7E),
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x3040, 0x30FF),
    (0x4E00, 0x9FFF),
    (0xD800, 0xDFFF),
    (0x0300, 0x036F),
    (0x1F300, 0x1FAFF),
    (0xE000, 0xF8FF),
]


def _deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@functools.cache
def _pattern_pool(pattern: str, size: int = 40) -> list[str]:
    """Strings matching a pattern, drawn once per run with Hypothesis (regex generation is its
    strength), derandomized so that a failure replays."""
    found: list[str] = []

    @settings(
        max_examples=size,
        deadline=None,
        database=None,
        derandomize=True,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(st.from_regex(pattern, fullmatch=True))
    def collect(value: str) -> None:
        found.append(value)

    collect()
    return found


class Fuzz:
    """Request values from the document's schemas, mostly valid, often hostile, sometimes anything.

    Seeded `random` rather than Hypothesis strategies: drawing from a strategy costs about 5 ms a
    value, which made 1,000 requests per write route take longer than sending them. A failure
    names its seed and index, so it replays exactly.
    """

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)

    def text(self, max_size: int = 40) -> str:
        rng = self.rng
        chars = []
        for _ in range(rng.randint(0, max_size)):
            low, high = rng.choice(CHARACTER_RANGES) if rng.random() < 0.4 else CHARACTER_RANGES[3]
            chars.append(chr(rng.randint(low, high)))
        return "".join(chars)

    def string(self) -> str:
        return self.text() if self.rng.random() < 0.5 else self.rng.choice(HOSTILE_STRINGS)

    def scalar(self) -> Any:
        rng = self.rng
        return rng.choice(
            [
                None,
                rng.random() < 0.5,
                rng.randint(-(10**40), 10**40),
                rng.uniform(-1e308, 1e308),
                rng.randint(-3, 3),
                self.string(),
            ]
        )

    def any_json(self, leaves: int = 12) -> Any:
        rng = self.rng
        if leaves <= 1 or rng.random() < 0.5:
            return self.scalar()
        if rng.random() < 0.5:
            return [self.any_json(leaves // 4) for _ in range(rng.randint(0, 4))]
        return {self.string(): self.any_json(leaves // 4) for _ in range(rng.randint(0, 4))}

    def matching(self, pattern: str) -> str:
        return self.rng.choice(_pattern_pool(pattern))

    def valid(self, schema: dict[str, Any], depth: int) -> Any:
        rng = self.rng
        kind = schema.get("type")
        if isinstance(kind, list):  # OpenAPI 3.1 nullability: ["string", "null"]
            kind = rng.choice(kind)
        if "enum" in schema:
            return rng.choice(schema["enum"])
        if "anyOf" in schema or "oneOf" in schema:
            return self.value(rng.choice(schema.get("anyOf") or schema["oneOf"]), depth + 1)
        if kind == "null":
            return None
        if kind == "string" and schema.get("format") == "date":
            return (date(2000, 1, 1) + timedelta(days=rng.randint(0, 20_000))).isoformat()
        if kind == "string" and schema.get("format") == "date-time":
            moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 2_000_000_000))
            return moment.isoformat()
        if kind == "string" and "pattern" in schema:
            return self.matching(schema["pattern"])
        if kind == "string":
            low = schema.get("minLength", 0)
            return self.text(min(schema.get("maxLength", 50), 50)).ljust(low, "あ")
        if kind == "integer":
            return rng.randint(schema.get("minimum", -1000), schema.get("maximum", 1000))
        if kind == "number":
            return rng.uniform(-1e6, 1e6)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "array":
            return [self.value(schema.get("items", {}), depth + 1) for _ in range(rng.randint(0, 4))]
        if kind == "object" and "properties" in schema and depth < 4:
            required = set(schema.get("required", ()))
            return {
                name: self.value(field, depth + 1)
                for name, field in schema["properties"].items()
                if name in required or rng.random() < 0.5
            }
        if kind == "object":
            return {self.string(): self.any_json() for _ in range(rng.randint(0, 5))}
        return self.any_json()

    def value(self, schema: dict[str, Any], depth: int = 0) -> Any:
        """Valid three times in five, else a hostile string or any scalar."""
        ref = schema.get("$ref")
        if ref:
            schema = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        roll = self.rng.random()
        if roll < 0.6:
            return self.valid(schema, depth)
        return self.string() if roll < 0.8 else self.scalar()

    def body(self, operation: dict[str, Any]) -> str | None:
        """The raw request body: JSON of the schema (with an unknown field now and then), any
        JSON, deep nesting, or bytes that are not JSON."""
        rng = self.rng
        content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
        roll = rng.random()
        if roll < 0.6:
            value = self.value(content["schema"]) if content else self.any_json()
            if isinstance(value, dict) and rng.random() < 0.25:
                value[self.string()] = self.any_json()
            return json.dumps(value)
        if roll < 0.7:
            return json.dumps(self.any_json())
        if roll < 0.8:
            return _deep(rng.choice([40, 1000]))
        if roll < 0.9:
            return rng.choice(BROKEN_BODIES) if rng.random() < 0.5 else self.text()
        return None

    def path_value(self, name: str) -> str:
        if name == "lg_code":
            return LG_CODE if self.rng.random() < 0.67 else self.matching(r"[0-9]{6}")
        if self.rng.random() < 0.5:
            return self.matching(r"[a-z]{3}_[0-9a-z]{26}")
        return self.text() or "x"


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
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    # Drawn in order from one seed before any is sent, so the requests do not depend on timing
    # and a failure's index replays it.
    fuzz = Fuzz(f"{method} {path}")
    requests_: list[tuple[str, str | None]] = []
    for _ in range(FUZZ_EXAMPLES):
        body = fuzz.body(operation)
        url = path
        for name in names:
            value = fuzz.path_value(name)
            url = url.replace("{" + name + "}", quote(value.encode("utf-8", "surrogatepass"), safe=""))
        requests_.append((url, body))

    sessions = threading.local()

    def send(index: int) -> tuple[int, int, str]:
        url, body = requests_[index]
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        response = sessions.http.request(
            method.upper(),
            stack.base_url + url,
            data=None if body is None else body.encode("utf-8", "surrogatepass"),
            headers=headers,
            timeout=30,
        )
        return index, response.status_code, response.text[:300]

    statuses: dict[int, int] = {}
    with ThreadPoolExecutor(FUZZ_CLIENTS) as pool:
        for index, status, text in pool.map(send, range(len(requests_))):
            statuses[status] = statuses.get(status, 0) + 1
            url, body = requests_[index]
            assert status < 500, (index, method, url, body and body[:200], text)
    assert sum(statuses.values()) >= FUZZ_EXAMPLES
    # The requests reached the route's own checks, not only the gateway's refusals.
    assert set(statuses) - {401, 403}, statuses
