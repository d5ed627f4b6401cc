"""The festival load test: a rush of check-ins to one activity against the local stack, with Locust.

    .venv/bin/python -m bench.festival [--people 2000] [--arrivals 10] [--staff 2]

1. Starts the local stack as `make run` does (`python -m infra.local --no-seed`, a subprocess on
   free ports), through `bench/keyed_stack.py` so that moto's Query reads only its partition
   (plain moto walks the whole table for each; `--plain-moto` keeps that), and onboards one
   government over HTTP.
2. Prepares the people without timing it: each has a verified identity, a profile and an active
   registration with that government, seeded directly in the stack's moto (not over HTTP) with the
   registration store's own item builders in batch writes, then taken in by the stack's stream
   consumers (statistics); and an ID token from the stack's stand-in user pool. Staff create the
   activity and print its QR code over HTTP. Each phase's time is reported.
3. Runs Locust headless (`bench/festival_users.py`): registrants arrive at `--arrivals` a second
   and each scans once (`POST /v1/checkins`); `--staff` coordinators read the roster and the
   activity with its count every 1-2 s; one of them edits the activity (PATCH) when half the
   people have checked in.
4. Afterwards drains the stack's stream consumers and asserts that every person has exactly one
   record in the roster, nobody else has one, the activity's count equals the records, and the
   PATCH reached every record (the copy of activity fields runs in the stream consumer).

It prints throughput, p50 and p99 latency per request kind, and failures, and exits non-zero if
any request failed or any assertion does not hold.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
HIDA = "212172"
PATCHED_PLACE = "古川町 祭り広場(変更後)"


class Stack:
    """The local stack in a subprocess, as `make run` starts it (without the demo data)."""

    def __init__(self, log_dir: Path, *, keyed: bool = True) -> None:
        from infra.local.aws import free_port

        self.port, self.moto_port = free_port(), free_port()
        while self.moto_port == self.port:
            self.moto_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.moto_url = f"http://127.0.0.1:{self.moto_port}"
        self.log_path = log_dir / "stack.log"
        command = [
            sys.executable, "-m", "bench.keyed_stack" if keyed else "infra.local", "--port", str(self.port),
            "--moto-port", str(self.moto_port), "--no-seed",
        ]  # fmt: skip
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
        self.http = requests.Session()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the local stack exited:\n{self.log_path.read_text(errors='replace')}")
            try:
                if self.http.get(self.base_url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("the local stack did not answer /health within 120 s")

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, self.base_url + path, headers=headers, **{"timeout": 600, **kwargs})

    def token(self, sub: str, role: str, **claims: str) -> str:
        reply = self.call("POST", "/local/token", json={"sub": sub, "role": role, **claims})
        assert reply.status_code == 200, reply.text
        return str(reply.json()["token"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _point_at(stack: Stack) -> None:
    """This process's AWS clients and handlers use the stack's moto (its tables, secret, pool)."""
    import boto3

    from infra.local import aws

    os.environ.update(aws.base_environment(stack.moto_url))
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    os.environ.update(aws.resource_names())
    from furusato import topology

    secrets = boto3.client("secretsmanager", endpoint_url=stack.moto_url)
    arns = {s["Name"]: s["ARN"] for s in secrets.list_secrets()["SecretList"]}
    for secret in topology.SECRETS:
        os.environ[secret.env_var] = arns[aws.physical_name(secret.name)]
    pools = boto3.client("cognito-idp", endpoint_url=stack.moto_url).list_user_pools(MaxResults=10)
    os.environ["FURUSATO_STAFF_USER_POOL_ID"] = pools["UserPools"][0]["Id"]


def _write_people(subs: list[str]) -> None:
    """Each person registered with the festival's government and identity-verified, as the
    registration function stores them (its own item builders), in batch writes of 25: the
    registration handler one person at a time costs seconds each on a loaded machine."""
    from furusato import clock
    from furusato.domain.registration import Registration
    from furusato.store import people
    from furusato.store.ids import new_id
    from furusato.store.models import MainItem, PersonItem

    client = MainItem._get_connection().connection.client
    table = MainItem.Meta.table_name
    now = clock.iso(clock.now())
    items: list[dict[str, Any]] = []
    for n, sub in enumerate(subs):
        person = PersonItem(
            people.person_pk(sub),
            people.PROFILE_SK,
            name="山田 花子",
            birth_date="1990-04-01",
            gender="female",
            postal_code="160-0022",
            address="新宿1-1-1",
            residence_lg_code="131041",
            created_at=now,
            updated_at=now,
            identity_verified_at=now,
            identity_key=f"festival-identity-{n:06d}",
            identity_minor=False,
        )
        registration = Registration(
            registration_id=new_id("reg"),
            lg_code=HIDA,
            plan="basic",
            status="active",
            own_residence=False,
            auto_created=False,
            registered_at=now,
            survey_answers={"relationship": ["観光・訪問"]},
        )
        items += [person.serialize(), people._registration_item(sub, registration, 1).serialize()]
    for i in range(0, len(items), 25):
        batch = {table: [{"PutRequest": {"Item": item}} for item in items[i : i + 25]]}
        while batch:
            batch = client.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}


def _prepare(stack: Stack, people: int, workdir: Path) -> Path:
    from furusato import clock
    from tests.support.world import GOVERNMENTS

    started = time.perf_counter()
    name, kind = GOVERNMENTS[HIDA]
    operator = stack.token("festival-operator", "operator")
    onboarded = stack.call(
        "POST",
        "/v1/operator/lgs",
        operator,
        json={"lg_code": HIDA, "name": name, "kind": kind, "prefecture_code": HIDA[:2]},
    )
    assert onboarded.status_code == 201, onboarded.text
    _point_at(stack)
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = round(now - mark, 1)
        mark = now

    phase("onboard_s")
    subs = [f"festival-{i:06d}" for i in range(people)]
    _write_people(subs)
    phase("write_people_s")
    # The stream consumers (statistics) take in the new registrations before the rush starts.
    drained = stack.call("POST", "/local/streams/drain", timeout=3600)
    assert drained.status_code == 200, drained.text
    phase("drain_s")
    tokens = [stack.token(sub, "registrant") for sub in subs]
    phase("tokens_s")
    staff = stack.token("festival-coordinator", "staff", lg_code=HIDA, staff_role="coordinator")
    now = clock.now()
    activity = {
        "name": "飛騨古川 きつね火まつり",
        "starts_at": clock.iso(now - timedelta(minutes=30)),
        "ends_at": clock.iso(now + timedelta(hours=4)),
        "place": "古川町 祭り広場",
        "designated": True,
    }
    created = stack.call("POST", f"/v1/admin/lgs/{HIDA}/activities", staff, json=activity)
    assert created.status_code == 201, created.text
    activity_id = created.json()["activity_id"]
    qr = stack.call(
        "GET", f"/v1/admin/lgs/{HIDA}/activities/{activity_id}/qr", staff, params={"format": "json"}
    )
    assert qr.status_code == 200, qr.text
    plan = {
        "lg_code": HIDA,
        "activity_id": activity_id,
        "qr_token": qr.json()["token"],
        "staff_token": staff,
        "patched_place": PATCHED_PLACE,
        "people": tokens,
        "subs": subs,
        "prepare_s": round(time.perf_counter() - started, 1),
        "prepare_phases": phases,
    }
    path = workdir / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def _rush(
    stack: Stack, plan_path: Path, people: int, arrivals: float, staff: int, run_time_s: int, workdir: Path
) -> dict[str, Any]:
    prefix = workdir / "locust"
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "festival_users.py"), "--headless",
        "--host", stack.base_url, "--users", str(people + staff), "--spawn-rate", str(arrivals),
        "--run-time", f"{run_time_s}s", "--stop-timeout", "120",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    environment = {**os.environ, "FESTIVAL_PLAN": str(plan_path), "FESTIVAL_STAFF": str(staff)}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    summary = [
        json.loads(line)["festival"] for line in done.stdout.splitlines() if line.startswith('{"festival"')
    ]
    with (workdir / "locust_stats.csv").open() as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    failures: list[dict[str, str]] = []
    failures_csv = workdir / "locust_failures.csv"
    if failures_csv.exists():
        with failures_csv.open() as f:
            failures = list(csv.DictReader(f))
    return {
        "wall_s": round(wall, 1),
        "exit": done.returncode,
        "summary": summary[-1] if summary else None,
        "stats": stats,
        "failures": failures,
        "stderr_tail": done.stderr[-2000:] if done.returncode not in (0, 1) else "",
    }


def _verify(stack: Stack, plan: dict[str, Any]) -> dict[str, Any]:
    """After the rush: the stream consumers drained, then the records, the count and the copy."""
    drained = stack.call("POST", "/local/streams/drain")
    assert drained.status_code == 200, drained.text
    from furusato.store import participations

    records: list[Any] = []
    cursor: str | None = None
    while True:
        page, cursor = participations.roster(plan["activity_id"], limit=500, cursor=cursor)
        records += page
        if cursor is None:
            break
    per_person = Counter(r.sub for r in records)
    activity = stack.call(
        "GET", f"/v1/admin/lgs/{HIDA}/activities/{plan['activity_id']}", plan["staff_token"]
    )
    assert activity.status_code == 200, activity.text
    count = activity.json()["participant_count"]
    subs = set(plan["subs"])
    return {
        "records": len(records),
        "people_with_one_record": sum(1 for s in subs if per_person[s] == 1),
        "people_with_several": sum(1 for s in subs if per_person[s] > 1),
        "people_without": sum(1 for s in subs if per_person[s] == 0),
        "records_of_others": sum(n for s, n in per_person.items() if s not in subs),
        "count": count,
        "place_in_activity": activity.json()["place"],
        "records_with_new_place": sum(1 for r in records if r.place == PATCHED_PLACE),
    }


def _ms(value: str) -> str:
    return f"{float(value):,.0f}" if value not in ("", "N/A") else "-"


def report(result: dict[str, Any]) -> str:
    stats, people = result["rush"]["stats"], result["people"]
    checkins = stats.get("POST /v1/checkins", {})
    rush_s = result["rush"]["wall_s"]
    lines = [
        f"{people:,} people, arriving at {result['arrivals']:g}/s, {result['staff']} staff; "
        f"preparation {result['plan_prepare_s']} s (not timed below; "
        + ", ".join(f"{k.removesuffix('_s')} {v} s" for k, v in result["prepare_phases"].items())
        + f"); Locust run {rush_s} s; stack start {result['stack_start_s']} s, "
        f"drain and checks afterwards {result['verify_s']} s",
        "",
        "| request | count | failures | req/s | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("POST /v1/checkins", "GET roster", "GET activity", "PATCH activity"):
        row = stats.get(name)
        if not row:
            lines.append(f"| {name} | 0 | - | - | - | - | - |")
            continue
        lines.append(
            f"| {name} | {int(row['Request Count']):,} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.2f} | {_ms(row['50%'])} | {_ms(row['99%'])} | "
            f"{_ms(row['Max Response Time'])} |"
        )
    verified = result["verified"]
    lines += [
        "",
        f"check-ins per second (Locust's rate): {float(checkins.get('Requests/s', 0)):.2f}",
        f"failures: {sum(int(r['Occurrences']) for r in result['rush']['failures'])} "
        + "; ".join(
            f"{r['Name']}: {r['Error'][:120]} ×{r['Occurrences']}" for r in result["rush"]["failures"][:5]
        ),
        f"afterwards: {verified['records']:,} records; {verified['people_with_one_record']:,} of {people:,} "
        f"people with exactly one, {verified['people_with_several']} with more, "
        f"{verified['people_without']} without, {verified['records_of_others']} of anyone else; "
        f"count {verified['count']:,}; PATCH copied into {verified['records_with_new_place']:,} records",
    ]
    return "\n".join(lines)


def problems(result: dict[str, Any]) -> list[str]:
    found = []
    people, verified, rush = result["people"], result["verified"], result["rush"]
    if rush["failures"]:
        found.append("requests failed")
    if rush["summary"] is None or not rush["summary"]["patched"]:
        found.append("the PATCH was not sent")
    if verified["people_with_one_record"] != people or verified["records"] != people:
        found.append("not exactly one record per person")
    if verified["count"] != verified["records"]:
        found.append("the count differs from the records")
    if verified["place_in_activity"] != PATCHED_PLACE or verified["records_with_new_place"] != people:
        found.append("the PATCH did not reach every record")
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.festival", description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--arrivals", type=float, default=10.0, help="registrants arriving per second")
    parser.add_argument("--staff", type=int, default=2, help="coordinators reading roster and count")
    parser.add_argument("--run-time", type=int, default=3600, help="Locust stops after this many seconds")
    parser.add_argument(
        "--plain-moto", action="store_true", help="moto's own Query, which walks the whole table"
    )
    parser.add_argument("--json", action="store_true", help="print the raw result as JSON as well")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="festival-"))
    started = time.perf_counter()
    stack = Stack(workdir, keyed=not args.plain_moto)
    stack_start_s = round(time.perf_counter() - started, 1)
    try:
        plan_path = _prepare(stack, args.people, workdir)
        plan = json.loads(plan_path.read_text())
        rush = _rush(stack, plan_path, args.people, args.arrivals, args.staff, args.run_time, workdir)
        if rush["stderr_tail"]:
            print(rush["stderr_tail"], file=sys.stderr)
        started = time.perf_counter()
        verified = _verify(stack, plan)
        verify_s = round(time.perf_counter() - started, 1)
    finally:
        stack.stop()
    result = {
        "people": args.people,
        "arrivals": args.arrivals,
        "staff": args.staff,
        "stack_start_s": stack_start_s,
        "plan_prepare_s": plan["prepare_s"],
        "prepare_phases": plan["prepare_phases"],
        "verify_s": verify_s,
        "rush": rush,
        "verified": verified,
    }
    if args.json:
        print(json.dumps(result, default=str))
    print(report(result))
    found = problems(result)
    if found:
        print("FAILED: " + "; ".join(found), file=sys.stderr)
        raise SystemExit(1)
    print("passed: no failures, one record per person, count equal to the records")


if __name__ == "__main__":
    main()
