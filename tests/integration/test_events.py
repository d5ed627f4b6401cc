"""The samples in events/: one of every trigger, in the shape AWS delivers it (docs/local.md,
"Event samples"). Each is fed to its function's real handler, and the local stack builds the
same shape (keys and value types) for the same input, so neither can drift from the other."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from furusato import topology
from furusato.settings import settings
from infra.local.context import LambdaContext
from infra.local.dispatch import s3_event
from infra.local.gateway import Gateway, Request, build_event
from infra.local.host import FunctionHost
from infra.local.streams import StreamDelivery
from infra.local.tokens import LocalIssuer
from tests.support.lambda_api import handler_module, match_route
from tests.support.world import enrol_staff, onboard

EVENTS = Path(__file__).resolve().parents[2] / "events"
API_FUNCTIONS = [fn for fn in topology.FUNCTIONS if fn.routes]
NOTIFYING_BUCKETS = [b for b in topology.BUCKETS if b.notify_function]
# Maps whose keys are data (header names, path parameters, claims, item attributes), not shape.
DATA_MAPS = frozenset(
    {
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "claims",
        "Keys",
        "NewImage",
        "OldImage",
    }
)
# What each API sample answers in a world with its government, staff and caller.
API_STATUS = {
    "registration": 200,
    "checkin": 201,
    "content": 200,
    "imports": 200,
    "support": 200,
    "admin": 200,
}


def sample(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / relative).read_text())
    return data


def shape(value: Any, key: str = "") -> Any:
    """Keys and value types, recursively; a data map is just a map (or null, where AWS sends null)."""
    if key in DATA_MAPS:
        return "map"
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0], key)] if value else []
    return type(value).__name__


def test_every_trigger_has_a_sample() -> None:
    names = {str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json")}
    expected = {f"apigw/{fn.name}.json" for fn in API_FUNCTIONS}
    expected |= {f"s3/{b.name}-object-created.json" for b in NOTIFYING_BUCKETS}
    expected |= {f"scheduler/{s.name}.json" for s in topology.SCHEDULES}
    expected |= {f"dynamodb/{s.function}-batch.json" for s in topology.STREAM_SOURCES}
    assert names == expected


# --- API Gateway (REST, Lambda proxy, Cognito user pool authorizer) -------------------------------


def _request_of(event: dict[str, Any]) -> tuple[Request, Any]:
    query = "&".join(f"{k}={v}" for k, v in (event["queryStringParameters"] or {}).items())
    path = event["path"] + (f"?{query}" if query else "")
    request = Request(
        event["httpMethod"], path, list(event["headers"].items()), (event["body"] or "").encode()
    )
    request.source_ip = event["requestContext"]["identity"]["sourceIp"]
    return request, (event["requestContext"].get("authorizer") or {}).get("claims")


@pytest.mark.parametrize("fn", API_FUNCTIONS, ids=lambda fn: fn.name)
def test_api_sample_is_one_of_the_functions_routes_as_the_gateway_builds_it(fn: topology.Function) -> None:
    event = sample(f"apigw/{fn.name}.json")
    routed, route, params = match_route(event["httpMethod"], event["path"])
    assert routed == fn and route.path == event["resource"] == event["requestContext"]["resourcePath"]
    assert params == event["pathParameters"] or (not params and event["pathParameters"] is None)
    claims = (event["requestContext"].get("authorizer") or {}).get("claims")
    # A Cognito user pool authorizer passes the ID token's claims as strings, on routes that need it.
    assert (claims is None) == (route.auth == "public")
    assert claims is None or all(isinstance(v, str) for v in claims.values())
    request, claims = _request_of(event)
    built = build_event(request, route, params, claims, base_url=f"https://{event['headers']['Host']}")
    assert shape(built) == shape(event)


@pytest.mark.parametrize("fn", API_FUNCTIONS, ids=lambda fn: fn.name)
def test_api_sample_is_served_by_its_handler(fn: topology.Function) -> None:
    event = sample(f"apigw/{fn.name}.json")
    claims = (event["requestContext"].get("authorizer") or {}).get("claims") or {}
    onboard("212172")
    if "custom:lg_code" in claims:
        enrol_staff(claims["sub"], claims["custom:lg_code"], claims["custom:staff_role"])
    result = handler_module(fn.name).lambda_handler(event, LambdaContext.of(fn))
    assert result["statusCode"] == API_STATUS[fn.name], result.get("body")


# --- S3 ObjectCreated, sent by the bucket's notification straight to the function ---------------


@pytest.mark.parametrize("bucket", NOTIFYING_BUCKETS, ids=lambda b: b.name)
def test_s3_sample_as_the_local_dispatcher_builds_it(bucket: topology.Bucket) -> None:
    event = sample(f"s3/{bucket.name}-object-created.json")
    record = event["Records"][0]
    obj = record["s3"]["object"]
    assert obj["key"].startswith(bucket.notify_prefix or "")
    built = s3_event(
        bucket=record["s3"]["bucket"]["name"],
        key=unquote_plus(obj["key"]),
        size=obj["size"],
        etag=obj["eTag"],
        version_id=obj["versionId"],
        event_name=record["eventName"],
        event_time=datetime.fromisoformat(record["eventTime"]),
    )
    assert shape(built) == shape(event)
    assert built["Records"][0]["s3"]["object"]["key"] == obj["key"]  # URL-encoded as S3 sends it


@pytest.mark.parametrize("bucket", NOTIFYING_BUCKETS, ids=lambda b: b.name)
def test_s3_sample_is_taken_as_an_object_by_its_function(bucket: topology.Bucket) -> None:
    event = sample(f"s3/{bucket.name}-object-created.json")
    # The deployed bucket's name differs per account; here it is the test stack's.
    event["Records"][0]["s3"]["bucket"]["name"] = {
        "imports": settings().imports_bucket,
        "uploads": settings().uploads_bucket,
    }[bucket.name]
    fn = topology.function(bucket.notify_function or "")
    result = handler_module(fn.name).lambda_handler(event, LambdaContext.of(fn))
    # One outcome per record: the object was recognised (it does not exist here, so it is ignored
    # for that reason, not as an event of another kind or another bucket).
    assert len(result["outcomes"]) == 1
    assert result["outcomes"][0] not in ("ignored:not_object_created", "ignored:unknown_bucket")


# --- EventBridge Scheduler --------------------------------------------------------------------


@pytest.mark.parametrize("schedule", topology.SCHEDULES, ids=lambda s: s.name)
def test_scheduler_sample_is_the_schedules_input(schedule: topology.Schedule) -> None:
    from infra.cdk.schedules import SCHEDULED_TIME, schedule_input

    event = sample(f"scheduler/{schedule.name}.json")
    template = json.loads(schedule_input(schedule.name))
    assert template == {"sweep": schedule.name, "scheduled_time": SCHEDULED_TIME}
    assert set(event) == set(template) and event["sweep"] == schedule.name
    # The Scheduler substitutes the scheduled time as an ISO 8601 instant in UTC.
    assert datetime.fromisoformat(event["scheduled_time"]).utcoffset() is not None


@pytest.mark.parametrize("schedule", topology.SCHEDULES, ids=lambda s: s.name)
def test_scheduler_sample_runs_its_function(schedule: topology.Schedule) -> None:
    fn = topology.function(schedule.function)
    result = handler_module(fn.name).lambda_handler(
        sample(f"scheduler/{schedule.name}.json"), LambdaContext.of(fn)
    )
    assert "statusCode" not in result  # not taken for an API request
    if fn.name == "sweeps":
        assert result["status"] == "completed"


@pytest.mark.parametrize("schedule", topology.SCHEDULES, ids=lambda s: s.name)
def test_scheduler_sample_as_the_local_stack_sends_it(schedule: topology.Schedule, tmp_path: Path) -> None:
    """`POST /local/sweeps/{name}` invokes the function with the same input (a stand-in that
    answers with the event it got)."""
    (tmp_path / schedule.function).mkdir()
    (tmp_path / schedule.function / "handler.py").write_text(
        "def lambda_handler(event, context):\n    return event\n"
    )
    gateway = Gateway(
        base_url="http://127.0.0.1:9", issuer=LocalIssuer("http://127.0.0.1:9"), host=FunctionHost(tmp_path)
    )
    response = gateway.handle(
        Request("POST", f"/local/sweeps/{schedule.name}", [("Host", "127.0.0.1:9")], b"")
    )
    assert response.status == 200, response.json()
    sent = response.json()["result"]
    assert shape(sent) == shape(sample(f"scheduler/{schedule.name}.json"))
    assert (
        sent["sweep"] == schedule.name
        and datetime.fromisoformat(sent["scheduled_time"]).utcoffset() is not None
    )


# --- DynamoDB Streams -------------------------------------------------------------------------


def test_stream_sample_as_the_local_delivery_builds_it(clean_aws: str) -> None:
    source = topology.STREAM_SOURCES[0]
    event = sample(f"dynamodb/{source.function}-batch.json")
    batches: list[dict[str, Any]] = []

    def capture(_fn: topology.Function, batch: dict[str, Any]) -> dict[str, Any]:
        batches.append(batch)
        return {"batchItemFailures": []}

    onboard("212172")
    table = settings().main_table
    StreamDelivery(clean_aws, {topology.MAIN_TABLE.env_var: table}, capture).drain()
    built = [
        r
        for batch in batches
        for r in batch["Records"]
        if r["dynamodb"]["Keys"] == event["Records"][0]["dynamodb"]["Keys"]
    ]
    assert built and shape(built[0]) == shape(event["Records"][0])
    assert built[0]["dynamodb"]["NewImage"].keys() == event["Records"][0]["dynamodb"]["NewImage"].keys()


def test_stream_sample_is_applied_by_its_function() -> None:
    fn = topology.function(topology.STREAM_SOURCES[0].function)
    event = sample(f"dynamodb/{fn.name}-batch.json")
    assert all(
        r["dynamodb"]["NewImage"]["type"]["S"] in topology.STREAM_SOURCES[0].item_types
        for r in event["Records"]
    )
    result = handler_module(fn.name).lambda_handler(event, LambdaContext.of(fn))
    assert result == {"batchItemFailures": []}
