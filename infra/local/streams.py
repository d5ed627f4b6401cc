"""DynamoDB Streams delivery for the local stack and the tests.

In AWS an event source mapping reads the main table's stream and invokes the streams function
with batches of records, filtered by item type, retrying from the first record the function
reports failed. moto records the same stream (it implements DynamoDB Streams) but invokes
nothing, so this module reads it and does what the mapping does, in-process:

- the records of each `topology.STREAM_SOURCES` entry, in stream order, filtered by item type,
  shaped as Lambda delivers them, in batches of the declared size;
- a partial batch response (`batchItemFailures`) delivers again from the first failed record; a
  function error halves the batch (bisect); after the declared attempts a record goes to the
  dead letters (`StreamDelivery.dead_letters`), as it would go to the failure queue in AWS.

`drain()` delivers everything written so far and returns when done: tests (and
`POST /local/streams/drain`) call it instead of sleeping. A background thread also drains about
twice a second, and at once after a request that wrote.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from furusato import topology
from infra.local.aws import REGION, client
from infra.local.host import failure_summary
from infra.local.poller import Poller

log = logging.getLogger("infra.local")

Invoke = Callable[[topology.Function, dict[str, Any]], Any]
Exists = Callable[[str], bool]


@dataclass
class DrainReport:
    delivered: int = 0
    filtered_out: int = 0
    retried: int = 0
    dead_lettered: int = 0

    def add(self, other: DrainReport) -> None:
        self.delivered += other.delivered
        self.filtered_out += other.filtered_out
        self.retried += other.retried
        self.dead_lettered += other.dead_lettered

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Position:
    stream_arn: str | None = None
    # Last sequence number handled, per shard.
    after: dict[str, str] = field(default_factory=dict)


def wanted(source: topology.StreamSource, record: dict[str, Any]) -> bool:
    """The event filter of the mapping: the new or the old image has one of the item types."""
    ddb = record.get("dynamodb") or {}
    for image in (ddb.get("NewImage"), ddb.get("OldImage")):
        if image and (image.get("type") or {}).get("S") in source.item_types:
            return True
    return False


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record from GetRecords, shaped as Lambda delivers it (epoch seconds, the source ARN)."""
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    out = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in record:
        out["userIdentity"] = record["userIdentity"]
    return out


class StreamDelivery(Poller):
    thread_name = "stream-delivery"

    def __init__(
        self,
        endpoint_url: str,
        table_names: dict[str, str],
        invoke: Invoke,
        exists: Exists | None = None,
        *,
        interval_s: float = 0.5,
    ) -> None:
        """`table_names` maps each table's env var to its physical name."""
        super().__init__(interval_s)
        self.sources = [
            (source, table_names[topology.table(source.table).env_var])
            for source in topology.STREAM_SOURCES
            if topology.table(source.table).env_var in table_names
        ]
        self._ddb = client("dynamodb", endpoint_url)
        self._streams = client("dynamodbstreams", endpoint_url)
        self._invoke = invoke
        self._exists = exists or (lambda _name: True)
        self._positions: dict[str, _Position] = {}
        self.dead_letters: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    # --- draining ------------------------------------------------------------------------

    def drain(self, max_rounds: int = 20) -> DrainReport:
        """Deliver every record written so far (and those the consumers' writes add)."""
        total = DrainReport()
        with self._lock:
            for _ in range(max_rounds):
                report = DrainReport()
                for source, table_name in self.sources:
                    report.add(self._drain_source(source, table_name))
                total.add(report)
                if not (report.delivered or report.filtered_out or report.dead_lettered):
                    break
        return total

    def _drain_source(self, source: topology.StreamSource, table_name: str) -> DrainReport:
        report = DrainReport()
        fn = topology.function(source.function)
        if not self._exists(fn.name):
            return report
        stream_arn = self._ddb.describe_table(TableName=table_name)["Table"].get("LatestStreamArn")
        if not stream_arn:
            return report
        position = self._positions.setdefault(table_name, _Position())
        if position.stream_arn != stream_arn:
            # A new table (the tests recreate it): its stream starts from the beginning.
            position.stream_arn, position.after = stream_arn, {}
        shards = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            shard_id = shard["ShardId"]
            records = self._read(stream_arn, shard_id, position.after.get(shard_id))
            if not records:
                continue
            chosen = [lambda_record(r, stream_arn) for r in records if wanted(source, r)]
            report.filtered_out += len(records) - len(chosen)
            report.add(self._deliver(source, fn, chosen))
            position.after[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return report

    def _read(self, stream_arn: str, shard_id: str, after: str | None) -> list[dict[str, Any]]:
        # A fresh iterator each time: moto's iterators hold on to the table object of their time.
        if after is None:
            kwargs: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            kwargs = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        iterator = self._streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **kwargs)[
            "ShardIterator"
        ]
        records: list[dict[str, Any]] = []
        while iterator:
            page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            if not page.get("Records"):
                break
            records += page["Records"]
            iterator = page.get("NextShardIterator")
        return records

    def _deliver(
        self, source: topology.StreamSource, fn: topology.Function, records: list[dict[str, Any]]
    ) -> DrainReport:
        """As the event source mapping does: in order, from the first failure, bisecting a batch
        whose invocation failed, dead-lettering a record after `retry_attempts` retries."""
        report = DrainReport()
        start, size, attempts = 0, source.batch_size, 0
        while start < len(records):
            batch = records[start : start + size]
            try:
                response = self._invoke(fn, {"Records": batch})
                failed = _first_failure(response, batch)
            except Exception as exc:
                summary = json.dumps(failure_summary(exc))
                log.error("stream delivery: function %s failed: %s", fn.name, summary)
                failed = 0
                size = max(1, len(batch) // 2)  # BisectBatchOnFunctionError
            done = len(batch) if failed is None else failed
            report.delivered += done
            start += done
            if failed is None:
                attempts = 0
                size = source.batch_size
                continue
            if done:
                attempts = 0
            attempts += 1
            report.retried += 1
            if attempts > source.retry_attempts:
                log.error("stream delivery: record %s dead-lettered", records[start]["eventID"])
                self.dead_letters.append(records[start])
                report.dead_lettered += 1
                start += 1
                attempts = 0
        return report

    # --- background ----------------------------------------------------------------------

    def has_work(self) -> bool:
        return bool(self.sources)

    def step(self) -> DrainReport:
        return self.drain()


def _first_failure(response: Any, batch: list[dict[str, Any]]) -> int | None:
    """The index in `batch` of the lowest sequence number reported failed, or None."""
    failures = (response or {}).get("batchItemFailures") or []
    if not failures:
        return None
    sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
    reported = [f.get("itemIdentifier") for f in failures]
    indexes = [sequence.index(s) for s in reported if s in sequence]
    # An identifier that is not in the batch fails the whole batch, as in AWS.
    return min(indexes) if len(indexes) == len(reported) else 0
