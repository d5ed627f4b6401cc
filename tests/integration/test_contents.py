"""Content and the feed through the real content handler against moto."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from furusato import clock
from furusato.clock import JST
from tests.support.lambda_api import Reply, call
from tests.support.roundtrips import count_calls
from tests.support.world import admin, onboard, person, register, set_profile

HIDA, TAKAYAMA, GIFU, SHINJUKU = "212172", "212032", "210005", "131041"
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)


@pytest.fixture(autouse=True)
def _world() -> None:
    clock.freeze(NOW)
    onboard(HIDA, TAKAYAMA, GIFU, SHINJUKU)


def publish(lg_code: str, title: str, role: str = "coordinator", **fields: Any) -> Reply:
    body = {"kind": "news", "title": title, "body": f"{title} の本文", **fields}
    return call("POST", f"/v1/admin/lgs/{lg_code}/contents", body, claims=admin(lg_code, role))


def feed(sub: str, **query: str) -> Reply:
    reply = call("GET", "/v1/me/feed", claims=person(sub), query=query or None)
    assert reply.status == 200, reply
    return reply


def titles(sub: str) -> list[str]:
    return [item["title"] for item in feed(sub).body["items"]]


def at(instant: datetime) -> None:
    clock.freeze(instant)


def test_staff_create_read_edit_and_delete_content() -> None:
    created = publish(HIDA, "雪まつり", kind="event", body="**2月10日** [詳細](https://example.jp/)")
    assert created.status == 201, created
    content = created.body
    assert content["status"] == "published" and content["lg_code"] == HIDA and content["target"] == {}
    assert "<strong>2月10日</strong>" in content["body_html"]
    path = f"/v1/admin/lgs/{HIDA}/contents/{content['content_id']}"
    assert call("GET", path, claims=admin(HIDA, "viewer")).body == content
    listed = call("GET", f"/v1/admin/lgs/{HIDA}/contents", claims=admin(HIDA, "viewer")).body
    assert [c["content_id"] for c in listed["items"]] == [content["content_id"]]

    edited = call(
        "PATCH", path, {"title": "雪まつり(変更)", "target": {"plans": ["premium"]}}, claims=admin(HIDA)
    )
    assert edited.status == 200 and edited.body["title"] == "雪まつり(変更)"
    assert (
        edited.body["target"] == {"plans": ["premium"]} and edited.body["publish_at"] == content["publish_at"]
    )
    # Published content keeps its date: moving it would move it in readers' feeds.
    moved = call("PATCH", path, {"publish_at": (NOW + timedelta(days=1)).isoformat()}, claims=admin(HIDA))
    assert moved.status == 409 and moved.error_code == "ALREADY_PUBLISHED"
    expired = call("PATCH", path, {"expires_at": (NOW + timedelta(hours=1)).isoformat()}, claims=admin(HIDA))
    assert expired.status == 200 and expired.body["status"] == "published"
    at(NOW + timedelta(hours=2))
    assert call("GET", path, claims=admin(HIDA)).body["status"] == "expired"

    assert call("DELETE", path, claims=admin(HIDA)).status == 204
    assert call("GET", path, claims=admin(HIDA)).status == 404
    assert call("DELETE", path, claims=admin(HIDA)).status == 404


def test_viewers_read_but_never_write() -> None:
    content = publish(HIDA, "お知らせ").body
    path = f"/v1/admin/lgs/{HIDA}/contents/{content['content_id']}"
    assert publish(HIDA, "x", role="viewer").status == 403
    assert call("PATCH", path, {"title": "x"}, claims=admin(HIDA, "viewer")).status == 403
    assert call("DELETE", path, claims=admin(HIDA, "viewer")).status == 403
    assert call("GET", path, claims=admin(HIDA, "viewer")).status == 200


def test_another_governments_content_is_not_found() -> None:
    content = publish(HIDA, "飛騨のお知らせ").body
    for method, body in (("GET", None), ("PATCH", {"title": "乗っ取り"}), ("DELETE", None)):
        reply = call(
            method, f"/v1/admin/lgs/{TAKAYAMA}/contents/{content['content_id']}", body, claims=admin(TAKAYAMA)
        )
        assert reply.status == 404 and reply.error_code == "NOT_FOUND", (method, reply)
    assert call("GET", f"/v1/admin/lgs/{TAKAYAMA}/contents", claims=admin(TAKAYAMA)).body["items"] == []
    assert (
        call("GET", f"/v1/admin/lgs/{HIDA}/contents/{content['content_id']}", claims=admin(HIDA)).status
        == 200
    )


def test_markdown_reaches_the_app_neutralised() -> None:
    body = "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) <b>raw</b>"
    html = publish(HIDA, "危険", body=body).body["body_html"]
    assert (
        "<script" not in html and "<img" not in html and "<b>" not in html and 'href="javascript' not in html
    )


def test_bad_content_is_refused_and_nothing_is_stored() -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"kind": "gossip"}, "kind"),
        ({"target": {"survey": {"nope": ["x"]}}}, "target.survey.nope"),
        ({"target": {"plans": ["gold"]}}, "target.plans[0]"),
        ({"expires_at": (NOW - timedelta(days=1)).isoformat()}, "expires_at"),
        ({"kind": "disaster", "publish_at": (NOW + timedelta(days=1)).isoformat()}, "publish_at"),
        ({"body": "マイナンバー 123456789012"}, "body"),
        ({"colour": "red"}, "colour"),
    ]
    for fields, field in bad:
        reply = publish(HIDA, "x", **fields)
        assert reply.status == 400 and field in reply.body["error"]["details"], (fields, reply)
    assert call("GET", f"/v1/admin/lgs/{HIDA}/contents", claims=admin(HIDA)).body["items"] == []


def test_two_registrants_with_different_answers_see_exactly_their_items() -> None:
    farmer, visitor = "farmer", "visitor"
    set_profile(farmer)  # 新宿区: residence prefecture 13
    set_profile(visitor, postal_code="506-0011")  # 高山市: residence prefecture 21
    register(farmer, HIDA, {"relationship": ["出身地"], "interests": ["農林漁業"]})
    register(visitor, HIDA, {"relationship": ["観光・訪問"], "interests": ["観光・交流"]})
    publish(HIDA, "全員へ")
    publish(HIDA, "農業の担い手募集", target={"survey": {"interests": ["農林漁業"]}})
    publish(HIDA, "観光モニター", target={"survey": {"relationship": ["観光・訪問"]}})
    publish(HIDA, "都内在住の方へ", target={"residence_prefecture_codes": ["13"]})
    publish(HIDA, "プレミアム限定", target={"plans": ["premium"]})
    publish(
        HIDA,
        "都内の農業関心者",
        target={
            "residence_prefecture_codes": ["13"],
            "plans": ["basic"],
            "survey": {"interests": ["農林漁業"]},
        },
    )
    publish(
        HIDA,
        "県外の観光客",
        target={"residence_prefecture_codes": ["13"], "survey": {"relationship": ["観光・訪問"]}},
    )
    assert set(titles(farmer)) == {"全員へ", "農業の担い手募集", "都内在住の方へ", "都内の農業関心者"}
    assert set(titles(visitor)) == {"全員へ", "観光モニター"}


def test_feed_is_newest_first_across_governments_with_their_names() -> None:
    set_profile("p1")
    register("p1", HIDA)  # brings 岐阜県 too
    register("p1", SHINJUKU)
    for i, code in enumerate((HIDA, GIFU, SHINJUKU, TAKAYAMA)):
        at(NOW + timedelta(minutes=i))
        publish(code, f"{code} のお知らせ")
    items = feed("p1").body["items"]
    assert [i["lg_code"] for i in items] == [SHINJUKU, GIFU, HIDA]  # not 高山市: not registered
    assert (
        items[0]["lg_name"] == "新宿区"
        and items[0]["published_at"] == (NOW + timedelta(minutes=2)).isoformat()
    )
    assert set(items[0]) == {
        "content_id",
        "lg_code",
        "lg_name",
        "kind",
        "title",
        "body",
        "body_html",
        "published_at",
    }


def test_scheduled_content_waits_and_expired_content_leaves() -> None:
    register("p1", HIDA)
    publish(HIDA, "予定", publish_at=(NOW + timedelta(days=1)).isoformat())
    publish(HIDA, "期限つき", expires_at=(NOW + timedelta(hours=12)).isoformat())
    publish(HIDA, "下書き", draft=True)
    assert titles("p1") == ["期限つき"]
    statuses = {
        c["title"]: c["status"]
        for c in call("GET", f"/v1/admin/lgs/{HIDA}/contents", claims=admin(HIDA)).body["items"]
    }
    assert statuses == {"予定": "scheduled", "期限つき": "published", "下書き": "draft"}
    at(NOW + timedelta(days=1))
    assert titles("p1") == ["予定"]


def test_a_draft_is_published_by_a_patch() -> None:
    register("p1", HIDA)
    draft = publish(HIDA, "下書き", draft=True).body
    assert titles("p1") == []
    at(NOW + timedelta(hours=1))
    done = call(
        "PATCH", f"/v1/admin/lgs/{HIDA}/contents/{draft['content_id']}", {"draft": False}, claims=admin(HIDA)
    )
    assert (
        done.body["status"] == "published"
        and done.body["publish_at"] == (NOW + timedelta(hours=1)).isoformat()
    )
    assert titles("p1") == ["下書き"]


def test_a_withdrawn_registration_stops_the_feed() -> None:
    register("p1", HIDA)
    register("p1", SHINJUKU)
    publish(HIDA, "飛騨")
    publish(SHINJUKU, "新宿")
    assert set(titles("p1")) == {"飛騨", "新宿"}
    assert call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("p1")).status == 204
    assert set(titles("p1")) == {"新宿"}


def test_a_lapsed_registration_stops_the_feed() -> None:
    from dataclasses import replace

    from furusato.store import people

    register("p1", HIDA)
    register("p1", SHINJUKU)
    publish(HIDA, "飛騨")
    publish(SHINJUKU, "新宿")
    record = people.load("p1")
    people.save(record, [replace(record.registrations[SHINJUKU], status="lapsed")])  # as the sweep does
    assert titles("p1") == ["飛騨"]


def test_a_forged_cursor_never_shows_scheduled_content_early() -> None:
    register("p1", HIDA)
    publish(HIDA, "公開済み")
    publish(HIDA, "来週の予定", publish_at=(NOW + timedelta(days=7)).isoformat())
    future = (NOW + timedelta(days=30)).isoformat()
    raw = json.dumps({"p": "9999-12-31T00:00:00.000000Z~", "a": future}).encode()
    forged = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert [i["title"] for i in feed("p1", cursor=forged).body["items"]] == ["公開済み"]


def test_a_tampered_cursor_is_a_400() -> None:
    register("p1", HIDA)
    reply = call("GET", "/v1/me/feed", claims=person("p1"), query={"cursor": "bm90LWEtY3Vyc29y"})
    assert reply.status == 400 and reply.error_code == "VALIDATION_ERROR"


def test_500_items_page_exactly_once_while_staff_publish() -> None:
    from furusato.capabilities import contents

    set_profile("reader")
    register("reader", HIDA, {"relationship": ["出身地"], "interests": ["農林漁業"]})
    register("reader", SHINJUKU)
    # 飛騨市 publishes most, and most of it targets others: its pages of items run out of
    # visible ones long before the other governments' do.
    codes = (HIDA, HIDA, HIDA, GIFU, SHINJUKU)
    expected: set[str] = set()
    for i in range(500):
        at(NOW - timedelta(days=30) + timedelta(minutes=i * 7 % 3000))  # interleaved times, some equal
        code = codes[i % 5]
        target = {"survey": {"interests": ["観光・交流"]}} if code == HIDA and i % 4 else None
        made = contents.create(
            code, "staff", {"kind": "news", "title": f"item {i}", "body": "本文", "target": target}
        )
        if target is None:
            expected.add(made["content_id"])
    at(NOW)
    seen: list[str] = []
    cursor: str | None = None
    published_meanwhile: list[str] = []
    pages = 0
    while True:
        reply = feed("reader", limit="37", **({"cursor": cursor} if cursor else {}))
        seen += [item["content_id"] for item in reply.body["items"]]
        dates = [item["published_at"] for item in reply.body["items"]]
        assert dates == sorted(dates, reverse=True)
        cursor = reply.body["next_cursor"]
        pages += 1
        if cursor is None:
            break
        # Staff publish between pages, now and back-dated, and a scheduled item falls due.
        at(NOW + timedelta(minutes=pages))
        published_meanwhile.append(publish(HIDA, f"new {pages}").body["content_id"])
        published_meanwhile.append(
            publish(SHINJUKU, f"old {pages}", publish_at=(NOW - timedelta(days=60)).isoformat()).body[
                "content_id"
            ]
        )
    assert len(seen) == len(set(seen)), "an item appeared twice"
    assert set(seen) == expected
    assert not set(seen) & set(published_meanwhile)
    # A new read starts from the top and sees what was published meanwhile.
    assert feed("reader", limit="5").body["items"][0]["title"].startswith(("new", "old"))


@pytest.mark.parametrize("municipalities", [1, 3])
def test_a_feed_page_costs_one_query_per_government_plus_one(municipalities: int) -> None:
    for code in (HIDA, TAKAYAMA, SHINJUKU)[:municipalities]:
        register("p1", code)  # a municipality brings its prefecture: 2 or 5 governments
        publish(code, "x")
    held = len(call("GET", "/v1/me/registrations", claims=person("p1")).body["items"])
    with count_calls() as calls:
        assert feed("p1").body["items"]
    assert "Scan" not in calls
    assert sum(calls.values()) <= 1 + held, calls
