"""Offline scans of a printed code are no evidence on the phone's word: one that arrives after the
check-in window closed stays `unconfirmed` (counted nowhere) until staff confirm it from the
roster, or reject it. Through the functions' handlers, against moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from furusato.statistics.rebuild import rebuild
from tests.integration.checkin_helpers import HIDA, TAKAYAMA, activity, at, org, scan, static_token
from tests.integration.test_identity_premium import START, premium, take_part, verify
from tests.integration.test_premium_decisions import inbox, opt_in
from tests.support.lambda_api import Reply, call
from tests.support.streams import deliver
from tests.support.world import admin, onboard, person, registrations

BASE = f"/v1/admin/lgs/{HIDA}/activities"
# The third designated activity of the person: 10:00-12:00 five days after START; its check-in
# window closes at 13:00.
FESTIVAL = START + timedelta(days=5)
DURING = (FESTIVAL + timedelta(minutes=5)).isoformat()
AFTER_CLOSE = FESTIVAL + timedelta(hours=8)


def decide(activity_id: str, participation_id: str, decision: str, role: str = "coordinator") -> Reply:
    return call(
        "POST",
        f"{BASE}/{activity_id}/participants/{participation_id}/confirmation",
        {"decision": decision},
        claims=admin(HIDA, role),
    )


def count(activity_id: str) -> int:
    return int(call("GET", f"{BASE}/{activity_id}", claims=admin(HIDA, "viewer")).body["participant_count"])


def roster(activity_id: str) -> list[dict[str, Any]]:
    return list(call("GET", f"{BASE}/{activity_id}/participants", claims=admin(HIDA, "viewer")).body["items"])


def monthly(lg_code: str = HIDA) -> dict[str, int]:
    deliver()
    reply = call("GET", f"/v1/admin/lgs/{lg_code}/stats", claims=admin(lg_code, "viewer"))
    return dict(reply.body["participations_by_month"])


def counters_match_records() -> bool:
    """The statistics counters, kept from the stream, equal a recount from the records."""
    deliver()
    return rebuild(dry_run=True).counters_corrected == 0


@pytest.fixture
def photo() -> dict[str, Any]:
    """A verified person opted in to automatic premium, two designated activities short of none:
    the third would make them premium. They hold a photo of the third activity's poster."""
    onboard(HIDA, TAKAYAMA)
    at(START)
    verify("u1")
    opt_in("u1", HIDA)
    take_part("u1", HIDA, 2, START)
    at(FESTIVAL - timedelta(days=1))
    festival = activity(starts_at=FESTIVAL.isoformat(), ends_at=(FESTIVAL + timedelta(hours=2)).isoformat())
    return {**festival, "token": static_token(HIDA, festival["activity_id"])}


def test_a_photo_of_the_poster_sent_after_the_window_is_unconfirmed_and_counts_for_nothing(
    photo: dict[str, Any],
) -> None:
    before = monthly()
    at(AFTER_CLOSE)  # never attended: sends the photographed code hours later, claiming 10:05
    reply = scan("u1", photo["token"], scanned_at=DURING)
    assert reply.status == 201, reply
    assert reply.body["participation"]["status"] == "unconfirmed"
    assert reply.body["counted"] is False and reply.body["upgraded"] is None
    assert reply.body["progress"]["activities_counted"] == 2
    # Not premium, neither automatically nor by application.
    assert registrations("u1")[HIDA]["plan"] == "basic"
    assert [n["kind"] for n in inbox("u1")] == []
    refused = premium("u1", HIDA)
    assert (refused.status, refused.error_code) == (409, "NOT_ENOUGH_ACTIVITIES")
    # Counted nowhere: the activity's count, the monthly statistics (and a rebuild agrees).
    assert count(photo["activity_id"]) == 0
    assert monthly() == before
    assert counters_match_records()
    # Shown as such: to the person, and on the roster for staff to decide.
    mine = call("GET", "/v1/me/participations", claims=person("u1")).body["items"]
    assert [p["status"] for p in mine] == ["unconfirmed", "confirmed", "confirmed"]
    (line,) = roster(photo["activity_id"])
    assert (line["status"], line["offline"], line["decided_at"]) == ("unconfirmed", True, None)
    # Scanning again changes nothing.
    again = scan("u1", photo["token"], scanned_at=DURING)
    assert again.status == 200 and again.body["participation"]["status"] == "unconfirmed"


def test_offline_scans_that_arrive_while_the_window_is_open_and_live_scans_stay_confirmed(
    photo: dict[str, Any],
) -> None:
    at(FESTIVAL + timedelta(minutes=50))  # back in signal while check-in is still open
    late = scan("u2", photo["token"], scanned_at=DURING)
    assert late.status == 201 and late.body["participation"]["status"] == "confirmed"
    live = scan("u3", photo["token"])
    assert live.status == 201 and live.body["participation"]["status"] == "confirmed"
    skew = scan("u4", photo["token"], scanned_at=(FESTIVAL + timedelta(minutes=50, seconds=-30)).isoformat())
    assert skew.body["participation"]["status"] == "confirmed"
    assert count(photo["activity_id"]) == 3


