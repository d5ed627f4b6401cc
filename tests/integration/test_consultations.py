"""Consultations (相談) through the real content handler against moto."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from furusato import clock
from furusato.clock import JST
from tests.support.lambda_api import Reply, call
from tests.support.world import admin, onboard, person, register

HIDA, TAKAYAMA, SHINJUKU = "212172", "212032", "131041"
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)
STAFF = f"/v1/admin/lgs/{HIDA}/consultations"


@pytest.fixture(autouse=True)
def _world() -> None:
    clock.freeze(NOW)
    onboard(HIDA, TAKAYAMA, SHINJUKU)


def ask(sub: str, lg_code: str = HIDA, **fields: Any) -> Reply:
    body = {
        "lg_code": lg_code,
        "topic": "dual_residence",
        "subject": "二地域居住について",
        "message": "冬の間だけ住むことはできますか。",
        **fields,
    }
    return call("POST", "/v1/me/consultations", body, claims=person(sub))


def later(minutes: int) -> None:
    clock.freeze(NOW + timedelta(minutes=minutes))


def test_a_question_is_answered_notified_read_and_closed() -> None:
    register("p1", HIDA)
    opened = ask("p1")
    assert opened.status == 201, opened
    cid = opened.body["consultation_id"]
    assert opened.body["status"] == "open" and opened.body["topic"] == "dual_residence"
    assert opened.body["messages"] == [
        {"from": "registrant", "body": "冬の間だけ住むことはできますか。", "at": NOW.isoformat()}
    ]
    waiting = call("GET", STAFF, claims=admin(HIDA, "coordinator"), query={"status": "open"}).body["items"]
    assert [c["consultation_id"] for c in waiting] == [cid]

    later(30)
    reply = call(
        "POST", f"{STAFF}/{cid}/messages", {"body": "はい、できます。"}, claims=admin(HIDA, "coordinator")
    )
    assert reply.status == 201 and reply.body["status"] == "answered"
    inbox = call("GET", "/v1/me/notifications", claims=person("p1")).body["items"]
    assert [(n["kind"], n["lg_code"]) for n in inbox] == [("consultation_reply", HIDA)]
    mine = call("GET", f"/v1/me/consultations/{cid}", claims=person("p1")).body
    assert [m["from"] for m in mine["messages"]] == ["registrant", "staff"]
    assert mine["messages"][1]["body"] == "はい、できます。"

    later(60)
    follow = call(
        "POST",
        f"/v1/me/consultations/{cid}/messages",
        {"body": "ありがとうございます。"},
        claims=person("p1"),
    )
    assert follow.status == 201 and follow.body["status"] == "open"
    closed = call("POST", f"{STAFF}/{cid}/close", claims=admin(HIDA))
    assert closed.status == 200 and closed.body["status"] == "closed"
    assert call("POST", f"{STAFF}/{cid}/close", claims=admin(HIDA)).body["status"] == "closed"
    refused = call("POST", f"/v1/me/consultations/{cid}/messages", {"body": "もう一つ"}, claims=person("p1"))
    assert refused.status == 409 and refused.error_code == "CONSULTATION_CLOSED"
    listed = call("GET", "/v1/me/consultations", claims=person("p1")).body["items"]
    assert [(c["consultation_id"], c["status"]) for c in listed] == [(cid, "closed")]


def test_only_with_a_government_the_person_is_registered_with() -> None:
    register("p1", HIDA)
    for code in (TAKAYAMA, "999999"):
        refused = ask("p1", code)
        assert refused.status == 409 and refused.error_code == "NOT_REGISTERED", refused
    cid = ask("p1").body["consultation_id"]
    assert call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("p1")).status == 204
    assert ask("p1").error_code == "NOT_REGISTERED"
    follow = call("POST", f"/v1/me/consultations/{cid}/messages", {"body": "まだ?"}, claims=person("p1"))
    assert follow.status == 409 and follow.error_code == "NOT_REGISTERED"
    assert call("GET", STAFF, claims=admin(HIDA)).body["items"][0]["consultation_id"] == cid


def test_nobody_else_reads_a_consultation() -> None:
    register("p1", HIDA)
    register("p2", HIDA)
    cid = ask("p1").body["consultation_id"]
    for method, path, body in (
        ("GET", f"/v1/me/consultations/{cid}", None),
        ("POST", f"/v1/me/consultations/{cid}/messages", {"body": "横から失礼"}),
    ):
        reply = call(method, path, body, claims=person("p2"))
        assert reply.status == 404 and reply.error_code == "NOT_FOUND", reply
    assert call("GET", "/v1/me/consultations", claims=person("p2")).body["items"] == []
    other = f"/v1/admin/lgs/{TAKAYAMA}/consultations"
    for method, path, body in (
        ("GET", f"{other}/{cid}", None),
        ("POST", f"{other}/{cid}/messages", {"body": "回答"}),
        ("POST", f"{other}/{cid}/close", None),
    ):
        reply = call(method, path, body, claims=admin(TAKAYAMA))
        assert reply.status == 404 and reply.error_code == "NOT_FOUND", reply
    assert call("GET", other, claims=admin(TAKAYAMA)).body["items"] == []


def test_viewers_read_but_do_not_answer() -> None:
    register("p1", HIDA)
    cid = ask("p1").body["consultation_id"]
    assert call("GET", f"{STAFF}/{cid}", claims=admin(HIDA, "viewer")).status == 200
    assert call("POST", f"{STAFF}/{cid}/messages", {"body": "x"}, claims=admin(HIDA, "viewer")).status == 403
    assert call("POST", f"{STAFF}/{cid}/close", claims=admin(HIDA, "viewer")).status == 403


def test_text_limits_and_no_individual_number_on_every_message() -> None:
    register("p1", HIDA)
    for fields, field in (
        ({"message": "私の番号は1234-5678-9012です"}, "message"),
        ({"subject": "１２３４５６７８９０１２"}, "subject"),
        ({"message": "あ" * 4001}, "message"),
        ({"message": "   "}, "message"),
        ({"topic": "money"}, "topic"),
    ):
        reply = ask("p1", **fields)
        assert reply.status == 400 and field in reply.body["error"]["details"], (fields, reply)
    assert call("GET", "/v1/me/consultations", claims=person("p1")).body["items"] == []
    cid = ask("p1").body["consultation_id"]
    staff = call(
        "POST", f"{STAFF}/{cid}/messages", {"body": "番号 123456789012 を送って"}, claims=admin(HIDA)
    )
    assert staff.status == 400 and "body" in staff.body["error"]["details"]
    mine = call("POST", f"/v1/me/consultations/{cid}/messages", {"body": "123456789012"}, claims=person("p1"))
    assert mine.status == 400
    assert len(call("GET", f"/v1/me/consultations/{cid}", claims=person("p1")).body["messages"]) == 1


def test_staff_list_by_status_oldest_waiting_first() -> None:
    for i, sub in enumerate(("a", "b", "c")):
        register(sub, HIDA)
        later(i)
        ask(sub, subject=f"質問 {sub}")
    first = call("GET", STAFF, claims=admin(HIDA), query={"status": "open"}).body["items"]
    cid_a = first[0]["consultation_id"]
    assert [c["subject"] for c in first] == ["質問 a", "質問 b", "質問 c"]
    later(10)
    call("POST", f"{STAFF}/{cid_a}/messages", {"body": "回答"}, claims=admin(HIDA))
    later(20)
    # b follows up while still waiting: still waiting since its first message.
    cid_b = first[1]["consultation_id"]
    call("POST", f"/v1/me/consultations/{cid_b}/messages", {"body": "追加"}, claims=person("b"))
    opened = call("GET", STAFF, claims=admin(HIDA), query={"status": "open"}).body["items"]
    assert [c["subject"] for c in opened] == ["質問 b", "質問 c"]
    assert opened[0]["waiting_since"] == (NOW + timedelta(minutes=1)).isoformat()
    answered = call("GET", STAFF, claims=admin(HIDA), query={"status": "answered"}).body["items"]
    assert [c["subject"] for c in answered] == ["質問 a"]
    everything = call("GET", STAFF, claims=admin(HIDA), query={"limit": "2"}).body
    assert [c["status"] for c in everything["items"]] == ["open", "open"] and everything["next_cursor"]
    rest = call("GET", STAFF, claims=admin(HIDA), query={"cursor": everything["next_cursor"]}).body
    assert [c["status"] for c in rest["items"]] == ["answered"]


def test_staff_reads_are_recorded() -> None:
    register("p1", HIDA)
    cid = ask("p1").body["consultation_id"]
    with mock.patch("furusato.audit.record") as record:
        call("GET", STAFF, claims=admin(HIDA, "viewer"))
        call("GET", f"{STAFF}/{cid}", claims=admin(HIDA, "coordinator"))
        call("POST", f"{STAFF}/{cid}/messages", {"body": "回答"}, claims=admin(HIDA, "coordinator"))
        call("POST", f"{STAFF}/{cid}/close", claims=admin(HIDA))
        call("GET", f"/v1/me/consultations/{cid}", claims=person("p1"))  # the person's own: no record
    calls = [c.kwargs for c in record.call_args_list]
    assert [(c["actor_sub"], c["lg_code"], c["action"], c["resource"]) for c in calls] == [
        (f"staff-{HIDA}-viewer", HIDA, "read", "consultations"),
        (f"staff-{HIDA}-coordinator", HIDA, "read", f"consultations/{cid}"),
        (f"staff-{HIDA}-coordinator", HIDA, "reply", f"consultations/{cid}"),
        (f"staff-{HIDA}-admin", HIDA, "close", f"consultations/{cid}"),
    ]


def test_a_persons_consultations_are_found_and_erased_by_the_person() -> None:
    from furusato.store import consultations

    register("p1", HIDA)
    register("p2", HIDA)
    mine = [ask("p1", subject=f"質問 {i}").body["consultation_id"] for i in range(3)]
    theirs = ask("p2").body["consultation_id"]
    call("POST", f"{STAFF}/{mine[0]}/messages", {"body": "回答"}, claims=admin(HIDA))
    found = consultations.of_person("p1")
    assert sorted(c.consultation_id for c in found) == sorted(mine)
    assert [len(c.messages) for c in found if c.consultation_id == mine[0]] == [2]
    assert consultations.erase_person("p1") == 3
    assert consultations.erase_person("p1") == 0
    assert all(consultations.get(cid) is None for cid in mine)
    assert call("GET", "/v1/me/consultations", claims=person("p1")).body["items"] == []
    assert consultations.get(theirs) is not None
    assert [c["consultation_id"] for c in call("GET", STAFF, claims=admin(HIDA)).body["items"]] == [theirs]


def test_a_retried_message_with_its_key_is_added_once() -> None:
    register("p1", HIDA)
    cid = ask("p1").body["consultation_id"]
    path = f"{STAFF}/{cid}/messages"
    headers = {"Idempotency-Key": "reply-1"}
    first = call("POST", path, {"body": "回答"}, claims=admin(HIDA), headers=headers)
    again = call("POST", path, {"body": "回答"}, claims=admin(HIDA), headers=headers)
    assert first.status == again.status == 201 and first.body == again.body
    assert len(call("GET", f"/v1/me/consultations/{cid}", claims=person("p1")).body["messages"]) == 2
    assert len(call("GET", "/v1/me/notifications", claims=person("p1")).body["items"]) == 1
