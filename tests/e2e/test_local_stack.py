"""The local stack itself: gateway, authorizers, local routes, clock, seed and S3 dispatch.

The first part walks the running stack over HTTP (the `stack` fixture). The second drives the
gateway and the dispatcher in-process, with stand-in handlers, to pin the events they build.
"""

from __future__ import annotations

import base64
import json
import logging
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
import requests

from furusato import topology
from infra.local import aws
from infra.local.dispatch import S3Dispatcher
from infra.local.gateway import Gateway, Router, Target, _proxy_response
from infra.local.host import FunctionHost
from infra.local.messages import Request
from infra.local.seed import GOVERNMENTS
from infra.local.tokens import LocalIssuer, TokenRequest
from tests.e2e.conftest import ROOT, StackClient

pytestmark = pytest.mark.e2e

SEEDED = {lg.lg_code: lg for lg in GOVERNMENTS}


def _error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


# --- over HTTP ---------------------------------------------------------------------------------


def test_health(stack: StackClient) -> None:
    response = stack.get("/health")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


def test_the_checkin_page_a_phone_camera_opens(stack: StackClient) -> None:
    """A QR code holds `{public_base_url}/checkin#<token>`: without the app, the camera opens this
    page (the fragment never reaches the server), which says how to check in."""
    response = stack.get("/checkin")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "ふるさと住民アプリ" in response.text and "<script" not in response.text
    assert stack.post("/checkin").status_code == 404


def test_unknown_path_is_404_in_the_contract_format(stack: StackClient) -> None:
    _error(stack.get("/v1/nowhere"), 404, "NOT_FOUND")
    _error(stack.get("/v1/local-governments/130001/nowhere/else"), 404, "NOT_FOUND")


