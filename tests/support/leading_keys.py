"""What IAM's `dynamodb:LeadingKeys` condition does in AWS, done in tests: a function that declares
the partition key prefixes it may touch (`topology.Function.main_key_prefixes`) is refused any
main-table request outside them. moto and the local stack enforce no IAM, so without this a
route that strays from its declared prefixes would pass every test and fail in AWS."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

_PARTITION_KEYS = ("pk", "gsi1pk", "gsi2pk")
_lock = threading.Lock()


def partition_keys(operation: str, params: dict[str, Any], table: str) -> list[str | None]:
    """The partition key values a DynamoDB request names on `table` (None: a request with no key,
    a Scan, which LeadingKeys always denies)."""

    def of(key: dict[str, Any] | None) -> str | None:
        for name in _PARTITION_KEYS:
            if key and name in key:
                return str(next(iter(key[name].values())))
        return None

    found: list[str | None] = []
    if operation in ("GetItem", "DeleteItem", "UpdateItem") and params.get("TableName") == table:
        found.append(of(params.get("Key")))
    elif operation == "PutItem" and params.get("TableName") == table:
        found.append(of(params.get("Item")))
    elif operation == "Query" and params.get("TableName") == table:
        names = {v: k for k, v in (params.get("ExpressionAttributeNames") or {}).items()}
        values = params.get("ExpressionAttributeValues") or {}
        expression = params.get("KeyConditionExpression") or ""
        value = None
        for attribute in _PARTITION_KEYS:
            placeholder = names.get(attribute, attribute)
            match = re.search(rf"{re.escape(placeholder)}\s*=\s*(:\w+)", expression)
            if match:
                value = str(next(iter(values[match.group(1)].values())))
        found.append(value)
    elif operation == "Scan" and params.get("TableName") == table:
        found.append(None)
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        request = (params.get("RequestItems") or {}).get(table)
        if request is None:
            return found
        if operation == "BatchGetItem":
            found += [of(key) for key in request.get("Keys", [])]
        else:
            for entry in request:
                put, delete = entry.get("PutRequest", {}), entry.get("DeleteRequest", {})
                found.append(of(put.get("Item") or delete.get("Key")))
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for entry in params.get("TransactItems", []):
            for kind, body in entry.items():
                if body.get("TableName") == table:
                    found.append(of(body.get("Item") if kind == "Put" else body.get("Key")))
    return found


@contextmanager
def enforced(prefixes: tuple[str, ...], table: str) -> Iterator[list[str]]:
    """Refuse, as IAM would (AccessDeniedException), any request on `table` whose partition key
    does not start with one of `prefixes`; yields the keys seen."""
    seen: list[str] = []
    original = BaseClient._make_api_call

    def checking(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            for key in partition_keys(operation_name, api_params, table):
                with _lock:
                    seen.append(str(key))
                if key is None or not key.startswith(prefixes):
                    # The handler answers 500 and logs no message: say which key, for the test's output.
                    print(f"LeadingKeys refused {operation_name} {key!r} (allowed: {prefixes})")
                    raise ClientError(
                        {"Error": {"Code": "AccessDeniedException", "Message": f"LeadingKeys: {key!r}"}},
                        operation_name,
                    )
        return original(self, operation_name, api_params)

    with _lock:
        BaseClient._make_api_call = checking
    try:
        yield seen
    finally:
        with _lock:
            BaseClient._make_api_call = original
