"""POST /v1/checkins through the check-in function's lambda_handler, against moto."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from furusato.domain import tokens
from furusato.store import keyring, participations
from furusato.store.models import ParticipationItem
from tests.integration.checkin_helpers import (
    HIDA,
    NOW,
    TAKAYAMA,
    activity,
    at,
    current_keyring_document,
    instant_resync,
    live_token,
    ring,
    scan,
    set_keyring,
    static_token,
)
from tests.support import faults
from tests.support.lambda_api import call
from tests.support.roundtrips import count_calls
from tests.support.world import admin, onboard, person, register, set_profile

DURING = "2026-05-10T10:05:00+09:00"


@pytest.fixture
def hida(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    instant_resync(monkeypatch)
    onboard(HIDA, TAKAYAMA)
    at(NOW)
    return activity()


@pytest.fixture
def restore_keyring(moto_endpoint: str) -> Iterator[dict[str, str]]:
    saved = current_keyring_document(moto_endpoint)
    yield saved
    set_keyring(moto_endpoint, saved)


def _forge(kind: str, body: bytes) -> str:
    """A token correctly signed with the active key over an arbitrary payload."""
    import base64
    import hashlib
    import hmac

    current = ring()
    key = current.key(current.active_kid, kind)
    assert key is not None
    head = f"1{kind}.{current.active_kid}.{base64.urlsafe_b64encode(body).decode().rstrip('=')}"
    mac = hmac.new(key, head.encode(), hashlib.sha256).digest()[:16]
    return f"{head}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


# --- recording -----------------------------------------------------------------------------


def test_a_scan_records_once_and_a_repeat_changes_nothing(hida: dict[str, Any]) -> None:
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    first = scan("u1", token)
    assert first.status == 201, first
    body = first.body
    assert body["status"] == "recorded" and body["lg_code"] == HIDA
    assert body["activity"]["activity_id"] == hida["activity_id"]
    assert "scan_failures" not in body["activity"]
    assert body["counted"] is True and body["registered"] is False
    assert body["progress"]["activities_counted"] == 1 and body["progress"]["stay_days"] == 1
    assert body["participation"]["source"] == "qr" and body["participation"]["checkin_mode"] == "static_qr"
    assert body["participation"]["checked_in_at"] == DURING

    at("2026-05-10T11:00:00+09:00")
    again = scan("u1", token)
    assert again.status == 200 and again.body["status"] == "already_recorded"
    assert again.body["participation"] == first.body["participation"]
    assert again.body["progress"] == first.body["progress"]
    assert participations.count(hida["activity_id"]) == 1


def test_a_record_and_its_counter_shard_each_cost_one_write_unit(moto_endpoint: str) -> None:
    """The capacity model's unit costs (docs/capacity.md, "Item sizes"): a record of an activity
    with a long Japanese name and place, and the counter shard it adds to, each fit in 1 KB, so
    each write is 1 unit (2 in the transaction)."""
    import boto3

    from furusato import settings
    from furusato.store import counters
    from furusato.store.keys import person_pk
    from tests.support.roundtrips import item_size

    onboard(HIDA, TAKAYAMA)
    at(NOW)
    long_one = activity(
        name="古川町中心市街地 雪かき・除雪ボランティア（高齢者世帯の玄関先と屋根の雪下ろし支援）",
        place="飛騨市古川町公民館 2階大会議室（岐阜県飛騨市古川町本町2番22号）",
    )
    set_profile("u1", name="長谷川 小百合", address="西新宿二丁目8番1号 都庁第一本庁舎32階")
    at(DURING)
    assert scan("u1", static_token(HIDA, long_one["activity_id"])).status == 201
    client = boto3.client("dynamodb", endpoint_url=moto_endpoint)
    table = settings.settings().main_table

    def raw(pk: str, sk: str) -> dict[str, Any]:
        return dict(
            client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item") or {}
        )

    record = raw(person_pk("u1"), f"PART#{long_one['activity_id']}")
    shards = [raw(pk, sk) for pk, sk in counters.keys(long_one["activity_id"])]
    [shard] = [found for found in shards if found]
    assert record and int(shard["count"]["N"]) == 1
    assert item_size(record) <= 1024, item_size(record)
    assert item_size(shard) <= 1024, item_size(shard)


def test_an_idempotency_key_adds_no_round_trip(hida: dict[str, Any]) -> None:
    """The record's own condition makes a check-in exactly-once: a key is checked, not stored."""
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    assert scan("u0", token).status == 201  # the container's copy of the activity
    set_profile("u1")  # an app user (a newcomer's first record also checks for a deleted account)
    with count_calls() as calls:
        first = scan("u1", token, headers={"Idempotency-Key": "scan-1"})
    assert first.status == 201 and dict(calls) == {"Query": 1, "TransactWriteItems": 1}
    with count_calls() as calls:
        again = scan("u1", token, headers={"Idempotency-Key": "scan-1"})
    assert again.status == 200 and again.body["status"] == "already_recorded"
    assert again.body["participation"] == first.body["participation"]
    assert dict(calls) == {"Query": 1, "TransactWriteItems": 1}
    assert participations.count(hida["activity_id"]) == 2
    refused = scan("u1", token, headers={"Idempotency-Key": "k" * 200})
    assert refused.status == 400 and "Idempotency-Key" in refused.body["error"]["details"]


