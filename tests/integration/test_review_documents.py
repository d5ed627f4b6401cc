"""Documents handed in with a premium application (rule 14): uploaded with purpose
review_document, named in `document_keys`, read by that government's coordinators only."""

from __future__ import annotations

import requests

from tests.integration.checkin_helpers import at
from tests.integration.test_identity_premium import HIDA, START, TAKAYAMA, take_part, verify
from tests.support.lambda_api import call
from tests.support.world import admin, onboard, person

PDF = b"%PDF-1.5\n" + b"certificate " * 50
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def upload(sub: str, data: bytes, content_type: str, purpose: str = "review_document") -> str:
    reply = call(
        "POST",
        "/v1/me/uploads",
        {"purpose": purpose, "content_type": content_type, "size": len(data)},
        claims=person(sub),
    )
    assert reply.status == 201, reply
    form = reply.body["upload"]
    assert requests.post(
        form["url"], data=form["fields"], files={"file": ("f", data, content_type)}, timeout=30
    ).ok
    return str(reply.body["upload_key"])


def _review_mode() -> None:
    onboard(HIDA, TAKAYAMA)
    settings = call("GET", f"/v1/admin/lgs/{HIDA}/settings", claims=admin(HIDA)).body
    call("PUT", f"/v1/admin/lgs/{HIDA}/settings", {**settings, "auto_approval": False}, claims=admin(HIDA))
    at(START)
    verify("u1")
    take_part("u1", HIDA, 3, START)


def test_coordinators_read_the_documents_of_a_premium_application() -> None:
    _review_mode()
    keys = [upload("u1", PDF, "application/pdf"), upload("u1", PNG, "image/png")]
    waiting = call(
        "PUT",
        f"/v1/me/registrations/{HIDA}",
        {"plan": "premium", "survey_answers": {"relationship": ["出身地"]}, "document_keys": keys},
        claims=person("u1"),
    )
    assert waiting.status == 202, waiting
    rid = waiting.body["registration_id"]
    reply = call("GET", f"/v1/admin/lgs/{HIDA}/registrations/{rid}", claims=admin(HIDA, "coordinator"))
    assert reply.status == 200, reply
    assert reply.body["status"] == "pending_review"
    docs = reply.body["documents"]
    assert sorted(d["upload_key"] for d in docs) == sorted(keys)
    by_type = {d["content_type"]: d for d in docs}
    assert by_type["application/pdf"]["size"] == len(PDF)
    assert requests.get(by_type["application/pdf"]["url"], timeout=30).content == PDF
    # a viewer, another government's staff: no
    assert (
        call("GET", f"/v1/admin/lgs/{HIDA}/registrations/{rid}", claims=admin(HIDA, "viewer")).status == 403
    )
    assert call("GET", f"/v1/admin/lgs/{TAKAYAMA}/registrations/{rid}", claims=admin(TAKAYAMA)).status == 404
    assert call("GET", f"/v1/admin/lgs/{HIDA}/registrations/{rid}", claims=admin(TAKAYAMA)).status == 403


def test_document_keys_must_be_the_persons_checked_review_documents() -> None:
    _review_mode()
    theirs = upload("u2", PDF, "application/pdf")
    support_doc = upload("u1", PDF, "application/pdf", purpose="support_document")
    fake = upload("u1", b"MZ\x90\x00" * 40, "application/pdf")
    body = {"plan": "premium", "survey_answers": {"relationship": ["出身地"]}}
    for keys in ([theirs], [support_doc], [fake]):
        reply = call(
            "PUT", f"/v1/me/registrations/{HIDA}", {**body, "document_keys": keys}, claims=person("u1")
        )
        assert reply.status == 400 and "document_keys[0]" in reply.body["error"]["details"], reply
    assert call("GET", "/v1/me/registrations", claims=person("u1")).body["items"] == []  # nothing changed
    basic = call(
        "PUT",
        f"/v1/me/registrations/{HIDA}",
        {"plan": "basic", "survey_answers": {"relationship": ["出身地"]}, "document_keys": [theirs]},
        claims=person("u1"),
    )
    assert basic.status == 400 and "document_keys" in basic.body["error"]["details"]
    kinds = [n["kind"] for n in call("GET", "/v1/me/notifications", claims=person("u1")).body["items"]]
    assert kinds == ["upload_rejected"]
