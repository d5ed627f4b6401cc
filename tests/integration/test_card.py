"""GET /v1/me/card, staff scans of member codes, QR posters and GET /v1/me/participations."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.checkin_helpers import (
    GIFU,
    HIDA,
    NOW,
    TAKAYAMA,
    activity,
    at,
    live_token,
    member_token,
    org,
    scan,
    staff_scan,
    static_token,
)
from tests.support.lambda_api import call
from tests.support.world import admin, onboard, person, register, set_profile

DURING = "2026-05-10T10:05:00+09:00"


@pytest.fixture(autouse=True)
def _world() -> None:
    onboard(HIDA, TAKAYAMA, GIFU)
    at(NOW)


def test_card_lists_active_registrations_with_a_member_code() -> None:
    set_profile("u1")
    assert register("u1", HIDA).status == 201  # also registers with 岐阜県
    assert register("u1", TAKAYAMA).status == 201
    call("DELETE", f"/v1/me/registrations/{TAKAYAMA}", claims=person("u1"))
    reply = call("GET", "/v1/me/card", claims=person("u1"))
    assert reply.status == 200 and reply.headers.get("Cache-Control") == "no-store"
    body = reply.body
    assert body["member_token"].startswith("1m.") and len(body["member_token"]) < 120
    expires = datetime.fromisoformat(body["member_token_expires_at"])
    assert expires - NOW == timedelta(minutes=5)
    assert [(c["lg_code"], c["name"], c["plan"]) for c in body["cards"]] == [
        (GIFU, "岐阜県", "basic"),
        (HIDA, "飛騨市", "basic"),
    ]
    assert all(c["valid_until"] is None and c["long_term_stayer"] is False for c in body["cards"])
    empty = call("GET", "/v1/me/card", claims=person("newcomer"))
    assert empty.status == 200 and empty.body["cards"] == []


def test_staff_scan_of_a_member_code() -> None:
    act = activity(checkin_mode="staff_scan")
    at(DURING)
    code = member_token("u1")
    first = staff_scan(HIDA, act["activity_id"], code)
    assert first.status == 201, first
    assert first.body["status"] == "recorded" and first.body["participation"]["source"] == "staff_scan"
    assert "progress" not in first.body and first.body["registered"] is False
    again = staff_scan(HIDA, act["activity_id"], code)
    assert again.status == 200 and again.body["status"] == "already_recorded"
    mine = call("GET", "/v1/me/participations", claims=person("u1")).body["items"]
    assert [(p["activity_id"], p["source"], p["checkin_mode"]) for p in mine] == [
        (act["activity_id"], "staff_scan", "staff_scan")
    ]
    # The registrant cannot present the member code as a QR code themselves.
    assert scan("u1", code).error_code == "INVALID_TOKEN"


def test_staff_scan_refusals() -> None:
    act = activity(checkin_mode="staff_scan")
    code = member_token("u1")
    at(NOW + timedelta(minutes=5))  # the code lived 5 minutes
    expired = staff_scan(HIDA, act["activity_id"], code)
    assert (expired.status, expired.error_code) == (409, "TOKEN_EXPIRED")
    at("2026-05-10T08:00:00+09:00")
    early = staff_scan(HIDA, act["activity_id"], member_token("u2"))
    assert early.error_code == "OUTSIDE_WINDOW"
    at(DURING)
    qr = live_token(HIDA, activity(checkin_mode="rotating_qr")["activity_id"])
    assert staff_scan(HIDA, act["activity_id"], qr).error_code == "INVALID_TOKEN"
    viewer = staff_scan(HIDA, act["activity_id"], member_token("u3"), claims=admin(HIDA, "viewer"))
    assert viewer.status == 403
    association = org()
    outsider = staff_scan(
        HIDA, act["activity_id"], member_token("u3"), claims=admin(HIDA, "org", association["org_id"])
    )
    assert outsider.status == 404
    own = activity(organization_id=association["org_id"], checkin_mode="staff_scan")
    assert (
        staff_scan(
            HIDA, own["activity_id"], member_token("u3"), claims=admin(HIDA, "org", association["org_id"])
        ).status
        == 201
    )
    failures = call("GET", f"/v1/admin/lgs/{HIDA}/activities/{act['activity_id']}", claims=admin(HIDA)).body
    assert failures["scan_failures"] == {"INVALID_TOKEN": 1, "OUTSIDE_WINDOW": 1, "TOKEN_EXPIRED": 1}


def test_qr_poster_formats() -> None:
    act = activity()
    base = f"/v1/admin/lgs/{HIDA}/activities/{act['activity_id']}/qr"
    as_json = call("GET", base, query={"format": "json"}, claims=admin(HIDA, "coordinator"))
    assert as_json.status == 200
    assert as_json.body["url"].endswith("/checkin#" + as_json.body["token"])
    assert (as_json.body["valid_from"], as_json.body["valid_until"]) == (
        "2026-05-10T09:00:00+09:00",
        "2026-05-10T13:00:00+09:00",
    )
    png = call("GET", base, claims=admin(HIDA))
    assert png.status == 200 and png.headers["Content-Type"] == "image/png"
    assert base64.b64decode(png.body)[:8] == b"\x89PNG\r\n\x1a\n"
    svg = call("GET", base, query={"format": "svg"}, claims=admin(HIDA))
    assert svg.headers["Content-Type"] == "image/svg+xml"
    text = base64.b64decode(svg.body).decode()
    assert (
        "雪かきボランティア" in text and "古川町公民館" in text and "2026年5月10日(日) 10:00〜12:00" in text
    )
    pdf = call("GET", base, query={"format": "pdf"}, claims=admin(HIDA))
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert base64.b64decode(pdf.body).startswith(b"%PDF-")
    assert call("GET", base, query={"format": "gif"}, claims=admin(HIDA)).status == 400
    assert call("GET", base, claims=admin(HIDA, "viewer")).status == 403
    rotating = activity(checkin_mode="rotating_qr")
    wrong = call("GET", f"/v1/admin/lgs/{HIDA}/activities/{rotating['activity_id']}/qr", claims=admin(HIDA))
    assert (wrong.status, wrong.error_code) == (409, "WRONG_CHECKIN_MODE")
    wrong_live = call(
        "GET", f"/v1/admin/lgs/{HIDA}/activities/{act['activity_id']}/live-token", claims=admin(HIDA)
    )
    assert wrong_live.error_code == "WRONG_CHECKIN_MODE"


def test_live_token_rotates() -> None:
    rotating = activity(checkin_mode="rotating_qr")
    at("2026-05-10T10:00:05+09:00")
    reply = call(
        "GET", f"/v1/admin/lgs/{HIDA}/activities/{rotating['activity_id']}/live-token", claims=admin(HIDA)
    )
    assert reply.status == 200
    body = reply.body
    assert body["valid_from"] == "2026-05-10T10:00:00+09:00"
    assert body["refresh_at"] == "2026-05-10T10:00:30+09:00"
    assert body["valid_until"] == "2026-05-10T10:01:00+09:00"
    assert body["step_seconds"] == 30
    at("2026-05-10T10:00:31+09:00")
    assert live_token(HIDA, rotating["activity_id"]) != body["token"]


def test_my_participations() -> None:
    acts = [
        activity(name="一", starts_at="2026-05-10T10:00:00+09:00", ends_at="2026-05-10T12:00:00+09:00"),
        activity(name="二", starts_at="2026-05-11T10:00:00+09:00", ends_at="2026-05-11T12:00:00+09:00"),
        activity(
            TAKAYAMA, name="三", starts_at="2026-05-12T10:00:00+09:00", ends_at="2026-05-12T12:00:00+09:00"
        ),
    ]
    for act, day in zip(acts, ("2026-05-10", "2026-05-11", "2026-05-12"), strict=True):
        token = static_token(act["lg_code"], act["activity_id"])
        at(f"{day}T10:05:00+09:00")
        assert scan("u1", token).status == 201
    everything = call("GET", "/v1/me/participations", claims=person("u1")).body
    assert [p["activity"]["name"] for p in everything["items"]] == ["三", "二", "一"]
    assert everything["next_cursor"] is None
    hida = call("GET", "/v1/me/participations", query={"lg_code": HIDA}, claims=person("u1")).body["items"]
    assert [p["activity"]["name"] for p in hida] == ["二", "一"]
    ranged = call(
        "GET", "/v1/me/participations", query={"from": "2026-05-11", "to": "2026-05-11"}, claims=person("u1")
    ).body["items"]
    assert [p["activity"]["name"] for p in ranged] == ["二"]
    page1 = call("GET", "/v1/me/participations", query={"limit": "2"}, claims=person("u1")).body
    page2 = call(
        "GET",
        "/v1/me/participations",
        query={"limit": "2", "cursor": page1["next_cursor"]},
        claims=person("u1"),
    ).body
    assert [p["activity"]["name"] for p in page1["items"] + page2["items"]] == ["三", "二", "一"]
    assert page2["next_cursor"] is None
    bad = call("GET", "/v1/me/participations", query={"cursor": "%%%"}, claims=person("u1"))
    assert bad.status == 400
    assert call("GET", "/v1/me/participations", claims=person("u2")).body["items"] == []


def test_a_person_not_registered_is_told_so(request: Any) -> None:
    act = activity()
    token = static_token(HIDA, act["activity_id"])
    at(DURING)
    reply = scan("visitor", token)
    assert reply.body["registered"] is False and reply.body["lg_code"] == HIDA
    set_profile("visitor")
    assert register("visitor", HIDA).status == 201
    # Registering later: the record was kept and now counts in the registration's progress.
    regs = call("GET", "/v1/me/registrations", claims=person("visitor")).body["items"]
    assert next(r for r in regs if r["lg_code"] == HIDA)["progress"]["activities_counted"] == 1