def test_known_path_with_another_method_is_405(stack: StackClient) -> None:
    response = stack.delete("/health")
    _error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer garbage", "Bearer a.b.c", "Basic dXNlcjpwYXNz"],
    ids=["missing", "empty", "no-token", "garbage", "not-a-jwt", "basic"],
)
def test_registrant_route_refuses_without_a_valid_token(
    stack: StackClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    _error(stack.get("/v1/me", headers=headers), 401, "UNAUTHENTICATED")


def test_tampered_tokens_are_refused(stack: StackClient) -> None:
    token = stack.token("tamper-1", "registrant")
    head, payload, signature = token.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    _error(stack.get("/v1/me", token=f"{head}.{payload}.{flipped}"), 401, "UNAUTHENTICATED")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _error(stack.get("/v1/me", token=f"{head}.{forged}.{signature}"), 401, "UNAUTHENTICATED")


def test_each_route_accepts_only_its_own_pool(stack: StackClient) -> None:
    registrant = stack.token("pool-registrant", "registrant")
    staff = stack.token("pool-staff", "staff", lg_code="131041", staff_role="admin")
    operator = stack.token("pool-operator", "operator")
    # A staff-pool token on a registrant route, a registrant token on staff and operator routes.
    _error(stack.get("/v1/me", token=staff), 401, "UNAUTHENTICATED")
    _error(stack.get("/v1/me", token=operator), 401, "UNAUTHENTICATED")
    _error(stack.get("/v1/admin/lgs/131041/page", token=registrant), 401, "UNAUTHENTICATED")
    _error(stack.get("/v1/operator/lgs", token=registrant), 401, "UNAUTHENTICATED")
    # The right pool passes the authorizer and reaches the handler.
    assert stack.get("/v1/me", token=registrant).status_code == 200
    assert stack.get("/v1/admin/lgs/131041/page", token=staff).status_code == 200
    # Roles within the staff pool are the handlers' to check: not a 401 from the gateway.
    assert stack.get("/v1/operator/lgs", token=staff).status_code not in (401, 501)
    assert stack.get("/v1/admin/lgs/131041/page", token=operator).status_code not in (401, 501)


def test_token_request_is_validated(stack: StackClient) -> None:
    details = _error(stack.post("/local/token", json={"sub": "x", "role": "admin"}), 400, "VALIDATION_ERROR")[
        "details"
    ]
    assert "role" in details
    details = _error(
        stack.post("/local/token", json={"sub": "x", "role": "staff", "staff_role": "admin", "extra": 1}),
        400,
        "VALIDATION_ERROR",
    )["details"]
    assert details == {"extra": "unknown field", "lg_code": "6 digits, required for staff"}
    details = _error(
        stack.post(
            "/local/token", json={"sub": "x", "role": "staff", "lg_code": "212172", "staff_role": "org"}
        ),
        400,
        "VALIDATION_ERROR",
    )["details"]
    assert set(details) == {"org_id"}
    _error(stack.post("/local/token", data=b"{not json"), 400, "VALIDATION_ERROR")
    minted = stack.post("/local/token", json={"sub": "x", "role": "registrant"}).json()
    assert set(minted) == {"token", "expires_at"}
    assert datetime.fromisoformat(minted["expires_at"]) > datetime.now(UTC) + timedelta(minutes=59)


def test_clock_freeze_round_trip(stack: StackClient) -> None:
    details = _error(stack.put("/local/clock", json={"now": "2026-05-01T10:00:00"}), 400, "VALIDATION_ERROR")[
        "details"
    ]
    assert set(details) == {"now"}
    _error(stack.put("/local/clock", json={"now": "yesterday"}), 400, "VALIDATION_ERROR")
    _error(
        stack.put("/local/clock", json={"now": "2026-05-01T10:00:00+09:00", "x": 1}), 400, "VALIDATION_ERROR"
    )
    try:
        response = stack.put("/local/clock", json={"now": "2026-05-01T01:00:00Z"})
        assert response.status_code == 200
        assert response.json() == {"now": "2026-05-01T10:00:00+09:00", "frozen": True}
        # Tokens keep real time: one minted in frozen 2026-05 still passes the authorizer now.
        admin = stack.token("clock-admin", "staff", lg_code="322016", staff_role="admin")
        lg = SEEDED["322016"]
        page = stack.put("/v1/admin/lgs/322016/page", token=admin, json={"title": lg.title, "body": lg.body})
        assert page.status_code == 200, page.text
        # The handlers run in the stack's process and read the frozen clock.
        assert page.json()["updated_at"] == "2026-05-01T10:00:00+09:00"
    finally:
        stack.reset_clock()
    restored = stack.delete("/local/clock").json()
    assert restored["frozen"] is False
    assert abs(datetime.fromisoformat(restored["now"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_seeded_governments_are_listed(stack: StackClient) -> None:
    response = stack.get("/v1/local-governments", params={"limit": 200})
    assert response.status_code == 200, response.text
    listed = {item["lg_code"]: item for item in response.json()["items"]}
    for code, lg in SEEDED.items():
        assert listed[code] == {
            "lg_code": code,
            "name": lg.name,
            "kind": lg.kind,
            "prefecture_code": lg.prefecture_code,
        }


def test_seeded_page_and_own_question(stack: StackClient) -> None:
    response = stack.get("/v1/local-governments/212172")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["page"]["title"] == SEEDED["212172"].title
    own = [q for q in body["survey"] if q["source"] == "own"]
    assert [q["id"] for q in own] == [SEEDED["212172"].question["id"]]


def test_sweeps_on_demand(stack: StackClient) -> None:
    _error(stack.post("/local/sweeps/nonexistent"), 404, "NOT_FOUND")
    response = stack.post("/local/sweeps/renewal")
    if not (ROOT / "functions" / "sweeps" / "handler.py").is_file():
        _error(response, 501, "NOT_IMPLEMENTED")
    else:
        assert response.status_code == 200, response.text
        assert response.json()["sweep"] == "renewal"


def test_log_holds_request_lines_but_no_tokens_or_queries(stack: StackClient) -> None:
    token = stack.token("log-check", "registrant")
    stack.get("/v1/me", token=token)
    stack.get("/v1/local-governments", params={"q": "secret-search-term"})
    text = stack.log_text()
    assert "GET /v1/me 200" in text
    assert token not in text and token.split(".")[2] not in text
    assert "secret-search-term" not in text


# --- the gateway in-process, with stand-in handlers ------------------------------------------------

ECHO = """
import json

def lambda_handler(event, context):
    if (event.get("queryStringParameters") or {}).get("fail"):
        raise RuntimeError("boom")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps({"event": event, "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "remaining": context.get_remaining_time_in_millis(),
        }}),
    }
"""


@pytest.fixture
def echo_gateway(tmp_path: Path) -> Iterator[tuple[Gateway, LocalIssuer]]:
    for function in ("registration", "admin"):  # admin serves the operator routes
        (tmp_path / function).mkdir()
        (tmp_path / function / "handler.py").write_text(textwrap.dedent(ECHO))
    issuer = LocalIssuer("http://127.0.0.1:9")
    host = FunctionHost(tmp_path)
    yield Gateway(base_url="http://127.0.0.1:9", issuer=issuer, host=host), issuer
    host.stop()


def _call(
    gateway: Gateway, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes = b""
) -> Any:
    return gateway.handle(Request(method, raw_path, [("Host", "127.0.0.1:9"), *headers], body, "10.1.2.3"))


def test_public_route_event_is_an_api_gateway_rest_proxy_event(
    echo_gateway: tuple[Gateway, LocalIssuer],
) -> None:
    gateway, _ = echo_gateway
    response = _call(gateway, "GET", "/v1/local-governments/212172", [("User-Agent", "t"), ("X-Multi", "1")])
    assert response.status == 200
    assert ("Set-Cookie", "a=1") in response.headers and ("Set-Cookie", "b=2") in response.headers
    event = response.json()["event"]
    assert event["resource"] == "/v1/local-governments/{lg_code}"
    assert event["path"] == "/v1/local-governments/212172"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"lg_code": "212172"}
    # API Gateway sends null, not {}, when there is no query string or body.
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["headers"]["User-Agent"] == "t"
    assert event["multiValueHeaders"]["X-Multi"] == ["1"]
    assert event["headers"]["X-Forwarded-For"] == "10.1.2.3"
    context = event["requestContext"]
    assert context["stage"] == "local"
    assert context["resourcePath"] == "/v1/local-governments/{lg_code}"
    assert context["httpMethod"] == "GET"
    assert context["identity"]["sourceIp"] == "10.1.2.3"
    assert context["requestId"]
    assert "authorizer" not in context
    lambda_context = response.json()["context"]
    assert lambda_context["function_name"] == "furusato-registration"
    assert 0 < lambda_context["remaining"] <= 15_000


def test_query_strings_and_bodies(echo_gateway: tuple[Gateway, LocalIssuer]) -> None:
    gateway, _ = echo_gateway
    raw = "/v1/local-governments?kind=municipality&q=%E9%A3%9B%E9%A8%A8&q=x&empty="
    event = _call(gateway, "GET", raw, []).json()["event"]
    assert event["queryStringParameters"] == {"kind": "municipality", "q": "x", "empty": ""}
    assert event["multiValueQueryStringParameters"]["q"] == ["飛騨", "x"]
    assert event["path"] == "/v1/local-governments"


def test_authorizer_claims_reach_the_handler_as_strings(echo_gateway: tuple[Gateway, LocalIssuer]) -> None:
    gateway, issuer = echo_gateway
    minted = issuer.mint(TokenRequest("staff-1", "staff", lg_code="212172", staff_role="org", org_id="o-1"))
    body = json.dumps({"min_activities": 3}, ensure_ascii=False).encode()
    response = _call(
        gateway, "PUT", "/v1/admin/lgs/212172/settings", [("Authorization", f"Bearer {minted.token}")], body
    )
    event = response.json()["event"]
    assert event["body"] == '{"min_activities": 3}' and event["isBase64Encoded"] is False
    claims = event["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["sub"] == "staff-1"
    assert claims["custom:lg_code"] == "212172"
    assert claims["custom:staff_role"] == "org"
    assert claims["custom:org_id"] == "o-1"
    assert claims["token_use"] == "id"
    assert claims["exp"].endswith(" UTC " + claims["exp"][-4:])  # "Mon Jan 14 18:50:27 UTC 2019"
    operator = issuer.mint(TokenRequest("op-1", "operator"))
    response = _call(gateway, "GET", "/v1/operator/lgs", [("Authorization", f"Bearer {operator.token}")])
    assert response.json()["event"]["requestContext"]["authorizer"]["claims"]["cognito:groups"] == "operator"


def test_binary_body_is_base64(echo_gateway: tuple[Gateway, LocalIssuer]) -> None:
    gateway, _ = echo_gateway
    event = _call(gateway, "GET", "/health", [], b"\xff\x00\xfe").json()["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00\xfe"


@pytest.mark.parametrize(
    ("accept", "binary"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("image/png", True),
        ("image/png;q=0.9, application/json", True),
        ("application/json, image/png", False),  # API Gateway looks at the first type only
    ],
)
def test_base64_bodies_become_bytes_only_when_accept_names_a_binary_type(
    accept: str | None, binary: bool
) -> None:
    data = b"\x89PNG\r\n\x1a\n"
    result = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(data).decode(),
        "isBase64Encoded": True,
    }
    response = _proxy_response(result, [], accept=accept)
    assert response.body == (data if binary else base64.b64encode(data))


def test_missing_and_failing_functions(echo_gateway: tuple[Gateway, LocalIssuer]) -> None:
    gateway, issuer = echo_gateway
    staff = issuer.mint(TokenRequest("s", "staff", lg_code="212172", staff_role="admin")).token
    # The content function has no handler in this functions directory.
    response = _call(gateway, "GET", "/v1/admin/lgs/212172/page", [("Authorization", f"Bearer {staff}")])
    assert response.status == 501
    assert response.json()["error"]["code"] == "NOT_IMPLEMENTED"
    # Unauthenticated requests never reach the (missing) function.
    assert _call(gateway, "GET", "/v1/admin/lgs/212172/page", []).status == 401
    failing = _call(gateway, "GET", "/health?fail=1", [])
    assert failing.status == 502
    assert failing.json()["error"]["code"] == "INTERNAL"


def test_router_prefers_literal_segments() -> None:
    fn = topology.function("registration")
    router = Router(
        [
            Target(topology.Route("GET", "/v1/x/{id}", "public"), fn),
            Target(topology.Route("GET", "/v1/x/export", "public"), fn),
            Target(topology.Route("GET", "/v1/x/{id}/items", "public"), fn),
        ]
    )
    found = router.resolve("/v1/x/export")
    assert found is not None and found[0].template == "/v1/x/export"
    found = router.resolve("/v1/x/a%20b/items")
    assert found is not None and found[0].template == "/v1/x/{id}/items" and found[1] == {"id": "a b"}
    assert router.resolve("/v1/x") is None


# --- S3 dispatch against moto, with a stand-in imports function ---------------------------------


@pytest.fixture
def dispatch_bucket(moto_endpoint: str) -> tuple[str, dict[str, str]]:
    prefix = f"dispatch{datetime.now(UTC).strftime('%H%M%S%f')}"
    s3 = aws.client("s3", moto_endpoint)
    names = {}
    for bucket in topology.BUCKETS:
        name = aws.physical_name(bucket.name, prefix)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": aws.REGION})
        names[bucket.env_var] = name
    return moto_endpoint, names


def test_s3_dispatch_invokes_the_notify_function_once_per_object(
    dispatch_bucket: tuple[str, dict[str, str]],
) -> None:
    endpoint, names = dispatch_bucket
    bucket = names[topology.IMPORTS_BUCKET.env_var]
    events: list[tuple[str, dict[str, Any]]] = []
    dispatcher = S3Dispatcher(
        endpoint, names, lambda fn, event: events.append((fn.name, event)), lambda _: True
    )
    s3 = aws.client("s3", endpoint)
    key = "imports/212172/活動 記録.xlsx"
    put = s3.put_object(Bucket=bucket, Key=key, Body=b"first")
    s3.put_object(Bucket=bucket, Key="elsewhere/ignored.xlsx", Body=b"x")

    assert dispatcher.poll_once() == 1
    name, event = events[0]
    assert name == "imports"
    record = event["Records"][0]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"] == {
        "name": bucket,
        "ownerIdentity": {"principalId": "123456789012"},
        "arn": f"arn:aws:s3:::{bucket}",
    }
    obj = record["s3"]["object"]
    assert obj["key"] == "imports/212172/%E6%B4%BB%E5%8B%95+%E8%A8%98%E9%8C%B2.xlsx"
    assert unquote_plus(obj["key"]) == key
    assert obj["size"] == 5
    assert obj["eTag"] == put["ETag"].strip('"')
    assert obj["sequencer"]
    assert "versionId" not in obj  # the bucket is not versioned

    # Seen once, dispatched once.
    assert dispatcher.poll_once() == 0
    # An overwrite is a new object.
    s3.put_object(Bucket=bucket, Key=key, Body=b"second")
    assert dispatcher.poll_once() == 1
    assert events[-1][1]["Records"][0]["s3"]["object"]["size"] == 6


def test_s3_dispatch_of_a_presigned_post_and_a_versioned_bucket(
    dispatch_bucket: tuple[str, dict[str, str]],
) -> None:
    endpoint, names = dispatch_bucket
    bucket = names[topology.IMPORTS_BUCKET.env_var]
    events: list[dict[str, Any]] = []
    dispatcher = S3Dispatcher(endpoint, names, lambda _fn, event: events.append(event), lambda _: True)
    s3 = aws.client("s3", endpoint)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    post = s3.generate_presigned_post(Bucket=bucket, Key="imports/upload.xlsx")
    uploaded = requests.post(
        post["url"], data=post["fields"], files={"file": ("upload.xlsx", b"xlsx")}, timeout=10
    )
    assert uploaded.status_code in (200, 201, 204), uploaded.text

    assert dispatcher.poll_once() == 1
    obj = events[0]["Records"][0]["s3"]["object"]
    assert events[0]["Records"][0]["eventName"] == "ObjectCreated:Post"
    versions = s3.list_object_versions(Bucket=bucket, Prefix="imports/upload.xlsx")["Versions"]
    assert obj["versionId"] == versions[0]["VersionId"]


def test_s3_dispatch_skips_a_missing_function_and_says_so_once(
    dispatch_bucket: tuple[str, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint, names = dispatch_bucket
    bucket = names[topology.IMPORTS_BUCKET.env_var]
    called: list[Any] = []
    dispatcher = S3Dispatcher(endpoint, names, lambda fn, event: called.append(event), lambda _: False)
    s3 = aws.client("s3", endpoint)
    with caplog.at_level(logging.WARNING, logger="infra.local"):
        s3.put_object(Bucket=bucket, Key="imports/a.xlsx", Body=b"a")
        assert dispatcher.poll_once() == 0
        s3.put_object(Bucket=bucket, Key="imports/b.xlsx", Body=b"b")
        assert dispatcher.poll_once() == 0
    assert called == []
    assert sum("not implemented" in r.getMessage() for r in caplog.records) == 1


def test_gateway_wakes_dispatch_after_writes_of_a_bucket_function(tmp_path: Path) -> None:
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "handler.py").write_text(textwrap.dedent(ECHO))
    calls: list[str] = []
    host = FunctionHost(tmp_path)
    gateway = Gateway(
        base_url="http://127.0.0.1:9",
        issuer=LocalIssuer("http://127.0.0.1:9"),
        host=host,
        after_write=lambda: calls.append("poke"),
    )
    imports = topology.function("imports")
    assert imports.buckets
    gateway.router = Router(
        [
            Target(topology.Route("GET", "/v1/uploads", "public"), imports),
            Target(topology.Route("POST", "/v1/uploads", "public"), imports),
        ]
    )
    assert gateway.handle(Request("GET", "/v1/uploads", [])).status == 200
    assert calls == []
    assert gateway.handle(Request("POST", "/v1/uploads", [], b"{}")).status == 200
    assert calls == ["poke"]
    host.stop()


def test_stream_delivery_on_demand(stack: StackClient) -> None:
    first = stack.post("/local/streams/drain")
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"delivered", "filtered_out", "retried", "dead_lettered"}
    assert first.json()["dead_lettered"] == 0
    # Everything written so far was delivered: a second drain finds nothing new.
    assert stack.post("/local/streams/drain").json()["delivered"] == 0


@pytest.mark.parametrize("clients", [16, 64])
def test_a_burst_of_concurrent_clients_is_served(stack: StackClient, clients: int) -> None:
    """Clients connecting at once are all answered (the listen backlog is 1,024, not
    socketserver's 5; this kernel retries refused handshakes, others reset them), by several
    instances of the function at once."""
    import threading

    statuses: list[int] = []
    barrier = threading.Barrier(clients)

    def one() -> None:
        with requests.Session() as session:
            barrier.wait()
            statuses.append(session.get(stack.base_url + "/v1/local-governments", timeout=60).status_code)

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * clients
