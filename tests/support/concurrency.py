"""Concurrency against the shared moto server, modelled as DynamoDB and Lambda behave.

- moto applies writes without the per-item serialization DynamoDB guarantees for conditional
  writes and transactions; `serialize_moto_writes` gives moto's write paths one lock (moto only:
  the code under test is unchanged), so the outcome is decided by the conditions, as in DynamoDB.
- Lambda runs one request per execution environment; Powertools keeps the current event in a
  class attribute, so N warm Lambdas are N processes, each with its own AWS connections.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from furusato.store import keyring
from furusato.store.models import MainItem


def serialize_moto_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return run

    # Writes, and the reads that iterate a table's items (a write meanwhile would break them).
    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "query", "scan"):
        monkeypatch.setattr(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name)))


def _all_models(cls: type[MainItem] = MainItem) -> Iterator[type[MainItem]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _all_models(sub)


def fresh_connections() -> None:
    """In a forked worker: new connections (the parent's sockets are not the child's)."""
    for model in _all_models():
        model._connection = None
    keyring.invalidate()