def test_the_scanned_url_is_accepted_as_the_token(hida: dict[str, Any]) -> None:
    """A phone camera reads `{public_base_url}/checkin#<token>` off the poster; the app may post it
    whole."""
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    first = scan("u1", f"http://127.0.0.1:8000/checkin#{token}")
    assert first.status == 201, first
    assert scan("u1", token).body["status"] == "already_recorded"


def test_a_repeat_is_decided_by_the_write_condition(hida: dict[str, Any]) -> None:
    """No read decides 'already recorded': the conditional put (in the transaction with the
    count) does, and its failure carries the stored record (ReturnValuesOnConditionCheckFailure=
    ALL_OLD), so no extra read follows."""
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    first = scan("u1", token)
    with count_calls() as calls:
        second = scan("u1", token)
    assert second.status == 200 and second.body["status"] == "already_recorded"
    assert second.body["participation"]["participation_id"] == first.body["participation"]["participation_id"]
    assert calls["TransactWriteItems"] == 1 and calls["GetItem"] == 0


def test_registered_person_counts_toward_premium(hida: dict[str, Any]) -> None:
    set_profile("u1")
    assert register("u1", HIDA).status == 201
    others = [activity(name=f"活動{i}") for i in range(2)]
    not_designated = activity(name="交流会", designated=False)
    at(DURING)
    for act in [hida, *others]:
        reply = scan("u1", static_token(HIDA, act["activity_id"]))
        assert reply.status == 201 and reply.body["registered"] is True
    assert reply.body["progress"]["activities_counted"] == 3
    extra = scan("u1", static_token(HIDA, not_designated["activity_id"]))
    assert extra.status == 201 and extra.body["counted"] is False
    assert extra.body["progress"]["activities_counted"] == 3
    # The registration's progress (registration function) reads the same records.
    regs = call("GET", "/v1/me/registrations", claims=person("u1")).body["items"]
    mine = next(r for r in regs if r["lg_code"] == HIDA)
    assert mine["progress"]["activities_counted"] == 3 and mine["progress"]["stay_days"] == 1


def test_check_in_costs_at_most_three_round_trips(hida: dict[str, Any]) -> None:
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    for sub in ("u1", "u2"):  # app users: a profile exists
        set_profile(sub)
    keyring.current()  # warm container: the keyring is cached
    with count_calls() as calls:
        assert scan("u1", token).status == 201
    assert dict(calls) == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    # The next scans of the same activity in this container use its copy of the activity.
    with count_calls() as next_person:
        assert scan("u2", token).status == 201
    assert dict(next_person) == {"Query": 1, "TransactWriteItems": 1}
    with count_calls() as repeat:
        assert scan("u1", token).status == 200
    assert dict(repeat) == {"Query": 1, "TransactWriteItems": 1}
    # The first record of someone of whom nothing else is held also checks that the account was
    # not deleted (a deleted account's token must not recreate data): one GetItem more.
    with count_calls() as newcomer:
        assert scan("u3", token).status == 201
    assert dict(newcomer) == {"Query": 1, "TransactWriteItems": 1, "GetItem": 1}


