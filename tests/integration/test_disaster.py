"""Disaster notices fan out page by page from the table's changes; redeliveries add nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from furusato import clock
from furusato.capabilities import disaster
from furusato.clock import JST
from furusato.settings import settings
from furusato.store import fanout
from tests.support.lambda_api import call
from tests.support.world import admin, onboard, person, register, set_profile

HIDA, TAKAYAMA = "212172", "212032"
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)


@pytest.fixture(autouse=True)
def _world() -> None:
    clock.freeze(NOW)
    onboard(HIDA, TAKAYAMA)


def _item(pk: str, sk: str) -> dict[str, Any] | None:
    """The item as a stream record's image carries it."""
    client = boto3.client("dynamodb", region_name=settings().region, endpoint_url=settings().endpoint_url)
    raw = client.get_item(TableName=settings().main_table, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")
    return {k: TypeDeserializer().deserialize(v) for k, v in raw.items()} if raw else None


def _deliver_fanout(content_id: str, *, twice: bool) -> None:
    """Deliver each page's record as the stream would (and again, when `twice`)."""
    page = 0
    while (image := _item(*fanout.page_key(content_id, page))) is not None:
        disaster.run_page(image)
        if twice:
            disaster.run_page(image)
        page += 1


def _inbox(sub: str) -> list[dict[str, Any]]:
    return call("GET", "/v1/me/notifications", claims=person(sub), query={"limit": "200"}).body["items"]


def test_a_disaster_notice_reaches_every_targeted_reader_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "PAGE_SIZE", 7)  # several pages from a few registrants
    readers = [f"r{i:02d}" for i in range(20)]
    for i, sub in enumerate(readers):
        if i % 2:
            set_profile(sub)  # 東京都 residence; the others have no profile
        register(sub, HIDA, {"relationship": ["出身地"], "interests": ["除雪・防災" if i % 3 else "その他"]})
    register("withdrawn", HIDA)
    call("DELETE", f"/v1/me/registrations/{HIDA}", claims=person("withdrawn"))
    register("elsewhere", TAKAYAMA)
    body = {
        "kind": "disaster",
        "title": "大雪警報",
        "body": "不要不急の外出は控えてください。",
        "target": {"survey": {"interests": ["除雪・防災"]}, "residence_prefecture_codes": ["13"]},
    }
    created = call("POST", f"/v1/admin/lgs/{HIDA}/contents", body, claims=admin(HIDA, "coordinator")).body
    content_id = created["content_id"]
    new = _item(f"LG#{HIDA}", f"CONTENT#{content_id}")
    assert new is not None and disaster.publishes_disaster(None, new)
    assert disaster.start(new) is True
    assert disaster.start(new) is False  # the same change again: page 0 exists
    _deliver_fanout(content_id, twice=True)
    _deliver_fanout(content_id, twice=False)  # the whole batch redelivered
    assert _item(*fanout.page_key(content_id, 2)) is not None  # 21 registrations, pages of 7

    reached = {sub for sub in readers if _inbox(sub)}
    assert reached == {sub for i, sub in enumerate(readers) if i % 2 and i % 3}
    for sub in reached:
        notices = _inbox(sub)
        assert [(n["kind"], n["title"], n["lg_code"]) for n in notices] == [("content", "大雪警報", HIDA)]
    assert _inbox("withdrawn") == [] and _inbox("elsewhere") == []


def test_only_the_change_that_publishes_starts_a_fan_out() -> None:
    draft = {"type": "content", "kind": "disaster", "draft": True, "published_at": None}
    out = {"type": "content", "kind": "disaster", "draft": False, "published_at": NOW.isoformat()}
    news = {**out, "kind": "news"}
    assert disaster.publishes_disaster(None, out)
    assert disaster.publishes_disaster(draft, out)
    assert disaster.publishes_disaster(news, out)
    assert not disaster.publishes_disaster(out, {**out, "title": "訂正"})
    assert not disaster.publishes_disaster(None, draft)
    assert not disaster.publishes_disaster(None, news)
    assert not disaster.publishes_disaster(out, None)


def test_a_deleted_notice_fans_out_no_further() -> None:
    register("r1", HIDA)
    body = {"kind": "disaster", "title": "避難情報", "body": "避難してください"}
    created = call("POST", f"/v1/admin/lgs/{HIDA}/contents", body, claims=admin(HIDA)).body
    new = _item(f"LG#{HIDA}", f"CONTENT#{created['content_id']}")
    assert new is not None
    disaster.start(new)
    call("DELETE", f"/v1/admin/lgs/{HIDA}/contents/{created['content_id']}", claims=admin(HIDA))
    _deliver_fanout(created["content_id"], twice=False)
    assert _inbox("r1") == []


def test_publishing_a_disaster_notice_fans_out_through_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.streams import deliver

    monkeypatch.setattr(fanout, "PAGE_SIZE", 3)
    deliver()  # what earlier tests left in the stream
    readers = [f"s{i}" for i in range(8)]
    for sub in readers:
        register(sub, HIDA)
    draft = {"kind": "disaster", "title": "土砂災害警戒情報", "body": "避難所を開設しました。", "draft": True}
    created = call("POST", f"/v1/admin/lgs/{HIDA}/contents", draft, claims=admin(HIDA)).body
    report = deliver()
    assert report.dead_lettered == 0 and all(_inbox(sub) == [] for sub in readers)  # a draft waits
    path = f"/v1/admin/lgs/{HIDA}/contents/{created['content_id']}"
    assert call("PATCH", path, {"draft": False}, claims=admin(HIDA)).status == 200
    assert deliver().dead_lettered == 0
    for sub in readers:
        assert [n["title"] for n in _inbox(sub)] == ["土砂災害警戒情報"], sub
    # A later edit of the published notice sends nothing again.
    call("PATCH", path, {"title": "土砂災害警戒情報(更新)"}, claims=admin(HIDA))
    deliver()
    assert all(len(_inbox(sub)) == 1 for sub in readers)


def test_a_redelivered_batch_creates_no_duplicate_notices(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same stream records handed to the consumer again, as Lambda does after a failure."""
    from furusato.streams import Change
    from furusato.streams.disaster_notices import DisasterNotices

    monkeypatch.setattr(fanout, "PAGE_SIZE", 2)
    for sub in ("a", "b", "c", "d", "e"):
        register(sub, HIDA)
    body = {"kind": "disaster", "title": "断水", "body": "給水所を開設しました。"}
    created = call("POST", f"/v1/admin/lgs/{HIDA}/contents", body, claims=admin(HIDA)).body
    new = _item(f"LG#{HIDA}", f"CONTENT#{created['content_id']}")
    consumer = DisasterNotices()

    def record(event_id: str, old: dict[str, Any] | None, image: dict[str, Any]) -> Change:
        return Change(event_id, "INSERT", event_id, {"pk": image["pk"], "sk": image["sk"]}, old, image)

    batch = [record("e0", None, new)]  # type: ignore[arg-type]
    for _ in range(2):  # the batch, then the same batch again
        for change in batch:
            consumer.apply(change)
        page = 0
        while (image := _item(*fanout.page_key(created["content_id"], page))) is not None:
            consumer.apply(record(f"p{page}", None, image))
            page += 1
    for sub in ("a", "b", "c", "d", "e"):
        assert [n["title"] for n in _inbox(sub)] == ["断水"]
