"""Identity verification and premium through the registration function (rules 5-16)."""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from furusato import clock
from furusato.clock import JST
from tests.conftest import IDENTITY_PROVIDER
from tests.integration.checkin_helpers import activity, at, scan, static_token
from tests.support.concurrency import fresh_connections, serialize_moto_writes
from tests.support.lambda_api import call
from tests.support.roundtrips import count_calls
from tests.support.world import admin, identity_nonce, onboard, person, register, registrations, set_profile

HIDA, GIFU, TAKAYAMA, MATSUE, SHIMANE, TOKYO, SHINJUKU = (
    "212172",
    "210005",
    "212032",
    "322016",
    "320005",
    "130001",
    "131041",
)
FACTS = {
    "subject": "idp-person-1",
    "name": "山田　花子",
    "birth_date": "1990-04-01",
    "gender": "female",
    "address": "東京都新宿区西新宿2-8-1",
}


def verify(sub: str, consent: dict[str, Any] | None = None, **facts: Any) -> Any:
    assertion = IDENTITY_PROVIDER.sign({**FACTS, "nonce": identity_nonce(sub), **facts}, clock.now())
    body: dict[str, Any] = {"assertion": assertion}
    if consent is not None:
        body["guardian_consent"] = consent
    return call("POST", "/v1/me/identity-verifications", body, claims=person(sub))


def take_part(sub: str, lg_code: str, count: int, start: datetime, designated: bool = True) -> None:
    """`count` activities of `lg_code` on consecutive days from `start`, each scanned by `sub`."""
    for i in range(count):
        day = start + timedelta(days=i)
        at(day - timedelta(minutes=30))
        created = activity(
            lg_code,
            starts_at=day.isoformat(),
            ends_at=(day + timedelta(hours=2)).isoformat(),
            designated=designated,
        )
        reply = scan(sub, static_token(lg_code, created["activity_id"]))
        assert reply.status == 201, reply


def premium(sub: str, lg_code: str, **kwargs: Any) -> Any:
    body = {"plan": "premium", "survey_answers": {"relationship": ["出身地"]}}
    return call("PUT", f"/v1/me/registrations/{lg_code}", body, claims=person(sub), **kwargs)


START = datetime(2026, 5, 10, 10, 0, tzinfo=JST)


def test_verification_locks_the_facts_and_sets_the_residence() -> None:
    at(START)
    set_profile("u1", "690-0001", name="別の 名前")
    reply = verify("u1")
    assert reply.status == 201 and reply.body["verified"] is True and reply.body["minor"] is False
    me = call("GET", "/v1/me", claims=person("u1")).body
    assert me["identity"]["verified"] is True
    assert me["profile"]["name"] == "山田 花子" and me["profile"]["residence_lg_code"] == SHINJUKU
    locked = set_profile("u1", "690-0001", name="別の 名前")
    assert locked.status == 409 and locked.error_code == "IDENTITY_LOCKED"
    assert locked.body["error"]["details"]["fields"] == ["name", "address"]


def test_an_address_change_moves_the_residence_and_own_residence() -> None:
    onboard(HIDA, GIFU, TOKYO, SHINJUKU)
    at(START)
    verify("u1")
    register("u1", SHINJUKU)
    register("u1", HIDA)
    assert registrations("u1")[SHINJUKU]["own_residence"] is True
    verify("u1", address="岐阜県飛騨市古川町本町2-22")
    regs = registrations("u1")
    assert regs[SHINJUKU]["own_residence"] is False and regs[TOKYO]["own_residence"] is False
    assert regs[HIDA]["own_residence"] is True and regs[GIFU]["own_residence"] is True


def test_one_identity_one_account() -> None:
    at(START)
    assert verify("u1").status == 201
    second = verify("u2")
    assert second.status == 409 and second.error_code == "IDENTITY_ALREADY_BOUND"
    assert call("GET", "/v1/me", claims=person("u2")).body["identity"]["verified"] is False
    # The same account may verify again.
    assert verify("u1").status == 201


