"""Per-request costs before and after, side by side in one run, at two sizes each.

    .venv/bin/python -m bench.scale [--before <commit>] [--sizes 10,50000] [--budget-s 60]

"Before" is the tree of a commit (default: the one this branch started from), extracted with
`git archive` into a temporary directory; "after" is this working tree. Each side runs in its
own interpreter (`python bench/scale.py --side <tree>`, the side's own package first on the
path) against its own moto server in that interpreter, made keyed by `bench/moto_keyed.py` (so
that a Query costs its partition, not the table: what DynamoDB does). The side's own code writes
the data (its participation item builder; after: its counter shards), then its real
`lambda_handler`s answer the requests, counted with a botocore hook as in `tests/support/roundtrips.py`:
calls, items read (Query `ScannedCount`, the items of a GetItem/BatchGetItem), bytes read (item
sizes as DynamoDB reckons them) and wall time. A request that has not answered after
`--budget-s` is reported as not finished, with the calls it made so far (the API's own timeout
is 15 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BEFORE = "b32b117"
HIDA = "212172"
PARTS = ("requests", "get", "patch", "patch_org")
# Size-dependent requests: (part's key, label).
SIZED = (
    ("get", "GET activity (staff)"),
    ("patch", "PATCH activity"),
    ("patch_org_staff", "PATCH an organization's activity (its staff)"),
    ("patch_org_undesignate", "PATCH an organization's activity (government undesignates)"),
)


# --- the side (runs inside the child interpreter) ---------------------------------------------


def _side(tree: Path, sizes: list[int], budget_s: float, part: str) -> dict[str, Any]:
    sys.path[:0] = [str(tree / "layers" / "core" / "python"), str(tree)]
    sys.path.append(str(ROOT))  # for bench.moto_keyed and tests.support.roundtrips (size rules) only
    import importlib.util

    spec = importlib.util.spec_from_file_location("scale_moto_keyed", ROOT / "bench" / "moto_keyed.py")
    assert spec and spec.loader
    keyed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(keyed)
    keyed.install()
    hooks_path = ROOT / "tests" / "support" / "roundtrips.py"
    spec = importlib.util.spec_from_file_location("scale_roundtrips", hooks_path)
    assert spec and spec.loader
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)

    from infra.local import aws

    stack = aws.start_moto()
    os.environ.update(aws.base_environment(stack.endpoint_url))
    os.environ.update(aws.create_resources(stack.endpoint_url))
    from infra.local.idp import LocalIdentityProvider

    os.environ.update(LocalIdentityProvider(issuer="http://127.0.0.1/local/idp").environment())

    from botocore.client import BaseClient

    from furusato import clock
    from furusato.clock import JST
    from tests.support.lambda_api import call
    from tests.support.world import admin, onboard, person, register, set_profile

    calls: Counter[str] = Counter()
    items: Counter[str] = Counter()
    read_bytes: Counter[str] = Counter()
    original = BaseClient._make_api_call
    lock = threading.Lock()

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation, params)
        with lock:
            calls[operation] += 1  # failed calls (a condition that did not hold) count too
        response = original(self, operation, params)
        with lock:
            items[operation] += hooks.items_read(operation, response)
            read_bytes[operation] += hooks.bytes_read(operation, response)
        return response

    BaseClient._make_api_call = counting

    def measured(action: Any) -> dict[str, Any]:
        calls.clear()
        items.clear()
        read_bytes.clear()
        done: list[Any] = []
        started = time.perf_counter()
        worker = threading.Thread(target=lambda: done.append(action()), daemon=True)
        worker.start()
        worker.join(budget_s)
        elapsed = time.perf_counter() - started
        with lock:
            return {
                "finished": bool(done),
                "seconds": round(elapsed, 3),
                "calls": sum(calls.values()),
                "by_operation": dict(calls),
                "items": sum(items.values()),
                "bytes": sum(read_bytes.values()),
                "status": getattr(done[0], "status", None) if done else None,
            }

    from datetime import date, datetime

    from furusato.domain.checkin import ParticipationRecord
    from furusato.store import participations
    from furusato.store.models import MainItem

    clock.freeze(datetime(2026, 5, 10, 9, 30, tzinfo=JST))
    onboard(HIDA, "210005")
    out: dict[str, Any] = {"activity": {}, "requests": {}}
    if part == "requests":
        out["requests"] = _requests(measured, call, admin, person, register, set_profile)
        return out
    table = MainItem.Meta.table_name
    client = MainItem._get_connection().connection.client
    # Claims made before measuring: a side whose `admin` writes a staff record writes it here.
    government, viewer = admin(HIDA), admin(HIDA, "viewer")
    organization: dict[str, Any] = {}
    if part == "patch_org":
        organization = call(
            "POST",
            f"/v1/admin/lgs/{HIDA}/organizations",
            {"name": "観光協会", "kind": "dmo", "designation": "per_activity"},
            claims=government,
        ).body
        org_staff = admin(HIDA, "org", organization["org_id"])
    for size in sizes:
        body: dict[str, Any] = {
            "name": "雪かき",
            "starts_at": "2026-05-10T10:00:00+09:00",
            "ends_at": "2026-05-10T12:00:00+09:00",
            "place": "公民館",
            "designated": part == "patch_org",
        }
        if organization:
            body["organization_id"] = organization["org_id"]
        created = call("POST", f"/v1/admin/lgs/{HIDA}/activities", body, claims=government)
        activity_id = created.body["activity_id"]
        started = time.perf_counter()
        per_shard: Counter[str] = Counter()
        batch: list[dict[str, Any]] = []
        for n in range(size):
            record = ParticipationRecord(
                activity_id=activity_id,
                lg_code=HIDA,
                designated=False,
                day=date(2026, 5, 10),
                sub=f"p{n:06d}",
                participation_id=f"par_{n:026d}",
                activity_name="雪かき",
                activity_starts_at=body["starts_at"],
                activity_ends_at=body["ends_at"],
                place="公民館",
                checked_in_at="2026-05-10T10:05:00+09:00",
                recorded_at="2026-05-10T10:05:00+09:00",
            )
            raw = participations._item(record).serialize()
            batch.append({"PutRequest": {"Item": raw}})
            if hasattr(participations, "counters"):
                from furusato.store import counters

                per_shard[counters.counter_pk(activity_id, counters.shard_of(record.sub))] += 1
            if len(batch) == 25:
                client.batch_write_item(RequestItems={table: batch})
                batch = []
        if batch:
            client.batch_write_item(RequestItems={table: batch})
        for pk, count in per_shard.items():  # what the records' transactions would have added
            client.put_item(
                TableName=table,
                Item={
                    "pk": {"S": pk},
                    "sk": {"S": "COUNT"},
                    "type": {"S": "counter"},
                    "count": {"N": str(count)},
                },
            )
        setup_s = round(time.perf_counter() - started, 1)
        path = f"/v1/admin/lgs/{HIDA}/activities/{activity_id}"
        results: dict[str, Any] = {}
        if part == "get":
            results["get"] = measured(lambda path=path: call("GET", path, claims=viewer))
        elif part == "patch":
            results["patch"] = measured(
                lambda path=path: call(
                    "PATCH", path, {"place": "体育館", "designated": True}, claims=government
                )
            )
        else:  # an organization's activity: its own staff edit it, then the government undesignates it
            results["patch_org_staff"] = measured(
                lambda path=path: call("PATCH", path, {"place": "体育館"}, claims=org_staff)
            )
            if results["patch_org_staff"]["finished"]:
                results["patch_org_undesignate"] = measured(
                    lambda path=path: call("PATCH", path, {"designated": False}, claims=government)
                )
        out["activity"][str(size)] = {"setup_s": setup_s, **results}
        if not all(r["finished"] for r in results.values()):
            break  # its thread still runs: later figures would share the server with it
    return out


def _requests(
    measured: Any, call: Any, admin: Any, person: Any, register: Any, set_profile: Any
) -> dict[str, Any]:
    """Requests whose cost does not depend on a size (measured first, on a quiet server)."""
    from datetime import datetime

    from furusato import clock
    from furusato.clock import JST

    out: dict[str, Any] = {"requests": {}}
    clock.freeze(datetime(2026, 5, 10, 10, 5, tzinfo=JST))
    created = call(
        "POST",
        f"/v1/admin/lgs/{HIDA}/activities",
        {
            "name": "祭り",
            "starts_at": "2026-05-10T10:00:00+09:00",
            "ends_at": "2026-05-10T12:00:00+09:00",
            "place": "広場",
        },
        claims=admin(HIDA),
    )
    token = call(
        "GET",
        f"/v1/admin/lgs/{HIDA}/activities/{created.body['activity_id']}/qr",
        query={"format": "json"},
        claims=admin(HIDA),
    ).body["token"]
    call("POST", "/v1/checkins", {"token": token, "nonce": "warm-0000000"}, claims=person("warm"))
    out["requests"]["checkin_with_key"] = measured(
        lambda: call(
            "POST",
            "/v1/checkins",
            {"token": token, "nonce": "nonce-0000001"},
            claims=person("c1"),
            headers={"Idempotency-Key": "k1"},
        )
    )
    set_profile("r1")
    out["requests"]["registration_with_key"] = measured(
        lambda: register("r1", HIDA, headers={"Idempotency-Key": "k1"})
    )
    out["requests"]["registration_replay"] = measured(
        lambda: register("r1", HIDA, headers={"Idempotency-Key": "k1"})
    )
    clock.freeze(datetime(2026, 5, 11, 10, 0, tzinfo=JST))
    out["requests"]["me_first_access_of_day"] = measured(lambda: call("GET", "/v1/me", claims=person("r1")))

    # The directory: 200 governments whose pages are 20 KB each.
    from furusato.domain.lg import LocalGovernment, Page
    from furusato.domain.lg_code import lg_check_digit
    from furusato.store import lgs

    for n in range(101, 301):
        code = f"13{n:03d}"
        code += lg_check_digit(code)
        lgs.onboard(
            LocalGovernment(
                lg_code=code,
                name=f"区{n}",
                kind="municipality",
                prefecture_code="13",
                onboarded_at=clock.iso(clock.now()),
            )
        )
        lgs.save_page(code, Page(title="紹介", body="あ" * 6_800, updated_at=clock.iso(clock.now())))
    out["requests"]["directory_page_of_200"] = measured(
        lambda: call("GET", "/v1/local-governments", query={"limit": "200", "prefecture_code": "13"})
    )
    return dict(out["requests"])


# --- the parent ---------------------------------------------------------------------------------


def _run_side(tree: Path, sizes: list[int], budget_s: float) -> dict[str, Any]:
    """The side's parts, each in its own interpreter and moto server."""
    merged: dict[str, Any] = {"activity": {}, "requests": {}}
    for part in PARTS:
        found = _run_part(tree, sizes, budget_s, part)
        merged["requests"].update(found["requests"])
        for size, measures in found["activity"].items():
            merged["activity"].setdefault(size, {}).update(measures)
    return merged


