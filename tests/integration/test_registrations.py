"""Basic registration through the registration function's lambda_handler (rules 1-6)."""

from __future__ import annotations

from datetime import datetime

import boto3

from furusato import clock
from furusato.clock import JST
from tests.support import faults
from tests.support.lambda_api import call
from tests.support.roundtrips import count_calls
from tests.support.world import onboard, person, register, registrations, set_profile

HIDA, GIFU, TAKAYAMA, TOKYO, SHINJUKU, MATSUE = "212172", "210005", "212032", "130001", "131041", "322016"


def test_registering_with_a_municipality_registers_its_onboarded_prefecture() -> None:
    onboard(HIDA, GIFU)
    reply = register("u1", HIDA)
    assert reply.status == 201
    assert reply.body["also_registered"] == [GIFU]
    assert reply.body["plan"] == "basic" and reply.body["status"] == "active"
    assert reply.body["premium"] is None
    assert reply.body["progress"]["activities_required"] == 3
    regs = registrations("u1")
    assert regs[GIFU]["auto_created"] is True and regs[HIDA]["auto_created"] is False


def test_prefecture_not_onboarded_is_not_registered() -> None:
    onboard(HIDA)
    reply = register("u1", HIDA)
    assert reply.status == 201 and reply.body["also_registered"] == []
    assert set(registrations("u1")) == {HIDA}


def test_only_onboarded_governments_accept_registrations() -> None:
    onboard(GIFU)
    reply = register("u1", HIDA)
    assert reply.status == 404 and reply.error_code == "LG_NOT_ONBOARDED"
    assert registrations("u1") == {}


def test_bad_check_digit_is_a_validation_error() -> None:
    reply = register("u1", "212173")
    assert reply.status == 400 and reply.error_code == "VALIDATION_ERROR"
    assert "lg_code" in reply.body["error"]["details"]


def test_updating_returns_200_and_keeps_one_registration() -> None:
    onboard(HIDA)
    assert register("u1", HIDA).status == 201
    again = register("u1", HIDA, {"relationship": ["出身地"]})
    assert again.status == 200 and again.body["also_registered"] == []
    regs = registrations("u1")
    assert len(regs) == 1


def test_required_survey_questions_are_enforced() -> None:
    onboard(HIDA)
    reply = register("u1", HIDA, {})
    assert reply.status == 400 and reply.error_code == "SURVEY_INCOMPLETE"
    assert reply.body["error"]["details"]["missing"] == ["relationship"]
    reply = register("u1", HIDA, {"relationship": "出身地"})
    assert reply.status == 400 and reply.error_code == "VALIDATION_ERROR"
    assert registrations("u1") == {}


def test_unknown_fields_are_refused_and_nothing_is_stored() -> None:
    onboard(HIDA)
    reply = call("PUT", f"/v1/me/registrations/{HIDA}", {"plan": "basic", "extra": 1}, claims=person("u1"))
    assert reply.status == 400 and reply.body["error"]["details"] == {"extra": "unknown field"}
    assert registrations("u1") == {}


def test_malformed_json_is_a_validation_error() -> None:
    onboard(HIDA)
    reply = call("PUT", f"/v1/me/registrations/{HIDA}", raw_body="{not json", claims=person("u1"))
    assert reply.status == 400 and reply.error_code == "VALIDATION_ERROR"


def test_premium_without_verified_identity_is_refused() -> None:
    onboard(HIDA)
    reply = call(
        "PUT",
        f"/v1/me/registrations/{HIDA}",
        {"plan": "premium", "survey_answers": {"relationship": ["出身地"]}},
        claims=person("u1"),
    )
    assert reply.status == 409 and reply.error_code == "IDENTITY_NOT_VERIFIED"
    assert registrations("u1") == {}


def test_own_residence_covers_municipality_and_prefecture_and_follows_a_move() -> None:
    onboard(TOKYO, SHINJUKU, HIDA, GIFU)
    assert set_profile("u1", "160-0022").body["residence_lg_code"] == SHINJUKU
    assert register("u1", SHINJUKU).body["own_residence"] is True
    register("u1", HIDA)
    regs = registrations("u1")
    assert regs[TOKYO]["own_residence"] is True
    assert regs[HIDA]["own_residence"] is False and regs[GIFU]["own_residence"] is False
    # Moving to 飛騨市 flips every flag.
    assert set_profile("u1", "509-4292").body["residence_lg_code"] == HIDA
    regs = registrations("u1")
    assert regs[SHINJUKU]["own_residence"] is False and regs[TOKYO]["own_residence"] is False
    assert regs[HIDA]["own_residence"] is True and regs[GIFU]["own_residence"] is True


