"""The copy of an activity's fields into its records after a PATCH, over a whole roster.

    .venv/bin/python -m bench.activity_copy [--records 50000] [--rate 400] [--slice-s 60]

One interpreter: a moto server made keyed by `bench/moto_keyed.py` (a roster page costs its page,
not the table), the activity created and PATCHed through the real handlers, `--records`
participation records written straight to the table with the activity's old place. Then the
copy runs as the streams function runs it (capabilities.activity_copies): the first step put as
the activity's change puts it, then each step's `run_step` (a paced slice, then the next step),
one after the other as their stream records would arrive (the stream's own delay between steps,
about a second in AWS, is not included). Reported: wall time, steps, records rewritten, the
DynamoDB calls, the rate reached, the wall time per write with 8 writers, and the writer threads'
own CPU per write (the function's share; the moto server's threads are apart). `--rate 0` runs
unpaced.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

HIDA = "212172"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=None, help="records a second (0: unpaced)")
    parser.add_argument("--slice-s", type=float, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.records, args.rate, args.slice_s), indent=2, ensure_ascii=False))


def run(records: int, rate: int | None, slice_s: float | None) -> dict[str, Any]:
    from bench import moto_keyed

    moto_keyed.install()
    from infra.local import aws

    stack = aws.start_moto()
    os.environ.update(aws.base_environment(stack.endpoint_url))
    os.environ.update(aws.create_resources(stack.endpoint_url))
    from infra.local.idp import LocalIdentityProvider

    os.environ.update(LocalIdentityProvider(issuer="http://127.0.0.1/local/idp").environment())

    from botocore.client import BaseClient

    from bench.scale import participation_items
    from furusato import clock
    from furusato.capabilities import activity_copies
    from furusato.clock import JST
    from furusato.store import activities as activity_store
    from furusato.store import participations
    from furusato.store.models import ActivityCopyStepItem, MainItem
    from tests.support.lambda_api import call
    from tests.support.world import admin, onboard

    if rate is not None:
        activity_copies.COPY_RATE_PER_S = int(rate) or 10**12
    if slice_s is not None:
        activity_copies.SLICE_S = slice_s
    clock.freeze(datetime(2026, 5, 10, 9, 30, tzinfo=JST))
    onboard(HIDA)
    body: dict[str, Any] = {
        "name": "雪かき",
        "starts_at": "2026-05-10T10:00:00+09:00",
        "ends_at": "2026-05-10T12:00:00+09:00",
        "place": "公民館",
        "designated": False,
    }
    activity_id = call("POST", f"/v1/admin/lgs/{HIDA}/activities", body, claims=admin(HIDA)).body[
        "activity_id"
    ]
    table = MainItem.Meta.table_name
    client = MainItem._get_connection().connection.client
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for item in participation_items(activity_id, records, body):  # the records and their counter shards
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})
    setup_s = time.perf_counter() - started
    path = f"/v1/admin/lgs/{HIDA}/activities/{activity_id}"
    assert call("PATCH", path, {"place": "体育館", "designated": True}, claims=admin(HIDA)).status == 200

    calls: Counter[str] = Counter()
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            with lock:
                calls[operation] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counting
    # The function's own CPU per write (pynamodb and botocore in the writer threads), apart from
    # the moto server's threads in this interpreter: what a write costs the streams function.
    writer_cpu: list[float] = []
    refresh = participations.refresh_snapshot

    def timed_refresh(sub: str, activity: Any) -> bool:
        cpu = time.thread_time()
        written = refresh(sub, activity)
        writer_cpu.append(time.thread_time() - cpu)
        return written

    participations.refresh_snapshot = timed_refresh
    activity = activity_store.get_activity(HIDA, activity_id, consistent=True)
    assert activity is not None
    # What the activity's MODIFY does in the consumer, then each step as its record arrives.
    participations.put_copy_step(HIDA, activity_id, "bench", 0, activity_copies.copy_of(activity), None)
    steps: list[dict[str, Any]] = []
    started, cpu = time.perf_counter(), time.process_time()
    for step in range(10_000):
        item = ActivityCopyStepItem.get(f"COPY#{activity_id}", f"bench#{step:05d}", consistent_read=True)
        image = {
            k: item.attribute_values.get(k) for k in ("lg_code", "activity_id", "run", "copy_of", "cursor")
        }
        step_started = time.perf_counter()
        written = activity_copies.run_step({**image, "step": step})
        steps.append({"written": written, "seconds": round(time.perf_counter() - step_started, 1)})
        if not ActivityCopyStepItem.count(
            f"COPY#{activity_id}", ActivityCopyStepItem.sk == f"bench#{step + 1:05d}", consistent_read=True
        ):
            break
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    BaseClient._make_api_call = original
    rewritten = sum(s["written"] for s in steps)
    left = sum(
        1 for r in participations.whole_roster(activity_id) if participations.copy_differs(r, activity)
    )
    stack.stop()
    return {
        "records": records,
        "rate_setting": activity_copies.COPY_RATE_PER_S,
        "slice_s": activity_copies.SLICE_S,
        "writers": activity_copies.WRITERS,
        "setup_s": round(setup_s, 1),
        "copy_wall_s": round(wall, 1),
        "copy_cpu_s": round(cpu, 1),
        "rewritten": rewritten,
        "left_differing": left,
        "records_per_s": round(rewritten / wall, 1),
        "wall_ms_per_write": round(wall / max(rewritten, 1) * 1000, 2),
        "writer_cpu_ms_per_write": round(sum(writer_cpu) / max(len(writer_cpu), 1) * 1000, 2),
        "steps": steps,
        "calls": dict(calls),
    }


if __name__ == "__main__":
    main()
