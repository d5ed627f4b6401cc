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
