"""Introduction page sections with images: presigned upload, type and size checked, bytes
sniffed once stored, served through short-lived links."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from tests.integration.test_uploads import deliver
from tests.support.lambda_api import Reply, call
from tests.support.world import admin, onboard, person

HIDA, TAKAYAMA = "212172", "212032"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
PAGE = f"/v1/admin/lgs/{HIDA}/page"


@pytest.fixture(autouse=True)
def _world() -> None:
    onboard(HIDA, TAKAYAMA)


def new_image(content_type: str = "image/png", size: int = len(PNG), lg_code: str = HIDA) -> Reply:
    body = {"content_type": content_type, "size": size}
    return call("POST", f"/v1/admin/lgs/{lg_code}/page/images", body, claims=admin(lg_code))


def upload(form: dict[str, Any], data: bytes, content_type: str = "image/png") -> int:
    posted = requests.post(
        form["url"], data=form["fields"], files={"file": ("a.png", data, content_type)}, timeout=30
    )
    return posted.status_code


def page_body(*sections: dict[str, Any]) -> dict[str, Any]:
    return {"title": "飛騨市へようこそ", "body": "山と川のまち", "sections": list(sections)}


def test_a_section_shows_an_uploaded_image_through_a_short_lived_link() -> None:
    created = new_image()
    assert created.status == 201, created
    assert upload(created.body["upload"], PNG) < 300
    assert deliver(created.body["upload"]["fields"]["key"]) == {"outcomes": ["accepted"]}
    key = created.body["upload_key"]
    section = {
        "heading": "古い町並み",
        "body": "白壁土蔵街",
        "image_key": key,
        "image_alt": "瀬戸川と白壁土蔵街",
    }
    saved = call("PUT", PAGE, page_body(section, {"heading": "アクセス"}), claims=admin(HIDA))
    assert saved.status == 200, saved
    image = saved.body["sections"][0]["image"]
    assert (
        image["upload_key"] == key
        and image["content_type"] == "image/png"
        and image["alt"] == "瀬戸川と白壁土蔵街"
    )
    assert saved.body["sections"][1]["image"] is None
    assert "Expires=" in image["url"] or "X-Amz-Expires=" in image["url"]
    fetched = requests.get(image["url"], timeout=30)
    assert fetched.status_code == 200 and fetched.content == PNG

    public = call("GET", f"/v1/local-governments/{HIDA}").body["page"]
    assert public["sections"][0]["heading"] == "古い町並み"
    assert requests.get(public["sections"][0]["image"]["url"], timeout=30).content == PNG
    assert call("GET", PAGE, claims=admin(HIDA, "viewer")).body["sections"][0]["image"]["upload_key"] == key


def test_a_disguised_image_is_removed_and_cannot_be_shown() -> None:
    created = new_image()
    upload(created.body["upload"], b"<svg onload=alert(1)>" + b" " * 180)
    assert deliver(created.body["upload"]["fields"]["key"]) == {"outcomes": ["rejected:type_mismatch"]}
    section = {"heading": "x", "image_key": created.body["upload_key"]}
    refused = call("PUT", PAGE, page_body(section), claims=admin(HIDA))
    assert refused.status == 400 and "image_keys[0]" in refused.body["error"]["details"], refused


def test_an_image_not_yet_uploaded_or_of_another_government_is_refused() -> None:
    pending = new_image().body["upload_key"]
    theirs = new_image(lg_code=TAKAYAMA)
    upload(theirs.body["upload"], PNG)
    deliver(theirs.body["upload"]["fields"]["key"])
    for key in (pending, theirs.body["upload_key"]):
        reply = call("PUT", PAGE, page_body({"heading": "x", "image_key": key}), claims=admin(HIDA))
        assert reply.status == 400, reply
    assert call("GET", PAGE, claims=admin(HIDA)).body["sections"] == []


def test_type_and_size_are_checked_before_and_the_policy_holds_after() -> None:
    for content_type, size, field in (
        ("image/gif", 10, "content_type"),
        ("image/png", 5 * 1024 * 1024 + 1, "size"),
    ):
        reply = new_image(content_type, size)
        assert reply.status == 400 and field in reply.body["error"]["details"], reply
    fields = new_image(size=len(PNG)).body["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    # S3 itself refuses another type or a bigger file: the signed policy says so.
    assert ["content-length-range", 1, 5 * 1024 * 1024] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert fields["key"].startswith(f"uploads/lg-{HIDA}/upl_")


def test_only_admins_upload_and_registrants_cannot_use_the_staff_purpose() -> None:
    assert (
        call(
            "POST", PAGE + "/images", {"content_type": "image/png", "size": 10}, claims=admin(HIDA, "viewer")
        ).status
        == 403
    )
    body = {"purpose": "page_image", "content_type": "image/png", "size": 10}
    reply = call("POST", "/v1/me/uploads", body, claims=person("alice"))
    assert reply.status == 400 and "purpose" in reply.body["error"]["details"]
