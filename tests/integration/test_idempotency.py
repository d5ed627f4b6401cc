"""`Idempotency-Key`: same key + same body -> the first response; another body -> 409."""

from __future__ import annotations

import time
from typing import Any

import pytest

from furusato.capabilities import activities as activities_capability
from tests.support.lambda_api import LambdaContext, call, operator_claims
from tests.support.world import admin, onboard, register, registrations

HIDA, GIFU = "212172", "210005"


def test_retried_create_returns_the_first_response() -> None:
    onboard(HIDA, GIFU)
    first = register("u1", HIDA, headers={"Idempotency-Key": "key-1"})
    again = register("u1", HIDA, headers={"Idempotency-Key": "key-1"})
    assert first.status == again.status == 201
    assert again.body == first.body and again.body["also_registered"] == [GIFU]
    # Without the key the same request is an update.
    assert register("u1", HIDA).status == 200


def test_same_key_with_another_body_is_409() -> None:
    onboard(HIDA)
    register("u1", HIDA, headers={"Idempotency-Key": "key-1"})
    other = register("u1", HIDA, {"relationship": ["出身地"]}, headers={"Idempotency-Key": "key-1"})
    assert other.status == 409 and other.error_code == "IDEMPOTENCY_KEY_REUSED"


def test_keys_are_scoped_to_the_caller() -> None:
    onboard(HIDA)
    assert register("u1", HIDA, headers={"Idempotency-Key": "shared"}).status == 201
    assert register("u2", HIDA, headers={"Idempotency-Key": "shared"}).status == 201
    assert HIDA in registrations("u2")


def test_failed_requests_are_not_cached() -> None:
    onboard(HIDA)
    failed = register("u1", HIDA, {}, headers={"Idempotency-Key": "k"})
    assert failed.status == 400
    assert register("u1", HIDA, {}, headers={"Idempotency-Key": "k"}).status == 400
    assert register("u1", HIDA, headers={"Idempotency-Key": "k2"}).status == 201


def test_operator_onboarding_is_idempotent() -> None:
    body = {"lg_code": HIDA, "name": "飛騨市", "kind": "municipality", "prefecture_code": "21"}
    headers = {"Idempotency-Key": "onboard-hida"}
    first = call("POST", "/v1/operator/lgs", body, claims=operator_claims(), headers=headers)
    again = call("POST", "/v1/operator/lgs", body, claims=operator_claims(), headers=headers)
    assert first.status == again.status == 201 and first.body == again.body


ACTIVITY = {
    "name": "清掃",
    "starts_at": "2026-05-10T09:00:00+09:00",
    "ends_at": "2026-05-10T12:00:00+09:00",
    "place": "古川町",
}


def test_a_create_whose_body_holds_instants_is_replayed_once() -> None:
    """The key stands for the body as sent: instants need no turning back into text."""
    onboard(HIDA)
    staff, path, headers = admin(HIDA), f"/v1/admin/lgs/{HIDA}/activities", {"idempotency-key": "plan-1"}
    first = call("POST", path, ACTIVITY, claims=staff, headers=headers)
    again = call("POST", path, ACTIVITY, claims=staff, headers=headers)
    assert first.status == again.status == 201 and again.body == first.body
    listed = call("GET", path, claims=staff, query={"from": "2026-05-01", "to": "2026-05-31"})
    assert [a["activity_id"] for a in listed.body["items"]] == [first.body["activity_id"]]
    moved = {**ACTIVITY, "ends_at": "2026-05-10T13:00:00+09:00"}
    other = call("POST", path, moved, claims=staff, headers=headers)
    assert other.status == 409 and other.error_code == "IDEMPOTENCY_KEY_REUSED"


def test_a_key_stands_for_the_path_as_well_as_the_body() -> None:
    """Keys are kept per route template: the same key and body for another government is
    another request, refused rather than answered with the first government's staff ID."""
    onboard(HIDA, GIFU)
    body = {"email": "staff@example.jp", "staff_role": "admin"}
    headers = {"Idempotency-Key": "issue-1"}
    first = call("POST", f"/v1/operator/lgs/{HIDA}/staff", body, claims=operator_claims(), headers=headers)
    assert first.status == 201
    other = call("POST", f"/v1/operator/lgs/{GIFU}/staff", body, claims=operator_claims(), headers=headers)
    assert other.status == 409 and other.error_code == "IDEMPOTENCY_KEY_REUSED"


def test_overlong_key_is_refused() -> None:
    onboard(HIDA)
    reply = register("u1", HIDA, headers={"Idempotency-Key": "k" * 200})
    assert reply.status == 400 and "Idempotency-Key" in reply.body["error"]["details"]


class _Killed(BaseException):
    """What a Lambda timeout looks like to the handler: the invocation stops, nothing cleans up."""


class _ShortContext(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 300


def test_a_create_killed_mid_request_blocks_retries_only_until_its_invocation_would_have_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A create through Powertools Idempotency (an activity): its INPROGRESS record lasts as long
    as the killed invocation could have run, not 24 hours."""
    onboard(HIDA)
    original = activities_capability.create_activity
    path = f"/v1/admin/lgs/{HIDA}/activities"
    body = ACTIVITY
    staff = admin(HIDA)

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise _Killed

    monkeypatch.setattr(activities_capability, "create_activity", killed)
    with pytest.raises(_Killed):
        call("POST", path, body, claims=staff, headers={"Idempotency-Key": "k"}, context=_ShortContext())
    monkeypatch.setattr(activities_capability, "create_activity", original)
    # While the killed invocation could still be running, a retry is told to come back.
    busy = call("POST", path, body, claims=staff, headers={"Idempotency-Key": "k"})
    assert busy.status == 503 and busy.headers.get("Retry-After") == "1"
    time.sleep(0.4)
    # Its remaining time has passed: the retry runs (before, it was blocked for 24 hours).
    retried = call("POST", path, body, claims=staff, headers={"Idempotency-Key": "k"})
    assert retried.status == 201, retried
