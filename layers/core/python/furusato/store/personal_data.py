"""Raw access to every item about one person, for the data rights (export and deletion).

Generic on purpose: a person's partition is read and deleted whatever item types it holds, so
a new kind of item stored there is exported and deleted without changing this module. Items
elsewhere are listed in `capabilities.data_rights.OTHER_PLACES`.

Access patterns:
- a partition, every item: Query pk (consistent), all pages
- one item: GetItem
- delete: BatchWriteItem (25 keys a call, unprocessed keys resent with backoff)
- the deleted account's mark: PutItem / GetItem GONE#{sha256(sub)}
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from furusato.domain.errors import Unavailable
from furusato.settings import settings
from furusato.store.dynamodb import from_attribute_values, main_client
from furusato.store.errors import THROTTLING_CODES

INTERNAL = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "version", "expires_at"})
# Longer than any ID token the registrants' pool issues (at most one day).
GONE_FOR_SECONDS = 2 * 24 * 3600


def caller_partition(sub: str) -> str:
    """The idempotency table's partition of one caller's records (api/idempotency.py): a
    person's deletion removes it whole."""
    return f"CALLER#{sub}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | frozenset):
        return [_plain(v) for v in (sorted(value) if isinstance(value, set | frozenset) else value)]
    return value


def _deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in from_attribute_values(item).items()}


def _call(operation: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response: dict[str, Any] = getattr(main_client(), operation)(**kwargs)
        return response
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            raise Unavailable() from exc
        raise


def partition(
    pk: str, table: str | None = None, key: str = "pk", index: str | None = None
) -> list[dict[str, Any]]:
    """Every item under `pk` (the value of the partition key attribute `key`, of the table or of
    one of its indexes), keys included, as plain values."""
    table = table or settings().main_table
    items: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "#k = :pk",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ConsistentRead": index is None,
        }
        if index:
            kwargs["IndexName"] = index
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = _call("query", **kwargs)
        items += [_deserialize(item) for item in response.get("Items", [])]
        start = response.get("LastEvaluatedKey")
        if not start:
            return items


def public(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the person sees it: without keys and bookkeeping."""
    return {k: v for k, v in item.items() if k not in INTERNAL}


def delete(
    keys: Iterable[tuple[str, str]], table: str | None = None, names: tuple[str, str] = ("pk", "sk")
) -> int:
    table = table or settings().main_table
    requests = [{"DeleteRequest": {"Key": {names[0]: {"S": pk}, names[1]: {"S": sk}}}} for pk, sk in keys]
    for i in range(0, len(requests), 25):
        pending: list[dict[str, Any]] = requests[i : i + 25]
        for attempt in range(8):
            response = _call("batch_write_item", RequestItems={table: pending})
            pending = (response.get("UnprocessedItems") or {}).get(table) or []
            if not pending:
                break
            time.sleep(min(1.0, 0.05 * 2**attempt))
        if pending:
            raise Unavailable("deletion did not finish; retry")
    return len(requests)


def _gone_key(sub: str) -> dict[str, Any]:
    digest = hashlib.sha256(sub.encode()).hexdigest()
    return {"pk": {"S": f"GONE#{digest}"}, "sk": {"S": "GONE"}}


def mark_gone(sub: str, now_epoch: int) -> None:
    """Remember, under a hash and only until every token has expired, that the account was
    deleted: its still-valid tokens must not recreate data."""
    _call(
        "put_item",
        TableName=settings().main_table,
        Item={
            **_gone_key(sub),
            "type": {"S": "gone"},
            "expires_at": {"N": str(now_epoch + GONE_FOR_SECONDS)},
        },
    )


def is_gone(sub: str) -> bool:
    response = _call("get_item", TableName=settings().main_table, Key=_gone_key(sub), ConsistentRead=True)
    return "Item" in response
