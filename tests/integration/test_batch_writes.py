"""Exhausted batch writes: persistent UnprocessedItems answer 503 with Retry-After after
resends with backoff, never 500; a passing throttle is absorbed."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from furusato.store import errors as store_errors
from tests.support.lambda_api import call
from tests.support.world import admin, onboard, person, register, set_profile

HIDA = "212172"


def _throttle(monkeypatch: pytest.MonkeyPatch, times: int) -> list[float]:
    """Answer the first `times` BatchWriteItem calls with every item unprocessed."""
    from pynamodb.connection.table import TableConnection

    real = TableConnection.batch_write_item
    calls = {"n": 0}
    sleeps: list[float] = []

    def throttled(self: Any, put_items: Any = None, delete_items: Any = None, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            return {"UnprocessedItems": {self.table_name: [{"PutRequest": {"Item": i}} for i in put_items]}}
        return real(self, put_items=put_items, delete_items=delete_items, **kwargs)

    monkeypatch.setattr(TableConnection, "batch_write_item", throttled)
    monkeypatch.setattr(store_errors, "sleep", sleeps.append)
    return sleeps


def _stays() -> Any:
    onboard(HIDA)
    assert set_profile("u1").status == 200
    rid = register("u1", HIDA).body["registration_id"]
    body = {"registration_id": rid, "days": ["2026-05-01", "2026-05-02", "2026-05-02"], "note": None}
    return lambda: call("POST", f"/v1/admin/lgs/{HIDA}/stays", body, claims=admin(HIDA, "coordinator"))


def test_persistent_unprocessed_items_are_a_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    post = _stays()
    sleeps = _throttle(monkeypatch, times=100)
    reply = post()
    assert reply.status == 503 and reply.error_code == "UNAVAILABLE" and reply.headers["Retry-After"] == "1"
    assert len(sleeps) == store_errors.BATCH_RESENDS
    assert all(later > earlier for earlier, later in itertools.pairwise(sleeps))  # backing off


def test_a_passing_throttle_is_absorbed_by_the_resends(monkeypatch: pytest.MonkeyPatch) -> None:
    post = _stays()
    sleeps = _throttle(monkeypatch, times=2)
    reply = post()
    assert reply.status == 201 and reply.body["stay_days"] == 2, reply
    assert len(sleeps) == 2
    assert call("GET", "/v1/me", claims=person("u1")).status == 200
