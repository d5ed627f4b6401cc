"""Count AWS API calls (round trips) made by the code under test, with a botocore hook.

boto3 and pynamodb both end in `BaseClient._make_api_call`, so one patch sees every call."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

_lock = threading.Lock()


@contextmanager
def count_calls(service: str = "dynamodb") -> Iterator[Counter[str]]:
    """Yield a Counter of operation names called on `service` inside the block."""
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == service:
            with _lock:
                calls[operation_name] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        BaseClient._make_api_call = original


def items_read(operation_name: str, response: dict[str, Any]) -> int:
    """Items a response read: what a Query or Scan evaluated (ScannedCount, before any filter),
    the item of a GetItem, every item of a BatchGetItem or TransactGetItems."""
    if operation_name in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", len(response.get("Items", [])))))
    if operation_name == "GetItem":
        return 1 if response.get("Item") else 0
    if operation_name == "BatchGetItem":
        return sum(len(items) for items in (response.get("Responses") or {}).values())
    if operation_name == "TransactGetItems":
        return sum(1 for r in response.get("Responses") or [] if r.get("Item"))
    return 0


def _value_size(value: dict[str, Any]) -> int:
    kind, raw = next(iter(value.items()))
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return len(raw.lstrip("-").replace(".", "").lstrip("0")) // 2 + 2
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) for k, v in raw.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    if kind == "SS":
        return sum(len(v.encode()) for v in raw)
    return sum(len(v) // 2 + 2 for v in raw)  # NS, BS


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB reckons it for capacity: each attribute's name and value
    (strings in UTF-8, numbers ~1 byte per 2 digits, maps and lists 3 bytes plus their parts)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def bytes_read(operation_name: str, response: dict[str, Any]) -> int:
    """Size of the items a read returned (`item_size`), which read capacity is charged by."""
    if operation_name in ("Query", "Scan"):
        found = response.get("Items") or []
    elif operation_name == "GetItem":
        found = [response["Item"]] if response.get("Item") else []
    elif operation_name == "BatchGetItem":
        found = [i for items in (response.get("Responses") or {}).values() for i in items]
    else:
        return 0
    return sum(item_size(item) for item in found)


@contextmanager
def count_bytes(service: str = "dynamodb") -> Iterator[Counter[str]]:
    """Yield a Counter of bytes read (`bytes_read`) by operation inside the block."""
    read: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        response = original(self, operation_name, api_params)
        if self.meta.service_model.service_name == service:
            with _lock:
                read[operation_name] += bytes_read(operation_name, response)
        return response

    BaseClient._make_api_call = counting
    try:
        yield read
    finally:
        BaseClient._make_api_call = original


@contextmanager
def count_items(service: str = "dynamodb") -> Iterator[tuple[Counter[str], Counter[str]]]:
    """Yield (calls, items): Counters keyed by operation, with the index for index reads
    (`Query gsi2`), of the calls made and the items they read inside the block."""
    calls: Counter[str] = Counter()
    items: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        response = original(self, operation_name, api_params)
        if self.meta.service_model.service_name == service:
            label = operation_name
            if api_params.get("IndexName"):
                label = f"{operation_name} {api_params['IndexName']}"
            with _lock:
                calls[label] += 1
                items[label] += items_read(operation_name, response)
        return response

    BaseClient._make_api_call = counting
    try:
        yield calls, items
    finally:
        BaseClient._make_api_call = original