@pytest.mark.parametrize(
    ("birth", "minor"),
    [("2008-05-11", True), ("2008-05-10", False), ("2008-05-09", False)],
)
def test_guardian_consent_under_18_on_the_jst_day(birth: str, minor: bool) -> None:
    at(datetime(2026, 5, 10, 0, 0, tzinfo=JST))  # 00:00 JST is already the 10th
    reply = verify("u1", birth_date=birth)
    if minor:
        assert reply.status == 400 and reply.error_code == "GUARDIAN_CONSENT_REQUIRED"
        consent = {
            "guardian_name": "山田 一郎",
            "relationship": "父",
            "consented_at": "2026-05-09T20:00:00+09:00",
        }
        reply = verify("u1", consent=consent, birth_date=birth)
        assert reply.status == 201 and reply.body["minor"] is True
        assert reply.body["guardian_consent"]["relationship"] == "父"
    else:
        assert reply.status == 201 and reply.body["minor"] is False


def test_a_guardian_consent_dated_in_the_future_is_refused_and_changes_nothing() -> None:
    at(START)
    consent = {
        "guardian_name": "山田 一郎",
        "relationship": "父",
        "consented_at": "2026-05-10T10:00:01+09:00",
    }
    reply = verify("u1", consent=consent, birth_date="2010-01-01")
    assert reply.status == 400 and reply.error_code == "VALIDATION_ERROR"
    assert "guardian_consent.consented_at" in reply.body["error"]["details"]
    assert call("GET", "/v1/me", claims=person("u1")).body["identity"]["verified"] is False


def test_bad_assertions_are_refused_and_change_nothing() -> None:
    at(START)
    other = type(IDENTITY_PROVIDER)(issuer=IDENTITY_PROVIDER.issuer, kid=IDENTITY_PROVIDER.kid)
    forged = other.sign(FACTS, clock.now())
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": forged}, claims=person("u1"))
    assert reply.status == 400 and reply.error_code == "INVALID_ASSERTION"
    expired = IDENTITY_PROVIDER.sign(FACTS, clock.now() - timedelta(hours=1))
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": expired}, claims=person("u1"))
    assert reply.status == 400 and reply.body["error"]["details"] == {"assertion": "expired"}
    wrong_aud = IDENTITY_PROVIDER.sign(FACTS, clock.now(), aud="another-app")
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": wrong_aud}, claims=person("u1"))
    assert reply.status == 400 and reply.body["error"]["details"] == {"assertion": "audience"}
    number = IDENTITY_PROVIDER.sign(FACTS, clock.now(), individual_number="123456789012")
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": number}, claims=person("u1"))
    assert reply.status == 400 and "123456789012" not in str(reply.body)
    assert call("GET", "/v1/me", claims=person("u1")).body["identity"]["verified"] is False


def test_premium_needs_three_activities_and_then_lasts_a_year() -> None:
    onboard(HIDA, GIFU)
    at(START)
    verify("u1")
    register("u1", HIDA)
    take_part("u1", HIDA, 2, START)
    refused = premium("u1", HIDA)
    assert refused.status == 409 and refused.error_code == "NOT_ENOUGH_ACTIVITIES"
    assert (
        refused.body["error"]["details"]["required"] == 3 and refused.body["error"]["details"]["counted"] == 2
    )
    take_part("u1", HIDA, 1, START + timedelta(days=5))
    at(datetime(2026, 6, 1, 12, 0, tzinfo=JST))
    with count_calls() as calls:
        granted = premium("u1", HIDA)
    assert granted.status == 200, granted
    assert sum(calls.values()) <= 4, calls
    assert granted.body["plan"] == "premium" and granted.body["premium"]["valid_until"] == "2027-06-01"
    card = call("GET", "/v1/me/card", claims=person("u1")).body
    assert {c["lg_code"]: c["plan"] for c in card["cards"]} == {HIDA: "premium", GIFU: "basic"}
    assert card["member_token"]


def test_identity_and_own_residence_are_refused() -> None:
    onboard(SHINJUKU, HIDA)
    at(START)
    unverified = premium("u1", HIDA)
    assert unverified.status == 409 and unverified.error_code == "IDENTITY_NOT_VERIFIED"
    verify("u1")
    take_part("u1", SHINJUKU, 3, START)
    own = premium("u1", SHINJUKU)
    assert own.status == 409 and own.error_code == "OWN_RESIDENCE_NOT_ALLOWED"


