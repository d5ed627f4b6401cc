"""Identity and premium over real HTTP: a person verifies identity, takes part in three activities, becomes
premium, sees the card with a member token, is refused a fourth government, and a year later
(clock moved) is renewed or falls back to basic with a notice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e
HIDA, TAKAYAMA, MATSUE, SHINJUKU, SAPPORO = "212172", "212032", "322016", "131041", "011002"
START = datetime.fromisoformat("2026-05-10T10:00:00+09:00")


@pytest.fixture
def clock_reset(stack: StackClient) -> Iterator[None]:
    yield
    stack.reset_clock()


def _take_part(stack: StackClient, person: str, lg_code: str, days: int, first: datetime, tag: str) -> None:
    staff = stack.token(f"e2e-premium-staff-{lg_code}", "staff", lg_code=lg_code, staff_role="coordinator")
    for i in range(days):
        starts = first + timedelta(days=i)
        stack.set_clock((starts - timedelta(minutes=30)).isoformat())
        body = {
            "name": f"e2e 活動 {tag}{i}",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": "公民館",
            "designated": True,
        }
        created = stack.post(f"/v1/admin/lgs/{lg_code}/activities", token=staff, json=body)
        assert created.status_code == 201, created.text
        qr = stack.get(
            f"/v1/admin/lgs/{lg_code}/activities/{created.json()['activity_id']}/qr",
            token=staff,
            params={"format": "json"},
        ).json()
        scan = stack.post(
            "/v1/checkins", token=person, json={"token": qr["token"], "nonce": f"{tag}-{i}-nonce-e2e"}
        )
        assert scan.status_code == 201, scan.text


def _premium(stack: StackClient, person: str, lg_code: str) -> Any:
    body = {"plan": "premium", "survey_answers": {"relationship": ["観光・訪問"]}}
    return stack.put(f"/v1/me/registrations/{lg_code}", token=person, json=body)


def test_the_premium_story(stack: StackClient, clock_reset: None) -> None:
    stack.set_clock(START.isoformat())
    person = stack.token("e2e-premium-person", "registrant")
    facts = {
        "subject": "e2e-idp-subject-1",
        "name": "飛騨 一郎",
        "birth_date": "1980-01-15",
        "gender": "male",
        "address": "東京都新宿区西新宿2-8-1",
    }
    nonce = stack.post("/v1/me/identity-verifications/nonce", token=person).json()["nonce"]
    assertion = stack.post("/local/identity-assertion", json={**facts, "nonce": nonce}).json()["assertion"]
    verified = stack.post("/v1/me/identity-verifications", token=person, json={"assertion": assertion})
    assert verified.status_code == 201 and verified.json()["verified"] is True

    _take_part(stack, person, HIDA, 3, START, "hida")
    _take_part(stack, person, TAKAYAMA, 3, START + timedelta(days=5), "taka")
    _take_part(stack, person, MATSUE, 3, START + timedelta(days=10), "matsue")
    # A fourth municipality, onboarded for this story, with three activities too.
    operator = stack.token("e2e-premium-operator", "operator")
    onboard = {"lg_code": SAPPORO, "name": "札幌市", "kind": "municipality", "prefecture_code": "01"}
    assert stack.post("/v1/operator/lgs", token=operator, json=onboard).status_code in (201, 409)
    _take_part(stack, person, SAPPORO, 3, START + timedelta(days=15), "sapporo")
    stack.set_clock("2026-06-01T12:00:00+09:00")
    for code in (HIDA, TAKAYAMA, MATSUE):
        granted = _premium(stack, person, code)
        assert granted.status_code in (200, 201), granted.text
        assert granted.json()["premium"]["valid_until"] == "2027-06-01"

    card = stack.get("/v1/me/card", token=person).json()
    assert card["member_token"] and card["member_token_expires_at"]
    assert {c["lg_code"]: c["plan"] for c in card["cards"]}[HIDA] == "premium"

    # A fourth government is refused: three is the limit. The own residence is refused anyway.
    fourth = _premium(stack, person, SAPPORO)
    assert fourth.status_code == 409 and fourth.json()["error"]["code"] == "PREMIUM_LIMIT_REACHED"
    assert sorted(fourth.json()["error"]["details"]["current"]) == sorted([HIDA, TAKAYAMA, MATSUE])
    own = _premium(stack, person, SHINJUKU)
    assert own.status_code == 409 and own.json()["error"]["code"] == "OWN_RESIDENCE_NOT_ALLOWED"

    # A year later: 飛騨市 has three new activities in the window, the others none.
    _take_part(stack, person, HIDA, 3, datetime.fromisoformat("2027-04-10T10:00:00+09:00"), "hida2")
    for day in ("2027-05-02T04:00:00+09:00", "2027-06-01T04:00:00+09:00"):
        stack.set_clock(day)
        assert stack.post("/local/sweeps/renewal").status_code == 200
    regs = {r["lg_code"]: r for r in stack.get("/v1/me/registrations", token=person).json()["items"]}
    assert regs[HIDA]["plan"] == "premium" and regs[HIDA]["premium"]["valid_until"] == "2028-06-01"
    assert regs[TAKAYAMA]["plan"] == "basic" and regs[TAKAYAMA]["status"] == "active"
    assert regs[TAKAYAMA]["decision_reason"]
    kinds = [n["kind"] for n in stack.get("/v1/me/notifications", token=person).json()["items"]]
    assert "renewal_due" in kinds and "renewed" in kinds and "downgraded" in kinds


def test_an_opted_in_registrant_becomes_premium_at_the_third_scan(
    stack: StackClient, clock_reset: None
) -> None:
    first = datetime.fromisoformat("2026-08-01T10:00:00+09:00")
    stack.set_clock(first.isoformat())
    person = stack.token("e2e-premium-auto", "registrant")
    facts = {
        "subject": "e2e-idp-subject-auto",
        "name": "松江 花子",
        "birth_date": "1991-02-02",
        "gender": "female",
        "address": "東京都新宿区西新宿2-8-1",
    }
    assert stack.verify_identity(person, facts).status_code == 201
    body = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}, "auto_upgrade": True}
    opted = stack.put(f"/v1/me/registrations/{MATSUE}", token=person, json=body)
    assert opted.status_code == 201 and opted.json()["auto_upgrade"] is True, opted.text

    staff = stack.token(f"e2e-premium-staff-{MATSUE}", "staff", lg_code=MATSUE, staff_role="coordinator")
    answers = []
    for i in range(3):
        starts = first + timedelta(days=i)
        stack.set_clock((starts - timedelta(minutes=30)).isoformat())
        activity = {
            "name": f"e2e 自動 {i}",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": "松江城",
            "designated": True,
        }
        created = stack.post(f"/v1/admin/lgs/{MATSUE}/activities", token=staff, json=activity).json()
        qr = stack.get(
            f"/v1/admin/lgs/{MATSUE}/activities/{created['activity_id']}/qr",
            token=staff,
            params={"format": "json"},
        ).json()
        scan = stack.post(
            "/v1/checkins", token=person, json={"token": qr["token"], "nonce": f"auto-{i}-nonce-e2e"}
        )
        assert scan.status_code == 201, scan.text
        answers.append(scan.json())

    assert [a["upgraded"] for a in answers[:2]] == [None, None]
    assert answers[2]["upgraded"] == {"lg_code": MATSUE, "valid_until": "2027-08-03"}
    assert answers[2]["activity_day"] == "2026-08-03"
    regs = {r["lg_code"]: r for r in stack.get("/v1/me/registrations", token=person).json()["items"]}
    assert regs[MATSUE]["plan"] == "premium" and regs[MATSUE]["premium"]["valid_until"] == "2027-08-03"
    notes = stack.get("/v1/me/notifications", token=person).json()["items"]
    assert [(n["kind"], n["lg_code"]) for n in notes] == [("upgraded", MATSUE)]
