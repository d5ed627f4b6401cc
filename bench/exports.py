"""Roster exports: the asynchronous job's writer against the synchronous workbook, two sizes.

    .venv/bin/python -m bench.exports [--sizes 1000,50000]

For each size, in a fresh interpreter (so that one measurement's peak memory does not carry into
the other's) against a keyed moto server in its own process (`bench/moto_keyed.py`, as DynamoDB
and S3 are remote): the roster is written with batch writes (participations and, for half of the
people, a profile with a name and a registration, which the roster reads per page), then either
- `job`: `capabilities.roster_exports.run` (pages of 500, names per page, `rosters.write_roster`
  streaming the workbook into a temporary file, upload to S3, progress after each page), or
- `inline`: what `GET …/participants?format=xlsx` does inside the request (the whole roster read,
  then `rosters.roster_workbook`, the same writer into memory).
- `writer`: the job's own work without DynamoDB: `rosters.write_roster` (the job's writer) over
  pages of 500 roster lines built by the roster's own builder (`views.participation.roster_line`,
  every person named and registered), then the upload to S3 (a moto server in its own process).
  The keyed moto serves a page of a 50,000-record index partition at the page's cost (plain moto
  sorts the whole partition for each page), so `job` runs at that size too; `writer` separates
  the function's own CPU and memory from moto's.
It reports wall and CPU seconds, DynamoDB/S3 calls, and the peak RSS above the interpreter's
RSS just before the export (`ru_maxrss`).

    .venv/bin/python -m bench.exports --sizes 1000,50000 --modes writer
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from bench.checkin import _wait_for


def _festival(activity_id: str, lg_code: str) -> Any:
    """The benchmark's activity: one day of a festival, with a static QR."""
    from datetime import datetime

    from furusato.domain.activity import Activity

    starts = "2026-05-10T10:00:00+09:00"
    return Activity(
        activity_id=activity_id,
        lg_code=lg_code,
        name="festival",
        starts_at=datetime.fromisoformat(starts),
        ends_at=datetime.fromisoformat("2026-05-10T18:00:00+09:00"),
        place="広場",
        conditions=None,
        capacity=None,
        organization_id=None,
        designated=True,
        checkin_mode="static_qr",
        status="scheduled",
        created_at=starts,
        updated_at=starts,
    )


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """The keyed moto server (a Query costs its partition, as in DynamoDB) in its own process."""
    from infra.local.aws import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.moto_keyed", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(port)
    return process, f"http://127.0.0.1:{port}"


def _populate(size: int) -> tuple[str, str]:
    from datetime import date

    from furusato.domain.checkin import ParticipationRecord
    from furusato.store import counters, participations
    from furusato.store.models import MainItem

    lg_code, activity_id = "212172", "act_0000000000000000000000bench"
    client = MainItem._get_connection().connection.client
    table = MainItem.Meta.table_name
    from furusato.store import activities

    starts = "2026-05-10T10:00:00+09:00"

    activity = _festival(activity_id, lg_code)
    activities.create_activity(activity, created_by="bench")
    shards: Counter[str] = Counter()
    batch: list[dict[str, Any]] = []

    def put(raw: dict[str, Any]) -> None:
        batch.append({"PutRequest": {"Item": raw}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: list(batch)})
            batch.clear()

    for n in range(size):
        sub = f"person-{n:06d}"
        record = ParticipationRecord(
            activity_id=activity_id,
            lg_code=lg_code,
            designated=True,
            day=date(2026, 5, 10),
            sub=sub,
            participation_id=f"par_{n:026d}",
            activity_name="festival",
            activity_starts_at=starts,
            activity_ends_at="2026-05-10T18:00:00+09:00",
            place="広場",
            checked_in_at=starts,
            recorded_at=starts,
        )
        put(participations._item(record).serialize())
        shards[counters.counter_pk(activity_id, counters.shard_of(sub))] += 1
        if n % 2 == 0:
            put(
                {
                    "pk": {"S": f"P#{sub}"},
                    "sk": {"S": "PROFILE"},
                    "type": {"S": "person"},
                    "name": {"S": "山田 花子"},
                    "created_at": {"S": starts},
                }
            )
    if batch:
        client.batch_write_item(RequestItems={table: batch})
    for pk, count in shards.items():
        client.put_item(
            TableName=table,
            Item={
                "pk": {"S": pk},
                "sk": {"S": "COUNT"},
                "type": {"S": "counter"},
                "count": {"N": str(count)},
            },
        )
    return lg_code, activity_id