def test_the_fourth_government_is_refused_but_a_prefecture_beside_its_municipality_is_free() -> None:
    onboard(HIDA, TAKAYAMA, GIFU, MATSUE, SHIMANE)
    for code in (GIFU, SHIMANE):
        call(
            "PUT",
            f"/v1/admin/lgs/{code}/settings",
            {
                "min_activities": 3,
                "window": "rolling_365d",
                "long_stay_days": 10,
                "auto_approval": True,
                "inactivity_months": 24,
                "count_municipal_activities": True,
            },
            claims=admin(code),
        )
    at(START)
    verify("u1")
    take_part("u1", HIDA, 3, START)
    take_part("u1", TAKAYAMA, 3, START + timedelta(days=10))
    take_part("u1", MATSUE, 3, START + timedelta(days=20))
    at(datetime(2026, 6, 20, 12, 0, tzinfo=JST))
    for code in (HIDA, TAKAYAMA, MATSUE):
        assert premium("u1", code).status in (200, 201)
    # 岐阜県 and 島根県 count their municipalities' activities and are free beside them.
    assert premium("u1", GIFU).status == 200
    assert premium("u1", SHIMANE).status == 200
    # A fourth municipality would take a fourth place.
    call(
        "POST",
        "/v1/operator/lgs",
        {"lg_code": "011002", "name": "札幌市", "kind": "municipality", "prefecture_code": "01"},
        claims={"sub": "op", "cognito:groups": "operator"},
    )
    take_part("u1", "011002", 3, START + timedelta(days=30))
    at(datetime(2026, 6, 20, 12, 0, tzinfo=JST))
    fourth = premium("u1", "011002")
    assert fourth.status == 409 and fourth.error_code == "PREMIUM_LIMIT_REACHED"
    assert fourth.body["error"]["details"]["current"] == sorted([GIFU, HIDA, TAKAYAMA, MATSUE, SHIMANE])
    assert "011002" not in registrations("u1")  # a refusal changes nothing


def test_auto_approval_off_waits_for_a_coordinator_who_decides() -> None:
    onboard(HIDA)
    call(
        "PUT",
        f"/v1/admin/lgs/{HIDA}/settings",
        {
            "min_activities": 3,
            "window": "rolling_365d",
            "long_stay_days": 10,
            "auto_approval": False,
            "inactivity_months": 24,
            "count_municipal_activities": False,
        },
        claims=admin(HIDA),
    )
    at(START)
    verify("u1")
    take_part("u1", HIDA, 3, START)
    waiting = premium("u1", HIDA)
    assert waiting.status == 202 and waiting.body["status"] == "pending_review"
    rid = waiting.body["registration_id"]
    viewer = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/registrations/{rid}/review",
        {"decision": "approve", "reason": "ok"},
        claims=admin(HIDA, "viewer"),
    )
    assert viewer.status == 403
    other = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/registrations/reg_unknown/review",
        {"decision": "approve", "reason": "ok"},
        claims=admin(HIDA, "coordinator"),
    )
    assert other.status == 404
    decided = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/registrations/{rid}/review",
        {"decision": "reject", "reason": "活動記録を確認できませんでした"},
        claims=admin(HIDA, "coordinator"),
    )
    assert decided.status == 200 and decided.body["plan"] == "basic"
    mine = registrations("u1")[HIDA]
    assert mine["plan"] == "basic" and mine["decision_reason"] == "活動記録を確認できませんでした"
    inbox = call("GET", "/v1/me/notifications", claims=person("u1")).body["items"]
    assert [n["kind"] for n in inbox] == ["review_decided"] and "確認できません" in inbox[0]["body"]
    again = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/registrations/{rid}/review",
        {"decision": "approve", "reason": "ok"},
        claims=admin(HIDA, "coordinator"),
    )
    assert again.status == 409 and again.error_code == "NOT_PENDING_REVIEW"


def test_approved_stays_make_a_long_term_stayer() -> None:
    onboard(HIDA)
    at(START)
    verify("u1")
    take_part("u1", HIDA, 3, START)
    at(datetime(2026, 6, 1, 12, 0, tzinfo=JST))
    rid = premium("u1", HIDA).body["registration_id"]
    days = [(date(2026, 5, 20) + timedelta(days=i)).isoformat() for i in range(6)]
    reply = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/stays",
        {"registration_id": rid, "days": days},
        claims=admin(HIDA, "coordinator"),
    )
    assert reply.status == 201 and reply.body["stay_days"] == 9 and reply.body["long_term_stayer"] is False
    more = [date(2026, 5, 30).isoformat(), days[0]]
    reply = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/stays",
        {"registration_id": rid, "days": more},
        claims=admin(HIDA, "coordinator"),
    )
    assert reply.body["stay_days"] == 10 and reply.body["long_term_stayer"] is True
    card = call("GET", "/v1/me/card", claims=person("u1")).body["cards"]
    assert card[0]["long_term_stayer"] is True
    future = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/stays",
        {"registration_id": rid, "days": ["2026-06-02"]},
        claims=admin(HIDA, "coordinator"),
    )
    assert future.status == 400


