"""Check-in throughput: through the real lambda_handler vs the check-in's write alone, against
the same moto server in one run; and DynamoDB round trips per check-in.

    python -m bench checkin [--n 100] [--rounds 5]

The measurement runs in a fresh interpreter (so the handlers bind to this benchmark's moto) and
moto runs in its own process, as DynamoDB is remote: the client's CPU and the store's are not
one interpreter's. Both sides are measured from one client, one request at a time, in
alternating rounds so that the table grows alike under both. The baseline makes the very write
a check-in makes (`participations.record`: the record, conditional on none existing, and its
activity's counter shard in one TransactWriteItems), through the same botocore client.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1 / 3


def _wait_for(port: int, deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("moto did not start")


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    from infra.local.aws import free_port

    port = free_port()
    process = subprocess.Popen(
        # Keyed moto: a Query costs its partition and a transaction what it writes, as in
        # DynamoDB; plain moto copies every table for each TransactWriteItems (~300 ms a
        # check-in once the table holds a few thousand items).
        [sys.executable, "-m", "bench.moto_keyed", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(port)
    return process, f"http://127.0.0.1:{port}"


def _measure(n: int, rounds: int) -> dict[str, Any]:
    moto, endpoint = _start_moto()
    try:
        from infra.local import aws

        os.environ.update(aws.base_environment(endpoint))
        os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        os.environ.update(aws.create_resources(endpoint))
        return _run(n, rounds)
    finally:
        moto.terminate()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a busy server ignored SIGTERM: the figures stand
            moto.kill()
            moto.wait()


def _run(n: int, rounds: int) -> dict[str, Any]:
    import warnings
    from datetime import datetime

    warnings.filterwarnings("ignore")
    from furusato import clock
    from furusato.domain.activity import Activity
    from furusato.domain.checkin import new_record
    from furusato.store import activities as activity_store
    from furusato.store import participations
    from furusato.store.ids import new_id
    from tests.support.lambda_api import call, handler_module, registrant_claims
    from tests.support.roundtrips import count_calls
    from tests.support.world import admin, onboard, set_profile

    handler_module("checkin")
    clock.freeze(datetime.fromisoformat("2026-05-10T09:30:00+09:00"))
    onboard("212172")
    staff = admin("212172")
    # The people who scan use the app: each has a profile (someone of whom nothing is held pays
    # one GetItem more on a first scan, the deleted-account check; see docs/accounts.md).
    people = 10 + 2 * n + 2 * rounds
    for j in range(people):
        set_profile(f"h-{j}")
    scanners = iter(range(people))
    created = call(
        "POST",
        "/v1/admin/lgs/212172/activities",
        {
            "name": "雪かきボランティア",
            "starts_at": "2026-05-10T10:00:00+09:00",
            "ends_at": "2026-05-10T12:00:00+09:00",
            "place": "古川町公民館",
            "designated": True,
        },
        claims=staff,
    ).body
    activity_id = created["activity_id"]
    token = call(
        "GET", f"/v1/admin/lgs/212172/activities/{activity_id}/qr", query={"format": "json"}, claims=staff
    ).body["token"]
    clock.freeze(datetime.fromisoformat("2026-05-10T10:05:00+09:00"))
    activity = activity_store.get_activity("212172", activity_id)
    assert isinstance(activity, Activity)
    counter = iter(range(10**9))

    def check_in() -> None:
        i = next(counter)
        reply = call(
            "POST",
            "/v1/checkins",
            {"token": token, "nonce": f"bench-{i:08d}"},
            claims=registrant_claims(f"h-{next(scanners)}"),
        )
        assert reply.status == 201, reply

    def bare_write() -> None:
        i = next(counter)
        record = new_record(
            sub=f"b-{i}",
            participation_id=new_id("part"),
            activity=activity,
            source="qr",
            instant=clock.now(),
            now=clock.now(),
            offline=False,
            nonce=f"bench-{i:08d}",
            recorded_by=None,
        )
        # The check-in's own write, alone: the conditional put of the record and its counter shard
        # in one TransactWriteItems (`participations.record`).
        assert participations.record(record)[0]

    def timed(action: Any, count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            action()
        return time.perf_counter() - started

    ttl = activity_store.CHECKIN_CACHE_TTL_S

    def check_in_cold() -> None:
        activity_store.CHECKIN_CACHE_TTL_S = 0.0  # every check-in reads the activity
        try:
            check_in()
        finally:
            activity_store.CHECKIN_CACHE_TTL_S = ttl

    timed(check_in, 10)  # warm: imports, keyring, connections
    timed(bare_write, 10)
    sides: dict[str, list[float]] = {"handler": [], "cold": [], "put": []}
    actions = {"handler": check_in, "cold": check_in_cold, "put": bare_write}
    per_round = max(1, n // rounds)
    handler_calls: Counter[str] = Counter()
    for r in range(rounds):
        order = list(actions) if r % 2 == 0 else list(reversed(actions))
        for side in order:
            activity_store._cache.clear()
            with count_calls() as calls:
                sides[side].append(timed(actions[side], per_round) / per_round)
            if side == "handler":
                handler_calls.update(calls)
    total = per_round * rounds
    handler_ms = statistics.mean(sides["handler"]) * 1000
    cold_ms = statistics.mean(sides["cold"]) * 1000
    put_ms = statistics.mean(sides["put"]) * 1000
    return {
        "n": total,
        "handler_ms": handler_ms,
        "cold_ms": cold_ms,
        "put_ms": put_ms,
        "ratio": put_ms / handler_ms,
        "cold_ratio": put_ms / cold_ms,
        "calls": {k: v / total for k, v in sorted(handler_calls.items()) if v},
        "items": participations.count(activity_id),
        "ttl_s": ttl,
    }


def report(result: dict[str, Any]) -> str:
    calls = result["calls"]
    trips = sum(calls.values())
    detail = ", ".join(f"{name} {count:g}" for name, count in calls.items())
    verdict = "meets" if result["ratio"] >= TARGET_RATIO else "MISSES"
    handler, put = result["handler_ms"], result["put_ms"]
    lines = [
        "| measure | value |",
        "|---|---:|",
        f"| check-ins through `lambda_handler` | {1000 / handler:.0f}/s ({handler:.1f} ms each) |",
        f"| the check-in's write alone (TransactWriteItems) | {1000 / put:.0f}/s ({put:.1f} ms each) |",
        f"| **ratio** (target ≥ 1/3) | **{result['ratio']:.2f}** ({verdict} the target) |",
        f"| DynamoDB round trips per check-in | {trips:.2f} on average ({detail}); at most 3 |",
        "| round trips in sequence | 1 with the container's copy of the activity "
        "(TransactWriteItems of the record and its counter shard; the Query runs alongside), "
        "2 without (BatchGetItem → TransactWriteItems) |",
        f"| without the copy (every check-in reads the activity) | {1000 / result['cold_ms']:.0f}/s "
        f"({result['cold_ms']:.1f} ms each), ratio {result['cold_ratio']:.2f} |",
        f"| check-ins per side; copy lifetime | {result['n']}; {result['ttl_s']:g} s |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench checkin")
    parser.add_argument("--n", type=int, default=200, help="check-ins (and puts) measured")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.child:
        import json

        print(json.dumps(_measure(args.n, args.rounds)))
        return
    out = subprocess.run(
        [sys.executable, "-m", "bench.checkin", "--child", "--n", str(args.n), "--rounds", str(args.rounds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        print(out.stdout + out.stderr, file=sys.stderr)
        raise SystemExit(out.returncode)
    import json

    print(report(json.loads(out.stdout.strip().splitlines()[-1])))


if __name__ == "__main__":
    main()
