"""Statistics over real HTTP on the local stack: the numbers on /stats match a hand-computed
fixture, kept by the stream consumer (delivered by the stack; `POST /local/streams/drain` waits
for it). The fixture uses Aomori, which no other end-to-end story touches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e
AOMORI_PREF, AOMORI, HIROSAKI = "020001", "022012", "022021"
GOVERNMENTS = (
    (AOMORI_PREF, "青森県", "prefecture"),
    (AOMORI, "青森市", "municipality"),
    (HIROSAKI, "弘前市", "municipality"),
)
ANSWERS = {"plan": "basic", "survey_answers": {"relationship": ["観光・訪問"]}}


@pytest.fixture
def clock_reset(stack: StackClient) -> Iterator[None]:
    yield
    stack.reset_clock()


def _person(stack: StackClient, sub: str, postal_code: str, birth_date: str) -> str:
    token = stack.token(sub, "registrant")
    profile = {
        "name": "青森 太郎",
        "birth_date": birth_date,
        "gender": "male",
        "postal_code": postal_code,
        "address": "1-1",
    }
    assert stack.put("/v1/me/profile", token=token, json=profile).status_code == 200
    return token


def _register(stack: StackClient, token: str, lg_code: str) -> None:
    reply = stack.put(f"/v1/me/registrations/{lg_code}", token=token, json=ANSWERS)
    assert reply.status_code in (200, 201), reply.text


def _stats(stack: StackClient, lg_code: str) -> dict[str, Any]:
    staff = stack.token(f"e2e-stats-viewer-{lg_code}", "staff", lg_code=lg_code, staff_role="viewer")
    assert stack.post("/local/streams/drain").status_code == 200
    reply = stack.get(f"/v1/admin/lgs/{lg_code}/stats", token=staff)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _national(stack: StackClient) -> dict[str, Any]:
    assert stack.post("/local/streams/drain").status_code == 200
    reply = stack.get("/v1/operator/stats", token=stack.token("e2e-stats-operator", "operator"))
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_the_numbers_on_stats_match_the_fixture(stack: StackClient, clock_reset: None) -> None:
    stack.set_clock("2026-05-20T10:00:00+09:00")
    before = _national(stack)
    operator = stack.token("e2e-stats-operator", "operator")
    onboarded = 0
    for lg_code, name, kind in GOVERNMENTS:
        body = {"lg_code": lg_code, "name": name, "kind": kind, "prefecture_code": "02"}
        reply = stack.post("/v1/operator/lgs", token=operator, json=body)
        assert reply.status_code in (201, 409), reply.text
        onboarded += reply.status_code == 201

    # p1 lives in Shinjuku (36); p2 in Aomori city (17 until 2026-06-16); p3 in Matsue, withdraws.
    p1 = _person(stack, "e2e-stats-p1", "160-0022", "1990-04-01")
    p2 = _person(stack, "e2e-stats-p2", "030-0801", "2008-06-16")
    p3 = _person(stack, "e2e-stats-p3", "690-0001", "1955-01-10")
    _register(stack, p1, AOMORI)  # + Aomori prefecture, automatically
    _register(stack, p2, AOMORI)  # own residence (city and prefecture)
    _register(stack, p2, HIROSAKI)
    _register(stack, p3, AOMORI)

    # One check-in of p1 at an Aomori activity on 2026-06-01.
    staff = stack.token("e2e-stats-coordinator", "staff", lg_code=AOMORI, staff_role="coordinator")
    stack.set_clock("2026-06-01T09:30:00+09:00")
    activity = {
        "name": "雪かき",
        "starts_at": "2026-06-01T10:00:00+09:00",
        "ends_at": "2026-06-01T12:00:00+09:00",
        "place": "市役所前",
        "designated": True,
    }
    created = stack.post(f"/v1/admin/lgs/{AOMORI}/activities", token=staff, json=activity)
    assert created.status_code == 201, created.text
    qr = stack.get(
        f"/v1/admin/lgs/{AOMORI}/activities/{created.json()['activity_id']}/qr",
        token=staff,
        params={"format": "json"},
    ).json()
    scan = stack.post("/v1/checkins", token=p1, json={"token": qr["token"], "nonce": "e2e-stats-nonce-1"})
    assert scan.status_code == 201, scan.text

    stack.set_clock("2026-06-10T10:00:00+09:00")
    assert stack.delete(f"/v1/me/registrations/{AOMORI}", token=p3).status_code == 204

    stack.set_clock("2026-06-15T10:00:00+09:00")
    aomori = _stats(stack, AOMORI)
    assert aomori["relationship_population"] == {"total": 1, "basic": 1, "premium": 0}
    assert aomori["own_residence_excluded"] == 1
    assert aomori["long_term_stayers"] == 0
    assert aomori["by_age_band"] == {
        "0-17": 0,
        "18-29": 0,
        "30-39": 1,
        "40-49": 0,
        "50-59": 0,
        "60-69": 0,
        "70+": 0,
    }
    assert aomori["by_residence_prefecture"] == {"13": 1}
    assert aomori["participations_by_month"] == {"2026-06": 1}
    assert aomori["history"] == [
        {"month": "2026-05", "total": 2, "basic": 2, "premium": 0},
        {"month": "2026-06", "total": 1, "basic": 1, "premium": 0},
    ]
    prefecture = _stats(stack, AOMORI_PREF)
    assert prefecture["relationship_population"]["total"] == 1  # p1; p3's ended with the city's
    assert prefecture["own_residence_excluded"] == 1  # p2
    hirosaki = _stats(stack, HIROSAKI)
    assert hirosaki["relationship_population"]["total"] == 1
    assert hirosaki["by_residence_prefecture"] == {"02": 1}
    assert hirosaki["by_age_band"]["0-17"] == 1

    after = _national(stack)
    assert after["people"] - before["people"] == 2  # p1 and p2, once each
    assert after["registrations"] - before["registrations"] == 3
    assert after["governments_onboarded"] - before["governments_onboarded"] == onboarded

    # The next day p2 is 18: the band moves with no change of the data.
    stack.set_clock("2026-06-16T10:00:00+09:00")
    bands = _stats(stack, HIROSAKI)["by_age_band"]
    assert (bands["0-17"], bands["18-29"]) == (0, 1)
