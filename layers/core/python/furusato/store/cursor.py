"""Opaque list cursors, one codec for every paginated list: JSON in unpadded URL-safe base64.

Most lists page through one partition and their cursor is DynamoDB's last evaluated key, bound
to that partition (`encode`/`decode`). Lists that page otherwise (a merged feed, the audit trail's
months, the participations history) `pack` their own position and check it after `unpack`; a
cursor that does not decode, or does not hold what its list expects, is refused the same way."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from furusato.domain.errors import InvalidInput
from furusato.domain.text import clean
from furusato.store.errors import storage_errors

# DynamoDB allows 2048 bytes for a partition key and 1024 for a sort key; ours are far shorter.
MAX_KEY_LENGTH = 1024


def invalid() -> InvalidInput:
    """The one refusal of a cursor that is not from this list."""
    return InvalidInput("invalid cursor", details={"cursor": "not a cursor from this list"})


def pack(position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack(cursor: str) -> Any:
    """The position a cursor holds, not yet checked against what its list expects."""
    try:
        return json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (binascii.Error, ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise invalid() from exc


def encode(last_key: dict[str, Any] | None) -> str | None:
    return pack(last_key) if last_key else None


def _expected_keys(partition_attribute: str) -> frozenset[str]:
    """The attributes of a LastEvaluatedKey: the table's keys, plus the index's when the list
    reads an index (gsi1pk -> gsi1pk, gsi1sk)."""
    if partition_attribute == "pk":
        return frozenset({"pk", "sk"})
    index = partition_attribute.removesuffix("pk")
    return frozenset({"pk", "sk", f"{index}pk", f"{index}sk"})


def _valid(key: Any, partition: tuple[str, str]) -> bool:
    attribute, value = partition
    if not isinstance(key, dict) or set(key) != _expected_keys(attribute):
        return False
    for item in key.values():
        # Every key attribute of the table is a string: {"S": "..."} and nothing else.
        if not isinstance(item, dict) or set(item) != {"S"} or not isinstance(item["S"], str):
            return False
        if not 0 < len(item["S"]) <= MAX_KEY_LENGTH or clean(item["S"], free_text=False)[1]:
            return False
    return bool(key[attribute]["S"] == value)


def last_key(key: Any, *, partition: tuple[str, str]) -> dict[str, Any]:
    """A decoded last evaluated key, refused unless it pages through `partition` (attribute,
    value): a tampered cursor must not open someone else's partition. Validated completely
    (exactly the key attributes of the list, each a short string), so no tampered cursor reaches
    DynamoDB."""
    if not _valid(key, partition):
        raise invalid()
    return dict(key)


def decode(cursor: str | None, *, partition: tuple[str, str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    return last_key(unpack(cursor), partition=partition)


def page(
    query: Callable[..., Any], partition: tuple[str, str], *, cursor: str | None, limit: int, **options: Any
) -> tuple[list[Any], str | None]:
    """One page of a Query through `partition` (attribute, value) from where `cursor` left off,
    and the cursor of the next page (None after the last). `query` is a model's or an index's
    `query`; `options` are its conditions and order (range_key_condition, filter_condition,
    scan_index_forward)."""
    start = decode(cursor, partition=partition)
    with storage_errors():
        result = query(partition[1], limit=limit, page_size=limit, last_evaluated_key=start, **options)
        return list(result), encode(result.last_evaluated_key)


def all_of(conditions: list[Any]) -> Any:
    """The AND of a list's filter conditions; None (no filter) when there are none."""
    combined: Any = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined
