"""The audit trail: every staff read or change of personal data is appended to a table no
application role can alter; a government reads its own records, the operator any government's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from furusato import clock
from furusato.clock import JST
from furusato.store import audit_trail
from tests.integration.checkin_helpers import (
    NOW,
    activity,
    at,
    member_token,
    scan,
    staff_scan,
    static_token,
)
from tests.support.lambda_api import call, operator_claims
from tests.support.world import admin, onboard, person, register, set_profile

HIDA, TAKAYAMA = "212172", "212032"


def _trail(lg_code: str, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The trail as the government's admin reads it (query: from, to, limit, cursor)."""
    reply = call("GET", f"/v1/admin/lgs/{lg_code}/audit", claims=admin(lg_code), query=query)
    assert reply.status == 200, reply
    return list(reply.body["items"])


def test_each_personal_data_route_writes_a_record_the_government_reads() -> None:
    onboard(HIDA, TAKAYAMA)
    at(NOW)
    set_profile("u1")
    assert register("u1", HIDA).status == 201
    viewer, coordinator = admin(HIDA, "viewer"), admin(HIDA, "coordinator")
    created = activity(HIDA)
    assert scan("u1", static_token(HIDA, created["activity_id"])).status == 201
    base = f"/v1/admin/lgs/{HIDA}"
    assert call("GET", f"{base}/registrations", claims=viewer).status == 200
    roster = f"{base}/activities/{created['activity_id']}/participants"
    assert call("GET", roster, claims=coordinator).status == 200
    assert call("GET", roster, claims=coordinator, query={"format": "xlsx"}).status == 200

    records = _trail(HIDA)
    seen = {(r["actor"], r["staff_role"], r["action"], r["resource"]) for r in records}
    assert (viewer["sub"], "viewer", "read", "registrations") in seen
    activity_roster = f"activities/{created['activity_id']}/participants"
    assert (coordinator["sub"], "coordinator", "read", activity_roster) in seen
    assert any(r["action"] == "export" and r["resource"].startswith(activity_roster) for r in records)
    for record in records:
        assert record["lg_code"] == HIDA and record["purpose"]
        assert datetime.fromisoformat(record["at"]).utcoffset() == timedelta(hours=9)
        # Identifiers and counts only: never the registrant's account, name or birth date.
        assert "u1" not in str(record) and "山田" not in str(record) and "1990" not in str(record)
    # Newest first.
    assert [r["at"] for r in records] == sorted((r["at"] for r in records), reverse=True)

    # Another government sees none of it; the operator reads any government's trail.
    assert _trail(TAKAYAMA) == []
    operator = call("GET", "/v1/operator/audit", claims=operator_claims(), query={"lg_code": HIDA})
    assert operator.status == 200 and len(operator.body["items"]) == len(records)
    assert call("GET", "/v1/operator/audit", claims=operator_claims()).status == 400


def test_changes_are_recorded_too_stays_staff_scans_and_imports() -> None:
    onboard(HIDA)
    at(NOW)
    set_profile("u1")
    assert register("u1", HIDA).status == 201
    registration_id = call("GET", "/v1/me/registrations", claims=person("u1")).body["items"][0][
        "registration_id"
    ]
    coordinator = admin(HIDA, "coordinator")
    stays = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/stays",
        {"registration_id": registration_id, "days": ["2026-05-01", "2026-05-02"]},
        claims=coordinator,
    )
    assert stays.status == 201, stays
    created = activity(HIDA, checkin_mode="staff_scan")
    assert staff_scan(HIDA, created["activity_id"], member_token("u1")).status == 201
    upload = call(
        "POST", f"/v1/admin/lgs/{HIDA}/imports", {"filename": "r8.xlsx", "dry_run": True}, claims=coordinator
    )
    assert upload.status == 201, upload
    seen = {(r["action"], r["resource"], r["records"]) for r in _trail(HIDA)}
    assert ("change", f"registrations/{registration_id}/stays", 2) in seen
    assert ("record", f"activities/{created['activity_id']}/participants", 1) in seen
    assert ("upload", f"imports/{upload.body['import_id']}", None) in seen


def test_periods_and_pages_cross_months() -> None:
    onboard(HIDA)
    for day in ("2026-04-30", "2026-05-01", "2026-05-31", "2026-06-01"):
        clock.freeze(datetime.fromisoformat(f"{day}T23:59:00+09:00"))
        call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA, "viewer"))
    clock.freeze(datetime(2026, 6, 2, 9, 0, tzinfo=JST))
    period: dict[str, str] = {"from": "2026-05-01", "to": "2026-05-31"}
    may = _trail(HIDA, period)
    assert [r["at"][:10] for r in may] == ["2026-05-31", "2026-05-01"]
    pages: list[str] = []
    cursor: str | None = None
    while True:
        query = {"from": "2026-04-01", "to": "2026-06-30", "limit": "1"}
        if cursor:
            query["cursor"] = cursor
        reply = call("GET", f"/v1/admin/lgs/{HIDA}/audit", claims=admin(HIDA), query=query)
        pages += [r["at"][:10] for r in reply.body["items"]]
        cursor = reply.body["next_cursor"]
        if not cursor:
            break
    assert pages == ["2026-06-01", "2026-05-31", "2026-05-01", "2026-04-30"]
    # Default period: the last 30 days up to today.
    assert [r["at"][:10] for r in _trail(HIDA)] == ["2026-06-01", "2026-05-31"]
    bad = call(
        "GET",
        f"/v1/admin/lgs/{HIDA}/audit",
        claims=admin(HIDA),
        query={"from": "2026-06-02", "to": "2026-06-01"},
    )
    assert bad.status == 400
    forged = call(
        "GET", f"/v1/admin/lgs/{HIDA}/audit", claims=admin(HIDA), query={"cursor": "eyJtIjoiMjAyNi0wNSJ9"}
    )
    assert forged.status == 400


def test_the_append_only_path_never_overwrites_a_record(clean_aws: str) -> None:
    at_ = datetime(2026, 5, 10, 10, 0, tzinfo=JST)
    fields: dict[str, Any] = {
        "at": at_,
        "lg_code": HIDA,
        "staff_role": "viewer",
        "action": "read",
        "resource": "registrations",
        "purpose": "registrant management",
        "records": 3,
    }
    key = audit_trail.append(actor="staff-a", record_id="fixed", **fields)
    with pytest.raises(audit_trail.AlreadyRecorded):
        audit_trail.append(actor="someone-else", record_id="fixed", **{**fields, "records": 0})
    table = boto3.resource("dynamodb", endpoint_url=clean_aws, region_name="ap-northeast-1").Table(
        "furusato-audit"
    )
    stored = table.get_item(Key={"pk": f"{HIDA}#2026-05", "sk": key})["Item"]
    assert stored["actor"] == "staff-a" and stored["records"] == 3


def test_a_read_that_cannot_be_recorded_is_not_served(monkeypatch: pytest.MonkeyPatch) -> None:
    from furusato.domain.errors import Unavailable

    onboard(HIDA)

    def fail(**_: Any) -> str:
        raise Unavailable()

    monkeypatch.setattr(audit_trail, "append", fail)
    reply = call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA))
    assert reply.status == 503