def _run_part(tree: Path, sizes: list[int], budget_s: float, part: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'layers' / 'core' / 'python'}:{tree}"}
    args = [sys.executable, str(ROOT / "bench" / "scale.py"), "--side", str(tree), "--part", part]
    args += ["--sizes", ",".join(map(str, sizes)), "--budget-s", str(budget_s)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=tree)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"side {tree} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _cell(m: dict[str, Any], what: str) -> str:
    if what == "calls":
        text = f"{m['calls']}"
    elif what == "items":
        text = f"{m['items']:,}"
    elif what == "bytes":
        text = f"{m['bytes'] / 1024:,.1f} KB"
    else:
        text = f"{m['seconds'] * 1000:,.0f} ms"
    return text if m["finished"] else f"not finished in {m['seconds']:.0f} s ({m['calls']:,} calls so far)"


def _ratio(before: dict[str, Any], after: dict[str, Any], what: str) -> str:
    key = {"calls": "calls", "items": "items", "bytes": "bytes", "time": "seconds"}[what]
    a, b = after[key], before[key]
    if not before["finished"]:
        return "≤ " + (f"{a / b:.4f}" if b else "-")
    return f"{a / b:.4f}" if b else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE)
    parser.add_argument("--sizes", default="10,50000")
    parser.add_argument("--budget-s", type=float, default=60.0)
    parser.add_argument("--side")
    parser.add_argument("--part", choices=PARTS, default="requests")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.side:
        print(json.dumps(_side(Path(args.side), sizes, args.budget_s, args.part)))
        return
    with tempfile.TemporaryDirectory(prefix="furusato-before-") as tmp:
        archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        before = _run_side(Path(tmp), sizes, args.budget_s)
    after = _run_side(ROOT, sizes, args.budget_s)
    print(f"before: {args.before}, after: the working tree; sizes {sizes}; budget {args.budget_s:.0f} s\n")
    print("| request | size | measure | before | after | after / before |")
    print("|---|---:|---|---:|---:|---:|")
    for size in map(str, sizes):
        for request, label in SIZED:
            b = before["activity"].get(size, {}).get(request)
            a = after["activity"].get(size, {}).get(request)
            if not (a and b):
                continue
            for what in ("calls", "items", "bytes", "time"):
                cells = f"{_cell(b, what)} | {_cell(a, what)} | {_ratio(b, a, what)}"
                print(f"| {label} | {int(size):,} | {what} | {cells} |")
    for name in after["requests"]:
        b, a = before["requests"][name], after["requests"][name]
        for what in ("calls", "bytes", "time"):
            print(f"| {name} | - | {what} | {_cell(b, what)} | {_cell(a, what)} | {_ratio(b, a, what)} |")
    print("\nby operation (before → after):")
    for size in map(str, sizes):
        for request, _ in SIZED:
            b = before["activity"].get(size, {}).get(request, {}).get("by_operation")
            a = after["activity"].get(size, {}).get(request, {}).get("by_operation")
            print(f"- {request} at {size}: {b} → {a}")
    for name in after["requests"]:
        was, now = before["requests"][name]["by_operation"], after["requests"][name]["by_operation"]
        print(f"- {name}: {was} → {now}")


if __name__ == "__main__":
    main()