def test_confirming_counts_it_and_makes_the_upgrade_the_scan_would_have(photo: dict[str, Any]) -> None:
    before = monthly()
    at(AFTER_CLOSE)
    pid = scan("u1", photo["token"], scanned_at=DURING).body["participation"]["participation_id"]
    at(AFTER_CLOSE + timedelta(days=1))  # staff check their sign-in sheet the next day
    confirmed = decide(photo["activity_id"], pid, "confirm")
    assert confirmed.status == 200, confirmed
    assert confirmed.body["status"] == "confirmed" and confirmed.body["decided_at"]
    assert confirmed.body["participation_id"] == pid and confirmed.body["offline"] is True
    assert registrations("u1")[HIDA]["plan"] == "premium"
    assert [n["kind"] for n in inbox("u1")] == ["upgraded"]
    assert count(photo["activity_id"]) == 1
    month = FESTIVAL.date().isoformat()[:7]
    assert monthly()[month] == before.get(month, 0) + 1
    # Deciding the same way again converges: nothing changes, nothing counts twice.
    again = decide(photo["activity_id"], pid, "confirm", role="admin")
    assert again.status == 200 and again.body["status"] == "confirmed"
    assert count(photo["activity_id"]) == 1 and monthly()[month] == before.get(month, 0) + 1
    assert counters_match_records()
    # A decision is final.
    reversed_ = decide(photo["activity_id"], pid, "reject")
    assert (reversed_.status, reversed_.error_code) == (409, "NOT_DECIDABLE")
    mine = call("GET", "/v1/me/participations", claims=person("u1")).body["items"]
    assert mine[0]["status"] == "confirmed"
    trail = call("GET", f"/v1/admin/lgs/{HIDA}/audit", claims=admin(HIDA)).body["items"]
    decisions = [e for e in trail if e["purpose"] == "confirmation of an offline scan"]
    assert sorted(e["action"] for e in decisions) == ["confirm", "read"]


def test_a_rejected_scan_never_counts(photo: dict[str, Any]) -> None:
    at(AFTER_CLOSE)
    pid = scan("u1", photo["token"], scanned_at=DURING).body["participation"]["participation_id"]
    rejected = decide(photo["activity_id"], pid, "reject")
    assert rejected.status == 200 and rejected.body["status"] == "rejected"
    assert decide(photo["activity_id"], pid, "reject").body["status"] == "rejected"
    refused = decide(photo["activity_id"], pid, "confirm")
    assert (refused.status, refused.error_code) == (409, "NOT_DECIDABLE")
    # Neither a new scan nor an application turns it into evidence.
    again = scan("u1", photo["token"], scanned_at=DURING)
    assert again.status == 200 and again.body["participation"]["status"] == "rejected"
    assert again.body["progress"]["activities_counted"] == 2
    assert (premium("u1", HIDA).error_code, registrations("u1")[HIDA]["plan"]) == (
        "NOT_ENOUGH_ACTIVITIES",
        "basic",
    )
    assert count(photo["activity_id"]) == 0
    assert counters_match_records()


def test_only_the_governments_coordinators_and_admins_decide(photo: dict[str, Any]) -> None:
    at(AFTER_CLOSE)
    pid = scan("u1", photo["token"], scanned_at=DURING).body["participation"]["participation_id"]
    for role in ("viewer", "org"):
        claims = admin(HIDA, role, org_id=org()["org_id"] if role == "org" else None)
        reply = call(
            "POST",
            f"{BASE}/{photo['activity_id']}/participants/{pid}/confirmation",
            {"decision": "confirm"},
            claims=claims,
        )
        assert (reply.status, reply.error_code) == (403, "FORBIDDEN"), (role, reply)
    # Staff of another government: refused on Hida's path, not found on their own.
    other = call(
        "POST",
        f"{BASE}/{photo['activity_id']}/participants/{pid}/confirmation",
        {"decision": "confirm"},
        claims=admin(TAKAYAMA),
    )
    assert other.status == 403
    theirs = call(
        "POST",
        f"/v1/admin/lgs/{TAKAYAMA}/activities/{photo['activity_id']}/participants/{pid}/confirmation",
        {"decision": "confirm"},
        claims=admin(TAKAYAMA),
    )
    assert (theirs.status, theirs.error_code) == (404, "NOT_FOUND")
    # A participation that never needed a decision, or of another activity, is not found.
    live = activity(
        name="別の活動", starts_at=FESTIVAL.isoformat(), ends_at=(FESTIVAL + timedelta(hours=2)).isoformat()
    )
    assert decide(live["activity_id"], pid, "confirm").status == 404
    assert count(photo["activity_id"]) == 0
    assert roster(photo["activity_id"])[0]["status"] == "unconfirmed"