# --- refusals ------------------------------------------------------------------------------


def test_static_window_edges(hida: dict[str, Any]) -> None:
    token = static_token(HIDA, hida["activity_id"])
    cases = [
        ("2026-05-10T08:59:59+09:00", 409, "OUTSIDE_WINDOW"),
        ("2026-05-10T09:00:00+09:00", 201, None),
        ("2026-05-10T13:00:00+09:00", 201, None),
        ("2026-05-10T13:00:01+09:00", 409, "OUTSIDE_WINDOW"),
    ]
    for i, (instant, status, code) in enumerate(cases):
        at(instant)
        reply = scan(f"edge{i}", token)
        assert (reply.status, reply.error_code) == (status, code), (instant, reply)
    refused = scan("late", token)
    assert refused.body["error"]["details"] == {
        "opens_at": "2026-05-10T09:00:00+09:00",
        "closes_at": "2026-05-10T13:00:00+09:00",
    }


def test_rescheduled_activity_needs_a_new_poster(hida: dict[str, Any]) -> None:
    old = static_token(HIDA, hida["activity_id"])
    moved = call(
        "PATCH",
        f"/v1/admin/lgs/{HIDA}/activities/{hida['activity_id']}",
        {"starts_at": "2026-05-17T10:00:00+09:00", "ends_at": "2026-05-17T12:00:00+09:00"},
        claims=admin(HIDA),
    )
    assert moved.status == 200, moved
    at("2026-05-17T10:05:00+09:00")
    assert scan("u1", old).error_code == "OUTSIDE_WINDOW"
    assert scan("u1", static_token(HIDA, hida["activity_id"])).status == 201


def test_rotating_code_expires_a_minute_later(hida: dict[str, Any]) -> None:
    rotating = activity(name="祭り", checkin_mode="rotating_qr")
    at("2026-05-10T10:00:05+09:00")
    token = live_token(HIDA, rotating["activity_id"])
    at("2026-05-10T10:00:59+09:00")  # the next step: still accepted (grace)
    assert scan("friend1", token).status == 201
    at("2026-05-10T10:01:00+09:00")
    expired = scan("friend2", token)
    assert (expired.status, expired.error_code) == (409, "TOKEN_EXPIRED")
    # The screen's current code works.
    assert scan("friend2", live_token(HIDA, rotating["activity_id"])).status == 201
    # A printed code of a rotating activity is not accepted.
    forged_static = tokens.issue_static(
        ring(),
        lg_code=HIDA,
        activity_id=rotating["activity_id"],
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(hours=5),
    )
    assert scan("friend3", forged_static).error_code == "INVALID_TOKEN"


def test_cancelled_activity_refuses_scans(hida: dict[str, Any]) -> None:
    token = static_token(HIDA, hida["activity_id"])
    reply = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/activities/{hida['activity_id']}/cancel",
        {"reason": "大雪"},
        claims=admin(HIDA),
    )
    assert reply.status == 200 and reply.body["status"] == "cancelled"
    at(DURING)
    refused = scan("u1", token)
    assert (refused.status, refused.error_code) == (409, "ACTIVITY_CANCELLED")


def test_tampered_and_foreign_tokens_are_refused(hida: dict[str, Any]) -> None:
    token = static_token(HIDA, hida["activity_id"])
    other = activity(name="別の活動")
    at(DURING)
    head, kid, body, mac = token.split(".")
    other_body = static_token(HIDA, other["activity_id"]).split(".")[2]
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    import base64

    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    # A token signed for 飛騨市's activity id but naming 高山市 (which has no such activity).
    foreign = _forge("s", struct.pack(">I", int(TAKAYAMA)) + raw[4:])
    member, _ = tokens.issue_member(ring(), sub="u1", now=datetime.fromisoformat(DURING))
    for i, bad in enumerate(
        [
            f"{head}.{kid}.{body}.{flipped}",  # tampered signature
            f"{head}.{kid}.{other_body}.{mac}",  # swapped activity id
            foreign,  # another government's token
            member,  # a member code is not a QR code
            "not a token",
        ]
    ):
        reply = scan(f"bad{i}", bad)
        assert (reply.status, reply.error_code) == (400, "INVALID_TOKEN"), (i, reply)
    assert participations.count(hida["activity_id"]) == 0


