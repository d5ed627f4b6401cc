"""`Idempotency-Key`: same key + same body -> the first response; another body -> 409."""

from __future__ import annotations

import time
from typing import Any

import pytest

from furusato.capabilities import registrations as registrations_capability
from tests.support.lambda_api import LambdaContext, call, operator_claims
from tests.support.world import onboard, register, registrations

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
    onboard(HIDA)
    original = registrations_capability.put_registration

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise _Killed

    monkeypatch.setattr(registrations_capability, "put_registration", killed)
    with pytest.raises(_Killed):
        register("u1", HIDA, headers={"Idempotency-Key": "k"}, context=_ShortContext())
    monkeypatch.setattr(registrations_capability, "put_registration", original)
    # While the killed invocation could still be running, a retry is told to come back.
    busy = register("u1", HIDA, headers={"Idempotency-Key": "k"})
    assert busy.status == 503 and busy.headers.get("Retry-After") == "1"
    time.sleep(0.4)
    # Its remaining time has passed: the retry runs (before, it was blocked for 24 hours).
    retried = register("u1", HIDA, headers={"Idempotency-Key": "k"})
    assert retried.status == 201, retried