def test_withdrawal_of_last_municipality_withdraws_the_automatic_prefecture() -> None:
    onboard(HIDA, TAKAYAMA, GIFU)
    register("u1", HIDA)
    register("u1", TAKAYAMA)
    assert call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("u1")).status == 204
    assert registrations("u1")[GIFU]["status"] == "active"
    assert call("DELETE", f"/v1/me/registrations/{TAKAYAMA}", claims=person("u1")).status == 204
    regs = registrations("u1")
    assert regs[GIFU]["status"] == "withdrawn" and regs[TAKAYAMA]["status"] == "withdrawn"


def test_direct_prefecture_registration_survives_the_municipality() -> None:
    onboard(HIDA, GIFU)
    register("u1", HIDA)
    # Registering directly with the prefecture turns the automatic registration into a direct one.
    assert register("u1", GIFU).status == 200
    call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("u1"))
    assert registrations("u1")[GIFU]["status"] == "active"


def test_withdrawn_registration_can_be_renewed_and_unknown_one_is_404() -> None:
    onboard(HIDA)
    register("u1", HIDA)
    call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("u1"))
    assert call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("u1")).status == 404
    assert register("u1", HIDA).status == 201
    assert registrations("u1")[HIDA]["status"] == "active"


def test_profile_validation_and_unknown_postal_code() -> None:
    reply = set_profile("u1", "000-0000")
    assert reply.status == 400 and reply.body["error"]["details"] == {"postal_code": "unknown postal code"}
    reply = set_profile("u1", birth_date="1990-02-30")
    assert reply.status == 400 and "birth_date" in reply.body["error"]["details"]
    me = call("GET", "/v1/me", claims=person("u1")).body
    assert me["profile"] is None


def test_me_shows_profile_identity_and_registrations() -> None:
    onboard(MATSUE)
    set_profile("u1", "690-0001")
    register("u1", MATSUE)
    me = call("GET", "/v1/me", claims=person("u1")).body
    assert me["profile"]["residence_lg_code"] == MATSUE
    assert me["identity"]["verified"] is False
    assert [r["lg_code"] for r in me["registrations"]] == [MATSUE]
    assert me["registrations"][0]["own_residence"] is True


def _last_seen(endpoint: str, sub: str) -> str | None:
    table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="ap-northeast-1").Table(
        "furusato-main"
    )
    item = table.get_item(Key={"pk": f"P#{sub}", "sk": "PROFILE"}).get("Item")
    return item.get("last_seen") if item else None


def test_last_seen_is_written_once_per_jst_day(clean_aws: str) -> None:
    clock.freeze(datetime(2026, 11, 26, 23, 59, tzinfo=JST))
    with count_calls() as first:
        call("GET", "/v1/me", claims=person("u1"))
    assert _last_seen(clean_aws, "u1") == "2026-11-26"
    assert first["UpdateItem"] == 1
    with count_calls() as second:
        call("GET", "/v1/me", claims=person("u1"))
    assert sum(second.values()) and "UpdateItem" not in second and "TransactWriteItems" not in second
    # 00:00 JST is a new day even though it is still the 26th in UTC.
    clock.freeze(datetime(2026, 11, 27, 0, 0, tzinfo=JST))
    call("GET", "/v1/me", claims=person("u1"))
    assert _last_seen(clean_aws, "u1") == "2026-11-27"


def test_a_throttled_last_seen_write_never_fails_the_read(clean_aws: str) -> None:
    """A push campaign's first accesses may throttle the last-seen write: it is tried once, with
    no retry and no backoff (botocore's backoff is left on: a retry would show), GET /v1/me and
    the card answer anyway, and a later request of the day writes it."""
    from furusato.store.models import MainItem, best_effort

    # Registered the day before, on a fixed day: on the real 2 December the registration itself
    # would write that day's last-seen, and the reads below would have nothing to write.
    clock.freeze(datetime(2026, 12, 1, 9, 0, tzinfo=JST))
    onboard(HIDA)
    set_profile("u1")
    assert register("u1", HIDA).status == 201
    clock.freeze(datetime(2026, 12, 2, 9, 0, tzinfo=JST))
    clients = (best_effort().connection.client, MainItem._get_connection().connection.client)
    seen, hook = faults.throttle(1000)
    for client in clients:
        client.meta.events.register("before-send.dynamodb.UpdateItem", hook)
    try:
        me = call("GET", "/v1/me", claims=person("u1"))
        assert me.status == 200 and seen[0] == 1  # one attempt, then the answer
        card = call("GET", "/v1/me/card", claims=person("u1"))
        assert card.status == 200 and seen[0] == 2
    finally:
        for client in clients:
            client.meta.events.unregister("before-send.dynamodb.UpdateItem", hook)
    assert _last_seen(clean_aws, "u1") != "2026-12-02"
    assert call("GET", "/v1/me", claims=person("u1")).status == 200
    assert _last_seen(clean_aws, "u1") == "2026-12-02"