def test_another_governments_activity_is_not_ours(hida: dict[str, Any]) -> None:
    takayama = activity(TAKAYAMA, name="高山の活動")
    token = static_token(TAKAYAMA, takayama["activity_id"])
    at(DURING)
    assert scan("u1", token).status == 201  # a valid 高山市 code records with 高山市
    # A code claiming 飛騨市 for 高山市's activity does not resolve.
    raw_body = token.split(".")[2]
    import base64

    raw = base64.urlsafe_b64decode(raw_body + "=" * (-len(raw_body) % 4))
    assert scan("u2", _forge("s", struct.pack(">I", int(HIDA)) + raw[4:])).error_code == "INVALID_TOKEN"


def test_revoked_key_and_rotation(
    hida: dict[str, Any], restore_keyring: dict[str, str], moto_endpoint: str
) -> None:
    old_kid = restore_keyring["active_kid"]
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    # Rotation: a new active key signs new codes; the old key still verifies printed ones.
    set_keyring(moto_endpoint, {**restore_keyring, "active_kid": "k2026b", "k2026b": "n" * 43})
    new_token = static_token(HIDA, hida["activity_id"])
    assert new_token.split(".")[1] == "k2026b" and token.split(".")[1] == old_kid
    assert scan("u1", token).status == 201
    assert scan("u2", new_token).status == 201
    # Revocation: the old kid leaves the keyring and its codes stop working.
    set_keyring(moto_endpoint, {"active_kid": "k2026b", "k2026b": "n" * 43})
    revoked = scan("u3", token)
    assert (revoked.status, revoked.error_code) == (400, "INVALID_TOKEN")
    assert "revoked" in revoked.body["error"]["message"]
    assert scan("u3", new_token).status == 201


