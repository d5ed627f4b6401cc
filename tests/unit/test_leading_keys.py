"""The harness's stand-in for IAM's LeadingKeys reads the partition key of every request shape."""

from __future__ import annotations

import pytest

from tests.support.leading_keys import partition_keys

T = "furusato-main"


@pytest.mark.parametrize(
    ("operation", "params", "keys"),
    [
        ("GetItem", {"TableName": T, "Key": {"pk": {"S": "LG#212172"}, "sk": {"S": "LG"}}}, ["LG#212172"]),
        ("PutItem", {"TableName": T, "Item": {"pk": {"S": "CONS#1"}, "sk": {"S": "A"}}}, ["CONS#1"]),
        (
            "Query",
            {
                "TableName": T,
                "IndexName": "gsi1",
                "KeyConditionExpression": "#0 = :0 AND #1 < :1",
                "ExpressionAttributeNames": {"#0": "gsi1pk", "#1": "gsi1sk"},
                "ExpressionAttributeValues": {":0": {"S": "LG#212172#FEED"}, ":1": {"S": "z"}},
            },
            ["LG#212172#FEED"],
        ),
        ("Scan", {"TableName": T}, [None]),
        (
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": T, "Item": {"pk": {"S": "N#u1"}}}},
                    {"Update": {"TableName": T, "Key": {"pk": {"S": "CONS#9"}}}},
                    {"Put": {"TableName": "furusato-audit", "Item": {"pk": {"S": "ELSEWHERE"}}}},
                ]
            },
            ["N#u1", "CONS#9"],
        ),
        (
            "BatchWriteItem",
            {
                "RequestItems": {
                    T: [
                        {"PutRequest": {"Item": {"pk": {"S": "P#u1"}}}},
                        {"DeleteRequest": {"Key": {"pk": {"S": "ACT#a"}}}},
                    ]
                }
            },
            ["P#u1", "ACT#a"],
        ),
        ("BatchGetItem", {"RequestItems": {T: {"Keys": [{"pk": {"S": "STAFF#s"}}]}}}, ["STAFF#s"]),
        ("GetItem", {"TableName": "another", "Key": {"pk": {"S": "X"}}}, []),
    ],
)
def test_partition_keys_of_each_request_shape(
    operation: str, params: dict[str, object], keys: list[str | None]
) -> None:
    assert partition_keys(operation, params, T) == keys
