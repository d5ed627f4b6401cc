"""Per-request costs before and after, side by side in one run, at two sizes each.

    .venv/bin/python -m bench.scale [--before <commit>] [--sizes 10,50000]
        [--registrations 1000,100000] [--governments 200,1800] [--budget-s 60] [--jobs 1]
        [--parts registrations,directory,get,patch,patch_org,roster_checkin]

"Before" is the tree of a commit (default: the one this work started from), extracted with
`git archive` into a temporary directory; "after" is this working tree. Each side runs in its
own interpreters, one per part (`python bench/scale.py --side <tree> --part <part>`, the side's
own package first on the path), each against its own moto server in that interpreter, made
keyed by `bench/moto_keyed.py` (so that a Query costs its partition, not the table: what
DynamoDB does). The side's own code makes the data: its participation and registration item
builders (after: and its counter shards), put as moto's server puts each item of a
BatchWriteItem, in that process and without stream records; governments through its own store.
Then its real `lambda_handler`s answer the requests, counted with a botocore hook as in
`tests/support/roundtrips.py`: calls, keys asked (GetItem and BatchGetItem keys, the items a
Query evaluated), items found, bytes read (item sizes as DynamoDB reckons them), read capacity
units (computed from those sizes: 4 KB per unit, half for an eventually consistent read) and wall
time. A request that has not answered after `--budget-s` is reported as not finished, with the
calls it made so far (the API's own timeout is 15 s). Staff claims (and their staff records) are
made before measuring. The two sides run at the same time, `--jobs` parts each, in the order of
`--parts` (the slowest setup first): on a shared machine, times are indicative only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BEFORE = "b32b117"
HIDA = "212172"
# Each part runs in its own interpreter and moto server; the kind of size it takes.
PARTS = {
    "get": "participants",
    "patch": "participants",
    "patch_org": "participants",
    "roster_checkin": "participants",
    "registrations": "registrations",
    "directory": "governments",
}
# Size-dependent requests: (request's key, label), in the table's order.
SIZED = (
    ("get", "GET activity (staff)"),
    ("roster", "roster, first page (staff GET, JSON)"),
    ("checkin_cold_copy", "check-in, first into this activity in the container (reads the activity)"),
    ("checkin_steady", "check-in, steady (a registrant; the container holds the activity)"),
    ("checkin_newcomer", "check-in, a newcomer's first scan (holds nothing yet)"),
    (
        "checkin_newcomer_cold",
        "check-in, a newcomer's first scan, also the container's first into the activity",
    ),
    ("patch", "PATCH activity"),
    ("patch_org_staff", "PATCH an organization's activity (its staff)"),
    ("patch_org_undesignate", "PATCH an organization's activity (government undesignates)"),
    ("registration_put", "registration PUT with `Idempotency-Key`"),
    ("registration_replay", "the same registration PUT again (replay)"),
    ("me_first_of_day", "`GET /v1/me`, first of the day"),
    ("me_later_in_day", "`GET /v1/me`, later in the day"),
    ("directory", "directory page of 200 (one prefecture; pages of ~20 KB)"),
)
# The requests each part measures.
REQUESTS = {
    "get": ("get",),
    "patch": ("patch",),
    "patch_org": ("patch_org_staff", "patch_org_undesignate"),
    "roster_checkin": (
        "checkin_cold_copy",
        "checkin_steady",
        "checkin_newcomer",
        "checkin_newcomer_cold",
        "roster",
    ),
    "registrations": ("registration_put", "registration_replay", "me_first_of_day", "me_later_in_day"),
    "directory": ("directory",),
}
KEY_HEADER = "Idempotency-Key"


# --- reads: keys asked and read capacity --------------------------------------------------------


def _units(size: int, consistent: bool) -> float:
    """Read capacity of one item (or a Query's summed items): 4 KB per unit, at least one; half
    for an eventually consistent read."""
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def read_cost(hooks: Any, operation: str, params: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """Keys asked and read capacity units of one call, from its request and the sizes of the
    items it returned (`estimated`: a Query evaluated items it did not return, a filter or
    Select=COUNT, whose sizes are unknown here: its units are a lower bound)."""
    keys, units, estimated = 0, 0.0, False
    if operation == "GetItem":
        keys = 1
        units = _units(hooks.item_size(response.get("Item") or {}), bool(params.get("ConsistentRead")))
    elif operation == "BatchGetItem":
        for table, request in (params.get("RequestItems") or {}).items():
            found = {
                json.dumps({k: item.get(k) for k in request["Keys"][0]}, sort_keys=True): hooks.item_size(
                    item
                )
                for item in (response.get("Responses") or {}).get(table, [])
            }
            consistent = bool(request.get("ConsistentRead"))
            for key in request["Keys"]:
                keys += 1
                units += _units(found.get(json.dumps(key, sort_keys=True), 0), consistent)
    elif operation in ("Query", "Scan"):
        returned = response.get("Items") or []
        keys = int(response.get("ScannedCount", len(returned)))
        size = sum(hooks.item_size(item) for item in returned)
        units = _units(size, bool(params.get("ConsistentRead")))
        estimated = keys > len(returned)
    return {"keys": keys, "rcu": units, "estimated": estimated}


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
    from tests.support import world
    from tests.support.lambda_api import call

    calls: Counter[str] = Counter()
    reads: Counter[str] = Counter()
    estimated: list[bool] = []
    original = BaseClient._make_api_call
    lock = threading.Lock()

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name != "dynamodb":
            return original(self, operation, params)
        with lock:
            calls[operation] += 1  # failed calls (a condition that did not hold) count too
        response = original(self, operation, params)
        cost = read_cost(hooks, operation, params, response)
        with lock:
            reads["items"] += hooks.items_read(operation, response)
            reads["bytes"] += hooks.bytes_read(operation, response)
            reads["keys"] += cost["keys"]
            reads["rcu_x2"] += int(cost["rcu"] * 2)
            if cost["estimated"]:
                estimated.append(True)
        return response

    BaseClient._make_api_call = counting

    def measured(action: Callable[[], Any]) -> dict[str, Any]:
        with lock:
            calls.clear()
            reads.clear()
            estimated.clear()
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
                "items": reads["items"],
                "keys": reads["keys"],
                "rcu": reads["rcu_x2"] / 2,
                "rcu_lower_bound": bool(estimated),
                "bytes": reads["bytes"],
                "status": getattr(done[0], "status", None) if done else None,
            }

    from datetime import datetime

    from furusato.store.models import MainItem

    clock.freeze(datetime(2026, 5, 10, 9, 30, tzinfo=JST))
    world.onboard(HIDA, "210005")
    table = MainItem.Meta.table_name

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]

    def batch_write(items: Any) -> None:
        """Put the items as moto's server does for each item of a BatchWriteItem, in this
        process: the data of the large sizes without the HTTP round trip per 25 items, and
        without stream records (no consumer runs here; they would only hold memory)."""
        stored = backend.get_table(table)
        shard, stored.stream_shard = stored.stream_shard, None
        try:
            for raw in items:
                backend.put_item(table, raw)
        finally:
            stored.stream_shard = shard

    ctx = SimpleNamespace(measured=measured, call=call, world=world, batch_write=batch_write)
    sized: dict[str, dict[str, Any]] = {}
    setup: dict[str, float] = {}
    steps = {
        "registrations": _registrations,
        "directory": _directory,
    }
    step = steps.get(part, _activity)
    for size in sizes:
        started = time.perf_counter()
        results = step(ctx, part, size, started=started, setup=setup)
        for request, measure in results.items():
            sized.setdefault(request, {})[str(size)] = measure
        if not all(r["finished"] for r in results.values()):
            break  # its thread still runs: later figures would share the server with it
    return {"sized": sized, "setup_s": setup}


def participation_items(activity_id: str, size: int, body: dict[str, Any]) -> Any:
    """The side's own stored participations (and, after, the counter shards their transactions
    would have kept), ready for batch writes."""
    from datetime import date

    from furusato.domain.checkin import ParticipationRecord
    from furusato.store import participations

    per_shard: Counter[str] = Counter()
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
        yield participations._item(record).serialize()
        if hasattr(participations, "counters"):
            from furusato.store import counters

            per_shard[counters.counter_pk(activity_id, counters.shard_of(record.sub))] += 1
    for pk, count in per_shard.items():
        yield {"pk": {"S": pk}, "sk": {"S": "COUNT"}, "type": {"S": "counter"}, "count": {"N": str(count)}}


def _activity(ctx: Any, part: str, size: int, *, started: float, setup: dict[str, float]) -> dict[str, Any]:
    """An activity of `size` participants, then the part's requests on it."""
    from datetime import datetime

    from furusato import clock
    from furusato.clock import JST

    call, world, measured = ctx.call, ctx.world, ctx.measured
    clock.freeze(datetime(2026, 5, 10, 9, 30, tzinfo=JST))
    government, viewer = world.admin(HIDA), world.admin(HIDA, "viewer")
    body: dict[str, Any] = {
        "name": "雪かき",
        "starts_at": "2026-05-10T10:00:00+09:00",
        "ends_at": "2026-05-10T12:00:00+09:00",
        "place": "公民館",
        "designated": part == "patch_org",
    }
    if part == "patch_org":
        organization = call(
            "POST",
            f"/v1/admin/lgs/{HIDA}/organizations",
            {"name": f"観光協会{size}", "kind": "dmo", "designation": "per_activity"},
            claims=government,
        ).body
        body["organization_id"] = organization["org_id"]
        org_staff = world.admin(HIDA, "org", organization["org_id"])
    created = call("POST", f"/v1/admin/lgs/{HIDA}/activities", body, claims=government)
    activity_id = created.body["activity_id"]
    ctx.batch_write(participation_items(activity_id, size, body))
    path = f"/v1/admin/lgs/{HIDA}/activities/{activity_id}"
    results: dict[str, Any] = {}
    if part == "roster_checkin":
        token = call("GET", f"{path}/qr", query={"format": "json"}, claims=government).body["token"]
        for sub in (f"a{size}", f"b{size}"):  # registrants: a profile and a registration here
            world.set_profile(sub)
            world.register(sub, HIDA)
        setup[str(size)] = round(time.perf_counter() - started, 1)
        clock.freeze(datetime(2026, 5, 10, 10, 5, tzinfo=JST))
        from furusato.store import activities as activity_store

        forget = getattr(activity_store, "forget_checkin_copy", None)
        for request, sub in (
            ("checkin_cold_copy", f"a{size}"),
            ("checkin_steady", f"b{size}"),
            ("checkin_newcomer", f"c{size}"),
            ("checkin_newcomer_cold", f"d{size}"),
        ):
            if forget is not None and "cold" in request:  # the container's copy of the activity
                forget(HIDA, activity_id)
            results[request] = measured(
                lambda sub=sub: call(
                    "POST",
                    "/v1/checkins",
                    {"token": token, "nonce": f"nonce-{sub}-scan"},
                    claims=world.person(sub),
                    headers={KEY_HEADER: f"k-{sub}"},
                )
            )
            if not results[request]["finished"]:
                return results  # its thread still runs: later figures would share the server
        results["roster"] = measured(lambda: call("GET", f"{path}/participants", claims=viewer))
        return results
    setup[str(size)] = round(time.perf_counter() - started, 1)
    if part == "get":
        results["get"] = measured(lambda: call("GET", path, claims=viewer))
    elif part == "patch":
        results["patch"] = measured(
            lambda: call("PATCH", path, {"place": "体育館", "designated": True}, claims=government)
        )
    else:  # an organization's activity: its own staff edit it, then the government undesignates it
        results["patch_org_staff"] = measured(
            lambda: call("PATCH", path, {"place": "体育館"}, claims=org_staff)
        )
        if results["patch_org_staff"]["finished"]:
            results["patch_org_undesignate"] = measured(
                lambda: call("PATCH", path, {"designated": False}, claims=government)
            )
    return results


def _registrations(
    ctx: Any, part: str, size: int, *, started: float, setup: dict[str, float]
) -> dict[str, Any]:
    """`size` registrations of other people with the government (added to those of the smaller
    size), then a newcomer's keyed registration, its replay and its `GET /v1/me`s."""
    from datetime import datetime

    from furusato import clock
    from furusato.clock import JST
    from furusato.domain.registration import Registration
    from furusato.store import people

    call, world, measured = ctx.call, ctx.world, ctx.measured
    clock.freeze(datetime(2026, 5, 10, 10, 5, tzinfo=JST))
    held = getattr(ctx, "registrations_held", 0)

    def items() -> Any:
        for n in range(held, size):
            registration = Registration(
                registration_id=f"reg_{n:026d}",
                lg_code=HIDA,
                plan="basic",
                status="active",
                own_residence=False,
                auto_created=False,
                registered_at="2026-05-01T09:00:00+09:00",
                survey_answers=dict(world.RELATIONSHIP),
            )
            yield people._registration_item(f"o{n:07d}", registration, 1).serialize()

    ctx.batch_write(items())
    ctx.registrations_held = size
    sub = f"r{size}"
    world.set_profile(sub)
    setup[str(size)] = round(time.perf_counter() - started, 1)
    results: dict[str, Any] = {}
    results["registration_put"] = measured(
        lambda: world.register(sub, HIDA, headers={KEY_HEADER: f"k{size}"})
    )
    results["registration_replay"] = measured(
        lambda: world.register(sub, HIDA, headers={KEY_HEADER: f"k{size}"})
    )
    clock.freeze(datetime(2026, 5, 11, 10, 0, tzinfo=JST))
    results["me_first_of_day"] = measured(lambda: call("GET", "/v1/me", claims=world.person(sub)))
    results["me_later_in_day"] = measured(lambda: call("GET", "/v1/me", claims=world.person(sub)))
    return results