def _upgrade(args: tuple[str, str]) -> int:
    lg_code, now = args
    clock.freeze(datetime.fromisoformat(now))
    return premium("racer", lg_code).status


def test_fifty_concurrent_upgrades_end_with_exactly_three(
    clean_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    serialize_moto_writes(monkeypatch)
    from furusato.store import people
    from furusato.store.models import ParticipationItem

    codes = [f"{n:02d}2{k:02d}" for n in range(1, 11) for k in range(1, 6)]
    from furusato.domain.lg_code import lg_check_digit

    codes = [c + lg_check_digit(c) for c in codes][:50]
    for code in codes:
        call(
            "POST",
            "/v1/operator/lgs",
            {"lg_code": code, "name": f"市{code}", "kind": "municipality", "prefecture_code": code[:2]},
            claims={"sub": "op", "cognito:groups": "operator"},
        )
    at(START)
    verify("racer")
    # Three designated participations in each government, written as check-ins would.
    from furusato.domain.checkin import ParticipationRecord
    from furusato.store import participations

    for code in codes:
        for i in range(3):
            day = START + timedelta(days=i)
            participations.record(
                ParticipationRecord(
                    activity_id=f"act-{code}-{i}",
                    lg_code=code,
                    designated=True,
                    day=day.date(),
                    sub="racer",
                    participation_id=f"p-{code}-{i}",
                    activity_name="x",
                    activity_starts_at=day.isoformat(),
                    activity_ends_at=day.isoformat(),
                    place="x",
                    checked_in_at=day.isoformat(),
                    recorded_at=day.isoformat(),
                )
            )
    now = datetime(2026, 6, 1, 12, 0, tzinfo=JST).isoformat()
    context = multiprocessing.get_context("fork")
    with context.Pool(8, initializer=fresh_connections) as pool:
        statuses = pool.map(_upgrade, [(code, now) for code in codes])
    assert sorted(statuses).count(201) == 3, statuses
    assert statuses.count(409) == 47 and not [s for s in statuses if s >= 500]
    record = people.load("racer")
    assert len(record.premium_lg_codes()) == 3
    _ = ParticipationItem


def test_an_assertion_is_single_use_and_bound_to_the_account_it_was_issued_for() -> None:
    onboard(HIDA)
    nonce = identity_nonce("u1")
    assertion = IDENTITY_PROVIDER.sign({**FACTS, "nonce": nonce}, clock.now())
    # Released by u1 (or stolen from it): another account cannot use it within its lifetime.
    stolen = call("POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person("u2"))
    assert stolen.status == 400 and stolen.error_code == "INVALID_ASSERTION", stolen
    first = call("POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person("u1"))
    assert first.status == 201, first
    # The same assertion (its jti) is refused the second time, even with a fresh nonce issued.
    identity_nonce("u1")
    again = call("POST", "/v1/me/identity-verifications", {"assertion": assertion}, claims=person("u1"))
    assert again.status == 400 and again.body["error"]["details"] == {"assertion": "already used"}, again


def test_an_assertion_without_the_servers_nonce_is_refused() -> None:
    onboard(HIDA)
    bare = IDENTITY_PROVIDER.sign(FACTS, clock.now())
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": bare}, claims=person("u1"))
    assert reply.status == 400 and reply.error_code == "INVALID_ASSERTION"
    invented = IDENTITY_PROVIDER.sign({**FACTS, "nonce": "made-up-by-the-client"}, clock.now())
    reply = call("POST", "/v1/me/identity-verifications", {"assertion": invented}, claims=person("u1"))
    assert reply.status == 400 and reply.error_code == "INVALID_ASSERTION"


def test_a_nonce_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    onboard(HIDA)
    start = datetime(2026, 6, 1, 9, tzinfo=JST)
    clock.freeze(start)
    try:
        nonce = identity_nonce("u1")
        clock.freeze(start + timedelta(minutes=11))
        late = IDENTITY_PROVIDER.sign({**FACTS, "nonce": nonce}, clock.now())
        reply = call("POST", "/v1/me/identity-verifications", {"assertion": late}, claims=person("u1"))
        assert reply.status == 400 and reply.error_code == "INVALID_ASSERTION", reply
    finally:
        clock.unfreeze()
