"""Opaque list cursors: the last evaluated key, bound to the partition it pages through."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from furusato.domain.errors import InvalidInput
from furusato.domain.text import clean

# DynamoDB allows 2048 bytes for a partition key and 1024 for a sort key; ours are far shorter.
MAX_KEY_LENGTH = 1024


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


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


def decode(cursor: str | None, *, partition: tuple[str, str]) -> dict[str, Any] | None:
    """Refuse cursors that do not page through `partition` (attribute, value): a tampered
    cursor must not open someone else's partition. Validated completely (exactly the key
    attributes of the list, each a short string), so no tampered cursor reaches DynamoDB."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput("invalid cursor", details={"cursor": "not a cursor from this list"}) from exc
    if not _valid(key, partition):
        raise InvalidInput("invalid cursor", details={"cursor": "not a cursor from this list"})
    return key