def _government_codes() -> Any:
    """Codes to onboard (without their check digit): 200 in Tokyo (prefecture 13) first, then
    the other prefectures' in turn (from 401: clear of the governments the side onboards itself)."""
    for n in range(101, 301):
        yield "13", f"13{n:03d}"
    n = 401
    while True:
        for prefecture in (f"{p:02d}" for p in range(1, 48) if p != 13):
            yield prefecture, f"{prefecture}{n:03d}"
        n += 1


def _directory(ctx: Any, part: str, size: int, *, started: float, setup: dict[str, float]) -> dict[str, Any]:
    """`size` governments onboarded (pages of ~20 KB each; added to those of the smaller size),
    then the directory's page of 200 in prefecture 13."""
    from furusato import clock
    from furusato.domain.lg import LocalGovernment, Page
    from furusato.domain.lg_code import lg_check_digit
    from furusato.store import lgs

    held = getattr(ctx, "governments_held", 0)
    codes = _government_codes()
    for _ in range(held):
        next(codes)
    for _ in range(held, size):
        prefecture, code = next(codes)
        code += lg_check_digit(code)
        lgs.onboard(
            LocalGovernment(
                lg_code=code,
                name=f"町{code}",
                kind="municipality",
                prefecture_code=prefecture,
                onboarded_at=clock.iso(clock.now()),
            )
        )
        lgs.save_page(code, Page(title="紹介", body="あ" * 6_800, updated_at=clock.iso(clock.now())))
    ctx.governments_held = size
    setup[str(size)] = round(time.perf_counter() - started, 1)
    return {
        "directory": ctx.measured(
            lambda: ctx.call("GET", "/v1/local-governments", query={"limit": "200", "prefecture_code": "13"})
        )
    }


