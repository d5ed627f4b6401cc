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
