"""The local stand-in for DynamoDB keeps transactions atomic and consistent under concurrency
(infra/local/moto_dynamodb.py): a cancelled transaction leaves no trace, in items or in the
stream, and concurrent transactions never lose each other's writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from furusato.settings import settings
from infra.local.aws import client


@pytest.fixture
def ddb(clean_aws: str) -> Any:
    return client("dynamodb", clean_aws)


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "X"}}


def _stream_records(endpoint: str) -> int:
    streams = client("dynamodbstreams", endpoint)
    arn = client("dynamodb", endpoint).describe_table(TableName=settings().main_table)["Table"][
        "LatestStreamArn"
    ]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    return len(streams.get_records(ShardIterator=iterator)["Records"])


def test_a_cancelled_transaction_leaves_no_item_and_no_stream_record(ddb: Any, clean_aws: str) -> None:
    table = settings().main_table
    ddb.put_item(TableName=table, Item={**_key("A"), "n": {"N": "1"}})
    before = _stream_records(clean_aws)
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**_key("NEW"), "n": {"N": "0"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": _key("A"),
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key("MISSING"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in ddb.get_item(TableName=table, Key=_key("NEW"))
    assert ddb.get_item(TableName=table, Key=_key("A"))["Item"]["n"] == {"N": "1"}
    assert _stream_records(clean_aws) == before


def test_concurrent_transactions_keep_every_write(ddb: Any) -> None:
    table = settings().main_table

    def write(i: int) -> None:
        items: list[dict[str, Any]] = [{"Put": {"TableName": table, "Item": _key(f"P{i}")}}]
        if i % 2:  # every other one is cancelled: its rollback must not undo the others
            items.append(
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": _key("MISSING"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException"

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(write, range(200)))
    written = {
        item["pk"]["S"]
        for page in ddb.get_paginator("scan").paginate(TableName=table)
        for item in page["Items"]
    }
    assert written == {f"P{i}" for i in range(0, 200, 2)}