# --- the parent ---------------------------------------------------------------------------------


def _run_side(
    tree: Path, sizes: dict[str, list[int]], budget_s: float, jobs: int, parts: list[str]
) -> dict[str, Any]:
    """The side's parts, each in its own interpreter and moto server (`jobs` at a time)."""
    merged: dict[str, Any] = {"sized": {}, "setup_s": {}}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        found = list(pool.map(lambda part: _run_part(tree, sizes[PARTS[part]], budget_s, part), parts))
    for part, result in zip(parts, found, strict=True):
        merged["sized"].update(result["sized"])
        merged["setup_s"][part] = result["setup_s"]
    return merged


def _run_part(tree: Path, sizes: list[int], budget_s: float, part: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'layers' / 'core' / 'python'}:{tree}"}
    args = [sys.executable, str(ROOT / "bench" / "scale.py"), "--side", str(tree), "--part", part]
    args += ["--sizes", ",".join(map(str, sizes)), "--budget-s", str(budget_s)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=tree)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        print(f"side {tree}, part {part} failed:\n{done.stderr[-4000:]}", file=sys.stderr)
        return {"sized": {}, "setup_s": {}, "failed": True}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _operations(m: dict[str, Any]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(m["by_operation"].items()))


def _calls(m: dict[str, Any] | None, note: str) -> str:
    if m is None:
        return f"not run ({note})"
    if not m["finished"]:
        return f"not finished in {m['seconds']:.0f} s ({m['calls']:,} so far: {_operations(m)})"
    return f"{m['calls']} ({_operations(m)})"


