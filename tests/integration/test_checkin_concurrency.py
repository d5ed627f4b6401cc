"""Concurrent check-ins against the shared moto server, through the real lambda_handler.

Concurrency model: Lambda runs one request at a time per execution environment, and many
environments at once. Powertools' resolver keeps the current event in a class attribute
(`BaseRouter.current_event`), so one handler object in several threads would mix requests up;
the faithful model of N warm Lambdas is N processes. Each worker is forked from this process
(handler imported, keyring cached, clock frozen) with fresh AWS connections, and a barrier
releases the first wave of requests together.

moto applies writes without the per-item serialization DynamoDB guarantees for conditional
writes; `_dynamodb_item_atomicity` gives moto's write paths that one lock (moto only: the code
under test is unchanged), so the outcome is decided by the condition, as in DynamoDB.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from furusato.store import keyring, participations
from tests.integration.checkin_helpers import HIDA, NOW, activity, at, static_token
from tests.support.concurrency import fresh_connections, serialize_moto_writes
from tests.support.lambda_api import call, handler_module
from tests.support.world import admin, onboard, person

WORKERS = 8
_barrier: Any = None


@pytest.fixture(autouse=True)
def _dynamodb_item_atomicity(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_writes(monkeypatch)


def _start_worker(barrier: Any) -> None:
    """In the forked child: new connections (the parent's sockets are not ours), then wait for
    the others so the first requests leave together."""
    global _barrier
    fresh_connections()
    _barrier = barrier


def _scan(sub: str, token: str, nonce: str) -> tuple[int, dict[str, Any]]:
    global _barrier
    if _barrier is not None:
        try:
            _barrier.wait(timeout=30)
        finally:
            _barrier = None
    reply = call("POST", "/v1/checkins", {"token": token, "nonce": nonce}, claims=person(sub))
    return reply.status, reply.body


def _run(requests: list[tuple[str, str, str]]) -> list[tuple[int, dict[str, Any]]]:
    handler_module("checkin")  # imported once here, inherited by every worker
    keyring.current()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    with ProcessPoolExecutor(
        max_workers=WORKERS, mp_context=context, initializer=_start_worker, initargs=(barrier,)
    ) as pool:
        futures = [pool.submit(_scan, *request) for request in requests]
        return [future.result(timeout=120) for future in futures]


@pytest.fixture
def poster() -> tuple[dict[str, Any], str]:
    onboard(HIDA)
    at(NOW)
    act = activity()
    token = static_token(HIDA, act["activity_id"])
    at("2026-05-10T10:05:00+09:00")
    return act, token


def test_100_identical_check_ins_record_once(poster: tuple[dict[str, Any], str]) -> None:
    act, token = poster
    results = _run([("same-person", token, f"nonce-{i:04d}") for i in range(100)])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 200: 99}, statuses
    kinds = Counter(body["status"] for _, body in results)
    assert kinds == {"recorded": 1, "already_recorded": 99}
    ids = {body["participation"]["participation_id"] for _, body in results}
    assert len(ids) == 1  # every answer shows the one stored record
    assert len(participations.of_person("same-person")) == 1
    assert participations.count(act["activity_id"]) == 1


def test_500_people_check_in_at_once(poster: tuple[dict[str, Any], str]) -> None:
    act, token = poster
    started = time.monotonic()
    results = _run([(f"person-{i:03d}", token, f"nonce-{i:04d}") for i in range(500)])
    elapsed = time.monotonic() - started
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 500}, statuses
    assert participations.count(act["activity_id"]) == 500
    details = call("GET", f"/v1/admin/lgs/{HIDA}/activities/{act['activity_id']}", claims=admin(HIDA))
    assert details.body["participant_count"] == 500
    roster_ids: set[str] = set()
    cursor = None
    while True:
        query = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = call(
            "GET",
            f"/v1/admin/lgs/{HIDA}/activities/{act['activity_id']}/participants",
            query=query,
            claims=admin(HIDA),
        )
        roster_ids |= {p["participation_id"] for p in page.body["items"]}
        cursor = page.body["next_cursor"]
        if not cursor:
            break
    assert len(roster_ids) == 500
    print(f"500 concurrent check-ins in {elapsed:.1f}s")
