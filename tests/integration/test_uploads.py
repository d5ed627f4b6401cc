"""POST /v1/me/uploads and the uploads bucket's trigger, through the registration function."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from furusato.settings import settings
from furusato.store.s3 import client
from infra.local.dispatch import s3_event
from tests.support.lambda_api import LambdaContext, call, handler_module
from tests.support.world import admin, person

PDF = b"%PDF-1.4\n" + b"1" * 1000


def deliver(key: str) -> dict:
    head = client().head_object(Bucket=settings().uploads_bucket, Key=key)
    event = s3_event(
        bucket=settings().uploads_bucket,
        key=key,
        size=int(head["ContentLength"]),
        etag=str(head["ETag"]).strip('"'),
        version_id=str(head.get("VersionId") or "null"),
        event_name="ObjectCreated:Post",
        event_time=datetime.now(UTC),
    )
    return dict(handler_module("registration").lambda_handler(event, LambdaContext()))


def test_an_upload_is_a_presigned_post_and_its_file_is_checked_by_the_trigger() -> None:
    reply = call(
        "POST",
        "/v1/me/uploads",
        {"purpose": "support_document", "content_type": "application/pdf", "size": len(PDF)},
        claims=person("alice"),
    )
    assert reply.status == 201, reply
    assert reply.body["upload"]["method"] == "POST"
    form = reply.body["upload"]
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("r.pdf", PDF, "application/pdf")}, timeout=30
    )
    assert posted.status_code < 300
    key = form["fields"]["key"]
    assert deliver(key) == {"outcomes": ["accepted"]}


def test_a_disguised_file_is_removed_and_the_person_told() -> None:
    reply = call(
        "POST",
        "/v1/me/uploads",
        {"purpose": "review_document", "content_type": "image/jpeg", "size": 100},
        claims=person("alice"),
    )
    form = reply.body["upload"]
    requests.post(
        form["url"], data=form["fields"], files={"file": ("a.jpg", b"<svg>" * 20, "image/jpeg")}, timeout=30
    )
    assert deliver(form["fields"]["key"]) == {"outcomes": ["rejected:type_mismatch"]}
    inbox = call("GET", "/v1/me/notifications", claims=person("alice")).body["items"]
    assert [n["kind"] for n in inbox] == ["upload_rejected"]


def test_requests_outside_the_rules_are_refused_before_anything_is_stored() -> None:
    for body, field in (
        (
            {"purpose": "support_document", "content_type": "application/pdf", "size": 10 * 1024 * 1024 + 1},
            "size",
        ),
        ({"purpose": "support_document", "content_type": "image/gif", "size": 10}, "content_type"),
        ({"purpose": "avatar", "content_type": "image/png", "size": 10}, "purpose"),
    ):
        reply = call("POST", "/v1/me/uploads", body, claims=person("alice"))
        assert reply.status == 400 and field in reply.body["error"]["details"], reply
    staff = call(
        "POST",
        "/v1/me/uploads",
        {"purpose": "support_document", "content_type": "image/png", "size": 10},
        claims=admin("212172"),
    )
    assert staff.status == 403


def test_a_double_tap_gets_the_same_upload() -> None:
    body = {"purpose": "support_document", "content_type": "image/png", "size": 10}
    first = call("POST", "/v1/me/uploads", body, claims=person("alice"), headers={"Idempotency-Key": "k1"})
    again = call("POST", "/v1/me/uploads", body, claims=person("alice"), headers={"Idempotency-Key": "k1"})
    assert first.status == again.status == 201
    assert first.body["upload_key"] == again.body["upload_key"]