def _figure(m: dict[str, Any] | None, what: str) -> str:
    if m is None or not m["finished"]:
        return "> budget" if m is not None and what == "time" else "-"
    if what == "keys":
        return f"{m['keys']:,}"
    if what == "rcu":
        return ("≥ " if m["rcu_lower_bound"] else "") + f"{m['rcu']:,.1f}"
    if what == "bytes":
        return f"{m['bytes'] / 1024:,.1f}"
    return f"{m['seconds'] * 1000:,.0f}"


def _ratio(before: dict[str, Any] | None, after: dict[str, Any] | None, key: str) -> str:
    """after / before; against a request that did not finish, an upper bound (its calls so far
    are fewer than it would make). No ratio of read units against a lower bound of them."""
    if before is None or after is None or not after["finished"] or not before[key]:
        return "-"
    if key == "rcu" and (before["rcu_lower_bound"] or not before["finished"]):
        return "-"
    return ("≤ " if not before["finished"] else "") + f"{after[key] / before[key]:.3g}"


def report(before: dict[str, Any], after: dict[str, Any], by_kind: dict[str, list[int]]) -> list[str]:
    """The table of `docs/benchmarks.md`: one line per request and size."""
    lines = [
        "| request | size | calls: before → after | keys asked | read units | KB read | ms |"
        " after / before: calls · units |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    kinds = {request: PARTS[part] for part, requests in REQUESTS.items() for request in requests}
    for request, label in SIZED:
        kind = kinds[request]
        for size in map(str, by_kind[kind]):
            b = before["sized"].get(request, {}).get(size)
            a = after["sized"].get(request, {}).get(size)
            if a is None and b is None:
                continue
            note = "a request before it in this part was still running"
            cells = [f"{_calls(b, note)} → {_calls(a, note)}"]
            cells += [f"{_figure(b, what)} → {_figure(a, what)}" for what in ("keys", "rcu", "bytes", "time")]
            cells.append(f"{_ratio(b, a, 'calls')} · {_ratio(b, a, 'rcu')}")
            lines.append(f"| {label} | {int(size):,} {kind} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE)
    parser.add_argument("--sizes", default="10,50000", help="participants of an activity")
    parser.add_argument("--registrations", default="1000,100000", help="registrations with the government")
    parser.add_argument("--governments", default="200,1800", help="governments onboarded")
    parser.add_argument("--budget-s", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=1, help="parts run at a time")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"of {', '.join(PARTS)}")
    parser.add_argument("--side")
    parser.add_argument("--part", choices=PARTS, default="get")
    args = parser.parse_args(argv)
    if args.side:
        sizes = [int(s) for s in args.sizes.split(",")]
        print(json.dumps(_side(Path(args.side), sizes, args.budget_s, args.part)))
        return
    by_kind = {
        "participants": [int(s) for s in args.sizes.split(",")],
        "registrations": [int(s) for s in args.registrations.split(",")],
        "governments": [int(s) for s in args.governments.split(",")],
    }
    parts = [p for p in args.parts.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown parts: {', '.join(sorted(unknown))}")
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"load at start: {uptime}", flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="furusato-before-") as tmp:
        archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        with ThreadPoolExecutor(max_workers=2) as sides:
            before_run = sides.submit(_run_side, Path(tmp), by_kind, args.budget_s, args.jobs, parts)
            after_run = sides.submit(_run_side, ROOT, by_kind, args.budget_s, args.jobs, parts)
            before, after = before_run.result(), after_run.result()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"load at end: {uptime}; the run took {time.perf_counter() - started:,.0f} s")
    print(f"before: {args.before}, after: the working tree; sizes {by_kind}; budget {args.budget_s:.0f} s\n")
    print(json.dumps({"before": before, "after": after}))
    print("\n".join(["", *report(before, after, by_kind)]))
    print("\nresponse statuses (before → after):")
    for request, _ in SIZED:
        for size, m in after["sized"].get(request, {}).items():
            was = before["sized"].get(request, {}).get(size, {})
            print(f"- {request} at {size}: {was.get('status')} → {m.get('status')}")
    print("\nsetup seconds (before → after):", before["setup_s"], "→", after["setup_s"])


if __name__ == "__main__":
    main()
