"""Participant counts of activities, kept as data changes (docs/capacity.md, "Hot keys").

Access patterns:
- count a participation: an Update `ADD count :delta` of one shard, pk=CNT#{activity_id}#{shard},
  sk=COUNT, inside the TransactWriteItems that writes the participation (never apart from it,
  so the count equals the records), or alone (`add`) for rows written by other means
- read a count: the SHARDS keys in one BatchGetItem, usually together with the activity item
  (`keys`, `total`): the same items at 10 and at 50,000 participants

Why shards: a festival's check-ins all add to one activity's count. Spread over SHARDS items
(each its own partition key) by a hash of the person, one activity's rush writes each item at
1/SHARDS of its rate, and concurrent transactions rarely meet on one item.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from furusato.settings import settings
from furusato.store.errors import storage_errors
from furusato.store.models import CounterItem, MainItem

SHARDS = 64
COUNTER_SK = "COUNT"


def shard_of(seed: str) -> int:
    """The shard a participation counts on: stable for the same person (crc32, not `hash()`,
    which differs between processes)."""
    return zlib.crc32(seed.encode()) % SHARDS


def counter_pk(activity_id: str, shard: int) -> str:
    return f"CNT#{activity_id}#{shard:02d}"


def keys(activity_id: str) -> list[tuple[str, str]]:
    """Every shard's key, for a BatchGetItem (with other keys of the same request)."""
    return [(counter_pk(activity_id, shard), COUNTER_SK) for shard in range(SHARDS)]


def total(items: Iterable[Any], activity_id: str) -> int:
    """The count from the items a BatchGetItem of `keys(activity_id)` returned (others ignored;
    a shard never written is simply absent)."""
    prefix = f"CNT#{activity_id}#"
    return sum(
        int(item.value or 0) for item in items if isinstance(item, CounterItem) and item.pk.startswith(prefix)
    )


def count(activity_id: str) -> int:
    """One activity's count: one BatchGetItem of its shards."""
    with storage_errors():
        return total(MainItem.batch_get(keys(activity_id)), activity_id)


def update_element(activity_id: str, seed: str, delta: int = 1) -> dict[str, Any]:
    """The TransactWriteItems element that adds `delta` to the shard of `seed` (the person's
    sub, or any stable key of the row counted)."""
    return {
        "Update": {
            "TableName": settings().main_table,
            "Key": {"pk": {"S": counter_pk(activity_id, shard_of(seed))}, "sk": {"S": COUNTER_SK}},
            # The update may create the shard: it carries its type discriminator.
            "UpdateExpression": "ADD #c :d SET #t = :t",
            "ExpressionAttributeNames": {"#c": "count", "#t": "type"},
            "ExpressionAttributeValues": {":d": {"N": str(delta)}, ":t": {"S": "counter"}},
        }
    }


def add(activity_id: str, delta: int, *, seed: str) -> None:
    """Add to a count outside a transaction: for writers that count rows in bulk (a backfill
    chunk adds the rows it created, once it knows them). One UpdateItem."""
    element = update_element(activity_id, seed, delta)["Update"]
    client = MainItem._get_connection().connection.client
    with storage_errors():
        client.update_item(**element)
