"""Check-in over real HTTP: staff create an activity and print its QR, a registrant scans it and
sees it counted, a second scan changes nothing, a forwarded rotating code fails a minute later,
and staff scanning a member card works."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import StackClient
from tests.integration.import_helpers import XLSX

pytestmark = pytest.mark.e2e
HIDA = "212172"


@pytest.fixture
def frozen(stack: StackClient) -> Iterator[None]:
    stack.set_clock("2026-05-10T09:30:00+09:00")
    yield
    stack.reset_clock()


def test_the_check_in_story(stack: StackClient, frozen: None) -> None:
    staff = stack.token("e2e-checkin-staff", "staff", lg_code=HIDA, staff_role="coordinator")
    base = f"/v1/admin/lgs/{HIDA}/activities"
    activity = {
        "name": "e2e 雪かきボランティア",
        "starts_at": "2026-05-10T10:00:00+09:00",
        "ends_at": "2026-05-10T12:00:00+09:00",
        "place": "古川町公民館",
        "designated": True,
    }
    created = stack.post(base, token=staff, json=activity)
    assert created.status_code == 201, created.text
    static_id = created.json()["activity_id"]

    # The poster prints; the app's link carries the token in the fragment.
    poster = stack.get(f"{base}/{static_id}/qr", token=staff, headers={"Accept": "image/png"})
    assert poster.status_code == 200 and poster.content[:8] == b"\x89PNG\r\n\x1a\n"
    # As API Gateway does: without `Accept` naming the type, the body stays base64 text.
    as_text = stack.get(f"{base}/{static_id}/qr", token=staff)
    assert base64.b64decode(as_text.content) == poster.content
    pdf = stack.get(
        f"{base}/{static_id}/qr", token=staff, params={"format": "pdf"}, headers={"Accept": "application/pdf"}
    )
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    svg = stack.get(
        f"{base}/{static_id}/qr", token=staff, params={"format": "svg"}, headers={"Accept": "image/svg+xml"}
    )
    assert "e2e 雪かきボランティア" in svg.content.decode()
    code = stack.get(f"{base}/{static_id}/qr", token=staff, params={"format": "json"}).json()
    assert "#" in code["url"] and code["url"].endswith(code["token"])

    # A registrant scans it at the venue and sees it counted; a second scan changes nothing.
    stack.set_clock("2026-05-10T10:05:00+09:00")
    person = stack.token("e2e-checkin-person", "registrant")
    first = stack.post("/v1/checkins", token=person, json={"token": code["token"], "nonce": "e2e-nonce-0001"})
    assert first.status_code == 201, first.text
    assert first.json()["counted"] is True and first.json()["progress"]["activities_counted"] >= 1
    second = stack.post(
        "/v1/checkins", token=person, json={"token": code["token"], "nonce": "e2e-nonce-0002"}
    )
    assert second.status_code == 200 and second.json()["status"] == "already_recorded"
    history = stack.get("/v1/me/participations", token=person, params={"lg_code": HIDA}).json()["items"]
    assert [p["activity_id"] for p in history].count(static_id) == 1

    # A rotating code on a screen: a photo forwarded to a friend fails a minute later.
    rotating = stack.post(
        base, token=staff, json={**activity, "name": "e2e 祭り", "checkin_mode": "rotating_qr"}
    )
    rotating_id = rotating.json()["activity_id"]
    live = stack.get(f"{base}/{rotating_id}/live-token", token=staff).json()
    later = datetime.fromisoformat(live["valid_from"]) + timedelta(seconds=61)
    stack.set_clock(later.isoformat())
    friend = stack.token("e2e-checkin-friend", "registrant")
    forwarded = stack.post(
        "/v1/checkins", token=friend, json={"token": live["token"], "nonce": "e2e-nonce-0003"}
    )
    assert forwarded.status_code == 409 and forwarded.json()["error"]["code"] == "TOKEN_EXPIRED"
    fresh = stack.get(f"{base}/{rotating_id}/live-token", token=staff).json()
    at_venue = stack.post(
        "/v1/checkins", token=friend, json={"token": fresh["token"], "nonce": "e2e-nonce-0004"}
    )
    assert at_venue.status_code == 201, at_venue.text

    # Staff scan a member card.
    card = stack.get("/v1/me/card", token=friend).json()
    scanned = stack.post(
        f"{base}/{static_id}/checkins",
        token=staff,
        json={"member_token": card["member_token"], "nonce": "e2e-n-05"},
    )
    assert scanned.status_code == 201, scanned.text

    # The roster shows both, with their sources; the spreadsheet downloads.
    roster = stack.get(f"{base}/{static_id}/participants", token=staff).json()["items"]
    assert sorted(p["source"] for p in roster) == ["qr", "staff_scan"]
    sheet = stack.get(
        f"{base}/{static_id}/participants", token=staff, params={"format": "xlsx"}, headers={"Accept": XLSX}
    )
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"

    # Another government's staff cannot see any of it.
    other = stack.token("e2e-checkin-other", "staff", lg_code="212032", staff_role="admin")
    assert stack.get(f"{base}/{static_id}/participants", token=other).status_code == 403


def test_a_photo_of_the_poster_sent_after_the_activity_waits_for_staff(
    stack: StackClient, frozen: None
) -> None:
    """Over HTTP: an offline scan that arrives after the window closed is `unconfirmed`, counts
    for nothing, and only the government's coordinator or admin decides; a repeat converges."""
    staff = stack.token("e2e-offline-staff", "staff", lg_code=HIDA, staff_role="coordinator")
    viewer = stack.token("e2e-offline-viewer", "staff", lg_code=HIDA, staff_role="viewer")
    other = stack.token("e2e-offline-other", "staff", lg_code="212032", staff_role="admin")
    base = f"/v1/admin/lgs/{HIDA}/activities"
    created = stack.post(
        base,
        token=staff,
        json={
            "name": "e2e 清掃活動",
            "starts_at": "2026-05-10T10:00:00+09:00",
            "ends_at": "2026-05-10T12:00:00+09:00",
            "place": "古川町公民館",
            "designated": True,
        },
    )
    activity_id = created.json()["activity_id"]
    code = stack.get(f"{base}/{activity_id}/qr", token=staff, params={"format": "json"}).json()

    stack.set_clock("2026-05-10T20:00:00+09:00")  # hours after check-in closed at 13:00
    claims = []
    for n, sub in enumerate(("e2e-offline-photo", "e2e-offline-friend")):
        person = stack.token(sub, "registrant")
        scan = stack.post(
            "/v1/checkins",
            token=person,
            json={
                "token": code["token"],
                "nonce": f"e2e-offline-{n:04d}",
                "scanned_at": "2026-05-10T10:05:00+09:00",
            },
        )
        assert scan.status_code == 201, scan.text
        body = scan.json()
        assert body["participation"]["status"] == "unconfirmed" and body["counted"] is False
        claims.append((person, body["participation"]["participation_id"]))

    def count() -> int:
        return int(stack.get(f"{base}/{activity_id}", token=viewer).json()["participant_count"])

    def decide(pid: str, decision: str, token: str = staff) -> Any:
        return stack.post(
            f"{base}/{activity_id}/participants/{pid}/confirmation", token=token, json={"decision": decision}
        )

    assert count() == 0
    roster = stack.get(f"{base}/{activity_id}/participants", token=viewer).json()["items"]
    assert sorted(line["status"] for line in roster) == ["unconfirmed", "unconfirmed"]
    (person, confirmed), (_, rejected) = claims
    assert decide(confirmed, "confirm", viewer).status_code == 403
    assert decide(confirmed, "confirm", other).status_code == 403
    for _ in range(2):  # a repeat converges
        reply = decide(confirmed, "confirm")
        assert reply.status_code == 200 and reply.json()["status"] == "confirmed", reply.text
    assert decide(rejected, "reject").json()["status"] == "rejected"
    assert decide(rejected, "confirm").json()["error"]["code"] == "NOT_DECIDABLE"
    assert count() == 1
    mine = stack.get("/v1/me/participations", token=person, params={"lg_code": HIDA}).json()["items"]
    assert [p["status"] for p in mine if p["activity_id"] == activity_id] == ["confirmed"]
