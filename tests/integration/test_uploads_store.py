"""The reusable upload module against moto: the presigned POST's policy, the check of a stored
object (Range read, judged, removed when refused, the owner told), and attaching documents."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from furusato.capabilities import uploads
from furusato.domain.errors import InvalidInput
from furusato.settings import settings
from furusato.store import notifications
from furusato.store import uploads as store
from furusato.store.s3 import ObjectCreated, client

PDF = b"%PDF-1.7\n" + b"0" * 300
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 300


def post_file(created: dict[str, Any], data: bytes, content_type: str) -> requests.Response:
    form = created["upload"]
    return requests.post(
        form["url"], data=form["fields"], files={"file": ("x", data, content_type)}, timeout=30
    )


def policy(created: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(created["upload"]["fields"]["policy"])))


def test_the_policy_fixes_key_type_and_size() -> None:
    created = uploads.create("alice", purpose="support_document", content_type="application/pdf", size=300)
    conditions = policy(created)["conditions"]
    key = store.get("alice", created["upload_key"])
    assert key is not None and key.status == "pending"
    assert {"key": key.object_key} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 1, 10 * 1024 * 1024] in conditions
    assert created["upload"]["fields"]["Content-Type"] == "application/pdf"


def test_a_stored_file_that_is_what_it_says_is_accepted_once() -> None:
    created = uploads.create(
        "alice", purpose="support_document", content_type="application/pdf", size=len(PDF)
    )
    assert post_file(created, PDF, "application/pdf").status_code in (200, 201, 204)
    key = store.get("alice", created["upload_key"])
    assert key is not None
    event = ObjectCreated(settings().uploads_bucket, key.object_key, "null")
    assert uploads.on_object_created(event) == "accepted"
    assert uploads.on_object_created(event) == "accepted"  # a redelivery changes nothing
    stored = store.get("alice", created["upload_key"])
    assert stored is not None and stored.status == "accepted" and stored.size == len(PDF)


def test_a_file_that_is_not_what_it_says_is_removed_and_the_owner_told() -> None:
    created = uploads.create("alice", purpose="support_document", content_type="image/png", size=300)
    exe = b"MZ\x90\x00" + b"\x00" * 296
    post_file(created, exe, "image/png")
    upload = store.get("alice", created["upload_key"])
    assert upload is not None
    outcome = uploads.on_object_created(ObjectCreated(settings().uploads_bucket, upload.object_key, "null"))
    assert outcome == "rejected:type_mismatch"
    assert not store.exists(upload.object_key)
    inbox, _ = notifications.inbox("alice", limit=10, cursor=None)
    assert [n.kind for n in inbox] == ["upload_rejected"]
    # told once, even when the event comes again
    uploads.on_object_created(ObjectCreated(settings().uploads_bucket, upload.object_key, "null"))
    assert len(notifications.inbox("alice", limit=10, cursor=None)[0]) == 1


def test_an_object_nobody_asked_for_is_deleted() -> None:
    key = "uploads/alice/upl_00000000000000000000000000"
    client().put_object(Bucket=settings().uploads_bucket, Key=key, Body=PDF)
    assert uploads.on_object_created(ObjectCreated(settings().uploads_bucket, key, "null")) == (
        "deleted:unknown_upload"
    )
    assert not store.exists(key)


def test_attach_checks_a_pending_upload_at_once() -> None:
    created = uploads.create("alice", purpose="support_document", content_type="image/png", size=len(PNG))
    post_file(created, PNG, "image/png")
    docs = uploads.attach(
        "alice", [created["upload_key"]], purpose="support_document", field="attachment_keys"
    )
    assert [{k: d[k] for k in ("upload_key", "content_type", "size")} for d in docs] == [
        {"upload_key": created["upload_key"], "content_type": "image/png", "size": len(PNG)}
    ]
    views = uploads.signed_documents("alice", docs)
    assert requests.get(views[0]["url"], timeout=30).content == PNG


@pytest.mark.parametrize("case", ["another_person", "other_purpose", "not_uploaded", "unknown"])
def test_attach_refuses_what_is_not_a_usable_upload_of_this_person(case: str) -> None:
    owner = "bob" if case == "another_person" else "alice"
    purpose = "review_document" if case == "other_purpose" else "support_document"
    created = uploads.create(owner, purpose=purpose, content_type="application/pdf", size=len(PDF))
    if case != "not_uploaded":
        post_file(created, PDF, "application/pdf")
    key = "upl_zzzzzzzzzzzzzzzzzzzzzzzzzz" if case == "unknown" else created["upload_key"]
    with pytest.raises(InvalidInput) as caught:
        uploads.attach("alice", [key], purpose="support_document", field="attachment_keys")
    assert "attachment_keys[0]" in caught.value.details


def test_a_file_posted_again_after_its_check_is_never_served() -> None:
    created = uploads.create(
        "alice", purpose="support_document", content_type="application/pdf", size=len(PDF)
    )
    post_file(created, PDF, "application/pdf")
    upload = store.get("alice", created["upload_key"])
    assert upload is not None
    first = client().head_object(Bucket=settings().uploads_bucket, Key=upload.object_key)["VersionId"]
    event = ObjectCreated(settings().uploads_bucket, upload.object_key, first)
    assert uploads.on_object_created(event) == "accepted"
    # the presigned POST is still valid: a second, different file to the same key
    swapped = b"%PDF-1.7\n" + b"X" * 300
    post_file(created, swapped, "application/pdf")
    second = client().head_object(Bucket=settings().uploads_bucket, Key=upload.object_key)["VersionId"]
    assert second != first
    again = ObjectCreated(settings().uploads_bucket, upload.object_key, second)
    assert uploads.on_object_created(again) == "ignored:already_accepted"
    docs = uploads.attach(
        "alice", [created["upload_key"]], purpose="support_document", field="attachment_keys"
    )
    (view,) = uploads.signed_documents("alice", docs)
    assert requests.get(view["url"], timeout=30).content == PDF
