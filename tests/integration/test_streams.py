"""The stream-consumer mechanism: delivery, partial batch failures, changes applied once."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from furusato import topology
from furusato.store import applied
from furusato.store.models import MainItem
from furusato.streams import Change, Consumer, dispatch
from furusato.streams.registry import consumers
from tests.support import streams
from tests.support.lambda_api import LambdaContext, handler_module
from tests.support.world import onboard

TALLY = ("TEST#TALLY", "TALLY")


def tally() -> dict[str, int]:
    client = MainItem._get_connection().connection.client
    item = client.get_item(
        TableName=MainItem.Meta.table_name,
        Key={"pk": {"S": TALLY[0]}, "sk": {"S": TALLY[1]}},
        ConsistentRead=True,
    ).get("Item", {})
    return {k: int(v["N"]) for k, v in item.items() if "N" in v}


class CountGovernments(Consumer):
    """Adds one per onboarded government, once per change (an effect that is not idempotent by
    itself, so it needs the marker)."""

    name = "test-count-governments"
    item_types: ClassVar[frozenset[str]] = frozenset({"lg"})

    def __init__(self, fail_on: set[str] | None = None, failures: int = 10**6) -> None:
        self.fail_on = fail_on or set()
        self.failures = failures
        self.seen: list[str] = []

    def apply(self, change: Change) -> None:
        self.seen.append(change.keys["pk"])
        if change.keys["pk"] in self.fail_on and self.failures > 0:
            self.failures -= 1
            raise RuntimeError("injected")
        applied.apply_once(
            self.name,
            change.event_id,
            [applied.add(*TALLY, {"lgs": 1, f"lg:{change.keys['pk']}": 1}, item_type="test_tally")],
        )


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> CountGovernments:
    chosen = CountGovernments()
    monkeypatch.setattr(handler_module("streams"), "consumers", lambda: (chosen,))
    return chosen


def test_every_registered_consumer_has_its_item_types_declared() -> None:
    declared = {t for source in topology.STREAM_SOURCES for t in source.item_types}
    for registered in consumers():
        assert registered.item_types <= declared, registered.name
    assert {source.function for source in topology.STREAM_SOURCES} <= {f.name for f in topology.FUNCTIONS}


def test_changes_reach_the_consumer_once_filtered_by_item_type(consumer: CountGovernments) -> None:
    onboard("130001", "131041")
    report = streams.deliver()
    assert tally() == {"lgs": 2, "lg:LG#130001": 1, "lg:LG#131041": 1}
    assert report.delivered == 2 and report.dead_lettered == 0
    # Nothing new: a second drain delivers nothing; the consumer's own writes are not delivered.
    assert streams.deliver().delivered == 0
    assert tally()["lgs"] == 2


def test_a_redelivered_batch_changes_nothing(consumer: CountGovernments) -> None:
    onboard("130001")
    records: list[dict[str, Any]] = []
    original = streams._invoke

    def capture(fn: topology.Function, event: dict[str, Any]) -> Any:
        records.extend(event["Records"])
        return original(fn, event)

    delivery = streams.delivery()
    delivery._invoke = capture
    try:
        streams.deliver()
    finally:
        delivery._invoke = original
    assert tally()["lgs"] == 1
    reply = handler_module("streams").lambda_handler({"Records": records}, LambdaContext())
    assert reply == {"batchItemFailures": []}
    assert tally()["lgs"] == 1
    assert applied.was_applied(consumer.name, records[0]["eventID"])


def test_a_failed_record_is_reported_and_the_rest_waits_for_redelivery(consumer: CountGovernments) -> None:
    onboard("130001", "131041", "210005")
    consumer.fail_on = {"LG#131041"}
    consumer.failures = 1
    batches: list[list[dict[str, Any]]] = []
    original = streams._invoke
    responses: list[Any] = []

    def capture(fn: topology.Function, event: dict[str, Any]) -> Any:
        batches.append(event["Records"])
        response = original(fn, event)
        responses.append(response)
        return response

    delivery = streams.delivery()
    delivery._invoke = capture
    try:
        report = streams.deliver()
    finally:
        delivery._invoke = original
    first, second = batches[0], batches[1]
    failed_seq = next(
        r["dynamodb"]["SequenceNumber"] for r in first if r["dynamodb"]["Keys"]["pk"]["S"] == "LG#131041"
    )
    # The first invocation reports the failed record; the records after it were not applied...
    assert responses[0] == {"batchItemFailures": [{"itemIdentifier": failed_seq}]}
    assert consumer.seen[:2] == ["LG#130001", "LG#131041"]
    # ... and the redelivery starts at it.
    assert second[0]["dynamodb"]["SequenceNumber"] == failed_seq
    assert report.retried == 1 and report.dead_lettered == 0
    assert tally() == {"lgs": 3, "lg:LG#130001": 1, "lg:LG#131041": 1, "lg:LG#210005": 1}


def test_a_record_that_keeps_failing_is_dead_lettered_and_the_stream_moves_on(
    consumer: CountGovernments,
) -> None:
    onboard("130001", "131041")
    consumer.fail_on = {"LG#130001"}
    report = streams.deliver()
    source = topology.STREAM_SOURCES[0]
    assert report.dead_lettered == 1
    assert streams.delivery().dead_letters[-1]["dynamodb"]["Keys"]["pk"]["S"] == "LG#130001"
    assert consumer.seen.count("LG#130001") == source.retry_attempts + 1
    assert tally() == {"lgs": 1, "lg:LG#131041": 1}


def test_dispatch_stops_at_the_first_failure() -> None:
    class Boom(Consumer):
        name = "test-boom"
        item_types: ClassVar[frozenset[str]] = frozenset({"lg"})

        def __init__(self) -> None:
            self.seen: list[str] = []

        def apply(self, change: Change) -> None:
            self.seen.append(change.sequence_number)
            if change.sequence_number == "2":
                raise RuntimeError("injected")

    def record(seq: str, item_type: str = "lg") -> dict[str, Any]:
        image = {"pk": {"S": f"LG#{seq}"}, "sk": {"S": "LG"}, "type": {"S": item_type}}
        return {
            "eventID": f"e{seq}",
            "eventName": "INSERT",
            "dynamodb": {
                "Keys": image,
                "NewImage": image,
                "SequenceNumber": seq,
                "ApproximateCreationDateTime": 1,
            },
        }

    boom = Boom()
    result = dispatch([record("1"), record("x", "person"), record("2"), record("3")], [boom])
    assert result.response() == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert result.applied == 2
    assert boom.seen == ["1", "2"]


def test_a_pending_participant_removed_by_its_ttl_no_longer_counts() -> None:
    """A backfilled pending row counts on its activity; when DynamoDB's TTL removes it, the
    count goes down once (a redelivered record changes nothing). A row removed by the
    application (attached to a registrant, who takes the count over) changes nothing."""
    from datetime import timedelta

    from furusato import clock
    from furusato.store import counters, matching

    written = clock.now()
    rows = [
        matching.Pending(
            match_key=f"key-{n}",
            activity_key=f"row-{n}",
            lg_code="212172",
            activity_id="act_expiring",
            participation_id=f"par_expiring_{n}",
            import_id="imp_expiring",
            written_at=clock.iso(written),
            expires_at=written + timedelta(days=400),
            name=f"住民 {n}",
        )
        for n in range(2)
    ]
    matching.put_pending(rows)
    assert counters.count("act_expiring") == 2

    def removal(n: int, *, by_ttl: bool) -> dict[str, Any]:
        keys = {"pk": {"S": matching.pending_pk(f"key-{n}")}, "sk": {"S": matching.pending_sk(f"row-{n}")}}
        old = {
            **keys,
            "type": {"S": "pending_participation"},
            "activity_id": {"S": "act_expiring"},
            "participation_id": {"S": f"par_expiring_{n}"},
        }
        record: dict[str, Any] = {
            "eventID": f"remove-{n}-{by_ttl}",
            "eventName": "REMOVE",
            "dynamodb": {
                "Keys": keys,
                "OldImage": old,
                "SequenceNumber": f"9{n}",
                "ApproximateCreationDateTime": 1,
            },
        }
        if by_ttl:
            record["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        return record

    handler = handler_module("streams").lambda_handler
    assert handler({"Records": [removal(0, by_ttl=True)]}, LambdaContext()) == {"batchItemFailures": []}
    assert counters.count("act_expiring") == 1
    handler({"Records": [removal(0, by_ttl=True)]}, LambdaContext())  # redelivered
    assert counters.count("act_expiring") == 1
    handler({"Records": [removal(1, by_ttl=False)]}, LambdaContext())  # an application delete
    assert counters.count("act_expiring") == 1
