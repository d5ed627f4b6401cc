"""The one way asynchronous work follows the data: consumers of the main table's stream.

`Change` is one stream record, decoded. A `Consumer` says which item types it wants and applies a
change. `dispatch` hands a batch to every consumer that wants each change, in stream order, and
stops at the first failure so that Lambda redelivers from there (`batchItemFailures`).

Every consumer must converge when a change comes twice (a retried batch, a bisected one):
- either it commits its effect with `store.applied.apply_once`, which writes the effect and a
  marker keyed by (consumer, event id) in one transaction, so the second delivery changes nothing;
- or its writes are idempotent by themselves (deterministic keys with a condition, or a
  recomputation from the table's current state, as the statistics consumer does).
See docs/streams.md.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from furusato.api.observability import logger
from furusato.store.dynamodb import from_attribute_values

EventName = Literal["INSERT", "MODIFY", "REMOVE"]


def _deserialize(image: dict[str, Any] | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return from_attribute_values(image)


@dataclass(frozen=True)
class Change:
    """One change of one item: a DynamoDB stream record with its images decoded (numbers are
    `Decimal`). `old` is None for an INSERT, `new` None for a REMOVE."""

    event_id: str
    event_name: EventName
    sequence_number: str
    keys: dict[str, Any]
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    at: datetime | None = None
    # True when DynamoDB's TTL removed the item (not an application delete).
    expired: bool = False

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Change:
        ddb = record["dynamodb"]
        created = ddb.get("ApproximateCreationDateTime")
        identity = record.get("userIdentity") or {}
        return cls(
            event_id=str(record["eventID"]),
            event_name=record["eventName"],
            sequence_number=str(ddb["SequenceNumber"]),
            keys=_deserialize(ddb.get("Keys")) or {},
            old=_deserialize(ddb.get("OldImage")),
            new=_deserialize(ddb.get("NewImage")),
            at=datetime.fromtimestamp(float(created), UTC) if created is not None else None,
            expired=identity.get("principalId") == "dynamodb.amazonaws.com",
        )

    @property
    def item_type(self) -> str | None:
        image = self.new if self.new is not None else self.old
        return None if image is None else image.get("type")

    @property
    def pk(self) -> str:
        return str(self.keys.get("pk", ""))

    @property
    def sk(self) -> str:
        return str(self.keys.get("sk", ""))


class Consumer(ABC):
    """A consumer of the stream. Register it in `furusato.streams.registry` and list its item
    types in `topology.STREAM_SOURCES` (a test checks both)."""

    # Stable: it is part of the markers of applied changes. Never rename a deployed consumer.
    name: ClassVar[str]
    # The `type` of the items whose changes it wants.
    item_types: ClassVar[frozenset[str]]

    def wants(self, change: Change) -> bool:
        return change.item_type in self.item_types

    @abstractmethod
    def apply(self, change: Change) -> None:
        """Apply one change. Raise to have the record delivered again (after the ones before it
        are done); never let a redelivery change anything twice."""


@dataclass(frozen=True)
class BatchResult:
    applied: int
    # The sequence number of the first record that failed; Lambda redelivers from it.
    failed_at: str | None

    def response(self) -> dict[str, Any]:
        """The partial batch response (ReportBatchItemFailures)."""
        failures = [{"itemIdentifier": self.failed_at}] if self.failed_at else []
        return {"batchItemFailures": failures}


_remaining_s: ContextVar[Callable[[], float] | None] = ContextVar("stream_remaining_s", default=None)


def time_left() -> float:
    """Seconds left in the invocation applying the current batch (infinite outside one): a
    consumer with long work stops in time and hands the rest on (capabilities.activity_copies)."""
    remaining = _remaining_s.get()
    return float("inf") if remaining is None else remaining()


def dispatch(
    records: Iterable[dict[str, Any]],
    consumers: Sequence[Consumer],
    remaining_s: Callable[[], float] | None = None,
) -> BatchResult:
    """Apply each record to every consumer that wants it, in order.

    At the first failure the rest of the batch is left for redelivery: records of one item
    then always reach a consumer in stream order. Consumers that already applied the failed
    record see it again and must converge (see the module docstring). `remaining_s`: the
    invocation's time left, for `time_left()`.
    """
    token = _remaining_s.set(remaining_s)
    try:
        return _dispatch(records, consumers)
    finally:
        _remaining_s.reset(token)


def _dispatch(records: Iterable[dict[str, Any]], consumers: Sequence[Consumer]) -> BatchResult:
    applied = 0
    for record in records:
        change = Change.from_record(record)
        try:
            for consumer in consumers:
                if consumer.wants(change):
                    consumer.apply(change)
        except Exception:
            # Keys and type only: images carry personal data.
            logger.exception(
                "stream change failed",
                extra={"event_id": change.event_id, "item_type": change.item_type, "pk": _safe_pk(change)},
            )
            return BatchResult(applied, change.sequence_number)
        applied += 1
    return BatchResult(applied, None)


def _safe_pk(change: Change) -> str:
    # The partition's kind (P#, LG#, ...) but never a person's id.
    return change.pk.split("#", 1)[0]
