"""Reading a government's statistics costs the same round trips whatever its population.

    python -m bench statistics [--sizes 1000,100000]

For each size N: the counters N registrations produce are computed by the rebuild's own
function (`furusato.statistics.rebuild.expected`, the reference the incremental consumer is
tested against) from N synthetic registrations of one government (birth dates spread over
1940-2010, residences over the 47 prefectures, 10% premium, 5% withdrawn, 5% lapsed, 2% own
residence, N/2 participations over 12 months), written to a fresh table; then the registration
function's real handler serves `GET /v1/admin/lgs/{lg_code}/stats` once, under a botocore hook
counting DynamoDB calls and the items they read, and the national figures likewise.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import datetime
from typing import Any

from bench.stack import moto_endpoint
from tests.support.roundtrips import count_items

HIDA = "212172"


def _records(n: int, seed: int = 7) -> Any:
    from furusato.domain.statistics import RegistrationFacts
    from furusato.statistics.rebuild import Records

    rng = random.Random(seed)
    records = Records(lgs=1)
    for i in range(n):
        sub = f"bench-{i:07d}"
        birth = f"{rng.randint(1940, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        pref = rng.randint(1, 47)
        records.profiles[sub] = (birth, f"{pref:02d}2010")
        roll = rng.random()
        status = "withdrawn" if roll < 0.05 else "lapsed" if roll < 0.10 else "active"
        plan = "premium" if rng.random() < 0.10 else "basic"
        own, long_stay = rng.random() < 0.02, plan == "premium" and rng.random() < 0.3
        records.registrations[sub].append(RegistrationFacts(HIDA, plan, status, own, long_stay))
    for _ in range(n // 2):
        records.participations[(HIDA, f"2026-{rng.randint(4, 12):02d}")] += 1
    return records


def _write_counters(counters: dict[tuple[str, str], dict[str, int]]) -> int:
    from furusato.store import statistics as store
    from furusato.store.dynamodb import main_client, main_table

    client = main_client()
    for (scope, sk), values in counters.items():
        item: dict[str, Any] = {
            "pk": {"S": store.counter_pk(scope, 0)},
            "sk": {"S": sk},
            "type": {"S": store.COUNTER_TYPE},
        }
        item.update({name: {"N": str(v)} for name, v in values.items() if v})
        client.put_item(TableName=main_table(), Item=item)
    return len(counters)


def measure(n: int) -> dict[str, Any]:
    endpoint = moto_endpoint()
    from furusato import clock
    from furusato.clock import JST
    from furusato.statistics.rebuild import expected
    from infra.local import aws
    from tests.support.lambda_api import call, operator_claims, staff_claims

    aws.reset_data(endpoint)
    clock.freeze(datetime(2026, 6, 15, 10, 0, tzinfo=JST))
    started = time.perf_counter()
    counters, _ = expected(_records(n), "2026-06")
    written = _write_counters(counters)
    setup_s = time.perf_counter() - started
    out: dict[str, Any] = {"registrations": n, "counter_items": written, "setup_s": round(setup_s, 2)}
    for label, path, claims in (
        ("government", f"/v1/admin/lgs/{HIDA}/stats", staff_claims("bench-viewer", HIDA, "viewer")),
        ("national", "/v1/operator/stats", operator_claims()),
    ):
        with count_items() as (calls, items):
            started = time.perf_counter()
            reply = call("GET", path, claims=claims)
            elapsed = time.perf_counter() - started
        assert reply.status == 200, reply
        body = reply.body
        out[label] = {
            "calls": dict(calls),
            "items_read": sum(items.values()),
            "ms": round(elapsed * 1000, 1),
            "response_bytes": len(json.dumps(body)),
            "population": body.get("relationship_population") or {"people": body.get("people")},
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    args = parser.parse_args(argv or [])
    results = [measure(int(size)) for size in args.sizes.split(",")]
    print("| | " + " | ".join(f"{r['registrations']:,} registrations" for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    rows = (
        ("counter items in the table", lambda r: f"{r['counter_items']}"),
        ("population counted", lambda r: f"{r['government']['population']['total']:,}"),
        ("**government `/stats`: DynamoDB calls**", lambda r: _calls(r["government"])),
        ("… items read", lambda r: f"{r['government']['items_read']}"),
        ("… handler time (moto, in-process)", lambda r: f"{r['government']['ms']} ms"),
        ("**national `/stats`: DynamoDB calls**", lambda r: _calls(r["national"])),
        ("… items read", lambda r: f"{r['national']['items_read']}"),
    )
    for label, cell in rows:
        print(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")


def _calls(part: dict[str, Any]) -> str:
    calls = part["calls"]
    return f"**{sum(calls.values())}** ({', '.join(f'{k} {v}' for k, v in sorted(calls.items()))})"


if __name__ == "__main__":
    main()