def _writer_pages(size: int) -> Any:
    """Pages of roster lines as `roster_exports._pages` yields them, without reading DynamoDB."""
    from datetime import date

    from furusato.domain.checkin import ParticipationRecord
    from furusato.views.participation import roster_line

    starts = "2026-05-10T10:00:00+09:00"
    for first in range(0, size, 500):
        page = []
        for n in range(first, min(size, first + 500)):
            record = ParticipationRecord(
                activity_id="act_0000000000000000000000bench",
                lg_code="212172",
                designated=True,
                day=date(2026, 5, 10),
                sub=f"person-{n:06d}",
                participation_id=f"par_{n:026d}",
                activity_name="festival",
                activity_starts_at=starts,
                activity_ends_at="2026-05-10T18:00:00+09:00",
                place="広場",
                checked_in_at=starts,
                recorded_at=starts,
            )
            page.append(roster_line(record, name="山田 花子", registration_id=f"reg_{n:026d}"))
        yield page


def _write_only(size: int) -> int:
    """The job's writer and upload (`roster_exports.run` without its DynamoDB reads)."""
    import tempfile

    from furusato.capabilities.rosters import write_roster
    from furusato.store import exports

    activity = _festival("act_0000000000000000000000bench", "212172")
    with tempfile.TemporaryDirectory(prefix="export-") as tmp:
        path = os.path.join(tmp, "roster.xlsx")
        rows = write_roster(activity, _writer_pages(size), path)
        out_bytes = os.path.getsize(path)
        exports.upload(path, f"bench/{size}.xlsx")
    assert rows == size
    return out_bytes


def _side(mode: str, size: int) -> dict[str, Any]:
    from botocore.client import BaseClient

    from furusato.capabilities import roster_exports
    from furusato.domain.activity import Actor

    lg_code, activity_id = _populate(size) if mode != "writer" else ("212172", "")
    actor = Actor("bench-staff", lg_code, "admin")
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    wall = time.perf_counter()
    BaseClient._make_api_call = counting
    if mode == "writer":
        out_bytes = _write_only(size)
    elif mode == "job":
        view = roster_exports.start(actor, activity_id)
        from furusato.store import exports

        job = exports.get(lg_code, view["export_id"])
        assert job is not None
        roster_exports.run(job)
        done = exports.get(lg_code, view["export_id"])
        assert done is not None and done.status == "completed" and done.rows_written == size, done
        out_bytes = -1
    else:
        from furusato.capabilities import activities

        content, _ = activities.roster_xlsx(actor, activity_id)
        out_bytes = len(content)
    BaseClient._make_api_call = original
    return {
        "mode": mode,
        "rows": size,
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "calls": dict(calls),
        "bytes": out_bytes,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--modes", default="inline,job", help="of inline, job, writer")
    parser.add_argument("--side")
    args = parser.parse_args(argv)
    if args.side:
        mode, size = args.side.split(":")
        moto, endpoint = _start_moto()
        try:
            from infra.local import aws

            os.environ.update(aws.base_environment(endpoint))
            os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
            os.environ.update(aws.create_resources(endpoint))
            print(json.dumps(_side(mode, int(size))))
        finally:
            moto.terminate()
            moto.wait(timeout=10)
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for mode in args.modes.split(","):
            done = subprocess.run(
                [sys.executable, "-m", "bench.exports", "--side", f"{mode}:{size}"],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if not lines:
                raise SystemExit(done.stderr[-3000:])
            rows.append(json.loads(lines[-1]))
    print("| rows | export | wall s | CPU s | peak RSS MB (before) | workbook KB | calls |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for r in rows:
        calls = ", ".join(f"{k} {v}" for k, v in sorted(r["calls"].items()))
        memory = f"{r['peak_rss_mb']} ({r['rss_before_mb']})"
        size_kb = f"{r['bytes'] / 1024:,.0f}" if r["bytes"] >= 0 else "-"
        cells = [f"{r['rows']:,}", r["mode"], r["wall_s"], r["cpu_s"], memory, size_kb, calls]
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
