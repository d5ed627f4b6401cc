"""Concurrency on the local stack as in AWS: each function runs in instances of its own (worker
processes), several at once, so a race a user can cause over HTTP can be reproduced over HTTP.

The first part drives the host and the gateway in-process with stand-in handlers; the last walks
the running stack (the `stack` fixture) with a real race.
"""

from __future__ import annotations

import json
import logging
import textwrap
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from furusato import clock, topology
from infra.local.gateway import Gateway, GatewayServer
from infra.local.host import FunctionError, FunctionHost
from infra.local.messages import Request
from infra.local.tokens import LocalIssuer
from tests.e2e.conftest import StackClient

pytestmark = pytest.mark.e2e

# A stand-in for the registration function (it serves GET /v1/local-governments/{lg_code}).
HANDLER = """
import json
import os
import pathlib
import time

from furusato import clock

INVOCATIONS = 0  # module state: one count per instance


def lambda_handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    query = event.get("queryStringParameters") or {}
    if query.get("crash"):
        os._exit(3)
    if query.get("fail"):
        raise ValueError("山田 花子 was refused")
    if query.get("sleep"):
        time.sleep(float(query["sleep"]))
    met = 0
    if query.get("room"):
        # Each invocation enters the room, then waits for the others to arrive. The wait has an
        # end only so that a host running one event at a time finishes (and the test fails).
        room = pathlib.Path(query["room"])
        (room / event["requestContext"]["requestId"]).touch()
        give_up = time.monotonic() + float(query["patience"])
        while met < int(query["n"]) and time.monotonic() < give_up:
            met = len(list(room.iterdir()))
            time.sleep(0.02)
    body = {
        "pid": os.getpid(),
        "invocations": INVOCATIONS,
        "met": met,
        "now": clock.now().isoformat(),
        "frozen": clock.is_frozen(),
    }
    return {"statusCode": 200, "body": json.dumps(body)}
"""
PATH = "/v1/local-governments/212172"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[FunctionHost]:
    (tmp_path / "fns" / "registration").mkdir(parents=True)
    (tmp_path / "fns" / "registration" / "handler.py").write_text(textwrap.dedent(HANDLER))
    host = FunctionHost(tmp_path / "fns")
    yield host
    host.stop()


