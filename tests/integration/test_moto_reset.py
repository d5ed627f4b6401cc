"""The reset before each integration test (tests/support/moto.py) leaves what `aws.reset_data`
leaves, which deletes and creates every table through the API: empty tables with their keys,
indexes and TTL, a new stream, no objects, no users."""

from __future__ import annotations

from typing import Any

from furusato import topology
from infra.local.aws import client, physical_name
from tests.support import moto

STABLE = ("TableName", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "StreamSpecification")


def _describe(ddb: Any, name: str) -> dict[str, Any]:
    table = ddb.describe_table(TableName=name)["Table"]
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    return {**{k: table.get(k) for k in STABLE}, "ttl": ttl, "stream": table.get("LatestStreamArn")}


def test_a_reset_empties_everything_and_starts_new_streams(clean_aws: str) -> None:
    ddb, s3 = client("dynamodb", clean_aws), client("s3", clean_aws)
    cognito = client("cognito-idp", clean_aws)
    names = [physical_name(t.name) for t in topology.TABLES]
    before = {name: _describe(ddb, name) for name in names}
    for table, name in zip(topology.TABLES, names, strict=True):
        key = {table.partition_key: {"S": "p"}, **({table.sort_key: {"S": "s"}} if table.sort_key else {})}
        ddb.put_item(TableName=name, Item=key)
    buckets = [physical_name(b.name) for b in topology.BUCKETS]
    for bucket in buckets:
        s3.put_object(Bucket=bucket, Key="kept", Body=b"x")
        s3.put_object(Bucket=bucket, Key="deleted", Body=b"x")
        s3.delete_object(Bucket=bucket, Key="deleted")
    pool = cognito.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
    cognito.admin_create_user(UserPoolId=pool, Username="tanto@city.hida.example.jp")

    moto.reset()

    for name in names:
        assert ddb.scan(TableName=name)["Items"] == []
        after = _describe(ddb, name)
        assert {**after, "stream": None} == {**before[name], "stream": None}
        if before[name]["stream"]:
            assert after["stream"] and after["stream"] != before[name]["stream"]
    for bucket in buckets:
        versions = s3.list_object_versions(Bucket=bucket)
        assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    assert cognito.list_users(UserPoolId=pool)["Users"] == []
