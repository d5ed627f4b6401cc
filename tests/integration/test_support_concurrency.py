"""50 concurrent approvals against one budget, through the support function's real handler.

As in test_checkin_concurrency.py: N warm Lambdas are N forked processes (fresh connections, the
clock frozen), released together by a barrier; moto's writes get the per-item serialization
DynamoDB guarantees (`serialize_moto_writes`), so the outcome is decided by the conditions."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from tests.support.concurrency import fresh_connections, serialize_moto_writes
from tests.support.lambda_api import call, handler_module
from tests.support.support_world import HIDA, apply, new_measure, registrant, world
from tests.support.world import admin

WORKERS = 10
_barrier: Any = None


@pytest.fixture(autouse=True)
def _dynamodb_item_atomicity(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_writes(monkeypatch)


def _start_worker(barrier: Any) -> None:
    global _barrier
    fresh_connections()
    _barrier = barrier


def _approve(application_id: str) -> tuple[int, dict[str, Any]]:
    global _barrier
    if _barrier is not None:
        try:
            _barrier.wait(timeout=30)
        finally:
            _barrier = None
    reply = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/support-applications/{application_id}/decision",
        {"decision": "approve", "amount_granted": 10_000},
        claims=admin(HIDA, "coordinator"),
    )
    return reply.status, reply.body


def test_50_concurrent_approvals_never_exceed_the_budget() -> None:
    world()
    measure = new_measure(budget_total=100_000, max_per_application=10_000)
    ids = []
    for i in range(50):
        registrant(f"person-{i:02d}")
        reply = apply(f"person-{i:02d}", measure["measure_id"], 10_000)
        assert reply.status == 201, reply
        ids.append(reply.body["application_id"])
    handler_module("support")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    with ProcessPoolExecutor(
        max_workers=WORKERS, mp_context=context, initializer=_start_worker, initargs=(barrier,)
    ) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(_approve, i) for i in ids]]
    outcomes = Counter("approved" if status == 200 else body["error"]["code"] for status, body in results)
    assert outcomes == {"approved": 10, "BUDGET_EXHAUSTED": 40}, outcomes
    report = call(
        "GET", f"/v1/admin/lgs/{HIDA}/support-measures/{measure['measure_id']}/report", claims=admin(HIDA)
    )
    assert report.body["approved"] == 100_000 and report.body["remaining"] == 0
    assert report.body["applications"]["approved"] == 10 and report.body["applications"]["submitted"] == 40
    listed = call(
        "GET",
        f"/v1/admin/lgs/{HIDA}/support-applications",
        query={"status": "submitted", "limit": "200"},
        claims=admin(HIDA),
    )
    assert len(listed.body["items"]) == 40  # the refused ones stay submitted