def test_a_key_added_elsewhere_is_fetched_on_first_sight(
    hida: dict[str, Any], restore_keyring: dict[str, str], moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.current()  # this container cached the keyring before the rotation
    from furusato.domain.tokens import Keyring

    rotated = {**restore_keyring, "active_kid": "fresh", "fresh": "f" * 43}
    import os

    from furusato import topology
    from infra.local import aws

    aws.client("secretsmanager", moto_endpoint).put_secret_value(
        SecretId=os.environ[topology.TOKEN_KEYS.env_var], SecretString=json.dumps(rotated)
    )
    monkeypatch.setattr(keyring, "REFRESH_MIN_S", 0.0)
    # Another container already signs with the new key:
    act = hida["activity_id"]
    other_container = tokens.issue_static(
        Keyring.from_document(rotated),
        lg_code=HIDA,
        activity_id=act,
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(hours=5),
    )
    at(DURING)
    assert scan("u1", other_container).status == 201


def test_offline_scans(hida: dict[str, Any]) -> None:
    token = static_token(HIDA, hida["activity_id"])
    at("2026-05-12T18:00:00+09:00")  # back in signal two days later
    reply = scan("u1", token, scanned_at=DURING)
    assert reply.status == 201, reply
    part = reply.body["participation"]
    assert part["offline"] is True and part["checked_in_at"] == DURING
    assert part["recorded_at"] == "2026-05-12T18:00:00+09:00" and part["day"] == "2026-05-10"

    at("2026-05-13T10:05:01+09:00")  # 72 hours and a second after the scan
    late = scan("u2", token, scanned_at=DURING)
    assert (late.status, late.error_code) == (409, "TOKEN_EXPIRED")

    at(DURING)
    future = scan("u3", token, scanned_at="2026-05-10T10:15:00+09:00")
    assert (future.status, future.error_code) == (400, "VALIDATION_ERROR") and "scanned_at" in future.body[
        "error"
    ]["details"]
    outside = scan("u4", token, scanned_at="2026-05-10T08:00:00+09:00")
    assert outside.error_code == "OUTSIDE_WINDOW"

    rotating = activity(name="祭り", checkin_mode="rotating_qr")
    refused = scan("u5", live_token(HIDA, rotating["activity_id"]), scanned_at=DURING)
    assert (refused.status, refused.error_code) == (400, "VALIDATION_ERROR")


def test_request_body_is_validated(hida: dict[str, Any]) -> None:
    at(DURING)
    token = static_token(HIDA, hida["activity_id"])
    for body, field in (
        ({"token": token}, "nonce"),
        ({"token": token, "nonce": "short"}, "nonce"),
        ({"token": token, "nonce": "n" * 10, "extra": 1}, "extra"),
        ({"token": token, "nonce": "n" * 10, "scanned_at": "2026-05-10T10:00:00"}, "scanned_at"),
    ):
        reply = call("POST", "/v1/checkins", body, claims=person("u1"))
        assert reply.status == 400 and field in reply.body["error"]["details"], reply
    staff = call("POST", "/v1/checkins", {"token": token, "nonce": "n" * 10}, claims=admin(HIDA))
    assert staff.status == 403


# --- failed scans --------------------------------------------------------------------------


def test_failed_scans_are_logged_counted_and_rate_limited(
    hida: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    token = static_token(HIDA, hida["activity_id"])
    at("2026-05-10T06:00:00+09:00")  # too early: OUTSIDE_WINDOW
    caplog.clear()
    codes = [scan("eager", token).error_code for _ in range(12)]
    assert codes[:10] == ["OUTSIDE_WINDOW"] * 10
    assert codes[10:] == ["RATE_LIMITED"] * 2
    limited = scan("eager", token)
    assert limited.status == 429 and limited.body["error"]["details"]["retry_after"] > 0
    assert int(limited.headers["Retry-After"]) == limited.body["error"]["details"]["retry_after"]
    logged = [r for r in caplog.records if r.getMessage() == "check-in refused"]
    assert len(logged) == 13
    assert {(r.reason, r.activity_id, r.sub) for r in logged} == {  # type: ignore[attr-defined]
        ("OUTSIDE_WINDOW", hida["activity_id"], "eager")
    }
    assert all(token not in json.dumps(r.__dict__, default=str) for r in logged)
    # Someone else is not limited; and a valid scan of the limited person still records.
    assert scan("patient", token).error_code == "OUTSIDE_WINDOW"
    at(DURING)
    assert scan("eager", token).status == 201
    # The next window starts afresh.
    at("2026-05-10T06:30:00+09:00")
    assert scan("eager", token).error_code == "OUTSIDE_WINDOW"

    details = call(
        "GET", f"/v1/admin/lgs/{HIDA}/activities/{hida['activity_id']}", claims=admin(HIDA, "viewer")
    )
    assert details.body["scan_failures"] == {"OUTSIDE_WINDOW": 15}
    assert details.body["participant_count"] == 1


def test_forged_tokens_count_for_the_person_only(hida: dict[str, Any]) -> None:
    at(DURING)
    for _ in range(11):
        reply = scan("forger", "1s.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA")
    assert reply.error_code == "RATE_LIMITED"
    details = call("GET", f"/v1/admin/lgs/{HIDA}/activities/{hida['activity_id']}", claims=admin(HIDA))
    assert details.body["scan_failures"] == {}


# --- throttling ----------------------------------------------------------------------------


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    faults.no_backoff(monkeypatch)


def test_throttled_writes_are_retried(hida: dict[str, Any], no_backoff: None) -> None:
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    client = ParticipationItem._get_connection().connection.client
    seen, hook = faults.throttle(2)
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", hook)
    try:
        reply = scan("u1", token)
    finally:
        client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", hook)
    assert reply.status == 201, reply
    assert seen[0] == 3
    assert participations.count(hida["activity_id"]) == 1


def test_exhausted_retries_give_503_and_no_record(hida: dict[str, Any], no_backoff: None) -> None:
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    client = ParticipationItem._get_connection().connection.client
    seen, hook = faults.throttle(1000)
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", hook)
    try:
        reply = scan("u1", token)
    finally:
        client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", hook)
    assert (reply.status, reply.error_code) == (503, "UNAVAILABLE")
    assert int(reply.headers["Retry-After"]) >= 1
    assert seen[0] == 4  # the first try and 3 retries
    assert participations.of_person("u1") == [] and participations.count(hida["activity_id"]) == 0
    # Once DynamoDB answers again, the same scan records.
    assert scan("u1", token).status == 201


def test_a_store_that_does_not_answer_gives_503_not_500(hida: dict[str, Any], no_backoff: None) -> None:
    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    client = ParticipationItem._get_connection().connection.client
    seen, hook = faults.time_out()
    client.meta.events.register("before-send.dynamodb.TransactWriteItems", hook)
    try:
        reply = scan("u1", token)
    finally:
        client.meta.events.unregister("before-send.dynamodb.TransactWriteItems", hook)
    assert (reply.status, reply.error_code) == (503, "UNAVAILABLE"), reply
    assert seen[0] >= 1 and participations.of_person("u1") == []


# --- other containers' copies of an activity -----------------------------------------------


@pytest.fixture
def elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes below are made 'by another container': this one's copy is not dropped."""
    from furusato.store import activities as activity_store

    monkeypatch.setattr(activity_store, "CHECKIN_CACHE_TTL_S", 0.5)
    monkeypatch.setattr(activity_store, "forget_checkin_copy", lambda lg_code, activity_id: None)


def test_a_cancellation_elsewhere_applies_within_the_copy_lifetime(
    hida: dict[str, Any], elsewhere: None
) -> None:
    import time

    token = static_token(HIDA, hida["activity_id"])
    at(DURING)
    assert scan("u1", token).status == 201  # this container now holds a copy
    call("POST", f"/v1/admin/lgs/{HIDA}/activities/{hida['activity_id']}/cancel", {}, claims=admin(HIDA))
    time.sleep(0.6)
    refused = scan("u2", token)
    assert (refused.status, refused.error_code) == (409, "ACTIVITY_CANCELLED")


def test_a_designation_made_elsewhere_reaches_records_written_from_an_old_copy(
    elsewhere: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PATCH answers without touching records; the stream consumer corrects the roster, and
    the record a container wrote afterwards from its outdated copy, when its INSERT comes."""
    from furusato.store import activities as activity_store
    from tests.support.streams import deliver

    monkeypatch.setattr(activity_store, "CHECKIN_CACHE_TTL_S", 60.0)  # the copy outlives the test

    onboard(HIDA)
    at(NOW)
    act = activity(designated=False)
    token = static_token(HIDA, act["activity_id"])
    at(DURING)
    assert scan("u1", token).body["counted"] is False  # this container now holds a copy
    deliver()
    manager = admin(HIDA)
    with count_calls() as calls:
        patched = call(
            "PATCH",
            f"/v1/admin/lgs/{HIDA}/activities/{act['activity_id']}",
            {"designated": True},
            claims=manager,
        )
    assert patched.status == 200 and patched.body["participant_count"] == 1
    # At most 3 for the edit itself, plus the route guard's read of the caller's staff record.
    assert sum(calls.values()) <= 3 + 1 and "Query" not in calls  # no roster read in the request
    stale = scan("u2", token)  # this container still records with its old copy
    assert stale.status == 201 and stale.body["counted"] is False
    assert {sub: participations.of_person(sub)[0].designated for sub in ("u1", "u2")} == {
        "u1": False,
        "u2": False,
    }
    deliver()  # the activity's MODIFY and u2's INSERT
    assert {sub: participations.of_person(sub)[0].designated for sub in ("u1", "u2")} == {
        "u1": True,
        "u2": True,
    }
    again = deliver()  # the consumer's own rewrites come back and change nothing
    assert again.retried == again.dead_lettered == 0


def test_a_scan_before_a_midnight_start_counts_on_the_activitys_start_day(hida: dict[str, Any]) -> None:
    """Rule 10: an activity starting 2026-04-01 00:30 JST, scanned at 2026-03-31 23:45 (inside its
    opening hour), counts on 2026-04-01: the first day records count."""
    at("2026-03-31T20:00:00+09:00")
    midnight = activity(
        name="初日の出清掃", starts_at="2026-04-01T00:30:00+09:00", ends_at="2026-04-01T02:00:00+09:00"
    )
    set_profile("u1")
    assert register("u1", HIDA).status == 201
    at("2026-03-31T23:45:00+09:00")
    reply = scan("u1", static_token(HIDA, midnight["activity_id"]))
    assert reply.status == 201, reply
    assert reply.body["activity_day"] == "2026-04-01" and reply.body["counted"] is True
    assert reply.body["participation"]["day"] == "2026-04-01"
    assert reply.body["progress"]["activities_counted"] == 1
