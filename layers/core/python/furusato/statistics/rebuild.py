"""Recompute every statistics counter from the records, and correct the counters to match.

    python -m furusato.statistics.rebuild [--dry-run]

Reads the whole main table once (a Scan: this is an operator's command, never a request path):
governments, profiles, registrations, participations, and the counters and contributions as
they stand. From the records it computes what every counter should be, then adds the
difference to shard 0 of each counter (an ADD, so consumer updates that land meanwhile are
not lost) and rewrites the contributions. The monthly history is the record of the past: past
months are kept, and any correction is booked in the current month, so the history ends at
the recomputed population. Prints the corrections as JSON; after a correct incremental run
there are none.

Run it after a stream outage (records in the failure queue), or at any time to check.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from furusato import clock
from furusato.domain import statistics as rules
from furusato.store import applied
from furusato.store import statistics as store
from furusato.store.dynamodb import from_attribute_values, main_client, main_table

Counters = dict[tuple[str, str], dict[str, int]]  # (scope, sk) -> attribute -> n


@dataclass
class Records:
    lgs: int = 0
    profiles: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    registrations: dict[str, list[rules.RegistrationFacts]] = field(default_factory=lambda: defaultdict(list))
    participations: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    counters: Counters = field(default_factory=lambda: defaultdict(dict))
    contributions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))


def scan() -> Records:
    client = main_client()
    records = Records()
    kwargs: dict[str, Any] = {"TableName": main_table(), "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        for raw in page.get("Items", []):
            _take(records, from_attribute_values(raw))
        if "LastEvaluatedKey" not in page:
            return records
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _take(records: Records, item: dict[str, Any]) -> None:
    kind, pk, sk = item.get("type"), str(item["pk"]), str(item["sk"])
    if kind == "lg":
        records.lgs += 1
    elif kind == "person":
        records.profiles[pk.removeprefix("P#")] = (item.get("birth_date"), item.get("residence_lg_code"))
    elif kind == "registration":
        records.registrations[pk.removeprefix("P#")].append(
            rules.RegistrationFacts(
                lg_code=str(item["lg_code"]),
                plan=str(item["plan"]),
                status=str(item["status"]),
                own_residence=bool(item.get("own_residence")),
                long_term_stayer=bool(item.get("long_term_stayer")),
            )
        )
    elif kind == "participation" and item.get("lg_code") and item.get("day"):
        if rules.participation_counts(item):
            records.participations[(str(item["lg_code"]), str(item["day"])[:7])] += 1
    elif kind == store.COUNTER_TYPE:
        scope = pk.removeprefix("STAT#").rsplit("#", 1)[0]
        target = records.counters[(scope, sk)]
        for name, value in item.items():
            if isinstance(value, Decimal):
                target[name] = target.get(name, 0) + int(value)
    elif kind == store.CONTRIBUTION_TYPE:
        records.contributions[pk.removeprefix("STATC#")][sk] = item


def expected(records: Records, month: str) -> tuple[Counters, dict[str, dict[str, rules.Contribution]]]:
    """What every counter should be (history: as recorded, corrected in `month`)."""
    counters: Counters = defaultdict(dict)

    def add(scope: str, sk: str, increments: dict[str, int]) -> None:
        target = counters[(scope, sk)]
        for name, n in increments.items():
            target[name] = target.get(name, 0) + n

    wanted: dict[str, dict[str, rules.Contribution]] = {}
    for sub in set(records.profiles) | set(records.registrations):
        birth, residence = records.profiles.get(sub, (None, None))
        mine = rules.contributions(birth, residence, records.registrations.get(sub, []))
        if not mine:
            continue
        wanted[sub] = mine
        if any(c.counted for c in mine.values()):
            add(store.NATIONAL, store.TOTALS, {"people": 1})
        for lg_code, c in mine.items():
            add(lg_code, store.TOTALS, rules.change(None, c))
            add(store.NATIONAL, store.TOTALS, {f"plan:{p}": n for p, n in rules.plan_change(None, c).items()})
            for (year, day), n in rules.day_change(None, c).items():
                add(lg_code, store.days_sk(year), {day: n})
    add(store.NATIONAL, store.TOTALS, {"lgs": records.lgs})
    for (lg_code, part_month), n in records.participations.items():
        add(lg_code, store.TOTALS, {f"part:{part_month}": n})
    # History: keep the recorded months; book the difference to the population now in `month`.
    scopes = {scope for scope, sk in set(counters) | set(records.counters) if sk == store.TOTALS}
    for scope in scopes - {store.NATIONAL}:
        recorded = records.counters.get((scope, store.TOTALS), {})
        history = {k: v for k, v in recorded.items() if k.startswith("h:")}
        for plan in rules.PLANS:
            booked = sum(v for k, v in history.items() if k.endswith(f":{plan}"))
            now = counters.get((scope, store.TOTALS), {}).get(f"plan:{plan}", 0)
            history[f"h:{month}:{plan}"] = history.get(f"h:{month}:{plan}", 0) + now - booked
        add(scope, store.TOTALS, history)
    return counters, wanted


@dataclass
class Report:
    counters_corrected: int = 0
    corrections: dict[str, dict[str, int]] = field(default_factory=dict)
    contributions_rewritten: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "counters_corrected": self.counters_corrected,
            "corrections": self.corrections,
            "contributions_rewritten": self.contributions_rewritten,
        }


def rebuild(*, dry_run: bool = False) -> Report:
    records = scan()
    counters, wanted = expected(records, clock.today().isoformat()[:7])
    report = Report()
    for scope, sk in sorted(set(counters) | set(records.counters)):
        fix = rules.diff(records.counters.get((scope, sk), {}), counters.get((scope, sk), {}))
        if not fix:
            continue
        report.counters_corrected += 1
        report.corrections[f"{scope} {sk}"] = fix
        if not dry_run:
            applied.transact([applied.add(store.counter_pk(scope, 0), sk, fix, item_type=store.COUNTER_TYPE)])
    for sub in sorted(set(wanted) | set(records.contributions)):
        if _stored_contributions(records.contributions.get(sub, {})) == wanted.get(sub, {}):
            continue
        report.contributions_rewritten += 1
        if not dry_run:
            _rewrite(sub, records.contributions.get(sub, {}), wanted.get(sub, {}))
    return report


def _stored_contributions(items: dict[str, dict[str, Any]]) -> dict[str, rules.Contribution]:
    return {sk[3:]: store.stored_contribution(item) for sk, item in items.items() if sk.startswith("LG#")}


def _rewrite(sub: str, old: dict[str, dict[str, Any]], new: dict[str, rules.Contribution]) -> None:
    """Replace a person's contributions; versions move on, so a recount that read the old ones
    fails its condition and starts again from these."""
    client = main_client()
    table = main_table()
    version = 1 + max((int(item.get("version", 0)) for item in old.values()), default=0)
    for sk in old:
        if (sk.startswith("LG#") and sk[3:] not in new) or (sk == store.PERSON_SK and not new):
            client.delete_item(
                TableName=table, Key={"pk": {"S": store.contribution_pk(sub)}, "sk": {"S": sk}}
            )
    for lg_code, c in new.items():
        client.put_item(TableName=table, Item=store._contribution_item(sub, lg_code, c, version))
    if new:
        person = {
            "pk": {"S": store.contribution_pk(sub)},
            "sk": {"S": store.PERSON_SK},
            "type": {"S": store.CONTRIBUTION_TYPE},
            "version": {"N": str(version)},
        }
        client.put_item(TableName=table, Item=person)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="report the corrections, write nothing")
    args = parser.parse_args(argv)
    report = rebuild(dry_run=args.dry_run)
    json.dump(report.as_dict(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
