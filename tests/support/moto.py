"""One moto server for the tests that talk to AWS (integration, and the e2e checks that use S3
directly), started on first use; every AWS client of the test process then points at it.

Unit tests never start it: they run with sockets blocked (tests/unit/conftest.py).
"""

from __future__ import annotations

import copy
import os
from functools import cache
from typing import Any

from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import utcnow
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.s3.models import s3_backends

from furusato import topology
from infra.local import aws

_endpoint: str | None = None
# Every table as `create_resources` left it (empty, with its TTL), copied when moto started.
_pristine: dict[str, Table] = {}


def endpoint() -> str:
    """Start moto once, create every resource of the topology and point the process at it."""
    global _endpoint
    if _endpoint is None:
        stack = aws.start_moto()
        os.environ.update(aws.base_environment(stack.endpoint_url))
        os.environ.update(aws.create_resources(stack.endpoint_url))
        _endpoint = stack.endpoint_url
        tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][aws.REGION].tables
        _pristine.update({name: copy.deepcopy(table) for name, table in tables.items()})
    return _endpoint


@cache
def _client(service: str) -> Any:
    return aws.client(service, endpoint())


def reset() -> None:
    """What `aws.reset_data` does (every table, bucket and user pool emptied), in a few
    milliseconds rather than ~20 calls to moto and ~0.1 s of CPU before each integration test.

    moto's server runs in this process, so each table is put back as a copy of itself as first
    created, with a stream of its own as a recreated table gets (stream readers keyed by the stream
    ARN start afresh). Buckets and user pools are emptied through the API, and only when they
    hold anything."""
    endpoint()
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][aws.REGION].tables
    for name, pristine in _pristine.items():
        table = copy.deepcopy(pristine)
        table.created_at = utcnow()
        table.set_stream_specification(table.stream_specification)
        tables[name] = table
    buckets = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets
    for bucket in topology.BUCKETS:
        name = aws.physical_name(bucket.name)
        if len(buckets[name].keys):
            _empty_bucket(name)
    for pool in cognitoidp_backends[DEFAULT_ACCOUNT_ID][aws.REGION].user_pools.values():
        if pool.users:
            _delete_users(pool.id)


def _empty_bucket(name: str) -> None:
    s3 = _client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        objects = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=name, Delete={"Objects": objects})


def _delete_users(pool_id: str) -> None:
    cognito = _client("cognito-idp")
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        for user in page["Users"]:
            cognito.admin_delete_user(UserPoolId=pool_id, Username=user["Username"])
