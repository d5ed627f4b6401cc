"""Opaque list cursors: the last evaluated key, bound to the partition it pages through."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from furusato.domain.errors import InvalidInput


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, *, partition: tuple[str, str]) -> dict[str, Any] | None:
    """Refuse cursors that do not page through `partition` (attribute, value): a tampered
    cursor must not open someone else's partition."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid cursor", details={"cursor": "not a cursor from this list"}) from exc
    attribute, value = partition
    if not isinstance(key, dict) or key.get(attribute, {}).get("S") != value:
        raise InvalidInput("invalid cursor", details={"cursor": "not a cursor from this list"})
    return key
