"""Premium decisions as the rules say, through the functions' handlers: the prefecture a person
withdrew from, a move into a premium government, the long-term stayer flag, and automatic
premium at the qualifying scan (rules 3, 5, 9, 13, 14, 16)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from furusato.clock import JST
from tests.integration.checkin_helpers import activity, at, member_token, scan, staff_scan, static_token
from tests.integration.test_identity_premium import premium, take_part, verify
from tests.support.lambda_api import Reply, call
from tests.support.world import RELATIONSHIP, admin, onboard, person, register, registrations

HIDA, GIFU, TAKAYAMA, MATSUE, SHIMANE, TOKYO, SHINJUKU = (
    "212172",
    "210005",
    "212032",
    "322016",
    "320005",
    "130001",
    "131041",
)
START = datetime(2026, 5, 10, 10, 0, tzinfo=JST)
HIDA_ADDRESS = "岐阜県飛騨市古川町本町2-22"


def settings(lg_code: str, **changes: Any) -> None:
    body = {
        "min_activities": 3,
        "window": "rolling_365d",
        "long_stay_days": 10,
        "auto_approval": True,
        "inactivity_months": 24,
        "count_municipal_activities": False,
        **changes,
    }
    reply = call("PUT", f"/v1/admin/lgs/{lg_code}/settings", body, claims=admin(lg_code))
    assert reply.status == 200, reply


def inbox(sub: str) -> list[dict[str, Any]]:
    return list(call("GET", "/v1/me/notifications", claims=person(sub)).body["items"])


def kinds(sub: str) -> list[tuple[str, str]]:
    return sorted((n["kind"], n["lg_code"]) for n in inbox(sub))


def opt_in(sub: str, lg_code: str, auto_upgrade: bool = True) -> Reply:
    body = {"plan": "basic", "survey_answers": RELATIONSHIP, "auto_upgrade": auto_upgrade}
    reply = call("PUT", f"/v1/me/registrations/{lg_code}", body, claims=person(sub))
    assert reply.status in (200, 201), reply
    assert reply.body["auto_upgrade"] is auto_upgrade
    return reply


def scans(sub: str, lg_code: str, count: int, start: datetime) -> list[Reply]:
    """`count` designated activities on consecutive days from `start`, each scanned by `sub`."""
    replies = []
    for i in range(count):
        day = start + timedelta(days=i)
        at(day - timedelta(minutes=30))
        created = activity(lg_code, starts_at=day.isoformat(), ends_at=(day + timedelta(hours=2)).isoformat())
        reply = scan(sub, static_token(lg_code, created["activity_id"]))
        assert reply.status == 201, reply
        replies.append(reply)
    return replies


# --- rule 5: the automatic prefecture registration, and a move into a premium government --------


def test_a_withdrawn_prefecture_is_not_re_added_by_updates() -> None:
    onboard(HIDA, TAKAYAMA, GIFU)
    assert register("u1", HIDA).body["also_registered"] == [GIFU]
    assert call("DELETE", f"/v1/me/registrations/{GIFU}", claims=person("u1")).status == 204
    updated = register("u1", HIDA, {"relationship": ["出身地"]})
    assert updated.status == 200 and updated.body["also_registered"] == []
    assert register("u1", TAKAYAMA).body["also_registered"] == []  # not the first municipality
    assert registrations("u1")[GIFU]["status"] == "withdrawn"
    # Once no municipal registration is left, a new first one brings the prefecture again.
    for code in (HIDA, TAKAYAMA):
        call("DELETE", f"/v1/me/registrations/{code}", claims=person("u1"))
    assert register("u1", HIDA).body["also_registered"] == [GIFU]


def test_a_verified_move_into_premium_governments_falls_back_to_basic_at_once() -> None:
    onboard(HIDA, GIFU)
    settings(GIFU, count_municipal_activities=True)
    at(START)
    verify("u1")
    register("u1", HIDA)
    take_part("u1", HIDA, 3, START)
    at(datetime(2026, 6, 1, 12, 0, tzinfo=JST))
    assert premium("u1", HIDA).status == 200 and premium("u1", GIFU).status == 200

    assert verify("u1", address=HIDA_ADDRESS).status == 201

    regs = registrations("u1")
    for code in (HIDA, GIFU):
        assert regs[code]["own_residence"] is True
        assert (regs[code]["plan"], regs[code]["status"], regs[code]["premium"]) == ("basic", "active", None)
        assert "own residence" in regs[code]["decision_reason"]
    card = call("GET", "/v1/me/card", claims=person("u1")).body["cards"]
    assert {c["plan"] for c in card} == {"basic"}
    assert kinds("u1") == [("downgraded", GIFU), ("downgraded", HIDA)]
    staff = call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA)).body["items"]
    assert [(r["plan"], r["own_residence"]) for r in staff] == [("basic", True)]


# --- rule 16: one source of truth for the long-term stayer flag ----------------------------------


def test_the_long_term_stayer_flag_is_the_same_everywhere_and_follows_check_ins() -> None:
    onboard(HIDA)
    at(START)
    verify("u1")
    take_part("u1", HIDA, 3, START)
    at(datetime(2026, 6, 1, 12, 0, tzinfo=JST))
    rid = premium("u1", HIDA).body["registration_id"]
    days = [(START.date() + timedelta(days=10 + i)).isoformat() for i in range(6)]  # 3 + 6 = 9 days
    stays = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/stays",
        {"registration_id": rid, "days": days},
        claims=admin(HIDA, "coordinator"),
    )
    assert stays.status == 201 and stays.body["long_term_stayer"] is False

    def everywhere() -> set[bool]:
        mine = registrations("u1")[HIDA]["premium"]["long_term_stayer"]
        card = call("GET", "/v1/me/card", claims=person("u1")).body["cards"][0]["long_term_stayer"]
        staff = call("GET", f"/v1/admin/lgs/{HIDA}/registrations", claims=admin(HIDA)).body["items"][0]
        return {mine, card, staff["premium"]["long_term_stayer"]}

    assert everywhere() == {False}
    scans("u1", HIDA, 1, datetime(2026, 6, 5, 10, 0, tzinfo=JST))  # the tenth day
    assert everywhere() == {True}


# --- rule 14: automatic premium at the qualifying scan -------------------------------------------


def test_an_opted_in_registrant_becomes_premium_at_the_third_scan() -> None:
    onboard(HIDA, GIFU)
    at(START)
    verify("u1")
    opt_in("u1", HIDA)
    first, second, third = scans("u1", HIDA, 3, START)
    assert first.body["upgraded"] is None and second.body["upgraded"] is None
    assert third.body["upgraded"] == {"lg_code": HIDA, "valid_until": "2027-05-12"}
    mine = registrations("u1")[HIDA]
    assert (mine["plan"], mine["status"], mine["premium"]["valid_until"]) == (
        "premium",
        "active",
        "2027-05-12",
    )
    assert kinds("u1") == [("upgraded", HIDA)]
    assert "2027-05-12" in inbox("u1")[0]["body"]
    # The next scan changes nothing more.
    assert scans("u1", HIDA, 1, START + timedelta(days=5))[0].body["upgraded"] is None
    assert kinds("u1") == [("upgraded", HIDA)]


def test_a_staff_scan_upgrades_too() -> None:
    onboard(HIDA)
    at(START)
    verify("u1")
    opt_in("u1", HIDA)
    scans("u1", HIDA, 2, START)
    day = START + timedelta(days=3)
    at(day - timedelta(minutes=10))
    created = activity(
        HIDA,
        starts_at=day.isoformat(),
        ends_at=(day + timedelta(hours=2)).isoformat(),
        checkin_mode="staff_scan",
    )
    reply = staff_scan(HIDA, created["activity_id"], member_token("u1"))
    assert reply.status == 201 and "upgraded" not in reply.body  # staff do not see the person's plan
    assert registrations("u1")[HIDA]["plan"] == "premium"
    assert kinds("u1") == [("upgraded", HIDA)]


@pytest.mark.parametrize("case", ["not opted in", "auto-approval off", "opted out again"])
def test_no_automatic_premium_without_opt_in_and_auto_approval(case: str) -> None:
    onboard(HIDA)
    if case == "auto-approval off":
        settings(HIDA, auto_approval=False)
    at(START)
    verify("u1")
    opt_in("u1", HIDA, auto_upgrade=case != "not opted in")
    if case == "opted out again":
        opt_in("u1", HIDA, auto_upgrade=False)
    replies = scans("u1", HIDA, 3, START)
    assert [r.body["upgraded"] for r in replies] == [None] * 3
    assert replies[-1].body["progress"]["activities_counted"] == 3
    assert registrations("u1")[HIDA]["plan"] == "basic" and inbox("u1") == []


def test_own_residence_is_refused_and_told_once() -> None:
    onboard(HIDA)
    at(START)
    verify("u1", address=HIDA_ADDRESS)
    opt_in("u1", HIDA)
    replies = scans("u1", HIDA, 5, START)
    assert [r.body["upgraded"] for r in replies] == [None] * 5
    assert registrations("u1")[HIDA]["plan"] == "basic"
    assert kinds("u1") == [("upgrade_refused", HIDA)]
    assert "お住まいの自治体" in inbox("u1")[0]["body"]


def test_a_minor_without_consent_is_not_upgraded() -> None:
    onboard(HIDA)
    at(START)
    refused = verify("u1", birth_date="2010-01-01")
    assert refused.status == 400 and refused.error_code == "GUARDIAN_CONSENT_REQUIRED"
    opt_in("u1", HIDA)
    replies = scans("u1", HIDA, 3, START)
    assert replies[-1].body["upgraded"] is None
    assert registrations("u1")[HIDA]["plan"] == "basic"
    assert kinds("u1") == [("upgrade_refused", HIDA)]


def test_a_minor_with_consent_is_upgraded() -> None:
    onboard(HIDA)
    at(START)
    consent = {
        "guardian_name": "山田 太郎",
        "relationship": "父",
        "consented_at": "2026-05-01T10:00:00+09:00",
    }
    assert verify("u1", consent, birth_date="2010-01-01").status == 201
    opt_in("u1", HIDA)
    assert scans("u1", HIDA, 3, START)[-1].body["upgraded"] == {"lg_code": HIDA, "valid_until": "2027-05-12"}


def test_the_cap_reached_by_a_concurrent_application_refuses_the_upgrade(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Premium with two governments; at the third HIDA scan an application for a third place
    commits between the upgrade's read and its write: the ledger condition refuses the upgrade,
    which is judged again and refused with the reason, once."""
    from furusato.capabilities import premium as capability
    from furusato.store import people

    onboard(HIDA, TAKAYAMA, MATSUE)
    call(
        "POST",
        "/v1/operator/lgs",
        {"lg_code": "022012", "name": "青森市", "kind": "municipality", "prefecture_code": "02"},
        claims={"sub": "op", "cognito:groups": "operator"},
    )
    at(START)
    verify("u1")
    take_part("u1", TAKAYAMA, 3, START)
    take_part("u1", MATSUE, 3, START + timedelta(days=5))
    take_part("u1", "022012", 3, START + timedelta(days=10))
    at(START + timedelta(days=14))
    assert premium("u1", TAKAYAMA).status == 201 and premium("u1", MATSUE).status == 201
    opt_in("u1", HIDA)
    scans("u1", HIDA, 2, START + timedelta(days=20))

    original = people.load
    raced: list[bool] = []

    def racing_load(sub: str) -> people.PersonRecord:
        record = original(sub)
        if not raced:
            raced.append(True)
            assert premium("u1", "022012").status == 201  # takes the third place first
        return record

    monkeypatch.setattr(capability.people, "load", racing_load)
    third = scans("u1", HIDA, 1, START + timedelta(days=22))[0]
    assert raced and third.body["upgraded"] is None
    regs = registrations("u1")
    assert regs[HIDA]["plan"] == "basic"
    assert sorted(c for c, r in regs.items() if r["plan"] == "premium") == sorted(
        ["022012", MATSUE, TAKAYAMA]
    )
    assert [k for k in kinds("u1") if k[1] == HIDA] == [("upgrade_refused", HIDA)]
    assert "3自治体" in next(n for n in inbox("u1") if n["lg_code"] == HIDA)["body"]
    monkeypatch.setattr(capability.people, "load", original)
    scans("u1", HIDA, 1, START + timedelta(days=25))
    assert [k for k in kinds("u1") if k[1] == HIDA] == [("upgrade_refused", HIDA)]  # told once