@pytest.fixture
def served(host: FunctionHost) -> Iterator[str]:
    """The gateway over real HTTP, in this process, with the stand-in handler."""
    gateway = Gateway(base_url="http://127.0.0.1:9", issuer=LocalIssuer("x"), host=host)
    server = GatewayServer(("127.0.0.1", 0), gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _at_once(count: int, call: Callable[[], Any]) -> list[Any]:
    """`count` calls started together, on threads; their results in any order."""
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def one() -> None:
        barrier.wait()
        try:
            results.append(call())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def _invoke(host: FunctionHost, query: dict[str, str], fn: topology.Function | None = None) -> Any:
    fn = fn or topology.function("registration")
    event = {"queryStringParameters": query, "requestContext": {"requestId": "r"}}
    return json.loads(host.invoke(fn, event)["body"])


def test_requests_to_one_function_run_at_the_same_time(
    served: str, host: FunctionHost, tmp_path: Path
) -> None:
    """As many invocations as the function's concurrency are inside the handler together: each
    sees all the others arrive (a host running one event at a time lets each see only itself)."""
    room = tmp_path / "room"
    room.mkdir()
    n = host.concurrency
    query = {"room": str(room), "n": str(n), "patience": "5"}

    def get() -> Any:
        response = requests.get(served + PATH, params=query, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    answers = _at_once(n, get)
    assert [a["met"] for a in answers] == [n] * n
    assert len({a["pid"] for a in answers}) == n  # one instance each


def test_instances_stay_warm_and_keep_their_module_state(host: FunctionHost) -> None:
    first, second = _invoke(host, {}), _invoke(host, {})
    assert second["pid"] == first["pid"]
    assert second["invocations"] == first["invocations"] + 1
    assert host.pool("registration").cold_starts == 1


def test_concurrency_is_capped_and_events_beyond_it_wait(tmp_path: Path) -> None:
    (tmp_path / "registration").mkdir()
    (tmp_path / "registration" / "handler.py").write_text(textwrap.dedent(HANDLER))
    host = FunctionHost(tmp_path, concurrency=2)
    try:
        answers = _at_once(6, lambda: _invoke(host, {"sleep": "0.2"}))
        assert len(answers) == 6
        assert len({a["pid"] for a in answers}) <= 2
        assert host.pool("registration").size <= 2
    finally:
        host.stop()


def test_the_concurrency_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FURUSATO_LOCAL_CONCURRENCY", "7")
    assert FunctionHost(tmp_path).concurrency == 7
    monkeypatch.setenv("FURUSATO_LOCAL_CONCURRENCY", "0")
    with pytest.raises(ValueError, match="FURUSATO_LOCAL_CONCURRENCY"):
        FunctionHost(tmp_path)


def test_the_business_clock_reaches_every_instance(host: FunctionHost) -> None:
    clock.freeze(datetime.fromisoformat("2026-05-01T10:00:00+09:00"))
    try:
        answers = _at_once(3, lambda: _invoke(host, {}))
        assert {a["now"] for a in answers} == {"2026-05-01T10:00:00+09:00"}
    finally:
        clock.unfreeze()
    assert _invoke(host, {})["frozen"] is False


def test_a_crashed_instance_answers_502_and_the_next_event_gets_a_new_one(
    host: FunctionHost, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = Gateway(base_url="http://127.0.0.1:9", issuer=LocalIssuer("x"), host=host)
    before = json.loads(gateway.handle(Request("GET", PATH, [])).body)
    with caplog.at_level(logging.ERROR, logger="infra.local"):
        crashed = gateway.handle(Request("GET", PATH + "?crash=1", []))
    assert crashed.status == 502 and crashed.json()["error"]["code"] == "INTERNAL"
    assert "Runtime.ExitError" in caplog.text
    after = json.loads(gateway.handle(Request("GET", PATH, [])).body)
    assert after["pid"] != before["pid"] and after["invocations"] == 1


def test_a_handler_error_answers_502_logs_no_message_and_keeps_the_instance(
    host: FunctionHost, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = Gateway(base_url="http://127.0.0.1:9", issuer=LocalIssuer("x"), host=host)
    before = json.loads(gateway.handle(Request("GET", PATH, [])).body)
    with caplog.at_level(logging.ERROR, logger="infra.local"):
        failed = gateway.handle(Request("GET", PATH + "?fail=1", []))
    assert failed.status == 502
    assert "ValueError" in caplog.text and "lambda_handler" in caplog.text
    assert "山田" not in caplog.text
    after = json.loads(gateway.handle(Request("GET", PATH, [])).body)
    assert after["pid"] == before["pid"]


def test_an_instance_past_its_timeout_is_stopped(host: FunctionHost) -> None:
    quick = topology.function("registration")._replace(timeout_s=1)
    with pytest.raises(FunctionError) as raised:
        _invoke(host, {"sleep": "30"}, quick)
    assert raised.value.summary["error_type"] == "Sandbox.Timedout"
    assert host.pool("registration").size == 0
    assert _invoke(host, {})["invocations"] == 1  # a new instance


def test_a_handler_that_cannot_be_imported_fails_the_event_and_is_tried_again(tmp_path: Path) -> None:
    (tmp_path / "registration").mkdir()
    handler = tmp_path / "registration" / "handler.py"
    handler.write_text("raise ImportError('not yet')\n")
    host = FunctionHost(tmp_path)
    try:
        with pytest.raises(FunctionError) as raised:
            _invoke(host, {})
        assert raised.value.summary["error_type"] == "ImportError"
        handler.write_text(textwrap.dedent(HANDLER))
        assert _invoke(host, {})["invocations"] == 1
    finally:
        host.stop()


HANDING_ON = """
def invoker(function_arn, event, context=None):
    raise RuntimeError("Lambda's Invoke: the local stack replaces this")


def lambda_handler(event, context):
    done = event["done"] + 1
    if done < event["total"]:
        invoker(context.invoked_function_arn, {**event, "done": done}, context)
    with open(event["log"], "a") as log:
        log.write(f"{done}\\n")
    return {"done": done}
"""


def test_a_run_handed_on_to_a_new_invocation_runs_after_this_one(tmp_path: Path) -> None:
    """A function invoking itself asynchronously (the sweeps near their time limit) gets each
    continuation as a new invocation once the current one has returned."""
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "handler.py").write_text(textwrap.dedent(HANDING_ON))
    host = FunctionHost(tmp_path)
    log = tmp_path / "runs.log"
    try:
        result = host.invoke(topology.function("sweeps"), {"done": 0, "total": 3, "log": str(log)})
    finally:
        host.stop()
    assert result == {"done": 1}
    assert log.read_text().split() == ["1", "2", "3"]


# --- a race over HTTP, on the running stack ---------------------------------------------------


@pytest.fixture
def frozen(stack: StackClient) -> Iterator[None]:
    stack.set_clock("2026-05-10T09:30:00+09:00")
    yield
    stack.reset_clock()


def test_a_hundred_identical_check_ins_at_once_record_one_participation(
    stack: StackClient, frozen: None
) -> None:
    """The same person scanning the same poster 100 times at once (a double-tapping app, a
    retrying client): the invocations really run side by side, and one check-in is recorded."""
    hida = "212172"
    staff = stack.token("race-staff", "staff", lg_code=hida, staff_role="coordinator")
    base = f"/v1/admin/lgs/{hida}/activities"
    activity = {
        "name": "e2e 同時チェックイン",
        "starts_at": "2026-05-10T10:00:00+09:00",
        "ends_at": "2026-05-10T12:00:00+09:00",
        "place": "古川町公民館",
        "designated": True,
    }
    created = stack.post(base, token=staff, json=activity)
    assert created.status_code == 201, created.text
    activity_id = created.json()["activity_id"]
    code = stack.get(f"{base}/{activity_id}/qr", token=staff, params={"format": "json"}).json()
    stack.set_clock("2026-05-10T10:05:00+09:00")
    person = stack.token("race-person", "registrant")
    counter = iter(range(100))
    lock = threading.Lock()

    def scan() -> tuple[int, Any]:
        with lock:
            i = next(counter)
        with requests.Session() as session:
            response = session.post(
                stack.base_url + "/v1/checkins",
                json={"token": code["token"], "nonce": f"race-nonce-{i:04d}"},
                headers={"Authorization": f"Bearer {person}"},
                timeout=120,
            )
        return response.status_code, response.json()

    answers = _at_once(100, scan)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 99 + [201], [a for a in answers if a[0] not in (200, 201)][:3]
    assert {body["status"] for status, body in answers if status == 200} == {"already_recorded"}
    history = stack.get("/v1/me/participations", token=person, params={"lg_code": hida}).json()["items"]
    assert [p["activity_id"] for p in history].count(activity_id) == 1
    roster = stack.get(f"{base}/{activity_id}/participants", token=staff).json()["items"]
    assert len(roster) == 1
