"""The public directory: what a page of 200 governments reads with the longest real names, and how
stale the directory is in the function's warm instances after an onboarding.

python -m bench.directory [--instances 4] [--poll-s 0.2] [--cache-s SECONDS]

Page: the 200 municipalities with the longest names (prefecture and county in full:
tests/support/directory.py), settings at their widest, pages of 20 KB; one GET of a page of 200,
its bytes counted as DynamoDB reckons them (tests/support/roundtrips.item_size).

Staleness: N instances of the registration function (separate interpreters, each with its own
module state and so its own directory copy, all against one moto server) read the directory
every `poll-s`, having first read it at moments spread over one copy's lifetime (as instances
warmed by traffic would). Then an operator onboards a government (the admin function, here the
parent process) and each instance reports when its answer first lists it: the time from the
onboarding's answer to that, per instance. The copy's lifetime is lgs.DIRECTORY_CACHE_S unless
`--cache-s` sets it in the instances (to try the mechanism quickly). A client or a cache may keep
an answer up to its max-age again; that is not measured here (docs/capacity.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.stack import moto_endpoint

NEWCOMER = ("212172", "飛騨市", "21")  # onboarded while the instances read


def page_bytes() -> dict[str, Any]:
    from furusato.store import lgs
    from tests.support.directory import onboard_longest
    from tests.support.lambda_api import call
    from tests.support.roundtrips import count_bytes, count_calls

    names = onboard_longest(200, page_chars=6_800)
    lgs.forget_directory_copy()
    with count_calls() as calls, count_bytes() as read:
        reply = call("GET", "/v1/local-governments", query={"limit": "200"})
    assert reply.status == 200 and len(reply.body["items"]) == 200
    return {
        "calls": dict(calls),
        "bytes": read["Query"],
        "name_bytes": [len(names[-1][1].encode()), len(names[0][1].encode())],
    }


def poll(args: argparse.Namespace) -> None:
    """One function instance: warm at `start_at`, then read until the newcomer is listed."""
    from furusato.store import lgs
    from tests.support.lambda_api import call
    from tests.support.roundtrips import count_calls

    if args.cache_s is not None:
        lgs.DIRECTORY_CACHE_S = args.cache_s
    code, _, prefecture = NEWCOMER
    query = {"prefecture_code": prefecture, "limit": "200"}
    assert call("GET", "/health").status == 200  # the handler loaded: a warm instance
    time.sleep(max(0.0, args.start_at - time.time()))
    reads = 0
    warm = False
    while True:
        with count_calls() as calls:
            reply = call("GET", "/v1/local-governments", query=query)
        now = time.time()
        reads += calls["Query"]
        if not warm:
            print(json.dumps({"warm": now}), flush=True)
            warm = True
        if any(item["lg_code"] == code for item in reply.body["items"]):
            print(json.dumps({"seen": now, "queries": reads}), flush=True)
            return
        time.sleep(args.poll_s)


def staleness(instances: int, poll_s: float, cache_s: float | None) -> dict[str, Any]:
    from furusato.store import lgs
    from tests.support.lambda_api import call, operator_claims

    lifetime = cache_s if cache_s is not None else lgs.DIRECTORY_CACHE_S
    start = time.time() + 15.0  # the instances' imports first
    children = []
    for i in range(instances):
        argv = [sys.executable, "-W", "ignore::UserWarning", "-m", "bench.directory", "--poll"]
        argv += ["--poll-s", str(poll_s)]
        argv += ["--start-at", str(start + lifetime * i / instances)]
        if cache_s is not None:
            argv += ["--cache-s", str(cache_s)]
        children.append(subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=os.environ.copy()))
    for child in children:  # every instance holds its copy
        assert child.stdout is not None
        json.loads(child.stdout.readline())["warm"]
    code, name, prefecture = NEWCOMER
    body = {"lg_code": code, "name": name, "kind": "municipality", "prefecture_code": prefecture}
    assert call("POST", "/v1/operator/lgs", body, claims=operator_claims()).status == 201
    changed = time.time()
    seen: list[float] = []
    queries: list[int] = []
    for child in children:
        assert child.stdout is not None
        found = json.loads(child.stdout.readline())
        seen.append(found["seen"] - changed)
        queries.append(found["queries"])
        child.wait(timeout=30)
    return {"lifetime_s": lifetime, "stale_s": seen, "queries": queries}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory")
    parser.add_argument("--instances", type=int, default=4)
    parser.add_argument("--poll-s", type=float, default=0.2)
    parser.add_argument("--cache-s", type=float, default=None)
    parser.add_argument("--poll", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.poll:
        poll(args)
        return
    moto_endpoint()
    page = page_bytes()
    kib = page["bytes"] / 1024
    units = math.ceil(page["bytes"] / 4096) / 2
    print("| directory page of 200 | names (UTF-8) | DynamoDB calls | bytes read | read units |")
    print("|---|---|---|---:|---:|")
    calls = ", ".join(f"{k} {v}" for k, v in sorted(page["calls"].items()))
    low, high = page["name_bytes"]
    print(f"| the 200 longest real names | {low}-{high} B | {calls} | {kib:.1f} KB (≤ 64 KB) | {units} |")
    load = os.getloadavg()[0]
    print(f"\nload average {load:.1f}; {args.instances} instances, polling every {args.poll_s} s\n")
    found = staleness(args.instances, args.poll_s, args.cache_s)
    stale = sorted(found["stale_s"])
    print("| instance copy lifetime | instances | stale after the onboarding (s), each | median | max |")
    print("|---:|---:|---|---:|---:|")
    each = ", ".join(f"{s:.1f}" for s in stale)
    print(
        f"| {found['lifetime_s']:.0f} s | {len(stale)} | {each} | {statistics.median(stale):.1f} "
        f"| {max(stale):.1f} (≤ {found['lifetime_s']:.0f} + one poll) |"
    )
    print(f"\nDirectory Queries per instance over the run: {found['queries']}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
