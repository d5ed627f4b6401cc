"""Translate storage failures into domain errors: nothing above store/ sees boto or pynamodb."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import PutError, PynamoDBException
from pynamodb.models import Model

from furusato.domain.errors import Unavailable

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELLED = "TransactionCanceledException"


def response_code(exc: PynamoDBException) -> str | None:
    """DynamoDB's error code, or None when the call never got an answer (a timeout or a lost
    connection carries `response = None`, on which pynamodb's own property fails)."""
    response = getattr(exc.cause, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def no_answer(exc: PynamoDBException) -> bool:
    """The store was not reached or did not answer in time: as retryable as throttling."""
    return isinstance(exc.cause, BotoCoreError) and response_code(exc) is None


def cancellation_reasons(exc: PynamoDBException) -> list[str]:
    """Per-item reason codes of a cancelled transaction ("None" for items that were fine)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [(r.code if r is not None else "None") or "None" for r in reasons]


def is_condition_failure(exc: PynamoDBException) -> bool:
    if response_code(exc) == CONDITION_FAILED:
        return True
    return response_code(exc) == TRANSACTION_CANCELLED and "ConditionalCheckFailed" in cancellation_reasons(
        exc
    )


def is_throttled(exc: PynamoDBException) -> bool:
    if response_code(exc) in THROTTLING_CODES or no_answer(exc):
        return True
    return response_code(exc) == TRANSACTION_CANCELLED and any(
        r in ("ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict")
        for r in cancellation_reasons(exc)
    )


@contextmanager
def storage_errors() -> Iterator[None]:
    """Throttling that outlived botocore's retries becomes a 503 the caller may retry."""
    try:
        yield
    except PynamoDBException as exc:
        if is_throttled(exc):
            raise Unavailable() from exc
        raise


M = TypeVar("M", bound=Model)


def find(model: type[M], pk: str, sk: str, *, consistent_read: bool = True) -> M | None:
    """GetItem: the item of this type under the key; None when there is none (or the key holds
    an item of another type)."""
    with storage_errors():
        try:
            item = model.get(pk, sk, consistent_read=consistent_read)
        except model.DoesNotExist:
            return None
    return item if isinstance(item, model) else None


def save_once(item: Any) -> bool:
    """PutItem on condition that no item has its key: False when one has, so a retried delivery
    or run adds nothing twice."""
    with storage_errors():
        try:
            item.save(condition=type(item).pk.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
    return True


BATCH_WRITE_MAX = 25
# Resends of unprocessed items: 50 ms doubling (with jitter) up to 5 resends, ~1.5 s in all.
BATCH_RESENDS = 5
BATCH_BACKOFF_S = 0.05
sleep = time.sleep


def batch_put(items: Sequence[Any]) -> None:
    """BatchWriteItem of pynamodb items, 25 a call. Unprocessed items (throttling) are resent
    with exponential backoff and jitter; when they persist, 503 `Unavailable` with Retry-After:
    the writes are idempotent (deterministic keys), so the caller's retry converges.
    (pynamodb's batch_write resends at once, without backoff, and then raises a bare PutError.)"""
    if not items:
        return
    model = type(items[0])
    connection = model._get_connection()
    table = model.Meta.table_name
    for start in range(0, len(items), BATCH_WRITE_MAX):
        pending = [item.serialize() for item in items[start : start + BATCH_WRITE_MAX]]
        for attempt in range(BATCH_RESENDS + 1):
            with storage_errors():
                data = connection.batch_write_item(put_items=pending, delete_items=[]) or {}
            unprocessed = (data.get("UnprocessedItems") or {}).get(table) or []
            if not unprocessed:
                break
            if attempt == BATCH_RESENDS:
                raise Unavailable(retry_after=1)
            pending = [entry["PutRequest"]["Item"] for entry in unprocessed]
            sleep(BATCH_BACKOFF_S * 2**attempt * (1 + random.random() / 2))  # noqa: S311 - jitter


@contextmanager
def client_errors() -> Iterator[None]:
    """`storage_errors` for calls made on the botocore client directly."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code", "") in THROTTLING_CODES:
            raise Unavailable() from exc
        raise
    except BotoCoreError as exc:
        raise Unavailable() from exc


# A transaction that met another on one of its items is tried again this often (a counter shard
# shared with a concurrent check-in; see store/counters.py), after a short random pause.
CONFLICT_ATTEMPTS = 4


def put_unless_exists(item: Any, *, also: Sequence[dict[str, Any]] = ()) -> dict[str, Any] | None:
    """PutItem with `attribute_not_exists(pk)` in one round trip: None when written, else the
    stored item's raw attributes ({} if the table does not echo them). pynamodb's `save` cannot
    ask for the old item on a failed condition, so the call goes through the model's own botocore
    client (same retry configuration, same endpoint).

    `also`: TransactWriteItems elements written with the item, atomically (a counter's update):
    then the call is one TransactWriteItems, and none of them is written when the item exists."""
    from botocore.exceptions import ClientError

    kwargs = item.get_save_kwargs_from_instance(
        condition=type(item).pk.does_not_exist(), return_values_on_condition_failure="ALL_OLD"
    )
    client = type(item)._get_connection().connection.client
    with client_errors():
        if not also:
            try:
                client.put_item(**kwargs)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code", "") == CONDITION_FAILED:
                    return exc.response.get("Item") or {}
                raise
            return None
        return transact_unless_condition([{"Put": kwargs}, *also], client=client)


def transact_unless_condition(
    elements: Sequence[dict[str, Any]], *, client: Any = None
) -> dict[str, Any] | None:
    """TransactWriteItems of raw elements (the main table model's own botocore client unless
    given), tried again on a conflict with another transaction: None when written; when an
    element's condition failed, that element's stored item as returned ({} if the table does not
    echo it), and nothing is written."""
    from botocore.exceptions import ClientError

    if client is None:
        from furusato.store.models import MainItem

        client = MainItem._get_connection().connection.client
    with client_errors():
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                client.transact_write_items(TransactItems=list(elements))
                return None
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code", "") != TRANSACTION_CANCELLED:
                    raise
                reasons = exc.response.get("CancellationReasons") or [{}]
                failed = next((r for r in reasons if r.get("Code") == "ConditionalCheckFailed"), None)
                if failed is not None:
                    return failed.get("Item") or {}
                codes = {r.get("Code") for r in reasons}
                if "TransactionConflict" not in codes or attempt == CONFLICT_ATTEMPTS - 1:
                    if codes & {"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}:
                        raise Unavailable() from exc
                    raise
                time.sleep(random.uniform(0.005, 0.02 * (attempt + 1)))  # noqa: S311 (jitter, not a secret)
    return None