def test_the_best_effort_client_tries_once_with_a_short_timeout() -> None:
    """Its own botocore client (the table's shares the session): one attempt, a short wait for
    an answer; the table's client keeps its retries for every other write."""
    from furusato.store.models import BEST_EFFORT_TIMEOUT_S, MainItem, best_effort

    config = best_effort().connection.client.meta.config
    assert config.retries["total_max_attempts"] == 1
    assert config.read_timeout == config.connect_timeout == BEST_EFFORT_TIMEOUT_S <= 1
    assert MainItem._get_connection().connection.client.meta.config.retries["total_max_attempts"] == 4


def test_people_due_for_the_inactivity_sweep_spread_over_shards() -> None:
    from furusato.store import people

    keys = {people.idle_key(people.idle_shard(f"u{n}")) for n in range(200)}
    assert len(keys) == people.IDLE_SHARDS
    assert all(k.startswith("IDLE#") for k in keys)


def test_the_inactivity_due_key_moves_with_registrations_and_the_last_access() -> None:
    """The person waits in the inactivity due index under the next warning day of their active
    basic registrations, each with its government's period; every write that changes the last
    access or the registrations moves the key (rule 6)."""
    from dataclasses import replace

    from furusato.store import lgs, people

    onboard(HIDA, GIFU, TAKAYAMA)
    lgs.save_settings(TAKAYAMA, replace(lgs.require(TAKAYAMA).settings, inactivity_months=12))
    clock.freeze(datetime(2026, 12, 2, 10, 0, tzinfo=JST))
    set_profile("u1")
    assert people.load("u1").idle_due is None  # nothing that can lapse yet
    assert register("u1", HIDA).status == 201
    assert people.load("u1").idle_due == "2028-11-02"  # 23 months: 飛騨市's warning
    assert register("u1", TAKAYAMA).status == 201
    assert people.load("u1").idle_due == "2027-11-02"  # 11 months: 高山市's warning
    clock.freeze(datetime(2027, 1, 10, 9, 0, tzinfo=JST))
    assert call("GET", "/v1/me", claims=person("u1")).status == 200  # the day's first access
    assert people.load("u1").idle_due == "2027-12-10"
    assert call("DELETE", f"/v1/me/registrations/{TAKAYAMA}", claims=person("u1")).status == 204
    assert people.load("u1").idle_due == "2028-12-10"
    assert call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("u1")).status == 204
    assert people.load("u1").idle_due is None  # 岐阜県 went with 飛騨市: out of the index


def test_round_trips_per_request() -> None:
    onboard(HIDA, GIFU)
    set_profile("u1")
    with count_calls() as put:
        assert register("u1", HIDA).status == 201
    assert sum(put.values()) <= 3, put
    call("GET", "/v1/me", claims=person("u1"))  # today's last_seen is written
    with count_calls() as me:
        call("GET", "/v1/me", claims=person("u1"))
    assert sum(me.values()) <= 2, me
    with count_calls() as directory:
        call("GET", f"/v1/local-governments/{HIDA}")
    assert sum(directory.values()) == 1, directory


def test_an_idempotency_key_adds_no_round_trip() -> None:
    """The answer is kept in the registration's own transaction and read back by the person's
    partition Query: a keyed PUT costs what an unkeyed one does, a replay no more."""
    onboard(HIDA, GIFU)
    set_profile("u1")
    with count_calls() as put:
        first = register("u1", HIDA, headers={"Idempotency-Key": "k1"})
    assert first.status == 201 and dict(put) == {"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1}
    with count_calls() as replay:
        again = register("u1", HIDA, headers={"Idempotency-Key": "k1"})
    assert (again.status, again.body) == (201, first.body)
    assert dict(replay) == {"BatchGetItem": 1, "Query": 1}
    # Nothing to change: the answer alone is kept, with one conditional put.
    with count_calls() as same:
        assert register("u1", HIDA, headers={"Idempotency-Key": "k2"}).status == 200
    assert sum(same.values()) == 3, same
