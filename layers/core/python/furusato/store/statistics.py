"""Statistics counters and the contributions they were built from (docs/statistics.md).

Counters (anonymous; `type = stat_counter`), sharded so that a busy day spreads its writes:
- `pk=STAT#{scope}#{shard}`, `sk=TOTALS`: top-level number attributes (`plan:basic`,
  `own_residence`, `long_term_stayers`, `bm:{YYYY-MM}`, `pref:{NN}`, `part:{YYYY-MM}`,
  `h:{YYYY-MM}:{plan}`; nationally `plan:*`, `people`, `lgs`). `scope` is an lg_code or `ALL`.
- `pk=STAT#{scope}#{shard}`, `sk=DAYS#{YYYY}`: counted registrations by birth day (`MM-DD`).
A read sums the shards: one BatchGetItem of a fixed number of keys, whatever the population.

Contributions (`type = stat_contribution`), what each active registration was last counted as:
- `pk=STATC#{sub}`, `sk=LG#{lg_code}`: plan, own_residence, long_term_stayer, birth_date,
  prefecture_code, `version`;
- `pk=STATC#{sub}`, `sk=PERSON`: `version`, written with every change of the person's
  contributions, so that two concurrent recounts of one person cannot both apply.
They exist only while the registration is active; the last one goes when the person has none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from furusato.domain.statistics import Contribution, RegistrationFacts
from furusato.store import applied
from furusato.store.dynamodb import main_client, main_table
from furusato.store.models import MainItem, PersonItem, RegistrationItem

SHARDS = 8
NATIONAL = "ALL"
COUNTER_TYPE = "stat_counter"
CONTRIBUTION_TYPE = "stat_contribution"
TOTALS = "TOTALS"
PERSON_SK = "PERSON"


def shard_of(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % SHARDS


def counter_pk(scope: str, shard: int) -> str:
    return f"STAT#{scope}#{shard}"


def days_sk(year: str) -> str:
    return f"DAYS#{year}"


def contribution_pk(sub: str) -> str:
    return f"STATC#{sub}"


# --- the person's current facts ------------------------------------------------------------


# The attributes statistics read, of a person's profile and of their registrations. The recount
# reads only these (its Query projects them), so a change that touches none of them cannot move a
# counter: the consumer skips it (the daily last-seen write, a renewal notice's mark). A statistic
# that needs another attribute must be listed here, or the recount never sees it.
PERSON_FACTS = (PersonItem.birth_date, PersonItem.residence_lg_code)
REGISTRATION_FACTS = (
    RegistrationItem.lg_code,
    RegistrationItem.plan,
    RegistrationItem.status,
    RegistrationItem.own_residence,
    RegistrationItem.long_term_stayer,
)
FACTS = frozenset({"type", *(a.attr_name for a in (*PERSON_FACTS, *REGISTRATION_FACTS))})


def current_facts(sub: str) -> tuple[str | None, str | None, list[RegistrationFacts]]:
    """Birth date, residence and registrations as they are now (a consistent Query of the
    profile and the registrations only: `PROFILE` <= sk <= `REG#~`, projected on FACTS)."""
    birth_date = residence = None
    regs: list[RegistrationFacts] = []
    for item in MainItem.query(
        f"P#{sub}",
        MainItem.sk.between("PROFILE", "REG#\uffff"),
        consistent_read=True,
        attributes_to_get=["pk", "sk", *sorted(FACTS)],
    ):
        if isinstance(item, PersonItem):
            birth_date, residence = item.birth_date, item.residence_lg_code
        elif isinstance(item, RegistrationItem):
            regs.append(
                RegistrationFacts(
                    lg_code=item.lg_code,
                    plan=item.plan,
                    status=item.status,
                    own_residence=bool(item.own_residence),
                    long_term_stayer=bool(item.long_term_stayer),
                )
            )
    return birth_date, residence, regs


# --- contributions ---------------------------------------------------------------------------


@dataclass
class Stored:
    """A person's stored contributions with their versions, and the person lock's version."""

    by_lg: dict[str, tuple[Contribution, int]]
    person_version: int | None


def load_contributions(sub: str) -> Stored:
    stored = Stored({}, None)
    kwargs: dict[str, Any] = {
        "TableName": main_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": contribution_pk(sub)}},
        "ConsistentRead": True,
    }
    while True:
        page = main_client().query(**kwargs)
        for item in page.get("Items", []):
            sk, version = item["sk"]["S"], int(item["version"]["N"])
            if sk == PERSON_SK:
                stored.person_version = version
            elif sk.startswith("LG#"):
                stored.by_lg[sk[3:]] = (_contribution(item), version)
        if "LastEvaluatedKey" not in page:
            return stored
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def stored_contribution(data: Mapping[str, object]) -> Contribution:
    """A contribution item as read (attribute values already converted)."""
    return Contribution(
        plan=str(data["plan"]),
        own_residence=bool(data["own_residence"]),
        long_term_stayer=bool(data["long_term_stayer"]),
        birth_date=str(data["birth_date"]) if data.get("birth_date") else None,
        prefecture_code=str(data["prefecture_code"]) if data.get("prefecture_code") else None,
    )


def _contribution(item: dict[str, Any]) -> Contribution:
    return Contribution(
        plan=item["plan"]["S"],
        own_residence=item["own_residence"]["BOOL"],
        long_term_stayer=item["long_term_stayer"]["BOOL"],
        birth_date=item.get("birth_date", {}).get("S"),
        prefecture_code=item.get("prefecture_code", {}).get("S"),
    )


def _contribution_item(sub: str, lg_code: str, c: Contribution, version: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": contribution_pk(sub)},
        "sk": {"S": f"LG#{lg_code}"},
        "type": {"S": CONTRIBUTION_TYPE},
        "plan": {"S": c.plan},
        "own_residence": {"BOOL": c.own_residence},
        "long_term_stayer": {"BOOL": c.long_term_stayer},
        "version": {"N": str(version)},
    }
    if c.birth_date:
        item["birth_date"] = {"S": c.birth_date}
    if c.prefecture_code:
        item["prefecture_code"] = {"S": c.prefecture_code}
    return item


def _versioned(version: int | None) -> dict[str, Any]:
    if version is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "version = :v",
        "ExpressionAttributeValues": {":v": {"N": str(version)}},
    }


def commit_change(
    sub: str,
    lg_code: str,
    stored: Stored,
    new: Contribution | None,
    *,
    person_remains: bool,
    totals: dict[str, int],
    days: dict[tuple[str, str], int],
    national: dict[str, int],
) -> None:
    """One registration's new contribution and the counters' increments, in one transaction
    conditioned on the versions read. Updates `stored` to what was written."""
    old = stored.by_lg.get(lg_code)
    key = {"pk": {"S": contribution_pk(sub)}, "sk": {"S": f"LG#{lg_code}"}}
    writes: list[dict[str, Any]] = []
    if new is not None:
        version = (old[1] if old else 0) + 1
        writes.append(
            {
                "Put": {
                    "Item": _contribution_item(sub, lg_code, new, version),
                    **_versioned(old[1] if old else None),
                }
            }
        )
    elif old is not None:
        writes.append({"Delete": {"Key": key, **_versioned(old[1])}})
    person_key = {"pk": {"S": contribution_pk(sub)}, "sk": {"S": PERSON_SK}}
    person_version = (stored.person_version or 0) + 1
    if person_remains:
        item = {**person_key, "type": {"S": CONTRIBUTION_TYPE}, "version": {"N": str(person_version)}}
        writes.append({"Put": {"Item": item, **_versioned(stored.person_version)}})
    elif stored.person_version is not None:
        writes.append({"Delete": {"Key": person_key, **_versioned(stored.person_version)}})
    shard = shard_of(sub)
    if totals:
        writes.append(applied.add(counter_pk(lg_code, shard), TOTALS, totals, item_type=COUNTER_TYPE))
    by_year: dict[str, dict[str, int]] = {}
    for (year, day), n in days.items():
        by_year.setdefault(year, {})[day] = n
    for year, increments in sorted(by_year.items()):
        writes.append(
            applied.add(counter_pk(lg_code, shard), days_sk(year), increments, item_type=COUNTER_TYPE)
        )
    if national:
        writes.append(applied.add(counter_pk(NATIONAL, shard), TOTALS, national, item_type=COUNTER_TYPE))
    applied.transact(writes)
    if new is not None:
        stored.by_lg[lg_code] = (new, (old[1] if old else 0) + 1)
    else:
        stored.by_lg.pop(lg_code, None)
    stored.person_version = person_version if person_remains else None


def add_once(change_key: str, scope: str, shard_key: str, increments: dict[str, int]) -> bool:
    """Add to a scope's totals once per change (the statistics consumer's marker)."""
    write = applied.add(counter_pk(scope, shard_of(shard_key)), TOTALS, increments, item_type=COUNTER_TYPE)
    return applied.apply_once("statistics", change_key, [write])


# --- reading ---------------------------------------------------------------------------------


def _batch_get(keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every item of `keys` that exists (BatchGetItem, 100 keys a call, unprocessed retried)."""
    table = main_table()
    for start in range(0, len(keys), 100):
        pending: dict[str, Any] = {table: {"Keys": keys[start : start + 100]}}
        while pending:
            page = main_client().batch_get_item(RequestItems=pending)
            yield from page.get("Responses", {}).get(table, [])
            pending = page.get("UnprocessedKeys") or {}


def _numbers(item: dict[str, Any]) -> dict[str, int]:
    return {name: int(Decimal(value["N"])) for name, value in item.items() if "N" in value}


def read(scope: str, day_years: tuple[int, ...] = ()) -> tuple[dict[str, int], dict[str, int]]:
    """A scope's totals and its per-day counters of `day_years` ({"YYYY-MM-DD": n}), summed
    over the shards, in one BatchGetItem."""
    keys = []
    for shard in range(SHARDS):
        pk = {"S": counter_pk(scope, shard)}
        keys.append({"pk": pk, "sk": {"S": TOTALS}})
        keys += [{"pk": pk, "sk": {"S": days_sk(str(year))}} for year in day_years]
    totals: dict[str, int] = {}
    days: dict[str, int] = {}
    for item in _batch_get(keys):
        sk = item["sk"]["S"]
        target = totals if sk == TOTALS else days
        prefix = "" if sk == TOTALS else f"{sk.removeprefix('DAYS#')}-"
        for name, n in _numbers(item).items():
            target[prefix + name] = target.get(prefix + name, 0) + n
    return totals, days
