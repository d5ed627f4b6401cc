"""Both sweeps read the due items only, and their work grows with them, not with the table.

    python -m bench sweeps [--sizes 10000:100,100000:1000,100000:100]

Each configuration `registrations:due` runs in a fresh interpreter against its own moto server
(in its own process, as DynamoDB is remote). The table is written directly with batch writes of
the items the application writes (a person's profile with its IDLE key, the registrations built
by `store.people`'s own item builder with their DUE keys, participations). Each person holds a
premium registration and a basic one. Premium: the `due` ones fall due on the sweep's day D,
half at their 30-day notice and half at their expiry (with three designated activities:
renewed); the others over the following 365 days. Basic (rule 6, 24 months): another `due`
people fall due on D, half at their warning and half (warned) at their lapse; the others over
the following 365 days. Then the sweeps function's real `lambda_handler` runs the renewal sweep
and the inactivity sweep of D once each, with a botocore hook counting calls, the items each
call read (Query/Scan: ScannedCount; GetItem; BatchGetItem) and the time spent inside the calls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = "10000:100,100000:1000,100000:100"
DAY = date(2027, 6, 1)
# None of them the registrants' residence (新宿区), where premium is refused.
GOVERNMENTS = (("212172", "飛騨市"), ("212032", "高山市"), ("322016", "松江市"), ("011002", "札幌市"))
TARGET = 1.1


@contextmanager
def time_in_calls() -> Iterator[list[float]]:
    """Seconds spent inside botocore calls, in a one-element list."""
    from botocore.client import BaseClient

    spent = [0.0]
    original = BaseClient._make_api_call

    def timed(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return original(self, operation_name, api_params)
        finally:
            spent[0] += time.perf_counter() - started

    BaseClient._make_api_call = timed
    try:
        yield spent
    finally:
        BaseClient._make_api_call = original


def _seed(registrations: int, due: int) -> dict[str, int]:
    """Write the table: returns item counts by kind."""
    from furusato.domain.lg import LocalGovernment
    from furusato.domain.registration import Registration
    from furusato.domain.sweeps import add_months, inactivity_due
    from furusato.store import lgs, people
    from furusato.store.models import MainItem, ParticipationItem, PersonItem

    for code, name in GOVERNMENTS:
        lgs.onboard(
            LocalGovernment(code, name, "municipality", code[:2], onboarded_at="2026-04-01T00:00:00+09:00")
        )
    counts: Counter[str] = Counter()
    activity_days = [DAY - timedelta(days=d) for d in (30, 90, 200)]
    with MainItem.batch_write() as batch:
        for i in range(registrations):
            sub = f"bench-{i:07d}"
            lg_code = GOVERNMENTS[i % len(GOVERNMENTS)][0]
            if i < due // 2:  # the notice, 30 days before expiry
                until, notice = DAY + timedelta(days=30), None
            elif i < due:  # the expiry itself: a judgement
                until, notice = DAY, DAY.isoformat()
            else:  # due on one of the next 365 days
                until = DAY + timedelta(days=31 + (i % 365))
                notice = None
            # Rule 6 (24 months): warned on add_months(last_seen, 23), lapsed on (.., 24).
            lapse_notice = None
            if due <= i < due + due // 2:  # the warning, on D
                last_seen = add_months(DAY, -23)
            elif due + due // 2 <= i < 2 * due:  # the lapse, on D, after the warning
                last_seen = add_months(DAY, -24)
                lapse_notice = DAY.isoformat()
            else:  # the warning on one of the next 365 days (or within the last year's accesses)
                last_seen = add_months(DAY, -23) + timedelta(days=1 + i % 365)
            basic = Registration(
                registration_id=f"reg-b-{i:07d}",
                lg_code=GOVERNMENTS[(i + 1) % len(GOVERNMENTS)][0],
                plan="basic",
                status="active",
                own_residence=False,
                auto_created=False,
                registered_at="2025-04-01T10:00:00+09:00",
                survey_answers={"relationship": ["観光・訪問"]},
                notice_sent_for=lapse_notice,
                inactivity_months=24,
            )
            idle_due = inactivity_due([basic], last_seen)
            assert idle_due is not None
            batch.save(
                PersonItem(
                    people.person_pk(sub),
                    people.PROFILE_SK,
                    name="ベンチ 太郎",
                    birth_date="1980-01-01",
                    gender="male",
                    postal_code="1600022",
                    address="新宿1-1-1",
                    residence_lg_code="131041",
                    created_at="2026-04-01T10:00:00+09:00",
                    last_seen=last_seen.isoformat(),
                    gsi2pk=people.idle_key(people.idle_shard(sub)),
                    gsi2sk=people.idle_sort_key(idle_due, sub),
                    identity_verified_at="2026-04-01T10:00:00+09:00",
                    identity_key=f"idkey-{sub}",
                    identity_minor=False,
                    premium_lg_codes=[lg_code],
                    premium_version=1,
                )
            )
            counts["person"] += 1
            reg = Registration(
                registration_id=f"reg-{i:07d}",
                lg_code=lg_code,
                plan="premium",
                status="active",
                own_residence=False,
                auto_created=False,
                registered_at="2026-04-01T10:00:00+09:00",
                survey_answers={"relationship": ["観光・訪問"]},
                premium_valid_until=until.isoformat(),
                notice_sent_for=notice,
            )
            batch.save(people._registration_item(sub, reg, 1))
            batch.save(people._registration_item(sub, basic, 1))
            counts["registration"] += 2
            if due // 2 <= i < due:
                for n, day in enumerate(activity_days):
                    instant = f"{day.isoformat()}T10:00:00+09:00"
                    batch.save(
                        ParticipationItem(
                            people.person_pk(sub),
                            f"PART#act-{lg_code}-{n}",
                            gsi1pk=f"ACT#act-{lg_code}-{n}",
                            gsi1sk=f"{instant}#part-{i}-{n}",
                            participation_id=f"part-{i}-{n}",
                            sub=sub,
                            activity_id=f"act-{lg_code}-{n}",
                            lg_code=lg_code,
                            activity_name="雪かき",
                            activity_starts_at=instant,
                            activity_ends_at=instant,
                            place="公民館",
                            designated=True,
                            day=day.isoformat(),
                            source="qr",
                            checkin_mode="static_qr",
                            checked_in_at=instant,
                            recorded_at=instant,
                        )
                    )
                    counts["participation"] += 1
    return dict(counts)


def _run(registrations: int, due: int) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    from furusato import clock
    from furusato.store import people
    from furusato.store import sweeps as sweep_store
    from infra.local.context import LambdaContext
    from tests.support.lambda_api import handler_module
    from tests.support.roundtrips import count_items

    handler = handler_module("sweeps").lambda_handler
    clock.freeze(datetime(2026, 4, 1, 10, 0, tzinfo=clock.JST))
    started = time.perf_counter()
    seeded = _seed(registrations, due)
    setup_s = time.perf_counter() - started

    # One empty gsi2 partition and one person partition: what a single call costs at this size.
    sweep_store.due_page(0, DAY - timedelta(days=400), None, 100)
    probe = time.perf_counter()
    for _ in range(5):
        sweep_store.due_page(0, DAY - timedelta(days=400), None, 100)
    empty_query_ms = (time.perf_counter() - probe) / 5 * 1000
    probe = time.perf_counter()
    for i in range(5):
        people.load(f"bench-{registrations - 1 - i:07d}")
    person_query_ms = (time.perf_counter() - probe) / 5 * 1000

    runs: dict[str, Any] = {}
    for name, hour in (("renewal", 3), ("inactivity", 4)):
        scheduled = datetime(DAY.year, DAY.month, DAY.day, hour, 0, tzinfo=clock.JST)
        clock.freeze(scheduled)
        with count_items() as (calls, items), time_in_calls() as in_calls:
            started = time.perf_counter()
            result = handler(
                {"sweep": name, "scheduled_time": scheduled.isoformat()},
                LambdaContext("furusato-bench-sweeps"),
            )
            sweep_s = time.perf_counter() - started
        runs[name] = {
            "sweep_s": sweep_s,
            "in_calls_s": in_calls[0],
            "calls": dict(sorted(calls.items())),
            "items": dict(sorted(items.items())),
            "counts": result["counts"],
            "status": result["status"],
        }
    return {
        "registrations": registrations,
        "due": due,
        "table_items": sum(seeded.values()) + len(GOVERNMENTS),
        "seeded": seeded,
        "setup_s": setup_s,
        "empty_query_ms": empty_query_ms,
        "person_query_ms": person_query_ms,
        "runs": runs,
    }


def _start_moto(plain: bool) -> tuple[subprocess.Popen[bytes], str]:
    from bench.checkin import _wait_for
    from infra.local.aws import free_port

    port = free_port()
    server = "moto.server" if plain else "bench.moto_keyed"
    process = subprocess.Popen(
        [sys.executable, "-m", server, "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(port)
    return process, f"http://127.0.0.1:{port}"


def _measure(registrations: int, due: int, plain: bool) -> dict[str, Any]:
    moto, endpoint = _start_moto(plain)
    try:
        from infra.local import aws

        os.environ.update(aws.base_environment(endpoint))
        os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        os.environ.update(aws.create_resources(endpoint))
        result = _run(registrations, due)
        result["moto"] = "plain" if plain else "keyed"
        return result
    finally:
        moto.terminate()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:
            moto.kill()
            moto.wait(timeout=10)


def _gsi2(run: dict[str, Any]) -> int:
    return int(run["items"].get("Query gsi2", 0))


def _own(run: dict[str, Any]) -> float:
    return float(run["sweep_s"] - run["in_calls_s"])


def report(results: list[dict[str, Any]]) -> str:
    head = (
        "| | "
        + " | ".join(f"{r['registrations']:,} people, {r['due']:,} due per sweep" for r in results)
        + " |"
    )
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, values: list[str]) -> None:
        rows.append((label, values))

    row("DynamoDB stand-in", [f"moto ({r['moto']})" for r in results])
    row("items in the table", [f"{r['table_items']:,}" for r in results])
    row("setup: batch writes (not part of the sweeps)", [f"{r['setup_s']:.1f} s" for r in results])
    for name in ("renewal", "inactivity"):
        runs = [r["runs"][name] for r in results]
        due = [r["due"] for r in results]
        row(
            f"**{name}**: outcome",
            [", ".join(f"{k} {v}" for k, v in x["counts"].items() if k != "read") for x in runs],
        )
        row(
            f"{name}: **due items read through gsi2** (target ≤ 1.1 × due)",
            [
                f"**{_gsi2(x):,}** = {_gsi2(x) / d:.2f} × due ({x['calls'].get('Query gsi2', 0)} Query)"
                for x, d in zip(runs, due, strict=True)
            ],
        )
        row(
            f"{name}: person partitions read",
            [f"{x['calls'].get('Query', 0):,} Query, {x['items'].get('Query', 0):,} items" for x in runs],
        )
        row(
            f"{name}: all items read / due",
            [
                f"{sum(x['items'].values()):,} = {sum(x['items'].values()) / d:.2f} × due"
                for x, d in zip(runs, due, strict=True)
            ],
        )
        row(f"{name}: Scan calls", [str(x["calls"].get("Scan", 0)) for x in runs])
        row(
            f"{name}: all DynamoDB calls",
            [
                f"{sum(x['calls'].values()):,} ({', '.join(f'{k} {v}' for k, v in x['calls'].items())})"
                for x in runs
            ],
        )
        row(
            f"{name}: wall time (inside moto calls / own work per due item)",
            [
                f"{x['sweep_s']:.2f} s ({x['in_calls_s']:.2f} s / {_own(x) / d * 1000:.1f} ms)"
                for x, d in zip(runs, due, strict=True)
            ],
        )
    row("moto: one empty gsi2 Query", [f"{r['empty_query_ms']:.0f} ms" for r in results])
    row("moto: one person-partition Query", [f"{r['person_query_ms']:.0f} ms" for r in results])
    lines = [head, "|---|" + "---:|" * len(results)]
    lines += [f"| {label} | " + " | ".join(values) + " |" for label, values in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench sweeps")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="registrations:due,... (default %(default)s)")
    parser.add_argument(
        "--plain-moto", action="store_true", help="moto as it is (whole-table Query and transactions)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    sizes = [tuple(int(x) for x in size.split(":")) for size in args.sizes.split(",")]
    if args.child:
        registrations, due = sizes[0]
        print(json.dumps(_measure(registrations, due, args.plain_moto)))
        return
    results = []
    for registrations, due in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "bench.sweeps", "--child", "--sizes", f"{registrations}:{due}"]
            + (["--plain-moto"] if args.plain_moto else []),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(out.stdout + out.stderr, file=sys.stderr)
            raise SystemExit(out.returncode)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        for name, run in result["runs"].items():
            if _gsi2(run) > TARGET * due:
                print(f"warning: {name} read {_gsi2(run)} due items for {due} due", file=sys.stderr)
        results.append(result)
    print(report(results))


if __name__ == "__main__":
    main()
