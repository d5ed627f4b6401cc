"""Apply a stream change's effect once: the effect and a marker of the change in one transaction.

The marker (`pk=APPLIED#{consumer}#{key}`, `sk=APPLIED`) is put with `attribute_not_exists`, so a
redelivered change cancels the transaction and changes nothing. `key` is the stream record's
event id, or any key that names the change deterministically. Markers expire after
`MARKER_DAYS` (DynamoDB's TTL): a stream keeps records 24 hours, so no redelivery comes later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from furusato import clock
from furusato.domain.errors import Unavailable
from furusato.store.dynamodb import main_client
from furusato.store.errors import THROTTLING_CODES
from furusato.store.models import MainItem

MARKER_DAYS = 3
MARKER_TYPE = "stream_applied"
MAX_WRITES = 99  # TransactWriteItems takes 100 items; one is the marker


def marker_key(consumer: str, key: str) -> dict[str, Any]:
    return {"pk": {"S": f"APPLIED#{consumer}#{key}"}, "sk": {"S": "APPLIED"}}


def add(pk: str, sk: str, increments: dict[str, int], *, item_type: str) -> dict[str, Any]:
    """A TransactWriteItems `Update` that adds to top-level number attributes (creating them,
    and the item, when absent). `item_type` is written too: the item may be new."""
    names = {"#type": "type"}
    values: dict[str, Any] = {":type": {"S": item_type}}
    parts = []
    for i, (attribute, amount) in enumerate(sorted(increments.items())):
        names[f"#a{i}"] = attribute
        values[f":v{i}"] = {"N": str(amount)}
        parts.append(f"#a{i} :v{i}")
    return {
        "Update": {
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": "SET #type = :type ADD " + ", ".join(parts),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def transact(writes: list[dict[str, Any]]) -> None:
    """TransactWriteItems on the main table (writes without `TableName`)."""
    from botocore.exceptions import ClientError

    table = MainItem.Meta.table_name
    items = [{kind: {**body, "TableName": table} for kind, body in write.items()} for write in writes]
    try:
        main_client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            raise Unavailable() from exc
        raise


def apply_once(consumer: str, key: str, writes: list[dict[str, Any]]) -> bool:
    """Commit `writes` with the marker of (consumer, key). False, and nothing written, when the
    change was applied before. Other failures raise (the record is then delivered again)."""
    from botocore.exceptions import ClientError

    if len(writes) > MAX_WRITES:
        raise ValueError(f"{len(writes)} writes do not fit one transaction with the marker")
    expires = int((clock.now() + timedelta(days=MARKER_DAYS)).timestamp())
    marker = {
        "Put": {
            "Item": {
                **marker_key(consumer, key),
                "type": {"S": MARKER_TYPE},
                "applied_at": {"S": clock.iso(clock.now())},
                "expires_at": {"N": str(expires)},
            },
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
    try:
        transact([marker, *writes])
    except ClientError as exc:
        error = exc.response.get("Error", {})
        reasons = exc.response.get("CancellationReasons") or []
        if error.get("Code") == "TransactionCanceledException" and reasons:
            if (reasons[0] or {}).get("Code") == "ConditionalCheckFailed":
                return False
        raise
    return True


def was_applied(consumer: str, key: str) -> bool:
    """Whether the marker exists (consistent read); for tests and diagnostics."""
    item = main_client().get_item(
        TableName=MainItem.Meta.table_name, Key=marker_key(consumer, key), ConsistentRead=True
    )
    return "Item" in item
