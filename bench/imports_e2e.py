"""Backfill import end to end against moto: a generated file, put into the imports bucket, its
ObjectCreated event through the imports function's `lambda_handler`, until the job completes.

    python -m bench.imports_e2e [--rows 100000] [--matched 0.1] [--budget-s 900]

The file is bench/imports_parse.py's generator (the official layout; activities of 5-40 people;
half Excel date cells, half text dates; every row a different person, the worst case for
matching). A fraction of its people (`--matched`) are registrants: their match keys are claimed
beforehand, as a profile write would, so both paths are measured: participations written into
people's partitions (conditional PutItems) and pending participants (BatchWriteItem).

The handler runs with a Lambda-like time budget (`--budget-s`, the function's 900 s): when a run
hands the rest on (its `.run` marker), the marker's event is delivered at once, as S3 would, and
the time is summed. Reported: total time, rows/s, and the split between safety + parse +
validate, activities, people (matching and writes) and the report, plus DynamoDB calls by kind.
moto runs in this process (bench/stack.py), so its own CPU time is part of the figures.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

LG_CODE = "212172"
NOW = "2027-04-01T10:00:00+09:00"


class Split:
    """Wall time spent inside some functions (wrapped for the run), summed over calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, label: str) -> Callable[[], None]:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)
        return lambda: setattr(owner, name, original)


def measure(rows: int, matched: float, budget_s: float, seed: int = 7) -> dict[str, Any]:
    from bench.stack import moto_endpoint

    endpoint = moto_endpoint()
    import os

    from bench.imports_parse import generate
    from furusato import clock, topology
    from furusato.capabilities import backfill
    from furusato.capabilities.imports import jobs, run
    from furusato.imports import analyse
    from furusato.store import matching
    from infra.local.aws import client
    from infra.local.context import LambdaContext
    from tests.integration.import_helpers import event_for
    from tests.support.lambda_api import handler_module
    from tests.support.roundtrips import count_calls
    from tests.support.world import onboard

    clock.freeze(datetime.fromisoformat(NOW))
    onboard(LG_CODE)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "backfill.xlsx"
        started = time.perf_counter()
        shape = generate(path, rows)
        generate_s = time.perf_counter() - started
        data = path.read_bytes()

    # Registrants among the file's people: claim their match keys as a profile write does.
    result = analyse(data, lg_code=LG_CODE, now=clock.now())
    people = sorted({p.match_key for p in result.participations})
    rng = random.Random(seed)
    chosen = rng.sample(people, int(len(people) * matched))
    for n, key in enumerate(chosen):
        matching.claim(key, f"bench-person-{n}", verified=False)
    summary = result.summary()
    del result

    s3 = client("s3", endpoint)
    bucket = os.environ[topology.IMPORTS_BUCKET.env_var]
    key = f"imports/{LG_CODE}/bench-{rows}.xlsx"
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    event = event_for(endpoint, key)
    import_id = jobs.direct_import_id(bucket, key, event["Records"][0]["s3"]["object"]["versionId"])
    marker = jobs.run_marker_key(LG_CODE, import_id)

    split = Split()
    restore = [
        split.wrap(
            __import__("furusato.imports", fromlist=["analyse"]), "analyse", "safety + parse + validate"
        ),
        split.wrap(jobs, "ensure_activities", "activities"),
        split.wrap(backfill, "write_people", "people: match + write"),
        split.wrap(run._Run, "_report", "report (build + put)"),
    ]
    handler = handler_module("imports").lambda_handler
    from furusato import topology

    memory_mb = topology.function("imports").memory_mb  # what the deployed function is given
    invocations: list[str] = []
    started = time.perf_counter()
    try:
        with count_calls() as calls:
            outcome = handler(
                event, LambdaContext("furusato-bench-imports", memory_mb=memory_mb, timeout_s=budget_s)
            )["outcomes"][0]
            invocations.append(outcome)
            while outcome == "handed_off":
                outcome = handler(
                    event_for(endpoint, marker),
                    LambdaContext("furusato-bench-imports", memory_mb=memory_mb, timeout_s=budget_s),
                )["outcomes"][0]
                invocations.append(outcome)
    finally:
        for undo in restore:
            undo()
    total_s = time.perf_counter() - started
    from furusato.store import imports as store

    job = store.get_job(LG_CODE, import_id)
    assert job is not None and job.status == "completed", (outcome, job)
    return {
        "rows": rows,
        "shape": shape,
        "summary": summary,
        "registrants": len(chosen),
        "generate_s": generate_s,
        "total_s": total_s,
        "rows_per_s": rows / total_s,
        "split": dict(split.seconds),
        "invocations": invocations,
        "calls": dict(calls),
        "job": {
            "rows_imported": job.rows_imported,
            "rows_rejected": job.rows_rejected,
            "participants_matched": job.participants_matched,
            "participants_pending": job.participants_pending,
        },
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def render(result: dict[str, Any]) -> str:
    total = result["total_s"]
    lines = [
        f"rows: {result['rows']:,} ({result['shape']['activities']:,} activities, "
        f"{result['shape']['file_mb']:.1f} MB xlsx); people: {result['summary']['people']:,}, "
        f"registrants among them: {result['registrants']:,}",
        f"job: {result['job']}",
        f"invocations: {len(result['invocations'])} ({', '.join(result['invocations'])})",
        "",
        "| part | seconds | share |",
        "|---|---:|---:|",
    ]
    for label, seconds in result["split"].items():
        lines.append(f"| {label} | {seconds:,.1f} | {seconds / total:.0%} |")
    other = total - sum(result["split"].values())
    lines.append(f"| other (job reads and writes, S3 read) | {other:,.1f} | {other / total:.0%} |")
    lines.append(f"| **total** | **{total:,.1f}** | |")
    lines += [
        "",
        f"rate: {result['rows_per_s']:,.0f} rows/s end to end; peak RSS {result['peak_rss_mb']:,.0f} MB "
        "(moto included)",
        "DynamoDB calls: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result["calls"].items())),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.imports_e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--matched", type=float, default=0.1, help="share of the file's people who are registrants"
    )
    parser.add_argument("--budget-s", type=float, default=900.0, help="time budget of one invocation")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    print(render(measure(args.rows, args.matched, args.budget_s)))


if __name__ == "__main__":
    main()
